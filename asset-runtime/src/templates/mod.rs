//! Template helpers: a `static` function that turns a logical name into its
//! URL and makes an unknown name a template error (Django's `{% static %}`
//! with `manifest_strict`).
//!
//! - minijinja (feature `minijinja`): `{{ static("css/base.css") }}`, see
//!   [`minijinja::add_to`];
//! - tera (feature `tera`): `{{ static(name="css/base.css") }}`, see
//!   [`tera::add_to`];
//! - maud (feature `maud`): `(entry)` and `(ASSETS.import_map())` in
//!   `html!` write their tags, see [`maud`];
//! - askama (feature `askama`): `{{ ASSETS.url("css/base.css")? }}`, see
//!   [`askama`].
//!
//! The minijinja and tera helpers also provide `integrity(name)`, the `sha384-...` value for
//! a `<script integrity>` attribute, `vite(entry)`, the tags that load a
//! Vite entry (see [`crate::vite`]), and `importmap()`, the import map and
//! its preload links (see [`crate::importmap`]).

#[cfg(feature = "askama")]
pub mod askama;
#[cfg(feature = "maud")]
pub mod maud;
#[cfg(feature = "minijinja")]
pub mod minijinja;
#[cfg(feature = "tera")]
pub mod tera;
