//! The `Cache-Control` policy: a hashed name never changes content, so it
//! is cached for a year without revalidation; a logical name (and the
//! manifest) changes with each release, so it is cached briefly.

/// `Cache-Control` of content-hashed names: a new content gets a new name,
/// so the old one can be cached for a year and never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Default `max-age`, in seconds, of names without a content hash.
pub const SHORT_MAX_AGE: u32 = 60;

/// `Cache-Control` in dev mode, where a file changes at every edit:
/// revalidate on every use.
pub const NO_CACHE: &str = "no-cache";

/// `Cache-Control` of names whose content changes between releases (the
/// unhashed originals and the manifest).
///
/// ```
/// assert_eq!(asset_contract::cache::short_lived(60), "public, max-age=60");
/// ```
pub fn short_lived(max_age_secs: u64) -> String {
    format!("public, max-age={max_age_secs}")
}
