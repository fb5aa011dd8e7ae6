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
//! Anything else goes through the stages: a name added, removed or
//! renamed; a reference cycle, or a reference the last build did not know
//! of to another file being named; precompression, `embed`, Vite entries,
//! import-map pins, warnings other than name clashes (which the listing
//! finds again); an overlay of more than [`MAX_PATCHED`] records; a table,
//! overlay, manifest, Rust file or output folder not as the state records
//! them (written since, or by a build that was killed).
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
use crate::hash::{self, Digest, IntegrityFor, Md5Digest, RACY_WINDOW_NS};
use crate::output::{self, Content, OutFile, OutputStamp, WriteStats, Written};
use crate::overlay::{OverlayRecord, TableBytes, TableView, overlay_bytes};
use crate::references::{self, FileKind, Resolution};
use crate::rewrite::{RewriteOptions, Rewrites};

const STATE_FILE: &str = "asset-build-patch.bin";
const MAGIC: &[u8; 8] = b"ASTPATCH";
const VERSION: u32 = 2;
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
    /// Whether a patch may start from it: not once a build started running
    /// the stages.
    usable: bool,
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

    /// Reads what [`save`](Self::save) wrote: the other fields (postcard),
    /// then the files and the references as fixed-size little-endian
    /// records, which read back without decoding each number.
    fn load(out_dir: &Path) -> Option<State> {
        let bytes = std::fs::read(State::path(out_dir)).ok()?;
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

    /// For a build that runs the stages: the state, left in `OUT_DIR` no
    /// longer usable by a patch (what the stages write makes it wrong),
    /// until the build is done ([`record`] or [`State::remove`]). A build
    /// that fails keeps what the next must know of the patches before.
    pub(crate) fn take(out_dir: &Path) -> Option<State> {
        let mut state = State::load(out_dir)?;
        state.usable = false;
        if !state.patched || state.save(out_dir).is_err() {
            State::remove(out_dir);
        }
        Some(state)
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
    pub(crate) setup: Md5Digest,
    /// In collection order.
    pub(crate) assets: &'a [Asset],
    pub(crate) rewrites: &'a Rewrites,
    /// The output folder as the write stage left it.
    pub(crate) outputs: &'a Written,
    pub(crate) table: &'a Path,
    pub(crate) overlay: &'a Path,
    pub(crate) manifest: &'a Path,
    pub(crate) rust: &'a Path,
    pub(crate) manifest_hash: &'a str,
    pub(crate) started_ns: u64,
}

/// Leaves the state a later build patches from (none if it cannot be
/// written: that only costs the next build the shortcut).
pub(crate) fn record(out_dir: &Path, recorded: &Recorded<'_>) {
    if state_of(recorded).is_none_or(|state| state.save(out_dir).is_err()) {
        State::remove(out_dir);
    }
}

/// The state of a build that ran the stages.
fn state_of(recorded: &Recorded<'_>) -> Option<State> {
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
    let (table, overlay, manifest, rust) = (
        fs::stamp(recorded.table)?,
        fs::stamp(recorded.overlay)?,
        fs::stamp(recorded.manifest)?,
        fs::stamp(recorded.rust)?,
    );
    Some(State {
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
        usable: true,
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
    pub(crate) out_dir: &'a Path,
    pub(crate) output_dir: &'a Path,
    /// [`setup`] of this build.
    pub(crate) setup: Md5Digest,
    /// As collected, in collection order.
    pub(crate) files: &'a [SourceFile],
    pub(crate) started_ns: u64,
    pub(crate) table: &'a Path,
    pub(crate) overlay: &'a Path,
    pub(crate) manifest: &'a Path,
    pub(crate) rust: &'a Path,
    pub(crate) integrity_for: &'a IntegrityFor,
    pub(crate) options: &'a RewriteOptions<'a>,
    pub(crate) hard_links: bool,
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

/// Patches the last build's results, if this build can be a patch (see
/// the [module documentation](self)); `None` when the stages must run. An
/// error of any kind is `None` too: the stages then meet it again and
/// report it as they do.
pub(crate) fn patch(inputs: &Inputs<'_>) -> Option<Patched> {
    let mut state = State::load(inputs.out_dir)?;
    if !state.usable
        || state.setup != inputs.setup
        || state.files.len() != inputs.files.len()
        || fs::stamp(inputs.table) != Some(state.table)
        || fs::stamp(inputs.overlay) != Some(state.overlay)
        || fs::stamp(inputs.manifest) != Some(state.manifest)
        || fs::stamp(inputs.rust) != Some(state.rust)
        // The output folder as the last build left it (no output removed
        // or replaced since, which the stages would write again).
        || !output::trusted(inputs.output_dir, &state.output_tree)
    {
        return None;
    }
    let changed: Vec<usize> = state
        .files
        .iter()
        .zip(inputs.files)
        .enumerate()
        .filter(|(_, (stamp, file))| {
            let (_, size, mtime) = **stamp;
            (size, mtime) == UNKNOWN || size != file.size || u128::from(mtime) != file.mtime_ns
        })
        .map(|(i, _)| i)
        .take(MAX_CHANGED + 1)
        .collect();
    if changed.is_empty() || changed.len() > MAX_CHANGED {
        return None;
    }
    let edited: Vec<u32> = changed.iter().map(|&i| state.files[i].0).collect();
    if edited
        .iter()
        .any(|&r| state.flags.get(r as usize).is_none_or(|f| f & PREHASHED != 0))
    {
        return None;
    }
    let order = affected(&state.edges, &edited)?;
    let edited: FxHashSet<u32> = edited.into_iter().collect();
    // The table is read record by record: a patch needs a few of them.
    let (table, overlay) = (
        TableBytes::open(inputs.table).ok()?,
        std::fs::read(inputs.overlay).ok()?,
    );
    let view = TableView::new(table, &overlay)?;
    if view.len() as usize != state.flags.len() {
        return None;
    }
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
        table: &view,
        affected: &affected,
        named: FxHashMap::default(),
    };
    let mut changes: Vec<Change<'_>> = Vec::with_capacity(order.len());
    for record in order {
        let file = &inputs.files[*position.get(&record)?];
        let change = name(file, record, edited.contains(&record), &names, inputs)?;
        names.named.insert(record, change.hashed.clone());
        changes.push(change);
    }

    // The table's records and the manifest's entries, changed in memory.
    let before: Vec<(String, bool)> = changes
        .iter()
        .map(|c| {
            let hashed = view.hashed(c.record);
            let same = hashed == c.hashed && view.original_md5(c.record) == hash::hex(&c.original.md5);
            (hashed, same)
        })
        .collect();
    if before.iter().all(|(_, same)| *same) {
        // Touched, not changed: only the stamps are new.
        let state_hash = state.manifest_hash.clone();
        return save_stamps(state, &changed, inputs).then(|| Patched {
            assets: inputs.files.len(),
            hashed: changed.len(),
            rewritten: 0,
            write: WriteStats {
                unchanged: 2 * changes.len() + 1,
                ..WriteStats::default()
            },
            manifest_hash: state_hash,
        });
    }
    // The overlay: the records patched before, and these.
    let mut records: BTreeMap<u32, OverlayRecord> = view.patched().iter().map(|&i| (i, view.record(i))).collect();
    for change in &changes {
        let mut record = view.record(change.record);
        record.hashed.clone_from(&change.hashed);
        record.integrity.clone_from(&change.served.integrity);
        record.served = (hash::hex(&change.served.md5), change.served_size);
        record.original = (hash::hex(&change.original.md5), change.file.size);
        records.insert(change.record, record);
    }
    if records.len() > MAX_PATCHED {
        return None;
    }
    let records: Vec<OverlayRecord> = records.into_values().collect();
    let overlay = overlay_bytes(&records, inputs.options.static_url);
    let mut manifest = std::fs::read(inputs.manifest).ok()?;
    let renamed: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.file.name.as_str(), c.hashed.as_str()))
        .collect();
    let manifest_hash = Manifest::patch_json(&mut manifest, &renamed)?;

    // From here on the output folder changes: a build that runs the stages
    // must not trust it, even if this one is killed.
    if !state.patched {
        state.patched = true;
        state.save(inputs.out_dir).ok()?;
    }
    // The files first, then the overlay and the manifest that name them,
    // then the files they no longer name.
    let mut write = WriteStats::default();
    for (change, (_, same)) in changes.iter().zip(&before) {
        if *same {
            write.unchanged += 2;
            continue;
        }
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
            output::replace(inputs.output_dir, file, inputs.hard_links).ok()?;
        }
        write.written += files.len();
    }
    fs::write_if_changed(inputs.overlay, &overlay).ok()?;
    if fs::write_if_changed(inputs.manifest, &manifest).ok()? {
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
    write.removed = output::remove_previous(inputs.output_dir, replaced.iter().map(|(old, _)| *old)).ok()?;

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
    state.overlay = fs::stamp(inputs.overlay)?;
    state.manifest = fs::stamp(inputs.manifest)?;
    state.manifest_hash.clone_from(&manifest_hash);
    // Saved last: a patch killed before leaves an overlay or manifest whose
    // stamp the state does not know, and the next build runs the stages.
    if !save_stamps(state, &changed, inputs) {
        return None;
    }
    Some(Patched {
        assets: inputs.files.len(),
        hashed: changes.iter().filter(|c| c.edited).count(),
        rewritten: changes.iter().filter(|c| FileKind::of(&c.file.name).is_some()).count(),
        write,
        manifest_hash,
    })
}

/// Saves the state with the stamps of the `changed` files as found now;
/// whether it was saved.
fn save_stamps(mut state: State, changed: &[usize], inputs: &Inputs<'_>) -> bool {
    let racy_before = inputs.started_ns.saturating_sub(RACY_WINDOW_NS);
    for &i in changed {
        let (_, size, mtime) = &mut state.files[i];
        (*size, *mtime) = stamp_of(&inputs.files[i], racy_before);
    }
    state.save(inputs.out_dir).is_ok()
}

/// Hashes a changed file and, if it is CSS/JS, rewrites it against the
/// table's names; `None` if a reference names a changed file, a missing
/// one, or the file cannot be read.
fn name<'a>(
    file: &'a SourceFile,
    record: u32,
    edited: bool,
    names: &Names<'_>,
    inputs: &Inputs<'_>,
) -> Option<Change<'a>> {
    let table = names.table;
    // A Vite manifest says which files are already hashed.
    if table.name(record) != file.name || collect::is_vite_manifest(&file.name) {
        return None;
    }
    let kind = FileKind::of(&file.name);
    let with_integrity = inputs.integrity_for.wants(&file.name);
    let (original, bytes) = hash::digest_file(&file.path, file.size, with_integrity, kind.is_some()).ok()?;
    let (served, served_size, rewritten, targets) = match (kind, bytes) {
        (Some(kind), Some(bytes)) => {
            let text = String::from_utf8(bytes).ok()?;
            let mut targets = Vec::new();
            let mut patchable = true;
            let options = inputs.options;
            let rendered = references::rewrite(
                &text,
                &file.name,
                kind,
                options.patterns,
                options.static_url,
                &mut |r| {
                    Ok(match find(table, &r.target) {
                        Found::File(t) if let Some(hashed) = names.of(t) => {
                            targets.push(t);
                            Resolution::Hashed(hashed)
                        }
                        Found::Folder => Resolution::Folder,
                        _ => {
                            patchable = false;
                            Resolution::Keep
                        }
                    })
                },
            )
            .ok()?;
            if !patchable {
                return None;
            }
            if rendered == text {
                (original.clone(), text.len() as u64, None, targets)
            } else {
                let bytes = rendered.into_bytes();
                let served = Digest {
                    md5: hash::md5_bytes(&bytes),
                    integrity: hash::integrity(&bytes),
                };
                (served, bytes.len() as u64, Some(bytes), targets)
            }
        }
        _ => (original.clone(), file.size, None, Vec::new()),
    };
    Some(Change {
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
/// after the files it refers to. `None` for more than [`MAX_CHANGED`]
/// files or a cycle (which the stages report).
fn affected(edges: &[(u32, u32)], edited: &[u32]) -> Option<Vec<u32>> {
    let referrers = |target: u32| {
        let start = edges.partition_point(|&(t, _)| t < target);
        edges[start..]
            .iter()
            .take_while(move |&&(t, _)| t == target)
            .map(|&(_, r)| r)
    };
    let mut set: FxHashSet<u32> = edited.iter().copied().collect();
    let mut stack: Vec<u32> = edited.to_vec();
    while let Some(target) = stack.pop() {
        for referrer in referrers(target) {
            if set.insert(referrer) {
                if set.len() > MAX_CHANGED {
                    return None;
                }
                stack.push(referrer);
            }
        }
    }
    // Kahn's order over the references among them.
    let mut waiting: FxHashMap<u32, usize> = set.iter().map(|&r| (r, 0)).collect();
    for &target in &set {
        for referrer in referrers(target) {
            *waiting.get_mut(&referrer)? += 1;
        }
    }
    let mut ready: Vec<u32> = waiting.iter().filter(|(_, n)| **n == 0).map(|(&r, _)| r).collect();
    ready.sort_unstable_by(|a, b| b.cmp(a));
    let mut order = Vec::with_capacity(set.len());
    while let Some(target) = ready.pop() {
        order.push(target);
        for referrer in referrers(target) {
            let n = waiting.get_mut(&referrer)?;
            *n -= 1;
            if *n == 0 {
                ready.push(referrer);
            }
        }
    }
    (order.len() == set.len()).then_some(order)
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

/// What a reference's target is among the table's names.
enum Found {
    File(u32),
    Folder,
    Missing,
}

/// Finds a reference's target as the rewrite stage does: a name ending in
/// `/` can only be a folder, and a folder wins over a file of the same
/// name.
fn find(table: &TableView<'_>, target: &str) -> Found {
    let trimmed = target.trim_end_matches('/');
    if trimmed.len() < target.len() {
        return if trimmed.is_empty() || table.is_folder(trimmed) {
            Found::Folder
        } else {
            Found::Missing
        };
    }
    if !target.is_empty() && table.is_folder(target) {
        return Found::Folder;
    }
    table.find(target).map_or(Found::Missing, Found::File)
}
