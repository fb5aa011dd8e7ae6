//! Proving that a store checks write conditions, instead of assuming it.
//!
//! The manifest is written with a condition (`If-Match` on the ETag read
//! at the start, or `If-None-Match: *`) so that two deploys running at once
//! cannot silently overwrite each other. That protection only exists if the
//! store checks the condition. Some S3-compatible stores and proxies drop
//! the headers and write anyway, answering 200 as if all was well; others
//! answer 501 NotImplemented, which at least says so.
//!
//! So before the first conditional manifest write of a sync, the store is
//! asked once for a write that cannot be allowed: a `PUT` of a scratch key
//! under the prefix, `<prefix>.asset-sync-probe-<16 hex digits>` (a random
//! name, so no object has it), conditional on a made-up version (an ETag of
//! random digits, which is also a valid GCS generation number). The key does
//! not exist, so no version can match it:
//!
//! - 412 Precondition Failed (or 404 NoSuchKey, AWS's answer to `If-Match`
//!   on a missing key): the store checks conditions ([`Conditions::Checked`]).
//!   Nothing was written. One request.
//! - 501 NotImplemented: the store says it cannot ([`Conditions::Unsupported`]).
//!   One request.
//! - Written: the store dropped the condition ([`Conditions::Ignored`]). The
//!   scratch key is deleted at once. Two requests.
//!
//! In the last two cases the sync warns and writes the manifest
//! unconditionally. A scratch key that cannot be deleted is a warning
//! naming it (a later `--prune` deletes it too: no release names it).
//!
//! The answer is kept for the rest of the sync, and the probe is made only
//! when a conditional manifest write is coming: never on a no-change
//! deploy, a dry run, or when the store gave no ETag to condition on.

use std::hash::{BuildHasher, RandomState};

use crate::error::Result;
use crate::store::{Body, Condition, ObjectStore, Put, PutOutcome};

/// What names a probe's scratch key, after the prefix.
pub const PROBE_MARKER: &str = ".asset-sync-probe-";

/// Whether a store checks the conditions of writes, as a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conditions {
    /// It refused a write whose condition could not hold.
    Checked,
    /// It answered that it does not support conditional writes (501).
    Unsupported,
    /// It accepted a write whose condition could not hold: it drops the
    /// condition headers.
    Ignored,
}

/// What a probe found, and what it left behind.
#[derive(Debug)]
pub(crate) struct Probe {
    /// The answer.
    pub conditions: Conditions,
    /// Why the scratch key written by a store that ignored the condition
    /// could not be deleted, if it could not.
    pub leftover: Option<String>,
}

/// Asks `store` for a write to a scratch key under `prefix` whose condition
/// cannot hold, and deletes the key if the store wrote it.
pub(crate) async fn probe<S: ObjectStore>(store: &S, prefix: &str) -> Result<Probe> {
    let random = RandomState::new();
    let key = format!(
        "{prefix}{PROBE_MARKER}{:016x}",
        random.hash_one((std::process::id(), std::time::SystemTime::now()))
    );
    // Digits, so that the made-up version is also a valid GCS generation.
    let version = format!("\"{}\"", random.hash_one(&key) | 1);
    let put = Put {
        key: &key,
        body: Body::Bytes(b"asset-sync conditional write probe; safe to delete\n"),
        content_type: "text/plain; charset=utf-8",
        cache_control: "no-store",
        content_encoding: None,
        condition: Condition::IfMatch(version),
        stamp: None,
    };
    let conditions = match store.put(&put).await? {
        PutOutcome::PreconditionFailed => Conditions::Checked,
        PutOutcome::ConditionUnsupported => Conditions::Unsupported,
        PutOutcome::Written => Conditions::Ignored,
    };
    let leftover = match conditions {
        Conditions::Ignored => store
            .delete(std::slice::from_ref(&key))
            .await
            .err()
            .map(|e| format!("the probe's scratch object `{key}` could not be deleted ({e}); delete it by hand")),
        _ => None,
    };
    Ok(Probe { conditions, leftover })
}
