//! The cache of precompressed variants, by content, shared by every build
//! on the machine.
//!
//! Brotli at quality 11 is most of a cold release build's time, and CI
//! starts every release build from an empty `target/`. So the variants of
//! each content are kept outside `target/`, under the user's cache folder
//! (`$XDG_CACHE_HOME/asset-build`, `~/.cache/asset-build`,
//! `~/Library/Caches/asset-build`, `%LOCALAPPDATA%\asset-build`): debug and
//! release builds, `cargo clean`, CI runs that restore that folder, and
//! other projects with the same files all reuse them.
//!
//! - `ASSET_BUILD_CACHE_DIR=<folder>` puts the cache elsewhere (a folder
//!   the CI caches between runs); `ASSET_BUILD_CACHE_DIR=off` keeps
//!   variants in the build's own `OUT_DIR`, removed with it, as before.
//! - `ASSET_BUILD_CACHE_SIZE` bounds it (`500M`, `2G`, or bytes; 2 GiB by
//!   default): after a build that added entries, the least recently used
//!   are removed until it holds 80% of that.
//!
//! An entry is `v2-<settings>/<ab>/<md5>.br`, `<md5>.gz` (those kept) and
//! the record
//! `<md5>.variants`, which names them with their sizes and digests. Every
//! file is written to a temporary name and renamed into place, and the
//! record last: a build killed midway leaves at most files without a
//! record, which no build trusts. A record is trusted only if every file it
//! names is there with its recorded size and MD5: a file is read and
//! hashed before a build uses it, so a damaged entry (a write cut short
//! that kept the length, another writer, bit rot) is a miss, compressed
//! again and replaced, never shipped. The output folder gets copies,
//! never links to the cache's files, so nothing done to the cache later
//! changes what it serves. Concurrent builds may compress the same content
//! at once; they write the same bytes, each through a temporary file of its
//! own.
//!
//! A shared folder the build cannot write, or that another user owns, is
//! not used: the build warns and keeps its variants in `OUT_DIR`.
//!
//! zstd, which builds try only when asked to, has a record of its own,
//! `<md5>.zst.variants`, naming `<md5>.zst` or saying it was not worth
//! keeping, under the same rules (file first, record last, trusted only
//! with its file's size, and only within an entry whose main record is
//! there). So a build that turns zstd on finds the Brotli and gzip
//! variants of the entries cached without it and adds only zstd's, and
//! builds of versions that know nothing of zstd read the entries as before.
//! Without a Brotli variant there is no zstd one either (it would not pay),
//! and no zstd record is needed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use asset_contract::Encoding;
use serde::{Deserialize, Serialize};

use crate::hash::{Md5Digest, hex};

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
    /// `None` while zstd has not been tried for this content (builds
    /// without `Config::zstd` do not try it, and do not serve it); then
    /// whether it was kept.
    pub(crate) zst: Option<Option<Variant>>,
}

impl Variants {
    /// Each variant with its encoding.
    pub(crate) fn each(self) -> [(Encoding, Option<Variant>); 3] {
        [
            (Encoding::Br, self.br),
            (Encoding::Zstd, self.zst.flatten()),
            (Encoding::Gzip, self.gz),
        ]
    }

    /// Whether these are all the variants a build with or without zstd
    /// serves.
    pub(crate) fn complete(&self, zstd: bool) -> bool {
        !zstd || self.zst.is_some()
    }

    /// The variants a build with or without zstd serves.
    pub(crate) fn for_build(self, zstd: bool) -> Variants {
        Variants {
            zst: self.zst.filter(|_| zstd),
            ..self
        }
    }
}

/// Version of the layout: entries of another version are never read. The
/// folder's name also holds the compression settings (`settings`, from
/// `compress::settings_key`).
const LAYOUT: &str = "v2";
/// How often a shared cache is measured against its bound: measuring walks
/// the whole cache, which a build that compressed one edited file should
/// not pay each time.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// The file whose modification time says when the cache was last measured.
const TRIMMED: &str = "last-trim";
/// Default bound of a shared cache.
pub(crate) const DEFAULT_LIMIT: u64 = 2 << 30;

