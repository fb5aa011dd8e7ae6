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

use crate::collect::{SourceFile, VITE_MANIFEST};
use crate::error::{Error, Result};

/// One chunk or asset of a Vite manifest (`build.manifest: true`): the
/// output files it lists, relative to Vite's output folder.
#[derive(Debug, Deserialize)]
struct ViteChunk {
    file: String,
    #[serde(default)]
    css: Vec<String>,
    #[serde(default)]
    assets: Vec<String>,
}

/// Marks every already-hashed file of `files` (see the module docs);
/// `globs` are [`Config::prehashed`](crate::Config::prehashed)'s.
pub(crate) fn mark(files: &mut [SourceFile], globs: &GlobSet) -> Result<()> {
    let mut marked: Vec<usize> = Vec::new();
    {
        let index: FxHashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.name.as_str(), i)).collect();
        for file in files.iter().filter(|f| is_vite_manifest(&f.name)) {
            let base = &file.name[..file.name.len() - VITE_MANIFEST.len()];
            for (entry, listed) in vite_files(&file.path)? {
                let name = format!("{base}{listed}");
                let Some(&i) = index.get(name.as_str()) else {
                    return Err(Error::ViteFileMissing {
                        manifest: file.path.clone(),
                        entry,
                        file: listed,
                    });
                };
                marked.push(i);
            }
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
    Ok(())
}

/// Whether a logical name is a Vite manifest: `.vite/manifest.json` at
/// the top of a folder or below it.
fn is_vite_manifest(name: &str) -> bool {
    name.strip_suffix(VITE_MANIFEST)
        .is_some_and(|base| base.is_empty() || base.ends_with('/'))
}

/// Every output path a Vite manifest lists, with the key of the entry
/// that lists it.
fn vite_files(path: &Path) -> Result<Vec<(String, String)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let manifest: BTreeMap<String, ViteChunk> = serde_json::from_slice(&bytes).map_err(|e| Error::BadViteManifest {
        manifest: path.to_owned(),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (key, chunk) in manifest {
        for listed in std::iter::once(chunk.file).chain(chunk.css).chain(chunk.assets) {
            out.push((key.clone(), listed));
        }
    }
    Ok(out)
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
    fn vite_manifest_names() {
        assert!(is_vite_manifest(".vite/manifest.json"));
        assert!(is_vite_manifest("dist/.vite/manifest.json"));
        assert!(!is_vite_manifest("x.vite/manifest.json"));
        assert!(!is_vite_manifest("vite/manifest.json"));
    }
}
