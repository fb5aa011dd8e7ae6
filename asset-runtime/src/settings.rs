//! Process-wide settings: base URL and strictness, fixed at start-up.

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
        }
    }

    /// The defaults, with the base URL taken from the `STATIC_URL`
    /// environment variable when it is set and not empty.
    pub fn from_env() -> Self {
        match std::env::var("STATIC_URL") {
            Ok(url) if !url.trim().is_empty() => Settings::new().base_url(url.trim()),
            _ => Settings::new(),
        }
    }

    /// Prefix of every URL, for example `https://cdn.example.com/static/`.
    /// A missing trailing `/` is added.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        let mut url = url.into();
        if !url.ends_with('/') {
            url.push('/');
        }
        self.base_url = Some(url.into());
        self
    }

    /// Strict (the default): a name missing from the table is an error
    /// value. Lenient: it is returned as the unhashed URL, as Django's
    /// `manifest_strict = False`.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
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
    pub(crate) fn custom_base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
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
    SETTINGS.set(settings).map_err(|_| AlreadyConfigured)
}

/// The process-wide settings (the defaults if [`configure`] was not called).
pub fn settings() -> &'static Settings {
    SETTINGS.get_or_init(Settings::new)
}
