//! Step 4: `staticfiles.json`, in the format of Django's
//! `ManifestStaticFilesStorage` (version 1.1).
//!
//! ```json
//! {"paths": {"css/base.css": "css/base.d1833e6a1b2c.css"}, "version": "1.1", "hash": "4ff2a1a9d1c5"}
//! ```
//!
//! The text is what Python's `json.dumps` writes by default (`", "` and
//! `": "` separators, non-ASCII escaped as `\uXXXX`, no trailing newline),
//! with `paths` sorted so the file is deterministic. `hash` is the first 12
//! hex digits of the MD5 of `json.dumps(sorted(paths.items()))`, exactly as
//! Django computes it, so the same tree gives the same `hash` in both.

use crate::hash::{hex, md5_bytes};

/// Django's manifest `hash` of a set of (name, hashed name) pairs.
///
/// `pairs` must be sorted by name.
pub(crate) fn manifest_hash(pairs: &[(&str, &str)]) -> String {
    let mut text = String::with_capacity(pairs.len() * 64);
    text.push('[');
    for (i, (name, hashed)) in pairs.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push('[');
        push_json_string(&mut text, name);
        text.push_str(", ");
        push_json_string(&mut text, hashed);
        text.push(']');
    }
    text.push(']');
    hex(&md5_bytes(text.as_bytes()))[..12].to_owned()
}

/// The bytes of `staticfiles.json` for pairs sorted by name.
pub(crate) fn manifest_json(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::with_capacity(pairs.len() * 64 + 64);
    text.push_str("{\"paths\": {");
    for (i, (name, hashed)) in pairs.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        push_json_string(&mut text, name);
        text.push_str(": ");
        push_json_string(&mut text, hashed);
    }
    text.push_str("}, \"version\": \"1.1\", \"hash\": \"");
    text.push_str(&manifest_hash(pairs));
    text.push_str("\"}");
    text.into_bytes()
}

/// A JSON string as Python's `json.dumps` writes it with `ensure_ascii`:
/// everything outside printable ASCII is escaped, characters beyond the
/// Basic Multilingual Plane as surrogate pairs.
fn push_json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_python() {
        let mut s = String::new();
        push_json_string(&mut s, "caf\u{e9} \"q\"\\\u{1f600}\u{7f}");
        assert_eq!(s, r#""caf\u00e9 \"q\"\\\ud83d\ude00\u007f""#);
    }

    #[test]
    fn manifest_shape() {
        let json = manifest_json(&[("a.css", "a.0123456789ab.css"), ("b", "b.0123456789ab")]);
        let text = String::from_utf8(json).unwrap();
        assert!(text.starts_with(
            r#"{"paths": {"a.css": "a.0123456789ab.css", "b": "b.0123456789ab"}, "version": "1.1", "hash": ""#
        ));
        assert!(text.ends_with("\"}"));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["hash"].as_str().unwrap().len(), 12);
    }
}
