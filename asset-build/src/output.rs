//! Step 5: write the output folder: every collected original, its hashed
//! copy, and `staticfiles.json` — the tree `collectstatic` leaves.
//!
//! - A first build writes into a fresh sibling folder and renames it into
//!   place, so the output folder appears complete or not at all.
//! - A rebuild replaces each changed file by writing a temporary file beside
//!   it and renaming it over the old one, and leaves every file whose
//!   content did not change untouched ([`OutputStamp`]).
//! - A rebuild trusts the files the last build wrote without looking at
//!   them while every folder of the tree has the modification time the last
//!   build left it with ([`trusted`]): removing, adding or renaming a file
//!   changes its folder's time. Otherwise every file is checked against its
//!   stamp, and rewritten if it differs.
//!   `staticfiles.json` is written after the files it names, and files of
//!   the previous build that are no longer wanted are removed after it.
//! - The hashed copy of a file that is not rewritten is a hard link to the
//!   collected original; files are only ever replaced, never edited in
//!   place, so the two names cannot diverge.

use std::path::Path;

use asset_contract::MANIFEST_NAME;
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fs::{mtime_ns, temp_path, write_atomic};
use crate::hash::Md5Digest;
use crate::name_map::NameMap;

/// An output file as last written: if it still has this size, time and
/// inode, it still holds the content of this MD5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OutputStamp {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u64,
    pub(crate) inode: u64,
    pub(crate) md5: Md5Digest,
}

/// The output folder's folders as a build left them: removing, adding or
/// renaming a file changes its folder's time. The ledger keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tree {
    /// The output folder.
    pub(crate) dir: std::path::PathBuf,
    /// Every folder of the tree (`""` for the tree itself) and its
    /// modification time once the build had written it.
    pub(crate) folders: Vec<(String, u64)>,
}

/// The output folder as the last build left it, recorded for the next: its
/// files' stamps (kept in the memo) and its tree (kept in the ledger).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Written {
    /// The tree the stamps belong to; the ledger's, not stored with them.
    #[serde(skip)]
    pub(crate) tree: Tree,
    /// Every file written, by name.
    pub(crate) stamps: NameMap<OutputStamp>,
    /// Whether this build found the tree as the record says ([`trust`]);
    /// not recorded.
    #[serde(skip)]
    pub(crate) trusted: bool,
}

impl Written {
    /// Whether the file `name` is in the output folder with the content of
    /// this MD5, as the last build wrote it, in a tree found as recorded
    /// (see [`trust`]): then no build needs to look at it or write it.
    pub(crate) fn holds(&self, name: &[u8], md5: &Md5Digest) -> bool {
        self.trusted && self.stamps.get(name).is_some_and(|s| s.md5 == *md5)
    }
}

/// Finds whether the files of `dir` may be taken to be what the last build
/// wrote without looking at each: the last build wrote this folder, and
/// none of its folders changed since (one metadata read per folder). The
/// answer is kept in `written` for [`stale`] and [`write_tree`].
pub(crate) fn trust(dir: &Path, written: &mut Written) -> bool {
    written.trusted = trusted(dir, &written.tree);
    written.trusted
}

/// Whether the files of `dir` may be taken to be what the build that left
/// `written` wrote (see [`trust`]).
pub(crate) fn trusted(dir: &Path, tree: &Tree) -> bool {
    tree.dir == dir
        && !tree.folders.is_empty()
        && tree.folders.iter().all(|(name, mtime)| {
            std::fs::symlink_metadata(dir.join(name))
                .is_ok_and(|meta| meta.is_dir() && u64::try_from(mtime_ns(&meta)).ok() == Some(*mtime))
        })
}

/// The folders of the tree the files are in (given by the folders that
/// hold them directly), with their modification times.
fn folder_stamps<'a>(dir: &Path, parents: impl Iterator<Item = &'a str>) -> Vec<(String, u64)> {
    let mut folders: FxHashSet<&str> = FxHashSet::default();
    folders.insert("");
    for parent in parents {
        if !folders.insert(parent) {
            continue;
        }
        let mut name = parent;
        while let Some(slash) = name.rfind('/') {
            name = &name[..slash];
            if !folders.insert(name) {
                break;
            }
        }
    }
    let mut folders: Vec<&str> = folders.into_iter().collect();
    folders.sort_unstable();
    folders
        .into_iter()
        .filter_map(|name| {
            let meta = std::fs::symlink_metadata(dir.join(name)).ok()?;
            Some((name.to_owned(), u64::try_from(mtime_ns(&meta)).ok()?))
        })
        .collect()
}

