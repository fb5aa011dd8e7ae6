//! Import-map pins: a change to one pinned module renames that module
//! only, and a pin that matches nothing stops the build with its name.

mod support;

use asset_build::Error;
use support::{Project, age};

fn modules() -> Project {
    Project::new(&[
        (
            "assets/js/app.js",
            "import { hello } from \"controllers/hello\";\nimport { twice } from \"./util.js\";\n",
        ),
        ("assets/js/util.js", "export const twice = (s) => s + s;\n"),
        (
            "assets/js/controllers/hello.js",
            "export const hello = () => \"hello\";\n",
        ),
    ])
}

#[test]
fn editing_one_module_renames_that_module_only() {
    let project = modules();
    let config = || {
        let mut config = project.config();
        config.pin("app", "js/app.js").pin_all_from("js", "");
        config
    };
    config().build().unwrap();
    let before = project.manifest();
    age(project.path("assets").as_path());
    project.write(
        "assets/js/controllers/hello.js",
        "export const hello = () => \"bonjour\";\n",
    );
    config().build().unwrap();
    let after = project.manifest();
    let changed: Vec<&String> = before.keys().filter(|name| before[*name] != after[*name]).collect();
    assert_eq!(changed, ["js/controllers/hello.js"]);
    // Modules are served as written: their imports are the browser's
    // business, through the map.
    let app = project.read_output(&project.hashed("js/app.js"));
    assert!(
        app.contains("from \"controllers/hello\"") && app.contains("from \"./util.js\""),
        "{app}"
    );
}

#[test]
fn a_pin_of_a_missing_module_is_named() {
    let project = modules();
    let err = project.config().pin("app", "js/ap.js").build().unwrap_err();
    assert!(matches!(err, Error::PinMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("import-map pin `app` names `js/ap.js`"), "{message}");
    assert!(message.contains("not a collected asset"), "{message}");
}

#[test]
fn a_folder_pin_with_no_module_is_named() {
    let project = modules();
    let err = project
        .config()
        .pin_all_from("js/controler", "controllers")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::PinMatchesNothing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("import-map folder `js/controler`"), "{message}");
    assert!(message.contains("no collected `.js` or `.mjs` file"), "{message}");
}
