//! The sync's invariants, each case run on every kind of store: a folder,
//! a real S3 server (s3s-fs in process, or moto in CI) and, when set up,
//! Azure Blob Storage (Azurite in CI); see `support::place`. What only one
//! store can show (the exact requests on the wire, faults injected by an
//! HTTP front) is in the store's own suite, `s3_sync.rs` and
//! `s3_faults.rs`.

mod support;

use std::sync::atomic::Ordering;

use asset_sync::store::ObjectStore;
use asset_sync::{Error, PROBE_MARKER, PruneOptions, SyncOptions};
use support::place::{Headers, Place};
use support::{Tree, as_refs, compressible_tree};

/// The manifest's key under a place's prefix.
const MANIFEST: &str = "staticfiles.json";

#[tokio::test]
async fn a_first_deploy_publishes_everything_and_a_redeploy_is_one_bodiless_request() {
    for place in Place::all().await {
        let what = place.name();
        let tree = Tree::new(&[
            ("css/a.css", b".a { background: url(../img/x.png) }"),
            ("img/x.png", b"png"),
        ]);
        let first = place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let local = tree.local();
        assert_eq!(first.uploaded, 4 + 2 + 1, "{what}: {first}");
        assert_eq!(
            first.warnings.len(),
            1,
            "{what}: only that there was no manifest: {first:?}"
        );
        for name in local.manifest.names() {
            assert!(place.has(name).await, "{what}: {name}");
        }
        assert_eq!(place.object(MANIFEST).await.unwrap(), local.manifest_bytes, "{what}");
        let names = place.names().await;
        assert!(names.iter().all(|n| !n.contains(PROBE_MARKER)), "{what}: {names:?}");

        // The manifest is stamped; its stamp alone says the store holds
        // the release.
        let head = place.store.head(&place.key(MANIFEST)).await.unwrap().unwrap();
        // A bucket keeps the MD5 beside it (S3: as metadata; Azure: its
        // own Content-MD5); a folder's ETag is its MD5.
        let md5 = match what {
            "folder" => head.etag.as_deref(),
            _ => head.md5.as_deref(),
        };
        assert_eq!(md5, Some(local.md5.as_str()), "{what}: {head:?}");

        assert_eq!(head.variants.as_deref(), Some("v1:"), "{what}");
        let again = place.sync(&tree, &SyncOptions::default()).await.unwrap();
        assert_eq!((again.uploaded, again.requests), (0, 1), "{what}: {again}");
        assert!(again.warnings.is_empty(), "{what}: {again:?}");
    }
}

#[tokio::test]
async fn ten_changed_files_cost_their_objects_plus_at_most_four_requests() {
    for place in Place::all().await {
        let files: Vec<(String, Vec<u8>)> = (0..40)
            .map(|i| (format!("t/f{i}.txt"), format!("v1 {i}").into_bytes()))
            .collect();
        let tree = Tree::new(&as_refs(&files));
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        for i in 0..10 {
            tree.write(&format!("t/f{i}.txt"), format!("v2 {i}").as_bytes());
        }
        tree.build();
        let summary = place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let what = place.name();
        // 10 hashed files, 10 originals, the upload record, the published
        // copy, the manifest.
        assert_eq!(summary.uploaded, 23, "{what}: {summary}");
        assert!(summary.requests <= summary.uploaded + 4, "{what}: {summary}");
        assert!(
            summary.warnings.is_empty(),
            "{what}: the store checks conditions: {summary:?}"
        );
        for name in tree.local().manifest.names() {
            assert!(place.has(name).await, "{what}: {name}");
        }
    }
}

#[tokio::test]
async fn each_kind_of_name_gets_its_headers_and_siblings_their_encoding() {
    for place in Place::all().await {
        let tree = compressible_tree();
        tree.build_with(true);
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let hashed = tree.local().manifest.paths["a.css"].clone();
        let Some(css) = place.headers(&hashed).await else {
            continue; // a folder keeps no headers
        };
        let what = place.name();
        let immutable = Some("public, max-age=31536000, immutable".to_owned());
        let css_type = Some("text/css; charset=utf-8".to_owned());
        let expected = Headers {
            content_type: css_type.clone(),
            cache_control: immutable.clone(),
            content_encoding: None,
        };
        assert_eq!(css, expected, "{what}");
        let original = place.headers("a.css").await.unwrap();
        assert_eq!(original.cache_control.as_deref(), Some("public, max-age=60"), "{what}");
        let brotli = place.headers(&format!("{hashed}.br")).await.unwrap();
        let expected = Headers {
            content_type: css_type,
            cache_control: immutable,
            content_encoding: Some("br".to_owned()),
        };
        assert_eq!(brotli, expected, "{what}");
        let manifest = place.headers(MANIFEST).await.unwrap();
        assert_eq!(manifest.cache_control.as_deref(), Some("public, max-age=60"), "{what}");
        assert!(manifest.content_type.unwrap().starts_with("application/json"), "{what}");
    }
}

