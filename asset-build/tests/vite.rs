//! A real Vite build's output, collected: `scripts/vite-fixture.sh DEST`
//! builds a small project with Vite from npm, then
//!
//! ```text
//! ASSET_VITE_DIST=DEST/project/dist cargo test -p asset-build --test vite -- --ignored
//! ```
//!
//! checks that every file Vite's manifest lists keeps its name and bytes,
//! that nothing is hashed twice, that the references inside Vite's output
//! and from the app's own CSS all lead to collected files, and that the
//! runtime renders each Vite entry's tags from the generated data.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use support::{Project, assets_of};

fn dist() -> PathBuf {
    let dist = std::env::var_os("ASSET_VITE_DIST")
        .expect("set ASSET_VITE_DIST to the output of scripts/vite-fixture.sh DEST (DEST/project/dist)");
    PathBuf::from(dist)
}

/// Every output path Vite's manifest lists.
fn listed(dist: &Path) -> BTreeSet<String> {
    let bytes = std::fs::read(dist.join(".vite/manifest.json")).unwrap();
    let manifest: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).unwrap();
    let mut files = BTreeSet::new();
    for chunk in manifest.values() {
        files.insert(chunk["file"].as_str().unwrap().to_owned());
        for key in ["css", "assets"] {
            for file in chunk.get(key).and_then(|v| v.as_array()).into_iter().flatten() {
                files.insert(file.as_str().unwrap().to_owned());
            }
        }
    }
    files
}

/// The names a file of Vite's output refers to: `/static/<name>` URLs and
/// `./<name>` imports (relative to `assets/`).
fn references(text: &str) -> Vec<String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || "_.-/".contains(c);
    let mut found = Vec::new();
    for (marker, base) in [
        ("/static/", ""),
        ("\"./", "assets/"),
        ("'./", "assets/"),
        ("`./", "assets/"),
    ] {
        for (at, _) in text.match_indices(marker) {
            let rest = &text[at + marker.len()..];
            let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
            if end > 0 {
                found.push(format!("{base}{}", &rest[..end]));
            }
        }
    }
    found
}

#[test]
#[ignore = "needs a Vite build: set ASSET_VITE_DIST (see scripts/vite-fixture.sh)"]
fn a_real_vite_build_is_collected_as_it_is() {
    let dist = dist();
    let listed = listed(&dist);
    let logo = listed
        .iter()
        .find(|f| f.ends_with(".svg"))
        .expect("the fixture's logo is in Vite's manifest");
    let entry_css = listed
        .iter()
        .find(|f| f.starts_with("assets/main-") && f.ends_with(".css"))
        .expect("the main entry's CSS is in Vite's manifest");
    let project = Project::new(&[(
        "assets/css/app.css",
        &format!("@import url(\"../{entry_css}\");\n.logo {{ background: url(../{logo}) }}\n"),
    )]);
    for precompress in [false, true] {
        let output = project.config().source(&dist).precompress(precompress).build().unwrap();
        let manifest = project.manifest();
        for file in &listed {
            assert_eq!(manifest[file.as_str()], file.as_str(), "{file} is renamed");
            assert_eq!(
                std::fs::read(project.output().join(file)).unwrap(),
                std::fs::read(dist.join(file)).unwrap(),
                "{file} is not served as Vite wrote it"
            );
        }
        assert!(manifest.contains_key(".vite/manifest.json"), "{manifest:?}");

        // Under `assets/`, only Vite's files (and their compressed
        // siblings): nothing hashed a second time.
        let root = project.output().join("assets");
        for entry in std::fs::read_dir(&root).unwrap() {
            let name = format!("assets/{}", entry.unwrap().file_name().to_str().unwrap());
            let base = name
                .strip_suffix(".br")
                .or_else(|| name.strip_suffix(".gz"))
                .filter(|_| precompress)
                .unwrap_or(&name);
            assert!(listed.contains(base), "{name} is not a file of Vite's");
        }

        // What Vite's files refer to is there, under the same name.
        let mut checked = 0;
        for file in listed.iter().filter(|f| f.ends_with(".js") || f.ends_with(".css")) {
            let text = std::fs::read_to_string(project.output().join(file)).unwrap();
            for name in references(&text) {
                assert!(
                    manifest.contains_key(&name),
                    "{file} refers to {name}, which is not collected"
                );
                checked += 1;
            }
        }
        assert!(checked >= 3, "only {checked} references found in Vite's output");

        // The app's CSS refers to Vite's files by their own names.
        let app = project.read_output(&project.hashed("css/app.css"));
        assert!(app.contains(&format!("url(\"../{entry_css}\")")), "{app}");
        assert!(app.contains(&format!("url(\"../{logo}\")")), "{app}");

        entry_tags(&output, &dist);
    }
}

