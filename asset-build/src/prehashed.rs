//! Step 1b: find the collected files whose names already carry a hash of
//! their content, such as a bundler's output (`assets/index-BdcB2Kx1.js`).
//! They are collected under their own names and never renamed: hashing
//! them again would give `index-BdcB2Kx1.3f9c1e2a7b4d.js` and break the
//! bundler's own manifest.
//!
//! A file is taken as already hashed when:
//!
//! - a Vite build lists it: a source folder holding a `.vite/manifest.json`
//!   is recognized with no configuration, and every `file`, `css` and
//!   `assets` path it lists (relative to the folder that holds `.vite`) is
//!   such a file. The manifest is collected too, although the default
//!   ignore patterns skip hidden names;
//! - its name follows Propshaft's convention, `name-<digest>.digested.js`,
//!   where the digest is 7 to 128 letters, digits, `_` or `-`;
//! - it matches a glob given to [`Config::prehashed`](crate::Config::prehashed).
//!
//! A Vite build with `build.chunkImportMap` also writes `importmap.json`
//! beside `.vite/`: each chunk's stable specifier and the URL of its file.
//! Its pairs are kept, as logical names, for the import map the runtime
//! renders ([`Prehashed::vite_chunk_map`]).
//!
//! Such a file maps to itself in `staticfiles.json`, which is how the
//! runtime and the sync know its name as a hashed one (served and uploaded
//! as immutable). Its bytes are served as they are: the bundler already
//! wrote its references with their final names, so they are not rewritten,
//! while references to it from other CSS and JS resolve as usual.

use std::collections::BTreeMap;
use std::path::Path;

use globset::GlobSet;
use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::collect::{SourceFile, VITE_MANIFEST, is_vite_manifest};
use crate::error::{Error, Result};

/// One chunk or asset of a Vite manifest (`build.manifest: true`): the
/// output files it lists, relative to Vite's output folder, and the keys
/// of the chunks it imports.
#[derive(Debug, Deserialize)]
struct ViteChunk {
    file: String,
    #[serde(default)]
    css: Vec<String>,
    #[serde(default)]
    assets: Vec<String>,
    #[serde(default)]
    imports: Vec<String>,
}

/// A Vite manifest found among the collected files.
#[derive(Debug)]
pub(crate) struct ViteManifest {
    /// The logical name of the folder holding `.vite/`, with its `/`
    /// (empty at the top of a source folder).
    base: String,
    chunks: BTreeMap<String, ViteChunk>,
    /// Its `importmap.json` (`build.chunkImportMap`): each specifier and
    /// the logical name of the file it maps to.
    chunk_map: Vec<(String, String)>,
}

/// What Vite's `importmap.json` holds.
#[derive(Debug, Deserialize)]
struct ViteImportMap {
    imports: BTreeMap<String, String>,
}

/// What a Vite entry needs on a page, as logical names (see
/// [`asset_contract::vite`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ViteEntry {
    pub(crate) key: String,
    pub(crate) file: String,
    pub(crate) stylesheets: Vec<String>,
    pub(crate) preloads: Vec<String>,
}

/// What this step found besides the marks.
#[derive(Debug, Default)]
pub(crate) struct Prehashed {
    pub(crate) vite: Vec<ViteManifest>,
}

impl Prehashed {
    /// Every key of every Vite manifest, with what it needs on a page; for
    /// a key in two manifests, the first manifest's, with a warning.
    pub(crate) fn vite_entries(&self, warnings: &mut Vec<String>) -> Vec<ViteEntry> {
        let mut entries: BTreeMap<&str, ViteEntry> = BTreeMap::new();
        for manifest in &self.vite {
            for key in manifest.chunks.keys() {
                let entry = manifest.entry(key);
                match entries.get(key.as_str()) {
                    Some(first) => warnings.push(format!(
                        "two Vite manifests have an entry `{key}`: the one of `{}` is used, the \
                         one of `{}` is ignored",
                        first.file, entry.file
                    )),
                    None => {
                        entries.insert(key, entry);
                    }
                }
            }
        }
        entries.into_values().collect()
    }

