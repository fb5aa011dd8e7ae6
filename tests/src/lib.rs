//! End-to-end tests live in `tests/`: `example_app_http.rs` serves the
//! example app on a loopback port and fetches every asset it links;
//! `build_script.rs` runs real `cargo build`s of a throwaway app that uses
//! asset-build from its `build.rs`.
