//! Step 3: find and rewrite references inside CSS and JS files.
//!
//! The patterns and rules are those of Django 5.2's `HashedFilesMixin`, so
//! the output is byte-identical to `collectstatic` with
//! `ManifestStaticFilesStorage`:
//!
//! - CSS: `url(...)` (any case, quoted or not; always written back quoted),
//!   `@import "..."` (written back as `@import url("...")`) and
//!   `/*# sourceMappingURL=... */`;
//! - JS: `//# sourceMappingURL=...`, and with
//!   [`js_module_imports`](crate::Config::js_module_imports) the ES module
//!   forms `import ... from "./x.js"`, `export ... from "./x.js"`,
//!   `import "./x.js"` and `import("./x.js")`.
//!
//! A reference is left exactly as it is when it has a scheme (`data:`,
//! `https:`), starts with `//`, is an absolute path outside the static URL
//! prefix, or is empty once its `#fragment` is removed. Otherwise it is
//! resolved against the referring file's folder (or the static URL prefix),
//! and only its last path segment is replaced by the target's hashed name;
//! the query and fragment are kept (`font.eot?#iefix` →
//! `font.1a2b3c4d5e6f.eot?#iefix`).
//!
//! One deliberate difference from Django: a reference that carries a query
//! string (`a.css?v=2`) to a CSS or JS file points at that file's final
//! hashed name. Django hashes the file's unprocessed content there, a name
//! no file has.
//!
//! # Django 6.1's rules
//!
//! With [`Rules::Django61`], the patterns are those of Django 6.1:
//!
//! - A match that starts inside a comment or a string literal is left as
//!   it is. Before each pattern runs, the file is split into "ignored
//!   blocks" by one regex, scanned left to right:
//!   - CSS: `/* ... */` comments, backslash escapes (so that a Tailwind
//!     selector such as `.tw\:bg-\[url\(\'x\'\)\]` opens no string),
//!     and `'...'` and `"..."` strings on one line;
//!   - JS: the same, plus `// ...` line comments and `` `...` `` template
//!     literals.
//!
//!   A match strictly inside a block is kept. A source-map comment, whose
//!   match starts where its comment starts, is still rewritten. An
//!   unterminated `/*` is not a comment.
//! - `url()` quotes must match: `url("a.png')` is read as the unquoted
//!   URL `"a.png'`, which names no file. A `data:` URL holding `url(...)`
//!   inside quotes stays whole.
//! - The ES-module patterns no longer need a trailing `;`, stop at the
//!   first `;`, and leave `import()` of a bare specifier alone.
//!
//! A reference cycle is an error with either rules, as in Django, whose
//! passes give up on it.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use regex::{Captures, Regex};

use crate::error::Result;

/// Which version of Django's reference rules a build follows, set with
/// [`Config::rules`](crate::Config::rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rules {
    /// Django 5.2's, the default: every match is rewritten, comments and
    /// strings included, and `url()` quotes need not match.
    #[default]
    Django52,
    /// Django 6.1's: references inside CSS/JS comments and string literals
    /// are skipped, `url()` quotes must match, and the ES-module patterns
    /// are 6.1's.
    Django61,
}

/// Which set of patterns applies to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Css,
    Js,
}

impl FileKind {
    /// Django treats names matching `*.css` and `*.js` (case-sensitive) as
    /// files to rewrite.
    pub(crate) fn of(name: &str) -> Option<FileKind> {
        if name.ends_with(".css") {
            Some(FileKind::Css)
        } else if name.ends_with(".js") {
            Some(FileKind::Js)
        } else {
            None
        }
    }
}

