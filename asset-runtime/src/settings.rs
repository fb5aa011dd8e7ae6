//! Process-wide settings: base URL, strictness and dev mode, fixed at
//! start-up.

use std::sync::OnceLock;

use crate::error::AlreadyConfigured;

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// How URLs are built, set once per process with [`configure`].
///
/// ```
/// use asset_runtime::Settings;
/// let s = Settings::new().base_url("https://cdn.example.com/static").strict(false);
/// assert_eq!(s.base_url_or("/static/"), "https://cdn.example.com/static/");
/// assert!(!s.is_strict());
/// ```
#[derive(Debug, Clone)]
pub struct Settings {
    base_url: Option<Box<str>>,
    strict: bool,
    dev: bool,
    vite_dev_server: Option<Box<str>>,
    vite_react_refresh: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

impl Settings {
    /// The defaults: the base URL the table was built with (`/static/`
    /// unless the build set another), and strict lookups.
    pub const fn new() -> Self {
        Settings {
            base_url: None,
            strict: true,
            dev: false,
            vite_dev_server: None,
            vite_react_refresh: false,
        }
    }

    /// The defaults, with the base URL taken from the `STATIC_URL`
    /// environment variable when it is set and not empty, and dev mode on
    /// when `ASSET_DEV` is `1` (or `true`, `yes`, `on`) in a build with
    /// debug assertions (a debug build).
    ///
    /// A release build ignores `ASSET_DEV` and says so on standard error:
    /// dev mode there needs an explicit [`dev(true)`](Self::dev) in code.
    pub fn from_env() -> Self {
        let mut settings = match std::env::var("STATIC_URL") {
            Ok(url) if !url.trim().is_empty() => Settings::new().base_url(url.trim()),
            _ => Settings::new(),
        };
        match dev_from_env(std::env::var("ASSET_DEV").ok().as_deref(), cfg!(debug_assertions)) {
            DevFromEnv::On => settings = settings.dev(true),
            DevFromEnv::Off => {}
            DevFromEnv::RefusedInRelease => eprintln!(
                "asset-runtime: ASSET_DEV is ignored in a release build; assets are served as built \
                 (call Settings::dev(true) to force dev mode)"
            ),
        }
        if let Ok(url) = std::env::var("ASSET_VITE_DEV_SERVER")
            && !url.trim().is_empty()
        {
            settings = settings.vite_dev_server(url.trim());
            if !settings.dev {
                eprintln!("asset-runtime: ASSET_VITE_DEV_SERVER is used in dev mode only (ASSET_DEV=1)");
            }
        }
        let react = std::env::var("ASSET_VITE_REACT_REFRESH").ok();
        settings.vite_react_refresh(is_yes(react.as_deref()))
    }

    /// Prefix of every URL, for example `https://cdn.example.com/static/`.
    /// A missing trailing `/` is added.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(with_slash(url.into()));
        self
    }

    /// Strict (the default): a name missing from the table is an error
    /// value. Lenient: it is returned as the unhashed URL, as Django's
    /// `manifest_strict = False`.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Dev mode (off by default): the edit loop without rebuilds.
    ///
    /// - URLs ([`Asset::url`](crate::Asset::url), `static_url`, `asset!`)
    ///   are the unhashed ones, as Django's `DEBUG`;
    /// - `ServeAssets` (feature `serve`) answers every name the build
    ///   produced, hashed or not, with the current content of its source
    ///   file, `Cache-Control: no-cache` and an ETag of that content;
    /// - the `livereload` feature reloads open pages when a source file
    ///   changes.
    ///
    /// [`configure`] prints one line to standard error when it is on.
    pub fn dev(mut self, on: bool) -> Self {
        self.dev = on;
        self
    }

    /// In dev mode, Vite's dev server (`npm run dev`) at this URL, which
    /// includes Vite's `base` (`http://localhost:5173/static/`; a missing
    /// trailing `/` is added): the tags of a Vite entry load Vite's client
    /// and the entry's source module from it, so that edits apply by hot
    /// module replacement, and the URL of a Vite entry's output file is
    /// its source's on the dev server. Outside dev mode it is not used.
    /// `from_env` reads it from `ASSET_VITE_DEV_SERVER`.
    pub fn vite_dev_server(mut self, url: impl Into<String>) -> Self {
        self.vite_dev_server = Some(with_slash(url.into()));
        self
    }

