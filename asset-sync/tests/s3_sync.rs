//! Syncs to a real S3 server (s3s-fs over HTTP on loopback) through the
//! real aws-sdk-s3 client, counting the requests the server sees.

mod support;

use std::time::Duration;

use asset_sync::{Error, PROBE_MARKER, PruneOptions, SyncOptions};
use support::*;

fn count(log: &[String], prefix: &str) -> usize {
    log.iter().filter(|l| l.starts_with(prefix)).count()
}

#[tokio::test]
async fn first_deploy_then_unchanged_redeploy_is_one_request() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[
        ("css/a.css", b".a { background: url(../img/x.png) }"),
        ("img/x.png", b"png"),
        ("LICENSE", b"MIT"),
    ]);

    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    assert_eq!(
        count(
            &log,
            format!("HEAD {}", server.path("static/staticfiles.json")).as_str()
        ),
        1,
        "{log:#?}"
    );
    assert_eq!(
        count(&log, "GET "),
        1,
        "the listing, and no manifest GET after a 404: {log:#?}"
    );
    assert_eq!(
        count(&log, format!("GET /{}/?list-type=2", server.bucket).as_str()),
        1,
        "one listing on a first deploy: {log:#?}"
    );
    // The probe proving that the store checks conditions (see
    // `conditional_writes_are_proven_and_the_probe_leaves_nothing`) is one
    // PUT more: refused, so nothing to clean up.
    assert_eq!(
        count(&log, "PUT "),
        10,
        "3 hashed + 3 originals + 2 history copies + manifest + the probe: {log:#?}"
    );
    assert_eq!(log.len(), 12);
    assert_eq!(summary.requests, 12);
    assert_eq!(summary.uploaded, 9);
    assert!(
        log.last()
            .unwrap()
            .starts_with(format!("PUT {}", server.path("static/staticfiles.json")).as_str()),
        "manifest last: {log:#?}"
    );
    let manifest = server.assert_manifest_complete("static/").await;
    assert!(
        server
            .object(&format!("static/manifests/{}.json", manifest.hash))
            .await
            .is_some()
    );
    // The manifest's stamp: the MD5 of its bytes and its variants.
    let head = server.head("static/staticfiles.json").await;
    let stamp = head.metadata().unwrap();
    assert_eq!(stamp["asset-md5"], tree.local().md5);
    assert_eq!(stamp["asset-variants"], "v1:");
    server.take_log();

    let again = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    // One bodiless request: the manifest's headers say it is this release.
    assert_eq!(log, [format!("HEAD {}", server.path("static/staticfiles.json"))]);
    assert_eq!((again.uploaded, again.requests), (0, 1));
}

#[tokio::test]
async fn ten_changed_files_cost_their_uploads_plus_three_requests() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let files: Vec<(String, Vec<u8>)> = (0..100)
        .map(|i| (format!("t/f{i}.txt"), format!("v1 {i}").into_bytes()))
        .collect();
    let tree = Tree::new(&as_refs(&files));
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    server.take_log();

    for i in 0..10 {
        tree.write(&format!("t/f{i}.txt"), format!("v2 {i}").as_bytes());
    }
    tree.build();
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    // The changed objects are the 20 files, the two history copies and the
    // manifest; the rest is the manifest's HEAD (another release) and GET,
    // and the probe's refused PUT (this is a new run of the sync, which
    // proves conditions again).
    assert_eq!(
        count(&log, "PUT "),
        24,
        "10 hashed + 10 originals + 2 history copies + manifest + the probe: {log:#?}"
    );
    assert_eq!(count(&log, "GET "), 1, "{log:#?}");
    assert_eq!(count(&log, "HEAD "), 1, "{log:#?}");
    assert_eq!(log.len(), 23 + 3);
    assert_eq!(summary.requests, 26);
    assert_eq!(summary.uploaded, 23);
    assert!(summary.requests <= summary.uploaded + 3, "the issue's budget");
    assert_eq!(summary.skipped, 180);
    server.assert_manifest_complete("static/").await;
}

