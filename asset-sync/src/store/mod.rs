//! Where a sync writes: what it needs of a store, [`ObjectStore`], and the
//! backends that provide it: an S3 bucket ([`S3Store`], any S3-compatible
//! store through `aws-sdk-s3`), an Azure container (`CloudStore`, through
//! `object_store`; feature `azure`) and a local folder ([`FolderStore`]).
//! [`Store`] is any one, chosen at run time from the target, as the
//! command line does.
//!
//! # What a store does
//!
//! A sync needs five operations, and nothing else (no copy):
//!
//! - [`head`](ObjectStore::head) reads an object's ETag and the
//!   [`Stamp`] it was written with, without its body, or says there is
//!   none. A deploy reads the manifest's this way first: when the stamp
//!   says the store already holds this release, that one bodiless request
//!   is the whole deploy.
//! - [`get`](ObjectStore::get) reads an object whole, with its ETag, or
//!   says there is none; an object larger than the limit given is refused
//!   before its body is read ([`Error::TooLarge`](crate::Error::TooLarge)).
//!   The manifest is read this way, and so are the release history's
//!   copies pruning reads.
//! - [`put`](ObjectStore::put) writes an object from a file or from
//!   memory, with its `Content-Type`, `Cache-Control` and
//!   `Content-Encoding`, if its [`Condition`] holds. A bucket uploads large
//!   files in parts (see [`S3Settings`]); writes with a condition are always
//!   a single request.
//! - [`list`](ObjectStore::list) lists every object under a prefix, with
//!   its size and modification time, when the store has no readable
//!   manifest and when pruning.
//! - [`delete`](ObjectStore::delete) deletes objects in batches of at most
//!   1,000 keys (the most one S3 request takes); a key already gone is not
//!   an error.
//!
//! # Conditions
//!
//! Only the manifest is written with a condition, so that two deploys
//! running at once cannot silently overwrite each other:
//!
//! - [`Condition::None`]: write, whatever is there.
//! - [`Condition::IfMatch`]: write only if the object still has the ETag
//!   read at the start of the sync (`If-Match`).
//! - [`Condition::IfNoneMatch`]: write only if there is no object yet
//!   (`If-None-Match: *`), as on a first deploy.
//!
//! A write whose condition does not hold writes nothing and ends in
//! [`PutOutcome::PreconditionFailed`]. A store that cannot check conditions
//! writes nothing either and answers [`PutOutcome::ConditionUnsupported`];
//! the sync then decides what to do (it warns, and writes unconditionally).
//! Neither is an error: errors are for everything else. A folder checks
//! conditions itself, with the hex MD5 of a file's content as its ETag.
//!
//! A store that drops the condition headers writes anyway and answers
//! [`PutOutcome::Written`], which looks like success. So a sync does not
//! take conditions on trust: before its conditional manifest write it asks
//! the store once for a write that cannot be allowed, to a scratch key
//! named with [`PROBE_MARKER`](crate::PROBE_MARKER) under the prefix, with
//! an `If-Match` no object can match. Refused means the store checks
//! conditions; 501, or written (the scratch key is then deleted), means it
//! does not, and the sync warns and writes the manifest unconditionally.
//!
//! What stores do, from their documentation: AWS S3 checks
//! `If-None-Match: *` (since August 2024) and `If-Match` (since November
//! 2024), and answers `If-Match` on a missing key with 404 `NoSuchKey`;
//! Cloudflare R2 checks both; MinIO checks both, and before a fix of
//! August 2025 wrote an `If-Match` write to a missing key; Ceph RGW checks
//! both and answers 412. Google Cloud Storage's XML API applies `If-Match`
//! and `If-None-Match` to reads only: its writes take
//! `x-goog-if-generation-match` with the generation its `GET` returns in
//! `x-goog-generation` (`0`: no object yet). A bucket whose endpoint is
//! `storage.googleapis.com` (or with
//! [`S3Options::gcs_preconditions`](crate::S3Options::gcs_preconditions))
//! uses those: [`Fetched::etag`] is then the generation, and the conditions
//! go as that header. The crate README cites the sources.
//!
//! # Counting requests
//!
//! Each backend counts the requests it makes, as it makes them, and
//! [`ObjectStore::requests`] says how many so far; a sync reports the
//! difference in its summary. A request is counted before it is sent, so a
//! failed one counts too; the SDK's retries of a request do not count
//! again.
//!
//! - A bucket counts each call of the S3 API: a `HEAD`, a `GET`, a `PUT`, each page of
//!   a listing (1,000 keys), each batch of deletes, and for an upload in
//!   parts its start, each part, and its completion or abort.
//! - A folder counts one request per operation, and one per batch of
//!   deletes, whatever the number of files.
//! - An Azure container counts each HTTP request its client sends, so a
//!   retry counts too.
//!
//! A sync that writes the manifest conditionally counts the probe too: one
//! request, or two when the store wrote the scratch key and it was deleted.

#[cfg(feature = "azure")]
mod azure;
#[cfg(feature = "cloud")]
mod cloud;
mod folder;
mod s3;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

