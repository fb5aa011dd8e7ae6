//! The stage memo: what the stages learned of the sources and the outputs,
//! kept in `OUT_DIR` so that the next stage run reads only changed files
//! and rewrites only changed outputs. Only stage runs write it. It saves
//! time, never decides anything: a build that finds it missing, damaged or
//! of another [`crate::ledger::FORMAT`] runs every stage in full
//! and gets the same result. What the last build produced is in the
//! ledger ([`crate::ledger`]).
//!
//! Each stage defines the record it keeps; this module only gathers them
//! into one file:
//!
//! - a source file is identified by (path, size, modification time); if
//!   all three match, its recorded MD5 is reused without reading it
//!   (`hash::SourceStamp`);
//! - a CSS/JS file whose MD5 and whose references' hashed names are
//!   unchanged keeps its recorded hashed name without being read or
//!   rewritten (`rewrite::RewriteRecord`);
//! - an output file is trusted to hold what the last build wrote there
//!   while no folder of the output tree has changed since; otherwise each
//!   one is checked against its recorded (size, modification time, inode)
//!   (`output::OutputStamp`);
//! - the precompressed variants of each content, made with the settings
//!   it names; the key of the generated table's inputs and the perfect
//!   hash of the names.
//!
//! The memo is a folder of files: the three large records (sources,
//! outputs, rewrites) each split into [`SHARDS`] files by the hash of the
//! name, and the rest in one. A stage run encodes every file and writes
//! only those whose bytes differ from what it read: after an edit, a few
//! of them. Each file is binary ([`postcard`]), behind a magic number and
//! the format version, and replaced atomically. A file that is missing or
//! damaged empties its record (and, for the rewrite records, a shard made
//! under other digests than the others: a build killed while it wrote
//! them); the others are kept. The memo is read and decoded on another
//! thread while the build lists the sources (or only when the stages run,
//! when a patch is likely).

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::generate::NameHash;
use crate::hash::{Md5Digest, SourceStamp};
use crate::ledger::FORMAT;
use crate::name_map::NameMap;
use crate::output::Written;
use crate::rewrite::{Rewrites, StoredRewritesShard};
use crate::variant_cache::Variants;

const MEMO_DIR: &str = "asset-build-memo";
const MAGIC: &[u8; 8] = b"ASTMEMO_";
/// Files each large record is split into.
const SHARDS: usize = 16;

/// The stages' records.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// Source files as the hash stage last read them, by path.
    pub(crate) sources: NameMap<SourceStamp>,
    /// The output folder's files as the write stage last left them.
    pub(crate) outputs: Written,
    /// Precompressed variants by content MD5, made with the compression
    /// settings `compressed_with` names (`compress::settings_key`).
    pub(crate) compressed: FxHashMap<Md5Digest, Variants>,
    pub(crate) compressed_with: String,
    /// CSS/JS files by logical name, with the settings they were rewritten
    /// with.
    pub(crate) rewrites: Rewrites,
    /// Key of the inputs of the table last written (with `embed`).
    pub(crate) generated_key: Option<String>,
    /// The perfect hash of the logical names last generated.
    pub(crate) name_hash: Option<NameHash>,
    /// Each file as it was read, by name: the XXH3 of its bytes.
    stored: FxHashMap<String, u64>,
}

/// A memo being read: on a thread of its own, or when it is waited for.
pub(crate) enum Loading {
    Reading(JoinHandle<Memo>),
    Deferred(Box<dyn FnOnce() -> Memo + Send>),
}

impl Loading {
    /// The memo; empty where it was missing or could not be read.
    pub(crate) fn wait(self) -> Memo {
        match self {
            Loading::Reading(thread) => thread.join().unwrap_or_default(),
            Loading::Deferred(read) => read(),
        }
    }
}

/// The records besides the three large ones.
type Rest = (FxHashMap<Md5Digest, Variants>, String, Option<String>, Option<NameHash>);

/// The name of shard `k` of a record.
fn shard_name(record: &str, k: usize) -> String {
    format!("{record}-{k:02}.bin")
}

