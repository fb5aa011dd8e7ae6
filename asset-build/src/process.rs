//! Step 3b: give every file its final hashed name, rewriting CSS and JS in
//! dependency order.
//!
//! A file that is not CSS or JS is named from the MD5 of its bytes. A CSS or
//! JS file is named from the MD5 of its content *after* its references are
//! rewritten, so it can only be named once every CSS/JS file it refers to
//! has been. The files are therefore processed in topological order of
//! their references (each level on all cores); a change deep in a chain of
//! `@import`s changes every name up the chain. Django reaches the same
//! names by repeating passes until nothing changes; a cycle is an error
//! here, reported with the files that form it.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::collect::SourceFile;
use crate::error::{Error, Result};
use crate::hash::{Md5Digest, hashed_name, md5_bytes};
use crate::references::{FileKind, Patterns, Reference, Resolution, rewrite};

/// Settings of the rewrite step.
pub(crate) struct RewriteOptions<'a> {
    pub(crate) patterns: &'a Patterns,
    pub(crate) static_url: &'a str,
    pub(crate) lenient: bool,
}

/// The outcome for every collected file, by index.
pub(crate) struct Processed {
    /// Final hashed name.
    pub(crate) hashed: Vec<String>,
    /// Rewritten content, for CSS and JS files.
    pub(crate) rewritten: Vec<Option<Vec<u8>>>,
    /// MD5 of the bytes served under the hashed name.
    pub(crate) served_md5: Vec<Md5Digest>,
    pub(crate) warnings: Vec<String>,
}

/// A CSS/JS file read and scanned for references.
struct Scanned {
    text: String,
    /// Indices of the CSS/JS files it refers to.
    deps: Vec<usize>,
    warnings: Vec<String>,
}

enum Target {
    File(usize),
    Folder,
    Missing,
}

struct Lookup<'a> {
    index: HashMap<&'a str, usize>,
    folders: HashSet<&'a str>,
}

impl<'a> Lookup<'a> {
    fn new(files: &'a [SourceFile]) -> Self {
        let mut index = HashMap::with_capacity(files.len());
        let mut folders = HashSet::new();
        for (i, file) in files.iter().enumerate() {
            index.insert(file.name.as_str(), i);
            let mut name = file.name.as_str();
            while let Some(slash) = name.rfind('/') {
                name = &name[..slash];
                if !folders.insert(name) {
                    break;
                }
            }
        }
        Lookup { index, folders }
    }

    fn find(&self, target: &str) -> Target {
        let trimmed = target.trim_end_matches('/');
        if target.ends_with('/') || self.folders.contains(trimmed) {
            return if self.folders.contains(trimmed) || trimmed.is_empty() {
                Target::Folder
            } else {
                Target::Missing
            };
        }
        self.index.get(target).map_or(Target::Missing, |&i| Target::File(i))
    }
}

/// Names every file; `digests` are the MD5s of the original bytes.
pub(crate) fn process(files: &[SourceFile], digests: &[Md5Digest], options: &RewriteOptions<'_>) -> Result<Processed> {
    let lookup = Lookup::new(files);
    let kinds: Vec<Option<FileKind>> = files.iter().map(|f| FileKind::of(&f.name)).collect();

    let scanned: Vec<Option<Scanned>> = files
        .par_iter()
        .zip(kinds.par_iter())
        .map(|(file, kind)| match kind {
            Some(kind) => scan(file, *kind, &lookup, &kinds, options).map(Some),
            None => Ok(None),
        })
        .collect::<Result<_>>()?;

    let mut hashed: Vec<Option<String>> = files
        .iter()
        .zip(digests)
        .zip(&kinds)
        .map(|((file, digest), kind)| kind.is_none().then(|| hashed_name(&file.name, digest)))
        .collect();
    let mut served_md5 = digests.to_vec();
    let mut rewritten: Vec<Option<Vec<u8>>> = vec![None; files.len()];
    let mut warnings: Vec<String> = Vec::new();
    for s in scanned.iter().flatten() {
        warnings.extend(s.warnings.iter().cloned());
    }

    for level in levels(&scanned, files)? {
        let results: Vec<(usize, String, Vec<u8>, Md5Digest)> = level
            .par_iter()
            .map(|&i| {
                let s = scanned[i].as_ref().expect("levels hold only scanned files");
                let kind = kinds[i].expect("scanned files have a kind");
                let text = rewrite(
                    &s.text,
                    &files[i].name,
                    kind,
                    options.patterns,
                    options.static_url,
                    &mut |r| {
                        Ok(match lookup.find(&r.target) {
                            Target::File(t) => Resolution::Hashed(
                                hashed[t]
                                    .clone()
                                    .expect("dependencies are named before their dependents"),
                            ),
                            Target::Folder => Resolution::Folder,
                            Target::Missing => Resolution::Keep,
                        })
                    },
                )?;
                let bytes = text.into_bytes();
                let digest = md5_bytes(&bytes);
                Ok((i, hashed_name(&files[i].name, &digest), bytes, digest))
            })
            .collect::<Result<_>>()?;
        for (i, name, bytes, digest) in results {
            hashed[i] = Some(name);
            rewritten[i] = Some(bytes);
            served_md5[i] = digest;
        }
    }

    Ok(Processed {
        hashed: hashed.into_iter().map(|h| h.expect("every file is named")).collect(),
        rewritten,
        served_md5,
        warnings,
    })
}

