//! File-system helpers the stages share: atomic writes (a temporary file
//! beside the target, then a rename, so readers never see half a file) and
//! modification times.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};

/// The temporary file a write to `dest` goes through.
pub(crate) fn temp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `path` by writing a temporary file beside it and renaming it.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_parts(path, &[bytes])
}

/// Like [`write_atomic`], with the bytes of `parts` one after another
/// (without first copying them into one buffer).
pub(crate) fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::io::Write as _;
    let temp = temp_path(path);
    let write = || {
        let mut file = std::fs::File::create(&temp)?;
        for part in parts {
            file.write_all(part)?;
        }
        drop(file);
        std::fs::rename(&temp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Whether the file at `path` holds exactly `bytes`, read in pieces (a
/// table of megabytes is compared without a second copy of it).
fn holds(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read as _;
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if file.metadata().map(|m| m.len()).ok() != Some(bytes.len() as u64) {
        return false;
    }
    let mut buffer = vec![0u8; 256 * 1024];
    let mut rest = bytes;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if n <= rest.len() && buffer[..n] == rest[..n] => rest = &rest[n..],
            Ok(_) => return false,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Like [`write_atomic`], but leaves the file alone when it already holds
/// these bytes. Returns whether it wrote.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    if holds(path, bytes) {
        return Ok(false);
    }
    write_atomic(path, bytes).map_err(|e| Error::io("write", path, e))?;
    Ok(true)
}

/// Writes `path` atomically with the bytes of `parts`, one after another.
pub(crate) fn write_concatenated(path: &Path, parts: &[PathBuf]) -> Result<()> {
    use std::io::Write as _;
    let temp = temp_path(path);
    let write = || -> Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&temp).map_err(|e| Error::io("create", &temp, e))?);
        for part in parts {
            let mut input = std::fs::File::open(part).map_err(|e| Error::io("read", part, e))?;
            std::io::copy(&mut input, &mut out).map_err(|e| Error::io("copy", part, e))?;
        }
        out.flush().map_err(|e| Error::io("write", &temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| Error::io("write", path, e))
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Modification time in nanoseconds since the epoch (0 if unknown).
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}
