//! askama templates (feature `askama`): real templates, compiled by
//! askama's derive and rendered, that call the table directly.

use askama::Template as _;
use end_to_end_tests::vite_assets::ASSETS;

#[derive(askama::Template)]
#[template(
    ext = "html",
    source = r#"{{ ASSETS.vite_entry("src/main.js")? }}
<link rel="icon" href="{{ ASSETS.url("favicon.ico")? }}" integrity="{{ ASSETS.integrity("assets/main-Bx9_k-2Q.js")? }}">"#
)]
struct Page;

#[derive(askama::Template)]
#[template(ext = "html", source = r#"<link href="{{ ASSETS.url(name)? }}">"#)]
struct Link<'a> {
    name: &'a str,
}

#[derive(askama::Template)]
#[template(ext = "html", source = r#"{{ ASSETS.vite_entry(key)? }}"#)]
struct Entry<'a> {
    key: &'a str,
}

#[test]
fn a_vite_entry_writes_its_tags_and_urls_and_integrity_are_text() {
    let page = Page.render().unwrap();
    let entry = ASSETS.vite_entry("src/main.js").unwrap();
    let expected = format!(
        "{}\n<link rel=\"icon\" href=\"{}\" integrity=\"{}\">",
        entry.tags(),
        ASSETS.url("favicon.ico").unwrap(),
        ASSETS.get("assets/main-Bx9_k-2Q.js").unwrap().integrity()
    );
    assert_eq!(page, expected);
    assert!(page.contains("<script type=\"module\""), "{page}");
}

#[test]
fn an_unknown_name_or_entry_fails_the_render_naming_it() {
    let error = Link { name: "css/typo.css" }.render().unwrap_err();
    assert!(error.to_string().contains("css/typo.css"), "{error}");
    let error = Entry { key: "src/typo.js" }.render().unwrap_err();
    assert!(error.to_string().contains("src/typo.js"), "{error}");
}

#[derive(askama::Template)]
#[template(ext = "html", source = r#"<head>{{ ASSETS.import_map() }}</head>"#)]
struct Head;

mod modules {
    use end_to_end_tests::module_assets::ASSETS;

    #[derive(askama::Template)]
    #[template(ext = "html", source = r#"<head>{{ ASSETS.import_map() }}</head>"#)]
    pub struct Head;
}

#[test]
fn the_import_map_writes_its_tags() {
    use end_to_end_tests::module_assets::ASSETS as MODULES;
    let head = modules::Head.render().unwrap();
    assert!(!MODULES.import_map().is_empty());
    assert_eq!(head, format!("<head>{}</head>", MODULES.import_map().tags()));
    // A table with no pins writes nothing.
    assert_eq!(Head.render().unwrap(), "<head></head>");
}
