//! The edit loop's shortcut: a rebuild that finds the names of the last
//! build with a few files edited patches that build's results instead of
//! running the stages over every asset.
//!
//! After one edit, each stage still walks every asset's record: decoding
//! the build cache, naming every file, writing the table and the manifest
//! again. At tens of thousands of assets that is most of the build
//! script's time, growing with the assets rather than with the edit. The
//! listing of the sources, which finds what changed, is the only pass over
//! every file a patch makes.
//!
//! A full build that a later one could patch leaves a [`State`] in
//! `OUT_DIR`: a digest of the configuration and of the collected names in
//! order, each file's size and modification time by position, which
//! records the CSS/JS files refer to, and the stamps of what it wrote. The
//! next build compares the files it lists with it, position by position.
//! When the names are the same, it takes the changed files and, up the
//! references, the CSS/JS files that refer to them ([`MAX_CHANGED`] at
//! most), and, each after the files it refers to:
//!
//! 1. hashes the changed files, and rewrites the CSS/JS among them and
//!    their referrers against the names in the last build's table and the
//!    new names of the files before them;
//! 2. replaces their outputs (the collected original of a changed file,
//!    the hashed copy of each), and removes the hashed copies they
//!    replace;
//! 3. writes their records into the table's overlay
//!    (`asset_contract::table`'s second file, which the generated Rust
//!    includes from a module of its own, so that rustc compiles it alone
//!    and keeps what it compiled for the table), changes their entries in
//!    `staticfiles.json` (and its `hash`) in place, and saves the new
//!    stamps and references.
//!
//! Planning a patch ([`plan`]) reads and writes nothing but what it must
//! read to decide; applying it writes at the edge. Anything else goes
//! through the stages, and the [`Reason`] says why: a name added, removed or
//! renamed; a reference cycle, or a reference the last build did not know
//! of to another file being named; precompression, `embed`, Vite entries,
//! import-map pins, warnings other than name clashes (which the listing
//! finds again); an overlay of more than [`MAX_PATCHED`] records; a table,
//! overlay, manifest, Rust file or output folder not as the state records
//! them (written since, or by a build that was killed). A build whose
//! results cannot be patched leaves a state that says only why.
//!
//! A patch leaves the build cache as it was: the next full build finds
//! the edited files' stamps changed and so hashes them again, and does
//! not trust the output folder (the state says it was patched), so it
//! looks at each output. The state also names the hashed copies patches
//! created, which a full build removes when it no longer wants them; a
//! build that runs the stages keeps the state, unusable, until it is
//! done, so that one that fails does not lose them.

use std::collections::BTreeMap;
use std::path::Path;

use asset_contract::Manifest;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::asset::Asset;
use crate::collect::{self, SourceFile};
use crate::fields::{get_u32, get_u64};
use crate::fs;
use crate::graph;
use crate::hash::{self, Digest, Md5Digest, RACY_WINDOW_NS};
use crate::output::{self, Content, OutFile, OutputStamp, WriteStats, Written};
use crate::overlay::{OverlayRecord, TableBytes, TableView, overlay_bytes};
use crate::rebuild::{Artifact, Reason, Unpatchable};
use crate::references::FileKind;
use crate::rewrite::{Rewrites, render_text};
use crate::settings::Settings;

const STATE_FILE: &str = "asset-build-patch.bin";
const MAGIC: &[u8; 8] = b"ASTPATCH";
const VERSION: u32 = 3;
/// More changed files than this go through the stages.
pub(crate) const MAX_CHANGED: usize = 64;
/// Once the overlay holds this many records, the stages write the table
/// anew.
const MAX_PATCHED: usize = 1024;

/// A record's flag: its name already carries a hash.
const PREHASHED: u8 = 1;
/// The stamp of a file modified too close to the build to be trusted.
const UNKNOWN: (u64, u64) = (u64::MAX, u64::MAX);

