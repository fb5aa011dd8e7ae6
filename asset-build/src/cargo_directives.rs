//! Lines a build script prints for cargo: what to watch, warnings, errors.
//!
//! Each message goes on one line (cargo reads the output line by line).

use std::path::Path;

use crate::error::Error;

/// Whether this process is a build script (cargo sets these for it).
pub(crate) fn in_build_script() -> bool {
    std::env::var_os("OUT_DIR").is_some() && std::env::var_os("CARGO_MANIFEST_DIR").is_some()
}

/// Rebuild when anything under `path` changes. For a folder, cargo watches
/// every file and folder below it, so adding, removing or renaming an asset
/// also reruns the build script. A path with a line break (or another
/// control character) is refused: printed, it would end the directive and
/// start another of the text's choosing.
pub(crate) fn rerun_if_changed(path: &Path) -> Result<(), Error> {
    if path.to_string_lossy().chars().any(char::is_control) {
        return Err(Error::UnwatchablePath { path: path.to_owned() });
    }
    println!("cargo::rerun-if-changed={}", path.display());
    Ok(())
}

/// Rebuild when the environment variable `var` changes.
pub(crate) fn rerun_if_env_changed(var: &str) {
    println!("cargo::rerun-if-env-changed={var}");
}

/// A warning cargo shows after the build script runs.
pub(crate) fn warning(message: &str) {
    println!("cargo::warning={}", one_line(message));
}

/// An error that fails the build with this message.
pub(crate) fn error(error: &Error) {
    println!("cargo::error=asset-build: {}", one_line(&error.to_string()));
}

fn one_line(message: &str) -> String {
    message.replace(['\r', '\n'], " ")
}
