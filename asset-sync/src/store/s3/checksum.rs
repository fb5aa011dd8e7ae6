//! Content-MD5 of what is uploaded, in base64 as S3 wants it: the store
//! refuses a body that does not match, so nothing arrives damaged.

use std::path::Path;

use base64::Engine as _;
use md5::{Digest, Md5};

use crate::error::{Error, Result};

/// The Content-MD5 of bytes in memory.
pub(super) fn md5_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

/// The Content-MD5 of a whole file.
pub(super) async fn md5_file(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?.len();
    md5_range(path, 0, size).await
}

/// The Content-MD5 of `length` bytes of a file from `offset`, read on a
/// blocking thread.
pub(super) async fn md5_range(path: &Path, offset: u64, length: u64) -> Result<String> {
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
