//! Benchmark of the build pipeline over a generated tree of about 10,000
//! files / 150 MB (CSS with references, JS with source maps, binary images
//! and fonts), with everything in the same run and on the same filesystem:
//!
//! - floor: single-thread MD5 of every byte + one plain copy of the tree
//!   (file creation is part of any build that writes the tree);
//! - cold: a first build (no cache, no output folder);
//! - rerun: a build after one file changed, and after nothing changed;
//! - precompression (off in the runs above), timed in a cold build of its own;
//! - a clean build (new `OUT_DIR` and output folder, as in CI) with
//!   precompression and a warm shared compression cache, against the same
//!   clean build without precompression;
//! - zstd siblings (`Config::zstd`) added to that warm cache: the time to
//!   compress the same contents with zstd, beside Brotli's and gzip's.
//!
//! Run with `cargo bench -p asset-build --bench pipeline`. Set
//! `ASSET_BENCH_FILES` / `ASSET_BENCH_MB` for another size,
//! `ASSET_BENCH_SOURCE` to build a copy of an existing tree instead (such as
//! the real-world tree `scripts/real-world-tree.sh` assembles), and
//! `ASSET_BENCH_DIR` for another scratch folder (default: under `target/`),
//! `ASSET_BENCH_NO_COMPRESSION=1` to stop after the uncompressed runs,
//! `ASSET_BENCH_RELEASE_RERUN=1` to also time a rerun with precompression
//! on (as in a release build) after one CSS file is edited, and
//! `ASSET_BENCH_PYTHON` to the Python of a virtualenv with `Django==5.2.*`
//! and `whitenoise[brotli]` to also time Django's and WhiteNoise's
//! `collectstatic` over the same tree, and `ASSET_BENCH_PEER_ROUNDS=N` to
//! compare precompression with WhiteNoise's in N rounds, each running both
//! side by side, and print the median ratio.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

const REPEATS: usize = 5;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
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

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Writes the tree; returns (files, bytes).
fn generate(root: &Path, files: usize, total_mb: usize) -> (usize, u64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let css = files * 15 / 100;
    let js = files * 10 / 100;
    let fonts = files * 15 / 100;
    let images = files - css - js * 2 - fonts;
    let text_bytes = (css * 2_500 + js * 2 * 3_000) as u64;
    let binary_avg = ((total_mb as u64 * 1_000_000).saturating_sub(text_bytes) / (images + fonts) as u64) as usize;
    let dir_of = |i: usize| format!("d{:02}/s{:02}", i % 20, (i / 20) % 10);
    let mut written = 0u64;
    let mut put = |rel: String, bytes: &[u8]| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        written += bytes.len() as u64;
    };
    for i in 0..images {
        let len = binary_avg / 2 + rng.below(binary_avg as u64) as usize;
        put(format!("img/{}/i{i}.png", dir_of(i)), &rng.bytes(len));
    }
    for i in 0..fonts {
        let len = binary_avg / 2 + rng.below(binary_avg as u64) as usize;
        put(format!("fonts/{}/f{i}.woff2", dir_of(i)), &rng.bytes(len));
    }
    for i in 0..css {
        let mut text = String::new();
        if i % 10 != 0 {
            // A chain of @imports, ten deep.
            text.push_str(&format!("@import \"../../../css/{}/c{}.css\";\n", dir_of(i - 1), i - 1));
        }
        while text.len() < 2_500 {
            let img = rng.below(images as u64) as usize;
            let font = rng.below(fonts as u64) as usize;
            text.push_str(&format!(
                ".c{i}-{n} {{ background: url(../../../img/{}/i{img}.png) no-repeat; }}\n\
                 @font-face {{ font-family: f{n}; src: url(\"../../../fonts/{}/f{font}.woff2\") format(\"woff2\"); }}\n",
                dir_of(img),
                dir_of(font),
                n = text.len()
            ));
        }
        put(format!("css/{}/c{i}.css", dir_of(i)), text.as_bytes());
    }
    for i in 0..js {
        let mut text = String::new();
        while text.len() < 3_000 {
            text.push_str(&format!(
                "export function f{}(x) {{ return x * {} + {}; }}\n",
                text.len(),
                rng.below(1000),
                i
            ));
        }
        text.push_str(&format!("//# sourceMappingURL=j{i}.js.map\n"));
        put(format!("js/{}/j{i}.js", dir_of(i)), text.as_bytes());
        let map = format!(
            "{{\"version\":3,\"file\":\"j{i}.js\",\"mappings\":\"{}\"}}",
            "AAAA;".repeat(590)
        );
        put(format!("js/{}/j{i}.js.map", dir_of(i)), map.as_bytes());
    }
    (images + fonts + css + js * 2, written)
}

