//! The whole build, step by step: collect → hash → rewrite → write the
//! output folder and manifest → generate the Rust table.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use rayon::prelude::*;

use crate::build_cache::{BuildCache, SourceStamp};
use crate::cargo_directives;
use crate::codegen::{self, Entry};
use crate::collect::{self, SourceFile};
use crate::config::{Config, Source};
use crate::content_type::content_type;
use crate::dependency_assets;
use crate::error::{Error, Result};
use crate::hash::{self, Md5Digest, hex, md5_bytes};
use crate::manifest;
use crate::output::{self, Content, MANIFEST_NAME, OutFile, WriteStats};
use crate::process::{self, Renderer, RewriteOptions};
use crate::references::Patterns;

/// A file modified less than this long before the build started may be
/// modified again within the same timestamp tick; its hash is not cached.
const RACY_WINDOW_NS: u64 = 50_000_000;

/// What a build produced.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Output {
    /// The folder holding the collected originals, their hashed copies and
    /// `staticfiles.json`.
    pub output_dir: PathBuf,
    /// `staticfiles.json` in [`output_dir`](Self::output_dir).
    pub manifest_path: PathBuf,
    /// The generated Rust file.
    pub generated_file: PathBuf,
    /// Number of assets.
    pub assets: usize,
    /// Source files read to hash them (the others were unchanged since the
    /// last build and their hash was reused).
    pub files_hashed: usize,
    /// CSS/JS files rewritten (the others kept the name recorded by the
    /// last build, as neither they nor the files they refer to changed).
    pub files_rewritten: usize,
    /// What writing the output folder did.
    pub write: WriteStats,
    /// The manifest's `hash` field.
    pub manifest_hash: String,
    /// Warnings (name clashes, lenient missing references), also printed as
    /// `cargo::warning=` lines from a build script.
    pub warnings: Vec<String>,
}

