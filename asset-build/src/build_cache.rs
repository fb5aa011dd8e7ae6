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

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::compress::Variants;
use crate::dependency_assets::DependencyAssets;
use crate::generate::NameHash;
use crate::hash::{Md5Digest, SourceStamp};
use crate::name_map::NameMap;
use crate::output::Written;
use crate::rewrite::Rewrites;

const CACHE_FILE: &str = "asset-build-cache.bin";
const MAGIC: &[u8; 8] = b"ASTCACHE";
const VERSION: u32 = 14;

/// The whole cache: a small head, read first, and the stages' records.
#[derive(Debug, Default)]
pub(crate) struct BuildCache {
    pub(crate) head: Head,
    pub(crate) body: Body,
    /// The body as stored, until [`read_body`](Self::read_body).
    stored: Option<Stored>,
}

/// The stored body's bytes, and its records if they decode.
type StoredBody = (Vec<u8>, Option<Body>);

/// The thread reading and decoding the stored body.
#[derive(Debug)]
struct Stored(JoinHandle<StoredBody>);

impl Stored {
    fn wait(self) -> StoredBody {
        self.0.join().unwrap_or_default()
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
    /// Precompressed variants by content MD5 (hex).
    pub(crate) compressed: FxHashMap<String, Variants>,
    /// CSS/JS files by logical name, with the settings they were rewritten
    /// with.
    pub(crate) rewrites: Rewrites,
    /// Key of the inputs of the generated Rust file last written.
    pub(crate) generated_key: Option<String>,
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
    /// thread ([`read_body`](Self::read_body) waits for it). A missing,
    /// unreadable or outdated cache is empty.
    pub(crate) fn load(out_dir: &Path) -> BuildCache {
        let Ok(mut file) = std::fs::File::open(out_dir.join(CACHE_FILE)) else {
            return BuildCache::default();
        };
        // The head is small: read until it decodes, and leave the body,
        // tens of megabytes at tens of thousands of assets, to the thread
        // that decodes it.
        let mut bytes = Vec::new();
        let mut want = 64 * 1024;
        let (head, at) = loop {
            let asked = want - bytes.len();
            let Ok(got) = (&mut file).take(asked as u64).read_to_end(&mut bytes) else {
                return BuildCache::default();
            };
            let head = bytes
                .strip_prefix(MAGIC.as_slice())
                .and_then(|rest| rest.strip_prefix(VERSION.to_le_bytes().as_slice()))
                .map(postcard::take_from_bytes::<Head>);
            match head {
                Some(Ok((head, body))) => break (head, bytes.len() - body.len()),
                Some(Err(postcard::Error::DeserializeUnexpectedEnd)) if got == asked => want *= 4,
                _ => return BuildCache::default(),
            }
        };
        bytes.drain(..at);
        let read = move || {
            let mut body = bytes;
            match file.read_to_end(&mut body) {
                Ok(_) => {
                    let decoded = Body::decode(&body);
                    (body, decoded)
                }
                Err(_) => (Vec::new(), None),
            }
        };
        // A build with nothing to do never waits for it.
        let stored = match std::thread::Builder::new()
            .name("asset-build-cache".to_owned())
            .spawn(read)
        {
            Ok(thread) => Stored(thread),
            // No thread: the stages start from an empty body.
            Err(_) => {
                return BuildCache {
                    head,
                    ..BuildCache::default()
                };
            }
        };
        BuildCache {
            head,
            body: Body::default(),
            stored: Some(stored),
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
    pub(crate) fn save(&mut self, out_dir: &Path, early: Option<EarlySections>) -> std::io::Result<()> {
        let mut head = Vec::with_capacity(1 << 12);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&VERSION.to_le_bytes());
        let head = postcard::to_extend(&self.head, head).map_err(std::io::Error::other)?;
        let path = out_dir.join(CACHE_FILE);
        match self.stored.take() {
            // The body was never read: keep it as it was stored.
            Some(stored) => {
                let (body, _) = stored.wait();
                crate::fs::write_atomic_parts(&path, &[&head, &body])
            }
            None => {
                let sections = self.body.encode(early)?;
                let lengths = sections.each_ref().map(|s| (s.len() as u64).to_le_bytes());
                let mut parts: Vec<&[u8]> = vec![&head];
                for (length, section) in lengths.iter().zip(&sections) {
                    parts.extend([length.as_slice(), section.as_slice()]);
                }
                crate::fs::write_atomic_parts(&path, &parts)
            }
        }
    }
}

/// The body's sections besides the three large ones.
type Rest = (FxHashMap<String, Variants>, Option<String>, Option<NameHash>);

/// The body's sources and rewrites sections, encoded while the later
/// stages run: neither changes after the rewrite stage.
pub(crate) struct EarlySections {
    sources: postcard::Result<Vec<u8>>,
    rewrites: postcard::Result<Vec<u8>>,
}

impl EarlySections {
    /// Encodes them; `save` must then be given the same records.
    pub(crate) fn encode(sources: &NameMap<SourceStamp>, rewrites: &Rewrites) -> EarlySections {
        let (sources, rewrites) = rayon::join(|| postcard::to_allocvec(sources), || postcard::to_allocvec(rewrites));
        EarlySections { sources, rewrites }
    }
}

impl Body {
    /// The body's four sections (sources, outputs, rewrites, the rest),
    /// each the postcard bytes of its records, encoded on all cores. Stored
    /// one after another, each after its length as a little-endian `u64`.
    fn encode(&self, early: Option<EarlySections>) -> std::io::Result<[Vec<u8>; 4]> {
        fn section<T: Serialize>(value: &T) -> postcard::Result<Vec<u8>> {
            postcard::to_allocvec(value)
        }
        let rest = (&self.compressed, &self.generated_key, &self.name_hash);
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
        let (compressed, generated_key, name_hash) = others.ok()?;
        Some(Body {
            sources: sources.ok()?,
            outputs: outputs.ok()?,
            compressed,
            rewrites: rewrites.ok()?,
            generated_key,
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
        let mut loaded = BuildCache::load(dir.path());
        loaded.read_body();
        assert_eq!(loaded.body.sources.get(b"a.css").unwrap().md5, [5; 16]);
        assert_eq!(loaded.body.outputs.dir, dir.path());
        let read = |dir: &Path| {
            let mut cache = BuildCache::load(dir);
            cache.read_body();
            cache.body.generated_key
        };
        assert_eq!(read(dir.path()).as_deref(), Some("key"));
        // A cache saved without its body read keeps it.
        BuildCache::load(dir.path()).save(dir.path(), None).unwrap();
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
        let mut loaded = BuildCache::load(dir.path());
        assert_eq!(loaded.head.finished.as_ref().unwrap().warnings, warnings);
        loaded.read_body();
        assert_eq!(loaded.body.generated_key.as_deref(), Some("key"));

        // Cut inside the head: nothing is trusted.
        let path = dir.path().join(CACHE_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..200_000]).unwrap();
        let loaded = BuildCache::load(dir.path());
        assert!(loaded.head.finished.is_none());
    }
}
