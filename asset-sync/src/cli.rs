//! The command line shared by `asset-sync` and `cargo xtask sync`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;

use crate::connect::{S3Options, connect};
use crate::error::{Error, Result};
use crate::hook::KeyFormat;
use crate::local::LocalTree;
use crate::locate::{PackageAssets, locate};
use crate::plan::Plan;
use crate::prune::PruneOptions;
use crate::store::Store;
use crate::summary::Summary;
use crate::sync::{Progress, SyncOptions, parse_duration, sync};
use crate::target::Target;

/// Options of a sync, as given on the command line.
///
/// Values not given fall back to the package's
/// `[package.metadata.asset-sync]` table (keys named like the options:
/// `target`, `endpoint-url`, `path-style`, `region`, `concurrency`,
/// `max-age`, `prune`, `keep`, `min-age`, `sdk-checksums`, `sign-payload`, `acl`,
/// `storage-class`, `after-publish`, `after-publish-format`, `max-manifest-size`), then to the defaults shown.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Where to upload: s3://bucket/prefix/, az://container/prefix/, file:///path or a
    /// folder path.
    /// Default: the package's `target` setting, else a local folder under
    /// target/ (printed).
    pub target: Option<String>,

    /// Folder holding staticfiles.json, instead of the package's collected folder.
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,

    /// Workspace package whose collected folder to upload.
    #[arg(short, long, value_name = "NAME")]
    pub package: Option<String>,

    /// Cargo profile folder the package was built in.
    #[arg(long, value_name = "NAME", default_value = "release")]
    pub profile: String,

    /// Print the plan (upload / skip / delete, with counts; -v lists keys); write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// List every key uploaded or deleted.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Upload every file, whatever the store already holds.
    #[arg(long)]
    pub force: bool,

    /// List the prefix once and upload again what the manifest names but the store lacks
    /// (missing, or of another size); with --dry-run, only report.
    #[arg(long)]
    pub verify: bool,

    /// Uploads in flight at once [default: 32].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// max-age, in seconds, of unhashed files and the manifest [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub max_age: Option<u64>,

    /// Delete files that none of the last --keep releases use and that are older than --min-age.
    #[arg(long)]
    pub prune: bool,

    /// Releases whose files --prune keeps [default: 2].
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,

    /// Files younger than this are never pruned, e.g. 30m, 1h, 2d [default: 1h].
    #[arg(long, value_name = "DURATION")]
    pub min_age: Option<String>,

    /// After a publish, run CMD (sh -c; cmd /C on Windows) with the changed unhashed keys
    /// (originals, their siblings, staticfiles.json; prefix included) on stdin, one a line:
    /// to purge a CDN. Its failure exits with 5.
    #[arg(long, value_name = "CMD")]
    pub after_publish: Option<String>,

    /// How --after-publish receives the keys: one a line, NUL-terminated (for xargs -0),
    /// or a JSON array [default: lines].
    #[arg(long, value_name = "FORMAT")]
    pub after_publish_format: Option<KeyFormat>,

    /// The most bytes a manifest read from the store (the published one, or a history
    /// copy) may have; a larger one is refused unread [default: 256 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_manifest_size: Option<u64>,

    /// Endpoint of an S3-compatible store (MinIO, R2, Ceph; also AWS_ENDPOINT_URL), of Azure
    /// (Azurite, a sovereign cloud).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Path-style addressing (endpoint/bucket/key), needed by most S3-compatible stores.
    #[arg(long)]
    pub path_style: bool,

    /// AWS region [default: from the AWS chain, else us-east-1].
    #[arg(long)]
    pub region: Option<String>,

    /// Profile from ~/.aws/config [default: AWS_PROFILE or "default"].
    #[arg(long, value_name = "NAME")]
    pub aws_profile: Option<String>,

    /// Do not send the SDK's default CRC32 checksums (R2, MinIO and others reject them);
    /// Content-MD5 still protects every upload.
    #[arg(long)]
    pub no_sdk_checksums: bool,

    /// Hash every upload's body for its signature. By default an upload carrying
    /// Content-MD5 (a signed header the store checks) is signed as UNSIGNED-PAYLOAD;
    /// use this for a store that refuses that.
    #[arg(long)]
    pub sign_payload: bool,

    /// Canned ACL for every object, e.g. public-read.
    #[arg(long)]
    pub acl: Option<String>,

    /// Storage class for every object, e.g. STANDARD_IA.
    #[arg(long)]
    pub storage_class: Option<String>,

    /// Extra x-amz-meta-* metadata on every object, KEY=VALUE (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub metadata: Vec<String>,
}

/// Exit codes of the command-line tools.
pub mod exit {
    /// Synced (or, with --dry-run, planned).
    pub const OK: u8 = 0;
    /// A request or file operation failed; the bucket's manifest is unchanged.
    pub const FAILED: u8 = 1;
    /// Bad input: source folder, manifest, target or option.
    pub const BAD_INPUT: u8 = 2;
    /// The bucket does not exist or access was denied.
    pub const ACCESS: u8 = 3;
    /// Another deploy changed the manifest during this one; rerun.
    pub const RACE: u8 = 4;
    /// The release was published, but the --after-publish command failed
    /// (or could not start); run it again, or purge by hand.
    pub const AFTER_PUBLISH: u8 = 5;
}

