//! Vite entries in pages: the tags that load one.
//!
//! When an asset folder holds a Vite build's output (built with
//! `build.manifest: true`), asset-build records each key of Vite's manifest,
//! the source path such as `src/main.ts`, as an entry. The entry lists what
//! a page needs in order to load it, and [`Assets::vite_entry`] finds it:
//!
//! ```ignore
//! let tags = ASSETS.vite_entry("src/main.ts")?.tags();
//! ```
//!
//! `tags()` gives, one per line, the tags that Vite's backend-integration
//! guide prescribes:
//!
//! ```html
//! <link rel="stylesheet" href="/static/assets/main-GKsP90I5.css" integrity="sha384-…" crossorigin="anonymous">
//! <script type="module" src="/static/assets/main-qbCQEYyf.js" integrity="sha384-…" crossorigin="anonymous"></script>
//! <link rel="modulepreload" href="/static/assets/shared-BrK-9mH2.js" integrity="sha384-…" crossorigin="anonymous">
//! ```
//!
//! 1. A stylesheet link for each CSS file of the entry. These are followed
//!    by the CSS files of every chunk the entry imports, recursively and
//!    each once. For a CSS entry, its own file comes first.
//! 2. The entry's module script.
//! 3. A `modulepreload` link for every chunk it imports, recursively, so
//!    that the browser fetches them at once instead of one import after
//!    another.
//!
//! The URLs come from the asset table, so they follow the configured base
//! URL, a CDN for example. Each tag carries the file's `integrity`, except
//! in dev mode, where the file served is the source as it is now. The
//! tags are never sent as `Link` headers.
//!
//! Templates get the same tags from the `vite` function of
//! [`templates::minijinja`](crate::templates) and
//! [`templates::tera`](crate::templates), with features `minijinja` and
//! `tera`.

use asset_contract::vite::{Entries, Entry};

use crate::asset::Asset;
use crate::assets::Assets;
use crate::error::MissingEntry;
use crate::html::tag;

/// One entry of a Vite manifest, and what a page needs to load it.
#[derive(Clone, Copy)]
pub struct ViteEntry {
    assets: &'static Assets,
    entry: Entry<'static>,
}

impl std::fmt::Debug for ViteEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViteEntry")
            .field("key", &self.key())
            .field("file", &self.file().name())
            .finish_non_exhaustive()
    }
}

impl Assets {
    /// The Vite entry with this key of Vite's manifest (`src/main.ts`).
    /// An unknown key is an error that lists the known ones.
    pub fn vite_entry(&'static self, key: &str) -> Result<ViteEntry, MissingEntry> {
        let entries = Entries::new(self.vite_data());
        match entries.find(key) {
            Some(entry) => Ok(ViteEntry { assets: self, entry }),
            None => Err(MissingEntry::new(
                key,
                entries.iter().map(|e| e.key().to_owned()).collect(),
            )),
        }
    }

    /// Every Vite entry, by key.
    pub fn vite_entries(&'static self) -> impl Iterator<Item = ViteEntry> + use<> {
        Entries::new(self.vite_data())
            .iter()
            .map(move |entry| ViteEntry { assets: self, entry })
    }
}

impl ViteEntry {
    /// The key in Vite's manifest: `src/main.ts`.
    pub fn key(&self) -> &'static str {
        self.entry.key()
    }

    /// The entry's own output file (`assets/main-qbCQEYyf.js`).
    pub fn file(&self) -> Asset {
        Asset::new(self.assets, self.entry.file())
    }

    /// The module script to load, unless the entry is a stylesheet.
    pub fn script(&self) -> Option<Asset> {
        let file = self.file();
        (!is_css(file.name())).then_some(file)
    }

    /// The stylesheets to link, in order: for a CSS entry its own file,
    /// then the CSS files of the entry and of the chunks it imports.
    pub fn stylesheets(&self) -> impl Iterator<Item = Asset> + use<> {
        let assets = self.assets;
        let file = self.file();
        let own = is_css(file.name()).then_some(file);
        own.into_iter()
            .chain(self.entry.stylesheets().map(move |i| Asset::new(assets, i)))
    }

    /// The chunks to preload: every chunk the entry imports, followed
    /// recursively.
    pub fn preloads(&self) -> impl Iterator<Item = Asset> + use<> {
        let assets = self.assets;
        self.entry.preloads().map(move |i| Asset::new(assets, i))
    }

    /// The HTML tags that load the entry, one per line (see the
    /// [module docs](self)).
    pub fn tags(&self) -> String {
        let mut html = String::new();
        for css in self.stylesheets() {
            tag(&mut html, "<link rel=\"stylesheet\" href=\"", css, ">");
        }
        if let Some(script) = self.script() {
            tag(&mut html, "<script type=\"module\" src=\"", script, "></script>");
        }
        for chunk in self.preloads() {
            tag(&mut html, "<link rel=\"modulepreload\" href=\"", chunk, ">");
        }
        html
    }
}

/// The entry's [`tags`](ViteEntry::tags), as a template writes it.
impl std::fmt::Display for ViteEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.tags())
    }
}

fn is_css(name: &str) -> bool {
    name.ends_with(".css")
}
