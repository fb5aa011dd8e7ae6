//! Step 4b: precompressed siblings, `name.ext.br` and `name.ext.gz` (and
//! `name.ext.zst` with `Config::zstd`), for servers and CDNs that pick them
//! by `Accept-Encoding`.
//!
//! As Whitenoise does: only types that compress (not images, fonts,
//! archives, audio or video), Brotli first and the others only if Brotli
//! was worth it, and a variant is kept only when it is at least 5% smaller
//! than the original. Brotli runs at quality 11; gzip at level 9 with no
//! timestamp or name in its header, so the output is deterministic; zstd
//! at level 19 (see [`ZSTD_LEVEL`] for why). Compression runs on all cores,
//! once per distinct content, and is cached by content hash
//! ([`VariantCache`]: shared by every build on the machine by default), so
//! a build compresses only content no build has seen. Whether zstd was
//! tried is cached apart from Brotli and gzip: turning zstd on compresses
//! only the zstd variants of contents cached without them.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::PathBuf;

use asset_contract::Encoding;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::asset::{Asset, ServedBytes};
use crate::error::{Error, Result};
use crate::hash::Md5Digest;
use crate::output::Written;
use crate::variant_cache::{Lookup, Variant, VariantCache, Variants};

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
        Some((_, ext)) => !ALREADY_COMPRESSED.iter().any(|known| known.eq_ignore_ascii_case(ext)),
        None => true,
    }
}

/// The variants of every content this build serves, by content MD5.
#[derive(Default)]
pub(crate) struct Compressed {
    pub(crate) by_md5: HashMap<Md5Digest, Variants>,
    /// Contents compressed in this build.
    pub(crate) computed: usize,
}

/// What compressing this build's contents takes.
#[derive(Default)]
pub(crate) struct Plan {
    /// Contents whose variants are cached already.
    pub(crate) known: HashMap<Md5Digest, Variants>,
    /// Each distinct content to compress.
    pub(crate) todo: Vec<Todo>,
    /// Cache entries whose files were not what their records say: among
    /// `todo`, compressed again and replaced.
    pub(crate) damaged: usize,
    /// Whether the build writes zstd variants.
    zstd: bool,
}

/// A content to compress.
pub(crate) struct Todo {
    pub(crate) md5: Md5Digest,
    /// Index of an asset that has it.
    pub(crate) asset: usize,
    /// Whether it is that asset's served (rewritten) bytes, which must be
    /// rendered first.
    pub(crate) served: bool,
    /// Its Brotli and gzip variants, when they are cached and only zstd is
    /// missing.
    cached: Option<Variants>,
}

/// Finds the variants of every compressible content (with zstd's, if
/// `zstd`): in `memo` (what the last build in this `OUT_DIR` used), else
/// in `cache`; the rest is to do. A content of `memo` whose precompressed
/// files are all in the output folder as the last build wrote them (see
/// [`crate::output::trust`]) is taken as `memo` says: this build does not
/// read the cache's files for it. For the others, the cache's files are
/// looked at, since another build may have evicted them.
pub(crate) fn plan(
    assets: &[Asset],
    cache: &VariantCache,
    memo: &FxHashMap<Md5Digest, Variants>,
    outputs: &Written,
    zstd: bool,
) -> Plan {
    let elsewhere = not_in_place(assets, memo, outputs, zstd);
    let mut wanted: HashMap<Md5Digest, (usize, bool)> = HashMap::new();
    for (i, asset) in assets.iter().enumerate() {
        if compressible(asset.name()) {
            wanted.entry(asset.original.md5).or_insert((i, false));
            wanted
                .entry(asset.served.digest.md5)
                .or_insert((i, asset.is_rewritten()));
        }
    }
    let found: Vec<(Md5Digest, (usize, bool), Lookup)> = wanted
        .into_par_iter()
        .map(|(md5, source)| {
            let in_place = elsewhere.as_ref().is_some_and(|elsewhere| !elsewhere.contains(&md5));
            let remembered = memo
                .get(&md5)
                .copied()
                .filter(|v| v.complete(zstd) && (in_place || cache.holds(&md5, v)));
            let lookup = remembered.map_or_else(|| cache.get(&md5, zstd), Lookup::Hit);
            (md5, source, lookup)
        })
        .collect();
    let mut plan = Plan {
        zstd,
        ..Plan::default()
    };
    for (md5, (asset, served), lookup) in found {
        plan.damaged += usize::from(lookup == Lookup::Damaged);
        match lookup.hit() {
            Some(variants) if variants.complete(zstd) => {
                plan.known.insert(md5, variants.for_build(zstd));
            }
            cached => plan.todo.push(Todo {
                md5,
                asset,
                served,
                cached,
            }),
        }
    }
    plan
}

