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
    /// The metadata names of a manifest's stamp: its MD5, its variants.
    pub stamp_metadata: (&'static str, &'static str),
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
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let answer = match self.store.get_opts(&self.path(key)?, options).await {
            Ok(answer) => answer,
            Err(object_store::Error::NotFound { .. }) if !self.bucket_missing() => return Ok(None),
            Err(err) => return Err(self.error("read the headers of", key, err)),
        };
        let (md5, variants) = self.backend.stamp_metadata;
        let metadata = |name: &'static str| {
            answer
                .attributes
                .get(&Attribute::Metadata(name.into()))
                .map(|v| v.to_string())
        };
        Ok(Some(Head {
            etag: answer.meta.e_tag.clone(),
            md5: metadata(md5),
            variants: metadata(variants),
        }))
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>> {
        let answer = match self.store.get_opts(&self.path(key)?, GetOptions::default()).await {
            Ok(answer) => answer,
            Err(object_store::Error::NotFound { .. }) if !self.bucket_missing() => return Ok(None),
            Err(err) => return Err(self.error("download", key, err)),
        };
        if answer.meta.size > limit {
            return Err(Error::TooLarge {
                key: key.to_owned(),
                size: answer.meta.size,
                limit,
            });
        }
        let (_, variants) = self.backend.stamp_metadata;
        let variants = answer
            .attributes
            .get(&Attribute::Metadata(variants.into()))
            .map(|v| v.to_string());
        let etag = answer.meta.e_tag.clone();
        let bytes = answer.bytes().await.map_err(|e| self.error("download", key, e))?;
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
        self.store
            .list(root.as_ref())
            .map_ok(|meta| Listed {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified: Some(meta.last_modified.into()),
            })
            .try_collect()
            .await
            .map_err(|e| self.error("list", prefix, e))
    }

    async fn put(&self, put: &Put<'_>) -> Result<PutOutcome> {
        let bytes = read_body(put.body).await?;
        let md5: [u8; 16] = Md5::digest(&bytes).into();
        let mut extensions = object_store::Extensions::new();
        extensions.insert(ExpectedMd5(md5));
        let options = PutOptions {
            mode: Self::mode(&put.condition),
            attributes: self.attributes(put),
            extensions,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&self.path(put.key)?, PutPayload::from(bytes), options)
            .await
        {
            Ok(_) => Ok(PutOutcome::Written),
            Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. })
                if put.condition != Condition::None =>
            {
                Ok(PutOutcome::PreconditionFailed)
            }
            Err(object_store::Error::NotImplemented { .. }) if put.condition != Condition::None => {
                Ok(PutOutcome::ConditionUnsupported)
            }
            Err(err) => Err(self.error("upload", put.key, err)),
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
        let mut deleted = self.store.delete_stream(stream::iter(paths).boxed());
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(self.error("delete", keys.first().map_or("", String::as_str), err)),
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
            let (md5, variants) = self.backend.stamp_metadata;
            set(Attribute::Metadata(md5.into()), stamp.md5);
            set(Attribute::Metadata(variants.into()), stamp.variants);
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

    /// The code of the store's last refusal.
    fn refusal(&self) -> Option<String> {
        self.seen.refusal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the store's last refusal said the container is missing.
    fn bucket_missing(&self) -> bool {
        self.refusal().as_deref() == Some(self.backend.missing_code)
    }

    /// The error of a failed request of `operation` on `key`.
    fn error(&self, operation: &'static str, key: &str, err: object_store::Error) -> Error {
        let refusal = self.refusal();
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

/// The bytes of a write, read whole: `object_store` sends a body from
/// memory.
async fn read_body(body: Body<'_>) -> Result<Vec<u8>> {
    match body {
        Body::Bytes(bytes) => Ok(bytes.to_vec()),
        Body::File(path, _) => {
            let owned = path.to_owned();
            tokio::task::spawn_blocking(move || std::fs::read(&owned))
                .await
                .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?
                .map_err(|e| Error::io("read", path, e))
        }
    }
}
