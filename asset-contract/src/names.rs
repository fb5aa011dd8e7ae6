//! Hashed names: `css/base.css` → `css/base.d1833e6a1b2c.css`.
//!
//! The first 12 hex digits of the MD5 of the content go before the last
//! extension, as Django's `HashedFilesMixin` does, splitting the extension
//! as Python's `os.path.splitext`.

/// Number of hex digits of the MD5 in a hashed name.
pub const HASH_LEN: usize = 12;

/// `root.<hash>.ext` for a `/`-separated name; `hash` is the hex MD5 of
/// the content (only its first [`HASH_LEN`] digits are used).
///
/// ```
/// use asset_contract::names::hashed_name;
/// let md5 = "d41d8cd98f00b204e9800998ecf8427e";
/// assert_eq!(hashed_name("css/main.css", md5), "css/main.d41d8cd98f00.css");
/// assert_eq!(hashed_name("main.css.map", md5), "main.css.d41d8cd98f00.map");
/// assert_eq!(hashed_name("LICENSE", md5), "LICENSE.d41d8cd98f00");
/// ```
pub fn hashed_name(name: &str, hash: &str) -> String {
    let short = &hash[..HASH_LEN.min(hash.len())];
    let (dir, file) = match name.rfind('/') {
        Some(i) => name.split_at(i + 1),
        None => ("", name),
    };
    let (root, ext) = split_ext(file);
    let mut hashed = String::with_capacity(name.len() + 1 + short.len());
    for part in [dir, root, ".", short, ext] {
        hashed.push_str(part);
    }
    hashed
}

/// Whether a manifest entry (`name` → `hashed`) is of a file whose name
/// already carried a hash of its content when it was collected (a
/// bundler's `assets/index-BdcB2Kx1.js`): such a name maps to itself, is
/// one file (not an original and a hashed copy), and is served and
/// uploaded as immutable. A name hashed by the build never maps to itself.
///
/// ```
/// use asset_contract::names::is_prehashed;
/// assert!(is_prehashed("assets/index-BdcB2Kx1.js", "assets/index-BdcB2Kx1.js"));
/// assert!(!is_prehashed("css/main.css", "css/main.d41d8cd98f00.css"));
/// ```
pub fn is_prehashed(name: &str, hashed: &str) -> bool {
    name == hashed
}

/// Python's `os.path.splitext` on a file name: the extension starts at the
/// last dot, unless only dots precede it (`.bashrc`, `..x`).
///
/// ```
/// use asset_contract::names::split_ext;
/// assert_eq!(split_ext("a.tar.gz"), ("a.tar", ".gz"));
/// assert_eq!(split_ext(".bashrc"), (".bashrc", ""));
/// ```
pub fn split_ext(file: &str) -> (&str, &str) {
    match file.rfind('.') {
        Some(dot) if file[..dot].bytes().any(|b| b != b'.') => file.split_at(dot),
        _ => (file, ""),
    }
}

/// The logical names `hashed` may be the hashed name of, each as two parts
/// to join (`css/base` + `.css` for `css/base.d1833e6a1b2c.css`): the name
/// with the `.<hash>` before the last extension taken out, and the name
/// with a final `.<hash>` taken out (a name with no extension). At most two,
/// and only where [`HASH_LEN`] lowercase hex digits stand; a caller that
/// finds such a name still checks that its hashed name is `hashed`.
///
/// ```
/// use asset_contract::names::unhashed;
/// let joined: Vec<String> = unhashed("css/main.d41d8cd98f00.css").map(|(a, b)| format!("{a}{b}")).collect();
/// assert_eq!(joined, ["css/main.css"]);
/// let joined: Vec<String> = unhashed("LICENSE.d41d8cd98f00").map(|(a, b)| format!("{a}{b}")).collect();
/// assert_eq!(joined, ["LICENSE"]);
/// assert_eq!(unhashed("css/main.css").count(), 0);
/// ```
pub fn unhashed(hashed: &str) -> impl Iterator<Item = (&str, &str)> {
    let file_start = hashed.rfind('/').map_or(0, |i| i + 1);
    // `.<hash>` ending at `end`, within the file name.
    let hash_before = move |end: usize| {
        let start = end.checked_sub(HASH_LEN + 1)?;
        let digits = hashed.as_bytes().get(start + 1..end)?;
        (start >= file_start
            && hashed.as_bytes()[start] == b'.'
            && digits.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
        .then_some(start)
    };
    let before_ext = hashed[file_start..]
        .rfind('.')
        .and_then(|dot| hash_before(file_start + dot))
        .map(|start| (&hashed[..start], &hashed[start + HASH_LEN + 1..]));
    let at_end = hash_before(hashed.len()).map(|start| (&hashed[..start], ""));
    before_ext.into_iter().chain(at_end)
}

/// What makes `name` unfit to be an asset's name, a key under a prefix, or
/// a path below an output folder, if anything: it must be relative and
/// `/`-separated, with no empty, `.` or `..` part (so it stays inside the
/// folder it is joined to), no backslash (a separator on Windows) and no
/// control character (which would break a line of output, such as a
/// `cargo::` directive).
///
/// ```
/// use asset_contract::names::problem;
/// assert_eq!(problem("css/base.css"), None);
/// assert!(problem("../secret").is_some());
/// assert!(problem("/etc/passwd").is_some());
/// assert!(problem("a\\b").is_some());
/// assert!(problem("a\nb").is_some());
/// assert!(problem("a//b").is_some());
/// ```
pub fn problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.starts_with('/') {
        Some("it is absolute")
    } else if name.contains('\\') {
        Some("it holds a backslash")
    } else if name.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        Some("it has an empty, `.` or `..` part")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_the_last_extension_only() {
        let d = "d41d8cd98f00b204e9800998ecf8427e";
        assert_eq!(hashed_name("css/main.css", d), "css/main.d41d8cd98f00.css");
        assert_eq!(hashed_name("main.css.map", d), "main.css.d41d8cd98f00.map");
        assert_eq!(hashed_name("LICENSE", d), "LICENSE.d41d8cd98f00");
        assert_eq!(hashed_name("a/.hidden", d), "a/.hidden.d41d8cd98f00");
        assert_eq!(hashed_name("a/..x", d), "a/..x.d41d8cd98f00");
        assert_eq!(hashed_name("a.", d), "a.d41d8cd98f00.");
        assert_eq!(hashed_name("v1.2/x", d), "v1.2/x.d41d8cd98f00");
    }

    #[test]
    fn every_hashed_name_leads_back_to_its_name() {
        let d = "0123456789abcdef0123456789abcdef";
        for name in [
            "css/main.css",
            "main.css.map",
            "LICENSE",
            "a/.hidden",
            "a/..x",
            "a.",
            "v1.2/x",
            "x.0123456789ab",
            "img/é t.png",
            "0123456789ab/.0123456789ab",
        ] {
            let hashed = hashed_name(name, d);
            let candidates: Vec<String> = unhashed(&hashed).map(|(a, b)| format!("{a}{b}")).collect();
            assert!(
                candidates.iter().any(|c| c == name),
                "{name} → {hashed} → {candidates:?}"
            );
            assert!(candidates.len() <= 2);
        }
        for not_hashed in [
            "",
            "css/main.css",
            "a.0123456789AB.css",
            "x/.0123456789a",
            "0123456789ab/x",
        ] {
            assert_eq!(unhashed(not_hashed).count(), 0, "{not_hashed}");
        }
    }
}
