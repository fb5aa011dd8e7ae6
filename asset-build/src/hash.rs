//! Step 2: the MD5 (for names) of every collected file, and the SHA-384
//! (for integrity values) of those a page loads with an `integrity`
//! attribute ([`IntegrityFor`]), read once, on all cores.
//!
//! A file whose (path, size, modification time) match what the last build
//! recorded ([`SourceStamp`]) is not read again. A file modified less than
//! [`RACY_WINDOW_NS`] before the build started may change again within the
//! same timestamp tick, so its digest is not recorded for the next build.
//! The bytes of the files the rewrite stage reads next (CSS and JS) are
//! kept for it, so that no file is read twice.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use globset::GlobSet;
use md5::{Digest as _, Md5};
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use sha2::Sha384;

use crate::collect::SourceFile;
use crate::error::{Error, Result};
use crate::name_map::NameMap;

/// A file modified less than this long before the build started may be
/// modified again within the same timestamp tick; its hash is not cached.
pub(crate) const RACY_WINDOW_NS: u64 = 50_000_000;

/// The digests of some bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Digest {
    pub(crate) md5: Md5Digest,
    /// `sha384-<base64>`, for `integrity` attributes; empty for a file that
    /// does not carry one ([`IntegrityFor`]).
    pub(crate) integrity: String,
}

/// A collected file and the digests of its bytes: what this stage gives the
/// next.
#[derive(Debug, Clone)]
pub(crate) struct Hashed {
    pub(crate) source: SourceFile,
    pub(crate) digest: Digest,
    /// Its bytes, when it was read and the next stage reads it too.
    pub(crate) bytes: Option<Vec<u8>>,
    /// Whether its MD5 is the one the last build recorded for this path
    /// (`false` when there was no record).
    pub(crate) same_md5: bool,
    /// Whether it was read: `false` when its recorded stamp held.
    pub(crate) read: bool,
}

/// Which files carry an integrity value: the stylesheets and scripts a page
/// loads with an `integrity` attribute (`.css`, `.js`, `.mjs`), and the
/// files matching [`Config::integrity`](crate::Config::integrity). Images,
/// fonts and the rest are not hashed with SHA-384: browsers check no
/// `integrity` on them unless asked to.
pub(crate) struct IntegrityFor {
    also: GlobSet,
}

impl IntegrityFor {
    /// Stylesheets and scripts, and the files matching `also`.
    pub(crate) fn new(also: GlobSet) -> IntegrityFor {
        IntegrityFor { also }
    }

    /// Whether the file of this logical name carries an integrity value.
    pub(crate) fn wants(&self, name: &str) -> bool {
        [".css", ".js", ".mjs"].iter().any(|ext| name.ends_with(ext))
            || (!self.also.is_empty() && self.also.is_match(name))
    }
}

/// A source file as last hashed, recorded for the next build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SourceStamp {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u64,
    pub(crate) md5: Md5Digest,
    pub(crate) integrity: String,
}

/// Hashes every file, reusing the recorded digests of files whose size and
/// modification time did not change. Keeps the bytes of the files read for
/// which `keep` is true. Also returns how many files were read.
pub(crate) fn hash_all(
    files: Vec<SourceFile>,
    previous: &NameMap<SourceStamp>,
    integrity_for: &IntegrityFor,
    keep: &(dyn Fn(&SourceFile) -> bool + Sync),
) -> Result<(Vec<Hashed>, usize)> {
    // Each file's record, and whether it holds: no I/O. Collected straight
    // into place (an indexed iterator), as is the assembly below, so that a
    // rebuild that reads nothing moves each file once.
    let looked_up: Vec<(Option<&SourceStamp>, bool, bool)> = files
        .par_iter()
        .map(|source| {
            let with_integrity = integrity_for.wants(&source.name);
            let stamp = previous.get(source.path.as_os_str().as_encoded_bytes());
            let holds = stamp.is_some_and(|s| {
                s.size == source.size
                    && u128::from(s.mtime_ns) == source.mtime_ns
                    // Recorded by a build that did not want it.
                    && (!with_integrity || !s.integrity.is_empty())
            });
            (stamp, holds, with_integrity)
        })
        .collect();
    let to_read: Vec<usize> = (0..files.len()).filter(|&i| !looked_up[i].1).collect();
    let digests: Vec<(Digest, Option<Vec<u8>>)> = to_read
        .par_iter()
        // One file at a time, so that a core that is done takes files from
        // the other's share instead of waiting for it.
        .with_max_len(1)
        .map(|&i| {
            let source = &files[i];
            digest_file(&source.path, source.size, looked_up[i].2, keep(source))
        })
        .collect::<Result<_>>()?;
    let mut read_at: Vec<Option<(Digest, Option<Vec<u8>>)>> = (0..files.len()).map(|_| None).collect();
    for (&i, digest) in to_read.iter().zip(digests) {
        read_at[i] = Some(digest);
    }
    let hashed: Vec<Hashed> = files
        .into_par_iter()
        .zip(read_at)
        .zip(&looked_up)
        .map(|((source, read), &(stamp, _, with_integrity))| match read {
            Some((digest, bytes)) => Hashed {
                same_md5: stamp.is_some_and(|s| s.md5 == digest.md5),
                source,
                digest,
                bytes,
                read: true,
            },
            None => {
                let s = stamp.expect("a file not read has a stamp that holds");
                Hashed {
                    digest: Digest {
                        md5: s.md5,
                        integrity: if with_integrity {
                            s.integrity.clone()
                        } else {
                            String::new()
                        },
                    },
                    source,
                    bytes: None,
                    same_md5: true,
                    read: false,
                }
            }
        })
        .collect();
    Ok((hashed, to_read.len()))
}

