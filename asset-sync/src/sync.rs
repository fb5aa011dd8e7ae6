//! The sync itself: read the remote manifest, upload what is missing
//! (assets, then originals), then the manifest, last and conditionally.
//!
//! The order is what keeps a rolling deploy safe: while old and new app
//! servers run side by side, the bucket serves both releases' files, and
//! the manifest only ever names files that are already there. If any upload
//! fails, the sync stops before the manifest, so the bucket keeps serving
//! the previous release; a rerun converges to the same end state.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use asset_contract::cache::{IMMUTABLE, short_lived};
use asset_contract::{MANIFEST_NAME, Manifest, content_type};
use futures_util::{TryStreamExt, future, stream};

use crate::error::{Error, Result};
use crate::history;
use crate::hook::{self, KeyFormat};
use crate::local::{LocalFile, LocalTree};
use crate::plan::{Plan, Remote};
use crate::probe::{self, Conditions};
use crate::prune::{self, PruneOptions};
use crate::store::{Body, Condition, ObjectStore, Put, PutOutcome, Stamp};
use crate::summary::Summary;
use crate::variants;

/// Options of a sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Only print the plan.
    pub dry_run: bool,
    /// Upload everything, whatever the store holds.
    pub force: bool,
    /// List the prefix and upload again what the manifest names but the
    /// store lacks or holds with another size.
    pub verify: bool,
    /// Uploads in flight at once.
    pub concurrency: usize,
    /// `max-age` of unhashed names and the manifest, in seconds.
    pub short_max_age: u64,
    /// Delete files no recent release uses.
    pub prune: Option<PruneOptions>,
    /// A command run (through `sh -c`; `cmd /C` on Windows) after a
    /// publish, with the changed unhashed keys on its standard input (in
    /// [`after_publish_format`](Self::after_publish_format)): to purge them
    /// from a CDN. See [`crate::Error::AfterPublishFailed`]
    /// for when it fails.
    pub after_publish: Option<String>,
    /// How the after-publish command receives the keys.
    pub after_publish_format: KeyFormat,
    /// The most bytes a manifest read from the store (the published one,
    /// or a history copy) may have: a larger one is refused unread
    /// ([`Error::TooLarge`]). 256 MiB by default; 100,000 assets make a
    /// manifest of about 15 MB.
    pub max_manifest_bytes: u64,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            dry_run: false,
            force: false,
            verify: false,
            concurrency: 32,
            short_max_age: 60,
            prune: None,
            after_publish: None,
            after_publish_format: KeyFormat::default(),
            max_manifest_bytes: 256 << 20,
        }
    }
}

/// Receives progress: one call per event, for logs or a progress bar.
pub trait Progress: Sync {
    /// A warning (also kept in the summary).
    fn warn(&self, message: &str);
    /// The plan is known.
    fn planned(&self, plan: &Plan);
    /// A file was uploaded (or would be, in a dry run).
    fn uploaded(&self, key: &str, bytes: u64);
    /// An object was deleted (or would be).
    fn deleted(&self, key: &str);
}

/// Progress that goes nowhere.
pub struct Quiet;

impl Progress for Quiet {
    fn warn(&self, _: &str) {}
    fn planned(&self, _: &Plan) {}
    fn uploaded(&self, _: &str, _: u64) {}
    fn deleted(&self, _: &str) {}
}