/// A store that checks conditions refuses the probe's impossible write:
/// one request, nothing written, no warning, and the manifest goes up with
/// its condition. Both on a first deploy (`If-None-Match: *`) and on an
/// update (`If-Match`); a dry run and a no-change deploy never probe.
#[tokio::test]
async fn conditional_writes_are_proven_and_the_probe_leaves_nothing() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"a1")]);
    let probes = |log: &[String]| -> Vec<String> {
        log.iter()
            .filter(|l| l.starts_with("PUT ") && l.contains(PROBE_MARKER))
            .cloned()
            .collect()
    };
    let manifest_put = format!("PUT {}", server.path("static/staticfiles.json"));

    let dry = SyncOptions {
        dry_run: true,
        ..SyncOptions::default()
    };
    server.sync(&store, &tree, &dry).await.unwrap();
    assert!(probes(&server.take_log()).is_empty(), "a dry run writes nothing");

    let first = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    assert!(
        first.warnings.iter().all(|w| !w.contains("conditional")),
        "{:?}",
        first.warnings
    );
    let probed = probes(&log);
    assert_eq!(probed.len(), 1, "{log:#?}");
    assert!(probed[0].ends_with(" [if-match]"), "{probed:?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with(&manifest_put) && l.ends_with(" [if-none-match]")),
        "the manifest is written conditionally: {log:#?}"
    );
    assert_eq!(count(&log, "POST "), 0, "nothing to delete: {log:#?}");
    // GET, listing, upload record, hashed copy, original, probe, published
    // copy, manifest.
    assert_eq!(first.requests, 8, "{log:#?}");

    tree.write("a.txt", b"a2");
    tree.build();
    let update = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    assert!(update.warnings.is_empty(), "{:?}", update.warnings);
    assert_eq!(probes(&log).len(), 1, "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with(&manifest_put) && l.ends_with(" [if-match]")),
        "{log:#?}"
    );
    // HEAD, GET, upload record, hashed copy, original, probe, published
    // copy, manifest.
    assert_eq!(update.requests, 8, "{log:#?}");

    let again = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!(again.requests, 1);
    assert!(probes(&server.take_log()).is_empty());
    let keys = server.keys("static/").await;
    assert!(keys.iter().all(|k| !k.contains(PROBE_MARKER)), "{keys:#?}");
    assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
}

#[tokio::test]
async fn headers_follow_the_kind_of_name() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("css/a.css", b"a { color: red }"), ("img/x.png", b"png")]);
    let local = tree.local();
    let hashed_css = local.manifest.paths["css/a.css"].clone();
    std::fs::write(tree.collected().join(format!("{hashed_css}.br")), b"brotli bytes").unwrap();
    server
        .sync(
            &store,
            &tree,
            &SyncOptions {
                short_max_age: 120,
                ..SyncOptions::default()
            },
        )
        .await
        .unwrap();

    let hashed = server.head(&format!("static/{hashed_css}")).await;
    assert_eq!(hashed.content_type(), Some("text/css; charset=utf-8"));
    assert_eq!(hashed.cache_control(), Some("public, max-age=31536000, immutable"));
    let original = server.head("static/css/a.css").await;
    assert_eq!(original.cache_control(), Some("public, max-age=120"));
    let png = server
        .head(&format!("static/{}", local.manifest.paths["img/x.png"]))
        .await;
    assert_eq!(png.content_type(), Some("image/png"));
    let br = server.head(&format!("static/{hashed_css}.br")).await;
    assert_eq!(br.content_encoding(), Some("br"));
    assert_eq!(br.content_type(), Some("text/css; charset=utf-8"));
    let manifest = server.head("static/staticfiles.json").await;
    assert_eq!(manifest.content_type(), Some("application/json; charset=utf-8"));
    assert_eq!(manifest.cache_control(), Some("public, max-age=120"));
}

