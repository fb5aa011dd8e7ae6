//! `static_url` over a table of thousands of names, looked up in shuffled
//! order, against a `HashMap<&str, String>` of the same names and URLs in
//! the same process; and the heap allocations per lookup (target: none, and
//! no slower than the `HashMap`).
//!
//! The generated `static_url` is `ASSETS.url(name)`: this bench builds a
//! tree with asset-build, reads the table it wrote and calls the same
//! `Assets::url`.
//!
//! Run with `cargo bench -p asset-build --bench lookup`. Set
//! `ASSET_BENCH_SOURCE` to a folder to build (such as the real-world tree
//! `scripts/real-world-tree.sh` assembles) instead of generated names, and
//! `ASSET_BENCH_NAMES` for another number of generated names (5,563 by
//! default, the size of that tree).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};

/// Counts heap allocations, to show the lookup makes none.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Writes `count` files whose names look like a real tree's: vendor
/// packages, nested folders, icon sets, translations.
fn generate(root: &Path, count: usize) {
    const PACKAGES: [&str; 6] = ["admin", "bootstrap-icons", "fontawesome", "jquery-ui", "select2", "app"];
    const FOLDERS: [&str; 7] = ["css", "js", "img", "icons", "webfonts", "js/vendor/i18n", "svgs/solid"];
    const WORDS: [&str; 12] = [
        "arrow", "calendar", "chevron", "widget", "theme", "circle", "user", "upload", "left", "fill", "base", "min",
    ];
    const EXTENSIONS: [&str; 6] = ["css", "js", "svg", "png", "woff2", "js.map"];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for i in 0..count {
        let words: Vec<&str> = (0..1 + rng.below(3)).map(|_| WORDS[rng.below(WORDS.len())]).collect();
        let name = format!(
            "{}/{}/{}-{i}.{}",
            PACKAGES[rng.below(PACKAGES.len())],
            FOLDERS[rng.below(FOLDERS.len())],
            words.join("-"),
            EXTENSIONS[rng.below(EXTENSIONS.len())]
        );
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // Not CSS/JS text that refers to anything: nothing to rewrite.
        std::fs::write(path, format!("/* {i} */")).unwrap();
    }
}

/// Builds the tree and reads the table as the app would.
fn build() -> &'static asset_runtime::Assets {
    let scratch = tempfile::tempdir().unwrap();
    let source = match std::env::var_os("ASSET_BENCH_SOURCE") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => {
            let count = std::env::var("ASSET_BENCH_NAMES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(5_563);
            let source = scratch.path().join("assets");
            generate(&source, count);
            source
        }
    };
    let output = asset_build::Config::new()
        .source(&source)
        .dependency_assets(false)
        .package_dir(scratch.path())
        .package_name("bench")
        .out_dir(scratch.path().join("out"))
        .output_dir(scratch.path().join("static"))
        .precompress(false)
        .compression_cache(None)
        .lenient_references(true)
        .cargo_directives(false)
        .build()
        .unwrap();
    let table: &'static [u8] = Box::leak(std::fs::read(&output.table_file).unwrap().into_boxed_slice());
    Box::leak(Box::new(asset_runtime::Assets::__new(table, &[], &[], &[], &[])))
}

/// Every name, shuffled, and the `HashMap` of the same names and URLs.
fn names(assets: &'static asset_runtime::Assets) -> (Vec<&'static str>, HashMap<&'static str, String>) {
    let mut names: Vec<&'static str> = assets.iter().map(|a| a.name()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in (1..names.len()).rev() {
        names.swap(i, rng.below(i + 1));
    }
    let map = assets.iter().map(|a| (a.name(), a.url().to_owned())).collect();
    (names, map)
}

fn bench(c: &mut Criterion) {
    let assets = build();
    // The first read checks the whole table's text, once.
    let start = Instant::now();
    black_box(assets.at(0).map(|a| a.name()));
    let first = start.elapsed();
    println!("first read, with the one check of the table's text: {first:.2?}");
    let (names, map) = names(assets);
    let mut group = c.benchmark_group(format!("lookup of {} names, shuffled", names.len()));
    group.bench_function("static_url", |b| {
        b.iter(|| {
            for name in &names {
                black_box(assets.url(black_box(name)).unwrap());
            }
        })
    });
    group.bench_function("HashMap<&str, String>", |b| {
        b.iter(|| {
            for name in &names {
                black_box(map.get(black_box(name)).unwrap());
            }
        })
    });
    group.finish();
    summary(assets, &names, &map);
}

/// The figures the target names, on one line: ns per lookup of each, their
/// ratio, and the allocations.
fn summary(assets: &'static asset_runtime::Assets, names: &[&'static str], map: &HashMap<&'static str, String>) {
    let rounds = 2_000_000 / names.len().max(1) + 1;
    let lookups = (rounds * names.len()) as f64;
    let time = |lookup: &dyn Fn(&str)| {
        let start = Instant::now();
        for _ in 0..rounds {
            for name in names {
                lookup(black_box(name));
            }
        }
        start.elapsed().as_secs_f64() * 1e9 / lookups
    };
    // Alternated, three times each: the machine's noise hits both.
    let (mut ours, mut theirs) = (Vec::with_capacity(3), Vec::with_capacity(3));
    let mut allocations = 0;
    for _ in 0..3 {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let t = time(&|name| {
            black_box(assets.url(name).unwrap());
        });
        allocations += ALLOCATIONS.load(Ordering::Relaxed) - before;
        ours.push(t);
        theirs.push(time(&|name| {
            black_box(map.get(name).unwrap());
        }));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    println!(
        "{} names, shuffled: static_url {ours:.1} ns/lookup, HashMap<&str, String> {theirs:.1} ns/lookup, \
         ratio {:.2}x (target <= 1.00), heap allocations in {} lookups: {allocations}",
        names.len(),
        ours / theirs,
        3 * lookups as u64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
