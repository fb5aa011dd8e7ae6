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
    // The profile folder the xtask binary was built into, whichever the
    // target folder is (`CARGO_TARGET_DIR` included).
    let profile_dir = std::path::Path::new(env!("CARGO_BIN_EXE_xtask")).parent().unwrap();
    let collected = profile_dir.join("static/example-app");
    let files = walk(&collected);
    assert!(
        files > 24,
        "originals, hashed copies, .br/.gz siblings and the manifest: {files}"
    );
    assert_eq!(
        summary["uploaded"],
        files + 2,
        "every file and the manifest's two history copies"
    );
    assert!(dir.path().join("deploy/staticfiles.json").is_file());

    let second = xtask(&args);
    let summary: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(
        (summary["uploaded"].as_u64(), summary["requests"].as_u64()),
        (Some(0), Some(1))
    );
}

fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
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
