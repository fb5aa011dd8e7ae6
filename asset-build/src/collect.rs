//! Step 1: find the files. Source folders are walked in order; the first
//! file found for a name wins, as with Django's staticfiles finders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use asset_contract::names;

use crate::error::{Error, Result};
use crate::fs::StatCursor;

/// One folder of assets, and the prefix its files get in their names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Source {
    pub(crate) dir: PathBuf,
    pub(crate) prefix: String,
    /// The folder of the package the folder belongs to: symbolic links in
    /// `dir` must lead inside it, or inside its workspace (see [`Links`]).
    pub(crate) package: PathBuf,
}

/// Where symbolic links in asset folders may lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// Inside the folder's package or that package's workspace; a link
    /// elsewhere is an error ([`Error::LinkOutside`]).
    StayInside,
    /// Anywhere: the user said so (`Config::follow_links_outside`).
    Anywhere,
}

/// The ignore patterns Django's `collectstatic` uses unless told otherwise.
pub const DEFAULT_IGNORE: &[&str] = &[".*", "*~", "CVS"];

/// A source file and the logical name it is collected under.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Logical name, `/`-separated: `css/base.css`.
    pub(crate) name: String,
    /// Where it is on disk.
    pub(crate) path: PathBuf,
    /// Index of the source folder it was found in.
    pub(crate) folder: u32,
    /// Where, in `name`, the path relative to that folder starts (after
    /// the folder's prefix).
    pub(crate) relative_start: usize,
    pub(crate) size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub(crate) mtime_ns: u128,
    /// Whether its name already carries a hash of its content (see
    /// [`prehashed`](crate::prehashed)): set after collection.
    pub(crate) prehashed: bool,
}

/// The outcome of collection: files in finder order, and warnings.
pub(crate) struct Collected {
    pub(crate) files: Vec<SourceFile>,
    pub(crate) warnings: Vec<String>,
}

/// Where a Vite build keeps its manifest, inside its output folder:
/// collected although the default patterns skip hidden names.
pub(crate) const VITE_MANIFEST: &str = ".vite/manifest.json";

/// The ignore globs, compiled (Django's fnmatch: `*` matches `/` too).
pub(crate) struct Ignore {
    /// The defaults ([`DEFAULT_IGNORE`]), tried on a path's last part only:
    /// where one matches a path relative to its folder (`.git/x`, `a/b~`,
    /// `CVS`), it also matches that path's last part or a parent's, which
    /// the walk skipped.
    defaults: GlobSet,
    /// The user's patterns, tried on the last part and the relative path.
    user: GlobSet,
}

impl Ignore {
    /// Whether the user's patterns, not only the defaults, match.
    fn user_match<P: AsRef<Path>>(&self, candidate: P) -> bool {
        !self.user.is_empty() && self.user.is_match(candidate)
    }
}

/// Compiles the ignore globs: the defaults (with `default_ignore`), then
/// `patterns`.
pub(crate) fn ignore_set(patterns: &[String], default_ignore: bool) -> Result<Ignore> {
    let defaults: Vec<String> = DEFAULT_IGNORE
        .iter()
        .filter(|_| default_ignore)
        .map(|p| p.to_string())
        .collect();
    Ok(Ignore {
        defaults: glob_set("ignore", &defaults)?,
        user: glob_set("ignore", patterns)?,
    })
}

/// Compiles the globs given to `option`.
pub(crate) fn glob_set(option: &'static str, patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|source| Error::BadGlob {
            option,
            pattern: pattern.clone(),
            source,
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|source| Error::BadGlob {
        option,
        pattern: patterns.join(", "),
        source,
    })
}

