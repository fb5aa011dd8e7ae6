//! The I/O of a request: finding the bytes of the representation chosen,
//! in memory or on disk. Returns an outcome value; building the response
//! from it is [`super::response`]'s job.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;

use super::negotiate::Coding;
use crate::asset::{Asset, Embedded};

/// Where a response's bytes are.
#[derive(Debug)]
pub(crate) enum Source {
    /// In memory: embedded in the binary, or read whole.
    Memory(Bytes),
    /// An open file, streamed in chunks.
    File { file: std::fs::File, len: u64 },
}

impl Source {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Source::Memory(bytes) => bytes.len() as u64,
            Source::File { len, .. } => *len,
        }
    }
}

/// The bytes to send and what the response says about them.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) source: Source,
    /// The file's modification time (none for embedded bytes).
    pub(crate) last_modified: Option<SystemTime>,
}

/// The embedded bytes of the chosen coding.
pub(crate) fn embedded(bytes: &Embedded, coding: Coding) -> Opened {
    let slice = match coding {
        Coding::Br => bytes.br.unwrap_or(bytes.identity),
        Coding::Zstd => bytes.zst.unwrap_or(bytes.identity),
        Coding::Gzip => bytes.gz.unwrap_or(bytes.identity),
        Coding::Identity => bytes.identity,
    };
    Opened {
        source: Source::Memory(Bytes::from_static(slice)),
        last_modified: None,
    }
}

/// A file of the output folder: read whole if it is at most `stream_above`
/// bytes, else opened to stream.
pub(crate) async fn file(path: PathBuf, stream_above: u64) -> io::Result<Opened> {
    blocking(move || {
        let file = std::fs::File::open(&path)?;
        let meta = file.metadata()?;
        let last_modified = meta.modified().ok();
        let source = if meta.len() > stream_above {
            Source::File { file, len: meta.len() }
        } else {
            Source::Memory(Bytes::from(read_all(file, meta.len())?))
        };
        Ok(Opened { source, last_modified })
    })
    .await
}

/// Dev mode: the current content of an asset's source file, and a hash of
/// it for the entity tag.
pub(crate) async fn source(asset: Asset) -> io::Result<(Opened, u64)> {
    use std::hash::{Hash as _, Hasher as _};
    let path = asset.source_path();
    blocking(move || {
        let file = std::fs::File::open(&path)?;
        let meta = file.metadata()?;
        let bytes = read_all(file, meta.len())?;
        let mut hasher = std::hash::DefaultHasher::new();
        bytes.hash(&mut hasher);
        let opened = Opened {
            source: Source::Memory(Bytes::from(bytes)),
            last_modified: meta.modified().ok(),
        };
        Ok((opened, hasher.finish()))
    })
    .await
}

fn read_all(mut file: std::fs::File, len: u64) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)))
}

/// Whether an I/O error means "no such file" to a client: only a missing
/// file or one the server may not read is a 404; anything else is the
/// server's failure (500).
pub(crate) fn is_not_found(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied | io::ErrorKind::NotADirectory
    )
}

/// The path of a name in `dir`, with the sibling suffix of `coding`.
pub(crate) fn path_in(dir: &Path, name: &str, coding: Coding) -> PathBuf {
    dir.join(format!("{name}{}", coding.suffix()))
}