struct Settings<'a>(&'a serde_json::Value);

impl Settings<'_> {
    fn str(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(|v| v.as_str()).map(str::to_owned)
    }
    fn u64(&self, key: &str) -> Option<u64> {
        self.0.get(key).and_then(serde_json::Value::as_u64)
    }
    fn bool(&self, key: &str) -> Option<bool> {
        self.0.get(key).and_then(serde_json::Value::as_bool)
    }
}

/// Runs a sync from command-line options; prints progress on stderr and the
/// summary (or JSON) on stdout.
pub async fn run(args: &SyncArgs, package: Option<PackageAssets>) -> Result<Summary> {
    let package = match (&args.source, package) {
        (_, Some(package)) => Some(package),
        (Some(_), None) => None,
        (None, None) => Some(locate(
            &std::env::current_dir().map_err(|e| Error::io("read", ".", e))?,
            args.package.as_deref(),
            &args.profile,
        )?),
    };
    let null = serde_json::Value::Null;
    let settings = Settings(package.as_ref().map_or(&null, |p| &p.settings));
    let source = match (&args.source, &package) {
        (Some(dir), _) => dir.clone(),
        (None, Some(p)) => p.collected_dir.clone(),
        (None, None) => unreachable!("a package is located when no source is given"),
    };
    let local = LocalTree::open(&source)?;

    let target_text = match args.target.clone().or_else(|| settings.str("target")) {
        Some(t) => t,
        None => match &package {
            Some(p) => {
                let dir = p.target_dir.join("asset-sync").join(&p.name);
                eprintln!("no target given: syncing to the local folder {}", dir.display());
                dir.display().to_string()
            }
            None => {
                return Err(Error::BadTarget {
                    target: String::new(),
                    reason: "no target given".to_owned(),
                });
            }
        },
    };
    let target = Target::parse(&target_text)?;

    let min_age = match args.min_age.clone().or_else(|| settings.str("min-age")) {
        Some(text) => parse_duration(&text)?,
        None => PruneOptions::default().min_age,
    };
    let options = SyncOptions {
        dry_run: args.dry_run,
        force: args.force,
        verify: args.verify,
        concurrency: args
            .concurrency
            .or_else(|| settings.u64("concurrency").map(|n| n as usize))
            .unwrap_or(32),
        short_max_age: args
            .max_age
            .or_else(|| settings.u64("max-age"))
            .unwrap_or(u64::from(asset_contract::cache::SHORT_MAX_AGE)),
        prune: (args.prune || settings.bool("prune") == Some(true)).then(|| PruneOptions {
            keep: args
                .keep
                .or_else(|| settings.u64("keep").map(|n| n as usize))
                .unwrap_or(PruneOptions::default().keep),
            min_age,
        }),
        after_publish: args.after_publish.clone().or_else(|| settings.str("after-publish")),
        max_manifest_bytes: args
            .max_manifest_size
            .or_else(|| settings.u64("max-manifest-size"))
            .unwrap_or(SyncOptions::default().max_manifest_bytes),
        after_publish_format: match args.after_publish_format {
            Some(format) => format,
            None => match settings.str("after-publish-format") {
                None => KeyFormat::default(),
                Some(text) => <KeyFormat as clap::ValueEnum>::from_str(&text, false).map_err(|_| Error::BadOption {
                    option: "after-publish-format",
                    reason: format!("`{text}` is not one of lines, nul, json"),
                })?,
            },
        },
    };

    let endpoint_url = args.endpoint_url.clone().or_else(|| settings.str("endpoint-url"));
    let (store, prefix, shown) = match &target {
        Target::Folder(dir) => (Store::folder(dir.clone()), String::new(), format!("{}/", dir.display())),
        Target::S3 { bucket, prefix } => {
            let mut s3 = S3Options {
                endpoint_url: endpoint_url.clone(),
                region: args.region.clone().or_else(|| settings.str("region")),
                profile: args.aws_profile.clone(),
                path_style: args.path_style || settings.bool("path-style") == Some(true),
                sdk_checksums: !args.no_sdk_checksums && settings.bool("sdk-checksums") != Some(false),
                sign_payload: args.sign_payload || settings.bool("sign-payload") == Some(true),
                ..S3Options::default()
            };
            s3.settings.acl = args.acl.clone().or_else(|| settings.str("acl"));
            s3.settings.storage_class = args.storage_class.clone().or_else(|| settings.str("storage-class"));
            for pair in &args.metadata {
                let (k, v) = pair.split_once('=').ok_or_else(|| Error::BadOption {
                    option: "--metadata",
                    reason: format!("`{pair}` is not KEY=VALUE"),
                })?;
                s3.settings.metadata.push((k.to_owned(), v.to_owned()));
            }
            (
                Store::s3(connect(bucket, &s3).await),
                prefix.clone(),
                target.to_string(),
            )
        }
        Target::Azure { container, prefix } => {
            if let Some(option) = s3_only(args) {
                return Err(Error::BadOption {
                    option,
                    reason: format!("it applies to s3:// targets only, not to {target}"),
                });
            }
            let shown = target.to_string();
            (azure_store(container, &shown, endpoint_url)?, prefix.clone(), shown)
        }
    };

    let progress = CliProgress::new(args.verbose, args.dry_run);
    let summary = sync(&local, &store, &shown, &prefix, &options, &progress).await;
    progress.finish();
    summary
}

