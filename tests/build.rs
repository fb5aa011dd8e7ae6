//! Builds five asset tables: the serving benchmark's (a small stylesheet
//! and a 1 MB binary file, precompressed and embedded), the dev-mode tests'
//! (stylesheets with references that the tests edit in place), one of a
//! bundler's output, already content-hashed (a Vite output folder), one of
//! ES modules pinned in an import map, and one precompressed with zstd
//! siblings too, embedded.

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
    // An image a script names: not one only stylesheets refer to.
    put(&dev.join("img/logo.png"), b"\x89PNG logo");
    put(&dev.join("js/app.js"), b"export const logo = \"../img/logo.png\";\n");
    asset_build::Config::new()
        .source(&dev)
        .dependency_assets(false)
        .precompress(false)
        .generated_file_name("dev_assets.rs")
        .output_dir(Path::new(&out).join("dev-static"))
        .build()
        .unwrap_or_else(asset_build::fail);

    // What `vite build` leaves with `build.manifest: true`.
    let vite = Path::new(&out).join("vite-dist");
    put(
        &vite.join(".vite/manifest.json"),
        br#"{
  "_shared-D1x2y3z4.js": {"file": "assets/shared-D1x2y3z4.js", "css": ["assets/shared-E5f6g7h8.css"]},
  "src/main.js": {"file": "assets/main-Bx9_k-2Q.js", "src": "src/main.js", "isEntry": true,
                  "css": ["assets/main-C4fE81aZ.css"], "imports": ["_shared-D1x2y3z4.js"]},
  "src/theme.css": {"file": "assets/theme-F9a8b7c6.css", "src": "src/theme.css", "isEntry": true}
}"#,
    );
    put(&vite.join("assets/shared-D1x2y3z4.js"), b"export const s = 1;\n");
    put(&vite.join("assets/shared-E5f6g7h8.css"), b".shared{color:red}\n");
    put(&vite.join("assets/theme-F9a8b7c6.css"), b":root{--x:1}\n");
    put(
        &vite.join("assets/main-Bx9_k-2Q.js"),
        "document.title = `main`;\n".repeat(40).as_bytes(),
    );
    put(
        &vite.join("assets/main-C4fE81aZ.css"),
        b"body{background:url(/static/favicon.ico)}\n",
    );
    put(&vite.join("favicon.ico"), b"icon");
    asset_build::Config::new()
        .source(&vite)
        .dependency_assets(false)
        .precompress(true)
        .generated_file_name("vite_assets.rs")
        .output_dir(Path::new(&out).join("vite-static"))
        .build()
        .unwrap_or_else(asset_build::fail);

    // ES modules loaded through an import map.
    let modules = Path::new(&out).join("module-assets");
    put(
        &modules.join("js/app.js"),
        b"import { hello } from \"controllers/hello\";\nimport { twice } from \"./util.js\";\ndocument.title = twice(hello());\n",
    );
    put(&modules.join("js/util.js"), b"export const twice = (s) => s + s;\n");
    put(
        &modules.join("js/controllers/hello.js"),
        b"export const hello = () => \"hello\";\n",
    );
    put(
        &modules.join("js/controllers/index.js"),
        b"export * from \"controllers/hello\";\n",
    );
    asset_build::Config::new()
        .source(&modules)
        .dependency_assets(false)
        .precompress(false)
        .pin("app", "js/app.js")
        .pin("util", "js/util.js")
        .pin_all_from("js/controllers", "controllers")
        .generated_file_name("module_assets.rs")
        .output_dir(Path::new(&out).join("module-static"))
        .build()
        .unwrap_or_else(asset_build::fail);

    // Brotli, gzip and zstd siblings, for the negotiation tests.
    let zstd = Path::new(&out).join("zstd-assets");
    let mut css = String::new();
    for i in 0..60 {
        css.push_str(&format!(
            ".panel-{i} {{ margin: {i}px auto; background: url(../img/dot.png) }}\n"
        ));
    }
    put(&zstd.join("css/panels.css"), css.as_bytes());
    put(&zstd.join("img/dot.png"), b"\x89PNG dot");
    asset_build::Config::new()
        .source(&zstd)
        .dependency_assets(false)
        .precompress(true)
        .zstd(true)
        .embed(true)
        .generated_file_name("zstd_assets.rs")
        .output_dir(Path::new(&out).join("zstd-static"))
        .build()
        .unwrap_or_else(asset_build::fail);
}
