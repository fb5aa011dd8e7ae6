//! One entry of the generated table.

use std::sync::OnceLock;

use crate::settings::settings;

/// The bytes of one file of an asset — its hashed copy, or its collected
/// original — as recorded at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    md5: &'static str,
    size: u64,
    br_size: Option<u64>,
    gz_size: Option<u64>,
    embedded: Option<Embedded>,
}

/// Bytes compiled into the binary (`asset_build::Config::embed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embedded {
    /// The file.
    pub identity: &'static [u8],
    /// Its Brotli sibling.
    pub br: Option<&'static [u8]>,
    /// Its gzip sibling.
    pub gz: Option<&'static [u8]>,
}

impl FileInfo {
    /// Used by the generated code. Not a public API.
    #[doc(hidden)]
    pub const fn __new(md5: &'static str, size: u64, br_size: Option<u64>, gz_size: Option<u64>) -> Self {
        FileInfo {
            md5,
            size,
            br_size,
            gz_size,
            embedded: None,
        }
    }

    /// Used by the generated code. Not a public API.
    #[doc(hidden)]
    pub const fn __embed(
        mut self,
        identity: &'static [u8],
        br: Option<&'static [u8]>,
        gz: Option<&'static [u8]>,
    ) -> Self {
        self.embedded = Some(Embedded { identity, br, gz });
        self
    }

    /// The bytes, when they are compiled into the binary.
    pub fn embedded(&self) -> Option<&Embedded> {
        self.embedded.as_ref()
    }

    /// MD5 of the bytes, as 32 lowercase hex digits.
    pub fn md5(&self) -> &'static str {
        self.md5
    }

    /// Size of the bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Size of the Brotli sibling (`name.br`), if the build wrote one.
    pub fn br_size(&self) -> Option<u64> {
        self.br_size
    }

    /// Size of the gzip sibling (`name.gz`), if the build wrote one.
    pub fn gz_size(&self) -> Option<u64> {
        self.gz_size
    }
}

/// A collected static file, as recorded at build time.
///
/// Entries live in the table that `asset-build` generates; this type is not
/// built by hand.
#[derive(Debug)]
pub struct Asset {
    name: &'static str,
    hashed_name: &'static str,
    default_url: &'static str,
    url_path_start: usize,
    content_type: &'static str,
    integrity: &'static str,
    hashed: FileInfo,
    original: FileInfo,
    url_with_custom_base: OnceLock<Box<str>>,
}

impl Asset {
    /// Used by the generated code. Not a public API.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __new(
        name: &'static str,
        hashed_name: &'static str,
        default_url: &'static str,
        url_path_start: usize,
        content_type: &'static str,
        integrity: &'static str,
        hashed: FileInfo,
        original: FileInfo,
    ) -> Self {
        Asset {
            name,
            hashed_name,
            default_url,
            url_path_start,
            content_type,
            integrity,
            hashed,
            original,
            url_with_custom_base: OnceLock::new(),
        }
    }

    /// The logical path, as the app refers to it: `css/base.css`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The content-hashed path in the output folder: `css/base.d1833e6a1b2c.css`.
    pub fn hashed_name(&self) -> &'static str {
        self.hashed_name
    }

    /// The URL of the hashed file under the configured base URL.
    ///
    /// With the default base URL this returns a string stored in the binary
    /// (no allocation); with a custom base URL the string is built once per
    /// asset and kept.
    pub fn url(&'static self) -> &'static str {
        match settings().custom_base_url() {
            None => self.default_url,
            Some(base) => self
                .url_with_custom_base
                .get_or_init(|| format!("{base}{}", &self.default_url[self.url_path_start..]).into()),
        }
    }

    /// MD5 of the bytes served under the hashed name, as 32 lowercase hex digits.
    pub fn md5(&self) -> &'static str {
        self.hashed.md5
    }

    /// Size of the bytes served under the hashed name.
    pub fn size(&self) -> u64 {
        self.hashed.size
    }

    /// Subresource-integrity value of the hashed file, `sha384-<base64>`,
    /// for `<script integrity="...">` and `<link integrity="...">`.
    pub fn integrity(&self) -> &'static str {
        self.integrity
    }

    /// The hashed copy (for CSS and JS, with its references rewritten).
    pub fn hashed_file(&self) -> &FileInfo {
        &self.hashed
    }

    /// The collected original, served under the unhashed name.
    pub fn original_file(&self) -> &FileInfo {
        &self.original
    }

    /// `Content-Type` header value, with `charset=utf-8` for text types.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
}
