//! Reading a table and its overlay that may be damaged, from memory or
//! from a file by position: what a build needs of the last build's table.
//!
//! [`Table`](super::Table) is the app's reader: the table is in the binary,
//! checked when it was compiled, and a read is an offset computation that
//! cannot fail. A build reads a table from `OUT_DIR`, which anything may
//! have changed, and needs a few records of it: [`Reader`] checks what it
//! reads, answers `None` where the bytes are not what the layout says, and
//! reads through [`Bytes`], so that a table of megabytes on disk is read
//! record by record.
//!
//! ```
//! use asset_contract::table::read::Reader;
//! use asset_contract::table::write::{self, File, Header, NameIndex, Record};
//!
//! let record = Record {
//!     name: "app.css".into(),
//!     hashed_name: "app.0123456789ab.css".into(),
//!     content_type: "text/css".into(),
//!     integrity: "".into(),
//!     folder: 0,
//!     source: "app.css".into(),
//!     hashed_file: File::plain([1; 16], 3),
//!     original_file: File::plain([1; 16], 3),
//! };
//! let header = Header { base_url: "/static/", output_dir: "out", folders: &["assets".to_owned()] };
//! let names = NameIndex { key: 0, disps: &[(0, 0)], slots: &[0] };
//! let table = write::table([record.clone()].into_iter(), &header, &names);
//!
//! let reader = Reader::new(table.as_slice(), &[][..]).unwrap();
//! assert_eq!(reader.find("app.css"), Some(0));
//! assert_eq!(reader.record(0), Some(record));
//! ```

use std::borrow::Cow;

use super::write::{File, Record};
use super::{
    HEADER_LEN, MAGIC, MD5_FIELDS, OVERLAY_MAGIC, RECORD_LEN, TEXT_FIELDS, VERSION, file, header, overlay, record,
};

/// Where a [`Reader`] reads bytes from.
pub trait Bytes {
    /// The `len` bytes at `at`; `None` if they are not all there.
    fn read_at(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>>;
}

impl Bytes for [u8] {
    fn read_at(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        self.get(at..at.checked_add(len)?).map(Cow::Borrowed)
    }
}

impl Bytes for Vec<u8> {
    fn read_at(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        self.as_slice().read_at(at, len)
    }
}

impl<B: Bytes + ?Sized> Bytes for &B {
    fn read_at(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        (**self).read_at(at, len)
    }
}

/// A file, read by position: only the bytes asked for.
#[cfg(unix)]
impl Bytes for std::fs::File {
    fn read_at(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        use std::os::unix::fs::FileExt as _;
        let mut buf = vec![0; len];
        self.read_exact_at(&mut buf, u64::try_from(at).ok()?).ok()?;
        Some(Cow::Owned(buf))
    }
}

/// Which of the two files is not one of this layout and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// The table's header.
    Table,
    /// The overlay: its header, its indices or a record's strings.
    Overlay,
}

/// A table and its overlay, read and checked as they are read: where the
/// overlay holds a record, its record is read instead of the table's.
#[derive(Debug)]
pub struct Reader<T, O> {
    table: T,
    overlay: O,
    count: u32,
    records: usize,
    strings: usize,
    overlay_strings: usize,
    /// The records the overlay holds, ascending.
    patched: Vec<u32>,
}

impl<T: Bytes, O: Bytes> Reader<T, O> {
    /// The table and its overlay (empty bytes for none), if the table's
    /// header and the whole overlay are of this layout and version.
    pub fn new(table: T, overlay: O) -> Result<Self, Unreadable> {
        let head = table.read_at(0, HEADER_LEN).ok_or(Unreadable::Table)?;
        if head[header::MAGIC..header::MAGIC + MAGIC.len()] != MAGIC || u32_in(&head, header::VERSION) != VERSION {
            return Err(Unreadable::Table);
        }
        let (count, records, strings) = (
            u32_in(&head, header::COUNT),
            u32_in(&head, header::RECORDS) as usize,
            u32_in(&head, header::STRINGS) as usize,
        );
        drop(head);
        let mut reader = Reader {
            table,
            overlay,
            count,
            records,
            strings,
            overlay_strings: 0,
            patched: Vec::new(),
        };
        reader.read_overlay().ok_or(Unreadable::Overlay)?;
        Ok(reader)
    }

    /// Reads and checks the overlay's header, indices and record strings;
    /// `None` if it is not well formed. Empty bytes are an empty overlay.
    fn read_overlay(&mut self) -> Option<()> {
        if self.overlay.read_at(0, 1).is_none() {
            return Some(());
        }
        let head = self.overlay.read_at(0, overlay::LEN)?;
        let count = u32_in(&head, overlay::COUNT);
        let records = overlay::records(count);
        let well_formed = head[overlay::MAGIC..overlay::MAGIC + OVERLAY_MAGIC.len()] == OVERLAY_MAGIC
            && u32_in(&head, overlay::VERSION) == VERSION
            && u32_in(&head, overlay::STRINGS) as usize == records + count as usize * RECORD_LEN;
        if !well_formed {
            return None;
        }
        self.overlay_strings = records + count as usize * RECORD_LEN;
        drop(head);
        let indices = self.overlay.read_at(overlay::LEN, count as usize * 4)?;
        let patched: Vec<u32> = (0..count as usize).map(|i| u32_in(&indices, i * 4)).collect();
        drop(indices);
        let ascending = patched.windows(2).all(|w| w[0] < w[1]);
        if !ascending || patched.last().is_some_and(|&last| last >= self.count) {
            return None;
        }
        // Every string of every record is inside the overlay.
        let all = self.overlay.read_at(records, count as usize * RECORD_LEN)?;
        let inside = (0..count as usize).all(|i| {
            let at = i * RECORD_LEN;
            let spans = TEXT_FIELDS.map(|field| (u32_in(&all, at + field), u32_in(&all, at + field + 4)));
            let digests = MD5_FIELDS.map(|field| (u32_in(&all, at + field), 32));
            spans.into_iter().chain(digests).all(|(start, len)| {
                self.overlay
                    .read_at(self.overlay_strings + start as usize, len as usize)
                    .is_some()
            })
        });
        drop(all);
        self.patched = patched;
        inside.then_some(())
    }

