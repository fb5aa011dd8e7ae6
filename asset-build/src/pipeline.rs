//! The whole build: the stages in order, each taking what the one before
//! gave it.
//!
//! ```text
//! collect ─ SourceFile ─▶ hash ─ Hashed ─▶ rewrite ─ Asset ─▶ compress ─ Compressed ─▶ write ─▶ generate
//! ```
//!
//! Writing the output folder and generating the table run side by side
//! (the embedded data, which reads the written files, comes after both),
//! beside the encoding of the records that no longer change.
//!
//! Between rewrite and the stages that read bytes, the pipeline asks which
//! outputs are stale and which contents need compressing, and has the
//! rewrite stage render again only the CSS/JS files whose names came from
//! the last build's records and whose bytes are needed after all. The build
//! cache is loaded before the stages and saved after; each stage reads and
//! returns its own part of it.
//!
//! Before the stages, a build that finds the names of the last one with a
//! few files edited may patch its results instead ([`patch`]); a build
//! that runs the stages leaves what the next one patches from.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use asset_contract::{MANIFEST_NAME, Manifest, content_type};
use md5::{Digest as _, Md5};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::asset::{Asset, ServedBytes};
use crate::build_cache::{Body, BuildCache, EarlySections, Finished};
use crate::cargo_directives;
use crate::collect::{self, Source};
use crate::compress::{self, Compressed};
use crate::config::Config;
use crate::dependency_assets::{self, DependencyAssets};
use crate::error::{Error, Result};
use crate::fs;
use crate::generate::{self, Entry, NameHash, Representation, TableInfo};
use crate::hash;
use crate::importmap;
use crate::output::{self, Content, OutFile, WriteStats};
use crate::patch::{self, Patch};
use crate::prehashed;
use crate::rebuild::{Reason, Rebuild, Unpatchable};
use crate::references::Patterns;
use crate::rewrite::{self, RewriteOptions};
use crate::variant_cache::{self, VariantCache};

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
    /// What the build did given what it found of the last one: nothing,
    /// a patch of its results (a few files edited, no name added or
    /// removed; see the [edit loop](crate#edit-loop)), or the stages, and
    /// why.
    pub rebuild: Rebuild,
    /// Warnings (name clashes, lenient missing references), also printed as
    /// `cargo::warning=` lines from a build script.
    pub warnings: Vec<String>,
}

impl Config {
    /// Runs the build: collect, hash, rewrite, precompress, write the output
    /// folder and `staticfiles.json`, and generate the table.
    ///
    /// Errors are returned, never printed: from a build script, pass them
    /// to [`fail`](crate::fail) to fail the build with a `cargo::error=`
    /// message and no panic (`.build().unwrap_or_else(asset_build::fail)`).
    pub fn build(&self) -> Result<Output> {
        let output = run(self)?;
        explain(self, &output.rebuild);
        Ok(output)
    }
}

/// From a build script, says what the build did and why: on standard
/// error, which `cargo build -vv` shows, and with `ASSET_BUILD_EXPLAIN=1`
/// as a warning every build shows.
fn explain(config: &Config, rebuild: &Rebuild) {
    if !config.emits_cargo_directives() {
        return;
    }
    eprintln!("asset-build: {rebuild}");
    if std::env::var_os(EXPLAIN_VAR).is_some_and(|v| !v.is_empty() && v != "0") {
        cargo_directives::warning(&rebuild.to_string());
    }
}

/// The environment variable that has a build script warn of what it did.
const EXPLAIN_VAR: &str = "ASSET_BUILD_EXPLAIN";