    /// The chunk import maps of every Vite build (`build.chunkImportMap`),
    /// sorted by specifier; for a specifier in two, the first build's, with
    /// a warning.
    pub(crate) fn vite_chunk_map(&self, warnings: &mut Vec<String>) -> Vec<(String, String)> {
        let mut map: BTreeMap<&str, &str> = BTreeMap::new();
        for (specifier, name) in self.vite.iter().flat_map(|m| &m.chunk_map) {
            match map.get(specifier.as_str()) {
                Some(first) if first != name => warnings.push(format!(
                    "two Vite import maps map `{specifier}`: to `{first}`, which is used, and to `{name}`"
                )),
                Some(_) => {}
                None => {
                    map.insert(specifier, name);
                }
            }
        }
        map.into_iter().map(|(s, n)| (s.to_owned(), n.to_owned())).collect()
    }
}

impl ViteManifest {
    /// `key`'s stylesheets and preloads, as Vite's backend-integration
    /// guide gathers them: its own CSS, then for each chunk it imports
    /// (depth first, each once, a chunk after the chunks it imports) that
    /// chunk's CSS; the imported chunks' files are the preloads.
    fn entry(&self, key: &str) -> ViteEntry {
        let chunk = &self.chunks[key];
        let mut imported: Vec<&ViteChunk> = Vec::new();
        // The entry itself is never its own preload, even in a cycle.
        let mut seen: Vec<&str> = vec![key];
        self.imported(chunk, &mut seen, &mut imported);
        let mut stylesheets: Vec<String> = Vec::new();
        for css in std::iter::once(chunk)
            .chain(imported.iter().copied())
            .flat_map(|c| &c.css)
        {
            let name = format!("{}{css}", self.base);
            if !stylesheets.contains(&name) {
                stylesheets.push(name);
            }
        }
        ViteEntry {
            key: key.to_owned(),
            file: format!("{}{}", self.base, chunk.file),
            stylesheets,
            preloads: imported.iter().map(|c| format!("{}{}", self.base, c.file)).collect(),
        }
    }

    fn imported<'a>(&'a self, chunk: &'a ViteChunk, seen: &mut Vec<&'a str>, out: &mut Vec<&'a ViteChunk>) {
        for key in &chunk.imports {
            if seen.contains(&key.as_str()) {
                continue;
            }
            seen.push(key);
            // Checked when the manifest was read.
            let importee = &self.chunks[key];
            self.imported(importee, seen, out);
            out.push(importee);
        }
    }
}

/// Marks every already-hashed file of `files` (see the module docs);
/// `globs` are [`Config::prehashed`](crate::Config::prehashed)'s.
pub(crate) fn mark(files: &mut [SourceFile], globs: &GlobSet) -> Result<Prehashed> {
    let mut marked: Vec<usize> = Vec::new();
    let mut found = Prehashed::default();
    let manifests: Vec<usize> = (0..files.len()).filter(|&i| is_vite_manifest(&files[i].name)).collect();
    if !manifests.is_empty() {
        let index: FxHashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.name.as_str(), i)).collect();
        for file in manifests.iter().map(|&i| &files[i]) {
            let base = &file.name[..file.name.len() - VITE_MANIFEST.len()];
            let chunks = read_vite_manifest(&file.path)?;
            for (key, chunk) in &chunks {
                for listed in std::iter::once(&chunk.file).chain(&chunk.css).chain(&chunk.assets) {
                    let name = format!("{base}{listed}");
                    let Some(&i) = index.get(name.as_str()) else {
                        return Err(Error::ViteFileMissing {
                            manifest: file.path.clone(),
                            entry: key.clone(),
                            file: listed.clone(),
                        });
                    };
                    marked.push(i);
                }
            }
            let chunk_map = match index.get(format!("{base}{VITE_IMPORT_MAP}").as_str()) {
                Some(&i) => read_vite_import_map(&files[i].path, base, &chunks)?,
                None => Vec::new(),
            };
            found.vite.push(ViteManifest {
                base: base.to_owned(),
                chunks,
                chunk_map,
            });
        }
    }
    for i in marked {
        files[i].prehashed = true;
    }
    for file in files.iter_mut() {
        if !file.prehashed && (is_digested(&file.name) || (!globs.is_empty() && globs.is_match(&file.name))) {
            file.prehashed = true;
        }
    }
    Ok(found)
}

/// Where a Vite build with `build.chunkImportMap` writes its map, beside
/// `.vite/`.
const VITE_IMPORT_MAP: &str = "importmap.json";

