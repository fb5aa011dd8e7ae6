//! Deleting what no recent release of this app uses, and nothing else.
//!
//! # What is ours
//!
//! A prefix may hold more than this app's assets: a web root's own files,
//! another app under a nested prefix, uploads. Pruning deletes an object
//! only if the store's [release history](crate::history) proves this app
//! wrote it:
//!
//! - a name some known release lists (logical or hashed), or a
//!   precompressed sibling (`.br`, `.gz`, `.zst`) of one;
//! - a history copy of a known release;
//! - a scratch key of the conditional-write probe ([`crate::PROBE_MARKER`]).
//!
//! Every other object is *not ours*: left alone, and counted in the
//! summary. A prefix with no history (written by another tool, or by a
//! version of this one before the history) has nothing pruning may delete.
//!
//! # What is kept
//!
//! Of what is ours, pruning keeps everything the newest `keep` published
//! releases name (the current release's among them, and the release the
//! store served when the sync started), plus anything younger than
//! `min_age`, so that app servers still running an earlier release during a
//! rolling deploy never lose a file. The defaults, 2 releases and 1 hour,
//! are those of Phoenix and Propshaft.
//!
//! A release that was never published (its deploy was killed or failed
//! before the manifest) keeps nothing: its files go once old enough. A
//! release's history copies go last, in the prune that deletes the last
//! of its files, so no file is ever left without a record saying whose it
//! is.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use asset_contract::{Encoding, MANIFEST_NAME, Manifest};

use crate::error::Result;
use crate::history::{self, Release};
use crate::local::LocalTree;
use crate::probe::PROBE_MARKER;
use crate::store::{Listed, ObjectStore};
use crate::sync::SyncOptions;

/// What pruning keeps.
#[derive(Debug, Clone, Copy)]
pub struct PruneOptions {
    /// Releases whose files are kept (at least 1: the current one).
    pub keep: usize,
    /// Objects younger than this are kept; a duration too large to
    /// subtract from now keeps everything.
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

/// What a prune found under the prefix.
#[derive(Debug, Default)]
pub(crate) struct Pruning {
    /// Full keys to delete.
    pub doomed: Vec<String>,
    /// Objects no known release of this app accounts for, left alone.
    pub not_ours: usize,
}

/// What happens to one object, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// A kept release names it (or it is the manifest).
    Needed,
    /// A history copy of a known release: decided once its files are
    /// (see [`Ledger::spent_copies`]).
    History,
    /// Ours and unneeded, but younger than `min_age`.
    Young,
    /// Ours, unneeded and old enough.
    Doomed,
    /// Nothing proves this app wrote it.
    NotOurs,
}

/// Finds what pruning deletes under `prefix`. `served` is the manifest the
/// store served when the sync started, if it had a readable one.
pub(crate) async fn plan<S: ObjectStore>(
    store: &S,
    prefix: &str,
    local: &LocalTree,
    served: Option<&Manifest>,
    options: &PruneOptions,
    sync: &SyncOptions,
) -> Result<Pruning> {
    let listing = store.list(prefix).await?;
    let releases = history::read(store, prefix, &listing, sync).await?;
    let ledger = Ledger::new(&releases, local, served, options.keep);
    let cutoff = SystemTime::now().checked_sub(options.min_age);
    let mut pruning = Pruning::default();
    let mut young: HashSet<&str> = HashSet::new();
    for object in &listing {
        let Some(name) = object.key.strip_prefix(prefix) else {
            continue;
        };
        let base = ledger.base(name);
        match ledger.fate(name, base, object, cutoff) {
            Fate::Needed | Fate::History => {}
            Fate::Young => {
                young.insert(base);
            }
            Fate::Doomed => pruning.doomed.push(object.key.clone()),
            Fate::NotOurs => pruning.not_ours += 1,
        }
    }
    pruning.doomed.extend(ledger.spent_copies(&releases, &young, cutoff));
    Ok(pruning)
}

/// The names the known releases account for, and which of them are kept.
struct Ledger<'a> {
    /// The hashes of the releases kept.
    kept_releases: HashSet<&'a str>,
    /// Every name a known release lists.
    ours: HashSet<&'a str>,
    /// The names the kept releases list, and the manifest's.
    kept: HashSet<&'a str>,
    /// The history keys (relative to the prefix) of the known releases.
    copies: HashSet<String>,
}

