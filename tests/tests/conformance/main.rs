//! Conformance runner: every case recorded against AWS Step Functions in `SFN_CONFORMANCE_DIR`
//! (default `../shared/conformance/cases`) is one trial; the comparison follows
//! `../shared/conformance/README.md`. Known failures are listed in `known-failures.txt` next to
//! this file, one `<case id> | <reason>` per line; a listed case that passes fails the run.

mod compare;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};
use sfn_test::{Mock, StateMachine, TaskCall};
use sfn_test_suite::report::Report;

fn main() {
    let args = Arguments::from_args();
    let dir = sfn_test_suite::data_dir("SFN_CONFORMANCE_DIR", "../shared/conformance/cases");
    let report = Report::new(
        "conformance",
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/known-failures.txt"),
    );
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(e) => {
            eprintln!(
                "conformance: cannot read {}: {e}; set SFN_CONFORMANCE_DIR to the cases folder",
                dir.display()
            );
            std::process::exit(1);
        }
    };
    files.sort();
    let mut trials = Vec::with_capacity(files.len());
    for path in files {
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let report = report.clone();
        trials.push(Trial::test(id.clone(), move || report.judge(&id, run_case(&path))));
    }
    trials.push(Trial::test("self_check::placeholders", || {
        compare::self_check().map_err(Failed::from)
    }));
    report.run(&args, trials)
}

/// Answers each Task state's calls from the recorded outcomes: by the recorded input when the
/// calls ran concurrently, otherwise in order.
fn mocks_for(case: &Value) -> Vec<(String, Mock)> {
    let Some(Value::Object(mocks)) = case.get("mocks") else {
        return Vec::new();
    };
    mocks
        .iter()
        .map(|(state, entries)| {
            let entries: Vec<Value> = entries.as_array().cloned().unwrap_or_default();
            let used = Mutex::new(vec![false; entries.len()]);
            let mock = Mock::choose(move |call: &TaskCall| {
                let mut used = used.lock().unwrap_or_else(PoisonError::into_inner);
                let by_input = entries.iter().enumerate().position(|(i, e)| {
                    !used[i] && e.get("input").is_some_and(|inp| compare::matches(inp, &call.input))
                });
                let pick = by_input.or_else(|| used.iter().position(|u| !u));
                match pick {
                    Some(i) => {
                        used[i] = true;
                        entry_mock(&entries[i])
                    }
                    None => Mock::throw(
                        "Conformance.MockExhausted",
                        "the recording has no more calls for this state",
                    ),
                }
            });
            (state.clone(), mock)
        })
        .collect()
}

fn entry_mock(entry: &Value) -> Mock {
    if let Some(v) = entry.get("return") {
        return Mock::raw(Mock::ret(v.clone()));
    }
    if let Some(t) = entry.get("throw") {
        let error = t.get("error").and_then(Value::as_str).unwrap_or("");
        return match t.get("cause") {
            Some(Value::String(c)) => Mock::throw(error, c),
            Some(other) if !other.is_null() => Mock::throw(error, other.to_string()),
            _ => Mock::throw_error(error),
        };
    }
    Mock::hang()
}

/// With `SFN_HISTORY_DIFF=<folder>`, writes one file per case whose event sequence differs
/// from the recording (informational: histories are not part of the pass/fail comparison).
fn history_diff(dir: &Path, case: &Path, run: &sfn_test::Execution, expected: &Value) {
    let Some(Value::Array(recorded)) = expected.get("history") else {
        return;
    };
    if recorded.iter().any(|e| e["id"].is_null()) {
        return;
    }
    let want: Vec<String> = recorded
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["id"],
                e["previousEventId"],
                e["type"].as_str().unwrap_or("")
            )
        })
        .collect();
    let got: Vec<String> = run
        .history()
        .iter()
        .map(|e| format!("{} {} {}", e.id, e.previous_event_id, e.kind))
        .collect();
    if want != got {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = format!("expected:\n{}\n\nactual:\n{}\n", want.join("\n"), got.join("\n"));
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::write(dir.join(format!("{name}.txt")), text);
    }
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let case: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let definition = case.get("definition").cloned().unwrap_or(Value::Null);
    let mut sm = StateMachine::from_definition(definition).map_err(|e| e.to_string())?;
    // Feature `express`: the case ran as an Express workflow (README, "A case").
    let features = case.get("features").and_then(Value::as_array);
    if features.is_some_and(|f| f.iter().any(|x| x == "express")) {
        sm = sm.express();
    }
    let mut scenario = sm.scenario().input(case.get("input").cloned().unwrap_or(json!({})));
    if let Some(start) = case.get("start_time").and_then(Value::as_str) {
        scenario = scenario.start_time(start);
    }
    // `resources.s3_objects`: objects uploaded before the run (README, "A case").
    if let Some(Value::Array(objects)) = case.pointer("/resources/s3_objects") {
        for o in objects {
            let text = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            scenario = scenario.s3_object(text("bucket"), text("key"), text("body"));
        }
    }
    for (state, mock) in mocks_for(&case) {
        scenario = scenario.fallback_mock(state, mock);
    }
    let run = scenario.run().map_err(|e| e.to_string())?;
    let expected = &case["expected"];
    if let Some(dir) = std::env::var_os("SFN_HISTORY_DIFF") {
        history_diff(Path::new(&dir), path, &run, expected);
    }
    compare::check(&run, expected)
}