/// What a patch needs of the last build; see the [module
/// documentation](self).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct State {
    /// The configuration's digest.
    config: Md5Digest,
    /// The configuration and the collected names, in order ([`setup`]).
    setup: Md5Digest,
    /// Per collected file, in collection order: its record in the table,
    /// its size and modification time.
    #[serde(skip)]
    files: Vec<(u32, u64, u64)>,
    /// Per record of the table: [`PREHASHED`].
    flags: Vec<u8>,
    /// The references between records: (record referred to, CSS/JS record
    /// referring to it), sorted, without repeats.
    #[serde(skip)]
    edges: Vec<(u32, u32)>,
    /// Size and modification time of the table, its overlay, the manifest
    /// and the Rust file as the last build left them.
    table: (u64, u64),
    overlay: (u64, u64),
    manifest: (u64, u64),
    rust: (u64, u64),
    /// The output tree's folders and their modification times, as the
    /// last build left them ([`output::trusted`]).
    output_tree: Written,
    /// The manifest's `hash`.
    manifest_hash: String,
    /// Hashed copies that patches created since the stages last ran.
    created: Vec<String>,
    /// Whether a patch may have written the output folder since the stages
    /// last ran.
    patched: bool,
    /// Whether a patch may start from it.
    usable: Usable,
}

/// Whether a patch may start from a [`State`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Usable {
    Yes,
    /// A build started running the stages: what they write makes the
    /// state wrong.
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

impl State {
    fn path(out_dir: &Path) -> std::path::PathBuf {
        out_dir.join(STATE_FILE)
    }

    /// Whether the last build left a state a patch may start from.
    pub(crate) fn exists(out_dir: &Path) -> bool {
        State::path(out_dir).is_file()
    }

