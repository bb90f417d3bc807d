//! What the data-driven runners share: the checked-in known-failure list, the verdict of each
//! trial against it, the `<runner>: N passed, N failed, N ignored` last line and the
//! `SFN_REPORT` JSON file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};

/// How one trial ended, against the known-failure list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Passed,
    Failed,
    KnownFailure,
}

/// The results of one runner's trials, shared by the trials (which run on several threads).
#[derive(Clone, Debug)]
pub struct Report {
    runner: &'static str,
    known: Arc<BTreeMap<String, String>>,
    results: Arc<Mutex<BTreeMap<String, (Outcome, String)>>>,
}

impl Report {
    /// A report for `runner` (the name its last line starts with), with the known failures
    /// listed in `known_failures`: one `<trial id> | <reason>` per line, `#` comments.
    pub fn new(runner: &'static str, known_failures: &Path) -> Report {
        let text = std::fs::read_to_string(known_failures).unwrap_or_default();
        let known = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                l.split_once(" | ")
                    .map(|(id, reason)| (id.trim().to_string(), reason.trim().to_string()))
            })
            .collect();
        Report {
            runner,
            known: Arc::new(known),
            results: Arc::default(),
        }
    }

    /// The reason a trial is listed as a known failure, if it is.
    pub fn known_reason(&self, id: &str) -> Option<&str> {
        self.known.get(id).map(String::as_str)
    }

    /// Records a trial's verdict and turns it into the trial's result: a listed failure
    /// passes the trial, a listed trial that passes fails it (so the list only shrinks).
    pub fn judge(&self, id: &str, verdict: Result<(), String>) -> Result<(), Failed> {
        let (outcome, reason, result) = match (verdict, self.known_reason(id)) {
            (Ok(()), None) => (Outcome::Passed, String::new(), Ok(())),
            (Err(why), None) => (Outcome::Failed, why.clone(), Err(Failed::from(why))),
            (Err(_), Some(reason)) => (Outcome::KnownFailure, reason.to_owned(), Ok(())),
            (Ok(()), Some(_)) => {
                let why = "listed in known-failures.txt but passes: remove it from the list".to_string();
                (Outcome::Failed, why.clone(), Err(Failed::from(why)))
            }
        };
        self.results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), (outcome, reason));
        result
    }

    /// Runs the trials, prints the `<runner>: N passed, N failed, N ignored` line last, writes
    /// the JSON report when `SFN_REPORT` names a file, and exits with libtest's status.
    pub fn run(self, args: &Arguments, trials: Vec<Trial>) -> ! {
        let conclusion = libtest_mimic::run(args, trials);
        let results = self.results.lock().unwrap_or_else(PoisonError::into_inner);
        let count = |o: Outcome| results.values().filter(|(x, _)| *x == o).count();
        let (passed, failed, ignored) = (
            count(Outcome::Passed),
            count(Outcome::Failed),
            count(Outcome::KnownFailure),
        );
        if let Some(path) = std::env::var_os("SFN_REPORT") {
            // Known failures count as failed in the report: it says what works, not what is excused.
            self.write(Path::new(&path), &results, passed, failed + ignored);
        }
        println!("{}: {passed} passed, {failed} failed, {ignored} ignored", self.runner);
        conclusion.exit()
    }

    fn write(&self, path: &Path, results: &BTreeMap<String, (Outcome, String)>, passed: usize, failed: usize) {
        let entries: Vec<Value> = results
            .iter()
            .map(|(id, (outcome, reason))| {
                let outcome = match outcome {
                    Outcome::Passed => "passed",
                    Outcome::Failed | Outcome::KnownFailure => "failed",
                };
                json!({ "id": id, "outcome": outcome, "reason": reason })
            })
            .collect();
        let report = json!({ "passed": passed, "failed": failed, "ignored": 0, "results": entries });
        if let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&report).unwrap_or_default()) {
            eprintln!("{}: cannot write the report to {}: {e}", self.runner, path.display());
        }
    }
}
