//! Step 3: give every file its final hashed name, rewriting CSS and JS in
//! dependency order. Turns [`Hashed`] files into [`Asset`]s.
//!
//! A file that is not CSS or JS is named from the MD5 of its bytes. A CSS or
//! JS file is named from the MD5 of its content *after* its references are
//! rewritten, so it can only be named once every CSS/JS file it refers to
//! has been. The files are therefore processed in topological order of
//! their references (each level on all cores); a change deep in a chain of
//! `@import`s changes every name up the chain. Django reaches the same
//! names by repeating passes until nothing changes; a cycle is an error
//! here, reported with the files that form it.
//!
//! On a rebuild, a CSS/JS file whose content and whose references' hashed
//! names did not change keeps its recorded name ([`RewriteRecord`]) and is
//! not read at all; its rewritten bytes are produced again
//! ([`render_needed`]) only if its output must be written or compressed.
//! When the collected names are those of the last build, each reference
//! still names the file it named, which the record keeps by index: only
//! the files an edit can reach up the references are looked at, and the
//! others keep their names without a lookup or a digest.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rayon::prelude::*;
use rustc_hash::{FxHashSet, FxHasher};
use serde::{Deserialize, Serialize};

use crate::asset::{Asset, Served, ServedBytes};
use crate::collect::SourceFile;
use crate::error::{Error, Result};
use crate::graph;
use crate::hash::{Digest, Hashed, Md5Digest, hashed_name, md5_bytes, update_field};
use crate::name_map::NameMap;
use crate::references::{FileKind, Patterns, Reference, Resolution, rewrite};
use md5::{Digest as _, Md5};

/// How a reference resolved when a CSS/JS file was last scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TargetKind {
    File,
    Folder,
    Missing,
}

/// A CSS/JS file as last rewritten, recorded for the next build: enough to
/// name it again without reading it, as long as its content and the names
/// of the files it refers to are unchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RewriteRecord {
    /// MD5 of the original content.
    pub(crate) source_md5: Md5Digest,
    /// Every reference's resolved name and what it was, in order.
    pub(crate) references: References,
    /// MD5 over the hashed names of the referenced files.
    pub(crate) targets_key: Md5Digest,
    pub(crate) hashed: String,
    pub(crate) served_md5: Md5Digest,
    pub(crate) integrity: String,
    pub(crate) size: u64,
    pub(crate) warnings: Vec<String>,
    /// Per reference, the index in collection order of the file it names,
    /// or [`NO_FILE`]: valid as long as the collected names are those of
    /// [`Rewrites::names`].
    pub(crate) targets: Vec<u32>,
}

/// A CSS/JS file's references as a record keeps them: each one's resolved
/// target and what it was, in order. The targets share one string, so
/// that loading tens of thousands of records allocates a few times per
/// record rather than once per reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct References {
    targets: String,
    /// Where each target ends in `targets`.
    ends: Vec<u32>,
    kinds: Vec<TargetKind>,
}

impl References {
    fn push(&mut self, target: &str, kind: TargetKind) {
        self.targets.push_str(target);
        self.ends
            .push(u32::try_from(self.targets.len()).expect("references under 4 GiB"));
        self.kinds.push(kind);
    }

    fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Each reference's target and what it was, in order.
    fn iter(&self) -> impl Iterator<Item = (&str, TargetKind)> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).zip(&self.kinds).map(|((start, &end), &kind)| {
            let target = self.targets.get(start as usize..end as usize).unwrap_or("");
            (target, kind)
        })
    }
}

/// In [`RewriteRecord::targets`], a reference that names no file.
const NO_FILE: u32 = u32::MAX;

/// Settings of the rewrite step.
pub(crate) struct RewriteOptions<'a> {
    pub(crate) patterns: &'a Patterns,
    pub(crate) static_url: &'a str,
    pub(crate) lenient: bool,
}

