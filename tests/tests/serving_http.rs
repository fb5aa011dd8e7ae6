//! `asset_runtime::serve::ServeAssets`, mounted at `/static/` in axum (as
//! the example app does) and in actix-web (as `example-actix` does),
//! exercised rule by rule over real HTTP: each case runs against both
//! frameworks, answering both from the bytes embedded in the binary and
//! from the output folder.

use std::io::{Read, Write};
use std::path::PathBuf;

use asset_runtime::serve::ServeAssets;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// The frameworks `ServeAssets` is mounted in: every case runs in each.
#[derive(Clone, Copy, Debug)]
enum Framework {
    /// A tower service in an axum router (`nest_service`).
    Axum,
    /// `ServeAssets::actix` in an actix-web app (`App::service`).
    Actix,
}

const FRAMEWORKS: [Framework; 2] = [Framework::Axum, Framework::Actix];

/// Serves `service` at `/static` with `framework` on an ephemeral loopback
/// port; the server's base URL.
async fn mount(framework: Framework, service: ServeAssets) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    match framework {
        Framework::Axum => {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new().nest_service("/static", service);
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        Framework::Actix => {
            // actix-web runs its own runtime, on a thread of its own.
            std::thread::spawn(move || {
                let app = move || actix_web::App::new().service(service.clone().actix("/static"));
                let server = actix_web::HttpServer::new(app)
                    .workers(1)
                    .disable_signals()
                    .listen(listener)
                    .unwrap()
                    .run();
                actix_web::rt::System::new().block_on(server)
            });
        }
    }
    format!("http://{addr}")
}

/// Every way of serving the example's assets: each framework, from the
/// binary and from the folder.
async fn every() -> Vec<String> {
    let mut bases = Vec::new();
    for framework in FRAMEWORKS {
        for embedded in [true, false] {
            let service = ServeAssets::new(&example_app::ASSETS).prefer_embedded(embedded);
            bases.push(mount(framework, service).await);
        }
    }
    bases
}

/// Each framework, from the folder only (for `Last-Modified`).
async fn folders() -> Vec<String> {
    let mut bases = Vec::new();
    for framework in FRAMEWORKS {
        let service = ServeAssets::new(&example_app::ASSETS).prefer_embedded(false);
        bases.push(mount(framework, service).await);
    }
    bases
}

fn collected(name: &str) -> Vec<u8> {
    let dir: PathBuf = example_app::ASSETS.output_dir().to_owned();
    std::fs::read(dir.join(name)).unwrap()
}

fn css() -> asset_runtime::Asset {
    example_app::ASSETS.get("css/site.css").unwrap()
}

async fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("{base}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn hashed_name_headers_and_bytes() {
    for base in every().await {
        hashed_name_headers_and_bytes_at(&base).await;
    }
}