/// A piece of a replacement template.
#[derive(Debug, Clone, Copy)]
enum Part {
    Lit(&'static str),
    Group(&'static str),
}

#[derive(Debug)]
struct Pattern {
    regex: Regex,
    template: &'static [Part],
    /// With Django 6.1's rules: the blocks (comments, strings) in which a
    /// match is left alone.
    ignored: Option<Ignored>,
}

impl Pattern {
    fn new(regex: &str, template: &'static [Part]) -> Pattern {
        Pattern {
            regex: Regex::new(regex).expect("built-in reference pattern is valid"),
            template,
            ignored: None,
        }
    }

    fn ignoring(mut self, ignored: Ignored) -> Pattern {
        self.ignored = Some(ignored);
        self
    }
}

/// Django 6.1's ignored blocks: which regex finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ignored {
    Css,
    Js,
}

/// The ignored-block regexes, alternatives in Django 6.1's order (the
/// leftmost match wins, and at one position the first alternative).
struct IgnoredRegexes {
    css: Regex,
    js: Regex,
}

fn ignored_regexes() -> &'static IgnoredRegexes {
    static REGEXES: std::sync::OnceLock<IgnoredRegexes> = std::sync::OnceLock::new();
    REGEXES.get_or_init(|| {
        let comment = r"/\*.*?\*/";
        let escape = r"\\.";
        let strings = r#"'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*""#;
        let compile = |alternatives: &[&str]| {
            Regex::new(&format!("(?s){}", alternatives.join("|"))).expect("valid ignored-block regex")
        };
        IgnoredRegexes {
            css: compile(&[comment, escape, strings]),
            js: compile(&[comment, r"//[^\n]*", escape, strings, r"`(?:[^`\\]|\\.)*`"]),
        }
    })
}

/// The spans of the ignored blocks of `text`, in order.
fn ignored_blocks(text: &str, ignored: Ignored) -> Vec<(usize, usize)> {
    let regexes = ignored_regexes();
    let regex = match ignored {
        Ignored::Css => &regexes.css,
        Ignored::Js => &regexes.js,
    };
    regex.find_iter(text).map(|m| (m.start(), m.end())).collect()
}

use Part::{Group, Lit};

/// The compiled patterns for CSS and JS.
#[derive(Debug)]
pub(crate) struct Patterns {
    css: Vec<Pattern>,
    js: Vec<Pattern>,
    scheme: Regex,
    /// What they were built from: `(js_module_imports, rules)`.
    built_from: (bool, Rules),
}

impl Patterns {
    pub(crate) fn new(js_module_imports: bool, rules: Rules) -> Patterns {
        let newer = rules == Rules::Django61;
        let url = if newer {
            // Quotes must match: Django 6.1's `(?P<quote>['"]?)...(?P=quote)`,
            // written as three alternatives tried in the order its
            // backtracking tries them (the `regex` crate has no
            // back-references).
            r#"(?i)(?P<matched>url\((?:'\s*(?P<url_sq>.*?)'\)|"\s*(?P<url_dq>.*?)"\)|\s*(?P<url>.*?)\)))"#
        } else {
            r#"(?i)(?P<matched>url\(['"]{0,1}\s*(?P<url>.*?)["']{0,1}\))"#
        };
        let mut css = vec![
            Pattern::new(url, &[Lit("url(\""), Group("url"), Lit("\")")]),
            Pattern::new(
                r#"(?i)(?P<matched>@import\s*["']\s*(?P<url>.*?)["'])"#,
                &[Lit("@import url(\""), Group("url"), Lit("\")")],
            ),
            Pattern::new(
                r"(?im)^(?P<matched>/\*#[ \t](?-i:sourceMappingURL)=(?P<url>.*)[ \t]*\*/)$",
                &[Lit("/*# sourceMappingURL="), Group("url"), Lit(" */")],
            ),
        ];
        let mut js = vec![Pattern::new(
            r"(?im)^(?P<matched>//# (?-i:sourceMappingURL)=(?P<url>.*))$",
            &[Lit("//# sourceMappingURL="), Group("url")],
        )];
        match (js_module_imports, newer) {
            (false, _) => {}
            (true, false) => js.extend(js_module_patterns()),
            (true, true) => js.extend(js_module_patterns_61()),
        }
        if newer {
            // Every pattern is blind to comments and strings.
            css = css.into_iter().map(|p| p.ignoring(Ignored::Css)).collect();
            js = js.into_iter().map(|p| p.ignoring(Ignored::Js)).collect();
        }
        Patterns {
            css,
            js,
            scheme: Regex::new("^[a-z]+:").expect("valid"),
            built_from: (js_module_imports, rules),
        }
    }

