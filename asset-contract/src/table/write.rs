//! Writing a table and an overlay: the one writer of the layout the
//! [parent module](super) defines.
//!
//! A build gives each asset as a [`Record`] of values; [`table`] lays the
//! records out with the perfect hash of their names, and [`overlay`] lays
//! out the few records a rebuild replaced. Both write a record with the
//! same code, so a field added to the layout is written in one place. A
//! record's URL is not a value of its own: it is the table's base URL and
//! the hashed name, percent-encoded ([`crate::url`]).

use std::borrow::Cow;
use std::collections::HashMap;

use super::{
    ABSENT, HEADER_LEN, MAGIC, OVERLAY_MAGIC, RECORD_LEN, SLOT_LEN, VERSION, file, header, overlay as ovl, record, slot,
};
use crate::url::push_encoded_path;

/// One file of a record: the bytes served under the hashed name, or the
/// original's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct File {
    /// MD5 of the bytes.
    pub md5: [u8; 16],
    /// Size of the bytes.
    pub size: u64,
    /// Size of the Brotli sibling, or [`ABSENT`].
    pub br: u64,
    /// Size of the gzip sibling, or [`ABSENT`].
    pub gz: u64,
    /// Size of the zstd sibling, or [`ABSENT`].
    pub zst: u64,
    /// Offset of the bytes in the embedded data, or [`ABSENT`] (see
    /// [`file::EMBEDDED`]).
    pub embedded: u64,
}

impl File {
    /// A file of this digest and size with no sibling, not embedded.
    pub fn plain(md5: [u8; 16], size: u64) -> File {
        File {
            md5,
            size,
            br: ABSENT,
            gz: ABSENT,
            zst: ABSENT,
            embedded: ABSENT,
        }
    }
}

/// One asset's record, as values: what [`table`] and [`overlay`] write,
/// and what [`Reader::record`](super::read::Reader::record) reads back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Logical name, `css/base.css`.
    pub name: Cow<'a, str>,
    /// Hashed name, `css/base.d1833e6a1b2c.css`.
    pub hashed_name: Cow<'a, str>,
    /// `Content-Type` value.
    pub content_type: Cow<'a, str>,
    /// `sha384-…` of the hashed file, or empty.
    pub integrity: Cow<'a, str>,
    /// Index of the source folder the file was collected from.
    pub folder: u32,
    /// Path of the source file relative to its folder, `/`-separated.
    pub source: Cow<'a, str>,
    /// The bytes served under the hashed name.
    pub hashed_file: File,
    /// The original's bytes.
    pub original_file: File,
}

/// The perfect hash of a table's logical names, as `phf_generator`
/// computed it over [`name_hashes`](super::name_hashes).
#[derive(Debug, Clone, Copy)]
pub struct NameIndex<'a> {
    /// The hash key.
    pub key: u64,
    /// The displacement pairs.
    pub disps: &'a [(u32, u32)],
    /// For each slot, the index of the record whose name it holds.
    pub slots: &'a [u32],
}

/// What a table says besides its records.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The base URL every record's URL starts with (`/static/`).
    pub base_url: &'a str,
    /// The output folder.
    pub output_dir: &'a str,
    /// The source folders, which [`Record::folder`] indexes.
    pub folders: &'a [String],
}

