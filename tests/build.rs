//! Builds two asset tables: the serving benchmark's (a small stylesheet and
//! a 1 MB binary file, precompressed and embedded), and the dev-mode tests'
//! (stylesheets with references that the tests edit in place).

use std::path::Path;

/// Writes `bytes` unless the file already holds them, so its modification
/// time (which cargo watches) only moves when the content does.
fn put(path: &Path, bytes: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    let src = Path::new(&out).join("bench-assets");
    let mut css = String::new();
    for i in 0..40 {
        css.push_str(&format!(
            ".card-{i} {{ margin: {i}px; padding: 0.5rem 1rem; border-radius: 4px; }}\n"
        ));
    }
    put(&src.join("css/small.css"), css.as_bytes());
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let big: Vec<u8> = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    put(&src.join("media/big.bin"), &big);
    asset_build::Config::new()
        .source(&src)
        .dependency_assets(false)
        .precompress(true)
        .embed(true)
        .generated_file_name("bench_assets.rs")
        .output_dir(Path::new(&out).join("bench-static"))
        .build()
        .unwrap_or_else(asset_build::fail);

    // The dev-mode tests edit these sources; each build restores them.
    let dev = Path::new(&out).join("dev-assets");
    for name in ["edit", "hashed", "etag", "reload", "browser"] {
        put(
            &dev.join(format!("css/{name}.css")),
            format!(".{name} {{ background: url(../img/dot.png) }}\n").as_bytes(),
        );
    }
    put(&dev.join("img/dot.png"), b"\x89PNG dot");
    asset_build::Config::new()
        .source(&dev)
        .dependency_assets(false)
        .precompress(false)
        .generated_file_name("dev_assets.rs")
        .output_dir(Path::new(&out).join("dev-static"))
        .build()
        .unwrap_or_else(asset_build::fail);
}
