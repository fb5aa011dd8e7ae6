//! What the previous build saw and wrote, kept in `OUT_DIR`, so that a
//! rerun reads only changed files and rewrites only changed outputs. Each
//! stage defines the record it keeps; this module only gathers them into
//! one file, loaded before the stages run and saved after.
//!
//! - A source file is identified by (path, size, modification time); if
//!   all three match, its recorded MD5 is reused without reading it.
//! - A CSS/JS file whose MD5 and whose references' hashed names are
//!   unchanged keeps its recorded hashed name without being read or
//!   rewritten.
//! - An output file is trusted to hold what the last build wrote there
//!   while no folder of the output tree has changed since (a file created,
//!   removed or renamed in a folder changes the folder's modification
//!   time); otherwise each one is checked against its recorded (size,
//!   modification time, inode).
//! - When the configuration and the list of source files with their
//!   stamps are exactly those of the last build ([`Finished`]), and the
//!   output tree and generated files are as it left them, the build has
//!   nothing to do and the stages do not run at all.
//!
//! The file is binary ([`postcard`]), behind a magic number and a format
//! version, in two parts: a small [`Head`] (the [`Finished`] record and the
//! dependency crates' folders), which is all a build with nothing to do
//! decodes, then the stages' records ([`Body`]) in a few sections, each
//! encoded on its own so that they are encoded on all cores. Only the head
//! is read before the build goes on: another thread reads the body and
//! decodes it while the build lists the source folders, and the build
//! waits for it only when the stages run. A cache that is missing,
//! unreadable, of another version or truncated is an empty cache, and the
//! build does everything again. It is replaced atomically, so a killed
//! build leaves the previous one whole.
//!
//! A rebuild after an edit changes a few records of tens of thousands: it
//! writes those alone ([`NameMap::changes`]), with the head, to a small
//! changes file beside the cache file, which names the cache file it
//! applies to. A load applies them to the body it decodes, and takes the
//! head from them. Once the changes are more than 1,024 plus an eighth of
//! the records, the whole cache is written again under a new name, which leaves any
//! changes file from before ignored (it names another), then removed.

use std::hash::BuildHasher as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::dependency_assets::DependencyAssets;
use crate::generate::NameHash;
use crate::hash::{Md5Digest, SourceStamp};
use crate::name_map::NameMap;
use crate::output::{StoredWrittenChanges, Written, WrittenChanges};
use crate::rewrite::{Rewrites, RewritesChanges, StoredRewritesChanges};
use crate::variant_cache::Variants;

const CACHE_FILE: &str = "asset-build-cache.bin";
/// Beside [`CACHE_FILE`]: the head, and the records changed since it was
/// written.
const CHANGES_FILE: &str = "asset-build-cache.changes";
const MAGIC: &[u8; 8] = b"ASTCACHE";
const VERSION: u32 = 20;

/// The whole cache: a small head, read first, and the stages' records.
#[derive(Debug, Default)]
pub(crate) struct BuildCache {
    pub(crate) head: Head,
    pub(crate) body: Body,
    /// The body as stored, until [`read_body`](Self::read_body).
    stored: Option<Stored>,
    /// The identity of the cache file loaded, which a changes file names.
    base: Option<u64>,
    /// The records of the changes file loaded, as stored.
    changes: Option<Vec<u8>>,
}

/// The stored body's bytes, and its records if they decode.
type StoredBody = (Vec<u8>, Option<Body>);

/// Reading and decoding the stored body: on a thread of its own, or not
/// started yet.
enum Stored {
    Reading(JoinHandle<StoredBody>),
    Deferred(Box<dyn FnOnce() -> StoredBody + Send>),
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stored::Reading(_) => "Reading",
            Stored::Deferred(_) => "Deferred",
        })
    }
}

impl Stored {
    fn wait(self) -> StoredBody {
        match self {
            Stored::Reading(thread) => thread.join().unwrap_or_default(),
            Stored::Deferred(read) => read(),
        }
    }
}

/// What a build needs before it knows whether it has anything to do.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Head {
    /// Asset folders of dependency crates, as `cargo metadata` last found them.
    pub(crate) dependency_assets: Option<DependencyAssets>,
    /// The last build as a whole, when a rerun with the same inputs may
    /// skip every stage.
    pub(crate) finished: Option<Finished>,
}

