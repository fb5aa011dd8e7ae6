//! Look up content-hashed static asset URLs with no I/O.
//!
//! `asset-build`, called from an app's `build.rs`, collects the app's static
//! files, gives each a name that carries a hash of its content
//! (`css/base.css` → `css/base.d1833e6a1b2c.css`) and generates a Rust file
//! in `OUT_DIR` holding a perfect-hash table from logical path to [`Asset`].
//! This crate is the small runtime side of that table:
//!
//! ```ignore
//! // src/main.rs (or lib.rs), once, before any module that uses it:
//! asset_runtime::include_assets!();
//!
//! fn page() -> String {
//!     // Looked up at run time, an error value for an unknown name:
//!     let css = static_url("css/base.css").unwrap();
//!     // Checked at compile time: a typo is a compile error naming the path.
//!     let js = asset!("js/app.js");
//!     format!(r#"<link rel="stylesheet" href="{css}"><script src="{js}"></script>"#)
//! }
//! ```
//!
//! The URL prefix defaults to the one the table was built with (`/static/`),
//! and can be changed once at start-up, for example to point at a CDN:
//!
//! ```
//! use asset_runtime::Settings;
//! // Reads `STATIC_URL` from the environment, if set.
//! let settings = Settings::from_env();
//! # let _ = settings;
//! // asset_runtime::configure(settings).expect("configured once, at start-up");
//! ```
//!
//! Every binary carries its own table, so servers running different builds
//! of an app never disagree about a URL.
//!
//! # Dev mode
//!
//! [`Settings::dev`] turns the edit loop on: unhashed URLs, assets served
//! from their source files as they are now, and (feature `livereload`)
//! pages that reload when a source file changes. No Rust is rebuilt when an
//! asset changes: the generated table is data, included with
//! `include_bytes!`.
//!
//! # Features
//!
//! | feature | adds | pulls in |
//! | --- | --- | --- |
//! | (none) | `include_assets!`, `static_url`, `asset!`, [`Assets`], [`Settings`], [`vite`] entries, [`importmap`] | `asset-contract`, `phf_shared`, `percent-encoding` |
//! | `serve` | `serve::ServeAssets`, a tower service | `http`, `tokio`, `bytes` |
//! | `actix` | `ServeAssets::actix`, the same service for actix-web | `serve`, `actix-web` |
//! | `livereload` | `livereload::layer`: stylesheets swapped in place, pages reloaded for other changes, in dev mode | `serve`, `notify`, `tower-layer`, `walkdir` |
//! | `minijinja` | `static()`, `integrity()`, `vite()` and `importmap()` for minijinja | `minijinja` |
//! | `tera` | `static()`, `integrity()`, `vite()` and `importmap()` for tera | `tera` |
//! | `maud` | `maud::Render` for Vite entries and the import map | `maud` |
//! | `askama` | Vite entries and the import map written unescaped in askama | `askama` |
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
pub mod actix;
mod asset;
mod assets;
mod error;
mod html;
pub mod importmap;
#[cfg(feature = "livereload")]
pub mod livereload;
#[cfg(feature = "serve")]
pub mod serve;
mod settings;
pub mod templates;
pub mod vite;

pub use asset::{Asset, Embedded, FileInfo};
pub use asset_contract::url::push_encoded_path;
pub use assets::{Assets, Served};
pub use error::{AlreadyConfigured, MissingAsset, MissingEntry};
pub use settings::{Settings, configure, settings};

/// Items used by the code that `asset-build` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use asset_contract::table::{find_sorted, url_bytes, url_len, url_str};
}

/// Includes the asset table that `asset-build` generated in `OUT_DIR`.
///
/// Expands to three items in the current module:
///
/// - `ASSETS`, the [`Assets`] table of this crate;
/// - `fn static_url(name: &str) -> Result<Cow<'static, str>, MissingAsset>`;
/// - `asset!("path")`, a macro that turns a logical path known at compile
///   time into its URL (`&'static str`), and fails to compile for a path
///   that is not an asset.
///
/// Invoke it once, at the top of the crate root, so that `asset!` is in
/// scope for every module declared after it (it is also reachable as
/// `crate::asset!`).
///
/// With an argument, includes the table written under another file name
/// (see `asset_build::Config::generated_file_name`).
#[macro_export]
macro_rules! include_assets {
    () => {
        $crate::include_assets!("assets.rs");
    };
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file));
    };
}
