//! Conditional requests (RFC 9110 §13): `If-None-Match`,
//! `If-Modified-Since` and `If-Range`.

use std::time::SystemTime;

/// Whether `If-None-Match` matches `etag`: `*`, or any listed tag equal by
/// the weak comparison (RFC 9110 §13.1.2: a `W/` prefix is ignored).
pub(crate) fn none_match(header: &str, etag: &str) -> bool {
    header.trim() == "*"
        || header
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == etag)
}

/// Whether the representation is unmodified since the `If-Modified-Since`
/// date (RFC 9110 §13.1.3), at one-second precision. Unparsable dates are
/// ignored.
pub(crate) fn not_modified_since(header: &str, last_modified: SystemTime) -> bool {
    match httpdate::parse_http_date(header.trim()) {
        Ok(since) => seconds(last_modified) <= seconds(since),
        Err(_) => false,
    }
}

/// Whether a `Range` may be honoured under `If-Range` (RFC 9110 §13.1.5):
/// an entity tag must match by the strong comparison (never a weak tag); a
/// date must equal the last modification exactly.
pub(crate) fn range_allowed(if_range: Option<&str>, etag: &str, last_modified: Option<SystemTime>) -> bool {
    let Some(value) = if_range.map(str::trim) else {
        return true;
    };
    if value.starts_with('"') {
        return value == etag;
    }
    if value.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(value), last_modified) {
        (Ok(date), Some(modified)) => seconds(date) == seconds(modified),
        _ => false,
    }
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn if_none_match_uses_weak_comparison() {
        assert!(none_match("\"abc\"", "\"abc\""));
        assert!(none_match("W/\"abc\"", "\"abc\""));
        assert!(none_match("\"x\", \"abc\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abd\"", "\"abc\""));
    }

    #[test]
    fn if_modified_since_at_second_precision() {
        let modified = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
        assert!(not_modified_since("Tue, 14 Nov 2023 22:13:20 GMT", modified));
        assert!(!not_modified_since("Tue, 14 Nov 2023 22:13:19 GMT", modified));
        assert!(!not_modified_since("yesterday", modified));
    }

    #[test]
    fn if_range_needs_a_strong_match() {
        assert!(range_allowed(None, "\"a\"", None));
        assert!(range_allowed(Some("\"a\""), "\"a\"", None));
        assert!(!range_allowed(Some("W/\"a\""), "\"a\"", None));
        assert!(!range_allowed(Some("\"b\""), "\"a\"", None));
    }
}
