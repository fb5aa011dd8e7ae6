//! Precompressed siblings that appear after their file was published.
//!
//! A hashed file already in the store is skipped, with its siblings; so
//! when precompression is turned on (or a new encoding added), siblings of
//! files published earlier would never be uploaded, since the manifest does
//! not name siblings. But a file's siblings depend only on its content and
//! the encodings the build writes: a release's siblings are known from the
//! set of encodings it has any sibling in.
//!
//! The sync therefore writes that set with the manifest, as its
//! *signature* (`v1:br,gz`, `v1:br,zst,gz` with zstd siblings; `v1:` for
//! none), and reads it back in the same
//! request that reads the manifest. When the signatures match, the siblings
//! of every file in place are in place too, and a deploy with nothing
//! changed stays one request. When they differ, the siblings in encodings
//! the store's release lacks are uploaded for every file, and the manifest
//! is written again with the new signature. A manifest without a signature
//! (written by another tool or an earlier version) counts as having no
//! siblings.

use asset_contract::Encoding;

/// Version of the signature's format.
const VERSION: &str = "v1:";

/// The signature of a release with siblings in `encodings`.
///
/// ```
/// use asset_contract::Encoding;
/// assert_eq!(asset_sync::variants::signature(&[Encoding::Br, Encoding::Gzip]), "v1:br,gz");
/// assert_eq!(asset_sync::variants::signature(&[]), "v1:");
/// let all = [Encoding::Gzip, Encoding::Zstd, Encoding::Br];
/// assert_eq!(asset_sync::variants::signature(&all), "v1:br,zst,gz");
/// ```
pub fn signature(encodings: &[Encoding]) -> String {
    let names: Vec<&str> = Encoding::ALL
        .into_iter()
        .filter(|e| encodings.contains(e))
        .map(Encoding::extension)
        .collect();
    format!("{VERSION}{}", names.join(","))
}

/// The encodings a signature names; `None` for a signature of another
/// format (treated as no siblings).
pub fn parse(signature: &str) -> Option<Vec<Encoding>> {
    let list = signature.strip_prefix(VERSION)?;
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|ext| Encoding::ALL.into_iter().find(|e| e.extension() == ext))
        .collect()
}

/// The encodings of `local` that a store whose manifest carries `remote`
/// may lack siblings in.
pub(crate) fn missing(local: &[Encoding], remote: Option<&str>) -> Vec<Encoding> {
    let published = remote.and_then(parse).unwrap_or_default();
    local.iter().copied().filter(|e| !published.contains(e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip_and_name_what_is_missing() {
        let both = [Encoding::Gzip, Encoding::Br];
        assert_eq!(parse(&signature(&both)), Some(vec![Encoding::Br, Encoding::Gzip]));
        assert_eq!(parse("v1:"), Some(vec![]));
        assert_eq!(parse("v2:br"), None);
        assert_eq!(parse("v1:zz"), None);
        assert_eq!(missing(&both, Some("v1:br")), [Encoding::Gzip]);
        assert_eq!(missing(&both, Some("v1:br,gz")), []);
        assert_eq!(missing(&both, None), both);
        assert_eq!(missing(&[], Some("v1:br,gz")), []);
        // zstd turned on later: only its siblings are missing; the
        // signature of a release without them is unchanged.
        let all = Encoding::ALL;
        assert_eq!(parse("v1:br,zst,gz"), Some(all.to_vec()));
        assert_eq!(missing(&all, Some("v1:br,gz")), [Encoding::Zstd]);
        assert_eq!(missing(&all, Some(&signature(&all))), []);
        assert_eq!(missing(&both, Some("v1:br,zst,gz")), []);
    }
}
