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

/// A Vite entry that none of the build's Vite manifests has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingEntry {
    key: String,
    known: Vec<String>,
}

impl MissingEntry {
    pub(crate) fn new(key: &str, known: Vec<String>) -> Self {
        MissingEntry {
            key: key.to_owned(),
            known,
        }
    }

    /// The entry that was looked up.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for MissingEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no Vite entry `{}`: ", self.key)?;
        if self.known.is_empty() {
            return f.write_str(
                "the build collected no `.vite/manifest.json`; build the front end with Vite \
                 (`build.manifest: true`) into an asset folder, then rebuild",
            );
        }
        let shown: Vec<String> = self.known.iter().take(10).map(|k| format!("`{k}`")).collect();
        let more = self.known.len().saturating_sub(shown.len());
        write!(f, "the build's Vite manifests have {}", shown.join(", "))?;
        if more > 0 {
            write!(f, " and {more} more")?;
        }
        f.write_str(
            "; use a key of `.vite/manifest.json` (the source path, like `src/main.ts`), or run \
             `vite build` and rebuild",
        )
    }
}

impl std::error::Error for MissingEntry {}

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