/// Syncs `local` to `store` (a [`crate::Store`], or either backend) under
/// `prefix` (empty or ending in `/`).
pub async fn sync<S: ObjectStore>(
    local: &LocalTree,
    store: &S,
    target: &str,
    prefix: &str,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<Summary> {
    if options.concurrency == 0 {
        return Err(Error::BadOption {
            option: "--concurrency",
            reason: "must be at least 1".to_owned(),
        });
    }
    let started = Instant::now();
    let requests_before = store.requests();
    let mut warnings = Vec::new();
    let mut warn = |message: String| {
        progress.warn(&message);
        warnings.push(message);
    };
    let manifest_key = format!("{prefix}{MANIFEST_NAME}");

    let signature = variants::signature(&local.encodings);
    let stamp = Stamp {
        md5: &local.md5,
        variants: &signature,
    };
    let looked = look(store, &manifest_key, &stamp, options).await?;
    let fetched = match looked {
        Look::Published => {
            // The release is already published: nothing else to read or write.
            return Ok(Summary {
                target: target.to_owned(),
                dry_run: options.dry_run,
                skipped: local.objects() + 1,
                manifest_hash: local.manifest.hash.clone(),
                requests: store.requests() - requests_before,
                seconds: started.elapsed().as_secs_f64(),
                warnings,
                ..Summary::default()
            });
        }
        Look::Absent => None,
        Look::Other | Look::Required => store.get(&manifest_key, options.max_manifest_bytes).await?,
    };
    local.check_files()?;
    let condition = match &fetched {
        Some(f) => f.etag.clone().map_or(Condition::None, Condition::IfMatch),
        None => Condition::IfNoneMatch,
    };
    let remote_bytes = fetched.as_ref().map(|f| f.bytes.as_slice());
    let remote_signature = fetched.as_ref().and_then(|f| f.variants.as_deref());
    let parsed = remote_bytes.map(Manifest::parse);
    let remote = match parsed {
        Some(Ok(manifest)) => Remote::Manifest(manifest),
        other => {
            match other {
                Some(Err(reason)) => warn(format!(
                    "the manifest at {target}{MANIFEST_NAME} is not valid ({reason}); listing the prefix to see what is there"
                )),
                _ => warn(format!(
                    "no manifest at {target}{MANIFEST_NAME} (a first deploy?); listing the prefix to see what is there"
                )),
            }
            let keys = store.list(prefix).await?;
            Remote::Listing(
                keys.into_iter()
                    .filter_map(|l| l.key.strip_prefix(prefix).map(str::to_owned))
                    .collect::<HashSet<_>>(),
            )
        }
    };

    let mut plan = Plan::new(local, &remote, remote_bytes, remote_signature, options.force)?;
    if looked == Look::Other && !plan.manifest {
        // This very release, under a manifest whose stamp did not say so
        // (written without one, and an ETag that is not its MD5): it is
        // written again, stamped, so that the next deploy is one request.
        plan.manifest = true;
    }
    let verified = if options.verify {
        let listing = store.list(prefix).await?;
        Some(plan.verify(local, prefix, &listing)?)
    } else {
        None
    };
    progress.planned(&plan);
    if let Some(caveat) = store.caveat(plan.largest()) {
        warn(caveat);
    }
    let mut summary = Summary {
        target: target.to_owned(),
        dry_run: options.dry_run,
        uploaded: plan.uploads(),
        uploaded_bytes: plan.bytes()
            + (plan.uploads() - plan.assets.len() - plan.originals.len()) as u64 * local.manifest_bytes.len() as u64,
        skipped: plan.skipped + usize::from(!plan.manifest),
        manifest_hash: local.manifest.hash.clone(),
        changed_unhashed_keys: hook::unhashed_keys(local, prefix, &plan.originals, plan.manifest),
        verified,
        ..Summary::default()
    };

    if options.dry_run {
        for file in plan.assets.iter().chain(&plan.originals) {
            progress.uploaded(&format!("{prefix}{}", file.name), file.size);
        }
    } else {
        let publish = Publish {
            store,
            local,
            target,
            prefix,
            options,
            progress,
        };
        publish.run(&plan, condition, &mut warn).await?;
    }

    // Published: the after-publish command, before pruning, so that a
    // failed prune does not keep a CDN from being purged.
    let hook_failed = match &options.after_publish {
        Some(command) if plan.manifest && !options.dry_run => {
            hook::run(command, &summary.changed_unhashed_keys, options.after_publish_format)
                .await
                .err()
                .map(|reason| (command.clone(), reason))
        }
        _ => None,
    };

    if let Some(prune) = &options.prune {
        let served = match &remote {
            Remote::Manifest(manifest) => Some(manifest),
            Remote::Listing(_) => None,
        };
        let pruned = prune_old(store, prefix, local, served, prune, options, progress).await;
        match (pruned, &hook_failed) {
            (Ok(pruning), _) => {
                summary.deleted = pruning.doomed.len();
                summary.not_ours = Some(pruning.not_ours);
            }
            (Err(err), None) => return Err(err),
            (Err(err), Some((command, reason))) => {
                // Both failed: the prune's error ends the sync; the
                // command's failure must not go unsaid.
                progress.warn(&format!("the --after-publish command `{command}` {reason}"));
                return Err(err);
            }
        }
    }

    summary.requests = store.requests() - requests_before;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.warnings = warnings;
    match hook_failed {
        None => Ok(summary),
        Some((command, reason)) => Err(Error::AfterPublishFailed {
            command,
            reason,
            summary: Box::new(summary),
        }),
    }
}

/// What reading the store's manifest's headers decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// It is this release's manifest, stamped with this release's
    /// variants: the store holds the release.
    Published,
    /// There is no manifest: nothing to read.
    Absent,
    /// There is a manifest its stamp does not say is this release's: it
    /// is read whole.
    Other,
    /// The options need the manifest whatever it is (`--force`,
    /// `--verify`, `--prune`): it is read whole, no `HEAD` asked.
    Required,
}

