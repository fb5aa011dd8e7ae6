//! What an asset edit costs in the edit → `cargo build` loop of an app, next
//! to what a Rust edit costs, for asset trees of 1,000, 10,000 and 50,000
//! files, in the debug and release profiles.
//!
//! For each size, a deterministic tree (40% CSS referring to images and
//! fonts by relative `url(...)`, 20% JS, 30% PNG-named and 10% WOFF2-named
//! binary files, a few hundred bytes to a few KB each, at most 500 files a
//! folder) and a small axum app whose `build.rs` runs asset-build over it
//! are written to `target/edit-loop-bench/app-<size>/`, and built with
//! `CARGO_TARGET_DIR=target/edit-loop-bench/<size>` (so axum, tokio and the
//! rest compile once and survive between runs). After a first, untimed
//! build of each, the sizes take turns round after round (so that a
//! machine whose speed drifts during the run weighs on all of them alike);
//! each round edits one CSS file and times `cargo build`, then edits
//! `src/page.rs` and times `cargo build`; the median of the rounds'
//! differences (each CSS-edit rebuild minus the `.rs`-edit rebuild right
//! after it) is what the build script (and compiling its output) adds to an
//! asset edit. Also printed: the size of the generated `assets.rs`, of the
//! table it includes, and of the binary. The app optimizes its build
//! scripts (`[profile.*.build-override] opt-level = 3`), as the README
//! recommends; cargo's default, opt-level 0, makes asset-build itself
//! several times slower (see `BENCHMARKS.md` for both).
//!
//! Run with `cargo bench -p end-to-end-tests --bench edit_loop`. Settings:
//!
//! - `EDIT_LOOP_SIZES=1000,10000` (default `1000,10000,50000`): tree sizes;
//! - `EDIT_LOOP_PROFILES=debug` (default `debug,release`);
//! - `EDIT_LOOP_ROUNDS=5` (default 3): edits of each kind per size and
//!   profile.
//!
//! The first run of each size compiles the app's dependencies and takes
//! minutes; progress goes to stderr, the results table to stdout.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

