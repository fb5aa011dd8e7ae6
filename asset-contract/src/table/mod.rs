//! The binary asset table: its layout, and reading it without parsing.
//!
//! `asset-build` writes one table per crate to `OUT_DIR` and the generated
//! Rust includes it with `include_bytes!`, so the Rust the compiler sees is
//! a few declarations whatever the number of assets. Every read is an
//! offset computation into those bytes: nothing is decoded at start-up and
//! nothing is allocated.
//!
//! Layout (every integer little-endian; every string a `(offset, length)`
//! pair of `u32`s into the string area):
//!
//! | part | content |
//! | --- | --- |
//! | header | [`header`] fields, [`HEADER_LEN`] bytes |
//! | records | one [`RECORD_LEN`]-byte [`record`] per asset, sorted by logical name |
//! | name displacements | `(d1, d2)` `u32` pairs of the perfect hash of logical names |
//! | name slots | per hash slot, a [`slot`]: the record index, its name and its URL |
//! | folders | the source folders, as strings |
//! | strings | UTF-8 text the strings point into |
//!
//! The perfect hash is [`name_hashes`] with the key stored in the header,
//! as `phf_generator` computed it at build time: a lookup hashes the name
//! once, reads one displacement pair and one slot, and compares one
//! string. The slot holds the record's name and URL strings (copies of
//! the record's own), so that finding a name's URL reads the slot and the
//! name's text, and not the record. A hashed name is looked up by the logical names it can come
//! from ([`unhashed`](crate::names::unhashed)), so the table needs no second
//! hash, and a build that changes a file's content computes none: the
//! logical names, and their hash, stay the same. Records are sorted by name
//! so that `asset!` can find a name by binary search in a `const`
//! evaluation.
//!
//! # The overlay
//!
//! A rebuild after an edit changes a few records and no name. Instead of a
//! new table it writes an *overlay*, a second file the generated Rust
//! includes from a module of its own: the table's bytes, and the code
//! rustc compiled for them, stay as they were, and only the small overlay
//! is compiled again. An overlay holds whole records, which replace the
//! table's records of the same index:
//!
//! | part | content |
//! | --- | --- |
//! | header | [`overlay`] fields, [`overlay::LEN`] bytes |
//! | indices | the `u32` index of each record it replaces, ascending |
//! | records | one [`RECORD_LEN`]-byte [`record`] per index, in that order |
//! | strings | UTF-8 text its records' strings point into |
//!
//! An empty file is an empty overlay: what a build that writes the table
//! leaves. A record of the overlay has the same logical name as the one it
//! replaces, so lookups by name read the table alone; the fields are read
//! from the overlay when it holds the record.
//!
//! This module is the one definition of the format, and holds its only
//! writer and readers: [`write`](mod@write) lays out a table or an overlay from
//! values (what `asset-build` gives it), [`Table`] is the app's reader of
//! the table compiled into it (`asset-runtime`), and [`read::Reader`] is a
//! build's reader of the last build's files, which checks what it reads.

pub mod read;
pub mod write;

/// First bytes of a table.
pub const MAGIC: [u8; 8] = *b"ASSETTBL";
/// Version of the layout; a table of another version is refused at compile
/// time with a message to rebuild. Format 3 added the zstd sibling's size;
/// format 4 hashes names with [`name_hashes`] (XXH3, not SipHash) and
/// keeps the name and URL in each slot.
pub const VERSION: u32 = 4;
/// Size of the header.
pub const HEADER_LEN: usize = 72;
/// Size of one name [`slot`].
pub const SLOT_LEN: usize = slot::URL + 8;
/// Size of one record: its fields, then two [`file`](mod@file)s.
pub const RECORD_LEN: usize = record::HASHED_FILE + 2 * file::LEN;
/// A size field's value when the variant does not exist.
pub const ABSENT: u64 = u64::MAX;

