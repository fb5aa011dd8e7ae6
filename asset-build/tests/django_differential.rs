//! Differential test against the real Django 5.2 on generated trees: each
//! tree of CSS, JS and other files, using every reference form the
//! rewriter knows (quoted and unquoted `url()`, upper case, `@import` with
//! and without `url()`, `?#iefix`, fragments, queries, `data:` and scheme
//! URLs, absolute `/static/` paths, source maps in both syntaxes, spaces and
//! non-ASCII names, nested import chains, missing targets and cycles;
//! queries only on targets that are not rewritten, see below), is
//! built by asset-build and by Django's `collectstatic` with
//! `ManifestStaticFilesStorage` (`django_differential.py`, all trees in one
//! Python process). Both must fail, or both succeed with the same files, the
//! same bytes in every file, and the same `staticfiles.json` mapping and
//! hash.
//!
//! It needs a Python with Django 5.2, so it is ignored by default; `.ci/run`
//! runs it with a bounded number of trees:
//!
//! ```text
//! python3 -m venv /tmp/djvenv && /tmp/djvenv/bin/pip install "Django==5.2.*"
//! ASSET_DJANGO_PYTHON=/tmp/djvenv/bin/python ASSET_DJANGO_TREES=5000 \
//!     cargo test --release -p asset-build --test django_differential -- --ignored --nocapture
//! ```
//!
//! `ASSET_DJANGO_SEED` sets the first tree's seed (default 1), so a
//! reported tree can be built again on its own.
//!
//! With `ASSET_DJANGO_RULES=6.1` and a Python (3.12 or later) with Django
//! 6.1, the trees also hold the forms Django 6.1 reads differently
//! (references in comments and strings, mismatched `url()` quotes, a
//! Tailwind escape, a `data:` URL holding `url()`, a source-map line inside
//! a comment), and asset-build runs with `Rules::Django61`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use asset_build::Rules;

/// A deterministic generator of trees (xorshift64*).
struct Gen(u64);

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FOLDERS: &[&str] = &["", "css/", "css/deep/", "img/", "fonts/", "js/", "my dir/", "café/"];
const STEMS: &[&str] = &["a", "b", "main", "x y", "é", "icon", "font", "base.min", "v1.2"];

/// The relative URL from the file at `from` to the file at `to`.
fn relative(from: &str, to: &str) -> String {
    let from_dir: Vec<&str> = from.split('/').collect::<Vec<_>>()[..from.split('/').count() - 1].to_vec();
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dir.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    let mut out = "../".repeat(from_dir.len() - common);
    out.push_str(&to_parts[common..].join("/"));
    out
}