/// Package name of the generated app.
const APP: &str = "edit-loop-app";
/// Bump when the generated tree changes shape, so stale files are removed.
const TREE_VERSION: &str = "1";
/// Files per generated folder, at most.
const PER_FOLDER: usize = 500;
/// What `src/page.rs` returns before any edit.
const ORIGINAL_GREETING: &str = "Hello from the edit-loop app";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A number in `lo..hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo)
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Debug,
    Release,
}

impl Profile {
    fn parse(s: &str) -> Profile {
        match s {
            "debug" | "dev" => Profile::Debug,
            "release" => Profile::Release,
            other => panic!("EDIT_LOOP_PROFILES: unknown profile {other:?} (expected debug or release)"),
        }
    }
    /// Name of the profile's folder under the target directory.
    fn name(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
    /// The issue's target for (CSS edit − .rs edit) at 10,000 assets, in seconds.
    fn target_difference(self) -> f64 {
        match self {
            Profile::Debug => 0.5,
            Profile::Release => 1.0,
        }
    }
}

/// The generated tree: what the app names and what the benchmark edits.
struct Tree {
    /// Logical name of the stylesheet the app looks up with `static_url`.
    linked_css: String,
    /// Logical name of the script the app names with `asset!`.
    linked_js: String,
    /// Logical name of the stylesheet the benchmark edits.
    edited_css: String,
    /// Its content as generated.
    edited_css_text: String,
    files: usize,
    bytes: u64,
}

/// One line of the results.
struct Row {
    profile: Profile,
    size: usize,
    rust_bytes: u64,
    table_bytes: u64,
    first: Duration,
    css_edit: Duration,
    rs_edit: Duration,
    /// The median of the rounds' differences: CSS-edit rebuild minus the
    /// `.rs`-edit rebuild of the same round, in seconds (may be negative).
    difference: f64,
    binary_bytes: u64,
}

impl Row {
    fn difference(&self) -> f64 {
        self.difference
    }
}

/// The result of one `cargo build`.
struct Build {
    time: Duration,
    /// Whether cargo ran the app's build script.
    reran: bool,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .to_owned()
}

/// A comma-separated list from the environment, or `default`.
fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Writes `bytes` unless the file already holds them, so that its
/// modification time (which cargo watches) only moves when the content does.
fn put(path: &Path, bytes: &[u8]) {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return;
    }
    let parent = path.parent().expect("a file path has a parent");
    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .len()
}

/// Logical name of the `i`th file of a kind: `css/d003/c1517.css`.
fn asset_name(kind: &str, letter: char, ext: &str, i: usize) -> String {
    format!("{kind}/d{:03}/{letter}{i}.{ext}", i / PER_FOLDER)
}

/// Writes (or brings up to date) the asset tree of `files` files in
/// `app/assets`. The same `files` always gives the same tree.
fn generate_tree(app: &Path, files: usize) -> Tree {
    assert!(files >= 10, "EDIT_LOOP_SIZES: each size must be at least 10 files");
    let assets = app.join("assets");
    let stamp_path = app.join("tree-version");
    let stamp = format!("{TREE_VERSION} {files}\n");
    if std::fs::read_to_string(&stamp_path).ok().as_deref() != Some(stamp.as_str()) && assets.exists() {
        std::fs::remove_dir_all(&assets).unwrap_or_else(|e| panic!("cannot remove {}: {e}", assets.display()));
    }

    let css = files * 4 / 10;
    let js = files * 2 / 10;
    let images = files * 3 / 10;
    let fonts = files - css - js - images;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ files as u64);
    let mut bytes = 0u64;
    let mut write = |name: &str, content: &[u8]| {
        put(&assets.join(name), content);
        bytes += content.len() as u64;
    };

    for i in 0..images {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let len = rng.range(200, 4_000);
        png.extend_from_slice(&rng.bytes(len));
        write(&asset_name("img", 'i', "png", i), &png);
    }
    for i in 0..fonts {
        let mut woff2 = b"wOF2".to_vec();
        let len = rng.range(500, 4_000);
        woff2.extend_from_slice(&rng.bytes(len));
        write(&asset_name("fonts", 'f', "woff2", i), &woff2);
    }

    // A stylesheet lives two folders down (`css/d000/`), so `../../` is the
    // root of the tree. Every stylesheet refers to at least one image.
    let edited = css / 2;
    let mut edited_css_text = String::new();
    for i in 0..css {
        let target_len = rng.range(300, 3_000);
        let mut text = format!("/* c{i}: generated by the edit_loop benchmark */\n");
        let mut n = 0;
        while n == 0 || text.len() < target_len {
            let kind = if n == 0 { 0 } else { rng.below(4) };
            match kind {
                0 => {
                    let img = rng.below(images);
                    text.push_str(&format!(
                        ".c{i}-{n} {{ background: url(../../{}) no-repeat {}px {}px; }}\n",
                        asset_name("img", 'i', "png", img),
                        rng.below(64),
                        rng.below(64)
                    ));
                }
                1 => {
                    let font = rng.below(fonts);
                    text.push_str(&format!(
                        "@font-face {{ font-family: f{i}-{n}; src: url(\"../../{}\") format(\"woff2\"); }}\n",
                        asset_name("fonts", 'f', "woff2", font)
                    ));
                }
                _ => {
                    text.push_str(&format!(
                        ".c{i}-{n} {{ margin: {}px {}px; padding: 0.{}rem; color: #{:06x}; }}\n",
                        rng.below(40),
                        rng.below(40),
                        rng.below(10),
                        rng.below(0x100_0000)
                    ));
                }
            }
            n += 1;
        }
        if i == edited {
            edited_css_text = text.clone();
        }
        write(&asset_name("css", 'c', "css", i), text.as_bytes());
    }

    for i in 0..js {
        let target_len = rng.range(300, 3_000);
        let mut text = format!("// j{i}: generated by the edit_loop benchmark\n");
        let mut n = 0;
        while text.len() < target_len {
            text.push_str(&format!(
                "export function j{i}_{n}(x) {{ return x * {} + {}; }}\n",
                rng.below(1_000),
                rng.below(1_000)
            ));
            n += 1;
        }
        write(&asset_name("js", 'j', "js", i), text.as_bytes());
    }

    put(&stamp_path, stamp.as_bytes());
    Tree {
        linked_css: asset_name("css", 'c', "css", 0),
        linked_js: asset_name("js", 'j', "js", 0),
        edited_css: asset_name("css", 'c', "css", edited),
        edited_css_text,
        files: css + js + images + fonts,
        bytes,
    }
}

/// The line `name = ...` of the workspace's `[workspace.dependencies]`, so
/// the app uses the same versions and features.
fn workspace_dependency(name: &str) -> String {
    let manifest = workspace().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("the workspace Cargo.toml is readable");
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[workspace.dependencies]";
        } else if in_section
            && let Some(rest) = line.strip_prefix(name)
            && rest.trim_start().starts_with('=')
        {
            return line.to_owned();
        }
    }
    panic!(
        "no `{name} = ...` in [workspace.dependencies] of {}",
        manifest.display()
    )
}

/// `src/page.rs`, returning `greeting`.
fn page_rs(greeting: &str) -> String {
    format!(
        "//! The page's text; the `edit_loop` benchmark edits the string below.\n\n\
         /// What the page says.\n\
         pub fn greeting() -> &'static str {{\n    {greeting:?}\n}}\n"
    )
}

/// Writes the app crate next to its assets, and the workspace's lockfile
/// (cargo then only adds the app itself, without the network).
fn write_app(app: &Path, tree: &Tree) {
    let ws = workspace();
    let manifest = format!(
        r#"[package]
name = "{APP}"
version = "0.1.0"
edition = "2024"
publish = false

# Its own workspace, not a member of the asset pipeline's.
[workspace]

[dependencies]
asset-runtime = {{ path = {runtime:?}, features = ["serve"] }}
{axum}
{tokio}

[build-dependencies]
asset-build = {{ path = {build:?} }}

# As the README recommends: cargo builds build scripts (and so asset-build)
# without optimization by default, which makes every asset rebuild slow.
[profile.dev.build-override]
opt-level = 3

[profile.release.build-override]
opt-level = 3
"#,
        runtime = ws.join("asset-runtime").display().to_string(),
        build = ws.join("asset-build").display().to_string(),
        axum = workspace_dependency("axum"),
        tokio = workspace_dependency("tokio"),
    );
    put(&app.join("Cargo.toml"), manifest.as_bytes());
    put(
        &app.join("build.rs"),
        b"fn main() {\n    asset_build::Config::new().source(\"assets\").dependency_assets(false).build().unwrap_or_else(asset_build::fail);\n}\n",
    );
    let main_rs = format!(
        r#"asset_runtime::include_assets!();

mod page;

use axum::response::Html;
use axum::routing::get;

async fn index() -> Html<String> {{
    let css = static_url({css:?}).expect("the stylesheet is an asset");
    let js = asset!({js:?});
    Html(format!(
        "<!doctype html><link rel=\"stylesheet\" href=\"{{css}}\"><script src=\"{{js}}\"></script><p>{{}}</p>",
        page::greeting()
    ))
}}

#[tokio::main]
async fn main() {{
    let app = axum::Router::new()
        .route("/", get(index))
        .nest_service("/static", asset_runtime::serve::ServeAssets::new(&ASSETS));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{{}}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}}
"#,
        css = tree.linked_css,
        js = tree.linked_js,
    );
    put(&app.join("src/main.rs"), main_rs.as_bytes());
    put(&app.join("src/page.rs"), page_rs(ORIGINAL_GREETING).as_bytes());
    std::fs::copy(ws.join("Cargo.lock"), app.join("Cargo.lock")).expect("copying the workspace's Cargo.lock");
}

/// Runs `cargo build` (verbose, to see whether the build script ran) of the
/// app, and times it.
fn build(app: &Path, target: &Path, profile: Profile) -> Build {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "-v"]);
    if profile == Profile::Release {
        command.arg("--release");
    }
    command
        .current_dir(app)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never");
    let start = Instant::now();
    let output = command.output().expect("cargo can be started (set CARGO to its path)");
    let time = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "`cargo build` ({}) of {} failed:\n{stderr}",
        profile.name(),
        app.display()
    );
    let script = format!("{APP}-");
    let reran = stderr
        .lines()
        .any(|l| l.contains("Running") && l.contains("build-script-build") && l.contains(&script));
    Build { time, reran }
}

/// The app's `$OUT_DIR`: the newest `<target>/<profile>/build/<app>-*/out`
/// that holds `assets.rs`.
fn find_out_dir(target: &Path, profile: Profile) -> PathBuf {
    let build = target.join(profile.name()).join("build");
    let prefix = format!("{APP}-");
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    let entries = std::fs::read_dir(&build).unwrap_or_else(|e| panic!("cannot list {}: {e}", build.display()));
    for entry in entries {
        let entry = entry.expect("listing the build folder");
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let out = entry.path().join("out");
        let Ok(rust) = std::fs::metadata(out.join("assets.rs")) else {
            continue;
        };
        let mut mtime = rust.modified().expect("file times are supported");
        if let Ok(table) = std::fs::metadata(out.join("assets.rs.table")) {
            mtime = mtime.max(table.modified().expect("file times are supported"));
        }
        if newest.as_ref().is_none_or(|(t, _)| mtime > *t) {
            newest = Some((mtime, out));
        }
    }
    newest
        .unwrap_or_else(|| panic!("no {}*/out/assets.rs under {}", prefix, build.display()))
        .1
}

fn median(mut times: Vec<Duration>) -> Duration {
    assert!(!times.is_empty(), "median of no times");
    times.sort();
    let mid = times.len() / 2;
    if times.len() % 2 == 1 {
        times[mid]
    } else {
        (times[mid - 1] + times[mid]) / 2
    }
}

/// One app in one profile, measured round after round.
struct Measured<'a> {
    app: &'a Path,
    target: &'a Path,
    tree: &'a Tree,
    profile: Profile,
    label: String,
    first: Duration,
    css_times: Vec<Duration>,
    rs_times: Vec<Duration>,
    /// Per round, the CSS-edit rebuild minus the `.rs`-edit rebuild right
    /// after it, in seconds.
    differences: Vec<f64>,
}

impl<'a> Measured<'a> {
    /// Undoes the edits of an earlier profile or run, and builds once
    /// (untimed).
    fn start(app: &'a Path, target: &'a Path, tree: &'a Tree, profile: Profile) -> Self {
        let label = format!("[{} {}]", profile.name(), thousands(tree.files as u64));
        put(
            &app.join("assets").join(&tree.edited_css),
            tree.edited_css_text.as_bytes(),
        );
        put(&app.join("src/page.rs"), page_rs(ORIGINAL_GREETING).as_bytes());
        eprintln!("{label} first build (untimed; compiles the dependencies on the first run)");
        let first = build(app, target, profile).time;
        eprintln!("{label} first build: {:.1} s", first.as_secs_f64());
        Measured {
            app,
            target,
            tree,
            profile,
            label,
            first,
            css_times: Vec::new(),
            rs_times: Vec::new(),
            differences: Vec::new(),
        }
    }

    /// One round: edit the CSS file and build, then edit `src/page.rs` and
    /// build.
    fn round(&mut self, round: usize, rounds: usize) {
        let (label, tree, profile) = (&self.label, self.tree, self.profile);
        let css = format!(
            "{}.edit-loop-{}-{round} {{ margin: {}px; }}\n",
            tree.edited_css_text,
            profile.name(),
            round * 7
        );
        put(&self.app.join("assets").join(&tree.edited_css), css.as_bytes());
        let after_css = build(self.app, self.target, profile);
        assert!(
            after_css.reran,
            "{label} editing {} did not rerun the build script",
            tree.edited_css
        );

        put(
            &self.app.join("src/page.rs"),
            page_rs(&format!("Edited in {} round {round}", profile.name())).as_bytes(),
        );
        let after_rs = build(self.app, self.target, profile);
        assert!(!after_rs.reran, "{label} editing src/page.rs reran the build script");

        eprintln!(
            "{label} round {round}/{rounds}: CSS edit {:.2} s, .rs edit {:.2} s",
            after_css.time.as_secs_f64(),
            after_rs.time.as_secs_f64()
        );
        self.css_times.push(after_css.time);
        self.rs_times.push(after_rs.time);
        self.differences
            .push(after_css.time.as_secs_f64() - after_rs.time.as_secs_f64());
    }

    fn row(self) -> Row {
        let out = find_out_dir(self.target, self.profile);
        let binary = self
            .target
            .join(self.profile.name())
            .join(format!("{APP}{}", std::env::consts::EXE_SUFFIX));
        let mut differences = self.differences;
        differences.sort_by(f64::total_cmp);
        let mid = differences.len() / 2;
        let difference = if differences.len() % 2 == 1 {
            differences[mid]
        } else {
            (differences[mid - 1] + differences[mid]) / 2.0
        };
        Row {
            profile: self.profile,
            size: self.tree.files,
            rust_bytes: file_len(&out.join("assets.rs")),
            table_bytes: file_len(&out.join("assets.rs.table")),
            first: self.first,
            css_edit: median(self.css_times),
            rs_edit: median(self.rs_times),
            difference,
            binary_bytes: file_len(&binary),
        }
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in B, KB or MB (1 KB = 1,024 bytes).
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 10 * 1024 {
        format!("{} B", thousands(bytes))
    } else if bytes < 10 * 1024 * 1024 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

/// The issue's targets that apply to a row, and whether they are met.
fn targets(row: &Row) -> String {
    let mut notes = Vec::new();
    if row.size == 10_000 {
        let limit = row.profile.target_difference();
        let met = if row.difference() <= limit { "met" } else { "missed" };
        notes.push(format!("difference ≤ {limit} s: {met}"));
    }
    if row.size == 50_000 {
        let met = if row.rust_bytes <= 64 * 1024 { "met" } else { "missed" };
        notes.push(format!("Rust ≤ 64 KB: {met}"));
    }
    notes.join("; ")
}

fn print_results(rows: &[Row], profiles: &[Profile], rounds: usize) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!();
    println!(
        "nproc: {cores}; times are wall-clock `cargo build` medians of {rounds} rounds (lower is better); \
         the difference is the median of each round's CSS edit minus its .rs edit"
    );
    println!(
        "issue targets (reference, not asserted): CSS edit − .rs edit ≤ 0.5 s (debug) and ≤ 1 s (release) at 10,000 assets; generated Rust ≤ 64 KB at 50,000 assets"
    );
    println!();
    println!(
        "| profile | assets | generated Rust | table | first build | CSS edit | .rs edit | difference | binary | issue target |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for &profile in profiles {
        for row in rows.iter().filter(|r| r.profile == profile) {
            println!(
                "| {} | {} | {} | {} | {:.1} s | {:.2} s | {:.2} s | {:+.2} s | {} | {} |",
                profile.name(),
                thousands(row.size as u64),
                human(row.rust_bytes),
                human(row.table_bytes),
                row.first.as_secs_f64(),
                row.css_edit.as_secs_f64(),
                row.rs_edit.as_secs_f64(),
                row.difference(),
                human(row.binary_bytes),
                targets(row)
            );
        }
    }
    println!();
    for &profile in profiles {
        let mut of_profile: Vec<&Row> = rows.iter().filter(|r| r.profile == profile).collect();
        of_profile.sort_by_key(|r| r.size);
        // From each size to the next: how the difference grows against the
        // assets.
        for pair in of_profile.windows(2) {
            let (small, large) = (pair[0], pair[1]);
            let assets = large.size as f64 / small.size as f64;
            let growth = if small.difference() > 0.0 {
                format!("×{:.1}", large.difference() / small.difference())
            } else {
                "not a ratio (≤ 0 at the smaller size)".to_owned()
            };
            println!(
                "{}: difference {growth} for {assets:.0}× the assets ({:+.2} s at {} → {:+.2} s at {})",
                profile.name(),
                small.difference(),
                thousands(small.size as u64),
                large.difference(),
                thousands(large.size as u64)
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        println!("edit_loop: benchmark");
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches` runs this without `--bench`: the real
        // builds take minutes, so only `cargo bench` runs them.
        println!("edit_loop: skipped; run it with `cargo bench -p end-to-end-tests --bench edit_loop`");
        return;
    }

    let mut sizes: Vec<usize> = env_list("EDIT_LOOP_SIZES", "1000,10000,50000")
        .iter()
        .map(|s| {
            s.replace('_', "")
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("EDIT_LOOP_SIZES: {s:?} is not a number of files (like 1000,10000)"))
        })
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut profiles: Vec<Profile> = Vec::new();
    for name in env_list("EDIT_LOOP_PROFILES", "debug,release") {
        let profile = Profile::parse(&name);
        if !profiles.contains(&profile) {
            profiles.push(profile);
        }
    }
    let rounds: usize = std::env::var("EDIT_LOOP_ROUNDS")
        .ok()
        .map(|s| {
            s.trim()
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("EDIT_LOOP_ROUNDS: {s:?} is not a number"))
        })
        .unwrap_or(3)
        .max(1);
    assert!(!sizes.is_empty(), "EDIT_LOOP_SIZES is empty");
    assert!(!profiles.is_empty(), "EDIT_LOOP_PROFILES is empty");

    let root = workspace().join("target/edit-loop-bench");
    let mut apps = Vec::new();
    for &size in &sizes {
        let app = root.join(format!("app-{size}"));
        let target = root.join(size.to_string());
        eprintln!(
            "[{}] writing the asset tree and app in {}",
            thousands(size as u64),
            app.display()
        );
        let start = Instant::now();
        let tree = generate_tree(&app, size);
        write_app(&app, &tree);
        eprintln!(
            "[{}] {} files, {} ({:.1} s)",
            thousands(size as u64),
            thousands(tree.files as u64),
            human(tree.bytes),
            start.elapsed().as_secs_f64()
        );
        apps.push((app, target, tree));
    }
    let mut rows = Vec::new();
    for &profile in &profiles {
        let mut measured: Vec<Measured<'_>> = apps
            .iter()
            .map(|(app, target, tree)| Measured::start(app, target, tree, profile))
            .collect();
        // The sizes take turns, round after round: a machine that slows
        // down or speeds up during the run weighs on all of them alike.
        for round in 1..=rounds {
            for m in &mut measured {
                m.round(round, rounds);
            }
        }
        rows.extend(measured.into_iter().map(Measured::row));
    }
    rows.sort_by_key(|row| (profiles.iter().position(|p| *p == row.profile), row.size));
    print_results(&rows, &profiles, rounds);
}
