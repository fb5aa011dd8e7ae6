//! The whole build, step by step: collect → hash → rewrite → write the
//! output folder and manifest → generate the Rust table.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;
use std::time::{SystemTime, UNIX_EPOCH};

use rayon::prelude::*;

use crate::build_cache::{BuildCache, SourceStamp};
use crate::cargo_directives;
use crate::collect::Source;
use crate::collect::{self, SourceFile};
use crate::compress::{self, Variants};
use crate::config::Config;
use crate::dependency_assets;
use crate::error::{Error, Result};
use crate::fs;
use crate::generate::{self, Entry, Representation, TableInfo};
use crate::hash::{self, Md5Digest, hex};
use crate::output::RenderFn;
use crate::output::{self, Content, OutFile, WriteStats};
use crate::process::{self, Renderer, RewriteOptions};
use crate::references::Patterns;
use asset_contract::{MANIFEST_NAME, Manifest, content_type};

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
    /// The generated Rust file (a few declarations that include the table).
    pub generated_file: PathBuf,
    /// The asset table the Rust file includes (data, not code).
    pub table_file: PathBuf,
    /// The embedded bytes the Rust file includes, with `embed`.
    pub embed_file: Option<PathBuf>,
    /// Number of assets.
    pub assets: usize,
    /// Source files read to hash them (the others were unchanged since the
    /// last build and their hash was reused).
    pub files_hashed: usize,
    /// CSS/JS files rewritten (the others kept the name recorded by the
    /// last build, as neither they nor the files they refer to changed).
    pub files_rewritten: usize,
    /// Contents compressed in this build (the others' variants were cached).
    pub files_compressed: usize,
    /// Time spent compressing, in seconds.
    pub compress_seconds: f64,
    /// What writing the output folder did.
    pub write: WriteStats,
    /// The manifest's `hash` field.
    pub manifest_hash: String,
    /// Warnings (name clashes, lenient missing references), also printed as
    /// `cargo::warning=` lines from a build script.
    pub warnings: Vec<String>,
}

impl Config {
    /// Runs the build: collect, hash, rewrite, write the output folder and
    /// `staticfiles.json`, precompress, and generate the table.
    ///
    /// Errors are returned, never printed: from a build script, pass them
    /// to [`fail`](crate::fail) to fail the build with a `cargo::error=`
    /// message and no panic (`.build().unwrap_or_else(asset_build::fail)`).
    pub fn build(&self) -> Result<Output> {
        run(self)
    }
}

