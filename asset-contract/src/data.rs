//! Little-endian `u32` fields of the small data files beside the table
//! ([`vite`](crate::vite), [`importmap`](crate::importmap)): written with
//! [`put`], read with bounds checks that give `None` instead of panicking.

/// Appends `n` as a little-endian `u32`.
pub(crate) fn put(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).expect("fewer than 2^32").to_le_bytes());
}

/// Appends `text`, after its length.
pub(crate) fn put_str(out: &mut Vec<u8>, text: &str) {
    put(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// The data after `magic`: its count, and the bytes after it.
pub(crate) fn header<'a>(bytes: &'a [u8], magic: &[u8; 8]) -> Option<(u32, &'a [u8])> {
    u32_at(bytes.strip_prefix(magic.as_slice())?)
}

/// A `u32`, and the bytes after it.
pub(crate) fn u32_at(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (n, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_le_bytes(*n), rest))
}

/// A string written by [`put_str`], and the bytes after it.
pub(crate) fn str_at(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let (len, rest) = u32_at(bytes)?;
    let (text, rest) = rest.split_at_checked(len as usize)?;
    Some((std::str::from_utf8(text).ok()?, rest))
}

/// A count, then that many `u32`s: the raw list and what follows it.
pub(crate) fn list_at(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (count, rest) = u32_at(bytes)?;
    rest.split_at_checked((count as usize).checked_mul(4)?)
}

/// The `u32`s of a list read by [`list_at`].
pub(crate) fn indices(list: &[u8]) -> impl Iterator<Item = u32> + '_ {
    list.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}