/// One generated tree: relative name → bytes.
fn tree(seed: u64, rules: Rules) -> BTreeMap<String, Vec<u8>> {
    let mut g = Gen::new(seed);
    // Forms whose handling Django 6.1 changed are generated for it only, so
    // that Django 5.2's trees stay those of earlier runs.
    let newer = rules == Rules::Django61;
    let mut names: Vec<String> = Vec::new();
    let mut add = |g: &mut Gen, ext: &str| {
        let name = format!("{}{}{}.{ext}", g.pick(FOLDERS), g.pick(STEMS), g.below(3));
        if !names.contains(&name) {
            names.push(name);
        }
    };
    for _ in 0..1 + g.below(4) {
        add(&mut g, "css");
    }
    for _ in 0..g.below(3) {
        add(&mut g, "js");
    }
    for _ in 0..1 + g.below(5) {
        let ext = *g.pick(&["png", "woff2", "svg", "eot", "txt"]);
        add(&mut g, ext);
    }
    let css: Vec<String> = names.iter().filter(|n| n.ends_with(".css")).cloned().collect();
    let plain: Vec<String> = names
        .iter()
        .filter(|n| !n.ends_with(".css") && !n.ends_with(".js"))
        .cloned()
        .collect();
    let mut files = BTreeMap::new();
    for name in &plain {
        files.insert(name.clone(), format!("{name} {seed}\n").into_bytes());
    }
    // Source maps that CSS/JS may point at.
    let mut maps = Vec::new();
    for name in names.iter().filter(|n| n.ends_with(".css") || n.ends_with(".js")) {
        if g.chance(40) {
            let map = format!("{name}.map");
            files.insert(
                map.clone(),
                format!("{{\"version\":3,\"file\":\"{name}\"}}").into_bytes(),
            );
            maps.push(map);
        }
    }
    // Cycles are allowed in a few trees only: an import goes to a later file.
    let cycles = g.chance(5);
    let missing = g.chance(10);
    for (index, name) in names.iter().enumerate() {
        let is_css = name.ends_with(".css");
        let is_js = name.ends_with(".js");
        if !is_css && !is_js {
            continue;
        }
        let mut text = String::new();
        for _ in 0..g.below(7) {
            let target = match g.below(10) {
                0..=5 if !plain.is_empty() => g.pick(&plain).clone(),
                6 | 7 if is_css => {
                    let earlier: Vec<&String> = css
                        .iter()
                        .filter(|c| cycles || names.iter().position(|n| n == *c) < Some(index))
                        .collect();
                    match earlier.is_empty() {
                        true => continue,
                        false => (*g.pick(&earlier)).clone(),
                    }
                }
                8 if missing => "img/missing.png".to_owned(),
                _ => String::new(),
            };
            let url = if target.is_empty() {
                g.pick(&[
                    "data:image/png;base64,iVBOR",
                    "http://example.com/x.png",
                    "//cdn.example.com/y.css",
                    "#frag",
                    "/other/x.png",
                ])
                .to_string()
            } else {
                let base = match g.below(5) {
                    0 => format!("/static/{target}"),
                    1 if !target.contains('/') || name.matches('/').count() == 0 => {
                        format!("./{}", relative(name, &target))
                    }
                    _ => relative(name, &target),
                };
                let base = if g.chance(15) { base.replace(' ', "%20") } else { base };
                // No query on a CSS/JS target: there Django 5.2 names the
                // reference from the target's unrewritten content, a file
                // it never writes, and asset-build deliberately uses the
                // final name (the README's one deliberate difference).
                let rewritten_target = target.ends_with(".css") || target.ends_with(".js");
                match g.below(8) {
                    0 if !rewritten_target => format!("{base}?#iefix"),
                    1 => format!("{base}#frag"),
                    2 if !rewritten_target => format!("{base}?v=1"),
                    _ => base,
                }
            };
            if is_css {
                let form = if target.ends_with(".css") {
                    g.below(7)
                } else {
                    g.below(4)
                };
                let rule = match form {
                    0 => format!(".r{} {{ background: url({url}); }}\n", text.len()),
                    1 => format!(".r{} {{ background: url('{url}'); }}\n", text.len()),
                    2 => format!(".r{} {{ background: url(\"{url}\"); }}\n", text.len()),
                    3 => format!(".r{} {{ background: URL({url}); }}\n", text.len()),
                    4 => format!("@import \"{url}\";\n"),
                    5 => format!("@import '{url}';\n"),
                    _ => format!("@import url({url});\n"),
                };
                let rule = if newer { hide(&mut g, rule, text.len()) } else { rule };
                text.push_str(&rule);
            } else {
                text.push_str(&format!("var u{} = \"{url}\";\n", text.len()));
            }
        }
        if newer {
            text.push_str(&newer_forms(&mut g, is_css, text.len()));
        }
        let map = format!("{name}.map");
        if maps.contains(&map) {
            let file = map.rsplit('/').next().unwrap_or(&map).to_owned();
            if is_css && g.chance(50) {
                text.push_str(&format!("/*# sourceMappingURL={file} */"));
            } else if is_css {
                text.push_str(&format!("/*# sourceMappingURL={file} */\n"));
            } else {
                text.push_str(&format!("//# sourceMappingURL={file}\n"));
            }
        }
        files.insert(name.clone(), text.into_bytes());
    }
    files
}

