//! Upload content-hashed static assets to S3 (or any S3-compatible store),
//! Azure Blob Storage, or a local folder, fast and safe for rolling
//! deploys.
//!
//! The input is a folder written by `asset-build` (or Django's
//! `collectstatic`): originals, hashed copies and `staticfiles.json`. A
//! sync compares that manifest with the one already in the bucket and
//! uploads only what changed: a redeploy with nothing changed is one
//! request. The manifest goes last, with a conditional write, so the bucket
//! never names a missing file and two racing deploys cannot silently
//! overwrite each other.
//!
//! ```no_run
//! # async fn run() -> Result<(), asset_sync::Error> {
//! use asset_sync::{LocalTree, S3Options, Store, SyncOptions, Target, Quiet};
//! let local = LocalTree::open("target/release/static/my-app".as_ref())?;
//! let Target::S3 { bucket, prefix } = Target::parse("s3://my-bucket/static/")? else { unreachable!() };
//! let store = Store::s3(asset_sync::connect(&bucket, &S3Options::default()).await);
//! let summary = asset_sync::sync(&local, &store, "s3://my-bucket/static/", &prefix, &SyncOptions::default(), &Quiet).await?;
//! println!("{summary}");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cli;
mod connect;
mod error;
mod history;
mod hook;
mod local;
mod locate;
mod plan;
mod probe;
mod prune;
pub mod store;
mod summary;
mod sync;
mod target;
pub mod variants;

pub use asset_contract::{MANIFEST_NAME, Manifest};
pub use connect::{S3Options, connect};
pub use error::{Error, Result, StoreWords};
pub use hook::KeyFormat;
pub use local::{LocalFile, LocalTree};
pub use locate::{PackageAssets, locate};
pub use plan::{Plan, Remote};
pub use probe::PROBE_MARKER;
pub use prune::PruneOptions;
pub use store::{FolderStore, ObjectStore, S3Settings, S3Store, Store};
pub use summary::{Summary, Verified};
pub use sync::{Progress, Quiet, SyncOptions, parse_duration, sync};
pub use target::Target;
