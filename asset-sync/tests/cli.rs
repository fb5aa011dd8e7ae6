//! The `asset-sync` command: output, exit codes, a folder target, and an S3
//! target with credentials from the environment (the standard AWS chain).

mod support;

use std::process::{Command, Output};

use support::*;

fn asset_sync(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asset-sync"));
    command.args(args);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn folder_target_plan_summary_and_json() {
    let tree = Tree::new(&[("a.css", b"a {}"), ("b.png", b"png")]);
    let source = path(&tree.collected());
    let out = tempfile::tempdir().unwrap();
    let target = path(&out.path().join("public"));

    let dry = asset_sync(&["--source", &source, &target, "--dry-run", "-v"], &[]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stderr(&dry);
    assert!(text.contains("would upload") && text.contains("a.css"), "{text}");
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would upload 7"));
    assert!(!out.path().join("public").exists());

    let first = asset_sync(&["--source", &source, &target], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let line = String::from_utf8_lossy(&first.stdout);
    assert!(line.contains("uploaded 7") && line.contains("requests"), "{line}");

    let second = asset_sync(&["--source", &source, &format!("file://{target}"), "--json"], &[]);
    let summary: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(summary["uploaded"], 0);
    assert_eq!(summary["requests"], 1);
}

#[derive(clap::Parser)]
struct Args {
    #[command(flatten)]
    sync: asset_sync::cli::SyncArgs,
}

#[tokio::test]
async fn package_metadata_supplies_target_and_options() {
    use clap::Parser as _;
    let tree = Tree::new(&[("a.txt", b"a")]);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("from-metadata");
    let package = asset_sync::PackageAssets {
        name: "app".to_owned(),
        collected_dir: tree.collected(),
        target_dir: out.path().to_owned(),
        settings: serde_json::json!({ "target": target.display().to_string(), "concurrency": 0 }),
    };
    // `concurrency = 0` from the table is used, and refused.
    let args = Args::parse_from(["asset-sync"]);
    let err = asset_sync::cli::run(&args.sync, Some(package.clone()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--concurrency"), "{err}");
    // The command line wins over the table.
    let args = Args::parse_from(["asset-sync", "--concurrency", "4"]);
    let summary = asset_sync::cli::run(&args.sync, Some(package)).await.unwrap();
    assert_eq!(
        summary.uploaded, 5,
        "a.txt, its hashed copy, the manifest and its two history copies"
    );
    assert!(target.join("staticfiles.json").is_file());
}

#[test]
fn bad_input_exit_codes() {
    let tree = Tree::new(&[("a.txt", b"a")]);
    let source = path(&tree.collected());
    let bad_target = asset_sync(&["--source", &source, "ftp://host/x"], &[]);
    assert_eq!(bad_target.status.code(), Some(2));
    assert!(
        stderr(&bad_target).contains("invalid target `ftp://host/x`"),
        "{}",
        stderr(&bad_target)
    );

    let missing = asset_sync(&["--source", "/nonexistent/static", "/tmp/x"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no collected assets at `/nonexistent/static`"));

    let bad_age = asset_sync(&["--source", &source, "/tmp/x", "--prune", "--min-age", "soon"], &[]);
    assert_eq!(bad_age.status.code(), Some(2));
    assert!(stderr(&bad_age).contains("`soon` is not a duration"));
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_target_with_credentials_from_the_environment() {
    let server = S3Server::start().await;
    let tree = Tree::new(&[("a.txt", b"a")]);
    let source = path(&tree.collected());
    let endpoint = server.endpoint.clone();
    let target = format!("s3://{}/static/", server.bucket);
    let run = move |secret: &'static str| {
        let (source, endpoint, target) = (source.clone(), endpoint.clone(), target.clone());
        std::thread::spawn(move || {
            asset_sync(
                &[
                    "--source",
                    &source,
                    &target,
                    "--endpoint-url",
                    &endpoint,
                    "--path-style",
                    "--no-sdk-checksums",
                ],
                &[
                    ("AWS_ACCESS_KEY_ID", "AKIDTESTKEY"),
                    ("AWS_SECRET_ACCESS_KEY", secret),
                    ("AWS_REGION", "us-east-1"),
                ],
            )
        })
        .join()
        .unwrap()
    };
    let ok = run("test-secret-key");
    assert!(ok.status.success(), "{}", stderr(&ok));
    server.assert_manifest_complete("static/").await;

    if server.is_external() {
        // moto does not check credentials.
        return;
    }
    let denied = run("not-the-secret");
    assert_eq!(denied.status.code(), Some(3));
    let text = stderr(&denied);
    assert!(text.contains("environment (AWS_ACCESS_KEY_ID=AKID…)"), "{text}");
    assert!(!text.contains("not-the-secret"), "{text}");
}

/// `--after-publish`: after a publish, the command reads exactly the
/// changed unhashed keys (prefix included; never a hashed name or a
/// sibling of one), and nothing runs on a no-change deploy or a dry run.
/// A failing command exits with 5, names itself and its status, and the
/// release is published all the same.
#[tokio::test(flavor = "multi_thread")]
async fn after_publish_gets_the_changed_unhashed_keys() {
    let server = S3Server::start().await;
    let css = ".rule { color: #123456; background: url(img/x.png) }\n".repeat(50);
    let tree = Tree::new(&[("a.css", css.as_bytes()), ("img/x.png", b"png"), ("b.txt", b"b1")]);
    tree.build_with(true);
    let out = tempfile::tempdir().unwrap();
    let keys_file = out.path().join("keys.txt");
    let hook = format!("cat > '{}'", keys_file.display());
    let source = path(&tree.collected());
    let (endpoint, target) = (server.endpoint.clone(), format!("s3://{}/static/", server.bucket));
    let run = move |extra: &[&str]| {
        let mut args: Vec<String> = [
            "--source",
            &source,
            &target,
            "--endpoint-url",
            &endpoint,
            "--path-style",
            "--json",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        args.extend(extra.iter().map(|a| a.to_string()));
        std::thread::spawn(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            asset_sync(
                &args,
                &[
                    ("AWS_ACCESS_KEY_ID", "AKIDTESTKEY"),
                    ("AWS_SECRET_ACCESS_KEY", "test-secret-key"),
                    ("AWS_REGION", "us-east-1"),
                ],
            )
        })
        .join()
        .unwrap()
    };
    let written = |keys_file: &std::path::Path| -> Option<Vec<String>> {
        let text = std::fs::read_to_string(keys_file).ok()?;
        std::fs::remove_file(keys_file).unwrap();
        Some(text.lines().map(str::to_owned).collect())
    };

    // A first deploy: every original, its siblings, and the manifest.
    let first = run(&["--after-publish", &hook]);
    assert!(first.status.success(), "{}", stderr(&first));
    let mut expected: Vec<String> = ["a.css", "b.txt", "img/x.png", "staticfiles.json"]
        .iter()
        .map(|name| format!("static/{name}"))
        .collect();
    let siblings = tree.siblings();
    let original_siblings: Vec<&String> = siblings.iter().filter(|s| s.starts_with("a.css.")).collect();
    assert_eq!(original_siblings.len(), 2, "a.css.br and a.css.gz: {siblings:?}");
    expected.extend(original_siblings.iter().map(|s| format!("static/{s}")));
    expected.sort();
    let got = written(&keys_file).expect("the command ran");
    assert_eq!(got, expected);
    let manifest = tree.local().manifest;
    for key in &got {
        let name = key.strip_prefix("static/").unwrap();
        assert!(
            manifest.paths.values().all(|hashed| !name.starts_with(hashed.as_str())),
            "{key} is a hashed name or a sibling of one"
        );
    }
    let summary: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(summary["changed_unhashed_keys"], serde_json::json!(expected));

    // Nothing changed: nothing published, the command does not run.
    let same = run(&["--after-publish", &hook]);
    assert!(same.status.success(), "{}", stderr(&same));
    assert_eq!(written(&keys_file), None);

    // A dry run of a change: not run either.
    tree.write("b.txt", b"b2");
    tree.build_with(true);
    let dry = run(&["--after-publish", &hook, "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(written(&keys_file), None);

    // The change published: the changed original and the manifest only.
    let change = run(&["--after-publish", &hook]);
    assert!(change.status.success(), "{}", stderr(&change));
    assert_eq!(
        written(&keys_file).expect("the command ran"),
        ["static/b.txt", "static/staticfiles.json"]
    );

    // A failing command: published all the same, exit 5, the summary on
    // stdout and a message naming the command and its status.
    tree.write("b.txt", b"b3");
    tree.build_with(true);
    let failing = run(&["--after-publish", "cat > /dev/null; exit 7"]);
    assert_eq!(failing.status.code(), Some(5), "{}", stderr(&failing));
    let text = stderr(&failing);
    assert!(
        text.contains(
            "the release was published, but the --after-publish command `cat > /dev/null; exit 7` exited with status 7"
        ),
        "{text}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&failing.stdout).unwrap();
    assert_eq!(
        summary["changed_unhashed_keys"],
        serde_json::json!(["static/b.txt", "static/staticfiles.json"])
    );
    assert_eq!(server.assert_manifest_complete("static/").await, tree.local().manifest);
}

/// The README's CloudFront example, up to the `aws` call: the keys arrive
/// as JSON, and its `jq` program makes them one invalidation batch of
/// URL-encoded paths, names with spaces and quotes included. NUL-separated
/// keys arrive whole too.
#[tokio::test]
async fn after_publish_keys_as_json_and_nul_survive_spaces_and_quotes() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let batch = readme
        .lines()
        .find_map(|line| line.strip_prefix("batch='"))
        .and_then(|rest| rest.strip_suffix('\''))
        .expect("the README's jq program");
    let tree = Tree::new(&[("a b.txt", b"a"), ("it's \"q\".txt", b"q")]);
    let out = tempfile::tempdir().unwrap();
    let store = asset_sync::Store::folder(out.path().join("www"));
    let batch_file = out.path().join("batch.json");
    let options = asset_sync::SyncOptions {
        after_publish: Some(format!("jq '{batch}' > '{}'", batch_file.display())),
        after_publish_format: asset_sync::KeyFormat::Json,
        ..asset_sync::SyncOptions::default()
    };
    asset_sync::sync(&tree.local(), &store, "www", "static/", &options, &asset_sync::Quiet)
        .await
        .unwrap();
    let batch: serde_json::Value = serde_json::from_slice(&std::fs::read(&batch_file).unwrap()).unwrap();
    // Paths with no space or double quote left (jq versions differ on
    // whether `'` is encoded too), each the key once decoded.
    let items: Vec<&str> = batch["Paths"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap())
        .collect();
    assert!(items.iter().all(|p| !p.contains([' ', '"'])), "{batch}");
    let decoded: Vec<String> = items.iter().map(|p| percent_decode(p)).collect();
    assert_eq!(
        decoded,
        ["/static/a b.txt", "/static/it's \"q\".txt", "/static/staticfiles.json"]
    );
    assert_eq!(batch["Paths"]["Quantity"], 3);
    assert!(batch["CallerReference"].is_string());

    tree.write("a b.txt", b"a2");
    tree.build();
    let keys_file = out.path().join("keys");
    let options = asset_sync::SyncOptions {
        after_publish: Some(format!("cat > '{}'", keys_file.display())),
        after_publish_format: asset_sync::KeyFormat::Nul,
        ..asset_sync::SyncOptions::default()
    };
    asset_sync::sync(&tree.local(), &store, "www", "static/", &options, &asset_sync::Quiet)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(&keys_file).unwrap(),
        b"static/a b.txt\0static/staticfiles.json\0"
    );
}

/// A manifest in the store larger than the bound is refused before it is
/// read: exit 2, naming the key and the option.
#[tokio::test]
async fn a_remote_manifest_past_the_bound_is_refused_unread() {
    let tree = Tree::new(&[("a.txt", b"a")]);
    let out = tempfile::tempdir().unwrap();
    let www = out.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("staticfiles.json"), vec![b' '; 4096]).unwrap();
    let store = asset_sync::Store::folder(www.clone());
    let options = asset_sync::SyncOptions {
        max_manifest_bytes: 1024,
        ..asset_sync::SyncOptions::default()
    };
    let err = asset_sync::sync(&tree.local(), &store, "www", "", &options, &asset_sync::Quiet)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let message = err.to_string();
    assert!(
        message.contains("`staticfiles.json` is 4096 bytes") && message.contains("--max-manifest-size"),
        "{message}"
    );
    assert_eq!(std::fs::read_dir(&www).unwrap().count(), 1, "nothing written");
}

/// `%XX` escapes decoded (ASCII only, as the test's names are).
fn percent_decode(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let byte = u8::from_str_radix(&rest[at + 1..at + 3], 16).unwrap();
        out.push(char::from(byte));
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out
}
