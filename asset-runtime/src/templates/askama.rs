//! askama (feature `askama`): templates call the table directly, and a Vite
//! entry or the import map writes its tags unescaped, since they are the
//! markup itself. One `use` line brings the table into the template's
//! module; `?` turns an unknown name into a render error naming it.
//!
//! ```ignore
//! use crate::ASSETS;
//!
//! #[derive(askama::Template)]
//! #[template(ext = "html", source = r#"
//! {{ ASSETS.import_map() }}
//! {{ ASSETS.vite_entry("src/main.ts")? }}
//! <link rel="stylesheet" href="{{ ASSETS.url("css/site.css")? }}">
//! <script src="{{ ASSETS.url("js/app.js")? }}" integrity="{{ ASSETS.integrity("js/app.js")? }}"></script>
//! "#)]
//! struct Page;
//! ```
//!
//! A page has one import map: when the build maps a Vite build's chunks
//! (`build.chunkImportMap`), an entry's tags begin with it, so write the
//! entries' tags alone, several with `ASSETS.vite_tags(&[..])?`.

use crate::importmap::ImportMap;
use crate::vite::ViteEntry;

/// [`ViteEntry::tags`] are HTML: written as they are.
impl askama::filters::HtmlSafe for ViteEntry {}

/// [`ImportMap::tags`] are HTML: written as they are.
impl askama::filters::HtmlSafe for ImportMap {}