fn run(config: &Config) -> Result<Output> {
    let started = now_ns();
    let out_dir = config.resolved_out_dir()?;
    let output_dir = config.resolved_output_dir(&out_dir)?;
    let precompress = config
        .precompress
        .unwrap_or_else(|| std::env::var("PROFILE").is_ok_and(|p| p == "release"));
    let unpatchable = if precompress {
        Some(Unpatchable::Precompression)
    } else if config.embed {
        Some(Unpatchable::Embed)
    } else {
        None
    };
    // A build that may patch the last one's results likely does not need
    // the stages' records: they are decoded only if it does.
    let mut cache = BuildCache::load(&out_dir, unpatchable.is_none() && patch::State::exists(&out_dir));
    let dependencies_before = cache.head.dependency_assets.clone();
    let sources = sources(config, &mut cache)?;

    let ignore = collect::ignore_set(&config.ignore, config.default_ignore)?;
    let prehashed_globs = collect::glob_set("prehashed", &config.prehashed)?;
    let integrity_for = hash::IntegrityFor::new(collect::glob_set("integrity", &config.integrity)?);
    let links = if config.follow_links_outside {
        collect::Links::Anywhere
    } else {
        collect::Links::StayInside
    };
    let collected = collect::collect(&sources, &ignore, links)?;
    let mut variants = variant_cache(config, &out_dir);
    let (config_digest, setup, inputs) = inputs_key(
        config,
        &out_dir,
        &output_dir,
        precompress,
        &variants,
        &sources,
        &collected.files,
    );
    if let Some(finished) = cache.head.finished.as_ref()
        && finished.inputs == inputs
        && output::trusted(&output_dir, &finished.output_tree)
        && finished
            .generated
            .iter()
            .all(|(path, size, mtime)| fs::stamp(path) == Some((*size, *mtime)))
    {
        let finished = finished.clone();
        return Ok(unchanged(
            config,
            &out_dir,
            output_dir,
            &finished,
            &mut cache,
            dependencies_before,
        ));
    }
    let patterns = Patterns::new(config.js_module_imports, config.rules);
    let options = RewriteOptions {
        patterns: &patterns,
        static_url: &config.static_url,
        lenient: config.lenient_references,
    };
    let rust = out_dir.join(&config.generated_file_name);
    let data_paths = generate::data_paths(&rust);
    let manifest_path = output_dir.join(MANIFEST_NAME);
    let patch = match unpatchable {
        Some(why) => Err(Reason::Unpatchable(why)),
        None => patch::patch(&patch::Inputs {
            out_dir: &out_dir,
            output_dir: &output_dir,
            config: config_digest,
            setup,
            files: &collected.files,
            started_ns: started,
            table: &data_paths.table,
            overlay: &data_paths.overlay,
            manifest: &manifest_path,
            rust: &rust,
            integrity_for: &integrity_for,
            options: &options,
            hard_links: config.hard_links,
        }),
    };
    let (rebuild, patched) = match patch {
        Ok(Patch::Unchanged(patched)) => (Rebuild::Unchanged, Some(patched)),
        Ok(Patch::Patched(patched)) => (Rebuild::Patched, Some(patched)),
        Err(reason) => (Rebuild::Stages(reason), None),
    };
    if let Some(patched) = patched {
        // The collection's warnings (name clashes) are found again by
        // every build; a build with others is not patched.
        let mut warnings = collected.warnings.clone();
        // As for a build with nothing to do: keep `cargo metadata`'s answer.
        if cache.head.dependency_assets != dependencies_before {
            save(config, &mut cache, &out_dir, None, &mut warnings);
        } else {
            emit(config, &warnings);
        }
        free_in_background((cache, collected));
        return Ok(Output {
            output_dir,
            manifest_path,
            generated_file: rust,
            table_file: data_paths.table,
            embed_file: None,
            assets: patched.assets,
            files_hashed: patched.hashed,
            files_rewritten: patched.rewritten,
            files_compressed: 0,
            compress_seconds: 0.0,
            write: patched.write,
            manifest_hash: patched.manifest_hash,
            rebuild,
            warnings,
        });
    }
    let patched = patch::State::take(&out_dir);
    cache.read_body();
    output::trust(&output_dir, &mut cache.body.outputs);
    if let Some(patched) = patched {
        patched.hand_over(&output_dir, &mut cache.body.outputs);
    }
    let mut warnings = collected.warnings;
    let collection_warnings = warnings.len();

    let mut files = collected.files;
    let prehashed = prehashed::mark(&mut files, &prehashed_globs)?;
    let pins = importmap::resolve(&config.pins, files.iter().map(|f| f.name.as_str()))?;
    // The rewrite stage reads the CSS/JS files that are read here.
    let rewritten = |f: &collect::SourceFile| rewrite::kind_of(f).is_some();
    let (hashed, files_hashed) = hash::hash_all(files, &cache.body.sources, &integrity_for, &rewritten)?;
    let none_racy = hash::update_stamps(&mut cache.body.sources, &hashed, started);

    let named = rewrite::rewrite_all(hashed, &options, std::mem::take(&mut cache.body.rewrites))?;
    warnings.extend(named.warnings);
    cache.body.rewrites = named.records;
    let mut assets = named.assets;

    let compress_started = Instant::now();
    if precompress
        && variants.is_shared()
        && let Err(why) = variants.check_usable()
    {
        warnings.push(format!(
            "cannot use the compression cache `{}` ({why}); compressing into `{}` instead \
             (set ASSET_BUILD_CACHE_DIR to a folder of your own, or to `off`)",
            variants.dir().display(),
            out_dir.display()
        ));
        variants = VariantCache::local(&out_dir, &compress::settings_key());
    }
    let plan = if precompress {
        compress::plan(
            &assets,
            &variants,
            &cache.body.compressed,
            &cache.body.outputs,
            config.zstd,
        )
    } else {
        compress::Plan::default()
    };
    if plan.damaged > 0 {
        warnings.push(format!(
            "{} entries of the compression cache `{}` did not match their records (damaged, or \
             written by someone else); they were compressed again and replaced",
            plan.damaged,
            variants.dir().display()
        ));
    }
    render_needed(&mut assets, &plan.todo, &output_dir, &cache, &options)?;
    let compressed = if precompress {
        compress::compress_all(&variants, &assets, plan, &mut cache.body.compressed)?
    } else {
        // Nothing is compressed any more: a build's own cache goes too.
        variants.trim(&Default::default(), false);
        cache.body.compressed.clear();
        Compressed::default()
    };
    let compress_seconds = compress_started.elapsed().as_secs_f64();

    let manifest = Manifest::new(
        assets
            .iter()
            .map(|a| (a.name().to_owned(), a.hashed_name.clone()))
            .collect(),
    );
    let vite = prehashed.vite_entries(&mut warnings);
    // Writing the output folder, generating the table and encoding the
    // records that no longer change need each other's results only at the
    // end: they run side by side.
    let Body {
        sources: stamps,
        rewrites,
        outputs,
        generated_key,
        generated_files,
        name_hash,
        ..
    } = &mut cache.body;
    let (early, (write, generated)) = rayon::join(
        || EarlySections::encode(stamps, rewrites),
        || {
            rayon::join(
                || write(config, &output_dir, &variants, &assets, &compressed, &manifest, outputs),
                || {
                    let pages = Pages {
                        vite: &vite,
                        pins: &pins,
                    };
                    let cached = (generated_key, generated_files.as_slice(), name_hash);
                    generate(
                        config,
                        &out_dir,
                        &output_dir,
                        &sources,
                        (&assets, pages),
                        &compressed,
                        cached,
                    )
                },
            )
        },
    );
    let (write, generated) = (write?, generated?);
    if let (Some(path), Some(parts)) = (&generated.embed, &generated.embed_parts) {
        fs::write_concatenated(path, parts)?;
    }
    // What the next build finds the table and embedded data as, if no
    // other build writes them in between.
    cache.body.generated_files = generated_stamps(&generate::data_paths(&generated.rust));

    cache.head.finished = none_racy.then(|| Finished {
        inputs,
        output_tree: cache.body.outputs.tree(),
        generated: [
            Some(&generated.rust),
            Some(&generated.table),
            Some(&generated.overlay),
            generated.embed.as_ref(),
            generated.vite.as_ref(),
            generated.importmap.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter_map(|path| fs::stamp(path).map(|(size, mtime)| (path.clone(), size, mtime)))
        .collect(),
        assets: assets.len(),
        outputs: write.written + write.unchanged,
        manifest_hash: manifest.hash.clone(),
        warnings: warnings.clone(),
    });
    save(config, &mut cache, &out_dir, early, &mut warnings);
    let patchable = match unpatchable {
        Some(why) => Err(why),
        None if generated.vite.is_some() => Err(Unpatchable::ViteEntries),
        None if generated.importmap.is_some() => Err(Unpatchable::ImportMap),
        None if warnings.len() != collection_warnings => Err(Unpatchable::Warnings),
        None => Ok(()),
    };
    patch::record(
        &out_dir,
        &patch::Recorded {
            patchable,
            config: config_digest,
            setup,
            assets: &assets,
            rewrites: &cache.body.rewrites,
            outputs: &cache.body.outputs,
            table: &generated.table,
            overlay: &generated.overlay,
            manifest: &manifest_path,
            rust: &generated.rust,
            manifest_hash: &manifest.hash,
            started_ns: started,
        },
    );
    let output = Output {
        files_compressed: compressed.computed,
        compress_seconds,
        manifest_path,
        output_dir,
        generated_file: generated.rust,
        table_file: generated.table,
        embed_file: generated.embed,
        assets: assets.len(),
        files_hashed,
        files_rewritten: named.rewritten,
        write,
        manifest_hash: manifest.hash.clone(),
        rebuild,
        warnings,
    };
    free_in_background((cache, assets, compressed, manifest));
    Ok(output)
}

/// Frees `records` on another thread: at tens of thousands of assets the
/// build's records take tens of milliseconds to free, which the build has
/// no reason to wait for (a build script's process exits without waiting).
fn free_in_background<T: Send + 'static>(records: T) {
    // If no thread can be started, `records` is freed here.
    let _ = std::thread::Builder::new()
        .name("asset-build-free".to_owned())
        .spawn(move || drop(records));
}

