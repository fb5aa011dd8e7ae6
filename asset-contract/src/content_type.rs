//! The `Content-Type` of an asset, from its name.

/// The `Content-Type` header value for a file name: the guessed MIME type,
/// with `; charset=utf-8` for text. JavaScript is `text/javascript`
/// (RFC 9239), source maps are JSON; an unknown type is
/// `application/octet-stream`.
///
/// ```
/// assert_eq!(asset_contract::content_type("css/a.css"), "text/css; charset=utf-8");
/// assert_eq!(asset_contract::content_type("img/a.png"), "image/png");
/// ```
pub fn content_type(name: &str) -> String {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let essence = if name.ends_with(".map") {
        "application/json"
    } else {
        match mime.essence_str() {
            "application/javascript" | "application/x-javascript" => "text/javascript",
            "application/font-woff" => "font/woff",
            other => other,
        }
    };
    let texty = essence.starts_with("text/")
        || matches!(
            essence,
            "application/json"
                | "application/manifest+json"
                | "application/ld+json"
                | "application/xml"
                | "image/svg+xml"
        );
    if texty {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn common_types() {
        assert_eq!(content_type("a/b.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("logo.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type("f.woff2"), "font/woff2");
        assert_eq!(content_type("f.woff"), "font/woff");
        assert_eq!(content_type("app.js.map"), "application/json; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
