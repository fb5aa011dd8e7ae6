//! Stores reached through `object_store` (Azure Blob Storage; Google
//! Cloud Storage once an emulator can test it): what they share. Each
//! store's own part (credentials, endpoints, the names its metadata may
//! have) is in its module (`azure`), as a [`Backend`] value; the HTTP
//! client under them, which counts requests and checks the digest of
//! every upload, is in `http`.
//!
//! How the sync's operations map:
//!
//! - `head` and `get` are `object_store`'s `get_opts` (`head: true` for the
//!   former), which reads the user metadata (`x-ms-meta-*`,
//!   `x-goog-meta-*`) as attributes.
//! - `put` is one `put_opts`, with `Content-Type`, `Cache-Control` and
//!   `Content-Encoding` as attributes, and the condition as a `PutMode`:
//!   `Create` (Azure `If-None-Match: *`) or `Update` (Azure `If-Match` on
//!   the ETag `get` read).
//! - `list` is `object_store`'s paginated listing; `delete` its
//!   `delete_stream` (Azure: batches of 256 keys in one request).

mod http;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use md5::{Digest, Md5};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, AttributeValue, Attributes, BackoffConfig, GetOptions, ObjectStore as _, PutMode, PutOptions,
    PutPayload, RetryConfig, UpdateVersion,
};

use self::http::ExpectedMd5;
pub(crate) use self::http::{CheckedConnector, Seen};
use self::http::{Refusal, StoreMd5};
use super::{Body, Condition, Fetched, Head, Listed, ObjectStore, Put, PutOutcome};
use crate::error::{Error, Result, StoreWords};

/// How to reach an Azure container; credentials come from the
/// environment (see [`connect_azure`](super::connect_azure)).
#[derive(Clone)]
pub struct CloudOptions {
    /// Endpoint instead of the cloud's own: an emulator (Azurite's
    /// `http://127.0.0.1:10000/devstoreaccount1`) or a sovereign cloud's.
    pub endpoint_url: Option<String>,
    /// Attempts per request, with backoff between them.
    pub max_attempts: u32,
    /// First backoff between attempts (it grows).
    pub initial_backoff: Duration,
    /// A storage account and its key instead of the environment's
    /// credentials (for embedding and tests); the command-line tool
    /// always reads the environment.
    pub account_key: Option<(String, String)>,
}

impl std::fmt::Debug for CloudOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let account = self.account_key.as_ref().map(|(account, _)| (account, "<redacted>"));
        f.debug_struct("CloudOptions")
            .field("endpoint_url", &self.endpoint_url)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("account_key", &account)
            .finish()
    }
}

impl Default for CloudOptions {
    fn default() -> Self {
        CloudOptions {
            endpoint_url: None,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            account_key: None,
        }
    }
}

impl CloudOptions {
    /// `object_store`'s retries: at most `max_attempts - 1`, within a
    /// minute.
    pub(crate) fn retry(&self) -> RetryConfig {
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: self.initial_backoff,
                max_backoff: Duration::from_secs(15),
                base: 2.0,
            },
            max_retries: self.max_attempts.max(1) as usize - 1,
            retry_timeout: Duration::from_secs(60),
        }
    }
}

/// What differs between the stores `object_store` reaches: a value
/// each backend's module gives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backend {
    /// The store's words, for messages.
    pub words: StoreWords,
    /// The metadata name of a manifest's variants signature. (The MD5 of
    /// its stamp is the store's own: the `Content-MD5` it computed of the
    /// bytes it received, which no client can set apart from them.)
    pub variants_metadata: &'static str,
    /// The error code of a missing bucket.
    pub missing_code: &'static str,
    /// The error codes of refused credentials or permissions.
    pub denied_codes: &'static [&'static str],
}

/// A bucket of a store reached through `object_store`: an Azure
/// container, made by [`connect_azure`](super::connect_azure).
#[derive(Debug)]
pub struct CloudStore {
    pub(crate) store: Arc<dyn object_store::ObjectStore>,
    pub(crate) backend: &'static Backend,
    /// The container or bucket.
    pub(crate) bucket: String,
    /// For messages: the endpoint and where credentials came from.
    pub(crate) endpoint: String,
    pub(crate) credentials: String,
    /// Requests sent and the last refusal, as the HTTP client saw them.
    pub(crate) seen: Arc<Seen>,
}

/// From this size on, the S3 path uploads a file in parts; here it goes
/// whole.
const WHOLE_UPLOAD_CAVEAT: u64 = 64 * 1024 * 1024;

