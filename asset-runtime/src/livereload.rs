//! Live reload for [dev mode](crate::Settings::dev): open pages follow
//! edits to the asset folders, with no cargo command. Behind the
//! `livereload` feature.
//!
//! [`layer`] watches the source folders the build collected from (with
//! `notify`) and returns a [`LiveReloadLayer`], which adds a small script
//! (`livereload/client.js`, one file) to every HTML page and tells it of
//! each change over server-sent events ([`EVENTS`], one stream per page):
//!
//! - when only stylesheets changed, or files that only stylesheets name
//!   (an image or a font whose file name a stylesheet holds and no other
//!   text file in the watched folders does), the page's stylesheets are
//!   swapped in place: each `<link rel="stylesheet">` of the page's origin
//!   gets a new URL, with a cache-busting query, and the browser fetches
//!   again what it names. Form input, scroll position and open menus
//!   survive a CSS edit;
//! - any other change (a script, an image a template or script names, a
//!   template folder given to [`watch`], a removed file) reloads the page,
//!   and so does the server's coming back after a restart.
//!
//! Together with dev mode, which serves every asset from its current
//! source file, an edit shows in the browser within a fraction of a
//! second:
//!
//! ```ignore
//! asset_runtime::include_assets!();
//!
//! let mut app = axum::Router::new()
//!     .route("/", axum::routing::get(page))
//!     .nest_service("/static", asset_runtime::serve::ServeAssets::new(&ASSETS));
//! if asset_runtime::settings().is_dev() {
//!     app = app.layer(asset_runtime::livereload::layer(&ASSETS)?);
//! }
//! ```
//!
//! Editors save in bursts (a temporary file, a rename, a metadata change);
//! changes within [`SETTLE`] of each other are one change, which swaps the
//! stylesheets only if every file it touched is a stylesheet still there
//! (or a file only stylesheets name).
//! Hidden files and names ending in `~` (swap and backup files) are
//! ignored.

mod service;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher as _};
use service::Changes;
pub use service::{EVENTS, LiveReload, LiveReloadBody};

use crate::assets::Assets;

/// How long to wait after a change for the rest of its burst.
pub const SETTLE: Duration = Duration::from_millis(50);

/// A source folder could not be watched.
#[derive(Debug)]
pub struct WatchError {
    path: PathBuf,
    source: notify::Error,
}

impl WatchError {
    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot watch the asset folder `{}` for live reload: {} (on Linux, raise \
             fs.inotify.max_user_watches if the limit is reached)",
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for WatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Watches every source folder of `assets` and returns a layer that
/// reloads open pages after each change.
///
/// The watcher runs on a thread of its own for the life of the process.
/// Folders that no longer exist are skipped.
pub fn layer(assets: &'static Assets) -> Result<LiveReloadLayer, WatchError> {
    let folders: Vec<PathBuf> = assets.source_dirs().map(Path::to_owned).collect();
    watch(&folders)
}

/// Like [`layer`], for any list of folders (templates, say, when the app
/// reads them at run time).
pub fn watch(folders: &[PathBuf]) -> Result<LiveReloadLayer, WatchError> {
    let layer = LiveReloadLayer {
        changes: Arc::new(Changes::default()),
    };
    let changes = layer.changes.clone();
    let (sender, events) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(sender).map_err(|source| WatchError {
        path: folders.first().cloned().unwrap_or_default(),
        source,
    })?;
    for folder in folders.iter().filter(|f| f.is_dir()) {
        watcher
            .watch(folder, RecursiveMode::Recursive)
            .map_err(|source| WatchError {
                path: folder.clone(),
                source,
            })?;
    }
    std::thread::Builder::new()
        .name("asset-livereload".into())
        .spawn({
            let folders = folders.to_vec();
            move || {
                // The watcher lives as long as this thread, which ends only
                // when the watcher's channel closes.
                let _watcher = watcher;
                while let Ok(event) = events.recv() {
                    let mut burst = Burst::default();
                    if !burst.add(&event) {
                        continue;
                    }
                    std::thread::sleep(SETTLE);
                    while let Ok(event) = events.try_recv() {
                        burst.add(&event);
                    }
                    match burst.refresh(&folders) {
                        Refresh::Stylesheets => changes.stylesheets.notify_waiters(),
                        Refresh::Reload => changes.reload.notify_waiters(),
                    }
                }
            }
        })
        .map_err(|e| WatchError {
            path: folders.first().cloned().unwrap_or_default(),
            source: notify::Error::io(e),
        })?;
    Ok(layer)
}

/// What a change asks of open pages; of a burst, the larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Refresh {
    /// Only stylesheets changed: swap them in place.
    Stylesheets,
    /// Anything else: reload the page.
    Reload,
}

/// The changes of one burst: each file touched once, however many events
/// an editor's save made for it.
#[derive(Debug, Default)]
struct Burst {
    /// The visible files created or modified.
    kept: std::collections::BTreeSet<PathBuf>,
    /// Whether a file was removed.
    removed: bool,
}

impl Burst {
    /// Adds `event`; whether it changes a file a page may use.
    fn add(&mut self, event: &notify::Result<notify::Event>) -> bool {
        let Ok(event) = event.as_ref() else { return false };
        if !relevant(event) {
            return false;
        }
        match event.kind {
            EventKind::Remove(_) => self.removed = true,
            _ => self.kept.extend(event.paths.iter().filter(|p| visible(p)).cloned()),
        }
        true
    }

    /// What the burst asks of open pages, given the watched `folders`.
    fn refresh(&self, folders: &[PathBuf]) -> Refresh {
        let stylesheets = !self.removed
            && self
                .kept
                .iter()
                .all(|path| path.is_file() && (is_stylesheet(path) || only_stylesheets_refer_to(path, folders)));
        match stylesheets {
            true => Refresh::Stylesheets,
            false => Refresh::Reload,
        }
    }
}

fn is_stylesheet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("css"))
}

/// Whether the file at `path` (an image, a font) is named by some
/// stylesheet in `folders` and by no other text file there (a script, a
/// template in a folder given to [`watch`]): then swapping the
/// stylesheets fetches it again. A file is taken to name it when its text
/// holds its file name.
fn only_stylesheets_refer_to(path: &Path, folders: &[PathBuf]) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let mut by_stylesheet = false;
    let files = folders
        .iter()
        .flat_map(|folder| walkdir::WalkDir::new(folder).into_iter().filter_map(Result::ok))
        .filter(|entry| entry.file_type().is_file() && entry.path() != path && visible(entry.path()));
    for entry in files {
        // Text files only, and not huge ones.
        if entry.metadata().map_or(true, |m| m.len() > 1 << 20) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        if text.contains(name) {
            if !is_stylesheet(entry.path()) {
                return false;
            }
            by_stylesheet = true;
        }
    }
    by_stylesheet
}

/// The layer [`layer`] and [`watch`] give: it adds the live-reload script
/// to HTML pages and serves the event stream it listens to ([`EVENTS`]).
#[derive(Clone, Debug)]
pub struct LiveReloadLayer {
    changes: Arc<Changes>,
}

impl<S> tower_layer::Layer<S> for LiveReloadLayer {
    type Service = LiveReload<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LiveReload::new(inner, self.changes.clone())
    }
}

/// Whether an event is a change to a file a page may use.
fn relevant(event: &notify::Event) -> bool {
    let changed = matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
    );
    changed && event.paths.iter().any(|path| visible(path))
}

/// Whether a path is not hidden, nor a swap or backup file.
fn visible(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| !name.starts_with('.') && !name.ends_with('~'))
}
