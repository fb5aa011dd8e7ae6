//! Where a sync goes: `s3://bucket/prefix/`, `az://container/prefix/`,
//! `file:///path`, or a local folder path.

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
    /// An Azure Blob Storage container (`az://container/prefix/`) and a
    /// key prefix.
    Azure {
        /// The container.
        container: String,
        /// The prefix keys are put under.
        prefix: String,
    },
    /// A folder on this machine.
    Folder(PathBuf),
}

/// A store's URL scheme, what the store calls its buckets, and which
/// names it takes.
struct Scheme {
    prefix: &'static str,
    word: &'static str,
    valid: fn(&str) -> bool,
    rule: &'static str,
}

/// The stores' URL schemes.
const SCHEMES: [Scheme; 2] = [
    Scheme {
        prefix: "s3://",
        word: "bucket",
        valid: s3_bucket,
        rule: "3-63 lowercase letters, digits, `-`, `.`",
    },
    Scheme {
        prefix: "az://",
        word: "container",
        valid: azure_container,
        rule: "3-63 lowercase letters, digits and single `-`, starting and ending with a letter or digit",
    },
];

impl Target {
    /// Parses a target.
    ///
    /// ```
    /// use asset_sync::Target;
    /// assert_eq!(
    ///     Target::parse("s3://my-bucket/static").unwrap(),
    ///     Target::S3 { bucket: "my-bucket".into(), prefix: "static/".into() }
    /// );
    /// assert_eq!(
    ///     Target::parse("az://web/static/").unwrap(),
    ///     Target::Azure { container: "web".into(), prefix: "static/".into() }
    /// );
    /// assert!(Target::parse("gs://my-bucket").is_err());
    /// assert_eq!(Target::parse("./public").unwrap(), Target::Folder("./public".into()));
    /// assert!(Target::parse("s3://").is_err());
    /// assert!(Target::parse("az://Web").is_err());
    /// ```
    pub fn parse(target: &str) -> Result<Target> {
        let bad = |reason: &str| Error::BadTarget {
            target: target.to_owned(),
            reason: reason.to_owned(),
        };
        for Scheme {
            prefix: scheme,
            word,
            valid,
            rule,
        } in SCHEMES
        {
            let Some(rest) = target.strip_prefix(scheme) else {
                continue;
            };
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad(&format!("the {word} name is missing")));
            }
            if !valid(bucket) {
                return Err(bad(&format!("`{bucket}` is not a valid {word} name ({rule})")));
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
            let bucket = bucket.to_owned();
            return Ok(match scheme {
                "s3://" => Target::S3 { bucket, prefix },
                _ => Target::Azure {
                    container: bucket,
                    prefix,
                },
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
        if let Some(bucket) = target.strip_prefix("gs://") {
            let bucket = bucket.split('/').next().unwrap_or_default();
            return Err(bad(&format!(
                "Google Cloud Storage is reached through its S3 interoperability: \
                 `s3://{bucket}/...` with `--endpoint-url https://storage.googleapis.com` and HMAC keys \
                 in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (write conditions go as \
                 x-goog-if-generation-match)"
            )));
        }
        if let Some((scheme, _)) = target.split_once("://") {
            return Err(bad(&format!(
                "the scheme `{scheme}://` is not supported (s3://, az:// and file:// are)"
            )));
        }
        Ok(Target::Folder(PathBuf::from(target)))
    }
}

/// An S3 bucket name.
fn s3_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// An Azure container name.
fn azure_container(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&name.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
        && !name.contains("--")
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            Target::Azure { container, prefix } => write!(f, "az://{container}/{prefix}"),
            Target::Folder(path) => write!(f, "{}", path.display()),
        }
    }
}