/// Where variants are kept, and how the cache is bounded.
#[derive(Debug, Clone)]
pub(crate) struct VariantCache {
    dir: PathBuf,
    shared: bool,
    limit: u64,
}

impl VariantCache {
    /// The cache the environment asks for; `out_dir` holds the build's own
    /// when the shared one is off or there is no cache folder.
    pub(crate) fn from_env(out_dir: &Path, settings: &str) -> VariantCache {
        let limit = std::env::var("ASSET_BUILD_CACHE_SIZE")
            .ok()
            .and_then(|v| parse_size(&v))
            .unwrap_or(DEFAULT_LIMIT);
        match std::env::var_os("ASSET_BUILD_CACHE_DIR") {
            Some(v) if v == "off" => VariantCache::local(out_dir, settings),
            Some(v) if !v.is_empty() => VariantCache::shared(PathBuf::from(v), limit, settings),
            _ => match dirs::cache_dir() {
                Some(dir) => VariantCache::shared(dir.join("asset-build"), limit, settings),
                None => VariantCache::local(out_dir, settings),
            },
        }
    }

    /// A cache shared by builds, in `dir`, bounded to `limit` bytes.
    pub(crate) fn shared(dir: PathBuf, limit: u64, settings: &str) -> VariantCache {
        VariantCache {
            dir: dir.join(format!("{LAYOUT}-{settings}")),
            shared: true,
            limit,
        }
    }

    /// A build's own cache in its `OUT_DIR`, holding only what the last
    /// build used.
    pub(crate) fn local(out_dir: &Path, settings: &str) -> VariantCache {
        VariantCache {
            dir: out_dir.join("precompressed").join(format!("{LAYOUT}-{settings}")),
            shared: false,
            limit: u64::MAX,
        }
    }

    /// The folder entries are in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether other builds share it.
    pub(crate) fn is_shared(&self) -> bool {
        self.shared
    }

    fn entry(&self, md5: &Md5Digest) -> PathBuf {
        let hex = hex(md5);
        self.dir.join(&hex[..2]).join(hex)
    }

    /// The file of one variant of content `md5`.
    pub(crate) fn path(&self, md5: &Md5Digest, encoding: Encoding) -> PathBuf {
        let mut path = self.entry(md5).into_os_string();
        path.push(encoding.suffix());
        PathBuf::from(path)
    }

    fn record_path(&self, md5: &Md5Digest) -> PathBuf {
        let mut path = self.entry(md5).into_os_string();
        path.push(".variants");
        PathBuf::from(path)
    }

    fn zstd_record_path(&self, md5: &Md5Digest) -> PathBuf {
        let mut path = self.entry(md5).into_os_string();
        path.push(".zst.variants");
        PathBuf::from(path)
    }

    /// What the file of one variant holds, read whole and hashed.
    fn check_file(&self, md5: &Md5Digest, encoding: Encoding, variant: &Variant) -> FileCheck {
        match std::fs::read(self.path(md5, encoding)) {
            Err(_) => FileCheck::Missing,
            Ok(bytes) if bytes.len() as u64 == variant.size && crate::hash::md5_bytes(&bytes) == variant.md5 => {
                FileCheck::Good
            }
            Ok(_) => FileCheck::Damaged,
        }
    }

    /// How the files of `variants` are: good only if all are.
    fn check(&self, md5: &Md5Digest, variants: &Variants) -> FileCheck {
        let mut worst = FileCheck::Good;
        for (encoding, variant) in variants.each() {
            if let Some(v) = variant {
                worst = worst.max(self.check_file(md5, encoding, &v));
            }
        }
        worst
    }

    /// Whether the files of `variants` are all there with their sizes and
    /// MD5s.
    pub(crate) fn holds(&self, md5: &Md5Digest, variants: &Variants) -> bool {
        self.check(md5, variants) == FileCheck::Good
    }