/// Copies an existing tree; returns (files, bytes).
fn copy_tree(from: &Path, to: &Path) -> (usize, u64) {
    let files = list(from);
    let mut bytes = 0;
    for path in &files {
        let target = to.join(path.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        bytes += std::fs::copy(path, &target).unwrap();
    }
    (files.len(), bytes)
}

fn list(root: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

/// Single-thread MD5 of every file, read in chunks.
fn md5_floor(files: &[PathBuf]) -> Duration {
    let start = Instant::now();
    let mut buf = vec![0u8; 256 * 1024];
    let mut check = 0u8;
    for path in files {
        let mut file = std::fs::File::open(path).unwrap();
        let mut hasher = Md5::new();
        loop {
            let n = file.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        check ^= hasher.finalize()[0];
    }
    std::hint::black_box(check);
    start.elapsed()
}

/// What any rebuild must do to know what changed: walk the tree and read
/// every file's metadata, on one thread.
fn stat_floor(root: &Path) -> Duration {
    let start = Instant::now();
    let mut total = 0u64;
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            total = total.wrapping_add(entry.metadata().unwrap().len());
        }
    }
    std::hint::black_box(total);
    start.elapsed()
}

/// One plain, single-thread copy of the tree into a new folder.
fn copy_floor(root: &Path, files: &[PathBuf], dest: &Path) -> Duration {
    let start = Instant::now();
    for path in files {
        let target = dest.join(path.strip_prefix(root).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(path, &target).unwrap();
    }
    start.elapsed()
}

fn config(source: &Path, work: &Path) -> asset_build::Config {
    let mut config = asset_build::Config::new();
    config
        .source(source)
        .dependency_assets(false)
        .package_dir(work)
        .out_dir(work.join("out"))
        .output_dir(work.join("static"))
        .compression_cache(None)
        .cargo_directives(false);
    config
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// A rerun as a release build makes it: precompression on (so the stages
/// run after every edit), a warm compression cache, one CSS file edited
/// each round. Median of [`REPEATS`] rounds.
fn release_rerun(source: &Path, scratch: &Path, files: &[PathBuf]) {
    let work = scratch.join("release");
    let cache = scratch.join("release-cache");
    let release = || {
        let mut config = config(source, &work);
        config.precompress(true).compression_cache(Some(cache.clone()));
        config.build().unwrap()
    };
    release();
    let css = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "css"))
        .unwrap();
    let mut times = Vec::new();
    for round in 0..REPEATS {
        let mut file = std::fs::OpenOptions::new().append(true).open(css).unwrap();
        std::io::Write::write_all(&mut file, format!("\n/* {round} */").as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        let out = release();
        times.push(start.elapsed());
        assert!(out.files_hashed >= 1);
    }
    println!(
        "  rerun with precompression (a release build), one CSS file edited: {}",
        ms(median(times))
    );
    std::fs::remove_dir_all(&work).unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("pipeline: benchmark");
        return;
    }
    let n_files = env_usize("ASSET_BENCH_FILES", 10_000);
    let total_mb = env_usize("ASSET_BENCH_MB", 150);
    let scratch = std::env::var_os("ASSET_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-pipeline"));
    let _ = std::fs::remove_dir_all(&scratch);
    let source = scratch.join("src");
    let (count, bytes) = match std::env::var_os("ASSET_BENCH_SOURCE") {
        Some(tree) => copy_tree(Path::new(&tree), &source),
        None => generate(&source, n_files, total_mb),
    };
    let files = list(&source);
    assert_eq!(files.len(), count);
    println!(
        "tree: {count} files, {:.1} MB ({} CSS/JS), in {}",
        bytes as f64 / 1e6,
        files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "css" || e == "js"))
            .count(),
        scratch.display()
    );
    println!("cores: {}", std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Warm the page cache so every measurement reads from memory alike.
    md5_floor(&files);

    let mut md5_times = Vec::new();
    let mut copy_times = Vec::new();
    let mut cold_times = Vec::new();
    let mut one_changed_times = Vec::new();
    let mut unchanged_times = Vec::new();
    let mut ten_changed_times = Vec::new();
    let mut stat_times = Vec::new();
    // Ten files spread over the tree, each given one more byte per round.
    let ten: Vec<PathBuf> = (0..10).map(|i| files[i * files.len() / 10 + 1].clone()).collect();
    let changed = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .unwrap()
        .clone();
    for round in 0..REPEATS {
        md5_times.push(md5_floor(&files));
        stat_times.push(stat_floor(&source));
        let copy_dest = scratch.join("plain-copy");
        copy_times.push(copy_floor(&source, &files, &copy_dest));
        std::fs::remove_dir_all(&copy_dest).unwrap();

        let work = scratch.join(format!("build-{round}"));
        std::fs::create_dir_all(&work).unwrap();
        let start = Instant::now();
        let out = config(&source, &work).build().unwrap();
        cold_times.push(start.elapsed());
        assert_eq!(out.assets, count);
        assert_eq!(out.files_hashed, count);

        std::thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        let out = config(&source, &work).build().unwrap();
        unchanged_times.push(start.elapsed());
        assert_eq!((out.files_hashed, out.write.written), (0, 0));

        let mut content = std::fs::read(&changed).unwrap();
        content[0] = content[0].wrapping_add(1);
        std::fs::write(&changed, &content).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        let out = config(&source, &work).build().unwrap();
        one_changed_times.push(start.elapsed());
        assert_eq!(out.files_hashed, 1);

        for path in &ten {
            let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            std::io::Write::write_all(&mut file, b"\n").unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        let out = config(&source, &work).build().unwrap();
        ten_changed_times.push(start.elapsed());
        // With the files that refer to them, more than a patch takes: the
        // stages run, and also read the file edited before, which a patch
        // recorded in the ledger but not in the memo.
        let patched_before = usize::from(!matches!(out.rebuild, asset_build::Rebuild::Patched));
        assert_eq!(out.files_hashed, 10 + patched_before, "{:?}", out.rebuild);
        std::fs::remove_dir_all(&work).unwrap();
    }

    let md5 = median(md5_times);
    let copy = median(copy_times);
    let floor = md5 + copy;
    let cold = median(cold_times);
    let one = median(one_changed_times);
    let unchanged = median(unchanged_times);
    let ten_changed = median(ten_changed_times);
    let stat = median(stat_times);
    println!("median of {REPEATS} rounds:");
    println!(
        "  floor: single-thread MD5 {} ({:.0} MB/s) + plain copy {} = {}",
        ms(md5),
        bytes as f64 / 1e6 / md5.as_secs_f64(),
        ms(copy),
        ms(floor)
    );
    println!("  cold pipeline:           {}", ms(cold));
    println!(
        "  cold / floor:            {:.2}x   (target <= 0.65x)",
        cold.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "  rerun floor: walk + metadata of every source, one thread: {}",
        ms(stat)
    );
    for (what, took, target) in [
        ("one file changed", one, ""),
        ("nothing changed", unchanged, "   (target <= 50 ms)"),
        ("10 files changed", ten_changed, "   (target <= 60 ms)"),
    ] {
        println!(
            "  rerun, {what:<16} {}   = {:.2}x the rerun floor, {:.1}% of cold{target}",
            ms(took),
            took.as_secs_f64() / stat.as_secs_f64(),
            100.0 * took.as_secs_f64() / cold.as_secs_f64()
        );
    }
    if std::env::var_os("ASSET_BENCH_RELEASE_RERUN").is_some() {
        release_rerun(&source, &scratch, &files);
    }
    if std::env::var_os("ASSET_BENCH_NO_COMPRESSION").is_some() {
        let _ = std::fs::remove_dir_all(&scratch);
        return;
    }

    // Precompression, measured on its own: a cold build with it on.
    let work = scratch.join("build-precompressed");
    std::fs::create_dir_all(&work).unwrap();
    let start = Instant::now();
    let out = config(&source, &work).precompress(true).build().unwrap();
    let with_compression = start.elapsed();
    let compressed = (out.files_compressed, out.compress_seconds);
    std::fs::remove_dir_all(&work).unwrap();

    // A clean release build with a warm machine-wide cache (as CI with its
    // cache folder restored), against the same clean build uncompressed.
    let shared = scratch.join("shared-cache");
    let clean = |round: &str, precompress: bool| {
        let work = scratch.join(format!("clean-{round}"));
        std::fs::create_dir_all(&work).unwrap();
        let start = Instant::now();
        let out = config(&source, &work)
            .precompress(precompress)
            .compression_cache(Some(shared.clone()))
            .build()
            .unwrap();
        let took = start.elapsed();
        std::fs::remove_dir_all(&work).unwrap();
        (took, out.files_compressed)
    };
    let (_, filled) = clean("fill", true);
    let mut warm_times = Vec::new();
    let mut plain_times = Vec::new();
    for round in 0..REPEATS {
        plain_times.push(clean(&format!("plain-{round}"), false).0);
        let (took, computed) = clean(&format!("warm-{round}"), true);
        assert_eq!(computed, 0, "a warm cache compresses nothing");
        warm_times.push(took);
    }
    let warm = median(warm_times);
    let plain = median(plain_times);
    println!(
        "  cold pipeline with precompression (Brotli 11 + gzip 9): {}, of which compression {:.1} ms for {} contents",
        ms(with_compression),
        compressed.1 * 1e3,
        compressed.0
    );
    println!(
        "  clean build, warm shared compression cache ({filled} contents): {} vs {} uncompressed = {:.2}x   (target <= 2x)",
        ms(warm),
        ms(plain),
        warm.as_secs_f64() / plain.as_secs_f64()
    );

    // zstd over the same contents: a clean build with the warm cache, which
    // holds their Brotli and gzip variants, compresses zstd's only (for the
    // contents Brotli shrank; the others get none).
    let work = scratch.join("clean-zstd");
    std::fs::create_dir_all(&work).unwrap();
    let out = config(&source, &work)
        .precompress(true)
        .zstd(true)
        .compression_cache(Some(shared.clone()))
        .build()
        .unwrap();
    std::fs::remove_dir_all(&work).unwrap();
    println!(
        "  zstd 19 (Config::zstd) added to that cache: {:.1} ms for {} contents = {:.2}x the Brotli 11 + gzip 9 time above",
        out.compress_seconds * 1e3,
        out.files_compressed,
        out.compress_seconds / compressed.1
    );
    if let Some(python) = std::env::var_os("ASSET_BENCH_PYTHON") {
        let rounds = env_usize("ASSET_BENCH_PEER_ROUNDS", 1).max(1);
        peers(
            Path::new(&python),
            &source,
            &scratch,
            cold,
            rounds,
            (with_compression, compressed.1),
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Django 5.2's `collectstatic` (`ManifestStaticFilesStorage`) and
/// WhiteNoise's (`CompressedManifestStaticFilesStorage`: the same, then
/// Brotli 11 and gzip 9 of every compressible file, kept when at least 5%
/// smaller) over the same tree, in one Python process, against this run's
/// cold builds. With `rounds` > 1, each further round builds again with
/// precompression (into a new folder, so everything is compressed again)
/// right before the peers run again, and the verdict is the median of the
/// rounds' ratios: the machine's speed drifts over minutes, and each ratio
/// compares runs made side by side.
fn peers(
    python: &Path,
    source: &Path,
    scratch: &Path,
    cold: Duration,
    rounds: usize,
    first_compressed: (Duration, f64),
) {
    let mut ratios = Vec::new();
    let mut last = None;
    for round in 0..rounds {
        let (cold_compressed, compress_seconds) = if round == 0 {
            first_compressed
        } else {
            let work = scratch.join(format!("build-precompressed-{round}"));
            std::fs::create_dir_all(&work).unwrap();
            let start = Instant::now();
            let out = config(source, &work).precompress(true).build().unwrap();
            let took = start.elapsed();
            std::fs::remove_dir_all(&work).unwrap();
            (took, out.compress_seconds)
        };
        let (django, whitenoise) = collectstatic(python, source, &scratch.join(format!("peers-{round}")));
        let ratio = compress_seconds / (whitenoise - django);
        if rounds > 1 {
            println!(
                "    round {}/{rounds}: compression ours {:.0} ms, WhiteNoise {:.0} ms = {ratio:.2}x",
                round + 1,
                compress_seconds * 1e3,
                (whitenoise - django) * 1e3
            );
        }
        ratios.push(ratio);
        last = Some((django, whitenoise, cold_compressed, compress_seconds));
    }
    let (django, whitenoise, cold_compressed, compress_seconds) = last.expect("at least one round");
    println!("  peers (ASSET_BENCH_PYTHON), same tree, same run:");
    println!(
        "    Django 5.2 collectstatic: {:.0} ms; our cold build {} = {:.2}x Django's time",
        django * 1e3,
        ms(cold),
        cold.as_secs_f64() / django
    );
    println!(
        "    WhiteNoise collectstatic with compression: {:.0} ms; our cold build with precompression {} = {:.2}x",
        whitenoise * 1e3,
        ms(cold_compressed),
        cold_compressed.as_secs_f64() / whitenoise
    );
    println!(
        "    compression alone: WhiteNoise {:.0} ms (its run minus Django's), ours {:.0} ms = {:.2}x",
        (whitenoise - django) * 1e3,
        compress_seconds * 1e3,
        compress_seconds / (whitenoise - django)
    );
    ratios.sort_by(f64::total_cmp);
    println!(
        "    compression alone, median of {rounds} round(s): {:.2}x   (target <= 0.5x)",
        ratios[ratios.len() / 2]
    );
}

/// Runs Django's and WhiteNoise's `collectstatic` over `source` into
/// folders under `root`; returns their times in seconds.
fn collectstatic(python: &Path, source: &Path, root: &Path) -> (f64, f64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/django_differential.py");
    let jobs = serde_json::json!([
        {"src": source, "root": root.join("django")},
        {"src": source, "root": root.join("whitenoise"),
         "storage": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    ]);
    let mut child = std::process::Command::new(python)
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ASSET_BENCH_PYTHON runs");
    serde_json::to_writer(child.stdin.take().unwrap(), &jobs).unwrap();
    let output = child.wait_with_output().unwrap();
    let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("a JSON result per job");
    let seconds = |i: usize| match results[i]["seconds"].as_f64() {
        Some(s) => s,
        None => panic!("collectstatic failed: {}", results[i]["error"]),
    };
    let _ = std::fs::remove_dir_all(root);
    (seconds(0), seconds(1))
}
