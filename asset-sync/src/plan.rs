//! What a sync will do, decided from the local manifest and what the store
//! already has: by name and content hash, never by modification time or
//! ETag.

use std::collections::HashSet;

use crate::error::Result;
use crate::local::{LocalFile, LocalTree};
use asset_contract::Manifest;

/// What the store holds, as far as the sync can tell with few requests.
#[derive(Debug)]
pub enum Remote {
    /// The store's manifest: everything it names is present.
    Manifest(Manifest),
    /// No (readable) manifest: the keys a listing of the prefix found,
    /// relative to the prefix.
    Listing(HashSet<String>),
}

/// The uploads of a sync, in the order they must happen.
#[derive(Debug, Default)]
pub struct Plan {
    /// Hashed files (and their precompressed siblings): first.
    pub assets: Vec<LocalFile>,
    /// Unhashed originals whose content changed: after the assets.
    pub originals: Vec<LocalFile>,
    /// Names already in place (each with its precompressed siblings).
    pub skipped: usize,
    /// Whether the manifest itself must be written: last.
    pub manifest: bool,
}

impl Plan {
    /// Decides the uploads. With `force`, everything is uploaded.
    pub fn new(local: &LocalTree, remote: &Remote, remote_manifest_bytes: Option<&[u8]>, force: bool) -> Result<Plan> {
        let mut plan = Plan {
            manifest: force || remote_manifest_bytes != Some(local.manifest_bytes.as_slice()),
            ..Plan::default()
        };
        let remote_hashed: HashSet<&str> = match remote {
            Remote::Manifest(m) => m.paths.values().map(String::as_str).collect(),
            Remote::Listing(keys) => keys.iter().map(String::as_str).collect(),
        };
        // Files in place are not even looked at on disk: a redeploy of a
        // large tree that changed little costs little locally too.
        let mut seen = HashSet::new();
        for (name, hashed) in &local.manifest.paths {
            // Several names can share a hashed name only in a hand-made
            // manifest; upload each file once.
            if seen.insert(hashed.as_str()) {
                if force || !remote_hashed.contains(hashed.as_str()) {
                    plan.assets.extend(local.file_with_siblings(hashed)?);
                } else {
                    plan.skipped += 1;
                }
            }
            let current = match remote {
                Remote::Manifest(m) => m.paths.get(name) == Some(hashed),
                // Without a manifest there is no telling what an unhashed
                // name holds: upload it.
                Remote::Listing(_) => false,
            };
            if force || !current {
                plan.originals.extend(local.file_with_siblings(name)?);
            } else {
                plan.skipped += 1;
            }
        }
        Ok(plan)
    }

    /// Number of files to upload, the manifest and its history copy included.
    pub fn uploads(&self) -> usize {
        self.assets.len() + self.originals.len() + if self.manifest { 2 } else { 0 }
    }

    /// Bytes to upload, without the manifest.
    pub fn bytes(&self) -> u64 {
        self.assets.iter().chain(&self.originals).map(|f| f.size).sum()
    }
}
