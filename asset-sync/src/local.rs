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
    /// The hex MD5 of those bytes.
    pub md5: String,
    /// The encodings of the precompressed siblings the folder holds for
    /// the names its manifest lists.
    pub encodings: Vec<Encoding>,
}

impl LocalTree {
    /// Opens `dir`: reads and parses its manifest and finds the encodings
    /// of its precompressed siblings (one walk of the folder's names, on a
    /// thread of its own while the manifest is parsed). Nothing else is
    /// looked at on disk: [`check_files`](Self::check_files) checks that
    /// every file the manifest names exists, which a sync does only once
    /// it knows it has something to upload.
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
        let (manifest, encodings) = std::thread::scope(|scope| {
            let walk = scope.spawn(|| sibling_encodings(dir));
            let manifest = Manifest::parse(&manifest_bytes).map_err(|reason| Error::BadManifest {
                path: manifest_path.clone(),
                reason,
            });
            (manifest, walk.join().unwrap_or_default())
        });
        let manifest = manifest?;
        crate::history::check_names(&manifest, &manifest_path)?;
        Ok(LocalTree {
            dir: dir.to_owned(),
            md5: md5_hex(&manifest_bytes),
            manifest,
            manifest_bytes,
            encodings,
        })
    }

    /// Checks that every file the manifest names exists: one `stat` per
    /// name.
    pub fn check_files(&self) -> Result<()> {
        for name in self.manifest.names() {
            let path = self.dir.join(name);
            if !path.is_file() {
                return Err(Error::MissingLocalFile {
                    manifest: self.dir.join(MANIFEST_NAME),
                    name: name.to_owned(),
                    path,
                });
            }
        }
        Ok(())
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

/// The encodings of the precompressed siblings in `dir`: the files named
/// like another file of the same folder plus an encoding's suffix
/// (`css/site.css.br` beside `css/site.css`). One walk of the folder,
/// reading names only; a name is looked at further only when it ends in a
/// suffix not found yet, and the walk ends once every encoding is found.
fn sibling_encodings(dir: &Path) -> Vec<Encoding> {
    let mut found: Vec<Encoding> = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).into_iter().flatten() {
        let name = entry.file_name().as_encoded_bytes();
        let Some(encoding) = Encoding::ALL
            .into_iter()
            .find(|e| !found.contains(e) && name.ends_with(e.suffix().as_bytes()))
        else {
            continue;
        };
        let base = entry.path().to_str().and_then(|p| p.strip_suffix(encoding.suffix()));
        if entry.file_type().is_file() && base.is_some_and(|base| Path::new(base).is_file()) {
            found.push(encoding);
            if found.len() == Encoding::ALL.len() {
                break;
            }
        }
    }
    Encoding::ALL.into_iter().filter(|e| found.contains(e)).collect()
}

/// The hex MD5 of `bytes`.
fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
