//! The two places a sync can write to, behind one small interface: an S3
//! bucket (any S3-compatible store) through `aws-sdk-s3`, and a local
//! folder. Every call counts as one request in the summary.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, ObjectCannedAcl, ObjectIdentifier, StorageClass,
};
use base64::Engine as _;
use md5::{Digest, Md5};

use crate::error::{Error, Result};

/// Where an object's bytes come from.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// A file, streamed.
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

/// One object to write.
#[derive(Debug, Clone)]
pub struct Put<'a> {
    pub key: &'a str,
    pub body: Body<'a>,
    pub content_type: &'a str,
    pub cache_control: &'a str,
    pub content_encoding: Option<&'a str>,
    pub condition: Condition,
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
    pub key: String,
    pub size: u64,
    pub last_modified: Option<SystemTime>,
}

/// An object read whole.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
}

/// Settings of S3 writes.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// Canned ACL for every object, e.g. `public-read`.
    pub acl: Option<String>,
    /// Storage class for every object, e.g. `STANDARD_IA`.
    pub storage_class: Option<String>,
    /// `x-amz-meta-*` metadata for every object.
    pub metadata: Vec<(String, String)>,
    /// Files at least this large are uploaded in parts.
    pub multipart_threshold: u64,
    /// Size of each part.
    pub part_size: u64,
}

/// An S3 bucket.
#[derive(Debug)]
pub struct S3Store {
    pub(crate) client: Client,
    pub(crate) bucket: String,
    /// For messages: the endpoint and where credentials came from.
    pub(crate) endpoint: String,
    pub(crate) credentials: String,
    pub(crate) settings: S3Settings,
}

/// A store and its request counter.
#[derive(Debug)]
pub struct Store {
    kind: Kind,
    requests: AtomicUsize,
}

#[derive(Debug)]
enum Kind {
    S3(S3Store),
    Folder(PathBuf),
}

impl Store {
    /// A bucket.
    pub fn s3(store: S3Store) -> Store {
        Store {
            kind: Kind::S3(store),
            requests: AtomicUsize::new(0),
        }
    }

    /// A local folder (created on the first write).
    pub fn folder(dir: PathBuf) -> Store {
        Store {
            kind: Kind::Folder(dir),
            requests: AtomicUsize::new(0),
        }
    }