/// Where a file's bytes come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content<'a> {
    /// A copy of this source file.
    Copy(&'a Path),
    /// The same bytes as this other output file, written earlier.
    Link(&'a str),
    /// A variant in the compression cache: read, checked against the
    /// file's MD5, and written as a copy. Never a link: the cache is shared
    /// and not the output's, so nothing written there later may change
    /// what the output folder serves.
    Cached(&'a Path),
    /// These bytes.
    Bytes(&'a [u8]),
    /// The file as an earlier build wrote it, found current ([`stale`]
    /// says so, or its stamp holds in a tree found as recorded): neither
    /// read nor looked at again.
    Current,
}

/// One file of the output folder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutFile<'a> {
    pub(crate) name: &'a str,
    pub(crate) content: Content<'a>,
    pub(crate) md5: Md5Digest,
}

/// What writing the output folder did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Files written (including the manifest).
    pub written: usize,
    /// Files left as they were because their content did not change.
    pub unchanged: usize,
    /// Files of an earlier build removed.
    pub removed: usize,
}

/// Writes the batches in order (the originals, then the hashed copies,
/// which may link to them, then the precompressed siblings), then the
/// manifest, then removes leftovers. When the tree was found as recorded
/// (see [`trust`]), a file the last build wrote with the same content is
/// not looked at.
pub(crate) fn write_tree(
    dir: &Path,
    batches: &[&[OutFile<'_>]],
    manifest: &[u8],
    written: &mut Written,
    hard_links: bool,
) -> Result<WriteStats> {
    if !dir.exists() {
        return write_fresh(dir, batches, manifest, written, hard_links);
    }
    if !dir.join(MANIFEST_NAME).is_file()
        && std::fs::read_dir(dir)
            .map_err(|e| Error::io("list", dir, e))?
            .next()
            .is_some()
    {
        return Err(Error::ForeignOutputDir { dir: dir.to_owned() });
    }
    let trusted = written.trusted;
    let mut stamps = if written.tree.dir == dir {
        std::mem::take(&mut written.stamps)
    } else {
        NameMap::default()
    };
    let recorded = !stamps.is_empty();
    // In a tree as the last build left it, its folders exist.
    let known: FxHashSet<&str> = if trusted {
        written.tree.folders.iter().map(|(name, _)| name.as_str()).collect()
    } else {
        FxHashSet::default()
    };
    let parents = create_parents(dir, batches.iter().flat_map(|b| b.iter()), &known)?;
    let mut stats = WriteStats::default();
    // By position in `stamps`: whether the file is wanted. Every file wanted
    // has a stamp once written; a stamp not seen is of a file gone.
    let mut seen = vec![false; stamps.positions()];
    for batch in batches {
        // Files known current need no I/O at all: `stale` found them as the
        // last build wrote them, or the tree is as it left them.
        let todo: Vec<&OutFile<'_>> = batch
            .iter()
            .filter(|file| {
                let previous = stamps.find(file.name.as_bytes());
                let current = previous.is_some_and(|(at, previous)| {
                    seen[at] = true;
                    matches!(file.content, Content::Current) || (trusted && previous.md5 == file.md5)
                });
                !current
            })
            .collect();
        stats.unchanged += batch.len() - todo.len();
        let update = |file: &&OutFile<'_>| update(dir, file, stamps.get(file.name.as_bytes()), hard_links);
        let results: Vec<(bool, OutputStamp)> = if todo.len() < 16 {
            todo.iter().map(update).collect::<Result<_>>()?
        } else {
            io_pool().install(|| todo.par_iter().map(update).collect::<Result<_>>())?
        };
        for (file, (written, stamp)) in todo.iter().zip(results) {
            if written {
                stats.written += 1;
            } else {
                stats.unchanged += 1;
            }
            let at = stamps.insert(file.name.as_bytes(), stamp);
            if at >= seen.len() {
                seen.resize(at + 1, false);
            }
            seen[at] = true;
        }
    }
    let manifest_path = dir.join(MANIFEST_NAME);
    if std::fs::read(&manifest_path).ok().as_deref() == Some(manifest) {
        stats.unchanged += 1;
    } else {
        write_atomic(&manifest_path, manifest).map_err(|e| Error::io("write", &manifest_path, e))?;
        stats.written += 1;
    }
    // Names were inserted as text.
    let gone: Vec<String> = stamps
        .entries()
        .filter(|&(at, _, _)| !seen[at])
        .map(|(_, name, _)| String::from_utf8_lossy(name).into_owned())
        .collect();
    // On a case-insensitive file system a name gone may be the file just
    // written under a name differing only by case (`Note.txt` renamed
    // `note.txt`): that one stays.
    let gone = not_written_as_other_names(dir, gone, batches);
    stats.removed = if recorded {
        remove_previous(dir, gone.iter())?
    } else {
        let wanted: FxHashSet<&str> = batches.iter().flat_map(|b| b.iter()).map(|f| f.name).collect();
        remove_unlisted(dir, &wanted)?
    };
    for name in &gone {
        stamps.remove(name.as_bytes());
    }
    written.tree.dir = dir.to_owned();
    written.tree.folders = folder_stamps(dir, parents.into_iter());
    written.stamps = stamps;
    Ok(stats)
}

/// Which of these outputs (name, MD5 of the content wanted) are not
/// already in `dir` as the last build wrote them: one metadata read each,
/// none when the tree was found as recorded (see [`trust`]).
pub(crate) fn stale(dir: &Path, files: &[(&str, Md5Digest)], written: &Written) -> Vec<bool> {
    if written.tree.dir != dir {
        return vec![true; files.len()];
    }
    if written.trusted {
        return files
            .iter()
            .map(|(name, md5)| !written.holds(name.as_bytes(), md5))
            .collect();
    }
    files
        .par_iter()
        .map(|(name, md5)| {
            let current = std::fs::symlink_metadata(dir.join(name))
                .ok()
                .map(|meta| stamp_of(&meta, *md5));
            current.is_none() || written.stamps.get(name.as_bytes()) != current.as_ref()
        })
        .collect()
}

/// Replaces one file of the output folder (whose parent folder exists)
/// with `file`'s content, through a temporary file renamed over it: what a
/// patch build writes, without the record of the folder (see
/// [`patch`](crate::patch)).
pub(crate) fn replace(dir: &Path, file: &OutFile<'_>, hard_links: bool) -> Result<()> {
    update(dir, file, None, hard_links).map(drop)
}

/// After files of the tree were replaced or removed (see [`replace`]),
/// records again the modification times of the folders that hold `names`
/// and of the tree itself (which holds the manifest), so that [`trusted`]
/// holds for the tree as it is now.
pub(crate) fn restamp<'a>(tree: &mut Tree, names: impl Iterator<Item = &'a str>) {
    let mut parents: FxHashSet<&str> = names.map(|n| n.rfind('/').map_or("", |slash| &n[..slash])).collect();
    parents.insert("");
    let dir = tree.dir.clone();
    for (name, mtime) in &mut tree.folders {
        if parents.contains(name.as_str())
            && let Ok(meta) = std::fs::symlink_metadata(dir.join(name.as_str()))
        {
            *mtime = u64::try_from(mtime_ns(&meta)).unwrap_or(u64::MAX);
        }
    }
}

/// First build: everything goes into a new folder renamed into place.
fn write_fresh(
    dir: &Path,
    batches: &[&[OutFile<'_>]],
    manifest: &[u8],
    written: &mut Written,
    hard_links: bool,
) -> Result<WriteStats> {
    let file_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = dir.with_file_name(format!(".{file_name}.staging-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| Error::io("remove", &staging, e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| Error::io("create", &staging, e))?;
    let parents = create_parents(&staging, batches.iter().flat_map(|b| b.iter()), &FxHashSet::default())?;
    let mut stamps = NameMap::default();
    for batch in batches {
        let results: Vec<OutputStamp> = io_pool().install(|| {
            batch
                .par_iter()
                .map(|file| {
                    let dest = staging.join(file.name);
                    put(&staging, &dest, file, hard_links)?;
                    stamp(&dest, file.md5)
                })
                .collect::<Result<_>>()
        })?;
        for (file, stamp) in batch.iter().zip(results) {
            stamps.insert(file.name.as_bytes(), stamp);
        }
    }
    let manifest_path = staging.join(MANIFEST_NAME);
    std::fs::write(&manifest_path, manifest).map_err(|e| Error::io("write", &manifest_path, e))?;
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    }
    std::fs::rename(&staging, dir).map_err(|e| Error::io("move into place", dir, e))?;
    let count = stamps.len() + 1;
    written.tree.dir = dir.to_owned();
    written.tree.folders = folder_stamps(dir, parents.into_iter());
    written.stamps = stamps;
    Ok(WriteStats {
        written: count,
        unchanged: 0,
        removed: 0,
    })
}

/// Threads for writing files: creating a file waits on the filesystem more
/// than on the CPU, so several per core keep the disk busy.
fn io_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads((cores * 4).clamp(4, 64))
            .thread_name(|i| format!("asset-build-io-{i}"))
            .build()
            .expect("threads can be started")
    })
}

/// Brings one file up to date, comparing it with its stamp; returns
/// whether it was written.
fn update(
    dir: &Path,
    file: &OutFile<'_>,
    previous: Option<&OutputStamp>,
    hard_links: bool,
) -> Result<(bool, OutputStamp)> {
    let dest = dir.join(file.name);
    if let (Some(previous), Ok(meta)) = (previous, std::fs::symlink_metadata(&dest)) {
        let current = stamp_of(&meta, file.md5);
        if *previous == current {
            return Ok((false, current));
        }
    }
    let temp = temp_path(&dest);
    put(dir, &temp, file, hard_links)?;
    std::fs::rename(&temp, &dest).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::io("replace", &dest, e)
    })?;
    Ok((true, stamp(&dest, file.md5)?))
}