/// Decides, with one bodiless request (a `HEAD`), whether the store's
/// manifest is this release's, stamped with `stamp`, or must be read.
/// With `--force`, `--verify` or `--prune` it must be, and nothing is
/// asked.
async fn look<S: ObjectStore>(store: &S, key: &str, stamp: &Stamp<'_>, options: &SyncOptions) -> Result<Look> {
    if options.force || options.verify || options.prune.is_some() {
        return Ok(Look::Required);
    }
    Ok(match store.head(key).await? {
        None => Look::Absent,
        Some(head) if head.is(stamp) => Look::Published,
        Some(_) => Look::Other,
    })
}

/// Deletes (or, in a dry run, only reports) what pruning finds.
async fn prune_old<S: ObjectStore>(
    store: &S,
    prefix: &str,
    local: &LocalTree,
    served: Option<&Manifest>,
    prune: &PruneOptions,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<prune::Pruning> {
    let pruning = prune::plan(store, prefix, local, served, prune, options).await?;
    if !options.dry_run {
        store.delete(&pruning.doomed).await?;
    }
    for key in &pruning.doomed {
        progress.deleted(key);
    }
    Ok(pruning)
}

/// What publishing a release works with: the sync's inputs, fixed for its
/// whole run.
struct Publish<'a, S> {
    store: &'a S,
    local: &'a LocalTree,
    /// The target, as messages show it.
    target: &'a str,
    prefix: &'a str,
    options: &'a SyncOptions,
    progress: &'a dyn Progress,
}