/// Reads Vite's `importmap.json` at `path`: for each pair, the specifier
/// and the file of `chunks` its URL ends with, both as logical names
/// (under `base`). Vite writes both under its own `base` URL; kept
/// relative, the runtime writes both under the table's base URL, so that
/// a chunk served from a CDN imports a specifier the map holds.
fn read_vite_import_map(
    path: &Path,
    base: &str,
    chunks: &BTreeMap<String, ViteChunk>,
) -> Result<Vec<(String, String)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let bad = |message: String| Error::BadViteImportMap {
        path: path.to_owned(),
        message,
    };
    let map: ViteImportMap = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let files: Vec<&String> = chunks
        .values()
        .flat_map(|c| std::iter::once(&c.file).chain(&c.css))
        .collect();
    map.imports
        .into_iter()
        .map(|(specifier, url)| {
            let file = files
                .iter()
                .find(|f| url == ***f || url.strip_suffix(f.as_str()).is_some_and(|u| u.ends_with('/')));
            let Some(file) = file else {
                return Err(bad(format!(
                    "`{specifier}` maps to `{url}`, which is not a file of the Vite manifest beside it"
                )));
            };
            // Vite's base URL: what comes before the file.
            let prefix = &url[..url.len() - file.len()];
            match specifier.strip_prefix(prefix) {
                Some(relative) => Ok((format!("{base}{relative}"), format!("{base}{file}"))),
                None => Err(bad(format!(
                    "`{specifier}` is not under `{prefix}`, the base URL of the file it maps to"
                ))),
            }
        })
        .collect()
}

/// Reads a Vite manifest, checking that every import names an entry.
fn read_vite_manifest(path: &Path) -> Result<BTreeMap<String, ViteChunk>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let bad = |message: String| Error::BadViteManifest {
        manifest: path.to_owned(),
        message,
    };
    let chunks: BTreeMap<String, ViteChunk> = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    for (key, chunk) in &chunks {
        if let Some(missing) = chunk.imports.iter().find(|i| !chunks.contains_key(*i)) {
            return Err(bad(format!(
                "entry `{key}` imports `{missing}`, which is not an entry of the manifest"
            )));
        }
    }
    Ok(chunks)
}