impl RewriteOptions<'_> {
    /// Digest of every setting a rewrite depends on besides the files.
    fn key(&self) -> Md5Digest {
        let mut h = Md5::new();
        // Another asset-build may rewrite the same text otherwise.
        update_field(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
        update_field(&mut h, self.patterns.describe().as_bytes());
        update_field(&mut h, self.static_url.as_bytes());
        h.update([u8::from(self.lenient)]);
        h.finalize().into()
    }
}

/// The records of the last build's CSS/JS files, and the settings they
/// were made with: records made with other settings are not reused.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Rewrites {
    settings: Md5Digest,
    /// Digest of the collected names, and of how each is read, in
    /// collection order ([`names_key`]): while they are the same, every
    /// reference names the file it named.
    names: Md5Digest,
    /// By logical name.
    pub(crate) records: NameMap<RewriteRecord>,
}

impl Rewrites {
    /// The files the references of the CSS/JS file `name` name, by index
    /// in collection order (once for each reference); none without a
    /// record.
    pub(crate) fn targets(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        let record = self.records.get(name.as_bytes());
        let targets = record.map_or(&[][..], |r| r.targets.as_slice());
        targets.iter().filter(|&&t| t != NO_FILE).map(|&t| t as usize)
    }
}

/// What this stage gives the next: every asset, named, in collection order.
pub(crate) struct Named {
    pub(crate) assets: Vec<Asset>,
    /// Lenient missing references.
    pub(crate) warnings: Vec<String>,
    /// Records of every CSS/JS file, for the next build.
    pub(crate) records: Rewrites,
    /// How many CSS/JS files were read and rewritten.
    pub(crate) rewritten: usize,
}

/// A CSS/JS file rewritten in this build: its new record and bytes.
type Rewritten = (RewriteRecord, Vec<u8>);

/// What became of a CSS/JS file.
enum Outcome {
    /// Not looked at: its record's served digest and size, and warnings.
    Untouched((Digest, u64), Vec<String>),
    /// Looked at, and its record still holds: with its references'
    /// targets as found again.
    Kept(Vec<u32>),
    Rewritten(Rewritten),
}

/// A CSS/JS file's references, from a scan or borrowed from the cache.
struct Scanned<'p> {
    /// The content, when it was read in this build.
    text: Option<String>,
    /// The rewritten content, when the scan could produce it: every file
    /// it refers to was named before the scan (none is CSS/JS).
    rendered: Option<String>,
    references: Cow<'p, References>,
    /// Per reference, the index of the file it names, if it names one.
    targets: Vec<Option<usize>>,
    /// Indices of the CSS/JS files it refers to.
    deps: Vec<usize>,
    warnings: Cow<'p, [String]>,
}

/// What a name is among the names references resolve against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A file, by its index (in collection order for the stages, in the
    /// table for a patch).
    File(usize),
    /// A folder holding files.
    Folder,
}

/// The names references resolve against: the stages' [`Lookup`] of the
/// collected files, or a patch's view of the last build's table.
pub(crate) trait Catalog {
    /// What `name` is; a folder wins over a file of the same name.
    fn entry(&self, name: &str) -> Option<Entry>;
}

/// What a reference's target is among `catalog`'s names, and the file's
/// index: a target ending in `/` can only be a folder (or the root). The
/// one rule the stages and a patch follow.
pub(crate) fn resolve(catalog: &impl Catalog, target: &str) -> (TargetKind, Option<usize>) {
    let trimmed = target.trim_end_matches('/');
    if trimmed.len() < target.len() {
        return match catalog.entry(trimmed) {
            _ if trimmed.is_empty() => (TargetKind::Folder, None),
            Some(Entry::Folder) => (TargetKind::Folder, None),
            _ => (TargetKind::Missing, None),
        };
    }
    match catalog.entry(target) {
        Some(Entry::File(i)) => (TargetKind::File, Some(i)),
        Some(Entry::Folder) => (TargetKind::Folder, None),
        None => (TargetKind::Missing, None),
    }
}

