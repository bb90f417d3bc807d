//! Step Functions Local's mock configuration file (`MockConfigFile.json`): `StateMachines` →
//! `TestCases` → state name → a name in `MockedResponses`, whose responses are keyed by the
//! call number (`"0"`, `"1-2"`) and are a `Return` (the integration's raw result) or a `Throw`
//! (`Error`, `Cause`). Suites written for Step Functions Local move over with their files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::mock::Mock;
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct File {
    state_machines: BTreeMap<String, StateMachineCases>,
    #[serde(default)]
    mocked_responses: BTreeMap<String, BTreeMap<String, Response>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StateMachineCases {
    test_cases: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
enum Response {
    Return(Value),
    Throw(Throw),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Throw {
    error: Option<String>,
    cause: Option<String>,
}

/// A loaded mock configuration file.
#[derive(Debug, Clone)]
pub struct MockConfig {
    path: PathBuf,
    /// `(state machine, test case)` → the mocks of its states.
    cases: BTreeMap<(String, String), Vec<(String, Mock)>>,
}

fn error(path: &Path, message: String) -> Error {
    Error::Table {
        file: path.to_path_buf(),
        line: None,
        message,
    }
}

/// Call numbers `"3"` or `"1-2"`, inclusive.
fn range(key: &str) -> Option<(usize, usize)> {
    match key.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => key.trim().parse().ok().map(|n| (n, n)),
    }
}

/// One mocked response's answers in call order.
fn answers(path: &Path, name: &str, responses: &BTreeMap<String, Response>) -> Result<Mock> {
    let mut ranges: Vec<((usize, usize), &Response)> = Vec::new();
    for (key, response) in responses {
        let Some(r) = range(key).filter(|(a, b)| a <= b) else {
            return Err(error(
                path,
                format!("MockedResponses.{name}: {key:?} is not a call number (\"0\") or a range (\"1-2\")"),
            ));
        };
        ranges.push((r, response));
    }
    ranges.sort_by_key(|(r, _)| *r);
    let mut sequence = Vec::new();
    for ((from, to), response) in ranges {
        if from != sequence.len() {
            return Err(error(
                path,
                format!(
                    "MockedResponses.{name}: call numbers must run from 0 without gaps or overlaps, but {from} follows {}",
                    sequence.len()
                ),
            ));
        }
        let mock = match response {
            Response::Return(v) => Mock::raw(Mock::ret(v.clone())),
            Response::Throw(t) => match &t.cause {
                Some(cause) => Mock::throw(t.error.clone().unwrap_or_default(), cause.clone()),
                None => Mock::throw_error(t.error.clone().unwrap_or_default()),
            },
        };
        sequence.extend(std::iter::repeat_n(mock, to - from + 1));
    }
    if sequence.is_empty() {
        return Err(error(
            path,
            format!("MockedResponses.{name} has no responses; give at least \"0\""),
        ));
    }
    Ok(Mock::sequence(sequence))
}

impl MockConfig {
    /// Reads a mock configuration file. A relative path is relative to the package's
    /// `Cargo.toml` folder.
    ///
    /// # Errors
    /// When the file cannot be read, is not a mock configuration (naming the line), or a test
    /// case names a response the file does not define.
    pub fn load(path: impl AsRef<Path>) -> Result<MockConfig> {
        let path = crate::harness::resolve(path.as_ref());
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let file: File = serde_json::from_str(&text).map_err(|e| Error::Table {
            file: path.clone(),
            line: Some(e.line()),
            message: format!("not a Step Functions Local mock configuration: {e}"),
        })?;
        let mut responses = BTreeMap::new();
        for (name, r) in &file.mocked_responses {
            responses.insert(name.as_str(), answers(&path, name, r)?);
        }
        let mut cases = BTreeMap::new();
        for (machine, sm) in &file.state_machines {
            for (case, states) in &sm.test_cases {
                let mut mocks = Vec::new();
                for (state, response) in states {
                    let Some(mock) = responses.get(response.as_str()) else {
                        let known: Vec<&str> = responses.keys().copied().collect();
                        return Err(error(
                            &path,
                            format!(
                                "StateMachines.{machine}.TestCases.{case}: state {state:?} uses the response {response:?}, which MockedResponses does not define; it defines {}",
                                known.join(", ")
                            ),
                        ));
                    };
                    mocks.push((state.clone(), mock.clone()));
                }
                cases.insert((machine.clone(), case.clone()), mocks);
            }
        }
        Ok(MockConfig { path, cases })
    }

    /// The mocks of a test case, by state name, to pass to
    /// [`Scenario::mocks`](crate::Scenario::mocks). `name` is the test case's name, or
    /// `"StateMachine/TestCase"` when several state machines have a case of that name.
    ///
    /// # Errors
    /// When no test case (or more than one) has that name.
    pub fn test_case(&self, name: &str) -> Result<Vec<(String, Mock)>> {
        let matching: Vec<_> = self
            .cases
            .iter()
            .filter(|((machine, case), _)| case == name || format!("{machine}/{case}") == name)
            .collect();
        match matching.as_slice() {
            [(_, mocks)] => Ok(mocks.to_vec()),
            [] => {
                let known: Vec<String> = self.cases.keys().map(|(m, c)| format!("{m}/{c}")).collect();
                Err(error(
                    &self.path,
                    format!("no test case {name:?}; the test cases are {}", known.join(", ")),
                ))
            }
            several => {
                let names: Vec<String> = several.iter().map(|((m, c), _)| format!("{m}/{c}")).collect();
                Err(error(
                    &self.path,
                    format!(
                        "several state machines have a test case {name:?}; name one of {}",
                        names.join(", ")
                    ),
                ))
            }
        }
    }
}
