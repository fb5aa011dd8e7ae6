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
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would upload 6"));
    assert!(!out.path().join("public").exists());

    let first = asset_sync(&["--source", &source, &target], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let line = String::from_utf8_lossy(&first.stdout);
    assert!(line.contains("uploaded 6") && line.contains("requests"), "{line}");

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
    assert_eq!(summary.uploaded, 4);
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
