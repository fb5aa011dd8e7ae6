//! The S3 backend: a bucket of AWS S3 or of any S3-compatible store,
//! through `aws-sdk-s3`. What S3's errors mean is in `error`, uploads in
//! parts are in `multipart`, Content-MD5 sums in `checksum`, and the
//! headers that carry a write's condition (S3's or GCS's) in `conditions`.

mod checksum;
mod conditions;
mod error;
mod multipart;
mod unsigned;

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, Object, ObjectCannedAcl, ObjectIdentifier, StorageClass};

use self::checksum::{md5_base64, md5_file};
pub(crate) use self::conditions::Dialect;
use self::conditions::{GenerationReader, Header, IF_GENERATION_MATCH};
pub(crate) use self::unsigned::UnsignedMd5Puts;
use super::{Body, Condition, DELETE_BATCH, Fetched, Head, Listed, ObjectStore, Put, PutOutcome, RequestCounter};
use crate::error::{Error, Result};

/// The user metadata key (`x-amz-meta-asset-variants`) of the manifest's
/// variants signature.
const VARIANTS_METADATA: &str = "asset-variants";
/// The user metadata key (`x-amz-meta-asset-md5`) of the hex MD5 of the
/// manifest's bytes.
const MD5_METADATA: &str = "asset-md5";

/// Settings of S3 writes.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// Canned ACL for every object, e.g. `public-read`.
    pub acl: Option<String>,
    /// Storage class for every object, e.g. `STANDARD_IA`.
    pub storage_class: Option<String>,
    /// `x-amz-meta-*` metadata for every object.
    pub metadata: Vec<(String, String)>,
    /// Files at least this large are uploaded in parts (when written
    /// without a condition); 0 never does.
    pub multipart_threshold: u64,
    /// Size of each part (at least 5 MiB, S3's minimum).
    pub part_size: u64,
}

/// An S3 bucket, of AWS or of an S3-compatible store; `connect` makes one.
#[derive(Debug)]
pub struct S3Store {
    pub(crate) client: Client,
    pub(crate) bucket: String,
    /// For messages: the endpoint and where credentials came from.
    pub(crate) endpoint: String,
    pub(crate) credentials: String,
    pub(crate) settings: S3Settings,
    /// Which headers carry write conditions.
    pub(crate) dialect: Dialect,
    /// Requests made so far.
    pub(crate) requests: RequestCounter,
}