/// Propshaft's convention for names that are already digested:
/// `-<digest>.digested` in the file name, the digest being 7 to 128
/// characters of `[0-9a-zA-Z_-]`.
fn is_digested(name: &str) -> bool {
    const MARK: &str = ".digested";
    let file = &name[name.rfind('/').map_or(0, |i| i + 1)..];
    let is_digest_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    file.match_indices(MARK).any(|(at, _)| {
        let run = file.as_bytes()[..at]
            .iter()
            .rev()
            .take_while(|&&b| is_digest_char(b))
            .count();
        // A `-` within the run with 7 to 128 digest characters after it.
        (7..=run.saturating_sub(1).min(128)).any(|len| file.as_bytes()[at - len - 1] == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propshaft_digested_names() {
        for yes in [
            "a-1234567.digested.js",
            "js/chunk-AbC_d-f.digested.js",
            "x-0123456789abcdef.digested.css.map",
            "dir.digested/a-abcdefg.digested.js",
            "a--------.digested",
        ] {
            assert!(is_digested(yes), "{yes}");
        }
        for no in [
            "a-123456.digested.js",
            "a.1234567.digested.js",
            "a-1234567.js",
            "dir-1234567.digested/a.js",
            "a-1234567.digest.js",
            "a-1234567!.digested.js",
            "",
        ] {
            assert!(!is_digested(no), "{no}");
        }
        let long = format!("a-{}.digested.js", "x".repeat(128));
        assert!(is_digested(&long));
        let too_long = format!("a-{}.digested.js", "x".repeat(129));
        assert!(!is_digested(&too_long));
        // A shorter run after another `-` still counts.
        let inner = format!("a-{}-abcdefg.digested.js", "x".repeat(200));
        assert!(is_digested(&inner));
    }

    #[test]
    fn vite_entries_follow_imports_depth_first_once() {
        let chunks: BTreeMap<String, ViteChunk> = serde_json::from_str(
            r#"{
                "src/main.ts": {"file": "assets/main-1.js", "css": ["assets/main-1.css"], "imports": ["_a", "_b"]},
                "_a": {"file": "assets/a-1.js", "css": ["assets/a-1.css"], "imports": ["_c", "src/main.ts"]},
                "_b": {"file": "assets/b-1.js", "imports": ["_c"]},
                "_c": {"file": "assets/c-1.js", "css": ["assets/c-1.css", "assets/main-1.css"]},
                "src/style.css": {"file": "assets/style-1.css"}
            }"#,
        )
        .unwrap();
        let found = Prehashed {
            vite: vec![ViteManifest {
                base: "app/".to_owned(),
                chunks,
                chunk_map: Vec::new(),
            }],
        };
        let mut warnings = Vec::new();
        let entries = found.vite_entries(&mut warnings);
        assert!(warnings.is_empty());
        let main = entries.iter().find(|e| e.key == "src/main.ts").unwrap();
        assert_eq!(main.file, "app/assets/main-1.js");
        assert_eq!(
            main.stylesheets,
            ["app/assets/main-1.css", "app/assets/c-1.css", "app/assets/a-1.css"]
        );
        assert_eq!(
            main.preloads,
            ["app/assets/c-1.js", "app/assets/a-1.js", "app/assets/b-1.js"]
        );
        let style = entries.iter().find(|e| e.key == "src/style.css").unwrap();
        assert_eq!(style.file, "app/assets/style-1.css");
        assert!(style.stylesheets.is_empty() && style.preloads.is_empty());

        // A second manifest with the same key: the first wins, with a warning.
        let mut twice = found;
        twice.vite.push(ViteManifest {
            base: "other/".to_owned(),
            chunks: serde_json::from_str(r#"{"src/style.css": {"file": "s-2.css"}}"#).unwrap(),
            chunk_map: Vec::new(),
        });
        let entries = twice.vite_entries(&mut warnings);
        assert_eq!(entries.len(), 5);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("`src/style.css`"), "{warnings:?}");
    }

    #[test]
    fn a_vite_import_map_maps_specifiers_to_the_manifest_files() {
        let chunks: BTreeMap<String, ViteChunk> = serde_json::from_str(
            r#"{"src/main.js": {"file": "assets/main-B.js", "css": ["assets/main-C.css"], "imports": ["_a"]},
                "_a": {"file": "assets/a-B.js"}}"#,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("importmap.json");
        std::fs::write(
            &path,
            r#"{"imports": {"/static/app/assets/main-S.js": "/static/app/assets/main-B.js",
                            "/static/app/assets/a-S.js": "/static/app/assets/a-B.js",
                            "/static/app/assets/main-S.css": "/static/app/assets/main-C.css"}}"#,
        )
        .unwrap();
        let map = read_vite_import_map(&path, "app/", &chunks).unwrap();
        // Both sides relative to Vite's base URL (`/static/app/`), under
        // the folder's logical name.
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            map,
            [
                pair("app/assets/a-S.js", "app/assets/a-B.js"),
                pair("app/assets/main-S.css", "app/assets/main-C.css"),
                pair("app/assets/main-S.js", "app/assets/main-B.js"),
            ]
        );
        // A specifier under another base URL than its file's.
        std::fs::write(
            &path,
            r#"{"imports": {"/elsewhere/a-S.js": "/static/app/assets/a-B.js"}}"#,
        )
        .unwrap();
        let error = read_vite_import_map(&path, "app/", &chunks).unwrap_err().to_string();
        assert!(
            error.contains("`/elsewhere/a-S.js` is not under `/static/app/`"),
            "{error}"
        );
        // A URL that is no file of the manifest, or a file that is not JSON.
        std::fs::write(&path, r#"{"imports": {"x": "/static/app/assets/gone-B.js"}}"#).unwrap();
        let error = read_vite_import_map(&path, "app/", &chunks).unwrap_err().to_string();
        assert!(error.contains("`x` maps to `/static/app/assets/gone-B.js`"), "{error}");
        assert!(error.contains("importmap.json"), "{error}");
        std::fs::write(&path, "{").unwrap();
        assert!(read_vite_import_map(&path, "app/", &chunks).is_err());
    }

    #[test]
    fn vite_manifest_names() {
        assert!(is_vite_manifest(".vite/manifest.json"));
        assert!(is_vite_manifest("dist/.vite/manifest.json"));
        assert!(!is_vite_manifest("x.vite/manifest.json"));
        assert!(!is_vite_manifest("vite/manifest.json"));
    }
}