    /// Names the set of patterns: a rewrite recorded with other patterns
    /// is not one these would make.
    pub(crate) fn describe(&self) -> String {
        let patterns = self.css.iter().chain(&self.js);
        let sources: Vec<&str> = patterns.map(|p| p.regex.as_str()).collect();
        format!("{:?} {sources:?} {}", self.built_from, self.scheme.as_str())
    }

    fn for_kind(&self, kind: FileKind) -> &[Pattern] {
        match kind {
            FileKind::Css => &self.css,
            FileKind::Js => &self.js,
        }
    }
}

fn js_module_patterns() -> Vec<Pattern> {
    vec![
        Pattern::new(
            r#"(?i)(?P<matched>import(?s:(?P<import>[\s\{].*?|\*\s*as\s*\w+))\s*from\s*['"](?P<url>[./].*?)["']\s*;)"#,
            &[
                Lit("import"),
                Group("import"),
                Lit(" from \""),
                Group("url"),
                Lit("\";"),
            ],
        ),
        Pattern::new(
            r#"(?i)(?P<matched>export(?s:(?P<exports>[\s\{].*?))\s*from\s*["'](?P<url>[./].*?)["']\s*;)"#,
            &[
                Lit("export"),
                Group("exports"),
                Lit(" from \""),
                Group("url"),
                Lit("\";"),
            ],
        ),
        Pattern::new(
            r#"(?i)(?P<matched>import\s*['"](?P<url>[./].*?)["']\s*;)"#,
            &[Lit("import\""), Group("url"), Lit("\";")],
        ),
        Pattern::new(
            r#"(?i)(?P<matched>import\(["'](?P<url>.*?)["']\))"#,
            &[Lit("import(\""), Group("url"), Lit("\")")],
        ),
    ]
}

/// Django 6.1's ES-module patterns: no trailing `;`, never past a `;`,
/// and `import()` only of `./`, `../` or `/` paths.
fn js_module_patterns_61() -> Vec<Pattern> {
    vec![
        Pattern::new(
            r#"(?i)(?P<matched>import(?P<import>[\s\{][^;]*?|\*\s*as\s*\w+)\s*from\s*['"](?P<url>[./].*?)["'])"#,
            &[Lit("import"), Group("import"), Lit(" from \""), Group("url"), Lit("\"")],
        ),
        Pattern::new(
            r#"(?i)(?P<matched>export(?P<exports>[\s\{][^;]*?)\s*from\s*["'](?P<url>[./].*?)["'])"#,
            &[
                Lit("export"),
                Group("exports"),
                Lit(" from \""),
                Group("url"),
                Lit("\""),
            ],
        ),
        Pattern::new(
            r#"(?i)(?P<matched>import\s*['"](?P<url>[./].*?)["'])"#,
            &[Lit("import\""), Group("url"), Lit("\"")],
        ),
        Pattern::new(
            r#"(?i)(?P<matched>import\(["'](?P<url>[./].*?)["']\))"#,
            &[Lit("import(\""), Group("url"), Lit("\")")],
        ),
    ]
}

/// One reference found in a file, resolved to the logical name it points at.
#[derive(Debug)]
pub(crate) struct Reference<'a> {
    /// The text the pattern matched, such as `url(../img/a.png)`.
    pub(crate) matched: &'a str,
    /// 1-based line of the match.
    pub(crate) line: usize,
    /// The logical name it resolves to, such as `img/a.png`.
    pub(crate) target: String,
}

/// What to do with a reference.
#[derive(Debug)]
pub(crate) enum Resolution {
    /// Replace the last segment with this hashed logical name's file name.
    Hashed(String),
    /// The target is a folder: keep the URL, normalised as Django does.
    Folder,
    /// Leave the matched text exactly as it is.
    Keep,
}