#[cfg(feature = "azure")]
pub use azure::connect_azure;
#[cfg(feature = "cloud")]
pub use cloud::{CloudOptions, CloudStore};
pub use folder::FolderStore;

pub(crate) use s3::{Dialect, UnsignedMd5Puts};
pub use s3::{S3Settings, S3Store};

use crate::error::Result;

/// The most keys one delete request takes (S3's `DeleteObjects` limit).
const DELETE_BATCH: usize = 1000;

/// What a sync needs of a store: read, write, list and delete objects, and
/// say how many requests that took. See the [module documentation](crate::store)
/// for what each operation and condition means.
pub trait ObjectStore {
    /// Requests made so far, by every call on this store.
    fn requests(&self) -> usize;

    /// Reads an object's ETag and stamp, not its body; `None` if there is
    /// none.
    fn head(&self, key: &str) -> impl Future<Output = Result<Option<Head>>> + Send;

    /// Reads an object whole, with its ETag; `None` if there is none. One
    /// of more than `limit` bytes is an error, its body never read.
    fn get(&self, key: &str, limit: u64) -> impl Future<Output = Result<Option<Fetched>>> + Send;

    /// Lists every object under `prefix` (all pages).
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<Listed>>> + Send;

    /// Writes an object if its condition holds.
    fn put(&self, put: &Put<'_>) -> impl Future<Output = Result<PutOutcome>> + Send;

    /// Deletes objects, in batches of at most 1,000 keys per request; keys
    /// already gone are no error.
    fn delete(&self, keys: &[String]) -> impl Future<Output = Result<()>> + Send;

    /// What this store does not do that the S3 path does, for uploads as
    /// large as `largest` bytes, if anything: a sync says it once, as a
    /// warning.
    fn caveat(&self, largest: u64) -> Option<String> {
        let _ = largest;
        None
    }
}

/// Where an object's bytes come from.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// A file and its size in bytes, streamed.
    File(&'a Path, u64),
    /// Bytes in memory.
    Bytes(&'a [u8]),
}

/// A precondition on a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Write unconditionally.
    None,
    /// Only if the object still has this ETag (`If-Match`).
    IfMatch(String),
    /// Only if there is no object (`If-None-Match: *`).
    IfNoneMatch,
}

/// One object to write: its key, bytes, headers and condition. A folder
/// keeps only the bytes.
#[derive(Debug, Clone)]
pub struct Put<'a> {
    /// The object's full key, prefix included.
    pub key: &'a str,
    /// Where the bytes come from.
    pub body: Body<'a>,
    /// `Content-Type`.
    pub content_type: &'a str,
    /// `Cache-Control`.
    pub cache_control: &'a str,
    /// `Content-Encoding` of a precompressed file (`br`, `zstd`, `gzip`), else `None`.
    pub content_encoding: Option<&'a str>,
    /// When the write may happen.
    pub condition: Condition,
    /// What the manifest is written with, to be read back by
    /// [`ObjectStore::head`]; `None` for every other object.
    pub stamp: Option<Stamp<'a>>,
}

/// What a manifest is written with besides its bytes: the hex MD5 of those
/// bytes and the release's variants signature (see [`crate::variants`]).
/// An S3 bucket keeps both as user metadata (`asset-md5`,
/// `asset-variants`; S3 refuses a body whose `Content-MD5` is not its
/// own, so the MD5 is the bytes'). An Azure container keeps the signature
/// as metadata (`asset_variants`) and the MD5 itself: the `Content-MD5`
/// it computed of the bytes it received. A folder keeps the signature in
/// a hidden file beside the manifest, and needs no MD5 (a file's ETag is
/// its MD5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp<'a> {
    /// The hex MD5 of the manifest's bytes.
    pub md5: &'a str,
    /// The variants signature.
    pub variants: &'a str,
}

/// An object's headers, read without its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// Its ETag as the store gives it.
    pub etag: Option<String>,
    /// The MD5 it was stamped with ([`Stamp::md5`]), if any.
    pub md5: Option<String>,
    /// The variants signature it was stamped with, if any.
    pub variants: Option<String>,
}

impl Head {
    /// Whether this is the head of a manifest with this MD5, stamped with
    /// these variants. The MD5 is the stamp's or, for a manifest written
    /// without one (by an earlier version), the ETag when the store's
    /// ETag is the MD5 of the content (S3's for a single-part upload, a
    /// folder's).
    pub fn is(&self, stamp: &Stamp<'_>) -> bool {
        let etag = self.etag.as_deref().map(|e| e.trim_matches('"'));
        let same_bytes = self.md5.as_deref() == Some(stamp.md5) || etag == Some(stamp.md5);
        same_bytes && self.variants.as_deref() == Some(stamp.variants)
    }
}

/// How a write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// Written.
    Written,
    /// The condition did not hold; nothing was written.
    PreconditionFailed,
    /// The store does not support conditional writes; nothing was written.
    ConditionUnsupported,
}

/// An object found by listing.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The object's full key, prefix included.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written, if the store says.
    pub last_modified: Option<SystemTime>,
}

