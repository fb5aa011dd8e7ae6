//! The build pipeline on small trees: errors, warnings, options, and what a
//! rebuild reads and writes.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use asset_build::{Artifact, Error, Reason, Rebuild, Unpatchable};
use md5::Digest as _;
use support::{Project, age, assets_of, compressible, stylesheet};

#[test]
fn missing_source_folder_is_named() {
    let project = Project::new(&[]);
    let err = project.build().unwrap_err();
    assert!(matches!(err, Error::MissingSource { .. }));
    let message = err.to_string();
    assert!(
        message.contains(&project.path("assets").display().to_string()),
        "{message}"
    );
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn missing_reference_names_file_line_text_and_target() {
    let project = Project::new(&[(
        "assets/css/a.css",
        "body {}\n\n.x { background: url(../img/gone.png) }\n",
    )]);
    let message = project.build().unwrap_err().to_string();
    assert!(message.contains("`css/a.css` line 3"), "{message}");
    assert!(message.contains("`url(../img/gone.png)`"), "{message}");
    assert!(message.contains("`img/gone.png`"), "{message}");
    assert!(!project.output().exists(), "nothing is written on error");
}

#[test]
fn lenient_references_warn_and_leave_the_reference() {
    let project = Project::new(&[("assets/a.css", ".x { background: url(gone.png) }")]);
    let output = project.config().lenient_references(true).build().unwrap();
    assert_eq!(output.warnings.len(), 1);
    assert!(output.warnings[0].contains("`a.css` line 1"), "{:?}", output.warnings);
    let hashed = project.hashed("a.css");
    assert_eq!(project.read_output(&hashed), ".x { background: url(gone.png) }");
}

#[test]
fn cycle_is_reported_with_its_files() {
    let project = Project::new(&[
        ("assets/a.css", "@import \"b.css\";"),
        ("assets/b.css", "@import \"c.css\";"),
        ("assets/c.css", "@import \"a.css\";"),
        ("assets/d.css", "@import \"a.css\";"),
    ]);
    let message = project.build().unwrap_err().to_string();
    assert!(
        message.contains("reference cycle: a.css → b.css → c.css → a.css"),
        "{message}"
    );
}

#[test]
fn self_reference_is_a_cycle() {
    let project = Project::new(&[("assets/a.css", ".x { background: url(a.css) }")]);
    let message = project.build().unwrap_err().to_string();
    assert!(message.contains("reference cycle: a.css → a.css"), "{message}");
}

#[test]
fn css_that_is_not_utf8_is_named() {
    let project = Project::new(&[]);
    std::fs::create_dir_all(project.path("assets")).unwrap();
    std::fs::write(project.path("assets/latin1.css"), b"/* caf\xe9 */").unwrap();
    let message = project.build().unwrap_err().to_string();
    assert!(
        message.contains("`latin1.css`") && message.contains("not valid UTF-8"),
        "{message}"
    );
}

#[test]
fn file_name_that_is_not_utf8_is_named() {
    use std::os::unix::ffi::OsStrExt;
    let project = Project::new(&[("assets/ok.txt", "ok")]);
    let name = std::ffi::OsStr::from_bytes(b"bad\xff.png");
    std::fs::write(project.path("assets").join(name), b"x").unwrap();
    let err = project.build().unwrap_err();
    assert!(matches!(err, Error::NonUtf8Name { .. }), "{err}");
    assert!(err.to_string().contains("bad\u{fffd}.png"), "{err}");
}

#[test]
fn unreadable_entry_is_named() {
    let project = Project::new(&[("assets/ok.txt", "ok")]);
    std::os::unix::fs::symlink(project.path("nowhere.png"), project.path("assets/broken.png")).unwrap();
    let err = project.build().unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Io { .. }), "{message}");
    assert!(message.contains("broken.png"), "{message}");
}

#[test]
fn first_source_wins_and_the_clash_is_reported() {
    let project = Project::new(&[
        ("assets/css/a.css", "first"),
        ("vendor/css/a.css", "second"),
        ("vendor/css/b.css", "only in vendor"),
    ]);
    let output = project.config().source("vendor").build().unwrap();
    assert_eq!(project.read_output("css/a.css"), "first");
    assert_eq!(project.read_output("css/b.css"), "only in vendor");
    assert_eq!(output.warnings.len(), 1);
    let warning = &output.warnings[0];
    assert!(
        warning.contains("assets/css/a.css") && warning.contains("vendor/css/a.css"),
        "{warning}"
    );
}

/// Names that differ only by case are one file on a case-insensitive file
/// system: a clash, warned as any other, and only the first is written.
#[test]
fn names_that_differ_only_by_case_are_a_clash() {
    let project = Project::new(&[("assets/Note.txt", "upper"), ("assets/note.txt", "lower")]);
    let output = project.build().unwrap();
    let warning = output.warnings.join("\n");
    assert!(warning.contains("differ only by case"), "{warning}");
    assert!(
        warning.contains("assets/Note.txt") && warning.contains("assets/note.txt"),
        "{warning}"
    );
    let manifest = project.manifest();
    assert!(
        manifest.contains_key("Note.txt") && !manifest.contains_key("note.txt"),
        "{manifest:?}"
    );
    assert!(!project.output().join("note.txt").exists());
}

/// An asset named as another's precompressed sibling would be written onto
/// it: an error naming both.
#[test]
fn an_asset_named_as_a_precompressed_sibling_is_an_error() {
    let data = format!("[{}]", "{\"key\": \"value\"},".repeat(200).trim_end_matches(','));
    let project = Project::new(&[("assets/data.json", data.as_str()), ("assets/data.json.gz", "shipped")]);
    let err = project.config().precompress(true).build().unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::SiblingClash { .. }), "{message}");
    assert!(
        message.contains("assets/data.json.gz") && message.contains("sibling of `data.json`"),
        "{message}"
    );
    // Without precompression there is nothing to clash with.
    project.build().unwrap();
}

#[test]
fn prefixes_and_ignores() {
    let project = Project::new(&[
        ("assets/app.css", "a{}"),
        ("assets/app.scss", "$x: 1;"),
        ("assets/.gitkeep", ""),
        ("assets/notes.txt~", ""),
        ("assets/CVS/Entries", ""),
        ("assets/drafts/x.png", "x"),
        ("bootstrap/dist/css/bootstrap.css", "b{}"),
    ]);
    project
        .config()
        .source_with_prefix("vendor", "bootstrap/dist")
        .ignore("*.scss")
        .ignore("drafts")
        .build()
        .unwrap();
    let names: Vec<String> = project.manifest().keys().cloned().collect();
    assert_eq!(names, ["app.css", "vendor/css/bootstrap.css"]);
}

#[test]
fn bad_glob_is_named() {
    let project = Project::new(&[("assets/a.txt", "a")]);
    let message = project.config().ignore("a[").build().unwrap_err().to_string();
    assert!(message.contains("`a[`"), "{message}");
}

#[test]
fn change_deep_in_a_chain_renames_every_file_up_the_chain() {
    let project = Project::new(&[
        ("assets/css/main.css", "@import \"base.css\";"),
        ("assets/css/base.css", "@import url(\"deep/fonts.css\");"),
        ("assets/css/deep/fonts.css", "@font-face { src: url(../../f/a.woff2) }"),
        ("assets/f/a.woff2", "font v1"),
        ("assets/other.css", "p {}"),
    ]);
    project.build().unwrap();
    let before = project.manifest();
    project.write("assets/f/a.woff2", "font v2");
    project.build().unwrap();
    let after = project.manifest();
    for name in ["f/a.woff2", "css/deep/fonts.css", "css/base.css", "css/main.css"] {
        assert_ne!(before[name], after[name], "{name} should be renamed");
    }
    assert_eq!(before["other.css"], after["other.css"]);
    let main = project.read_output(after["css/main.css"].as_str().unwrap());
    assert_eq!(
        main,
        format!(
            "@import url(\"{}\");",
            after["css/base.css"].as_str().unwrap().trim_start_matches("css/")
        )
    );
    // The old names are gone from the output folder.
    assert!(!project.output().join(before["css/main.css"].as_str().unwrap()).exists());
}

