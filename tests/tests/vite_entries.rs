//! Vite entries of a collected Vite output folder (the `vite_assets` table
//! built by this crate's `build.rs`): the tags that load each one, in Rust
//! and in templates.

use end_to_end_tests::vite_assets::ASSETS;

/// One tag as `ViteEntry::tags` writes it, for an asset of the table.
fn tag(open: &str, name: &str, close: &str) -> String {
    let asset = ASSETS.get(name).unwrap();
    format!(
        "{open}{}\" integrity=\"{}\" crossorigin=\"anonymous\"{close}",
        asset.url(),
        asset.integrity()
    )
}

#[test]
fn an_entry_links_its_css_then_its_script_then_its_imports() {
    let entry = ASSETS.vite_entry("src/main.js").unwrap();
    assert_eq!(entry.key(), "src/main.js");
    assert_eq!(entry.script().unwrap().name(), "assets/main-Bx9_k-2Q.js");
    let expected = [
        tag("<link rel=\"stylesheet\" href=\"", "assets/main-C4fE81aZ.css", ">"),
        tag("<link rel=\"stylesheet\" href=\"", "assets/shared-E5f6g7h8.css", ">"),
        tag(
            "<script type=\"module\" src=\"",
            "assets/main-Bx9_k-2Q.js",
            "></script>",
        ),
        tag("<link rel=\"modulepreload\" href=\"", "assets/shared-D1x2y3z4.js", ">"),
    ]
    .join("\n");
    assert_eq!(entry.tags(), expected);
    // The URLs are those of the table: the names Vite gave.
    assert!(
        expected.contains("href=\"/static/assets/shared-D1x2y3z4.js\""),
        "{expected}"
    );
    assert!(expected.contains("integrity=\"sha384-"), "{expected}");
}

#[test]
fn a_css_entry_is_one_stylesheet() {
    let entry = ASSETS.vite_entry("src/theme.css").unwrap();
    assert!(entry.script().is_none());
    assert_eq!(entry.preloads().count(), 0);
    assert_eq!(
        entry.tags(),
        tag("<link rel=\"stylesheet\" href=\"", "assets/theme-F9a8b7c6.css", ">")
    );
}

#[test]
fn an_unknown_entry_names_the_known_ones() {
    let err = ASSETS.vite_entry("src/mian.js").unwrap_err();
    assert_eq!(err.key(), "src/mian.js");
    let message = err.to_string();
    assert!(message.starts_with("no Vite entry `src/mian.js`"), "{message}");
    assert!(
        message.contains("`_shared-D1x2y3z4.js`, `src/main.js`, `src/theme.css`"),
        "{message}"
    );
    let keys: Vec<&str> = ASSETS.vite_entries().map(|e| e.key()).collect();
    assert_eq!(keys, ["_shared-D1x2y3z4.js", "src/main.js", "src/theme.css"]);
    // A table built without Vite says so.
    let err = example_app::ASSETS.vite_entry("src/main.js").unwrap_err();
    assert!(err.to_string().contains("collected no `.vite/manifest.json`"), "{err}");
}

#[test]
fn templates_print_the_same_tags() {
    let tags = ASSETS.vite_entry("src/main.js").unwrap().tags();

    let mut env = minijinja::Environment::new();
    asset_runtime::templates::minijinja::add_to(&mut env, &ASSETS);
    let html = env.render_str(r#"<head>{{ vite("src/main.js") }}</head>"#, ()).unwrap();
    assert_eq!(html, format!("<head>{tags}</head>"));
    let err = env.render_str(r#"{{ vite("src/nope.js") }}"#, ()).unwrap_err();
    assert!(format!("{err:#}").contains("no Vite entry `src/nope.js`"), "{err:#}");

    let mut tera = tera::Tera::default();
    asset_runtime::templates::tera::add_to(&mut tera, &ASSETS);
    tera.add_raw_template("page", r#"<head>{{ vite(entry="src/main.js") }}</head>"#)
        .unwrap();
    let html = tera.render("page", &tera::Context::new()).unwrap();
    assert_eq!(html, format!("<head>{tags}</head>"));
    tera.add_raw_template("bad", r#"{{ vite(entry="src/nope.js") }}"#)
        .unwrap();
    let err = format!("{:?}", tera.render("bad", &tera::Context::new()).unwrap_err());
    assert!(err.contains("no Vite entry `src/nope.js`"), "{err}");
}