/// Saves the cache (a failure is a warning), then prints the warnings.
fn save(
    config: &Config,
    cache: &mut BuildCache,
    out_dir: &Path,
    early: Option<EarlySections>,
    warnings: &mut Vec<String>,
) {
    if let Err(e) = cache.save(out_dir, early) {
        warnings.push(format!(
            "could not save the build cache in `{}` ({e}); the next build rehashes every file",
            out_dir.display()
        ));
    }
    emit(config, warnings);
}

/// Prints the warnings as `cargo::warning=` lines from a build script.
fn emit(config: &Config, warnings: &[String]) {
    if config.emits_cargo_directives() {
        for warning in warnings {
            cargo_directives::warning(warning);
        }
    }
}

/// The build when its inputs are those of the last one, whose outputs are
/// all in place: what the last build reported, with nothing done.
fn unchanged(
    config: &Config,
    out_dir: &Path,
    output_dir: PathBuf,
    finished: &Finished,
    cache: &mut BuildCache,
    dependencies_before: Option<DependencyAssets>,
) -> Output {
    let mut warnings = finished.warnings.clone();
    // `cargo metadata` ran again (a manifest was touched) and found the same
    // folders: keep its answer for the next build.
    if cache.head.dependency_assets != dependencies_before {
        save(config, cache, out_dir, None, &mut warnings);
    } else {
        emit(config, &warnings);
    }
    let rust = out_dir.join(&config.generated_file_name);
    let paths = generate::data_paths(&rust);
    Output {
        manifest_path: output_dir.join(MANIFEST_NAME),
        output_dir,
        generated_file: rust,
        table_file: paths.table,
        embed_file: config.embed.then_some(paths.embed),
        assets: finished.assets,
        files_hashed: 0,
        files_rewritten: 0,
        files_compressed: 0,
        compress_seconds: 0.0,
        write: WriteStats {
            written: 0,
            unchanged: finished.outputs,
            removed: 0,
        },
        manifest_hash: finished.manifest_hash.clone(),
        rebuild: Rebuild::Unchanged,
        warnings,
    }
}

