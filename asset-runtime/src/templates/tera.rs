//! `static` and `integrity` functions for tera.

use std::collections::HashMap;

use ::tera::{Function, Tera, Value};

use crate::assets::Assets;

/// Adds `static(name=...)`, `integrity(name=...)`, `vite(entry=...)` and
/// `importmap()` to `tera`; an unknown name is a render error (or, for `static` with lenient
/// lookups, the unhashed URL). In dev mode, `integrity` is empty (the file
/// served is the source as it is now). `vite` returns the tags that load a
/// Vite entry (see [`crate::vite`]), and `importmap` the import map and its
/// preload links (see [`crate::importmap`]), both as safe HTML.
///
/// ```ignore
/// let mut tera = tera::Tera::default();
/// asset_runtime::templates::tera::add_to(&mut tera, &ASSETS);
/// // {{ static(name="css/site.css") }}
/// ```
pub fn add_to(tera: &mut Tera, assets: &'static Assets) {
    tera.register_function("static", StaticUrl(assets));
    tera.register_function("integrity", Integrity(assets));
    tera.register_function("vite", Vite(assets));
    tera.register_function("importmap", ImportMapTags(assets));
}

fn name_arg<'a>(args: &'a HashMap<String, Value>, function: &str) -> ::tera::Result<&'a str> {
    args.get("name").and_then(Value::as_str).ok_or_else(|| {
        ::tera::Error::msg(format!(
            "{function}() needs a `name` argument, like {function}(name=\"css/base.css\")"
        ))
    })
}

struct StaticUrl(&'static Assets);

impl Function for StaticUrl {
    fn call(&self, args: &HashMap<String, Value>) -> ::tera::Result<Value> {
        let name = name_arg(args, "static")?;
        self.0
            .url(name)
            .map(|url| Value::String(url.into_owned()))
            .map_err(|e| ::tera::Error::msg(e.to_string()))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

struct Integrity(&'static Assets);

impl Function for Integrity {
    fn call(&self, args: &HashMap<String, Value>) -> ::tera::Result<Value> {
        let name = name_arg(args, "integrity")?;
        self.0
            .integrity(name)
            .map(|integrity| Value::String(integrity.to_owned()))
            .map_err(|e| ::tera::Error::msg(e.to_string()))
    }
}

struct Vite(&'static Assets);

impl Function for Vite {
    fn call(&self, args: &HashMap<String, Value>) -> ::tera::Result<Value> {
        let entry = args
            .get("entry")
            .and_then(Value::as_str)
            .ok_or_else(|| ::tera::Error::msg("vite() needs an `entry` argument, like vite(entry=\"src/main.ts\")"))?;
        self.0
            .vite_entry(entry)
            .map(|entry| Value::String(entry.tags()))
            .map_err(|e| ::tera::Error::msg(e.to_string()))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

struct ImportMapTags(&'static Assets);

impl Function for ImportMapTags {
    fn call(&self, _args: &HashMap<String, Value>) -> ::tera::Result<Value> {
        Ok(Value::String(self.0.import_map().tags()))
    }

    fn is_safe(&self) -> bool {
        true
    }
}
