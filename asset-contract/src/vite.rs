//! Vite entries, as the build records them for the runtime: per key of a
//! Vite manifest (`"src/main.ts"`), the assets a page needs to load it.
//!
//! A Vite build with `build.manifest: true` writes `.vite/manifest.json`,
//! which maps each source file to its output chunk: the chunk's `file`, its
//! `css`, and the chunks it `imports`. A page that loads an entry needs, as
//! Vite's backend-integration guide sets out:
//!
//! 1. a `<link rel="stylesheet">` for each CSS file of the entry, then of
//!    every chunk it imports, followed recursively;
//! 2. the entry's `<script type="module">` (or, for a CSS entry, its
//!    stylesheet);
//! 3. a `<link rel="modulepreload">` for every chunk it imports, followed
//!    recursively, so the browser fetches them at once.
//!
//! The build resolves that recursion and stores the result as indices
//! into the asset [`table`](crate::table) (the position of an asset in
//! logical-name order), in this layout, all integers little-endian `u32`:
//!
//! ```text
//! "ASTVITE1"  entry count
//! per entry:  key length, key (UTF-8), file, stylesheet count,
//!             stylesheets..., preload count, preloads...
//! ```
//!
//! [`encode`] writes it; [`Entries`] reads it in place, with no parsing at
//! start-up and no allocation.
//!
//! ```
//! use asset_contract::vite::{Entries, EntryData, encode};
//! let bytes = encode(&[EntryData { key: "src/main.ts".into(), file: 3, stylesheets: vec![1], preloads: vec![4, 2] }]);
//! let entries = Entries::new(&bytes);
//! let entry = entries.find("src/main.ts").unwrap();
//! assert_eq!(entry.file(), 3);
//! assert_eq!(entry.stylesheets().collect::<Vec<_>>(), [1]);
//! assert_eq!(entry.preloads().collect::<Vec<_>>(), [4, 2]);
//! assert!(entries.find("src/other.ts").is_none());
//! ```

use crate::data::{header, indices, list_at, put, put_str, str_at, u32_at};

/// First bytes of the data, with its format version.
pub const MAGIC: &[u8; 8] = b"ASTVITE1";

/// One entry, as the build computes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryData {
    /// The key in Vite's manifest: the source path, `src/main.ts`.
    pub key: String,
    /// Table index of the entry's own output file.
    pub file: u32,
    /// Table indices of its stylesheets, in link order.
    pub stylesheets: Vec<u32>,
    /// Table indices of the chunks it imports, followed recursively.
    pub preloads: Vec<u32>,
}

/// The data for `entries` (empty when there are none).
pub fn encode(entries: &[EntryData]) -> Vec<u8> {
    if entries.is_empty() {
        return Vec::new();
    }
    let mut out = MAGIC.to_vec();
    put(&mut out, entries.len());
    for e in entries {
        put_str(&mut out, &e.key);
        put(&mut out, e.file as usize);
        for list in [&e.stylesheets, &e.preloads] {
            put(&mut out, list.len());
            for &index in list {
                put(&mut out, index as usize);
            }
        }
    }
    out
}

/// The entries of [`encode`]'s data, read in place.
#[derive(Debug, Clone, Copy)]
pub struct Entries<'a> {
    /// After the magic and the count; empty when there is no data.
    bytes: &'a [u8],
    count: u32,
}

impl<'a> Entries<'a> {
    /// Reads `bytes`; data that is empty or not in this format holds no
    /// entries.
    pub fn new(bytes: &'a [u8]) -> Entries<'a> {
        match header(bytes, MAGIC) {
            Some((count, rest)) => Entries { bytes: rest, count },
            None => Entries { bytes: &[], count: 0 },
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = Entry<'a>> + use<'a> {
        let mut rest = self.bytes;
        (0..self.count).map_while(move |_| {
            let (entry, after) = Entry::read(rest)?;
            rest = after;
            Some(entry)
        })
    }

    /// The entry of `key`.
    pub fn find(&self, key: &str) -> Option<Entry<'a>> {
        self.iter().find(|e| e.key() == key)
    }
}

/// One entry, read in place.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    key: &'a str,
    file: u32,
    stylesheets: &'a [u8],
    preloads: &'a [u8],
}

impl<'a> Entry<'a> {
    fn read(bytes: &'a [u8]) -> Option<(Entry<'a>, &'a [u8])> {
        let (key, rest) = str_at(bytes)?;
        let (file, rest) = u32_at(rest)?;
        let (stylesheets, rest) = list_at(rest)?;
        let (preloads, rest) = list_at(rest)?;
        Some((
            Entry {
                key,
                file,
                stylesheets,
                preloads,
            },
            rest,
        ))
    }

    /// The key in Vite's manifest.
    pub fn key(&self) -> &'a str {
        self.key
    }

    /// Table index of the entry's own output file.
    pub fn file(&self) -> u32 {
        self.file
    }

    /// Table indices of its stylesheets, in link order.
    pub fn stylesheets(&self) -> impl Iterator<Item = u32> + use<'a> {
        indices(self.stylesheets)
    }

    /// Table indices of the chunks to preload.
    pub fn preloads(&self) -> impl Iterator<Item = u32> + use<'a> {
        indices(self.preloads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damaged_data() {
        let entries = vec![
            EntryData {
                key: "src/admin.ts".into(),
                file: 0,
                stylesheets: vec![],
                preloads: vec![7],
            },
            EntryData {
                key: "src/é.ts".into(),
                file: 9,
                stylesheets: vec![1, 2],
                preloads: vec![],
            },
        ];
        let bytes = encode(&entries);
        let read = Entries::new(&bytes);
        assert_eq!(read.len(), 2);
        let back: Vec<EntryData> = read
            .iter()
            .map(|e| EntryData {
                key: e.key().to_owned(),
                file: e.file(),
                stylesheets: e.stylesheets().collect(),
                preloads: e.preloads().collect(),
            })
            .collect();
        assert_eq!(back, entries);
        assert!(Entries::new(&[]).is_empty());
        assert!(encode(&[]).is_empty());
        assert!(Entries::new(b"ASTVITE0\x01\0\0\0").is_empty());
        // Cut anywhere: no panic, fewer entries.
        for end in 0..bytes.len() {
            let cut = Entries::new(&bytes[..end]);
            assert!(cut.iter().count() < 2, "{end}");
            let _ = cut.find("src/é.ts");
        }
    }
}
