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

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};

use crate::config::Source;
use crate::error::{Error, Result};

/// The source folders of dependency crates that declare assets, and the
/// manifests that, when changed, may change that list.
pub(crate) struct DependencyAssets {
    pub(crate) sources: Vec<Source>,
    pub(crate) watch: Vec<std::path::PathBuf>,
}

/// Finds the asset folders of the dependencies of the package in `package_dir`.
pub(crate) fn find(package_dir: &Path) -> Result<DependencyAssets> {
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
            if let Some(source) = declared_source(package)? {
                sources.push(source);
            }
        }
    }
    let watch = vec![manifest, metadata.workspace_root.as_std_path().join("Cargo.lock")];
    Ok(DependencyAssets { sources, watch })
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
    Ok(Some(Source {
        dir: crate_dir.as_std_path().join(dir),
        prefix: prefix.trim_matches('/').to_owned(),
    }))
}