    /// Reads what [`save`](Self::save) wrote.
    fn load(out_dir: &Path) -> Result<State, Reason> {
        match std::fs::read(State::path(out_dir)) {
            Ok(bytes) => State::decode(&bytes).ok_or(Reason::RecordUnreadable),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Reason::FirstBuild),
            Err(e) => Err(Reason::Failed(e.to_string())),
        }
    }

    /// Whether a patch may start from this state: the same configuration
    /// and names, and the files it wrote as it left them.
    fn check(&self, inputs: &Inputs<'_>) -> Result<(), Reason> {
        match self.usable {
            Usable::Yes => {}
            Usable::Unfinished => return Err(Reason::LastBuildUnfinished),
            Usable::No(why) => return Err(Reason::Unpatchable(why)),
        }
        if self.config != inputs.config {
            return Err(Reason::ConfigChanged);
        }
        if self.setup != inputs.setup || self.files.len() != inputs.files.len() {
            return Err(Reason::NamesChanged);
        }
        let artifacts = [
            (&inputs.settings.data.table, self.table, Artifact::Table),
            (&inputs.settings.data.overlay, self.overlay, Artifact::Overlay),
            (&inputs.settings.manifest, self.manifest, Artifact::Manifest),
            (&inputs.settings.rust, self.rust, Artifact::RustFile),
        ];
        if let Some((_, _, artifact)) = artifacts
            .iter()
            .find(|(path, stamp, _)| fs::stamp(path) != Some(*stamp))
        {
            return Err(Reason::Changed(*artifact));
        }
        // The output folder as the last build left it (no output removed
        // or replaced since, which the stages would write again).
        if !output::trusted(&inputs.settings.output_dir, &self.output_tree) {
            return Err(Reason::Changed(Artifact::OutputFolder));
        }
        Ok(())
    }

    /// How many files the output folder holds: the manifest, and each
    /// record's original and hashed copy (one file when prehashed).
    fn outputs(&self) -> usize {
        let prehashed = self.flags.iter().filter(|&&f| f & PREHASHED != 0).count();
        1 + 2 * self.flags.len() - prehashed
    }

    /// Decodes what [`save`](Self::save) wrote: the other fields (postcard),
    /// then the files and the references as fixed-size little-endian
    /// records, which read back without decoding each number.
    fn decode(bytes: &[u8]) -> Option<State> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())?
            .strip_prefix(VERSION.to_le_bytes().as_slice())?;
        let (mut state, rest): (State, &[u8]) = postcard::take_from_bytes(rest).ok()?;
        let (files, rest) = records::<20>(rest)?;
        let (edges, rest) = records::<8>(rest)?;
        if !rest.is_empty() {
            return None;
        }
        state.files = files
            .iter()
            .map(|r| (get_u32(r, 0), get_u64(r, 4), get_u64(r, 12)))
            .collect();
        state.edges = edges.iter().map(|r| (get_u32(r, 0), get_u32(r, 4))).collect();
        Some(state)
    }

    fn save(&self, out_dir: &Path) -> std::io::Result<()> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&VERSION.to_le_bytes());
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
        fs::write_atomic(&State::path(out_dir), &bytes)
    }

    /// For a build that runs the stages: the state. What is left in
    /// `OUT_DIR` until the build is done ([`record`]) says only that it is
    /// unfinished (what the stages write makes the state wrong), with what
    /// the next build must know of the patches before, so that a build
    /// that fails leaves both to the next.
    pub(crate) fn take(out_dir: &Path) -> Option<State> {
        let state = State::load(out_dir).ok()?;
        let unfinished = State {
            created: state.created.clone(),
            patched: state.patched,
            ..State::minimal(state.config, state.setup, Usable::Unfinished)
        };
        if unfinished.save(out_dir).is_err() {
            State::remove(out_dir);
        }
        Some(state)
    }

    /// A state with no records, that a patch cannot start from.
    fn minimal(config: Md5Digest, setup: Md5Digest, usable: Usable) -> State {
        State {
            config,
            setup,
            files: Vec::new(),
            flags: Vec::new(),
            edges: Vec::new(),
            table: UNKNOWN,
            overlay: UNKNOWN,
            manifest: UNKNOWN,
            rust: UNKNOWN,
            output_tree: Written::default(),
            manifest_hash: String::new(),
            created: Vec::new(),
            patched: false,
            usable,
        }
    }

    /// Removes the state: the build that ran the stages leaves none.
    pub(crate) fn remove(out_dir: &Path) {
        let _ = std::fs::remove_file(State::path(out_dir));
    }

    /// Has the write stage look at every output of a folder that patches
    /// wrote, and remove the hashed copies they created if no longer
    /// wanted.
    pub(crate) fn hand_over(self, output_dir: &Path, written: &mut Written) {
        if !self.patched || written.dir != output_dir {
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

/// What a build that ran the stages wrote, for [`record`].
pub(crate) struct Recorded<'a> {
    pub(crate) settings: &'a Settings<'a>,
    /// Whether a patch can update these results.
    pub(crate) patchable: Result<(), Unpatchable>,
    pub(crate) config: Md5Digest,
    pub(crate) setup: Md5Digest,
    /// In collection order.
    pub(crate) assets: &'a [Asset],
    pub(crate) rewrites: &'a Rewrites,
    /// The output folder as the write stage left it.
    pub(crate) outputs: &'a Written,
    pub(crate) manifest_hash: &'a str,
    pub(crate) started_ns: u64,
}

/// Leaves the state a later build patches from (none if it cannot be
/// written: that only costs the next build the shortcut).
pub(crate) fn record(recorded: &Recorded<'_>) {
    let out_dir = &recorded.settings.out_dir;
    if state_of(recorded).is_none_or(|state| state.save(out_dir).is_err()) {
        State::remove(out_dir);
    }
}

/// The state of a build that ran the stages: only why it cannot be
/// patched, if it cannot.
fn state_of(recorded: &Recorded<'_>) -> Option<State> {
    if let Err(why) = recorded.patchable {
        return Some(State::minimal(recorded.config, recorded.setup, Usable::No(why)));
    }
    let assets = recorded.assets;
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
        let targets = recorded.rewrites.targets(a.name());
        edges.extend(targets.filter_map(|t| record_of.get(t)).map(|&t| (t, referrer)));
    }
    edges.sort_unstable();
    edges.dedup();
    let racy_before = recorded.started_ns.saturating_sub(RACY_WINDOW_NS);
    let files = assets
        .iter()
        .zip(&record_of)
        .map(|(a, &record)| {
            let (size, mtime) = stamp_of(&a.source, racy_before);
            (record, size, mtime)
        })
        .collect();
    let settings = recorded.settings;
    let (table, overlay, manifest, rust) = (
        fs::stamp(&settings.data.table)?,
        fs::stamp(&settings.data.overlay)?,
        fs::stamp(&settings.manifest)?,
        fs::stamp(&settings.rust)?,
    );
    Some(State {
        config: recorded.config,
        setup: recorded.setup,
        files,
        flags,
        edges,
        table,
        overlay,
        manifest,
        rust,
        output_tree: recorded.outputs.tree(),
        manifest_hash: recorded.manifest_hash.to_owned(),
        created: Vec::new(),
        patched: false,
        usable: Usable::Yes,
    })
}