/// The contents of `memo` with a precompressed sibling that is not in the
/// output folder as the last build wrote it; `None` when the folder is not
/// as the last build left it (then none is known to be there).
fn not_in_place(
    assets: &[Asset],
    memo: &FxHashMap<Md5Digest, Variants>,
    outputs: &Written,
    zstd: bool,
) -> Option<FxHashSet<Md5Digest>> {
    if !outputs.trusted || memo.is_empty() {
        return None;
    }
    let mut elsewhere = FxHashSet::default();
    let variants_of = |md5: &Md5Digest| memo.get(md5).map(|v| v.for_build(zstd));
    for_each_sibling(assets, variants_of, |sibling, md5, _, variant| {
        if !outputs.holds(sibling.as_bytes(), &variant.md5) {
            elsewhere.insert(*md5);
        }
    });
    Some(elsewhere)
}

/// Calls `each` with every precompressed sibling (`name.br`, `name.gz`,
/// `name.zst`) of the compressible outputs whose content `variants_of`
/// knows: the sibling's name, the content's MD5, the encoding and the
/// variant.
fn for_each_sibling(
    assets: &[Asset],
    variants_of: impl Fn(&Md5Digest) -> Option<Variants>,
    mut each: impl FnMut(&str, &Md5Digest, Encoding, Variant),
) {
    let mut sibling = String::new();
    for asset in assets.iter().filter(|a| compressible(a.name())) {
        for (name, md5) in copies(asset) {
            let Some(variants) = variants_of(md5) else { continue };
            for (encoding, variant) in variants.each() {
                let Some(variant) = variant else { continue };
                sibling.clear();
                sibling.push_str(name);
                sibling.push_str(encoding.suffix());
                each(&sibling, md5, encoding, variant);
            }
        }
    }
}

/// The names an asset is written under in the output folder, each with the
/// MD5 of its content: the original, then the hashed copy (an asset whose
/// name already carries a hash has one name for both).
fn copies(asset: &Asset) -> impl Iterator<Item = (&str, &Md5Digest)> {
    let copies = [
        (asset.name(), &asset.original.md5),
        (asset.hashed_name.as_str(), &asset.served.digest.md5),
    ];
    copies.into_iter().take(if asset.is_prehashed() { 1 } else { 2 })
}

/// Compresses the contents the [`Plan`] has to do on all cores into
/// `cache`, and returns the variants of every content the assets serve;
/// `memo` becomes them. Then keeps the cache within its bounds.
pub(crate) fn compress_all(
    cache: &VariantCache,
    assets: &[Asset],
    plan: Plan,
    memo: &mut FxHashMap<Md5Digest, Variants>,
) -> Result<Compressed> {
    let dir = cache.dir();
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let zstd = plan.zstd;
    let mut todo = plan.todo;
    // Largest first, each content on its own: Brotli 11 takes seconds on a
    // file of a megabyte, and one left for the end would leave a core idle
    // that long.
    let size = |todo: &Todo| {
        let asset = &assets[todo.asset];
        if todo.served {
            asset.served.size
        } else {
            asset.source.size
        }
    };
    todo.sort_by_key(|todo| std::cmp::Reverse(size(todo)));
    let results: Vec<(Md5Digest, Variants)> = todo
        .par_iter()
        .with_max_len(1)
        .map(|todo| {
            let asset = &assets[todo.asset];
            let owned;
            let bytes: &[u8] = match (&asset.served.bytes, todo.served) {
                (ServedBytes::Rewritten(bytes), true) => bytes,
                (ServedBytes::NotRendered, true) => unreachable!("rewritten contents are rendered before compression"),
                _ => {
                    owned = std::fs::read(&asset.source.path).map_err(|e| Error::io("read", &asset.source.path, e))?;
                    &owned
                }
            };
            let compress_error = |e| Error::io("compress", &asset.source.path, e);
            let write_error = |e| Error::io("write into", dir, e);
            let variants = match todo.cached {
                // Brotli and gzip are cached (and Brotli paid, or zstd
                // would not be missing): zstd only.
                Some(cached) => {
                    let zst = zstd_variant(bytes).map_err(compress_error)?;
                    let zst = cache.put_zstd(&todo.md5, zst.as_deref()).map_err(write_error)?;
                    Variants {
                        zst: Some(zst),
                        ..cached
                    }
                }
                None => {
                    let compressed = compress_bytes(bytes, zstd).map_err(compress_error)?;
                    cache.put(&todo.md5, &compressed, zstd).map_err(write_error)?
                }
            };
            Ok((todo.md5, variants))
        })
        .collect::<Result<_>>()?;
    let computed = results.len();
    let mut by_md5 = plan.known;
    by_md5.extend(results);
    let used: HashSet<Md5Digest> = by_md5.keys().copied().collect();
    cache.trim(&used, computed > 0);
    *memo = by_md5.iter().map(|(m, v)| (*m, *v)).collect();
    Ok(Compressed { by_md5, computed })
}