/// The bytes of a table holding `records`, sorted by logical name, whose
/// names `names` was computed for.
///
/// # Panics
///
/// If the table would reach 4 GiB, which the layout's `u32` offsets cannot
/// address.
pub fn table<'a>(
    records: impl ExactSizeIterator<Item = Record<'a>>,
    header: &Header<'_>,
    names: &NameIndex<'_>,
) -> Vec<u8> {
    let count = records.len();
    let records_at = HEADER_LEN;
    let disps_at = records_at + count * RECORD_LEN;
    let slots_at = disps_at + names.disps.len() * 8;
    let folders_at = slots_at + count * SLOT_LEN;
    let strings_at = folders_at + header.folders.len() * 8;
    // Names, URLs, digests and integrity values: about 160 bytes a record.
    let mut out = Vec::with_capacity(strings_at + count * 192);
    out.resize(strings_at, 0);
    let mut area = Area::new(strings_at, count);

    out[header::MAGIC..header::MAGIC + MAGIC.len()].copy_from_slice(&MAGIC);
    for (field, value) in [
        (header::VERSION, VERSION),
        (header::COUNT, offset(count)),
        (header::RECORDS, offset(records_at)),
        (header::NAME_DISPS, offset(disps_at)),
        (header::NAME_DISPS_LEN, offset(names.disps.len())),
        (header::NAME_SLOTS, offset(slots_at)),
        (header::FOLDERS, offset(folders_at)),
        (header::FOLDERS_LEN, offset(header.folders.len())),
        (header::STRINGS, offset(strings_at)),
    ] {
        put_u32(&mut out, field, value);
    }
    put_u64(&mut out, header::NAME_KEY, names.key);
    for (field, text) in [
        (header::BASE_URL, header.base_url),
        (header::OUTPUT_DIR, header.output_dir),
    ] {
        let span = area.push(&mut out, text);
        put_span(&mut out, field, span);
    }
    for (i, (d1, d2)) in names.disps.iter().enumerate() {
        put_u32(&mut out, disps_at + i * 8, *d1);
        put_u32(&mut out, disps_at + i * 8 + 4, *d2);
    }
    for (i, folder) in header.folders.iter().enumerate() {
        let span = area.push(&mut out, folder);
        put_span(&mut out, folders_at + i * 8, span);
    }
    for (i, r) in records.enumerate() {
        put_record(&mut out, records_at + i * RECORD_LEN, &mut area, header.base_url, &r);
    }
    // Each slot holds its record's index, and its name and URL strings: a
    // copy of the record's own.
    for (i, &index) in names.slots.iter().enumerate() {
        let (at, record) = (slots_at + i * SLOT_LEN, records_at + index as usize * RECORD_LEN);
        put_u32(&mut out, at + slot::INDEX, index);
        for (to, from) in [(slot::NAME, record::NAME), (slot::URL, record::URL)] {
            out.copy_within(record + from..record + from + 8, at + to);
        }
    }
    out
}

/// The bytes of an overlay replacing the table's records at these indices
/// (ascending) with these records, each of the same logical name as the
/// record it replaces; empty for none.
///
/// # Panics
///
/// If the indices are not ascending, or the overlay would reach 4 GiB.
pub fn overlay<'a>(records: &[(u32, Record<'a>)], base_url: &str) -> Vec<u8> {
    if records.is_empty() {
        return Vec::new();
    }
    assert!(
        records.windows(2).all(|w| w[0].0 < w[1].0),
        "an overlay's records are given by ascending index"
    );
    let count = offset(records.len());
    let strings_at = ovl::records(count) + records.len() * RECORD_LEN;
    let mut out = Vec::with_capacity(strings_at + records.len() * 256);
    out.resize(strings_at, 0);
    let mut area = Area::new(strings_at, records.len());
    out[ovl::MAGIC..ovl::MAGIC + OVERLAY_MAGIC.len()].copy_from_slice(&OVERLAY_MAGIC);
    put_u32(&mut out, ovl::VERSION, VERSION);
    put_u32(&mut out, ovl::COUNT, count);
    put_u32(&mut out, ovl::STRINGS, offset(strings_at));
    for (i, (index, r)) in records.iter().enumerate() {
        put_u32(&mut out, ovl::LEN + i * 4, *index);
        put_record(&mut out, ovl::records(count) + i * RECORD_LEN, &mut area, base_url, r);
    }
    out
}

