//! maud templates (feature `maud`): real `html!` blocks that render a Vite
//! entry, the import map and a static URL, compiled and rendered.

#[test]
fn a_vite_entry_renders_its_tags_unescaped_and_a_url_escaped() {
    use end_to_end_tests::vite_assets::{ASSETS, static_url};
    let entry = ASSETS.vite_entry("src/main.js").unwrap();
    let url = static_url("favicon.ico").unwrap();
    let page = maud::html! {
        head {
            (entry)
            link rel="icon" href=(url);
        }
        p { (format!("<{}>", url)) }
    };
    let expected = format!(
        "<head>{}<link rel=\"icon\" href=\"{url}\"></head><p>&lt;{url}&gt;</p>",
        entry.tags()
    );
    assert_eq!(page.into_string(), expected);
}

#[test]
fn the_import_map_renders_its_tags() {
    use end_to_end_tests::module_assets::ASSETS;
    let map = ASSETS.import_map();
    assert!(!map.is_empty());
    let page = maud::html! { head { (map) } };
    assert_eq!(
        page.into_string(),
        format!("<head>{}</head>", ASSETS.import_map().tags())
    );
}
