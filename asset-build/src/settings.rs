//! A build's configuration, resolved once: the paths it reads and writes,
//! whether it precompresses and where it caches variants, which files it
//! skips, and how it rewrites references. Every stage receives this one
//! value; none reads the environment or resolves an option again.

use std::path::{Path, PathBuf};

use asset_contract::MANIFEST_NAME;
use globset::GlobSet;

use crate::collect::{self, Ignore, Links};
use crate::compress;
use crate::config::Config;
use crate::error::Result;
use crate::generate::{self, DataPaths};
use crate::hash::IntegrityFor;
use crate::rebuild::{Artifact, Unpatchable};
use crate::references::Patterns;
use crate::rewrite::RewriteOptions;
use crate::variant_cache::{self, VariantCache};

/// A build's configuration, resolved.
pub(crate) struct Settings<'a> {
    /// The options as the user gave them.
    pub(crate) config: &'a Config,
    /// The package whose build script runs.
    pub(crate) package_dir: PathBuf,
    pub(crate) out_dir: PathBuf,
    /// The folder of originals, hashed copies and `staticfiles.json`.
    pub(crate) output_dir: PathBuf,
    /// `staticfiles.json` in it.
    pub(crate) manifest: PathBuf,
    /// The generated Rust file.
    pub(crate) rust: PathBuf,
    /// The data files beside it.
    pub(crate) data: DataPaths,
    /// Whether precompressed siblings are written.
    pub(crate) precompress: bool,
    /// Why the results cannot be patched, when the configuration says so.
    pub(crate) unpatchable: Option<Unpatchable>,
    /// Where the variants are cached, as configured.
    pub(crate) variants: VariantCache,
    pub(crate) ignore: Ignore,
    /// Files whose names already carry a hash (`Config::prehashed`).
    pub(crate) prehashed: GlobSet,
    pub(crate) integrity_for: IntegrityFor,
    pub(crate) links: Links,
    /// The reference patterns of the rules and options chosen.
    pub(crate) patterns: Patterns,
    /// Whether `cargo::` lines are printed.
    pub(crate) cargo_directives: bool,
}

impl<'a> Settings<'a> {
    /// Resolves `config`: the environment cargo gives a build script fills
    /// what the configuration leaves unset. A bad glob is an error.
    pub(crate) fn resolve(config: &'a Config) -> Result<Settings<'a>> {
        let out_dir = config.resolved_out_dir()?;
        let output_dir = config.resolved_output_dir(&out_dir)?;
        let rust = out_dir.join(&config.generated_file_name);
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
        let settings = compress::settings_key();
        let variants = match &config.compression_cache {
            None => VariantCache::from_env(&out_dir, &settings),
            Some(Some(dir)) => VariantCache::shared(dir.clone(), variant_cache::DEFAULT_LIMIT, &settings),
            Some(None) => VariantCache::local(&out_dir, &settings),
        };
        Ok(Settings {
            config,
            package_dir: config.resolved_package_dir()?,
            manifest: output_dir.join(MANIFEST_NAME),
            data: generate::data_paths(&rust),
            rust,
            out_dir,
            output_dir,
            precompress,
            unpatchable,
            variants,
            ignore: collect::ignore_set(&config.ignore, config.default_ignore)?,
            prehashed: collect::glob_set("prehashed", &config.prehashed)?,
            integrity_for: IntegrityFor::new(collect::glob_set("integrity", &config.integrity)?),
            links: if config.follow_links_outside {
                Links::Anywhere
            } else {
                Links::StayInside
            },
            patterns: Patterns::new(config.js_module_imports, config.rules),
            cargo_directives: config.emits_cargo_directives(),
        })
    }

    /// Where `artifact` is (the output folder itself for
    /// [`Artifact::OutputFolder`]).
    pub(crate) fn artifact(&self, artifact: Artifact) -> &Path {
        match artifact {
            Artifact::Table => &self.data.table,
            Artifact::Overlay => &self.data.overlay,
            Artifact::Manifest => &self.manifest,
            Artifact::RustFile => &self.rust,
            Artifact::Embedded => &self.data.embed,
            Artifact::ViteEntries => &self.data.vite,
            Artifact::ImportMap => &self.data.importmap,
            Artifact::OutputFolder => &self.output_dir,
        }
    }

    /// How CSS/JS references are rewritten.
    pub(crate) fn rewrite(&self) -> RewriteOptions<'_> {
        RewriteOptions {
            patterns: &self.patterns,
            static_url: &self.config.static_url,
            lenient: self.config.lenient_references,
        }
    }
}
