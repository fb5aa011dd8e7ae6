//! Deleting files no recent release uses.
//!
//! Each sync stores an immutable copy of its manifest under
//! `manifests/<hash>.json`, so the bucket knows its release history. Pruning
//! keeps everything the newest `keep` of those manifests name (the current
//! release's among them), plus anything younger than `min_age`, so app
//! servers still running an earlier release during a rolling deploy never
//! lose a file. The history copies of older releases go too, once older
//! than `min_age`; the current release's copy is never deleted. The
//! defaults, 2 releases and 1 hour, are those of Phoenix and Propshaft.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use asset_contract::{Encoding, MANIFEST_NAME, Manifest};

use crate::error::Result;

use crate::local::LocalTree;
use crate::store::ObjectStore;

/// What pruning keeps.
#[derive(Debug, Clone, Copy)]
pub struct PruneOptions {
    /// Releases whose files are kept (at least 1: the current one).
    pub keep: usize,
    /// Objects younger than this are kept.
    pub min_age: Duration,
}

impl Default for PruneOptions {
    fn default() -> Self {
        PruneOptions {
            keep: 2,
            min_age: Duration::from_secs(3600),
        }
    }
}

/// Keys under `prefix` that pruning deletes.
pub(crate) async fn candidates<S: ObjectStore>(
    store: &S,
    prefix: &str,
    local: &LocalTree,
    options: &PruneOptions,
) -> Result<Vec<String>> {
    let history_prefix = format!("{prefix}manifests/");
    let mut history = store.list(&history_prefix).await?;
    history.sort_by(|a, b| b.last_modified.cmp(&a.last_modified).then_with(|| a.key.cmp(&b.key)));

    let mut kept: HashSet<String> = local.manifest.names().map(str::to_owned).collect();
    let current_key = format!("{history_prefix}{}.json", local.manifest.hash);
    let mut kept_history: HashSet<String> = HashSet::from([current_key.clone()]);
    let mut releases = 1;
    for entry in &history {
        if releases >= options.keep.max(1) {
            break;
        }
        if entry.key == current_key {
            continue;
        }
        if let Some(fetched) = store.get(&entry.key).await?
            && let Ok(manifest) = Manifest::parse(&fetched.bytes)
        {
            kept.extend(manifest.names().map(str::to_owned));
            kept_history.insert(entry.key.clone());
            releases += 1;
        }
    }

    let cutoff = SystemTime::now().checked_sub(options.min_age);
    let mut doomed = Vec::new();
    for object in store.list(prefix).await? {
        let Some(name) = object.key.strip_prefix(prefix) else {
            continue;
        };
        if name == MANIFEST_NAME {
            continue;
        }
        let needed = if name.starts_with("manifests/") {
            kept_history.contains(&object.key)
        } else {
            let base = Encoding::of_sibling(name)
                .map(|(base, _)| base)
                .filter(|base| kept.contains(*base))
                .unwrap_or(name);
            kept.contains(base)
        };
        if needed {
            continue;
        }
        let old_enough = match (object.last_modified, cutoff) {
            (Some(modified), Some(cutoff)) => modified <= cutoff,
            (_, None) => true,
            (None, Some(_)) => false,
        };
        if old_enough {
            doomed.push(object.key);
        }
    }
    Ok(doomed)
}