#[tokio::test]
async fn uploads_with_content_md5_are_signed_without_hashing_the_body() {
    let server = S3Server::start().await;
    if server.is_external() {
        return; // the count is the in-process front's
    }
    let store = server.store().await;
    let tree = Tree::new(&[("css/a.css", b"a { color: red }"), ("img/x.png", b"png")]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    let puts = count(&log, "PUT ");
    assert!(puts >= 6, "{log:#?}");
    // Every write carries Content-MD5, which the signature covers: none
    // hashes its body, and the server took them all.
    assert_eq!(server.unsigned_puts(), puts, "{log:#?}");
    server.assert_manifest_complete("static/").await;

    // `sign_payload` (`--sign-payload`) hashes every body again.
    let signed = server
        .store_with(asset_sync::S3Options {
            sign_payload: true,
            ..server.options()
        })
        .await;
    tree.write("css/a.css", b"a { color: blue }");
    tree.build();
    server.sync(&signed, &tree, &SyncOptions::default()).await.unwrap();
    assert!(count(&server.take_log(), "PUT ") > 0);
    assert_eq!(server.unsigned_puts(), puts);
}

#[tokio::test]
async fn a_name_that_was_already_hashed_is_one_immutable_object() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[
        (
            ".vite/manifest.json",
            br#"{"src/main.js": {"file": "assets/main-Bx9_k-2Q.js"}}"#,
        ),
        ("assets/main-Bx9_k-2Q.js", b"document.title = `main`;"),
        ("favicon.ico", b"icon"),
    ]);
    let local = tree.local();
    assert_eq!(
        local.manifest.paths["assets/main-Bx9_k-2Q.js"],
        "assets/main-Bx9_k-2Q.js"
    );
    // Published with no manifest in the store (so nothing is known to be in
    // place), then with one.
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    let puts_of = |key: &str| count(&log, format!("PUT {}", server.path(key)).as_str());
    assert_eq!(puts_of("static/assets/main-Bx9_k-2Q.js"), 1, "{log:#?}");
    // Two names each for the Vite manifest and the icon, one for the
    // chunk, the manifest and its two history copies.
    assert_eq!(summary.uploaded, 5 + 3, "{log:#?}");

    let head = server.head("static/assets/main-Bx9_k-2Q.js").await;
    assert_eq!(head.cache_control(), Some("public, max-age=31536000, immutable"));
    assert_eq!(head.content_type(), Some("text/javascript; charset=utf-8"));

    let again = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!((again.uploaded, again.requests, again.skipped), (0, 1, 6));
    // `--verify` finds it in place, and repairs it once it is gone.
    let verified = SyncOptions {
        verify: true,
        ..SyncOptions::default()
    };
    let summary = server.sync(&store, &tree, &verified).await.unwrap();
    assert_eq!(summary.uploaded, 0);
    server
        .client()
        .await
        .delete_object()
        .bucket(&server.bucket)
        .key("static/assets/main-Bx9_k-2Q.js")
        .send()
        .await
        .unwrap();
    server.take_log();
    let summary = server.sync(&store, &tree, &verified).await.unwrap();
    let log = server.take_log();
    assert_eq!(summary.uploaded, 1, "{log:#?}");
    let head = server.head("static/assets/main-Bx9_k-2Q.js").await;
    assert_eq!(head.cache_control(), Some("public, max-age=31536000, immutable"));
}

#[tokio::test]
async fn sdk_checksums_can_be_turned_off() {
    let server = S3Server::start().await;
    let tree = Tree::new(&[("a.txt", b"a")]);
    let store = server.store().await;
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    assert!(
        log.iter()
            .filter(|l| l.starts_with("PUT "))
            .all(|l| l.contains(" [crc32]")),
        "{log:#?}"
    );

    let quiet = server
        .store_with(asset_sync::S3Options {
            sdk_checksums: false,
            ..server.options()
        })
        .await;
    server
        .sync(
            &quiet,
            &tree,
            &SyncOptions {
                force: true,
                ..SyncOptions::default()
            },
        )
        .await
        .unwrap();
    let log = server.take_log();
    assert_eq!(
        count(&log, "PUT "),
        6,
        "4 files, the upload record and the probe: {log:#?}"
    );
    assert!(log.iter().all(|l| !l.contains("[crc32]")), "{log:#?}");
}

