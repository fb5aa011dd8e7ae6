//! The example apps (axum's `example-app` and `example-actix`), each served
//! on an ephemeral loopback port, fetched with a real HTTP client: the page
//! and every asset it links, and every `url()` inside the served CSS, must
//! be 200 with the bytes the build recorded.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;

use md5::{Digest, Md5};

/// Starts each example app; its base URL and its table.
async fn start_each() -> [(String, &'static asset_runtime::Assets); 2] {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let axum = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(example_app::serve(listener));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let actix = format!("http://{}", listener.local_addr().unwrap());
    // actix-web runs its own runtime, on a thread of its own.
    std::thread::spawn(move || actix_web::rt::System::new().block_on(example_actix::serve(listener)));
    [(axum, &example_app::ASSETS), (actix, &example_actix::ASSETS)]
}

/// Resolves `url` found in the resource at `base_path` (an absolute path).
fn resolve(base_path: &str, url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap();
    if url.starts_with('/') {
        return url.to_owned();
    }
    let mut parts: Vec<&str> = base_path.split('/').collect();
    parts.pop();
    for segment in url.split('/') {
        match segment {
            ".." => {
                parts.pop();
            }
            "." => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn page_and_every_linked_asset_are_served_with_the_built_bytes() {
    for (base, assets) in start_each().await {
        page_and_assets_at(&base, assets).await;
    }
}

async fn page_and_assets_at(base: &str, assets: &'static asset_runtime::Assets) {
    let client = reqwest::Client::new();
    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();

    let attr = regex::Regex::new(r#"(?:href|src)="(/static/[^"]+)""#).unwrap();
    let css_url = regex::Regex::new(r#"url\("?([^")]+)"?\)"#).unwrap();
    let hashed = regex::Regex::new(r"\.[0-9a-f]{12}(\.[^./]+)?$").unwrap();

    let mut queue: VecDeque<String> = attr.captures_iter(&html).map(|c| c[1].to_owned()).collect();
    assert_eq!(queue.len(), 4, "css, js, image and font links in:\n{html}");
    let mut seen = BTreeSet::new();
    let by_hashed: std::collections::HashMap<&str, asset_runtime::Asset> =
        assets.iter().map(|a| (a.hashed_name(), a)).collect();
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-app/assets");

    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        assert!(hashed.is_match(&path), "{path} is not a hashed name");
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body = response.bytes().await.unwrap();
        let name = percent_decode(path.strip_prefix("/static/").unwrap());
        let asset = by_hashed
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} is not in the table"));
        let digest = format!("{:x}", Md5::digest(&body));
        assert_eq!(digest, asset.md5(), "{path}: served bytes differ from the build's");
        assert_eq!(body.len() as u64, asset.size(), "{path}");
        assert!(
            name.contains(&digest[..12]),
            "{path}: name does not carry the content hash"
        );
        if name.ends_with(".css") {
            let text = std::str::from_utf8(&body).unwrap();
            for c in css_url.captures_iter(text) {
                if !c[1].starts_with("data:") {
                    queue.push_back(resolve(&path, &c[1]));
                }
            }
        } else if !name.ends_with(".js") {
            let original = std::fs::read(source_dir.join(asset.name())).unwrap();
            assert!(original == body.as_ref(), "{path}: not the source file's bytes");
        }
    }
    // The page's four links, base.css through @import, the paper and bullet
    // images and the woff font referenced only from CSS.
    assert_eq!(seen.len(), 8, "{seen:#?}");
}

#[tokio::test]
async fn unknown_static_path_is_404() {
    for (base, _) in start_each().await {
        let response = reqwest::get(format!("{base}/static/css/nope.css")).await.unwrap();
        assert_eq!(response.status(), 404, "{base}");
    }
}