/// Digests of what a build's result depends on: this crate's version, the
/// configuration as resolved, and every collected file's name and source
/// folder, in collection order ([`patch::setup`]); then also every file's
/// size and modification time (the inputs as a whole). The first digest
/// too, of the configuration alone.
fn inputs_key(
    config: &Config,
    out_dir: &Path,
    output_dir: &Path,
    precompress: bool,
    variants: &VariantCache,
    sources: &[Source],
    files: &[collect::SourceFile],
) -> (hash::Md5Digest, hash::Md5Digest, hash::Md5Digest) {
    let mut h = Md5::new();
    hash::update_field(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
    // What this asset-build generates, besides its version: one of the
    // same version that generates other code (a git dependency updated,
    // say) writes the generated files again.
    let all = generate::Includes {
        embed: true,
        vite: true,
        importmap: true,
    };
    hash::update_field(&mut h, generate::rust(Path::new("assets.rs"), all).as_bytes());
    h.update(asset_contract::table::VERSION.to_le_bytes());
    hash::update_field(&mut h, format!("{config:?}").as_bytes());
    hash::update_field(&mut h, out_dir.as_os_str().as_encoded_bytes());
    hash::update_field(&mut h, output_dir.as_os_str().as_encoded_bytes());
    hash::update_field(&mut h, if precompress { b"precompress" } else { b"" });
    hash::update_field(&mut h, variants.dir().as_os_str().as_encoded_bytes());
    for source in sources {
        hash::update_field(&mut h, source.dir.as_os_str().as_encoded_bytes());
        hash::update_field(&mut h, source.prefix.as_bytes());
    }
    let config: hash::Md5Digest = h.finalize().into();
    let setup = patch::setup(config, files);
    let mut h = Md5::new();
    h.update(setup);
    for file in files {
        h.update(file.size.to_le_bytes());
        h.update(file.mtime_ns.to_le_bytes());
    }
    (config, setup, h.finalize().into())
}

/// Size and modification time of the table and of the embedded data,
/// those that exist.
fn generated_stamps(paths: &generate::DataPaths) -> Vec<(u64, u64)> {
    [&paths.table, &paths.embed]
        .into_iter()
        .filter_map(|p| fs::stamp(p))
        .collect()
}

/// The source folders, the app's then its dependencies'; prints what cargo
/// must watch.
fn sources(config: &Config, cache: &mut BuildCache) -> Result<Vec<Source>> {
    let package_dir = config.resolved_package_dir()?;
    let mut sources: Vec<Source> = config
        .sources
        .iter()
        .map(|s| Source {
            dir: package_dir.join(&s.dir),
            prefix: s.prefix.clone(),
            package: package_dir.clone(),
        })
        .collect();
    let mut watch: Vec<PathBuf> = sources.iter().map(|s| s.dir.clone()).collect();
    if config.dependency_assets {
        let deps = dependency_assets::find_cached(&package_dir, cache.head.dependency_assets.as_ref())?;
        watch.extend(deps.sources.iter().map(|s| s.dir.clone()));
        watch.extend(deps.watch.iter().cloned());
        sources.extend(deps.sources.iter().cloned());
        cache.head.dependency_assets = Some(deps);
    }
    if config.emits_cargo_directives() {
        for path in &watch {
            cargo_directives::rerun_if_changed(path)?;
        }
        cargo_directives::rerun_if_env_changed(EXPLAIN_VAR);
    }
    Ok(sources)
}

/// The cache of precompressed variants the configuration asks for.
fn variant_cache(config: &Config, out_dir: &Path) -> VariantCache {
    let settings = compress::settings_key();
    match &config.compression_cache {
        None => VariantCache::from_env(out_dir, &settings),
        Some(Some(dir)) => VariantCache::shared(dir.clone(), variant_cache::DEFAULT_LIMIT, &settings),
        Some(None) => VariantCache::local(out_dir, &settings),
    }
}

/// Has the rewrite stage render the CSS/JS files named from the last
/// build's records whose bytes are needed after all: to compress them
/// (`todo`), or because their output is missing or changed.
fn render_needed(
    assets: &mut [Asset],
    todo: &[compress::Todo],
    output_dir: &Path,
    cache: &BuildCache,
    options: &RewriteOptions<'_>,
) -> Result<()> {
    let unrendered: Vec<usize> = (0..assets.len())
        .filter(|&i| matches!(assets[i].served.bytes, ServedBytes::NotRendered))
        .collect();
    let outputs: Vec<(&str, hash::Md5Digest)> = unrendered
        .iter()
        .map(|&i| (assets[i].hashed_name.as_str(), assets[i].served.digest.md5))
        .collect();
    let stale = output::stale(output_dir, &outputs, &cache.body.outputs);
    let mut needed: Vec<usize> = unrendered
        .iter()
        .zip(stale)
        .filter(|(_, s)| *s)
        .map(|(&i, _)| i)
        .collect();
    needed.extend(todo.iter().filter(|t| t.served).map(|t| t.asset));
    rewrite::render_needed(assets, &needed, options)
}

/// Refuses precompressed siblings whose name an asset has (`data.json.gz`
/// beside a compressible `data.json`): one would be written onto the other.
fn check_siblings<'a>(assets: &[Asset], mut siblings: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut outputs: std::collections::HashMap<&str, &Asset> = std::collections::HashMap::new();
    for asset in assets {
        outputs.insert(asset.name(), asset);
        outputs.insert(&asset.hashed_name, asset);
    }
    let Some((sibling, asset)) = siblings.find_map(|name| outputs.get(name).map(|asset| (name, *asset))) else {
        return Ok(());
    };
    let base = asset_contract::Encoding::of_sibling(sibling).map_or(sibling, |(base, _)| base);
    Err(Error::SiblingClash {
        path: asset.source.path.clone(),
        sibling: sibling.to_owned(),
        base: base.to_owned(),
    })
}

