//! End-to-end tests live in `tests/`: `example_app_http.rs` serves the
//! example app on a loopback port and fetches every asset it links;
//! `build_script.rs` runs real `cargo build`s of a throwaway app that uses
//! asset-build from its `build.rs`.

/// The asset table of the serving benchmark: a small stylesheet and a 1 MB
/// file, precompressed and embedded (built by this crate's `build.rs`).
pub mod bench_assets {
    asset_runtime::include_assets!("bench_assets.rs");
}

/// The asset table of the dev-mode tests: stylesheets the tests edit in
/// place (built by this crate's `build.rs`, which restores them).
pub mod dev_assets {
    asset_runtime::include_assets!("dev_assets.rs");
}

/// The asset table of a Vite output folder, whose files are already
/// content-hashed (built by this crate's `build.rs`).
pub mod vite_assets {
    asset_runtime::include_assets!("vite_assets.rs");
}

/// The asset table of ES modules pinned in an import map (built by this
/// crate's `build.rs`).
pub mod module_assets {
    asset_runtime::include_assets!("module_assets.rs");
}

/// The asset table of the zstd tests: a stylesheet with Brotli, gzip and
/// zstd siblings, and an image with none, embedded (built by this crate's
/// `build.rs`).
pub mod zstd_assets {
    asset_runtime::include_assets!("zstd_assets.rs");
}
