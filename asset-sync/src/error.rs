//! Errors of a sync, each with the exit code the command-line tool uses.

use std::path::PathBuf;

/// Everything that stops a sync. Messages name the file, key, bucket or
/// option at fault and say what to do; none contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source folder or its `staticfiles.json` is missing.
    #[error(
        "no collected assets at `{}`: {reason}. Build the app first (`cargo build`, or \
         `cargo build --release` for the release folder) so asset-build writes the folder, or \
         pass `--source <folder holding staticfiles.json>`",
        .dir.display()
    )]
    NoSource {
        /// The folder looked at.
        dir: PathBuf,
        /// What is missing.
        reason: String,
    },

    /// The local manifest is not a valid `staticfiles.json`.
    #[error("`{}` is not a valid staticfiles.json: {reason}; rebuild the app to write it again", .path.display())]
    BadManifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The manifest names a file that is not in the folder.
    #[error(
        "`{}` names `{name}`, but `{}` does not exist; nothing was uploaded. The folder is \
         incomplete: rebuild the app so asset-build writes it again",
        .manifest.display(),
        .path.display()
    )]
    MissingLocalFile {
        /// The manifest.
        manifest: PathBuf,
        /// The name in the manifest.
        name: String,
        /// The file that should exist.
        path: PathBuf,
    },

    /// The target is not a URL or folder this tool understands.
    #[error(
        "invalid target `{target}`: {reason}. Use `s3://bucket/prefix/`, \
         `az://container/prefix/`, `file:///path` or a local folder path"
    )]
    BadTarget {
        /// The target as given.
        target: String,
        /// What is wrong.
        reason: String,
    },

    /// An option value is invalid.
    #[error("invalid {option}: {reason}")]
    BadOption {
        /// The option.
        option: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// The bucket (or Azure container) does not exist.
    #[error(
        "{} `{bucket}` does not exist at {endpoint}: check the {} name, and the {}",
        .store.bucket, .store.bucket, .store.reached
    )]
    NoSuchBucket {
        /// The store's words for it.
        store: &'static StoreWords,
        /// Its name.
        bucket: String,
        /// The endpoint used.
        endpoint: String,
    },

    /// The target's credentials (or the account they belong to) are not
    /// set, or cannot be read.
    #[error("cannot reach {target}: {what}")]
    NoCredentials {
        /// The target, as given.
        target: String,
        /// What is missing, and what to set.
        what: String,
    },

    /// The store refused the credentials.
    #[error(
        "access to {} `{bucket}` at {endpoint} was denied ({code}) for credentials from \
         {credentials}: check the credentials, and that they grant {}",
        .store.bucket, .store.permissions
    )]
    AccessDenied {
        /// The store's words for it.
        store: &'static StoreWords,
        /// Its name.
        bucket: String,
        /// The endpoint used.
        endpoint: String,
        /// The store's error code.
        code: String,
        /// Where the credentials came from (never the secret).
        credentials: String,
    },

    /// Another deploy changed the manifest while this one ran.
    #[error(
        "the manifest `{key}` changed while this sync ran (another deploy wrote it); nothing was \
         overwritten. The uploaded files are in place: run the sync again to publish this release"
    )]
    ManifestChanged {
        /// The manifest's key.
        key: String,
    },

    /// An object the sync reads whole (a manifest, a history copy) is
    /// larger than the bound.
    #[error(
        "`{key}` is {size} bytes, more than the {limit} bytes a manifest read from the store may \
         have; nothing was written. If the app really has a manifest that large, raise the bound \
         with --max-manifest-size"
    )]
    TooLarge {
        /// The object's key.
        key: String,
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
    },

    /// A request to the store failed after retries.
    #[error("{operation} `{key}` failed: {message}")]
    Store {
        /// What was being done, e.g. "upload".
        operation: &'static str,
        /// The key (or prefix).
        key: String,
        /// The store's error, without secrets.
        message: String,
    },

    /// A local file could not be read or written.
    #[error("could not {action} `{}`: {source}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Some uploads failed; the manifest was left as it was.
    #[error(
        "{failed} of {total} uploads failed, so the manifest was not updated and the bucket still \
         serves the previous release; run the sync again. First failure: {first}"
    )]
    UploadsFailed {
        /// How many failed.
        failed: usize,
        /// How many were attempted.
        total: usize,
        /// The first failure.
        first: Box<Error>,
    },

    /// The release was published, but the `--after-publish` command failed.
    #[error(
        "the release was published, but the --after-publish command `{command}` {reason}; a CDN \
         may still serve stale copies of the {} changed unhashed keys (listed in the summary and \
         --json): run the command again, or purge them by hand",
        .summary.changed_unhashed_keys.len()
    )]
    AfterPublishFailed {
        /// The command as given.
        command: String,
        /// How it failed: its exit status, or why it could not start.
        reason: String,
        /// What the sync did, the publish included.
        summary: Box<crate::Summary>,
    },
}

/// How a store names its buckets, what reaching one depends on, and what
/// a sync needs to be allowed: the words of errors about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreWords {
    /// What the store calls a bucket: `bucket`, `container`.
    pub bucket: &'static str,
    /// What else reaching one depends on, to check.
    pub reached: &'static str,
    /// The permissions a sync needs.
    pub permissions: &'static str,
}

/// An S3 bucket's words.
pub(crate) const S3_WORDS: StoreWords = StoreWords {
    bucket: "bucket",
    reached: "region and endpoint",
    permissions: "the bucket policy's s3:GetObject, s3:PutObject, s3:ListBucket (and s3:DeleteObject for --prune)",
};

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The exit code of the command-line tool for this error:
    /// 2 for bad input (source, manifest, target, options, a remote
    /// manifest past the size bound), 3 for access
    /// problems (bucket, credentials), 4 when another deploy changed the
    /// manifest, 5 when the release was published but the after-publish
    /// command failed, 1 for failed requests and I/O.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NoSource { .. }
            | Error::BadManifest { .. }
            | Error::MissingLocalFile { .. }
            | Error::BadTarget { .. }
            | Error::BadOption { .. }
            | Error::TooLarge { .. } => 2,
            Error::NoSuchBucket { .. } | Error::AccessDenied { .. } | Error::NoCredentials { .. } => 3,
            Error::ManifestChanged { .. } => 4,
            Error::AfterPublishFailed { .. } => 5,
            Error::Store { .. } | Error::Io { .. } | Error::UploadsFailed { .. } => 1,
        }
    }
}

impl Error {
    /// What the sync did before this error, when it did all it was asked
    /// but for the after-publish command.
    pub fn summary(&self) -> Option<&crate::Summary> {
        match self {
            Error::AfterPublishFailed { summary, .. } => Some(summary),
            _ => None,
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
