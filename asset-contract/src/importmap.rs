//! The import map, as the build records it for the runtime: the modules an
//! app pins, each a bare specifier (`app`, `controllers/hello`) and the
//! asset it stands for.
//!
//! Apps that ship ES modules without a bundler import them by specifier
//! (`import "controllers/hello"`) and let the browser map each specifier to
//! a URL with a `<script type="importmap">`. Every module then keeps its own
//! hashed URL: a change to one module changes that URL only, where
//! rewriting relative imports in place would rename every module up the
//! import graph.
//!
//! A bundler can map modules too: Vite's `build.chunkImportMap` makes its
//! chunks import each other through stable specifiers (URLs that do not
//! change with the chunk's content) and writes the map from each to the
//! chunk's file. Those *chunks* join the same map, since a page can have
//! only one; unlike pins, a page does not preload them all: an entry
//! preloads the chunks it imports.
//!
//! The build stores the pins and the chunks, each sorted by specifier, as
//! indices into the asset [`table`](crate::table); the runtime builds the
//! map's URLs and `integrity` values from the table, so they follow its
//! settings (base URL, dev mode). A chunk's specifier is stored relative
//! to the base URL, as a file's name is (`assets/shared-DTcYZfOE.js`),
//! and written under the same base URL as its file's. The layout,
//! integers little-endian `u32`:
//!
//! ```text
//! "ASTIMAP2"  pin count
//! per pin:    specifier length, specifier (UTF-8), table index
//! chunk count
//! per chunk:  specifier length, specifier (UTF-8), table index
//! ```
//!
//! ```
//! use asset_contract::importmap::{Pins, encode};
//! let bytes = encode(&[("app".to_owned(), 0)], &[("assets/shared-DTcYZfOE.js".to_owned(), 2)]);
//! let pins = Pins::new(&bytes);
//! assert_eq!(pins.iter().collect::<Vec<_>>(), [("app", 0)]);
//! assert_eq!(pins.chunks().collect::<Vec<_>>(), [("assets/shared-DTcYZfOE.js", 2)]);
//! ```

use crate::data::{header, put, put_str, str_at, u32_at};

/// First bytes of the data, with its format version.
pub const MAGIC: &[u8; 8] = b"ASTIMAP2";

/// The data for `pins` and `chunks` (specifier, table index), in the
/// order given (empty when there are neither).
pub fn encode(pins: &[(String, u32)], chunks: &[(String, u32)]) -> Vec<u8> {
    if pins.is_empty() && chunks.is_empty() {
        return Vec::new();
    }
    let mut out = MAGIC.to_vec();
    for list in [pins, chunks] {
        put(&mut out, list.len());
        for (specifier, index) in list {
            put_str(&mut out, specifier);
            put(&mut out, *index as usize);
        }
    }
    out
}

/// The pins and chunks of [`encode`]'s data, read in place.
#[derive(Debug, Clone, Copy)]
pub struct Pins<'a> {
    bytes: &'a [u8],
    count: u32,
}

impl<'a> Pins<'a> {
    /// Reads `bytes`; data that is empty or not in this format holds no
    /// pins and no chunks.
    pub fn new(bytes: &'a [u8]) -> Pins<'a> {
        match header(bytes, MAGIC) {
            Some((count, rest)) => Pins { bytes: rest, count },
            None => Pins { bytes: &[], count: 0 },
        }
    }

    /// Number of pins.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether there are no pins (there may be chunks).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Each pin's specifier and table index.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, u32)> + use<'a> {
        list(self.bytes, self.count).map(|(pin, _)| pin)
    }

    /// Each chunk's specifier and table index.
    pub fn chunks(&self) -> impl Iterator<Item = (&'a str, u32)> + use<'a> {
        let after = list(self.bytes, self.count).last().map_or(self.bytes, |(_, rest)| rest);
        let (count, rest) = u32_at(after).unwrap_or((0, &[]));
        list(rest, count).map(|(chunk, _)| chunk)
    }
}

/// The `count` (specifier, index) pairs at the start of `bytes`, each with
/// the bytes after it; as many as are whole.
fn list(mut bytes: &[u8], count: u32) -> impl Iterator<Item = ((&str, u32), &[u8])> {
    (0..count).map_while(move |_| {
        let (specifier, after) = str_at(bytes)?;
        let (index, after) = u32_at(after)?;
        bytes = after;
        Some(((specifier, index), after))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damaged_data() {
        let pins = vec![("app".to_owned(), 7), ("lib/é".to_owned(), 0)];
        let chunks = vec![("assets/a-1.js".to_owned(), 3)];
        let bytes = encode(&pins, &chunks);
        let read = Pins::new(&bytes);
        let back: Vec<(String, u32)> = read.iter().map(|(s, i)| (s.to_owned(), i)).collect();
        assert_eq!(back, pins);
        let back: Vec<(String, u32)> = read.chunks().map(|(s, i)| (s.to_owned(), i)).collect();
        assert_eq!(back, chunks);
        let only_chunks = encode(&[], &chunks);
        assert!(Pins::new(&only_chunks).is_empty());
        assert_eq!(Pins::new(&only_chunks).chunks().count(), 1);
        assert!(Pins::new(&[]).is_empty());
        assert!(encode(&[], &[]).is_empty());
        for end in 0..bytes.len() {
            let cut = Pins::new(&bytes[..end]);
            assert!(cut.iter().count() < 2 || cut.chunks().count() == 0, "{end}");
        }
    }
}
