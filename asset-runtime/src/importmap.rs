//! Import maps, for apps that ship ES modules without a bundler.
//!
//! Modules import each other by bare specifier (`import "controllers/hello"`)
//! and the page maps each specifier to a URL with a
//! `<script type="importmap">`, as importmap-rails does. The modules are
//! served as they are: none is rewritten when another changes, so an edit
//! to one module changes that module's hashed URL only, and browsers keep
//! every other module in cache.
//!
//! The build pins the modules (`asset_build::Config::pin` and
//! `pin_all_from`); [`Assets::import_map`] renders the map from the asset
//! table, so its URLs follow the settings (base URL, dev mode):
//!
//! ```ignore
//! let head = ASSETS.import_map().tags();
//! ```
//!
//! ```html
//! <script type="importmap">
//! {
//!   "imports": {
//!     "app": "/static/js/app.3f9c1e2a7b4d.js",
//!     "controllers/hello": "/static/js/controllers/hello.0a1b2c3d4e5f.js",
//!     "/static/js/app.js": "/static/js/app.3f9c1e2a7b4d.js",
//!     "/static/js/controllers/hello.js": "/static/js/controllers/hello.0a1b2c3d4e5f.js"
//!   },
//!   "integrity": {
//!     "/static/js/app.3f9c1e2a7b4d.js": "sha384-…",
//!     "/static/js/controllers/hello.0a1b2c3d4e5f.js": "sha384-…"
//!   }
//! }
//! </script>
//! <link rel="modulepreload" href="/static/js/app.3f9c1e2a7b4d.js" integrity="sha384-…" crossorigin="anonymous">
//! <link rel="modulepreload" href="/static/js/controllers/hello.0a1b2c3d4e5f.js" integrity="sha384-…" crossorigin="anonymous">
//! ```
//!
//! - The map also sends each pinned module's unhashed URL to its hashed
//!   one. A relative import between modules (`import "./util.js"`)
//!   resolves to an unhashed URL, so it too loads the immutable file.
//! - `integrity` lists each module's `sha384` value, which browsers check
//!   for every module the map loads. Dev mode, where the files served are
//!   the sources as they are now, leaves it out.
//! - The `modulepreload` links let the browser fetch every pinned module
//!   at once. They are tags in the page, never `Link` headers: browsers
//!   that see a module preloaded before the import map ignore the map.
//!
//! A Vite build made with `build.chunkImportMap` maps its chunks in the
//! same map: its chunks import each other through stable specifiers,
//! which the map sends to the chunks' files, so that a change to one chunk
//! renames that chunk only. The map then holds those too (with their
//! `integrity`), but preloads only the pinned modules: an entry's tags
//! preload the chunks it imports, and begin with the map (see
//! [`crate::vite`]).
//!
//! Templates get the same tags from the `importmap` function of
//! [`templates::minijinja`](crate::templates) and
//! [`templates::tera`](crate::templates).

use std::collections::HashSet;
use std::fmt;

use asset_contract::importmap::Pins;
use asset_contract::url::push_encoded_path;

use crate::asset::Asset;
use crate::assets::Assets;
use crate::html::{push_json_string, tag};
use crate::settings::settings;

/// The modules the build pinned, and the map that loads them.
#[derive(Clone, Copy)]
pub struct ImportMap {
    assets: &'static Assets,
    pins: Pins<'static>,
}

impl fmt::Debug for ImportMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter().map(|(s, a)| (s, a.name()))).finish()
    }
}

impl Assets {
    /// The import map of the modules pinned at build time (empty when none
    /// were).
    pub fn import_map(&'static self) -> ImportMap {
        ImportMap {
            assets: self,
            pins: Pins::new(self.importmap_data()),
        }
    }
}

impl ImportMap {
    /// Number of specifiers.
    pub fn len(&self) -> usize {
        self.pins.len()
    }

    /// Whether the map is empty: no module pinned, no bundler chunk.
    pub fn is_empty(&self) -> bool {
        self.pins.is_empty() && !self.has_chunks()
    }

