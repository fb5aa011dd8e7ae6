//! Single byte ranges (RFC 9110 §14.1.2).

use std::ops::Range;

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// Ignore it and send everything (absent, not bytes, several ranges, or
    /// malformed: RFC 9110 lets a server ignore those).
    Full,
    /// Send these bytes with 206.
    Part(Range<u64>),
    /// 416 Range Not Satisfiable.
    Unsatisfiable,
}

/// Interprets a `Range` header.
pub(crate) fn parse(header: Option<&str>, len: u64) -> Ranged {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ranged::Full;
    };
    if spec.contains(',') {
        return Ranged::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| s.parse::<u64>().ok().filter(|_| s.bytes().all(|b| b.is_ascii_digit()));
    match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if len == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part(len.saturating_sub(n)..len),
            None => Ranged::Full,
        },
        // bytes=N- : from N to the end.
        (false, true) => match number(first) {
            Some(start) if start < len => Ranged::Part(start..len),
            Some(_) => Ranged::Unsatisfiable,
            None => Ranged::Full,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start > end => Ranged::Full,
            (Some(start), Some(_)) if start >= len => Ranged::Unsatisfiable,
            (Some(start), Some(end)) => Ranged::Part(start..end.min(len - 1) + 1),
            _ => Ranged::Full,
        },
        (true, true) => Ranged::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(parse(Some("bytes=0-9"), 100), Ranged::Part(0..10));
        assert_eq!(parse(Some("bytes=90-200"), 100), Ranged::Part(90..100));
        assert_eq!(parse(Some("bytes=95-"), 100), Ranged::Part(95..100));
        assert_eq!(parse(Some("bytes=-5"), 100), Ranged::Part(95..100));
        assert_eq!(parse(Some("bytes=-500"), 100), Ranged::Part(0..100));
        assert_eq!(parse(Some("bytes=100-"), 100), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 100), Ranged::Unsatisfiable);
    }

    #[test]
    fn ignored_forms() {
        assert_eq!(parse(None, 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=0-1,5-6"), 100), Ranged::Full);
        assert_eq!(parse(Some("items=0-1"), 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=9-1"), 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=a-b"), 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=+1-2"), 100), Ranged::Full);
    }
}
