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
//! the last build's records and whose bytes are needed after all. The memo
//! ([`crate::memo`]) is loaded before the stages and saved after; each
//! stage reads and returns its own part of it.
//!
//! Before the stages, the last build's ledger ([`crate::ledger`]) decides:
//! nothing changed (nothing to do), a few files edited (a [`patch`] of its
//! results), or the stages, and why. Every build that changes anything
//! writes the ledger last.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use asset_contract::{Manifest, content_type};
use md5::{Digest as _, Md5};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::asset::{Asset, ServedBytes};
use crate::cargo_directives;
use crate::collect::{self, Collected, Source};
use crate::compress::{self, Compressed};
use crate::config::Config;
use crate::dependency_assets::{self, DependencyAssets};
use crate::error::{Error, Result};
use crate::fs;
use crate::generate::{self, Entry, NameHash, Representation, TableInfo};
use crate::hash;
use crate::importmap;
use crate::ledger::{self, Ledger, Produced, Usable};
use crate::memo::{EarlySections, Loading, Memo};
use crate::output::{self, Content, OutFile, WriteStats};
use crate::patch;
use crate::prehashed;
use crate::rebuild::{Artifact, Reason, Rebuild, Unpatchable};
use crate::rewrite;
use crate::settings::Settings;
use crate::variant_cache::VariantCache;

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

/// The build: the shortcut if the last build's results need no stage,
/// else the stages; one [`Output`] either way.
fn run(config: &Config) -> Result<Output> {
    let started = now_ns();
    let settings = Settings::resolve(config)?;
    let out_dir = &settings.out_dir;
    let last = Ledger::load(out_dir);
    // A build that may patch the last one's results likely does not need
    // the memo: it is decoded only if it does.
    let patch_likely = settings.unpatchable.is_none() && last.as_ref().is_ok_and(|l| l.usable == Usable::Yes);
    let memo = Memo::load(out_dir, patch_likely);
    let cached = last.as_ref().ok().and_then(|l| l.dependency_assets.as_ref());
    let (sources, dependency_assets) = sources(&settings, cached)?;
    let collected = collect::collect(&sources, &settings.ignore, settings.links)?;
    let digests = digests(&settings, &sources, &collected.files);
    let found = Found {
        collected,
        digests,
        dependency_assets,
        started,
    };
    let summary = match shortcut(&settings, &last, &found) {
        Ok(summary) => {
            free_in_background(found);
            summary
        }
        Err(reason) => stages(&settings, memo, last.ok(), &sources, found, reason)?,
    };
    emit(&settings, &summary.warnings);
    Ok(output(&settings, summary))
}

/// What a build found before it decides: the files, the digests of what
/// the results depend on, `cargo metadata`'s answer, and when it started.
struct Found {
    collected: Collected,
    digests: Digests,
    dependency_assets: Option<DependencyAssets>,
    started: u64,
}

/// What a build did, which [`output()`] reports with the paths.
struct Summary {
    assets: usize,
    files_hashed: usize,
    files_rewritten: usize,
    files_compressed: usize,
    compress_seconds: f64,
    write: WriteStats,
    manifest_hash: String,
    rebuild: Rebuild,
    warnings: Vec<String>,
}

/// The one place an [`Output`] is made.
fn output(settings: &Settings<'_>, summary: Summary) -> Output {
    Output {
        output_dir: settings.output_dir.clone(),
        manifest_path: settings.manifest.clone(),
        generated_file: settings.rust.clone(),
        table_file: settings.data.table.clone(),
        embed_file: settings.config.embed.then(|| settings.data.embed.clone()),
        assets: summary.assets,
        files_hashed: summary.files_hashed,
        files_rewritten: summary.files_rewritten,
        files_compressed: summary.files_compressed,
        compress_seconds: summary.compress_seconds,
        write: summary.write,
        manifest_hash: summary.manifest_hash,
        rebuild: summary.rebuild,
        warnings: summary.warnings,
    }
}