/// Brings the recorded stamps up to date with this build: every file not
/// modified within [`RACY_WINDOW_NS`] of `started_ns` is recorded with its
/// digests; files modified within it, and files no longer collected, are
/// dropped. Those of files not read (their stamp held, so it was recorded
/// by a build that found it outside the window) are not looked up at all:
/// a rebuild costs a lookup per file read rather than a copy of every path.
pub(crate) fn update_stamps(stamps: &mut NameMap<SourceStamp>, hashed: &[Hashed], started_ns: u64) {
    let racy_before = started_ns.saturating_sub(RACY_WINDOW_NS);
    let mut recorded = 0;
    for h in hashed {
        if !h.read {
            recorded += 1;
            continue;
        }
        let path = h.source.path.as_os_str().as_encoded_bytes();
        let mtime_ns = h.source.mtime_ns as u64;
        if mtime_ns >= racy_before {
            stamps.remove(path);
            continue;
        }
        recorded += 1;
        let stamp = SourceStamp {
            size: h.source.size,
            mtime_ns,
            md5: h.digest.md5,
            integrity: h.digest.integrity.clone(),
        };
        stamps.insert(path, stamp);
    }
    if stamps.len() != recorded {
        // Files collected by the last build and not by this one (or a
        // path collected twice, which the retain leaves as it is).
        let collected: FxHashSet<&[u8]> = hashed
            .iter()
            .map(|h| h.source.path.as_os_str().as_encoded_bytes())
            .collect();
        stamps.retain(|path, _| collected.contains(path));
    }
}

/// An MD5 digest.
pub(crate) type Md5Digest = [u8; 16];

/// Feeds `bytes` to a digest with its length first, so that a sequence of
/// fields hashes differently from any other way of cutting the same bytes:
/// the keys that say whether a build's inputs changed are made this way.
pub(crate) fn update_field(h: &mut Md5, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// MD5 of a byte slice.
pub(crate) fn md5_bytes(bytes: &[u8]) -> Md5Digest {
    Md5::digest(bytes).into()
}

/// A subresource-integrity value, `sha384-<base64>`, as `<script
/// integrity=...>` takes it.
pub(crate) fn integrity(bytes: &[u8]) -> String {
    sri_text(&Sha384::digest(bytes))
}

fn sri_text(digest: &[u8]) -> String {
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

thread_local! {
    /// Each thread's buffer for reading the files whose bytes are not kept.
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// MD5 of a file's content, and its integrity value if `with_integrity`;
/// the bytes too if `keep` (read whole), else read in chunks into a buffer
/// each thread reuses.
pub(crate) fn digest_file(
    path: &Path,
    size_hint: u64,
    with_integrity: bool,
    keep: bool,
) -> Result<(Digest, Option<Vec<u8>>)> {
    let read_error = |e| Error::io("read", path, e);
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut md5 = Md5::new();
    let mut sha = with_integrity.then(Sha384::new);
    let mut feed = |bytes: &[u8]| {
        md5.update(bytes);
        if let Some(sha) = &mut sha {
            sha.update(bytes);
        }
    };
    let bytes = if keep {
        let mut bytes = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0).saturating_add(1));
        file.read_to_end(&mut bytes).map_err(read_error)?;
        feed(&bytes);
        Some(bytes)
    } else {
        READ_BUFFER.with_borrow_mut(|buf| {
            if buf.is_empty() {
                buf.resize(256 * 1024, 0);
            }
            loop {
                let n = file.read(buf).map_err(read_error)?;
                if n == 0 {
                    break;
                }
                feed(&buf[..n]);
            }
            Ok::<_, Error>(())
        })?;
        None
    };
    let digest = Digest {
        md5: md5.finalize().into(),
        integrity: sha.map(|sha| sri_text(&sha.finalize())).unwrap_or_default(),
    };
    Ok((digest, bytes))
}

/// Lowercase hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut out = Vec::with_capacity(digest.len() * 2);
    push_hex(&mut out, digest);
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Appends the lowercase hex of `digest` to `out`, as [`hex`] spells it.
pub(crate) fn push_hex(out: &mut Vec<u8>, digest: &[u8]) {
    for &byte in digest {
        out.extend_from_slice(&hex_pair(byte));
    }
}

/// The two lowercase hex digits of a byte.
fn hex_pair(byte: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[usize::from(byte >> 4)], DIGITS[usize::from(byte & 0xf)]]
}