/// The records of the stages, read when a build runs them.
#[derive(Debug, Default)]
pub(crate) struct Body {
    /// Source files as the hash stage last read them, by path.
    pub(crate) sources: NameMap<SourceStamp>,
    /// The output folder as the write stage last left it.
    pub(crate) outputs: Written,
    /// Precompressed variants by content MD5, made with the compression
    /// settings `compressed_with` names (`compress::settings_key`).
    pub(crate) compressed: FxHashMap<Md5Digest, Variants>,
    pub(crate) compressed_with: String,
    /// CSS/JS files by logical name, with the settings they were rewritten
    /// with.
    pub(crate) rewrites: Rewrites,
    /// Key of the inputs of the generated Rust file last written.
    pub(crate) generated_key: Option<String>,
    /// The (size, modification time) of the table and the embedded data
    /// once the build that computed `generated_key` wrote them: a build
    /// killed after writing them and before saving this cache leaves other
    /// stamps, and the next build writes them again.
    pub(crate) generated_files: Vec<(u64, u64)>,
    /// The perfect hash of the logical names last generated.
    pub(crate) name_hash: Option<NameHash>,
}

/// A build that completed, and what a rerun with the same inputs reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Finished {
    /// Digest of the configuration and of every source file's path, size
    /// and modification time. Recorded only when no source file was
    /// modified within the racy window before the build.
    pub(crate) inputs: Md5Digest,
    /// The output tree's folders as the build left them (see
    /// [`output::trust`](crate::output::trust)).
    pub(crate) output_tree: Written,
    /// The generated files (Rust, table, embedded data) with their size
    /// and modification time.
    pub(crate) generated: Vec<(PathBuf, u64, u64)>,
    pub(crate) assets: usize,
    pub(crate) outputs: usize,
    pub(crate) manifest_hash: String,
    pub(crate) warnings: Vec<String>,
}

impl BuildCache {
    /// Loads the cache's head and starts decoding the body on another
    /// thread ([`read_body`](Self::read_body) waits for it); with `defer`,
    /// the body is read by `read_body` itself, if at all (a build that
    /// will likely not need it leaves the cores to its other work). A
    /// missing, unreadable or outdated cache is empty.
    pub(crate) fn load(out_dir: &Path, defer: bool) -> BuildCache {
        let Ok(mut file) = std::fs::File::open(out_dir.join(CACHE_FILE)) else {
            return BuildCache::default();
        };
        // The head is small: read until it decodes, and leave the body,
        // tens of megabytes at tens of thousands of assets, to the thread
        // that decodes it.
        let mut bytes = Vec::new();
        let mut want = 64 * 1024;
        let (base, mut head, at) = loop {
            let asked = want - bytes.len();
            let Ok(got) = (&mut file).take(asked as u64).read_to_end(&mut bytes) else {
                return BuildCache::default();
            };
            match split_head(&bytes) {
                Some(Ok((base, head, body))) => break (base, head, bytes.len() - body.len()),
                Some(Err(postcard::Error::DeserializeUnexpectedEnd)) if got == asked => want *= 4,
                _ => return BuildCache::default(),
            }
        };
        bytes.drain(..at);
        // The changes since, if any were saved over this very file: the
        // latest head, and records to apply to the body's.
        let changes = std::fs::read(out_dir.join(CHANGES_FILE)).ok().and_then(|stored| {
            let Some(Ok((of, head, records))) = split_head(&stored) else {
                return None;
            };
            (of == base).then(|| (head, records.to_vec()))
        });
        let changes = changes.map(|(latest, records)| {
            head = latest;
            records
        });
        let records = changes.clone();
        let read = move || {
            let mut body = bytes;
            match file.read_to_end(&mut body) {
                Ok(_) => {
                    let decoded = Body::decode(&body).and_then(|mut decoded| {
                        if let Some(records) = &records {
                            decoded.apply(records)?;
                        }
                        Some(decoded)
                    });
                    (body, decoded)
                }
                Err(_) => (Vec::new(), None),
            }
        };
        // A build with nothing to do never waits for it.
        let stored = if defer {
            Stored::Deferred(Box::new(read))
        } else {
            match std::thread::Builder::new()
                .name("asset-build-cache".to_owned())
                .spawn(read)
            {
                Ok(thread) => Stored::Reading(thread),
                // No thread: the stages start from an empty body.
                Err(_) => {
                    return BuildCache {
                        head,
                        ..BuildCache::default()
                    };
                }
            }
        };
        BuildCache {
            head,
            body: Body::default(),
            stored: Some(stored),
            base: Some(base),
            changes,
        }
    }

