//! Step 1: find the files. Source folders are walked in order; the first
//! file found for a name wins, as with Django's staticfiles finders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::error::{Error, Result};
use crate::fs::mtime_ns;

/// One folder of assets, and the prefix its files get in their names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Source {
    pub(crate) dir: PathBuf,
    pub(crate) prefix: String,
}

/// The ignore patterns Django's `collectstatic` uses unless told otherwise.
pub const DEFAULT_IGNORE: &[&str] = &[".*", "*~", "CVS"];

/// A source file and the logical name it is collected under.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Logical name, `/`-separated: `css/base.css`.
    pub(crate) name: String,
    /// Where it is on disk.
    pub(crate) path: PathBuf,
    /// Index of the source folder it was found in.
    pub(crate) folder: u32,
    /// Where, in `name`, the path relative to that folder starts (after
    /// the folder's prefix).
    pub(crate) relative_start: usize,
    pub(crate) size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub(crate) mtime_ns: u128,
    /// Whether its name already carries a hash of its content (see
    /// [`prehashed`](crate::prehashed)): set after collection.
    pub(crate) prehashed: bool,
}

/// The outcome of collection: files in finder order, and warnings.
pub(crate) struct Collected {
    pub(crate) files: Vec<SourceFile>,
    pub(crate) warnings: Vec<String>,
}

/// Where a Vite build keeps its manifest, inside its output folder:
/// collected although the default patterns skip hidden names.
pub(crate) const VITE_MANIFEST: &str = ".vite/manifest.json";

/// The ignore globs, compiled (Django's fnmatch: `*` matches `/` too).
pub(crate) struct Ignore {
    set: GlobSet,
    /// How many of the patterns, first in `set`, are the defaults.
    defaults: usize,
}

impl Ignore {
    /// Whether the user's patterns, not only the defaults, match.
    fn user_match(&self, candidate: &str) -> bool {
        self.set.matches(candidate).iter().any(|&i| i >= self.defaults)
    }
}

/// Compiles the ignore globs: the defaults (with `default_ignore`), then
/// `patterns`.
pub(crate) fn ignore_set(patterns: &[String], default_ignore: bool) -> Result<Ignore> {
    let defaults: Vec<String> = DEFAULT_IGNORE
        .iter()
        .filter(|_| default_ignore)
        .map(|p| p.to_string())
        .collect();
    let default_count = defaults.len();
    let all: Vec<String> = defaults.into_iter().chain(patterns.iter().cloned()).collect();
    Ok(Ignore {
        set: glob_set("ignore", &all)?,
        defaults: default_count,
    })
}

/// Compiles the globs given to `option`.
pub(crate) fn glob_set(option: &'static str, patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|source| Error::BadGlob {
            option,
            pattern: pattern.clone(),
            source,
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|source| Error::BadGlob {
        option,
        pattern: patterns.join(", "),
        source,
    })
}

/// Walks `sources` in order and returns every file not ignored.
pub(crate) fn collect(sources: &[Source], ignore: &Ignore) -> Result<Collected> {
    let mut files: Vec<SourceFile> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut warnings = Vec::new();
    for (folder, source) in sources.iter().enumerate() {
        if !source.dir.is_dir() {
            return Err(Error::MissingSource {
                dir: source.dir.clone(),
            });
        }
        for file in walk(source, folder as u32, ignore)? {
            match index.get(&file.name) {
                Some(&first) => warnings.push(format!(
                    "two files are named `{}`: `{}` is used and `{}` is ignored (the first \
                     asset folder wins)",
                    file.name,
                    files[first].path.display(),
                    file.path.display()
                )),
                None => {
                    index.insert(file.name.clone(), files.len());
                    files.push(file);
                }
            }
        }
    }
    Ok(Collected { files, warnings })
}

