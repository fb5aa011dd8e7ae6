//! `--prune` deletes only what a release of this app published: each case
//! runs on every kind of store (a folder; a real S3 server, s3s-fs in
//! process or moto in CI; Azurite when set up: see `support::place`).

mod support;

use std::sync::Mutex;
use std::time::Duration;

use std::sync::atomic::Ordering;

use asset_sync::{Plan, Progress, PruneOptions, SyncOptions};
use support::Tree;
use support::place::Place;

fn prune(keep: usize, min_age: Duration) -> SyncOptions {
    SyncOptions {
        prune: Some(PruneOptions { keep, min_age }),
        ..SyncOptions::default()
    }
}

fn now() -> SyncOptions {
    prune(1, Duration::ZERO)
}

#[tokio::test]
async fn a_web_root_s_own_files_and_an_asset_under_manifests_are_never_pruned() {
    for place in Place::all().await {
        let tree = Tree::new(&[("site.css", b"v1"), ("manifests/site.webmanifest", b"{}")]);
        place.put_foreign("index.html", b"<h1>home</h1>").await;
        place.put_foreign("uploads/u.jpg", b"jpeg").await;
        place.put_foreign("manifests/notes.json", b"[]").await;
        place
            .put_foreign("manifests/0123456789ab.json", b"not a manifest")
            .await;
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let v1 = tree.local().manifest;

        tree.write("site.css", b"v2");
        tree.build();
        let summary = place.sync(&tree, &now()).await.unwrap();
        let (what, v2) = (place.name(), tree.local().manifest);

        for name in [
            "index.html",
            "uploads/u.jpg",
            "manifests/notes.json",
            "manifests/0123456789ab.json",
            "manifests/site.webmanifest",
            &v2.paths["manifests/site.webmanifest"],
        ] {
            assert!(place.has(name).await, "{what}: {name} was deleted");
        }
        assert!(!place.has(&v1.paths["site.css"]).await, "{what}: v1's own file stays");
        assert_eq!(summary.deleted, 3, "{what}: v1's site.css and its two history copies");
        assert_eq!(summary.not_ours, Some(4), "{what}: {summary}");
        assert!(summary.to_string().contains("(4 not ours, left alone)"), "{summary}");

        // The next plain sync has nothing to put back.
        let again = place.sync(&tree, &SyncOptions::default()).await.unwrap();
        assert_eq!((again.uploaded, again.requests), (0, 1), "{what}");
    }
}

#[tokio::test]
async fn an_app_nested_in_another_s_prefix_keeps_its_objects() {
    for place in Place::all().await {
        let outer = Tree::new(&[("app.css", b"outer v1")]);
        let inner = Tree::new(&[("admin.css", b"inner v1")]);
        place.sync(&outer, &SyncOptions::default()).await.unwrap();
        place
            .sync_under("admin/", &inner, &SyncOptions::default())
            .await
            .unwrap();
        inner.write("admin.css", b"inner v2");
        inner.build();
        place
            .sync_under("admin/", &inner, &SyncOptions::default())
            .await
            .unwrap();
        let inner_v1 = inner.local().manifest;

        outer.write("app.css", b"outer v2");
        outer.build();
        place.sync(&outer, &now()).await.unwrap();
        let what = place.name();
        // Both of the inner app's releases, its manifest and its history.
        let inner_v2 = inner.local().manifest;
        for manifest in [&inner_v1, &inner_v2] {
            let name = format!("admin/{}", manifest.paths["admin.css"]);
            assert!(place.has(&name).await, "{what}: {name}");
            let history = format!("admin/manifests/{}.json", manifest.hash);
            assert!(place.has(&history).await, "{what}: {history}");
        }
        assert!(place.has("admin/staticfiles.json").await, "{what}");
    }
}