/// Writes the output folder: originals, then hashed copies (which may link
/// to them), then precompressed siblings, then the manifest.
fn write(
    config: &Config,
    output_dir: &Path,
    variants: &VariantCache,
    assets: &[Asset],
    compressed: &Compressed,
    manifest: &Manifest,
    written: &mut output::Written,
) -> Result<WriteStats> {
    let originals: Vec<OutFile<'_>> = assets
        .iter()
        .map(|a| OutFile {
            name: a.name(),
            content: Content::Copy(&a.source.path),
            md5: a.original.md5,
        })
        .collect();
    let hashed: Vec<OutFile<'_>> = assets
        .iter()
        .filter(|a| !a.is_prehashed())
        .map(|a| OutFile {
            name: &a.hashed_name,
            content: match &a.served.bytes {
                ServedBytes::Original => Content::Link(a.name()),
                // Rewritten to the same bytes: nothing it refers to moved.
                ServedBytes::Rewritten(_) if a.served.digest.md5 == a.original.md5 => Content::Link(a.name()),
                ServedBytes::Rewritten(bytes) => Content::Bytes(bytes),
                ServedBytes::NotRendered => Content::Current,
            },
            md5: a.served.digest.md5,
        })
        .collect();
    let sibling_files = compressed.siblings(assets, variants, written);
    check_siblings(assets, sibling_files.iter().map(|(name, _, _)| name.as_str()))?;
    let siblings: Vec<OutFile<'_>> = sibling_files
        .iter()
        .map(|(name, path, md5)| OutFile {
            name,
            content: path.as_deref().map_or(Content::Current, Content::Cached),
            md5: *md5,
        })
        .collect();
    output::write_tree(
        output_dir,
        &[&originals, &hashed, &siblings],
        &manifest.to_json(),
        written,
        config.hard_links,
    )
}