/// Writes record `r` at `at`, its strings into `area`.
fn put_record(out: &mut Vec<u8>, at: usize, area: &mut Area, base_url: &str, r: &Record<'_>) {
    let name = area.push(out, &r.name);
    put_span(out, at + record::NAME, name);
    // The URL ends with the hashed name, percent-encoded: the hashed name
    // points into it when the encoding left it unchanged.
    let mut url = std::mem::take(&mut area.url);
    url.clear();
    url.push_str(base_url);
    push_encoded_path(&mut url, &r.hashed_name);
    let url_span = area.push(out, &url);
    put_span(out, at + record::URL, url_span);
    let hashed = match url.ends_with(&*r.hashed_name) {
        true => suffix(url_span, r.hashed_name.len()),
        false => area.push(out, &r.hashed_name),
    };
    area.url = url;
    put_span(out, at + record::HASHED_NAME, hashed);
    let content_type = area.intern(out, &r.content_type);
    put_span(out, at + record::CONTENT_TYPE, content_type);
    let integrity = area.push(out, &r.integrity);
    put_span(out, at + record::INTEGRITY, integrity);
    put_u32(out, at + record::FOLDER, r.folder);
    // The source path is most often the end of the logical name.
    let source = match r.name.ends_with(&*r.source) {
        true => suffix(name, r.source.len()),
        false => area.push(out, &r.source),
    };
    put_span(out, at + record::SOURCE, source);
    for (field, f) in [
        (record::HASHED_FILE, &r.hashed_file),
        (record::ORIGINAL_FILE, &r.original_file),
    ] {
        let at = at + field;
        let md5 = area.digest(out, &f.md5);
        put_u32(out, at + file::MD5, md5);
        for (field, value) in [
            (file::SIZE, f.size),
            (file::BR_SIZE, f.br),
            (file::GZ_SIZE, f.gz),
            (file::ZST_SIZE, f.zst),
            (file::EMBEDDED, f.embedded),
        ] {
            put_u64(out, at + field, value);
        }
    }
}

/// The span of the last `len` bytes of the string at `span`.
fn suffix((start, whole): (u32, u32), len: usize) -> (u32, u32) {
    (start + whole - offset(len), offset(len))
}

/// The string area, at the end of the bytes as they grow: offsets are
/// relative to its start. Stores once the strings many records share.
struct Area {
    /// Where the string area starts.
    start: usize,
    /// Content types, by text.
    interned: HashMap<String, u32>,
    /// The hex digits of each digest.
    digests: HashMap<[u8; 16], u32, xxhash_rust::xxh3::Xxh3Builder>,
    /// A buffer for URLs.
    url: String,
}

impl Area {
    fn new(start: usize, records: usize) -> Area {
        let mut digests = HashMap::with_hasher(xxhash_rust::xxh3::Xxh3Builder::new());
        digests.reserve(records);
        Area {
            start,
            interned: HashMap::new(),
            digests,
            url: String::new(),
        }
    }

    fn push(&self, out: &mut Vec<u8>, s: &str) -> (u32, u32) {
        let at = offset(out.len() - self.start);
        out.extend_from_slice(s.as_bytes());
        (at, offset(s.len()))
    }

    /// Stores a string that many records share once.
    fn intern(&mut self, out: &mut Vec<u8>, s: &str) -> (u32, u32) {
        if let Some(&at) = self.interned.get(s) {
            return (at, offset(s.len()));
        }
        let span = self.push(out, s);
        self.interned.insert(s.to_owned(), span.0);
        span
    }

    /// Stores the lowercase hex of a digest once; returns its offset.
    fn digest(&mut self, out: &mut Vec<u8>, md5: &[u8; 16]) -> u32 {
        let start = self.start;
        *self.digests.entry(*md5).or_insert_with(|| {
            let at = offset(out.len() - start);
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            for &byte in md5 {
                out.extend_from_slice(&[DIGITS[usize::from(byte >> 4)], DIGITS[usize::from(byte & 0xf)]]);
            }
            at
        })
    }
}

/// `n` as a `u32` offset or length.
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