impl<S: ObjectStore> Publish<'_, S> {
    /// Uploads the plan's files (assets, then originals), then, if the plan
    /// says so, the manifest's published copy and the manifest, last and
    /// conditionally. A new release's upload record goes first of all, so
    /// that what this sync uploads is on record even if it never ends
    /// (see [`crate::history`]). When the manifest write is conditional, whether the
    /// store checks conditions is proven first (see [`crate::probe`]), by
    /// a probe sent beside the uploads.
    async fn run(&self, plan: &Plan, condition: Condition, warn: &mut dyn FnMut(String)) -> Result<()> {
        let short = short_lived(self.options.short_max_age);
        if plan.manifest && plan.history {
            self.put_history(history::Copy::Upload).await?;
        }
        let uploads = async {
            self.upload_all(&plan.assets, IMMUTABLE).await?;
            self.upload_all(&plan.originals, &short).await
        };
        let probing = plan.manifest && condition != Condition::None;
        let probe = async {
            if probing {
                Some(probe::probe(self.store, self.prefix).await)
            } else {
                None
            }
        };
        // Both run to the end, so a scratch key written by the probe is
        // deleted even when an upload fails.
        let (uploaded, probed) = future::join(uploads, probe).await;
        let conditions = match probed {
            None => None,
            Some(Ok(probed)) => {
                if let Some(leftover) = probed.leftover {
                    warn(leftover);
                }
                Some(probed.conditions)
            }
            Some(Err(err)) => {
                uploaded?;
                return Err(probe_failed(err));
            }
        };
        uploaded?;
        if plan.manifest {
            if plan.history {
                self.put_history(history::Copy::Published).await?;
            }
            self.put_manifest(&short, &plan.signature, condition, conditions, warn)
                .await?;
        }
        Ok(())
    }

    /// Uploads files with at most `concurrency` in flight, stopping at the
    /// first failure (files already uploaded stay: they are named by hash, or
    /// are originals a rerun rewrites).
    async fn upload_all(&self, files: &[LocalFile], cache_control: &str) -> Result<()> {
        let total = files.len();
        stream::iter(files.iter().map(Ok))
            .try_for_each_concurrent(self.options.concurrency, |file| self.upload(file, cache_control))
            .await
            .map_err(|first: Error| Error::UploadsFailed {
                failed: 1,
                total,
                first: Box::new(first),
            })
    }

    /// Uploads one file under the prefix.
    async fn upload(&self, file: &LocalFile, cache_control: &str) -> Result<()> {
        let key = format!("{}{}", self.prefix, file.name);
        let content_type = content_type(&file.type_name);
        let put = Put {
            key: &key,
            body: Body::File(&file.path, file.size),
            content_type: &content_type,
            cache_control,
            content_encoding: file.encoding,
            condition: Condition::None,
            stamp: None,
        };
        self.store.put(&put).await?;
        self.progress.uploaded(&key, file.size);
        Ok(())
    }

    /// Writes one of the manifest's copies under `manifests/`: the release
    /// history pruning reads.
    async fn put_history(&self, copy: history::Copy) -> Result<()> {
        let manifest = &self.local.manifest_bytes;
        let key = format!("{}{}", self.prefix, history::key(&self.local.manifest.hash, copy));
        let json = content_type(MANIFEST_NAME);
        let history = Put {
            key: &key,
            body: Body::Bytes(manifest),
            content_type: &json,
            cache_control: IMMUTABLE,
            content_encoding: None,
            condition: Condition::None,
            stamp: None,
        };
        self.store.put(&history).await?;
        self.progress.uploaded(&key, manifest.len() as u64);
        Ok(())
    }

    /// Writes the manifest if `condition` still holds. A store that cannot
    /// check conditions, as the probe found (`conditions`) or as the write
    /// itself answers, gets a warning and an unconditional write.
    async fn put_manifest(
        &self,
        cache_control: &str,
        signature: &str,
        condition: Condition,
        conditions: Option<Conditions>,
        warn: &mut dyn FnMut(String),
    ) -> Result<()> {
        let (target, prefix) = (self.target, self.prefix);
        let manifest = &self.local.manifest_bytes;
        let key = format!("{prefix}{MANIFEST_NAME}");
        let json = content_type(MANIFEST_NAME);
        let mut put = Put {
            key: &key,
            body: Body::Bytes(manifest),
            content_type: &json,
            cache_control,
            content_encoding: None,
            condition,
            stamp: Some(Stamp {
                md5: &self.local.md5,
                variants: signature,
            }),
        };
        let unconditional = |why: &str| {
            format!(
                "{target} does not support conditional writes ({why}); writing the manifest \
                 unconditionally, so a deploy running at the same time could be overwritten"
            )
        };
        let known = match conditions {
            Some(Conditions::Unsupported) => Some("it answered 501 NotImplemented to a conditional write"),
            Some(Conditions::Ignored) => Some(
                "it accepted a write whose condition could not hold: the condition header is \
                 ignored, or dropped on the way",
            ),
            Some(Conditions::Checked) | None => None,
        };
        if let Some(why) = known {
            warn(unconditional(why));
            put.condition = Condition::None;
        }
        match self.store.put(&put).await? {
            PutOutcome::Written => {}
            PutOutcome::PreconditionFailed => self.written_before(&key, warn).await?,
            PutOutcome::ConditionUnsupported => {
                warn(unconditional("it answered 501 NotImplemented"));
                put.condition = Condition::None;
                self.store.put(&put).await?;
            }
        }
        self.progress.uploaded(&key, manifest.len() as u64);
        Ok(())
    }

    /// After a manifest write whose condition failed: whether the store
    /// holds this release's manifest all the same. It does when an earlier
    /// attempt of the same write succeeded but its answer was lost (the
    /// SDK's retry then meets its own write), or when another deploy
    /// published this same release: either way it is published. Anything
    /// else is another deploy's release, and an error.
    async fn written_before(&self, key: &str, warn: &mut dyn FnMut(String)) -> Result<()> {
        let fetched = self.store.get(key, self.options.max_manifest_bytes).await?;
        if fetched.is_some_and(|f| f.bytes == self.local.manifest_bytes) {
            warn(format!(
                "the store refused the manifest's conditional write, but `{key}` already holds \
                 this release (an earlier attempt's answer was lost, or another deploy published \
                 the same release): it is published"
            ));
            return Ok(());
        }
        Err(Error::ManifestChanged { key: key.to_owned() })
    }
}

/// A probe's failure, said to be one (its scratch key means nothing to a
/// reader).
fn probe_failed(err: Error) -> Error {
    match err {
        Error::Store { key, message, .. } => Error::Store {
            operation: "the conditional-write probe",
            key,
            message,
        },
        other => other,
    }
}

/// Parses durations like `90s`, `15m`, `1h`, `2d` (a bare number is seconds).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(asset_sync::parse_duration("1h").unwrap(), Duration::from_secs(3600));
/// assert_eq!(asset_sync::parse_duration("90").unwrap(), Duration::from_secs(90));
/// assert!(asset_sync::parse_duration("soon").is_err());
/// // Too large for any clock: as long as a duration can be.
/// assert_eq!(asset_sync::parse_duration("99999999999999999999d").unwrap(), Duration::from_secs(u64::MAX));
/// ```
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || Error::BadOption {
        option: "duration",
        reason: format!("`{text}` is not a duration like 90s, 15m, 1h or 2d"),
    };
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    // Durations saturate: a number too large for any clock is "forever".
    let number: u64 = match number.parse() {
        Ok(number) => number,
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => u64::MAX,
        Err(_) => return Err(bad()),
    };
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(number.saturating_mul(factor)))
}
