//! A small project on disk to build: source files, a configuration, and
//! readers of what the build wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use asset_build::{Config, Error, Output};

pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn new(files: &[(&str, &str)]) -> Project {
        let project = Project {
            dir: tempfile::tempdir().unwrap(),
        };
        for (name, content) in files {
            project.write(name, content);
        }
        project
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn output(&self) -> PathBuf {
        self.path("out/static")
    }

    pub fn config(&self) -> Config {
        let mut config = Config::new();
        config
            .source("assets")
            .dependency_assets(false)
            .package_dir(self.dir.path())
            .out_dir(self.path("out"))
            .output_dir(self.output())
            .compression_cache(None)
            .cargo_directives(false);
        config
    }

    pub fn build(&self) -> Result<Output, Error> {
        self.config().build()
    }

    /// Builds with precompression on and the compression cache in `cache`.
    pub fn build_compressed_into(&self, cache: &Path) -> Output {
        self.config()
            .precompress(true)
            .compression_cache(Some(cache.to_owned()))
            .build()
            .unwrap()
    }

    pub fn manifest(&self) -> serde_json::Map<String, serde_json::Value> {
        let bytes = std::fs::read(self.output().join("staticfiles.json")).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        value["paths"].as_object().unwrap().clone()
    }

    pub fn hashed(&self, name: &str) -> String {
        self.manifest()[name].as_str().unwrap().to_owned()
    }

    pub fn read_output(&self, name: &str) -> String {
        std::fs::read_to_string(self.output().join(name)).unwrap()
    }
}

/// Ages every file under the project so a rebuild may trust its cache
/// (files modified within the last few milliseconds are always re-read).
pub fn age(dir: &Path) {
    let old = filetime::FileTime::from_unix_time(1_600_000_000, 0);
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            filetime::set_file_mtime(entry.path(), old).unwrap();
        }
    }
}

/// A stylesheet worth compressing, which refers to `img/x.png`.
pub fn stylesheet() -> String {
    ".rule { color: #123456; background: url(img/x.png) }\n".repeat(100)
}

/// A stylesheet worth compressing, an image and a file too small to
/// compress.
pub fn compressible() -> Project {
    Project::new(&[
        ("assets/a.css", &stylesheet()),
        ("assets/img/x.png", "png-ish bytes"),
        ("assets/tiny.txt", "x"),
    ])
}

/// A data file the build writes beside its generated Rust file
/// (`assets.rs` + `suffix`, such as `.vite`).
pub fn beside_generated(output: &Output, suffix: &str) -> PathBuf {
    let mut path = output.generated_file.as_os_str().to_owned();
    path.push(suffix);
    PathBuf::from(path)
}

/// The assets a build generated, as the app reads them: the table and its
/// overlay, and the embedded data, Vite entries and import map where the build wrote them.
pub fn assets_of(output: &Output) -> &'static asset_runtime::Assets {
    let read = |path: Option<PathBuf>| -> &'static [u8] {
        match path.filter(|p| p.exists()) {
            Some(path) => Box::leak(std::fs::read(path).unwrap().into_boxed_slice()),
            None => &[],
        }
    };
    Box::leak(Box::new(asset_runtime::Assets::__new(
        read(Some(output.table_file.clone())),
        read(Some(beside_generated(output, ".overlay"))),
        read(output.embed_file.clone()),
        read(Some(beside_generated(output, ".vite"))),
        read(Some(beside_generated(output, ".importmap"))),
    )))
}