#[test]
fn rebuild_reads_only_changed_files_and_rewrites_only_changed_outputs() {
    let project = Project::new(&[
        ("assets/a.css", ".a { background: url(img/x.png) }"),
        ("assets/img/x.png", "png"),
        ("assets/b.txt", "b"),
        ("assets/c.txt", "c"),
    ]);
    age(&project.path("assets"));
    let first = project.build().unwrap();
    assert_eq!(first.files_hashed, 4);
    let generated = first.table_file.clone();
    let rust = first.generated_file.clone();
    let rust_before = std::fs::metadata(&rust).unwrap().modified().unwrap();
    let stamp = |rel: &str| {
        let meta = std::fs::metadata(project.output().join(rel)).unwrap();
        (meta.ino(), meta.mtime_nsec(), meta.mtime())
    };
    let b_hashed = project.hashed("b.txt");
    let before = (stamp("b.txt"), stamp(&b_hashed), stamp("staticfiles.json"));
    let generated_before = std::fs::metadata(&generated).unwrap().modified().unwrap();

    // Nothing changed: nothing read, nothing written.
    let second = project.build().unwrap();
    assert_eq!(second.files_hashed, 0);
    assert_eq!(second.write.written, 0);
    assert_eq!(second.write.unchanged, 9, "4 originals + 4 hashed + manifest");
    assert_eq!((stamp("b.txt"), stamp(&b_hashed), stamp("staticfiles.json")), before);
    assert_eq!(
        std::fs::metadata(&generated).unwrap().modified().unwrap(),
        generated_before
    );

    // One file changed: only it is read; its two outputs and the manifest are written.
    project.write("assets/c.txt", "c2");
    age(&project.path("assets"));
    let third = project.build().unwrap();
    assert_eq!(third.files_hashed, 1);
    assert_eq!(third.write.written, 3, "{:?}", third.write);
    assert_eq!(third.write.removed, 1, "the old hashed c.txt");
    assert_eq!((stamp("b.txt"), stamp(&b_hashed)), (before.0, before.1));
    // A patch: the table is left as it was, and the overlay beside it holds
    // the changed record.
    assert_eq!(third.rebuild, Rebuild::Patched);
    assert_eq!(
        std::fs::metadata(&generated).unwrap().modified().unwrap(),
        generated_before
    );
    let overlay = support::beside_generated(&third, ".overlay");
    assert!(std::fs::metadata(&overlay).unwrap().len() > 0);
    let c = assets_of(&third).get("c.txt").unwrap();
    assert_eq!(c.hashed_name(), project.hashed("c.txt"));
    assert_eq!(c.md5(), format!("{:x}", md5::Md5::digest(b"c2")));
    // The assets are data: the Rust that includes them is not rewritten.
    assert_eq!(std::fs::metadata(&rust).unwrap().modified().unwrap(), rust_before);
}

#[test]
fn an_overlay_past_its_limit_sends_the_build_through_the_stages() {
    // Each round edits 64 files no round edited before: the overlay holds
    // 64 more records each time, 1,024 at most.
    let names: Vec<String> = (0..1100).map(|i| format!("assets/f{i:04}.txt")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v1")).collect();
    let project = Project::new(&files);
    age(&project.path("assets"));
    assert_eq!(project.build().unwrap().rebuild, Rebuild::Stages(Reason::FirstBuild));
    let overlay_len = |built: &asset_build::Output| {
        std::fs::metadata(support::beside_generated(built, ".overlay"))
            .unwrap()
            .len()
    };
    let mut when = 1_600_000_000;
    for round in 0..17 {
        when += 1;
        for name in &names[round * 64..(round + 1) * 64] {
            project.write(name, &format!("v2 of {name}"));
            filetime::set_file_mtime(project.path(name), filetime::FileTime::from_unix_time(when, 0)).unwrap();
        }
        let built = project.build().unwrap();
        let patched_records = (round + 1) * 64;
        if patched_records <= 1024 {
            assert_eq!(built.rebuild, Rebuild::Patched, "round {round}");
            assert!(overlay_len(&built) > 0);
        } else {
            assert_eq!(
                built.rebuild,
                Rebuild::Stages(Reason::OverlayFull),
                "round {round}: {patched_records} records"
            );
            assert_eq!(overlay_len(&built), 0, "the stages empty the overlay");
            assert_same_as_cold(&project, &built, "past the limit");
        }
    }
    // The next edit patches again, from an empty overlay.
    project.write(&names[0], "v3");
    filetime::set_file_mtime(project.path(&names[0]), filetime::FileTime::from_unix_time(when + 1, 0)).unwrap();
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Patched);
    assert_same_as_cold(&project, &built, "patched again");
}

#[test]
fn an_edit_no_file_refers_to_is_patched_and_the_others_run_the_stages() {
    let project = Project::new(&[
        ("assets/a.css", ".a { background: url(img/x.png) }"),
        ("assets/img/x.png", "png"),
        ("assets/b.txt", "b"),
    ]);
    let mut when = 1_600_000_000;
    let mut edit = |rel: &str, content: &str| {
        project.write(rel, content);
        when += 1;
        filetime::set_file_mtime(project.path(rel), filetime::FileTime::from_unix_time(when, 0)).unwrap();
    };
    age(&project.path("assets"));
    assert_eq!(
        project.build().unwrap().rebuild,
        Rebuild::Stages(Reason::FirstBuild),
        "a first build runs the stages"
    );
    let same_as_cold = |built: &asset_build::Output, step: &str| assert_same_as_cold(&project, built, step);

    // A stylesheet nothing refers to: patched, against the names of the
    // files it refers to.
    let hashed_before = project.hashed("a.css");
    edit("assets/a.css", ".a { background: url(img/x.png); color: red }");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Patched);
    assert_eq!((built.files_hashed, built.files_rewritten), (1, 1));
    assert_eq!(built.write.removed, 1, "the hashed copy it replaces");
    assert!(!project.output().join(&hashed_before).exists());
    assert!(
        project
            .read_output(&project.hashed("a.css"))
            .contains(&project.hashed("img/x.png"))
    );
    same_as_cold(&built, "css");

    // A file a stylesheet refers to: patched, and the stylesheet named
    // again against its new name (its source is not written again).
    let css_before = project.hashed("a.css");
    let original_before = std::fs::metadata(project.output().join("a.css"))
        .unwrap()
        .modified()
        .unwrap();
    edit("assets/img/x.png", "png 2");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Patched);
    assert_eq!((built.files_hashed, built.files_rewritten), (1, 1));
    assert_ne!(project.hashed("a.css"), css_before);
    assert!(
        project
            .read_output(&project.hashed("a.css"))
            .contains(&project.hashed("img/x.png"))
    );
    assert_eq!(
        std::fs::metadata(project.output().join("a.css"))
            .unwrap()
            .modified()
            .unwrap(),
        original_before
    );
    same_as_cold(&built, "referred");

    // An unreferenced file, twice: the hashed copy the first patch created
    // is replaced by the second's.
    edit("assets/b.txt", "b 2");
    let first = project.hashed("b.txt");
    assert_eq!(project.build().unwrap().rebuild, Rebuild::Patched);
    edit("assets/b.txt", "b 3");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Patched);
    assert!(!project.output().join(&first).exists(), "{first}");
    same_as_cold(&built, "twice");

    // Touched, not changed: nothing written but the stamps.
    let content = std::fs::read_to_string(project.path("assets/b.txt")).unwrap();
    edit("assets/b.txt", &content);
    let touched = project.build().unwrap();
    assert_eq!(touched.rebuild, Rebuild::Patched);
    assert_eq!((touched.write.written, touched.write.removed), (0, 0));
    assert_eq!(touched.manifest_hash, built.manifest_hash);
    same_as_cold(&touched, "touched");

    // A table written since (by a build killed after writing it, say):
    // the stages run and write it whole.
    let mut table = std::fs::read(&built.table_file).unwrap();
    table.extend_from_slice(b"left by another build");
    std::fs::write(&built.table_file, &table).unwrap();
    edit("assets/b.txt", "b 4");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Stages(Reason::Changed(Artifact::Table)));
    same_as_cold(&built, "table");

    // The ledger damaged (cut short): the stages run, and leave a whole
    // one that the next edit patches from.
    let state = project.path("out/asset-build-ledger.bin");
    let bytes = std::fs::read(&state).unwrap();
    std::fs::write(&state, &bytes[..bytes.len() / 2]).unwrap();
    edit("assets/b.txt", "b 4.2");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Stages(Reason::RecordUnreadable));
    same_as_cold(&built, "state damaged");
    edit("assets/b.txt", "b 4.3");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Patched);
    same_as_cold(&built, "state written again");

    // The overlay emptied behind the build's back, its records lost: the
    // stages run and write the table whole.
    let overlay = support::beside_generated(&built, ".overlay");
    assert!(std::fs::metadata(&overlay).unwrap().len() > 0, "the patches' records");
    std::fs::write(&overlay, b"").unwrap();
    edit("assets/b.txt", "b 4.4");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Stages(Reason::Changed(Artifact::Overlay)));
    assert_eq!(std::fs::metadata(&overlay).unwrap().len(), 0);
    same_as_cold(&built, "overlay emptied");

    // An output removed behind the build's back: the stages run and
    // write it again.
    std::fs::remove_file(project.output().join(project.hashed("img/x.png"))).unwrap();
    edit("assets/b.txt", "b 4.5");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Stages(Reason::Changed(Artifact::OutputFolder)));
    same_as_cold(&built, "output removed");

    // A new file: the stages run, and the hashed copies patches created
    // and no longer wanted are gone.
    edit("assets/b.txt", "b 5");
    assert_eq!(project.build().unwrap().rebuild, Rebuild::Patched);
    edit("assets/b.txt", "b 6");
    edit("assets/new.txt", "new");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Stages(Reason::NamesChanged));
    same_as_cold(&built, "new file");

    // A reference to a file that is not collected: the stages report it,
    // naming the file.
    edit("assets/a.css", ".a { background: url(img/gone.png) }");
    let err = project.build().unwrap_err().to_string();
    assert!(err.contains("a.css") && err.contains("img/gone.png"), "{err}");
    edit("assets/a.css", ".a { color: blue }");
    let built = project.build().unwrap();
    same_as_cold(&built, "fixed");
    // A stylesheet that now refers to a file is recorded as referring to
    // it: an edit of that file names the stylesheet again.
    edit("assets/a.css", ".a { background: url(b.txt) }");
    assert_eq!(project.build().unwrap().rebuild, Rebuild::Patched);
    edit("assets/b.txt", "b 7");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Patched);
    assert_eq!(built.files_rewritten, 1);
    same_as_cold(&built, "new reference");

    // Two stylesheets importing each other: a cycle, which the stages
    // report.
    edit("assets/a.css", "@import \"c.css\";");
    edit("assets/c.css", "@import \"a.css\";");
    let err = project.build().unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");
    edit("assets/c.css", ".c { color: green }");
    same_as_cold(&project.build().unwrap(), "no cycle");
    // A stylesheet edited to import one that is edited too: named after it.
    edit("assets/c.css", ".c { color: teal }");
    edit("assets/a.css", "@import \"c.css\";");
    let built = project.build().unwrap();
    same_as_cold(&built, "two edits, one importing the other");
}