/// Walks `sources` in order and returns every file not ignored, each with
/// a name checked to be safe ([`names::problem`]).
pub(crate) fn collect(sources: &[Source], ignore: &Ignore, links: Links) -> Result<Collected> {
    let mut files: Vec<SourceFile> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut warnings = Vec::new();
    for (folder, source) in sources.iter().enumerate() {
        if !source.dir.is_dir() {
            return Err(Error::MissingSource {
                dir: source.dir.clone(),
            });
        }
        let walked = walk(source, folder as u32, ignore, links)?;
        if sources.len() == 1 && !walked.iter().any(|f| f.name.chars().any(char::is_uppercase)) {
            // One folder's names, all in lower case, are all different:
            // nothing can clash.
            files = walked;
            break;
        }
        for file in walked {
            // Names that differ only by case are one file on a
            // case-insensitive file system (macOS's, Windows'): a clash.
            let key = folded(&file.name);
            match index.get(key.as_ref()) {
                Some(&first) => warnings.push(clash(&files[first], &file)),
                None => {
                    index.insert(key.into_owned(), files.len());
                    files.push(file);
                }
            }
        }
    }
    Ok(Collected { files, warnings })
}

/// `name` in lower case, borrowed when it has no upper case letter.
fn folded(name: &str) -> std::borrow::Cow<'_, str> {
    if name.chars().any(char::is_uppercase) {
        std::borrow::Cow::Owned(name.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// The warning for `ignored`, whose name is `used`'s (or differs from it
/// only by case).
fn clash(used: &SourceFile, ignored: &SourceFile) -> String {
    let named = if used.name == ignored.name {
        format!("two files are named `{}`", used.name)
    } else {
        format!(
            "two files are named `{}` and `{}`, which differ only by case (one file on a \
             case-insensitive file system)",
            used.name, ignored.name
        )
    };
    format!(
        "{named}: `{}` is used and `{}` is ignored (the first asset folder, or the first name, wins)",
        used.path.display(),
        ignored.path.display()
    )
}

/// How many files one task reads the metadata of.
const STAT_RUN: usize = 256;

fn walk(source: &Source, folder: u32, ignore: &Ignore, links: Links) -> Result<Vec<SourceFile>> {
    let root = &source.dir;
    let mut boundary = Boundary::new(&source.package, links);
    let walker = WalkDir::new(root)
        .follow_links(true)
        // By file name. The entries sorted together are those of one
        // folder, whose paths are that folder's path joined with their
        // names: comparing the paths' bytes orders them as their names,
        // without taking each path apart to find its name.
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_ignored(root, entry.path(), ignore));
    // The listing reads folders only; the metadata of the files, one call
    // each, is read by other threads as the walk goes on, a run of files at
    // a time.
    let (sender, stamped) = std::sync::mpsc::channel::<(usize, Result<Vec<SourceFile>>)>();
    let runs = rayon::scope(|scope| -> Result<usize> {
        let mut runs = 0;
        let mut stamp = |run: Vec<SourceFile>| {
            let (sender, at) = (sender.clone(), runs);
            runs += 1;
            scope.spawn(move |_| {
                // The receiver outlives the scope.
                let _ = sender.send((at, stamp_run(run)));
            });
        };
        let mut run = Vec::with_capacity(STAT_RUN);
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(root).to_owned();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("symbolic link loop"));
                Error::io("list", path, source)
            })?;
            // The folder itself is the one the configuration names (a
            // dependency's is checked where its metadata is read): told.
            if entry.depth() > 0 && entry.path_is_symlink() {
                boundary.check(entry.path())?;
            }
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let relative = relative_name(root, path)?;
            let (name, relative_start) = if source.prefix.is_empty() {
                (relative, 0)
            } else {
                (format!("{}/{relative}", source.prefix), source.prefix.len() + 1)
            };
            if let Some(problem) = names::problem(&name) {
                return Err(Error::UnsafeName {
                    path: path.to_owned(),
                    name,
                    problem,
                });
            }
            run.push(SourceFile {
                name,
                path: entry.into_path(),
                folder,
                relative_start,
                size: 0,
                mtime_ns: 0,
                prehashed: false,
            });
            if run.len() == STAT_RUN {
                stamp(std::mem::replace(&mut run, Vec::with_capacity(STAT_RUN)));
            }
        }
        if !run.is_empty() {
            stamp(run);
        }
        Ok(runs)
    })?;
    drop(sender);
    let mut by_run: Vec<Option<Vec<SourceFile>>> = (0..runs).map(|_| None).collect();
    for (at, run) in stamped {
        by_run[at] = Some(run?);
    }
    let mut out = Vec::with_capacity(runs * STAT_RUN);
    for run in by_run {
        out.extend(run.expect("every run is stamped"));
    }
    Ok(out)
}

