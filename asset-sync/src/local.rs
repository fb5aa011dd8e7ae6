//! The local side: a collected folder and its `staticfiles.json`, checked
//! for completeness before anything is uploaded.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use asset_contract::{Encoding, MANIFEST_NAME, Manifest};

/// A file to upload.
#[derive(Debug, Clone)]
pub struct LocalFile {
    /// Its name relative to the folder, which is also its key under the prefix.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// The name whose `Content-Type` it is served with (its own, or for a
    /// precompressed sibling the original's).
    pub type_name: String,
    /// `Content-Encoding`, for precompressed siblings.
    pub encoding: Option<&'static str>,
}

/// A collected folder, ready to upload.
#[derive(Debug, Clone)]
pub struct LocalTree {
    /// The folder.
    pub dir: PathBuf,
    /// The manifest, parsed.
    pub manifest: Manifest,
    /// The manifest's bytes, uploaded as they are.
    pub manifest_bytes: Vec<u8>,
}

impl LocalTree {
    /// Opens `dir` and checks that every file its manifest names exists.
    pub fn open(dir: &Path) -> Result<LocalTree> {
        if !dir.is_dir() {
            return Err(Error::NoSource {
                dir: dir.to_owned(),
                reason: "the folder does not exist".to_owned(),
            });
        }
        let manifest_path = dir.join(MANIFEST_NAME);
        let manifest_bytes = match std::fs::read(&manifest_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoSource {
                    dir: dir.to_owned(),
                    reason: format!("it holds no {MANIFEST_NAME}"),
                });
            }
            Err(e) => return Err(Error::io("read", manifest_path, e)),
        };
        let manifest = Manifest::parse(&manifest_bytes).map_err(|reason| Error::BadManifest {
            path: manifest_path.clone(),
            reason,
        })?;
        for name in manifest.names() {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(Error::MissingLocalFile {
                    manifest: manifest_path,
                    name: name.to_owned(),
                    path,
                });
            }
        }
        Ok(LocalTree {
            dir: dir.to_owned(),
            manifest,
            manifest_bytes,
        })
    }

    /// The file `name` (a name from the manifest) and its precompressed
    /// siblings that exist.
    pub fn file_with_siblings(&self, name: &str) -> Result<Vec<LocalFile>> {
        let mut files = vec![self.file(name, name, None)?];
        for encoding in Encoding::ALL {
            let sibling = format!("{name}{}", encoding.suffix());
            if self.dir.join(&sibling).is_file() {
                files.push(self.file(&sibling, name, Some(encoding.header_value()))?);
            }
        }
        Ok(files)
    }

    fn file(&self, name: &str, type_name: &str, encoding: Option<&'static str>) -> Result<LocalFile> {
        let path = self.dir.join(name);
        let meta = std::fs::metadata(&path).map_err(|e| Error::io("read", &path, e))?;
        Ok(LocalFile {
            name: name.to_owned(),
            path,
            size: meta.len(),
            type_name: type_name.to_owned(),
            encoding,
        })
    }
}
