//! Where a sync goes: `s3://bucket/prefix/`, `file:///path`, or a local
//! folder path.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A bucket and a key prefix (empty, or ending in `/`).
    S3 {
        /// The bucket.
        bucket: String,
        /// The prefix keys are put under.
        prefix: String,
    },
    /// A folder on this machine.
    Folder(PathBuf),
}

impl Target {
    /// Parses a target.
    ///
    /// ```
    /// use asset_sync::Target;
    /// assert_eq!(
    ///     Target::parse("s3://my-bucket/static").unwrap(),
    ///     Target::S3 { bucket: "my-bucket".into(), prefix: "static/".into() }
    /// );
    /// assert_eq!(Target::parse("./public").unwrap(), Target::Folder("./public".into()));
    /// assert!(Target::parse("s3://").is_err());
    /// ```
    pub fn parse(target: &str) -> Result<Target> {
        let bad = |reason: &str| Error::BadTarget {
            target: target.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(rest) = target.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("the bucket name is missing"));
            }
            let valid = bucket.len() >= 3
                && bucket.len() <= 63
                && bucket
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
            if !valid {
                return Err(bad(&format!(
                    "`{bucket}` is not a valid bucket name (3-63 lowercase letters, digits, `-`, `.`)"
                )));
            }
            let prefix = prefix.trim_start_matches('/');
            if prefix.split('/').any(|p| p == "..") {
                return Err(bad("the prefix must not contain `..`"));
            }
            let prefix = if prefix.is_empty() || prefix.ends_with('/') {
                prefix.to_owned()
            } else {
                format!("{prefix}/")
            };
            return Ok(Target::S3 {
                bucket: bucket.to_owned(),
                prefix,
            });
        }
        if let Some(path) = target.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad("a file:// URL needs an absolute path, like file:///srv/static"));
            }
            return Ok(Target::Folder(PathBuf::from(path)));
        }
        if target.is_empty() {
            return Err(bad("it is empty"));
        }
        if let Some((scheme, _)) = target.split_once("://") {
            return Err(bad(&format!("the scheme `{scheme}://` is not supported")));
        }
        Ok(Target::Folder(PathBuf::from(target)))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            Target::Folder(path) => write!(f, "{}", path.display()),
        }
    }
}