fn run(config: &Config) -> Result<Output> {
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

    let (digests, integrities, files_hashed) = hash_all(&files, &cache)?;
    let racy_before = started.saturating_sub(RACY_WINDOW_NS);
    cache.sources = files
        .iter()
        .zip(digests.iter().zip(&integrities))
        .filter(|(f, _)| (f.mtime_ns as u64) < racy_before)
        .map(|(f, (md5, integrity))| {
            let stamp = SourceStamp {
                size: f.size,
                mtime_ns: f.mtime_ns as u64,
                md5: *md5,
                integrity: integrity.clone(),
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
    let processed = process::process(&files, &digests, &integrities, &options, &cache.rewrites)?;
    let files_rewritten = processed.rewritten.iter().filter(|r| r.is_some()).count();
    warnings.extend(processed.warnings.iter().cloned());

    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| files[a].name.cmp(&files[b].name));
    let manifest = Manifest::new(
        files
            .iter()
            .zip(&processed.hashed)
            .map(|(f, hashed)| (f.name.clone(), hashed.clone()))
            .collect(),
    );
    let manifest_bytes = manifest.to_json();

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

    let compress_started = Instant::now();
    let precompress = config
        .precompress
        .unwrap_or_else(|| std::env::var("PROFILE").is_ok_and(|p| p == "release"));
    let compressed = if precompress {
        precompress_all(&out_dir, &files, &digests, &processed, &mut cache, &render)?
    } else {
        // Nothing is compressed any more: drop the cached variants too.
        compress::prune_cache(&out_dir.join(PRECOMPRESSED_DIR), &mut cache.compressed, &HashSet::new());
        Compressed::default()
    };
    let compress_seconds = compress_started.elapsed().as_secs_f64();
    let sibling_names: Vec<(String, PathBuf, Md5Digest)> = compressed.siblings(&files, &digests, &processed, &out_dir);
    let siblings: Vec<OutFile<'_>> = sibling_names
        .iter()
        .map(|(name, path, md5)| OutFile {
            name,
            content: Content::LinkPath(path),
            md5: *md5,
        })
        .collect();

    let write = output::write_tree(
        &output_dir,
        &[&originals, &hashed, &siblings],
        &manifest_bytes,
        &mut cache,
        config.hard_links,
        &render,
    )?;

    let entries: Vec<Entry<'_>> = order
        .iter()
        .map(|&i| {
            let original = compressed.by_md5.get(&digests[i]).copied().unwrap_or_default();
            let served = compressed
                .by_md5
                .get(&processed.served_md5[i])
                .copied()
                .unwrap_or_default();
            let compressible = compress::compressible(&files[i].name);
            let pick = |v: Variants| if compressible { v } else { Variants::default() };
            Entry {
                name: &files[i].name,
                hashed: &processed.hashed[i],
                content_type: content_type(&files[i].name),
                integrity: &processed.served_integrity[i],
                folder: files[i].folder,
                source: &files[i].name[files[i].relative_start..],
                served: Representation {
                    md5: processed.served_md5[i],
                    size: processed.served_size[i],
                    variants: pick(served),
                    embed_path: config.embed.then(|| output_dir.join(&processed.hashed[i])),
                },
                original: Representation {
                    md5: digests[i],
                    size: files[i].size,
                    variants: pick(original),
                    embed_path: config.embed.then(|| output_dir.join(&files[i].name)),
                },
            }
        })
        .collect();
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::io("create", &out_dir, e))?;
    let generated_file = out_dir.join(&config.generated_file_name);
    let folders: Vec<PathBuf> = sources.iter().map(|s| s.dir.clone()).collect();
    let info = TableInfo {
        static_url: &config.static_url,
        output_dir: &output_dir,
        folders: &folders,
    };
    let (table_file, embed_file) = generate::data_paths(&generated_file);
    let key = generate::key(&entries, &info, &table_file);
    let present = table_file.is_file() && (!config.embed || embed_file.is_file());
    if cache.generated_key.as_deref() != Some(key.as_str()) || !present {
        let generated = generate::generate(&entries, &info);
        fs::write_if_changed(&table_file, &generated.table)?;
        if config.embed {
            fs::write_concatenated(&embed_file, &generated.embed)?;
        } else {
            let _ = std::fs::remove_file(&embed_file);
        }
        cache.generated_key = Some(key);
    }
    let rust = generate::rust(&generated_file, config.embed);
    fs::write_if_changed(&generated_file, rust.as_bytes())?;

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
        files_compressed: compressed.computed,
        compress_seconds,
        manifest_path: output_dir.join(MANIFEST_NAME),
        output_dir,
        generated_file,
        table_file,
        embed_file: config.embed.then_some(embed_file),
        assets: files.len(),
        files_hashed,
        files_rewritten,
        write,
        manifest_hash: manifest.hash,
        warnings,
    })
}

/// The precompressed variants of this build's contents.
#[derive(Default)]
struct Compressed {
    by_md5: HashMap<Md5Digest, Variants>,
    /// Contents compressed in this build.
    computed: usize,
}