/// A count, then that many `N`-byte records, at the start of `bytes`; and
/// the bytes after them.
fn records<const N: usize>(bytes: &[u8]) -> Option<(&[[u8; N]], &[u8])> {
    let (count, rest) = bytes.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*count)).ok()?.checked_mul(N)?;
    if rest.len() < len {
        return None;
    }
    let (records, rest) = rest.split_at(len);
    Some((records.as_chunks::<N>().0, rest))
}

/// A collected file's size and modification time as a state keeps them:
/// unknown when modified within the racy window.
fn stamp_of(file: &SourceFile, racy_before: u64) -> (u64, u64) {
    match u64::try_from(file.mtime_ns) {
        Ok(mtime) if mtime < racy_before => (file.size, mtime),
        _ => UNKNOWN,
    }
}

/// What a patch is given.
pub(crate) struct Inputs<'a> {
    pub(crate) settings: &'a Settings<'a>,
    /// The configuration's digest, and [`setup`] of this build.
    pub(crate) config: Md5Digest,
    pub(crate) setup: Md5Digest,
    /// As collected, in collection order.
    pub(crate) files: &'a [SourceFile],
    pub(crate) started_ns: u64,
}

/// What a patch did.
#[derive(Debug)]
pub(crate) struct Patched {
    pub(crate) assets: usize,
    /// Files read and hashed.
    pub(crate) hashed: usize,
    /// CSS/JS files rewritten.
    pub(crate) rewritten: usize,
    pub(crate) write: WriteStats,
    pub(crate) manifest_hash: String,
}

/// One changed file, as the patch names it.
struct Change<'a> {
    file: &'a SourceFile,
    record: u32,
    /// Whether its source changed (else it refers to a file that did).
    edited: bool,
    original: Digest,
    served: Digest,
    served_size: u64,
    /// The rewritten bytes, when they differ from the original's.
    rewritten: Option<Vec<u8>>,
    hashed: String,
    /// The records its references name.
    targets: Vec<u32>,
}

/// What a patch found to do.
#[derive(Debug)]
pub(crate) enum Patch {
    /// Nothing changed since the last build, whichever path wrote it.
    Unchanged(Patched),
    /// The last build's results, patched.
    Patched(Patched),
}

/// What [`plan`] decided, before anything is written.
enum Plan<'a> {
    /// Nothing changed: nothing to write.
    Unchanged(State),
    /// Files touched, not changed: only their stamps are new.
    Restamp(State, Vec<usize>),
    /// Files to write, then the overlay and the manifest that name them.
    Write(Box<Writes<'a>>),
}

/// A patch's writes, all computed.
struct Writes<'a> {
    state: State,
    /// The changed files, by position among the collected ones.
    changed: Vec<usize>,
    /// Each file the patch names, each after those it refers to.
    changes: Vec<Change<'a>>,
    /// Per change: the hashed name it had, and whether it keeps it with the
    /// same original.
    before: Vec<(String, bool)>,
    overlay: Vec<u8>,
    manifest: Vec<u8>,
    manifest_hash: String,
}

