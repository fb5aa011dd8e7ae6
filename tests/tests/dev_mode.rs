//! Dev mode over real HTTP: `ServeAssets` answers every name of the build
//! with the current content of its source file, with no rebuild, and live
//! reload pushes an event to open pages when a source file changes: a
//! stylesheet swap when only stylesheets changed, a reload otherwise.
//!
//! Dev mode is process-wide, so these tests live in a test binary of their
//! own. They edit the sources of the `dev_assets` table (in this crate's
//! `OUT_DIR`, restored by its build script) and put them back.

#[path = "support/browser.rs"]
mod browser;

use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};

use asset_runtime::serve::ServeAssets;
use asset_runtime::{Settings, configure};
use browser::Browser;
use end_to_end_tests::dev_assets::{ASSETS, static_url};
use reqwest::StatusCode;

/// Tests that edit sources take turns, so that a reload is caused by the
/// edit its test made.
static EDITING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn dev_mode() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| configure(Settings::new().dev(true)).unwrap());
}

async fn start() -> String {
    dev_mode();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                axum::response::Html(format!(
                    r#"<!doctype html><title>page</title><link rel="stylesheet" href="{}"><p class="browser">hi</p><input id="name">"#,
                    static_url("css/browser.css").unwrap()
                ))
            }),
        )
        .nest_service("/static", ServeAssets::new(&ASSETS))
        .layer(asset_runtime::livereload::layer(&ASSETS).unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A source file of the table, put back as it was when dropped.
struct Edited {
    path: PathBuf,
    original: Vec<u8>,
}

impl Edited {
    fn new(name: &str) -> Self {
        let path = ASSETS.get(name).unwrap().source_path();
        let original = std::fs::read(&path).unwrap();
        Edited { path, original }
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.path, text).unwrap();
    }
}

impl Drop for Edited {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.original);
    }
}

async fn get(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_css_edit_is_served_on_the_next_request_with_a_new_etag() {
    let _turn = EDITING.lock().await;
    let base = start().await;
    let file = Edited::new("css/edit.css");
    let url = format!("{base}/static/css/edit.css");

    let first = get(&url, &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header(&first, "cache-control"), "no-cache");
    assert_eq!(header(&first, "content-type"), "text/css; charset=utf-8");
    let etag = header(&first, "etag");
    assert_eq!(first.bytes().await.unwrap(), file.original);

    let again = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "304 still works");

    file.write(".edit { color: red }\n");
    let edited = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(edited.status(), StatusCode::OK, "no rebuild needed");
    assert_ne!(header(&edited, "etag"), etag);
    assert_eq!(edited.text().await.unwrap(), ".edit { color: red }\n");
}

