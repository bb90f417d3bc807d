//! Reads the local files a template points at (`DefinitionUri`, `AWS::Include` locations),
//! resolving them against the template's folder, and suggests the right path when one is
//! missing.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::error::SamError;

/// How far the search for a misplaced file looks, so a huge folder cannot stall a test.
const SEARCH_DEPTH: usize = 6;
const SEARCH_ENTRIES: usize = 20_000;

/// The folder relative paths in `template` are resolved against.
pub(super) fn folder(template: &Path) -> PathBuf {
    match template.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reads `relative` (relative to the template's folder, or absolute); `pointer` is the
/// property that names it.
pub(super) fn read(template: &Path, relative: &str, pointer: &str) -> Result<(PathBuf, String), SamError> {
    let base = folder(template);
    let file = base.join(relative);
    match fs::read_to_string(&file) {
        Ok(text) => Ok((file, text)),
        Err(error) if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            Err(SamError::FileNotFound {
                path: template.to_path_buf(),
                pointer: pointer.to_owned(),
                suggestion: Path::new(relative).file_name().and_then(|name| find(&base, name)),
                tried: file,
            })
        }
        Err(source) => Err(SamError::Read { path: file, source }),
    }
}

/// A file called `name` somewhere under `base` (the shallowest, then first by path).
fn find(base: &Path, name: &std::ffi::OsStr) -> Option<PathBuf> {
    let mut level = vec![base.to_path_buf()];
    let mut seen = 0;
    for _ in 0..=SEARCH_DEPTH {
        let mut found = Vec::new();
        let mut next = Vec::new();
        for dir in &level {
            let Ok(entries) = fs::read_dir(dir) else { continue };
            for entry in entries.flatten() {
                seen += 1;
                if seen > SEARCH_ENTRIES {
                    return None;
                }
                let path = entry.path();
                let Ok(file_type) = entry.file_type() else { continue };
                let entry_name = entry.file_name();
                if file_type.is_dir() {
                    let skip = entry_name.to_string_lossy().starts_with('.')
                        || entry_name == "node_modules"
                        || entry_name == "target";
                    if !skip {
                        next.push(path);
                    }
                } else if entry_name == name {
                    found.push(path);
                }
            }
        }
        found.sort();
        if let Some(first) = found.into_iter().next() {
            return Some(first);
        }
        next.sort();
        level = next;
    }
    None
}
