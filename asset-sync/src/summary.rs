//! The one-line summary of a sync, also available as JSON.

use serde::Serialize;

/// What a sync did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The target, as a URL or path.
    pub target: String,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Files uploaded, the manifest and its history copy included.
    pub uploaded: usize,
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
    /// Files already in place.
    pub skipped: usize,
    /// Objects deleted by pruning.
    pub deleted: usize,
    /// With pruning: objects under the prefix that no release of this app
    /// accounts for, left alone (a web root's own files, another app's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_ours: Option<usize>,
    /// Requests made to the store.
    pub requests: usize,
    /// Wall time.
    pub seconds: f64,
    /// The manifest `hash` of the release now published.
    pub manifest_hash: String,
    /// The unhashed keys written (or, in a dry run, to be written), prefix
    /// included, sorted: originals and their siblings, and the manifest.
    /// What a CDN may hold stale copies of, and what the after-publish
    /// command reads; hashed names are never in it.
    pub changed_unhashed_keys: Vec<String>,
    /// What `--verify` found, before repairing it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verified>,
    /// Warnings, also printed as they happen.
    pub warnings: Vec<String>,
}

/// What `--verify` found in the store, compared with the local release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Objects the release names (or their siblings) that the store lacks.
    pub missing: Vec<String>,
    /// Objects present with another size than the local file.
    pub wrong_size: Vec<String>,
    /// Objects under the prefix that the release does not name (earlier
    /// releases' files, or foreign ones; `--prune` deletes old ones).
    pub unknown: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry_run { "would upload" } else { "uploaded" };
        write!(
            f,
            "{}: {verb} {} ({}), skipped {}, {} {}, {} requests, {:.2} s",
            self.target,
            self.uploaded,
            human_bytes(self.uploaded_bytes),
            self.skipped,
            if self.dry_run { "would delete" } else { "deleted" },
            self.deleted,
            self.requests,
            self.seconds
        )?;
        if let Some(not_ours) = self.not_ours {
            write!(f, " ({not_ours} not ours, left alone)")?;
        }
        if let Some(v) = &self.verified {
            let verb = if self.dry_run { "would repair" } else { "repaired" };
            write!(
                f,
                "; verify: {} missing, {} of another size ({verb}), {} not in the release",
                v.missing.len(),
                v.wrong_size.len(),
                v.unknown
            )?;
        }
        Ok(())
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
