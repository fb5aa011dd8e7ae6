//! Precompressed siblings: `name.br`, `name.zst` and `name.gz` next to
//! `name`, served with `Content-Encoding: br`, `zstd` and `gzip` to clients
//! that accept them.
//!
//! Brotli and gzip siblings are written whenever a build precompresses;
//! zstd siblings only when it is asked to as well (`asset_build::Config::zstd`).
//! A server that has several picks by the client's `Accept-Encoding`
//! q-values, and on a tie in the order of [`Encoding::ALL`]: Brotli (the
//! smallest), then zstd, then gzip (which every client accepts).

/// A content coding the build may write a sibling in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Brotli: `name.br`, `Content-Encoding: br`.
    Br,
    /// Zstandard: `name.zst`, `Content-Encoding: zstd` (RFC 8878; a frame's
    /// window is at most 8 MiB, as RFC 9659 requires of HTTP).
    Zstd,
    /// gzip: `name.gz`, `Content-Encoding: gzip`.
    Gzip,
}

impl Encoding {
    /// Every encoding, in the order servers prefer them on a tie.
    pub const ALL: [Encoding; 3] = [Encoding::Br, Encoding::Zstd, Encoding::Gzip];

    /// The sibling's suffix: `.br`, `.zst`, `.gz`.
    pub const fn suffix(self) -> &'static str {
        match self {
            Encoding::Br => ".br",
            Encoding::Zstd => ".zst",
            Encoding::Gzip => ".gz",
        }
    }

    /// The suffix without its dot: `br`, `zst`, `gz`.
    pub const fn extension(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Zstd => "zst",
            Encoding::Gzip => "gz",
        }
    }

    /// The `Content-Encoding` (and `Accept-Encoding`) token: `br`, `zstd`,
    /// `gzip`.
    pub const fn header_value(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }

    /// The file a sibling name is a variant of, and its encoding:
    /// `a.css.br` → (`a.css`, `Br`).
    ///
    /// ```
    /// use asset_contract::Encoding;
    /// assert_eq!(Encoding::of_sibling("a.css.gz"), Some(("a.css", Encoding::Gzip)));
    /// assert_eq!(Encoding::of_sibling("a.css.zst"), Some(("a.css", Encoding::Zstd)));
    /// assert_eq!(Encoding::of_sibling("a.css"), None);
    /// ```
    pub fn of_sibling(name: &str) -> Option<(&str, Encoding)> {
        Encoding::ALL
            .into_iter()
            .find_map(|e| name.strip_suffix(e.suffix()).map(|base| (base, e)))
    }
}