impl<'a> Ledger<'a> {
    fn new(releases: &'a [Release], local: &'a LocalTree, served: Option<&'a Manifest>, keep: usize) -> Ledger<'a> {
        let manifests: Vec<&Manifest> = releases
            .iter()
            .map(|r| &r.manifest)
            .chain([&local.manifest])
            .chain(served)
            .collect();
        let kept_releases = kept_releases(releases, local, served, keep);
        let mut ledger = Ledger {
            kept_releases,
            ours: HashSet::new(),
            kept: HashSet::from([MANIFEST_NAME]),
            copies: HashSet::new(),
        };
        for manifest in manifests {
            ledger.ours.extend(manifest.names());
            if ledger.kept_releases.contains(manifest.hash.as_str()) {
                ledger.kept.extend(manifest.names());
            }
            for copy in [history::Copy::Upload, history::Copy::Published] {
                ledger.copies.insert(history::key(&manifest.hash, copy));
            }
        }
        ledger
    }

    /// The name a sibling is of, if that name is ours; else `name`.
    fn base<'n>(&self, name: &'n str) -> &'n str {
        Encoding::of_sibling(name)
            .map(|(base, _)| base)
            .filter(|base| self.ours.contains(base))
            .unwrap_or(name)
    }

    /// What happens to the object named `name` under the prefix, whose
    /// [`base`](Self::base) is `base`.
    fn fate(&self, name: &str, base: &str, object: &Listed, cutoff: Option<SystemTime>) -> Fate {
        if self.kept.contains(base) {
            return Fate::Needed;
        }
        if self.copies.contains(name) {
            return Fate::History;
        }
        let ours = self.ours.contains(base) || name.starts_with(PROBE_MARKER);
        match (ours, old_enough(object, cutoff)) {
            (false, _) => Fate::NotOurs,
            (true, true) => Fate::Doomed,
            (true, false) => Fate::Young,
        }
    }

    /// The history copies of releases no longer kept whose files are all
    /// gone (none left young), and that are old enough themselves.
    fn spent_copies(&self, releases: &[Release], young: &HashSet<&str>, cutoff: Option<SystemTime>) -> Vec<String> {
        releases
            .iter()
            .filter(|r| !self.kept_releases.contains(r.manifest.hash.as_str()))
            .filter(|r| !r.manifest.names().any(|n| young.contains(n)))
            .filter(|r| r.copies.iter().all(|c| old_enough(c, cutoff)))
            .flat_map(|r| r.copies.iter().map(|c| c.key.clone()))
            .collect()
    }
}

/// The hashes of the releases whose files are kept: the current one, the
/// one the store served until now, then the newest published others, up
/// to `keep` in all. Releases never published do not count.
fn kept_releases<'a>(
    releases: &'a [Release],
    local: &'a LocalTree,
    served: Option<&'a Manifest>,
    keep: usize,
) -> HashSet<&'a str> {
    let mut published: Vec<&Release> = releases.iter().filter(|r| r.published.is_some()).collect();
    published.sort_by_key(|r| std::cmp::Reverse(r.published));
    let newest_first = [local.manifest.hash.as_str()]
        .into_iter()
        .chain(served.map(|m| m.hash.as_str()))
        .chain(published.into_iter().map(|r| r.manifest.hash.as_str()));
    let mut kept: Vec<&str> = Vec::new();
    for hash in newest_first {
        if kept.len() >= keep.max(1) {
            break;
        }
        if !kept.contains(&hash) {
            kept.push(hash);
        }
    }
    kept.into_iter().collect()
}

/// Whether `object` is older than the cutoff. A store that gives no time
/// keeps the object; no cutoff (a `min_age` too large to subtract from now)
/// keeps everything.
fn old_enough(object: &Listed, cutoff: Option<SystemTime>) -> bool {
    match (object.last_modified, cutoff) {
        (Some(modified), Some(cutoff)) => modified <= cutoff,
        _ => false,
    }
}
