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
//!   was written ([`overlay_bytes`]), which replace the table's; empty
//!   after a build that wrote the table;
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
    self as layout, ABSENT, HEADER_LEN, MAGIC, OVERLAY_MAGIC, RECORD_LEN, VERSION, file, header, overlay, record,
};
use asset_contract::url::push_encoded_path;
use asset_contract::{importmap, vite};
use md5::{Digest as _, Md5};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

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
        for e in entries {
            update_field(&mut h, e.name.as_bytes());
        }
        let names: Md5Digest = h.finalize().into();
        if let Some(previous) = previous.filter(|p| p.names == names && p.map.len() == entries.len()) {
            return previous;
        }
        let keys: Vec<&str> = entries.iter().map(|e| e.name).collect();
        let state = phf_generator::generate_hash(&keys);
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

fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("an asset table under 4 GiB")
}

fn put_u32(out: &mut [u8], at: usize, value: u32) {
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(out: &mut [u8], at: usize, value: u64) {
    out[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn put_span(out: &mut [u8], at: usize, (start, len): (u32, u32)) {
    put_u32(out, at, start);
    put_u32(out, at + 4, len);
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
    let folders = name_slots + count * 4;
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
        put_u32(&mut out, name_slots + slot * 4, *index);
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
    debug_assert!({
        layout::check(&out);
        true
    });
    out
}

/// Where a table's bytes are read from: memory, or (where positioned
/// reads exist) the file, so that a patch build reads the few records it
/// needs rather than megabytes.
pub(crate) enum TableBytes<'a> {
    /// The whole table.
    Memory(&'a [u8]),
    /// The table's file, read piece by piece.
    #[cfg(unix)]
    File(std::fs::File),
    /// The table's file, read whole.
    #[cfg(not(unix))]
    Owned(Vec<u8>),
}

impl TableBytes<'_> {
    /// The table file at `path`: opened, or read whole where positioned
    /// reads do not exist.
    pub(crate) fn open(path: &Path) -> std::io::Result<TableBytes<'static>> {
        #[cfg(unix)]
        return std::fs::File::open(path).map(TableBytes::File);
        #[cfg(not(unix))]
        return std::fs::read(path).map(TableBytes::Owned);
    }

    /// `len` bytes at `at`; `None` past the end.
    fn read(&self, at: usize, len: usize) -> Option<std::borrow::Cow<'_, [u8]>> {
        match self {
            TableBytes::Memory(bytes) => bytes.get(at..at.checked_add(len)?).map(std::borrow::Cow::Borrowed),
            #[cfg(not(unix))]
            TableBytes::Owned(bytes) => bytes.get(at..at.checked_add(len)?).map(std::borrow::Cow::Borrowed),
            #[cfg(unix)]
            TableBytes::File(file) => {
                use std::os::unix::fs::FileExt as _;
                let mut buf = vec![0; len];
                file.read_exact_at(&mut buf, at as u64).ok()?;
                Some(std::borrow::Cow::Owned(buf))
            }
        }
    }

    /// The `u32` at `at`; 0 past the end.
    fn u32(&self, at: usize) -> u32 {
        self.read(at, 4).map_or(0, |b| get_u32(&b, 0))
    }

    /// The `u64` at `at`; 0 past the end.
    fn u64(&self, at: usize) -> u64 {
        self.read(at, 8).map_or(0, |b| get_u64(&b, 0))
    }

    /// The text of `len` bytes at `start`; empty if out of the bytes or not
    /// UTF-8 (a damaged table, which [`TableView::plain`] may not catch).
    fn text(&self, start: usize, len: usize) -> String {
        self.read(start, len)
            .and_then(|b| String::from_utf8(b.into_owned()).ok())
            .unwrap_or_default()
    }
}

/// A table this crate wrote and its overlay, read in place: what a patch
/// build needs of the last build's records ([`overlay_bytes`] writes the
/// next overlay).
pub(crate) struct TableView<'a> {
    table: TableBytes<'a>,
    overlay: TableBytes<'a>,
    count: u32,
    records: usize,
    strings: usize,
    /// The records the overlay holds, ascending.
    patched: Vec<u32>,
}

