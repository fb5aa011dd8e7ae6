//! maud (feature `maud`): a Vite entry and the import map render as their
//! tags inside `html!`, unescaped, since they are the markup itself.
//! URLs and integrity values need nothing: they are text, which maud
//! escapes.
//!
//! ```ignore
//! maud::html! {
//!     head {
//!         (ASSETS.import_map())
//!         (ASSETS.vite_entry("src/main.ts")?)
//!         link rel="stylesheet" href=(static_url("css/site.css")?);
//!     }
//! }
//! ```
//!
//! A page has one import map: when the build maps a Vite build's chunks
//! (`build.chunkImportMap`), an entry's tags begin with it, so write the
//! entries' tags alone, several with `ASSETS.vite_tags(&[..])?`.

use crate::importmap::ImportMap;
use crate::vite::ViteEntry;

/// [`ViteEntry::tags`].
impl maud::Render for ViteEntry {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&self.tags());
    }
}

/// [`ImportMap::tags`].
impl maud::Render for ImportMap {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&self.tags());
    }
}
