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

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use asset_contract::Encoding;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::asset::{Asset, ServedBytes};
use crate::error::{Error, Result};
use crate::hash::{Md5Digest, hex, md5_bytes};

/// Folder of `OUT_DIR` holding compressed variants by content hash.
pub(crate) const CACHE_DIR: &str = "precompressed";

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

impl Variants {
    /// Each variant with its encoding.
    pub(crate) fn each(self) -> [(Encoding, Option<Variant>); 2] {
        [(Encoding::Br, self.br), (Encoding::Gzip, self.gz)]
    }
}

/// The variants of every content this build serves, by content MD5.
#[derive(Default)]
pub(crate) struct Compressed {
    pub(crate) by_md5: HashMap<Md5Digest, Variants>,
    /// Contents compressed in this build.
    pub(crate) computed: usize,
}

/// The contents of compressible assets to compress in this build: each
/// distinct content whose variants are not in the cache, with the index of
/// an asset that has it and whether it is that asset's served (rewritten)
/// bytes. The rewritten ones need their bytes rendered first.
pub(crate) fn todo(assets: &[Asset], dir: &Path, cache: &HashMap<String, Variants>) -> Vec<(Md5Digest, usize, bool)> {
    let mut wanted: HashMap<Md5Digest, (usize, bool)> = HashMap::new();
    for (i, asset) in assets.iter().enumerate() {
        if compressible(asset.name()) {
            wanted.entry(asset.original.md5).or_insert((i, false));
            wanted
                .entry(asset.served.digest.md5)
                .or_insert((i, asset.is_rewritten()));
        }
    }
    let cached = |md5: &Md5Digest| {
        cache.get(&hex(md5)).is_some_and(|v| {
            v.each()
                .iter()
                .all(|(encoding, variant)| variant.is_none() || cache_path(dir, md5, encoding.extension()).is_file())
        })
    };
    wanted
        .into_iter()
        .filter(|(md5, _)| !cached(md5))
        .map(|(md5, (i, served))| (md5, i, served))
        .collect()
}

/// Compresses the contents of [`todo`] on all cores into the cache folder
/// `dir`, and returns the variants of every content the assets serve.
/// Cache entries of contents no longer served are removed.
pub(crate) fn compress_all(
    dir: &Path,
    assets: &[Asset],
    todo: &[(Md5Digest, usize, bool)],
    cache: &mut HashMap<String, Variants>,
) -> Result<Compressed> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let results: Vec<(Md5Digest, Variants)> = todo
        .par_iter()
        .map(|(md5, i, served)| {
            let asset = &assets[*i];
            let owned;
            let bytes: &[u8] = match (&asset.served.bytes, served) {
                (ServedBytes::Rewritten(bytes), true) => bytes,
                (ServedBytes::NotRendered, true) => unreachable!("rewritten contents are rendered before compression"),
                _ => {
                    owned = std::fs::read(&asset.source.path).map_err(|e| Error::io("read", &asset.source.path, e))?;
                    &owned
                }
            };
            let variants = compress_into(dir, md5, bytes).map_err(|e| Error::io("compress into", dir, e))?;
            Ok((*md5, variants))
        })
        .collect::<Result<_>>()?;
    let computed = results.len();
    let mut by_md5: HashMap<Md5Digest, Variants> = HashMap::new();
    for asset in assets.iter().filter(|a| compressible(a.name())) {
        for md5 in [asset.original.md5, asset.served.digest.md5] {
            if let Some(variants) = cache.get(&hex(&md5)) {
                by_md5.insert(md5, *variants);
            }
        }
    }
    by_md5.extend(results);
    let used: HashSet<String> = by_md5.keys().map(|m| hex(m)).collect();
    // Drop the previous build's variants of content no longer built, then
    // record this build's.
    prune_cache(dir, cache, &used);
    *cache = by_md5.iter().map(|(m, v)| (hex(m), *v)).collect();
    Ok(Compressed { by_md5, computed })
}

impl Compressed {
    /// The variants of the content with this MD5 served under `name`.
    pub(crate) fn of(&self, name: &str, md5: &Md5Digest) -> Variants {
        if !compressible(name) {
            return Variants::default();
        }
        self.by_md5.get(md5).copied().unwrap_or_default()
    }

    /// The sibling files (`name.br`, `name.gz`) of every compressible
    /// output, with the cache file each links to and its MD5.
    pub(crate) fn siblings(&self, assets: &[Asset], dir: &Path) -> Vec<(String, PathBuf, Md5Digest)> {
        let mut out = Vec::new();
        for asset in assets.iter().filter(|a| compressible(a.name())) {
            for (name, md5) in [
                (asset.name(), &asset.original.md5),
                (asset.hashed_name.as_str(), &asset.served.digest.md5),
            ] {
                let Some(variants) = self.by_md5.get(md5) else { continue };
                for (encoding, variant) in variants.each() {
                    if let Some(variant) = variant {
                        out.push((
                            format!("{name}{}", encoding.suffix()),
                            cache_path(dir, md5, encoding.extension()),
                            variant.md5,
                        ));
                    }
                }
            }
        }
        out
    }
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
    crate::fs::write_atomic(&cache_path(dir, md5, Encoding::Br.extension()), &br)?;
    variants.br = Some(Variant {
        size: br.len() as u64,
        md5: md5_bytes(&br),
    });
    let gz = gzip_bytes(bytes)?;
    if worth_it(&gz) {
        crate::fs::write_atomic(&cache_path(dir, md5, Encoding::Gzip.extension()), &gz)?;
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
pub(crate) fn prune_cache(dir: &Path, cache: &mut HashMap<String, Variants>, used: &HashSet<String>) {
    cache.retain(|md5, variants| {
        let keep = used.contains(md5);
        if !keep {
            for (encoding, variant) in variants.each() {
                if variant.is_some() {
                    let _ = std::fs::remove_file(dir.join(format!("{md5}.{}", encoding.extension())));
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
