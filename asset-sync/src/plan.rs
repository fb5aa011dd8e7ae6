//! What a sync will do, decided from the local manifest and what the store
//! already has: by name and content hash, never by modification time or
//! ETag.

use std::collections::{HashMap, HashSet};

use asset_contract::{Encoding, MANIFEST_NAME, Manifest, names};

use crate::error::Result;
use crate::local::{LocalFile, LocalTree};
use crate::store::Listed;
use crate::summary::Verified;
use crate::variants;

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
    /// Names already in place.
    pub skipped: usize,
    /// Whether the manifest itself must be written: last.
    pub manifest: bool,
    /// Whether the manifest's history copies must be written (a new
    /// release): its upload record and its published copy.
    pub history: bool,
    /// The variants signature the manifest is written with.
    pub signature: String,
}

impl Plan {
    /// Decides the uploads from the store's manifest bytes and variants
    /// signature. With `force`, everything is uploaded.
    pub fn new(
        local: &LocalTree,
        remote: &Remote,
        remote_manifest_bytes: Option<&[u8]>,
        remote_signature: Option<&str>,
        force: bool,
    ) -> Result<Plan> {
        let signature = variants::signature(&local.encodings);
        let new_release = remote_manifest_bytes != Some(local.manifest_bytes.as_slice());
        let mut plan = Plan {
            manifest: force || new_release || remote_signature != Some(signature.as_str()),
            history: force || new_release,
            signature,
            ..Plan::default()
        };
        // Siblings of files in place may still be missing: those in
        // encodings the store's release had none in, or, without a
        // manifest, those the listing lacks.
        let missing = variants::missing(&local.encodings, remote_signature);
        let siblings_missing = |name: &str| -> Result<Vec<LocalFile>> {
            Ok(match remote {
                Remote::Manifest(_) => local.siblings(name, &missing)?,
                Remote::Listing(keys) => local
                    .siblings(name, &Encoding::ALL)?
                    .into_iter()
                    .filter(|f| !keys.contains(&f.name))
                    .collect(),
            })
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
                    plan.assets.extend(siblings_missing(hashed)?);
                }
            }
            if names::is_prehashed(name, hashed) {
                // One object, already uploaded above as immutable.
                continue;
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
                plan.originals.extend(siblings_missing(name)?);
            }
        }
        Ok(plan)
    }

    /// Number of files to upload, the manifest and its history copies included.
    pub fn uploads(&self) -> usize {
        self.assets.len()
            + self.originals.len()
            + usize::from(self.manifest)
            + 2 * usize::from(self.manifest && self.history)
    }

    /// Checks every file the release needs against a listing of the
    /// store's `prefix`: files the plan skips that are missing or have
    /// another size than the local file are added to it (the size, never
    /// the ETag: an ETag is not always an MD5).
    pub fn verify(&mut self, local: &LocalTree, prefix: &str, listing: &[Listed]) -> Result<Verified> {
        let sizes: HashMap<&str, u64> = listing
            .iter()
            .filter_map(|l| l.key.strip_prefix(prefix).map(|k| (k, l.size)))
            .collect();
        let planned: HashSet<String> = self
            .assets
            .iter()
            .chain(&self.originals)
            .map(|f| f.name.clone())
            .collect();
        let mut verified = Verified::default();
        let mut wanted: HashSet<String> = HashSet::new();
        let mut seen = HashSet::new();
        for (name, hashed) in &local.manifest.paths {
            for (base, hashed_copy) in [(hashed, true), (name, false)] {
                if !seen.insert(base.as_str()) {
                    continue;
                }
                for file in local.file_with_siblings(base)? {
                    wanted.insert(file.name.clone());
                    if planned.contains(&file.name) {
                        continue;
                    }
                    let repair = match sizes.get(file.name.as_str()) {
                        None => {
                            verified.missing.push(file.name.clone());
                            true
                        }
                        Some(&size) if size != file.size => {
                            verified.wrong_size.push(file.name.clone());
                            true
                        }
                        Some(_) => false,
                    };
                    if repair {
                        if hashed_copy {
                            self.assets.push(file);
                        } else {
                            self.originals.push(file);
                        }
                    }
                }
            }
        }
        verified.unknown = sizes
            .keys()
            .filter(|k| **k != MANIFEST_NAME && !k.starts_with("manifests/") && !wanted.contains(**k))
            .count();
        Ok(verified)
    }

    /// Bytes to upload, without the manifest.
    pub fn bytes(&self) -> u64 {
        self.assets.iter().chain(&self.originals).map(|f| f.size).sum()
    }

    /// The size of the largest file to upload (0 if none).
    pub fn largest(&self) -> u64 {
        self.assets
            .iter()
            .chain(&self.originals)
            .map(|f| f.size)
            .max()
            .unwrap_or(0)
    }
}
