//! What the previous build saw and wrote, kept in `OUT_DIR`, so that a
//! rerun reads only changed files and rewrites only changed outputs. Each
//! stage defines the record it keeps; this module only gathers them into
//! one file, loaded before the stages run and saved after.
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

use crate::compress::Variants;
use crate::dependency_assets::DependencyAssets;
use crate::hash::SourceStamp;
use crate::output::Written;
use crate::rewrite::RewriteRecord;

const CACHE_FILE: &str = "asset-build-cache.json";
const VERSION: u32 = 5;

/// The whole cache.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct BuildCache {
    version: u32,
    /// Source files as the hash stage last read them.
    pub(crate) sources: HashMap<PathBuf, SourceStamp>,
    /// The output folder as the write stage last left it.
    pub(crate) outputs: Written,
    /// Asset folders of dependency crates, as `cargo metadata` last found them.
    pub(crate) dependency_assets: Option<DependencyAssets>,
    /// Precompressed variants by content MD5 (hex).
    pub(crate) compressed: HashMap<String, Variants>,
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