/// Byte offsets of the header fields.
pub mod header {
    /// `[u8; 8]`: [`MAGIC`](super::MAGIC).
    pub const MAGIC: usize = 0;
    /// `u32`: [`VERSION`](super::VERSION).
    pub const VERSION: usize = 8;
    /// `u32`: number of assets.
    pub const COUNT: usize = 12;
    /// `u64`: hash key of the logical-name table.
    pub const NAME_KEY: usize = 16;
    /// `u32`: offset of the logical-name displacements.
    pub const NAME_DISPS: usize = 24;
    /// `u32`: number of logical-name displacement pairs.
    pub const NAME_DISPS_LEN: usize = 28;
    /// `u32`: offset of the logical-name slots.
    pub const NAME_SLOTS: usize = 32;
    /// `u32`: offset of the source folder strings.
    pub const FOLDERS: usize = 36;
    /// `u32`: number of source folders.
    pub const FOLDERS_LEN: usize = 40;
    /// `u32`: offset of the string area.
    pub const STRINGS: usize = 44;
    /// String: the base URL the table's URLs start with.
    pub const BASE_URL: usize = 48;
    /// String: the output folder.
    pub const OUTPUT_DIR: usize = 56;
    /// `u32`: offset of the records.
    pub const RECORDS: usize = 64;
}

/// Byte offsets of the fields of a name slot of the perfect hash.
pub mod slot {
    /// `u32`: index of the record whose name hashes to this slot.
    pub const INDEX: usize = 0;
    /// String: the record's [`record::NAME`](super::record::NAME).
    pub const NAME: usize = 4;
    /// String: the record's [`record::URL`](super::record::URL) as the
    /// table holds it (a record of the overlay has its own).
    pub const URL: usize = 12;
}

/// Byte offsets of the fields of a record.
pub mod record {
    /// String: logical name, `css/base.css`.
    pub const NAME: usize = 0;
    /// String: hashed name, `css/base.d1833e6a1b2c.css`.
    pub const HASHED_NAME: usize = 8;
    /// String: URL of the hashed file under the table's base URL.
    pub const URL: usize = 16;
    /// String: `Content-Type` value.
    pub const CONTENT_TYPE: usize = 24;
    /// String: `sha384-…` of the hashed file.
    pub const INTEGRITY: usize = 32;
    /// `u32`: index of the source folder the file was collected from.
    pub const FOLDER: usize = 40;
    /// String: path of the source file relative to its folder, `/`-separated.
    pub const SOURCE: usize = 44;
    /// The hashed file's [`file`] fields.
    pub const HASHED_FILE: usize = 52;
    /// The original's [`file`] fields.
    pub const ORIGINAL_FILE: usize = HASHED_FILE + super::file::LEN;
}

/// Byte offsets of the fields of one file of a record.
pub mod file {
    /// `u32`: offset in the string area of 32 hex digits of MD5.
    pub const MD5: usize = 0;
    /// `u64`: size.
    pub const SIZE: usize = 4;
    /// `u64`: size of the Brotli sibling, or [`ABSENT`](super::ABSENT).
    pub const BR_SIZE: usize = 12;
    /// `u64`: size of the gzip sibling, or [`ABSENT`](super::ABSENT).
    pub const GZ_SIZE: usize = 20;
    /// `u64`: size of the zstd sibling, or [`ABSENT`](super::ABSENT).
    pub const ZST_SIZE: usize = 28;
    /// `u64`: offset of the bytes in the embedded data, or
    /// [`ABSENT`](super::ABSENT); the siblings that exist follow them, in
    /// this order: Brotli, gzip, zstd.
    pub const EMBEDDED: usize = 36;
    /// Size of the fields.
    pub const LEN: usize = 44;
}

/// First bytes of a non-empty overlay.
pub const OVERLAY_MAGIC: [u8; 8] = *b"ASSETOVL";

/// Byte offsets of the header fields of an [overlay](self#the-overlay).
pub mod overlay {
    /// `[u8; 8]`: [`OVERLAY_MAGIC`](super::OVERLAY_MAGIC).
    pub const MAGIC: usize = 0;
    /// `u32`: [`VERSION`](super::VERSION), the table's.
    pub const VERSION: usize = 8;
    /// `u32`: number of records.
    pub const COUNT: usize = 12;
    /// `u32`: offset of the string area.
    pub const STRINGS: usize = 16;
    /// Size of the header; the record indices follow it.
    pub const LEN: usize = 20;

    /// Where the records start in an overlay of `count` records.
    pub const fn records(count: u32) -> usize {
        LEN + count as usize * 4
    }
}

