//! asset-build inside real cargo builds of a throwaway app: what reruns the
//! build script, the compile-time `asset!` check, build errors shown as
//! `cargo::error` messages, and assets contributed by a dependency crate.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

struct App {
    dir: tempfile::TempDir,
    /// Apps share a target folder (and so an output folder): one at a time.
    _turn: std::sync::MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl App {
    fn new() -> App {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace();
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let app = App { dir, _turn: turn };
        app.write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\", \"widgets\"]\nresolver = \"3\"\n",
        );
        app.write(
            "app/Cargo.toml",
            &format!(
                r#"[package]
name = "tiny-app"
version = "0.1.0"
edition = "2024"

[dependencies]
asset-runtime = {{ path = {:?} }}
widgets = {{ path = "../widgets" }}

[build-dependencies]
asset-build = {{ path = {:?} }}
"#,
                ws.join("asset-runtime"),
                ws.join("asset-build")
            ),
        );
        app.write("app/build.rs", "fn main() {\n    asset_build::build(\"assets\");\n}\n");
        app.write(
            "app/src/main.rs",
            "asset_runtime::include_assets!();\n\nfn main() {\n    println!(\"{}\", static_url(\"css/a.css\").unwrap());\n    println!(\"{}\", static_url(\"widgets/w.css\").unwrap());\n    println!(\"{}\", asset!(\"img/x.png\"));\n}\n",
        );
        app.write("app/assets/css/a.css", ".a { background: url(../img/x.png) }\n");
        app.write("app/assets/img/x.png", "png");
        app.write(
            "widgets/Cargo.toml",
            "[package]\nname = \"widgets\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[package.metadata.assets]\ndir = \"static\"\n",
        );
        app.write("widgets/src/lib.rs", "");
        app.write("widgets/static/widgets/w.css", ".w { background: url(w.png) }\n");
        app.write("widgets/static/widgets/w.png", "w");
        app.write("widgets/static/css/a.css", "/* overridden by the app */\n");
        std::fs::copy(ws.join("Cargo.lock"), app.dir.path().join("Cargo.lock")).unwrap();
        app
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn cargo(&self, args: &[&str]) -> Output {
        self.cargo_with(args, &[])
    }

    /// Runs cargo with these environment variables set.
    fn cargo_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO"))
            .args(args)
            .args(["--offline", "-p", "tiny-app"])
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", workspace().join("target/build-script-tests"))
            .env_remove("RUSTFLAGS")
            .env_remove("ASSET_BUILD_EXPLAIN")
            .envs(vars.iter().copied())
            .output()
            .unwrap()
    }