/// The folder the symbolic links of one package's asset folder must lead
/// into, found when the first link is met: most folders have none.
struct Boundary<'a> {
    package: &'a Path,
    links: Links,
    /// The package's workspace folder (or its own), resolved.
    inside: Option<PathBuf>,
}

impl<'a> Boundary<'a> {
    fn new(package: &'a Path, links: Links) -> Self {
        Boundary {
            package,
            links,
            inside: None,
        }
    }

    /// Refuses the link at `link` if it leads outside the boundary.
    fn check(&mut self, link: &Path) -> Result<()> {
        if self.links == Links::Anywhere {
            return Ok(());
        }
        let target = link
            .canonicalize()
            .map_err(|e| Error::io("resolve the link", link, e))?;
        let package = self.package;
        let inside = self.inside.get_or_insert_with(|| {
            let root = workspace_of(package).unwrap_or(package);
            root.canonicalize().unwrap_or_else(|_| root.to_owned())
        });
        if target.starts_with(&*inside) {
            return Ok(());
        }
        Err(Error::LinkOutside {
            link: link.to_owned(),
            target,
            inside: inside.clone(),
        })
    }
}

/// The folder of the workspace `package` belongs to: the nearest folder
/// above it (or itself) whose Cargo.toml has a `[workspace]` table.
fn workspace_of(package: &Path) -> Option<&Path> {
    package.ancestors().find(|folder| {
        std::fs::read_to_string(folder.join("Cargo.toml"))
            .is_ok_and(|toml| toml.lines().any(|line| line.trim() == "[workspace]"))
    })
}

/// Reads the size and modification time of a run of files.
fn stamp_run(mut run: Vec<SourceFile>) -> Result<Vec<SourceFile>> {
    let mut cursor = StatCursor::default();
    for file in &mut run {
        (file.size, file.mtime_ns) = cursor
            .size_and_mtime(&file.path)
            .map_err(|e| Error::io("read metadata of", &file.path, e))?;
    }
    Ok(run)
}

fn is_ignored(root: &Path, path: &Path, ignore: &Ignore) -> bool {
    let defaults = &ignore.defaults;
    if let Some(rel) = relative_text(root, path) {
        let base = rel.rsplit(['/', std::path::MAIN_SEPARATOR]).next().unwrap_or(rel);
        if !defaults.is_empty() {
            if is_vite_path(rel) {
                // A Vite output folder's `.vite/manifest.json` is collected:
                // only the user's own patterns skip it.
                return ignore.user_match(base) || ignore.user_match(rel);
            }
            if rel.split('/').rev().skip(1).any(|folder| folder == ".vite") {
                // Anything else in a `.vite` folder stays hidden.
                return true;
            }
        }
        return (may_match_defaults(base) && defaults.is_match(base))
            || ignore.user_match(base)
            || ignore.user_match(rel);
    }
    let base_hit = path
        .file_name()
        .is_some_and(|name| defaults.is_match(Path::new(name)) || ignore.user_match(Path::new(name)));
    base_hit || path.strip_prefix(root).is_ok_and(|rel| ignore.user_match(rel))
}

/// Whether a name may match one of [`DEFAULT_IGNORE`] (`.*`, `*~`, `CVS`):
/// most names cannot, and are not given to the glob set.
fn may_match_defaults(base: &str) -> bool {
    base.starts_with('.') || base.ends_with('~') || base == "CVS"
}

/// Whether `rel` is a `.vite` folder or the manifest in one: the walk
/// enters the folder, then keeps the manifest only (a folder's entries
/// are checked as they are listed).
fn is_vite_path(rel: &str) -> bool {
    rel == ".vite" || rel.ends_with("/.vite") || is_vite_manifest(rel)
}

/// Whether a name is a Vite manifest: [`VITE_MANIFEST`] at the top of a
/// folder or below it.
pub(crate) fn is_vite_manifest(name: &str) -> bool {
    name.strip_suffix(VITE_MANIFEST)
        .is_some_and(|base| base.is_empty() || base.ends_with('/'))
}

