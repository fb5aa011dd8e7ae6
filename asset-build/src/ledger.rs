//! The ledger: what the last build produced, in one file in `OUT_DIR`,
//! which every build that changes anything writes last, atomically.
//!
//! The truth is the source folders and the configuration; everything a
//! build writes is derived from them. The ledger says what the last build
//! derived, and from what:
//!
//! - the digests of the configuration and of the collected names, in order
//!   ([`setup`]);
//! - each collected file's size and modification time, by position, with
//!   its record in the table;
//! - the stamps of each file it wrote beside the output folder (the table,
//!   its overlay, the Rust file, the manifest, …: [`Artifact`]) and of the
//!   output folder's own folders ([`output::trusted`]);
//! - what it reported (assets, outputs, the manifest's hash, warnings);
//! - for a patch: which records are prehashed and the references between
//!   records; whether patches wrote the output folder, and the hashed
//!   copies they created;
//! - whether a patch may start from it ([`Usable`]), and `cargo metadata`'s
//!   answer about dependency crates' asset folders.
//!
//! The next build compares its listing with it, position by position
//! ([`Ledger::changed`]), and decides: nothing to do, a patch, or the
//! stages, and why ([`Reason`]). The stages' own records (digests, rewrite
//! records, output stamps, the compression memo) are in the memo
//! ([`crate::memo`]), which only saves time.
//!
//! A stage run replaces the ledger with one that says only `Unfinished`
//! before it writes anything, so that a build that fails or is killed
//! leaves the next one no record to trust but what the patches before it
//! created.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::asset::Asset;
use crate::collect::SourceFile;
use crate::dependency_assets::DependencyAssets;
use crate::fs;
use crate::hash::{self, Md5Digest, RACY_WINDOW_NS};
use crate::output::{self, OutputStamp, Tree, Written};
use crate::rebuild::{Artifact, Reason, Unpatchable};
use crate::rewrite::Rewrites;
use crate::settings::Settings;

const LEDGER_FILE: &str = "asset-build-ledger.bin";
const MAGIC: &[u8; 8] = b"ASTLEDGR";
/// The version of every format asset-build keeps in `OUT_DIR` (the ledger
/// and the memo): a file of another version is not read.
pub(crate) const FORMAT: u32 = 1;

/// A record's flag: its name already carries a hash.
pub(crate) const PREHASHED: u8 = 1;
/// The stamp of a file modified too close to the build to be trusted.
const UNKNOWN: (u64, u64) = (u64::MAX, u64::MAX);

/// What the last build produced; see the [module documentation](self).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Ledger {
    /// The configuration's digest.
    pub(crate) config: Md5Digest,
    /// The configuration and the collected names, in order ([`setup`]).
    pub(crate) setup: Md5Digest,
    /// Per collected file, in collection order: its record in the table,
    /// its size and modification time.
    #[serde(skip)]
    pub(crate) files: Vec<(u32, u64, u64)>,
    /// Per record of the table: [`PREHASHED`]; empty when a patch cannot
    /// start from the ledger.
    pub(crate) flags: Vec<u8>,
    /// The references between records: (record referred to, CSS/JS record
    /// referring to it), sorted, without repeats.
    #[serde(skip)]
    pub(crate) edges: Vec<(u32, u32)>,
    /// The files written beside the output folder, with their size and
    /// modification time as the build left them.
    pub(crate) artifacts: Vec<(Artifact, (u64, u64))>,
    /// The output folder's folders and their modification times.
    pub(crate) output_tree: Tree,
    /// What the build reported: outputs written or in place, the
    /// manifest's `hash`, warnings.
    pub(crate) outputs: usize,
    pub(crate) manifest_hash: String,
    pub(crate) warnings: Vec<String>,
    /// Hashed copies that patches created since the stages last ran.
    pub(crate) created: Vec<String>,
    /// Whether a patch may have written the output folder since the stages
    /// last ran.
    pub(crate) patched: bool,
    /// Whether a patch may start from it.
    pub(crate) usable: Usable,
    /// Asset folders of dependency crates, as `cargo metadata` last found
    /// them.
    pub(crate) dependency_assets: Option<DependencyAssets>,
}

/// Whether a patch may start from a [`Ledger`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Usable {
    Yes,
    /// A build started running the stages and did not finish.
    Unfinished,
    /// The build that ran the stages left results a patch cannot update.
    No(Unpatchable),
}