#[tokio::test]
async fn dry_run_writes_nothing_and_force_uploads_everything() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"a"), ("b.txt", b"b")]);
    let plan = server
        .sync(
            &store,
            &tree,
            &SyncOptions {
                dry_run: true,
                ..SyncOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(plan.dry_run);
    assert_eq!(plan.uploaded, 7);
    assert_eq!(count(&server.take_log(), "PUT "), 0);
    assert!(server.object("static/staticfiles.json").await.is_none());

    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    server.take_log();
    let forced = server
        .sync(
            &store,
            &tree,
            &SyncOptions {
                force: true,
                ..SyncOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(forced.uploaded, 7);
    // The 7 files and the probe (the manifest is written conditionally).
    assert_eq!(count(&server.take_log(), "PUT "), 8);
}

#[tokio::test]
async fn corrupt_remote_manifest_is_a_warning_and_existing_hashed_files_are_kept() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"a"), ("b.txt", b"b")]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let client = server.client().await;
    client
        .put_object()
        .bucket(&server.bucket)
        .key("static/staticfiles.json")
        .body(b"{not json".to_vec().into())
        .send()
        .await
        .unwrap();
    server.take_log();
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert!(summary.warnings[0].contains("is not valid"), "{:?}", summary.warnings);
    let log = server.take_log();
    assert_eq!(count(&log, format!("GET /{}/?list-type=2", server.bucket).as_str()), 1);
    // Hashed files are there already; originals (no way to tell), the
    // history copies, the probe and the manifest go up.
    assert_eq!(count(&log, "PUT "), 6, "{log:#?}");
    server.assert_manifest_complete("static/").await;
}

#[tokio::test]
async fn prune_keeps_recent_releases_and_young_files() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("keep.txt", b"same"), ("v.txt", b"v1"), ("gone.txt", b"only in v1")]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let v1 = tree.local().manifest;
    std::thread::sleep(Duration::from_millis(1100));
    tree.write("v.txt", b"v2");
    std::fs::remove_file(tree.dir.path().join("assets/gone.txt")).unwrap();
    tree.build();
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let v2 = tree.local().manifest;
    std::thread::sleep(Duration::from_millis(1100));
    tree.write("v.txt", b"v3");
    tree.build();

    // Young files are kept whatever the releases say.
    let young = SyncOptions {
        prune: Some(PruneOptions::default()),
        ..SyncOptions::default()
    };
    let summary = server.sync(&store, &tree, &young).await.unwrap();
    assert_eq!(summary.deleted, 0);

    server.take_log();
    let prune = SyncOptions {
        prune: Some(PruneOptions {
            keep: 2,
            min_age: Duration::ZERO,
        }),
        ..SyncOptions::default()
    };
    let summary = server.sync(&store, &tree, &prune).await.unwrap();
    let log = server.take_log();
    assert_eq!(
        count(&log, format!("POST /{}/?delete", server.bucket).as_str()),
        1,
        "one batched DeleteObjects: {log:#?}"
    );
    // v1's own files go, and its history copies; v2's (the previous
    // release) and v3's stay.
    assert_eq!(
        summary.deleted, 5,
        "gone.txt, its hashed copy, v1's hashed v.txt, v1's two history copies"
    );
    assert_eq!(summary.not_ours, Some(0));
    assert!(server.object("static/gone.txt").await.is_none());
    assert!(server.object(&format!("static/{}", v1.paths["v.txt"])).await.is_none());
    assert!(server.object(&format!("static/{}", v2.paths["v.txt"])).await.is_some());
    assert!(
        server
            .object(&format!("static/{}", v1.paths["keep.txt"]))
            .await
            .is_some()
    );
    server.assert_manifest_complete("static/").await;
    // The history of the releases kept stays; the older release's goes.
    assert!(
        server
            .object(&format!("static/manifests/{}.json", v1.hash))
            .await
            .is_none()
    );
    let v3 = tree.local().manifest;
    for kept in [&v2.hash, &v3.hash] {
        assert!(
            server.object(&format!("static/manifests/{kept}.json")).await.is_some(),
            "{kept}"
        );
    }
}

