//! HTTP headers each uploaded object gets.

/// `Cache-Control` of content-hashed names: a new content gets a new name,
/// so the old one can be cached for a year and never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` of names whose content changes between releases (the
/// unhashed originals and the manifest).
pub fn short_lived(max_age_secs: u64) -> String {
    format!("public, max-age={max_age_secs}")
}

/// `Content-Type` for a name, with `charset=utf-8` for text.
pub fn content_type(name: &str) -> String {
    asset_build::content_type(name)
}