    /// Requests made so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads an object; `None` if there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Fetched>> {
        self.count();
        match &self.kind {
            Kind::S3(s3) => s3.get(key).await,
            Kind::Folder(dir) => {
                let path = dir.join(key);
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        let etag = Some(hex(&Md5::digest(&bytes)));
                        Ok(Some(Fetched { bytes, etag }))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io("read", path, e)),
                }
            }
        }
    }

    /// Lists every object under `prefix` (all pages; one request per page).
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        match &self.kind {
            Kind::S3(s3) => s3.list(prefix, &self.requests).await,
            Kind::Folder(dir) => {
                self.count();
                list_folder(dir, prefix)
            }
        }
    }

    /// Writes an object.
    pub async fn put(&self, put: &Put<'_>) -> Result<PutOutcome> {
        match &self.kind {
            Kind::S3(s3) => s3.put(put, &self.requests).await,
            Kind::Folder(dir) => {
                self.count();
                put_folder(dir, put)
            }
        }
    }

    /// Deletes objects, in batches of at most 1,000 keys per request.
    pub async fn delete(&self, keys: &[String]) -> Result<()> {
        for batch in keys.chunks(1000) {
            self.count();
            match &self.kind {
                Kind::S3(s3) => s3.delete(batch).await?,
                Kind::Folder(dir) => {
                    for key in batch {
                        let path = dir.join(key);
                        match std::fs::remove_file(&path) {
                            Ok(()) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                            Err(e) => return Err(Error::io("delete", path, e)),
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl S3Store {
    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn error<E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        operation: &'static str,
        key: &str,
        err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> Error {
        let code = err.code().unwrap_or_default().to_owned();
        let status = err.raw_response().map(|r| r.status().as_u16());
        match code.as_str() {
            "NoSuchBucket" => Error::NoSuchBucket {
                bucket: self.bucket.clone(),
                endpoint: self.endpoint.clone(),
            },
            "AccessDenied"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "AllAccessDisabled"
            | "InvalidToken"
            | "ExpiredToken" => Error::AccessDenied {
                bucket: self.bucket.clone(),
                endpoint: self.endpoint.clone(),
                code,
                credentials: self.credentials.clone(),
            },
            _ if status == Some(403) => Error::AccessDenied {
                bucket: self.bucket.clone(),
                endpoint: self.endpoint.clone(),
                code: "403 Forbidden".to_owned(),
                credentials: self.credentials.clone(),
            },
            _ => {
                let message = match (err.code(), err.message(), status) {
                    (Some(code), Some(message), _) => format!("{code}: {message}"),
                    (Some(code), None, _) => code.to_owned(),
                    (None, _, Some(status)) => format!("HTTP {status}"),
                    _ => aws_sdk_s3::error::DisplayErrorContext(&err).to_string(),
                };
                Error::Store {
                    operation,
                    key: key.to_owned(),
                    message: format!("{message} (bucket `{}` at {})", self.bucket, self.endpoint),
                }
            }
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Fetched>> {
        let response = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(response) => response,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(err) => return Err(self.error("download", key, err)),
        };
        let etag = response.e_tag().map(str::to_owned);
        let bytes = response.body.collect().await.map_err(|e| Error::Store {
            operation: "download",
            key: key.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Some(Fetched {
            bytes: bytes.into_bytes().to_vec(),
            etag,
        }))
    }

    async fn list(&self, prefix: &str, requests: &AtomicUsize) -> Result<Vec<Listed>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            requests.fetch_add(1, Ordering::Relaxed);
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.error("list", prefix, e))?;
            for object in page.contents() {
                out.push(Listed {
                    key: object.key().unwrap_or_default().to_owned(),
                    size: object.size().unwrap_or(0).max(0) as u64,
                    last_modified: object.last_modified().and_then(|t| SystemTime::try_from(*t).ok()),
                });
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn put(&self, put: &Put<'_>, requests: &AtomicUsize) -> Result<PutOutcome> {
        if let Body::File(path, size) = put.body
            && size >= self.settings.multipart_threshold
            && self.settings.multipart_threshold > 0
            && put.condition == Condition::None
        {
            return self.put_multipart(put, path, size, requests).await;
        }
        requests.fetch_add(1, Ordering::Relaxed);
        let (body, md5) = match put.body {
            Body::Bytes(bytes) => (ByteStream::from(bytes.to_vec()), md5_base64(bytes)),
            // A streamed body may be sent with `Content-Encoding: aws-chunked`
            // for its checksum, which some stores do not merge with the
            // object's own encoding; precompressed files are small, so they
            // are sent from memory.
            Body::File(path, _) if put.content_encoding.is_some() => {
                let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
                let md5 = md5_base64(&bytes);
                (ByteStream::from(bytes), md5)
            }
            Body::File(path, _) => {
                let md5 = md5_file(path).await?;
                let body = ByteStream::from_path(path)
                    .await
                    .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?;
                (body, md5)
            }
        };
        let (acl, storage_class, metadata) = self.object_settings();
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(put.key)
            .body(body)
            .content_md5(md5)
            .content_type(put.content_type)
            .cache_control(put.cache_control)
            .set_content_encoding(put.content_encoding.map(str::to_owned))
            .set_acl(acl)
            .set_storage_class(storage_class)
            .set_metadata(metadata);
        let request = match &put.condition {
            Condition::None => request,
            Condition::IfMatch(etag) => request.if_match(etag),
            Condition::IfNoneMatch => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(_) => Ok(PutOutcome::Written),
            Err(err) => {
                let status = err.raw_response().map(|r| r.status().as_u16());
                let code = err.code().unwrap_or_default();
                let conditional = put.condition != Condition::None;
                if conditional
                    && (status == Some(412)
                        || code == "PreconditionFailed"
                        || code == "ConditionalRequestConflict"
                        || status == Some(409))
                {
                    return Ok(PutOutcome::PreconditionFailed);
                }
                // AWS answers 404 to `If-Match` on a key that is gone.
                if matches!(put.condition, Condition::IfMatch(_)) && (status == Some(404) || code == "NoSuchKey") {
                    return Ok(PutOutcome::PreconditionFailed);
                }
                if conditional && (status == Some(501) || code == "NotImplemented") {
                    return Ok(PutOutcome::ConditionUnsupported);
                }
                Err(self.error("upload", put.key, err))
            }
        }
    }

    /// ACL, storage class and metadata every object gets.
    fn object_settings(
        &self,
    ) -> (
        Option<ObjectCannedAcl>,
        Option<StorageClass>,
        Option<std::collections::HashMap<String, String>>,
    ) {
        let metadata = &self.settings.metadata;
        (
            self.settings.acl.as_deref().map(ObjectCannedAcl::from),
            self.settings.storage_class.as_deref().map(StorageClass::from),
            (!metadata.is_empty()).then(|| metadata.iter().cloned().collect()),
        )
    }

    async fn put_multipart(&self, put: &Put<'_>, path: &Path, size: u64, requests: &AtomicUsize) -> Result<PutOutcome> {
        requests.fetch_add(1, Ordering::Relaxed);
        let (acl, storage_class, metadata) = self.object_settings();
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(put.key)
            .content_type(put.content_type)
            .cache_control(put.cache_control)
            .set_content_encoding(put.content_encoding.map(str::to_owned))
            .set_acl(acl)
            .set_storage_class(storage_class)
            .set_metadata(metadata)
            .send()
            .await
            .map_err(|e| self.error("upload", put.key, e))?;
        let upload_id = upload.upload_id().unwrap_or_default().to_owned();
        let result = self.upload_parts(put.key, path, size, &upload_id, requests).await;
        match result {
            Ok(parts) => {
                requests.fetch_add(1, Ordering::Relaxed);
                self.client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(put.key)
                    .upload_id(&upload_id)
                    .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                    .send()
                    .await
                    .map_err(|e| self.error("upload", put.key, e))?;
                Ok(PutOutcome::Written)
            }
            Err(e) => {
                requests.fetch_add(1, Ordering::Relaxed);
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(put.key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        path: &Path,
        size: u64,
        upload_id: &str,
        requests: &AtomicUsize,
    ) -> Result<Vec<CompletedPart>> {
        let part_size = self.settings.part_size.max(5 * 1024 * 1024);
        let mut parts = Vec::new();
        let mut offset = 0;
        let mut number = 1;
        while offset < size {
            let length = part_size.min(size - offset);
            let md5 = md5_range(path, offset, length).await?;
            let body = ByteStream::read_from()
                .path(path)
                .offset(offset)
                .length(Length::Exact(length))
                .build()
                .await
                .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?;
            requests.fetch_add(1, Ordering::Relaxed);
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .content_md5(md5)
                .body(body)
                .send()
                .await
                .map_err(|e| self.error("upload", key, e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(part.e_tag().map(str::to_owned))
                    .build(),
            );
            offset += length;
            number += 1;
        }
        Ok(parts)
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        let objects: Vec<ObjectIdentifier> = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build().expect("key is set"))
            .collect();
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .expect("objects are set");
        let response = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| self.error("delete", keys.first().map_or("", String::as_str), e))?;
        if let Some(failed) = response.errors().first() {
            return Err(Error::Store {
                operation: "delete",
                key: failed.key().unwrap_or_default().to_owned(),
                message: format!(
                    "{}: {}",
                    failed.code().unwrap_or_default(),
                    failed.message().unwrap_or_default()
                ),
            });
        }
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn md5_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

async fn md5_file(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?.len();
    md5_range(path, 0, size).await
}

async fn md5_range(path: &Path, offset: u64, length: u64) -> Result<String> {
    let owned = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = std::fs::File::open(&owned)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut reader = file.take(length);
        let mut hasher = Md5::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok::<_, std::io::Error>(base64::engine::general_purpose::STANDARD.encode(hasher.finalize()))
    })
    .await
    .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?
    .map_err(|e| Error::io("read", path, e))
}

fn list_folder(dir: &Path, prefix: &str) -> Result<Vec<Listed>> {
    let root = dir.join(prefix);
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut stack = vec![root];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| Error::io("list", &folder, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("list", &folder, e))?;
            let path = entry.path();
            let meta = entry.metadata().map_err(|e| Error::io("list", &path, e))?;
            if meta.is_dir() {
                stack.push(path);
            } else if let Some(key) = path.strip_prefix(dir).ok().and_then(|k| k.to_str()) {
                if key.contains(".tmp-asset-sync") {
                    continue;
                }
                out.push(Listed {
                    key: key.replace('\\', "/"),
                    size: meta.len(),
                    last_modified: meta.modified().ok(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

fn put_folder(dir: &Path, put: &Put<'_>) -> Result<PutOutcome> {
    let dest = dir.join(put.key);
    let parent = dest.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    let current = || std::fs::read(&dest).ok().map(|b| hex(&Md5::digest(&b)));
    match &put.condition {
        Condition::None => {}
        Condition::IfNoneMatch if dest.exists() => return Ok(PutOutcome::PreconditionFailed),
        Condition::IfNoneMatch => {}
        Condition::IfMatch(etag) if current().as_deref() != Some(etag.trim_matches('"')) => {
            return Ok(PutOutcome::PreconditionFailed);
        }
        Condition::IfMatch(_) => {}
    }
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dest.with_file_name(format!(".{name}.tmp-asset-sync-{}", std::process::id()));
    let written = match put.body {
        Body::Bytes(bytes) => std::fs::write(&temp, bytes),
        Body::File(path, _) => std::fs::copy(path, &temp).map(drop),
    };
    written.and_then(|()| std::fs::rename(&temp, &dest)).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::io("write", &dest, e)
    })?;
    Ok(PutOutcome::Written)
}
