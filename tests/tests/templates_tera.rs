//! The tera helpers over the example app's table.

#[test]
fn static_and_integrity_in_tera() {
    let mut tera = tera::Tera::default();
    asset_runtime::templates::tera::add_to(&mut tera, &example_app::ASSETS);
    tera.add_raw_template(
        "page",
        r#"<link href="{{ static(name="css/site.css") }}" integrity="{{ integrity(name="css/site.css") }}">"#,
    )
    .unwrap();
    let html = tera.render("page", &tera::Context::new()).unwrap();
    let css = example_app::ASSETS.get("css/site.css").unwrap();
    assert_eq!(
        html,
        format!(r#"<link href="{}" integrity="{}">"#, css.url(), css.integrity())
    );

    tera.add_raw_template("bad", r#"{{ static(name="css/typo.css") }}"#)
        .unwrap();
    let err = tera.render("bad", &tera::Context::new()).unwrap_err();
    let chain = format!("{err:?}");
    assert!(chain.contains("css/typo.css"), "{chain}");
    tera.add_raw_template("no-name", r#"{{ static() }}"#).unwrap();
    let err = format!("{:?}", tera.render("no-name", &tera::Context::new()).unwrap_err());
    assert!(err.contains("needs a `name` argument"), "{err}");
}