/// A CSS/JS file's text with its references pointed at hashed names.
pub(crate) struct Rendered {
    pub(crate) text: String,
    /// The files its references name, once each reference.
    pub(crate) targets: Vec<usize>,
    /// Whether a reference names a file with no hashed name yet, or
    /// nothing (left as it is).
    pub(crate) unresolved: bool,
}

/// Rewrites `text`'s references to the hashed names of the files they
/// resolve to in `catalog` (`hashed` gives a file's, `None` while it has
/// none); a folder stays a folder, and a target that resolves to nothing
/// stays as it is. How the stages and a patch both render a file.
pub(crate) fn render_text(
    text: &str,
    name: &str,
    kind: FileKind,
    catalog: &impl Catalog,
    hashed: &dyn Fn(usize) -> Option<String>,
    options: &RewriteOptions<'_>,
) -> Result<Rendered> {
    let mut targets = Vec::new();
    let mut unresolved = false;
    let text = rewrite(text, name, kind, options.patterns, options.static_url, &mut |r| {
        Ok(match resolve(catalog, &r.target) {
            (TargetKind::File, Some(t)) if let Some(name) = hashed(t) => {
                targets.push(t);
                Resolution::Hashed(name)
            }
            (TargetKind::Folder, _) => Resolution::Folder,
            _ => {
                unresolved = true;
                Resolution::Keep
            }
        })
    })?;
    Ok(Rendered {
        text,
        targets,
        unresolved,
    })
}

/// Finds collected files and the folders that hold them by name, with one
/// hash lookup (a folder wins over a file of the same name).
pub(crate) struct Lookup<'a> {
    /// A file's index, or `None` for a folder.
    names: HashMap<&'a str, Option<usize>, BuildHasherDefault<FxHasher>>,
}

impl<'a> Lookup<'a> {
    pub(crate) fn new(names: impl ExactSizeIterator<Item = &'a str>) -> Self {
        let mut map: HashMap<&'a str, Option<usize>, _> = HashMap::default();
        map.reserve(names.len() * 11 / 10);
        for (i, file) in names.enumerate() {
            map.entry(file).or_insert(Some(i));
            let mut name = file;
            while let Some(slash) = name.rfind('/') {
                name = &name[..slash];
                if map.insert(name, None) == Some(None) {
                    break;
                }
            }
        }
        Lookup { names: map }
    }
}

impl Catalog for Lookup<'_> {
    fn entry(&self, name: &str) -> Option<Entry> {
        self.names.get(name).map(|i| i.map_or(Entry::Folder, Entry::File))
    }
}

/// How this stage reads a file: CSS or JS, rewritten; `None` for the
/// others, and for a file already hashed, which is served as it is.
pub(crate) fn kind_of(file: &SourceFile) -> Option<FileKind> {
    if file.prehashed { None } else { FileKind::of(&file.name) }
}

/// Names every file, rewriting CSS/JS; `previous` are the last build's
/// records (those still valid move into [`Named::records`]). In phases over
/// one [`Item`] per file:
///
/// 1. which CSS/JS files to look at again ([`to_visit`]);
/// 2. the names known at once: files that are not CSS/JS, from their
///    bytes; CSS/JS files not looked at, from their records;
/// 3. the references of the others ([`scan`]);
/// 4. those named in levels, each after the files it refers to
///    ([`name_in_levels`]);
/// 5. the assets and the records for the next build ([`assemble`]).
pub(crate) fn rewrite_all(
    mut hashed_files: Vec<Hashed>,
    options: &RewriteOptions<'_>,
    previous: Rewrites,
) -> Result<Named> {
    let settings = options.key();
    let (previous, previous_names) = if previous.settings == settings {
        (previous.records, Some(previous.names))
    } else {
        (NameMap::default(), None)
    };
    // The bytes the hash stage read, so that no file is read twice.
    let read: Vec<Option<Vec<u8>>> = hashed_files.iter_mut().map(|h| h.bytes.take()).collect();
    let mut items: Vec<Item<'_, '_>> = hashed_files.iter().zip(read).map(Item::new).collect();
    let names = names_key(&items);
    if previous_names == Some(names) {
        to_visit(&mut items, &previous);
    }
    let lookup = Lookup::new(items.iter().map(|item| item.file.name.as_str()));
    let mut hashed = name_known(&mut items, &previous);
    scan_visited(&mut items, &lookup, &hashed, &previous, options)?;
    let warnings = items.iter().flat_map(Item::warnings).cloned().collect();
    name_in_levels(&mut items, &mut hashed, &lookup, &previous, options)?;
    let outcomes: Vec<Option<Outcome>> = items.into_iter().map(|item| item.outcome).collect();
    let (assets, records, rewritten) = assemble(hashed_files, hashed, outcomes, previous);
    Ok(Named {
        assets,
        warnings,
        records: Rewrites {
            settings,
            names,
            records,
        },
        rewritten,
    })
}