/// The build without the stages, as the last build's ledger allows:
/// nothing to do, or a patch of its results; else why the stages must run.
fn shortcut(
    settings: &Settings<'_>,
    last: &std::result::Result<Ledger, Reason>,
    found: &Found,
) -> std::result::Result<Summary, Reason> {
    let last = last.as_ref().map_err(Reason::clone)?;
    let files = &found.collected.files;
    let digests = (found.digests.config, found.digests.setup);
    let changed = last.changed(settings, digests, files, patch::MAX_CHANGED)?;
    if changed.is_empty() {
        let mut warnings = last.warnings.clone();
        // `cargo metadata` ran again (a manifest was touched) and found
        // other folders' names the same: keep its answer for the next build.
        if last.dependency_assets != found.dependency_assets {
            let mut ledger = last.clone();
            ledger.dependency_assets.clone_from(&found.dependency_assets);
            save_ledger(&ledger, settings, &mut warnings);
        }
        return Ok(Summary {
            assets: files.len(),
            files_hashed: 0,
            files_rewritten: 0,
            files_compressed: 0,
            compress_seconds: 0.0,
            write: WriteStats {
                unchanged: last.outputs,
                ..WriteStats::default()
            },
            manifest_hash: last.manifest_hash.clone(),
            rebuild: Rebuild::Unchanged,
            warnings,
        });
    }
    if let Some(why) = settings.unpatchable {
        return Err(Reason::Unpatchable(why));
    }
    if let Usable::No(why) = last.usable {
        return Err(Reason::Unpatchable(why));
    }
    let patched = patch::patch(&patch::Inputs {
        settings,
        files,
        // The collection's warnings (name clashes) are found again by
        // every build; a build with others is not patched.
        warnings: &found.collected.warnings,
        last,
        changed,
        dependency_assets: &found.dependency_assets,
        started_ns: found.started,
    })?;
    Ok(Summary {
        assets: patched.assets,
        files_hashed: patched.hashed,
        files_rewritten: patched.rewritten,
        files_compressed: 0,
        compress_seconds: 0.0,
        write: patched.write,
        manifest_hash: patched.manifest_hash,
        rebuild: Rebuild::Patched,
        warnings: found.collected.warnings.clone(),
    })
}

/// Saves a ledger; a failure is a warning (the next build runs the stages).
fn save_ledger(ledger: &Ledger, settings: &Settings<'_>, warnings: &mut Vec<String>) {
    if let Err(e) = ledger.save(&settings.out_dir) {
        warnings.push(format!(
            "could not save the build's ledger in `{}` ({e}); the next build runs every stage",
            settings.out_dir.display()
        ));
    }
}

