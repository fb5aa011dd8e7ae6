//! Step 6: the asset table that `asset_runtime::include_assets!()` brings
//! into the app.
//!
//! Up to six files in `OUT_DIR`, all computed here as values and written by the
//! caller:
//!
//! - `<name>.table`: every asset's names, URL, content type, integrity,
//!   digests, sizes and variants, with a perfect hash of the logical names
//!   computed by `phf_generator`, in the layout `asset_contract::table`
//!   defines;
//! - `<name>.overlay`: the records a patch build changed since the table
//!   was written, which replace the table's (written by
//!   [`crate::overlay`]); empty after a build that wrote the table;
//! - `<name>.embed` (with `embed` only): the bytes of every distinct
//!   content and its precompressed siblings, one after another, compiled
//!   into the binary with a single `include_bytes!`;
//! - `<name>.vite` (when a Vite manifest was collected): per Vite entry,
//!   the assets a page needs to load it, in the layout
//!   `asset_contract::vite` defines;
//! - `<name>.importmap` (when modules are pinned): the import map's pins,
//!   in the layout `asset_contract::importmap` defines;
//! - `<name>` (`assets.rs`): a few declarations that include them, the same
//!   whatever the assets. `asset!("path")` finds the path by binary search
//!   in a `const` evaluation over the table, so an unknown path is a
//!   compile error naming it, and a known one is a URL computed at compile
//!   time.
//!
//! An asset edit therefore changes data files only: rustc re-reads them,
//! but the Rust it compiles stays the same size. The table and the overlay
//! are each a `static` in a module of their own, so that after a patch,
//! which changes the overlay only, rustc reuses the code it compiled for
//! the table (megabytes at tens of thousands of assets) and compiles the
//! overlay's alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use asset_contract::Encoding;
use asset_contract::table::{
    self as layout, ABSENT, HEADER_LEN, MAGIC, RECORD_LEN, SLOT_LEN, VERSION, file, header, record, slot,
};
use asset_contract::url::push_encoded_path;
use asset_contract::{importmap, vite};
use md5::{Digest as _, Md5};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::fields::{offset, put_span, put_u32, put_u64};
use crate::hash::{Md5Digest, hex, push_hex, update_field};
use crate::prehashed::ViteEntry;
use crate::variant_cache::Variants;

/// One asset as the table records it.
pub(crate) struct Entry<'a> {
    pub(crate) name: &'a str,
    pub(crate) hashed: &'a str,
    pub(crate) content_type: &'a str,
    pub(crate) integrity: &'a str,
    /// Index of the source folder the file was collected from.
    pub(crate) folder: u32,
    /// Path of the source file relative to that folder, a suffix of `name`.
    pub(crate) source: &'a str,
    /// The bytes served under the hashed name.
    pub(crate) served: Representation,
    /// The bytes of the collected original.
    pub(crate) original: Representation,
}

/// One file's bytes: digest, size, and precompressed variants.
pub(crate) struct Representation {
    pub(crate) md5: Md5Digest,
    pub(crate) size: u64,
    pub(crate) variants: VariantSizes,
}

/// The sizes of one content's precompressed variants, [`ABSENT`] where
/// there is none: all the table says of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VariantSizes {
    pub(crate) br: u64,
    pub(crate) gz: u64,
    pub(crate) zst: u64,
}

impl From<Variants> for VariantSizes {
    fn from(v: Variants) -> Self {
        let size = |v: Option<crate::variant_cache::Variant>| v.map_or(ABSENT, |v| v.size);
        VariantSizes {
            br: size(v.br),
            gz: size(v.gz),
            zst: size(v.zst.flatten()),
        }
    }
}

/// What the table describes besides its entries.
pub(crate) struct TableInfo<'a> {
    /// Base of the URLs (`/static/`).
    pub(crate) static_url: &'a str,
    pub(crate) output_dir: &'a Path,
    /// Whether every output file's bytes (and its variants') are compiled
    /// into the binary (`embed`).
    pub(crate) embed: bool,
    /// The source folders, in collection order.
    pub(crate) folders: &'a [PathBuf],
}

