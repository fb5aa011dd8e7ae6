//! The after-publish command, for purging a CDN.
//!
//! Hashed names never need purging: a new release has new names. What a
//! CDN may hold stale copies of is what the sync wrote under names that
//! stay the same from release to release: the unhashed originals (and
//! their `.br`/`.zst`/`.gz` siblings) and `staticfiles.json`. After a
//! publish, the sync runs the command given with `--after-publish`
//! ([`SyncOptions::after_publish`](crate::SyncOptions::after_publish))
//! with those keys on its standard input, sorted, full keys (prefix
//! included), in the [`KeyFormat`] asked for: one a line by default, each
//! ending in `\n`; each ending in a NUL byte (for `xargs -0`, whatever the
//! names hold); or one JSON array of strings. The same list is in the summary
//! ([`Summary::changed_unhashed_keys`](crate::Summary::changed_unhashed_keys)),
//! and so in `--json`.
//!
//! The command runs through `sh -c` (on Windows, `cmd /C`), from the
//! current folder, with the sync's environment. Its standard output goes
//! to the sync's standard error, so that `--json` output stays one JSON
//! document; its standard error is the sync's.
//!
//! It runs only after a publish: when the manifest was written, never on a
//! dry run, nor when the store already had the release. If it cannot be
//! started or exits with another status than 0, the publish has already
//! happened; the sync still prunes if asked, then ends with
//! [`Error::AfterPublishFailed`](crate::Error::AfterPublishFailed) (exit
//! code 5), which names the command and its status and carries the summary.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, ExitStatus, Stdio};

use asset_contract::{Encoding, MANIFEST_NAME};

use crate::local::{LocalFile, LocalTree};

/// The keys a CDN may hold stale copies of after writing `written` (and the
/// manifest, if `manifest`): every written name that is neither a hashed
/// name of the release nor a sibling of one, with the prefix, sorted.
pub(crate) fn unhashed_keys(local: &LocalTree, prefix: &str, written: &[LocalFile], manifest: bool) -> Vec<String> {
    let hashed: BTreeSet<&str> = local.manifest.paths.values().map(String::as_str).collect();
    let is_hashed =
        |name: &str| hashed.contains(name) || Encoding::of_sibling(name).is_some_and(|(base, _)| hashed.contains(base));
    let mut keys: BTreeSet<String> = written
        .iter()
        .filter(|file| !is_hashed(&file.name))
        .map(|file| format!("{prefix}{}", file.name))
        .collect();
    if manifest {
        keys.insert(format!("{prefix}{MANIFEST_NAME}"));
    }
    keys.into_iter().collect()
}

/// How the after-publish command receives the keys on its standard input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyFormat {
    /// One key a line, each ending in `\n` (a key holding a line break
    /// cannot be told apart: use another format for such names).
    #[default]
    Lines,
    /// Each key ending in a NUL byte, as `xargs -0` and `sed -z` read.
    Nul,
    /// One JSON array of strings.
    Json,
}

impl KeyFormat {
    /// `keys` in this format.
    pub fn encode(self, keys: &[String]) -> Vec<u8> {
        match self {
            KeyFormat::Lines => terminated(keys, b'\n'),
            KeyFormat::Nul => terminated(keys, b'\0'),
            KeyFormat::Json => serde_json::to_vec(keys).expect("strings serialize"),
        }
    }
}

/// Each key followed by `end`.
fn terminated(keys: &[String], end: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(keys.iter().map(|key| key.len() + 1).sum());
    for key in keys {
        out.extend_from_slice(key.as_bytes());
        out.push(end);
    }
    out
}

/// Runs `command` with `keys` on its standard input, in `format`; `Err`
/// says how it failed ("exited with status 3", "could not be started:
/// ...").
pub(crate) async fn run(command: &str, keys: &[String], format: KeyFormat) -> Result<(), String> {
    let command = command.to_owned();
    let input = format.encode(keys);
    tokio::task::spawn_blocking(move || run_blocking(&command, &input))
        .await
        .unwrap_or_else(|e| Err(format!("could not be run: {e}")))
}

fn run_blocking(command: &str, input: &[u8]) -> Result<(), String> {
    let mut child = shell(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(std::io::stderr()))
        .spawn()
        .map_err(|e| format!("could not be started: {e}"))?;
    let stdin = child.stdin.take();
    // Written from another thread, so a command that reads little of a
    // long list cannot block the sync; a command that does not read its
    // input at all is no error.
    let status = std::thread::scope(|scope| {
        scope.spawn(move || {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(input);
            }
        });
        child.wait()
    })
    .map_err(|e| format!("could not be waited for: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(describe(status))
    }
}

/// The shell that runs a command line.
fn shell(command: &str) -> Command {
    if cfg!(windows) {
        let mut cmd = Command::new("cmd");
        cmd.arg("/C").arg(command);
        cmd
    } else {
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(command);
        sh
    }
}

/// "exited with status 3", or the signal that ended it.
fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("ended without an exit status ({status})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_each_format_round_trip_whatever_they_hold() {
        let keys = vec!["static/a b.css".to_owned(), "static/it's \"x\".css".to_owned()];
        assert_eq!(
            KeyFormat::Lines.encode(&keys),
            b"static/a b.css\nstatic/it's \"x\".css\n"
        );
        let nul = KeyFormat::Nul.encode(&keys);
        let split: Vec<&[u8]> = nul.split(|b| *b == 0).collect();
        assert_eq!(split, [keys[0].as_bytes(), keys[1].as_bytes(), b""]);
        let json: Vec<String> = serde_json::from_slice(&KeyFormat::Json.encode(&keys)).unwrap();
        assert_eq!(json, keys);
    }
}
