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
//! In dev mode with [Vite's dev server](crate::Settings::vite_dev_server)
//! (`ASSET_VITE_DEV_SERVER`), the tags load Vite's client and the entry's
//! source from the dev server instead, so that edits apply by hot module
//! replacement:
//!
//! ```html
//! <script type="module" src="http://localhost:5173/static/@vite/client"></script>
//! <script type="module" src="http://localhost:5173/static/src/main.ts"></script>
//! ```
//!
//! Templates get the same tags from the `vite` function of
//! [`templates::minijinja`](crate::templates) and
//! [`templates::tera`](crate::templates), with features `minijinja` and
//! `tera`.

use asset_contract::vite::{Entries, Entry};

use crate::asset::Asset;
use crate::assets::Assets;
use crate::error::MissingEntry;
use crate::html::{escape_attribute, push_json_string, tag};

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

    /// The key of the Vite entry whose output file is record `index`: the
    /// source the dev server serves in its place.
    pub(crate) fn vite_source_of(&'static self, index: u32) -> Option<&'static str> {
        Entries::new(self.vite_data())
            .iter()
            .find(|entry| entry.file() == index)
            .map(|entry| entry.key())
    }

    /// The tags of several Vite entries on one page: each entry's
    /// [`tags`](ViteEntry::tags) in order, each tag once, so that the page
    /// has one import map (a page may have only one) and, with the dev
    /// server, Vite's client once. An unknown key is an error.
    pub fn vite_tags(&'static self, keys: &[&str]) -> Result<String, MissingEntry> {
        let mut tags: Vec<String> = Vec::new();
        for key in keys {
            for tag in self.vite_entry(key)?.tag_list() {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        Ok(tags.join("\n"))
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
    /// [module docs](self)): the built files', or in dev mode with
    /// [Vite's dev server](crate::Settings::vite_dev_server), the dev
    /// server's.
    pub fn tags(&self) -> String {
        self.tag_list().join("\n")
    }

    /// The tags of [`tags`](Self::tags), each on its own.
    fn tag_list(&self) -> Vec<String> {
        let settings = crate::settings();
        match settings.vite_dev_server_url() {
            Some(server) => dev_server_tags(server, self.key(), settings.is_vite_react_refresh()),
            None => self.built_tags(),
        }
    }

    /// The tags of the built files: the import map first when the build
    /// maps Vite's chunks (`build.chunkImportMap`), since modules resolve
    /// through it.
    fn built_tags(&self) -> Vec<String> {
        let one = |open: &str, asset: Asset, close: &str| {
            let mut html = String::new();
            tag(&mut html, open, asset, close);
            html
        };
        let map = self.assets.import_map();
        let mut tags: Vec<String> = Vec::new();
        if map.has_chunks() {
            tags.push(map.tags());
        }
        tags.extend(
            self.stylesheets()
                .map(|css| one("<link rel=\"stylesheet\" href=\"", css, ">")),
        );
        if let Some(script) = self.script() {
            tags.push(one("<script type=\"module\" src=\"", script, "></script>"));
        }
        tags.extend(
            self.preloads()
                .map(|chunk| one("<link rel=\"modulepreload\" href=\"", chunk, ">")),
        );
        tags
    }
}

/// The tags that load entry `key` from Vite's dev server at `server`, as
/// Vite's backend-integration guide gives them: React's refresh preamble
/// (when asked for), Vite's client, then the entry's source, a stylesheet
/// link for a CSS entry and a module script otherwise. A page with several
/// entries loads the client once: a module is run once per URL.
fn dev_server_tags(server: &str, key: &str, react_refresh: bool) -> Vec<String> {
    let mut tags = Vec::new();
    if react_refresh {
        let mut preamble = String::from("<script type=\"module\">\nimport RefreshRuntime from ");
        push_json_string(&mut preamble, &format!("{server}@react-refresh"));
        preamble.push_str(
            "\nRefreshRuntime.injectIntoGlobalHook(window)\nwindow.$RefreshReg$ = () => {}\n\
             window.$RefreshSig$ = () => (type) => type\nwindow.__vite_plugin_react_preamble_installed__ = true\n\
             </script>",
        );
        tags.push(preamble);
    }
    let mut client = String::from("<script type=\"module\" src=\"");
    escape_attribute(&mut client, &format!("{server}@vite/client"));
    client.push_str("\"></script>");
    tags.push(client);
    let (open, close) = match is_css(key) {
        true => ("<link rel=\"stylesheet\" href=\"", "\">"),
        false => ("<script type=\"module\" src=\"", "\"></script>"),
    };
    let mut source = server.to_owned();
    crate::push_encoded_path(&mut source, key);
    let mut entry = String::from(open);
    escape_attribute(&mut entry, &source);
    entry.push_str(close);
    tags.push(entry);
    tags
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

#[cfg(test)]
mod tests {
    use super::dev_server_tags;

    #[test]
    fn the_dev_server_gives_its_client_then_the_entry_source() {
        let server = "http://localhost:5173/static/";
        let tags = |key: &str, react: bool| dev_server_tags(server, key, react).join("\n");
        assert_eq!(
            tags("src/main.ts", false),
            "<script type=\"module\" src=\"http://localhost:5173/static/@vite/client\"></script>\n\
             <script type=\"module\" src=\"http://localhost:5173/static/src/main.ts\"></script>"
        );
        assert!(
            tags("src/my style.css", false)
                .ends_with("<link rel=\"stylesheet\" href=\"http://localhost:5173/static/src/my%20style.css\">")
        );
        let react = tags("src/main.tsx", true);
        assert!(
            react.starts_with(
                "<script type=\"module\">\nimport RefreshRuntime from \"http://localhost:5173/static/@react-refresh\"\n"
            ),
            "{react}"
        );
        assert!(react.contains("window.__vite_plugin_react_preamble_installed__ = true\n</script>\n<script type=\"module\" src=\"http://localhost:5173/static/@vite/client\">"), "{react}");
    }
}
