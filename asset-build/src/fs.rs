//! File-system helpers the stages share: atomic writes (a temporary file
//! beside the target, then a rename, so readers never see half a file),
//! modification times, and a reader of many files' sizes and times.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};

/// The temporary file a write to `dest` goes through: the process id and a
/// random part, so that writers in two containers sharing a folder (which
/// can have the same process id) never write the same temporary file.
pub(crate) fn temp_path(dest: &Path) -> PathBuf {
    use std::hash::BuildHasher as _;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Each `RandomState` has keys of its own, random per process.
    let random = std::hash::RandomState::new().hash_one(std::process::id());
    dest.with_file_name(format!(".{name}.tmp-{}-{random:016x}", std::process::id()))
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
    let mut buffer = vec![0u8; PIECE];
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

/// Brings the file at `path` to `bytes`, rewriting in place only the
/// pieces that differ when it has their length (an edit changes a few
/// records of a table of megabytes), and as [`write_if_changed`] does
/// otherwise. Returns whether it wrote.
///
/// Only for a file that no one reads while the build runs (the table in
/// `OUT_DIR`, which rustc reads after the build script), and whose stamp
/// the ledger records once the build is done: a build killed half-way
/// leaves a file with another stamp, which the next build computes again
/// and compares whole.
pub(crate) fn update_in_place(path: &Path, bytes: &[u8]) -> Result<bool> {
    use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path);
    let same_length = |file: &std::fs::File| file.metadata().is_ok_and(|m| m.len() == bytes.len() as u64);
    let mut file = match file {
        Ok(file) if same_length(&file) => file,
        _ => return write_if_changed(path, bytes),
    };
    let error = |e| Error::io("write", path, e);
    let mut buffer = vec![0u8; PIECE];
    let mut wrote = false;
    for (i, piece) in bytes.chunks(PIECE).enumerate() {
        let at = (i * PIECE) as u64;
        let held = &mut buffer[..piece.len()];
        file.seek(SeekFrom::Start(at)).map_err(error)?;
        file.read_exact(held).map_err(error)?;
        if held != piece {
            file.seek(SeekFrom::Start(at)).map_err(error)?;
            file.write_all(piece).map_err(error)?;
            wrote = true;
        }
    }
    Ok(wrote)
}

/// Size and modification time of a file, if it exists: what tells the
/// build whether a file it wrote is still as it left it.
pub(crate) fn stamp(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), u64::try_from(mtime_ns(&meta)).ok()?))
}

/// The pieces files are compared in.
const PIECE: usize = 256 * 1024;

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

/// Reads the size and modification time of files one after another,
/// keeping the folder of the last one open: a file in the same folder is
/// then looked up by its name alone (`fstatat`), instead of by its whole
/// path, every component of which the kernel would look up again. Files
/// listed folder by folder, as a walk lists them, cost one lookup each.
/// Symbolic links are followed, as with [`std::fs::metadata`].
#[derive(Default)]
pub(crate) struct StatCursor {
    /// The folder open, by path.
    #[cfg(unix)]
    folder: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl StatCursor {
    /// Size in bytes and modification time (as [`mtime_ns`] gives it) of
    /// the file at `path`.
    pub(crate) fn size_and_mtime(&mut self, path: &Path) -> std::io::Result<(u64, u128)> {
        #[cfg(unix)]
        if let Some((parent, name)) = split_last(path) {
            use rustix::fs::{AtFlags, Mode, OFlags};
            let open = self
                .folder
                .as_ref()
                .is_some_and(|(folder, _)| folder.as_os_str() == parent.as_os_str());
            if !open {
                let fd = rustix::fs::open(
                    parent,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )?;
                self.folder = Some((parent.to_owned(), fd));
            }
            let (_, fd) = self.folder.as_ref().expect("opened above");
            let stat = rustix::fs::statat(fd, name, AtFlags::empty())?;
            return Ok(size_and_mtime_of(&stat));
        }
        let meta = std::fs::metadata(path)?;
        Ok((meta.len(), mtime_ns(&meta)))
    }
}

/// A path's folder and last part, split at its last `/` (read off its
/// bytes: [`Path::parent`] takes the whole path apart); `None` when either
/// would be empty or the last part is `.` or `..`.
#[cfg(unix)]
fn split_last(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    use std::os::unix::ffi::OsStrExt as _;
    let bytes = path.as_os_str().as_bytes();
    let slash = bytes.iter().rposition(|&b| b == b'/')?;
    let (parent, name) = (&bytes[..slash], &bytes[slash + 1..]);
    if parent.is_empty() || name.is_empty() || name == b"." || name == b".." {
        return None;
    }
    Some((
        Path::new(std::ffi::OsStr::from_bytes(parent)),
        std::ffi::OsStr::from_bytes(name),
    ))
}

/// Size and modification time, as [`std::fs::Metadata`] gives them: a time
/// before the epoch counts as 0.
#[cfg(unix)]
// The fields' integer types differ from one platform to another.
#[allow(clippy::unnecessary_cast)]
fn size_and_mtime_of(stat: &rustix::fs::Stat) -> (u64, u128) {
    let (secs, nanos) = (stat.st_mtime as i64, stat.st_mtime_nsec as u64);
    let mtime = u128::try_from(secs).map_or(0, |secs| secs * 1_000_000_000 + u128::from(nanos));
    (stat.st_size as u64, mtime)
}

/// Modification time in nanoseconds since the epoch (0 if unknown).
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stat_cursor_reads_what_metadata_reads() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let files = [
            a.join("one.css"),
            a.join("two.js"),
            b.join("three.png"),
            a.join("four.txt"),
        ];
        for (i, file) in files.iter().enumerate() {
            std::fs::write(file, vec![b'x'; i * 10]).unwrap();
        }
        let mut listed: Vec<PathBuf> = files.to_vec();
        #[cfg(unix)]
        {
            // A link is followed, as metadata follows it.
            std::os::unix::fs::symlink(&files[2], a.join("link.png")).unwrap();
            listed.push(a.join("link.png"));
        }
        let mut cursor = StatCursor::default();
        for path in &listed {
            let meta = std::fs::metadata(path).unwrap();
            assert_eq!(
                cursor.size_and_mtime(path).unwrap(),
                (meta.len(), mtime_ns(&meta)),
                "{}",
                path.display()
            );
        }
        let missing = cursor.size_and_mtime(&a.join("gone.css")).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        let folder_gone = cursor.size_and_mtime(&dir.path().join("c/x.css")).unwrap_err();
        assert_eq!(folder_gone.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn an_update_in_place_writes_the_pieces_that_differ() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assets.rs.table");
        let mut bytes: Vec<u8> = (0..3 * PIECE + 10).map(|i| (i % 251) as u8).collect();
        assert!(update_in_place(&path, &bytes).unwrap(), "a missing file is written");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert!(
            !update_in_place(&path, &bytes).unwrap(),
            "the same bytes are left alone"
        );

        // One byte of the second piece and the last byte: written in place
        // (the file keeps its inode).
        let inode = |path: &Path| {
            #[cfg(unix)]
            return std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap());
            #[cfg(not(unix))]
            return 0;
        };
        let before = inode(&path);
        bytes[PIECE + 7] ^= 0xff;
        *bytes.last_mut().unwrap() ^= 0xff;
        assert!(update_in_place(&path, &bytes).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(inode(&path), before);

        // Another length: replaced whole.
        bytes.truncate(PIECE);
        assert!(update_in_place(&path, &bytes).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