/// Identifies everything the generated files depend on, without computing
/// them. `entries` must be sorted by name.
pub(crate) fn key(entries: &[Entry<'_>], info: &TableInfo<'_>, table_file: &Path) -> String {
    let mut h = Md5::new();
    update_field(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
    h.update(VERSION.to_le_bytes());
    h.update([u8::from(info.embed)]);
    update_field(&mut h, info.static_url.as_bytes());
    update_field(&mut h, info.output_dir.as_os_str().as_encoded_bytes());
    update_field(&mut h, table_file.as_os_str().as_encoded_bytes());
    for folder in info.folders {
        update_field(&mut h, folder.as_os_str().as_encoded_bytes());
    }
    // The content type follows from the name (and this crate's version),
    // the integrity value from the served bytes, whose MD5 is here, and
    // whether there is one.
    for e in entries {
        for s in [e.name, e.hashed] {
            update_field(&mut h, s.as_bytes());
        }
        h.update([u8::from(e.integrity.is_empty())]);
        h.update(e.folder.to_le_bytes());
        h.update((e.source.len() as u64).to_le_bytes());
        for r in [&e.served, &e.original] {
            h.update(r.md5);
            h.update(r.size.to_le_bytes());
            for size in [r.variants.br, r.variants.gz, r.variants.zst] {
                h.update(size.to_le_bytes());
            }
        }
    }
    hex(&h.finalize())
}

/// The perfect hash of the logical names, as `phf_generator` computed it,
/// kept from one build to the next: editing files changes no name, so a
/// rebuild reuses it instead of searching again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NameHash {
    /// Digest of the names it was computed for, in order.
    names: Md5Digest,
    key: u64,
    disps: Vec<(u32, u32)>,
    map: Vec<u32>,
}

impl NameHash {
    /// The hash of these names (sorted entries): `previous` if it was
    /// computed for the same names, else a new one.
    pub(crate) fn of(entries: &[Entry<'_>], previous: Option<NameHash>) -> NameHash {
        let mut h = Md5::new();
        // The table's format says how names are hashed.
        h.update(VERSION.to_le_bytes());
        for e in entries {
            update_field(&mut h, e.name.as_bytes());
        }
        let names: Md5Digest = h.finalize().into();
        if let Some(previous) = previous.filter(|p| p.names == names && p.map.len() == entries.len()) {
            return previous;
        }
        let keys: Vec<&str> = entries.iter().map(|e| e.name).collect();
        let state = phf_generator::generate_hash_with_hash_fn(&keys, |name, key| {
            let ours = layout::name_hashes(name.as_bytes(), *key);
            // `Hashes` cannot be built outside phf_shared: take one and set
            // its fields.
            let mut hashes = phf_shared::hash("", &0);
            (hashes.g, hashes.f1, hashes.f2) = (ours.g, ours.f1, ours.f2);
            hashes
        });
        NameHash {
            names,
            key: state.key,
            disps: state.disps,
            map: state.map.into_iter().map(offset).collect(),
        }
    }
}

/// The data files of one generated Rust file, beside it.
pub(crate) struct DataPaths {
    /// `assets.rs.table`.
    pub(crate) table: PathBuf,
    /// `assets.rs.overlay`: the records patched since the table was
    /// written, empty when none were.
    pub(crate) overlay: PathBuf,
    /// `assets.rs.embed`, with `embed` only.
    pub(crate) embed: PathBuf,
    /// `assets.rs.vite`, when a Vite manifest was collected.
    pub(crate) vite: PathBuf,
    /// `assets.rs.importmap`, when modules are pinned.
    pub(crate) importmap: PathBuf,
}

/// Where the table, the embedded data and the Vite entries go, next to
/// the generated Rust file.
pub(crate) fn data_paths(rust_file: &Path) -> DataPaths {
    let beside = |suffix: &str| {
        let mut path = rust_file.as_os_str().to_owned();
        path.push(suffix);
        PathBuf::from(path)
    };
    DataPaths {
        table: beside(".table"),
        overlay: beside(".overlay"),
        embed: beside(".embed"),
        vite: beside(".vite"),
        importmap: beside(".importmap"),
    }
}

/// The import map's data ([`asset_contract::importmap`]): each pin's
/// specifier and table index.
pub(crate) fn importmap_data(pins: &[(String, String)], entries: &[Entry<'_>]) -> Vec<u8> {
    let pins: Vec<(String, u32)> = pins
        .iter()
        .map(|(specifier, name)| (specifier.clone(), index_of(entries, name)))
        .collect();
    importmap::encode(&pins)
}

/// The table index of a collected asset (`entries` are sorted by name).
fn index_of(entries: &[Entry<'_>], name: &str) -> u32 {
    let i = entries
        .binary_search_by(|e| e.name.cmp(name))
        .expect("only collected names are looked up");
    u32::try_from(i).expect("fewer than 2^32 assets")
}

/// The Vite entries' data ([`asset_contract::vite`]): each name as its
/// index in `entries` (sorted by name, as the table is).
pub(crate) fn vite_data(vite: &[ViteEntry], entries: &[Entry<'_>]) -> Vec<u8> {
    let index = |name: &str| index_of(entries, name);
    let data: Vec<vite::EntryData> = vite
        .iter()
        .map(|e| vite::EntryData {
            key: e.key.clone(),
            file: index(&e.file),
            stylesheets: e.stylesheets.iter().map(|n| index(n)).collect(),
            preloads: e.preloads.iter().map(|n| index(n)).collect(),
        })
        .collect();
    vite::encode(&data)
}

/// The data files of one table, as values.
pub(crate) struct Generated {
    /// The table's bytes.
    pub(crate) table: Vec<u8>,
    /// The files whose bytes make up the embedded data, in order (empty
    /// without `embed`).
    pub(crate) embed: Vec<PathBuf>,
}

/// Computes the table and the embedded data's layout. `entries` must be
/// sorted by name, and `name_hash` computed for them.
pub(crate) fn generate(entries: &[Entry<'_>], info: &TableInfo<'_>, name_hash: &NameHash) -> Generated {
    let embedded = Embedding::plan(entries, info);
    Generated {
        table: table_bytes(entries, info, name_hash, &embedded.offsets),
        embed: embedded.files,
    }
}

/// Where each distinct content sits in the embedded data.
struct Embedding {
    /// By content MD5: offset of the bytes (siblings follow them).
    offsets: HashMap<Md5Digest, u64>,
    files: Vec<PathBuf>,
}

impl Embedding {
    /// Without `embed`, nothing.
    fn plan(entries: &[Entry<'_>], info: &TableInfo<'_>) -> Embedding {
        let mut offsets = HashMap::new();
        let mut files = Vec::new();
        if !info.embed {
            return Embedding { offsets, files };
        }
        let mut end = 0u64;
        let files_of = entries
            .iter()
            .flat_map(|e| [(e.hashed, &e.served), (e.name, &e.original)]);
        for (name, r) in files_of {
            if offsets.contains_key(&r.md5) {
                continue;
            }
            let path = info.output_dir.join(name);
            offsets.insert(r.md5, end);
            files.push(path.clone());
            end += r.size;
            // In the order `asset_contract::table::file::EMBEDDED` gives.
            for (size, encoding) in [
                (r.variants.br, Encoding::Br),
                (r.variants.gz, Encoding::Gzip),
                (r.variants.zst, Encoding::Zstd),
            ] {
                if size != ABSENT {
                    let mut sibling = path.as_os_str().to_owned();
                    sibling.push(encoding.suffix());
                    files.push(PathBuf::from(sibling));
                    end += size;
                }
            }
        }
        Embedding { offsets, files }
    }
}

/// The string area, written at the end of the table as it grows: offsets
/// are relative to its start. Remembers the strings many entries share.
struct Strings<'a> {
    /// Where the string area starts in the table.
    start: usize,
    interned: FxHashMap<&'a str, u32>,
    digests: FxHashMap<Md5Digest, u32>,
}

impl<'a> Strings<'a> {
    fn new(start: usize, entries: usize) -> Self {
        let mut digests = FxHashMap::default();
        digests.reserve(entries);
        Strings {
            start,
            interned: FxHashMap::default(),
            digests,
        }
    }

    fn push(&self, out: &mut Vec<u8>, s: &str) -> (u32, u32) {
        let at = offset(out.len() - self.start);
        out.extend_from_slice(s.as_bytes());
        (at, offset(s.len()))
    }

    /// Stores a string that many entries share (content types) once.
    fn intern(&mut self, out: &mut Vec<u8>, s: &'a str) -> (u32, u32) {
        if let Some(&at) = self.interned.get(s) {
            return (at, offset(s.len()));
        }
        let span = self.push(out, s);
        self.interned.insert(s, span.0);
        span
    }

    /// Stores the hex of a digest once; returns its offset.
    fn digest(&mut self, out: &mut Vec<u8>, md5: &Md5Digest) -> u32 {
        *self.digests.entry(*md5).or_insert_with(|| {
            let at = offset(out.len() - self.start);
            push_hex(out, md5);
            at
        })
    }
}

/// The bytes of the table (`asset_runtime::table` describes the layout).
fn table_bytes(
    entries: &[Entry<'_>],
    info: &TableInfo<'_>,
    name_hash: &NameHash,
    embedded: &HashMap<Md5Digest, u64>,
) -> Vec<u8> {
    let count = entries.len();

    let records = HEADER_LEN;
    let name_disps = records + count * RECORD_LEN;
    let name_slots = name_disps + name_hash.disps.len() * 8;
    let folders = name_slots + count * SLOT_LEN;
    let strings_at = folders + info.folders.len() * 8;
    // Names, URLs, digests and integrity values: about 160 bytes an entry.
    let mut out = Vec::with_capacity(strings_at + count * 192);
    out.resize(strings_at, 0);
    let mut strings = Strings::new(strings_at, count);

    out[header::MAGIC..header::MAGIC + MAGIC.len()].copy_from_slice(&MAGIC);
    put_u32(&mut out, header::VERSION, VERSION);
    put_u32(&mut out, header::COUNT, offset(count));
    put_u64(&mut out, header::NAME_KEY, name_hash.key);
    put_u32(&mut out, header::RECORDS, offset(records));
    put_u32(&mut out, header::NAME_DISPS, offset(name_disps));
    put_u32(&mut out, header::NAME_DISPS_LEN, offset(name_hash.disps.len()));
    put_u32(&mut out, header::NAME_SLOTS, offset(name_slots));
    put_u32(&mut out, header::FOLDERS, offset(folders));
    put_u32(&mut out, header::FOLDERS_LEN, offset(info.folders.len()));
    put_u32(&mut out, header::STRINGS, offset(strings_at));
    let span = strings.push(&mut out, info.static_url);
    put_span(&mut out, header::BASE_URL, span);
    let span = strings.push(&mut out, &info.output_dir.display().to_string());
    put_span(&mut out, header::OUTPUT_DIR, span);

    for (i, (d1, d2)) in name_hash.disps.iter().enumerate() {
        put_u32(&mut out, name_disps + i * 8, *d1);
        put_u32(&mut out, name_disps + i * 8 + 4, *d2);
    }
    for (slot, index) in name_hash.map.iter().enumerate() {
        put_u32(&mut out, name_slots + slot * SLOT_LEN + slot::INDEX, *index);
    }
    for (i, folder) in info.folders.iter().enumerate() {
        let span = strings.push(&mut out, &folder.display().to_string());
        put_span(&mut out, folders + i * 8, span);
    }

    let mut url = String::new();
    for (i, e) in entries.iter().enumerate() {
        let at = records + i * RECORD_LEN;
        let name = strings.push(&mut out, e.name);
        put_span(&mut out, at + record::NAME, name);
        // The URL ends with the hashed name, percent-encoded: point the
        // hashed name into it when the encoding left it unchanged.
        url.clear();
        url.push_str(info.static_url);
        push_encoded_path(&mut url, e.hashed);
        let url_span = strings.push(&mut out, &url);
        put_span(&mut out, at + record::URL, url_span);
        let hashed_span = if url.ends_with(e.hashed) {
            (url_span.0 + url_span.1 - offset(e.hashed.len()), offset(e.hashed.len()))
        } else {
            strings.push(&mut out, e.hashed)
        };
        put_span(&mut out, at + record::HASHED_NAME, hashed_span);
        let content_type = strings.intern(&mut out, e.content_type);
        put_span(&mut out, at + record::CONTENT_TYPE, content_type);
        let integrity = strings.push(&mut out, e.integrity);
        put_span(&mut out, at + record::INTEGRITY, integrity);
        put_u32(&mut out, at + record::FOLDER, e.folder);
        // The relative source path is the end of the logical name.
        let source_span = if e.name.ends_with(e.source) {
            (name.0 + name.1 - offset(e.source.len()), offset(e.source.len()))
        } else {
            strings.push(&mut out, e.source)
        };
        put_span(&mut out, at + record::SOURCE, source_span);
        for (field, r) in [(record::HASHED_FILE, &e.served), (record::ORIGINAL_FILE, &e.original)] {
            let at = at + field;
            let md5 = strings.digest(&mut out, &r.md5);
            put_u32(&mut out, at + file::MD5, md5);
            put_u64(&mut out, at + file::SIZE, r.size);
            put_u64(&mut out, at + file::BR_SIZE, r.variants.br);
            put_u64(&mut out, at + file::GZ_SIZE, r.variants.gz);
            put_u64(&mut out, at + file::ZST_SIZE, r.variants.zst);
            // Empty without `embed`.
            let embedded = embedded.get(&r.md5).copied();
            put_u64(&mut out, at + file::EMBEDDED, embedded.unwrap_or(ABSENT));
        }
    }
    // Each slot holds its record's name and URL strings: a copy of the
    // record's own.
    for (slot, &index) in name_hash.map.iter().enumerate() {
        let (at, record) = (name_slots + slot * SLOT_LEN, records + index as usize * RECORD_LEN);
        for (to, from) in [(slot::NAME, record::NAME), (slot::URL, record::URL)] {
            out.copy_within(record + from..record + from + 8, at + to);
        }
    }
    debug_assert!({
        layout::check(&out);
        true
    });
    out
}

/// Which data files the generated Rust includes besides the table.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Includes {
    pub(crate) embed: bool,
    pub(crate) vite: bool,
    pub(crate) importmap: bool,
}

/// The Rust file that includes the table (and, with `embed`, the embedded
/// data): a hidden module holding them and `ASSETS`, then `static_url` and
/// `asset!`. It depends on the file names only, not on the assets.
pub(crate) fn rust(rust_file: &Path, includes: Includes) -> String {
    let paths = data_paths(rust_file);
    let table = paths.table.as_path();
    let overlay = paths.overlay.as_path();
    let include = |on: bool, path: &Path| match on {
        true => format!("include_bytes!({:?})", path.display().to_string()),
        false => "&[]".to_owned(),
    };
    let embedded = include(includes.embed, &paths.embed);
    let vite = include(includes.vite, &paths.vite);
    let importmap = include(includes.importmap, &paths.importmap);
    let stem = rust_file.file_stem().and_then(|s| s.to_str()).unwrap_or("assets");
    let module: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let module = format!("__asset_table_{module}");
    format!(
        r#"// @generated by asset-build. Do not edit. The assets are data, in
// {table:?}; this file stays the same size whatever their number.

#[doc(hidden)]
#[allow(dead_code)]
pub mod {module} {{
    // The table and its overlay each in a static of their own module: a
    // rebuild that changes the overlay only leaves the table's compiled
    // code as it was.
    pub mod table {{
        pub static BYTES: [u8; include_bytes!({table:?}).len()] = *include_bytes!({table:?});
    }}
    pub mod overlay {{
        pub static BYTES: [u8; include_bytes!({overlay:?}).len()] = *include_bytes!({overlay:?});
    }}
    pub const EMBEDDED: &[u8] = {embedded};
    pub const VITE: &[u8] = {vite};
    pub const IMPORTMAP: &[u8] = {importmap};
    /// The static assets of this crate, collected by asset-build.
    pub static ASSETS: ::asset_runtime::Assets =
        ::asset_runtime::Assets::__new(&table::BYTES, &overlay::BYTES, EMBEDDED, VITE, IMPORTMAP);
}}

#[allow(unused_imports)]
pub use {module}::ASSETS;

/// The URL of a static file by logical path (`"css/base.css"`). See
/// `asset_runtime::Assets::url`.
///
/// # Errors
///
/// `MissingAsset` for a name that is not an asset, with strict lookups
/// (the default; see `asset_runtime::Settings::strict`).
#[allow(dead_code)]
pub fn static_url(name: &str) -> ::core::result::Result<::std::borrow::Cow<'static, str>, ::asset_runtime::MissingAsset> {{
    ASSETS.url(name)
}}

/// The URL of a static file whose logical path is known at compile time;
/// a path that is not an asset is a compile error. Needs
/// `include_assets!` at the crate root.
#[allow(unused_macros)]
macro_rules! asset {{
    ($name:literal) => {{{{
        const INDEX: u32 = match ::asset_runtime::__private::find_sorted(&$crate::{module}::table::BYTES, $name) {{
            ::core::option::Option::Some(index) => index,
            ::core::option::Option::None => ::core::panic!(::core::concat!(
                "asset!: no static asset named ",
                ::core::stringify!($name),
                "; check the path (relative to an asset folder, like \"css/base.css\") or add the file and rebuild"
            )),
        }};
        const LEN: usize =
            ::asset_runtime::__private::url_len(&$crate::{module}::table::BYTES, &$crate::{module}::overlay::BYTES, INDEX);
        const BYTES: [u8; LEN] =
            ::asset_runtime::__private::url_bytes(&$crate::{module}::table::BYTES, &$crate::{module}::overlay::BYTES, INDEX);
        const URL: &str = ::asset_runtime::__private::url_str(&BYTES);
        $crate::{module}::ASSETS.__url_at(INDEX, URL)
    }}}};
}}
#[allow(unused_imports)]
pub(crate) use asset;
"#,
        table = table.display().to_string(),
        overlay = overlay.display().to_string(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use asset_contract::names::hashed_name;
    use asset_contract::table::{Table, find_sorted};

    /// A stylesheet's entry, with digests of 1s (served) and 2s (original).
    pub(crate) fn entry<'a>(name: &'a str, hashed: &'a str) -> Entry<'a> {
        let representation = |md5: u8| Representation {
            md5: [md5; 16],
            size: 10,
            variants: Variants::default().into(),
        };
        Entry {
            name,
            hashed,
            content_type: "text/css; charset=utf-8",
            integrity: "sha384-x",
            folder: 0,
            source: name,
            served: representation(1),
            original: representation(2),
        }
    }

    /// The table of `entries` (sorted by name).
    pub(crate) fn table(entries: &[Entry<'_>]) -> (Table, &'static [u8]) {
        let folders = [PathBuf::from("/src/assets")];
        let info = TableInfo {
            static_url: "/static/",
            output_dir: Path::new("/out"),
            embed: false,
            folders: &folders,
        };
        let name_hash = NameHash::of(entries, None);
        let bytes: &'static [u8] = Box::leak(generate(entries, &info, &name_hash).table.into_boxed_slice());
        (Table::new(bytes), bytes)
    }

    #[test]
    fn every_name_is_found_by_itself_its_hashed_name_and_binary_search() {
        let names: Vec<(String, String)> = (0..500)
            .map(|i| format!("css/f{i}.css"))
            .chain(
                [
                    "img/my photo.png",
                    "LICENSE",
                    "a/.hidden",
                    "a.",
                    "x.0123456789ab",
                    "main.css.map",
                ]
                .map(String::from),
            )
            .enumerate()
            .map(|(i, name)| {
                let hashed = hashed_name(&name, &format!("{:032x}", i * 7919));
                (name, hashed)
            })
            .collect();
        let mut entries: Vec<Entry<'_>> = names.iter().map(|(n, h)| entry(n, h)).collect();
        entries.sort_by(|a, b| a.name.cmp(b.name));
        let (t, bytes) = table(&entries);
        assert_eq!(t.len() as usize, entries.len());
        for (i, e) in entries.iter().enumerate() {
            let i = i as u32;
            assert_eq!(t.find(e.name), Some(i));
            assert_eq!(t.find_hashed(e.hashed), Some(i), "{}", e.hashed);
            assert_eq!(find_sorted(bytes, e.name), Some(i));
            assert_eq!(t.str(i, record::NAME), e.name);
            assert_eq!(t.str(i, record::HASHED_NAME), e.hashed);
            let (found, url) = t.find_url(e.name).unwrap();
            assert_eq!((found, url), (i, t.str(i, record::URL).as_bytes()));
        }
        assert!(t.text_is_utf8());
        let photo = t.find("img/my photo.png").unwrap();
        let hashed = hashed_name("img/my photo.png", &format!("{:032x}", 500 * 7919));
        assert_eq!(
            t.str(photo, record::URL),
            format!("/static/{}", hashed.replace(' ', "%20"))
        );
        assert_eq!(t.str(photo, record::HASHED_NAME), hashed);
        assert_eq!(t.md5(photo, record::ORIGINAL_FILE + file::MD5), "02".repeat(16));
        assert_eq!(t.folder(t.u32(photo, record::FOLDER)), "/src/assets");
        assert_eq!(t.find("css/f500.css"), None);
        assert_eq!(find_sorted(bytes, "css/f500.css"), None);
        assert_eq!(t.find_hashed("css/f1.css"), None);
        // The right name with another content's hash is not found.
        assert_eq!(t.find_hashed(&hashed_name("css/f1.css", &"f".repeat(32))), None);
    }

    #[test]
    fn text_that_is_not_utf8_is_found() {
        let entries = [
            entry("a.css", "a.0123456789ab.css"),
            entry("b.css", "b.0123456789ab.css"),
        ];
        let (t, bytes) = table(&entries);
        assert!(t.text_is_utf8());
        let url = t.str(1, record::URL).as_bytes();
        let at = url.as_ptr() as usize - bytes.as_ptr() as usize;
        let mut damaged = bytes.to_vec();
        damaged[at + url.len() - 1] = 0xff;
        let damaged = Table::new(Box::leak(damaged.into_boxed_slice()));
        assert!(!damaged.text_is_utf8());
        assert_eq!(damaged.find("a.css"), Some(0), "the bytes are still found");

        // UTF-8 text, but a field that starts inside a character.
        let entries = [entry("é.css", "é.0123456789ab.css")];
        let (t, bytes) = table(&entries);
        assert!(t.text_is_utf8());
        let name = t.find_url("é.css").unwrap().0;
        assert_eq!(name, 0);
        let at = u32::from_le_bytes(bytes[header::RECORDS..header::RECORDS + 4].try_into().unwrap()) as usize;
        let mut damaged = bytes.to_vec();
        damaged[at + record::NAME] += 1;
        assert!(!Table::new(Box::leak(damaged.into_boxed_slice())).text_is_utf8());
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let (t, bytes) = table(&[]);
        assert_eq!(find_sorted(bytes, "a.css"), None);
        assert_eq!(t.len(), 0);
        assert_eq!(t.find("a.css"), None);
        assert_eq!(t.find_hashed("a.0123456789ab.css"), None);
    }

    #[test]
    fn the_rust_file_does_not_depend_on_the_assets() {
        let rust = rust(Path::new("/out/assets.rs"), Includes::default());
        assert!(rust.len() < 4096, "{} bytes", rust.len());
        assert!(rust.contains("include_bytes!(\"/out/assets.rs.table\")"), "{rust}");
        assert!(rust.contains("pub const EMBEDDED: &[u8] = &[];"), "{rust}");
        assert!(
            rust.contains("find_sorted") && rust.contains("no static asset named"),
            "{rust}"
        );
    }
}
