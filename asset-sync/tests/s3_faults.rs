//! Failure cases against the real S3 server: racing deploys, interrupted
//! syncs, and seeded fault injection (HTTP 500, 503 SlowDown, connections
//! dropped mid-request). In every case the bucket's manifest names only
//! objects that are present with the right bytes, and a failed sync leaves
//! the previous manifest in place.

mod support;

use std::sync::Mutex;

use asset_sync::{Error, PROBE_MARKER, Plan, Progress, SyncOptions};
use support::*;

/// Runs another deploy to completion at the moment this one has read the
/// remote manifest and made its plan: the window a real race hits.
struct RaceAt<'a> {
    other: Mutex<Option<Box<dyn FnOnce() + Send + 'a>>>,
}

impl Progress for RaceAt<'_> {
    fn warn(&self, _: &str) {}
    fn planned(&self, _: &Plan) {
        if let Some(other) = self.other.lock().unwrap().take() {
            std::thread::scope(|s| {
                s.spawn(other);
            });
        }
    }
    fn uploaded(&self, _: &str, _: u64) {}
    fn deleted(&self, _: &str) {}
}

/// Syncs `tree` on a runtime of its own (for use inside `RaceAt`).
fn sync_blocking(options: asset_sync::S3Options, bucket: &str, tree: &Tree) -> asset_sync::Result<asset_sync::Summary> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = asset_sync::Store::s3(asset_sync::connect(bucket, &options).await);
        let target = format!("s3://{bucket}/static/");
        asset_sync::sync(
            &tree.local(),
            &store,
            &target,
            "static/",
            &SyncOptions::default(),
            &asset_sync::Quiet,
        )
        .await
    })
}

async fn race(server: &S3Server, ours: &Tree, theirs: &Tree) -> asset_sync::Result<asset_sync::Summary> {
    let options = server.options();
    let bucket = server.bucket.clone();
    let progress = RaceAt {
        other: Mutex::new(Some(Box::new(move || {
            sync_blocking(options, &bucket, theirs).unwrap();
        }))),
    };
    let store = server.store().await;
    asset_sync::sync(
        &ours.local(),
        &store,
        "s3://assets/static/",
        "static/",
        &SyncOptions::default(),
        &progress,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_deploys_cannot_overwrite_each_other() {
    let server = S3Server::start().await;
    let base = Tree::new(&[("app.css", b"v0")]);
    let ours = Tree::new(&[("app.css", b"ours")]);
    let theirs = Tree::new(&[("app.css", b"theirs")]);

    // Both start from an empty bucket: `If-None-Match: *` lets only one win.
    let err = race(&server, &ours, &theirs).await.unwrap_err();
    assert!(matches!(err, Error::ManifestChanged { .. }), "{err}");
    assert!(err.to_string().contains("run the sync again"), "{err}");
    assert_eq!(err.exit_code(), 4);
    assert_eq!(
        server.assert_manifest_complete("static/").await,
        theirs.local().manifest
    );

    // Both start from the same release: `If-Match` on its ETag.
    let store = server.store().await;
    server.sync(&store, &base, &SyncOptions::default()).await.unwrap();
    let err = race(&server, &ours, &theirs).await.unwrap_err();
    assert!(matches!(err, Error::ManifestChanged { .. }), "{err}");
    assert_eq!(
        server.assert_manifest_complete("static/").await,
        theirs.local().manifest
    );

    // The loser reruns and publishes its release.
    server.sync(&store, &ours, &SyncOptions::default()).await.unwrap();
    assert_eq!(server.assert_manifest_complete("static/").await, ours.local().manifest);
}

#[tokio::test]
async fn failed_manifest_write_keeps_the_previous_release_and_a_rerun_converges() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("a.css", b"a { color: red }"), ("b.txt", b"b1")]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let v1 = tree.local().manifest;
    let v1_bytes = server.object("static/staticfiles.json").await.unwrap();

    tree.write("b.txt", b"b2");
    tree.build();
    server.block_manifest(true);
    let err = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap_err();
    assert_eq!(err.exit_code(), 1, "{err}");
    assert_eq!(server.object("static/staticfiles.json").await.unwrap(), v1_bytes);
    assert_eq!(server.assert_manifest_complete("static/").await, v1);

    server.block_manifest(false);
    let rerun = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    // The bucket's manifest is still v1's, so the changed file's two names
    // go up again (the store holds them, but nothing the sync trusts says
    // so), with the release's two history copies, then the manifest.
    assert_eq!(rerun.uploaded, 5);
    assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
}

