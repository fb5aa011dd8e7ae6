//! Precompressed siblings: `name.br` and `name.gz` next to `name`, served
//! with `Content-Encoding: br` and `gzip` to clients that accept them.

/// A content coding the build may write a sibling in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Brotli: `name.br`, `Content-Encoding: br`.
    Br,
    /// gzip: `name.gz`, `Content-Encoding: gzip`.
    Gzip,
}

impl Encoding {
    /// Every encoding, in the order servers prefer them on a tie.
    pub const ALL: [Encoding; 2] = [Encoding::Br, Encoding::Gzip];

    /// The sibling's suffix: `.br`, `.gz`.
    pub const fn suffix(self) -> &'static str {
        match self {
            Encoding::Br => ".br",
            Encoding::Gzip => ".gz",
        }
    }

    /// The suffix without its dot: `br`, `gz`.
    pub const fn extension(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Gzip => "gz",
        }
    }

    /// The `Content-Encoding` (and `Accept-Encoding`) token: `br`, `gzip`.
    pub const fn header_value(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The file a sibling name is a variant of, and its encoding:
    /// `a.css.br` → (`a.css`, `Br`).
    ///
    /// ```
    /// use asset_contract::Encoding;
    /// assert_eq!(Encoding::of_sibling("a.css.gz"), Some(("a.css", Encoding::Gzip)));
    /// assert_eq!(Encoding::of_sibling("a.css"), None);
    /// ```
    pub fn of_sibling(name: &str) -> Option<(&str, Encoding)> {
        Encoding::ALL
            .into_iter()
            .find_map(|e| name.strip_suffix(e.suffix()).map(|base| (base, e)))
    }
}
