//! Live reload for [dev mode](crate::Settings::dev): open pages reload when
//! a file in an asset folder changes, with no cargo command. Behind the
//! `livereload` feature.
//!
//! [`layer`] watches the source folders the build collected from (with
//! `notify`) and returns a [`LiveReloadLayer`] (from `tower-livereload`)
//! that injects a small script into every HTML response; the script listens
//! on `/_tower-livereload` for server-sent events and reloads the page when
//! one arrives. Together with dev mode, which serves every asset from its
//! current source file, an edit to a stylesheet shows in the browser within
//! a fraction of a second:
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
//! changes within [`SETTLE`] of each other cause one reload. Hidden files
//! and names ending in `~` (swap and backup files) are ignored.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher as _};
pub use tower_livereload::LiveReloadLayer;

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
    let layer = LiveReloadLayer::new();
    let reloader = layer.reloader();
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
        .spawn(move || {
            // The watcher lives as long as this thread, which ends only
            // when the watcher's channel closes.
            let _watcher = watcher;
            while let Ok(event) = events.recv() {
                if !relevant(&event) {
                    continue;
                }
                std::thread::sleep(SETTLE);
                while events.try_recv().is_ok() {}
                reloader.reload();
            }
        })
        .map_err(|e| WatchError {
            path: folders.first().cloned().unwrap_or_default(),
            source: notify::Error::io(e),
        })?;
    Ok(layer)
}

/// Whether an event is a change to a file a page may use.
fn relevant(event: &notify::Result<notify::Event>) -> bool {
    let Ok(event) = event else { return false };
    let changed = matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
    );
    changed
        && event.paths.iter().any(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| !name.starts_with('.') && !name.ends_with('~'))
        })
}