#[tokio::test]
async fn prune_never_deletes_the_current_release_s_history_nor_young_history() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("v.txt", b"v1")]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let v1 = tree.local().manifest;
    tree.write("v.txt", b"v2");
    tree.build();
    let v2 = tree.local().manifest;
    let history = |hash: &str| format!("static/manifests/{hash}.json");
    let prune = |min_age| SyncOptions {
        prune: Some(PruneOptions { keep: 1, min_age }),
        ..SyncOptions::default()
    };
    // v1's copy is beyond `keep` but young: kept.
    server
        .sync(&store, &tree, &prune(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert!(server.object(&history(&v1.hash)).await.is_some());
    // Old enough: it goes; the current release's copy never does.
    server.sync(&store, &tree, &prune(Duration::ZERO)).await.unwrap();
    assert!(server.object(&history(&v1.hash)).await.is_none());
    assert!(server.object(&history(&v2.hash)).await.is_some());
    server.assert_manifest_complete("static/").await;
}

#[tokio::test]
async fn siblings_that_appear_after_publishing_are_uploaded_once() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = compressible_tree();
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let before = tree.local().manifest_bytes;

    // Precompression turned on: the same release, now with siblings.
    tree.build_with(true);
    assert_eq!(
        tree.local().manifest_bytes,
        before,
        "the manifest does not name siblings"
    );
    let siblings = tree.siblings();
    assert_eq!(
        siblings.len(),
        8,
        "a.css, app.js and their hashed copies, br and gz: {siblings:?}"
    );
    server.take_log();
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    // The manifest's HEAD (stamped without siblings) and GET, one PUT per
    // sibling, the probe (the manifest is written, conditionally), the
    // manifest PUT.
    assert_eq!(count(&log, "PUT "), siblings.len() + 2, "{log:#?}");
    assert_eq!(summary.requests, siblings.len() + 4, "{log:#?}");
    for name in &siblings {
        let object = server.object(&format!("static/{name}")).await;
        assert_eq!(
            object.as_deref(),
            Some(std::fs::read(tree.collected().join(name)).unwrap().as_slice()),
            "{name}"
        );
    }
    server.assert_manifest_complete("static/").await;

    // Published: a redeploy is one request again.
    let again = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!((again.uploaded, again.requests), (0, 1));

    // A new release with precompression on uploads the new files with
    // their siblings, and the siblings of unchanged files are not sent again.
    let css = std::fs::read_to_string(tree.dir.path().join("assets/a.css")).unwrap();
    tree.write("a.css", format!("{css}.more {{}}\n").as_bytes());
    tree.build_with(true);
    server.take_log();
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    let uploaded: Vec<&String> = log.iter().filter(|l| l.starts_with("PUT ")).collect();
    assert!(
        uploaded.iter().all(|l| !l.contains("app.")),
        "app.js is unchanged: {uploaded:#?}"
    );
    assert_eq!(
        summary.requests,
        2 + 3 + 3 + 1 + 2 + 1,
        "HEAD and GET, a.css and its hashed copy with 2 siblings each, the probe, the history copies, manifest: {log:#?}"
    );
}

#[tokio::test]
async fn zstd_siblings_added_later_are_uploaded_alone_with_content_encoding_zstd() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = compressible_tree();
    tree.build_options(true, false);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let before = tree.siblings();
    assert_eq!(before.len(), 8, "br and gz: {before:?}");

    // zstd turned on: the same release, with a .zst beside each .br.
    tree.build_options(true, true);
    let zst: Vec<String> = tree
        .siblings()
        .into_iter()
        .filter(|name| !before.contains(name))
        .collect();
    assert_eq!(zst.len(), 4, "{zst:?}");
    assert!(zst.iter().all(|name| name.ends_with(".zst")), "{zst:?}");
    server.take_log();
    let summary = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    // The manifest's HEAD and GET, one PUT per new sibling, the probe, the
    // manifest PUT: no Brotli or gzip sibling, nor any file, is sent again.
    let puts: Vec<&String> = log.iter().filter(|l| l.starts_with("PUT ")).collect();
    assert_eq!(puts.len(), zst.len() + 2, "{log:#?}");
    assert_eq!(
        puts.iter().filter(|l| l.contains(".zst")).count(),
        zst.len(),
        "{log:#?}"
    );
    assert_eq!(summary.requests, zst.len() + 4, "{log:#?}");

    let local = tree.local();
    for name in ["a.css", "app.js"] {
        let hashed = &local.manifest.paths[name];
        for served in [name, hashed.as_str()] {
            let key = format!("static/{served}.zst");
            let object = server.head(&key).await;
            assert_eq!(object.content_encoding(), Some("zstd"), "{key}");
            let plain = server.head(&format!("static/{served}")).await;
            assert!(
                plain.content_type().is_some_and(|t| t.contains("charset=utf-8")),
                "{key}"
            );
            assert_eq!(object.content_type(), plain.content_type(), "{key}");
            assert_eq!(object.cache_control(), plain.cache_control(), "{key}");
            // What the store holds decompresses to the file it is a sibling of.
            let bytes = server.object(&key).await.unwrap();
            assert_eq!(
                zstd::decode_all(bytes.as_slice()).unwrap(),
                std::fs::read(tree.collected().join(served)).unwrap(),
                "{key}"
            );
        }
    }
    server.assert_manifest_complete("static/").await;

    // Published: a redeploy is one request again.
    let again = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!((again.uploaded, again.requests), (0, 1));

    // A first deploy of a build with zstd, to another prefix, uploads every
    // sibling; a redeploy is then one request too.
    let target = format!("s3://{}/fresh/", server.bucket);
    let options = SyncOptions::default();
    let deploy = || asset_sync::sync(&local, &store, &target, "fresh/", &options, &asset_sync::Quiet);
    let first = deploy().await.unwrap();
    // Files, siblings, the manifest and its two history copies.
    assert_eq!(first.uploaded, local.objects() + before.len() + zst.len() + 3);
    assert_eq!(deploy().await.unwrap().requests, 1);
}