impl Compressed {
    /// The variants of the content with this MD5 served under `name`.
    pub(crate) fn of(&self, name: &str, md5: &Md5Digest) -> Variants {
        if self.by_md5.is_empty() || !compressible(name) {
            return Variants::default();
        }
        self.by_md5.get(md5).copied().unwrap_or_default()
    }

    /// The sibling files (`name.br`, `name.gz`, `name.zst`) of every
    /// compressible output, with the cache file each links to and its MD5;
    /// no cache file for those already in the output folder as the last
    /// build wrote them (see [`crate::output::trust`]).
    pub(crate) fn siblings(
        &self,
        assets: &[Asset],
        cache: &VariantCache,
        outputs: &Written,
    ) -> Vec<(String, Option<PathBuf>, Md5Digest)> {
        let mut out = Vec::new();
        if self.by_md5.is_empty() {
            // Nothing compressed (a debug build): no asset to look at.
            return out;
        }
        let variants_of = |md5: &Md5Digest| self.by_md5.get(md5).copied();
        for_each_sibling(assets, variants_of, |sibling, md5, encoding, variant| {
            let in_place = outputs.holds(sibling.as_bytes(), &variant.md5);
            let path = (!in_place).then(|| cache.path(md5, encoding));
            out.push((sibling.to_owned(), path, variant.md5));
        });
        out
    }
}

/// The variants of `bytes` worth keeping: Brotli if it is at least 5%
/// smaller, then gzip (and zstd, if `zstd`) if Brotli was and it is too.
pub(crate) fn compress_bytes(bytes: &[u8], zstd: bool) -> std::io::Result<Vec<(Encoding, Vec<u8>)>> {
    let mut kept = Vec::new();
    if bytes.is_empty() {
        return Ok(kept);
    }
    let br = brotli_bytes(bytes)?;
    if !worth_it(bytes, &br) {
        return Ok(kept);
    }
    kept.push((Encoding::Br, br));
    let gz = gzip_bytes(bytes)?;
    if worth_it(bytes, &gz) {
        kept.push((Encoding::Gzip, gz));
    }
    if zstd && let Some(zst) = zstd_variant(bytes)? {
        kept.push((Encoding::Zstd, zst));
    }
    Ok(kept)
}

/// Whether a variant is at least 5% smaller than the original.
fn worth_it(original: &[u8], compressed: &[u8]) -> bool {
    compressed.len() as u64 * 100 <= original.len() as u64 * KEPT_PERCENT
}

/// A variant is kept when it is at most this percentage of the original.
const KEPT_PERCENT: u64 = 95;

/// The settings every variant is made with, as the name of the compression
/// cache's folder ([`VariantCache`]): variants made with other settings
/// are in another folder, never read.
pub(crate) fn settings_key() -> String {
    format!(
        "br{BROTLI_QUALITY}w{BROTLI_WINDOW_LOG}-gz{GZIP_LEVEL}-zst{ZSTD_LEVEL}w{ZSTD_WINDOW_LOG}-kept{KEPT_PERCENT}"
    )
}

/// Brotli's quality, and log2 of its window.
const BROTLI_QUALITY: i32 = 11;
const BROTLI_WINDOW_LOG: i32 = 22;
/// gzip's level.
const GZIP_LEVEL: u32 = 9;

/// The zstd variant of `bytes`, if it is worth keeping.
fn zstd_variant(bytes: &[u8]) -> std::io::Result<Option<Vec<u8>>> {
    let zst = zstd_bytes(bytes)?;
    Ok(worth_it(bytes, &zst).then_some(zst))
}

/// Brotli at quality 11 and a 4 MiB window (22 bits, as the `brotli` tool
/// and Python's `brotli.compress`), through the reference C library 1.2.
///
/// Measured on the pipeline bench's real-world tree, one thread, the
/// compressible files of 4 KB to 1 MB (307 files, 21.6 MB), runs
/// alternating: C Brotli 1.2.0 41.6 s and 42.0 s, 1.0.9 (the `brotlic`
/// crate) 44.0 s and 44.5 s, for the same bytes. On the 70 files of 64 KB
/// and more, 1.0.9 took 59.8 s against 70.3 s for the `brotli` crate's Rust
/// port, whose output was 0.1% larger.
fn brotli_bytes(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use compu_brotli_sys as sys;
    // SAFETY: a pure function of its argument. It returns 0 when the bound
    // overflows `usize`.
    let bound = match unsafe { sys::BrotliEncoderMaxCompressedSize(bytes.len()) } {
        0 => return Err(std::io::Error::other("too large for Brotli")),
        bound => bound,
    };
    let mut out = vec![0u8; bound];
    let mut written = out.len();
    // SAFETY: the input pointer and length describe `bytes`, the output
    // pointer and `written` describe `out`, which the library writes at most
    // `written` bytes of (and then sets `written` to what it wrote); neither
    // is kept after the call.
    let ok = unsafe {
        sys::BrotliEncoderCompress(
            BROTLI_QUALITY,
            BROTLI_WINDOW_LOG,
            sys::BrotliEncoderMode_BROTLI_MODE_GENERIC,
            bytes.len(),
            bytes.as_ptr(),
            &mut written,
            out.as_mut_ptr(),
        )
    };
    if ok == 0 {
        return Err(std::io::Error::other("the Brotli encoder failed"));
    }
    out.truncate(written);
    Ok(out)
}

