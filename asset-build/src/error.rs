//! The error type: one variant per thing that can go wrong, each naming the
//! file, line or setting at fault and what to do about it.

use std::path::PathBuf;

/// Everything that stops a build.
///
/// Every message is a single paragraph meant for a person: it names the
/// path (and, for references, the line and the text) and says how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configured source folder does not exist or is not a folder.
    #[error(
        "asset folder `{}` does not exist or is not a folder: create it, or remove it from the \
         asset-build configuration",
        .dir.display()
    )]
    MissingSource {
        /// The folder, resolved against the package's directory.
        dir: PathBuf,
    },

    /// Reading or writing a file failed.
    #[error("could not {action} `{}`: {source}", .path.display())]
    Io {
        /// What was being done: "read", "write", "list", ...
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A file name is not valid UTF-8, so it cannot become a URL.
    #[error(
        "the file name `{}` is not valid UTF-8: asset names become URLs and must be UTF-8; \
         rename the file or exclude it with `.ignore(..)`",
        .path.display()
    )]
    NonUtf8Name {
        /// The file.
        path: PathBuf,
    },

    /// A CSS or JS file is not valid UTF-8 text.
    #[error(
        "`{name}` ({}) is not valid UTF-8: CSS and JS files are rewritten as text; save it as \
         UTF-8 or exclude it with `.ignore(..)`",
        .path.display()
    )]
    NotUtf8 {
        /// The logical name.
        name: String,
        /// The source file.
        path: PathBuf,
    },

    /// A reference inside a CSS or JS file names a file that is not an asset.
    #[error(
        "`{file}` line {line}: `{matched}` refers to `{resolved}`, which is not a collected \
         asset: fix the reference, add the file to an asset folder, or build with \
         `.lenient_references(true)` to leave such references as they are, with a warning"
    )]
    MissingReference {
        /// The logical name of the CSS or JS file.
        file: String,
        /// 1-based line of the reference.
        line: usize,
        /// The text that matched, for example `url("../img/logo.png")`.
        matched: String,
        /// The logical name the reference resolved to.
        resolved: String,
    },

    /// CSS/JS files refer to each other in a circle.
    #[error(
        "reference cycle: {}. A file's hashed name depends on the hashed names of the files it \
         refers to, so files cannot refer to each other in a circle: remove one of these \
         references",
        .chain.join(" → ")
    )]
    Cycle {
        /// The files of the cycle, the first repeated at the end.
        chain: Vec<String>,
    },

    /// An ignore or prehashed pattern is not a valid glob.
    #[error("{option} pattern `{pattern}` is not a valid glob: {source}")]
    BadGlob {
        /// The option it was given to: `ignore` or `prehashed`.
        option: &'static str,
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        #[source]
        source: globset::Error,
    },

    /// A `.vite/manifest.json` is not a Vite manifest.
    #[error(
        "`{}` is not a valid Vite manifest ({message}): run `vite build` again, or skip the \
         folder with `.ignore(..)`",
        .manifest.display()
    )]
    BadViteManifest {
        /// The manifest file.
        manifest: PathBuf,
        /// What is wrong, with its line and column.
        message: String,
    },

    /// Vite's `importmap.json` (`build.chunkImportMap`) is malformed or
    /// maps to a file its manifest does not list.
    #[error(
        "`{}` is not a valid Vite import map ({message}): run `vite build` again, or skip the \
         folder with `.ignore(..)`",
        .path.display()
    )]
    BadViteImportMap {
        /// The import map file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// An import-map pin and a Vite chunk use the same specifier.
    #[error(
        "import-map specifier `{specifier}` is pinned to `{pin}` and is also Vite's chunk \
         specifier for `{chunk}` (build.chunkImportMap): a page has one import map, so rename \
         the pin"
    )]
    ImportMapConflict {
        /// The specifier.
        specifier: String,
        /// The logical name pinned.
        pin: String,
        /// The logical name of Vite's chunk.
        chunk: String,
    },

    /// A Vite manifest lists a file that is not in its output folder.
    #[error(
        "`{}`: entry `{entry}` lists `{file}`, which is not in the Vite output folder (or is \
         ignored): the manifest is older than the files beside it; run `vite build` again",
        .manifest.display()
    )]
    ViteFileMissing {
        /// The manifest file.
        manifest: PathBuf,
        /// The key of the manifest entry.
        entry: String,
        /// The path it lists, relative to the output folder.
        file: String,
    },

    /// An import-map pin names a module that is not collected.
    #[error(
        "import-map pin `{specifier}` names `{name}`, which is not a collected asset: give the \
         logical name of a JS file (relative to an asset folder, like `js/app.js`), or add the \
         file"
    )]
    PinMissing {
        /// The specifier pinned.
        specifier: String,
        /// The logical name it names.
        name: String,
    },

    /// `pin_all_from` names a folder that holds no `.js` or `.mjs` file.
    #[error(
        "import-map folder `{folder}` (pin_all_from) holds no collected `.js` or `.mjs` file: give \
         a folder of logical names (relative to an asset folder, like `js/controllers`), or \
         remove the pin"
    )]
    PinMatchesNothing {
        /// The folder, as given.
        folder: String,
    },

    /// `cargo metadata` failed, so dependency crates' assets could not be found.
    #[error(
        "could not list dependency crates with `cargo metadata` ({0}): fix the error above, or \
         turn off dependency assets with `.dependency_assets(false)`"
    )]
    Metadata(String),

    /// A dependency crate's `[package.metadata.assets]` table is malformed.
    #[error(
        "crate `{package}` ({}) has an invalid `[package.metadata.assets]` table: {message}; \
         expected `dir = \"static\"` and optionally `prefix = \"name\"`",
        .manifest.display()
    )]
    BadPackageMetadata {
        /// The crate.
        package: String,
        /// Its Cargo.toml.
        manifest: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// A collected file's name cannot be an asset's name.
    #[error(
        "`{}` would be collected as `{name}`, which cannot be an asset's name: {problem}. \
         Rename the file (or the folder's prefix), or exclude it with `.ignore(..)`",
        .path.display()
    )]
    UnsafeName {
        /// The file.
        path: PathBuf,
        /// The name it would have.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// An asset has the name of another's precompressed sibling.
    #[error(
        "`{}` is collected as `{sibling}`, the name of the precompressed sibling of `{base}`: one \
         would be written onto the other. Rename the file, exclude it with `.ignore(..)`, or turn \
         precompression off",
        .path.display()
    )]
    SiblingClash {
        /// The asset's source file.
        path: PathBuf,
        /// Its name, a sibling's.
        sibling: String,
        /// The name the sibling is of.
        base: String,
    },

    /// A symbolic link in an asset folder leads outside the package.
    #[error(
        "`{}` is a symbolic link to `{}`, outside `{}` (the package's folder, or its \
         workspace's): asset-build does not publish files from elsewhere unless told to. Replace \
         the link with the files, or call `.follow_links_outside(true)` if that folder is meant \
         to be published",
        .link.display(),
        .target.display(),
        .inside.display()
    )]
    LinkOutside {
        /// The link.
        link: PathBuf,
        /// Where it leads, resolved.
        target: PathBuf,
        /// The folder links must stay in.
        inside: PathBuf,
    },

    /// A path cargo must watch cannot be written in a `cargo::` line.
    #[error(
        "`{}` holds a line break or another control character, so it cannot be given to cargo to \
         watch (`cargo::rerun-if-changed=`, one line each); rename it",
        .path.display()
    )]
    UnwatchablePath {
        /// The path.
        path: PathBuf,
    },

    /// A required build-script environment variable is missing.
    #[error(
        "environment variable `{0}` is not set: asset-build runs from a build script (build.rs); \
         elsewhere set `.package_dir(..)`, `.out_dir(..)` and `.output_dir(..)`"
    )]
    NotInBuildScript(&'static str),

    /// The output folder holds files that asset-build did not write.
    #[error(
        "output folder `{}` is not empty and holds no staticfiles.json, so it was not written by \
         asset-build; refusing to replace its files: choose another `.output_dir(..)` or empty it",
        .dir.display()
    )]
    ForeignOutputDir {
        /// The folder.
        dir: PathBuf,
    },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