fn scan(
    file: &SourceFile,
    kind: FileKind,
    lookup: &Lookup<'_>,
    kinds: &[Option<FileKind>],
    options: &RewriteOptions<'_>,
) -> Result<Scanned> {
    let bytes = std::fs::read(&file.path).map_err(|e| Error::io("read", &file.path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
        name: file.name.clone(),
        path: file.path.clone(),
    })?;
    let mut deps = Vec::new();
    let mut warnings = Vec::new();
    let mut resolve = |r: &Reference<'_>| -> Result<Resolution> {
        match lookup.find(&r.target) {
            Target::File(t) => {
                if kinds[t].is_some() && !deps.contains(&t) {
                    deps.push(t);
                }
                Ok(Resolution::Hashed(r.target.clone()))
            }
            Target::Folder => Ok(Resolution::Folder),
            Target::Missing if options.lenient => {
                warnings.push(format!(
                    "`{}` line {}: `{}` refers to `{}`, which is not a collected asset; left as it is",
                    file.name, r.line, r.matched, r.target
                ));
                Ok(Resolution::Keep)
            }
            Target::Missing => Err(Error::MissingReference {
                file: file.name.clone(),
                line: r.line,
                matched: r.matched.to_owned(),
                resolved: r.target.clone(),
            }),
        }
    };
    rewrite(
        &text,
        &file.name,
        kind,
        options.patterns,
        options.static_url,
        &mut resolve,
    )?;
    Ok(Scanned { text, deps, warnings })
}

/// Groups the scanned files into levels: each level refers only to files
/// of earlier levels. Fails with the files of a cycle when there is one.
fn levels(scanned: &[Option<Scanned>], files: &[SourceFile]) -> Result<Vec<Vec<usize>>> {
    let mut pending: Vec<usize> = scanned.iter().map(|s| s.as_ref().map_or(0, |s| s.deps.len())).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); scanned.len()];
    for (i, s) in scanned.iter().enumerate() {
        for &d in s.iter().flat_map(|s| &s.deps) {
            dependents[d].push(i);
        }
    }
    let mut current: Vec<usize> = (0..scanned.len())
        .filter(|&i| scanned[i].is_some() && pending[i] == 0)
        .collect();
    let mut levels = Vec::new();
    let mut done = 0;
    while !current.is_empty() {
        done += current.len();
        let mut next = Vec::new();
        for &i in &current {
            for &d in &dependents[i] {
                pending[d] -= 1;
                if pending[d] == 0 {
                    next.push(d);
                }
            }
        }
        levels.push(std::mem::replace(&mut current, next));
    }
    let total = scanned.iter().filter(|s| s.is_some()).count();
    if done < total {
        return Err(cycle_error(scanned, files, &pending));
    }
    Ok(levels)
}

/// Follows unresolved references from a file left in a cycle until one
/// repeats, and names that loop.
fn cycle_error(scanned: &[Option<Scanned>], files: &[SourceFile], pending: &[usize]) -> Error {
    let in_cycle = |i: usize| scanned[i].is_some() && pending[i] > 0;
    let start = (0..scanned.len()).find(|&i| in_cycle(i)).expect("a file is left");
    let mut path = vec![start];
    let mut node = start;
    loop {
        let deps = &scanned[node].as_ref().expect("in cycle").deps;
        node = *deps
            .iter()
            .find(|&&d| in_cycle(d))
            .expect("a file in a cycle refers to another");
        if let Some(pos) = path.iter().position(|&p| p == node) {
            let mut chain: Vec<usize> = path[pos..].to_vec();
            chain.push(node);
            return Error::Cycle {
                chain: chain.into_iter().map(|i| files[i].name.clone()).collect(),
            };
        }
        path.push(node);
    }
}
