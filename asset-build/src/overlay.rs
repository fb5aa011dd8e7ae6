//! The last build's table read in place, and the overlay a patch writes
//! beside it (`asset_contract::table` defines both layouts).
//!
//! A patch build ([`crate::patch`]) reads a few records of the table
//! (those it renames, and the names its rewritten files refer to) through
//! [`TableView`], which sees the last overlay's records in place of the
//! table's; it then writes the next overlay with [`overlay_bytes`]: the
//! records patched before and its own, whole.

use std::path::Path;

use asset_contract::table::{
    ABSENT, HEADER_LEN, MAGIC, MD5_FIELDS, OVERLAY_MAGIC, RECORD_LEN, TEXT_FIELDS, VERSION, file, header, overlay,
    record,
};
use asset_contract::url::push_encoded_path;

use crate::fields::{get_u32, get_u64, offset, put_span, put_u32, put_u64};
use crate::rewrite::{Catalog, Entry};

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
    /// UTF-8 (a damaged table, which [`TableView::new`] may not catch).
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
    /// The table and overlay, if they are of this crate's format (the
    /// table's header, the whole overlay checked). The caller knows the
    /// table has no embedded data or precompressed variants, which a patch
    /// does not write: the patch state is recorded for such tables only,
    /// with their stamps.
    pub(crate) fn new(table: TableBytes<'a>, overlay: &'a [u8]) -> Option<Self> {
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
            let spans = TEXT_FIELDS.map(|field| (get_u32(overlay, at + field), get_u32(overlay, at + field + 4)));
            let digests = MD5_FIELDS.map(|field| (get_u32(overlay, at + field), 32));
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

impl Catalog for TableView<'_> {
    fn entry(&self, name: &str) -> Option<Entry> {
        if !name.is_empty() && self.is_folder(name) {
            return Some(Entry::Folder);
        }
        self.find(name).map(|i| Entry::File(i as usize))
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
    // Offsets are relative to the string area's start.
    let push = |out: &mut Vec<u8>, text: &str| {
        let span = (offset(out.len() - strings_at), offset(text.len()));
        out.extend_from_slice(text.as_bytes());
        span
    };
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
            let span = push(&mut out, text);
            put_span(&mut out, at + field, span);
        }
        put_u32(&mut out, at + record::FOLDER, r.folder);
        for (field, (md5, size)) in [(record::HASHED_FILE, &r.served), (record::ORIGINAL_FILE, &r.original)] {
            let md5 = push(&mut out, md5).0;
            put_u32(&mut out, at + field + file::MD5, md5);
            put_u64(&mut out, at + field + file::SIZE, *size);
            for size in [file::BR_SIZE, file::GZ_SIZE, file::ZST_SIZE, file::EMBEDDED] {
                put_u64(&mut out, at + field + size, ABSENT);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Entry;
    use crate::generate::tests::{entry, table};
    use crate::hash::hex;
    use asset_contract::names::hashed_name;
    use asset_contract::table::{Table, url_bytes, url_len};

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
        let view = TableView::new(TableBytes::Memory(bytes), &[]).expect("a table");
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
            &TableView::new(TableBytes::Memory(bytes), first).expect("an overlay"),
            1,
            &b,
            9,
        );
        let (table, view) = (
            Table::with_overlay(bytes, second),
            TableView::new(TableBytes::Memory(bytes), second).expect("an overlay"),
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
        assert!(TableView::new(TableBytes::Memory(bytes), &second[..second.len() - 1]).is_none());
        assert!(TableView::new(TableBytes::Memory(bytes), &second[..30]).is_none());
        let mut unsorted = second.to_vec();
        unsorted[overlay::LEN..overlay::LEN + 8].rotate_left(4);
        assert!(TableView::new(TableBytes::Memory(bytes), &unsorted).is_none());
    }
}