/// The first S3-only option given, if any.
fn s3_only(args: &SyncArgs) -> Option<&'static str> {
    [
        ("--path-style", args.path_style),
        ("--region", args.region.is_some()),
        ("--aws-profile", args.aws_profile.is_some()),
        ("--no-sdk-checksums", args.no_sdk_checksums),
        ("--sign-payload", args.sign_payload),
        ("--acl", args.acl.is_some()),
        ("--storage-class", args.storage_class.is_some()),
        ("--metadata", !args.metadata.is_empty()),
    ]
    .into_iter()
    .find_map(|(option, given)| given.then_some(option))
}

/// The Azure container `container`, reached at `endpoint` if given; or,
/// from a binary built without the `azure` feature, an error saying so.
#[cfg(feature = "azure")]
fn azure_store(container: &str, target: &str, endpoint: Option<String>) -> Result<Store> {
    let options = crate::store::CloudOptions {
        endpoint_url: endpoint,
        ..crate::store::CloudOptions::default()
    };
    Ok(Store::Cloud(crate::store::connect_azure(container, target, &options)?))
}

/// See the other `azure_store`.
#[cfg(not(feature = "azure"))]
fn azure_store(_: &str, target: &str, _: Option<String>) -> Result<Store> {
    Err(Error::BadTarget {
        target: target.to_owned(),
        reason: "this asset-sync was built without the `azure` feature (on by default)".to_owned(),
    })
}

/// Progress on stderr: a bar with bytes and files on a terminal, plain
/// lines otherwise (CI logs).
struct CliProgress {
    verbose: bool,
    dry_run: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
    /// Files uploaded so far, and how many the plan has.
    files: std::sync::atomic::AtomicUsize,
    total_files: std::sync::atomic::AtomicUsize,
}

impl CliProgress {
    fn new(verbose: bool, dry_run: bool) -> Self {
        CliProgress {
            verbose,
            dry_run,
            bar: Mutex::new(None),
            files: std::sync::atomic::AtomicUsize::new(0),
            total_files: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
        }
    }

    fn line(&self, text: &str) {
        match self.bar.lock().expect("not poisoned").as_ref() {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

impl Progress for CliProgress {
    fn warn(&self, message: &str) {
        self.line(&format!("warning: {message}"));
    }

    fn planned(&self, plan: &Plan) {
        let verb = if self.dry_run { "would upload" } else { "uploading" };
        self.line(&format!(
            "plan: {verb} {} files ({} bytes): {} assets, {} originals{}; {} already in place",
            plan.uploads(),
            plan.bytes(),
            plan.assets.len(),
            plan.originals.len(),
            if plan.manifest {
                ", manifest and its history copy"
            } else {
                ""
            },
            plan.skipped
        ));
        self.total_files
            .store(plan.uploads(), std::sync::atomic::Ordering::Relaxed);
        if !self.dry_run && std::io::stderr().is_terminal() && plan.uploads() > 0 {
            let bar = indicatif::ProgressBar::new(plan.bytes());
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg} {elapsed}")
                    .expect("valid template"),
            );
            *self.bar.lock().expect("not poisoned") = Some(bar);
        }
    }

    fn uploaded(&self, key: &str, bytes: u64) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").as_ref() {
            let done = self.files.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let total = self.total_files.load(std::sync::atomic::Ordering::Relaxed);
            bar.inc(bytes);
            bar.set_message(format!("{done}/{total} files, {key}"));
        }
        if self.verbose {
            let verb = if self.dry_run { "would upload" } else { "uploaded" };
            self.line(&format!("{verb} {key}"));
        }
    }

    fn deleted(&self, key: &str) {
        if self.verbose {
            let verb = if self.dry_run { "would delete" } else { "deleted" };
            self.line(&format!("{verb} {key}"));
        }
    }
}

/// Prints a summary, or an error (and the summary, when the sync did its
/// work but for the after-publish command), and returns the exit code.
pub fn report(result: Result<Summary>, json: bool) -> u8 {
    let print = |summary: &Summary| {
        if json {
            println!("{}", serde_json::to_string(summary).expect("a summary serializes"));
        } else {
            println!("{summary}");
        }
    };
    match result {
        Ok(summary) => {
            print(&summary);
            exit::OK
        }
        Err(error) => {
            if let Some(summary) = error.summary() {
                print(summary);
            }
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}
