//! What is Azure's own: the command line's messages for bad input (no
//! credentials, a container that does not exist, a key the store
//! refuses), and uploads checked against the MD5 the store computed. The
//! sync's invariants on Azure are in `stores.rs`, with every other store.
//!
//! The cases that need a store run against Azurite when
//! `ASSET_SYNC_TEST_AZURE` names its account URL, and say they skip
//! otherwise; the upload check runs against a small HTTP server here that
//! answers as a store whose bytes were damaged would.

mod support;

use std::convert::Infallible;
use std::process::{Command, Output};

use asset_sync::store::{Body, CloudOptions, Condition, ObjectStore, Put, connect_azure};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use support::place::{AZURITE_ACCOUNT, AZURITE_KEY};
use support::{Tree, path};

/// Runs the binary with no Azure or AWS setting of this machine's.
fn asset_sync(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asset-sync"));
    command.args(args);
    for (var, _) in std::env::vars() {
        if var.starts_with("AZURE_") || var.starts_with("AWS_") {
            command.env_remove(var);
        }
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Azurite's account, as the environment gives it.
const AZURITE_ENV: [(&str, &str); 2] = [
    ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT),
    ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY),
];

fn azurite() -> Option<String> {
    let endpoint = std::env::var("ASSET_SYNC_TEST_AZURE").ok().filter(|v| !v.is_empty());
    if endpoint.is_none() {
        eprintln!("ASSET_SYNC_TEST_AZURE is not set: skipped (it needs Azurite)");
    }
    endpoint
}

#[test]
fn no_account_names_the_target_and_what_to_set() {
    let tree = Tree::new(&[("a.txt", b"a")]);
    let out = asset_sync(&["--source", &path(&tree.collected()), "az://web/static/"], &[]);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("az://web/static/") && text.contains("AZURE_STORAGE_ACCOUNT_NAME"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn a_bad_container_name_an_s3_only_option_and_gcs_urls_are_bad_input() {
    let tree = Tree::new(&[("a.txt", b"a")]);
    let source = path(&tree.collected());
    let bad = asset_sync(&["--source", &source, "az://Web_Assets/"], &[]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("not a valid container name"), "{}", stderr(&bad));
    let acl = asset_sync(&["--source", &source, "az://web/", "--acl", "public-read"], &[]);
    assert_eq!(acl.status.code(), Some(2), "{}", stderr(&acl));
    assert!(
        stderr(&acl).contains("--acl") && stderr(&acl).contains("s3:// targets only"),
        "{}",
        stderr(&acl)
    );
    let gcs = asset_sync(&["--source", &source, "gs://my-bucket/static/"], &[]);
    assert_eq!(gcs.status.code(), Some(2), "{}", stderr(&gcs));
    assert!(stderr(&gcs).contains("s3://my-bucket/"), "{}", stderr(&gcs));
}

#[test]
fn a_missing_container_and_a_refused_key_say_which_and_where() {
    let Some(endpoint) = azurite() else { return };
    let tree = Tree::new(&[("a.txt", b"a")]);
    let source = path(&tree.collected());
    let args = [
        "--source",
        &source,
        "az://no-such-container/static/",
        "--endpoint-url",
        &endpoint,
    ];
    let missing = asset_sync(&args, &AZURITE_ENV);
    let text = stderr(&missing);
    assert_eq!(missing.status.code(), Some(3), "{text}");
    assert!(
        text.contains("container `no-such-container` does not exist") && text.contains(&endpoint),
        "{text}"
    );

    // Another valid key (base64 of 64 bytes) that is not the account's.
    let wrong_key = "A".repeat(86) + "==";
    let wrong = [
        ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT),
        ("AZURE_STORAGE_ACCOUNT_KEY", wrong_key.as_str()),
    ];
    let args = [
        "--source",
        &source,
        "az://asset-sync-tests/denied/",
        "--endpoint-url",
        &endpoint,
    ];
    let denied = asset_sync(&args, &wrong);
    let text = stderr(&denied);
    assert_eq!(denied.status.code(), Some(3), "{text}");
    assert!(
        text.contains("was denied") && text.contains("AZURE_STORAGE_ACCOUNT_KEY"),
        "{text}"
    );
    assert!(!text.contains(&wrong_key), "never the secret: {text}");
}

/// A store that takes every write and answers with `digest` as the MD5
/// of what it received (or with none); every other request gets a 404.
async fn lying_store(digest: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = service_fn(move |request: Request<Incoming>| async move {
                let mut response = Response::builder();
                if request.method() == hyper::Method::PUT {
                    response = response.status(201).header("etag", "\"0x8D1\"");
                    if let Some(digest) = digest {
                        response = response.header("content-md5", digest);
                    }
                } else {
                    response = response.status(404);
                }
                Ok::<_, Infallible>(response.body(Full::new(Bytes::new())).unwrap())
            });
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    format!("http://{address}/{AZURITE_ACCOUNT}")
}

#[tokio::test]
async fn an_upload_the_store_received_damaged_or_did_not_confirm_is_an_error() {
    let put = Put {
        key: "static/a.txt",
        body: Body::Bytes(b"hello"),
        content_type: "text/plain",
        cache_control: "no-cache",
        content_encoding: None,
        condition: Condition::None,
        stamp: None,
    };
    // The MD5 of "hello", of "" and none at all.
    for (digest, expected) in [
        (Some("XUFAKrxLKna5cZ2REBfFkg=="), None),
        (Some("1B2M2Y8AsgTpgAmY7PhCfg=="), Some("damaged")),
        (None, Some("cannot be verified")),
    ] {
        let options = CloudOptions {
            endpoint_url: Some(lying_store(digest).await),
            initial_backoff: std::time::Duration::from_millis(1),
            account_key: Some((AZURITE_ACCOUNT.to_owned(), AZURITE_KEY.to_owned())),
            ..CloudOptions::default()
        };
        let store = connect_azure("web", "az://web/", &options).unwrap();
        let written = store.put(&put).await;
        match expected {
            None => assert!(written.is_ok(), "{digest:?}: {written:?}"),
            Some(words) => {
                let message = written.unwrap_err().to_string();
                assert!(message.contains(words) && message.contains("static/a.txt"), "{message}");
            }
        }
        // Not retried, although retries are allowed: a retry of a
        // conditional write would meet the damaged write's condition.
        assert_eq!(store.requests(), 1, "{digest:?}: counted, and not retried");
    }
}

#[test]
fn the_command_deploys_to_azurite_and_a_redeploy_is_one_request() {
    let Some(endpoint) = azurite() else { return };
    let tree = Tree::new(&[("a.css", b"a {}"), ("b.png", b"png")]);
    let source = path(&tree.collected());
    let target = format!("az://asset-sync-tests/cli-{}/", std::process::id());
    let args = ["--source", &source, &target, "--endpoint-url", &endpoint, "--json"];
    let first = asset_sync(&args, &AZURITE_ENV);
    assert!(first.status.success(), "{}", stderr(&first));
    let summary: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(summary["uploaded"], 7, "{summary}");
    assert_eq!(summary["target"], target.as_str());
    let again = asset_sync(&args, &AZURITE_ENV);
    assert!(again.status.success(), "{}", stderr(&again));
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (summary["uploaded"].as_u64(), summary["requests"].as_u64()),
        (Some(0), Some(1)),
        "{summary}"
    );
}