impl ObjectStore for CloudStore {
    fn caveat(&self, largest: u64) -> Option<String> {
        (largest >= WHOLE_UPLOAD_CAVEAT).then(|| {
            format!(
                "{} `{}`: each file goes up in one request, read whole into memory (an S3 bucket \
                 gets files of 64 MB and more in parts); the largest here is {:.0} MB, and up to \
                 --concurrency files are held at once",
                self.backend.words.bucket,
                self.bucket,
                largest as f64 / 1e6
            )
        })
    }

    fn requests(&self) -> usize {
        self.seen.requests.load(Ordering::Relaxed)
    }

    async fn head(&self, key: &str) -> Result<Option<Head>> {
        let refusal = Refusal::default();
        let options = GetOptions {
            head: true,
            extensions: Self::carrying(&refusal),
            ..GetOptions::default()
        };
        let answer = match self.store.get_opts(&self.path(key)?, options).await {
            Ok(answer) => answer,
            Err(err) => return self.missing_or(err, "read the headers of", key, &refusal),
        };
        let md5 = answer
            .extensions
            .get::<StoreMd5>()
            .and_then(|md5| hex_of_base64(&md5.0));
        Ok(Some(Head {
            etag: answer.meta.e_tag.clone(),
            md5,
            variants: self.variants(&answer.attributes),
        }))
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>> {
        let refusal = Refusal::default();
        let options = GetOptions {
            extensions: Self::carrying(&refusal),
            ..GetOptions::default()
        };
        let answer = match self.store.get_opts(&self.path(key)?, options).await {
            Ok(answer) => answer,
            Err(err) => return self.missing_or(err, "download", key, &refusal),
        };
        if answer.meta.size > limit {
            return Err(Error::TooLarge {
                key: key.to_owned(),
                size: answer.meta.size,
                limit,
            });
        }
        let variants = self.variants(&answer.attributes);
        let etag = answer.meta.e_tag.clone();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| self.error("download", key, e, refusal.code()))?;
        Ok(Some(Fetched {
            bytes: bytes.to_vec(),
            etag,
            variants,
        }))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        let root = match prefix.trim_end_matches('/') {
            "" => None,
            trimmed => Some(self.path(trimmed)?),
        };
        let refusal = &self.seen.refusal;
        refusal.clear();
        self.store
            .list(root.as_ref())
            .map_ok(|meta| Listed {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified: Some(meta.last_modified.into()),
            })
            .try_collect()
            .await
            .map_err(|e| self.error("list", prefix, e, refusal.code()))
    }

    async fn put(&self, put: &Put<'_>) -> Result<PutOutcome> {
        let (bytes, md5) = read_body(put.body).await?;
        let refusal = Refusal::default();
        let mut extensions = Self::carrying(&refusal);
        extensions.insert(ExpectedMd5(md5));
        let options = PutOptions {
            mode: Self::mode(&put.condition),
            attributes: self.attributes(put),
            extensions,
            ..PutOptions::default()
        };
        let written = self
            .store
            .put_opts(&self.path(put.key)?, PutPayload::from(bytes), options)
            .await;
        // The condition failed: 412 to `If-Match` (`Precondition`); 409
        // or 412 to `If-None-Match: *` (`AlreadyExists`). Any other 409
        // (a lease, say) is an error.
        match (written, &put.condition) {
            (Ok(_), _) => Ok(PutOutcome::Written),
            (Err(object_store::Error::Precondition { .. }), Condition::IfMatch(_))
            | (Err(object_store::Error::AlreadyExists { .. }), Condition::IfNoneMatch) => {
                Ok(PutOutcome::PreconditionFailed)
            }
            (Err(object_store::Error::NotImplemented { .. }), Condition::IfMatch(_) | Condition::IfNoneMatch) => {
                Ok(PutOutcome::ConditionUnsupported)
            }
            (Err(err), _) => Err(self.error("upload", put.key, err, refusal.code())),
        }
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        let paths: Vec<object_store::Result<ObjectPath>> = keys
            .iter()
            .map(|key| {
                self.path(key).map_err(|e| object_store::Error::Generic {
                    store: "asset-sync",
                    source: Box::new(e),
                })
            })
            .collect();
        let refusal = &self.seen.refusal;
        refusal.clear();
        let mut deleted = self.store.delete_stream(stream::iter(paths).boxed());
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => {
                    let key = keys.first().map_or("", String::as_str);
                    return Err(self.error("delete", key, err, refusal.code()));
                }
            }
        }
        Ok(())
    }
}

