//! What the previous build saw and wrote, kept in `OUT_DIR`, so that a
//! rerun reads only changed files and rewrites only changed outputs.
//!
//! A source file is identified by (path, size, modification time); if all
//! three match, its recorded MD5 is reused without reading it. A CSS/JS
//! file whose MD5 and whose references' hashed names are unchanged keeps
//! its recorded hashed name without being read or rewritten. An output
//! file is identified by (size, modification time, inode); if they match
//! what the last build wrote and the wanted content has the same MD5, it is
//! left alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hash::Md5Digest;

const CACHE_FILE: &str = "asset-build-cache.json";
const VERSION: u32 = 4;

/// A source file as last hashed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SourceStamp {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u64,
    pub(crate) md5: Md5Digest,
    pub(crate) integrity: String,
}

/// An output file as last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OutputStamp {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u64,
    pub(crate) inode: u64,
    pub(crate) md5: Md5Digest,
}

/// How a reference resolved when a CSS/JS file was last scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TargetKind {
    File,
    Folder,
    Missing,
}

/// A CSS/JS file as last rewritten: enough to name it again without
/// reading it, as long as its content and the names of the files it refers
/// to are unchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RewriteRecord {
    /// MD5 of the original content.
    pub(crate) source_md5: Md5Digest,
    /// Every reference's resolved name and what it was, in order.
    pub(crate) references: Vec<(String, TargetKind)>,
    /// MD5 over the hashed names of the referenced files.
    pub(crate) targets_key: Md5Digest,
    pub(crate) hashed: String,
    pub(crate) served_md5: Md5Digest,
    pub(crate) integrity: String,
    pub(crate) size: u64,
    pub(crate) warnings: Vec<String>,
}

/// The whole cache.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct BuildCache {
    version: u32,
    /// Output folder the `outputs` stamps belong to.
    pub(crate) output_dir: PathBuf,
    pub(crate) sources: HashMap<PathBuf, SourceStamp>,
    pub(crate) outputs: HashMap<String, OutputStamp>,
    /// Asset folders of dependency crates, as `cargo metadata` last found them.
    pub(crate) dependency_assets: Option<crate::dependency_assets::DependencyAssets>,
    /// Precompressed variants by content MD5 (hex).
    pub(crate) compressed: HashMap<String, crate::compress::Variants>,
    /// CSS/JS files by logical name.
    pub(crate) rewrites: HashMap<String, RewriteRecord>,
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
        crate::fs::write_atomic(&out_dir.join(CACHE_FILE), &bytes)
    }
}