/// Patches the last build's results, if this build can be a patch (see
/// the [module documentation](self)); else the reason the stages must run.
/// An error while patching is a reason too: the stages meet it again and
/// report it as they do.
pub(crate) fn patch(inputs: &Inputs<'_>) -> Result<Patch, Reason> {
    match plan(inputs)? {
        Plan::Unchanged(state) => Ok(Patch::Unchanged(Patched {
            assets: inputs.files.len(),
            hashed: 0,
            rewritten: 0,
            write: WriteStats {
                unchanged: state.outputs(),
                ..WriteStats::default()
            },
            manifest_hash: state.manifest_hash,
        })),
        Plan::Restamp(state, changed) => {
            let patched = Patched {
                assets: inputs.files.len(),
                hashed: changed.len(),
                rewritten: 0,
                write: WriteStats {
                    unchanged: state.outputs(),
                    ..WriteStats::default()
                },
                manifest_hash: state.manifest_hash.clone(),
            };
            save_stamps(state, &changed, inputs)?;
            Ok(Patch::Patched(patched))
        }
        Plan::Write(writes) => apply(*writes, inputs).map(Patch::Patched),
    }
}

/// Decides what a patch writes, reading the last build's state, the files
/// that changed and the table's records, and writing nothing.
fn plan<'a>(inputs: &Inputs<'a>) -> Result<Plan<'a>, Reason> {
    let state = State::load(&inputs.settings.out_dir)?;
    state.check(inputs)?;
    let changed = changed(&state, inputs.files)?;
    if changed.is_empty() {
        return Ok(Plan::Unchanged(state));
    }
    let edited: Vec<u32> = changed.iter().map(|&i| state.files[i].0).collect();
    if let Some(&i) = changed.iter().find(|&&i| {
        let record = state.files[i].0;
        state.flags.get(record as usize).is_none_or(|f| f & PREHASHED != 0)
    }) {
        let name = inputs.files[i].name.clone();
        return Err(Reason::PrehashedChanged { name });
    }
    let order = affected(&state.edges, &edited).map_err(|cycle| match cycle {
        Some(record) => Reason::NewReference {
            name: name_at(&state, inputs.files, record),
        },
        None => Reason::TooManyChanged,
    })?;
    let edited: FxHashSet<u32> = edited.into_iter().collect();
    // The table is read record by record: a patch needs a few of them.
    let table = TableBytes::open(&inputs.settings.data.table).map_err(|_| Reason::Changed(Artifact::Table))?;
    let overlay = std::fs::read(&inputs.settings.data.overlay).map_err(|_| Reason::Changed(Artifact::Overlay))?;
    let view = TableView::new(table, &overlay).ok_or(Reason::Changed(Artifact::Overlay))?;
    if view.len() as usize != state.flags.len() {
        return Err(Reason::Changed(Artifact::Table));
    }
    let changes = name_all(&state, order, &edited, &view, inputs)?;
    let before: Vec<(String, bool)> = changes
        .iter()
        .map(|c| {
            let hashed = view.hashed(c.record);
            let same = hashed == c.hashed && view.original_md5(c.record) == hash::hex(&c.original.md5);
            (hashed, same)
        })
        .collect();
    if before.iter().all(|(_, same)| *same) {
        return Ok(Plan::Restamp(state, changed));
    }
    let overlay = overlay_of(&view, &changes, &inputs.settings.config.static_url)?;
    let mut manifest = std::fs::read(&inputs.settings.manifest).map_err(|_| Reason::Changed(Artifact::Manifest))?;
    let renamed: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.file.name.as_str(), c.hashed.as_str()))
        .collect();
    let manifest_hash = Manifest::patch_json(&mut manifest, &renamed).ok_or(Reason::Changed(Artifact::Manifest))?;
    Ok(Plan::Write(Box::new(Writes {
        state,
        changed,
        changes,
        before,
        overlay,
        manifest,
        manifest_hash,
    })))
}

/// The collected files whose size or modification time is not the one
/// the state records, by position ([`MAX_CHANGED`] at most).
fn changed(state: &State, files: &[SourceFile]) -> Result<Vec<usize>, Reason> {
    let changed: Vec<usize> = state
        .files
        .iter()
        .zip(files)
        .enumerate()
        .filter(|(_, (stamp, file))| {
            let (_, size, mtime) = **stamp;
            (size, mtime) == UNKNOWN || size != file.size || u128::from(mtime) != file.mtime_ns
        })
        .map(|(i, _)| i)
        .take(MAX_CHANGED + 1)
        .collect();
    if changed.len() > MAX_CHANGED {
        return Err(Reason::TooManyChanged);
    }
    Ok(changed)
}