/// One file as the rewrite stage takes it through its phases.
struct Item<'h, 'p> {
    file: &'h SourceFile,
    hashed: &'h Hashed,
    /// CSS or JS, rewritten; `None` for the others.
    kind: Option<FileKind>,
    /// For a CSS/JS file: whether it is looked at again (else its record
    /// names it).
    visit: bool,
    /// The bytes the hash stage read, until the scan takes them.
    read: Option<Vec<u8>>,
    /// Its references, once scanned.
    scanned: Option<Scanned<'p>>,
    /// What became of it, once known; `None` for a file that is not CSS/JS.
    outcome: Option<Outcome>,
}

impl<'h> Item<'h, '_> {
    fn new((hashed, read): (&'h Hashed, Option<Vec<u8>>)) -> Self {
        let kind = kind_of(&hashed.source);
        Item {
            file: &hashed.source,
            hashed,
            kind,
            visit: kind.is_some(),
            read,
            scanned: None,
            outcome: None,
        }
    }

    fn md5(&self) -> Md5Digest {
        self.hashed.digest.md5
    }

    /// The warnings of its references: found by the scan, or recorded.
    fn warnings(&self) -> impl Iterator<Item = &String> {
        let scanned = self.scanned.iter().flat_map(|s| s.warnings.iter());
        let kept = match (&self.scanned, &self.outcome) {
            (None, Some(Outcome::Untouched(_, kept))) => kept.as_slice(),
            _ => &[],
        };
        scanned.chain(kept)
    }
}

/// Phase 2: the names known at once, by index (the others `None` for now):
/// a prehashed file's own, a file that is not CSS/JS named from its bytes,
/// a CSS/JS file not looked at named by its record (whose outcome is known
/// then).
fn name_known(items: &mut [Item<'_, '_>], previous: &NameMap<RewriteRecord>) -> Vec<Option<String>> {
    items
        .par_iter_mut()
        .map(|item| match item.kind {
            _ if item.file.prehashed => Some(item.file.name.clone()),
            None => Some(hashed_name(&item.file.name, &item.md5())),
            Some(_) if item.visit => None,
            Some(_) => {
                let record = previous
                    .get(item.file.name.as_bytes())
                    .expect("a file not visited has a record");
                item.outcome = Some(Outcome::Untouched(served_digest(record), record.warnings.clone()));
                Some(record.hashed.clone())
            }
        })
        .collect()
}

/// Phase 3: the references of each CSS/JS file looked at, on all cores.
fn scan_visited<'p>(
    items: &mut [Item<'_, 'p>],
    lookup: &Lookup<'_>,
    hashed: &[Option<String>],
    previous: &'p NameMap<RewriteRecord>,
    options: &RewriteOptions<'_>,
) -> Result<()> {
    items
        .par_iter_mut()
        .filter(|item| item.kind.is_some() && item.visit)
        .try_for_each(|item| {
            let cached = previous
                .get(item.file.name.as_bytes())
                .filter(|r| r.source_md5 == item.md5());
            let kind = item.kind.expect("filtered");
            item.scanned = Some(scan(
                item.file,
                item.read.take(),
                kind,
                cached,
                lookup,
                hashed,
                options,
            )?);
            Ok(())
        })
}