/// The files of a memo as they are read: the payload of each, by name.
struct Files {
    dir: PathBuf,
    stored: FxHashMap<String, u64>,
}

impl Files {
    /// The payload of the file `name`, if it is one of this format; its
    /// hash is kept.
    fn read(&mut self, name: &str) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.dir.join(name)).ok()?;
        let payload = bytes
            .strip_prefix(MAGIC.as_slice())?
            .strip_prefix(FORMAT.to_le_bytes().as_slice())?;
        self.stored.insert(name.to_owned(), xxhash_rust::xxh3::xxh3_64(payload));
        Some(payload.to_vec())
    }

    /// The file `name`, decoded.
    fn decode<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        postcard::from_bytes(&self.read(name)?).ok()
    }

    /// Every shard of a record, decoded; `None` if one is missing or
    /// damaged.
    fn shards<T: DeserializeOwned>(&mut self, record: &str) -> Option<Vec<T>> {
        (0..SHARDS).map(|k| self.decode(&shard_name(record, k))).collect()
    }
}

impl Memo {
    /// Starts reading the memo on another thread ([`Loading::wait`] waits
    /// for it); with `defer`, it is read by `wait` itself, if at all (a
    /// build that patches never needs it).
    pub(crate) fn load(out_dir: &Path, defer: bool) -> Loading {
        let dir = out_dir.join(MEMO_DIR);
        let read = move || Memo::read(dir);
        if defer {
            return Loading::Deferred(Box::new(read));
        }
        match std::thread::Builder::new()
            .name("asset-build-memo".to_owned())
            .spawn(read.clone())
        {
            Ok(thread) => Loading::Reading(thread),
            // No thread: read when waited for.
            Err(_) => Loading::Deferred(Box::new(read)),
        }
    }

    /// Reads every file of the memo in `dir`.
    fn read(dir: PathBuf) -> Memo {
        let mut files = Files {
            dir,
            stored: FxHashMap::default(),
        };
        let sources = files.shards("sources").and_then(NameMap::merge);
        let outputs = files.shards("outputs").and_then(NameMap::merge);
        let rewrites = files
            .shards::<StoredRewritesShard>("rewrites")
            .and_then(Rewrites::merge);
        let rest: Option<Rest> = files.decode("rest.bin");
        let (compressed, compressed_with, generated_key, name_hash) = rest.unwrap_or_default();
        Memo {
            sources: sources.unwrap_or_default(),
            outputs: Written {
                stamps: outputs.unwrap_or_default(),
                ..Written::default()
            },
            compressed,
            compressed_with,
            rewrites: rewrites.unwrap_or_default(),
            generated_key,
            name_hash,
            stored: files.stored,
        }
    }

    /// Saves the memo: encodes every file (the sources' and rewrites' given
    /// already encoded) and writes those whose bytes differ from what was
    /// read, each atomically. A failure only costs speed on the next run:
    /// it is returned for the caller to report as a warning.
    pub(crate) fn save(&self, out_dir: &Path, early: EarlySections) -> std::io::Result<()> {
        let dir = out_dir.join(MEMO_DIR);
        std::fs::create_dir_all(&dir)?;
        let rest = (
            &self.compressed,
            &self.compressed_with,
            &self.generated_key,
            &self.name_hash,
        );
        let mut files = early.files;
        files.extend(encode_shards("outputs", self.outputs.stamps.shards(SHARDS)));
        files.push(("rest.bin".to_owned(), postcard::to_allocvec(&rest)));
        files.into_par_iter().try_for_each(|(name, payload)| {
            let payload = payload.map_err(std::io::Error::other)?;
            if self.stored.get(&name) == Some(&xxhash_rust::xxh3::xxh3_64(&payload)) {
                return Ok(());
            }
            let mut head = MAGIC.to_vec();
            head.extend_from_slice(&FORMAT.to_le_bytes());
            crate::fs::write_atomic_parts(&dir.join(name), &[&head, &payload])
        })
    }
}

