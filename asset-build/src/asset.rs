//! The record of one asset as it flows through the stages, as Propshaft's
//! `Asset`: [`collect`](crate::collect) finds its source file,
//! [`hash`](crate::hash) adds the digests of its bytes,
//! [`rewrite`](crate::rewrite) gives it its hashed name and the bytes served
//! under that name; compress, write and generate read it.

use crate::collect::SourceFile;
use crate::hash::{Digest, Hashed};

/// One collected file, named.
#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub(crate) source: SourceFile,
    /// Digests of the original bytes.
    pub(crate) original: Digest,
    /// `css/base.d1833e6a1b2c.css`.
    pub(crate) hashed_name: String,
    /// The bytes served under the hashed name.
    pub(crate) served: Served,
}

/// The bytes served under an asset's hashed name.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub(crate) digest: Digest,
    pub(crate) size: u64,
    pub(crate) bytes: ServedBytes,
}

/// Where the served bytes are.
#[derive(Debug, Clone)]
pub(crate) enum ServedBytes {
    /// The original's: the file has no references to rewrite.
    Original,
    /// CSS/JS rewritten in this build.
    Rewritten(Vec<u8>),
    /// CSS/JS whose name the last build recorded: not read in this build,
    /// and rendered again only if its output or its compression needs it.
    NotRendered,
}

impl Asset {
    /// An asset served as it is: not CSS/JS.
    pub(crate) fn plain(hashed: Hashed, hashed_name: String) -> Asset {
        let size = hashed.source.size;
        Asset {
            served: Served {
                digest: hashed.digest.clone(),
                size,
                bytes: ServedBytes::Original,
            },
            source: hashed.source,
            original: hashed.digest,
            hashed_name,
        }
    }

    /// The logical name: `css/base.css`.
    pub(crate) fn name(&self) -> &str {
        &self.source.name
    }

    /// Whether its name already carried a hash (see
    /// [`prehashed`](crate::prehashed)): one file, named as its source.
    pub(crate) fn is_prehashed(&self) -> bool {
        self.source.prehashed
    }

    /// Whether the hashed copy holds rewritten bytes (CSS/JS).
    pub(crate) fn is_rewritten(&self) -> bool {
        !matches!(self.served.bytes, ServedBytes::Original)
    }
}