/// Phase 4: names the scanned files in levels, each level on all cores and
/// after the files its files refer to: a file whose content and whose
/// targets' names are its record's keeps the record's name, the others
/// are rendered and named from their bytes.
fn name_in_levels(
    items: &mut [Item<'_, '_>],
    hashed: &mut [Option<String>],
    lookup: &Lookup<'_>,
    previous: &NameMap<RewriteRecord>,
    options: &RewriteOptions<'_>,
) -> Result<()> {
    for level in levels(items)? {
        // The scan's own output, where it is final.
        let level: Vec<(usize, Option<String>)> = level
            .into_iter()
            .map(|i| (i, items[i].scanned.as_mut().and_then(|s| s.rendered.take())))
            .collect();
        let named: Vec<(usize, Outcome)> = level
            .into_par_iter()
            .map(|(i, rendered)| Ok((i, name_scanned(&items[i], rendered, lookup, hashed, previous, options)?)))
            .collect::<Result<_>>()?;
        for (i, outcome) in named {
            hashed[i] = Some(match &outcome {
                Outcome::Rewritten((record, _)) => record.hashed.clone(),
                _ => previous
                    .get(items[i].file.name.as_bytes())
                    .expect("a kept file has a record")
                    .hashed
                    .clone(),
            });
            items[i].outcome = Some(outcome);
        }
    }
    Ok(())
}

/// Names one scanned file, once the files it refers to are named.
fn name_scanned(
    item: &Item<'_, '_>,
    rendered: Option<String>,
    lookup: &Lookup<'_>,
    hashed: &[Option<String>],
    previous: &NameMap<RewriteRecord>,
    options: &RewriteOptions<'_>,
) -> Result<Outcome> {
    let s = item.scanned.as_ref().expect("levels hold only scanned files");
    let file = item.file;
    let targets_key = targets_key(&s.targets, hashed);
    let cached = previous
        .get(file.name.as_bytes())
        .is_some_and(|r| r.source_md5 == item.md5() && r.targets_key == targets_key);
    if cached {
        return Ok(Outcome::Kept(packed(&s.targets)));
    }
    let text = match &s.text {
        Some(text) => Cow::Borrowed(text.as_str()),
        None => Cow::Owned(read_text(file, None)?),
    };
    let bytes = match rendered {
        Some(rendered) => rendered.into_bytes(),
        None => render(&text, file, item.kind.expect("scanned"), lookup, hashed, options)?,
    };
    // Most scripts refer to nothing: their bytes are the source's, whose
    // digests are known.
    let (digest, integrity) = if bytes == text.as_bytes() {
        let source = &item.hashed.digest;
        (source.md5, source.integrity.clone())
    } else {
        (md5_bytes(&bytes), crate::hash::integrity(&bytes))
    };
    let record = RewriteRecord {
        source_md5: item.md5(),
        references: s.references.clone().into_owned(),
        targets_key,
        hashed: hashed_name(&file.name, &digest),
        served_md5: digest,
        integrity,
        size: bytes.len() as u64,
        warnings: s.warnings.to_vec(),
        targets: packed(&s.targets),
    };
    Ok(Outcome::Rewritten((record, bytes)))
}