fn walk(source: &Source, folder: u32, ignore: &Ignore) -> Result<Vec<SourceFile>> {
    let root = &source.dir;
    let mut out = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_ignored(root, entry.path(), ignore));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(root).to_owned();
            let source = e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("symbolic link loop"));
            Error::io("list", path, source)
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let relative = relative_name(root, path)?;
        let (name, relative_start) = if source.prefix.is_empty() {
            (relative, 0)
        } else {
            (format!("{}/{relative}", source.prefix), source.prefix.len() + 1)
        };
        out.push(SourceFile {
            name,
            path: entry.into_path(),
            folder,
            relative_start,
            size: 0,
            mtime_ns: 0,
            prehashed: false,
        });
    }
    // The listing above reads folders only; the metadata of the files, one
    // call each, is read on all cores.
    out.par_iter_mut().try_for_each(|file| {
        let meta = std::fs::metadata(&file.path).map_err(|e| Error::io("read metadata of", &file.path, e))?;
        file.size = meta.len();
        file.mtime_ns = mtime_ns(&meta);
        Ok::<_, Error>(())
    })?;
    Ok(out)
}

fn is_ignored(root: &Path, path: &Path, ignore: &Ignore) -> bool {
    let set = &ignore.set;
    if let Some(rel) = relative_text(root, path) {
        let base = rel.rsplit(['/', std::path::MAIN_SEPARATOR]).next().unwrap_or(rel);
        if ignore.defaults > 0 {
            if is_vite_path(rel) {
                // A Vite output folder's `.vite/manifest.json` is collected:
                // only the user's own patterns skip it.
                return ignore.user_match(base) || ignore.user_match(rel);
            }
            if rel.starts_with(".vite/") || rel.contains("/.vite/") {
                // Anything else in a `.vite` folder stays hidden.
                return true;
            }
        }
        return set.is_match(base) || set.is_match(rel);
    }
    let base_hit = path.file_name().is_some_and(|name| set.is_match(Path::new(name)));
    base_hit || path.strip_prefix(root).is_ok_and(|rel| set.is_match(rel))
}

/// Whether `rel` is a `.vite` folder or the manifest in one: the walk
/// enters the folder, then keeps the manifest only (a folder's entries
/// are checked as they are listed).
fn is_vite_path(rel: &str) -> bool {
    rel == ".vite" || rel.ends_with("/.vite") || is_vite_manifest(rel)
}

/// Whether a name is a Vite manifest: [`VITE_MANIFEST`] at the top of a
/// folder or below it.
pub(crate) fn is_vite_manifest(name: &str) -> bool {
    name.strip_suffix(VITE_MANIFEST)
        .is_some_and(|base| base.is_empty() || base.ends_with('/'))
}

/// `path` relative to `root` as text, read off the bytes (walkdir's paths
/// are the root joined with the rest), when it is UTF-8; `None` sends the
/// caller to the general, slower path handling.
fn relative_text<'a>(root: &Path, path: &'a Path) -> Option<&'a str> {
    let root = root.as_os_str().as_encoded_bytes();
    let rest = path.as_os_str().as_encoded_bytes().strip_prefix(root)?;
    let is_separator = |b: &u8| *b == b'/' || (cfg!(windows) && *b == b'\\');
    let rest = match rest.first() {
        Some(b) if is_separator(b) => &rest[1..],
        _ if root.last().is_some_and(is_separator) => rest,
        _ => return None,
    };
    std::str::from_utf8(rest).ok()
}

fn relative_name(root: &Path, path: &Path) -> Result<String> {
    if let Some(rel) = relative_text(root, path) {
        return Ok(if cfg!(windows) {
            rel.replace('\\', "/")
        } else {
            rel.to_owned()
        });
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut name = String::new();
    for component in rel.components() {
        let part = component
            .as_os_str()
            .to_str()
            .ok_or_else(|| Error::NonUtf8Name { path: path.to_owned() })?;
        if !name.is_empty() {
            name.push('/');
        }
        name.push_str(part);
    }
    Ok(name)
}