impl<'a> TableView<'a> {
    /// The table and overlay, if they are of this crate's format. A table
    /// with embedded data or precompressed variants is not for a patch,
    /// which writes neither: the caller knows the table is plain (the
    /// patch state is recorded for plain tables only, with their stamps).
    pub(crate) fn plain(table: TableBytes<'a>, overlay: &'a [u8]) -> Option<Self> {
        let header = table.read(0, HEADER_LEN)?;
        if header[header::MAGIC..header::MAGIC + MAGIC.len()] != MAGIC || get_u32(&header, header::VERSION) != VERSION {
            return None;
        }
        let (count, records, strings) = (
            get_u32(&header, header::COUNT),
            get_u32(&header, header::RECORDS) as usize,
            get_u32(&header, header::STRINGS) as usize,
        );
        drop(header);
        let view = TableView {
            table,
            overlay: TableBytes::Memory(overlay),
            count,
            records,
            strings,
            patched: Vec::new(),
        };
        if overlay.is_empty() {
            return Some(view);
        }
        let count = get_u32(overlay, overlay::COUNT);
        let records = overlay::records(count);
        let well_formed = overlay.len() >= overlay::LEN
            && overlay[overlay::MAGIC..overlay::MAGIC + OVERLAY_MAGIC.len()] == OVERLAY_MAGIC
            && get_u32(overlay, overlay::VERSION) == VERSION
            && get_u32(overlay, overlay::STRINGS) as usize == records + count as usize * RECORD_LEN
            && overlay.len() >= records + count as usize * RECORD_LEN;
        if !well_formed {
            return None;
        }
        let patched: Vec<u32> = (0..count as usize)
            .map(|i| get_u32(overlay, overlay::LEN + i * 4))
            .collect();
        let ascending = patched.windows(2).all(|w| w[0] < w[1]);
        // Every string inside the overlay: one cut short is refused.
        let strings = get_u32(overlay, overlay::STRINGS) as usize;
        let inside = (0..count as usize).all(|i| {
            let at = records + i * RECORD_LEN;
            let spans = [
                record::NAME,
                record::HASHED_NAME,
                record::URL,
                record::CONTENT_TYPE,
                record::INTEGRITY,
                record::SOURCE,
            ]
            .map(|field| (get_u32(overlay, at + field), get_u32(overlay, at + field + 4)));
            let digests = [record::HASHED_FILE, record::ORIGINAL_FILE]
                .map(|field| (get_u32(overlay, at + field + file::MD5), 32));
            spans
                .into_iter()
                .chain(digests)
                .all(|(start, len)| strings + start as usize + len as usize <= overlay.len())
        });
        (ascending && inside && patched.last().is_none_or(|&last| last < view.len()))
            .then_some(TableView { patched, ..view })
    }

    /// Number of records.
    pub(crate) fn len(&self) -> u32 {
        self.count
    }

    /// The records the overlay holds, ascending.
    pub(crate) fn patched(&self) -> &[u32] {
        &self.patched
    }

    /// Where record `index` starts in the table.
    fn record_offset(&self, index: u32) -> usize {
        self.records + index as usize * RECORD_LEN
    }

    /// Where record `index`'s fields are: the bytes holding it (the
    /// overlay's, if it holds the record), its offset, and their string
    /// area's offset.
    fn place(&self, index: u32) -> (&TableBytes<'a>, usize, usize) {
        match self.patched.binary_search(&index) {
            Ok(i) => (
                &self.overlay,
                overlay::records(self.patched.len() as u32) + i * RECORD_LEN,
                self.overlay.u32(overlay::STRINGS) as usize,
            ),
            Err(_) => (&self.table, self.record_offset(index), self.strings),
        }
    }

    /// The string field `field` of record `index`.
    fn str(&self, index: u32, field: usize) -> String {
        let (bytes, at, strings) = self.place(index);
        let span = bytes
            .read(at + field, 8)
            .map_or((0, 0), |b| (get_u32(&b, 0), get_u32(&b, 4)));
        bytes.text(strings + span.0 as usize, span.1 as usize)
    }

    /// The logical name of record `index` (an overlay changes none: the
    /// table's is read).
    pub(crate) fn name(&self, index: u32) -> String {
        let span = self
            .table
            .read(self.record_offset(index) + record::NAME, 8)
            .map_or((0, 0), |b| (get_u32(&b, 0), get_u32(&b, 4)));
        self.table.text(self.strings + span.0 as usize, span.1 as usize)
    }

    /// The hashed name of record `index`.
    pub(crate) fn hashed(&self, index: u32) -> String {
        self.str(index, record::HASHED_NAME)
    }

    /// The hex MD5 of a file of record `index` (`field`: its
    /// [`record::HASHED_FILE`] or [`record::ORIGINAL_FILE`]).
    fn md5(&self, index: u32, field: usize) -> String {
        let (bytes, at, strings) = self.place(index);
        bytes.text(strings + bytes.u32(at + field + file::MD5) as usize, 32)
    }

    /// The hex MD5 of the original of record `index`.
    pub(crate) fn original_md5(&self, index: u32) -> String {
        self.md5(index, record::ORIGINAL_FILE)
    }