/// Rewrites every reference in `content`, a file named `source` (logical
/// name), asking `resolve` what each resolved target becomes.
pub(crate) fn rewrite(
    content: &str,
    source: &str,
    kind: FileKind,
    patterns: &Patterns,
    static_url: &str,
    resolve: &mut dyn FnMut(&Reference<'_>) -> Result<Resolution>,
) -> Result<String> {
    let mut text: Cow<'_, str> = Cow::Borrowed(content);
    for pattern in patterns.for_kind(kind) {
        let mut out = String::new();
        let mut last = 0;
        // Recomputed for each pattern, on the text as rewritten so far.
        let blocks = pattern.ignored.map(|ignored| ignored_blocks(&text, ignored));
        let mut block = 0;
        // Lines counted up to `counted` (matches come in order).
        let (mut counted, mut line) = (0, 1);
        for caps in pattern.regex.captures_iter(&text) {
            let whole = caps.get(0).expect("group 0 always matches");
            if let Some(blocks) = &blocks {
                // Django's `start < pos < end`: a match that starts where a
                // comment starts (a source map) is not inside it.
                while block < blocks.len() && blocks[block].1 <= whole.start() {
                    block += 1;
                }
                if blocks
                    .get(block)
                    .is_some_and(|&(start, end)| start < whole.start() && whole.start() < end)
                {
                    continue;
                }
            }
            if out.capacity() == 0 {
                out.reserve(text.len() + 64);
            }
            out.push_str(&text[last..whole.start()]);
            last = whole.end();
            line += text.as_bytes()[counted..whole.start()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = whole.start();
            match convert(&caps, line, source, pattern, &patterns.scheme, static_url, resolve)? {
                Some(replacement) => out.push_str(&replacement),
                None => out.push_str(&caps["matched"]),
            }
        }
        if last == 0 && out.is_empty() {
            continue;
        }
        out.push_str(&text[last..]);
        text = Cow::Owned(out);
    }
    Ok(text.into_owned())
}

/// Django's `url_converter`: `None` keeps the matched text.
fn convert(
    caps: &Captures<'_>,
    line: usize,
    source: &str,
    pattern: &Pattern,
    scheme: &Regex,
    static_url: &str,
    resolve: &mut dyn FnMut(&Reference<'_>) -> Result<Resolution>,
) -> Result<Option<String>> {
    let matched = caps.name("matched").map_or("", |m| m.as_str());
    // Django 6.1's `url()` has one group per kind of quote.
    let url = ["url", "url_dq", "url_sq"]
        .into_iter()
        .find_map(|group| caps.name(group))
        .map_or("", |m| m.as_str());
    if scheme.is_match(url) || url.starts_with("//") {
        return Ok(None);
    }
    if url.starts_with('/') && !url.starts_with(static_url) {
        return Ok(None);
    }
    let (url_path, fragment) = split_fragment(url);
    if url_path.is_empty() {
        return Ok(None);
    }
    let joined = match url_path.strip_prefix(static_url) {
        Some(rest) if url_path.starts_with('/') => rest.to_owned(),
        _ => join(dirname(source), url_path),
    };
    let decoded = unquote(&joined).replace('\\', "/");
    let normalized = normpath(&decoded);
    let (path_part, query) = match normalized.split_once('?') {
        Some((path, query)) => (path, query),
        None => (normalized.as_str(), ""),
    };
    let target = unquote(path_part).trim().to_owned();
    let reference = Reference { matched, line, target };
    let last_segment = match resolve(&reference)? {
        Resolution::Keep => return Ok(None),
        Resolution::Folder => None,
        Resolution::Hashed(hashed) => {
            let base = hashed.rsplit('/').next().unwrap_or(&hashed);
            Some(if query.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{query}")
            })
        }
    };
    let mut transformed = match last_segment {
        Some(last) => match url_path.rfind('/') {
            Some(i) => format!("{}{last}", &url_path[..=i]),
            None => last,
        },
        None => url_path.to_owned(),
    };
    if !fragment.is_empty() {
        transformed.push_str(if url.contains("?#") { "?#" } else { "#" });
        transformed.push_str(fragment);
    }
    let new_url = unquote(&transformed);
    let mut out = String::with_capacity(matched.len() + 16);
    for part in pattern.template {
        match part {
            Lit(text) => out.push_str(text),
            Group("url") => out.push_str(&new_url),
            Group(name) => out.push_str(caps.name(name).map_or("", |m| m.as_str())),
        }
    }
    Ok(Some(out))
}

/// Python's `urldefrag`: splits at the first `#`; an empty query left
/// before it (`font.eot?#iefix`) is dropped from the path.
fn split_fragment(url: &str) -> (&str, &str) {
    match url.split_once('#') {
        None => (url, ""),
        Some((before, fragment)) => {
            let before = match before.split_once('?') {
                Some((path, "")) => path,
                _ => before,
            };
            (before, fragment)
        }
    }
}

fn dirname(name: &str) -> &str {
    name.rfind('/').map_or("", |i| &name[..i])
}

/// Python's `posixpath.join` of a folder and a relative reference.
fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() || rel.starts_with('/') {
        rel.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

/// Python's `urllib.parse.unquote`: `%XX` sequences decoded as UTF-8.
fn unquote(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Python's `posixpath.normpath` for relative paths: drops `.` and empty
/// segments and resolves `..`; `..` that climbs above the root is kept, so
/// such a name matches no asset.
fn normpath(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if !parts.is_empty() && parts.last() != Some(&"..") => {
                parts.pop();
            }
            ".." if absolute => {}
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// The rewriter on arbitrary text and names: it returns a value or an
/// error, never panics. Each case runs every pattern of both kinds, with a
/// resolver that answers each of its four outcomes. The default number of
/// cases suits the test suite; for a long run:
///
/// ```text
/// PROPTEST_CASES=10000000 cargo test --release -p asset-build --lib rewriter_never_panics
/// ```
#[cfg(test)]
mod never_panics {
    use proptest::prelude::*;

    use super::*;

    /// Text made of the pieces the patterns look for, and anything else.
    fn css_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("url(".to_owned()),
            Just("URL(".to_owned()),
            Just(")".to_owned()),
            Just("@import ".to_owned()),
            Just("'".to_owned()),
            Just("\"".to_owned()),
            Just("../".to_owned()),
            Just("./".to_owned()),
            Just("/".to_owned()),
            Just("/static/".to_owned()),
            Just("?#iefix".to_owned()),
            Just("#".to_owned()),
            Just("?".to_owned()),
            Just("%".to_owned()),
            Just("%2".to_owned()),
            Just("%e9".to_owned()),
            Just("\\".to_owned()),
            Just("\n".to_owned()),
            Just("/*# sourceMappingURL=".to_owned()),
            Just("//# sourceMappingURL=".to_owned()),
            Just(" */".to_owned()),
            Just("import ".to_owned()),
            Just("export ".to_owned()),
            Just(" from ".to_owned()),
            Just("import(".to_owned()),
            Just("data:".to_owned()),
            Just("a.css".to_owned()),
            Just(";".to_owned()),
            Just("{".to_owned()),
            ".{0,6}",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn rewriter_never_panics(
            content in css_like(),
            source in "([a-z./é ]{0,6}/){0,3}[a-z.é]{0,6}\\.(css|js)",
            static_url in prop_oneof![Just("/static/".to_owned()), Just("/".to_owned()), "/[a-z]{0,3}/?"],
            answer in 0u8..4,
            js_modules in any::<bool>(),
        ) {
            static PATTERNS: std::sync::OnceLock<[Patterns; 2]> = std::sync::OnceLock::new();
            let patterns = &PATTERNS.get_or_init(|| [Patterns::new(false, Rules::Django52), Patterns::new(true, Rules::Django52)])[usize::from(js_modules)];
            for kind in [FileKind::Css, FileKind::Js] {
                let _ = rewrite(&content, &source, kind, patterns, &static_url, &mut |r| match answer {
                    0 => Ok(Resolution::Hashed(format!("{}.0123456789ab", r.target))),
                    1 => Ok(Resolution::Folder),
                    2 => Ok(Resolution::Keep),
                    _ => Err(crate::error::Error::io("read", &r.target, std::io::Error::other("no"))),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// Rewrites with a resolver that hashes every target to `<root>.HASH<ext>`.
    fn rewrite_all(content: &str, source: &str, kind: FileKind) -> (String, Vec<String>) {
        let patterns = Patterns::new(true, Rules::Django52);
        let mut seen = Vec::new();
        let out = rewrite(content, source, kind, &patterns, "/static/", &mut |r| {
            seen.push(format!("{}:{}", r.line, r.target));
            let (root, ext) = asset_contract::names::split_ext(&r.target);
            Ok(Resolution::Hashed(format!("{root}.HASH{ext}")))
        })
        .unwrap();
        (out, seen)
    }

    #[test]
    fn url_forms() {
        let css = "a{background:url(../img/a.png)}\nb{background:URL('b.png')}\n";
        let (out, seen) = rewrite_all(css, "css/x.css", FileKind::Css);
        assert_eq!(
            out,
            "a{background:url(\"../img/a.HASH.png\")}\nb{background:url(\"b.HASH.png\")}\n"
        );
        assert_eq!(seen, ["1:img/a.png", "2:css/b.png"]);
    }

    #[test]
    fn skipped_forms_are_untouched() {
        let css = "a{x:url(data:image/png;base64,AA==)}b{x:url(https://e.com/a.png)}\
                   c{x:url(//cdn/a.png)}d{x:url(/media/a.png)}e{x:url(#f)}f{x:url()}";
        let (out, seen) = rewrite_all(css, "x.css", FileKind::Css);
        assert_eq!(out, css);
        assert!(seen.is_empty());
    }

    #[test]
    fn query_fragment_and_static_prefix() {
        let css = "@font-face{src:url('f.eot?#iefix') format('eot'),url(f.svg#Font),url(f.woff?v=1)}\
                   a{b:url(/static/img/a%20b.png)}";
        let (out, seen) = rewrite_all(css, "fonts.css", FileKind::Css);
        assert_eq!(
            out,
            "@font-face{src:url(\"f.HASH.eot?#iefix\") format('eot'),url(\"f.HASH.svg#Font\"),\
             url(\"f.HASH.woff?v=1\")}a{b:url(\"/static/img/a b.HASH.png\")}"
        );
        assert_eq!(seen, ["1:f.eot", "1:f.svg", "1:f.woff", "1:img/a b.png"]);
    }

    #[test]
    fn import_and_source_maps() {
        let (out, _) = rewrite_all(
            "@import \"a.css\";\n/*# sourceMappingURL=x.css.map */",
            "s/x.css",
            FileKind::Css,
        );
        assert_eq!(
            out,
            "@import url(\"a.HASH.css\");\n/*# sourceMappingURL=x.css.HASH.map */"
        );
        let (out, _) = rewrite_all("f()\n//# sourceMappingURL=app.js.map", "app.js", FileKind::Js);
        assert_eq!(out, "f()\n//# sourceMappingURL=app.js.HASH.map");
    }

    #[test]
    fn resolver_errors_propagate() {
        let patterns = Patterns::new(false, Rules::Django52);
        let err = rewrite(
            "a{b:url(x.png)}",
            "a.css",
            FileKind::Css,
            &patterns,
            "/static/",
            &mut |r| {
                Err(Error::MissingReference {
                    file: "a.css".into(),
                    line: r.line,
                    matched: r.matched.into(),
                    resolved: r.target.clone(),
                })
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("`url(x.png)` refers to `x.png`"), "{err}");
    }

    #[test]
    fn normpath_like_python() {
        assert_eq!(normpath("a/./b//c/../d"), "a/b/d");
        assert_eq!(normpath("../a"), "../a");
        assert_eq!(normpath("a/../../b"), "../b");
        assert_eq!(normpath(""), ".");
        assert_eq!(normpath("/a/../../b"), "/b");
    }
}
