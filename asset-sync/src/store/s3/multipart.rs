//! Uploading a large file in parts: start an upload, send each part with
//! its Content-MD5, then complete the upload, or abort it if a part failed
//! so the bucket keeps no orphaned parts. Each step is one request.

use std::path::Path;

use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use super::S3Store;
use super::checksum::md5_range;
use crate::error::{Error, Result};
use crate::store::{Put, PutOutcome};

/// The smallest part S3 accepts (but for the last).
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// One part of a file: its number (from 1) and its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Part {
    number: i32,
    offset: u64,
    length: u64,
}

impl S3Store {
    /// Uploads the file at `path` (`size` bytes) in parts, with the key and
    /// headers of `put`.
    pub(super) async fn put_multipart(&self, put: &Put<'_>, path: &Path, size: u64) -> Result<PutOutcome> {
        let upload_id = self.start_upload(put).await?;
        match self.upload_parts(put.key, &upload_id, path, size).await {
            Ok(parts) => {
                self.complete_upload(put.key, &upload_id, parts).await?;
                Ok(PutOutcome::Written)
            }
            Err(e) => {
                self.abort_upload(put.key, &upload_id).await;
                Err(e)
            }
        }
    }

    /// Starts an upload with the object's headers and settings; returns its ID.
    async fn start_upload(&self, put: &Put<'_>) -> Result<String> {
        self.requests.count();
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
        Ok(upload.upload_id().unwrap_or_default().to_owned())
    }

    /// Uploads every part in turn, stopping at the first failure.
    async fn upload_parts(&self, key: &str, upload_id: &str, path: &Path, size: u64) -> Result<Vec<CompletedPart>> {
        let mut completed = Vec::new();
        for part in parts(size, self.settings.part_size.max(MIN_PART_SIZE)) {
            completed.push(self.upload_part(key, upload_id, path, part).await?);
        }
        Ok(completed)
    }

    /// Uploads one part, with its Content-MD5.
    async fn upload_part(&self, key: &str, upload_id: &str, path: &Path, part: Part) -> Result<CompletedPart> {
        let md5 = md5_range(path, part.offset, part.length).await?;
        let body = ByteStream::read_from()
            .path(path)
            .offset(part.offset)
            .length(Length::Exact(part.length))
            .build()
            .await
            .map_err(|e| Error::io("read", path, std::io::Error::other(e)))?;
        self.requests.count();
        let uploaded = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part.number)
            .content_md5(md5)
            .body(body)
            .send()
            .await
            .map_err(|e| self.error("upload", key, e))?;
        Ok(CompletedPart::builder()
            .part_number(part.number)
            .set_e_tag(uploaded.e_tag().map(str::to_owned))
            .build())
    }

    /// Completes an upload: the object appears, made of `parts`.
    async fn complete_upload(&self, key: &str, upload_id: &str, parts: Vec<CompletedPart>) -> Result<()> {
        self.requests.count();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| self.error("upload", key, e))?;
        Ok(())
    }

    /// Aborts an upload, so the store drops its parts. A failure to abort is
    /// ignored: the failure that caused it is the one to report.
    async fn abort_upload(&self, key: &str, upload_id: &str) {
        self.requests.count();
        let _ = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await;
    }
}

/// The parts of a file of `size` bytes: `part_size` bytes each, but the last.
fn parts(size: u64, part_size: u64) -> Vec<Part> {
    let mut parts = Vec::new();
    let (mut offset, mut number) = (0, 1);
    while offset < size {
        let length = part_size.min(size - offset);
        parts.push(Part { number, offset, length });
        offset += length;
        number += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_file_in_order() {
        let parts = parts(11, 5);
        let expected =
            [(1, 0, 5), (2, 5, 5), (3, 10, 1)].map(|(number, offset, length)| Part { number, offset, length });
        assert_eq!(parts, expected);
    }
}