/// Digest of what the names and the references depend on: the
/// configuration's digest (`config`), then every collected file's name and
/// source folder, in collection order.
pub(crate) fn setup(config: Md5Digest, files: &[SourceFile]) -> Md5Digest {
    use md5::Digest as _;
    let mut h = md5::Md5::new();
    h.update(config);
    for file in files {
        hash::update_field(&mut h, file.name.as_bytes());
        h.update(file.folder.to_le_bytes());
    }
    h.finalize().into()
}

impl Ledger {
    fn path(out_dir: &Path) -> std::path::PathBuf {
        out_dir.join(LEDGER_FILE)
    }

    /// The last build's ledger, or why there is none to go by.
    pub(crate) fn load(out_dir: &Path) -> Result<Ledger, Reason> {
        match std::fs::read(Ledger::path(out_dir)) {
            Ok(bytes) => Ledger::decode(&bytes).ok_or(Reason::RecordUnreadable),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Reason::FirstBuild),
            Err(e) => Err(Reason::Failed(e.to_string())),
        }
    }

    /// The collected files whose size or modification time is not the one
    /// recorded, by position (at most `limit` + 1 of them), if the last
    /// build's results hold for this build otherwise: the same
    /// configuration and names, and every file it wrote as it left it.
    pub(crate) fn changed(
        &self,
        settings: &Settings<'_>,
        (config, setup): (Md5Digest, Md5Digest),
        files: &[SourceFile],
        limit: usize,
    ) -> Result<Vec<usize>, Reason> {
        if self.usable == Usable::Unfinished {
            return Err(Reason::LastBuildUnfinished);
        }
        if self.config != config {
            return Err(Reason::ConfigChanged);
        }
        if self.setup != setup || self.files.len() != files.len() {
            return Err(Reason::NamesChanged);
        }
        if let Some((artifact, _)) = self
            .artifacts
            .iter()
            .find(|(artifact, stamp)| fs::stamp(settings.artifact(*artifact)) != Some(*stamp))
        {
            return Err(Reason::Changed(*artifact));
        }
        // The output folder as the last build left it (no output removed
        // or replaced since, which the stages would write again).
        if !output::trusted(&settings.output_dir, &self.output_tree) {
            return Err(Reason::Changed(Artifact::OutputFolder));
        }
        Ok(self
            .files
            .iter()
            .zip(files)
            .enumerate()
            .filter(|(_, (stamp, file))| {
                let (_, size, mtime) = **stamp;
                (size, mtime) == UNKNOWN || size != file.size || u128::from(mtime) != file.mtime_ns
            })
            .map(|(i, _)| i)
            .take(limit + 1)
            .collect())
    }

    /// The stamp the ledger records for `artifact`.
    pub(crate) fn stamp(&self, artifact: Artifact) -> Option<(u64, u64)> {
        self.artifacts.iter().find(|(a, _)| *a == artifact).map(|(_, s)| *s)
    }

    /// Records `artifact`'s stamp as it is now; `false` if it has none.
    pub(crate) fn restamp(&mut self, settings: &Settings<'_>, artifact: Artifact) -> bool {
        let Some(stamp) = fs::stamp(settings.artifact(artifact)) else {
            return false;
        };
        self.artifacts.retain(|(a, _)| *a != artifact);
        self.artifacts.push((artifact, stamp));
        true
    }

    /// Records the stamps of the `changed` files (by position) as they are
    /// in `files` now.
    pub(crate) fn restamp_files(&mut self, changed: &[usize], files: &[SourceFile], started_ns: u64) {
        let racy_before = started_ns.saturating_sub(RACY_WINDOW_NS);
        for &i in changed {
            let (_, size, mtime) = &mut self.files[i];
            (*size, *mtime) = stamp_of(&files[i], racy_before);
        }
    }

    /// Decodes what [`save`](Self::save) wrote: the other fields (postcard),
    /// then the files and the references as fixed-size little-endian
    /// records, which read back without decoding each number.
    fn decode(bytes: &[u8]) -> Option<Ledger> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())?
            .strip_prefix(FORMAT.to_le_bytes().as_slice())?;
        let (mut ledger, rest): (Ledger, &[u8]) = postcard::take_from_bytes(rest).ok()?;
        let (files, rest) = records_in::<20>(rest)?;
        let (edges, rest) = records_in::<8>(rest)?;
        if !rest.is_empty() {
            return None;
        }
        ledger.files = files
            .iter()
            .map(|r| (le_u32(r, 0), le_u64(r, 4), le_u64(r, 12)))
            .collect();
        ledger.edges = edges.iter().map(|r| (le_u32(r, 0), le_u32(r, 4))).collect();
        Some(ledger)
    }

    /// Writes the ledger, atomically.
    pub(crate) fn save(&self, out_dir: &Path) -> std::io::Result<()> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        let mut bytes = postcard::to_extend(self, bytes).map_err(std::io::Error::other)?;
        bytes.reserve(16 + self.files.len() * 20 + self.edges.len() * 8);
        bytes.extend_from_slice(&(self.files.len() as u64).to_le_bytes());
        for (record, size, mtime) in &self.files {
            bytes.extend_from_slice(&record.to_le_bytes());
            bytes.extend_from_slice(&size.to_le_bytes());
            bytes.extend_from_slice(&mtime.to_le_bytes());
        }
        bytes.extend_from_slice(&(self.edges.len() as u64).to_le_bytes());
        for (target, referrer) in &self.edges {
            bytes.extend_from_slice(&target.to_le_bytes());
            bytes.extend_from_slice(&referrer.to_le_bytes());
        }
        fs::write_atomic(&Ledger::path(out_dir), &bytes)
    }

    /// Before a stage run writes anything: leaves a ledger that says only
    /// `Unfinished`, with what the next build must know of the patches
    /// before, so that a build that fails leaves both to the next.
    pub(crate) fn mark_unfinished(last: Option<&Ledger>, out_dir: &Path) {
        let unfinished = Ledger {
            created: last.map(|l| l.created.clone()).unwrap_or_default(),
            patched: last.is_some_and(|l| l.patched),
            ..Ledger::empty(Usable::Unfinished)
        };
        if unfinished.save(out_dir).is_err() {
            let _ = std::fs::remove_file(Ledger::path(out_dir));
        }
    }

    /// A ledger with no records.
    fn empty(usable: Usable) -> Ledger {
        Ledger {
            config: [0; 16],
            setup: [0; 16],
            files: Vec::new(),
            flags: Vec::new(),
            edges: Vec::new(),
            artifacts: Vec::new(),
            output_tree: Tree::default(),
            outputs: 0,
            manifest_hash: String::new(),
            warnings: Vec::new(),
            created: Vec::new(),
            patched: false,
            usable,
            dependency_assets: None,
        }
    }

    /// Has the write stage look at every output of a folder that patches
    /// wrote, and remove the hashed copies they created if no longer
    /// wanted.
    pub(crate) fn hand_over(&self, output_dir: &Path, written: &mut Written) {
        if !self.patched || written.tree.dir != output_dir {
            return;
        }
        written.trusted = false;
        let unknown = OutputStamp {
            size: u64::MAX,
            mtime_ns: u64::MAX,
            inode: u64::MAX,
            md5: [0; 16],
        };
        for name in &self.created {
            if written.stamps.get(name.as_bytes()).is_none() {
                written.stamps.insert(name.as_bytes(), unknown);
            }
        }
    }
}

