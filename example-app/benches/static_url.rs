//! `static_url` against a `std::collections::HashMap<&str, &str>` lookup of
//! the same keys, in the same run; and a count of heap allocations per
//! lookup with the default base URL (target: none, and at most 50 ns).
//!
//! Run with `cargo bench -p example-app --bench static_url`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
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

fn keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = example_app::ASSETS.iter().map(|a| a.name()).collect();
    keys.sort_unstable();
    keys
}

fn baseline() -> HashMap<&'static str, &'static str> {
    example_app::ASSETS.iter().map(|a| (a.name(), a.url())).collect()
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let map = baseline();
    let mut group = c.benchmark_group("lookup");
    group.bench_function("static_url", |b| {
        b.iter(|| {
            for k in &keys {
                black_box(example_app::static_url(black_box(k)).unwrap());
            }
        })
    });
    group.bench_function("HashMap<&str, &str>", |b| {
        b.iter(|| {
            for k in &keys {
                black_box(map.get(black_box(k)).unwrap());
            }
        })
    });
    group.finish();
}

/// A direct measurement printed as ns per lookup and a ratio, plus the
/// allocation count, so the figures the targets name are on one line.
fn summary() {
    let keys = keys();
    let map = baseline();
    const ROUNDS: usize = 200_000;
    let lookups = (ROUNDS * keys.len()) as f64;
    for k in &keys {
        black_box(example_app::static_url(k).unwrap());
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let start = Instant::now();
    for _ in 0..ROUNDS {
        for k in &keys {
            black_box(example_app::static_url(black_box(k)).unwrap());
        }
    }
    let ours = start.elapsed().as_secs_f64() * 1e9 / lookups;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let start = Instant::now();
    for _ in 0..ROUNDS {
        for k in &keys {
            black_box(map.get(black_box(k)).unwrap());
        }
    }
    let std_map = start.elapsed().as_secs_f64() * 1e9 / lookups;
    println!(
        "static_url: {ours:.1} ns/lookup (target <= 50), HashMap: {std_map:.1} ns/lookup, ratio {:.2}x, \
         heap allocations in {} lookups: {allocations}",
        ours / std_map,
        lookups as u64
    );
}

fn summary_bench(_: &mut Criterion) {
    summary();
}

criterion_group!(benches, bench, summary_bench);
criterion_main!(benches);
