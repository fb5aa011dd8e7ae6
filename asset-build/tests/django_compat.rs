//! Differential test against Django 5.2's `collectstatic`: the fixture's
//! `expected*/` folders were written by the real Django (see the fixture's
//! README), and a build of the same source tree must match them exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/django")
}

/// Every file under `dir`, relative, `/`-separated, sorted.
fn list_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_str().unwrap().replace('\\', "/"))
        .collect();
    files.sort();
    files
}

fn manifest(path: &Path) -> (BTreeMap<String, String>, String, String) {
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let paths = value["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    (
        paths,
        value["hash"].as_str().unwrap().to_owned(),
        value["version"].as_str().unwrap().to_owned(),
    )
}

fn check(source: &str, expected: &str, js_modules: bool) {
    let work = tempfile::tempdir().unwrap();
    let output_dir = work.path().join("static");
    let result = asset_build::Config::new()
        .source(fixture().join(source))
        .dependency_assets(false)
        .js_module_imports(js_modules)
        .package_dir(work.path())
        .out_dir(work.path())
        .output_dir(&output_dir)
        .cargo_directives(false)
        .build()
        .unwrap();
    let expected = fixture().join(expected);

    // Same mapping, version and hash field as Django's staticfiles.json.
    let (want_paths, want_hash, want_version) = manifest(&expected.join("staticfiles.json"));
    let (got_paths, got_hash, got_version) = manifest(&result.manifest_path);
    assert_eq!(got_paths, want_paths);
    assert_eq!(got_version, want_version);
    assert_eq!(got_hash, want_hash);
    assert_eq!(result.manifest_hash, want_hash);

    // Same files left in the output folder.
    let want_files: Vec<String> = std::fs::read_to_string(expected.join("files.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(list_files(&output_dir), want_files);

    // Every rewritten CSS/JS file is byte-identical.
    let rewritten = expected.join("rewritten");
    let names = list_files(&rewritten);
    assert!(!names.is_empty());
    for name in &names {
        let want = std::fs::read(rewritten.join(name)).unwrap();
        let got = std::fs::read(output_dir.join(name)).unwrap();
        assert!(
            want == got,
            "{name} differs from Django's:\n--- django\n{}\n--- ours\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&got)
        );
    }
    // And every other hashed copy holds the original bytes.
    for (original, hashed) in &want_paths {
        if !names.contains(hashed) {
            let source_bytes = std::fs::read(fixture().join(source).join(original)).unwrap();
            assert_eq!(
                std::fs::read(output_dir.join(hashed)).unwrap(),
                source_bytes,
                "{hashed}"
            );
        }
        assert_eq!(
            std::fs::read(output_dir.join(original)).unwrap(),
            std::fs::read(fixture().join(source).join(original)).unwrap(),
            "collected original {original}"
        );
    }
}

#[test]
fn matches_django_collectstatic() {
    check("src", "expected", false);
}

#[test]
fn matches_django_collectstatic_with_js_module_imports() {
    check("src-js-modules", "expected-js-modules", true);
}