#[tokio::test]
async fn sync_cancelled_midway_keeps_the_previous_release_and_a_rerun_converges() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let files = many_files(100);
    let tree = Tree::new(&as_refs(&files));
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let v1_bytes = server.object("static/staticfiles.json").await.unwrap();

    for i in 0..100 {
        tree.write(&format!("img/i{i}.png"), format!("png v2 {i}").as_bytes());
    }
    tree.build();
    // One upload at a time: 200 uploads take far longer than the timeout.
    let options = SyncOptions {
        concurrency: 1,
        ..SyncOptions::default()
    };
    // Stop the sync after a handful of uploads, as a killed deploy would.
    let local = tree.local();
    let interrupted = tokio::time::timeout(
        std::time::Duration::from_millis(30),
        asset_sync::sync(
            &local,
            &store,
            "s3://assets/static/",
            "static/",
            &options,
            &asset_sync::Quiet,
        ),
    )
    .await;
    assert!(interrupted.is_err(), "the sync should still be running");
    let log = server.take_log();
    assert!(
        log.iter().any(|l| l.starts_with("PUT ")),
        "some uploads happened: {log:#?}"
    );
    assert_eq!(server.object("static/staticfiles.json").await.unwrap(), v1_bytes);
    server.assert_manifest_complete("static/").await;

    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
}

#[tokio::test]
async fn store_without_conditional_writes_gets_a_warning_and_an_unconditional_write() {
    let server = S3Server::start().await;
    server.reject_conditional_writes(true);
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"a")]);
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.contains("does not support conditional writes")),
        "{:?}",
        summary.warnings
    );
    let log = server.take_log();
    let manifest_puts: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with(&format!("PUT {}", server.path("static/staticfiles.json"))))
        .collect();
    // The probe met the 501 first, so the manifest goes up once, without a
    // condition; the probe wrote nothing, so nothing is deleted.
    assert_eq!(manifest_puts.len(), 1, "{log:#?}");
    assert!(!manifest_puts[0].contains("[if-"), "{log:#?}");
    assert_eq!(count_probes(&log), 1, "{log:#?}");
    assert!(log.iter().all(|l| !l.starts_with("POST ")), "{log:#?}");
    // GET, listing, upload record, hashed copy, original, probe, published
    // copy, manifest.
    assert_eq!(summary.requests, 8, "{log:#?}");
    assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
}

fn count_probes(log: &[String]) -> usize {
    log.iter()
        .filter(|l| l.starts_with("PUT ") && l.contains(PROBE_MARKER))
        .count()
}

/// A store (or a proxy before it) that drops the condition headers and
/// writes anyway: the probe's impossible write succeeds, so the sync warns
/// as for a 501, deletes the scratch object, and writes the manifest
/// without a condition.
#[tokio::test]
async fn store_that_drops_conditional_headers_is_caught_by_the_probe() {
    let server = S3Server::start().await;
    server.drop_conditional_headers(true);
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"a1")]);
    for round in 0..2 {
        if round == 1 {
            tree.write("a.txt", b"a2");
            tree.build();
        }
        let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
        let log = server.take_log();
        let warned: Vec<&String> = summary
            .warnings
            .iter()
            .filter(|w| w.contains("does not support conditional writes"))
            .collect();
        assert_eq!(warned.len(), 1, "round {round}: {:?}", summary.warnings);
        assert!(warned[0].contains("condition could not hold"), "{warned:?}");
        assert_eq!(count_probes(&log), 1, "round {round}: {log:#?}");
        let deletes = log
            .iter()
            .filter(|l| l.starts_with("POST ") && l.contains("?delete"))
            .count();
        assert_eq!(deletes, 1, "the scratch object is deleted: {log:#?}");
        let manifest_puts: Vec<&String> = log
            .iter()
            .filter(|l| l.starts_with(&format!("PUT {}", server.path("static/staticfiles.json"))))
            .collect();
        assert_eq!(manifest_puts.len(), 1, "{log:#?}");
        assert!(
            !manifest_puts[0].contains("[if-"),
            "written without a condition: {log:#?}"
        );
        // First deploy: HEAD, listing, upload record, hashed copy,
        // original, probe, its delete, published copy, manifest; then the
        // same with a GET of the manifest instead of the listing.
        assert_eq!(summary.requests, 9, "{log:#?}");
        let keys = server.keys("static/").await;
        assert!(keys.iter().all(|k| !k.contains(PROBE_MARKER)), "{keys:#?}");
        assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
    }
    // A no-change deploy writes nothing, so it proves nothing: one request.
    let again = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!((again.requests, again.warnings.len()), (1, 0));
}