/// Phase 5: every asset, named, and the records for the next build (those
/// reused stay where they are; new ones replace theirs; those of files no
/// longer rewritten go); how many files were rewritten.
fn assemble(
    hashed_files: Vec<Hashed>,
    hashed: Vec<Option<String>>,
    outcomes: Vec<Option<Outcome>>,
    previous: NameMap<RewriteRecord>,
) -> (Vec<Asset>, NameMap<RewriteRecord>, usize) {
    let mut records = previous;
    let mut rewritten = 0;
    let mut named = 0;
    let assets: Vec<Asset> = hashed_files
        .into_iter()
        .zip(hashed)
        .zip(outcomes)
        .map(|((file, name), outcome)| {
            let name = name.expect("every file is named");
            let Some(outcome) = outcome else {
                return Asset::plain(file, name);
            };
            named += 1;
            let (served, bytes) = match outcome {
                Outcome::Rewritten((record, bytes)) => {
                    rewritten += 1;
                    let served = served_digest(&record);
                    records.insert(file.source.name.as_bytes(), record);
                    (served, ServedBytes::Rewritten(bytes))
                }
                Outcome::Untouched(served, _) => (served, ServedBytes::NotRendered),
                Outcome::Kept(targets) => {
                    let name = file.source.name.as_bytes();
                    let record = records.get(name).expect("a kept file has a record");
                    let served = served_digest(record);
                    if record.targets != targets {
                        records.get_mut(name).expect("a kept file has a record").targets = targets;
                    }
                    (served, ServedBytes::NotRendered)
                }
            };
            Asset {
                source: file.source,
                original: file.digest,
                hashed_name: name,
                served: Served {
                    digest: served.0,
                    size: served.1,
                    bytes,
                },
            }
        })
        .collect();
    if records.len() != named {
        // Records of files that are no longer collected, or no longer
        // rewritten.
        let current: FxHashSet<&str> = assets
            .iter()
            .filter(|a| !matches!(a.served.bytes, ServedBytes::Original))
            .map(Asset::name)
            .collect();
        records.retain(|name, _| std::str::from_utf8(name).is_ok_and(|name| current.contains(name)));
    }
    (assets, records, rewritten)
}

/// Digest of the collected names and of how each is read (as CSS, as JS,
/// as it is, or as a file already hashed), in collection order: what every
/// reference's resolution depends on besides the settings.
fn names_key(items: &[Item<'_, '_>]) -> Md5Digest {
    let mut h = Md5::new();
    for item in items {
        update_field(&mut h, item.file.name.as_bytes());
        h.update([match item.kind {
            _ if item.file.prehashed => 3,
            None => 0,
            Some(FileKind::Css) => 1,
            Some(FileKind::Js) => 2,
        }]);
    }
    h.finalize().into()
}

/// With the names of the last build ([`names_key`]), which CSS/JS files
/// must be looked at again: those without a record or with other content,
/// those referring to a file whose MD5 may have changed (the hash stage
/// says which kept theirs), and, up the chains, those referring to a
/// CSS/JS file looked at again. The others keep their records' names
/// without a lookup, a digest or a read.
fn to_visit(items: &mut [Item<'_, '_>], previous: &NameMap<RewriteRecord>) {
    let n = items.len();
    // (CSS/JS file referred to, CSS/JS file referring to it).
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let css_js: Vec<usize> = (0..n).filter(|&i| items[i].kind.is_some()).collect();
    for i in css_js {
        let record = previous
            .get(items[i].file.name.as_bytes())
            .filter(|r| r.source_md5 == items[i].md5() && r.targets.len() == r.references.len());
        let Some(record) = record else {
            continue;
        };
        let mut visit = false;
        for &t in &record.targets {
            let Some(t) = (t != NO_FILE).then_some(t as usize) else {
                continue;
            };
            match items.get(t).map(|target| (target.kind, target.hashed.same_md5)) {
                None => visit = true,
                Some((Some(_), _)) => edges.push((t as u32, i as u32)),
                Some((None, false)) => visit = true,
                Some((None, true)) => {}
            }
        }
        items[i].visit = visit;
    }
    edges.sort_unstable();
    let start: Vec<u32> = (0..n)
        .filter(|&i| items[i].kind.is_some() && items[i].visit)
        .map(|i| i as u32)
        .collect();
    graph::reach_referrers(&edges, start, |d| {
        !std::mem::replace(&mut items[d as usize].visit, true)
    });
}

/// A scan's targets as a record keeps them.
fn packed(targets: &[Option<usize>]) -> Vec<u32> {
    targets
        .iter()
        .map(|t| t.map_or(NO_FILE, |t| u32::try_from(t).expect("fewer than 2^32 assets")))
        .collect()
}