#[tokio::test]
async fn a_deploy_killed_before_its_manifest_is_reclaimed_and_the_published_one_kept() {
    for place in Place::all().await {
        let tree = Tree::new(&[("a.txt", b"v1")]);
        place.sync(&tree, &SyncOptions::default()).await.unwrap();
        let v1 = tree.local().manifest;

        tree.write("a.txt", b"v2, never published");
        tree.build();
        let v2 = tree.local().manifest;
        place.store.fail_manifest.store(true, Ordering::SeqCst);
        place.sync(&tree, &SyncOptions::default()).await.unwrap_err();
        place.store.fail_manifest.store(false, Ordering::SeqCst);
        let what = place.name();
        assert!(
            place.has(&v2.paths["a.txt"]).await,
            "{what}: the failed deploy's upload"
        );
        assert!(place.has(&format!("manifests/{}.upload.json", v2.hash)).await, "{what}");

        // The published copy went up: the manifest's write failed after it.
        // Either way the release was never served.
        let copy = format!("manifests/{}.json", v2.hash);
        let copies = 1 + usize::from(place.has(&copy).await);
        tree.write("a.txt", b"v3");
        tree.build();
        let summary = place.sync(&tree, &prune(2, Duration::ZERO)).await.unwrap();
        // v2 never served anyone: its file and its record go. v1, served
        // until this deploy, stays with v3.
        assert!(!place.has(&v2.paths["a.txt"]).await, "{what}");
        assert!(
            !place.has(&format!("manifests/{}.upload.json", v2.hash)).await,
            "{what}"
        );
        assert!(place.has(&v1.paths["a.txt"]).await, "{what}");
        assert!(place.has(&format!("manifests/{}.json", v1.hash)).await, "{what}");
        assert!(!place.has(&copy).await, "{what}");
        assert_eq!(summary.deleted, 1 + copies, "{what}: {summary}");
    }
}

#[tokio::test]
async fn a_prefix_with_no_history_loses_nothing() {
    for place in Place::all().await {
        // Objects an earlier tool uploaded: hashed-looking names, no history.
        place.put_foreign("css/old.0123456789ab.css", b"old").await;
        place
            .put_foreign("staticfiles.json", br#"{"paths": {}, "version": "1.1"}"#)
            .await;
        let tree = Tree::new(&[("a.txt", b"a")]);
        let summary = place.sync(&tree, &now()).await.unwrap();
        assert!(place.has("css/old.0123456789ab.css").await, "{}", place.name());
        assert_eq!(summary.not_ours, Some(1), "{}: {summary}", place.name());
    }
}

/// Records the keys a sync reports deleted.
#[derive(Default)]
struct Deleted(Mutex<Vec<String>>);

impl Progress for Deleted {
    fn warn(&self, _: &str) {}
    fn planned(&self, _: &Plan) {}
    fn uploaded(&self, _: &str, _: u64) {}
    fn deleted(&self, key: &str) {
        self.0.lock().unwrap().push(key.to_owned());
    }
}

#[tokio::test]
async fn a_dry_run_lists_exactly_what_the_prune_deletes_and_a_huge_min_age_keeps_all() {
    for place in Place::all().await {
        let tree = Tree::new(&[("a.txt", b"v1"), ("b.txt", b"same")]);
        place.put_foreign("robots.txt", b"User-agent: *").await;
        for version in ["v2", "v3"] {
            place.sync(&tree, &SyncOptions::default()).await.unwrap();
            tree.write("a.txt", version.as_bytes());
            tree.build();
        }
        let what = place.name();

        let forever = place.sync(&tree, &prune(1, Duration::MAX)).await.unwrap();
        assert_eq!(forever.deleted, 0, "{what}: a min-age too large to subtract keeps all");

        let dry = Deleted::default();
        let options = SyncOptions { dry_run: true, ..now() };
        let planned = place.sync_with("", &tree, &options, &dry).await.unwrap();
        let wet = Deleted::default();
        let done = place.sync_with("", &tree, &now(), &wet).await.unwrap();
        let (mut dry, mut wet) = (dry.0.into_inner().unwrap(), wet.0.into_inner().unwrap());
        dry.sort();
        wet.sort();
        assert_eq!(dry, wet, "{what}");
        assert_eq!(planned.deleted, done.deleted);
        assert_eq!(
            done.deleted, 6,
            "{what}: two old a.txt copies and two releases' history copies"
        );
        assert!(place.has("robots.txt").await, "{what}");
    }
}