/// The logical name of a record, as collected.
fn name_at(state: &State, files: &[SourceFile], record: u32) -> String {
    let position = state.files.iter().position(|&(r, _, _)| r == record);
    position.map_or_else(String::new, |i| files[i].name.clone())
}

/// Names each file in `order` (hashes it, and rewrites it if it is CSS/JS),
/// each against the names of those before it.
fn name_all<'a>(
    state: &State,
    order: Vec<u32>,
    edited: &FxHashSet<u32>,
    view: &TableView<'_>,
    inputs: &Inputs<'a>,
) -> Result<Vec<Change<'a>>, Reason> {
    // Where each file to name is among the collected ones.
    let affected: FxHashSet<u32> = order.iter().copied().collect();
    let position: FxHashMap<u32, usize> = state
        .files
        .iter()
        .enumerate()
        .filter(|(_, (record, _, _))| affected.contains(record))
        .map(|(i, (record, _, _))| (*record, i))
        .collect();
    let mut names = Names {
        table: view,
        affected: &affected,
        named: FxHashMap::default(),
    };
    let mut changes: Vec<Change<'_>> = Vec::with_capacity(order.len());
    for record in order {
        let position = *position.get(&record).ok_or(Reason::RecordUnreadable)?;
        let file = &inputs.files[position];
        let change = name(file, record, edited.contains(&record), &names, inputs)?;
        names.named.insert(record, change.hashed.clone());
        changes.push(change);
    }
    Ok(changes)
}

/// The overlay's bytes: the records patched before, and those of
/// `changes`.
fn overlay_of(view: &TableView<'_>, changes: &[Change<'_>], static_url: &str) -> Result<Vec<u8>, Reason> {
    let mut records: BTreeMap<u32, OverlayRecord> = view.patched().iter().map(|&i| (i, view.record(i))).collect();
    for change in changes {
        let mut record = view.record(change.record);
        record.hashed.clone_from(&change.hashed);
        record.integrity.clone_from(&change.served.integrity);
        record.served = (hash::hex(&change.served.md5), change.served_size);
        record.original = (hash::hex(&change.original.md5), change.file.size);
        records.insert(change.record, record);
    }
    if records.len() > MAX_PATCHED {
        return Err(Reason::OverlayFull);
    }
    let records: Vec<OverlayRecord> = records.into_values().collect();
    Ok(overlay_bytes(&records, static_url))
}

/// Writes what [`plan`] decided: the files first, then the overlay and the
/// manifest that name them, then the state; the files they no longer name
/// last.
fn apply(writes: Writes<'_>, inputs: &Inputs<'_>) -> Result<Patched, Reason> {
    let Writes {
        mut state,
        changed,
        changes,
        before,
        overlay,
        manifest,
        manifest_hash,
    } = writes;
    let failed = |e: &dyn std::fmt::Display| Reason::Failed(e.to_string());
    // From here on the output folder changes: a build that runs the stages
    // must not trust it, even if this one is killed.
    if !state.patched {
        state.patched = true;
        state.save(&inputs.settings.out_dir).map_err(|e| failed(&e))?;
    }
    let mut write = WriteStats::default();
    for (change, (_, same)) in changes.iter().zip(&before) {
        if *same {
            write.unchanged += 2;
            continue;
        }
        write.written += write_change(change, inputs).map_err(|e| failed(&e))?;
    }
    fs::write_if_changed(&inputs.settings.data.overlay, &overlay).map_err(|e| failed(&e))?;
    if fs::write_if_changed(&inputs.settings.manifest, &manifest).map_err(|e| failed(&e))? {
        write.written += 1;
    } else {
        write.unchanged += 1;
    }
    let replaced: Vec<(&String, &String)> = changes
        .iter()
        .zip(&before)
        .filter(|(c, (hashed, _))| *hashed != c.hashed)
        .map(|(c, (hashed, _))| (hashed, &c.hashed))
        .collect();
    write.removed = output::remove_previous(&inputs.settings.output_dir, replaced.iter().map(|(old, _)| *old))
        .map_err(|e| failed(&e))?;

    for change in changes
        .iter()
        .filter(|c| c.edited && FileKind::of(&c.file.name).is_some())
    {
        update_edges(&mut state.edges, change.record, &change.targets);
    }
    let gone: FxHashSet<&str> = replaced.iter().map(|(old, _)| old.as_str()).collect();
    state.created.retain(|name| !gone.contains(name.as_str()));
    state.created.extend(replaced.iter().map(|(_, new)| (*new).clone()));
    let touched = replaced.iter().map(|(old, _)| old.as_str());
    let touched = touched.chain(changes.iter().flat_map(|c| [c.file.name.as_str(), c.hashed.as_str()]));
    output::restamp(&mut state.output_tree, touched);
    state.overlay = fs::stamp(&inputs.settings.data.overlay).ok_or(Reason::Changed(Artifact::Overlay))?;
    state.manifest = fs::stamp(&inputs.settings.manifest).ok_or(Reason::Changed(Artifact::Manifest))?;
    state.manifest_hash.clone_from(&manifest_hash);
    // Saved last: a patch killed before leaves an overlay or manifest whose
    // stamp the state does not know, and the next build runs the stages.
    save_stamps(state, &changed, inputs)?;
    Ok(Patched {
        assets: inputs.files.len(),
        hashed: changes.iter().filter(|c| c.edited).count(),
        rewritten: changes.iter().filter(|c| FileKind::of(&c.file.name).is_some()).count(),
        write,
        manifest_hash,
    })
}

