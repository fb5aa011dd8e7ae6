//! The HTML that page helpers ([`vite`](crate::vite),
//! [`importmap`](crate::importmap)) write: tags that load an asset, with
//! its integrity, and attribute and script-text escaping.

use std::fmt::Write as _;

use crate::asset::Asset;

/// Appends `open`, the asset's URL, its integrity attributes and `close`,
/// on a line of its own.
pub(crate) fn tag(html: &mut String, open: &str, asset: Asset, close: &str) {
    if !html.is_empty() {
        html.push('\n');
    }
    html.push_str(open);
    escape_attribute(html, asset.url());
    html.push('"');
    let integrity = asset.integrity_in_page();
    if !integrity.is_empty() {
        // A stylesheet or script from another origin (a CDN) is checked
        // only when fetched with CORS.
        let _ = write!(html, " integrity=\"{integrity}\" crossorigin=\"anonymous\"");
    }
    html.push_str(close);
}

/// HTML attribute escaping, for a value between double quotes.
pub(crate) fn escape_attribute(html: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '"' => html.push_str("&quot;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            c => html.push(c),
        }
    }
}

/// `text` as a JSON string, safe inside `<script>`: `<`, `>` and `&` are
/// escaped too, so no `</script>` can end the element early.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_escaped() {
        let mut html = String::new();
        escape_attribute(&mut html, "/s/a?x=1&y=\"<>\"");
        assert_eq!(html, "/s/a?x=1&amp;y=&quot;&lt;&gt;&quot;");
    }

    #[test]
    fn json_strings_cannot_end_a_script() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c</script>&\n\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\u003c/script\u003e\u0026\u000a\u2028é""#);
    }
}