/// Renders again, on all cores, the rewritten bytes of the assets at
/// `needed` whose names came from the last build's records
/// ([`ServedBytes::NotRendered`]): for outputs that must be written or
/// contents that must be compressed.
pub(crate) fn render_needed(assets: &mut [Asset], needed: &[usize], options: &RewriteOptions<'_>) -> Result<()> {
    let needed: Vec<usize> = needed
        .iter()
        .copied()
        .filter(|&i| matches!(assets[i].served.bytes, ServedBytes::NotRendered))
        .collect();
    if needed.is_empty() {
        return Ok(());
    }
    let lookup = Lookup::new(assets.iter().map(Asset::name));
    let names: Vec<Option<String>> = assets.iter().map(|a| Some(a.hashed_name.clone())).collect();
    let rendered: Vec<(usize, Vec<u8>)> = needed
        .par_iter()
        .map(|&i| {
            let file = &assets[i].source;
            let kind = kind_of(file).expect("only CSS/JS files are rendered");
            Ok((
                i,
                render(&read_text(file, None)?, file, kind, &lookup, &names, options)?,
            ))
        })
        .collect::<Result<_>>()?;
    for (i, bytes) in rendered {
        assets[i].served.bytes = ServedBytes::Rewritten(bytes);
    }
    Ok(())
}

/// [`render_text`] in the stages, where every file a CSS/JS file refers
/// to is named before it, and a missing target was reported by the scan.
fn render(
    text: &str,
    file: &SourceFile,
    kind: FileKind,
    lookup: &Lookup<'_>,
    hashed: &[Option<String>],
    options: &RewriteOptions<'_>,
) -> Result<Vec<u8>> {
    let named = |t: usize| {
        let name = hashed[t].clone();
        Some(name.expect("dependencies are named before their dependents"))
    };
    Ok(render_text(text, &file.name, kind, lookup, &named, options)?
        .text
        .into_bytes())
}

/// The digest and size of the bytes a record says a file is served with.
fn served_digest(record: &RewriteRecord) -> (Digest, u64) {
    let digest = Digest {
        md5: record.served_md5,
        integrity: record.integrity.clone(),
    };
    (digest, record.size)
}

/// MD5 over the current hashed names of the files a CSS/JS file refers to
/// (`targets`: per reference, the file it names).
fn targets_key(targets: &[Option<usize>], hashed: &[Option<String>]) -> Md5Digest {
    use md5::Digest as _;
    let mut h = md5::Md5::new();
    for target in targets {
        if let Some(t) = target {
            h.update(hashed[*t].as_deref().unwrap_or("").as_bytes());
        }
        h.update(b"\n");
    }
    h.finalize().into()
}

/// A CSS/JS file's text: `read` (its bytes, read by the hash stage), or
/// the file read now.
fn read_text(file: &SourceFile, read: Option<Vec<u8>>) -> Result<String> {
    let bytes = match read {
        Some(bytes) => bytes,
        None => std::fs::read(&file.path).map_err(|e| Error::io("read", &file.path, e))?,
    };
    String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
        name: file.name.clone(),
        path: file.path.clone(),
    })
}

