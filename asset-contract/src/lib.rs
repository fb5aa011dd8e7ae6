//! The on-disk contract of hashed static assets: what `asset-build` writes,
//! and what `asset-runtime` and `asset-sync` read. Each fact is written
//! here once.
//!
//! A build collects an app's assets into one folder per package and
//! profile ([`folder`]):
//!
//! ```text
//! target/release/static/shop/
//!     css/base.css                  the original, under its logical name
//!     css/base.d1833e6a1b2c.css     the hashed copy (names)
//!     css/base.d1833e6a1b2c.css.br  precompressed siblings (encoding)
//!     css/base.d1833e6a1b2c.css.gz
//!     css/base.d1833e6a1b2c.css.zst (with zstd on)
//!     staticfiles.json              logical → hashed names (manifest)
//! ```
//!
//! - [`names`]: how a hashed name is made from a logical name and the MD5
//!   of the content (Django's `ManifestStaticFilesStorage` format);
//! - [`manifest`] (feature `manifest`): Django's `staticfiles.json`, read
//!   and written byte for byte as Django writes it;
//! - [`encoding`]: the precompressed siblings, their suffixes and
//!   `Content-Encoding` values;
//! - [`cache`]: the `Cache-Control` policy for hashed and unhashed names;
//! - [`content_type()`](content_type::content_type) (feature
//!   `content-type`): the `Content-Type` each file is served with;
//! - [`url`]: how a name becomes a URL under a base URL;
//! - [`table`] (feature `table`): the binary asset table that the generated
//!   code compiles into the app, and its lookups;
//! - [`vite`]: the Vite entries the build records beside the table, for
//!   the tags a page needs to load each one;
//! - [`importmap`]: the modules an app pins in its import map.
//!
//! Without features the crate depends only on `percent-encoding`, so every crate can read
//! the contract at the cost it needs.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cache;
#[cfg(feature = "content-type")]
pub mod content_type;
mod data;
pub mod encoding;
pub mod folder;
pub mod importmap;
#[cfg(feature = "manifest")]
pub mod manifest;
pub mod names;
#[cfg(feature = "table")]
pub mod table;
pub mod url;
pub mod vite;

#[cfg(feature = "content-type")]
pub use content_type::content_type;
pub use encoding::Encoding;
pub use folder::{MANIFEST_NAME, collected_dir};
#[cfg(feature = "manifest")]
pub use manifest::Manifest;