    /// The variants of content `md5`, if a complete entry is there and its
    /// files are as its records say, with zstd's if `zstd` and they are
    /// there too (else `zst` is `None`: not tried). Marks the entry used
    /// (for eviction).
    pub(crate) fn get(&self, md5: &Md5Digest, zstd: bool) -> Lookup {
        let record = self.record_path(md5);
        let Some(parsed) = std::fs::read_to_string(&record)
            .ok()
            .and_then(|text| parse_record(&text, &MAIN))
        else {
            return Lookup::Missing;
        };
        let mut variants = Variants::default();
        for (encoding, variant) in parsed {
            match encoding {
                Encoding::Br => variants.br = Some(variant),
                _ => variants.gz = Some(variant),
            }
        }
        match self.check(md5, &variants) {
            FileCheck::Good => {}
            FileCheck::Missing => return Lookup::Missing,
            FileCheck::Damaged => return Lookup::Damaged,
        }
        if zstd {
            variants.zst = match variants.br {
                None => Some(None),
                // A damaged zstd file is as if zstd had not been tried:
                // compressed again, while Brotli's and gzip's are used.
                Some(_) => self.get_zstd(md5),
            };
        }
        if self.shared {
            let _ = std::fs::File::options()
                .append(true)
                .open(&record)
                .and_then(|f| f.set_modified(SystemTime::now()));
        }
        Lookup::Hit(variants)
    }

    /// The zstd answer for content `md5`, if its record is there and names
    /// a file that is as it says.
    fn get_zstd(&self, md5: &Md5Digest) -> Option<Option<Variant>> {
        let text = std::fs::read_to_string(self.zstd_record_path(md5)).ok()?;
        let variant = match parse_record(&text, &[Encoding::Zstd])?.as_slice() {
            [] => None,
            [(_, variant)] => Some(*variant),
            _ => return None,
        };
        match variant {
            Some(v) if self.check_file(md5, Encoding::Zstd, &v) != FileCheck::Good => None,
            _ => Some(variant),
        }
    }

