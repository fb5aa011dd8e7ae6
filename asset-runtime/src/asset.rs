//! One entry of the generated table.

use std::fmt;
use std::path::PathBuf;

use crate::assets::Assets;
use asset_contract::table::{ABSENT, file, record};

/// The bytes of one file of an asset — its hashed copy, or its collected
/// original — as recorded at build time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    md5: &'static str,
    size: u64,
    br_size: Option<u64>,
    gz_size: Option<u64>,
    zst_size: Option<u64>,
    embedded: Option<Embedded>,
}

/// Bytes compiled into the binary (`asset_build::Config::embed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embedded {
    /// The file.
    pub identity: &'static [u8],
    /// Its Brotli sibling.
    pub br: Option<&'static [u8]>,
    /// Its gzip sibling.
    pub gz: Option<&'static [u8]>,
    /// Its zstd sibling.
    pub zst: Option<&'static [u8]>,
}

impl fmt::Debug for FileInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileInfo")
            .field("md5", &self.md5)
            .field("size", &self.size)
            .field("br_size", &self.br_size)
            .field("gz_size", &self.gz_size)
            .field("zst_size", &self.zst_size)
            .field("embedded", &self.embedded.is_some())
            .finish()
    }
}

impl FileInfo {
    /// The file whose fields start at `field` of record `index`.
    fn read(assets: &'static Assets, index: u32, field: usize) -> Self {
        let table = assets.table();
        let size = table.u64(index, field + file::SIZE);
        let variant = |at: usize| Some(table.u64(index, field + at)).filter(|&s| s != ABSENT);
        let (br_size, gz_size, zst_size) = (variant(file::BR_SIZE), variant(file::GZ_SIZE), variant(file::ZST_SIZE));
        let embedded = variant(file::EMBEDDED).map(|start| {
            let data = assets.embedded_data();
            let slice = |start: u64, len: u64| &data[start as usize..(start + len) as usize];
            // The siblings follow the bytes: Brotli, gzip, zstd.
            let br_start = start + size;
            let gz_start = br_start + br_size.unwrap_or(0);
            let zst_start = gz_start + gz_size.unwrap_or(0);
            Embedded {
                identity: slice(start, size),
                br: br_size.map(|len| slice(br_start, len)),
                gz: gz_size.map(|len| slice(gz_start, len)),
                zst: zst_size.map(|len| slice(zst_start, len)),
            }
        });
        FileInfo {
            md5: assets.md5(index, field + file::MD5),
            size,
            br_size,
            gz_size,
            zst_size,
            embedded,
        }
    }

    /// The bytes, when they are compiled into the binary.
    pub fn embedded(&self) -> Option<&Embedded> {
        self.embedded.as_ref()
    }

    /// MD5 of the bytes, as 32 lowercase hex digits.
    pub fn md5(&self) -> &'static str {
        self.md5
    }

    /// Size of the bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Size of the Brotli sibling (`name.br`), if the build wrote one.
    pub fn br_size(&self) -> Option<u64> {
        self.br_size
    }

    /// Size of the gzip sibling (`name.gz`), if the build wrote one.
    pub fn gz_size(&self) -> Option<u64> {
        self.gz_size
    }

    /// Size of the zstd sibling (`name.zst`), if the build wrote one
    /// (`asset_build::Config::zstd`).
    pub fn zst_size(&self) -> Option<u64> {
        self.zst_size
    }
}

/// A collected static file, as recorded at build time.
///
/// A small copyable handle into the table that `asset-build` generates
/// (see [`Assets`]); every accessor reads the table in place.
#[derive(Clone, Copy)]
pub struct Asset {
    assets: &'static Assets,
    index: u32,
}

impl fmt::Debug for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Asset")
            .field("name", &self.name())
            .field("hashed_name", &self.hashed_name())
            .field("content_type", &self.content_type())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Asset {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.assets, other.assets) && self.index == other.index
    }
}

impl Eq for Asset {}

impl Asset {
    #[inline]
    pub(crate) fn new(assets: &'static Assets, index: u32) -> Self {
        Asset { assets, index }
    }

    /// Position of the asset in its table, which is sorted by logical name.
    pub fn index(&self) -> u32 {
        self.index
    }

    #[inline]
    fn str(&self, field: usize) -> &'static str {
        self.assets.str(self.index, field)
    }

    /// The logical path, as the app refers to it: `css/base.css`.
    #[inline]
    pub fn name(&self) -> &'static str {
        self.str(record::NAME)
    }

    /// The content-hashed path in the output folder: `css/base.d1833e6a1b2c.css`.
    #[inline]
    pub fn hashed_name(&self) -> &'static str {
        self.str(record::HASHED_NAME)
    }

    /// The URL to link: in production, the hashed file's URL under the
    /// configured base URL; in [dev mode](crate::Settings::dev), the
    /// unhashed one.
    ///
    /// With the default settings this returns a string stored in the binary
    /// (no allocation); with a custom base URL or in dev mode the string is
    /// built once per asset and kept.
    #[inline]
    pub fn url(&self) -> &'static str {
        self.assets.url_of(self.index, self.str(record::URL))
    }

    /// The URL of the hashed file under the base URL the table was built
    /// with, whatever the settings.
    pub fn default_url(&self) -> &'static str {
        self.str(record::URL)
    }

    /// MD5 of the bytes served under the hashed name, as 32 lowercase hex digits.
    pub fn md5(&self) -> &'static str {
        self.assets.md5(self.index, record::HASHED_FILE + file::MD5)
    }

    /// Size of the bytes served under the hashed name.
    pub fn size(&self) -> u64 {
        self.assets.table().u64(self.index, record::HASHED_FILE + file::SIZE)
    }

    /// Subresource-integrity value of the hashed file, `sha384-<base64>`,
    /// for `<script integrity="...">` and `<link integrity="...">`.
    ///
    /// Stylesheets and scripts (`.css`, `.js`, `.mjs`) have one; other
    /// files have one only if the build named them (`asset_build::Config::
    /// integrity`), and an empty string otherwise.
    pub fn integrity(&self) -> &'static str {
        self.str(record::INTEGRITY)
    }

    /// The integrity value a page should print: [`integrity`](Asset::integrity),
    /// or nothing in dev mode, where the file served is the source as it
    /// is now, not the one the build hashed.
    pub(crate) fn integrity_in_page(&self) -> &'static str {
        if crate::settings().is_dev() {
            ""
        } else {
            self.integrity()
        }
    }

    /// The hashed copy (for CSS and JS, with its references rewritten).
    pub fn hashed_file(&self) -> FileInfo {
        FileInfo::read(self.assets, self.index, record::HASHED_FILE)
    }

    /// The collected original, served under the unhashed name.
    pub fn original_file(&self) -> FileInfo {
        FileInfo::read(self.assets, self.index, record::ORIGINAL_FILE)
    }

    /// `Content-Type` header value, with `charset=utf-8` for text types.
    pub fn content_type(&self) -> &'static str {
        self.str(record::CONTENT_TYPE)
    }

    /// The file the build collected this asset from, where it was at build
    /// time. [Dev mode](crate::Settings::dev) serves its current content.
    pub fn source_path(&self) -> PathBuf {
        let table = self.assets.table();
        let folder = table.folder(table.u32(self.index, record::FOLDER));
        let mut path = PathBuf::from(folder);
        path.extend(self.str(record::SOURCE).split('/'));
        path
    }
}