#[tokio::test]
async fn a_file_past_64_mb_goes_up_whole_and_the_sync_says_so_once() {
    let Some(place) = support::place::Place::azure() else {
        return;
    };
    let big: Vec<u8> = (0..64 * 1024 * 1024 + 1).map(|i| (i * 7 % 251) as u8).collect();
    let tree = Tree::new(&[("video/big.bin", &big), ("a.txt", b"a")]);
    let summary = place.sync(&tree, &asset_sync::SyncOptions::default()).await.unwrap();
    let caveats: Vec<&String> = summary
        .warnings
        .iter()
        .filter(|w| w.contains("whole into memory"))
        .collect();
    assert_eq!(caveats.len(), 1, "{:?}", summary.warnings);
    assert!(
        caveats[0].contains("67 MB") && caveats[0].contains("asset-sync-tests"),
        "{}",
        caveats[0]
    );
    let hashed = tree.local().manifest.paths["video/big.bin"].clone();
    assert_eq!(place.object(&hashed).await.as_deref(), Some(big.as_slice()));
    // Nothing to upload, nothing to say.
    let again = place.sync(&tree, &asset_sync::SyncOptions::default()).await.unwrap();
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
}

#[tokio::test]
async fn a_manifest_whose_bytes_are_not_the_release_s_is_not_taken_for_it() {
    let Some(place) = support::place::Place::azure() else {
        return;
    };
    let tree = Tree::new(&[("a.txt", b"v1")]);
    place.sync(&tree, &asset_sync::SyncOptions::default()).await.unwrap();
    // Other bytes, written with this release's stamp (its variants): only
    // the MD5 Azure computed of the bytes it holds tells them apart.
    let local = tree.local();
    let other = br#"{"paths": {}, "version": "1.1", "hash": "0123456789ab"}"#;
    let put = Put {
        key: &place.key("staticfiles.json"),
        body: Body::Bytes(other),
        content_type: "application/json",
        cache_control: "no-cache",
        content_encoding: None,
        condition: Condition::None,
        stamp: Some(asset_sync::store::Stamp {
            md5: &local.md5,
            variants: "v1:",
        }),
    };
    place.store.inner.put(&put).await.unwrap();
    let summary = place.sync(&tree, &asset_sync::SyncOptions::default()).await.unwrap();
    assert!(summary.requests > 1, "{summary}");
    assert_eq!(place.object("staticfiles.json").await.unwrap(), local.manifest_bytes);
}
