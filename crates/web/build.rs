//! Embeds the locale files: every `locales/<language>/<area>.ftl` becomes one entry of
//! `LOCALE_FILES`, so adding a language or an area is adding files.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    let Ok(languages) = std::fs::read_dir(&root) else {
        panic!("no locales directory at {}", root.display());
    };
    for language in languages.flatten() {
        let dir = language.path();
        if !dir.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", dir.display());
        let lang = language.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = file.path();
            // `messages.ftl` is the crate's catalog of `Msg`s (`kernel::catalog!`), not page text.
            if path.extension().is_some_and(|e| e == "ftl") && !path.ends_with("messages.ftl") {
                let area = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((lang.clone(), area, path));
            }
        }
    }
    files.sort();
    let mut out = String::from("/// Every locale file: (language tag, area, Fluent text).\n");
    out.push_str("pub(crate) const LOCALE_FILES: &[(&str, &str, &str)] = &[\n");
    for (lang, area, path) in &files {
        let _ = writeln!(
            out,
            "    ({lang:?}, {area:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("locales.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