/// Runs the stages over every asset, and leaves what the next build
/// decides from: the memo, then the ledger.
fn stages(
    settings: &Settings<'_>,
    memo: Loading,
    last: Option<Ledger>,
    sources: &[Source],
    found: Found,
    reason: Reason,
) -> Result<Summary> {
    Ledger::mark_unfinished(last.as_ref(), &settings.out_dir);
    let mut memo = memo.wait();
    if let Some(last) = &last {
        memo.outputs.tree = last.output_tree.clone();
    }
    output::trust(&settings.output_dir, &mut memo.outputs);
    if let Some(last) = &last {
        last.hand_over(&settings.output_dir, &mut memo.outputs);
    }
    let Found {
        collected,
        digests,
        dependency_assets,
        started,
    } = found;
    let mut warnings = collected.warnings;
    let collection_warnings = warnings.len();
    let named = name(settings, &mut memo, collected.files, started, &mut warnings)?;
    let mut assets = named.assets;
    let compress_started = Instant::now();
    let (compressed, variants) = precompress(settings, &mut assets, &mut memo, &mut warnings)?;
    let compress_seconds = compress_started.elapsed().as_secs_f64();
    let manifest = Manifest::new(
        assets
            .iter()
            .map(|a| (a.name().to_owned(), a.hashed_name.clone()))
            .collect(),
    );
    let vite = named.prehashed.vite_entries(&mut warnings);
    let pages = Pages {
        vite: &vite,
        pins: &named.pins,
        chunks: &named.chunks,
    };
    let last_generated = [Artifact::Table, Artifact::Embedded].map(|a| last.as_ref().and_then(|l| l.stamp(a)));
    let compressed = (&compressed, &variants);
    let (early, write, generated) = write_and_generate(
        settings,
        sources,
        (&assets, pages),
        compressed,
        &manifest,
        (&mut memo, last_generated),
    )?;
    if let Err(e) = memo.save(&settings.out_dir, Some(early)) {
        warnings.push(format!(
            "could not save the build's memo in `{}` ({e}); the next build rehashes every file",
            settings.out_dir.display()
        ));
    }
    let patchable = match settings.unpatchable {
        Some(why) => Err(why),
        None if generated.vite => Err(Unpatchable::ViteEntries),
        None if generated.importmap => Err(Unpatchable::ImportMap),
        None if warnings.len() != collection_warnings => Err(Unpatchable::Warnings),
        None => Ok(()),
    };
    let ledger = Ledger::of_stages(Produced {
        settings,
        patchable,
        digests: (digests.config, digests.setup),
        assets: &assets,
        rewrites: &memo.rewrites,
        outputs: &memo.outputs,
        output_count: write.written + write.unchanged,
        artifacts: &generated.artifacts(settings),
        manifest_hash: &manifest.hash,
        warnings: &warnings,
        dependency_assets,
        started_ns: started,
    });
    save_ledger(&ledger, settings, &mut warnings);
    let summary = Summary {
        assets: assets.len(),
        files_hashed: named.hashed,
        files_rewritten: named.rewritten,
        files_compressed: compressed.0.computed,
        compress_seconds,
        write,
        manifest_hash: manifest.hash.clone(),
        rebuild: Rebuild::Stages(reason),
        warnings,
    };
    free_in_background((memo, assets, manifest, ledger));
    Ok(summary)
}

/// What the naming stages (hash, rewrite) give the stages after them.
struct NamedAssets {
    assets: Vec<Asset>,
    prehashed: prehashed::Prehashed,
    /// Import-map pins: specifier, logical name.
    pins: Vec<(String, String)>,
    /// Vite's chunk import maps: specifier, logical name.
    chunks: Vec<(String, String)>,
    /// Files read to hash them, and CSS/JS files rewritten.
    hashed: usize,
    rewritten: usize,
}

/// Marks the prehashed files, resolves the pins, hashes every file and
/// rewrites the CSS/JS: every asset named.
fn name(
    settings: &Settings<'_>,
    memo: &mut Memo,
    mut files: Vec<collect::SourceFile>,
    started: u64,
    warnings: &mut Vec<String>,
) -> Result<NamedAssets> {
    let prehashed = prehashed::mark(&mut files, &settings.prehashed)?;
    let pins = importmap::resolve(&settings.config.pins, files.iter().map(|f| f.name.as_str()))?;
    let chunks = prehashed.vite_chunk_map(warnings);
    importmap::check_chunks(&pins, &chunks)?;
    // The rewrite stage reads the CSS/JS files that are read here.
    let rewritten = |f: &collect::SourceFile| rewrite::kind_of(f).is_some();
    let (hashed, files_hashed) = hash::hash_all(files, &memo.sources, &settings.integrity_for, &rewritten)?;
    hash::update_stamps(&mut memo.sources, &hashed, started);
    let named = rewrite::rewrite_all(hashed, &settings.rewrite(), std::mem::take(&mut memo.rewrites))?;
    warnings.extend(named.warnings);
    memo.rewrites = named.records;
    Ok(NamedAssets {
        assets: named.assets,
        prehashed,
        pins,
        chunks,
        hashed: files_hashed,
        rewritten: named.rewritten,
    })
}