#[tokio::test]
async fn verify_repairs_what_was_deleted_or_changed_behind_the_sync_s_back() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[
        ("css/a.css", b".a { background: url(../img/x.png) }"),
        ("img/x.png", b"png"),
        ("LICENSE", b"MIT"),
    ]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let manifest = tree.local().manifest;
    let css = manifest.paths["css/a.css"].clone();

    // Behind the sync's back: two objects deleted, one overwritten with
    // other bytes, one foreign object added.
    let client = server.client().await;
    for key in [format!("static/{css}"), "static/LICENSE".to_owned()] {
        client
            .delete_object()
            .bucket(&server.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
    }
    for (key, body) in [("static/img/x.png", "not a png"), ("static/stray.txt", "?")] {
        client
            .put_object()
            .bucket(&server.bucket)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    // A plain redeploy trusts the manifest: one request.
    let plain = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!((plain.uploaded, plain.requests), (0, 1));

    // --verify --dry-run only reports.
    let dry = SyncOptions {
        verify: true,
        dry_run: true,
        ..SyncOptions::default()
    };
    let report = server.sync(&store, &tree, &dry).await.unwrap();
    let mut found = report.verified.clone().unwrap();
    found.missing.sort();
    assert_eq!(found.missing, ["LICENSE".to_owned(), css.clone()]);
    assert_eq!(found.wrong_size, ["img/x.png"]);
    assert_eq!(found.unknown, 1, "stray.txt");
    assert_eq!(report.uploaded, 3);
    assert!(
        server.object(&format!("static/{css}")).await.is_none(),
        "a dry run writes nothing"
    );

    // --verify repairs: the manifest GET, one listing, one PUT per repair.
    server.take_log();
    let verify = SyncOptions {
        verify: true,
        ..SyncOptions::default()
    };
    let repaired = server.sync(&store, &tree, &verify).await.unwrap();
    let log = server.take_log();
    assert_eq!(repaired.requests, 1 + 1 + 3, "{log:#?}");
    assert_eq!(server.object("static/img/x.png").await.unwrap(), b"png");
    assert_eq!(server.object("static/LICENSE").await.unwrap(), b"MIT");
    server.assert_manifest_complete("static/").await;
    // Nothing left to repair.
    let again = server.sync(&store, &tree, &verify).await.unwrap();
    let found = again.verified.unwrap();
    assert!(found.missing.is_empty() && found.wrong_size.is_empty(), "{found:?}");
    assert_eq!(again.requests, 2, "the manifest GET and one listing");
}

#[tokio::test]
async fn multipart_upload_above_the_threshold() {
    let server = S3Server::start().await;
    let mut options = server.options();
    options.settings.multipart_threshold = 6 * 1024 * 1024;
    options.settings.part_size = 5 * 1024 * 1024;
    let store = server.store_with(options).await;
    let big: Vec<u8> = (0..(11 * 1024 * 1024 + 123)).map(|i| (i % 251) as u8).collect();
    let tree = Tree::new(&[("video/big.bin", &big)]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    assert_eq!(
        count(
            &log,
            format!("POST {}?uploads", server.path("static/video/big.bin")).as_str()
        ),
        1,
        "{log:#?}"
    );
    assert_eq!(
        count(
            &log,
            format!("PUT {}?x-id=UploadPart&partNumber", server.path("static/video/big.bin")).as_str()
        ),
        3,
        "{log:#?}"
    );
    assert_eq!(server.object("static/video/big.bin").await.unwrap(), big);
    let hashed = tree.local().manifest.paths["video/big.bin"].clone();
    assert_eq!(server.object(&format!("static/{hashed}")).await.unwrap(), big);
}

#[tokio::test]
async fn missing_local_file_fails_before_any_upload() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"a"), ("b.txt", b"b")]);
    let hashed = tree.local().manifest.paths["b.txt"].clone();
    std::fs::remove_file(tree.collected().join(&hashed)).unwrap();
    let err = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::MissingLocalFile { .. }));
    assert!(
        message.contains(&hashed) && message.contains("nothing was uploaded"),
        "{message}"
    );
    assert_eq!(err.exit_code(), 2);
    // Only the manifest's HEAD, which found no release to compare with.
    let log = server.take_log();
    assert_eq!(log, [format!("HEAD {}", server.path("static/staticfiles.json"))]);
}