/// Replaces a changed file's outputs: the collected original of an edited
/// file, and the hashed copy; how many were written.
fn write_change(change: &Change<'_>, inputs: &Inputs<'_>) -> crate::Result<usize> {
    let name = change.file.name.as_str();
    let original = OutFile {
        name,
        content: Content::Copy(&change.file.path),
        md5: change.original.md5,
    };
    let hashed = OutFile {
        name: &change.hashed,
        content: match &change.rewritten {
            Some(bytes) => Content::Bytes(bytes),
            None => Content::Link(name),
        },
        md5: change.served.md5,
    };
    // The files that refer to an edited one: their sources did not
    // change, only their hashed copies.
    let files = if change.edited {
        &[original, hashed][..]
    } else {
        &[hashed][..]
    };
    for file in files {
        output::replace(&inputs.settings.output_dir, file, inputs.settings.config.hard_links)?;
    }
    Ok(files.len())
}

/// Saves the state with the stamps of the `changed` files as found now.
fn save_stamps(mut state: State, changed: &[usize], inputs: &Inputs<'_>) -> Result<(), Reason> {
    let racy_before = inputs.started_ns.saturating_sub(RACY_WINDOW_NS);
    for &i in changed {
        let (_, size, mtime) = &mut state.files[i];
        (*size, *mtime) = stamp_of(&inputs.files[i], racy_before);
    }
    state
        .save(&inputs.settings.out_dir)
        .map_err(|e| Reason::Failed(e.to_string()))
}