#[inline]
const fn u32_at(bytes: &[u8], at: usize) -> u32 {
    match bytes.split_at(at).1.first_chunk::<4>() {
        Some(chunk) => u32::from_le_bytes(*chunk),
        None => panic!("the asset table is truncated: rebuild"),
    }
}

#[inline]
const fn u64_at(bytes: &[u8], at: usize) -> u64 {
    match bytes.split_at(at).1.first_chunk::<8>() {
        Some(chunk) => u64::from_le_bytes(*chunk),
        None => panic!("the asset table is truncated: rebuild"),
    }
}

/// The bytes of the string whose `(offset, length)` pair is at `at`, in a
/// table.
#[inline]
const fn str_bytes(bytes: &[u8], at: usize) -> &[u8] {
    str_in(bytes, u32_at(bytes, header::STRINGS) as usize, at)
}

/// The bytes of the string whose `(offset, length)` pair is at `at`, in
/// `bytes` whose string area starts at `strings`.
#[inline]
const fn str_in(bytes: &[u8], strings: usize, at: usize) -> &[u8] {
    let start = strings + u32_at(bytes, at) as usize;
    let len = u32_at(bytes, at + 4) as usize;
    bytes.split_at(start).1.split_at(len).0
}

#[inline]
const fn record_at(bytes: &[u8], index: u32) -> usize {
    u32_at(bytes, header::RECORDS) as usize + index as usize * RECORD_LEN
}

/// Where the overlay holds record `index`: the record's offset in it, and
/// its string area's. Binary search over the indices, usable in `const`
/// evaluation.
const fn overlay_record(overlay: &[u8], index: u32) -> Option<(usize, usize)> {
    if overlay.is_empty() {
        return None;
    }
    let count = u32_at(overlay, overlay::COUNT);
    let (mut low, mut high) = (0u32, count);
    while low < high {
        let mid = low + (high - low) / 2;
        let at = u32_at(overlay, overlay::LEN + mid as usize * 4);
        if at < index {
            low = mid + 1;
        } else if at > index {
            high = mid;
        } else {
            let record = overlay::records(count) + mid as usize * RECORD_LEN;
            return Some((record, u32_at(overlay, overlay::STRINGS) as usize));
        }
    }
    None
}

/// Where record `index`'s fields are: the bytes that hold it (the
/// overlay's or the table's), the record's offset in them, and their
/// string area's offset.
#[inline]
const fn place<'a>(table: &'a [u8], overlay: &'a [u8], index: u32) -> (&'a [u8], usize, usize) {
    match overlay_record(overlay, index) {
        Some((record, strings)) => (overlay, record, strings),
        None => (table, record_at(table, index), u32_at(table, header::STRINGS) as usize),
    }
}

/// Checks the header at compile time: a table of another format (an
/// asset-build and asset-runtime of different versions) stops the build.
pub const fn check(bytes: &[u8]) {
    if !has_header(bytes, HEADER_LEN, header::MAGIC, &MAGIC) {
        panic!("the asset table in OUT_DIR is not one asset-build wrote: rebuild (cargo clean -p <your crate>)");
    }
    if u32_at(bytes, header::VERSION) != VERSION {
        panic!(
            "the asset table was written by an asset-build whose format differs from this asset-runtime's: \
             use the same version of both, then rebuild"
        );
    }
}