#[tokio::test]
async fn no_collected_folder_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let message = asset_sync::LocalTree::open(&dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("does not exist") && message.contains("cargo build"),
        "{message}"
    );
    let message = asset_sync::LocalTree::open(dir.path()).unwrap_err().to_string();
    assert!(message.contains("holds no staticfiles.json"), "{message}");
    std::fs::write(dir.path().join("staticfiles.json"), b"[]").unwrap();
    let message = asset_sync::LocalTree::open(dir.path()).unwrap_err().to_string();
    assert!(message.contains("not a valid staticfiles.json"), "{message}");
}

#[tokio::test]
async fn wrong_bucket_and_bad_credentials_name_bucket_endpoint_and_credentials() {
    let server = S3Server::start().await;
    let tree = Tree::new(&[("a.txt", b"a")]);
    let store = asset_sync::Store::s3(asset_sync::connect("no-such-bucket", &server.options()).await);
    let err = asset_sync::sync(
        &tree.local(),
        &store,
        "s3://no-such-bucket/",
        "",
        &SyncOptions::default(),
        &asset_sync::Quiet,
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::NoSuchBucket { .. }), "{message}");
    assert!(
        message.contains("`no-such-bucket`") && message.contains(&server.endpoint),
        "{message}"
    );
    assert_eq!(err.exit_code(), 3);

    if server.is_external() {
        // moto does not check credentials.
        return;
    }
    let mut options = server.options();
    options.static_credentials = Some(("AKIDTESTKEY".to_owned(), "wrong-secret-value".to_owned()));
    let store = server.store_with(options).await;
    let err = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::AccessDenied { .. }), "{message}");
    assert!(
        message.contains("`assets`") && message.contains(&server.endpoint) && message.contains("AKID…"),
        "{message}"
    );
    assert!(
        !message.contains("wrong-secret-value") && !message.contains("AKIDTESTKEY"),
        "{message}"
    );
    assert!(server.object("static/staticfiles.json").await.is_none());
}

/// A manifest of this very release whose headers cannot say so (uploaded
/// in parts by another tool: no stamp, and an ETag that is not its MD5)
/// is read once and written again, stamped; the next deploy is one
/// request.
#[tokio::test]
async fn this_release_under_an_unstamped_manifest_is_stamped_once() {
    let server = S3Server::start().await;
    let store = server.store().await;
    let tree = Tree::new(&[("a.txt", b"a")]);
    server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let client = server.client().await;
    let key = "static/staticfiles.json";
    let upload = client
        .create_multipart_upload()
        .bucket(&server.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let bytes = tree.local().manifest_bytes;
    let part = client
        .upload_part()
        .bucket(&server.bucket)
        .key(key)
        .upload_id(id)
        .part_number(1)
        .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
        .send()
        .await
        .unwrap();
    let completed = aws_sdk_s3::types::CompletedPart::builder()
        .part_number(1)
        .set_e_tag(part.e_tag().map(str::to_owned))
        .build();
    let parts = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(completed)
        .build();
    client
        .complete_multipart_upload()
        .bucket(&server.bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    server.take_log();

    let restamped = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    let log = server.take_log();
    // HEAD, GET, the probe, the manifest: no file, no history copy.
    assert_eq!((restamped.uploaded, restamped.requests), (1, 4), "{log:#?}");
    let again = server.sync(&store, &tree, &SyncOptions::default()).await.unwrap();
    assert_eq!((again.uploaded, again.requests), (0, 1));
}
