//! The local side: a collected folder and its `staticfiles.json`, checked
//! for completeness before anything is uploaded.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use asset_contract::{Encoding, MANIFEST_NAME, Manifest, names};

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
    /// The encodings of the precompressed siblings the folder holds for
    /// the names its manifest lists.
    pub encodings: Vec<Encoding>,
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
        crate::history::check_names(&manifest, &manifest_path)?;
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
        let encodings = sibling_encodings(dir, &manifest);
        Ok(LocalTree {
            dir: dir.to_owned(),
            manifest,
            manifest_bytes,
            encodings,
        })
    }

    /// How many files the manifest names: an original and a hashed copy
    /// per entry, one file for a name that was already hashed.
    pub fn objects(&self) -> usize {
        let paths = &self.manifest.paths;
        paths.len() * 2 - paths.iter().filter(|(n, h)| names::is_prehashed(n, h)).count()
    }

    /// The file `name` (a name from the manifest) and its precompressed
    /// siblings that exist.
    pub fn file_with_siblings(&self, name: &str) -> Result<Vec<LocalFile>> {
        let mut files = vec![self.file(name, name, None)?];
        files.extend(self.siblings(name, &Encoding::ALL)?);
        Ok(files)
    }

    /// The precompressed siblings of `name` in `encodings` that exist.
    pub fn siblings(&self, name: &str, encodings: &[Encoding]) -> Result<Vec<LocalFile>> {
        let mut files = Vec::new();
        for encoding in encodings.iter().filter(|e| self.encodings.contains(e)) {
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

/// The encodings of the siblings in `dir` of names `manifest` lists: one
/// walk of the folder, reading names only.
fn sibling_encodings(dir: &Path, manifest: &Manifest) -> Vec<Encoding> {
    let mut found: Vec<Encoding> = Vec::new();
    let names: std::collections::HashSet<&str> = manifest.names().collect();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).into_iter().flatten() {
        if found.len() == Encoding::ALL.len() {
            break;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if let Some((base, encoding)) = Encoding::of_sibling(&rel)
            && !found.contains(&encoding)
            && names.contains(base)
        {
            found.push(encoding);
        }
    }
    Encoding::ALL.into_iter().filter(|e| found.contains(e)).collect()
}