/// What a build that ran the stages produced, for [`Ledger::of_stages`].
pub(crate) struct Produced<'a> {
    pub(crate) settings: &'a Settings<'a>,
    /// Whether a patch can update these results.
    pub(crate) patchable: Result<(), Unpatchable>,
    pub(crate) digests: (Md5Digest, Md5Digest),
    /// In collection order.
    pub(crate) assets: &'a [Asset],
    pub(crate) rewrites: &'a Rewrites,
    /// The output folder as the write stage left it.
    pub(crate) outputs: &'a Written,
    /// How many files the write stage wrote or found in place.
    pub(crate) output_count: usize,
    /// The files written beside the output folder.
    pub(crate) artifacts: &'a [Artifact],
    pub(crate) manifest_hash: &'a str,
    pub(crate) warnings: &'a [String],
    pub(crate) dependency_assets: Option<DependencyAssets>,
    pub(crate) started_ns: u64,
}

impl Ledger {
    /// The ledger of a build that ran the stages.
    pub(crate) fn of_stages(produced: Produced<'_>) -> Ledger {
        let assets = produced.assets;
        let racy_before = produced.started_ns.saturating_sub(RACY_WINDOW_NS);
        let Records { files, flags, edges } = match produced.patchable {
            // By position: no patch looks for records.
            Err(_) => Records {
                files: (0..assets.len() as u32)
                    .zip(assets)
                    .map(|(i, a)| {
                        let (size, mtime) = stamp_of(&a.source, racy_before);
                        (i, size, mtime)
                    })
                    .collect(),
                flags: Vec::new(),
                edges: Vec::new(),
            },
            Ok(()) => records(assets, produced.rewrites, racy_before),
        };
        let settings = produced.settings;
        let artifacts = produced
            .artifacts
            .iter()
            .filter_map(|&a| fs::stamp(settings.artifact(a)).map(|stamp| (a, stamp)))
            .collect();
        Ledger {
            config: produced.digests.0,
            setup: produced.digests.1,
            files,
            flags,
            edges,
            artifacts,
            output_tree: produced.outputs.tree.clone(),
            outputs: produced.output_count,
            manifest_hash: produced.manifest_hash.to_owned(),
            warnings: produced.warnings.to_vec(),
            created: Vec::new(),
            patched: false,
            usable: produced.patchable.map_or_else(Usable::No, |()| Usable::Yes),
            dependency_assets: produced.dependency_assets,
        }
    }
}