/// Writes a file's content at `dest`, which does not exist.
fn put(dir: &Path, dest: &Path, file: &OutFile<'_>, hard_links: bool) -> Result<()> {
    match file.content {
        Content::Copy(source) => copy(source, dest),
        Content::Bytes(bytes) => std::fs::write(dest, bytes).map_err(|e| Error::io("write", dest, e)),
        Content::Current => Err(Error::io(
            "write",
            dir.join(file.name),
            std::io::Error::other("the file changed while the build ran; build again"),
        )),
        Content::Link(original) => link_or_copy(&dir.join(original), dest, hard_links),
        Content::Cached(path) => copy_checked(path, dest, &file.md5),
    }
}

/// Copies a cache file to `dest` if its bytes still have `md5`.
fn copy_checked(path: &Path, dest: &Path, md5: &Md5Digest) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    if crate::hash::md5_bytes(&bytes) != *md5 {
        let changed = std::io::Error::other(
            "it changed after this build checked it (another build or user wrote it); build again",
        );
        return Err(Error::io("copy the compression cache's file", path, changed));
    }
    std::fs::write(dest, bytes).map_err(|e| Error::io("write", dest, e))
}

fn link_or_copy(original: &Path, dest: &Path, hard_links: bool) -> Result<()> {
    if hard_links && std::fs::hard_link(original, dest).is_ok() {
        return Ok(());
    }
    copy(original, dest)
}