/// Whether `bytes` hold a header of `len` bytes with `magic` at `at`, in
/// `const` evaluation.
const fn has_header(bytes: &[u8], len: usize, at: usize, magic: &[u8; 8]) -> bool {
    if bytes.len() < len {
        return false;
    }
    let mut i = 0;
    while i < magic.len() {
        if bytes[at + i] != magic[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Checks an overlay's header at compile time, as [`check`] does the
/// table's; an empty overlay is fine.
pub const fn check_overlay(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    if !has_header(bytes, overlay::LEN, overlay::MAGIC, &OVERLAY_MAGIC) {
        panic!(
            "the asset table's overlay in OUT_DIR is not one asset-build wrote: rebuild (cargo clean -p <your crate>)"
        );
    }
    if u32_at(bytes, overlay::VERSION) != VERSION {
        panic!(
            "the asset table's overlay was written by an asset-build whose format differs from this \
             asset-runtime's: use the same version of both, then rebuild"
        );
    }
}

/// Orders two byte strings as `str`'s `Ord` does.
const fn compare(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return if a[i] < b[i] {
                core::cmp::Ordering::Less
            } else {
                core::cmp::Ordering::Greater
            };
        }
        i += 1;
    }
    if a.len() < b.len() {
        core::cmp::Ordering::Less
    } else if a.len() > b.len() {
        core::cmp::Ordering::Greater
    } else {
        core::cmp::Ordering::Equal
    }
}

/// The record index of a logical name, by binary search: usable in `const`
/// evaluation (the `asset!` macro), where hashing is not.
pub const fn find_sorted(bytes: &[u8], name: &str) -> Option<u32> {
    let name = name.as_bytes();
    let (mut low, mut high) = (0u32, u32_at(bytes, header::COUNT));
    while low < high {
        let mid = low + (high - low) / 2;
        match compare(str_bytes(bytes, record_at(bytes, mid) + record::NAME), name) {
            core::cmp::Ordering::Less => low = mid + 1,
            core::cmp::Ordering::Greater => high = mid,
            core::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// The URL (under the table's base URL) of record `index`, the overlay's
/// if it holds the record.
const fn url_of<'a>(table: &'a [u8], overlay: &'a [u8], index: u32) -> &'a [u8] {
    let (bytes, record, strings) = place(table, overlay, index);
    str_in(bytes, strings, record + record::URL)
}

/// Length of the URL (under the table's base URL) of record `index`, in
/// `const` evaluation.
pub const fn url_len(table: &[u8], overlay: &[u8], index: u32) -> usize {
    url_of(table, overlay, index).len()
}

/// The URL (under the table's base URL) of record `index` as an array of
/// its own, in `const` evaluation: a `&str` pointing into the table would
/// make the compiler emit a second copy of the whole table.
pub const fn url_bytes<const N: usize>(table: &[u8], overlay: &[u8], index: u32) -> [u8; N] {
    let url = url_of(table, overlay, index);
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = url[i];
        i += 1;
    }
    out
}

/// The array of [`url_bytes`] as text, in `const` evaluation.
pub const fn url_str(bytes: &[u8]) -> &str {
    match core::str::from_utf8(bytes) {
        Ok(url) => url,
        Err(_) => panic!("the asset table holds a URL that is not UTF-8: rebuild"),
    }
}

/// A table in static memory, with its overlay. Reads are offset
/// computations.
#[derive(Clone, Copy)]
pub struct Table {
    bytes: &'static [u8],
    overlay: &'static [u8],
    /// Number of records of the overlay.
    overlay_count: u32,
    /// Header fields, read once when the table is made (at compile time
    /// for the generated `static`).
    count: u32,
    count_mod: FastMod,
    records: usize,
    strings: usize,
    name: Hash,
}

/// Where one perfect hash is.
#[derive(Clone, Copy)]
struct Hash {
    key: u64,
    disps: usize,
    disps_mod: FastMod,
    slots: usize,
}

impl Hash {
    const fn read(bytes: &[u8], key: usize, disps: usize, disps_len: usize, slots: usize) -> Hash {
        Hash {
            key: u64_at(bytes, key),
            disps: u32_at(bytes, disps) as usize,
            disps_mod: FastMod::new(u32_at(bytes, disps_len)),
            slots: u32_at(bytes, slots) as usize,
        }
    }
}

/// `a % d` for a divisor fixed when the table is made, with two
/// multiplications instead of a division (Lemire, Kaser and Kurz, "Faster
/// Remainder by Direct Computation", 2019; exact for every 32-bit `a` and
/// `d`). The perfect hashes reduce by the number of displacements and of
/// keys, which `phf_generator` chose; this gives the same results as `%`.
#[derive(Clone, Copy)]
struct FastMod {
    divisor: u32,
    multiplier: u64,
}

impl FastMod {
    const fn new(divisor: u32) -> FastMod {
        FastMod {
            divisor,
            // For 1 this wraps to 0, and every remainder is 0.
            multiplier: (u64::MAX / if divisor == 0 { 1 } else { divisor as u64 }).wrapping_add(1),
        }
    }

    #[inline]
    fn rem(self, a: u32) -> u32 {
        let low = self.multiplier.wrapping_mul(a as u64);
        ((low as u128 * self.divisor as u128) >> 64) as u32
    }
}

impl Table {
    /// Whether the table holds no asset.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table in `bytes`, without overlay; in a `const` context, a
    /// table of another format stops the build.
    pub const fn new(bytes: &'static [u8]) -> Self {
        Table::with_overlay(bytes, &[])
    }

    /// The table in `bytes`, whose records `overlay` replaces where it
    /// holds them; in a `const` context (the generated `static`), a table
    /// or overlay of another format stops the build.
    pub const fn with_overlay(bytes: &'static [u8], overlay: &'static [u8]) -> Self {
        check(bytes);
        check_overlay(overlay);
        Table {
            bytes,
            overlay,
            overlay_count: if overlay.is_empty() {
                0
            } else {
                u32_at(overlay, overlay::COUNT)
            },
            count: u32_at(bytes, header::COUNT),
            count_mod: FastMod::new(u32_at(bytes, header::COUNT)),
            records: u32_at(bytes, header::RECORDS) as usize,
            strings: u32_at(bytes, header::STRINGS) as usize,
            name: Hash::read(
                bytes,
                header::NAME_KEY,
                header::NAME_DISPS,
                header::NAME_DISPS_LEN,
                header::NAME_SLOTS,
            ),
        }
    }

    /// Number of assets.
    #[inline]
    pub fn len(&self) -> u32 {
        self.count
    }

    /// The bytes of the table's string whose `(offset, length)` pair is at
    /// `at`.
    #[inline]
    fn string(&self, at: usize) -> &'static [u8] {
        str_in(self.bytes, self.strings, at)
    }

    #[inline]
    fn record(&self, index: u32) -> usize {
        self.records + index as usize * RECORD_LEN
    }

    /// Where the fields of record `index` are: in the overlay if it holds
    /// the record, else in the table.
    #[inline]
    fn place(&self, index: u32) -> Place {
        if self.overlay_count != 0
            && let Some(place) = self.overlay_place(index)
        {
            return place;
        }
        Place {
            bytes: self.bytes,
            record: self.record(index),
            strings: self.strings,
        }
    }

    /// Only after a rebuild that patched records, in development.
    #[inline(never)]
    fn overlay_place(&self, index: u32) -> Option<Place> {
        overlay_record(self.overlay, index).map(|(record, strings)| Place {
            bytes: self.overlay,
            record,
            strings,
        })
    }

    /// The string field of the header at `field` (a [`header`] offset).
    pub fn header_str(&self, field: usize) -> &'static str {
        text(self.string(field))
    }

    /// The string field of a record.
    #[inline]
    pub fn str(&self, index: u32, field: usize) -> &'static str {
        text(self.str_bytes(index, field))
    }

    /// The bytes of a string field of a record (text
    /// [`text_is_utf8`](Self::text_is_utf8) checks).
    #[inline]
    pub fn str_bytes(&self, index: u32, field: usize) -> &'static [u8] {
        let place = self.place(index);
        place.string(place.record + field)
    }

    /// The `u32` field of a record.
    #[inline]
    pub fn u32(&self, index: u32, field: usize) -> u32 {
        let place = self.place(index);
        u32_at(place.bytes, place.record + field)
    }

    /// The `u64` field of a record.
    #[inline]
    pub fn u64(&self, index: u32, field: usize) -> u64 {
        let place = self.place(index);
        u64_at(place.bytes, place.record + field)
    }

    /// The 32 hex digits of MD5 a record's [`file::MD5`] field points to;
    /// `field` is that field's offset in the record
    /// (`record::HASHED_FILE + file::MD5`, say).
    #[inline]
    pub fn md5(&self, index: u32, field: usize) -> &'static str {
        text(self.md5_bytes(index, field))
    }

    /// The bytes of [`md5`](Self::md5) (text
    /// [`text_is_utf8`](Self::text_is_utf8) checks).
    #[inline]
    pub fn md5_bytes(&self, index: u32, field: usize) -> &'static [u8] {
        self.place(index).md5(field)
    }

    /// Whether every text field of every record (the overlay's where it
    /// holds the record) and of every slot is UTF-8, as asset-build writes
    /// it. Reads the whole table: a reader that knows it (`asset-runtime`
    /// checks once, on first use) can take the bytes of [`str_bytes`],
    /// [`md5_bytes`] and [`find_url`] as text without looking at them
    /// again.
    ///
    /// [`str_bytes`]: Self::str_bytes
    /// [`md5_bytes`]: Self::md5_bytes
    /// [`find_url`]: Self::find_url
    pub fn text_is_utf8(&self) -> bool {
        // Each string area is checked whole, then each field's span is
        // checked to start and end on a character of its area.
        let area = |bytes: &'static [u8], strings: usize| core::str::from_utf8(&bytes[strings..]).ok();
        let Some(table) = area(self.bytes, self.strings) else {
            return false;
        };
        let overlay = match self.overlay_count {
            0 => "",
            _ => match area(self.overlay, u32_at(self.overlay, overlay::STRINGS) as usize) {
                Some(text) => text,
                None => return false,
            },
        };
        let is_text = |area: &str, bytes: &[u8], at: usize, len: usize| {
            let start = u32_at(bytes, at) as usize;
            area.get(start..start + len).is_some()
        };
        let records = (0..self.count).all(|index| {
            let place = self.place(index);
            let area = if core::ptr::eq(place.bytes, self.bytes) {
                table
            } else {
                overlay
            };
            let string = |field: usize| {
                is_text(
                    area,
                    place.bytes,
                    place.record + field,
                    u32_at(place.bytes, place.record + field + 4) as usize,
                )
            };
            let md5 = |field: usize| is_text(area, place.bytes, place.record + field, 32);
            TEXT_FIELDS.iter().all(|&f| string(f)) && MD5_FIELDS.iter().all(|&f| md5(f))
        });
        let slots = (0..self.count as usize).all(|slot| {
            let at = self.name.slots + slot * SLOT_LEN;
            [at + slot::NAME, at + slot::URL]
                .iter()
                .all(|&at| is_text(table, self.bytes, at, u32_at(self.bytes, at + 4) as usize))
        });
        records && slots
    }

    /// Source folder `index`.
    pub fn folder(&self, index: u32) -> &'static str {
        text(self.string(u32_at(self.bytes, header::FOLDERS) as usize + index as usize * 8))
    }

    /// Number of source folders.
    pub fn folders(&self) -> u32 {
        u32_at(self.bytes, header::FOLDERS_LEN)
    }

    /// The record whose logical name is `name`. The overlay changes no
    /// name: the table's are read.
    #[inline]
    pub fn find(&self, name: &str) -> Option<u32> {
        self.find_url(name).map(|(index, _)| index)
    }

    /// The record whose logical name is `name`, and the bytes of its URL
    /// (text [`text_is_utf8`](Self::text_is_utf8) checks): read from the
    /// name's slot, and from the overlay if it holds the record, without
    /// reading the table's record.
    #[inline]
    pub fn find_url(&self, name: &str) -> Option<(u32, &'static [u8])> {
        if self.count == 0 {
            return None;
        }
        let slot = self.slot(name_hashes(name.as_bytes(), self.name.key));
        if self.string(slot + slot::NAME) != name.as_bytes() {
            return None;
        }
        let index = u32_at(self.bytes, slot + slot::INDEX);
        let url = match self.overlay_count {
            0 => self.string(slot + slot::URL),
            _ => self.str_bytes(index, record::URL),
        };
        Some((index, url))
    }

    /// The record whose hashed name is `hashed`: one of the logical names
    /// it can come from ([`unhashed`](crate::names::unhashed)), looked up,
    /// whose hashed name is `hashed`.
    pub fn find_hashed(&self, hashed: &str) -> Option<u32> {
        if self.count == 0 {
            return None;
        }
        crate::names::unhashed(hashed).find_map(|(root, ext)| {
            let mut joined = xxhash_rust::xxh3::Xxh3::with_seed(self.name.key);
            joined.update(root.as_bytes());
            joined.update(ext.as_bytes());
            let slot = self.slot(NameHashes::split(joined.digest128()));
            let index = u32_at(self.bytes, slot + slot::INDEX);
            let name = self.string(slot + slot::NAME);
            let found = name.len() == root.len() + ext.len()
                && name.starts_with(root.as_bytes())
                && name.ends_with(ext.as_bytes())
                && {
                    let place = self.place(index);
                    place.string(place.record + record::HASHED_NAME) == hashed.as_bytes()
                };
            found.then_some(index)
        })
    }

    /// Where the slot of the only record a name with these hashes can be
    /// is (the table is not empty).
    #[inline]
    fn slot(&self, hashes: NameHashes) -> usize {
        let hash = self.name;
        let b = self.bytes;
        let pair = hash.disps + hash.disps_mod.rem(hashes.g) as usize * 8;
        let slot = self.count_mod.rem(phf_shared::displace(
            hashes.f1,
            hashes.f2,
            u32_at(b, pair),
            u32_at(b, pair + 4),
        ));
        hash.slots + slot as usize * SLOT_LEN
    }
}