/// Finds a CSS/JS file's references: from the cache when its content is
/// unchanged and every reference still resolves the same way, otherwise by
/// reading and scanning it.
fn scan<'p>(
    file: &SourceFile,
    read: Option<Vec<u8>>,
    kind: FileKind,
    cached: Option<&'p RewriteRecord>,
    lookup: &Lookup<'_>,
    hashed: &[Option<String>],
    options: &RewriteOptions<'_>,
) -> Result<Scanned<'p>> {
    // The CSS/JS files referred to: those not named yet.
    let deps_of = |targets: &[Option<usize>]| {
        let mut deps: Vec<usize> = targets
            .iter()
            .flatten()
            .copied()
            .filter(|&t| hashed[t].is_none())
            .collect();
        deps.sort_unstable();
        deps.dedup();
        deps
    };
    if let Some(record) = cached {
        let mut targets = Vec::with_capacity(record.references.len());
        let unchanged = record.references.iter().all(|(target, kind)| {
            let (found, index) = resolve(lookup, target);
            targets.push(index);
            found == kind
        });
        if unchanged && targets.len() == record.references.len() {
            return Ok(Scanned {
                text: None,
                rendered: None,
                deps: deps_of(&targets),
                targets,
                references: Cow::Borrowed(&record.references),
                warnings: Cow::Borrowed(&record.warnings),
            });
        }
    }
    let text = read_text(file, read)?;
    let mut references = References::default();
    let mut targets = Vec::new();
    let mut warnings = Vec::new();
    let mut final_output = true;
    let mut resolve = |r: &Reference<'_>| -> Result<Resolution> {
        let (found, index) = resolve(lookup, &r.target);
        references.push(&r.target, found);
        targets.push(index);
        match found {
            TargetKind::File => match index.and_then(|t| hashed[t].as_ref()) {
                Some(name) => Ok(Resolution::Hashed(name.clone())),
                None => {
                    // A CSS/JS file, named later: this output is not final.
                    final_output = false;
                    Ok(Resolution::Hashed(r.target.clone()))
                }
            },
            TargetKind::Folder => Ok(Resolution::Folder),
            TargetKind::Missing if options.lenient => {
                warnings.push(format!(
                    "`{}` line {}: `{}` refers to `{}`, which is not a collected asset; left as it is",
                    file.name, r.line, r.matched, r.target
                ));
                Ok(Resolution::Keep)
            }
            TargetKind::Missing => Err(Error::MissingReference {
                file: file.name.clone(),
                line: r.line,
                matched: r.matched.to_owned(),
                resolved: r.target.clone(),
            }),
        }
    };
    let output = rewrite(
        &text,
        &file.name,
        kind,
        options.patterns,
        options.static_url,
        &mut resolve,
    )?;
    Ok(Scanned {
        text: Some(text),
        rendered: final_output.then_some(output),
        deps: deps_of(&targets),
        targets,
        references: Cow::Owned(references),
        warnings: Cow::Owned(warnings),
    })
}

/// Groups the scanned files into levels: each level refers only to files
/// of earlier levels. Fails with the files of a cycle when there is one.
fn levels(items: &[Item<'_, '_>]) -> Result<Vec<Vec<usize>>> {
    let deps: Vec<Option<&[usize]>> = items
        .iter()
        .map(|i| i.scanned.as_ref().map(|s| s.deps.as_slice()))
        .collect();
    graph::levels(&deps).map_err(|left| cycle_error(items, &left))
}

/// Follows unresolved references from a file left in a cycle (`left`,
/// ascending) until one repeats, and names that loop.
fn cycle_error(items: &[Item<'_, '_>], left: &[usize]) -> Error {
    let in_cycle = |i: usize| left.binary_search(&i).is_ok();
    let start = left[0];
    let mut path = vec![start];
    let mut node = start;
    loop {
        let deps = &items[node].scanned.as_ref().expect("in cycle").deps;
        node = *deps
            .iter()
            .find(|&&d| in_cycle(d))
            .expect("a file in a cycle refers to another");
        if let Some(pos) = path.iter().position(|&p| p == node) {
            let mut chain: Vec<usize> = path[pos..].to_vec();
            chain.push(node);
            return Error::Cycle {
                chain: chain.into_iter().map(|i| items[i].file.name.clone()).collect(),
            };
        }
        path.push(node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_keep_each_target_and_kind_in_order() {
        let list = [
            ("img/a.png", TargetKind::File),
            ("", TargetKind::Missing),
            ("fonts/", TargetKind::Folder),
            ("ünï/cödé.woff2", TargetKind::File),
        ];
        let mut references = References::default();
        for (target, kind) in list {
            references.push(target, kind);
        }
        assert_eq!(references.len(), 4);
        assert_eq!(references.iter().collect::<Vec<_>>(), list);
        let bytes = postcard::to_allocvec(&references).unwrap();
        let back: References = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.iter().collect::<Vec<_>>(), list);
    }
}
