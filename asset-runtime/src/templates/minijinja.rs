//! `static` and `integrity` functions for minijinja.

use ::minijinja::value::Value;
use ::minijinja::{Environment, Error, ErrorKind};

use crate::assets::Assets;

/// Adds `static(name)`, `integrity(name)`, `vite(entry)` and `importmap()`
/// to `env`.
///
/// `static` returns the URL of the hashed file (marked safe when it holds
/// no character that needs HTML escaping); both fail the render for a name
/// that is not an asset (or, for `static`, return the unhashed URL when
/// lookups are lenient). In dev mode, `integrity` is empty: the file served
/// is the source as it is now, not the one the build hashed.
///
/// ```ignore
/// let mut env = minijinja::Environment::new();
/// asset_runtime::templates::minijinja::add_to(&mut env, &ASSETS);
/// env.render_str(r#"<script src="{{ static("js/app.js") }}" integrity="{{ integrity("js/app.js") }}"></script>"#, ())?;
/// ```
pub fn add_to(env: &mut Environment<'_>, assets: &'static Assets) {
    env.add_function("static", move |name: &str| -> Result<Value, Error> {
        let url = assets
            .url(name)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
        Ok(if url.contains(['"', '\'', '<', '>', '&']) {
            Value::from(url.into_owned())
        } else {
            Value::from_safe_string(url.into_owned())
        })
    });
    env.add_function("integrity", move |name: &str| -> Result<Value, Error> {
        assets
            .integrity(name)
            .map(|integrity| Value::from_safe_string(integrity.to_owned()))
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    env.add_function("importmap", move || Value::from_safe_string(assets.import_map().tags()));
    env.add_function("vite", move |entry: &str| -> Result<Value, Error> {
        assets
            .vite_entry(entry)
            .map(|entry| Value::from_safe_string(entry.tags()))
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
}