    /// Waits for the stages' records to be decoded; undecodable ones are
    /// empty, and the build does everything again.
    pub(crate) fn read_body(&mut self) {
        if let Some(stored) = self.stored.take() {
            self.body = stored.wait().1.unwrap_or_default();
        }
    }

    /// Saves the cache, with the sections encoded early if given (of the
    /// records the body holds now). A failure only costs speed on the next
    /// run, so it is returned for the caller to report as a warning.
    ///
    /// When the body was decoded and few of its records changed, only the
    /// head and those records are written, to [`CHANGES_FILE`], which names
    /// the cache file they apply to; otherwise the whole cache is written
    /// under a new identity (a changes file left from before then names
    /// another, and is ignored), and the changes file removed. Each file is
    /// replaced atomically: a killed build leaves the last cache whole.
    pub(crate) fn save(&mut self, out_dir: &Path, early: Option<EarlySections>) -> std::io::Result<()> {
        let path = out_dir.join(CACHE_FILE);
        let changes_path = out_dir.join(CHANGES_FILE);
        let head_of = |base: u64| -> std::io::Result<Vec<u8>> {
            let mut head = Vec::with_capacity(1 << 12);
            head.extend_from_slice(MAGIC);
            head.extend_from_slice(&VERSION.to_le_bytes());
            head.extend_from_slice(&base.to_le_bytes());
            postcard::to_extend(&self.head, head).map_err(std::io::Error::other)
        };
        match self.stored.take() {
            // The body was never read: keep it, and its changes, as they
            // were stored.
            Some(stored) => match (&self.changes, self.base) {
                (Some(records), Some(base)) => {
                    crate::fs::write_atomic_parts(&changes_path, &[&head_of(base)?, records])
                }
                _ => {
                    // Under a new identity: a changes file this build did
                    // not read (it could not) must not override this head.
                    let (body, _) = stored.wait();
                    crate::fs::write_atomic_parts(&path, &[&head_of(new_identity())?, &body])?;
                    remove_changes(&changes_path)
                }
            },
            None => {
                if let Some(base) = self.base
                    && let Some(changes) = self.body.changes()
                {
                    let records = postcard::to_allocvec(&changes).map_err(std::io::Error::other)?;
                    return crate::fs::write_atomic_parts(&changes_path, &[&head_of(base)?, &records]);
                }
                let base = new_identity();
                let sections = self.body.encode(early)?;
                let lengths = sections.each_ref().map(|s| (s.len() as u64).to_le_bytes());
                let head = head_of(base)?;
                let mut parts: Vec<&[u8]> = vec![&head];
                for (length, section) in lengths.iter().zip(&sections) {
                    parts.extend([length.as_slice(), section.as_slice()]);
                }
                crate::fs::write_atomic_parts(&path, &parts)?;
                remove_changes(&changes_path)
            }
        }
    }
}

/// Removes the changes file, if there is one.
fn remove_changes(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The identity of a cache file, written in it and in the changes file
/// that applies to it: the time and the process, which no other cache
/// file of this folder shares.
fn new_identity() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    rustc_hash::FxBuildHasher.hash_one((nanos, std::process::id()))
}

/// Splits a cache or changes file into the identity of the cache file, the
/// head, and the rest; `None` if it is not one of this version.
fn split_head(bytes: &[u8]) -> Option<postcard::Result<(u64, Head, &[u8])>> {
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())?
        .strip_prefix(VERSION.to_le_bytes().as_slice())?;
    let Some((base, rest)) = rest.split_first_chunk::<8>() else {
        return Some(Err(postcard::Error::DeserializeUnexpectedEnd));
    };
    Some(postcard::take_from_bytes::<Head>(rest).map(|(head, body)| (u64::from_le_bytes(*base), head, body)))
}

/// The body's sections besides the three large ones.
type Rest = (
    FxHashMap<Md5Digest, Variants>,
    String,
    Option<String>,
    Vec<(u64, u64)>,
    Option<NameHash>,
);

/// The body's sources and rewrites sections, encoded while the later
/// stages run: neither changes after the rewrite stage.
pub(crate) struct EarlySections {
    sources: postcard::Result<Vec<u8>>,
    rewrites: postcard::Result<Vec<u8>>,
}

