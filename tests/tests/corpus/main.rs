//! Corpus runner: every state machine of every real-world template under `SFN_CORPUS_DIR`
//! (default `../shared/corpus/sam`) is one trial: the template loads, the definition validates,
//! and a run with automatic mocks (every Task answers `{}`) on input `{}` ends with an execution
//! status or at the history event limit, never with any other harness error.
//!
//! Templates are the files named `template.yaml`, `template.yml` or `*.template.json` (CDK's
//! `cdk.out/<Stack>.template.json`). A template without state machines adds no trial; one that
//! does not load adds one trial, named after the template, that fails with the load error.
//! Trials are named `<template path relative to the corpus folder>::<LogicalId>`.
//!
//! Known failures are listed in `known-failures.txt` next to this file, one
//! `<trial id> | <reason>` per line. The reason is the error the user gets (paths relative to
//! the corpus folder), and the trial must still fail with an error containing it; a reason
//! starting with `engine: ` or `asl: ` names a feature those phases do not support yet and is
//! not compared. A listed trial that passes fails the run.
//!
//! Parameters without a default get a value (the first allowed value, else a number or a
//! name), as `sam deploy --guided` would ask for one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::{Arguments, Trial};
use serde_json::json;
use sfn_test::sam::Template;
use sfn_test::{Error, Mock, StateMachine};
use sfn_test_suite::report::Report;

/// Virtual time a run may take: long Waits and polling loops time out instead of running
/// until the one-year maximum.
const BUDGET: Duration = Duration::from_secs(24 * 3600);

/// Folders that hold no templates of the project itself.
const SKIPPED_FOLDERS: &[&str] = &["node_modules", "target", ".aws-sam", ".git"];

fn main() {
    let args = Arguments::from_args();
    let dir = sfn_test_suite::data_dir("SFN_CORPUS_DIR", "../shared/corpus/sam");
    let report = Report::new(
        "corpus",
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/known-failures.txt"),
    );
    if !dir.is_dir() {
        eprintln!(
            "corpus: cannot read {}: not a folder; set SFN_CORPUS_DIR to the corpus folder",
            dir.display()
        );
        std::process::exit(1);
    }
    let mut templates = Vec::new();
    find_templates(&dir, &mut templates);
    templates.sort();
    let dir = Arc::new(dir);
    let mut trials = Vec::new();
    for path in templates {
        let relative = relative_name(&dir, &path);
        match Template::load(&path).map(with_required_parameters) {
            Err(error) => {
                let message = error.to_string();
                trials.push(trial(&report, &dir, relative, move || Err(message)));
            }
            Ok(template) => {
                let template = Arc::new(template);
                for logical_id in template.state_machine_ids() {
                    let template = Arc::clone(&template);
                    let id = format!("{relative}::{logical_id}");
                    trials.push(trial(&report, &dir, id, move || run(&template, &logical_id)));
                }
            }
        }
    }
    report.run(&args, trials)
}

/// One trial: `check` gives the error a user would see, if any.
fn trial(
    report: &Report,
    dir: &Arc<PathBuf>,
    id: String,
    check: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Trial {
    let report = report.clone();
    let dir = Arc::clone(dir);
    Trial::test(id.clone(), move || {
        let verdict = check().map_err(|message| strip_folder(&message, &dir));
        let verdict = match (verdict, report.known_reason(&id)) {
            (Err(message), Some(reason)) if !names_a_missing_feature(reason) && !message.contains(reason) => Err(
                format!("fails, but not as known-failures.txt says ({reason}): {message}"),
            ),
            (verdict, _) => verdict,
        };
        report.judge(&id, verdict)
    })
}

/// Gives every parameter without a default a value, as `sam deploy --guided` asks for one: the
/// first allowed value, else a number or a name.
fn with_required_parameters(template: Template) -> Template {
    let mut template = template;
    for parameter in template.parameters().into_iter().filter(|p| p.required) {
        let value = match parameter.allowed_values.first() {
            Some(allowed) => allowed.clone(),
            None if parameter.parameter_type == "Number" => "1".to_owned(),
            None => format!("corpus-{}", parameter.name.to_ascii_lowercase()),
        };
        template = template.parameter(&parameter.name, value);
    }
    template
}

/// Loads, validates and runs one state machine with every Task answering `{}`.
fn run(template: &Template, logical_id: &str) -> Result<(), String> {
    let sm = StateMachine::from_loaded_template(template, logical_id).map_err(|e| e.to_string())?;
    let outcome = sm
        .scenario()
        .input(json!({}))
        .default_mock(Mock::ret(json!({})))
        .timeout(BUDGET)
        .without_history()
        .run();
    match outcome {
        // Any execution status is an end, and so is the history limit: with `{}` answers a
        // polling loop may never see its exit condition.
        Ok(_) | Err(Error::HistoryLimit { .. }) => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

/// A reason of the form `engine: ...` / `asl: ...` names what the engine or the ASL phase does
/// not support yet; those phases own the wording of their errors, so it is not compared.
fn names_a_missing_feature(reason: &str) -> bool {
    reason.starts_with("engine: ") || reason.starts_with("asl: ")
}

fn find_templates(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if !SKIPPED_FOLDERS.contains(&name.as_str()) {
                find_templates(&path, out);
            }
        } else if name == "template.yaml" || name == "template.yml" || name.ends_with(".template.json") {
            out.push(path);
        }
    }
}

/// `path` relative to the corpus folder, with `/` separators on every platform.
fn relative_name(dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(dir).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Messages name files by their full path; the list names them relative to the corpus folder.
fn strip_folder(message: &str, dir: &Path) -> String {
    let mut prefix = dir.display().to_string();
    if !prefix.ends_with(std::path::MAIN_SEPARATOR) {
        prefix.push(std::path::MAIN_SEPARATOR);
    }
    message.replace(&prefix, "")
}