/// Hashes a changed file and, if it is CSS/JS, rewrites it against the
/// table's names; the reason not to patch if a reference names a file
/// being named, a missing one, or the file cannot be read.
fn name<'a>(
    file: &'a SourceFile,
    record: u32,
    edited: bool,
    names: &Names<'_>,
    inputs: &Inputs<'_>,
) -> Result<Change<'a>, Reason> {
    let table = names.table;
    if table.name(record) != file.name {
        return Err(Reason::Changed(Artifact::Table));
    }
    // A Vite manifest says which files are already hashed.
    if collect::is_vite_manifest(&file.name) {
        let name = file.name.clone();
        return Err(Reason::PrehashedChanged { name });
    }
    let failed = |e: &dyn std::fmt::Display| Reason::Failed(format!("`{}`: {e}", file.path.display()));
    let kind = FileKind::of(&file.name);
    let with_integrity = inputs.settings.integrity_for.wants(&file.name);
    let (original, bytes) =
        hash::digest_file(&file.path, file.size, with_integrity, kind.is_some()).map_err(|e| failed(&e))?;
    let (served, served_size, rewritten, targets) = match (kind, bytes) {
        (Some(kind), Some(bytes)) => {
            let text = String::from_utf8(bytes).map_err(|e| failed(&e))?;
            let hashed = |t: usize| names.of(t as u32);
            let rendered = render_text(&text, &file.name, kind, table, &hashed, &inputs.settings.rewrite())
                .map_err(|e| failed(&e))?;
            if rendered.unresolved {
                let name = file.name.clone();
                return Err(Reason::NewReference { name });
            }
            let targets = rendered.targets.iter().map(|&t| t as u32).collect();
            if rendered.text == text {
                (original.clone(), text.len() as u64, None, targets)
            } else {
                let bytes = rendered.text.into_bytes();
                let served = Digest {
                    md5: hash::md5_bytes(&bytes),
                    integrity: hash::integrity(&bytes),
                };
                (served, bytes.len() as u64, Some(bytes), targets)
            }
        }
        _ => (original.clone(), file.size, None, Vec::new()),
    };
    Ok(Change {
        file,
        record,
        edited,
        hashed: hash::hashed_name(&file.name, &served.md5),
        original,
        served,
        served_size,
        rewritten,
        targets,
    })
}

/// The hashed names references resolve to while a patch names files.
struct Names<'a> {
    table: &'a TableView<'a>,
    /// The files the patch names.
    affected: &'a FxHashSet<u32>,
    /// Those it named so far, and their new names.
    named: FxHashMap<u32, String>,
}

impl Names<'_> {
    /// A record's hashed name: the table's if the patch does not name it,
    /// the new one once named; `None` before (a reference the last build's
    /// records did not know of, which may make a cycle).
    fn of(&self, record: u32) -> Option<String> {
        match self.named.get(&record) {
            Some(name) => Some(name.clone()),
            None if self.affected.contains(&record) => None,
            None => Some(self.table.hashed(record)),
        }
    }
}

/// The files whose names an edit of `edited` changes: those files and, up
/// the references (`edges`), the CSS/JS files that refer to them, each
/// after the files it refers to. An error for more than [`MAX_CHANGED`]
/// files (`None`) or a cycle (a record in it), which the stages report.
fn affected(edges: &[(u32, u32)], edited: &[u32]) -> Result<Vec<u32>, Option<u32>> {
    let mut set: Vec<u32> = edited.to_vec();
    let mut seen: FxHashSet<u32> = edited.iter().copied().collect();
    let mut too_many = false;
    graph::reach_referrers(edges, edited.to_vec(), |referrer| {
        if too_many || !seen.insert(referrer) {
            return false;
        }
        set.push(referrer);
        too_many = set.len() > MAX_CHANGED;
        !too_many
    });
    if too_many {
        return Err(None);
    }
    // The same order as the stages', over the files of the set.
    set.sort_unstable();
    let local: FxHashMap<u32, usize> = set.iter().enumerate().map(|(i, &r)| (r, i)).collect();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); set.len()];
    for (i, &target) in set.iter().enumerate() {
        for referrer in graph::referrers(edges, target) {
            // Every referrer of a file of the set is in the set.
            deps[local[&referrer]].push(i);
        }
    }
    let deps: Vec<Option<&[usize]>> = deps.iter().map(|d| Some(d.as_slice())).collect();
    match graph::levels(&deps) {
        Ok(levels) => Ok(levels.into_iter().flatten().map(|i| set[i]).collect()),
        Err(left) => Err(left.first().map(|&i| set[i])),
    }
}

/// Records that `referrer`'s references now name `targets`.
fn update_edges(edges: &mut Vec<(u32, u32)>, referrer: u32, targets: &[u32]) {
    let mut new: Vec<(u32, u32)> = targets.iter().map(|&t| (t, referrer)).collect();
    new.sort_unstable();
    new.dedup();
    let old: Vec<(u32, u32)> = edges.iter().filter(|&&(_, r)| r == referrer).copied().collect();
    if old != new {
        edges.retain(|&(_, r)| r != referrer);
        edges.extend(new);
        edges.sort_unstable();
    }
}