/// Where one record's fields are.
#[derive(Clone, Copy)]
struct Place {
    bytes: &'static [u8],
    /// Offset of the record.
    record: usize,
    /// Offset of the string area.
    strings: usize,
}

impl Place {
    /// The bytes of the string whose `(offset, length)` pair is at `at`.
    #[inline]
    fn string(self, at: usize) -> &'static [u8] {
        str_in(self.bytes, self.strings, at)
    }

    /// The 32 hex digits the record's [`file::MD5`] field at `field`
    /// points to.
    #[inline]
    fn md5(self, field: usize) -> &'static [u8] {
        let start = self.strings + u32_at(self.bytes, self.record + field) as usize;
        &self.bytes[start..start + 32]
    }
}

/// The string fields of a record: each an `(offset, length)` pair into the
/// string area.
pub const TEXT_FIELDS: [usize; 6] = [
    record::NAME,
    record::HASHED_NAME,
    record::URL,
    record::CONTENT_TYPE,
    record::INTEGRITY,
    record::SOURCE,
];

/// The MD5 fields of a record: each the offset of 32 hex digits in the
/// string area.
pub const MD5_FIELDS: [usize; 2] = [record::HASHED_FILE + file::MD5, record::ORIGINAL_FILE + file::MD5];

/// The three hashes the perfect hash places a logical name by, under the
/// table's `key`: XXH3's 128 bits of the name's bytes, split as
/// `phf_shared::hash` splits SipHash's. XXH3 is defined byte by byte, so a
/// build script on one platform and an app on another agree; on names it
/// is several times faster than SipHash. `asset-build` gives these to
/// `phf_generator::generate_hash_with_hash_fn`.
#[inline]
pub fn name_hashes(name: &[u8], key: u64) -> NameHashes {
    NameHashes::split(xxhash_rust::xxh3::xxh3_128_with_seed(name, key))
}

