//! Table-driven test files: every `*.sfn.yaml` / `*.sfn.yml` / `*.sfn.json` under a folder
//! becomes libtest-mimic trials, one per case, named `file::case name`.
//!
//! ```yaml
//! template: ../template.yaml          # or `definition: ../statemachine/flow.asl.json`
//! state_machine: OrderWorkflow
//! mocks:                              # defaults for every case
//!   Charge card: { return: { status: ok } }
//! cases:
//!   - name: small order is approved
//!     input: { amount: 40 }
//!     expect:
//!       status: SUCCEEDED
//!       path: [Validate, Charge card, Approve]
//!       output: { approved: true }
//!   - name: declined card fails the order
//!     mocks:
//!       Charge card: [ { throw: { error: Card.Declined, cause: insufficient funds } } ]
//!     expect: { status: FAILED, error: Card.Declined }
//!   - name: an order event starts it
//!     trigger: OrderPlaced            # a SAM event of the state machine; its input is what it delivers
//!     event: { source: shop.orders, detail-type: Order Placed, detail: { amount: 40 } }
//!     expect: { status: SUCCEEDED }
//! ```
//!
//! `s3_objects: [{ bucket, key, body }]`, at the top or in a case, puts objects in the virtual
//! S3 that a Distributed Map's `ItemReader` reads.
//!
//! A test target with `harness = false` runs them:
//!
//! ```no_run
//! // tests/tables.rs, with `harness = false` in Cargo.toml
//! sfn_test::table::main("tests");
//! ```

mod file;

pub use file::{CaseFile, load_file};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

/// Runs every table file under `dir` (relative to the package's `Cargo.toml` folder) as
/// libtest-mimic trials and exits with the test result.
pub fn main(dir: impl AsRef<Path>) -> ! {
    let args = Arguments::from_args();
    let trials = trials(dir);
    libtest_mimic::run(&args, trials).exit()
}

/// The trials for every table file under `dir`, in file-name order. A file that does not load
/// becomes one failing trial named after the file, carrying the error.
pub fn trials(dir: impl AsRef<Path>) -> Vec<Trial> {
    let dir = crate::harness::resolve(dir.as_ref());
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let mut trials = Vec::new();
    if files.is_empty() {
        let message = format!(
            "no table files (*.sfn.yaml, *.sfn.yml, *.sfn.json) under {}",
            dir.display()
        );
        trials.push(Trial::test(format!("{}", dir.display()), move || {
            Err(Failed::from(message))
        }));
        return trials;
    }
    for path in files {
        let label = trial_prefix(&dir, &path);
        match load_file(&path) {
            Ok(file) => {
                let file = Arc::new(file);
                for index in 0..file.cases.len() {
                    let file = Arc::clone(&file);
                    let name = format!("{label}::{}", file.cases[index].name);
                    let ignored = file.cases[index].ignore;
                    trials.push(
                        Trial::test(name, move || file.run_case(index).map_err(Failed::from))
                            .with_ignored_flag(ignored),
                    );
                }
            }
            Err(e) => {
                let message = e.to_string();
                trials.push(Trial::test(label, move || Err(Failed::from(message))));
            }
        }
    }
    trials
}

fn trial_prefix(dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(dir).unwrap_or(path);
    let text = relative.to_string_lossy().replace('\\', "/");
    for suffix in [".sfn.yaml", ".sfn.yml", ".sfn.json"] {
        if let Some(stem) = text.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    text
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".sfn.yaml") || n.ends_with(".sfn.yml") || n.ends_with(".sfn.json"))
        {
            out.push(path);
        }
    }
}
