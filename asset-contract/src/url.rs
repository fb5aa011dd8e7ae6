//! URLs of assets: the base URL (`/static/`, or a CDN's) followed by the
//! name, percent-encoded as Django's `filepath_to_uri` does.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but `A-Z a-z 0-9 _ . - ~ / ! * ( ) '` is encoded.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/')
    .remove(b'!')
    .remove(b'*')
    .remove(b'(')
    .remove(b')')
    .remove(b'\'');

/// Appends `path`, percent-encoded for use in a URL, to `out`.
///
/// The same rule as Django's `filepath_to_uri`: everything but ASCII
/// letters, digits and `_ . - ~ / ! * ( ) '` is encoded as UTF-8 bytes.
///
/// ```
/// let mut url = String::from("/static/");
/// asset_contract::url::push_encoded_path(&mut url, "img/my photo.png");
/// assert_eq!(url, "/static/img/my%20photo.png");
/// ```
pub fn push_encoded_path(out: &mut String, path: &str) {
    out.extend(utf8_percent_encode(path, PATH));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_filepath_to_uri() {
        let mut out = String::new();
        push_encoded_path(&mut out, "img/my photo+café.png?#x");
        assert_eq!(out, "img/my%20photo%2Bcaf%C3%A9.png%3F%23x");
    }
}
