//! What the previous build saw and wrote, kept in `OUT_DIR`, so that a
//! rerun reads only changed files and rewrites only changed outputs.
//!
//! A source file is identified by (path, size, modification time); if all
//! three match, its recorded MD5 is reused without reading it. An output
//! file is identified by (size, modification time, inode); if they match
//! what the last build wrote and the wanted content has the same MD5, it is
//! left alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hash::Md5Digest;

const CACHE_FILE: &str = "asset-build-cache.json";
const VERSION: u32 = 1;

/// A source file as last hashed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SourceStamp {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u64,
    pub(crate) md5: Md5Digest,
}

/// An output file as last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OutputStamp {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u64,
    pub(crate) inode: u64,
    pub(crate) md5: Md5Digest,
}

/// The whole cache.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct BuildCache {
    version: u32,
    /// Output folder the `outputs` stamps belong to.
    pub(crate) output_dir: PathBuf,
    pub(crate) sources: HashMap<PathBuf, SourceStamp>,
    pub(crate) outputs: HashMap<String, OutputStamp>,
    /// Key of the inputs of the generated Rust file last written.
    pub(crate) generated_key: Option<String>,
}

impl BuildCache {
    /// Loads the cache; a missing, unreadable or outdated cache is empty.
    pub(crate) fn load(out_dir: &Path) -> BuildCache {
        std::fs::read(out_dir.join(CACHE_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<BuildCache>(&bytes).ok())
            .filter(|cache| cache.version == VERSION)
            .unwrap_or_default()
    }

    /// Saves the cache. A failure only costs speed on the next run, so it
    /// is returned for the caller to report as a warning.
    pub(crate) fn save(&mut self, out_dir: &Path) -> std::io::Result<()> {
        self.version = VERSION;
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        crate::output::write_atomic(&out_dir.join(CACHE_FILE), &bytes)
    }
}