impl EarlySections {
    /// Encodes them; `save` must then be given the same records. `None`
    /// when few of them changed since they were decoded: the cache will
    /// likely store the changes alone (see [`BuildCache::save`]).
    pub(crate) fn encode(sources: &NameMap<SourceStamp>, rewrites: &Rewrites) -> Option<EarlySections> {
        let records = &rewrites.records;
        let changed = sources.changed() + records.changed();
        if sources.decoded() && records.decoded() && few(changed, sources.len() + records.len()) {
            return None;
        }
        Some(EarlySections::encode_now(sources, rewrites))
    }

    fn encode_now(sources: &NameMap<SourceStamp>, rewrites: &Rewrites) -> EarlySections {
        let (sources, rewrites) = rayon::join(|| postcard::to_allocvec(sources), || postcard::to_allocvec(rewrites));
        EarlySections { sources, rewrites }
    }
}

/// Whether `changed` records of `all` are few enough to be stored as
/// changes: their cost is paid again by every load until the whole cache
/// is written.
fn few(changed: usize, all: usize) -> bool {
    changed <= 1024 + all / 8
}

/// What changed in the body since it was decoded, as the changes file
/// stores it: per large section, the records that changed; the rest whole.
type Changes<'a> = (
    NameMap<Option<&'a SourceStamp>>,
    WrittenChanges<'a>,
    RewritesChanges<'a>,
    (
        &'a FxHashMap<Md5Digest, Variants>,
        &'a String,
        &'a Option<String>,
        &'a Vec<(u64, u64)>,
        &'a Option<NameHash>,
    ),
);

/// [`Changes`] as decoded.
type StoredChanges = (
    NameMap<Option<SourceStamp>>,
    StoredWrittenChanges,
    StoredRewritesChanges,
    Rest,
);

