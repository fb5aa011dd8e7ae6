//! One entry of the generated table.

use std::sync::OnceLock;

use crate::settings::settings;

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
    md5: &'static str,
    size: u64,
    content_type: &'static str,
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
        md5: &'static str,
        size: u64,
        content_type: &'static str,
    ) -> Self {
        Asset {
            name,
            hashed_name,
            default_url,
            url_path_start,
            md5,
            size,
            content_type,
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

    /// MD5 of the served bytes, as 32 lowercase hex digits.
    pub fn md5(&self) -> &'static str {
        self.md5
    }

    /// Size of the served bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// `Content-Type` header value, with `charset=utf-8` for text types.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
}
