//! Error values of lookups and configuration.

use std::fmt;

/// A lookup of a name that is not in the asset table (strict mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingAsset {
    name: String,
}

impl MissingAsset {
    pub(crate) fn new(name: &str) -> Self {
        MissingAsset { name: name.to_owned() }
    }

    /// The name that was looked up.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for MissingAsset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no static asset named `{}`: check the spelling (names are relative to an asset \
             folder, like `css/base.css`) or add the file to an asset folder and rebuild",
            self.name
        )
    }
}

impl std::error::Error for MissingAsset {}

/// [`configure`](crate::configure) was called after the settings were fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyConfigured;

impl fmt::Display for AlreadyConfigured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "asset settings are already fixed (configure() was called before, or a URL was \
             already looked up): call asset_runtime::configure once, at start-up",
        )
    }
}

impl std::error::Error for AlreadyConfigured {}