/// The generated files' paths.
struct Generated {
    rust: PathBuf,
    table: PathBuf,
    /// Empty: a build that writes the table writes no overlay.
    overlay: PathBuf,
    embed: Option<PathBuf>,
    /// With `embed`, when the embedded data must be written again: the
    /// output files it is made of, read once the output folder is written.
    embed_parts: Option<Vec<PathBuf>>,
    vite: Option<PathBuf>,
    importmap: Option<PathBuf>,
}

/// Writes the table (when its inputs changed) and the Rust file that
/// includes it (when its text changed); with `embed`, says which output
/// files the embedded data is to be made of, once they are written.
fn generate(
    config: &Config,
    out_dir: &Path,
    output_dir: &Path,
    sources: &[Source],
    (assets, pages): (&[Asset], Pages<'_>),
    compressed: &Compressed,
    (generated_key, generated_files, name_hash): (&mut Option<String>, &[(u64, u64)], &mut Option<NameHash>),
) -> Result<Generated> {
    let mut sorted: Vec<&Asset> = assets.iter().collect();
    sorted.sort_unstable_by(|a, b| a.name().cmp(b.name()));
    // The content type depends on the extension only.
    let mut content_types: FxHashMap<Option<&str>, String> = FxHashMap::default();
    for a in &sorted {
        let ext = extension(a.name());
        content_types.entry(ext).or_insert_with(|| content_type(a.name()));
    }
    // On all cores: megabytes of records at tens of thousands of assets.
    let entries: Vec<Entry<'_>> = sorted
        .par_iter()
        .map(|a| Entry {
            name: a.name(),
            hashed: &a.hashed_name,
            content_type: &content_types[&extension(a.name())],
            integrity: &a.served.digest.integrity,
            folder: a.source.folder,
            source: &a.name()[a.source.relative_start..],
            served: Representation {
                md5: a.served.digest.md5,
                size: a.served.size,
                variants: compressed.of(a.name(), &a.served.digest.md5).into(),
            },
            original: Representation {
                md5: a.original.md5,
                size: a.source.size,
                variants: compressed.of(a.name(), &a.original.md5).into(),
            },
        })
        .collect();
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io("create", out_dir, e))?;
    let rust = out_dir.join(&config.generated_file_name);
    let folders: Vec<PathBuf> = sources.iter().map(|s| s.dir.clone()).collect();
    let info = TableInfo {
        static_url: &config.static_url,
        output_dir,
        embed: config.embed,
        folders: &folders,
    };
    let paths = generate::data_paths(&rust);
    // With `embed`, the key spares an unchanged table the concatenation
    // of every output file. Without it, computing the key costs about a
    // third of computing the table, which is compared with the file
    // before it is written anyway: the table is computed every time.
    let key = config.embed.then(|| generate::key(&entries, &info, &paths.table));
    let mut embed_parts = None;
    // With the same key, the files must also be as the build that computed
    // it left them (not written since by a build killed before it saved
    // the cache).
    if key.is_none() || *generated_key != key || generated_stamps(&paths) != generated_files {
        let hash = NameHash::of(&entries, name_hash.take());
        let generated = generate::generate(&entries, &info, &hash);
        *name_hash = Some(hash);
        fs::update_in_place(&paths.table, &generated.table)?;
        if config.embed {
            embed_parts = Some(generated.embed);
        } else {
            let _ = std::fs::remove_file(&paths.embed);
        }
        *generated_key = key;
    }
    // Its records are in the table now.
    fs::write_if_changed(&paths.overlay, &[])?;
    // Small, and cheap to compute: written whenever their bytes change,
    // and removed when empty.
    let vite = write_data(&paths.vite, &generate::vite_data(pages.vite, &entries))?;
    let importmap = write_data(&paths.importmap, &generate::importmap_data(pages.pins, &entries))?;
    let includes = generate::Includes {
        embed: config.embed,
        vite: vite.is_some(),
        importmap: importmap.is_some(),
    };
    fs::write_if_changed(&rust, generate::rust(&rust, includes).as_bytes())?;
    Ok(Generated {
        rust,
        table: paths.table,
        overlay: paths.overlay,
        embed: config.embed.then_some(paths.embed),
        embed_parts,
        vite,
        importmap,
    })
}

/// What the pages of the app load besides single assets.
struct Pages<'a> {
    vite: &'a [prehashed::ViteEntry],
    /// Import-map pins: specifier, logical name.
    pins: &'a [(String, String)],
}

/// Writes `data` to `path` (when it changed), or removes `path` when
/// `data` is empty; the path if written.
fn write_data(path: &Path, data: &[u8]) -> Result<Option<PathBuf>> {
    if data.is_empty() {
        let _ = std::fs::remove_file(path);
        return Ok(None);
    }
    fs::write_if_changed(path, data)?;
    Ok(Some(path.to_owned()))
}

/// The extension of the file name as `Path::extension` sees it, which is
/// what the content type is chosen by.
fn extension(name: &str) -> Option<&str> {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rfind('.') {
        None | Some(0) => None,
        Some(dot) => Some(&file[dot + 1..]),
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