    /// With the Vite dev server, also the preamble of React's fast refresh
    /// (`@vitejs/plugin-react`) before each entry's tags. `from_env` turns
    /// it on with `ASSET_VITE_REACT_REFRESH=1`.
    pub fn vite_react_refresh(mut self, on: bool) -> Self {
        self.vite_react_refresh = on;
        self
    }

    /// The Vite dev server in use: the configured one, in dev mode only.
    pub fn vite_dev_server_url(&self) -> Option<&str> {
        self.vite_dev_server.as_deref().filter(|_| self.dev)
    }

    /// Whether entries from the Vite dev server get React's preamble.
    pub fn is_vite_react_refresh(&self) -> bool {
        self.vite_react_refresh
    }

    /// Whether dev mode is on.
    #[inline]
    pub fn is_dev(&self) -> bool {
        self.dev
    }

    /// Whether lookups of unknown names fail.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// The configured base URL, or `default` when none was set.
    pub fn base_url_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.base_url.as_deref().unwrap_or(default)
    }

    /// The configured base URL, if one was set.
    #[inline]
    pub(crate) fn custom_base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }
}

/// What `ASSET_DEV` asks for.
#[derive(Debug, PartialEq, Eq)]
enum DevFromEnv {
    On,
    Off,
    RefusedInRelease,
}

/// `url`, ending with `/`.
fn with_slash(mut url: String) -> Box<str> {
    if !url.ends_with('/') {
        url.push('/');
    }
    url.into()
}

/// Whether an environment variable's value says yes (`1`, `true`, `yes`,
/// `on`).
fn is_yes(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

fn dev_from_env(value: Option<&str>, debug_build: bool) -> DevFromEnv {
    let asked = is_yes(value);
    match (asked, debug_build) {
        (false, _) => DevFromEnv::Off,
        (true, true) => DevFromEnv::On,
        (true, false) => DevFromEnv::RefusedInRelease,
    }
}

/// Sets the process-wide [`Settings`]. Call it once, at start-up, before the
/// first lookup; the first lookup otherwise fixes the defaults.
///
/// ```
/// use asset_runtime::{Settings, configure};
/// configure(Settings::new().base_url("https://cdn.example.com/")).unwrap();
/// // A second call is refused: URLs already handed out would disagree.
/// assert!(configure(Settings::new()).is_err());
/// ```
pub fn configure(settings: Settings) -> Result<(), AlreadyConfigured> {
    let dev = settings.dev;
    SETTINGS.set(settings).map_err(|_| AlreadyConfigured)?;
    if dev {
        eprintln!(
            "asset-runtime: dev mode is on: assets are served from their source files, uncached, \
             under unhashed URLs; never use it in production"
        );
    }
    Ok(())
}

/// The process-wide settings (the defaults if [`configure`] was not called).
#[inline]
pub fn settings() -> &'static Settings {
    SETTINGS.get_or_init(Settings::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vite_dev_server_is_used_in_dev_mode_only() {
        let settings = Settings::new().vite_dev_server("http://localhost:5173/static");
        assert_eq!(settings.vite_dev_server_url(), None);
        let dev = settings.dev(true);
        assert_eq!(dev.vite_dev_server_url(), Some("http://localhost:5173/static/"));
        assert!(!dev.is_vite_react_refresh() && dev.vite_react_refresh(true).is_vite_react_refresh());
        assert!(is_yes(Some(" On ")) && !is_yes(Some("0")) && !is_yes(None));
    }

    #[test]
    fn asset_dev_turns_dev_mode_on_in_debug_builds_only() {
        assert_eq!(dev_from_env(Some("1"), true), DevFromEnv::On);
        assert_eq!(dev_from_env(Some(" TRUE "), true), DevFromEnv::On);
        assert_eq!(dev_from_env(Some("1"), false), DevFromEnv::RefusedInRelease);
        assert_eq!(dev_from_env(Some("0"), true), DevFromEnv::Off);
        assert_eq!(dev_from_env(None, true), DevFromEnv::Off);
        assert!(!Settings::new().is_dev());
        assert!(Settings::new().dev(true).is_dev());
    }
}