    /// Whether a build may use this folder: it can write there, and it and
    /// the folder it is in (the one configured) are the build's own (not
    /// another user's, who could replace what is in them), so that no one
    /// else can put bytes in its output. Says why not.
    pub(crate) fn check_usable(&self) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        let probe = crate::fs::temp_path(&self.dir.join("write-probe"));
        std::fs::write(&probe, b"").map_err(|e| format!("cannot write in it: {e}"))?;
        let me = owner(&probe);
        let _ = std::fs::remove_file(&probe);
        let folders = [Some(self.dir.as_path()), self.dir.parent()];
        let other = folders
            .into_iter()
            .flatten()
            .filter_map(owner)
            .find(|&o| me.is_some_and(|me| me != o));
        match (me, other) {
            (Some(me), Some(owner)) => Err(format!(
                "it is owned by another user (uid {owner}; this build runs as uid {me})"
            )),
            _ => Ok(()),
        }
    }

    /// Stores the variants of content `md5` computed by
    /// [`compress_bytes`](crate::compress::compress_bytes), which tried
    /// zstd if `zstd`: the files first, the records last, the main one
    /// after zstd's.
    pub(crate) fn put(
        &self,
        md5: &Md5Digest,
        compressed: &[(Encoding, Vec<u8>)],
        zstd: bool,
    ) -> std::io::Result<Variants> {
        let record = self.record_path(md5);
        if let Some(parent) = record.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut variants = Variants::default();
        for (encoding, bytes) in compressed {
            if *encoding == Encoding::Zstd {
                continue;
            }
            let variant = Some(self.put_file(md5, *encoding, bytes)?);
            match encoding {
                Encoding::Br => variants.br = variant,
                _ => variants.gz = variant,
            }
        }
        if zstd {
            variants.zst = Some(match variants.br {
                None => None,
                Some(_) => {
                    let zst = compressed.iter().find(|(e, _)| *e == Encoding::Zstd);
                    self.put_zstd(md5, zst.map(|(_, bytes)| bytes.as_slice()))?
                }
            });
        }
        let main = [(Encoding::Br, variants.br), (Encoding::Gzip, variants.gz)];
        crate::fs::write_atomic(&record, record_text(&main).as_bytes())?;
        Ok(variants)
    }

    /// Stores the zstd variant of content `md5` (`None`: not worth
    /// keeping): the file first, then its record.
    pub(crate) fn put_zstd(&self, md5: &Md5Digest, bytes: Option<&[u8]>) -> std::io::Result<Option<Variant>> {
        let record = self.zstd_record_path(md5);
        if let Some(parent) = record.parent() {
            // There already, unless another build removed the entry since.
            std::fs::create_dir_all(parent)?;
        }
        let variant = match bytes {
            Some(bytes) => Some(self.put_file(md5, Encoding::Zstd, bytes)?),
            None => None,
        };
        let text = record_text(&[(Encoding::Zstd, variant)]);
        crate::fs::write_atomic(&record, text.as_bytes())?;
        Ok(variant)
    }

    /// Writes one variant's file.
    fn put_file(&self, md5: &Md5Digest, encoding: Encoding, bytes: &[u8]) -> std::io::Result<Variant> {
        crate::fs::write_atomic(&self.path(md5, encoding), bytes)?;
        Ok(Variant {
            size: bytes.len() as u64,
            md5: crate::hash::md5_bytes(bytes),
        })
    }

    /// Keeps the cache within bounds: a build's own cache keeps only the
    /// contents in `used`; a shared one, after a build that added entries
    /// (and at most every [`TRIM_EVERY`]), removes the least recently used
    /// beyond its size limit.
    pub(crate) fn trim(&self, used: &HashSet<Md5Digest>, added: bool) {
        if !self.shared {
            self.remove_entries(|md5, _| !used.contains(md5));
            return;
        }
        let marker = self.dir.join(TRIMMED);
        let due = std::fs::metadata(&marker)
            .and_then(|m| m.modified())
            .map_or(true, |t| t.elapsed().map_or(true, |e| e >= TRIM_EVERY));
        if !added || !due {
            return;
        }
        let _ = std::fs::write(&marker, b"");
        let mut entries = self.entries();
        let total: u64 = entries.iter().map(|e| e.size).sum();
        if total <= self.limit {
            return;
        }
        entries.sort_by_key(|e| e.used);
        let target = self.limit / 10 * 8;
        let mut left = total;
        let mut doomed = HashSet::new();
        for entry in entries {
            if left <= target {
                break;
            }
            if used.contains(&entry.md5) {
                continue;
            }
            left -= entry.size;
            doomed.insert(entry.md5);
        }
        self.remove_entries(|md5, _| doomed.contains(md5));
    }

    /// Every entry with a record: its content MD5, total size (record and
    /// variants) and last use (the record's time). One walk, names and
    /// metadata only.
    fn entries(&self) -> Vec<Entry> {
        let mut by_md5: std::collections::HashMap<Md5Digest, Entry> = std::collections::HashMap::new();
        for file in walkdir::WalkDir::new(&self.dir).min_depth(2).max_depth(2) {
            let Ok(file) = file else { continue };
            let name = file.file_name().to_string_lossy();
            let Some((stem, suffix)) = name.split_once('.') else {
                continue;
            };
            let Some(md5) = parse_md5(stem) else { continue };
            let Ok(meta) = file.metadata() else { continue };
            let entry = by_md5.entry(md5).or_insert(Entry {
                md5,
                size: 0,
                used: SystemTime::UNIX_EPOCH,
                recorded: false,
            });
            entry.size += meta.len();
            if suffix == "variants" {
                entry.recorded = true;
                entry.used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            }
        }
        by_md5.into_values().filter(|e| e.recorded).collect()
    }

    /// Removes the entries (record first, so no build trusts a half-removed
    /// one) whose MD5 and file name `doomed` picks, and stray files.
    fn remove_entries(&self, doomed: impl Fn(&Md5Digest, &str) -> bool) {
        for file in walkdir::WalkDir::new(&self.dir).min_depth(2).max_depth(2) {
            let Ok(file) = file else { continue };
            let name = file.file_name().to_string_lossy().into_owned();
            let Some(md5) = name.strip_suffix(".variants").and_then(parse_md5) else {
                continue;
            };
            if doomed(&md5, &name) {
                let _ = std::fs::remove_file(file.path());
                let _ = std::fs::remove_file(self.zstd_record_path(&md5));
                for encoding in Encoding::ALL {
                    let _ = std::fs::remove_file(self.path(&md5, encoding));
                }
            }
        }
    }
}

/// What a lookup in the cache found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// An entry whose files are as its records say.
    Hit(Variants),
    /// No complete entry (never written, evicted, or cut short).
    Missing,
    /// An entry whose files are not what its records say: damaged, or
    /// written by someone else. Not used; compressed again and replaced.
    Damaged,
}

