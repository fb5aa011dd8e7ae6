//! `staticfiles.json`, in the format of Django's
//! `ManifestStaticFilesStorage` (version 1.1).
//!
//! ```json
//! {"paths": {"css/base.css": "css/base.d1833e6a1b2c.css"}, "version": "1.1", "hash": "4ff2a1a9d1c5"}
//! ```
//!
//! [`Manifest::to_json`] writes what Python's `json.dumps` writes by
//! default (`", "` and `": "` separators, non-ASCII escaped as `\uXXXX`,
//! no trailing newline), with `paths` sorted so the file is deterministic.
//! `hash` is the first 12 hex digits of the MD5 of
//! `json.dumps(sorted(paths.items()))`, exactly as Django computes it, so
//! the same tree gives the same `hash` in both. [`Manifest::parse`] reads
//! versions 1.0 and 1.1, as Django does, and refuses names that could
//! climb out of the folder.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde::Deserialize;

use crate::names;

/// What `staticfiles.json` starts with, before its entries.
const PATHS_START: &str = "{\"paths\": {";
/// What comes between its entries and the value of its `hash`.
const HASH_START: &str = "}, \"version\": \"1.1\", \"hash\": \"";

/// The manifest of a collected folder: logical name → hashed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Logical name → hashed name.
    pub paths: BTreeMap<String, String>,
    /// The manifest's `hash` field, or the MD5 of its bytes (first 12 hex
    /// digits) when it has none (version 1.0).
    pub hash: String,
}

#[derive(Deserialize)]
struct Raw {
    paths: BTreeMap<String, String>,
    version: String,
    hash: Option<String>,
}

impl Manifest {
    /// A manifest of `paths`, with its `hash` computed as Django does.
    pub fn new(paths: BTreeMap<String, String>) -> Manifest {
        let hash = django_hash(&paths);
        Manifest { paths, hash }
    }

    /// The bytes of `staticfiles.json`, as Django writes them.
    pub fn to_json(&self) -> Vec<u8> {
        let mut text = String::with_capacity(self.paths.len() * 64 + 64);
        text.push_str(PATHS_START);
        for (i, (name, hashed)) in self.paths.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            push_json_string(&mut text, name);
            text.push_str(": ");
            push_json_string(&mut text, hashed);
        }
        text.push_str(HASH_START);
        text.push_str(&self.hash);
        text.push_str("\"}");
        text.into_bytes()
    }

    /// Changes the hashed names of some entries of a manifest's bytes as
    /// [`to_json`](Self::to_json) writes them, in place, and its `hash`;
    /// returns the new `hash`. `changes` are (logical name, new hashed
    /// name), each hashed name as long as the one it replaces (the hash in
    /// a name has a fixed length). One pass over the bytes, without a map
    /// of the entries: what a rebuild after an edit needs. `None`, with the
    /// bytes in an unspecified state, if they are not as `to_json` writes
    /// them, a name is not among them, or a length differs.
    pub fn patch_json(bytes: &mut [u8], changes: &[(&str, &str)]) -> Option<String> {
        let mut wanted: Vec<(String, String)> = changes
            .iter()
            .map(|(name, hashed)| {
                let (mut n, mut h) = (String::new(), String::new());
                push_json_string(&mut n, name);
                push_json_string(&mut h, hashed);
                (n, h)
            })
            .collect();
        wanted.sort_unstable();
        let mut found = 0;
        if !bytes.starts_with(PATHS_START.as_bytes()) {
            return None;
        }
        // Django's hash is over `[["name", "hashed"], ...]`.
        let mut listed = Vec::with_capacity(bytes.len() + bytes.len() / 16);
        listed.push(b'[');
        let mut at = PATHS_START.len();
        let mut first = true;
        while bytes.get(at) != Some(&b'}') {
            if !first {
                if bytes.get(at..at + 2) != Some(b", ".as_slice()) {
                    return None;
                }
                at += 2;
            }
            first = false;
            let key_end = json_string_end(bytes, at)?;
            let value = key_end
                .checked_add(2)
                .filter(|&v| bytes.get(key_end..v) == Some(b": ".as_slice()))?;
            let value_end = json_string_end(bytes, value)?;
            if let Ok(i) = wanted.binary_search_by(|(name, _)| name.as_bytes().cmp(&bytes[at..key_end])) {
                let hashed = wanted[i].1.as_bytes();
                if hashed.len() != value_end - value {
                    return None;
                }
                bytes[value..value_end].copy_from_slice(hashed);
                found += 1;
            }
            if listed.len() > 1 {
                listed.extend_from_slice(b", ");
            }
            listed.push(b'[');
            listed.extend_from_slice(&bytes[at..key_end]);
            listed.extend_from_slice(b", ");
            listed.extend_from_slice(&bytes[value..value_end]);
            listed.push(b']');
            at = value_end;
        }
        listed.push(b']');
        let hash_at = at + HASH_START.len();
        if found != wanted.len() || bytes.get(at..hash_at)? != HASH_START.as_bytes() || bytes.len() != hash_at + 12 + 2
        {
            return None;
        }
        let hash = hash_text(&listed);
        bytes[hash_at..hash_at + 12].copy_from_slice(hash.as_bytes());
        Some(hash)
    }

    /// Parses manifest bytes; versions 1.0 and 1.1 are accepted, as Django does.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if raw.version != "1.0" && raw.version != "1.1" {
            return Err(format!("unsupported version `{}` (expected 1.0 or 1.1)", raw.version));
        }
        for (name, hashed) in &raw.paths {
            if let Some(problem) = names::problem(name).or_else(|| names::problem(hashed)) {
                return Err(format!("unsafe name `{name}` → `{hashed}`: {problem}"));
            }
        }
        let hash = match raw.hash {
            Some(hash) if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_alphanumeric()) => hash,
            Some(hash) if !hash.is_empty() => return Err(format!("invalid hash `{hash}`")),
            _ => {
                let digest = Md5::digest(bytes);
                digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
            }
        };
        Ok(Manifest { paths: raw.paths, hash })
    }

    /// Every name the manifest makes the store serve: logical and hashed.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()])
    }

    /// Whether `name` is one of [`names`](Self::names): a logical name, or
    /// the hashed name one maps to. Two lookups, no walk of the entries.
    ///
    /// ```
    /// use asset_contract::Manifest;
    /// let manifest = Manifest::new([("css/a.css".into(), "css/a.0123456789ab.css".into())].into());
    /// assert!(manifest.lists("css/a.css") && manifest.lists("css/a.0123456789ab.css"));
    /// assert!(!manifest.lists("css/a.ffffffffffff.css") && !manifest.lists("css/b.css"));
    /// ```
    pub fn lists(&self, name: &str) -> bool {
        self.paths.contains_key(name)
            || names::unhashed(name)
                .any(|(stem, ext)| self.paths.get(&format!("{stem}{ext}")).is_some_and(|h| h == name))
    }
}

