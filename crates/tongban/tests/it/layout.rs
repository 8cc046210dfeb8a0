//! Files depend one way inside the crates that carry the most: a file of `hall`, `interact` or
//! `web` never reaches, through `crate::`, `super::` or a child module, a file that reaches it
//! back. A circle means two files that can only be read, changed and split together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates held to it.
const CRATES: [&str; 3] = ["hall", "interact", "web"];

/// A crate's files by module path (`portal::apply::draft`; `lib` for the root), with their
/// text and whether the file is a module's `mod.rs` (or the root), whose `child::` paths name
/// its children.
fn modules(src: &Path) -> BTreeMap<String, (String, bool)> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            let is_mod = parts.last().is_some_and(|l| l == "mod" || l == "lib");
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            let code = std::fs::read_to_string(&path).expect("read a source file");
            out.insert(parts.join("::"), (code, is_mod));
        }
    }
    out
}

/// Whether `code` names `path` as a whole path segment run (`crate::case` but not
/// `crate::cases`).
fn names(code: &str, path: &str) -> bool {
    code.match_indices(path).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + path.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Which files each file reaches (comment lines left out: a doc link is not a dependency).
fn edges(files: &BTreeMap<String, (String, bool)>) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, (text, is_mod)) in files {
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let code = code.as_str();
        // The module whose children `super::` names in this file, and the one whose children
        // its own `child::` paths name.
        let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
        let own = if *is_mod && name != "lib" {
            name.as_str()
        } else {
            parent
        };
        let reached = out.entry(name).or_default();
        for other in files.keys().filter(|o| *o != name && *o != "lib") {
            // A file's own ancestors are where it is declared, not what it uses.
            if name.starts_with(&format!("{other}::")) {
                continue;
            }
            let mut hit = names(code, &format!("crate::{other}"));
            let sibling = other
                .strip_prefix(&format!("{parent}::"))
                .or(if parent.is_empty() {
                    Some(other.as_str())
                } else {
                    None
                });
            let child = other.strip_prefix(&format!("{own}::")).or(if own.is_empty() {
                Some(other.as_str())
            } else {
                None
            });
            if let Some(s) = sibling.filter(|s| !s.contains("::") && name != "lib") {
                hit |= names(code, &format!("super::{s}"));
            }
            if let Some(c) = child.filter(|c| !c.contains("::") && *is_mod) {
                hit |= code.match_indices(&format!("{c}::")).any(|(at, _)| {
                    !code[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':')
                });
            }
            if hit {
                reached.insert(other.as_str());
            }
        }
    }
    out
}

/// A circle through `start`, if there is one.
fn circle<'a>(edges: &BTreeMap<&'a str, BTreeSet<&'a str>>, start: &'a str) -> Option<Vec<&'a str>> {
    let mut stack = vec![(start, vec![start])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for &next in edges.get(at).into_iter().flatten() {
            if next == start {
                return Some(path.clone());
            }
            if seen.insert(next) {
                let mut p = path.clone();
                p.push(next);
                stack.push((next, p));
            }
        }
    }
    None
}

fn src_of(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
}

#[test]
fn no_file_reaches_a_file_that_reaches_it_back() {
    let mut circles = Vec::new();
    for krate in CRATES {
        let files = modules(&src_of(krate));
        assert!(files.len() > 10, "{krate}: the sources were not found");
        let edges = edges(&files);
        for name in files.keys() {
            if let Some(c) = circle(&edges, name) {
                circles.push(format!("{krate}: {} → {name}", c.join(" → ")));
                break;
            }
        }
    }
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

#[test]
fn the_check_sees_a_circle_through_super_and_through_crate() {
    let files: BTreeMap<String, (String, bool)> = [
        ("lib", "mod portal;", true),
        ("portal", "mod apply;\nmod services;", true),
        ("portal::services", "use super::apply::Draft;", false),
        ("portal::apply", "use crate::portal::services::item;", true),
        (
            "case_text",
            "// crate::portal::services is only named in a comment",
            false,
        ),
    ]
    .into_iter()
    .map(|(n, c, m)| (n.to_string(), (c.to_string(), m)))
    .collect();
    let edges = edges(&files);
    assert!(edges["portal::services"].contains("portal::apply"));
    assert!(edges["portal::apply"].contains("portal::services"));
    assert!(edges["case_text"].is_empty(), "a comment is not a dependency");
    assert!(circle(&edges, "portal::apply").is_some());
    assert!(circle(&edges, "case_text").is_none());
}