impl Lookup {
    /// The variants, on a hit.
    pub(crate) fn hit(self) -> Option<Variants> {
        match self {
            Lookup::Hit(variants) => Some(variants),
            Lookup::Missing | Lookup::Damaged => None,
        }
    }
}

/// How a variant's file is, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FileCheck {
    Good,
    Missing,
    Damaged,
}

/// The user id owning `path`, where there is one.
fn owner(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).ok().map(|m| m.uid())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

struct Entry {
    md5: Md5Digest,
    size: u64,
    used: SystemTime,
    recorded: bool,
}

/// The encodings of an entry's main record.
const MAIN: [Encoding; 2] = [Encoding::Br, Encoding::Gzip];

/// A record: `<ext> <size> <md5>` lines for the variants kept (`br`, `gz`
/// in the main record, `zst` in zstd's), or `none`.
fn record_text(variants: &[(Encoding, Option<Variant>)]) -> String {
    let mut text = String::new();
    for (encoding, variant) in variants {
        if let Some(v) = variant {
            text.push_str(&format!("{} {} {}\n", encoding.extension(), v.size, hex(&v.md5)));
        }
    }
    if text.is_empty() {
        text.push_str("none\n");
    }
    text
}

/// The variants a record names, each of an encoding in `allowed`; `None`
/// for a record that is not one this module wrote.
fn parse_record(text: &str, allowed: &[Encoding]) -> Option<Vec<(Encoding, Variant)>> {
    let mut variants = Vec::new();
    for line in text.lines() {
        if line == "none" {
            continue;
        }
        let mut parts = line.split(' ');
        let (extension, size, md5) = (parts.next()?, parts.next()?, parts.next()?);
        let encoding = allowed.iter().copied().find(|e| e.extension() == extension)?;
        let variant = Variant {
            size: size.parse().ok()?,
            md5: parse_md5(md5)?,
        };
        variants.push((encoding, variant));
    }
    Some(variants)
}

