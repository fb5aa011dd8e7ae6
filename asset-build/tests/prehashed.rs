//! Files whose names already carry a content hash (a Vite build's output,
//! Propshaft's `.digested` names, `Config::prehashed` globs): collected
//! under their own names, never renamed nor rewritten, and still found by
//! references from other files.

mod support;

use std::collections::BTreeSet;

use asset_build::Error;
use support::{Project, beside_generated};

const VITE_MANIFEST: &str = r#"{
  "src/main.js": {
    "file": "assets/main-AbCd1234.js",
    "name": "main",
    "src": "src/main.js",
    "isEntry": true,
    "imports": ["_shared-Xy_9-abc.js"],
    "css": ["assets/main-Qw3rTy12.css"]
  },
  "_shared-Xy_9-abc.js": {
    "file": "assets/shared-Xy_9-abc.js",
    "name": "shared"
  },
  "src/img/logo.svg": {
    "file": "assets/logo-Zz123456.svg",
    "src": "src/img/logo.svg"
  }
}"#;

const MAIN_JS: &str = "import{g as o}from\"./shared-Xy_9-abc.js\";document.title=o(\"main\");\n";
const MAIN_CSS: &str = "body{background:url(/static/assets/logo-Zz123456.svg)}\n";

/// A Vite output folder (`dist/`, as `vite build` leaves it, with a file of
/// `public/` that Vite does not hash) beside the app's own CSS.
fn vite_project() -> Project {
    Project::new(&[
        ("assets/dist/.vite/manifest.json", VITE_MANIFEST),
        ("assets/dist/.vite/ssr-manifest.json", "{}"),
        ("assets/dist/assets/main-AbCd1234.js", MAIN_JS),
        ("assets/dist/assets/main-Qw3rTy12.css", MAIN_CSS),
        (
            "assets/dist/assets/shared-Xy_9-abc.js",
            "export function g(n){return n}\n",
        ),
        (
            "assets/dist/assets/logo-Zz123456.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
        ),
        ("assets/dist/favicon.ico", "icon"),
        (
            "assets/css/app.css",
            ".logo { background: url(../dist/assets/logo-Zz123456.svg) }\n@import \"../dist/assets/main-Qw3rTy12.css\";\n",
        ),
    ])
}

fn output_files(project: &Project) -> BTreeSet<String> {
    let root = project.output();
    walkdir::WalkDir::new(&root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(&root).unwrap().to_str().unwrap().to_owned())
        .collect()
}

#[test]
fn vite_output_keeps_its_names_and_bytes() {
    let project = vite_project();
    project.build().unwrap();
    let manifest = project.manifest();
    for listed in [
        "dist/assets/main-AbCd1234.js",
        "dist/assets/main-Qw3rTy12.css",
        "dist/assets/shared-Xy_9-abc.js",
        "dist/assets/logo-Zz123456.svg",
    ] {
        assert_eq!(manifest[listed], listed, "{listed} is renamed");
    }
    // The manifest itself is collected (and hashed, as any JSON file); the
    // rest of `.vite/` stays hidden.
    assert!(
        project
            .hashed("dist/.vite/manifest.json")
            .starts_with("dist/.vite/manifest."),
        "{manifest:?}"
    );
    assert!(!manifest.contains_key("dist/.vite/ssr-manifest.json"));
    // What Vite did not hash is hashed as usual.
    assert_ne!(project.hashed("dist/favicon.ico"), "dist/favicon.ico");

    // One file per hashed name: no second hash, no original beside it.
    let vite_assets: BTreeSet<String> = output_files(&project)
        .into_iter()
        .filter(|f| f.starts_with("dist/assets/"))
        .collect();
    let expected: BTreeSet<String> = [
        "dist/assets/logo-Zz123456.svg",
        "dist/assets/main-AbCd1234.js",
        "dist/assets/main-Qw3rTy12.css",
        "dist/assets/shared-Xy_9-abc.js",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(vite_assets, expected);

    // Served as Vite wrote them, although a CSS file's absolute URL and a
    // JS import would be rewritten in a file of the app's own.
    assert_eq!(project.read_output("dist/assets/main-AbCd1234.js"), MAIN_JS);
    assert_eq!(project.read_output("dist/assets/main-Qw3rTy12.css"), MAIN_CSS);

    // The app's CSS refers to Vite's files by their own names.
    let app = project.read_output(&project.hashed("css/app.css"));
    assert!(app.contains("url(\"../dist/assets/logo-Zz123456.svg\")"), "{app}");
    assert!(
        app.contains("@import url(\"../dist/assets/main-Qw3rTy12.css\")"),
        "{app}"
    );
}

#[test]
fn vite_output_is_precompressed_once_per_file() {
    let project = vite_project();
    let big = MAIN_JS.repeat(200);
    project.write("assets/dist/assets/main-AbCd1234.js", &big);
    project.config().precompress(true).build().unwrap();
    let files = output_files(&project);
    let main: Vec<&String> = files.iter().filter(|f| f.contains("main-AbCd1234")).collect();
    assert_eq!(
        main,
        [
            "dist/assets/main-AbCd1234.js",
            "dist/assets/main-AbCd1234.js.br",
            "dist/assets/main-AbCd1234.js.gz"
        ]
    );
}

#[test]
fn a_rebuild_after_a_new_vite_build_follows_its_manifest() {
    let project = vite_project();
    project.build().unwrap();
    // Vite builds again: a new name for the changed chunk.
    std::fs::remove_file(project.path("assets/dist/assets/shared-Xy_9-abc.js")).unwrap();
    project.write(
        "assets/dist/assets/shared-New12345.js",
        "export function g(n){return n+1}\n",
    );
    project.write(
        "assets/dist/.vite/manifest.json",
        &VITE_MANIFEST.replace("shared-Xy_9-abc.js\"", "shared-New12345.js\""),
    );
    project.build().unwrap();
    let manifest = project.manifest();
    assert_eq!(
        manifest["dist/assets/shared-New12345.js"],
        "dist/assets/shared-New12345.js"
    );
    assert!(!manifest.contains_key("dist/assets/shared-Xy_9-abc.js"));
    assert!(!project.output().join("dist/assets/shared-Xy_9-abc.js").exists());
}

#[test]
fn a_malformed_vite_manifest_is_named() {
    for bad in [
        "{\"src/main.js\": {\"file\": 3}}",
        "{\n  \"a\": {\"file\": \"x.js\",}\n}",
        "[]",
    ] {
        let project = vite_project();
        project.write("assets/dist/.vite/manifest.json", bad);
        let err = project.build().unwrap_err();
        assert!(matches!(err, Error::BadViteManifest { .. }), "{err:?}");
        let message = err.to_string();
        let path = project.path("assets/dist/.vite/manifest.json");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("line"), "{message}");
        assert!(message.contains("vite build"), "{message}");
    }
}

