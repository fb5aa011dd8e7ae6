//! The release history a sync keeps in the store, and what it proves.
//!
//! Pruning may delete only what this app published, so the store has to
//! say what that is. Each release leaves two copies of its manifest under
//! `manifests/` (beside `staticfiles.json`, under the same prefix):
//!
//! - `manifests/<hash>.upload.json`, the **upload record**, written before
//!   the release's first file goes up. A deploy killed halfway leaves it
//!   behind, so the files it did upload stay known and can be reclaimed.
//! - `manifests/<hash>.json`, the **published copy**, written after the
//!   release's files and just before `staticfiles.json` itself. Its time is
//!   when the release was published; the newest of them are the releases
//!   pruning keeps. Buckets written before upload records existed hold
//!   only these, and are read the same way.
//!
//! `<hash>` is the manifest's own `hash`. A copy counts only if it parses
//! as a manifest whose hash is the one in its key: anything else under
//! `manifests/` is someone else's file, and is left alone. A release that
//! itself names a key of this layout is refused before anything is written
//! ([`check_names`]), so an asset and a history copy never share a key.

use std::collections::HashMap;
use std::time::SystemTime;

use asset_contract::{Encoding, Manifest};
use futures_util::{StreamExt, TryStreamExt, stream};

use crate::error::{Error, Result};
use crate::store::{Listed, ObjectStore};
use crate::sync::SyncOptions;

/// The folder, under the prefix, that holds the history.
pub(crate) const FOLDER: &str = "manifests/";
/// The suffix of a published copy.
const PUBLISHED: &str = ".json";
/// The suffix of an upload record.
const UPLOAD: &str = ".upload.json";

/// Which of a release's two copies a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Copy {
    /// Written before the release's first upload.
    Upload,
    /// Written when the release was published.
    Published,
}

/// The key of a release's copy, relative to the prefix.
pub(crate) fn key(hash: &str, copy: Copy) -> String {
    match copy {
        Copy::Upload => format!("{FOLDER}{hash}{UPLOAD}"),
        Copy::Published => format!("{FOLDER}{hash}{PUBLISHED}"),
    }
}

/// The release hash and copy a name (relative to the prefix) would be in
/// the history layout, whoever wrote it.
pub(crate) fn parse_key(name: &str) -> Option<(&str, Copy)> {
    let file = name.strip_prefix(FOLDER)?;
    let (hash, copy) = match file.strip_suffix(UPLOAD) {
        Some(hash) => (hash, Copy::Upload),
        None => (file.strip_suffix(PUBLISHED)?, Copy::Published),
    };
    let valid = !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then_some((hash, copy))
}

/// Refuses a release that names a key of the history layout (or a
/// precompressed sibling of one): its file and a history copy would
/// overwrite each other.
pub(crate) fn check_names(manifest: &Manifest, manifest_path: &std::path::Path) -> Result<()> {
    let clash = manifest.names().find(|name| {
        let base = Encoding::of_sibling(name).map_or(*name, |(base, _)| base);
        parse_key(name).is_some() || parse_key(base).is_some()
    });
    match clash {
        None => Ok(()),
        Some(name) => Err(Error::BadManifest {
            path: manifest_path.to_owned(),
            reason: format!(
                "it names `{name}`, a key asset-sync keeps its release history under \
                 (`{FOLDER}<hash>{PUBLISHED}`, `{FOLDER}<hash>{UPLOAD}`); rename that file or move \
                 it to another folder"
            ),
        }),
    }
}

/// A release the store's history proves this app uploaded.
#[derive(Debug)]
pub(crate) struct Release {
    /// Its manifest.
    pub manifest: Manifest,
    /// When it was published (its published copy's time), if it was.
    pub published: Option<Published>,
    /// Its copies in the store: full keys, with their times.
    pub copies: Vec<Listed>,
}

/// When a release was published, as far as the store says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Published {
    /// The store gave no time.
    Unknown,
    /// The published copy's modification time.
    At(SystemTime),
}

/// Reads every release whose copies a listing of the prefix holds, as
/// many reads at a time as the sync uploads, each bounded as the sync's
/// manifest is. Copies that do not prove a release (not a manifest, or one
/// whose hash is not the key's) are left out, and stay unknown to pruning.
pub(crate) async fn read<S: ObjectStore>(
    store: &S,
    prefix: &str,
    listing: &[Listed],
    options: &SyncOptions,
) -> Result<Vec<Release>> {
    let mut by_hash: HashMap<&str, Vec<(&Listed, Copy)>> = HashMap::new();
    for object in listing {
        if let Some((hash, copy)) = object.key.strip_prefix(prefix).and_then(parse_key) {
            by_hash.entry(hash).or_default().push((object, copy));
        }
    }
    let releases: Vec<Option<Release>> = stream::iter(by_hash)
        .map(|(hash, copies)| read_release(store, hash, copies, options.max_manifest_bytes))
        .buffer_unordered(options.concurrency.max(1))
        .try_collect()
        .await?;
    Ok(releases.into_iter().flatten().collect())
}

/// Reads one release from one of its copies (the published one if any).
async fn read_release<S: ObjectStore>(
    store: &S,
    hash: &str,
    mut copies: Vec<(&Listed, Copy)>,
    limit: u64,
) -> Result<Option<Release>> {
    copies.sort_by_key(|(_, copy)| *copy != Copy::Published);
    let Some(fetched) = store.get(&copies[0].0.key, limit).await? else {
        return Ok(None);
    };
    let manifest = match Manifest::parse(&fetched.bytes) {
        Ok(manifest) if manifest.hash == hash => manifest,
        _ => return Ok(None),
    };
    let published = copies
        .iter()
        .find(|(_, copy)| *copy == Copy::Published)
        .map(|(listed, _)| listed.last_modified.map_or(Published::Unknown, Published::At));
    Ok(Some(Release {
        manifest,
        published,
        copies: copies.into_iter().map(|(listed, _)| listed.clone()).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_other_names_are_not_history() {
        for copy in [Copy::Upload, Copy::Published] {
            assert_eq!(parse_key(&key("0123456789ab", copy)), Some(("0123456789ab", copy)));
        }
        for name in [
            "manifests/site.webmanifest",
            "manifests/a.b.json",
            "manifests/.json",
            "manifests/x/y.json",
            "other/0123456789ab.json",
            "manifests/0123456789ab.json.gz",
        ] {
            assert_eq!(parse_key(name), None, "{name}");
        }
    }

    #[test]
    fn a_release_naming_a_history_key_is_refused_with_the_name() {
        let manifest = |name: &str| {
            let json = format!(r#"{{"paths": {{"{name}": "a.0123456789ab.txt"}}, "version": "1.1"}}"#);
            Manifest::parse(json.as_bytes()).unwrap()
        };
        let path = std::path::Path::new("out/staticfiles.json");
        let err = check_names(&manifest("manifests/abc.json"), path).unwrap_err();
        assert!(err.to_string().contains("`manifests/abc.json`"), "{err}");
        assert_eq!(err.exit_code(), 2);
        assert!(check_names(&manifest("manifests/abc.upload.json.gz"), path).is_err());
        check_names(&manifest("manifests/site.webmanifest"), path).unwrap();
        check_names(&manifest("manifests/site.1234.json"), path).unwrap();
    }
}
