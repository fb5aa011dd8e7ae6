//! Assets contributed by dependency crates, found with `cargo metadata`.
//!
//! A library crate ships static files by declaring, in its Cargo.toml:
//!
//! ```toml
//! [package.metadata.assets]
//! dir = "static"        # folder, relative to the crate's Cargo.toml
//! prefix = "widgets"    # optional: names become widgets/...
//! ```
//!
//! Every crate the app depends on (directly or not, normal dependencies
//! only) that declares such a table contributes its folder, after the
//! app's own folders, as Django's app-directories finder does: the app can
//! override any file of a dependency by having one of the same name. The
//! order is breadth-first from the app, by crate name within a level.
//!
//! The result is cached with the modification times of every manifest it
//! was read from (the app's, its local path dependencies', the workspace's
//! and `Cargo.lock`); `cargo metadata` runs again only when one changes.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

use asset_contract::names;
use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};

use serde::{Deserialize, Serialize};

use crate::collect::Source;
use crate::error::{Error, Result};
use crate::fs::mtime_ns;

/// The source folders of dependency crates that declare assets, and the
/// manifests that, when changed, may change that list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DependencyAssets {
    pub(crate) package_dir: PathBuf,
    pub(crate) sources: Vec<Source>,
    /// Manifests and lock file the list was read from.
    pub(crate) watch: Vec<PathBuf>,
    /// Their modification times then.
    stamps: Vec<u128>,
}

fn stamp(path: &Path) -> u128 {
    std::fs::metadata(path).map_or(0, |m| mtime_ns(&m))
}

/// The asset folders of the dependencies of the package in `package_dir`,
/// from `cached` when no manifest it was read from changed.
pub(crate) fn find_cached(package_dir: &Path, cached: Option<&DependencyAssets>) -> Result<DependencyAssets> {
    if let Some(cached) = cached
        && cached.package_dir == package_dir
        && cached.watch.iter().zip(&cached.stamps).all(|(p, s)| stamp(p) == *s)
    {
        return Ok(cached.clone());
    }
    find(package_dir)
}

/// Finds the asset folders of the dependencies of the package in `package_dir`.
fn find(package_dir: &Path) -> Result<DependencyAssets> {
    let manifest = package_dir.join("Cargo.toml");
    // Offline first: a build has its dependencies already. `cargo metadata`
    // also wants the manifests of packages the build does not use (other
    // members' dev-dependencies), so fall back to letting it fetch them.
    let mut command = MetadataCommand::new();
    command.manifest_path(&manifest);
    let metadata = match command.clone().other_options(vec!["--offline".to_owned()]).exec() {
        Ok(metadata) => metadata,
        Err(_) => command
            .exec()
            .map_err(|e| Error::Metadata(e.to_string().replace('\n', " ")))?,
    };
    let resolve = metadata
        .resolve
        .as_ref()
        .ok_or_else(|| Error::Metadata("no dependency graph in the output".to_owned()))?;
    let root = metadata
        .packages
        .iter()
        .find(|p| p.manifest_path.as_std_path() == manifest)
        .ok_or_else(|| Error::Metadata(format!("no package with manifest {}", manifest.display())))?;

    let mut sources = Vec::new();
    let workspace_root = metadata.workspace_root.as_std_path();
    let mut watch = vec![
        manifest.clone(),
        workspace_root.join("Cargo.toml"),
        workspace_root.join("Cargo.lock"),
    ];
    let mut seen: HashSet<&PackageId> = HashSet::from([&root.id]);
    let mut queue: VecDeque<&PackageId> = VecDeque::from([&root.id]);
    while let Some(id) = queue.pop_front() {
        let Some(node) = resolve.nodes.iter().find(|n| &n.id == id) else {
            continue;
        };
        let mut deps: Vec<&cargo_metadata::NodeDep> = node
            .deps
            .iter()
            .filter(|d| d.dep_kinds.iter().any(|k| k.kind == DependencyKind::Normal))
            .collect();
        deps.sort_by(|a, b| a.name.cmp(&b.name));
        for dep in deps {
            if !seen.insert(&dep.pkg) {
                continue;
            }
            queue.push_back(&dep.pkg);
            let package = &metadata[&dep.pkg];
            if package.source.is_none() {
                watch.push(package.manifest_path.clone().into_std_path_buf());
            }
            if let Some(source) = declared_source(package)? {
                sources.push(source);
            }
        }
    }
    watch.dedup();
    let stamps = watch.iter().map(|p| stamp(p)).collect();
    Ok(DependencyAssets {
        package_dir: package_dir.to_owned(),
        sources,
        watch,
        stamps,
    })
}

