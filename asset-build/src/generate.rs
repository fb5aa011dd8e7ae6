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
//!   [`crate::patch`]); empty after a build that wrote the table;
//! - `<name>.embed` (with `embed` only): the bytes of every distinct
//!   content and its precompressed siblings, one after another, compiled
//!   into the binary with a single `include_bytes!`;
//! - `<name>.vite` (when a Vite manifest was collected): per Vite entry,
//!   the assets a page needs to load it, in the layout
//!   `asset_contract::vite` defines;
//! - `<name>.importmap` (when modules are pinned, or a Vite build maps
//!   its chunks): the import map's pins and chunks,
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
use asset_contract::table::{self as layout, ABSENT, VERSION, write};
use asset_contract::{importmap, vite};
use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};

use crate::hash::{Md5Digest, hex, update_field};
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
            map: state
                .map
                .into_iter()
                .map(|i| u32::try_from(i).expect("fewer than 2^32 assets"))
                .collect(),
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

/// The import map's data ([`asset_contract::importmap`]): each pin's and
/// each bundler chunk's specifier and table index.
pub(crate) fn importmap_data(pins: &[(String, String)], chunks: &[(String, String)], entries: &[Entry<'_>]) -> Vec<u8> {
    let indexed = |list: &[(String, String)]| -> Vec<(String, u32)> {
        list.iter()
            .map(|(specifier, name)| (specifier.clone(), index_of(entries, name)))
            .collect()
    };
    importmap::encode(&indexed(pins), &indexed(chunks))
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

/// The bytes of the table, laid out by `asset_contract::table::write`.
fn table_bytes(
    entries: &[Entry<'_>],
    info: &TableInfo<'_>,
    name_hash: &NameHash,
    embedded: &HashMap<Md5Digest, u64>,
) -> Vec<u8> {
    let folders: Vec<String> = info.folders.iter().map(|f| f.display().to_string()).collect();
    let header = write::Header {
        base_url: info.static_url,
        output_dir: &info.output_dir.display().to_string(),
        folders: &folders,
    };
    let names = write::NameIndex {
        key: name_hash.key,
        disps: &name_hash.disps,
        slots: &name_hash.map,
    };
    let file = |r: &Representation| write::File {
        md5: r.md5,
        size: r.size,
        br: r.variants.br,
        gz: r.variants.gz,
        zst: r.variants.zst,
        // Empty without `embed`.
        embedded: embedded.get(&r.md5).copied().unwrap_or(ABSENT),
    };
    let records = entries.iter().map(|e| write::Record {
        name: e.name.into(),
        hashed_name: e.hashed.into(),
        content_type: e.content_type.into(),
        integrity: e.integrity.into(),
        folder: e.folder,
        source: e.source.into(),
        hashed_file: file(&e.served),
        original_file: file(&e.original),
    });
    let out = write::table(records, &header, &names);
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
    use asset_contract::table::read::{self, Reader, Unreadable};
    use asset_contract::table::{Table, file, find_sorted, header, overlay, record, url_bytes, url_len};

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

    /// Patches record `index` of what `view` reads into a new overlay, as
    /// a patch build does.
    fn patched<T: read::Bytes, O: read::Bytes>(
        view: &read::Reader<T, O>,
        index: u32,
        hashed: &str,
        md5: u8,
    ) -> &'static [u8] {
        let mut records: Vec<(u32, write::Record<'static>)> =
            view.patched().iter().map(|&i| (i, view.record(i).unwrap())).collect();
        let mut record = view.record(index).unwrap();
        record.hashed_name = hashed.to_owned().into();
        record.integrity = format!("sha384-{md5}").into();
        record.hashed_file = write::File::plain([md5; 16], u64::from(md5));
        record.original_file = write::File::plain([md5 + 1; 16], u64::from(md5) + 1);
        records.retain(|(i, _)| *i != index);
        records.push((index, record));
        records.sort_by_key(|(i, _)| *i);
        Box::leak(write::overlay(&records, "/static/").into_boxed_slice())
    }

    #[test]
    fn the_table_and_overlay_read_back_as_written_by_either_reader() {
        let names = ["css/a.css", "css/sub/b.css", "img", "img.png", "my photo.png"];
        let hashed: Vec<String> = names.iter().map(|n| hashed_name(n, "0123456789ab")).collect();
        let entries: Vec<Entry<'_>> = names.iter().zip(&hashed).map(|(n, h)| entry(n, h)).collect();
        let (_, bytes) = table(&entries);
        let view = Reader::new(bytes, &[][..]).expect("a table");
        assert_eq!(view.find("img.png"), Some(3));
        assert_eq!(view.find("css"), None);
        assert!(view.is_folder("css") && view.is_folder("css/sub"));
        assert!(!view.is_folder("img") && !view.is_folder("css/a.css") && !view.is_folder("cs"));
        let first = view.record(0).unwrap();
        assert_eq!((first.name.as_ref(), first.source.as_ref()), ("css/a.css", "css/a.css"));
        assert_eq!(first.original_file.md5, [2; 16]);
        assert_eq!(first.hashed_file.br, ABSENT);
        assert!(view.record(5).is_none());
        assert!(write::overlay(&[], "/static/").is_empty());

        // Two patches: the second starts from the first's overlay.
        let photo = hashed_name("my photo.png", "fedcba987654");
        let first = patched(&view, 4, &photo, 7);
        let b = hashed_name("css/sub/b.css", "aaaaaaaaaaaa");
        let second = patched(&Reader::new(bytes, first).expect("an overlay"), 1, &b, 9);
        let (table, view) = (
            Table::with_overlay(bytes, second),
            Reader::new(bytes, second).expect("an overlay"),
        );
        assert_eq!(view.patched(), [1, 4]);
        for (i, new, md5) in [(4, &photo, 7u8), (1, &b, 9)] {
            assert_eq!(view.hashed_name(i).as_ref(), Some(new));
            let url = format!("/static/{}", new.replace(' ', "%20"));
            assert_eq!(table.str(i, record::URL), url);
            assert_eq!(url_len(bytes, second, i), url.len());
            assert_eq!(table.str(i, record::INTEGRITY), format!("sha384-{md5}"));
            assert_eq!(table.str(i, record::CONTENT_TYPE), "text/css; charset=utf-8");
            assert_eq!(table.str(i, record::SOURCE), names[i as usize]);
            assert_eq!(table.md5(i, record::HASHED_FILE + file::MD5), hex(&[md5; 16]));
            assert_eq!(table.u64(i, record::ORIGINAL_FILE + file::SIZE), u64::from(md5) + 1);
            assert_eq!(table.u64(i, record::HASHED_FILE + file::BR_SIZE), ABSENT);
            assert_eq!(view.record(i).unwrap().original_file.md5, [md5 + 1; 16]);
            // The name's perfect hash still finds it, by either name.
            assert_eq!(table.find(names[i as usize]), Some(i));
            assert_eq!(table.find_hashed(new), Some(i));
            assert_eq!(table.find_hashed(&hashed[i as usize]), None);
        }
        assert!(table.text_is_utf8());
        // What `asset!` reads in `const` evaluation.
        assert_eq!(
            url_bytes::<35>(bytes, second, 4),
            *b"/static/my%20photo.fedcba987654.png"
        );
        for i in [0, 2, 3] {
            assert_eq!(view.hashed_name(i).as_ref(), Some(&hashed[i as usize]));
            assert_eq!(view.record(i).unwrap().original_file.md5, [2; 16]);
            assert_eq!(table.md5(i, record::HASHED_FILE + file::MD5), hex(&[1; 16]));
            assert_eq!(url_len(bytes, second, i), table.str(i, record::URL).len());
        }
        // A damaged overlay or table is refused, not read.
        for damaged in [&second[..second.len() - 1], &second[..30]] {
            assert_eq!(Reader::new(bytes, damaged).unwrap_err(), Unreadable::Overlay);
        }
        let mut unsorted = second.to_vec();
        unsorted[overlay::LEN..overlay::LEN + 8].rotate_left(4);
        assert_eq!(
            Reader::new(bytes, unsorted.as_slice()).unwrap_err(),
            Unreadable::Overlay
        );
        assert_eq!(Reader::new(&bytes[..40], &[][..]).unwrap_err(), Unreadable::Table);
    }
}