fn gzip_bytes(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::new(GZIP_LEVEL),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// The zstd level. Measured on the CSS, JS, source maps and SVG of
/// Bootstrap 5.3, Django 5.2's admin and jQuery UI 1.14 (578 files,
/// 14.7 MB, one thread, on a 2-core machine busy with other builds), each
/// variant kept by the rule above:
///
/// | | bytes left | time |
/// | --- | ---: | ---: |
/// | zstd 3 | 22.3% | 0.07 s |
/// | zstd 9 | 19.9% | 0.4 s |
/// | zstd 15 | 19.2% | 1.9 s |
/// | zstd 17 | 18.6% | 4.8 s |
/// | **zstd 19** | **18.6%** | **8.5 s** |
/// | zstd 22 | 18.5% | 7.8–9.2 s |
/// | Brotli 11 | 16.9% | 41 s |
/// | gzip 9 | 20.9% | 0.8 s |
///
/// Each content is compressed once per machine and then served many
/// times, so the smallest output is worth the seconds: 19 is the highest
/// level whose window stays within the 8 MiB that RFC 9659 allows an HTTP
/// zstd coding (browsers refuse frames that need more); the "ultra"
/// levels above it gained under 0.01% here.
const ZSTD_LEVEL: i32 = 19;

/// log2 of the largest window a zstd variant may need: 8 MiB (RFC 9659).
/// Level 19 never uses more; set anyway, so no update of the library's
/// level tables can make variants that browsers refuse.
const ZSTD_WINDOW_LOG: u32 = 23;

fn zstd_bytes(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
    compressor.set_parameter(zstd::zstd_safe::CParameter::WindowLog(ZSTD_WINDOW_LOG))?;
    compressor.compress(bytes)
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
        let text = "body { color: red; }\n".repeat(200);
        let kept = compress_bytes(text.as_bytes(), false).unwrap();
        let encodings: Vec<Encoding> = kept.iter().map(|(e, _)| *e).collect();
        assert_eq!(encodings, [Encoding::Br, Encoding::Gzip]);
        let (br, gz) = (&kept[0].1, &kept[1].1);
        assert!(br.len() < text.len() / 10 && gz.len() < text.len() / 10);
        // No timestamp in the gzip header: bytes 4..8 are zero.
        assert_eq!(&gz[4..8], &[0, 0, 0, 0]);
        assert_eq!(*gz, gzip_bytes(text.as_bytes()).unwrap());
        // Both decompress to the original.
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut brotli_decompressor::Decompressor::new(&br[..], 4096), &mut plain).unwrap();
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
        assert!(compress_bytes(&noise, true).unwrap().is_empty());
        assert!(compress_bytes(b"", true).unwrap().is_empty());
    }

    #[test]
    fn zstd_variants_are_kept_by_the_same_rule_and_round_trip() {
        let text = "a { margin: 0 auto; }\n".repeat(300);
        let kept = compress_bytes(text.as_bytes(), true).unwrap();
        let encodings: Vec<Encoding> = kept.iter().map(|(e, _)| *e).collect();
        assert_eq!(encodings, [Encoding::Br, Encoding::Gzip, Encoding::Zstd]);
        let zst = &kept[2].1;
        assert!(zst.len() < text.len() / 10);
        assert_eq!(zstd::decode_all(&zst[..]).unwrap(), text.as_bytes());
        // Deterministic, with the content size in the frame header.
        assert_eq!(*zst, zstd_bytes(text.as_bytes()).unwrap());
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(zst).ok(),
            Some(Some(text.len() as u64))
        );
        // Brotli first: without zstd, the same Brotli and gzip bytes.
        assert_eq!(compress_bytes(text.as_bytes(), false).unwrap(), kept[..2]);
        // Not kept when it is not 5% smaller.
        let short = b"ab";
        assert_eq!(zstd_variant(short).unwrap(), None);
    }
}
