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
    format!("{dir}{root}.{short}{ext}")
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
}