#[test]
fn rebuild_does_not_reread_unchanged_css_and_restores_damaged_outputs() {
    let project = Project::new(&[
        (
            "assets/css/main.css",
            "@import \"base.css\";\n.m { background: url(../img/m.png) }",
        ),
        ("assets/css/base.css", ".b { background: url(../img/b.png) }"),
        ("assets/css/other.css", ".o { color: red }"),
        ("assets/img/m.png", "m"),
        ("assets/img/b.png", "b"),
    ]);
    age(&project.path("assets"));
    let first = project.build().unwrap();
    assert_eq!(first.files_rewritten, 3);
    let main = project.hashed("css/main.css");
    let main_bytes = project.read_output(&main);

    let second = project.build().unwrap();
    assert_eq!((second.files_hashed, second.files_rewritten), (0, 0));

    // A damaged or deleted output is written again, with the same bytes,
    // although the file's name came from the cache.
    std::fs::remove_file(project.output().join(&main)).unwrap();
    std::fs::write(project.output().join(project.hashed("css/base.css")), "tampered").unwrap();
    let third = project.build().unwrap();
    assert_eq!((third.files_rewritten, third.write.written), (0, 2));
    assert_eq!(project.read_output(&main), main_bytes);
    assert!(
        project
            .read_output(&project.hashed("css/base.css"))
            .contains("url(\"../img/b.")
    );

    // An image changes: the CSS that refers to it, and the CSS that imports
    // that one, are rewritten; the unrelated one is not.
    project.write("assets/img/b.png", "b2");
    age(&project.path("assets"));
    let fourth = project.build().unwrap();
    assert_eq!((fourth.files_hashed, fourth.files_rewritten), (1, 2));
    assert_ne!(project.hashed("css/main.css"), main);

    // A reference that breaks while its file is unchanged is still reported.
    std::fs::remove_file(project.path("assets/img/m.png")).unwrap();
    let message = project.build().unwrap_err().to_string();
    assert!(message.contains("`css/main.css` line 2"), "{message}");
}

#[test]
fn a_rebuild_with_nothing_changed_does_nothing_until_an_output_or_the_configuration_changes() {
    let project = Project::new(&[("assets/a.css", ".a { background: url(b.png) }"), ("assets/b.png", "b")]);
    age(&project.path("assets"));
    let first = project.build().unwrap();
    let b = project.hashed("b.png");
    let unchanged = project.build().unwrap();
    assert_eq!(
        (
            unchanged.files_hashed,
            unchanged.write.written,
            unchanged.write.unchanged
        ),
        (0, 0, 5)
    );
    assert_eq!(unchanged.manifest_hash, first.manifest_hash);
    assert_eq!(unchanged.assets, 2);

    // A removed output is noticed (its folder changed) and written again.
    std::fs::remove_file(project.output().join(&b)).unwrap();
    let restored = project.build().unwrap();
    assert_eq!((restored.files_hashed, restored.write.written), (0, 1));
    assert_eq!(project.read_output(&b), "b");
    assert_eq!(project.build().unwrap().write.written, 0);

    // So is a removed table.
    std::fs::remove_file(&first.table_file).unwrap();
    project.build().unwrap();
    assert!(first.table_file.is_file());

    // Another configuration is another build, though no file changed.
    let other = project.config().static_url("/assets/").build().unwrap();
    let table = std::fs::read(&other.table_file).unwrap();
    assert!(
        table.windows(8).any(|w| w == b"/assets/"),
        "the new base URL is in the table"
    );
}

#[test]
fn a_build_cut_short_leaves_no_record_a_later_build_trusts() {
    let project = Project::new(&[
        ("assets/a.css", ".a { background: url(b.png) }"),
        ("assets/b.png", "b1"),
    ]);
    age(&project.path("assets"));
    project.build().unwrap();
    let manifest_before = project.manifest();
    let cache = project.path("out/asset-build-ledger.bin");
    let record_before = std::fs::read(&cache).unwrap();

    // A second build writes its outputs, then dies before it records them:
    // the record on disk is still the first build's.
    project.write("assets/b.png", "b2, longer");
    age(&project.path("assets"));
    project.build().unwrap();
    assert_ne!(project.manifest(), manifest_before);
    std::fs::write(&cache, &record_before).unwrap();

    // The sources go back to exactly what the first build saw (same bytes,
    // size and time), so its record matches the inputs; but the output
    // tree is not the one it left, and the build must notice.
    project.write("assets/b.png", "b1");
    age(&project.path("assets"));
    let third = project.build().unwrap();
    assert!(third.write.written > 0, "{:?}", third.write);
    assert_eq!(project.manifest(), manifest_before);
    for hashed in manifest_before.values() {
        let hashed = hashed.as_str().unwrap();
        assert!(project.output().join(hashed).is_file(), "{hashed} is in place");
    }
    assert_eq!(project.read_output(&project.hashed("b.png")), "b1");
    assert!(
        project
            .read_output(&project.hashed("a.css"))
            .contains(&project.hashed("b.png"))
    );
}

