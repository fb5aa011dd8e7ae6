//! A map from names (byte strings: logical names, source paths) to the
//! records the memo keeps for them, shaped for a memo of tens of
//! thousands of entries that is decoded on every rebuild.
//!
//! A `HashMap<String, V>` decodes with one allocation and one insertion per
//! entry. A [`NameMap`] keeps every name in one buffer and every record in
//! one vector, so that it decodes with a handful of allocations; its index
//! (a hash table of positions, [`hashbrown::HashTable`]) is not stored but
//! rebuilt from the names on load, which hashes each name once.
//!
//! Removing an entry leaves a hole that the next insertion of the same name
//! fills; holes are dropped when the map is encoded.

use std::fmt;
use std::hash::BuildHasher as _;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq as _, SerializeTuple as _, Serializer};
use serde::{Deserialize, Serialize};

/// Records by name; see the [module documentation](self).
#[derive(Clone)]
pub(crate) struct NameMap<V> {
    /// Every name, one after another.
    names: Vec<u8>,
    /// Where each name ends in `names`.
    ends: Vec<u32>,
    /// The record of each name; `None` once removed.
    values: Vec<Option<V>>,
    /// Entries with a record.
    live: usize,
    /// Positions, by the hash of their name.
    index: HashTable<u32>,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap {
            names: Vec::new(),
            ends: Vec::new(),
            values: Vec::new(),
            live: 0,
            index: HashTable::new(),
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for NameMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(name, v)| (String::from_utf8_lossy(name), v)))
            .finish()
    }
}

fn hash(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

/// The name at position `at`, given every name and where each ends.
fn name_in<'a>(names: &'a [u8], ends: &[u32], at: usize) -> &'a [u8] {
    let start = if at == 0 { 0 } else { ends[at - 1] as usize };
    &names[start..ends[at] as usize]
}

impl<V> NameMap<V> {
    /// Number of names with a record.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Whether no name has a record.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn name(&self, at: usize) -> &[u8] {
        name_in(&self.names, &self.ends, at)
    }

    fn position(&self, name: &[u8]) -> Option<usize> {
        self.index
            .find(hash(name), |&at| self.name(at as usize) == name)
            .map(|&at| at as usize)
    }

    /// The record of `name`.
    pub(crate) fn get(&self, name: &[u8]) -> Option<&V> {
        self.values[self.position(name)?].as_ref()
    }

    /// The record of `name` and its position, which stays the same until
    /// the map is encoded: positions are below [`positions`](Self::positions).
    pub(crate) fn find(&self, name: &[u8]) -> Option<(usize, &V)> {
        let at = self.position(name)?;
        Some((at, self.values[at].as_ref()?))
    }

    /// The number of positions, holes included.
    pub(crate) fn positions(&self) -> usize {
        self.values.len()
    }

    /// The record of `name`, to change it.
    pub(crate) fn get_mut(&mut self, name: &[u8]) -> Option<&mut V> {
        let at = self.position(name)?;
        self.values[at].as_mut()
    }

    /// Records `value` for `name`, replacing its record if it has one;
    /// returns its position.
    pub(crate) fn insert(&mut self, name: &[u8], value: V) -> usize {
        if let Some(at) = self.position(name) {
            if self.values[at].is_none() {
                self.live += 1;
            }
            self.values[at] = Some(value);
            return at;
        }
        let at = self.push(name, value);
        let Self { names, ends, index, .. } = self;
        index.insert_unique(hash(name), at, |&other| hash(name_in(names, ends, other as usize)));
        at as usize
    }

    /// Appends an entry without indexing it.
    fn push(&mut self, name: &[u8], value: V) -> u32 {
        let at = u32::try_from(self.values.len()).expect("fewer than 2^32 names");
        self.names.extend_from_slice(name);
        self.ends
            .push(u32::try_from(self.names.len()).expect("names shorter than 4 GiB in all"));
        self.values.push(Some(value));
        self.live += 1;
        at
    }

    /// Removes the record of `name`, if any.
    pub(crate) fn remove(&mut self, name: &[u8]) {
        if let Some(at) = self.position(name)
            && self.values[at].take().is_some()
        {
            self.live -= 1;
        }
    }

    /// Keeps only the records for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&[u8], &V) -> bool) {
        for at in 0..self.values.len() {
            let name = name_in(&self.names, &self.ends, at);
            if self.values[at].as_ref().is_some_and(|v| !keep(name, v)) {
                self.values[at] = None;
                self.live -= 1;
            }
        }
    }

    /// Every name with its record, in the order they were first inserted.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.entries().map(|(_, name, value)| (name, value))
    }

    /// Every name with its position and record, in the order they were
    /// first inserted.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, &[u8], &V)> {
        (0..self.values.len()).filter_map(|at| Some((at, self.name(at), self.values[at].as_ref()?)))
    }

    /// Indexes every entry (after decoding); `false` if a name is there
    /// twice.
    fn reindex(&mut self) -> bool {
        let mut index = HashTable::with_capacity(self.values.len());
        for at in 0..self.values.len() {
            let name = self.name(at);
            let h = hash(name);
            if index.find(h, |&other| self.name(other as usize) == name).is_some() {
                return false;
            }
            index.insert_unique(h, at as u32, |&other| hash(self.name(other as usize)));
        }
        self.index = index;
        true
    }
}