fn declared_source(package: &cargo_metadata::Package) -> Result<Option<Source>> {
    let Some(table) = package.metadata.get("assets") else {
        return Ok(None);
    };
    let bad = |message: &str| Error::BadPackageMetadata {
        package: package.name.to_string(),
        manifest: package.manifest_path.clone().into_std_path_buf(),
        message: message.to_owned(),
    };
    let dir = table
        .get("dir")
        .ok_or_else(|| bad("`dir` is missing"))?
        .as_str()
        .ok_or_else(|| bad("`dir` must be a string"))?;
    let prefix = match table.get("prefix") {
        None => "",
        Some(p) => p.as_str().ok_or_else(|| bad("`prefix` must be a string"))?,
    };
    let crate_dir = package
        .manifest_path
        .parent()
        .ok_or_else(|| bad("the manifest has no folder"))?;
    let dir = inside(crate_dir.as_std_path(), dir).map_err(|why| bad(&format!("`dir = {dir:?}` {why}")))?;
    let prefix = prefix.trim_matches('/');
    if let Some(problem) = (!prefix.is_empty()).then(|| names::problem(prefix)).flatten() {
        return Err(bad(&format!(
            "`prefix = {prefix:?}` cannot start asset names: {problem}"
        )));
    }
    Ok(Some(Source {
        dir,
        prefix: prefix.to_owned(),
        package: crate_dir.as_std_path().to_owned(),
    }))
}

/// `dir` joined to `crate_dir`, if it is a relative path that stays inside
/// the crate, before and (where it exists) after resolving symbolic links:
/// a dependency publishes its own files, nothing else. Says why not.
fn inside(crate_dir: &Path, dir: &str) -> std::result::Result<PathBuf, &'static str> {
    use std::path::Component;
    if dir.chars().any(char::is_control) {
        return Err("holds a control character");
    }
    let mut depth = 0usize;
    for component in Path::new(dir).components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => depth = depth.checked_sub(1).ok_or("climbs out of the crate with `..`")?,
            Component::RootDir | Component::Prefix(_) => return Err("must be relative to the crate's Cargo.toml"),
        }
    }
    let joined = crate_dir.join(dir);
    if let (Ok(resolved), Ok(root)) = (joined.canonicalize(), crate_dir.canonicalize())
        && !resolved.starts_with(&root)
    {
        return Err("leads outside the crate through a symbolic link");
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dependency_s_folder_stays_inside_its_crate() {
        let krate = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(krate.path().join("static")).unwrap();
        assert_eq!(inside(krate.path(), "static"), Ok(krate.path().join("static")));
        assert!(inside(krate.path(), "./static/../static").is_ok());
        assert!(
            inside(krate.path(), "not/yet/there").is_ok(),
            "missing folders are reported later"
        );
        for (dir, why) in [
            ("/etc", "must be relative"),
            ("..", "climbs out"),
            ("static/../../other", "climbs out"),
            ("static\ncargo::rustc-env=X=1", "control character"),
        ] {
            let err = inside(krate.path(), dir).unwrap_err();
            assert!(err.contains(why), "{dir:?}: {err}");
        }
        #[cfg(unix)]
        {
            let elsewhere = tempfile::tempdir().unwrap();
            std::os::unix::fs::symlink(elsewhere.path(), krate.path().join("linked")).unwrap();
            assert!(inside(krate.path(), "linked").unwrap_err().contains("symbolic link"));
        }
    }
}
