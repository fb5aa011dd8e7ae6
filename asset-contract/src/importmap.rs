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
//! The build stores the pins, sorted by specifier, as indices into the
//! asset [`table`](crate::table); the runtime builds the map's URLs and
//! `integrity` values from the table, so they follow its settings (base
//! URL, dev mode). The layout, integers little-endian `u32`:
//!
//! ```text
//! "ASTIMAP1"  pin count
//! per pin:    specifier length, specifier (UTF-8), table index
//! ```
//!
//! ```
//! use asset_contract::importmap::{Pins, encode};
//! let bytes = encode(&[("app".to_owned(), 0), ("controllers/hello".to_owned(), 2)]);
//! let pins: Vec<(&str, u32)> = Pins::new(&bytes).iter().collect();
//! assert_eq!(pins, [("app", 0), ("controllers/hello", 2)]);
//! ```

use crate::data::{header, put, put_str, str_at, u32_at};

/// First bytes of the data, with its format version.
pub const MAGIC: &[u8; 8] = b"ASTIMAP1";

/// The data for `pins` (specifier, table index), in the order given (empty
/// when there are none).
pub fn encode(pins: &[(String, u32)]) -> Vec<u8> {
    if pins.is_empty() {
        return Vec::new();
    }
    let mut out = MAGIC.to_vec();
    put(&mut out, pins.len());
    for (specifier, index) in pins {
        put_str(&mut out, specifier);
        put(&mut out, *index as usize);
    }
    out
}

/// The pins of [`encode`]'s data, read in place.
#[derive(Debug, Clone, Copy)]
pub struct Pins<'a> {
    bytes: &'a [u8],
    count: u32,
}

impl<'a> Pins<'a> {
    /// Reads `bytes`; data that is empty or not in this format holds no
    /// pins.
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

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Each pin's specifier and table index.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, u32)> + use<'a> {
        let mut rest = self.bytes;
        (0..self.count).map_while(move |_| {
            let (specifier, after) = str_at(rest)?;
            let (index, after) = u32_at(after)?;
            rest = after;
            Some((specifier, index))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damaged_data() {
        let pins = vec![("app".to_owned(), 7), ("lib/é".to_owned(), 0)];
        let bytes = encode(&pins);
        let back: Vec<(String, u32)> = Pins::new(&bytes).iter().map(|(s, i)| (s.to_owned(), i)).collect();
        assert_eq!(back, pins);
        assert!(Pins::new(&[]).is_empty());
        assert!(encode(&[]).is_empty());
        for end in 0..bytes.len() {
            assert!(Pins::new(&bytes[..end]).iter().count() < 2, "{end}");
        }
    }
}