#[test]
fn deleted_and_renamed_files_leave_the_output() {
    let project = Project::new(&[("assets/a.txt", "a"), ("assets/b.txt", "b")]);
    project.build().unwrap();
    let old_b = project.hashed("b.txt");
    std::fs::remove_file(project.path("assets/a.txt")).unwrap();
    std::fs::rename(project.path("assets/b.txt"), project.path("assets/c.txt")).unwrap();
    project.build().unwrap();
    let names: Vec<String> = project.manifest().keys().cloned().collect();
    assert_eq!(names, ["c.txt"]);
    let mut files: Vec<String> = std::fs::read_dir(project.output())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut want = vec![
        "c.txt".to_owned(),
        old_b.replace("b.", "c."),
        "staticfiles.json".to_owned(),
    ];
    want.sort();
    assert_eq!(files, want);
}

#[test]
fn hashed_copies_of_plain_files_are_hard_links() {
    let project = Project::new(&[
        ("assets/logo.png", "png bytes"),
        ("assets/a.css", "a{}"),
        ("assets/b.css", "b{background:url(logo.png)}"),
    ]);
    project.build().unwrap();
    let meta = |rel: &str| std::fs::metadata(project.output().join(rel)).unwrap();
    assert_eq!(meta("logo.png").ino(), meta(&project.hashed("logo.png")).ino());
    // CSS that refers to nothing is served as it is: one file, two names.
    assert_eq!(meta("a.css").ino(), meta(&project.hashed("a.css")).ino());
    assert_ne!(meta("b.css").ino(), meta(&project.hashed("b.css")).ino());

    // Once it refers to something, its two names part: neither file is
    // edited in place, so the original keeps the source's bytes.
    std::fs::write(project.path("assets/a.css"), "a{background:url(logo.png)}").unwrap();
    project.build().unwrap();
    let read = |rel: &str| std::fs::read_to_string(project.output().join(rel)).unwrap();
    assert_eq!(read("a.css"), "a{background:url(logo.png)}");
    let logo = project.hashed("logo.png");
    assert_eq!(
        read(&project.hashed("a.css")),
        format!("a{{background:url(\"{logo}\")}}")
    );
    assert_ne!(meta("a.css").ino(), meta(&project.hashed("a.css")).ino());

    let copies = Project::new(&[("assets/logo.png", "png bytes")]);
    copies.config().hard_links(false).build().unwrap();
    let meta = |rel: &str| std::fs::metadata(copies.output().join(rel)).unwrap();
    assert_ne!(meta("logo.png").ino(), meta(&copies.hashed("logo.png")).ino());
}

#[test]
fn precompressed_siblings_are_written_cached_and_removed() {
    let project = compressible();
    age(&project.path("assets"));
    let first = project.config().precompress(true).build().unwrap();
    let css = project.hashed("a.css");
    let out = project.output();
    for name in ["a.css.br", "a.css.gz", &format!("{css}.br"), &format!("{css}.gz")] {
        assert!(out.join(name).is_file(), "{name}");
    }
    // Not for images, and not where compression does not pay.
    assert!(!out.join("img/x.png.br").exists());
    assert!(!out.join("tiny.txt.br").exists() && !out.join("tiny.txt.gz").exists());
    // The hashed copy's variant decompresses to the rewritten CSS.
    let mut plain = Vec::new();
    let br = std::fs::read(out.join(format!("{css}.br"))).unwrap();
    brotli_decompress(&br, &mut plain);
    assert_eq!(plain, std::fs::read(out.join(&css)).unwrap());
    assert_eq!(first.files_compressed, 3, "original CSS, rewritten CSS, tiny.txt");

    // A rebuild compresses nothing; a changed file only its own contents.
    let second = project.config().precompress(true).build().unwrap();
    assert_eq!((second.files_compressed, second.write.written), (0, 0));
    project.write("assets/tiny.txt", &"tiny but longer now ".repeat(50));
    age(&project.path("assets"));
    let third = project.config().precompress(true).build().unwrap();
    assert_eq!(
        third.files_compressed, 1,
        "tiny.txt's new content (same for both names)"
    );
    assert!(out.join("tiny.txt.br").is_file());

    // Variants of content no longer built leave the cache, whose folder is
    // named after the compression settings.
    let layouts: Vec<String> = std::fs::read_dir(project.path("out/precompressed"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(layouts, ["v2-br11w22-gz9-zst19w23-kept95"]);
    let cached = |text: &str| {
        let md5: String = md5::Md5::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        project
            .path("out/precompressed/v2-br11w22-gz9-zst19w23-kept95")
            .join(&md5[..2])
            .join(format!("{md5}.br"))
    };
    let longer = "tiny but longer now ".repeat(50);
    assert!(cached(&longer).is_file());
    project.write("assets/tiny.txt", &"and changed again ".repeat(50));
    age(&project.path("assets"));
    project.config().precompress(true).build().unwrap();
    assert!(!cached(&longer).exists(), "the old content's variant is removed");
    assert!(cached(&"and changed again ".repeat(50)).is_file());

    // Turning it off removes the siblings.
    project.config().precompress(false).build().unwrap();
    assert!(!out.join("a.css.br").exists() && !out.join(format!("{css}.gz")).exists());
    assert!(!cached(&"and changed again ".repeat(50)).exists(), "and the cache");
}

#[test]
fn zstd_siblings_are_an_option_that_round_trips_and_is_cached() {
    let project = compressible();
    age(&project.path("assets"));
    let out = project.output();
    let zst_files = || -> Vec<String> {
        let mut names: Vec<String> = walkdir::WalkDir::new(&out)
            .into_iter()
            .map(|e| e.unwrap().path().strip_prefix(&out).unwrap().display().to_string())
            .filter(|name| name.ends_with(".zst"))
            .collect();
        names.sort();
        names
    };

    // Off by default: Brotli and gzip only, and no size in the table.
    let plain = project.config().precompress(true).embed(true).build().unwrap();
    let css = project.hashed("a.css");
    assert!(out.join(format!("{css}.br")).is_file());
    assert_eq!(zst_files(), Vec::<String>::new());
    let asset = assets_of(&plain).get("a.css").unwrap();
    assert_eq!(asset.hashed_file().zst_size(), None);
    assert_eq!(asset.hashed_file().embedded().unwrap().zst, None);
    let br = std::fs::read(out.join(format!("{css}.br"))).unwrap();

    // On: a .zst beside each .br, which decompresses to the bytes served
    // under its name; only the zstd variants are compressed (Brotli's and
    // gzip's were cached), and tiny.txt, which Brotli did not shrink, has
    // none.
    let with = project
        .config()
        .precompress(true)
        .embed(true)
        .zstd(true)
        .build()
        .unwrap();
    assert_eq!(with.files_compressed, 2, "the original and the rewritten CSS");
    let mut expected = [format!("{css}.zst"), "a.css.zst".to_owned()];
    expected.sort();
    assert_eq!(zst_files(), expected);
    assert_eq!(
        std::fs::read(out.join(format!("{css}.br"))).unwrap(),
        br,
        "Brotli's bytes are the same"
    );
    let a_zst = std::fs::read(out.join("a.css.zst")).unwrap();
    let assets = assets_of(&with);
    let asset = assets.get("a.css").unwrap();
    for (name, file) in [(css.as_str(), asset.hashed_file()), ("a.css", asset.original_file())] {
        let zst = std::fs::read(out.join(format!("{name}.zst"))).unwrap();
        let served = std::fs::read(out.join(name)).unwrap();
        assert_eq!(zstd::decode_all(zst.as_slice()).unwrap(), served, "{name}");
        assert!(zst.len() * 100 <= served.len() * 95, "{name}");
        assert_eq!(file.zst_size(), Some(zst.len() as u64), "{name}");
        // Embedded too, after the other siblings.
        let embedded = file.embedded().unwrap();
        assert_eq!(embedded.zst, Some(zst.as_slice()), "{name}");
        assert_eq!(embedded.identity, served.as_slice(), "{name}");
        assert_eq!(embedded.br.map(|b| b.len() as u64), file.br_size(), "{name}");
    }
    assert_eq!(assets.get("img/x.png").unwrap().hashed_file().zst_size(), None);
    assert_eq!(assets.get("tiny.txt").unwrap().hashed_file().zst_size(), None);

    // A rebuild compresses nothing; turning zstd off removes the siblings
    // and compresses nothing either; turning it on again finds them cached.
    let again = project
        .config()
        .precompress(true)
        .embed(true)
        .zstd(true)
        .build()
        .unwrap();
    assert_eq!((again.files_compressed, again.write.written), (0, 0));
    let off = project.config().precompress(true).embed(true).build().unwrap();
    assert_eq!(off.files_compressed, 0);
    assert_eq!(zst_files(), Vec::<String>::new());
    assert!(out.join(format!("{css}.br")).is_file());
    assert_eq!(assets_of(&off).get("a.css").unwrap().hashed_file().zst_size(), None);
    let on = project
        .config()
        .precompress(true)
        .embed(true)
        .zstd(true)
        .build()
        .unwrap();
    assert_eq!(on.files_compressed, 0);
    assert_eq!(zst_files().len(), 2);

    // Without precompression the option writes nothing.
    project.config().precompress(false).zstd(true).build().unwrap();
    assert_eq!(zst_files(), Vec::<String>::new());

    // On from the first build: every variant of a content in one go, the
    // same bytes.
    let fresh = compressible();
    let first = fresh.config().precompress(true).zstd(true).build().unwrap();
    assert_eq!(first.files_compressed, 3, "original CSS, rewritten CSS, tiny.txt");
    assert_eq!(std::fs::read(fresh.output().join("a.css.zst")).unwrap(), a_zst);
    assert!(!fresh.output().join("tiny.txt.zst").exists());
}

#[test]
fn a_shared_compression_cache_serves_other_projects_and_clean_builds() {
    let text = stylesheet();
    let files = [("assets/a.css", text.as_str()), ("assets/img/x.png", "png-ish bytes")];
    let shared = tempfile::tempdir().unwrap();
    let build = |project: &Project| project.build_compressed_into(shared.path());
    let first = Project::new(&files);
    assert_eq!(build(&first).files_compressed, 2, "original and rewritten CSS");
    let css = first.hashed("a.css");
    let br = std::fs::read(first.output().join(format!("{css}.br"))).unwrap();

    // `cargo clean`: the build's own folder is gone, the cache is not.
    std::fs::remove_dir_all(first.path("out")).unwrap();
    assert_eq!(build(&first).files_compressed, 0);
    assert_eq!(std::fs::read(first.output().join(format!("{css}.br"))).unwrap(), br);

    // Another project with the same files compresses nothing either, and
    // writes the same bytes.
    let second = Project::new(&files);
    assert_eq!(build(&second).files_compressed, 0);
    assert_eq!(std::fs::read(second.output().join(format!("{css}.br"))).unwrap(), br);

    // Turning precompression off in one project leaves the shared entries.
    second
        .config()
        .precompress(false)
        .compression_cache(Some(shared.path().to_owned()))
        .build()
        .unwrap();
    let third = Project::new(&files);
    assert_eq!(build(&third).files_compressed, 0);
}

#[test]
fn variants_already_in_the_output_folder_are_not_looked_for_in_the_cache() {
    let shared = tempfile::tempdir().unwrap();
    let project = compressible();
    age(&project.path("assets"));
    let build = || project.build_compressed_into(shared.path());
    assert_eq!(build().files_compressed, 3, "original CSS, rewritten CSS, tiny.txt");
    let out = project.output();
    let br = std::fs::read(out.join("a.css.br")).unwrap();

    // Another build evicts every entry of the shared cache. An edit: only
    // the new content is compressed, as the others' files are in place.
    for entry in std::fs::read_dir(shared.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        }
    }
    project.write("assets/tiny.txt", &"tiny but longer now ".repeat(50));
    age(&project.path("assets"));
    let second = build();
    assert_eq!(second.files_compressed, 1, "tiny.txt's new content");
    assert_eq!(std::fs::read(out.join("a.css.br")).unwrap(), br);

    // A new name for a known content needs the cache's files, which are
    // gone: compressed again (its original and its rewritten content).
    project.write("assets/copy.css", &stylesheet());
    age(&project.path("assets"));
    let third = build();
    assert_eq!(
        third.files_compressed, 2,
        "copy.css's two contents, the same as a.css's"
    );
    let copy = project.hashed("copy.css");
    for name in ["copy.css", copy.as_str()] {
        let mut plain = Vec::new();
        brotli_decompress(&std::fs::read(out.join(format!("{name}.br"))).unwrap(), &mut plain);
        assert_eq!(plain, std::fs::read(out.join(name)).unwrap(), "{name}");
    }
}

#[test]
fn an_unwritable_compression_cache_falls_back_to_the_build_s_own_with_a_warning() {
    let project = Project::new(&[("assets/a.css", &".rule { color: red }\n".repeat(100))]);
    // A file where the cache folder should be: it cannot be created.
    let blocked = project.path("not-a-folder");
    std::fs::write(&blocked, "file").unwrap();
    let output = project
        .config()
        .precompress(true)
        .compression_cache(Some(blocked.join("cache")))
        .build()
        .unwrap();
    assert_eq!(
        output.files_compressed, 1,
        "one distinct content: no reference to rewrite"
    );
    assert!(project.output().join("a.css.br").is_file());
    let warning = output.warnings.join("\n");
    assert!(
        warning.contains("cannot use the compression cache") && warning.contains("ASSET_BUILD_CACHE_DIR"),
        "{warning}"
    );
}

/// Every `.br`/`.gz` file under `dir`.
fn variants_in(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("br" | "gz")))
        .collect()
}

