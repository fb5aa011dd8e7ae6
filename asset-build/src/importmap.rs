//! The import map's pins: which collected JS modules an app imports by
//! bare specifier, from [`Config::pin`](crate::Config::pin) and
//! [`Config::pin_all_from`](crate::Config::pin_all_from), as
//! importmap-rails pins them.
//!
//! `pin("app", "js/app.js")` maps the specifier `app` to the module
//! `js/app.js`. `pin_all_from("js/controllers", "controllers")` maps
//! every `.js` and `.mjs` file under `js/controllers/` to `controllers/`
//! and its path without the extension, with an `index.js` standing for its
//! folder: `js/controllers/hello.js` is `controllers/hello`, and
//! `js/controllers/index.js` is `controllers`. A later pin of the same
//! specifier replaces an earlier one.
//!
//! The runtime renders the map from these pins and the asset table
//! (`asset_runtime::importmap`); this module only resolves them, and
//! stops the build when a pin matches nothing.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use crate::error::{Error, Result};

/// One pin, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pin {
    /// A specifier for one module, by logical name.
    One { specifier: String, name: String },
    /// Every module under a folder of logical names.
    Folder { folder: String, under: String },
}

/// The pins resolved against the collected `names`: each specifier and the
/// logical name of its module, sorted by specifier.
pub(crate) fn resolve<'a>(pins: &[Pin], names: impl Iterator<Item = &'a str> + Clone) -> Result<Vec<(String, String)>> {
    let mut resolved: BTreeMap<String, String> = BTreeMap::new();
    let mut known: Option<FxHashSet<&str>> = None;
    for pin in pins {
        match pin {
            Pin::One { specifier, name } => {
                let known = known.get_or_insert_with(|| names.clone().collect());
                if !known.contains(name.as_str()) {
                    return Err(Error::PinMissing {
                        specifier: specifier.clone(),
                        name: name.clone(),
                    });
                }
                resolved.insert(specifier.clone(), name.clone());
            }
            Pin::Folder { folder, under } => {
                let before = resolved.len();
                let mut found = false;
                for name in names.clone() {
                    let Some(specifier) = folder_specifier(folder, under, name) else {
                        continue;
                    };
                    found = true;
                    resolved.insert(specifier, name.to_owned());
                }
                if !found {
                    debug_assert_eq!(before, resolved.len());
                    return Err(Error::PinMatchesNothing { folder: folder.clone() });
                }
            }
        }
    }
    Ok(resolved.into_iter().collect())
}

/// Checks that no specifier is both pinned (`pins`) and one of a
/// bundler's chunks (`chunks`): a page has one import map.
pub(crate) fn check_chunks(pins: &[(String, String)], chunks: &[(String, String)]) -> Result<()> {
    let pinned: BTreeMap<&str, &str> = pins.iter().map(|(s, n)| (s.as_str(), n.as_str())).collect();
    match chunks
        .iter()
        .find_map(|(s, chunk)| Some((s, pinned.get(s.as_str())?, chunk)))
    {
        Some((specifier, pin, chunk)) => Err(Error::ImportMapConflict {
            specifier: specifier.clone(),
            pin: (*pin).to_owned(),
            chunk: chunk.clone(),
        }),
        None => Ok(()),
    }
}

/// The specifier `pin_all_from(folder, under)` gives `name`, if `name` is
/// a module under `folder`.
fn folder_specifier(folder: &str, under: &str, name: &str) -> Option<String> {
    let relative = if folder.is_empty() {
        name
    } else {
        name.strip_prefix(folder)?.strip_prefix('/')?
    };
    let stem = relative.strip_suffix(".js").or_else(|| relative.strip_suffix(".mjs"))?;
    if stem.is_empty() || stem.ends_with('/') {
        return None;
    }
    // `index` stands for its folder (and, at the top, for `under` itself).
    let stem = match stem.strip_suffix("index") {
        Some("") if !under.is_empty() => "",
        Some(parent) if parent.ends_with('/') => &parent[..parent.len() - 1],
        _ => stem,
    };
    Some(match (under.is_empty(), stem.is_empty()) {
        (true, _) => stem.to_owned(),
        (false, true) => under.to_owned(),
        (false, false) => format!("{under}/{stem}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_specifier_pinned_and_mapped_by_vite_is_an_error_naming_both() {
        let pair = |s: &str, n: &str| (s.to_owned(), n.to_owned());
        let pins = [pair("app", "js/app.js"), pair("/static/assets/a-X.js", "js/a.js")];
        let chunks = [pair("/static/assets/a-X.js", "assets/a-Y.js")];
        assert!(check_chunks(&pins[..1], &chunks).is_ok());
        let error = check_chunks(&pins, &chunks).unwrap_err().to_string();
        for part in [
            "`/static/assets/a-X.js`",
            "`js/a.js`",
            "`assets/a-Y.js`",
            "rename the pin",
        ] {
            assert!(error.contains(part), "{error}");
        }
    }

    fn names() -> Vec<&'static str> {
        vec![
            "js/app.js",
            "js/controllers/hello.js",
            "js/controllers/index.js",
            "js/controllers/nested/deep.mjs",
            "js/controllers/nested/index.js",
            "js/controllers/readme.md",
            "js/controllers/hello.js.map",
            "js/index.js",
        ]
    }

    fn pin(specifier: &str, name: &str) -> Pin {
        Pin::One {
            specifier: specifier.to_owned(),
            name: name.to_owned(),
        }
    }

    fn folder(folder: &str, under: &str) -> Pin {
        Pin::Folder {
            folder: folder.to_owned(),
            under: under.to_owned(),
        }
    }

    #[test]
    fn folders_become_specifiers_as_importmap_rails_makes_them() {
        let resolved = resolve(
            &[folder("js/controllers", "controllers"), pin("app", "js/app.js")],
            names().into_iter(),
        )
        .unwrap();
        let got: Vec<(&str, &str)> = resolved.iter().map(|(s, n)| (s.as_str(), n.as_str())).collect();
        assert_eq!(
            got,
            [
                ("app", "js/app.js"),
                ("controllers", "js/controllers/index.js"),
                ("controllers/hello", "js/controllers/hello.js"),
                ("controllers/nested", "js/controllers/nested/index.js"),
                ("controllers/nested/deep", "js/controllers/nested/deep.mjs"),
            ]
        );
        // With no `under`, the names relative to the folder; the top
        // `index.js` keeps its name.
        let resolved = resolve(&[folder("js", "")], names().into_iter()).unwrap();
        let specifiers: Vec<&str> = resolved.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            specifiers,
            [
                "app",
                "controllers",
                "controllers/hello",
                "controllers/nested",
                "controllers/nested/deep",
                "index"
            ]
        );
    }

    #[test]
    fn a_later_pin_replaces_an_earlier_one() {
        let resolved = resolve(
            &[
                folder("js/controllers", "controllers"),
                pin("controllers/hello", "js/app.js"),
            ],
            names().into_iter(),
        )
        .unwrap();
        assert!(resolved.contains(&("controllers/hello".to_owned(), "js/app.js".to_owned())));
    }

    #[test]
    fn pins_that_match_nothing_are_errors() {
        let err = resolve(&[pin("app", "js/ap.js")], names().into_iter()).unwrap_err();
        assert!(matches!(err, Error::PinMissing { .. }), "{err:?}");
        let err = resolve(&[folder("js/controller", "c")], names().into_iter()).unwrap_err();
        assert!(matches!(err, Error::PinMatchesNothing { .. }), "{err:?}");
    }
}