fn copy(source: &Path, dest: &Path) -> Result<()> {
    std::fs::copy(source, dest)
        .map(drop)
        .map_err(|e| Error::io("copy", format!("{} to {}", source.display(), dest.display()), e))
}

fn stamp(path: &Path, md5: Md5Digest) -> Result<OutputStamp> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io("read metadata of", path, e))?;
    Ok(stamp_of(&meta, md5))
}

fn stamp_of(meta: &std::fs::Metadata, md5: Md5Digest) -> OutputStamp {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    OutputStamp {
        size: meta.len(),
        mtime_ns: u64::try_from(mtime_ns(meta)).unwrap_or(u64::MAX),
        inode,
        md5,
    }
}

/// Creates the folders the files go in, except those `known` to exist;
/// returns the folders that hold files directly.
fn create_parents<'a>(
    dir: &Path,
    files: impl Iterator<Item = &'a OutFile<'a>>,
    known: &FxHashSet<&str>,
) -> Result<FxHashSet<&'a str>> {
    let mut parents: FxHashSet<&str> = FxHashSet::default();
    for file in files {
        if let Some(slash) = file.name.rfind('/') {
            let parent = &file.name[..slash];
            if parents.insert(parent) && !known.contains(parent) {
                let path = dir.join(parent);
                std::fs::create_dir_all(&path).map_err(|e| Error::io("create", &path, e))?;
            }
        }
    }
    Ok(parents)
}