/// Checks that every sibling in the output folder decompresses to its file.
fn assert_siblings_decompress(output: &Path) {
    let siblings = variants_in(output);
    assert!(!siblings.is_empty());
    for sibling in siblings {
        let plain = std::fs::read(sibling.with_extension("")).unwrap();
        let packed = std::fs::read(&sibling).unwrap();
        let mut unpacked = Vec::new();
        if sibling.extension().unwrap() == "br" {
            brotli_decompress(&packed, &mut unpacked);
        } else {
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(packed.as_slice()), &mut unpacked).unwrap();
        }
        assert_eq!(unpacked, plain, "{}", sibling.display());
    }
}

/// No cached byte is used unchecked: cache entries changed in place with
/// their size, or cut short, are compressed again and replaced, with one
/// warning. Outputs are copies: writing a cache file in place later does
/// not change what the output folder holds.
#[test]
fn a_damaged_cache_entry_is_compressed_again_and_outputs_are_never_the_cache_s_files() {
    let shared = tempfile::tempdir().unwrap();
    let text = stylesheet();
    let files = [("assets/a.css", text.as_str()), ("assets/img/x.png", "png-ish bytes")];
    let first = Project::new(&files);
    assert_eq!(first.build_compressed_into(shared.path()).files_compressed, 2);
    for sibling in variants_in(&first.output()) {
        assert_eq!(std::fs::metadata(&sibling).unwrap().nlink(), 1, "{}", sibling.display());
    }

    let mut cached = variants_in(shared.path());
    cached.sort();
    assert_eq!(cached.len(), 4, "two contents, Brotli and gzip each: {cached:?}");
    // One content's Brotli file keeps its length with other bytes; the
    // other's gzip file is cut short. Each entry has one sound file left.
    let (first_br, second_gz) = (&cached[0], &cached[3]);
    assert!(first_br.extension().unwrap() == "br" && second_gz.extension().unwrap() == "gz");
    let mut bytes = std::fs::read(first_br).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(first_br, &bytes).unwrap();
    let bytes = std::fs::read(second_gz).unwrap();
    std::fs::write(second_gz, &bytes[..bytes.len() / 2]).unwrap();
    let second = Project::new(&files);
    let output = second.build_compressed_into(shared.path());
    assert_eq!(output.files_compressed, 2, "both contents compressed again");
    let warning = output.warnings.join("\n");
    assert!(warning.contains("2 entries of the compression cache"), "{warning}");
    assert_siblings_decompress(&second.output());
    // The entries were replaced: a third build finds them sound.
    let third = Project::new(&files);
    let output = third.build_compressed_into(shared.path());
    assert_eq!(
        (output.files_compressed, output.warnings.len()),
        (0, 0),
        "{:?}",
        output.warnings
    );

    // Writing the cache's files in place changes no output.
    let before: Vec<Vec<u8>> = variants_in(&third.output())
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    for path in variants_in(shared.path()) {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.write_all(b"overwritten").unwrap();
    }
    let after: Vec<Vec<u8>> = variants_in(&third.output())
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after);
}

