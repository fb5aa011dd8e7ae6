//! The edit loop's shortcut: a rebuild that finds the names of the last
//! build with a few files edited patches that build's results instead of
//! running the stages over every asset.
//!
//! After one edit, each stage still walks every asset's record: decoding
//! the memo, naming every file, writing the table and the manifest
//! again. At tens of thousands of assets that is most of the build
//! script's time, growing with the assets rather than with the edit. The
//! listing of the sources, which finds what changed, is the only pass over
//! every file a patch makes.
//!
//! A build that ran the stages leaves, in its ledger ([`Ledger`]), which
//! records the CSS/JS files refer to and which are prehashed. The next
//! build compares the files it lists with the ledger, position by position
//! ([`Ledger::changed`]). When the names are the same, it takes the
//! changed files and, up the references, the CSS/JS files that refer to
//! them ([`MAX_CHANGED`] at most), and, each after the files it refers to:
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
//! read to decide; applying it writes at the edge, the ledger last.
//! Anything else goes through the stages, and the [`Reason`] says why: a
//! reference cycle, or a reference the last build did not know of to
//! another file being named; a prehashed file changed; an overlay of more
//! than [`MAX_PATCHED`] records; more than [`MAX_CHANGED`] files to name.
//!
//! A patch leaves the memo ([`crate::memo`]) as it was: the next stage run
//! finds the edited files' stamps changed and so hashes them again, and
//! does not trust the output folder (the ledger says patches wrote it), so
//! it looks at each output. The ledger also names the hashed copies
//! patches created, which a stage run removes when it no longer wants
//! them.

use std::collections::BTreeMap;

use asset_contract::Manifest;
use asset_contract::table::read::{Reader, Unreadable};
use asset_contract::table::write::{self, File, Record};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::collect::{self, SourceFile};
use crate::dependency_assets::DependencyAssets;
use crate::fs;
use crate::graph;
use crate::hash::{self, Digest};
use crate::ledger::{Ledger, PREHASHED};
use crate::output::{self, Content, OutFile, WriteStats};
use crate::rebuild::{Artifact, Reason};
use crate::references::FileKind;
use crate::rewrite::{Catalog, Entry, render_text};
use crate::settings::Settings;

/// More changed files than this go through the stages.
pub(crate) const MAX_CHANGED: usize = 64;
/// Once the overlay holds this many records, the stages write the table
/// anew.
const MAX_PATCHED: usize = 1024;

/// What a patch is given.
pub(crate) struct Inputs<'a> {
    pub(crate) settings: &'a Settings<'a>,
    /// As collected, in collection order.
    pub(crate) files: &'a [SourceFile],
    /// The collection's warnings (name clashes).
    pub(crate) warnings: &'a [String],
    /// `cargo metadata`'s answer about dependency crates' asset folders.
    pub(crate) dependency_assets: &'a Option<DependencyAssets>,
    /// What the last build produced.
    pub(crate) last: &'a Ledger,
    /// The files that changed since, by position ([`Ledger::changed`]).
    pub(crate) changed: Vec<usize>,
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

/// What [`plan`] decided, before anything is written.
enum Plan<'a> {
    /// Files touched, not changed: only their stamps are new.
    Restamp,
    /// Files to write, then the overlay and the manifest that name them.
    Write(Box<Writes<'a>>),
}

/// A patch's writes, all computed.
struct Writes<'a> {
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
pub(crate) fn patch(inputs: &Inputs<'_>) -> Result<Patched, Reason> {
    match plan(inputs)? {
        Plan::Restamp => {
            let mut ledger = inputs.last.clone();
            ledger.restamp_files(&inputs.changed, inputs.files, inputs.started_ns);
            save(&mut ledger, inputs)?;
            Ok(Patched {
                assets: inputs.files.len(),
                hashed: inputs.changed.len(),
                rewritten: 0,
                write: WriteStats {
                    unchanged: ledger.outputs,
                    ..WriteStats::default()
                },
                manifest_hash: ledger.manifest_hash,
            })
        }
        Plan::Write(writes) => apply(*writes, inputs),
    }
}