/// Each shard's file name and bytes.
fn encode_shards<T: Serialize + Send>(record: &str, shards: Vec<T>) -> Vec<(String, postcard::Result<Vec<u8>>)> {
    shards
        .into_par_iter()
        .enumerate()
        .map(|(k, shard)| (shard_name(record, k), postcard::to_allocvec(&shard)))
        .collect()
}

/// The memo's sources and rewrites files, encoded while the later stages
/// run: neither record changes after the rewrite stage.
pub(crate) struct EarlySections {
    files: Vec<(String, postcard::Result<Vec<u8>>)>,
}

impl EarlySections {
    /// Encodes them; [`Memo::save`] must then be given the same records.
    pub(crate) fn encode(sources: &NameMap<SourceStamp>, rewrites: &Rewrites) -> EarlySections {
        let (mut files, rewrites) = rayon::join(
            || encode_shards("sources", sources.shards(SHARDS)),
            || encode_shards("rewrites", rewrites.shards(SHARDS)),
        );
        files.extend(rewrites);
        EarlySections { files }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(md5: u8) -> SourceStamp {
        SourceStamp {
            size: 3,
            mtime_ns: 4,
            md5: [md5; 16],
            integrity: "sha384-x".to_owned(),
        }
    }

    fn save(memo: &Memo, dir: &Path) {
        let early = EarlySections::encode(&memo.sources, &memo.rewrites);
        memo.save(dir, early).unwrap();
    }

    /// The memo's files and their modification times.
    fn stamps(dir: &Path) -> Vec<(String, std::time::SystemTime)> {
        let mut all: Vec<_> = std::fs::read_dir(dir.join(MEMO_DIR))
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.file_name().into_string().unwrap(),
                    e.metadata().unwrap().modified().unwrap(),
                )
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn a_memo_round_trips_rewrites_only_the_files_that_changed_and_a_damaged_file_empties_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut memo = Memo {
            generated_key: Some("key".to_owned()),
            ..Memo::default()
        };
        for i in 0..200u8 {
            memo.sources.insert(format!("src/{i}.css").as_bytes(), stamp(i));
        }
        save(&memo, dir.path());
        let read = |dir: &Path| Memo::load(dir, false).wait();
        let loaded = read(dir.path());
        assert_eq!(loaded.sources.len(), 200);
        assert_eq!(loaded.sources.get(b"src/7.css").unwrap().md5, [7; 16]);
        assert_eq!(loaded.generated_key.as_deref(), Some("key"));
        assert_eq!(Memo::load(dir.path(), true).wait().sources.len(), 200);

        // One record changed: its shard is written again, no other file.
        let before = stamps(dir.path());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut loaded = loaded;
        loaded.sources.insert(b"src/7.css", stamp(77));
        save(&loaded, dir.path());
        let after = stamps(dir.path());
        let rewritten: Vec<&String> = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| b.1 != a.1)
            .map(|(b, _)| &b.0)
            .collect();
        let shard = shard_name("sources", NameMap::<SourceStamp>::shard_of(b"src/7.css", SHARDS));
        assert_eq!(rewritten, [&shard]);
        assert_eq!(read(dir.path()).sources.get(b"src/7.css").unwrap().md5, [77; 16]);

        // A damaged shard empties its record, not the others.
        let path = dir.path().join(MEMO_DIR).join(&shard);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let damaged = read(dir.path());
        assert!(damaged.sources.is_empty());
        assert_eq!(damaged.generated_key.as_deref(), Some("key"));
        // Another format is not read.
        let rest = dir.path().join(MEMO_DIR).join("rest.bin");
        let mut other = std::fs::read(&rest).unwrap();
        other[MAGIC.len()] ^= 1;
        std::fs::write(&rest, &other).unwrap();
        assert_eq!(read(dir.path()).generated_key, None);
        std::fs::remove_dir_all(dir.path().join(MEMO_DIR)).unwrap();
        assert!(read(dir.path()).sources.is_empty(), "missing");
    }
}
