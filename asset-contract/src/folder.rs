//! Where the collected files go: a stable folder under the target directory.
//!
//! Cargo gives a build script a hash-named `OUT_DIR`
//! (`target/debug/build/app-1a2b3c/out`), which other tools cannot find.
//! The collected files therefore go to a folder named after the package and
//! profile instead:
//!
//! ```text
//! <target dir>/<profile>/static/<package>/
//!     css/base.css
//!     css/base.d1833e6a1b2c.css
//!     staticfiles.json
//! ```
//!
//! (`<target dir>/<triple>/<profile>/static/<package>/` when building for an
//! explicit target.) `asset-build` writes there by default
//! ([`default_output_dir`]); `asset-sync` and `cargo xtask sync` find it
//! with [`collected_dir`].

use std::path::{Path, PathBuf};

/// Name of the manifest in a collected folder, and at the deploy target.
pub const MANIFEST_NAME: &str = "staticfiles.json";

/// The folder the collected assets of `package` go to, given cargo's target
/// directory and a profile folder name (`debug`, `release`, or
/// `<triple>/release`).
///
/// ```
/// use std::path::Path;
/// let dir = asset_contract::collected_dir(Path::new("/app/target"), "release", "shop");
/// assert_eq!(dir, Path::new("/app/target/release/static/shop"));
/// ```
pub fn collected_dir(target_dir: &Path, profile: &str, package: &str) -> PathBuf {
    target_dir.join(profile).join("static").join(package)
}

/// The default output folder for a build script whose `OUT_DIR` is
/// `out_dir`: `<profile dir>/static/<package>`, where the profile dir is
/// three levels above `OUT_DIR`. Falls back to `OUT_DIR/static` when
/// `OUT_DIR` does not have cargo's usual shape.
///
/// ```
/// use std::path::Path;
/// let out = Path::new("/w/target/debug/build/app-0123abcd/out");
/// let dir = asset_contract::folder::default_output_dir(out, "app");
/// assert_eq!(dir, Path::new("/w/target/debug/static/app"));
/// ```
pub fn default_output_dir(out_dir: &Path, package: &str) -> PathBuf {
    let build_dir = out_dir.parent().and_then(Path::parent);
    match build_dir {
        Some(build) if build.file_name().is_some_and(|n| n == "build") && out_dir.ends_with("out") => {
            match build.parent() {
                Some(profile_dir) => profile_dir.join("static").join(package),
                None => out_dir.join("static"),
            }
        }
        _ => out_dir.join("static"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_folder_from_out_dir() {
        let out = Path::new("/w/target/debug/build/app-0123abcd/out");
        assert_eq!(default_output_dir(out, "app"), Path::new("/w/target/debug/static/app"));
        let cross = Path::new("/w/target/x86_64-unknown-linux-gnu/release/build/app-1/out");
        assert_eq!(
            default_output_dir(cross, "app"),
            Path::new("/w/target/x86_64-unknown-linux-gnu/release/static/app")
        );
    }

    #[test]
    fn unusual_out_dir_falls_back_inside_it() {
        let out = Path::new("/tmp/somewhere");
        assert_eq!(default_output_dir(out, "app"), Path::new("/tmp/somewhere/static"));
    }
}