/// Decides what a patch writes, reading the files that changed and the
/// table's records, and writing nothing.
fn plan<'a>(inputs: &Inputs<'a>) -> Result<Plan<'a>, Reason> {
    let last = inputs.last;
    if inputs.changed.len() > MAX_CHANGED {
        return Err(Reason::TooManyChanged);
    }
    let edited: Vec<u32> = inputs.changed.iter().map(|&i| last.files[i].0).collect();
    if let Some(&i) = inputs.changed.iter().find(|&&i| {
        let record = last.files[i].0;
        last.flags.get(record as usize).is_none_or(|f| f & PREHASHED != 0)
    }) {
        let name = inputs.files[i].name.clone();
        return Err(Reason::PrehashedChanged { name });
    }
    let order = affected(&last.edges, &edited).map_err(|cycle| match cycle {
        Some(record) => Reason::NewReference {
            name: name_at(last, inputs.files, record),
        },
        None => Reason::TooManyChanged,
    })?;
    let edited: FxHashSet<u32> = edited.into_iter().collect();
    // The table is read record by record: a patch needs a few of them.
    let table = open_table(&inputs.settings.data.table).map_err(|_| Reason::Changed(Artifact::Table))?;
    let overlay = std::fs::read(&inputs.settings.data.overlay).map_err(|_| Reason::Changed(Artifact::Overlay))?;
    let view = Reader::new(table, overlay).map_err(|part| match part {
        Unreadable::Table => Reason::Changed(Artifact::Table),
        Unreadable::Overlay => Reason::Changed(Artifact::Overlay),
    })?;
    if view.len() as usize != last.flags.len() {
        return Err(Reason::Changed(Artifact::Table));
    }
    let changes = name_all(last, order, &edited, &view, inputs)?;
    let before: Vec<(String, bool)> = changes
        .iter()
        .map(|c| {
            let record = view.record(c.record).ok_or(Reason::Changed(Artifact::Table))?;
            let same = record.hashed_name == c.hashed && record.original_file.md5 == c.original.md5;
            Ok((record.hashed_name.into_owned(), same))
        })
        .collect::<Result<_, Reason>>()?;
    if before.iter().all(|(_, same)| *same) {
        return Ok(Plan::Restamp);
    }
    let overlay = overlay_of(&view, &changes, &inputs.settings.config.static_url)?;
    let mut manifest = std::fs::read(&inputs.settings.manifest).map_err(|_| Reason::Changed(Artifact::Manifest))?;
    let renamed: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.file.name.as_str(), c.hashed.as_str()))
        .collect();
    let manifest_hash = Manifest::patch_json(&mut manifest, &renamed).ok_or(Reason::Changed(Artifact::Manifest))?;
    Ok(Plan::Write(Box::new(Writes {
        changes,
        before,
        overlay,
        manifest,
        manifest_hash,
    })))
}

/// The logical name of a record, as collected.
fn name_at(last: &Ledger, files: &[SourceFile], record: u32) -> String {
    let position = last.files.iter().position(|&(r, _, _)| r == record);
    position.map_or_else(String::new, |i| files[i].name.clone())
}

