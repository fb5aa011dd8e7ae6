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
//! The file is binary ([`postcard`]), behind a magic number and the format
//! version, in four sections, each encoded on its own so that they are
//! encoded on all cores. It is read and decoded on another thread while
//! the build lists the sources (or only when the stages run, when a patch
//! is likely), and replaced atomically, so a killed build leaves the last
//! one whole.

use std::io::Read as _;
use std::path::Path;
use std::thread::JoinHandle;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::generate::NameHash;
use crate::hash::{Md5Digest, SourceStamp};
use crate::ledger::FORMAT;
use crate::name_map::NameMap;
use crate::output::Written;
use crate::rewrite::Rewrites;
use crate::variant_cache::Variants;

const MEMO_FILE: &str = "asset-build-memo.bin";
const MAGIC: &[u8; 8] = b"ASTMEMO_";

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
}

/// A memo being read: on a thread of its own, or when it is waited for.
pub(crate) enum Loading {
    Missing,
    Reading(JoinHandle<Memo>),
    Deferred(Box<dyn FnOnce() -> Memo + Send>),
}

impl Loading {
    /// The memo; empty if it was missing or could not be read.
    pub(crate) fn wait(self) -> Memo {
        match self {
            Loading::Missing => Memo::default(),
            Loading::Reading(thread) => thread.join().unwrap_or_default(),
            Loading::Deferred(read) => read(),
        }
    }
}

/// The sections besides the three large ones.
type Rest = (FxHashMap<Md5Digest, Variants>, String, Option<String>, Option<NameHash>);

impl Memo {
    /// Starts reading the memo on another thread ([`Loading::wait`] waits
    /// for it); with `defer`, it is read by `wait` itself, if at all (a
    /// build that patches never needs it).
    pub(crate) fn load(out_dir: &Path, defer: bool) -> Loading {
        let Ok(mut file) = std::fs::File::open(out_dir.join(MEMO_FILE)) else {
            return Loading::Missing;
        };
        let read = move || {
            let mut bytes = Vec::new();
            match file.read_to_end(&mut bytes) {
                Ok(_) => Memo::decode(&bytes).unwrap_or_default(),
                Err(_) => Memo::default(),
            }
        };
        if defer {
            return Loading::Deferred(Box::new(read));
        }
        match std::thread::Builder::new()
            .name("asset-build-memo".to_owned())
            .spawn(read)
        {
            Ok(thread) => Loading::Reading(thread),
            // No thread: the stages start from an empty memo.
            Err(_) => Loading::Missing,
        }
    }

    /// Saves the memo, with the sections encoded early if given (of the
    /// records it holds now), atomically. A failure only costs speed on
    /// the next run: it is returned for the caller to report as a warning.
    pub(crate) fn save(&self, out_dir: &Path, early: Option<EarlySections>) -> std::io::Result<()> {
        let sections = self.encode(early)?;
        let lengths = sections.each_ref().map(|s| (s.len() as u64).to_le_bytes());
        let mut head = MAGIC.to_vec();
        head.extend_from_slice(&FORMAT.to_le_bytes());
        let mut parts: Vec<&[u8]> = vec![&head];
        for (length, section) in lengths.iter().zip(&sections) {
            parts.extend([length.as_slice(), section.as_slice()]);
        }
        crate::fs::write_atomic_parts(&out_dir.join(MEMO_FILE), &parts)
    }

    /// The memo's four sections (sources, outputs, rewrites, the rest),
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
            &self.name_hash,
        );
        let ((early, outputs), rest) = rayon::join(
            || {
                rayon::join(
                    || early.unwrap_or_else(|| EarlySections::encode(&self.sources, &self.rewrites)),
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

    /// Decodes what [`save`](Self::save) wrote; `None` if it is of another
    /// format, or any section is damaged.
    fn decode(bytes: &[u8]) -> Option<Memo> {
        let mut rest = bytes
            .strip_prefix(MAGIC.as_slice())?
            .strip_prefix(FORMAT.to_le_bytes().as_slice())?;
        let mut sections = [&[][..]; 4];
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
        let (compressed, compressed_with, generated_key, name_hash) = postcard::from_bytes::<Rest>(others).ok()?;
        Some(Memo {
            sources: postcard::from_bytes(sources).ok()?,
            outputs: postcard::from_bytes(outputs).ok()?,
            compressed,
            compressed_with,
            rewrites: postcard::from_bytes(rewrites).ok()?,
            generated_key,
            name_hash,
        })
    }
}

/// The memo's sources and rewrites sections, encoded while the later
/// stages run: neither changes after the rewrite stage.
pub(crate) struct EarlySections {
    sources: postcard::Result<Vec<u8>>,
    rewrites: postcard::Result<Vec<u8>>,
}

impl EarlySections {
    /// Encodes them; [`Memo::save`] must then be given the same records.
    pub(crate) fn encode(sources: &NameMap<SourceStamp>, rewrites: &Rewrites) -> EarlySections {
        let (sources, rewrites) = rayon::join(|| postcard::to_allocvec(sources), || postcard::to_allocvec(rewrites));
        EarlySections { sources, rewrites }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_round_trips_and_a_damaged_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut memo = Memo {
            generated_key: Some("key".to_owned()),
            ..Memo::default()
        };
        let stamp = SourceStamp {
            size: 3,
            mtime_ns: 4,
            md5: [5; 16],
            integrity: "sha384-x".to_owned(),
        };
        memo.sources.insert(b"a.css", stamp);
        memo.save(dir.path(), None).unwrap();
        let read = |dir: &Path| Memo::load(dir, false).wait();
        let loaded = read(dir.path());
        assert_eq!(loaded.sources.get(b"a.css").unwrap().md5, [5; 16]);
        assert_eq!(loaded.generated_key.as_deref(), Some("key"));
        assert_eq!(
            Memo::load(dir.path(), true).wait().generated_key.as_deref(),
            Some("key")
        );

        let path = dir.path().join(MEMO_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(read(dir.path()).generated_key, None, "truncated");
        let mut other_format = bytes.clone();
        other_format[MAGIC.len()] ^= 1;
        std::fs::write(&path, &other_format).unwrap();
        assert_eq!(read(dir.path()).generated_key, None, "another format");
        std::fs::remove_file(&path).unwrap();
        assert!(read(dir.path()).sources.is_empty(), "missing");
    }
}
