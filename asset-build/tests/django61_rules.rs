//! `Config::rules(Rules::Django61)`: Django 6.1's reference rules, on the
//! cases Django's own `tests/staticfiles_tests/test_storage.py` checks
//! (comments and strings skipped, matching `url()` quotes, source maps,
//! nested `data:` URLs, ES-module imports, cycles). The fixtures are
//! written here from what those tests check. Django 5.2's rules, the
//! default, still refuse the same files.

mod support;

use asset_build::{Error, Rules};
use support::Project;

const PNG: (&str, &str) = ("assets/img/real.png", "png bytes");

/// A stylesheet whose comments and strings name files that do not exist.
const COMMENTED_CSS: &str = r#"/* @import url("gone.css"); */
/*
  .old { background: url("gone.png"); }
*/
.a { background: /*url("gone2.png")*/ url(../img/real.png) /*url("gone3.png")*/; }
.b::after { content: "url(gone4.png)"; }
.c::after { content: 'url(gone5.png)'; }
.tw\:bg-\[url\(\'gone6.png\'\)\] { color: red; }
.d { background: url("../img/real.png"); }
body { font-family: 'sans-serif'; }
"#;

fn build61(project: &Project) -> Result<asset_build::Output, Error> {
    project.config().rules(Rules::Django61).build()
}

#[test]
fn references_in_css_comments_and_strings_are_left_alone() {
    let project = Project::new(&[("assets/css/commented.css", COMMENTED_CSS), PNG]);
    build61(&project).unwrap();
    let png = project.hashed("img/real.png");
    let png_file = png.rsplit('/').next().unwrap();
    let css = project.read_output(&project.hashed("css/commented.css"));
    let expected = COMMENTED_CSS
        .replace("url(../img/real.png)", &format!("url(\"../img/{png_file}\")"))
        .replace("url(\"../img/real.png\")", &format!("url(\"../img/{png_file}\")"));
    assert_eq!(css, expected);

    // Django 5.2's rules rewrite the first commented reference, and stop.
    let err = project.build().unwrap_err();
    assert!(
        matches!(&err, Error::MissingReference { resolved, .. } if resolved == "css/gone.css"),
        "{err}"
    );
}

#[test]
fn source_maps_are_still_rewritten() {
    let project = Project::new(&[
        (
            "assets/css/a.css",
            "a { color: red }\n/*# sourceMappingURL=a.css.map */\n",
        ),
        ("assets/css/a.css.map", "{}"),
        ("assets/js/a.js", "let a = 1;\n//# sourceMappingURL=a.js.map\n"),
        ("assets/js/a.js.map", "{}"),
        // A source-map line inside a larger comment is a comment.
        (
            "assets/js/b.js",
            "/*\n//# sourceMappingURL=gone.js.map\n*/\nlet b = 1;\n",
        ),
    ]);
    build61(&project).unwrap();
    let css = project.read_output(&project.hashed("css/a.css"));
    let css_map = project.hashed("css/a.css.map");
    assert!(
        css.ends_with(&format!(
            "/*# sourceMappingURL={} */\n",
            css_map.rsplit('/').next().unwrap()
        )),
        "{css}"
    );
    let js = project.read_output(&project.hashed("js/a.js"));
    let js_map = project.hashed("js/a.js.map");
    assert!(
        js.ends_with(&format!(
            "//# sourceMappingURL={}\n",
            js_map.rsplit('/').next().unwrap()
        )),
        "{js}"
    );
    assert_eq!(
        project.read_output(&project.hashed("js/b.js")),
        "/*\n//# sourceMappingURL=gone.js.map\n*/\nlet b = 1;\n"
    );
}

#[test]
fn url_quotes_must_match() {
    let project = Project::new(&[
        ("assets/css/q.css", ".q { background: url(\"../img/real.png') }\n"),
        PNG,
    ]);
    let err = build61(&project).unwrap_err();
    assert!(
        matches!(&err, Error::MissingReference { resolved, .. } if resolved == "css/\"../img/real.png'"),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("`css/q.css` line 1"), "{message}");
    // Django 5.2 took any quote on either side.
    project.build().unwrap();
}

#[test]
fn a_data_url_holding_url_stays_whole() {
    let css = ".n { background: url(\"data:image/svg+xml,url(%23b) url(%23c)\") }\n";
    let project = Project::new(&[("assets/css/n.css", css)]);
    build61(&project).unwrap();
    assert_eq!(project.read_output(&project.hashed("css/n.css")), css);
}

#[test]
fn an_unterminated_comment_is_not_a_comment() {
    let project = Project::new(&[("assets/css/u.css", ".u { color: red }\n/* url(gone.png)\n")]);
    let err = build61(&project).unwrap_err();
    assert!(
        matches!(&err, Error::MissingReference { resolved, .. } if resolved == "css/gone.png"),
        "{err}"
    );
}

/// A module whose comments, strings and template literals name modules
/// that do not exist, beside real imports with and without `;`.
const MODULE_JS: &str = r#"// import { old } from "./gone.js";
/* import "./gone2.js"; */
/**
 * Example:
 *   import { x } from "./gone3.js";
 */
import "../lib/real.js";
import { a } from "./sibling.js"
export { b } from "./sibling.js";
const s1 = 'import("./gone4.js")';
const s2 = "import './gone5.js'";
const t = `
  import { y } from "./gone6.js";
`;
const lazy = import("./sibling.js");
const bare = import("some-package");
"#;

#[test]
fn es_module_imports_in_comments_strings_and_templates_are_left_alone() {
    let project = Project::new(&[
        ("assets/js/module.js", MODULE_JS),
        ("assets/js/sibling.js", "export const a = 1, b = 2;\n"),
        ("assets/lib/real.js", "export {};\n"),
    ]);
    project
        .config()
        .rules(Rules::Django61)
        .js_module_imports(true)
        .build()
        .unwrap();
    let sibling = project.hashed("js/sibling.js");
    let sibling = sibling.rsplit('/').next().unwrap();
    let real = project.hashed("lib/real.js");
    let real = real.rsplit('/').next().unwrap();
    let expected = MODULE_JS
        .replace("import \"../lib/real.js\";", &format!("import\"../lib/{real}\";"))
        .replace(
            "import { a } from \"./sibling.js\"\n",
            &format!("import {{ a }} from \"./{sibling}\"\n"),
        )
        .replace(
            "export { b } from \"./sibling.js\";",
            &format!("export {{ b }} from \"./{sibling}\";"),
        )
        .replace("import(\"./sibling.js\");", &format!("import(\"./{sibling}\");"));
    assert_eq!(project.read_output(&project.hashed("js/module.js")), expected);

    // Django 5.2's patterns read the commented import, and stop.
    let err = project.config().js_module_imports(true).build().unwrap_err();
    assert!(matches!(err, Error::MissingReference { .. }), "{err}");
}

#[test]
fn a_cycle_is_still_an_error() {
    let project = Project::new(&[
        ("assets/loop/foo.css", "@import url(\"bar.css\");\n"),
        ("assets/loop/bar.css", "@import url(\"foo.css\");\n"),
    ]);
    let err = build61(&project).unwrap_err();
    assert!(matches!(err, Error::Cycle { .. }), "{err}");
    assert!(err.to_string().contains("loop/bar.css"), "{err}");
}
