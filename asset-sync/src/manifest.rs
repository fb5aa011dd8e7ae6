//! `staticfiles.json`, as asset-build (and Django's
//! `ManifestStaticFilesStorage`) write it: `{"paths": {name: hashed name},
//! "version": "1.1", "hash": "..."}`.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde::Deserialize;

/// A parsed manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Logical name → hashed name.
    pub paths: BTreeMap<String, String>,
    /// The manifest's `hash` field, or the MD5 of its bytes (first 12 hex
    /// digits) when it has none (version 1.0).
    pub hash: String,
}

#[derive(Deserialize)]
struct Raw {
    paths: BTreeMap<String, String>,
    version: String,
    hash: Option<String>,
}

impl Manifest {
    /// Parses manifest bytes; versions 1.0 and 1.1 are accepted, as Django does.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if raw.version != "1.0" && raw.version != "1.1" {
            return Err(format!("unsupported version `{}` (expected 1.0 or 1.1)", raw.version));
        }
        for (name, hashed) in &raw.paths {
            if !is_safe_name(name) || !is_safe_name(hashed) {
                return Err(format!("unsafe name `{name}` → `{hashed}` (absolute, or with `..`)"));
            }
        }
        let hash = match raw.hash {
            Some(hash) if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_alphanumeric()) => hash,
            Some(hash) if !hash.is_empty() => return Err(format!("invalid hash `{hash}`")),
            _ => {
                let digest = Md5::digest(bytes);
                digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
            }
        };
        Ok(Manifest { paths: raw.paths, hash })
    }

    /// Every name the manifest makes the store serve: logical and hashed.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()])
    }
}

/// A relative, `/`-separated name that cannot climb out of its folder.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains('\0')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_django_manifests() {
        let m =
            Manifest::parse(br#"{"paths": {"a.css": "a.0123456789ab.css"}, "version": "1.1", "hash": "abcdef012345"}"#)
                .unwrap();
        assert_eq!(m.paths["a.css"], "a.0123456789ab.css");
        assert_eq!(m.hash, "abcdef012345");
        let old = Manifest::parse(br#"{"paths": {}, "version": "1.0"}"#).unwrap();
        assert_eq!(old.hash.len(), 12);
    }

    #[test]
    fn rejects_bad_manifests() {
        assert!(Manifest::parse(b"{").is_err());
        assert!(
            Manifest::parse(br#"{"paths": {}, "version": "2"}"#)
                .unwrap_err()
                .contains("version")
        );
        let escape = br#"{"paths": {"a": "../etc/passwd"}, "version": "1.1", "hash": "x"}"#;
        assert!(Manifest::parse(escape).unwrap_err().contains("unsafe"));
    }
}
