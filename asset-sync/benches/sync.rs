//! Requests and wall time of syncing a ~10,000-file collected tree to an
//! in-process S3 server (s3s-fs over HTTP on loopback), against a naive
//! strategy that checks every file remotely (a HEAD per file, as Django's
//! S3 storage does, then a PUT for each missing one), in the same run.
//!
//! Run with `cargo bench -p asset-sync --bench sync`; `ASSET_BENCH_SOURCES`
//! sets the number of source files (each is collected under two names).
//!
//! The test server sends each response body in one piece: s3s-fs itself
//! streams files in small blocking reads, which made a 230 KB GET take
//! 44 ms on loopback, far slower than any production store.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use asset_sync::{LocalTree, Quiet, Store, SyncOptions};
use futures_util::{StreamExt, stream};
use support::{S3Server, Tree};

struct Row {
    case: &'static str,
    requests: usize,
    time: Duration,
}

/// Writes the first ten source files changed (or back as they were) and
/// rebuilds the collected folder.
fn edit_ten(tree: &Tree, files: &[(String, Vec<u8>)], changed: bool) {
    for (name, bytes) in files.iter().take(10) {
        let mut bytes = bytes.clone();
        if changed {
            bytes[0] = if bytes[0] == b'z' { b'y' } else { b'z' };
        }
        tree.write(name, &bytes);
    }
    tree.build();
}

/// Runs `sync` `repeats` times; returns the requests of one run and the
/// median wall time (unchanged redeploys are short, so they are repeated).
async fn measure<F, Fut>(server: &S3Server, repeats: usize, mut sync: F) -> (usize, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::new();
    let mut requests = 0;
    for _ in 0..repeats {
        server.take_log();
        let start = Instant::now();
        sync().await;
        times.push(start.elapsed());
        requests = server.take_log().len();
    }
    times.sort();
    (requests, times[times.len() / 2])
}

/// Django-storages style: HEAD every name, PUT the missing ones, PUT the manifest.
async fn naive(client: &aws_sdk_s3::Client, bucket: &str, local: &LocalTree, prefix: &str) {
    let names: Vec<String> = local.manifest.names().map(str::to_owned).collect();
    stream::iter(names)
        .map(|name| async move {
            let key = format!("{prefix}{name}");
            let exists = client.head_object().bucket(bucket).key(&key).send().await.is_ok();
            if !exists {
                let body = aws_sdk_s3::primitives::ByteStream::from_path(local.dir.join(&name))
                    .await
                    .unwrap();
                client
                    .put_object()
                    .bucket(bucket)
                    .key(&key)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    client
        .put_object()
        .bucket(bucket)
        .key(format!("{prefix}staticfiles.json"))
        .body(local.manifest_bytes.clone().into())
        .send()
        .await
        .unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("sync: benchmark");
        return;
    }
    let sources: usize = std::env::var("ASSET_BENCH_SOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let server = S3Server::start().await;
        let mut options = server.options();
        options.sdk_checksums = false;
        let store: Store = server.store_with(options.clone()).await;
        let client = asset_sync::connect(&server.bucket, &options).await.client().clone();

        let files: Vec<(String, Vec<u8>)> = (0..sources)
            .map(|i| {
                let css = i % 5 == 0;
                let name = format!("d{:02}/f{i}.{}", i % 50, if css { "css" } else { "png" });
                let len = 1_000 + (i * 7919) % 3_000;
                let bytes: Vec<u8> = if css {
                    (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect()
                } else {
                    (0..len).map(|j| ((i * 31 + j) % 251) as u8).collect()
                };
                (name, bytes)
            })
            .collect();
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        let tree = Tree::new(&refs);
        let collected = tree.local().manifest.paths.len() * 2;
        println!("tree: {sources} sources, {collected} collected files");

        let mut rows = Vec::new();
        let cases = [("first deploy", 1, false), ("no change", 7, false), ("10 files changed", 1, true)];
        for (case, repeats, change) in cases {
            if change {
                edit_ten(&tree, &files, true);
            }
            let local = tree.local();
            let target = format!("s3://{}/ours/", server.bucket);
            let (requests, time) = measure(&server, repeats, || async {
                asset_sync::sync(&local, &store, &target, "ours/", &SyncOptions::default(), &Quiet)
                    .await
                    .unwrap();
            })
            .await;
            rows.push(Row { case, requests, time });
        }
        // The naive strategy starts from the same release.
        edit_ten(&tree, &files, false);
        let cases = [("naive: first deploy", 1, false), ("naive: no change", 3, false), ("naive: 10 files changed", 1, true)];
        for (case, repeats, change) in cases {
            if change {
                edit_ten(&tree, &files, true);
            }
            let local = tree.local();
            let (requests, time) = measure(&server, repeats, || naive(&client, &server.bucket, &local, "naive/")).await;
            rows.push(Row { case, requests, time });
        }

        println!("(no-change rows: median of 7 runs for ours, 3 for naive)");
        println!("{:<26} {:>9} {:>12}", "case", "requests", "wall time");
        for row in &rows {
            println!("{:<26} {:>9} {:>10.1} ms", row.case, row.requests, row.time.as_secs_f64() * 1e3);
        }
        let speedup = rows[4].time.as_secs_f64() / rows[1].time.as_secs_f64();
        println!(
            "no-change redeploy: {} request(s), {speedup:.0}x faster than the naive strategy (target: 1 request, >= 100x)",
            rows[1].requests
        );
        println!(
            "10 files changed: {} requests = 20 uploads (hashed + original names) + {} (target: <= 3)",
            rows[2].requests,
            rows[2].requests.saturating_sub(20)
        );
    });
}