impl CloudStore {
    /// The object path of `key`, as it is (no encoding: the client encodes
    /// it for the URL).
    fn path(&self, key: &str) -> Result<ObjectPath> {
        ObjectPath::parse(key).map_err(|e| Error::Store {
            operation: "name",
            key: key.to_owned(),
            message: format!("not a valid object name: {e}"),
        })
    }

    /// The write mode of a condition.
    fn mode(condition: &Condition) -> PutMode {
        match condition {
            Condition::None => PutMode::Overwrite,
            Condition::IfNoneMatch => PutMode::Create,
            Condition::IfMatch(etag) => PutMode::Update(UpdateVersion {
                e_tag: Some(etag.clone()),
                version: None,
            }),
        }
    }

    /// The headers and metadata of a write.
    fn attributes(&self, put: &Put<'_>) -> Attributes {
        let mut attributes = Attributes::new();
        let mut set = |attribute: Attribute, value: &str| {
            attributes.insert(attribute, AttributeValue::from(value.to_owned()));
        };
        set(Attribute::ContentType, put.content_type);
        set(Attribute::CacheControl, put.cache_control);
        if let Some(encoding) = put.content_encoding {
            set(Attribute::ContentEncoding, encoding);
        }
        if let Some(stamp) = put.stamp {
            set(
                Attribute::Metadata(self.backend.variants_metadata.into()),
                stamp.variants,
            );
        }
        attributes
    }

    /// Access denied, with the container, endpoint and credential source.
    fn denied(&self, code: String) -> Error {
        Error::AccessDenied {
            store: &self.backend.words,
            bucket: self.bucket.clone(),
            endpoint: self.endpoint.clone(),
            code,
            credentials: self.credentials.clone(),
        }
    }

    /// Request extensions carrying `refusal`, the slot of one call.
    fn carrying(refusal: &Refusal) -> object_store::Extensions {
        let mut extensions = object_store::Extensions::new();
        extensions.insert(refusal.clone());
        extensions
    }

    /// A read's failure: no such object (`None`), unless the store said
    /// the container itself is missing; else the error.
    fn missing_or<T>(
        &self,
        err: object_store::Error,
        operation: &'static str,
        key: &str,
        refusal: &Refusal,
    ) -> Result<Option<T>> {
        let code = refusal.code();
        match err {
            object_store::Error::NotFound { .. } if code.as_deref() != Some(self.backend.missing_code) => Ok(None),
            err => Err(self.error(operation, key, err, code)),
        }
    }

    /// The variants signature among an object's attributes.
    fn variants(&self, attributes: &Attributes) -> Option<String> {
        let name = Attribute::Metadata(self.backend.variants_metadata.into());
        attributes.get(&name).map(|v| v.to_string())
    }

    /// The error of a failed request of `operation` on `key`, whose
    /// refusal had `refusal` as its code.
    fn error(&self, operation: &'static str, key: &str, err: object_store::Error, refusal: Option<String>) -> Error {
        let code = refusal.as_deref().unwrap_or_default();
        let denied = self.backend.denied_codes.contains(&code);
        match err {
            _ if code == self.backend.missing_code => Error::NoSuchBucket {
                store: &self.backend.words,
                bucket: self.bucket.clone(),
                endpoint: self.endpoint.clone(),
            },
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                self.denied(refusal.unwrap_or_else(|| "403 Forbidden".to_owned()))
            }
            _ if denied => self.denied(code.to_owned()),
            other => Error::Store {
                operation,
                key: key.to_owned(),
                message: format!(
                    "{} ({} `{}` at {})",
                    first_line(&other.to_string()),
                    self.backend.words.bucket,
                    self.bucket,
                    self.endpoint
                ),
            },
        }
    }
}

/// The first line of a message (stores answer with XML or JSON bodies).
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().to_owned()
}

/// The bytes of a write, read whole (`object_store` sends a body from
/// memory), and their MD5; a file is read and hashed off the async
/// threads.
async fn read_body(body: Body<'_>) -> Result<(Vec<u8>, [u8; 16])> {
    let hashed = |bytes: Vec<u8>| {
        let md5 = Md5::digest(&bytes).into();
        (bytes, md5)
    };
    match body {
        Body::Bytes(bytes) => Ok(hashed(bytes.to_vec())),
        Body::File(path, _) => {
            let owned = path.to_owned();
            tokio::task::spawn_blocking(move || std::fs::read(&owned).map(hashed))
                .await
                .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?
                .map_err(|e| Error::io("read", path, e))
        }
    }
}

/// The hex of a base64 MD5 (`Content-MD5`), if it is one.
fn hex_of_base64(md5: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(md5).ok()?;
    (bytes.len() == 16).then(|| super::hex(&bytes))
}