/// Precompresses what the variant cache does not hold yet, having the
/// rewrite stage render the bytes it needs; without precompression, the
/// build's own cache goes. The variants, and the cache they are in.
fn precompress(
    settings: &Settings<'_>,
    assets: &mut [Asset],
    memo: &mut Memo,
    warnings: &mut Vec<String>,
) -> Result<(Compressed, VariantCache)> {
    if !settings.precompress {
        // Nothing is compressed any more: a build's own cache goes too.
        settings.variants.trim(&Default::default(), false);
        memo.compressed.clear();
        render_needed(assets, &[], settings, memo)?;
        return Ok((Compressed::default(), settings.variants.clone()));
    }
    let variants = usable_variant_cache(settings, warnings);
    // Variants recorded with other settings are not this build's.
    let settings_key = compress::settings_key();
    if memo.compressed_with != settings_key {
        memo.compressed.clear();
        memo.compressed_with = settings_key;
    }
    let plan = compress::plan(assets, &variants, &memo.compressed, &memo.outputs, settings.config.zstd);
    if plan.damaged > 0 {
        warnings.push(format!(
            "{} entries of the compression cache `{}` did not match their records (damaged, or \
             written by someone else); they were compressed again and replaced",
            plan.damaged,
            variants.dir().display()
        ));
    }
    render_needed(assets, &plan.todo, settings, memo)?;
    let compressed = compress::compress_all(&variants, assets, plan, &mut memo.compressed)?;
    Ok((compressed, variants))
}

/// The variant cache configured, or the build's own in `OUT_DIR` if a
/// shared one cannot be used (with a warning saying why).
fn usable_variant_cache(settings: &Settings<'_>, warnings: &mut Vec<String>) -> VariantCache {
    let variants = settings.variants.clone();
    if !variants.is_shared() {
        return variants;
    }
    match variants.check_usable() {
        Ok(()) => variants,
        Err(why) => {
            warnings.push(format!(
                "cannot use the compression cache `{}` ({why}); compressing into `{}` instead \
                 (set ASSET_BUILD_CACHE_DIR to a folder of your own, or to `off`)",
                variants.dir().display(),
                settings.out_dir.display()
            ));
            VariantCache::local(&settings.out_dir, &compress::settings_key())
        }
    }
}