/// The names of `gone` but those whose file is one of `batches` written
/// under a name that differs only by case: the same file (device and
/// inode), as a case-insensitive file system makes it.
fn not_written_as_other_names(dir: &Path, gone: Vec<String>, batches: &[&[OutFile<'_>]]) -> Vec<String> {
    if gone.is_empty() {
        return gone;
    }
    let by_folded: std::collections::HashMap<String, &str> = batches
        .iter()
        .flat_map(|b| b.iter())
        .map(|f| (f.name.to_lowercase(), f.name))
        .collect();
    gone.into_iter()
        .filter(|name| match by_folded.get(&name.to_lowercase()) {
            Some(other) if other != name => !same_file(&dir.join(name), &dir.join(other)),
            _ => true,
        })
        .collect()
}

/// Whether two paths name one file.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        // Windows' file systems are case-insensitive: the paths name one
        // file when both exist.
        a.exists() && b.exists()
    }
}

/// Removes the named files of the previous build, and folders left empty;
/// returns how many there were.
pub(crate) fn remove_previous<'a>(dir: &Path, names: impl Iterator<Item = &'a String>) -> Result<usize> {
    let mut removed = 0;
    for name in names {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &path, e)),
        }
        let mut parent = path.parent();
        while let Some(p) = parent.filter(|p| *p != dir) {
            if std::fs::remove_dir(p).is_err() {
                break;
            }
            parent = p.parent();
        }
    }
    Ok(removed)
}

/// Removes every file under `dir` that is neither wanted nor the manifest,
/// and folders left empty (used when there is no record of the last build).
fn remove_unlisted(dir: &Path, wanted: &FxHashSet<&str>) -> Result<usize> {
    let mut removed = 0;
    let mut folders = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.map_err(|e| Error::io("list", dir, e.into()))?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        if entry.file_type().is_dir() {
            folders.push(entry.path().to_owned());
            continue;
        }
        let name = rel.to_string_lossy().replace('\\', "/");
        if name != MANIFEST_NAME && !wanted.contains(name.as_str()) {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io("remove", entry.path(), e))?;
            removed += 1;
        }
    }
    for folder in folders.iter().rev() {
        let _ = std::fs::remove_dir(folder);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case-insensitive file system makes `Note.txt` and `note.txt` one
    /// file; two links to one file stand for that here. The name gone is
    /// kept when it is the file written, removed when it is another file.
    #[cfg(unix)]
    #[test]
    fn a_name_gone_that_is_the_file_written_under_another_case_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("note.txt"), "new").unwrap();
        let file = OutFile {
            name: "note.txt",
            content: Content::Bytes(b"new"),
            md5: [0; 16],
        };
        let batches: [&[OutFile<'_>]; 1] = [std::slice::from_ref(&file)];
        let gone = || vec!["Note.txt".to_owned(), "old.txt".to_owned()];

        std::fs::hard_link(dir.path().join("note.txt"), dir.path().join("Note.txt")).unwrap();
        assert_eq!(not_written_as_other_names(dir.path(), gone(), &batches), ["old.txt"]);

        std::fs::remove_file(dir.path().join("Note.txt")).unwrap();
        std::fs::write(dir.path().join("Note.txt"), "old").unwrap();
        assert_eq!(
            not_written_as_other_names(dir.path(), gone(), &batches),
            ["Note.txt", "old.txt"]
        );
    }
}