#[test]
fn a_vite_manifest_importing_an_unknown_entry_is_named() {
    let project = vite_project();
    project.write(
        "assets/dist/.vite/manifest.json",
        &VITE_MANIFEST.replace("\"imports\": [\"_shared-Xy_9-abc.js\"]", "\"imports\": [\"_gone.js\"]"),
    );
    let err = project.build().unwrap_err();
    assert!(matches!(err, Error::BadViteManifest { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("entry `src/main.js` imports `_gone.js`, which is not an entry of the manifest"),
        "{message}"
    );
}

#[test]
fn a_vite_manifest_listing_a_missing_file_is_named() {
    let project = vite_project();
    std::fs::remove_file(project.path("assets/dist/assets/logo-Zz123456.svg")).unwrap();
    let err = project.build().unwrap_err();
    assert!(matches!(err, Error::ViteFileMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("entry `src/img/logo.svg`"), "{message}");
    assert!(message.contains("`assets/logo-Zz123456.svg`"), "{message}");
    assert!(message.contains("run `vite build` again"), "{message}");
}

#[test]
fn the_users_ignore_patterns_still_skip_the_vite_manifest() {
    let project = vite_project();
    // Vite's CSS is then rewritten as the app's own: its `/static/assets/`
    // URLs do not resolve in this tree, where Vite's output is under `dist/`.
    project
        .config()
        .ignore("*.json")
        .lenient_references(true)
        .build()
        .unwrap();
    let manifest = project.manifest();
    assert!(!manifest.contains_key("dist/.vite/manifest.json"));
    // Without it, nothing is known to be hashed.
    assert_ne!(manifest["dist/assets/main-AbCd1234.js"], "dist/assets/main-AbCd1234.js");
}

#[test]
fn digested_names_and_prehashed_globs_are_taken_as_they_are() {
    let project = Project::new(&[
        ("assets/js/app-abc1234.digested.js", "let a = 1;\n"),
        ("assets/js/app-abc12.digested.js", "let b = 1;\n"),
        ("assets/chunks/c-1.js", "import \"./c-2.js\";\n"),
        ("assets/chunks/c-2.js", "export {};\n"),
        (
            "assets/css/a.css",
            "@import url(\"../chunks/c-2.js\");\n.x { background: url(../js/app-abc1234.digested.js) }\n",
        ),
    ]);
    project.config().prehashed("chunks/*").build().unwrap();
    let manifest = project.manifest();
    for name in ["js/app-abc1234.digested.js", "chunks/c-1.js", "chunks/c-2.js"] {
        assert_eq!(manifest[name], name);
    }
    // A digest of 5 characters is not one.
    assert_ne!(manifest["js/app-abc12.digested.js"], "js/app-abc12.digested.js");
    let css = project.read_output(&project.hashed("css/a.css"));
    assert!(css.contains("url(\"../chunks/c-2.js\")"), "{css}");
    assert!(css.contains("url(\"../js/app-abc1234.digested.js\")"), "{css}");
}

#[test]
fn a_bad_prehashed_glob_is_named() {
    let project = Project::new(&[("assets/a.js", "")]);
    let err = project.config().prehashed("chunks/[").build().unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("prehashed pattern `chunks/[`"), "{message}");
}

#[test]
fn the_vite_entries_file_comes_and_goes_with_the_vite_manifest() {
    let project = vite_project();
    let output = project.build().unwrap();
    let vite_file = beside_generated(&output, ".vite");
    let data = std::fs::read(&vite_file).unwrap();
    assert!(data.starts_with(b"ASTVITE1"));
    let rust = std::fs::read_to_string(&output.generated_file).unwrap();
    assert!(
        rust.contains(&format!(
            "VITE: &[u8] = include_bytes!({:?})",
            vite_file.display().to_string()
        )),
        "{rust}"
    );

    std::fs::remove_dir_all(project.path("assets/dist/.vite")).unwrap();
    project.config().lenient_references(true).build().unwrap();
    assert!(!vite_file.exists());
    let rust = std::fs::read_to_string(&output.generated_file).unwrap();
    assert!(rust.contains("VITE: &[u8] = &[];"), "{rust}");
}
