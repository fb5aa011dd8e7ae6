//! Step 2: content hashes and hashed names, as Django's `HashedFilesMixin`.
//!
//! A file's hashed name puts the first 12 hex digits of the MD5 of its
//! content before its last extension: `css/base.css` →
//! `css/base.d1833e6a1b2c.css`, `LICENSE` → `LICENSE.0123456789ab`,
//! `js/app.min.js` → `js/app.min.4f2a0c9e1b3d.js`.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use md5::{Digest, Md5};
use sha2::Sha384;

use crate::error::{Error, Result};

/// An MD5 digest.
pub(crate) type Md5Digest = [u8; 16];

/// MD5 of a byte slice.
pub(crate) fn md5_bytes(bytes: &[u8]) -> Md5Digest {
    Md5::digest(bytes).into()
}

/// A subresource-integrity value, `sha384-<base64>`, as `<script
/// integrity=...>` takes it.
pub(crate) fn integrity(bytes: &[u8]) -> String {
    sri_text(&Sha384::digest(bytes))
}

fn sri_text(digest: &[u8]) -> String {
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// MD5 and integrity value of a file's content, read once, in chunks.
pub(crate) fn digest_file(path: &Path) -> Result<(Md5Digest, String)> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut md5 = Md5::new();
    let mut sha = Sha384::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    Ok((md5.finalize().into(), sri_text(&sha.finalize())))
}

/// Lowercase hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The hashed name of `name` for content with this digest (the contract's
/// format: `root.<first 12 hex digits>.ext`).
pub(crate) fn hashed_name(name: &str, digest: &Md5Digest) -> String {
    asset_contract::names::hashed_name(name, &hex(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(s: &str) -> Md5Digest {
        md5_bytes(s.as_bytes())
    }

    #[test]
    fn integrity_is_sha384_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            integrity(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn names_split_the_last_extension_only() {
        let d = digest_of("");
        assert_eq!(hex(&d), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hashed_name("css/main.css", &d), "css/main.d41d8cd98f00.css");
        assert_eq!(hashed_name("main.css.map", &d), "main.css.d41d8cd98f00.map");
        assert_eq!(hashed_name("LICENSE", &d), "LICENSE.d41d8cd98f00");
        assert_eq!(hashed_name("a/.hidden", &d), "a/.hidden.d41d8cd98f00");
        assert_eq!(hashed_name("a/..x", &d), "a/..x.d41d8cd98f00");
        assert_eq!(hashed_name("a.", &d), "a.d41d8cd98f00.");
        assert_eq!(hashed_name("v1.2/x", &d), "v1.2/x.d41d8cd98f00");
    }
}