/// Encoded as three fields: the names' bytes, where each ends, and the
/// records, without the holes left by removals.
impl<V: Serialize> Serialize for NameMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(3)?;
        if self.live == self.values.len() {
            tuple.serialize_element(&Bytes(&self.names))?;
            tuple.serialize_element(&self.ends)?;
            tuple.serialize_element(&Live(&self.values, self.live))?;
        } else {
            let mut names = Vec::with_capacity(self.names.len());
            let mut ends = Vec::with_capacity(self.live);
            for (name, _) in self.iter() {
                names.extend_from_slice(name);
                ends.push(names.len() as u32);
            }
            tuple.serialize_element(&Bytes(&names))?;
            tuple.serialize_element(&ends)?;
            tuple.serialize_element(&Live(&self.values, self.live))?;
        }
        tuple.end()
    }
}

/// The records of a map, holes left out, and how many there are.
struct Live<'a, V>(&'a [Option<V>], usize);

impl<V: Serialize> Serialize for Live<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.1))?;
        for value in self.0.iter().flatten() {
            seq.serialize_element(value)?;
        }
        seq.end()
    }
}

/// Bytes encoded as one byte string (its length, then the bytes), not as a
/// sequence of numbers.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// A byte string decoded in one piece.
struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl Visitor<'_> for BytesVisitor {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        deserializer.deserialize_byte_buf(BytesVisitor)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for NameMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = NameMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("names, their ends and their records")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NameMap<V>, A::Error> {
                let missing = || de::Error::custom("a name map has three fields");
                let ByteBuf(names) = seq.next_element()?.ok_or_else(missing)?;
                let ends: Vec<u32> = seq.next_element()?.ok_or_else(missing)?;
                let values: Vec<V> = seq.next_element()?.ok_or_else(missing)?;
                let ordered = ends.windows(2).all(|w| w[0] <= w[1]);
                if ends.len() != values.len() || !ordered || ends.last().is_some_and(|&e| e as usize != names.len()) {
                    return Err(de::Error::custom("a name map's names do not match its records"));
                }
                if ends.is_empty() && !names.is_empty() {
                    return Err(de::Error::custom("a name map's names do not match its records"));
                }
                let mut map = NameMap {
                    live: values.len(),
                    values: values.into_iter().map(Some).collect(),
                    names,
                    ends,
                    index: HashTable::new(),
                };
                if !map.reindex() {
                    return Err(de::Error::custom("a name map holds a name twice"));
                }
                Ok(map)
            }
        }
        deserializer.deserialize_tuple(3, MapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_replace_removals_leave_holes_and_encoding_drops_them() {
        let mut map = NameMap::default();
        map.insert(b"css/a.css", 1);
        map.insert(b"css/b.css", 2);
        map.insert(b"js/c.js", 3);
        map.insert(b"css/a.css", 10);
        assert_eq!(map.len(), 3);
        assert_eq!(map.get(b"css/a.css"), Some(&10));
        map.remove(b"css/b.css");
        map.remove(b"missing");
        assert_eq!(map.len(), 2);
        assert_eq!(map.get(b"css/b.css"), None);
        *map.get_mut(b"js/c.js").unwrap() += 1;

        let bytes = postcard::to_allocvec(&map).unwrap();
        let decoded: NameMap<i32> = postcard::from_bytes(&bytes).unwrap();
        let entries: Vec<(&[u8], &i32)> = decoded.iter().collect();
        assert_eq!(entries, [(&b"css/a.css"[..], &10), (&b"js/c.js"[..], &4)]);
        assert_eq!(decoded.len(), 2);

        // A hole is filled by the next insertion of its name, at its
        // position.
        assert_eq!(map.find(b"css/b.css"), None);
        assert_eq!(map.insert(b"css/b.css", 5), 1);
        assert_eq!(map.find(b"css/b.css"), Some((1, &5)));
        assert_eq!(map.insert(b"img/d.png", 6), 3);
        assert_eq!(map.positions(), 4);
        map.remove(b"img/d.png");
        assert_eq!(map.len(), 3);
        map.retain(|name, _| name.starts_with(b"css/"));
        assert_eq!(map.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [10, 5]);
    }

    #[test]
    fn a_damaged_map_does_not_decode() {
        let mut map = NameMap::default();
        map.insert(b"a", 1u8);
        map.insert(b"b", 2u8);
        let bytes = postcard::to_allocvec(&map).unwrap();
        // A name twice: the same bytes under two ends.
        let twice = postcard::to_allocvec(&(Bytes(b"aa"), vec![1u32, 2], vec![1u8, 2])).unwrap();
        assert!(postcard::from_bytes::<NameMap<u8>>(&twice).is_err());
        // Ends past the names.
        let past = postcard::to_allocvec(&(Bytes(b"ab"), vec![1u32, 3], vec![1u8, 2])).unwrap();
        assert!(postcard::from_bytes::<NameMap<u8>>(&past).is_err());
        assert!(postcard::from_bytes::<NameMap<u8>>(&bytes[..bytes.len() - 1]).is_err());
        assert!(postcard::from_bytes::<NameMap<u8>>(&bytes).is_ok());
    }
}
