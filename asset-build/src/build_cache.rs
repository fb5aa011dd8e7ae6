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
//! decodes, then the stages' records ([`Body`]), decoded only when the
//! stages run. One that is missing, unreadable, of another version or
//! truncated is an empty cache, and the build does everything again. It is
//! replaced atomically, so a killed build leaves the previous one whole.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::compress::Variants;
use crate::dependency_assets::DependencyAssets;
use crate::generate::NameHash;
use crate::hash::{Md5Digest, SourceStamp};
use crate::output::Written;
use crate::rewrite::Rewrites;

const CACHE_FILE: &str = "asset-build-cache.bin";
const MAGIC: &[u8; 8] = b"ASTCACHE";
const VERSION: u32 = 9;

/// The whole cache: a small head, read first, and the stages' records.
#[derive(Debug, Default)]
pub(crate) struct BuildCache {
    pub(crate) head: Head,
    pub(crate) body: Body,
    /// The stored file, whose body (from `body_at`) is not decoded until
    /// [`read_body`](Self::read_body).
    unread: Vec<u8>,
    body_at: usize,
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
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Body {
    /// Source files as the hash stage last read them.
    pub(crate) sources: FxHashMap<OsString, SourceStamp>,
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
    /// Loads the cache's head; the body stays undecoded until
    /// [`read_body`](Self::read_body). A missing, unreadable or outdated
    /// cache is empty.
    pub(crate) fn load(out_dir: &Path) -> BuildCache {
        let Ok(bytes) = std::fs::read(out_dir.join(CACHE_FILE)) else {
            return BuildCache::default();
        };
        let head = bytes
            .strip_prefix(MAGIC.as_slice())
            .and_then(|rest| rest.strip_prefix(VERSION.to_le_bytes().as_slice()))
            .and_then(|rest| postcard::take_from_bytes::<Head>(rest).ok());
        match head {
            Some((head, body)) => BuildCache {
                head,
                body: Body::default(),
                body_at: bytes.len() - body.len(),
                unread: bytes,
            },
            None => BuildCache::default(),
        }
    }

    /// Decodes the stages' records; undecodable ones are empty, and the
    /// build does everything again.
    pub(crate) fn read_body(&mut self) {
        let unread = std::mem::take(&mut self.unread);
        self.body = postcard::from_bytes(&unread[self.body_at..]).unwrap_or_default();
    }

    /// Saves the cache. A failure only costs speed on the next run, so it
    /// is returned for the caller to report as a warning.
    pub(crate) fn save(&self, out_dir: &Path) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(1 << 20);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        let bytes = postcard::to_extend(&self.head, bytes).map_err(std::io::Error::other)?;
        let bytes = if self.unread.is_empty() {
            postcard::to_extend(&self.body, bytes).map_err(std::io::Error::other)?
        } else {
            // The body was never read: keep it as it was stored.
            let mut bytes = bytes;
            bytes.extend_from_slice(&self.unread[self.body_at..]);
            bytes
        };
        crate::fs::write_atomic(&out_dir.join(CACHE_FILE), &bytes)
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
        cache.save(dir.path()).unwrap();
        let read = |dir: &Path| {
            let mut cache = BuildCache::load(dir);
            cache.read_body();
            cache.body.generated_key
        };
        assert_eq!(read(dir.path()).as_deref(), Some("key"));
        // A cache saved without its body read keeps it.
        BuildCache::load(dir.path()).save(dir.path()).unwrap();
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
}
