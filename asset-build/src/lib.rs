//! Content-hashed static assets for Rust web apps, prepared at build time.
//!
//! Call it from the app's `build.rs`:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     asset_build::build("assets");
//! }
//! ```
//!
//! and include the generated table in the app with one line:
//!
//! ```ignore
//! asset_runtime::include_assets!();
//! // ...
//! let href = static_url("css/base.css")?; // "/static/css/base.d1833e6a1b2c.css"
//! ```
//!
//! # What a build does
//!
//! 1. **Collect** ([`Config::source`]): walk the asset folders in order (and
//!    those of dependency crates that declare some); the first file found
//!    for a name wins.
//! 2. **Hash**: MD5 of each file's bytes, on all cores, cached between
//!    builds by (path, size, modification time).
//! 3. **Rewrite**: references inside CSS (`url()`, `@import`,
//!    `sourceMappingURL`) and JS (`sourceMappingURL`, optionally ES module
//!    imports) are pointed at the hashed names, in dependency order, and a
//!    CSS/JS file is named from the hash of its rewritten content.
//! 4. **Write** the output folder — the originals, the hashed copies and
//!    `staticfiles.json` — leaving unchanged files untouched.
//! 5. **Precompress** (release builds by default): Brotli and gzip
//!    siblings of compressible files, and zstd ones with [`Config::zstd`].
//! 6. **Generate** the asset table in `OUT_DIR`: a binary table with a
//!    build-time perfect hash of the names, and `assets.rs`, a few
//!    declarations that include it, `static_url` and the `asset!` macro.
//!
//! A rebuild whose configuration and source files (names, sizes,
//! modification times) are those of the last build, with the output tree
//! and the generated files as that build left them, runs no stage at all.
//!
//! # Edit loop
//!
//! A rebuild that finds the names of the last build, with a few files
//! edited, patches the last build's results: it hashes those files and
//! rewrites the CSS/JS among them and those that refer to them (64 files
//! at most), replaces their outputs, writes their records into the
//! table's overlay (the table itself, and the code rustc compiled for it,
//! stay as they were) and changes their entries in the manifest in place
//! ([`Output::rebuild`] is [`Rebuild::Patched`]; when the stages run, it
//! says why). Its cost is
//! listing the asset folders, whatever their size. Any other change (a
//! file added, removed or renamed) runs the stages. Without precompression
//! and `embed` only (the default in debug builds).
//!
//! Names, rewritten files and the manifest are those Django 5.2's
//! `collectstatic` with `ManifestStaticFilesStorage` produces for the same
//! tree, so a Django app and a Rust app can share a bucket of assets.
//!
//! # Output folder
//!
//! `<target dir>/<profile>/static/<package>/` (see [`collected_dir`]),
//! where `asset-sync` finds it with no configuration.
//!
//! # Errors
//!
//! A missing asset folder, a reference to a file that does not exist (with
//! the CSS/JS file, line, matched text and resolved name), a reference
//! cycle, an unreadable file or a file name that is not UTF-8 stops the
//! build with an [`Error`] whose message says what to do and which carries
//! the path. [`build`] (or [`fail`], for [`Config::build`]'s errors) prints
//! it as a `cargo::error=` line: no panic, no backtrace.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The examples show whole `build.rs` files, `fn main` included.
#![allow(clippy::needless_doctest_main)]

mod asset;
mod cargo_directives;
mod collect;
mod compress;
mod config;
mod dependency_assets;
mod error;
mod fs;
mod generate;
mod graph;
mod hash;
mod importmap;
mod ledger;
mod memo;
mod name_map;
mod output;
mod patch;
mod pipeline;
mod prehashed;
mod rebuild;
mod references;
mod rewrite;
mod settings;
mod variant_cache;

pub use asset_contract::{MANIFEST_NAME, collected_dir, content_type};
pub use collect::DEFAULT_IGNORE;
pub use config::Config;
pub use error::{Error, Result};
pub use output::WriteStats;
pub use pipeline::Output;
pub use rebuild::{Artifact, Reason, Rebuild, Unpatchable};
pub use references::Rules;

/// Builds the assets of one folder (relative to the package) with every
/// default: the one-call form for `build.rs`.
///
/// Equivalent to `Config::new().source(dir).build()`; an error fails the
/// build through [`fail`].
pub fn build(dir: impl AsRef<std::path::Path>) -> Output {
    Config::new().source(dir).build().unwrap_or_else(fail)
}

/// Fails the build with `error`, and no panic or backtrace. Never returns
/// (it is generic over `T` so that it fits `unwrap_or_else`).
///
/// From a build script, prints a `cargo::error=` line, which makes cargo
/// fail the build showing that message, and exits; elsewhere, prints
/// `error: asset-build: …` to standard error and exits with status 1.
///
/// ```no_run
/// // build.rs
/// fn main() {
///     asset_build::Config::new()
///         .source("assets")
///         .build()
///         .unwrap_or_else(asset_build::fail);
/// }
/// ```
pub fn fail<T>(error: Error) -> T {
    if cargo_directives::in_build_script() {
        cargo_directives::error(&error);
        // cargo fails the build because of the `cargo::error=` line; a
        // non-zero exit would only add its own noise around the message.
        std::process::exit(0);
    }
    eprintln!("error: asset-build: {error}");
    std::process::exit(1);
}