    /// Record `index` as values, to write into an overlay.
    pub(crate) fn record(&self, index: u32) -> OverlayRecord {
        let (bytes, at, _) = self.place(index);
        let file = |field: usize| (self.md5(index, field), bytes.u64(at + field + file::SIZE));
        OverlayRecord {
            index,
            name: self.name(index),
            hashed: self.hashed(index),
            content_type: self.str(index, record::CONTENT_TYPE),
            integrity: self.str(index, record::INTEGRITY),
            folder: bytes.u32(at + record::FOLDER),
            source: self.str(index, record::SOURCE),
            served: file(record::HASHED_FILE),
            original: file(record::ORIGINAL_FILE),
        }
    }

    /// The record of a logical name.
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        self.lower_bound(name).filter(|&i| self.name(i) == name)
    }

    /// Whether some logical name is under the folder `name`.
    pub(crate) fn is_folder(&self, name: &str) -> bool {
        let prefix = format!("{name}/");
        self.lower_bound(&prefix)
            .is_some_and(|i| self.name(i).starts_with(&prefix))
    }

    /// The first record whose name is not before `name` (a search of its
    /// own: `asset_contract::table::find_sorted`, made for `const`
    /// evaluation, panics on a damaged table).
    fn lower_bound(&self, name: &str) -> Option<u32> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = low + (high - low) / 2;
            if self.name(mid).as_str() < name {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        (low < self.len()).then_some(low)
    }
}

/// One record of an overlay, as values. Plain: no embedded data, no
/// precompressed variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OverlayRecord {
    /// The index of the table's record it replaces.
    pub(crate) index: u32,
    pub(crate) name: String,
    pub(crate) hashed: String,
    pub(crate) content_type: String,
    pub(crate) integrity: String,
    pub(crate) folder: u32,
    pub(crate) source: String,
    /// Hex MD5 and size of the bytes served under the hashed name.
    pub(crate) served: (String, u64),
    /// Hex MD5 and size of the original.
    pub(crate) original: (String, u64),
}

/// The bytes of an overlay holding `records` (ascending by index), in the
/// layout `asset_contract::table` defines; empty for none.
pub(crate) fn overlay_bytes(records: &[OverlayRecord], static_url: &str) -> Vec<u8> {
    if records.is_empty() {
        return Vec::new();
    }
    debug_assert!(records.windows(2).all(|w| w[0].index < w[1].index));
    let count = offset(records.len());
    let strings_at = overlay::records(count) + records.len() * RECORD_LEN;
    let mut out = Vec::with_capacity(strings_at + records.len() * 256);
    out.resize(strings_at, 0);
    out[overlay::MAGIC..overlay::MAGIC + OVERLAY_MAGIC.len()].copy_from_slice(&OVERLAY_MAGIC);
    put_u32(&mut out, overlay::VERSION, VERSION);
    put_u32(&mut out, overlay::COUNT, count);
    put_u32(&mut out, overlay::STRINGS, offset(strings_at));
    let strings = Strings::new(strings_at, 0);
    let mut url = String::new();
    for (i, r) in records.iter().enumerate() {
        put_u32(&mut out, overlay::LEN + i * 4, r.index);
        let at = overlay::records(count) + i * RECORD_LEN;
        url.clear();
        url.push_str(static_url);
        push_encoded_path(&mut url, &r.hashed);
        for (field, text) in [
            (record::NAME, r.name.as_str()),
            (record::HASHED_NAME, &r.hashed),
            (record::URL, &url),
            (record::CONTENT_TYPE, &r.content_type),
            (record::INTEGRITY, &r.integrity),
            (record::SOURCE, &r.source),
        ] {
            let span = strings.push(&mut out, text);
            put_span(&mut out, at + field, span);
        }
        put_u32(&mut out, at + record::FOLDER, r.folder);
        for (field, (md5, size)) in [(record::HASHED_FILE, &r.served), (record::ORIGINAL_FILE, &r.original)] {
            let md5 = strings.push(&mut out, md5).0;
            put_u32(&mut out, at + field + file::MD5, md5);
            put_u64(&mut out, at + field + file::SIZE, *size);
            for size in [file::BR_SIZE, file::GZ_SIZE, file::ZST_SIZE, file::EMBEDDED] {
                put_u64(&mut out, at + field + size, ABSENT);
            }
        }
    }
    out
}

fn get_u32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("four bytes")))
}

fn get_u64(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("eight bytes")))
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
mod tests {
    use super::*;
    use asset_contract::names::hashed_name;
    use asset_contract::table::{Table, find_sorted, url_bytes, url_len};

