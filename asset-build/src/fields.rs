//! The little-endian fields of the binary files this crate writes (the
//! table, its overlay, the patch state's records), read and written at
//! byte offsets.

/// `n` as a `u32` offset or length: every table is under 4 GiB.
pub(crate) fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("an asset table under 4 GiB")
}

/// Writes `value` at `at`.
pub(crate) fn put_u32(out: &mut [u8], at: usize, value: u32) {
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Writes `value` at `at`.
pub(crate) fn put_u64(out: &mut [u8], at: usize, value: u64) {
    out[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Writes a string's `(offset, length)` pair at `at`.
pub(crate) fn put_span(out: &mut [u8], at: usize, (start, len): (u32, u32)) {
    put_u32(out, at, start);
    put_u32(out, at + 4, len);
}

/// The `u32` at `at`; 0 past the end.
pub(crate) fn get_u32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("four bytes")))
}

/// The `u64` at `at`; 0 past the end.
pub(crate) fn get_u64(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("eight bytes")))
}