/// `path` relative to `root` as text, read off the bytes (walkdir's paths
/// are the root joined with the rest), when it is UTF-8; `None` sends the
/// caller to the general, slower path handling.
fn relative_text<'a>(root: &Path, path: &'a Path) -> Option<&'a str> {
    let root = root.as_os_str().as_encoded_bytes();
    let rest = path.as_os_str().as_encoded_bytes().strip_prefix(root)?;
    let is_separator = |b: &u8| *b == b'/' || (cfg!(windows) && *b == b'\\');
    let rest = match rest.first() {
        Some(b) if is_separator(b) => &rest[1..],
        _ if root.last().is_some_and(is_separator) => rest,
        _ => return None,
    };
    std::str::from_utf8(rest).ok()
}

fn relative_name(root: &Path, path: &Path) -> Result<String> {
    if let Some(rel) = relative_text(root, path) {
        return Ok(if cfg!(windows) {
            rel.replace('\\', "/")
        } else {
            rel.to_owned()
        });
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut name = String::new();
    for component in rel.components() {
        let part = component
            .as_os_str()
            .to_str()
            .ok_or_else(|| Error::NonUtf8Name { path: path.to_owned() })?;
        if !name.is_empty() {
            name.push('/');
        }
        name.push_str(part);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for name in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, name).unwrap();
        }
        dir
    }

    fn names(dir: &Path, ignore: &Ignore) -> Vec<String> {
        let source = Source {
            dir: dir.to_owned(),
            prefix: String::new(),
            package: dir.to_owned(),
        };
        let collected = collect(&[source], ignore, Links::StayInside).unwrap();
        collected.files.into_iter().map(|f| f.name).collect()
    }

    #[test]
    fn walks_each_folder_in_name_order() {
        // `a` < `a-c.css` < `a.css`, and a folder's files come where the
        // folder does, as a walk sorting each folder by file name gives.
        // Upper case sorts first (`C` < `a`); `B.css` differs from `b.css`
        // only by case, a clash: the first, by that order, is used.
        let dir = tree(&["a.css", "a-c.css", "a/b.css", "a/a/z.css", "b.css", "B.css", "C.css"]);
        let ignore = ignore_set(&[], true).unwrap();
        assert_eq!(
            names(dir.path(), &ignore),
            ["B.css", "C.css", "a/a/z.css", "a/b.css", "a-c.css", "a.css"]
        );
    }

    #[test]
    fn names_the_default_patterns_match_are_those_given_to_them() {
        // The shortcut is written for these patterns.
        assert_eq!(DEFAULT_IGNORE, [".*", "*~", "CVS"]);
        let defaults = ignore_set(&[], true).unwrap().defaults;
        let names = [
            ".hidden", ".", "a.css", "a~", "~a", "CVS", "cvs", "CVS~", "x.CVS", "CVSx", ".vite", "é~", "a b", "",
        ];
        for name in names {
            if defaults.is_match(name) {
                assert!(may_match_defaults(name), "{name}");
            }
        }
        assert!(!may_match_defaults("a.css") && !may_match_defaults("cvs"));
    }

    #[test]
    fn default_patterns_skip_hidden_backup_and_cvs_names_at_any_depth() {
        let dir = tree(&[
            "keep.css",
            ".hidden.css",
            "sub/.hidden.css",
            ".git/config",
            "sub/.cache/x.css",
            "notes.txt~",
            "sub/notes.txt~",
            "CVS/Entries",
            "sub/CVS/Entries",
            "sub/keep.css",
            "sub/skip/x.css",
        ]);
        let ignore = ignore_set(&["sub/skip/*".to_owned()], true).unwrap();
        assert_eq!(names(dir.path(), &ignore), ["keep.css", "sub/keep.css"]);
        let none = ignore_set(&[], false).unwrap();
        assert_eq!(names(dir.path(), &none).len(), 11);
    }

    #[test]
    fn files_in_many_runs_keep_the_walk_order_and_their_own_metadata() {
        // More files than one run, spread over folders, with sizes that
        // tell them apart.
        let dir = tempfile::tempdir().unwrap();
        let mut expected = Vec::new();
        for i in 0..(2 * STAT_RUN + 37) {
            let name = format!("d{}/f{i:04}.txt", i % 3);
            let path = dir.path().join(&name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, vec![b'x'; i]).unwrap();
            expected.push((name, i as u64));
        }
        expected.sort();
        let source = Source {
            dir: dir.path().to_owned(),
            prefix: "p".to_owned(),
            package: dir.path().to_owned(),
        };
        let ignore = ignore_set(&[], true).unwrap();
        let files = collect(&[source], &ignore, Links::StayInside).unwrap().files;
        let found: Vec<(String, u64)> = files.iter().map(|f| (f.name[2..].to_owned(), f.size)).collect();
        assert_eq!(found, expected);
        for file in &files {
            let meta = std::fs::metadata(&file.path).unwrap();
            assert_eq!(file.mtime_ns, crate::fs::mtime_ns(&meta), "{}", file.name);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_outside_the_package_is_an_error_unless_allowed_and_links_inside_are_followed() {
        let package = tree(&["assets/css/a.css", "shared/b.css"]);
        let elsewhere = tree(&["id_rsa"]);
        let assets = package.path().join("assets");
        std::os::unix::fs::symlink(package.path().join("shared"), assets.join("shared")).unwrap();
        let source = Source {
            dir: assets.clone(),
            prefix: String::new(),
            package: package.path().to_owned(),
        };
        let ignore = ignore_set(&[], true).unwrap();
        let inside = collect(std::slice::from_ref(&source), &ignore, Links::StayInside).unwrap();
        let names: Vec<&str> = inside.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["css/a.css", "shared/b.css"]);

        std::os::unix::fs::symlink(elsewhere.path(), assets.join("keys")).unwrap();
        let err = collect(std::slice::from_ref(&source), &ignore, Links::StayInside)
            .err()
            .expect("refused");
        assert!(matches!(err, Error::LinkOutside { .. }), "{err}");
        let message = err.to_string();
        let target = elsewhere.path().canonicalize().unwrap();
        assert!(
            message.contains("assets/keys") && message.contains(&*target.to_string_lossy()),
            "{message}"
        );
        assert!(message.contains("follow_links_outside(true)"), "{message}");
        let anywhere = collect(&[source], &ignore, Links::Anywhere).unwrap();
        assert!(anywhere.files.iter().any(|f| f.name == "keys/id_rsa"));

        // A folder the configuration names is followed wherever it is,
        // itself a link or not: the user told.
        std::fs::remove_file(assets.join("keys")).unwrap();
        let named = package.path().join("named");
        std::os::unix::fs::symlink(elsewhere.path(), &named).unwrap();
        let source = Source {
            dir: named,
            prefix: String::new(),
            package: package.path().to_owned(),
        };
        let told = collect(&[source], &ignore, Links::StayInside).unwrap();
        assert_eq!(told.files.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_whose_name_cannot_be_an_asset_s_is_an_error_naming_it() {
        for bad in ["a\nb.css", "back\\slash.css"] {
            let dir = tree(&[bad]);
            let ignore = ignore_set(&[], true).unwrap();
            let source = Source {
                dir: dir.path().to_owned(),
                prefix: String::new(),
                package: dir.path().to_owned(),
            };
            let err = collect(&[source], &ignore, Links::StayInside).err().expect("refused");
            assert!(matches!(err, Error::UnsafeName { .. }), "{bad:?}: {err}");
            assert!(err.to_string().contains("Rename the file"), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_back_to_a_parent_folder_is_an_error_naming_it() {
        let dir = tree(&["css/a.css", "css/sub/b.css"]);
        std::os::unix::fs::symlink(dir.path().join("css"), dir.path().join("css/sub/up")).unwrap();
        let source = Source {
            dir: dir.path().to_owned(),
            prefix: String::new(),
            package: dir.path().to_owned(),
        };
        let ignore = ignore_set(&[], true).unwrap();
        let err = collect(&[source], &ignore, Links::StayInside)
            .err()
            .expect("a loop is an error");
        let message = err.to_string();
        assert!(message.contains("sub/up"), "{message}");
    }
}