/// The entries as the runtime reads them from the generated files: the
/// tags of `src/main.js` link its CSS, load its script and preload the
/// chunk it shares with `src/admin.js`, all under Vite's names.
fn entry_tags(output: &asset_build::Output, dist: &Path) {
    let assets = assets_of(output);
    let bytes = std::fs::read(dist.join(".vite/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let main = &manifest["src/main.js"];
    let shared_key = main["imports"][0].as_str().unwrap();
    let shared = manifest[shared_key]["file"].as_str().unwrap();
    let script = main["file"].as_str().unwrap();
    let css = main["css"][0].as_str().unwrap();

    let entry = assets.vite_entry("src/main.js").unwrap();
    let tags = entry.tags();
    let lines: Vec<&str> = tags.lines().collect();
    assert_eq!(lines.len(), 3, "{tags}");
    let starts = [
        format!("<link rel=\"stylesheet\" href=\"/static/{css}\" integrity=\"sha384-"),
        format!("<script type=\"module\" src=\"/static/{script}\" integrity=\"sha384-"),
        format!("<link rel=\"modulepreload\" href=\"/static/{shared}\" integrity=\"sha384-"),
    ];
    for (line, start) in lines.iter().zip(&starts) {
        assert!(line.starts_with(start.as_str()), "{tags}");
    }
    assert_eq!(
        entry.script().unwrap().integrity(),
        assets.get(script).unwrap().integrity()
    );
    let admin = assets.vite_entry("src/admin.js").unwrap();
    assert_eq!(admin.preloads().map(|a| a.name()).collect::<Vec<_>>(), [shared]);
}

/// The import map of `tags`: the JSON inside its one
/// `<script type="importmap">`, which comes before every module tag.
fn import_map_of(tags: &str) -> serde_json::Value {
    let open = "<script type=\"importmap\">\n";
    assert_eq!(tags.matches(open).count(), 1, "one import map in:\n{tags}");
    let start = tags.find(open).unwrap() + open.len();
    for module in ["<script type=\"module\"", "rel=\"modulepreload\""] {
        assert!(
            tags.find(module).is_none_or(|at| at > start),
            "{module} before the map:\n{tags}"
        );
    }
    let end = start + tags[start..].find("\n</script>").unwrap();
    serde_json::from_str(&tags[start..end]).unwrap()
}

#[test]
#[ignore = "needs a Vite build: set ASSET_VITE_DIST (see scripts/vite-fixture.sh)"]
fn a_chunk_import_map_is_merged_into_the_page_and_one_chunk_edit_renames_one_chunk() {
    let builds = ["dist-chunkmap", "dist-chunkmap-edited"].map(|name| dist().with_file_name(name));
    let mut names: Vec<BTreeSet<String>> = Vec::new();
    for dist in &builds {
        let project = Project::new(&[("assets/app.css", "body { margin: 0 }\n")]);
        let output = project.config().source(dist).build().unwrap();
        let manifest = project.manifest();
        names.push(manifest.keys().filter(|n| n.starts_with("assets/")).cloned().collect());

        // One map for both entries, with each of Vite's specifiers sent to
        // its file's URL, and that file's integrity.
        let assets = assets_of(&output);
        let tags = assets.vite_tags(&["src/main.js", "src/admin.js"]).unwrap();
        let map = import_map_of(&tags);
        let vite: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dist.join("importmap.json")).unwrap()).unwrap();
        let pairs = vite["imports"].as_object().unwrap();
        assert!(pairs.len() >= 4, "{pairs:?}");
        for (specifier, url) in pairs {
            assert_eq!(&map["imports"][specifier], url, "{specifier}");
            let integrity = map["integrity"][url.as_str().unwrap()].as_str().unwrap_or("");
            assert!(integrity.starts_with("sha384-"), "{url}: {map}");
        }
        // One entry alone has the map too, and a second entry adds no second map.
        import_map_of(&assets.vite_entry("src/admin.js").unwrap().tags());
        assert_eq!(tags.matches("@vite/client").count(), 0);
    }
    // Only the shared chunk's file changed name.
    let gone: Vec<&String> = names[0].difference(&names[1]).collect();
    let new: Vec<&String> = names[1].difference(&names[0]).collect();
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(gone[0].starts_with("assets/shared-") && new[0].starts_with("assets/shared-"));
}
