//! The builder: where assets come from, what is skipped, where output goes.

use std::path::{Path, PathBuf};

use crate::collect::Source;
use crate::error::{Error, Result};
use crate::importmap::Pin;
use crate::references::Rules;

/// Configuration of an asset build; [`build`](Config::build) runs it.
///
/// ```no_run
/// // build.rs
/// fn main() {
///     asset_build::Config::new()
///         .source("assets")
///         .source_with_prefix("vendor", "node_modules/bootstrap/dist")
///         .ignore("*.scss")
///         .build()
///         .unwrap_or_else(asset_build::fail);
/// }
/// ```
///
/// Every option, with its default:
///
/// | method | default |
/// | --- | --- |
/// | [`source`](Config::source), [`source_with_prefix`](Config::source_with_prefix) | none; [`build()`](crate::build) uses one folder |
/// | [`ignore`](Config::ignore) | `.*`, `*~`, `CVS` (see [`default_ignore`](Config::default_ignore)) |
/// | [`prehashed`](Config::prehashed) | none; Vite's output and `*-<digest>.digested.*` are recognized anyway |
/// | [`integrity`](Config::integrity) | stylesheets and scripts (`.css`, `.js`, `.mjs`) only |
/// | [`pin`](Config::pin), [`pin_all_from`](Config::pin_all_from) | no import map |
/// | [`dependency_assets`](Config::dependency_assets) | `true` |
/// | [`static_url`](Config::static_url) | `/static/` |
/// | [`js_module_imports`](Config::js_module_imports) | `false` |
/// | [`rules`](Config::rules) | [`Rules::Django52`] |
/// | [`lenient_references`](Config::lenient_references) | `false` |
/// | [`hard_links`](Config::hard_links) | `true` |
/// | [`follow_links_outside`](Config::follow_links_outside) | `false` |
/// | [`precompress`](Config::precompress) | on in release builds |
/// | [`zstd`](Config::zstd) | `false` |
/// | [`compression_cache`](Config::compression_cache) | `$ASSET_BUILD_CACHE_DIR`, else the user's cache folder |
/// | [`embed`](Config::embed) | `false` |
/// | [`output_dir`](Config::output_dir) | `target/<profile>/static/<package>/` |
/// | [`out_dir`](Config::out_dir) | `$OUT_DIR` |
/// | [`package_dir`](Config::package_dir) | `$CARGO_MANIFEST_DIR` |
/// | [`generated_file_name`](Config::generated_file_name) | `assets.rs` |
/// | [`cargo_directives`](Config::cargo_directives) | on when run from a build script |
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) sources: Vec<Source>,
    pub(crate) ignore: Vec<String>,
    pub(crate) default_ignore: bool,
    pub(crate) prehashed: Vec<String>,
    pub(crate) integrity: Vec<String>,
    pub(crate) pins: Vec<Pin>,
    pub(crate) dependency_assets: bool,
    pub(crate) static_url: String,
    pub(crate) js_module_imports: bool,
    pub(crate) rules: Rules,
    pub(crate) lenient_references: bool,
    pub(crate) hard_links: bool,
    pub(crate) follow_links_outside: bool,
    pub(crate) precompress: Option<bool>,
    pub(crate) zstd: bool,
    /// `None`: from the environment; `Some(None)`: the build's own cache.
    pub(crate) compression_cache: Option<Option<PathBuf>>,
    pub(crate) embed: bool,
    pub(crate) output_dir: Option<PathBuf>,
    pub(crate) out_dir: Option<PathBuf>,
    pub(crate) package_dir: Option<PathBuf>,
    pub(crate) package_name: Option<String>,
    pub(crate) generated_file_name: String,
    pub(crate) cargo_directives: Option<bool>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// A configuration with no source folders and every default.
    pub fn new() -> Self {
        Config {
            sources: Vec::new(),
            ignore: Vec::new(),
            default_ignore: true,
            prehashed: Vec::new(),
            integrity: Vec::new(),
            pins: Vec::new(),
            dependency_assets: true,
            static_url: "/static/".to_owned(),
            js_module_imports: false,
            rules: Rules::Django52,
            lenient_references: false,
            hard_links: true,
            follow_links_outside: false,
            precompress: None,
            zstd: false,
            compression_cache: None,
            embed: false,
            output_dir: None,
            out_dir: None,
            package_dir: None,
            package_name: None,
            generated_file_name: "assets.rs".to_owned(),
            cargo_directives: None,
        }
    }

    /// Adds a folder of assets, relative to the package directory. Its files
    /// keep their path inside the folder as their name: `assets/css/a.css`
    /// is `css/a.css`.
    ///
    /// Folders are searched in the order they are added; when two hold a
    /// file of the same name, the first wins and the clash is reported as a
    /// warning, as Django's finders do.
    pub fn source(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.source_with_prefix("", dir)
    }

    /// Adds a folder whose files are named under `prefix`:
    /// `.source_with_prefix("vendor", "node_modules/bootstrap/dist")` makes
    /// `node_modules/bootstrap/dist/css/bootstrap.css` into
    /// `vendor/css/bootstrap.css`.
    pub fn source_with_prefix(&mut self, prefix: &str, dir: impl AsRef<Path>) -> &mut Self {
        self.sources.push(Source {
            dir: dir.as_ref().to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            // The package's folder, once it is known (see `pipeline`).
            package: PathBuf::new(),
        });
        self
    }

    /// Skips files and folders matching a glob (`*` also matches `/`), tried
    /// against both the file name and the path inside the source folder, as
    /// `collectstatic --ignore`.
    pub fn ignore(&mut self, pattern: &str) -> &mut Self {
        self.ignore.push(pattern.to_owned());
        self
    }

    /// Whether to skip [`DEFAULT_IGNORE`](crate::DEFAULT_IGNORE) (`.*`, `*~`, `CVS`) too. On by default.
    pub fn default_ignore(&mut self, on: bool) -> &mut Self {
        self.default_ignore = on;
        self
    }

    /// Takes files matching a glob (tried against the logical name, `*`
    /// also matching `/`) as already content-hashed, the output of a
    /// bundler other than Vite for example: they are collected under their
    /// own names, never renamed and never rewritten, and served and
    /// uploaded as immutable. References to them from other CSS and JS
    /// still resolve.
    ///
    /// Needed for no Vite build (a folder holding `.vite/manifest.json` is
    /// recognized: every file the manifest lists is taken as hashed) and
    /// for no name in Propshaft's convention, `name-<digest>.digested.js`.
    ///
    /// ```no_run
    /// asset_build::Config::new()
    ///     .source("frontend/dist")
    ///     .prehashed("chunks/*")
    ///     .build()
    ///     .unwrap_or_else(asset_build::fail);
    /// ```
    pub fn prehashed(&mut self, pattern: &str) -> &mut Self {
        self.prehashed.push(pattern.to_owned());
        self
    }

    /// Also gives an integrity value (`sha384-…`, from
    /// [`Asset::integrity`](https://docs.rs/asset-runtime)) to the files
    /// matching a glob (tried against the logical name, `*` also matching
    /// `/`). Stylesheets and scripts (`.css`, `.js`, `.mjs`) always have
    /// one: they are what a page loads with an `integrity` attribute. The
    /// others' is empty unless a glob names them, so that a build does not
    /// spend a SHA-384 of every image and font: name them if a page
    /// preloads them with `integrity`, or fetches them with `fetch(url, {
    /// integrity })`.
    ///
    /// ```no_run
    /// asset_build::Config::new()
    ///     .source("assets")
    ///     .integrity("fonts/*.woff2")
    ///     .build()
    ///     .unwrap_or_else(asset_build::fail);
    /// ```
    pub fn integrity(&mut self, pattern: &str) -> &mut Self {
        self.integrity.push(pattern.to_owned());
        self
    }

    /// Pins a JS module in the app's import map: the browser then loads
    /// `name` (a logical name, `js/app.js`) for `import "specifier"`. The
    /// runtime renders the map and its `modulepreload` links
    /// (`ASSETS.import_map().tags()`); see [`pin_all_from`](Config::pin_all_from).
    ///
    /// A pin whose module is not collected stops the build with an error
    /// naming it.
    ///
    /// ```no_run
    /// asset_build::Config::new()
    ///     .source("assets")
    ///     .pin("app", "js/app.js")
    ///     .pin_all_from("js/controllers", "controllers")
    ///     .build()
    ///     .unwrap_or_else(asset_build::fail);
    /// ```
    pub fn pin(&mut self, specifier: &str, name: &str) -> &mut Self {
        self.pins.push(Pin::One {
            specifier: specifier.to_owned(),
            name: name.to_owned(),
        });
        self
    }

    /// Pins every `.js` and `.mjs` file under `folder` (logical names,
    /// `js/controllers`) as importmap-rails does: `js/controllers/hello.js`
    /// under the specifier `controllers/hello` when `under` is
    /// `controllers`, and an `index.js` as its folder's specifier. A later
    /// pin of the same specifier replaces an earlier one; a folder with no
    /// module stops the build with an error naming it.
    pub fn pin_all_from(&mut self, folder: &str, under: &str) -> &mut Self {
        self.pins.push(Pin::Folder {
            folder: folder.trim_matches('/').to_owned(),
            under: under.trim_matches('/').to_owned(),
        });
        self
    }

    /// Whether to collect assets that dependency crates declare with
    /// `[package.metadata.assets] dir = "static"` in their Cargo.toml. They
    /// come after this package's own folders. On by default; it runs
    /// `cargo metadata`.
    pub fn dependency_assets(&mut self, on: bool) -> &mut Self {
        self.dependency_assets = on;
        self
    }

    /// URL prefix of the assets (Django's `STATIC_URL`), `/static/` by
    /// default. Absolute references inside CSS/JS that start with it are
    /// rewritten; it is also the default base of generated URLs.
    pub fn static_url(&mut self, url: &str) -> &mut Self {
        let mut url = url.to_owned();
        if !url.ends_with('/') {
            url.push('/');
        }
        self.static_url = url;
        self
    }

    /// Also rewrite ES module `import ... from "./x.js"`, `export ... from`,
    /// `import "./x.js"` and `import("./x.js")` in JS files, as Django's
    /// `support_js_module_import_aggregation`. Off by default.
    pub fn js_module_imports(&mut self, on: bool) -> &mut Self {
        self.js_module_imports = on;
        self
    }

    /// Which version of Django's reference rules to follow:
    /// [`Rules::Django52`] (the default) or [`Rules::Django61`], where
    /// references inside CSS and JS comments and string literals are
    /// skipped and `url()` quotes must match, so a commented-out
    /// `url(old.png)` or a Tailwind escape such as
    /// `.tw\:bg-\[url\(\'x\'\)\]` no longer stops the build. The names and
    /// bytes are those Django 6.1's `collectstatic` gives.
    ///
    /// ```no_run
    /// asset_build::Config::new()
    ///     .source("assets")
    ///     .rules(asset_build::Rules::Django61)
    ///     .build()
    ///     .unwrap_or_else(asset_build::fail);
    /// ```
    pub fn rules(&mut self, rules: Rules) -> &mut Self {
        self.rules = rules;
        self
    }

    /// Turn a reference to a missing file into a warning that leaves the
    /// reference as it is, instead of an error. Off by default.
    pub fn lenient_references(&mut self, on: bool) -> &mut Self {
        self.lenient_references = on;
        self
    }

    /// Make the hashed copy of a file that is not rewritten a hard link to
    /// its collected original, which saves a copy. On by default; falls back
    /// to a copy where links are not supported.
    pub fn hard_links(&mut self, on: bool) -> &mut Self {
        self.hard_links = on;
        self
    }

    /// Follow symbolic links in asset folders wherever they lead. Off by
    /// default: a link to a folder outside the package (or its workspace),
    /// such as `assets/keys -> ~/.ssh`, is an error naming the link and its
    /// target, so nothing from elsewhere is published without being asked
    /// for. Links that stay inside are followed either way, and so is a
    /// folder this configuration names, wherever it leads.
    pub fn follow_links_outside(&mut self, on: bool) -> &mut Self {
        self.follow_links_outside = on;
        self
    }

    /// Write Brotli (quality 11) and gzip (level 9, no timestamp) siblings,
    /// `name.ext.br` and `name.ext.gz`, of every file of a compressible type
    /// (not images, fonts, archives, audio or video), each kept only if at
    /// least 5% smaller. Cached by content hash (see
    /// [`compression_cache`](Config::compression_cache)). By default on in
    /// release builds (`PROFILE=release`) and off otherwise.
    pub fn precompress(&mut self, on: bool) -> &mut Self {
        self.precompress = Some(on);
        self
    }

    /// When precompressing, also write zstd siblings, `name.ext.zst`
    /// (level 19, a window of at most 8 MiB as browsers require), kept by
    /// the same rule: only if Brotli paid and the zstd file is at least 5%
    /// smaller. `asset-runtime`'s server sends them with
    /// `Content-Encoding: zstd` to clients that prefer zstd to gzip, and
    /// `asset-sync` uploads them. Off by default.
    ///
    /// zstd costs about a fifth of Brotli's compression time, and its files
    /// are larger than Brotli's and smaller than gzip's; cached by content
    /// like the others, so turning it on later compresses only the zstd
    /// variants.
    pub fn zstd(&mut self, on: bool) -> &mut Self {
        self.zstd = on;
        self
    }

    /// Compile every collected file (and its precompressed siblings) into the
    /// binary, so `asset-runtime`'s server answers from memory and the
    /// binary needs no asset folder at run time. Off by default.
    pub fn embed(&mut self, on: bool) -> &mut Self {
        self.embed = on;
        self
    }

    /// Where precompressed variants are cached, by content: a folder shared
    /// by every build that uses it, or `None` for one in `OUT_DIR` that
    /// only this build uses. By default `$ASSET_BUILD_CACHE_DIR` (`off` for
    /// `None`), else `asset-build` in the user's cache folder
    /// (`~/.cache/asset-build` on Linux), bounded by
    /// `$ASSET_BUILD_CACHE_SIZE` (2 GiB by default).
    pub fn compression_cache(&mut self, dir: Option<PathBuf>) -> &mut Self {
        self.compression_cache = Some(dir);
        self
    }

    /// Where the collected files and `staticfiles.json` go. By default
    /// `<target dir>/<profile>/static/<package name>/`, found from `OUT_DIR`.
    pub fn output_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.output_dir = Some(dir.into());
        self
    }

    /// Where the generated Rust file, the ledger and the memo go; `$OUT_DIR` by
    /// default.
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The directory relative source folders are resolved against, and
    /// whose Cargo.toml is read for dependency assets;
    /// `$CARGO_MANIFEST_DIR` by default.
    pub fn package_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.package_dir = Some(dir.into());
        self
    }

    /// The package name used in the default output folder;
    /// `$CARGO_PKG_NAME` by default.
    pub fn package_name(&mut self, name: &str) -> &mut Self {
        self.package_name = Some(name.to_owned());
        self
    }

    /// File name of the generated Rust file in the out dir, `assets.rs` by
    /// default. Include another name with `include_assets!("name.rs")`.
    pub fn generated_file_name(&mut self, name: &str) -> &mut Self {
        self.generated_file_name = name.to_owned();
        self
    }

    /// Whether to print `cargo::rerun-if-changed`, `cargo::warning` and
    /// `cargo::error` lines. By default, on when run from a build script.
    pub fn cargo_directives(&mut self, on: bool) -> &mut Self {
        self.cargo_directives = Some(on);
        self
    }

    pub(crate) fn emits_cargo_directives(&self) -> bool {
        self.cargo_directives
            .unwrap_or_else(crate::cargo_directives::in_build_script)
    }

    pub(crate) fn resolved_package_dir(&self) -> Result<PathBuf> {
        match &self.package_dir {
            Some(dir) => Ok(dir.clone()),
            None => env_path("CARGO_MANIFEST_DIR"),
        }
    }

    pub(crate) fn resolved_out_dir(&self) -> Result<PathBuf> {
        match &self.out_dir {
            Some(dir) => Ok(dir.clone()),
            None => env_path("OUT_DIR"),
        }
    }

    pub(crate) fn resolved_output_dir(&self, out_dir: &Path) -> Result<PathBuf> {
        if let Some(dir) = &self.output_dir {
            return Ok(dir.clone());
        }
        let package = match &self.package_name {
            Some(name) => name.clone(),
            None => std::env::var("CARGO_PKG_NAME").map_err(|_| Error::NotInBuildScript("CARGO_PKG_NAME"))?,
        };
        Ok(asset_contract::folder::default_output_dir(out_dir, &package))
    }
}

fn env_path(var: &'static str) -> Result<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .ok_or(Error::NotInBuildScript(var))
}