/// Names each file in `order` (hashes it, and rewrites it if it is CSS/JS),
/// each against the names of those before it.
fn name_all<'a>(
    last: &Ledger,
    order: Vec<u32>,
    edited: &FxHashSet<u32>,
    view: &LastTable,
    inputs: &Inputs<'a>,
) -> Result<Vec<Change<'a>>, Reason> {
    // Where each file to name is among the collected ones.
    let affected: FxHashSet<u32> = order.iter().copied().collect();
    let position: FxHashMap<u32, usize> = last
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
fn overlay_of(view: &LastTable, changes: &[Change<'_>], static_url: &str) -> Result<Vec<u8>, Reason> {
    let unreadable = Reason::Changed(Artifact::Overlay);
    let mut records: BTreeMap<u32, Record<'static>> = BTreeMap::new();
    for &i in view.patched() {
        records.insert(i, view.record(i).ok_or(unreadable.clone())?);
    }
    for change in changes {
        let mut record = view.record(change.record).ok_or(Reason::Changed(Artifact::Table))?;
        record.hashed_name = change.hashed.clone().into();
        record.integrity = change.served.integrity.clone().into();
        record.hashed_file = File::plain(change.served.md5, change.served_size);
        record.original_file = File::plain(change.original.md5, change.file.size);
        records.insert(change.record, record);
    }
    if records.len() > MAX_PATCHED {
        return Err(Reason::OverlayFull);
    }
    let records: Vec<(u32, Record<'_>)> = records.into_iter().collect();
    Ok(write::overlay(&records, static_url))
}

/// Writes what [`plan`] decided: the files first, then the overlay and the
/// manifest that name them, then the ledger; the files they no longer name
/// last.
fn apply(writes: Writes<'_>, inputs: &Inputs<'_>) -> Result<Patched, Reason> {
    let Writes {
        changes,
        before,
        overlay,
        manifest,
        manifest_hash,
    } = writes;
    let failed = |e: &dyn std::fmt::Display| Reason::Failed(e.to_string());
    let mut ledger = inputs.last.clone();
    // From here on the output folder changes: a build that runs the stages
    // must not trust it, even if this one is killed.
    if !ledger.patched {
        ledger.patched = true;
        save(&mut ledger, inputs)?;
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
        update_edges(&mut ledger.edges, change.record, &change.targets);
    }
    let gone: FxHashSet<&str> = replaced.iter().map(|(old, _)| old.as_str()).collect();
    ledger.created.retain(|name| !gone.contains(name.as_str()));
    ledger.created.extend(replaced.iter().map(|(_, new)| (*new).clone()));
    let touched = replaced.iter().map(|(old, _)| old.as_str());
    let touched = touched.chain(changes.iter().flat_map(|c| [c.file.name.as_str(), c.hashed.as_str()]));
    output::restamp(&mut ledger.output_tree, touched);
    for artifact in [Artifact::Overlay, Artifact::Manifest] {
        if !ledger.restamp(inputs.settings, artifact) {
            return Err(Reason::Changed(artifact));
        }
    }
    ledger.manifest_hash.clone_from(&manifest_hash);
    ledger.restamp_files(&inputs.changed, inputs.files, inputs.started_ns);
    // Saved last: a patch killed before leaves an overlay or manifest whose
    // stamp the ledger does not know, and the next build runs the stages.
    save(&mut ledger, inputs)?;
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

/// Saves the ledger a patch leaves, with this build's warnings and `cargo
/// metadata`'s answer.
fn save(ledger: &mut Ledger, inputs: &Inputs<'_>) -> Result<(), Reason> {
    inputs.warnings.clone_into(&mut ledger.warnings);
    ledger.dependency_assets.clone_from(inputs.dependency_assets);
    ledger
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
    if table.name(record).as_deref() != Some(file.name.as_str()) {
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

/// The last build's table and overlay, read in place: a patch needs a few
/// of the table's records, not megabytes of it.
type LastTable = Reader<TableFile, Vec<u8>>;

/// The table's file, read by position.
#[cfg(unix)]
type TableFile = std::fs::File;
/// The table's file, read whole where positioned reads are not in `std`.
#[cfg(not(unix))]
type TableFile = Vec<u8>;

fn open_table(path: &std::path::Path) -> std::io::Result<TableFile> {
    #[cfg(unix)]
    return std::fs::File::open(path);
    #[cfg(not(unix))]
    return std::fs::read(path);
}

impl Catalog for LastTable {
    fn entry(&self, name: &str) -> Option<Entry> {
        if !name.is_empty() && self.is_folder(name) {
            return Some(Entry::Folder);
        }
        self.find(name).map(|i| Entry::File(i as usize))
    }
}

/// The hashed names references resolve to while a patch names files.
struct Names<'a> {
    table: &'a LastTable,
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
            None => self.table.hashed_name(record),
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