    /// Builds verbosely; returns whether the build script ran.
    fn build_reran(&self) -> bool {
        let output = self.cargo(&["build", "-v"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        stderr
            .lines()
            .any(|l| l.contains("Running") && l.contains("build-script-build"))
    }
}

#[test]
fn build_script_reruns_exactly_when_assets_change() {
    let app = App::new();
    let run = app.cargo(&["run", "-q"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("/static/css/a.") && lines[0].ends_with(".css"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("/static/widgets/w."), "{stdout}");
    assert!(lines[2].starts_with("/static/img/x."), "{stdout}");

    // The app's own css/a.css wins over the dependency's.
    let target = workspace().join("target/build-script-tests/debug/static/tiny-app");
    assert!(
        std::fs::read_to_string(target.join("css/a.css"))
            .unwrap()
            .contains("url(../img/x.png)")
    );
    assert!(target.join("widgets/w.png").is_file());

    assert!(!app.build_reran(), "nothing changed");
    app.write(
        "app/src/main.rs",
        &std::fs::read_to_string(app.dir.path().join("app/src/main.rs"))
            .unwrap()
            .replace("fn main", "// touched\nfn main"),
    );
    assert!(!app.build_reran(), "Rust code changed, not assets");
    app.write("app/assets/new.txt", "new");
    assert!(app.build_reran(), "a file was added");
    app.write("app/assets/new.txt", "edited");
    assert!(app.build_reran(), "a file was edited");
    std::fs::rename(
        app.dir.path().join("app/assets/new.txt"),
        app.dir.path().join("app/assets/renamed.txt"),
    )
    .unwrap();
    assert!(app.build_reran(), "a file was renamed");
    std::fs::remove_file(app.dir.path().join("app/assets/renamed.txt")).unwrap();
    assert!(app.build_reran(), "a file was deleted");
    app.write("widgets/static/widgets/w.png", "w2");
    assert!(app.build_reran(), "a dependency's asset changed");
    app.write(
        "widgets/Cargo.toml",
        "[package]\nname = \"widgets\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[package.metadata.assets]\ndir = \"static\"\nprefix = \"ui\"\n",
    );
    assert!(app.build_reran(), "a dependency's asset declaration changed");
    assert!(target.join("ui/widgets/w.png").is_file());
    assert!(!target.join("widgets/w.png").exists());

    // A path that is not an asset fails to compile, naming the path.
    app.write(
        "app/src/main.rs",
        "asset_runtime::include_assets!();\nfn main() { println!(\"{}\", asset!(\"css/typo.css\")); }\n",
    );
    let output = app.cargo(&["build"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no static asset named \"css/typo.css\""), "{stderr}");

    // A broken reference fails the build with a cargo error, not a panic.
    app.write("app/src/main.rs", "fn main() {}\n");
    app.write(
        "app/assets/css/a.css",
        "body {}\n.a { background: url(../img/gone.png) }\n",
    );
    let output = app.cargo(&["build"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(
            "error: tiny-app@0.1.0: asset-build: `css/a.css` line 2: `url(../img/gone.png)` refers to `img/gone.png`"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_asset_edit_changes_the_table_not_the_generated_rust() {
    let app = App::new();
    app.write(
        "app/src/main.rs",
        "asset_runtime::include_assets!();\n\nfn main() {\n    println!(\"{}\", env!(\"OUT_DIR\"));\n    println!(\"{}\", asset!(\"css/a.css\"));\n    println!(\"{}\", ASSETS.len());\n}\n",
    );
    let run = |app: &App| {
        let output = app.cargo(&["run", "-q"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
        let out_dir = PathBuf::from(&lines[0]);
        let rust = std::fs::read(out_dir.join("assets.rs")).unwrap();
        let table = std::fs::read(out_dir.join("assets.rs.table")).unwrap();
        (lines, rust, table)
    };
    let (before, rust_before, table_before) = run(&app);
    assert_eq!(before[2], "4", "{before:?}");

    // Edit the stylesheet and add 300 files: the table changes and grows,
    // the Rust that includes it stays byte for byte the same.
    app.write(
        "app/assets/css/a.css",
        ".a { background: url(../img/x.png); color: red }\n",
    );
    for i in 0..300 {
        app.write(
            &format!("app/assets/more/m{i}.css"),
            &format!(".m{i} {{ background: url(../img/x.png) }}\n"),
        );
    }
    let (after, rust_after, table_after) = run(&app);
    assert_eq!(after[2], "304", "{after:?}");
    assert_ne!(after[1], before[1], "asset! gives the new hashed URL");
    assert!(
        after[1].starts_with("/static/css/a.") && after[1].ends_with(".css"),
        "{after:?}"
    );
    assert_eq!(rust_after, rust_before, "the generated Rust is the same");
    assert!(rust_after.len() < 4096, "{} bytes of generated Rust", rust_after.len());
    assert!(
        table_after.len() > table_before.len() + 300 * 100,
        "the table is the data"
    );

    // The stylesheet edited again, alone: the build patches the last one's
    // results (its memo and its table are left as they were, the record
    // goes to the overlay), and the binary names the new file, which is in
    // the output folder under that name.
    let out_dir = PathBuf::from(&after[0]);
    // The memo and the table, as last modified.
    let cache_stamps = || {
        ["asset-build-memo.bin", "assets.rs.table"]
            .map(|name| std::fs::metadata(out_dir.join(name)).and_then(|m| m.modified()).ok())
    };
    let cache_before = cache_stamps();
    assert!(cache_before.iter().all(Option::is_some));
    app.write("app/assets/css/a.css", ".a { color: blue }\n");
    let (patched, rust_patched, _) = run(&app);
    assert_ne!(patched[1], after[1], "asset! gives the new hashed URL");
    assert_eq!(patched[2], "304");
    assert_eq!(rust_patched, rust_before, "the generated Rust is the same");
    assert_eq!(
        cache_stamps(),
        cache_before,
        "a patch leaves the memo and the table alone"
    );
    assert!(std::fs::metadata(out_dir.join("assets.rs.overlay")).unwrap().len() > 0);
    let output = workspace().join("target/build-script-tests/debug/static/tiny-app");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(output.join("staticfiles.json")).unwrap()).unwrap();
    let hashed = manifest["paths"]["css/a.css"].as_str().unwrap();
    assert_eq!(format!("/static/{hashed}"), patched[1]);
    assert_eq!(
        std::fs::read_to_string(output.join(hashed)).unwrap(),
        ".a { color: blue }\n"
    );

    // What the build did, and why: on the build script's standard error
    // (`-vv`), and as a warning with ASSET_BUILD_EXPLAIN.
    app.write("app/assets/css/a.css", ".a { color: green }\n");
    let output = app.cargo(&["build", "-vv"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("[tiny-app 0.1.0] asset-build: patched the last build's results"),
        "{stderr}"
    );
    app.write("app/assets/more/new.css", ".new {}\n");
    let output = app.cargo_with(&["build"], &[("ASSET_BUILD_EXPLAIN", "1")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: tiny-app@0.1.0: ran the stages: a file was added, removed or renamed"),
        "{stderr}"
    );
}

/// Nothing from outside the package without being told: a dependency's
/// metadata alone (the `widgets` crate has no build script) cannot publish
/// another folder, name files outside the output folder, or add `cargo::`
/// directives; a link out of the app's asset folder and an asset folder
/// whose name holds a line break are refused too. Each is a cargo error,
/// never a panic.
#[cfg(unix)]
#[test]
fn nothing_from_outside_the_package_without_being_told() {
    let app = App::new();
    app.write("app/src/main.rs", "fn main() {}\n");
    let fails_with = |needle: &str| {
        let output = app.cargo(&["build"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{needle}: {stderr}");
        assert!(stderr.contains("error: tiny-app@0.1.0: asset-build: "), "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    let widgets = |table: &str| {
        app.write(
            "widgets/Cargo.toml",
            &format!(
                "[package]\nname = \"widgets\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[package.metadata.assets]\n{table}\n"
            ),
        );
    };
    for (table, needle) in [
        (r#"dir = "../app""#, "climbs out of the crate"),
        (r#"dir = "/etc""#, "must be relative"),
        (
            "dir = \"static\"\nprefix = \"../../escape\"",
            "cannot start asset names",
        ),
        (r#"dir = "static\ncargo::rustc-env=INJECTED=1""#, "control character"),
    ] {
        widgets(table);
        fails_with(needle);
    }
    widgets(r#"dir = "static""#);

    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("id_rsa"), "secret").unwrap();
    let link = app.dir.path().join("app/assets/keys");
    std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();
    fails_with("app/assets/keys` is a symbolic link to");
    std::fs::remove_file(&link).unwrap();

    app.write(
        "app/build.rs",
        "fn main() {\n    asset_build::build(\"as\\nsets\");\n}\n",
    );
    app.write("app/as\nsets/a.css", "a {}\n");
    fails_with("holds a line break");
}
