//! The local side: a collected folder and its `staticfiles.json`, checked
//! for completeness before anything is uploaded.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
        // The walk runs while the manifest is parsed; it checks names
        // against the manifest once there is one.
        let parsed = OnceLock::new();
        let walked = std::thread::scope(|scope| {
            let walk = scope.spawn(|| walk_siblings(dir, &parsed));
            parsed.get_or_init(|| Manifest::parse(&manifest_bytes));
            walk.join()
        });
        let parsed = parsed.into_inner().unwrap_or_else(|| Manifest::parse(&manifest_bytes));
        let manifest = parsed.map_err(|reason| Error::BadManifest {
            path: manifest_path.clone(),
            reason,
        })?;
        let encodings = walked.map(|w| w.encodings(&manifest)).unwrap_or_default();
        crate::history::check_names(&manifest, &manifest_path)?;
        Ok(LocalTree {
            dir: dir.to_owned(),
            md5: crate::store::md5_hex(&manifest_bytes),
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

/// What a walk of a folder found of precompressed siblings: the
/// encodings it has a sibling in of a name the manifest lists, and the
/// candidates it met before the manifest was parsed.
#[derive(Debug, Default)]
struct Walked {
    found: Vec<Encoding>,
    /// (the name a sibling is of, its encoding), not looked up yet.
    pending: Vec<(String, Encoding)>,
}

impl Walked {
    /// The encodings of the siblings of names `manifest` lists, in
    /// [`Encoding::ALL`]'s order.
    fn encodings(mut self, manifest: &Manifest) -> Vec<Encoding> {
        self.resolve(manifest);
        Encoding::ALL.into_iter().filter(|e| self.found.contains(e)).collect()
    }

    /// Looks up the pending candidates.
    fn resolve(&mut self, manifest: &Manifest) {
        for (base, encoding) in std::mem::take(&mut self.pending) {
            if !self.found.contains(&encoding) && manifest.lists(&base) {
                self.found.push(encoding);
            }
        }
    }
}

/// Candidates held before the walk waits for the manifest.
const PENDING_MAX: usize = 256;

/// One walk of `dir`, reading names only, for the precompressed siblings
/// of names the manifest lists (`css/site.css.br` beside `css/site.css`,
/// a file or a link to one). A name is looked at further only when it
/// ends in the suffix of an encoding not found yet; the walk ends once
/// every encoding is found. It runs while `parsed` is being filled, and
/// keeps what it cannot look up yet.
fn walk_siblings(dir: &Path, parsed: &OnceLock<std::result::Result<Manifest, String>>) -> Walked {
    let mut walked = Walked::default();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).into_iter().flatten() {
        let sibling = entry.file_name().to_str().and_then(Encoding::of_sibling);
        let Some((_, encoding)) = sibling.filter(|(_, e)| !walked.found.contains(e)) else {
            continue;
        };
        let relative = entry.path().strip_prefix(dir).ok().and_then(Path::to_str);
        let Some(base) = relative.and_then(|p| p.strip_suffix(encoding.suffix())) else {
            continue;
        };
        if !entry.path().is_file() {
            continue;
        }
        walked.pending.push((base.replace('\\', "/"), encoding));
        let manifest = match parsed.get() {
            Some(parsed) => parsed.as_ref().ok(),
            None if walked.pending.len() >= PENDING_MAX => parsed.wait().as_ref().ok(),
            None => continue,
        };
        let Some(manifest) = manifest else {
            return walked; // not a manifest: the open fails
        };
        walked.resolve(manifest);
        if walked.found.len() == Encoding::ALL.len() {
            break;
        }
    }
    walked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder with `files` and a manifest of `entries`.
    fn folder(entries: &[(&str, &str)], files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let paths = entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        std::fs::write(dir.path().join(MANIFEST_NAME), Manifest::new(paths).to_json()).unwrap();
        for name in entries.iter().flat_map(|(k, v)| [*k, *v]).chain(files.iter().copied()) {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, name).unwrap();
        }
        dir
    }

    #[test]
    fn siblings_count_only_for_names_the_manifest_lists() {
        let entries = [("a.css", "a.0123456789ab.css")];
        // A sibling of the hashed name, and one of a file no manifest names.
        let dir = folder(&entries, &["a.0123456789ab.css.br", "stray.txt", "stray.txt.gz"]);
        assert_eq!(LocalTree::open(dir.path()).unwrap().encodings, [Encoding::Br]);
    }

    #[cfg(unix)]
    #[test]
    fn a_sibling_that_is_a_link_to_a_file_counts() {
        let entries = [("a.css", "a.0123456789ab.css")];
        let dir = folder(&entries, &["elsewhere/a.css.gz"]);
        std::os::unix::fs::symlink(dir.path().join("elsewhere/a.css.gz"), dir.path().join("a.css.gz")).unwrap();
        assert_eq!(LocalTree::open(dir.path()).unwrap().encodings, [Encoding::Gzip]);
    }

    #[test]
    fn more_candidates_than_are_held_before_the_manifest_are_all_looked_up() {
        // Stray siblings past the bound, then (in walk order, or not) one
        // sibling of a listed name.
        let strays: Vec<String> = (0..PENDING_MAX + 10).map(|i| format!("s/{i:04}.txt.br")).collect();
        let mut files: Vec<&str> = strays.iter().map(String::as_str).collect();
        files.push("z/b.js.br");
        let dir = folder(&[("z/b.js", "z/b.0123456789ab.js")], &files);
        assert_eq!(LocalTree::open(dir.path()).unwrap().encodings, [Encoding::Br]);
        let none = folder(&[("z/b.js", "z/b.0123456789ab.js")], &files[..PENDING_MAX + 10]);
        assert_eq!(LocalTree::open(none.path()).unwrap().encodings, []);
    }
}