pub(crate) fn run(config: &Config) -> Result<Output> {
    let started = now_ns();
    let directives = config.emits_cargo_directives();
    let package_dir = config.resolved_package_dir()?;
    let out_dir = config.resolved_out_dir()?;
    let output_dir = config.resolved_output_dir(&out_dir)?;

    let mut sources: Vec<Source> = config
        .sources
        .iter()
        .map(|s| Source {
            dir: package_dir.join(&s.dir),
            prefix: s.prefix.clone(),
        })
        .collect();
    let mut cache = BuildCache::load(&out_dir);
    let mut watch: Vec<PathBuf> = sources.iter().map(|s| s.dir.clone()).collect();
    if config.dependency_assets {
        let deps = dependency_assets::find_cached(&package_dir, cache.dependency_assets.as_ref())?;
        watch.extend(deps.sources.iter().map(|s| s.dir.clone()));
        watch.extend(deps.watch.iter().cloned());
        sources.extend(deps.sources.iter().cloned());
        cache.dependency_assets = Some(deps);
    }
    if directives {
        for path in &watch {
            cargo_directives::rerun_if_changed(path);
        }
    }

    let ignore = collect::ignore_set(&config.ignore, config.default_ignore)?;
    let collected = collect::collect(&sources, &ignore)?;
    let files = collected.files;
    let mut warnings = collected.warnings;

    let (digests, files_hashed) = hash_all(&files, &cache)?;
    let racy_before = started.saturating_sub(RACY_WINDOW_NS);
    cache.sources = files
        .iter()
        .zip(&digests)
        .filter(|(f, _)| (f.mtime_ns as u64) < racy_before)
        .map(|(f, d)| {
            let stamp = SourceStamp {
                size: f.size,
                mtime_ns: f.mtime_ns as u64,
                md5: *d,
            };
            (f.path.clone(), stamp)
        })
        .collect();

    let patterns = Patterns::new(config.js_module_imports);
    let options = RewriteOptions {
        patterns: &patterns,
        static_url: &config.static_url,
        lenient: config.lenient_references,
    };
    let processed = process::process(&files, &digests, &options, &cache.rewrites)?;
    let files_rewritten = processed.rewritten.iter().filter(|r| r.is_some()).count();
    warnings.extend(processed.warnings.iter().cloned());

    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| files[a].name.cmp(&files[b].name));
    let pairs: Vec<(&str, &str)> = order
        .iter()
        .map(|&i| (files[i].name.as_str(), processed.hashed[i].as_str()))
        .collect();
    let manifest_bytes = manifest::manifest_json(&pairs);
    let manifest_hash = manifest::manifest_hash(&pairs);

    let originals: Vec<OutFile<'_>> = files
        .iter()
        .zip(&digests)
        .map(|(f, d)| OutFile {
            name: &f.name,
            content: Content::Copy(&f.path),
            md5: *d,
        })
        .collect();
    let hashed: Vec<OutFile<'_>> = (0..files.len())
        .map(|i| OutFile {
            name: &processed.hashed[i],
            content: match (&processed.rewritten[i], processed.rewrites[i]) {
                (Some(bytes), _) => Content::Bytes(bytes),
                (None, true) => Content::Render(i),
                (None, false) => Content::Link(&files[i].name),
            },
            md5: processed.served_md5[i],
        })
        .collect();
    let renderer = OnceLock::new();
    let render = |i: usize| {
        renderer
            .get_or_init(|| Renderer::new(&files, &processed.hashed, &options))
            .render(i)
    };
    let write = output::write_tree(
        &output_dir,
        &originals,
        &hashed,
        &manifest_bytes,
        &mut cache,
        config.hard_links,
        &render,
    )?;

    let entries: Vec<Entry<'_>> = order
        .iter()
        .map(|&i| Entry {
            name: &files[i].name,
            hashed: &processed.hashed[i],
            md5: processed.served_md5[i],
            size: processed.served_size[i],
            content_type: content_type(&files[i].name),
        })
        .collect();
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::io("create", &out_dir, e))?;
    let generated_file = out_dir.join(&config.generated_file_name);
    let key = generated_key(&entries, &config.static_url, &output_dir);
    if cache.generated_key.as_deref() != Some(key.as_str()) || !generated_file.is_file() {
        let text = codegen::generate(&entries, &config.static_url, &output_dir);
        output::write_if_changed(&generated_file, text.as_bytes())?;
        cache.generated_key = Some(key);
    }

    cache.rewrites = processed.records;
    if let Err(e) = cache.save(&out_dir) {
        warnings.push(format!(
            "could not save the build cache in `{}` ({e}); the next build rehashes every file",
            out_dir.display()
        ));
    }
    if directives {
        for warning in &warnings {
            cargo_directives::warning(warning);
        }
    }
    Ok(Output {
        manifest_path: output_dir.join(MANIFEST_NAME),
        output_dir,
        generated_file,
        assets: files.len(),
        files_hashed,
        files_rewritten,
        write,
        manifest_hash,
        warnings,
    })
}

/// MD5 of every file's original bytes, on all cores, reusing the cached
/// hash of files whose size and modification time did not change.
fn hash_all(files: &[SourceFile], cache: &BuildCache) -> Result<(Vec<Md5Digest>, usize)> {
    let results: Vec<(Md5Digest, bool)> = files
        .par_iter()
        .map(|f| match cache.sources.get(&f.path) {
            Some(s) if s.size == f.size && u128::from(s.mtime_ns) == f.mtime_ns => Ok((s.md5, false)),
            _ => hash::md5_file(&f.path).map(|d| (d, true)),
        })
        .collect::<Result<_>>()?;
    let read = results.iter().filter(|(_, read)| *read).count();
    Ok((results.into_iter().map(|(d, _)| d).collect(), read))
}

/// Identifies everything the generated file depends on.
fn generated_key(entries: &[Entry<'_>], static_url: &str, output_dir: &std::path::Path) -> String {
    let mut text = format!(
        "{}/{}\n{static_url}\n{}\n",
        env!("CARGO_PKG_VERSION"),
        codegen::FORMAT_VERSION,
        output_dir.display()
    );
    for e in entries {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            e.name,
            e.hashed,
            hex(&e.md5),
            e.size,
            e.content_type
        ));
    }
    hex(&md5_bytes(text.as_bytes()))
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
