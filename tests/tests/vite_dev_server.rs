//! Dev mode with Vite's dev server (`ASSET_VITE_DEV_SERVER`): a Vite
//! entry's tags load Vite's client and the entry's source from the dev
//! server, and URLs of Vite's output files point at their sources there.
//! In headless Chromium, against a real `vite` dev server from npm, a
//! module edit applies by hot module replacement without a page reload,
//! and no request goes to a built, hashed file.

#[path = "support/browser.rs"]
mod browser;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use asset_runtime::Settings;
use asset_runtime::serve::ServeAssets;
use browser::Browser;
use end_to_end_tests::vite_assets::ASSETS;

/// The dev server's port, and this process's settings: dev mode, with the
/// dev server at that port under Vite's `base`.
fn port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let settings = Settings::new()
            .dev(true)
            .vite_dev_server(format!("http://127.0.0.1:{port}/static"));
        asset_runtime::configure(settings).unwrap();
        port
    })
}

#[test]
fn entry_tags_and_vite_urls_point_at_the_dev_server() {
    let server = format!("http://127.0.0.1:{}/static/", port());
    let entry = ASSETS.vite_entry("src/main.js").unwrap();
    assert_eq!(
        entry.tags(),
        format!(
            "<script type=\"module\" src=\"{server}@vite/client\"></script>\n\
             <script type=\"module\" src=\"{server}src/main.js\"></script>"
        )
    );
    // The entry's output file is served by the dev server, as its source.
    assert_eq!(entry.file().url(), format!("{server}src/main.js"));
    assert_eq!(ASSETS.url(entry.file().name()).unwrap(), format!("{server}src/main.js"));
    // A file Vite did not make keeps its dev-mode URL.
    assert_eq!(ASSETS.url("favicon.ico").unwrap(), "/static/favicon.ico");
}

/// Kills the dev server when dropped.
struct Vite(std::process::Child);

impl Drop for Vite {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Vite project whose entry `src/main.js` sets the page's title from
/// `src/message.js` and takes that module's updates by HMR; `node_modules`
/// is the fixture project's (`scripts/vite-fixture.sh`).
fn project(fixture: &std::path::Path, port: u16) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink(fixture.join("node_modules"), root.join("node_modules")).unwrap();
    std::fs::write(root.join("package.json"), r#"{ "private": true, "type": "module" }"#).unwrap();
    std::fs::write(
        root.join("vite.config.js"),
        format!(
            "export default {{ base: '/static/', server: {{ host: '127.0.0.1', port: {port}, strictPort: true, \
             origin: 'http://127.0.0.1:{port}' }} }}\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(
        root.join("src/main.js"),
        "import { message } from './message.js'\n\
         document.title = message\n\
         if (import.meta.hot) {\n\
           import.meta.hot.accept('./message.js', (module) => { document.title = module.message })\n\
         }\n",
    )
    .unwrap();
    std::fs::write(root.join("src/message.js"), "export const message = 'first'\n").unwrap();
    dir
}

/// Waits up to 10 s for the page's title to be `title`.
async fn wait_for_title(browser: &Browser, title: &str) {
    let within = Duration::from_secs(10);
    browser
        .wait_for("return document.title", title, within, "the title")
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and Vite from npm (ASSET_VITE_PROJECT); .ci/run runs it"]
async fn a_module_edit_applies_by_hmr_without_a_reload() {
    let fixture = std::path::PathBuf::from(
        std::env::var("ASSET_VITE_PROJECT").expect("ASSET_VITE_PROJECT: a project made by scripts/vite-fixture.sh"),
    );
    let port = port();
    let project = project(&fixture, port);
    let vite = Vite(
        std::process::Command::new("node")
            .arg(fixture.join("node_modules/vite/bin/vite.js"))
            .current_dir(project.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("node"),
    );
    let client = format!("http://127.0.0.1:{port}/static/@vite/client");
    let started = Instant::now();
    while !reqwest::get(&client).await.is_ok_and(|r| r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(30), "vite did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let head = ASSETS.vite_entry("src/main.js").unwrap().tags();
    // No icon: the browser would ask the app for `/favicon.ico`.
    let page =
        format!("<!doctype html><html><head><link rel=\"icon\" href=\"data:,\">{head}</head><body></body></html>");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_origin = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(page) }),
        )
        .nest_service("/static", ServeAssets::new(&ASSETS));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let browser = Browser::start().await;
    browser.open(&format!("{app_origin}/")).await;
    wait_for_title(&browser, "first").await;
    // A reload would lose this.
    browser.run("window.notReloaded = true").await;
    // Let the HMR socket connect before the edit.
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(
        project.path().join("src/message.js"),
        "export const message = 'second'\n",
    )
    .unwrap();
    wait_for_title(&browser, "second").await;
    assert_eq!(
        browser.run("return window.notReloaded === true").await,
        true,
        "the page reloaded"
    );

    let requested = browser
        .run("return performance.getEntriesByType('resource').map((e) => e.name)")
        .await;
    let requested: Vec<String> = serde_json::from_value(requested).unwrap();
    assert!(!requested.is_empty());
    for url in &requested {
        assert!(
            url.starts_with(&format!("http://127.0.0.1:{port}/")),
            "{url} is not from the dev server: {requested:#?}"
        );
        assert!(!url.contains("/assets/"), "{url} is a built file");
    }
    browser.quit().await;
    drop(vite);
}
