//! Pages that load modules through the runtime's tags, in headless
//! Chromium: an import map with its `integrity` map, and a Vite entry's
//! tags. A wrong URL, a wrong integrity value or a map the browser rejects
//! leaves the page's title unset.

#[path = "support/browser.rs"]
mod browser;

use std::time::{Duration, Instant};

use asset_runtime::Assets;
use asset_runtime::serve::ServeAssets;
use browser::Browser;

/// Serves `page` at `/` and `assets` at `/static/`.
async fn serve(assets: &'static Assets, page: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(page) }),
        )
        .nest_service("/static", ServeAssets::new(assets));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Waits up to 5 s for the page's title to be `title`.
async fn wait_for_title(browser: &Browser, title: &str) {
    let started = Instant::now();
    loop {
        let now = browser.run("return document.title").await;
        if now == title {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "title is {now}, not {title}: the modules did not run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver; .ci/run installs them and runs it"]
async fn modules_load_through_the_import_map_with_their_integrity() {
    use end_to_end_tests::module_assets::ASSETS;
    let head = ASSETS.import_map().tags();
    assert!(head.contains("\"integrity\""), "{head}");
    let page = format!(
        "<!doctype html><html><head>{head}\n<script type=\"module\">import \"app\";</script></head><body></body></html>"
    );
    let base = serve(&ASSETS, page).await;
    let browser = Browser::start().await;
    browser.open(&format!("{base}/")).await;
    // `app` imports `controllers/hello` by specifier and `./util.js`
    // relatively: both resolve through the map to hashed URLs.
    wait_for_title(&browser, "hellohello").await;
    let loaded = browser
        .run("return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
        .await;
    let loaded: Vec<&str> = loaded.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for name in ["js/app.js", "js/util.js", "js/controllers/hello.js"] {
        let url = ASSETS.get(name).unwrap().url();
        assert!(loaded.contains(&url), "{url} not loaded: {loaded:?}");
    }
    assert!(!loaded.contains(&"/static/js/util.js"), "{loaded:?}");
    browser.quit().await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver; .ci/run installs them and runs it"]
async fn a_vite_entry_loads_from_its_tags() {
    use end_to_end_tests::vite_assets::ASSETS;
    let head = ASSETS.vite_entry("src/main.js").unwrap().tags();
    let page = format!("<!doctype html><html><head>{head}</head><body></body></html>");
    let base = serve(&ASSETS, page).await;
    let browser = Browser::start().await;
    browser.open(&format!("{base}/")).await;
    wait_for_title(&browser, "main").await;
    let sheets = browser.run("return document.styleSheets.length").await;
    assert_eq!(sheets, 2);
    browser.quit().await;
}
