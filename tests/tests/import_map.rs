//! The import map of the `module_assets` table (ES modules pinned by this
//! crate's `build.rs`), as the runtime renders it.

use end_to_end_tests::module_assets::ASSETS;
use serde_json::{Value, json};

fn url(name: &str) -> &'static str {
    ASSETS.get(name).unwrap().url()
}

fn integrity(name: &str) -> &'static str {
    ASSETS.get(name).unwrap().integrity()
}

#[test]
fn the_map_sends_specifiers_and_unhashed_urls_to_hashed_urls() {
    let map = ASSETS.import_map();
    let pinned: Vec<(&str, &str)> = map.iter().map(|(s, a)| (s, a.name())).collect();
    assert_eq!(
        pinned,
        [
            ("app", "js/app.js"),
            ("controllers", "js/controllers/index.js"),
            ("controllers/hello", "js/controllers/hello.js"),
            ("util", "js/util.js"),
        ]
    );
    assert_eq!(map.get("controllers/hello").unwrap().name(), "js/controllers/hello.js");
    assert!(map.get("controllers/index").is_none());

    let parsed: Value = serde_json::from_str(&map.json()).unwrap();
    let expected = json!({
        "imports": {
            "app": url("js/app.js"),
            "controllers": url("js/controllers/index.js"),
            "controllers/hello": url("js/controllers/hello.js"),
            "util": url("js/util.js"),
            "/static/js/app.js": url("js/app.js"),
            "/static/js/controllers/index.js": url("js/controllers/index.js"),
            "/static/js/controllers/hello.js": url("js/controllers/hello.js"),
            "/static/js/util.js": url("js/util.js"),
        },
        "integrity": {
            url("js/app.js"): integrity("js/app.js"),
            url("js/controllers/index.js"): integrity("js/controllers/index.js"),
            url("js/controllers/hello.js"): integrity("js/controllers/hello.js"),
            url("js/util.js"): integrity("js/util.js"),
        }
    });
    assert_eq!(parsed, expected);
    assert!(url("js/app.js").starts_with("/static/js/app.") && url("js/app.js") != "/static/js/app.js");
}

#[test]
fn tags_are_the_map_then_one_preload_per_module() {
    let tags = ASSETS.import_map().tags();
    let (script, links) = tags.split_once("</script>\n").unwrap();
    assert!(script.starts_with("<script type=\"importmap\">\n{"), "{tags}");
    let links: Vec<&str> = links.lines().collect();
    let expected: Vec<String> = [
        "js/app.js",
        "js/controllers/index.js",
        "js/controllers/hello.js",
        "js/util.js",
    ]
    .iter()
    .map(|name| {
        format!(
            "<link rel=\"modulepreload\" href=\"{}\" integrity=\"{}\" crossorigin=\"anonymous\">",
            url(name),
            integrity(name)
        )
    })
    .collect();
    assert_eq!(links, expected);
    // A table with no pins renders nothing.
    assert_eq!(example_app::ASSETS.import_map().tags(), "");
    assert!(example_app::ASSETS.import_map().is_empty());
}

#[test]
fn templates_print_the_same_tags() {
    let tags = ASSETS.import_map().tags();
    let mut env = minijinja::Environment::new();
    asset_runtime::templates::minijinja::add_to(&mut env, &ASSETS);
    assert_eq!(env.render_str("{{ importmap() }}", ()).unwrap(), tags);
    let mut tera = tera::Tera::default();
    asset_runtime::templates::tera::add_to(&mut tera, &ASSETS);
    tera.add_raw_template("page", "{{ importmap() }}").unwrap();
    assert_eq!(tera.render("page", &tera::Context::new()).unwrap(), tags);
}