#[tokio::test]
async fn a_deploy_racing_this_one_is_never_overwritten() {
    for place in Place::all().await {
        let tree = Tree::new(&[("a.txt", b"v1")]);
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        tree.write("a.txt", b"v2");
        tree.build();
        let theirs = br#"{"paths": {}, "version": "1.1", "hash": "0123456789ab"}"#.to_vec();
        *place.store.race.lock().unwrap() = Some(theirs.clone());
        let err = place.sync(&tree, &SyncOptions::default()).await.unwrap_err();
        let what = place.name();
        assert!(matches!(err, Error::ManifestChanged { .. }), "{what}: {err}");
        assert_eq!(err.exit_code(), 4, "{what}");
        assert_eq!(place.object(MANIFEST).await.unwrap(), theirs, "{what}: theirs stays");

        // A first deploy races too: its manifest must not exist yet.
        let fresh = Place::all().await.into_iter().find(|p| p.name() == what).unwrap();
        *fresh.store.race.lock().unwrap() = Some(theirs.clone());
        let err = fresh.sync(&tree, &SyncOptions::default()).await.unwrap_err();
        assert!(matches!(err, Error::ManifestChanged { .. }), "{what}: {err}");
        assert_eq!(fresh.object(MANIFEST).await.unwrap(), theirs, "{what}");
    }
}

#[tokio::test]
async fn a_manifest_write_whose_answer_was_lost_is_found_published() {
    for place in Place::all().await {
        let tree = Tree::new(&[("a.txt", b"v1")]);
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        tree.write("a.txt", b"v2");
        tree.build();
        place.store.lose_answer.store(true, Ordering::SeqCst);
        let summary = place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let what = place.name();
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("already holds this release")),
            "{what}: {summary:?}"
        );
        assert_eq!(
            place.object(MANIFEST).await.unwrap(),
            tree.local().manifest_bytes,
            "{what}"
        );
    }
}

#[tokio::test]
async fn verify_puts_back_what_was_deleted_behind_the_sync_s_back() {
    for place in Place::all().await {
        let tree = Tree::new(&[("a.txt", b"a"), ("b.txt", b"b")]);
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let hashed = tree.local().manifest.paths["b.txt"].clone();
        place.remove(&hashed).await;
        let what = place.name();
        let trusting = place.sync(&tree, &SyncOptions::default()).await.unwrap();
        assert_eq!(trusting.uploaded, 0, "{what}: a plain sync trusts the manifest");
        let options = SyncOptions {
            verify: true,
            ..SyncOptions::default()
        };
        let verified = place.sync(&tree, &options).await.unwrap();
        assert_eq!(verified.uploaded, 1, "{what}: {verified}");
        assert_eq!(place.object(&hashed).await.unwrap(), b"b", "{what}");
    }
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_force_uploads_everything() {
    for place in Place::all().await {
        let tree = Tree::new(&[("a.txt", b"a")]);
        let options = SyncOptions {
            dry_run: true,
            ..SyncOptions::default()
        };
        let dry = place.sync(&tree, &options).await.unwrap();
        let what = place.name();
        assert_eq!(
            dry.uploaded,
            2 + 3,
            "{what}: the file, its hashed copy, the manifest and its two history copies: {dry}"
        );
        assert!(place.names().await.is_empty(), "{what}: {:?}", place.names().await);
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let options = SyncOptions {
            force: true,
            ..SyncOptions::default()
        };
        let forced = place.sync(&tree, &options).await.unwrap();
        assert_eq!(forced.uploaded, 2 + 3, "{what}: {forced}");
    }
}

#[tokio::test]
async fn prune_deletes_an_old_release_and_leaves_what_is_not_ours() {
    for place in Place::all().await {
        let tree = Tree::new(&[("a.txt", b"v1")]);
        place.put_foreign("index.html", b"<h1>home</h1>").await;
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let v1 = tree.local().manifest.paths["a.txt"].clone();
        tree.write("a.txt", b"v2");
        tree.build();
        let options = SyncOptions {
            prune: Some(PruneOptions {
                keep: 1,
                min_age: std::time::Duration::ZERO,
            }),
            ..SyncOptions::default()
        };
        let summary = place.sync(&tree, &options).await.unwrap();
        let what = place.name();
        assert!(!place.has(&v1).await, "{what}: v1's file goes");
        assert!(place.has("index.html").await, "{what}: not ours, left alone");
        assert_eq!(summary.not_ours, Some(1), "{what}: {summary}");
    }
}

#[tokio::test]
async fn names_with_spaces_plus_percent_and_accents_round_trip_and_list_back() {
    for place in Place::all().await {
        let names: [(&str, &[u8]); 4] = [
            ("img/my photo.png", b"space"),
            ("img/a+b.png", b"plus"),
            ("img/100%.png", b"percent"),
            ("img/café ñ.png", b"accents"),
        ];
        let tree = Tree::new(&names);
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let what = place.name();
        let local = tree.local();
        for (name, bytes) in names {
            for key in [name, local.manifest.paths[name].as_str()] {
                assert_eq!(place.object(key).await.as_deref(), Some(bytes), "{what}: {key}");
            }
        }
        // A listing gives the same names back: nothing to repair.
        let options = SyncOptions {
            verify: true,
            ..SyncOptions::default()
        };
        let verified = place.sync(&tree, &options).await.unwrap();
        assert_eq!(verified.uploaded, 0, "{what}: {verified}");
        let listed = place.names().await;
        assert!(listed.iter().any(|n| n == "img/café ñ.png"), "{what}: {listed:?}");
        let again = place.sync(&tree, &SyncOptions::default()).await.unwrap();
        assert_eq!(again.requests, 1, "{what}: {again}");
    }
}
