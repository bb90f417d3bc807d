//! Shared helpers of the sfn-test end-to-end tests and data-driven runners.
//!
//! The runners read shared data through paths relative to the workspace root
//! (`../shared/...`), overridable by environment variables.

pub mod report;

use std::path::PathBuf;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// A folder given by `var`, else `default` relative to the workspace root.
pub fn data_dir(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join(default),
    }
}