/// Writes the output folder and generates the table side by side (they
/// need each other's results only at the end), beside the encoding of the
/// cache's records that no longer change; then the embedded data, which
/// reads the written files.
fn write_and_generate(
    settings: &Settings<'_>,
    sources: &[Source],
    (assets, pages): (&[Asset], Pages<'_>),
    (compressed, variants): (&Compressed, &VariantCache),
    manifest: &Manifest,
    (memo, last_generated): (&mut Memo, [Option<(u64, u64)>; 2]),
) -> Result<(EarlySections, WriteStats, Generated)> {
    let Memo {
        sources: stamps,
        rewrites,
        outputs,
        generated_key,
        name_hash,
        ..
    } = memo;
    let (early, (write, generated)) = rayon::join(
        || EarlySections::encode(stamps, rewrites),
        || {
            rayon::join(
                || write(settings, assets, (compressed, variants), manifest, outputs),
                || {
                    let last = LastTable {
                        key: generated_key,
                        name_hash,
                        stamps: last_generated,
                    };
                    generate(settings, sources, (assets, pages), compressed, last)
                },
            )
        },
    );
    let (write, generated) = (write?, generated?);
    if let Some(parts) = &generated.embed_parts {
        fs::write_concatenated(&settings.data.embed, parts)?;
    }
    Ok((early, write, generated))
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

/// Prints the warnings as `cargo::warning=` lines from a build script.
fn emit(settings: &Settings<'_>, warnings: &[String]) {
    if settings.cargo_directives {
        for warning in warnings {
            cargo_directives::warning(warning);
        }
    }
}

/// What a build's result depends on, as digests.
struct Digests {
    /// This crate's version, what it generates, and the configuration as
    /// resolved.
    config: hash::Md5Digest,
    /// `config`, then every collected file's name and source folder, in
    /// collection order ([`ledger::setup`]).
    setup: hash::Md5Digest,
}

fn digests(settings: &Settings<'_>, sources: &[Source], files: &[collect::SourceFile]) -> Digests {
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
    hash::update_field(&mut h, format!("{:?}", settings.config).as_bytes());
    hash::update_field(&mut h, settings.out_dir.as_os_str().as_encoded_bytes());
    hash::update_field(&mut h, settings.output_dir.as_os_str().as_encoded_bytes());
    hash::update_field(&mut h, if settings.precompress { b"precompress" } else { b"" });
    hash::update_field(&mut h, settings.variants.dir().as_os_str().as_encoded_bytes());
    for source in sources {
        hash::update_field(&mut h, source.dir.as_os_str().as_encoded_bytes());
        hash::update_field(&mut h, source.prefix.as_bytes());
    }
    let config: hash::Md5Digest = h.finalize().into();
    Digests {
        config,
        setup: ledger::setup(config, files),
    }
}

/// The source folders, the app's then its dependencies', and `cargo
/// metadata`'s answer about the latter (`cached` if it still holds);
/// prints what cargo must watch.
fn sources(
    settings: &Settings<'_>,
    cached: Option<&DependencyAssets>,
) -> Result<(Vec<Source>, Option<DependencyAssets>)> {
    let config = settings.config;
    let package_dir = &settings.package_dir;
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
    let mut found = None;
    if config.dependency_assets {
        let deps = dependency_assets::find_cached(package_dir, cached)?;
        watch.extend(deps.sources.iter().map(|s| s.dir.clone()));
        watch.extend(deps.watch.iter().cloned());
        sources.extend(deps.sources.iter().cloned());
        found = Some(deps);
    }
    if settings.cargo_directives {
        for path in &watch {
            cargo_directives::rerun_if_changed(path)?;
        }
        cargo_directives::rerun_if_env_changed(EXPLAIN_VAR);
    }
    Ok((sources, found))
}

/// Has the rewrite stage render the CSS/JS files named from the last
/// build's records whose bytes are needed after all: to compress them
/// (`todo`), or because their output is missing or changed.
fn render_needed(assets: &mut [Asset], todo: &[compress::Todo], settings: &Settings<'_>, memo: &Memo) -> Result<()> {
    let unrendered: Vec<usize> = (0..assets.len())
        .filter(|&i| matches!(assets[i].served.bytes, ServedBytes::NotRendered))
        .collect();
    let outputs: Vec<(&str, hash::Md5Digest)> = unrendered
        .iter()
        .map(|&i| (assets[i].hashed_name.as_str(), assets[i].served.digest.md5))
        .collect();
    let stale = output::stale(&settings.output_dir, &outputs, &memo.outputs);
    let mut needed: Vec<usize> = unrendered
        .iter()
        .zip(stale)
        .filter(|(_, s)| *s)
        .map(|(&i, _)| i)
        .collect();
    needed.extend(todo.iter().filter(|t| t.served).map(|t| t.asset));
    rewrite::render_needed(assets, &needed, &settings.rewrite())
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
    settings: &Settings<'_>,
    assets: &[Asset],
    (compressed, variants): (&Compressed, &VariantCache),
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
        &settings.output_dir,
        &[&originals, &hashed, &siblings],
        &manifest.to_json(),
        written,
        settings.config.hard_links,
    )
}

/// What generating the table left to do, and which data files it wrote.
struct Generated {
    /// With `embed`, when the embedded data must be written again: the
    /// output files it is made of, read once the output folder is written.
    embed_parts: Option<Vec<PathBuf>>,
    /// Whether the Vite entries and the import map were written (they are
    /// removed when empty).
    vite: bool,
    importmap: bool,
}

impl Generated {
    /// The files the build wrote beside the output folder.
    fn artifacts(&self, settings: &Settings<'_>) -> Vec<Artifact> {
        [
            Some(Artifact::RustFile),
            Some(Artifact::Table),
            Some(Artifact::Overlay),
            Some(Artifact::Manifest),
            settings.config.embed.then_some(Artifact::Embedded),
            self.vite.then_some(Artifact::ViteEntries),
            self.importmap.then_some(Artifact::ImportMap),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// What the last build left of the table: the key of its inputs and the
/// perfect hash of its names (in the memo), and the stamps the table and
/// the embedded data had (in the ledger).
struct LastTable<'a> {
    key: &'a mut Option<String>,
    name_hash: &'a mut Option<NameHash>,
    stamps: [Option<(u64, u64)>; 2],
}

/// Writes the table (when its inputs changed) and the Rust file that
/// includes it (when its text changed); with `embed`, says which output
/// files the embedded data is to be made of, once they are written.
fn generate(
    settings: &Settings<'_>,
    sources: &[Source],
    (assets, pages): (&[Asset], Pages<'_>),
    compressed: &Compressed,
    last: LastTable<'_>,
) -> Result<Generated> {
    let config = settings.config;
    let content_types = content_types(assets);
    let entries = entries(assets, &content_types, compressed);
    let out_dir = &settings.out_dir;
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io("create", out_dir, e))?;
    let folders: Vec<PathBuf> = sources.iter().map(|s| s.dir.clone()).collect();
    let info = TableInfo {
        static_url: &config.static_url,
        output_dir: &settings.output_dir,
        embed: config.embed,
        folders: &folders,
    };
    let paths = &settings.data;
    // With `embed`, the key spares an unchanged table the concatenation
    // of every output file. Without it, computing the key costs about a
    // third of computing the table, which is compared with the file
    // before it is written anyway: the table is computed every time.
    let key = config.embed.then(|| generate::key(&entries, &info, &paths.table));
    let mut embed_parts = None;
    // With the same key, the files must also be as the build that computed
    // it left them (not written since by a build killed before it saved
    // the cache).
    let stamps = [
        fs::stamp(&paths.table),
        fs::stamp(&paths.embed).filter(|_| config.embed),
    ];
    if key.is_none() || *last.key != key || stamps != last.stamps {
        let hash = NameHash::of(&entries, last.name_hash.take());
        let generated = generate::generate(&entries, &info, &hash);
        *last.name_hash = Some(hash);
        fs::update_in_place(&paths.table, &generated.table)?;
        if config.embed {
            embed_parts = Some(generated.embed);
        } else {
            let _ = std::fs::remove_file(&paths.embed);
        }
        *last.key = key;
    }
    // Its records are in the table now.
    fs::write_if_changed(&paths.overlay, &[])?;
    // Small, and cheap to compute: written whenever their bytes change,
    // and removed when empty.
    let vite = write_data(&paths.vite, &generate::vite_data(pages.vite, &entries))?;
    let importmap = write_data(
        &paths.importmap,
        &generate::importmap_data(pages.pins, pages.chunks, &entries),
    )?;
    let includes = generate::Includes {
        embed: config.embed,
        vite,
        importmap,
    };
    fs::write_if_changed(&settings.rust, generate::rust(&settings.rust, includes).as_bytes())?;
    Ok(Generated {
        embed_parts,
        vite,
        importmap,
    })
}

/// Each asset's content type, by extension (the content type depends on
/// the extension only).
fn content_types(assets: &[Asset]) -> FxHashMap<Option<&str>, String> {
    let mut content_types = FxHashMap::default();
    for a in assets {
        content_types
            .entry(extension(a.name()))
            .or_insert_with(|| content_type(a.name()));
    }
    content_types
}

/// The table's entries, sorted by name: on all cores, megabytes of
/// records at tens of thousands of assets.
fn entries<'a>(
    assets: &'a [Asset],
    content_types: &'a FxHashMap<Option<&str>, String>,
    compressed: &Compressed,
) -> Vec<Entry<'a>> {
    let mut sorted: Vec<&Asset> = assets.iter().collect();
    sorted.sort_unstable_by(|a, b| a.name().cmp(b.name()));
    sorted
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
        .collect()
}

/// What the pages of the app load besides single assets.
struct Pages<'a> {
    vite: &'a [prehashed::ViteEntry],
    /// Import-map pins: specifier, logical name.
    pins: &'a [(String, String)],
    /// Vite's chunk import maps: specifier, logical name.
    chunks: &'a [(String, String)],
}

/// Writes `data` to `path` (when it changed), or removes `path` when
/// `data` is empty; whether it is written.
fn write_data(path: &Path, data: &[u8]) -> Result<bool> {
    if data.is_empty() {
        let _ = std::fs::remove_file(path);
        return Ok(false);
    }
    fs::write_if_changed(path, data)?;
    Ok(true)
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