    /// Whether a bundler's chunks are in the map (Vite's
    /// `build.chunkImportMap`): then a Vite entry's tags need it.
    pub(crate) fn has_chunks(&self) -> bool {
        self.pins.chunks().next().is_some()
    }

    /// Each bundler chunk's specifier and file.
    fn chunks(&self) -> impl Iterator<Item = (&'static str, Asset)> + use<> {
        let assets = self.assets;
        self.pins
            .chunks()
            .map(move |(specifier, index)| (specifier, Asset::new(assets, index)))
    }

    /// Each specifier and its module, by specifier.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Asset)> + use<> {
        let assets = self.assets;
        self.pins
            .iter()
            .map(move |(specifier, index)| (specifier, Asset::new(assets, index)))
    }

    /// The module pinned under `specifier`.
    pub fn get(&self, specifier: &str) -> Option<Asset> {
        self.iter().find(|(s, _)| *s == specifier).map(|(_, asset)| asset)
    }

    /// The pinned modules, each once, in specifier order.
    fn modules(&self) -> Vec<Asset> {
        let mut seen: HashSet<u32> = HashSet::with_capacity(self.len());
        self.iter()
            .map(|(_, asset)| asset)
            .filter(|asset| seen.insert(asset.index()))
            .collect()
    }

    /// The map as JSON: `imports` (specifiers, then unhashed URLs), and
    /// `integrity` outside dev mode. Safe to put inside a `<script>`.
    pub fn json(&self) -> String {
        let mut imports: Vec<(String, &'static str)> = self.iter().map(|(s, a)| (s.to_owned(), a.url())).collect();
        // A specifier spelled like a URL keeps its own entry.
        let specifiers: HashSet<&str> = self.pins.iter().map(|(s, _)| s).collect();
        let base = settings().base_url_or(self.assets.default_base_url());
        let under_base = |name: &str| {
            let mut url = base.to_owned();
            push_encoded_path(&mut url, name);
            url
        };
        let modules = self.modules();
        for asset in &modules {
            let unhashed = under_base(asset.name());
            if unhashed != asset.url() && !specifiers.contains(unhashed.as_str()) {
                imports.push((unhashed, asset.url()));
            }
        }
        // A chunk's specifier is under the base URL, as its file is.
        let chunks: Vec<(&str, Asset)> = self.chunks().collect();
        imports.extend(
            chunks
                .iter()
                .map(|(relative, asset)| (under_base(relative), asset.url())),
        );
        let mut json = String::from("{\n  \"imports\": {");
        push_members(&mut json, imports.iter().map(|(k, v)| (k.as_str(), *v)));
        json.push('}');
        let integrity: Vec<(&str, &str)> = modules
            .iter()
            .chain(chunks.iter().map(|(_, a)| a))
            .map(|a| (a.url(), a.integrity_in_page()))
            .filter(|(_, integrity)| !integrity.is_empty())
            .collect();
        if !integrity.is_empty() {
            json.push_str(",\n  \"integrity\": {");
            push_members(&mut json, integrity.into_iter());
            json.push('}');
        }
        json.push_str("\n}");
        json
    }

    /// `<script type="importmap">` with [`json`](ImportMap::json), then a
    /// `<link rel="modulepreload">` for each pinned module; empty when no
    /// module is pinned.
    pub fn tags(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        let mut html = format!("<script type=\"importmap\">\n{}\n</script>", self.json());
        for module in self.modules() {
            tag(&mut html, "<link rel=\"modulepreload\" href=\"", module, ">");
        }
        html
    }
}

/// The import map's [`tags`](ImportMap::tags), as a template writes it.
impl fmt::Display for ImportMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tags())
    }
}

/// The members of a JSON object, one a line, indented under `"imports"`.
fn push_members<'a>(json: &mut String, members: impl Iterator<Item = (&'a str, &'a str)>) {
    let mut any = false;
    for (key, value) in members {
        json.push_str(if any { ",\n    " } else { "\n    " });
        push_json_string(json, key);
        json.push_str(": ");
        push_json_string(json, value);
        any = true;
    }
    if any {
        json.push_str("\n  ");
    }
}