/// Django's manifest `hash`: the MD5 of `json.dumps(sorted(paths.items()))`,
/// first 12 hex digits.
fn django_hash(paths: &BTreeMap<String, String>) -> String {
    let mut text = String::with_capacity(paths.len() * 64);
    text.push('[');
    for (i, (name, hashed)) in paths.iter().enumerate() {
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
    hash_text(text.as_bytes())
}

/// The first 12 hex digits of the MD5 of Django's `json.dumps` of the
/// sorted entries.
fn hash_text(listed: &[u8]) -> String {
    Md5::digest(listed).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Where the JSON string starting at `at` (its opening quote) ends, just
/// after its closing quote.
fn json_string_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// A JSON string as Python's `json.dumps` writes it with `ensure_ascii`:
/// everything outside printable ASCII is escaped, characters beyond the
/// Basic Multilingual Plane as surrogate pairs.
fn push_json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    if s.bytes().all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
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
    fn writes_what_it_reads() {
        let paths = BTreeMap::from([
            ("b".to_owned(), "b.0123456789ab".to_owned()),
            ("a.css".to_owned(), "a.0123456789ab.css".to_owned()),
        ]);
        let manifest = Manifest::new(paths);
        let text = String::from_utf8(manifest.to_json()).unwrap();
        assert!(text.starts_with(
            r#"{"paths": {"a.css": "a.0123456789ab.css", "b": "b.0123456789ab"}, "version": "1.1", "hash": ""#
        ));
        assert!(text.ends_with("\"}"));
        assert_eq!(manifest.hash.len(), 12);
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), manifest);
    }

    #[test]
    fn a_patched_manifest_is_the_manifest_of_the_changed_entries() {
        let paths: BTreeMap<String, String> = [
            ("a.css", "a.0123456789ab.css"),
            ("caf\u{e9} \"q\".png", "caf\u{e9} \"q\".0123456789ab.png"),
            ("js/app.js", "js/app.0123456789ab.js"),
            ("z", "z.0123456789ab"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut bytes = Manifest::new(paths.clone()).to_json();
        let changes = [
            ("js/app.js", "js/app.fedcba987654.js"),
            ("caf\u{e9} \"q\".png", "caf\u{e9} \"q\".fedcba987654.png"),
        ];
        let hash = Manifest::patch_json(&mut bytes, &changes).unwrap();
        let mut changed = paths.clone();
        for (name, hashed) in changes {
            changed.insert(name.to_owned(), hashed.to_owned());
        }
        let expected = Manifest::new(changed);
        assert_eq!(hash, expected.hash);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            String::from_utf8(expected.to_json()).unwrap()
        );

        // A name that is not there, or a hashed name of another length.
        let original = Manifest::new(paths).to_json();
        assert!(Manifest::patch_json(&mut original.clone(), &[("b.css", "b.0123456789ab.css")]).is_none());
        assert!(Manifest::patch_json(&mut original.clone(), &[("z", "z.0123")]).is_none());
        assert!(Manifest::patch_json(&mut b"{}".to_vec(), &[]).is_none());
        let mut cut = original.clone();
        cut.truncate(original.len() - 5);
        assert!(Manifest::patch_json(&mut cut, &[]).is_none());
        // No change: the same bytes.
        let mut same = original.clone();
        Manifest::patch_json(&mut same, &[]).unwrap();
        assert_eq!(same, original);
    }

    #[test]
    fn parses_django_manifests() {
        let m =
            Manifest::parse(br#"{"paths": {"a.css": "a.0123456789ab.css"}, "version": "1.1", "hash": "abcdef012345"}"#)
                .unwrap();
        assert_eq!(m.paths["a.css"], "a.0123456789ab.css");
        assert_eq!(m.hash, "abcdef012345");
        let old = Manifest::parse(br#"{"paths": {}, "version": "1.0"}"#).unwrap();
        assert_eq!(old.hash.len(), 12);
    }

    #[test]
    fn rejects_bad_manifests() {
        assert!(Manifest::parse(b"{").is_err());
        assert!(
            Manifest::parse(br#"{"paths": {}, "version": "2"}"#)
                .unwrap_err()
                .contains("version")
        );
        let escape = br#"{"paths": {"a": "../etc/passwd"}, "version": "1.1", "hash": "x"}"#;
        assert!(Manifest::parse(escape).unwrap_err().contains("unsafe"));
    }
}