/// Every file under `dir`: relative name → bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(dir).unwrap().to_str().unwrap().replace('\\', "/");
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// The `paths` mapping and `hash` of a `staticfiles.json`.
fn manifest(bytes: &[u8]) -> (BTreeMap<String, String>, String) {
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let paths = value["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    (paths, value["hash"].as_str().unwrap().to_owned())
}

/// What differs between Django's output folder and ours, if anything.
fn compare(django: &Path, ours: &Path) -> Option<String> {
    let theirs = read_tree(django);
    let mine = read_tree(ours);
    let their_names: Vec<&String> = theirs.keys().collect();
    let my_names: Vec<&String> = mine.keys().collect();
    if their_names != my_names {
        // Show what each side made of the files named differently.
        let (their_paths, _) = manifest(&theirs["staticfiles.json"]);
        let (my_paths, _) = manifest(&mine["staticfiles.json"]);
        let mut out = String::from("names differ:");
        for (name, hashed) in &their_paths {
            match my_paths.get(name) {
                Some(mine_hashed) if mine_hashed == hashed => {}
                other => out.push_str(&format!(
                    "\n  {name}: django {hashed}, ours {other:?}\n--- django\n{}\n--- ours\n{}",
                    String::from_utf8_lossy(&theirs[hashed]),
                    other
                        .and_then(|h| mine.get(h))
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_default()
                )),
            }
        }
        return Some(out);
    }
    for (name, bytes) in &theirs {
        if name == "staticfiles.json" {
            let (a, b) = (manifest(bytes), manifest(&mine[name]));
            if a != b {
                return Some(format!("staticfiles.json differs:\n  django: {a:?}\n  ours:   {b:?}"));
            }
        } else if *bytes != mine[name] {
            return Some(format!(
                "{name} differs:\n--- django\n{}\n--- ours\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&mine[name])
            ));
        }
    }
    None
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")))
        .unwrap_or(default)
}

/// With Django 6.1's rules, a CSS rule as generated, or sometimes the same
/// rule inside a comment or a string, where Django 6.1 leaves it alone, or
/// with mismatched `url()` quotes, which it refuses.
fn hide(g: &mut Gen, rule: String, at: usize) -> String {
    let line = rule.trim_end();
    match g.below(20) {
        0 => format!("/* {line} */\n"),
        1 => format!("/*\n  {line}\n*/\n"),
        2 => format!(".s{at}::after {{ content: \"{}\"; }}\n", line.replace('"', "'")),
        3 => format!(".s{at}::after {{ content: '{}'; }}\n", line.replace('\'', "\"")),
        4 => format!(".c{at} {{ color: red; }} /* {line} */ .d{at} {{ color: blue; }}\n"),
        // Mismatched quotes: rare, as they stop the whole tree.
        5 if rule.contains("url(\"") && g.chance(30) => rule.replacen("\")", "')", 1),
        6 if rule.contains("url('") && g.chance(30) => rule.replacen("')", "\")", 1),
        _ => rule,
    }
}

/// With Django 6.1's rules, lines only it reads differently from 5.2:
/// references to missing files in comments and strings, a Tailwind escape,
/// a `data:` URL holding `url()`, a source-map line inside a comment.
fn newer_forms(g: &mut Gen, is_css: bool, at: usize) -> String {
    if !g.chance(40) {
        return String::new();
    }
    if !is_css {
        return match g.below(3) {
            0 => "/*\n//# sourceMappingURL=gone.js.map\n*/\n".to_owned(),
            1 => format!("var s{at} = \"//# sourceMappingURL=gone.js.map\";\n"),
            _ => format!("// url(gone{at}.png) and /* open\nvar t{at} = `url(\"x\")`;\n"),
        };
    }
    match g.below(5) {
        0 => format!("/* .old{at} {{ background: url(img/gone.png); }} */\n"),
        1 => format!(".s{at}::after {{ content: \"url(gone.png)\"; }}\n"),
        2 => format!(".tw\\:bg-\\[url\\(\\'gone{at}.png\\'\\)\\] {{ color: red; }}\n"),
        3 => format!(".n{at} {{ background: url(\"data:image/svg+xml,url(%23b) url(%23c)\"); }}\n"),
        _ => format!("/* @import url(\"gone{at}.css\"); */\n"),
    }
}

#[test]
#[ignore = "needs a Python with Django 5.2 (or 6.1) in ASSET_DJANGO_PYTHON; run by .ci/run"]
fn generated_trees_build_as_django_builds_them() {
    let python = PathBuf::from(
        std::env::var("ASSET_DJANGO_PYTHON")
            .expect("set ASSET_DJANGO_PYTHON to the python of a virtualenv with Django 5.2 (see this file's docs)"),
    );
    let (rules, django) = match std::env::var("ASSET_DJANGO_RULES").as_deref() {
        Ok("6.1") => (Rules::Django61, "6.1"),
        Ok("5.2") | Err(_) => (Rules::Django52, "5.2"),
        Ok(other) => panic!("ASSET_DJANGO_RULES is 5.2 or 6.1, not {other}"),
    };
    let count = env_number("ASSET_DJANGO_TREES", 300);
    let first = env_number("ASSET_DJANGO_SEED", 1);
    let work = tempfile::tempdir().unwrap();
    let seeds: Vec<u64> = (first..first + count).collect();
    let mut jobs = Vec::new();
    let mut ours = Vec::new();
    for &seed in &seeds {
        let dir = work.path().join(seed.to_string());
        let src = dir.join("src");
        for (name, bytes) in tree(seed, rules) {
            let path = src.join(&name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let result = asset_build::Config::new()
            .source(&src)
            .dependency_assets(false)
            .package_dir(&dir)
            .out_dir(dir.join("out"))
            .output_dir(dir.join("ours"))
            .compression_cache(None)
            .precompress(false)
            .hard_links(false)
            .rules(rules)
            .cargo_directives(false)
            .build();
        ours.push(result.map(drop).map_err(|e| e.to_string()));
        jobs.push(serde_json::json!({
            "src": src.to_str().unwrap(),
            "root": dir.join("django").to_str().unwrap(),
        }));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/django_differential.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .env("ASSET_DJANGO_VERSION", django)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    serde_json::to_writer(child.stdin.take().unwrap(), &jobs).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "django_differential.py failed");
    let theirs: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(theirs.len(), seeds.len());

    let mut differences = Vec::new();
    let (mut built, mut failed) = (0, 0);
    for ((seed, mine), theirs) in seeds.iter().zip(&ours).zip(&theirs) {
        let dir = work.path().join(seed.to_string());
        let difference = match (mine, theirs["ok"].as_bool().unwrap()) {
            (Ok(()), true) => {
                built += 1;
                compare(&dir.join("django"), &dir.join("ours"))
            }
            (Err(_), false) => {
                failed += 1;
                None
            }
            (Ok(()), false) => Some(format!("Django failed ({}), we built it", theirs["error"])),
            (Err(e), true) => Some(format!("we failed ({e}), Django built it")),
        };
        if let Some(difference) = difference {
            let files: Vec<String> = tree(*seed, rules)
                .into_iter()
                .filter(|(n, _)| n.ends_with(".css") || n.ends_with(".js"))
                .map(|(n, b)| format!("--- {n}\n{}", String::from_utf8_lossy(&b)))
                .collect();
            differences.push(format!("tree {seed}: {difference}\n{}", files.join("\n")));
        }
    }
    println!(
        "Django {django}: {} trees: {built} built alike, {failed} refused by both, {} differences",
        seeds.len(),
        differences.len()
    );
    assert!(
        differences.is_empty(),
        "{} of {} trees differ from Django's output:\n\n{}",
        differences.len(),
        seeds.len(),
        differences.iter().take(5).cloned().collect::<Vec<_>>().join("\n\n")
    );
}
