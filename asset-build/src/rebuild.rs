//! What a build found of the last one, and so what it did: a value, so
//! that a test, a tool or a curious user can ask why a build ran the
//! stages instead of patching ([`Output::rebuild`](crate::Output::rebuild)).
//!
//! A build script prints it on standard error (shown by `cargo build -vv`)
//! and, with `ASSET_BUILD_EXPLAIN=1` in the environment, as a
//! `cargo::warning=` line shown by every build.

use std::fmt;

/// What a build did, given what it found of the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rebuild {
    /// The sources and the configuration are those of the last build, whose
    /// outputs are as it left them: nothing was read or written.
    Unchanged,
    /// A few files were edited: the last build's results were patched (see
    /// the [edit loop](crate#edit-loop)).
    Patched,
    /// The stages ran over every asset, for this reason.
    Stages(Reason),
}

/// Why a build ran the stages instead of patching the last build's results.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// `OUT_DIR` holds no record of an earlier build: a first build, or one
    /// after `cargo clean`.
    FirstBuild,
    /// The record of the last build could not be read (damaged, or written
    /// by another version of asset-build).
    RecordUnreadable,
    /// The last build started the stages and did not finish them (it failed
    /// or was killed).
    LastBuildUnfinished,
    /// The results of this configuration cannot be patched: found by this
    /// build for precompression and `embed`, by the last build with the
    /// same configuration for the others.
    Unpatchable(Unpatchable),
    /// The configuration, or asset-build itself, changed.
    ConfigChanged,
    /// A file was added, removed or renamed.
    NamesChanged,
    /// More files changed, with the CSS/JS files that refer to them, than a
    /// patch takes (64).
    TooManyChanged,
    /// A file whose name already carries a hash (or a Vite manifest)
    /// changed.
    PrehashedChanged {
        /// The file's logical name.
        name: String,
    },
    /// A CSS/JS file has a reference the last build did not know of, to a
    /// file missing or being named in the same patch, or the references
    /// among the changed files make a cycle.
    NewReference {
        /// The CSS/JS file's logical name.
        name: String,
    },
    /// The table's overlay holds as many patched records as it may (1,024):
    /// the stages write the table anew.
    OverlayFull,
    /// A file the last build wrote is not as it left it: written since (by
    /// another build, one that was killed, or by hand).
    Changed(Artifact),
    /// Patching met an error (a file unreadable, or not UTF-8); the stages
    /// report it if it is still there.
    Failed(String),
}

/// Why a build's results cannot be patched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Unpatchable {
    /// Precompression is on (release builds by default): the stages make
    /// the siblings.
    Precompression,
    /// The assets' bytes are embedded in the binary.
    Embed,
    /// It found Vite entries, whose tags are generated with the table.
    ViteEntries,
    /// It has import-map pins, generated with the table.
    ImportMap,
    /// It warned (other than of name clashes, which every build finds
    /// again).
    Warnings,
}

/// A file, or the folder, that a build writes and the next one checks is
/// as it left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Artifact {
    /// The asset table in `OUT_DIR`.
    Table,
    /// The table's overlay in `OUT_DIR`.
    Overlay,
    /// `staticfiles.json`.
    Manifest,
    /// The generated Rust file.
    RustFile,
    /// The embedded bytes in `OUT_DIR` (with `embed`).
    Embedded,
    /// The Vite entries in `OUT_DIR`.
    ViteEntries,
    /// The import map in `OUT_DIR`.
    ImportMap,
    /// The output folder (a file in it added, removed or replaced).
    OutputFolder,
}

impl fmt::Display for Rebuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rebuild::Unchanged => f.write_str("nothing changed since the last build: nothing done"),
            Rebuild::Patched => f.write_str("patched the last build's results"),
            Rebuild::Stages(reason) => write!(f, "ran the stages: {reason}"),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::FirstBuild => f.write_str("no earlier build in OUT_DIR"),
            Reason::RecordUnreadable => f.write_str("the last build's record could not be read"),
            Reason::LastBuildUnfinished => f.write_str("the last build did not finish"),
            Reason::Unpatchable(why) => write!(f, "the results cannot be patched: {why}"),
            Reason::ConfigChanged => f.write_str("the configuration changed"),
            Reason::NamesChanged => f.write_str("a file was added, removed or renamed"),
            Reason::TooManyChanged => f.write_str("more than 64 files to name again"),
            Reason::PrehashedChanged { name } => write!(f, "`{name}`, whose name carries a hash, changed"),
            Reason::NewReference { name } => write!(f, "`{name}` has a reference the last build did not know of"),
            Reason::OverlayFull => f.write_str("the table's overlay is full"),
            Reason::Changed(artifact) => write!(f, "{artifact} was written since the last build"),
            Reason::Failed(error) => write!(f, "patching failed ({error})"),
        }
    }
}

impl fmt::Display for Unpatchable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unpatchable::Precompression => "precompression is on",
            Unpatchable::Embed => "the assets are embedded",
            Unpatchable::ViteEntries => "there are Vite entries",
            Unpatchable::ImportMap => "there are import-map pins",
            Unpatchable::Warnings => "the build warned",
        })
    }
}

impl fmt::Display for Artifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Artifact::Table => "the asset table",
            Artifact::Overlay => "the table's overlay",
            Artifact::Manifest => "staticfiles.json",
            Artifact::RustFile => "the generated Rust file",
            Artifact::Embedded => "the embedded data",
            Artifact::ViteEntries => "the Vite entries",
            Artifact::ImportMap => "the import map",
            Artifact::OutputFolder => "the output folder",
        })
    }
}
