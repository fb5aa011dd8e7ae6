//! Finding the collected folder of a cargo package, and its
//! `[package.metadata.asset-sync]` settings, with `cargo metadata`.

use std::path::{Path, PathBuf};

use cargo_metadata::{MetadataCommand, Package};

use crate::error::{Error, Result};

/// A workspace package whose assets asset-build collects.
#[derive(Debug, Clone)]
pub struct PackageAssets {
    /// The package name.
    pub name: String,
    /// The folder asset-build writes for it in the given profile.
    pub collected_dir: PathBuf,
    /// The workspace's target directory.
    pub target_dir: PathBuf,
    /// Its `[package.metadata.asset-sync]` table, if any.
    pub settings: serde_json::Value,
}

/// Finds `package` (or, if `None`, the package the current folder is in,
/// or the only one with a build script) in the workspace around `dir`.
pub fn locate(dir: &Path, package: Option<&str>, profile: &str) -> Result<PackageAssets> {
    let metadata = MetadataCommand::new()
        .current_dir(dir)
        .no_deps()
        .exec()
        .map_err(|e| Error::NoSource {
            dir: dir.to_owned(),
            reason: format!(
                "it is not inside a cargo workspace ({}); pass --source",
                e.to_string().lines().next().unwrap_or_default()
            ),
        })?;
    let members: Vec<&Package> = metadata.workspace_packages();
    let chosen = match package {
        Some(name) => members
            .iter()
            .find(|p| p.name.as_str() == name)
            .copied()
            .ok_or_else(|| Error::BadOption {
                option: "--package",
                reason: format!(
                    "no package `{name}` in the workspace (members: {})",
                    members.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            })?,
        None => {
            let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
            let enclosing = members
                .iter()
                .filter(|p| {
                    p.manifest_path
                        .parent()
                        .is_some_and(|d| canonical.starts_with(d.as_std_path()))
                })
                .max_by_key(|p| p.manifest_path.as_str().len());
            let with_build_script: Vec<&&Package> = members
                .iter()
                .filter(|p| {
                    p.targets
                        .iter()
                        .any(|t| t.kind.iter().any(|k| k.to_string() == "custom-build"))
                })
                .collect();
            match (enclosing, with_build_script.as_slice()) {
                (Some(p), _) if metadata.workspace_root.as_std_path() != canonical => *p,
                (_, [only]) => only,
                _ => {
                    return Err(Error::BadOption {
                        option: "--package",
                        reason: format!(
                            "the workspace has several packages; choose one with --package (members: {})",
                            members.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
            }
        }
    };
    let target_dir = metadata.target_directory.clone().into_std_path_buf();
    Ok(PackageAssets {
        name: chosen.name.to_string(),
        collected_dir: asset_contract::collected_dir(&target_dir, profile, &chosen.name),
        target_dir,
        settings: chosen
            .metadata
            .get("asset-sync")
            .cloned()
            .unwrap_or(serde_json::Value::Null),
    })
}