/// The hashed name of `name` for content with this digest (the contract's
/// format: `root.<first 12 hex digits>.ext`).
pub(crate) fn hashed_name(name: &str, digest: &Md5Digest) -> String {
    // The digits the name uses, spelled on the stack: tens of thousands of
    // names are made on every rebuild.
    let mut digits = [0u8; asset_contract::names::HASH_LEN];
    for (pair, &byte) in digits.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&hex_pair(byte));
    }
    asset_contract::names::hashed_name(name, std::str::from_utf8(&digits).expect("hex digits are ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(s: &str) -> Md5Digest {
        md5_bytes(s.as_bytes())
    }

    fn hashed(path: &str, mtime_ns: u64, content: &str) -> Hashed {
        Hashed {
            source: SourceFile {
                name: path.to_owned(),
                path: path.into(),
                folder: 0,
                relative_start: 0,
                size: content.len() as u64,
                mtime_ns: u128::from(mtime_ns),
                prehashed: false,
            },
            digest: Digest {
                md5: digest_of(content),
                integrity: integrity(content.as_bytes()),
            },
            bytes: None,
            same_md5: false,
            read: true,
        }
    }

    #[test]
    fn stamps_follow_the_files_of_each_build() {
        let started = 10 * RACY_WINDOW_NS;
        let mut stamps = NameMap::default();
        let first = [hashed("a", 1, "a"), hashed("b", 1, "b"), hashed("c", 1, "c")];
        update_stamps(&mut stamps, &first, started);
        assert_eq!(stamps.len(), 3);
        assert_eq!(stamps.get(b"b").unwrap().md5, digest_of("b"));

        // `a` not read (its stamp held), `b` edited, `c` gone, `d` new, `e`
        // modified just before the build started (not recorded).
        let not_read = Hashed {
            read: false,
            same_md5: true,
            ..hashed("a", 1, "a")
        };
        let second = [
            not_read,
            hashed("b", 2, "b2"),
            hashed("d", 1, "d"),
            hashed("e", started - 1, "e"),
        ];
        update_stamps(&mut stamps, &second, started);
        let mut paths: Vec<&[u8]> = stamps.iter().map(|(p, _)| p).collect();
        paths.sort();
        assert_eq!(paths, [b"a", b"b", b"d"], "e is racy");
        assert_eq!(stamps.get(b"a").unwrap().md5, digest_of("a"));
        let b = stamps.get(b"b").unwrap();
        assert_eq!((b.size, b.mtime_ns, b.md5), (2, 2, digest_of("b2")));
        assert_eq!(b.integrity, integrity(b"b2"));

        // A racy file that was recorded before is dropped.
        let third = [hashed("a", started - 1, "a2")];
        update_stamps(&mut stamps, &third, started);
        assert!(stamps.is_empty());
    }

    #[test]
    fn integrity_is_sha384_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            integrity(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn names_split_the_last_extension_only() {
        let d = digest_of("");
        assert_eq!(hex(&d), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hashed_name("css/main.css", &d), "css/main.d41d8cd98f00.css");
        assert_eq!(hashed_name("main.css.map", &d), "main.css.d41d8cd98f00.map");
        assert_eq!(hashed_name("LICENSE", &d), "LICENSE.d41d8cd98f00");
        assert_eq!(hashed_name("a/.hidden", &d), "a/.hidden.d41d8cd98f00");
        assert_eq!(hashed_name("a/..x", &d), "a/..x.d41d8cd98f00");
        assert_eq!(hashed_name("a.", &d), "a.d41d8cd98f00.");
        assert_eq!(hashed_name("v1.2/x", &d), "v1.2/x.d41d8cd98f00");
    }
}