/// Many seeded runs with a share of requests failing: each run either
/// succeeds with a complete new release, or fails with a clear error and
/// the previous release intact; a clean rerun always converges.
#[tokio::test]
async fn seeded_faults_never_leave_a_manifest_naming_a_missing_object() {
    let server = S3Server::start().await;
    let files = many_files(15);
    let tree = Tree::new(&as_refs(&files));
    let mut options = server.options();
    options.max_attempts = 2;
    let store = server.store_with(options).await;
    let (mut succeeded, mut failed) = (0, 0);
    for seed in 0..24u64 {
        // A new release each round.
        for i in 0..15 {
            tree.write(&format!("img/i{i}.png"), format!("png {seed} {i}").as_bytes());
        }
        let before = server.object("static/staticfiles.json").await;
        tree.build();
        let release = tree.local();
        server.set_faults(Some(Faults {
            seed,
            per_mille: 120,
            puts_only: false,
        }));
        let result = server.sync(&store, &tree, &SyncOptions::default()).await;
        server.set_faults(None);
        match result {
            Ok(_) => {
                succeeded += 1;
                assert_eq!(
                    server.assert_manifest_complete("static/").await,
                    release.manifest,
                    "seed {seed}"
                );
                for (name, hashed) in &release.manifest.paths {
                    let local = std::fs::read(release.dir.join(hashed)).unwrap();
                    assert_eq!(
                        server.object(&format!("static/{hashed}")).await.unwrap(),
                        local,
                        "seed {seed}: {name}"
                    );
                }
            }
            Err(err) => {
                failed += 1;
                let message = err.to_string();
                assert!(!message.is_empty() && err.exit_code() != 0, "seed {seed}");
                assert_eq!(
                    server.object("static/staticfiles.json").await,
                    before,
                    "seed {seed}: {message}"
                );
                if before.is_some() {
                    server.assert_manifest_complete("static/").await;
                }
                server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
                assert_eq!(server.assert_manifest_complete("static/").await, release.manifest);
            }
        }
        server.take_log();
    }
    eprintln!("seeded faults: {succeeded} runs succeeded, {failed} failed cleanly");
    assert!(
        succeeded > 0 && failed > 0,
        "both outcomes exercised: {succeeded} ok, {failed} failed"
    );
}

/// With GCS's preconditions (chosen from the endpoint on
/// storage.googleapis.com, forced here), conditions travel as
/// `x-goog-if-generation-match` and never as `If-Match`. The test server
/// is no GCS and ignores that header, which is exactly what the probe is
/// for: it is caught, warned about, and cleaned up.
#[tokio::test]
async fn gcs_preconditions_travel_as_the_generation_header() {
    let server = S3Server::start().await;
    let store = server
        .store_with(asset_sync::S3Options {
            gcs_preconditions: Some(true),
            ..server.options()
        })
        .await;
    let tree = Tree::new(&[("a.txt", b"a")]);
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    assert!(log.iter().all(|l| !l.contains("[if-")), "no standard header: {log:#?}");
    let probes: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("PUT ") && l.contains(PROBE_MARKER))
        .collect();
    assert_eq!(probes.len(), 1, "{log:#?}");
    let generation = probes[0]
        .split("[x-goog-if-generation-match=")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or_else(|| panic!("the generation header: {probes:?}"));
    assert!(
        !generation.is_empty() && generation.bytes().all(|b| b.is_ascii_digit()),
        "a generation is a number: {generation}"
    );
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.contains("does not support conditional writes")),
        "{:?}",
        summary.warnings
    );
    let keys = server.keys("static/").await;
    assert!(keys.iter().all(|k| !k.contains(PROBE_MARKER)), "{keys:#?}");
    assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
}

/// The store writes the manifest but its answer is lost: the SDK's retry
/// meets the write it already made (412 on the old `If-Match`). The sync
/// reads the manifest back, finds this release, and succeeds, running the
/// after-publish command; a second deploy's release is still refused.
#[tokio::test]
async fn a_manifest_write_whose_answer_is_lost_is_a_publish() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"v1")]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    server.take_log();

    tree.write("a.txt", b"v2");
    tree.build();
    let out = tempfile::tempdir().unwrap();
    let ran = out.path().join("ran");
    let options = SyncOptions {
        after_publish: Some(format!("cat > '{}'", ran.display())),
        ..SyncOptions::default()
    };
    server.lose_manifest_answers(1);
    let summary = server.sync(&store, &tree, &options).await.unwrap();
    let log = server.take_log();
    let manifest_puts = log
        .iter()
        .filter(|l| l.starts_with(&format!("PUT {}", server.path("static/staticfiles.json"))))
        .count();
    assert_eq!(manifest_puts, 2, "the write and the SDK's retry: {log:#?}");
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.contains("already holds this release")),
        "{:?}",
        summary.warnings
    );
    assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
    let keys = std::fs::read_to_string(&ran).expect("the after-publish command ran");
    assert!(keys.contains("static/a.txt"), "{keys}");
}