/// What [`name_hashes`] gives: `phf_shared::Hashes`' fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameHashes {
    /// Chooses the displacement pair.
    pub g: u32,
    /// Multiplied by the pair's first displacement.
    pub f1: u32,
    /// Added to the pair's second displacement.
    pub f2: u32,
}

impl NameHashes {
    #[inline]
    fn split(hash: u128) -> NameHashes {
        let (lower, upper) = (hash as u64, (hash >> 64) as u64);
        NameHashes {
            g: (lower >> 32) as u32,
            f1: lower as u32,
            f2: upper as u32,
        }
    }
}

/// Text of the table. asset-build writes only `str`s into the string area;
/// a table that is not UTF-8 there is not one it wrote.
#[inline]
fn text(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("the asset table holds text that is not UTF-8: rebuild"),
    }
}

#[cfg(test)]
mod tests {
    use super::FastMod;

    #[test]
    fn fast_remainders_equal_the_division() {
        let mut state = 0x9e37_79b9_u32;
        for divisor in (1..300).chain([1 << 16, 99_991, u32::MAX - 1, u32::MAX]) {
            let fast = FastMod::new(divisor);
            for a in [0, 1, divisor - 1, divisor, u32::MAX, u32::MAX - 1] {
                assert_eq!(fast.rem(a), a % divisor, "{a} % {divisor}");
            }
            for _ in 0..200 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                assert_eq!(fast.rem(state), state % divisor, "{state} % {divisor}");
            }
        }
    }
}