impl S3Store {
    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The file of `put` and its size, if it is uploaded in parts: a file at
    /// least as large as the threshold, written without a condition.
    fn multipart_file<'a>(&self, put: &Put<'a>) -> Option<(&'a Path, u64)> {
        let threshold = self.settings.multipart_threshold;
        match put.body {
            Body::File(path, size) if size >= threshold && threshold > 0 && put.condition == Condition::None => {
                Some((path, size))
            }
            _ => None,
        }
    }

    /// ACL, storage class and metadata every object gets.
    fn object_settings(
        &self,
    ) -> (
        Option<ObjectCannedAcl>,
        Option<StorageClass>,
        Option<HashMap<String, String>>,
    ) {
        let metadata = &self.settings.metadata;
        (
            self.settings.acl.as_deref().map(ObjectCannedAcl::from),
            self.settings.storage_class.as_deref().map(StorageClass::from),
            (!metadata.is_empty()).then(|| metadata.iter().cloned().collect()),
        )
    }

    /// Deletes `keys` (at most 1,000) in one request.
    async fn delete_batch(&self, keys: &[String]) -> Result<()> {
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

impl ObjectStore for S3Store {
    fn requests(&self) -> usize {
        self.requests.get()
    }

    async fn head(&self, key: &str) -> Result<Option<Head>> {
        self.requests.count();
        let sent = self.client.head_object().bucket(&self.bucket).key(key).send().await;
        let response = match sent {
            Ok(response) => response,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => return Ok(None),
            Err(err) => return Err(self.error("read the headers of", key, err)),
        };
        let metadata = |name: &str| response.metadata().and_then(|m| m.get(name)).cloned();
        Ok(Some(Head {
            etag: response.e_tag().map(str::to_owned),
            md5: metadata(MD5_METADATA),
            variants: metadata(VARIANTS_METADATA),
        }))
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>> {
        self.requests.count();
        let generation = GenerationReader::default();
        let request = self.client.get_object().bucket(&self.bucket).key(key);
        let sent = match self.dialect {
            Dialect::S3 => request.send().await,
            Dialect::Gcs => request.customize().interceptor(generation.clone()).send().await,
        };
        let response = match sent {
            Ok(response) => response,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(err) => return Err(self.error("download", key, err)),
        };
        // The token a conditional write names: the ETag, or on GCS the
        // generation (GCS checks no ETag on writes).
        let etag = match self.dialect {
            Dialect::S3 => response.e_tag().map(str::to_owned),
            Dialect::Gcs => generation.take(),
        };
        let size = response
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        if size > limit {
            return Err(Error::TooLarge {
                key: key.to_owned(),
                size,
                limit,
            });
        }
        let variants = response.metadata().and_then(|m| m.get(VARIANTS_METADATA)).cloned();
        let bytes = response.body.collect().await.map_err(|e| Error::Store {
            operation: "download",
            key: key.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Some(Fetched {
            bytes: bytes.into_bytes().to_vec(),
            etag,
            variants,
        }))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.requests.count();
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.error("list", prefix, e))?;
            out.extend(page.contents().iter().map(listed));
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn put(&self, put: &Put<'_>) -> Result<PutOutcome> {
        if let Some((path, size)) = self.multipart_file(put) {
            return self.put_multipart(put, path, size).await;
        }
        self.requests.count();
        let (body, md5) = body_and_md5(put).await?;
        let (acl, storage_class, mut metadata) = self.object_settings();
        if let Some(stamp) = put.stamp {
            let metadata = metadata.get_or_insert_with(Default::default);
            metadata.insert(MD5_METADATA.to_owned(), stamp.md5.to_owned());
            metadata.insert(VARIANTS_METADATA.to_owned(), stamp.variants.to_owned());
        }
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
        let sent = match Header::of(self.dialect, &put.condition) {
            None => request.send().await,
            Some(Header::IfMatch(etag)) => request.if_match(etag).send().await,
            Some(Header::IfNoneMatchAny) => request.if_none_match("*").send().await,
            Some(Header::GenerationMatch(generation)) => {
                request
                    .customize()
                    .mutate_request(move |http| {
                        http.headers_mut().insert(IF_GENERATION_MATCH, generation.clone());
                    })
                    .send()
                    .await
            }
        };
        match sent {
            Ok(_) => Ok(PutOutcome::Written),
            Err(err) => self.put_failed(put, err),
        }
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        for batch in keys.chunks(DELETE_BATCH) {
            self.requests.count();
            self.delete_batch(batch).await?;
        }
        Ok(())
    }
}

/// Files up to this size are read into memory in one read and sent from
/// there: one open and one blocking-pool hop per file instead of a hashing
/// pass and a streamed second read. With 32 uploads in flight, at most
/// 32 MiB is held.
const IN_MEMORY_MAX: u64 = 1024 * 1024;

/// The body of a write in one request, and its Content-MD5.
async fn body_and_md5(put: &Put<'_>) -> Result<(ByteStream, String)> {
    match put.body {
        Body::Bytes(bytes) => Ok((ByteStream::from(bytes.to_vec()), md5_base64(bytes))),
        // Small files, and precompressed ones whatever their size: a
        // streamed body may be sent with `Content-Encoding: aws-chunked`
        // for its checksum, which some stores do not merge with the
        // object's own encoding; precompressed files are small.
        Body::File(path, size) if size <= IN_MEMORY_MAX || put.content_encoding.is_some() => {
            let owned = path.to_owned();
            let bytes = tokio::task::spawn_blocking(move || {
                let bytes = std::fs::read(&owned)?;
                let md5 = md5_base64(&bytes);
                Ok::<_, std::io::Error>((bytes, md5))
            })
            .await
            .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?;
            let (bytes, md5) = bytes.map_err(|e| Error::io("read", path, e))?;
            Ok((ByteStream::from(bytes), md5))
        }
        Body::File(path, _) => {
            let md5 = md5_file(path).await?;
            let body = ByteStream::from_path(path)
                .await
                .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?;
            Ok((body, md5))
        }
    }
}

/// An object of a listing page, as a sync sees it.
fn listed(object: &Object) -> Listed {
    Listed {
        key: object.key().unwrap_or_default().to_owned(),
        size: object.size().unwrap_or(0).max(0) as u64,
        last_modified: object.last_modified().and_then(|t| SystemTime::try_from(*t).ok()),
    }
}
