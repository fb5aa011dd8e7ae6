//! Step 4b: precompressed siblings, `name.ext.br` and `name.ext.gz`, for
//! servers and CDNs that pick them by `Accept-Encoding`.
//!
//! As Whitenoise does: only types that compress (not images, fonts,
//! archives, audio or video), Brotli first and gzip only if Brotli was
//! worth it, and a variant is kept only when it is at least 5% smaller than
//! the original. Brotli runs at quality 11; gzip at level 9 with no
//! timestamp or name in its header, so the output is deterministic.
//! Compression runs on all cores and is cached by content hash in
//! `OUT_DIR`, so a rebuild compresses only content it has not seen.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hash::{Md5Digest, hex, md5_bytes};

/// Extensions of formats that are compressed already.
const ALREADY_COMPRESSED: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "avif", "ico", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "zst", "swf",
    "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv", "mp3",
    "ogg", "opus", "m4a", "aac", "flac", "pdf",
];

/// Whether a file of this name is worth compressing.
pub(crate) fn compressible(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((_, ext)) => !ALREADY_COMPRESSED.contains(&ext.to_ascii_lowercase().as_str()),
        None => true,
    }
}

/// A compressed variant in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Variant {
    pub(crate) size: u64,
    pub(crate) md5: Md5Digest,
}

/// The variants kept for one content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Variants {
    pub(crate) br: Option<Variant>,
    pub(crate) gz: Option<Variant>,
}

/// Where the cached variants of content `md5` live.
pub(crate) fn cache_path(dir: &Path, md5: &Md5Digest, encoding: &str) -> PathBuf {
    dir.join(format!("{}.{encoding}", hex(md5)))
}

/// Compresses `bytes` (whose MD5 is `md5`) into the cache folder.
pub(crate) fn compress_into(dir: &Path, md5: &Md5Digest, bytes: &[u8]) -> std::io::Result<Variants> {
    let mut variants = Variants::default();
    if bytes.is_empty() {
        return Ok(variants);
    }
    let worth_it = |compressed: &[u8]| compressed.len() as u64 * 100 <= bytes.len() as u64 * 95;
    let br = brotli_bytes(bytes)?;
    if !worth_it(&br) {
        return Ok(variants);
    }
    crate::fs::write_atomic(&cache_path(dir, md5, "br"), &br)?;
    variants.br = Some(Variant {
        size: br.len() as u64,
        md5: md5_bytes(&br),
    });
    let gz = gzip_bytes(bytes)?;
    if worth_it(&gz) {
        crate::fs::write_atomic(&cache_path(dir, md5, "gz"), &gz)?;
        variants.gz = Some(Variant {
            size: gz.len() as u64,
            md5: md5_bytes(&gz),
        });
    }
    Ok(variants)
}

fn brotli_bytes(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

fn gzip_bytes(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::with_capacity(bytes.len() / 3), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Keeps only the cache entries in `used`, removing the others' files.
pub(crate) fn prune_cache(dir: &Path, cache: &mut HashMap<String, Variants>, used: &std::collections::HashSet<String>) {
    cache.retain(|md5, variants| {
        let keep = used.contains(md5);
        if !keep {
            for (encoding, variant) in [("br", variants.br), ("gz", variants.gz)] {
                if variant.is_some() {
                    let _ = std::fs::remove_file(dir.join(format!("{md5}.{encoding}")));
                }
            }
        }
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_formats_that_are_compressed_already() {
        assert!(compressible("css/a.css"));
        assert!(compressible("js/app.min.js"));
        assert!(compressible("LICENSE"));
        assert!(compressible("img/logo.svg"));
        assert!(!compressible("img/photo.JPG"));
        assert!(!compressible("fonts/a.woff2"));
        assert!(!compressible("dist/app.js.gz"));
    }

    #[test]
    fn keeps_variants_only_when_worth_it_and_gzip_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let text = "body { color: red; }\n".repeat(200);
        let md5 = md5_bytes(text.as_bytes());
        let variants = compress_into(dir.path(), &md5, text.as_bytes()).unwrap();
        let br = std::fs::read(cache_path(dir.path(), &md5, "br")).unwrap();
        let gz = std::fs::read(cache_path(dir.path(), &md5, "gz")).unwrap();
        assert_eq!(variants.br.unwrap().size, br.len() as u64);
        assert!(br.len() < text.len() / 10 && gz.len() < text.len() / 10);
        // No timestamp in the gzip header: bytes 4..8 are zero.
        assert_eq!(&gz[4..8], &[0, 0, 0, 0]);
        assert_eq!(gz, gzip_bytes(text.as_bytes()).unwrap());
        // Both decompress to the original.
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut plain).unwrap();
        assert_eq!(plain, text.as_bytes());
        let mut plain = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
        assert_eq!(plain, text);

        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let md5 = md5_bytes(&noise);
        assert_eq!(compress_into(dir.path(), &md5, &noise).unwrap(), Variants::default());
        assert_eq!(
            compress_into(dir.path(), &md5_bytes(b""), b"").unwrap(),
            Variants::default()
        );
    }
}
