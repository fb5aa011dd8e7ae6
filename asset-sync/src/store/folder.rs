//! The folder backend: each object is a file under the folder, at its key.
//! Writes go to a temporary file beside the destination, renamed into
//! place, so a reader never sees half a file. A file's ETag is the hex MD5
//! of its content.

use std::path::{Path, PathBuf};

use super::{
    Body, Condition, DELETE_BATCH, Fetched, Head, Listed, ObjectStore, Put, PutOutcome, RequestCounter, md5_hex,
};
use crate::error::{Error, Result};

/// What names a temporary file while it is written; listings skip them.
const TEMP_MARKER: &str = ".tmp-asset-sync";
/// Suffix of the hidden file beside an object holding its variants
/// signature; listings skip them.
const VARIANTS_SUFFIX: &str = ".asset-sync-variants";

/// A local folder, written like a bucket.
#[derive(Debug)]
pub struct FolderStore {
    dir: PathBuf,
    requests: RequestCounter,
}

impl FolderStore {
    /// A folder (created on the first write).
    pub fn new(dir: PathBuf) -> FolderStore {
        FolderStore {
            dir,
            requests: RequestCounter::default(),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl ObjectStore for FolderStore {
    fn requests(&self) -> usize {
        self.requests.get()
    }

    async fn head(&self, key: &str) -> Result<Option<Head>> {
        self.requests.count();
        let path = self.dir.join(key);
        Ok(read_object(&path)?.map(|fetched| Head {
            etag: fetched.etag,
            md5: None,
            variants: std::fs::read_to_string(variants_path(&path)).ok(),
        }))
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>> {
        self.requests.count();
        let path = self.dir.join(key);
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.len() > limit
        {
            return Err(Error::TooLarge {
                key: key.to_owned(),
                size: meta.len(),
                limit,
            });
        }
        let Some(mut fetched) = read_object(&path)? else {
            return Ok(None);
        };
        fetched.variants = std::fs::read_to_string(variants_path(&path)).ok();
        Ok(Some(fetched))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        self.requests.count();
        list_files(&self.dir, prefix)
    }

    async fn put(&self, put: &Put<'_>) -> Result<PutOutcome> {
        self.requests.count();
        write_object(&self.dir, put)
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        for batch in keys.chunks(DELETE_BATCH) {
            self.requests.count();
            remove_files(&self.dir, batch)?;
        }
        Ok(())
    }
}

/// The hidden file beside `path` holding its variants signature.
fn variants_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{VARIANTS_SUFFIX}"))
}

/// Reads the file at `path`, with its ETag; `None` if there is none.
fn read_object(path: &Path) -> Result<Option<Fetched>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let etag = Some(md5_hex(&bytes));
            Ok(Some(Fetched {
                bytes,
                etag,
                variants: None,
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// Every file under `dir/prefix`, by key relative to `dir`, sorted.
fn list_files(dir: &Path, prefix: &str) -> Result<Vec<Listed>> {
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
                if key.contains(TEMP_MARKER) || key.ends_with(VARIANTS_SUFFIX) {
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

/// Writes `put` under `dir` if its condition holds.
fn write_object(dir: &Path, put: &Put<'_>) -> Result<PutOutcome> {
    let dest = dir.join(put.key);
    let parent = dest.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    if !condition_holds(&dest, &put.condition) {
        return Ok(PutOutcome::PreconditionFailed);
    }
    // The signature first: it only ever names variants already uploaded.
    let sidecar = variants_path(&dest);
    match put.stamp {
        Some(stamp) => write_atomically(&sidecar, Body::Bytes(stamp.variants.as_bytes()))?,
        None => match std::fs::remove_file(&sidecar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &sidecar, e)),
        },
    }
    write_atomically(&dest, put.body)?;
    Ok(PutOutcome::Written)
}

/// Whether `condition` holds for the file at `dest`.
fn condition_holds(dest: &Path, condition: &Condition) -> bool {
    match condition {
        Condition::None => true,
        Condition::IfNoneMatch => !dest.exists(),
        Condition::IfMatch(etag) => {
            let current = std::fs::read(dest).ok().map(|bytes| md5_hex(&bytes));
            current.as_deref() == Some(etag.trim_matches('"'))
        }
    }
}

/// Writes `body` to a temporary file beside `dest`, then renames it into
/// place; the temporary file is removed if either step fails.
fn write_atomically(dest: &Path, body: Body<'_>) -> Result<()> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dest.with_file_name(format!(".{name}{TEMP_MARKER}-{}", std::process::id()));
    let written = match body {
        Body::Bytes(bytes) => std::fs::write(&temp, bytes),
        Body::File(path, _) => std::fs::copy(path, &temp).map(drop),
    };
    written.and_then(|()| std::fs::rename(&temp, dest)).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::io("write", dest, e)
    })
}

/// Deletes the files of `keys` under `dir`; files already gone are skipped.
fn remove_files(dir: &Path, keys: &[String]) -> Result<()> {
    for key in keys {
        let path = dir.join(key);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("delete", path, e)),
        }
    }
    Ok(())
}