/// An object read whole.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Its content.
    pub bytes: Vec<u8>,
    /// Its ETag as the store gives it, to pass back in
    /// [`Condition::IfMatch`]; `None` if the store gave none.
    pub etag: Option<String>,
    /// The variants signature written with it, if any ([`Stamp::variants`]).
    pub variants: Option<String>,
}

/// The lowercase hex of `bytes`: how an MD5 is written in ETags and
/// stamps.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex MD5 of `bytes`: a folder's ETag, a manifest's stamp.
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    hex(&md5::Md5::digest(bytes))
}

/// The requests a backend has made, counted by the backend itself.
#[derive(Debug, Default)]
pub(crate) struct RequestCounter(AtomicUsize);

impl RequestCounter {
    /// Counts one request, before it is sent.
    pub(crate) fn count(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests counted so far.
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// A store chosen at run time: a bucket, a container or a folder. Each
/// counts its own requests; this only passes calls on.
#[derive(Debug)]
pub enum Store {
    /// An S3 bucket.
    S3(S3Store),
    /// An Azure container.
    #[cfg(feature = "cloud")]
    Cloud(CloudStore),
    /// A local folder.
    Folder(FolderStore),
}

impl Store {
    /// A bucket.
    pub fn s3(store: S3Store) -> Store {
        Store::S3(store)
    }

    /// A local folder (created on the first write).
    pub fn folder(dir: PathBuf) -> Store {
        Store::Folder(FolderStore::new(dir))
    }
}

impl ObjectStore for Store {
    fn requests(&self) -> usize {
        match self {
            Store::S3(s3) => s3.requests(),
            #[cfg(feature = "cloud")]
            Store::Cloud(cloud) => cloud.requests(),
            Store::Folder(folder) => folder.requests(),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<Head>> {
        match self {
            Store::S3(s3) => s3.head(key).await,
            #[cfg(feature = "cloud")]
            Store::Cloud(cloud) => cloud.head(key).await,
            Store::Folder(folder) => folder.head(key).await,
        }
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>> {
        match self {
            Store::S3(s3) => s3.get(key, limit).await,
            #[cfg(feature = "cloud")]
            Store::Cloud(cloud) => cloud.get(key, limit).await,
            Store::Folder(folder) => folder.get(key, limit).await,
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        match self {
            Store::S3(s3) => s3.list(prefix).await,
            #[cfg(feature = "cloud")]
            Store::Cloud(cloud) => cloud.list(prefix).await,
            Store::Folder(folder) => folder.list(prefix).await,
        }
    }

    async fn put(&self, put: &Put<'_>) -> Result<PutOutcome> {
        match self {
            Store::S3(s3) => s3.put(put).await,
            #[cfg(feature = "cloud")]
            Store::Cloud(cloud) => cloud.put(put).await,
            Store::Folder(folder) => folder.put(put).await,
        }
    }

    fn caveat(&self, largest: u64) -> Option<String> {
        match self {
            Store::S3(s3) => s3.caveat(largest),
            #[cfg(feature = "cloud")]
            Store::Cloud(cloud) => cloud.caveat(largest),
            Store::Folder(folder) => folder.caveat(largest),
        }
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        match self {
            Store::S3(s3) => s3.delete(keys).await,
            #[cfg(feature = "cloud")]
            Store::Cloud(cloud) => cloud.delete(keys).await,
            Store::Folder(folder) => folder.delete(keys).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_a_release_by_its_stamp_or_an_etag_that_is_its_md5() {
        let md5 = "0cc175b9c0f1b6a831c399e269772661";
        let stamp = Stamp {
            md5,
            variants: "v1:br,gz",
        };
        let head = |etag: Option<&str>, md5: Option<&str>, variants: Option<&str>| Head {
            etag: etag.map(str::to_owned),
            md5: md5.map(str::to_owned),
            variants: variants.map(str::to_owned),
        };
        assert!(head(Some("\"0x8DC\""), Some(md5), Some("v1:br,gz")).is(&stamp));
        // Written without an MD5 by an earlier version: S3's ETag of a
        // single-part upload is the MD5, quoted; a folder's, bare.
        assert!(head(Some(&format!("\"{md5}\"")), None, Some("v1:br,gz")).is(&stamp));
        assert!(head(Some(md5), None, Some("v1:br,gz")).is(&stamp));
        // Another release, other variants, or nothing to go by.
        assert!(
            !head(
                Some("\"0x8DC\""),
                Some("92eb5ffee6ae2fec3ad71c777531578f"),
                Some("v1:br,gz")
            )
            .is(&stamp)
        );
        assert!(!head(Some(md5), Some(md5), Some("v1:br")).is(&stamp));
        assert!(!head(Some(md5), Some(md5), None).is(&stamp));
        assert!(!head(None, None, Some("v1:br,gz")).is(&stamp));
        // A multipart ETag is never an MD5 of the content.
        assert!(!head(Some(&format!("\"{md5}-2\"")), None, Some("v1:br,gz")).is(&stamp));
    }
}