impl Compressed {
    /// The sibling files (`name.br`, `name.gz`) of every compressible
    /// output, with the cache file each links to and its MD5.
    fn siblings(
        &self,
        files: &[SourceFile],
        digests: &[Md5Digest],
        processed: &process::Processed,
        out_dir: &std::path::Path,
    ) -> Vec<(String, PathBuf, Md5Digest)> {
        let dir = out_dir.join(PRECOMPRESSED_DIR);
        let mut out = Vec::new();
        for (i, file) in files.iter().enumerate() {
            if !compress::compressible(&file.name) {
                continue;
            }
            for (name, md5) in [
                (&file.name, &digests[i]),
                (&processed.hashed[i], &processed.served_md5[i]),
            ] {
                let Some(variants) = self.by_md5.get(md5) else { continue };
                for (encoding, variant) in [("br", variants.br), ("gz", variants.gz)] {
                    if let Some(variant) = variant {
                        out.push((
                            format!("{name}.{encoding}"),
                            compress::cache_path(&dir, md5, encoding),
                            variant.md5,
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Folder of `OUT_DIR` holding compressed variants by content hash.
const PRECOMPRESSED_DIR: &str = "precompressed";

/// Compresses every compressible content not compressed by an earlier
/// build, on all cores.
fn precompress_all(
    out_dir: &std::path::Path,
    files: &[SourceFile],
    digests: &[Md5Digest],
    processed: &process::Processed,
    cache: &mut BuildCache,
    render: &RenderFn<'_>,
) -> Result<Compressed> {
    let dir = out_dir.join(PRECOMPRESSED_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    // Each distinct content once: (md5, index of a file, whether it is the rewritten copy).
    let mut wanted: HashMap<Md5Digest, (usize, bool)> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        if compress::compressible(&file.name) {
            wanted.entry(digests[i]).or_insert((i, false));
            wanted
                .entry(processed.served_md5[i])
                .or_insert((i, processed.rewrites[i]));
        }
    }
    let cached = |md5: &Md5Digest| {
        cache.compressed.get(&hex(md5)).copied().filter(|v| {
            [("br", v.br), ("gz", v.gz)]
                .iter()
                .all(|(enc, var)| var.is_none() || compress::cache_path(&dir, md5, enc).is_file())
        })
    };
    let mut by_md5 = HashMap::new();
    let mut todo = Vec::new();
    for (md5, source) in &wanted {
        match cached(md5) {
            Some(variants) => {
                by_md5.insert(*md5, variants);
            }
            None => todo.push((*md5, *source)),
        }
    }
    let results: Vec<(Md5Digest, Variants)> = todo
        .par_iter()
        .map(|(md5, (i, rewritten))| {
            let bytes = match (rewritten, &processed.rewritten[*i]) {
                (true, Some(bytes)) => bytes.clone(),
                (true, None) => render(*i)?,
                (false, _) => std::fs::read(&files[*i].path).map_err(|e| Error::io("read", &files[*i].path, e))?,
            };
            let variants =
                compress::compress_into(&dir, md5, &bytes).map_err(|e| Error::io("compress into", &dir, e))?;
            Ok((*md5, variants))
        })
        .collect::<Result<_>>()?;
    let computed = results.len();
    by_md5.extend(results);
    let used: HashSet<String> = by_md5.keys().map(|m| hex(m)).collect();
    // Drop the previous build's variants of content no longer built, then
    // record this build's.
    compress::prune_cache(&dir, &mut cache.compressed, &used);
    cache.compressed = by_md5.iter().map(|(m, v)| (hex(m), *v)).collect();
    Ok(Compressed { by_md5, computed })
}

/// MD5 and integrity value of every file's original bytes, on all cores,
/// reusing the cached digests of files whose size and modification time did
/// not change. Also returns how many files were read.
fn hash_all(files: &[SourceFile], cache: &BuildCache) -> Result<(Vec<Md5Digest>, Vec<String>, usize)> {
    let results: Vec<(Md5Digest, String, bool)> = files
        .par_iter()
        .map(|f| match cache.sources.get(&f.path) {
            Some(s) if s.size == f.size && u128::from(s.mtime_ns) == f.mtime_ns => {
                Ok((s.md5, s.integrity.clone(), false))
            }
            _ => hash::digest_file(&f.path).map(|(md5, integrity)| (md5, integrity, true)),
        })
        .collect::<Result<_>>()?;
    let read = results.iter().filter(|(_, _, read)| *read).count();
    let (digests, integrities) = results.into_iter().map(|(d, i, _)| (d, i)).unzip();
    Ok((digests, integrities, read))
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