async fn hashed_name_headers_and_bytes_at(base: &str) {
    let asset = css();
    let (status, headers, body) = get(base, &format!("/static/{}", asset.hashed_name()), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, collected(asset.hashed_name()));
    assert_eq!(h(&headers, "content-type"), "text/css; charset=utf-8");
    assert_eq!(h(&headers, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(h(&headers, "etag"), format!("\"{}\"", asset.md5()));
    assert_eq!(h(&headers, "content-length"), body.len().to_string());
    assert_eq!(h(&headers, "vary"), "Accept-Encoding");
    assert_eq!(h(&headers, "accept-ranges"), "bytes");
    assert!(headers.get("content-encoding").is_none());
}

#[tokio::test]
async fn unhashed_name_gets_a_short_max_age_and_its_original_bytes() {
    for base in &folders().await {
        unhashed_name_at(base).await;
    }
}

async fn unhashed_name_at(base: &str) {
    let (status, headers, body) = get(base, "/static/css/site.css", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, collected("css/site.css"));
    assert_eq!(h(&headers, "cache-control"), "public, max-age=60");
    assert_eq!(h(&headers, "etag"), format!("\"{}\"", css().original_file().md5()));
    assert!(headers.contains_key("last-modified"));
}

#[tokio::test]
async fn accept_encoding_negotiation() {
    for base in every().await {
        accept_encoding_negotiation_at(&base).await;
    }
}

async fn accept_encoding_negotiation_at(base: &str) {
    let path = format!("/static/{}", css().hashed_name());
    let cases: [(&str, Option<&str>, &str); 6] = [
        ("gzip, deflate, br", Some("br"), ".br"),
        ("gzip", Some("gzip"), ".gz"),
        ("br;q=0, gzip;q=0.5", Some("gzip"), ".gz"),
        ("br;q=0.4, gzip;q=0.9", Some("gzip"), ".gz"),
        ("identity", None, ""),
        ("br;q=0.5, identity;q=1", None, ""),
    ];
    for (accept, encoding, suffix) in cases {
        let (status, headers, body) = get(base, &path, &[("accept-encoding", accept)]).await;
        assert_eq!(status, 200, "{accept}");
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(body, collected(&format!("{}{suffix}", css().hashed_name())), "{accept}");
        assert_eq!(h(&headers, "etag"), format!("\"{}{suffix}\"", css().md5()), "{accept}");
        assert_eq!(h(&headers, "vary"), "Accept-Encoding");
        assert_eq!(h(&headers, "content-type"), "text/css; charset=utf-8");
    }
    // An image has no compressed siblings: identity, and no Vary.
    let png = example_app::ASSETS.get("img/paper.png").unwrap();
    let (_, headers, _) = get(
        base,
        &format!("/static/{}", png.hashed_name()),
        &[("accept-encoding", "br")],
    )
    .await;
    assert!(headers.get("content-encoding").is_none() && headers.get("vary").is_none());
}

#[tokio::test]
async fn zstd_is_negotiated_after_brotli_by_q_value() {
    use end_to_end_tests::zstd_assets::ASSETS;
    let asset = ASSETS.get("css/panels.css").unwrap();
    let file = asset.hashed_file();
    assert!(file.br_size().is_some() && file.gz_size().is_some() && file.zst_size().is_some());
    let output = ASSETS.output_dir().to_owned();
    let on_disk = |suffix: &str| std::fs::read(output.join(format!("{}{suffix}", asset.hashed_name()))).unwrap();
    let identity = on_disk("");
    assert_eq!(zstd::decode_all(on_disk(".zst").as_slice()).unwrap(), identity);

    for (framework, embedded) in FRAMEWORKS.into_iter().flat_map(|f| [(f, true), (f, false)]) {
        let embedded_in = format!("{framework:?}, embedded: {embedded}");
        let embedded = &embedded_in;
        let service = ServeAssets::new(&ASSETS).prefer_embedded(embedded_in.ends_with("true"));
        let base = mount(framework, service).await;
        let path = format!("/static/{}", asset.hashed_name());

        let cases: [(&str, Option<&str>, &str); 12] = [
            // What Chrome and Firefox send: Brotli wins the tie.
            ("gzip, deflate, br, zstd", Some("br"), ".br"),
            ("gzip, deflate, zstd", Some("zstd"), ".zst"),
            ("zstd", Some("zstd"), ".zst"),
            ("ZSTD", Some("zstd"), ".zst"),
            ("br;q=0.5, zstd", Some("zstd"), ".zst"),
            ("br;q=0, *", Some("zstd"), ".zst"),
            ("zstd;q=0.5, gzip;q=0.4", Some("zstd"), ".zst"),
            // An explicit higher q wins over the order of preference.
            ("br;q=0.8, zstd;q=0.9, gzip", Some("gzip"), ".gz"),
            ("br;q=0.9, zstd;q=1", Some("zstd"), ".zst"),
            ("zstd;q=0, br;q=0, gzip", Some("gzip"), ".gz"),
            ("zstd;q=0.5, identity", None, ""),
            ("identity", None, ""),
        ];
        for (accept, encoding, suffix) in cases {
            let what = format!("{accept} ({embedded})");
            let (status, headers, body) = get(&base, &path, &[("accept-encoding", accept)]).await;
            assert_eq!(status, 200, "{what}");
            assert_eq!(
                headers.get("content-encoding").map(|v| v.to_str().unwrap()),
                encoding,
                "{what}"
            );
            assert_eq!(body, on_disk(suffix), "{what}");
            assert_eq!(h(&headers, "etag"), format!("\"{}{suffix}\"", asset.md5()), "{what}");
            assert_eq!(h(&headers, "vary"), "Accept-Encoding", "{what}");
            assert_eq!(h(&headers, "content-type"), "text/css; charset=utf-8", "{what}");
            assert_eq!(h(&headers, "content-length"), body.len().to_string(), "{what}");
        }

        let zstd_only = [("accept-encoding", "zstd")];
        // The zstd representation has its own tag.
        let tag = format!("\"{}.zst\"", asset.md5());
        let (status, _, _) = get(&base, &path, &[zstd_only[0], ("if-none-match", &tag)]).await;
        assert_eq!(status, 304, "{embedded}");
        let plain_tag = format!("\"{}\"", asset.md5());
        let (status, _, _) = get(&base, &path, &[zstd_only[0], ("if-none-match", &plain_tag)]).await;
        assert_eq!(status, 200, "{embedded}");
        // Ranges are of the zstd bytes.
        let zst = on_disk(".zst");
        let (status, headers, body) = get(&base, &path, &[zstd_only[0], ("range", "bytes=0-9")]).await;
        assert_eq!(status, 206, "{embedded}");
        assert_eq!(body, &zst[..10]);
        assert_eq!(h(&headers, "content-encoding"), "zstd");
        assert_eq!(h(&headers, "content-range"), format!("bytes 0-9/{}", zst.len()));
        let (status, _, body) = get(
            &base,
            &path,
            &[zstd_only[0], ("range", "bytes=0-9"), ("if-range", &tag)],
        )
        .await;
        assert_eq!((status, body.len()), (StatusCode::PARTIAL_CONTENT, 10));
        // HEAD gives the length of what GET sends.
        let head = reqwest::Client::new()
            .head(format!("{base}{path}"))
            .header("accept-encoding", "zstd")
            .send()
            .await
            .unwrap();
        assert_eq!(h(head.headers(), "content-length"), zst.len().to_string());
        assert_eq!(file.zst_size(), Some(zst.len() as u64));
        // The unhashed name has its own zstd sibling.
        let (_, headers, body) = get(&base, "/static/css/panels.css", &zstd_only).await;
        assert_eq!(h(&headers, "content-encoding"), "zstd");
        assert_eq!(h(&headers, "cache-control"), "public, max-age=60");
        assert_eq!(
            zstd::decode_all(body.as_slice()).unwrap(),
            std::fs::read(output.join("css/panels.css")).unwrap()
        );
        // An image has no siblings: identity, and no Vary.
        let png = ASSETS.get("img/dot.png").unwrap();
        let (_, headers, _) = get(&base, &format!("/static/{}", png.hashed_name()), &zstd_only).await;
        assert!(headers.get("content-encoding").is_none() && headers.get("vary").is_none());
    }
}

#[tokio::test]
async fn conditional_requests() {
    for base in &folders().await {
        conditional_requests_at(base).await;
    }
}

async fn conditional_requests_at(base: &str) {
    let path = format!("/static/{}", css().hashed_name());
    let etag = format!("\"{}\"", css().md5());
    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".to_owned(),
    ] {
        let (status, headers, body) = get(base, &path, &[("if-none-match", &tag)]).await;
        assert_eq!(status, 304, "{tag}");
        assert!(body.is_empty());
        assert_eq!(h(&headers, "etag"), etag);
        assert_eq!(h(&headers, "cache-control"), "public, max-age=31536000, immutable");
    }
    let (status, _, _) = get(base, &path, &[("if-none-match", "\"stale\"")]).await;
    assert_eq!(status, 200);
    // The Brotli representation has its own tag.
    let (status, _, _) = get(base, &path, &[("if-none-match", &etag), ("accept-encoding", "br")]).await;
    assert_eq!(status, 200);

    let (_, headers, _) = get(base, "/static/css/site.css", &[]).await;
    let modified = h(&headers, "last-modified").to_owned();
    let (status, _, _) = get(base, "/static/css/site.css", &[("if-modified-since", &modified)]).await;
    assert_eq!(status, 304);
    let (status, _, _) = get(
        base,
        "/static/css/site.css",
        &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    .await;
    assert_eq!(status, 200);
    // If-None-Match wins over If-Modified-Since.
    let (status, _, _) = get(
        base,
        "/static/css/site.css",
        &[("if-none-match", "\"stale\""), ("if-modified-since", &modified)],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn ranges() {
    for base in every().await {
        ranges_at(&base).await;
    }
}

async fn ranges_at(base: &str) {
    let font = example_app::ASSETS.get("fonts/inter-latin-400.woff2").unwrap();
    let path = format!("/static/{}", font.hashed_name());
    let full = collected(font.hashed_name());
    let len = full.len();

    let (status, headers, body) = get(base, &path, &[("range", "bytes=0-9")]).await;
    assert_eq!(status, 206);
    assert_eq!(body, &full[..10]);
    assert_eq!(h(&headers, "content-range"), format!("bytes 0-9/{len}"));
    assert_eq!(h(&headers, "content-length"), "10");

    let (status, _, body) = get(base, &path, &[("range", "bytes=-5")]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::PARTIAL_CONTENT, &full[len - 5..])
    );

    let (status, headers, body) = get(base, &path, &[("range", &format!("bytes={len}-"))]).await;
    assert_eq!(status, 416);
    assert!(body.is_empty());
    assert_eq!(h(&headers, "content-range"), format!("bytes */{len}"));

    let (status, _, body) = get(base, &path, &[("range", "bytes=0-1,4-5")]).await;
    assert_eq!(
        (status, body.len()),
        (StatusCode::OK, len),
        "several ranges: the whole file"
    );

    let etag = format!("\"{}\"", font.md5());
    let (status, _, _) = get(base, &path, &[("range", "bytes=0-9"), ("if-range", &etag)]).await;
    assert_eq!(status, 206);
    let (status, _, body) = get(base, &path, &[("range", "bytes=0-9"), ("if-range", "\"old\"")]).await;
    assert_eq!((status, body.len()), (StatusCode::OK, len));
}

#[tokio::test]
async fn head_and_other_methods() {
    for base in every().await {
        head_and_other_methods_at(&base).await;
    }
}

async fn head_and_other_methods_at(base: &str) {
    let client = reqwest::Client::new();
    let url = format!("{base}/static/{}", css().hashed_name());
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(h(head.headers(), "content-length"), css().size().to_string());
    assert!(head.bytes().await.unwrap().is_empty());

    for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let response = client.request(method.clone(), &url).send().await.unwrap();
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(h(response.headers(), "allow"), "GET, HEAD");
    }
}

/// Sends a request line as it is (a client library would normalise it).
fn raw_status(base: &str, target: &str) -> u16 {
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn embedded_bytes_need_no_folder() {
    assert!(
        css().hashed_file().embedded().is_some(),
        "the example embeds its assets"
    );
    let service = ServeAssets::new(&example_app::ASSETS).dir("/nonexistent");
    let path = format!("/{}", css().hashed_name());
    let headers = http::HeaderMap::new();
    let response = service.respond(&http::Method::GET, &path, &headers).await;
    assert_eq!(response.status(), 200);
    let folder_only = service.prefer_embedded(false);
    let response = folder_only.respond(&http::Method::GET, &path, &headers).await;
    assert_eq!(response.status(), 404, "the folder is not there");
}

#[tokio::test]
async fn a_service_given_the_whole_path_serves_under_its_mount_path() {
    let service = ServeAssets::new(&example_app::ASSETS).mounted_at("/static/");
    let none = http::HeaderMap::new();
    for (path, status) in [
        ("/static/css/site.css", 200),
        ("/css/site.css", 404),
        ("/staticcss/site.css", 404),
        ("/other/css/site.css", 404),
        ("/static", 404),
    ] {
        let response = service.respond(&http::Method::GET, path, &none).await;
        assert_eq!(response.status(), status, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_names_in_the_table_are_served() {
    for base in folders().await {
        only_names_at(base).await;
    }
}

async fn only_names_at(base: String) {
    let base2 = base.clone();
    let statuses = tokio::task::spawn_blocking(move || {
        [
            "/static/../Cargo.toml",
            "/static/%2e%2e/%2e%2e/Cargo.toml",
            "/static/css/..%2f..%2fCargo.toml",
            "/static/css%5c..%5c..%5cCargo.toml",
            "/static//etc/passwd",
            "/static/%2fetc%2fpasswd",
            "/static/css/site.css%00",
            "/static/css/site.css%00.png",
            "/static/staticfiles.json",
            "/static/css/site.css.br",
            "/static/css/",
            "/static/css/nope.css",
            // Decoded once, this is `css/%73ite.css`, not `css/site.css`.
            "/static/css/%2573ite.css",
        ]
        .map(|target| (target, raw_status(&base2, target)))
    })
    .await
    .unwrap();
    for (target, status) in statuses {
        assert!(status == 404 || status == 400, "{target} answered {status}");
    }
    // A name is decoded once: `%73` is `s`.
    let ok = tokio::task::spawn_blocking(move || {
        ["/static/css/site.css", "/static/css/%73ite.css"].map(|target| raw_status(&base, target))
    })
    .await
    .unwrap();
    assert_eq!(ok, [200, 200]);
}

#[tokio::test]
async fn large_files_stream_from_disk_with_ranges() {
    for framework in FRAMEWORKS {
        let service = ServeAssets::new(&end_to_end_tests::bench_assets::ASSETS)
            .prefer_embedded(false)
            .stream_above(100_000);
        large_files_at(&mount(framework, service).await).await;
    }
    large_variants_stream().await;
}

async fn large_files_at(base: &str) {
    let assets = &end_to_end_tests::bench_assets::ASSETS;

    let big = assets.get("media/big.bin").unwrap();
    let bytes = std::fs::read(assets.output_dir().join(big.hashed_name())).unwrap();
    assert_eq!(bytes.len(), 1 << 20);
    let path = format!("/static/{}", big.hashed_name());
    let (status, headers, body) = get(base, &path, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "content-length"), bytes.len().to_string());
    assert!(body == bytes, "the streamed body differs");

    let (status, headers, body) = get(base, &path, &[("range", "bytes=300000-700000")]).await;
    assert_eq!(status, 206);
    assert_eq!(
        h(&headers, "content-range"),
        format!("bytes 300000-700000/{}", bytes.len())
    );
    assert!(body == bytes[300_000..=700_000], "the streamed range differs");
}

/// A compressed variant streams too.
async fn large_variants_stream() {
    let assets = &end_to_end_tests::bench_assets::ASSETS;
    let css = assets.get("css/small.css").unwrap();
    let small = ServeAssets::new(assets).prefer_embedded(false).stream_above(100);
    let mut request_headers = http::HeaderMap::new();
    request_headers.insert("accept-encoding", http::HeaderValue::from_static("gzip"));
    let response = small
        .respond(&http::Method::GET, &format!("/{}", css.hashed_name()), &request_headers)
        .await;
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let gz = std::fs::read(assets.output_dir().join(format!("{}.gz", css.hashed_name()))).unwrap();
    assert_eq!(body.as_ref(), gz.as_slice());
}

#[tokio::test]
async fn a_name_that_was_already_hashed_is_served_as_immutable() {
    for framework in FRAMEWORKS {
        let service = ServeAssets::new(&end_to_end_tests::vite_assets::ASSETS);
        already_hashed_at(&mount(framework, service).await).await;
    }
}

async fn already_hashed_at(base: &str) {
    use end_to_end_tests::vite_assets::{ASSETS, static_url};

    let name = "assets/main-Bx9_k-2Q.js";
    assert_eq!(static_url(name).unwrap(), format!("/static/{name}"));
    let asset = ASSETS.get(name).unwrap();
    assert_eq!(asset.hashed_name(), name);
    let (status, headers, body) = get(base, &format!("/static/{name}"), &[("accept-encoding", "br")]).await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(h(&headers, "content-encoding"), "br");
    assert_eq!(h(&headers, "etag"), format!("\"{}.br\"", asset.md5()));
    let output = ASSETS.output_dir().to_owned();
    assert_eq!(body, std::fs::read(output.join(format!("{name}.br"))).unwrap());
    // Served as the bundler wrote it.
    let (_, headers, body) = get(base, "/static/assets/main-C4fE81aZ.css", &[]).await;
    assert_eq!(h(&headers, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(body, b"body{background:url(/static/favicon.ico)}\n");
    // A file the bundler did not hash keeps the usual two names.
    let (_, headers, _) = get(base, "/static/favicon.ico", &[]).await;
    assert_eq!(h(&headers, "cache-control"), "public, max-age=60");
}

/// Every response says `nosniff`; the SVG logo, a document when opened
/// from the app's origin, carries the restrictive policy and a stylesheet
/// none; the builder changes or removes it.
#[tokio::test]
async fn nosniff_everywhere_and_a_policy_on_documents() {
    for base in every().await {
        let svg = example_app::ASSETS.get("img/logo.svg").unwrap();
        let (status, headers, _) = get(&base, &format!("/static/{}", svg.hashed_name()), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(h(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(
            h(&headers, "content-security-policy"),
            asset_runtime::serve::DOCUMENT_POLICY
        );
        let etag = h(&headers, "etag").to_owned();
        let (status, headers, _) = get(
            &base,
            &format!("/static/{}", svg.hashed_name()),
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(status, 304);
        assert_eq!(h(&headers, "x-content-type-options"), "nosniff");

        let (_, headers, _) = get(&base, &format!("/static/{}", css().hashed_name()), &[]).await;
        assert_eq!(h(&headers, "x-content-type-options"), "nosniff");
        assert!(headers.get("content-security-policy").is_none());

        let (status, headers, _) = get(&base, "/static/css/nope.css", &[]).await;
        assert_eq!(
            (status, h(&headers, "x-content-type-options")),
            (StatusCode::NOT_FOUND, "nosniff")
        );
        let client = reqwest::Client::new();
        let response = client.post(format!("{base}/static/css/site.css")).send().await.unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(h(response.headers(), "x-content-type-options"), "nosniff");
    }

    let path = format!("/{}", example_app::ASSETS.get("img/logo.svg").unwrap().hashed_name());
    let none = http::HeaderMap::new();
    let service = ServeAssets::new(&example_app::ASSETS);
    let custom = service
        .clone()
        .document_policy(Some(http::HeaderValue::from_static("sandbox")));
    let response = custom.respond(&http::Method::GET, &path, &none).await;
    assert_eq!(response.headers()["content-security-policy"], "sandbox");
    let removed = service.document_policy(None);
    let response = removed.respond(&http::Method::GET, &path, &none).await;
    assert!(response.headers().get("content-security-policy").is_none());
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}