/// What a patch needs of the records: [`Ledger::files`], [`Ledger::flags`]
/// and [`Ledger::edges`].
struct Records {
    files: Vec<(u32, u64, u64)>,
    flags: Vec<u8>,
    edges: Vec<(u32, u32)>,
}

/// Each file's record in the table (records are sorted by name), size and
/// modification time; each record's flags; and the references between
/// records.
fn records(assets: &[Asset], rewrites: &Rewrites, racy_before: u64) -> Records {
    let mut sorted: Vec<u32> = (0..assets.len() as u32).collect();
    sorted.sort_unstable_by(|&a, &b| assets[a as usize].name().cmp(assets[b as usize].name()));
    let mut record_of = vec![0u32; assets.len()];
    for (record, &i) in sorted.iter().enumerate() {
        record_of[i as usize] = record as u32;
    }
    let mut flags = vec![0u8; assets.len()];
    for (i, a) in assets.iter().enumerate() {
        if a.is_prehashed() {
            flags[record_of[i] as usize] |= PREHASHED;
        }
    }
    let mut edges: Vec<(u32, u32)> = Vec::new();
    for (a, &referrer) in assets.iter().zip(&record_of).filter(|(a, _)| a.is_rewritten()) {
        let targets = rewrites.targets(a.name());
        edges.extend(targets.filter_map(|t| record_of.get(t)).map(|&t| (t, referrer)));
    }
    edges.sort_unstable();
    edges.dedup();
    let files = assets
        .iter()
        .zip(&record_of)
        .map(|(a, &record)| {
            let (size, mtime) = stamp_of(&a.source, racy_before);
            (record, size, mtime)
        })
        .collect();
    Records { files, flags, edges }
}

/// A count, then that many `N`-byte records, at the start of `bytes`; and
/// the bytes after them.
fn records_in<const N: usize>(bytes: &[u8]) -> Option<(&[[u8; N]], &[u8])> {
    let (count, rest) = bytes.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*count)).ok()?.checked_mul(N)?;
    if rest.len() < len {
        return None;
    }
    let (records, rest) = rest.split_at(len);
    Some((records.as_chunks::<N>().0, rest))
}

/// A collected file's size and modification time as a ledger keeps them:
/// unknown when modified within the racy window.
fn stamp_of(file: &SourceFile, racy_before: u64) -> (u64, u64) {
    match u64::try_from(file.mtime_ns) {
        Ok(mtime) if mtime < racy_before => (file.size, mtime),
        _ => UNKNOWN,
    }
}

/// The little-endian `u32` at `at` of a record.
fn le_u32(record: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(record[at..at + 4].try_into().expect("a record holds its fields"))
}

/// The little-endian `u64` at `at` of a record.
fn le_u64(record: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(record[at..at + 8].try_into().expect("a record holds its fields"))
}