/// Builds sharing one cache at the same time each get sound siblings
/// (each writes through temporary files of its own).
#[test]
fn builds_sharing_a_cache_in_parallel_each_get_sound_siblings() {
    for _round in 0..3 {
        let shared = tempfile::tempdir().unwrap();
        let text = stylesheet();
        let projects: Vec<Project> = (0..2)
            .map(|_| {
                Project::new(&[
                    ("assets/a.css", &text),
                    ("assets/img/x.png", "png-ish bytes"),
                    ("assets/b.js", &"let x = 1;\n".repeat(300)),
                ])
            })
            .collect();
        std::thread::scope(|scope| {
            for project in &projects {
                let shared = shared.path();
                scope.spawn(move || {
                    let output = project.build_compressed_into(shared);
                    assert!(output.warnings.is_empty(), "{:?}", output.warnings);
                });
            }
        });
        for project in &projects {
            assert_siblings_decompress(&project.output());
        }
        let leftovers: Vec<_> = walkdir::WalkDir::new(shared.path())
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

/// A cache folder another user owns is not used (only root can give one
/// away, so elsewhere this checks nothing and says so).
#[test]
fn a_compression_cache_owned_by_another_user_is_not_used() {
    let project = Project::new(&[("assets/a.css", &".rule { color: red }\n".repeat(100))]);
    let foreign = project.path("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    let nobody = std::process::Command::new("chown")
        .args(["-R", "65534"])
        .arg(&foreign)
        .status();
    if !nobody.is_ok_and(|s| s.success()) {
        eprintln!("skipped: this user cannot give a folder to another user");
        return;
    }
    let output = project.build_compressed_into(&foreign);
    let warning = output.warnings.join("\n");
    assert!(warning.contains("owned by another user"), "{warning}");
    assert!(project.output().join("a.css.br").is_file());
    assert!(variants_in(&foreign).is_empty(), "nothing written into it");
}

fn brotli_decompress(input: &[u8], out: &mut Vec<u8>) {
    let mut reader = brotli_decompressor::Decompressor::new(input, 4096);
    std::io::Read::read_to_end(&mut reader, out).unwrap();
}

#[test]
fn refuses_to_write_into_a_foreign_folder() {
    let project = Project::new(&[("assets/a.txt", "a"), ("out/static/precious.txt", "mine")]);
    let message = project.build().unwrap_err().to_string();
    assert!(message.contains("refusing"), "{message}");
    assert_eq!(
        std::fs::read_to_string(project.output().join("precious.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn generated_table_names_every_asset() {
    let project = Project::new(&[("assets/my photo.png", "p"), ("assets/css/a.css", "a{}")]);
    let output = project.build().unwrap();
    // The Rust is a few declarations that name no asset; the table is data.
    let text = std::fs::read_to_string(&output.generated_file).unwrap();
    assert!(!text.contains("my photo") && !text.contains("css/a.css"), "{text}");
    assert!(
        text.contains("include_bytes!") && text.contains("macro_rules! asset"),
        "{text}"
    );
    let assets = assets_of(&output);
    assert_eq!(assets.len(), 2);
    let hashed = project.hashed("my photo.png");
    let photo = assets.get("my photo.png").unwrap();
    assert_eq!(photo.hashed_name(), hashed);
    assert_eq!(photo.url(), format!("/static/{}", hashed.replace(' ', "%20")));
    assert_eq!(assets.by_path(&hashed).unwrap().0, photo);
    // `printf 'a{}' | openssl dgst -sha384 -binary | base64`
    let css = assets.get("css/a.css").unwrap();
    assert!(css.integrity().starts_with("sha384-"), "{}", css.integrity());
    assert_eq!(css.source_path(), project.path("assets/css/a.css"));
    let names: Vec<&str> = assets.iter().map(|a| a.name()).collect();
    assert_eq!(names, ["css/a.css", "my photo.png"]);
    assert!(assets.get("css/b.css").is_none());
}

#[test]
fn integrity_values_are_for_scripts_stylesheets_and_the_files_asked_for() {
    let project = Project::new(&[
        ("assets/css/a.css", "a{}"),
        ("assets/js/app.js", "x"),
        ("assets/js/m.mjs", "x"),
        ("assets/img/logo.png", "png bytes"),
        ("assets/fonts/f.woff2", "woff2 bytes"),
    ]);
    age(project.path("assets").as_path());
    let integrity = |output: &asset_build::Output, name: &str| assets_of(output).get(name).unwrap().integrity();
    // `printf 'a{}' | openssl dgst -sha384 -binary | base64`, and so on.
    let css = "sha384-m4Zcd9m9Kerya2aMKZ9CuL1yv7QLjdpmEo79GaQCk1uO2U4trsxWuyqSJsOzpOru";
    let x = "sha384-11LCxR+6DimqGQVwqdQlPkQHegWNMpf6OlYw1b0BJiL5fCisrtMTtcg7uZDKp9qF";
    let font = "sha384-wnGGInq5fNBdGacCcviNkY6h0RQ+kPmjdp9c5EWgqMXTkayOG6WgUntuD/6e54cl";

    let output = project.build().unwrap();
    assert_eq!(integrity(&output, "css/a.css"), css);
    assert_eq!(integrity(&output, "js/app.js"), x);
    assert_eq!(integrity(&output, "js/m.mjs"), x);
    assert_eq!(integrity(&output, "img/logo.png"), "");
    assert_eq!(integrity(&output, "fonts/f.woff2"), "");

    // Asked for: the font is read again (its recorded digest has no
    // integrity value), nothing else is.
    let output = project.config().integrity("fonts/*").build().unwrap();
    assert_eq!(output.files_hashed, 1);
    assert_eq!(integrity(&output, "fonts/f.woff2"), font);
    assert_eq!(integrity(&output, "img/logo.png"), "");
    assert_eq!(integrity(&output, "css/a.css"), css);

    // No longer asked for: gone, with nothing read.
    let output = project.build().unwrap();
    assert_eq!(output.files_hashed, 0);
    assert_eq!(integrity(&output, "fonts/f.woff2"), "");

    let message = project.config().integrity("a[").build().unwrap_err().to_string();
    assert!(message.contains("`a[`") && message.contains("integrity"), "{message}");
}

#[test]
fn changing_a_rewrite_setting_rewrites_again() {
    let project = Project::new(&[
        ("assets/js/app.js", "import { a } from \"./lib.js\";\n"),
        ("assets/js/lib.js", "export const a = 1;\n"),
    ]);
    project.build().unwrap();
    assert_eq!(
        project.read_output(&project.hashed("js/app.js")),
        "import { a } from \"./lib.js\";\n"
    );
    // Same files, ES-module imports on: the import is rewritten, not taken
    // from the last build's record.
    age(project.path("assets").as_path());
    project.config().js_module_imports(true).build().unwrap();
    let lib = project.hashed("js/lib.js");
    assert_eq!(
        project.read_output(&project.hashed("js/app.js")),
        format!("import {{ a }} from \"./{}\";\n", lib.rsplit('/').next().unwrap())
    );
    // And back.
    project.build().unwrap();
    assert_eq!(
        project.read_output(&project.hashed("js/app.js")),
        "import { a } from \"./lib.js\";\n"
    );
}

/// A sequence of edits, each followed by a rebuild that reuses the last
/// one's records, names every file as a build from nothing does: content
/// edits deep in `@import` chains, images edited, files touched without a
/// change, new files and new references.
#[test]
fn rebuilds_after_random_edits_name_every_file_as_a_cold_build() {
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }
    const CSS: usize = 8;
    let mut images: Vec<String> = (0..6).map(|i| format!("img/i{i}.png")).collect();
    // Stylesheet `i` imports stylesheets after it only, so there is no cycle.
    let css = |i: usize, imports: &[usize], urls: &[&String], note: usize| {
        let mut text = String::new();
        for j in imports {
            text.push_str(&format!("@import \"c{j}.css\";\n"));
        }
        for url in urls {
            text.push_str(&format!(".x {{ background: url(../{url}) }}\n"));
        }
        text.push_str(&format!("/* {i} {note} */\n"));
        text
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut imports: Vec<Vec<usize>> = (0..CSS)
        .map(|i| ((i + 1)..CSS).filter(|_| rng.below(3) == 0).collect())
        .collect();
    let mut urls: Vec<Vec<usize>> = (0..CSS).map(|_| vec![rng.below(images.len())]).collect();
    let project = Project::new(&[]);
    let mut when = 1_600_000_000;
    let mut write = |project: &Project, rel: &str, content: &str| {
        project.write(rel, content);
        // Each write gets its own old time: the next build sees it changed,
        // and trusts the stamps of the files left alone.
        when += 1;
        filetime::set_file_mtime(project.path(rel), filetime::FileTime::from_unix_time(when, 0)).unwrap();
    };
    let write_css = |i: usize, note: usize, imports: &[Vec<usize>], urls: &[Vec<usize>], images: &[String]| {
        let refs: Vec<&String> = urls[i].iter().map(|&u| &images[u]).collect();
        (format!("assets/css/c{i}.css"), css(i, &imports[i], &refs, note))
    };
    for (i, image) in images.iter().enumerate() {
        write(&project, &format!("assets/{image}"), &format!("image {i}"));
    }
    for i in 0..CSS {
        let (rel, text) = write_css(i, 0, &imports, &urls, &images);
        write(&project, &rel, &text);
    }
    write(&project, "assets/app.js", "import './lib.js';\n");
    write(&project, "assets/lib.js", "export const x = 1;\n");
    write(&project, "assets/solo.txt", "alone");
    project.build().unwrap();

    let (mut patched, mut added) = (0, 0);
    for step in 1..=60 {
        match rng.below(8) {
            0 => {
                let image = rng.below(images.len());
                write(
                    &project,
                    &format!("assets/{}", images[image]),
                    &format!("image {image} v{step}"),
                );
            }
            1 => {
                let i = rng.below(CSS);
                let (rel, text) = write_css(i, step, &imports, &urls, &images);
                write(&project, &rel, &text);
            }
            2 => {
                // Touched, same bytes.
                let i = rng.below(CSS);
                let rel = format!("assets/css/c{i}.css");
                let text = std::fs::read_to_string(project.path(&rel)).unwrap();
                write(&project, &rel, &text);
            }
            3 => {
                added += 1;
                images.push(format!("img/new{step}.png"));
                write(&project, &format!("assets/img/new{step}.png"), &format!("new {step}"));
                let i = rng.below(CSS);
                urls[i].push(images.len() - 1);
                let (rel, text) = write_css(i, step, &imports, &urls, &images);
                write(&project, &rel, &text);
            }
            4 => {
                let i = rng.below(CSS - 1);
                let j = i + 1 + rng.below(CSS - i - 1);
                if !imports[i].contains(&j) {
                    imports[i].push(j);
                }
                let (rel, text) = write_css(i, step, &imports, &urls, &images);
                write(&project, &rel, &text);
            }
            5 => write(&project, "assets/lib.js", &format!("export const x = {step};\n")),
            6 => write(&project, "assets/solo.txt", &format!("alone {step}")),
            _ => {
                // Two files at once: a stylesheet and an unreferenced file.
                let (rel, text) = write_css(0, step, &imports, &urls, &images);
                write(&project, &rel, &text);
                write(&project, "assets/solo.txt", &format!("alone {step}"));
            }
        }
        let rebuilt = project.build().unwrap();
        patched += usize::from(rebuilt.rebuild == Rebuild::Patched);
        assert_same_as_cold(&project, &rebuilt, &format!("step {step}"));
    }
    // Every step that added no file was patched.
    assert_eq!(patched, 60 - added);
}

/// Builds the project's sources cold, into folders of their own, and
/// checks that `built`, its last build, left the same output folder
/// (manifest included) and table.
fn assert_same_as_cold(project: &Project, built: &asset_build::Output, step: &str) {
    let dir = project.path("cold");
    let cold = project
        .config()
        .out_dir(dir.join("out"))
        .output_dir(dir.join("static"))
        .build()
        .unwrap();
    assert_eq!(cold.rebuild, Rebuild::Stages(Reason::FirstBuild));
    assert_eq!(
        output_tree(&project.output()),
        output_tree(&dir.join("static")),
        "{step}"
    );
    assert_eq!(table_rows(built), table_rows(&cold), "{step}");
    assert_eq!(built.manifest_hash, cold.manifest_hash, "{step}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every file of an output folder, by name, with its bytes.
fn output_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Every record of a build's table, as the app reads it.
fn table_rows(output: &asset_build::Output) -> Vec<String> {
    assets_of(output)
        .iter()
        .map(|a| {
            let (hashed, original) = (a.hashed_file(), a.original_file());
            format!(
                "{} {} {} {} {} {} {} {} {} {}",
                a.name(),
                a.hashed_name(),
                a.url(),
                a.integrity(),
                a.content_type(),
                hashed.md5(),
                hashed.size(),
                original.md5(),
                original.size(),
                a.source_path().display()
            )
        })
        .collect()
}

#[test]
fn a_table_written_by_a_build_killed_before_it_saved_its_records_is_written_again() {
    let project = Project::new(&[("assets/a.css", "a { color: red }"), ("assets/b.txt", "b")]);
    let first = project.config().embed(true).build().unwrap();
    let table = std::fs::read(&first.table_file).unwrap();
    let embedded = std::fs::read(first.embed_file.as_ref().unwrap()).unwrap();
    let out = project.path("out");
    let cache_files = || -> Vec<PathBuf> {
        std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("asset-build-"))
            .collect()
    };
    assert_eq!(cache_files().len(), 2, "the ledger and the memo");
    let saved: Vec<(PathBuf, Vec<u8>)> = cache_files()
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();

    // An edit is built, then the ledger and the memo are put back as they
    // were before that build: as if it had been killed after writing the
    // table and the embedded data, before saving them.
    project.write("assets/a.css", "a { color: blue }");
    let edited = project.config().embed(true).build().unwrap();
    assert_ne!(std::fs::read(&edited.table_file).unwrap(), table);
    for path in cache_files() {
        std::fs::remove_file(path).unwrap();
    }
    for (path, bytes) in &saved {
        std::fs::write(path, bytes).unwrap();
    }

    // The edit undone, the inputs are those the records know: the table
    // and the embedded data are still written again.
    project.write("assets/a.css", "a { color: red }");
    let again = project.config().embed(true).build().unwrap();
    assert_eq!(std::fs::read(&again.table_file).unwrap(), table);
    assert_eq!(std::fs::read(again.embed_file.unwrap()).unwrap(), embedded);
}

/// A project, built once, whose files `edit` changes with a new
/// modification time each call.
struct Edits {
    project: Project,
    when: std::cell::Cell<i64>,
}

impl Edits {
    fn new(files: &[(&str, &str)]) -> Edits {
        let project = Project::new(files);
        age(&project.path("assets"));
        Edits {
            project,
            when: std::cell::Cell::new(1_600_000_000),
        }
    }

    fn edit(&self, rel: &str, content: &str) {
        self.project.write(rel, content);
        self.when.set(self.when.get() + 1);
        let when = filetime::FileTime::from_unix_time(self.when.get(), 0);
        filetime::set_file_mtime(self.project.path(rel), when).unwrap();
    }

    fn rebuild(&self) -> Rebuild {
        self.project.build().unwrap().rebuild
    }
}

#[test]
fn a_build_with_nothing_changed_after_a_patch_does_nothing() {
    let edits = Edits::new(&[("assets/a.css", ".a { background: url(b.png) }"), ("assets/b.png", "b")]);
    edits.rebuild();
    edits.edit("assets/b.png", "b2");
    assert_eq!(edits.rebuild(), Rebuild::Patched);
    let stamps = || {
        walkdir::WalkDir::new(edits.project.path("out"))
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().to_owned(), e.metadata().unwrap().modified().unwrap()))
            .collect::<Vec<_>>()
    };
    let before = stamps();
    let unchanged = edits.project.build().unwrap();
    assert_eq!(unchanged.rebuild, Rebuild::Unchanged);
    assert_eq!(
        (
            unchanged.files_hashed,
            unchanged.write.written,
            unchanged.write.unchanged
        ),
        (0, 0, 5),
        "2 originals + 2 hashed + manifest"
    );
    assert_eq!(stamps(), before, "nothing in OUT_DIR or the output folder written");
    assert_same_as_cold(&edits.project, &unchanged, "unchanged after a patch");
}

#[test]
fn each_reason_to_run_the_stages_is_reported() {
    let names: Vec<String> = (0..70).map(|i| format!("assets/f{i:02}.txt")).collect();
    let mut files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v1")).collect();
    files.extend([
        ("assets/a.css", ".a { color: red }"),
        ("assets/c.css", ".c { color: red }"),
        ("assets/lib-0123456789ab.js", "export const x = 1;"),
    ]);
    let edits = Edits::new(&files);
    let project = &edits.project;
    let stages = |reason: Reason| Rebuild::Stages(reason);
    assert_eq!(edits.rebuild(), stages(Reason::FirstBuild));

    edits.edit("assets/f00.txt", "v2");
    let other = project.config().static_url("/assets/").build().unwrap();
    assert_eq!(other.rebuild, stages(Reason::ConfigChanged));
    assert_eq!(edits.rebuild(), stages(Reason::ConfigChanged), "and back");

    for name in &names[..65] {
        edits.edit(name, "v3");
    }
    assert_eq!(edits.rebuild(), stages(Reason::TooManyChanged));

    let prehashed = |project: &Project| project.config().prehashed("lib-*.js").build().unwrap().rebuild;
    assert_eq!(prehashed(project), stages(Reason::ConfigChanged));
    edits.edit("assets/lib-0123456789ab.js", "export const x = 2;");
    let name = "lib-0123456789ab.js".to_owned();
    assert_eq!(prehashed(project), stages(Reason::PrehashedChanged { name }));
    edits.rebuild();

    // A stylesheet edited to import one edited in the same build: the
    // last build did not know of the reference, which decides the order.
    edits.edit("assets/c.css", ".c { color: teal }");
    edits.edit("assets/a.css", "@import \"c.css\";");
    let name = "a.css".to_owned();
    assert_eq!(edits.rebuild(), stages(Reason::NewReference { name }));

    for (artifact, path) in [
        (Artifact::Manifest, project.output().join("staticfiles.json")),
        (Artifact::RustFile, project.path("out/assets.rs")),
    ] {
        let when = filetime::FileTime::from_unix_time(1_700_000_000, 0);
        filetime::set_file_mtime(&path, when).unwrap();
        edits.edit("assets/f01.txt", &format!("{artifact:?}"));
        assert_eq!(edits.rebuild(), stages(Reason::Changed(artifact)));
    }

    // Results the next build cannot patch, whether the configuration says
    // so or the last build found it.
    let precompressed = |project: &Project| project.config().precompress(true).build().unwrap().rebuild;
    assert_eq!(precompressed(project), stages(Reason::ConfigChanged));
    edits.edit("assets/f01.txt", "v4");
    let why = Reason::Unpatchable(Unpatchable::Precompression);
    assert_eq!(precompressed(project), stages(why));
    assert_eq!(precompressed(project), Rebuild::Unchanged, "nothing changed since");
    let embedded = |project: &Project| project.config().embed(true).build().unwrap().rebuild;
    assert_eq!(embedded(project), stages(Reason::ConfigChanged));
    edits.edit("assets/f01.txt", "v5");
    assert_eq!(embedded(project), stages(Reason::Unpatchable(Unpatchable::Embed)));
    // A generated data file written since: the stages write it again.
    let touch = |name: &str| {
        let when = filetime::FileTime::from_unix_time(1_700_000_000, 0);
        filetime::set_file_mtime(project.path(&format!("out/{name}")), when).unwrap();
    };
    touch("assets.rs.embed");
    assert_eq!(embedded(project), stages(Reason::Changed(Artifact::Embedded)));
    assert_eq!(embedded(project), Rebuild::Unchanged);
    let pinned = |project: &Project| project.config().pin("app", "a.css").build().unwrap().rebuild;
    pinned(project);
    edits.edit("assets/f01.txt", "v6");
    assert_eq!(pinned(project), stages(Reason::Unpatchable(Unpatchable::ImportMap)));
    touch("assets.rs.importmap");
    assert_eq!(pinned(project), stages(Reason::Changed(Artifact::ImportMap)));
    edits.edit("assets/a.css", ".a { background: url(gone.png) }");
    let lenient = |project: &Project| project.config().lenient_references(true).build().unwrap().rebuild;
    lenient(project);
    edits.edit("assets/f01.txt", "v7");
    assert_eq!(lenient(project), stages(Reason::Unpatchable(Unpatchable::Warnings)));

    // A build that failed: the next runs the stages, and says why.
    edits.edit("assets/a.css", ".a { background: url(gone.png) }");
    project.build().unwrap_err();
    edits.edit("assets/a.css", ".a { color: red }");
    assert_eq!(edits.rebuild(), stages(Reason::LastBuildUnfinished));

    // A build that failed after a patch: the next runs the stages, and
    // removes the hashed copy the patch created.
    edits.edit("assets/a.css", ".a { color: red }");
    edits.rebuild();
    edits.edit("assets/f02.txt", "patched");
    assert_eq!(edits.rebuild(), Rebuild::Patched);
    edits.edit("assets/a.css", ".a { background: url(gone.png) }");
    project.build().unwrap_err();
    edits.edit("assets/a.css", ".a { color: blue }");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, stages(Reason::LastBuildUnfinished));
    assert_same_as_cold(project, &built, "after a failed build");
}

#[test]
fn vite_entries_make_a_build_unpatchable() {
    let edits = Edits::new(&[
        (
            "assets/dist/.vite/manifest.json",
            r#"{"src/main.js": {"file": "assets/main-AbCd1234.js", "src": "src/main.js", "isEntry": true}}"#,
        ),
        ("assets/dist/assets/main-AbCd1234.js", "console.log(1);"),
        ("assets/b.txt", "b"),
    ]);
    edits.rebuild();
    edits.edit("assets/b.txt", "b2");
    assert_eq!(
        edits.rebuild(),
        Rebuild::Stages(Reason::Unpatchable(Unpatchable::ViteEntries))
    );
    // The entries written since: the stages write them again.
    let when = filetime::FileTime::from_unix_time(1_700_000_000, 0);
    filetime::set_file_mtime(edits.project.path("out/assets.rs.vite"), when).unwrap();
    assert_eq!(edits.rebuild(), Rebuild::Stages(Reason::Changed(Artifact::ViteEntries)));
}

#[test]
#[should_panic(expected = "the asset table holds text that is not UTF-8: rebuild")]
fn a_table_whose_text_is_not_utf8_is_refused_on_first_use() {
    let project = Project::new(&[("assets/a.css", ".a {}")]);
    let built = project.build().unwrap();
    let mut table = std::fs::read(&built.table_file).unwrap();
    // The last byte of the string area: the last record's last string.
    let last = table.len() - 1;
    table[last] = 0xff;
    std::fs::write(&built.table_file, table).unwrap();
    let _ = assets_of(&built).url("a.css");
}

#[test]
fn a_memo_lost_costs_time_never_the_result() {
    let edits = Edits::new(&[
        ("assets/a.css", "@import \"b.css\";\n.a { background: url(img/x.png) }"),
        ("assets/b.css", ".b { color: red }"),
        ("assets/img/x.png", "png"),
    ]);
    let project = &edits.project;
    let memo = project.path("out/asset-build-memo.bin");
    edits.rebuild();
    // A patch does not need it.
    std::fs::remove_file(&memo).unwrap();
    edits.edit("assets/b.css", ".b { color: blue }");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Patched);
    assert_same_as_cold(project, &built, "patched without a memo");
    // The stages without it read every file again, and name each as before.
    assert!(!memo.exists(), "a patch writes no memo");
    edits.edit("assets/new.txt", "new");
    let built = project.build().unwrap();
    assert_eq!(built.rebuild, Rebuild::Stages(Reason::NamesChanged));
    assert_eq!(built.files_hashed, 4, "every file read again");
    assert_same_as_cold(project, &built, "stages without a memo");
    // Damaged: the same.
    std::fs::write(&memo, b"ASTMEMO_ damaged").unwrap();
    let built = project.config().precompress(true).build().unwrap();
    assert_eq!(built.files_hashed, 4);
    assert_eq!(project.build().unwrap().rebuild, Rebuild::Stages(Reason::ConfigChanged));
    assert_same_as_cold(project, &project.build().unwrap(), "after a damaged memo");
}