#[tokio::test]
async fn a_hashed_name_is_answered_with_the_current_source() {
    let _turn = EDITING.lock().await;
    let base = start().await;
    let file = Edited::new("css/hashed.css");
    let asset = ASSETS.get("css/hashed.css").unwrap();
    let url = format!("{base}/static/{}", asset.hashed_name());

    // The built copy has its reference rewritten; dev mode serves the source.
    let built = std::fs::read_to_string(ASSETS.output_dir().join(asset.hashed_name())).unwrap();
    assert!(!built.contains("url(../img/dot.png)"), "{built}");
    let response = get(&url, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert_eq!(response.bytes().await.unwrap(), file.original);

    file.write(".hashed { color: blue }\n");
    assert_eq!(get(&url, &[]).await.text().await.unwrap(), ".hashed { color: blue }\n");

    // Its reference resolves to an unhashed URL, served the same way.
    let image = get(&format!("{base}/static/img/dot.png"), &[]).await;
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(header(&image, "content-type"), "image/png");
}

#[tokio::test]
async fn a_file_the_build_did_not_see_is_404_with_a_hint_to_rebuild() {
    let _turn = EDITING.lock().await;
    let base = start().await;
    let new_file = ASSETS
        .get("css/edit.css")
        .unwrap()
        .source_path()
        .with_file_name("new.css");
    std::fs::write(&new_file, "a{}").unwrap();
    let response = get(&format!("{base}/static/css/new.css"), &[]).await;
    std::fs::remove_file(&new_file).unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let text = response.text().await.unwrap();
    assert!(text.contains("`css/new.css`") && text.contains("rebuild"), "{text}");
}

/// A source removed since the build: 404 naming the asset, and the
/// source's absolute path only in the server's log, never to the client.
#[tokio::test]
async fn a_removed_source_is_404_without_its_path() {
    let _turn = EDITING.lock().await;
    let base = start().await;
    let file = Edited::new("css/edit.css");
    std::fs::remove_file(&file.path).unwrap();
    let response = get(&format!("{base}/static/css/edit.css"), &[]).await;
    drop(file);
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    let text = response.text().await.unwrap();
    assert!(text.contains("`css/edit.css`") && text.contains("restore it"), "{text}");
    let source = ASSETS.get("css/edit.css").unwrap().source_path();
    let folder = source.parent().unwrap().display().to_string();
    assert!(!text.contains(&folder), "{text}");
}

#[tokio::test]
async fn urls_are_unhashed_in_dev_mode() {
    dev_mode();
    assert_eq!(static_url("css/etag.css").unwrap(), "/static/css/etag.css");
    assert_eq!(ASSETS.get("img/dot.png").unwrap().url(), "/static/img/dot.png");
    // The hashed URL is still known.
    let hashed = ASSETS.get("img/dot.png").unwrap().default_url();
    assert!(
        hashed.starts_with("/static/img/dot.") && hashed != "/static/img/dot.png",
        "{hashed}"
    );
    // Unknown names are still errors.
    assert!(static_url("css/typo.css").is_err());
}

/// The event stream a page's script named in `attribute` listens to,
/// opened, its first chunk read.
async fn listen(base: &str, page: &str, attribute: &str) -> reqwest::Response {
    let pattern = format!(r#"{attribute}="([^"]+)""#);
    let path = regex::Regex::new(&pattern)
        .unwrap()
        .captures(page)
        .unwrap_or_else(|| panic!("no {attribute} script in {page}"))[1]
        .to_owned();
    let mut events = get(&format!("{base}{path}"), &[]).await;
    assert_eq!(header(&events, "content-type"), "text/event-stream");
    let first = events.chunk().await.unwrap().unwrap();
    assert!(!first.is_empty());
    events
}

/// The next chunk of `events` within `wait`, as text; `None` if none came.
async fn next_event(events: &mut reqwest::Response, wait: Duration) -> Option<String> {
    let chunk = tokio::time::timeout(wait, events.chunk()).await.ok()?;
    Some(String::from_utf8_lossy(&chunk.unwrap().expect("the stream is open")).into_owned())
}

#[tokio::test]
async fn a_stylesheet_edit_pushes_a_swap_and_any_other_edit_a_reload() {
    let _turn = EDITING.lock().await;
    let base = start().await;
    // The page carries the script, which listens to one stream.
    let page = get(&format!("{base}/"), &[]).await.text().await.unwrap();
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    let mut events = listen(&base, &page, "data-asset-runtime-events").await;
    // Nothing changes, nothing is sent.
    assert_eq!(next_event(&mut events, Duration::from_millis(300)).await, None);

    // A stylesheet, and an image only stylesheets name: a swap, within a
    // second. An image a script names, or a script: a reload.
    for (name, text, expected) in [
        ("css/reload.css", ".reload { color: green }\n", "event: stylesheets"),
        ("img/dot.png", "\u{89}PNG another dot", "event: stylesheets"),
        ("img/logo.png", "\u{89}PNG another logo", "event: reload"),
        (
            "js/app.js",
            "export const logo = \"../img/logo.png\";\n// edited\n",
            "event: reload",
        ),
    ] {
        let file = Edited::new(name);
        let edited = Instant::now();
        file.write(text);
        let pushed = next_event(&mut events, Duration::from_secs(1)).await;
        assert_eq!(
            pushed.as_deref().map(|e| e.trim_end()),
            Some(format!("{expected}\ndata:").as_str()),
            "{name}"
        );
        assert!(edited.elapsed() < Duration::from_secs(1), "{name}");
        assert_eq!(
            next_event(&mut events, Duration::from_millis(300)).await,
            None,
            "{name}"
        );
        // Putting the file back pushes the same event again.
        drop(file);
        let back = next_event(&mut events, Duration::from_secs(1)).await;
        assert!(
            back.as_deref().is_some_and(|e| e.contains(expected)),
            "{name}: {back:?}"
        );
    }
}

/// What a reload would lose is still there: the mark and what was typed.
async fn assert_page_kept(browser: &Browser) {
    let kept = "return [window.notReloaded === true, document.querySelector('#name').value]";
    assert_eq!(
        browser.run(kept).await,
        serde_json::json!([true, "typed"]),
        "the page reloaded"
    );
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver; .ci/run installs them and runs it"]
async fn in_a_real_browser_a_css_edit_swaps_the_style_and_keeps_the_page() {
    let _turn = EDITING.lock().await;
    let base = start().await;
    let file = Edited::new("css/browser.css");
    let browser = Browser::start().await;
    browser.open(&format!("{base}/")).await;
    let color = "return getComputedStyle(document.querySelector('.browser')).color";
    assert_eq!(browser.run(color).await, "rgb(0, 0, 0)");
    // What a user typed, and a mark, both of which a reload wipes out;
    // then time for the page's event streams to connect.
    browser
        .run("document.querySelector('#name').value = 'typed'; window.notReloaded = true; return true")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    file.write(".browser { color: rgb(0, 128, 0); background: url(../img/dot.png) }\n");
    let within = Duration::from_secs(2);
    let took = browser.wait_for(color, "rgb(0, 128, 0)", within, "the new style").await;
    println!("edit to new style in the browser: {} ms", took.as_millis());
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_page_kept(&browser).await;
    // One stylesheet: the old one went once the new one loaded.
    assert_eq!(
        browser
            .run("return document.querySelectorAll('link[rel=stylesheet]').length")
            .await,
        1
    );

    // An image only the stylesheet names: fetched again, with no reload.
    let fetched = "return performance.getEntriesByType('resource').filter((e) => e.name.includes('dot.png')).length";
    let before = browser.run(fetched).await.as_u64().unwrap();
    assert!(before >= 1, "the background image was not fetched");
    let image = Edited::new("img/dot.png");
    image.write("\u{89}PNG a new dot");
    let within = Duration::from_secs(2);
    browser.wait_for(fetched, before + 1, within, "the image fetches").await;
    assert_page_kept(&browser).await;
    drop(image);

    // A script: the page reloads.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let script = Edited::new("js/app.js");
    script.write("export const logo = \"../img/logo.png\";\n// reloaded\n");
    let reloaded = "return window.notReloaded === undefined";
    browser
        .wait_for(reloaded, true, Duration::from_secs(2), "the page reloaded")
        .await;
    drop(script);
    browser.quit().await;
}