impl Body {
    /// What changed since the body was decoded, if it was and few of its
    /// records changed: storing those alone is then worth it.
    fn changes(&self) -> Option<Changes<'_>> {
        let changed = self.sources.changed() + self.outputs.stamps.changed() + self.rewrites.records.changed();
        let all = self.sources.len() + self.outputs.stamps.len() + self.rewrites.records.len();
        if !few(changed, all) {
            return None;
        }
        Some((
            self.sources.changes()?,
            self.outputs.changes()?,
            self.rewrites.changes()?,
            (
                &self.compressed,
                &self.compressed_with,
                &self.generated_key,
                &self.generated_files,
                &self.name_hash,
            ),
        ))
    }

    /// Applies the records of a changes file; `None` if they do not decode.
    fn apply(&mut self, records: &[u8]) -> Option<()> {
        let (sources, outputs, rewrites, (compressed, compressed_with, generated_key, generated_files, name_hash)): StoredChanges =
            postcard::from_bytes(records).ok()?;
        self.sources.apply(sources);
        self.outputs.apply(outputs);
        self.rewrites.apply(rewrites);
        self.compressed = compressed;
        self.compressed_with = compressed_with;
        self.generated_key = generated_key;
        self.generated_files = generated_files;
        self.name_hash = name_hash;
        Some(())
    }

    /// The body's four sections (sources, outputs, rewrites, the rest),
    /// each the postcard bytes of its records, encoded on all cores. Stored
    /// one after another, each after its length as a little-endian `u64`.
    fn encode(&self, early: Option<EarlySections>) -> std::io::Result<[Vec<u8>; 4]> {
        fn section<T: Serialize>(value: &T) -> postcard::Result<Vec<u8>> {
            postcard::to_allocvec(value)
        }
        let rest = (
            &self.compressed,
            &self.compressed_with,
            &self.generated_key,
            &self.generated_files,
            &self.name_hash,
        );
        let ((early, outputs), rest) = rayon::join(
            || {
                rayon::join(
                    || early.unwrap_or_else(|| EarlySections::encode_now(&self.sources, &self.rewrites)),
                    || section(&self.outputs),
                )
            },
            || section(&rest),
        );
        let encoded = |part: postcard::Result<Vec<u8>>| part.map_err(std::io::Error::other);
        Ok([
            encoded(early.sources)?,
            encoded(outputs)?,
            encoded(early.rewrites)?,
            encoded(rest)?,
        ])
    }

    /// Decodes what [`encode`](Self::encode) wrote; `None` if any section
    /// is damaged.
    fn decode(bytes: &[u8]) -> Option<Body> {
        let mut sections = [&[][..]; 4];
        let mut rest = bytes;
        for section in &mut sections {
            let (len, after) = rest.split_first_chunk::<8>()?;
            let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
            if after.len() < len {
                return None;
            }
            (*section, rest) = after.split_at(len);
        }
        if !rest.is_empty() {
            return None;
        }
        let [sources, outputs, rewrites, others] = sections;
        let (sources, outputs) = (postcard::from_bytes(sources), postcard::from_bytes(outputs));
        let (rewrites, others) = (postcard::from_bytes(rewrites), postcard::from_bytes::<Rest>(others));
        let (compressed, compressed_with, generated_key, generated_files, name_hash) = others.ok()?;
        Some(Body {
            sources: sources.ok()?,
            outputs: outputs.ok()?,
            compressed,
            compressed_with,
            rewrites: rewrites.ok()?,
            generated_key,
            generated_files,
            name_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_round_trips_and_a_damaged_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = BuildCache::default();
        cache.body.generated_key = Some("key".to_owned());
        let stamp = SourceStamp {
            size: 3,
            mtime_ns: 4,
            md5: [5; 16],
            integrity: "sha384-x".to_owned(),
        };
        cache.body.sources.insert(b"a.css", stamp);
        cache.body.outputs.dir = dir.path().to_owned();
        cache.save(dir.path(), None).unwrap();
        let mut loaded = BuildCache::load(dir.path(), false);
        loaded.read_body();
        assert_eq!(loaded.body.sources.get(b"a.css").unwrap().md5, [5; 16]);
        assert_eq!(loaded.body.outputs.dir, dir.path());
        let read = |dir: &Path| {
            let mut cache = BuildCache::load(dir, false);
            cache.read_body();
            cache.body.generated_key
        };
        assert_eq!(read(dir.path()).as_deref(), Some("key"));
        // A cache saved without its body read keeps it.
        BuildCache::load(dir.path(), false).save(dir.path(), None).unwrap();
        assert_eq!(read(dir.path()).as_deref(), Some("key"));

        let path = dir.path().join(CACHE_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(read(dir.path()), None, "truncated");
        let mut other_version = bytes.clone();
        other_version[MAGIC.len()] ^= 1;
        std::fs::write(&path, &other_version).unwrap();
        assert_eq!(read(dir.path()), None, "another version");
    }

    #[test]
    fn a_head_larger_than_the_first_read_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = BuildCache::default();
        // About 400 KB of warnings: the head is read in several steps.
        let warnings: Vec<String> = (0..4000).map(|i| format!("warning {i}: {}", "x".repeat(90))).collect();
        cache.head.finished = Some(Finished {
            inputs: [1; 16],
            output_tree: Written::default(),
            generated: Vec::new(),
            assets: 7,
            outputs: 8,
            manifest_hash: "hash".to_owned(),
            warnings: warnings.clone(),
        });
        cache.body.generated_key = Some("key".to_owned());
        cache.save(dir.path(), None).unwrap();
        let mut loaded = BuildCache::load(dir.path(), false);
        assert_eq!(loaded.head.finished.as_ref().unwrap().warnings, warnings);
        loaded.read_body();
        assert_eq!(loaded.body.generated_key.as_deref(), Some("key"));

        // Cut inside the head: nothing is trusted.
        let path = dir.path().join(CACHE_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..200_000]).unwrap();
        let loaded = BuildCache::load(dir.path(), false);
        assert!(loaded.head.finished.is_none());
    }

    fn stamp(md5: u8) -> SourceStamp {
        SourceStamp {
            size: 3,
            mtime_ns: 4,
            md5: [md5; 16],
            integrity: String::new(),
        }
    }

    fn loaded(dir: &Path) -> BuildCache {
        let mut cache = BuildCache::load(dir, false);
        cache.read_body();
        cache
    }

    /// The source names with a record, and their MD5s' first byte.
    fn sources(cache: &BuildCache) -> Vec<(String, u8)> {
        let mut all: Vec<(String, u8)> = cache
            .body
            .sources
            .iter()
            .map(|(name, s)| (String::from_utf8_lossy(name).into_owned(), s.md5[0]))
            .collect();
        all.sort();
        all
    }

    fn finished(assets: usize) -> Finished {
        Finished {
            inputs: [1; 16],
            output_tree: Written::default(),
            generated: Vec::new(),
            assets,
            outputs: 0,
            manifest_hash: String::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn few_changes_are_saved_alone_and_applied_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let base_path = dir.path().join(CACHE_FILE);
        let changes_path = dir.path().join(CHANGES_FILE);
        let mut cache = BuildCache::default();
        cache.body.sources.insert(b"a.css", stamp(1));
        cache.body.sources.insert(b"b.css", stamp(2));
        cache.save(dir.path(), None).unwrap();
        assert!(!changes_path.exists(), "records made anew are saved whole");
        let base = std::fs::read(&base_path).unwrap();

        // Records decoded, a few changed: the changes alone are saved.
        let mut cache = loaded(dir.path());
        cache.body.sources.insert(b"c.css", stamp(3));
        cache.body.sources.remove(b"b.css");
        cache.body.generated_key = Some("k2".to_owned());
        cache.head.finished = Some(finished(2));
        cache.save(dir.path(), None).unwrap();
        assert_eq!(
            std::fs::read(&base_path).unwrap(),
            base,
            "the cache file is left as it was"
        );
        let cache = loaded(dir.path());
        assert_eq!(sources(&cache), [("a.css".to_owned(), 1), ("c.css".to_owned(), 3)]);
        assert_eq!(cache.body.generated_key.as_deref(), Some("k2"));
        assert_eq!(cache.head.finished.as_ref().unwrap().assets, 2);

        // The changes add up from one build to the next.
        let mut cache = loaded(dir.path());
        cache.body.sources.get_mut(b"a.css").unwrap().md5 = [9; 16];
        cache.save(dir.path(), None).unwrap();
        assert_eq!(std::fs::read(&base_path).unwrap(), base);
        let cache = loaded(dir.path());
        assert_eq!(sources(&cache), [("a.css".to_owned(), 9), ("c.css".to_owned(), 3)]);

        // A build with nothing to do saves its head and keeps the changes.
        let mut cache = BuildCache::load(dir.path(), false);
        cache.head.finished = Some(finished(5));
        cache.save(dir.path(), None).unwrap();
        let cache = loaded(dir.path());
        assert_eq!(cache.head.finished.as_ref().unwrap().assets, 5);
        assert_eq!(sources(&cache), [("a.css".to_owned(), 9), ("c.css".to_owned(), 3)]);

        // Many changes: the whole cache is saved again, and the changes
        // file goes.
        let stale = std::fs::read(&changes_path).unwrap();
        let mut cache = loaded(dir.path());
        for i in 0..2000 {
            cache.body.sources.insert(format!("new{i}.css").as_bytes(), stamp(4));
        }
        cache.head.finished = Some(finished(2002));
        cache.save(dir.path(), None).unwrap();
        assert!(!changes_path.exists());
        assert_ne!(std::fs::read(&base_path).unwrap(), base);
        let cache = loaded(dir.path());
        assert_eq!(cache.body.sources.len(), 2002);
        assert_eq!(cache.body.sources.get(b"a.css").unwrap().md5, [9; 16]);

        // A changes file of an earlier cache file (a build killed between
        // writing the cache file and removing it) is ignored.
        std::fs::write(&changes_path, &stale).unwrap();
        let cache = loaded(dir.path());
        assert_eq!(cache.body.sources.len(), 2002);
        assert_eq!(cache.head.finished.as_ref().unwrap().assets, 2002);

        // A changes file that could not be read: a build with nothing to
        // do saves its head under a new identity and removes it, so that
        // it cannot override that head later.
        let mut unread = std::fs::read(&base_path).unwrap()[..MAGIC.len() + 4 + 8].to_vec();
        unread.push(0xff);
        std::fs::write(&changes_path, &unread).unwrap();
        let mut cache = BuildCache::load(dir.path(), false);
        cache.head.finished = Some(finished(7));
        cache.save(dir.path(), None).unwrap();
        assert!(!changes_path.exists());
        let cache = loaded(dir.path());
        assert_eq!(cache.head.finished.as_ref().unwrap().assets, 7);
        assert_eq!(cache.body.sources.len(), 2002);

        // Damaged changes are not applied in part: the records are empty,
        // and the build does everything again.
        let mut cache = loaded(dir.path());
        cache.body.sources.remove(b"a.css");
        cache.save(dir.path(), None).unwrap();
        let changes = std::fs::read(&changes_path).unwrap();
        std::fs::write(&changes_path, &changes[..changes.len() - 1]).unwrap();
        let cache = loaded(dir.path());
        assert!(cache.body.sources.is_empty());
    }
}