    fn entry<'a>(name: &'a str, hashed: &'a str) -> Entry<'a> {
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

    fn table(entries: &[Entry<'_>]) -> (Table, &'static [u8]) {
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

    /// Patches record `index` of what `view` reads into a new overlay,
    /// as a patch build does.
    fn patched(view: &TableView<'_>, index: u32, hashed: &str, md5: u8) -> &'static [u8] {
        let mut records: Vec<OverlayRecord> = view.patched().iter().map(|&i| view.record(i)).collect();
        let mut record = view.record(index);
        record.hashed = hashed.to_owned();
        record.integrity = format!("sha384-{md5}");
        record.served = (hex(&[md5; 16]), u64::from(md5));
        record.original = (hex(&[md5 + 1; 16]), u64::from(md5) + 1);
        records.retain(|r| r.index != index);
        records.push(record);
        records.sort_by_key(|r| r.index);
        Box::leak(overlay_bytes(&records, "/static/").into_boxed_slice())
    }

    #[test]
    fn an_overlay_record_reads_as_the_patch_says_and_the_others_as_the_table_does() {
        let names = ["css/a.css", "css/sub/b.css", "img", "img.png", "my photo.png"];
        let hashed: Vec<String> = names.iter().map(|n| hashed_name(n, "0123456789ab")).collect();
        let entries: Vec<Entry<'_>> = names.iter().zip(&hashed).map(|(n, h)| entry(n, h)).collect();
        let (_, bytes) = table(&entries);
        let view = TableView::plain(TableBytes::Memory(bytes), &[]).expect("a plain table");
        assert_eq!(view.find("img.png"), Some(3));
        assert_eq!(view.find("css"), None);
        assert!(view.is_folder("css") && view.is_folder("css/sub"));
        assert!(!view.is_folder("img") && !view.is_folder("css/a.css") && !view.is_folder("cs"));
        assert_eq!(view.original_md5(0), hex(&[2; 16]));
        assert!(overlay_bytes(&[], "/static/").is_empty());

        // Two patches: the second starts from the first's overlay.
        let photo = hashed_name("my photo.png", "fedcba987654");
        let first = patched(&view, 4, &photo, 7);
        let b = hashed_name("css/sub/b.css", "aaaaaaaaaaaa");
        let second = patched(
            &TableView::plain(TableBytes::Memory(bytes), first).expect("an overlay"),
            1,
            &b,
            9,
        );
        let (table, view) = (
            Table::with_overlay(bytes, second),
            TableView::plain(TableBytes::Memory(bytes), second).expect("an overlay"),
        );
        assert_eq!(view.patched(), [1, 4]);
        for (i, new, md5) in [(4, &photo, 7u8), (1, &b, 9)] {
            assert_eq!(view.hashed(i), *new);
            let url = format!("/static/{}", new.replace(' ', "%20"));
            assert_eq!(table.str(i, record::URL), url);
            assert_eq!(url_len(bytes, second, i), url.len());
            assert_eq!(table.str(i, record::INTEGRITY), format!("sha384-{md5}"));
            assert_eq!(table.str(i, record::CONTENT_TYPE), "text/css; charset=utf-8");
            assert_eq!(table.str(i, record::SOURCE), names[i as usize]);
            assert_eq!(table.md5(i, record::HASHED_FILE + file::MD5), hex(&[md5; 16]));
            assert_eq!(table.u64(i, record::ORIGINAL_FILE + file::SIZE), u64::from(md5) + 1);
            assert_eq!(table.u64(i, record::HASHED_FILE + file::BR_SIZE), ABSENT);
            assert_eq!(view.original_md5(i), hex(&[md5 + 1; 16]));
            // The name's perfect hash still finds it, by either name.
            assert_eq!(table.find(names[i as usize]), Some(i));
            assert_eq!(table.find_hashed(new), Some(i));
            assert_eq!(table.find_hashed(&hashed[i as usize]), None);
        }
        // What `asset!` reads in `const` evaluation.
        assert_eq!(
            url_bytes::<35>(bytes, second, 4),
            *b"/static/my%20photo.fedcba987654.png"
        );
        for i in [0, 2, 3] {
            assert_eq!(view.hashed(i), hashed[i as usize]);
            assert_eq!(view.original_md5(i), hex(&[2; 16]));
            assert_eq!(table.md5(i, record::HASHED_FILE + file::MD5), hex(&[1; 16]));
            assert_eq!(url_len(bytes, second, i), table.str(i, record::URL).len());
        }
        // A damaged overlay is refused, not read.
        assert!(TableView::plain(TableBytes::Memory(bytes), &second[..second.len() - 1]).is_none());
        assert!(TableView::plain(TableBytes::Memory(bytes), &second[..30]).is_none());
        let mut unsorted = second.to_vec();
        unsorted[overlay::LEN..overlay::LEN + 8].rotate_left(4);
        assert!(TableView::plain(TableBytes::Memory(bytes), &unsorted).is_none());
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
        }
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
