//! Requests per second of `asset_runtime::serve::ServeAssets` (from the
//! folder, and from bytes embedded in the binary) against tower-http's
//! `ServeDir` with `precompressed_br` and `precompressed_gzip` serving the
//! same folder, in the same run, over loopback.
//!
//! The load generator is bounded: `CONNECTIONS` keep-alive HTTP/1.1
//! connections, each sending requests one after another for `SECONDS`, in
//! this process on its own runtime; each figure is the median of `ROUNDS`
//! rounds that alternate between the servers. Run with
//! `cargo bench -p end-to-end-tests --bench serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use asset_runtime::serve::ServeAssets;
use end_to_end_tests::bench_assets::ASSETS;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

const CONNECTIONS: usize = 16;
const SECONDS: f64 = 1.5;
const ROUNDS: usize = 3;

async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // TCP_NODELAY on every server alike: a body sent after its headers must
    // not wait for a delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Requests per second for `path`, checking each answer's status and size.
async fn load(addr: SocketAddr, path: String, accept: Option<&'static str>, expect_len: usize) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (done, stop, path) = (done.clone(), stop.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
            tokio::spawn(connection);
            while !stop.load(Ordering::Relaxed) {
                let mut request = Request::get(&path).header("host", "bench");
                if let Some(accept) = accept {
                    request = request.header("accept-encoding", accept);
                }
                let response = sender
                    .send_request(request.body(Empty::<bytes::Bytes>::new()).unwrap())
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{path}");
                let body = response.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(body.len(), expect_len, "{path}");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("serve: benchmark");
        return;
    }
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let folder = ASSETS.output_dir().to_owned();
    let (ours_folder, ours_embedded, serve_dir) = server.block_on(async {
        let ours_folder =
            serve(axum::Router::new().nest_service("/static", ServeAssets::new(&ASSETS).prefer_embedded(false))).await;
        let ours_embedded = serve(axum::Router::new().nest_service("/static", ServeAssets::new(&ASSETS))).await;
        let serve_dir = serve(
            axum::Router::new().nest_service(
                "/static",
                tower_http::services::ServeDir::new(&folder)
                    .precompressed_br()
                    .precompressed_gzip(),
            ),
        )
        .await;
        (ours_folder, ours_embedded, serve_dir)
    });

    let css = ASSETS.get("css/small.css").unwrap();
    let big = ASSETS.get("media/big.bin").unwrap();
    let css_br = css.hashed_file().br_size().expect("the small CSS has a Brotli sibling") as usize;
    let cases = [
        ("small CSS", css.hashed_name(), None, css.size() as usize),
        ("small CSS, Accept-Encoding: br", css.hashed_name(), Some("br"), css_br),
        ("1 MB file", big.hashed_name(), None, big.size() as usize),
    ];
    println!(
        "{CONNECTIONS} keep-alive connections, median of {ROUNDS} rounds of {SECONDS} s, requests per second (higher is better)"
    );
    println!(
        "{:<32} {:>12} {:>16} {:>16} {:>8} {:>8}",
        "case", "ServeDir", "ours (folder)", "ours (embed)", "folder", "embed"
    );
    for (label, name, accept, len) in cases {
        let path = format!("/static/{name}");
        let rps = |addr| client.block_on(load(addr, path.clone(), accept, len));
        // Rounds alternate between the servers, so drift in the machine's
        // speed hits all three alike; each figure is a median.
        let mut runs: [Vec<f64>; 3] = Default::default();
        for _ in 0..ROUNDS {
            for (i, addr) in [serve_dir, ours_folder, ours_embedded].into_iter().enumerate() {
                runs[i].push(rps(addr));
            }
        }
        let [base, folder, embedded] = runs.map(|mut r| {
            r.sort_by(f64::total_cmp);
            r[r.len() / 2]
        });
        println!(
            "{label:<32} {base:>12.0} {folder:>16.0} {embedded:>16.0} {:>7.2}x {:>7.2}x",
            folder / base,
            embedded / base
        );
    }
    println!("targets: folder >= 1.00x ServeDir, embed >= 1.50x");
}
