//! `cargo xtask sync` on the example app's collected folder (built by the
//! workspace's own build), into a local folder.

use std::process::Command;

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn help_explains_the_task() {
    let output = xtask(&["sync", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("[package.metadata.asset-sync]"), "{help}");
    assert!(help.contains("--dry-run") && help.contains("--prune"), "{help}");
}

#[test]
fn syncs_the_example_app_to_a_folder_then_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("deploy");
    let target = target.to_str().unwrap();
    let args = [
        "sync",
        "--no-build",
        "--package",
        "example-app",
        "--profile",
        "debug",
        "--json",
        target,
    ];
    let first = xtask(&args);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(summary["uploaded"], 24, "11 hashed + 11 originals + manifest + history");
    assert!(dir.path().join("deploy/staticfiles.json").is_file());

    let second = xtask(&args);
    let summary: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(
        (summary["uploaded"].as_u64(), summary["requests"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn unknown_package_is_named() {
    let output = xtask(&["sync", "--no-build", "--package", "nope", "/tmp/x"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no package `nope`") && stderr.contains("example-app"),
        "{stderr}"
    );
}