    /// Number of records.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether the table holds no record.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The records the overlay holds, ascending.
    pub fn patched(&self) -> &[u32] {
        &self.patched
    }

    /// `len` bytes at `at` of the bytes that hold record `index`'s fields
    /// (`at` relative to the record), or of their string area (`at`
    /// relative to it).
    fn read(&self, index: u32, at: Offset, len: usize) -> Option<Cow<'_, [u8]>> {
        match self.patched.binary_search(&index) {
            Ok(i) => {
                let start = match at {
                    Offset::Record(at) => overlay::records(self.patched.len() as u32) + i * RECORD_LEN + at,
                    Offset::String(at) => self.overlay_strings + at,
                };
                self.overlay.read_at(start, len)
            }
            Err(_) => {
                let start = match at {
                    Offset::Record(at) => self.records.checked_add(index as usize * RECORD_LEN)? + at,
                    Offset::String(at) => self.strings + at,
                };
                self.table.read_at(start, len)
            }
        }
    }

    /// The text of the string field at `field` of record `index`.
    fn text(&self, index: u32, field: usize) -> Option<String> {
        let span = self.read(index, Offset::Record(field), 8)?;
        let (start, len) = (u32_in(&span, 0) as usize, u32_in(&span, 4) as usize);
        let bytes = self.read(index, Offset::String(start), len)?;
        String::from_utf8(bytes.into_owned()).ok()
    }

    /// The logical name of record `index`. An overlay changes no name:
    /// the table's is read.
    pub fn name(&self, index: u32) -> Option<String> {
        let at = self.records.checked_add(index as usize * RECORD_LEN)? + record::NAME;
        let span = self.table.read_at(at, 8)?;
        let bytes = self
            .table
            .read_at(self.strings + u32_in(&span, 0) as usize, u32_in(&span, 4) as usize)?;
        String::from_utf8(bytes.into_owned()).ok()
    }

    /// The hashed name of record `index`.
    pub fn hashed_name(&self, index: u32) -> Option<String> {
        self.text(index, record::HASHED_NAME)
    }

    /// Record `index`, as values.
    pub fn record(&self, index: u32) -> Option<Record<'static>> {
        if index >= self.count {
            return None;
        }
        let folder = self.read(index, Offset::Record(record::FOLDER), 4)?;
        Some(Record {
            name: self.name(index)?.into(),
            hashed_name: self.hashed_name(index)?.into(),
            content_type: self.text(index, record::CONTENT_TYPE)?.into(),
            integrity: self.text(index, record::INTEGRITY)?.into(),
            folder: u32_in(&folder, 0),
            source: self.text(index, record::SOURCE)?.into(),
            hashed_file: self.file(index, record::HASHED_FILE)?,
            original_file: self.file(index, record::ORIGINAL_FILE)?,
        })
    }

    /// The [`file`] fields at `field` of record `index`.
    fn file(&self, index: u32, field: usize) -> Option<File> {
        let fields = self.read(index, Offset::Record(field), file::LEN)?;
        let digits = self.read(index, Offset::String(u32_in(&fields, file::MD5) as usize), 32)?;
        let u64_at = |at: usize| u64::from_le_bytes(fields[at..at + 8].try_into().expect("eight bytes"));
        Some(File {
            md5: md5_of_hex(&digits)?,
            size: u64_at(file::SIZE),
            br: u64_at(file::BR_SIZE),
            gz: u64_at(file::GZ_SIZE),
            zst: u64_at(file::ZST_SIZE),
            embedded: u64_at(file::EMBEDDED),
        })
    }

    /// The record whose logical name is `name`, by binary search.
    pub fn find(&self, name: &str) -> Option<u32> {
        let index = self.lower_bound(name)?;
        (self.name(index)? == name).then_some(index)
    }

    /// Whether some logical name is under the folder `name` (`css` for
    /// `css/base.css`).
    pub fn is_folder(&self, name: &str) -> bool {
        let prefix = format!("{name}/");
        self.lower_bound(&prefix)
            .and_then(|i| self.name(i))
            .is_some_and(|found| found.starts_with(&prefix))
    }

    /// The first record whose name is not before `name`; `None` past the
    /// last, or where a name cannot be read.
    fn lower_bound(&self, name: &str) -> Option<u32> {
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.name(mid)?.as_str() < name {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        (low < self.count).then_some(low)
    }
}

/// Where a read starts: in a record, or in the string area.
#[derive(Clone, Copy)]
enum Offset {
    Record(usize),
    String(usize),
}

/// The `u32` at `at` of bytes known to hold it.
fn u32_in(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

/// The digest of 32 lowercase hex digits.
fn md5_of_hex(digits: &[u8]) -> Option<[u8; 16]> {
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut md5 = [0; 16];
    for (byte, pair) in md5.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(md5)
}
