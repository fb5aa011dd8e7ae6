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

/// Waits up to 5 s for the page's title to be `title`: the modules ran.
async fn wait_for_title(browser: &Browser, title: &str) {
    let within = Duration::from_secs(5);
    browser
        .wait_for(
            "return document.title",
            title,
            within,
            "the modules did not run; the title",
        )
        .await;
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

/// The assets of a folder collected by asset-build at test time, as an
/// app reads them from its generated files.
fn collect(source: &std::path::Path) -> &'static Assets {
    let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
    let output = asset_build::Config::new()
        .source(source)
        .dependency_assets(false)
        .package_dir(dir.path())
        .out_dir(dir.path().join("out"))
        .output_dir(dir.path().join("static"))
        .compression_cache(None)
        .cargo_directives(false)
        .build()
        .unwrap();
    let read = |path: std::path::PathBuf| -> &'static [u8] {
        Box::leak(std::fs::read(path).unwrap_or_default().into_boxed_slice())
    };
    let beside = |suffix: &str| {
        let mut path = output.generated_file.as_os_str().to_owned();
        path.push(suffix);
        std::path::PathBuf::from(path)
    };
    Box::leak(Box::new(Assets::__new(
        read(output.table_file.clone()),
        read(beside(".overlay")),
        &[],
        read(beside(".vite")),
        read(beside(".importmap")),
    )))
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and a Vite build (ASSET_VITE_DIST); .ci/run runs it"]
async fn every_entry_of_a_vite_build_with_a_chunk_import_map_runs() {
    let dist = std::path::PathBuf::from(
        std::env::var("ASSET_VITE_DIST").expect("ASSET_VITE_DIST: DEST/project/dist of scripts/vite-fixture.sh"),
    );
    let assets = collect(&dist.with_file_name("dist-chunkmap"));
    let head = assets.vite_tags(&["src/main.js", "src/admin.js"]).unwrap();
    assert_eq!(head.matches("<script type=\"importmap\">").count(), 1, "{head}");
    let page = format!(
        "<!doctype html><html><head><link rel=\"icon\" href=\"data:,\">{head}</head>\
         <body><p id=\"app\"></p><img id=\"logo\"><button id=\"more\">more</button></body></html>"
    );
    let base = serve(assets, page).await;
    let browser = Browser::start().await;
    browser.open(&format!("{base}/")).await;
    // `main` sets the logo, then `admin` the text: both import the shared
    // chunk through the map.
    let ran = "return [document.querySelector('#app').textContent, document.querySelector('#logo').src]";
    let started = Instant::now();
    loop {
        let state = browser.run(ran).await;
        if state[0] == "hello, admin"
            && state[1]
                .as_str()
                .is_some_and(|src| src.contains("/static/assets/logo-"))
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the entries did not both run: {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The dynamic import goes through the map as well.
    browser
        .run("document.querySelector('#more').click(); return true")
        .await;
    let started = Instant::now();
    while browser.run("return document.querySelector('#app').textContent").await != "loaded on demand" {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the lazy chunk did not load"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.quit().await;
}