fn parse_md5(text: &str) -> Option<Md5Digest> {
    if text.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// `2G`, `500M`, `64K` or a number of bytes.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let number: u64 = number.trim().parse().ok()?;
    let factor: u64 = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(dir: &Path) -> VariantCache {
        VariantCache::shared(dir.to_owned(), 1 << 20, "test")
    }

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("64kib"), Some(64 << 10));
        assert_eq!(parse_size("1234"), Some(1234));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn an_entry_is_read_back_and_records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path());
        let md5 = [7u8; 16];
        let stored = cache
            .put(
                &md5,
                &[(Encoding::Br, b"brotli".to_vec()), (Encoding::Gzip, b"gzip!".to_vec())],
                false,
            )
            .unwrap();
        assert_eq!(stored.br.unwrap().size, 6);
        assert_eq!(cache.get(&md5, false).hit(), Some(stored));
        assert_eq!(std::fs::read(cache.path(&md5, Encoding::Gzip)).unwrap(), b"gzip!");
        let none = [8u8; 16];
        assert_eq!(cache.put(&none, &[], false).unwrap(), Variants::default());
        assert_eq!(cache.get(&none, false).hit(), Some(Variants::default()));
    }

    #[test]
    fn what_a_killed_build_leaves_is_never_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path());
        let md5 = [9u8; 16];
        // Killed after writing a variant, before the record.
        std::fs::create_dir_all(cache.path(&md5, Encoding::Br).parent().unwrap()).unwrap();
        std::fs::write(cache.path(&md5, Encoding::Br), b"half").unwrap();
        assert_eq!(cache.get(&md5, false).hit(), None);
        // A record whose file is gone, or has another size.
        cache.put(&md5, &[(Encoding::Br, b"brotli".to_vec())], false).unwrap();
        std::fs::write(cache.path(&md5, Encoding::Br), b"brot").unwrap();
        assert_eq!(cache.get(&md5, false), Lookup::Damaged);
        std::fs::remove_file(cache.path(&md5, Encoding::Br)).unwrap();
        assert_eq!(cache.get(&md5, false).hit(), None);
        // A temporary file of an interrupted write is not an entry.
        let temp = crate::fs::temp_path(&cache.path(&md5, Encoding::Gzip));
        std::fs::write(&temp, b"partial").unwrap();
        assert_eq!(cache.get(&md5, false).hit(), None);
    }

    #[test]
    fn zstd_has_a_record_of_its_own_added_to_entries_cached_without_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path());
        let md5 = [3u8; 16];
        let br_gz = [(Encoding::Br, b"brotli".to_vec()), (Encoding::Gzip, b"gzip!".to_vec())];
        // Cached by a build without zstd: not tried yet.
        cache.put(&md5, &br_gz, false).unwrap();
        assert_eq!(cache.get(&md5, true).hit().unwrap().zst, None);
        // A later build with zstd adds it; builds without it read the same
        // entry and do not serve it.
        let zst = cache.put_zstd(&md5, Some(b"zstd")).unwrap();
        let both = cache.get(&md5, true).hit().unwrap();
        assert_eq!(both.zst, Some(zst));
        assert_eq!(cache.get(&md5, false).hit(), Some(Variants { zst: None, ..both }));
        assert_eq!(std::fs::read(cache.path(&md5, Encoding::Zstd)).unwrap(), b"zstd");
        // The record of the main entry is as builds without zstd write it.
        let main = std::fs::read_to_string(cache.record_path(&md5)).unwrap();
        assert!(main.starts_with("br 6 ") && !main.contains("zst"), "{main}");

        // Tried and not worth keeping: known, with no file.
        let other = [4u8; 16];
        let mut all = br_gz.to_vec();
        cache.put(&other, &all, true).unwrap();
        assert_eq!(cache.get(&other, true).hit().unwrap().zst, Some(None));
        all.push((Encoding::Zstd, b"z".to_vec()));
        let stored = cache.put(&other, &all, true).unwrap();
        assert_eq!(stored.zst.flatten().map(|v| v.size), Some(1));
        assert_eq!(cache.get(&other, true).hit(), Some(stored));
        // Without a Brotli variant zstd would not pay: nothing to try.
        let small = [5u8; 16];
        cache.put(&small, &[], false).unwrap();
        assert_eq!(cache.get(&small, true).hit().unwrap().zst, Some(None));
        assert!(!cache.zstd_record_path(&small).exists());
    }

    #[test]
    fn what_a_killed_build_leaves_of_zstd_is_never_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path());
        let md5 = [6u8; 16];
        let br = [(Encoding::Br, b"brotli".to_vec())];
        // Killed after writing a zstd file, before its record: not tried.
        cache.put(&md5, &br, false).unwrap();
        std::fs::write(cache.path(&md5, Encoding::Zstd), b"half").unwrap();
        assert_eq!(cache.get(&md5, true).hit().unwrap().zst, None);
        // A zstd record whose file is gone, or has another size: not tried
        // (compressed again), while Brotli's and gzip's stay trusted.
        cache.put_zstd(&md5, Some(b"zstd!")).unwrap();
        std::fs::write(cache.path(&md5, Encoding::Zstd), b"zst").unwrap();
        assert_eq!(cache.get(&md5, true).hit().unwrap().zst, None);
        std::fs::remove_file(cache.path(&md5, Encoding::Zstd)).unwrap();
        assert_eq!(cache.get(&md5, true).hit().unwrap().zst, None);
        assert!(cache.get(&md5, true).hit().unwrap().br.is_some());
        // Killed after zstd's record, before the main one (a first build
        // with zstd): no entry at all.
        let fresh = [7u8; 16];
        cache.put_zstd(&fresh, Some(b"zstd")).unwrap();
        assert_eq!(cache.get(&fresh, true).hit(), None);
        // A damaged zstd record is not trusted either.
        std::fs::write(cache.zstd_record_path(&md5), "zst x y\n").unwrap();
        assert_eq!(cache.get(&md5, true).hit().unwrap().zst, None);
        // Eviction removes zstd's record and file with the entry.
        cache.put_zstd(&md5, Some(b"zstd!")).unwrap();
        cache.remove_entries(|_, _| true);
        assert!(!cache.zstd_record_path(&md5).exists() && !cache.path(&md5, Encoding::Zstd).exists());
    }

    #[test]
    fn a_file_changed_in_place_with_its_size_is_damaged_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path());
        let md5 = [10u8; 16];
        let stored = cache
            .put(
                &md5,
                &[(Encoding::Br, b"brotli".to_vec()), (Encoding::Gzip, b"gzip!".to_vec())],
                true,
            )
            .unwrap();
        assert_eq!(cache.get(&md5, false), Lookup::Hit(Variants { zst: None, ..stored }));
        // Same length, other bytes: a write cut short, another writer, rot.
        std::fs::write(cache.path(&md5, Encoding::Gzip), b"gzip?").unwrap();
        assert_eq!(cache.get(&md5, false), Lookup::Damaged);
        assert!(!cache.holds(&md5, &stored));
        // Replaced by a new put, it is trusted again.
        cache
            .put(
                &md5,
                &[(Encoding::Br, b"brotli".to_vec()), (Encoding::Gzip, b"gzip!".to_vec())],
                false,
            )
            .unwrap();
        assert!(cache.get(&md5, false).hit().is_some());
        // zstd's file is checked the same way.
        cache.put_zstd(&md5, Some(b"zstd")).unwrap();
        std::fs::write(cache.path(&md5, Encoding::Zstd), b"ztsd").unwrap();
        assert_eq!(
            cache.get(&md5, true).hit().unwrap().zst,
            None,
            "not tried: compressed again"
        );
    }

    #[test]
    fn a_folder_that_cannot_be_written_or_is_another_user_s_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        cache(dir.path()).check_usable().unwrap();
        let in_the_way = dir.path().join("file");
        std::fs::write(&in_the_way, b"").unwrap();
        assert!(cache(&in_the_way).check_usable().is_err());
        #[cfg(unix)]
        {
            let foreign = dir.path().join("foreign");
            let shared = cache(&foreign);
            std::fs::create_dir_all(shared.dir()).unwrap();
            // Only root can give a folder away; others check the rest.
            if rustix::fs::chown(shared.dir(), Some(rustix::fs::Uid::from_raw(65534)), None).is_ok() {
                let why = shared.check_usable().unwrap_err();
                assert!(why.contains("owned by another user (uid 65534"), "{why}");
            }
        }
    }

    #[test]
    fn a_shared_cache_evicts_the_least_recently_used_beyond_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VariantCache::shared(dir.path().to_owned(), 3000, "test");
        let old = SystemTime::now() - std::time::Duration::from_secs(3600);
        let digests: Vec<Md5Digest> = (0..4u8).map(|i| [i; 16]).collect();
        for (i, md5) in digests.iter().enumerate() {
            cache.put(md5, &[(Encoding::Br, vec![0; 1000])], false).unwrap();
            let record = cache.record_path(md5);
            let when = old + std::time::Duration::from_secs(i as u64 * 60);
            std::fs::File::options()
                .append(true)
                .open(&record)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
        // 4,000+ bytes against 3,000: the oldest go until 2,400 are left.
        cache.trim(&HashSet::new(), true);
        assert_eq!(cache.get(&digests[0], false).hit(), None);
        assert_eq!(cache.get(&digests[1], false).hit(), None);
        assert!(cache.get(&digests[2], false).hit().is_some());
        assert!(cache.get(&digests[3], false).hit().is_some());
        // Measured at most every ten minutes: a build right after, over the
        // bound again, does not walk the cache.
        let more = [9u8; 16];
        cache.put(&more, &[(Encoding::Br, vec![0; 2000])], false).unwrap();
        cache.trim(&HashSet::new(), true);
        assert!(cache.get(&digests[2], false).hit().is_some() && cache.get(&more, false).hit().is_some());
    }

    #[test]
    fn a_build_s_own_cache_keeps_only_what_it_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VariantCache::local(dir.path(), "test");
        let (kept, dropped) = ([1u8; 16], [2u8; 16]);
        cache.put(&kept, &[(Encoding::Br, b"k".to_vec())], false).unwrap();
        cache.put(&dropped, &[(Encoding::Br, b"d".to_vec())], false).unwrap();
        cache.trim(&HashSet::from([kept]), false);
        assert!(cache.get(&kept, false).hit().is_some());
        assert_eq!(cache.get(&dropped, false).hit(), None);
        assert!(!cache.path(&dropped, Encoding::Br).exists());
    }
}
