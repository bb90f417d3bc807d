//! One table file: its schema (unknown keys are errors), loading, and running a case.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::harness::{Execution, StateMachine};
use crate::integrations::{Mock, contains_subset};
use crate::json::json_equal;
use crate::sam::Template;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    template: Option<String>,
    state_machine: Option<String>,
    definition: Option<String>,
    #[serde(default)]
    substitutions: BTreeMap<String, String>,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    #[serde(default)]
    mocks: BTreeMap<String, Value>,
    /// Objects in the virtual S3 for every case (Distributed Map `ItemReader` input).
    #[serde(default)]
    s3_objects: Vec<S3ObjectEntry>,
    cases: Vec<RawCase>,
}

/// An object put in the scenario's virtual S3.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3ObjectEntry {
    bucket: String,
    key: String,
    body: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    #[serde(default)]
    input: Option<Value>,
    /// A SAM event of the template whose delivered input starts the case.
    #[serde(default)]
    trigger: Option<String>,
    /// The event that fires `trigger` (an EventBridge event, an Api request body).
    #[serde(default)]
    event: Option<Value>,
    #[serde(default)]
    mocks: BTreeMap<String, Value>,
    /// More objects in the virtual S3 for this case.
    #[serde(default)]
    s3_objects: Vec<S3ObjectEntry>,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    ignore: bool,
    expect: Expect,
}

/// What a case expects. Every field is optional; those given are all checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    status: Option<String>,
    output: Option<Value>,
    output_contains: Option<Value>,
    error: Option<String>,
    cause: Option<String>,
    path: Option<Vec<String>>,
    #[serde(default)]
    visited: Vec<String>,
    #[serde(default)]
    not_visited: Vec<String>,
    #[serde(default)]
    calls: BTreeMap<String, CallsExpect>,
    elapsed: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallsExpect {
    count: Option<usize>,
    inputs: Option<Vec<Value>>,
}

/// Builds a mock from its table-file form: `{return: v}`, `{throw: {error, cause}}`,
/// `{hang: true}`, `{raw: v}`, each with an optional `delay` (seconds or `"5m"`);
/// `{sequence: [...], repeat_last: true}`; `{when: [{input: subset, return: v}, ...],
/// otherwise: <mock>}`; or a list, which is a sequence.
fn mock_from_value(v: &Value) -> std::result::Result<Mock, String> {
    const KEYS: &[&str] = &[
        "return",
        "raw",
        "throw",
        "hang",
        "delay",
        "sequence",
        "repeat_last",
        "when",
        "otherwise",
        "input",
    ];
    let obj = match v {
        Value::Array(items) => {
            return Ok(Mock::sequence(
                items
                    .iter()
                    .map(mock_from_value)
                    .collect::<std::result::Result<Vec<_>, _>>()?,
            ));
        }
        Value::Object(obj) => obj,
        other => {
            return Err(format!(
                "a mock is an object such as {{return: ...}} or a list of them, found {other}"
            ));
        }
    };
    if let Some(bad) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "unknown key '{bad}'; a mock takes return, raw, throw, hang, delay, sequence, repeat_last, when, otherwise"
        ));
    }
    let answers: Vec<&str> = ["return", "raw", "throw", "hang", "sequence", "when"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if answers.len() != 1 {
        return Err(format!(
            "a mock needs exactly one of return, raw, throw, hang, sequence, when; found {}",
            if answers.is_empty() {
                "none".to_string()
            } else {
                answers.join(", ")
            }
        ));
    }
    let value = &obj[answers[0]];
    let mock = match answers[0] {
        "return" => Mock::ret(value.clone()),
        "raw" => Mock::raw(Mock::ret(value.clone())),
        "throw" => {
            let error = value
                .get("error")
                .and_then(Value::as_str)
                .ok_or("throw needs {error: Name, cause: text}")?;
            if let Some(bad) = value
                .as_object()
                .and_then(|o| o.keys().find(|k| *k != "error" && *k != "cause"))
            {
                return Err(format!("unknown key '{bad}' in throw; it takes error and cause"));
            }
            match value.get("cause") {
                Some(Value::String(c)) => Mock::throw(error, c),
                None | Some(Value::Null) => Mock::throw_error(error),
                Some(other) => Mock::throw(error, other.to_string()),
            }
        }
        "hang" => {
            if value != &Value::Bool(true) {
                return Err("hang takes `true`".into());
            }
            Mock::hang()
        }
        "sequence" => {
            let items = value.as_array().ok_or("sequence takes a list of mocks")?;
            let m = Mock::sequence(
                items
                    .iter()
                    .map(mock_from_value)
                    .collect::<std::result::Result<Vec<_>, _>>()?,
            );
            if obj.get("repeat_last") == Some(&Value::Bool(true)) {
                m.repeat_last()
            } else {
                m
            }
        }
        _ => {
            let rules = value
                .as_array()
                .filter(|r| !r.is_empty())
                .ok_or("when takes a non-empty list of {input: subset, <mock>}")?;
            let mut chain: Option<Mock> = None;
            for rule in rules {
                let subset = rule
                    .get("input")
                    .ok_or("each `when` rule needs `input`: the subset of the call's input it matches")?
                    .clone();
                let mut answer = rule.clone();
                if let Some(o) = answer.as_object_mut() {
                    o.remove("input");
                }
                let answer = mock_from_value(&answer)?;
                chain = Some(match chain {
                    None => Mock::when(subset, answer),
                    Some(c) => c.and_when(subset, answer),
                });
            }
            let mut chain = chain.ok_or("when needs at least one rule")?;
            if let Some(o) = obj.get("otherwise") {
                chain = chain.otherwise(mock_from_value(o)?);
            }
            chain
        }
    };
    if obj.contains_key("repeat_last") && answers[0] != "sequence" {
        return Err("repeat_last only applies to a sequence".into());
    }
    if obj.contains_key("otherwise") && answers[0] != "when" {
        return Err("otherwise only applies to `when`".into());
    }
    if obj.contains_key("input") {
        return Err("`input` belongs inside a `when` rule".into());
    }
    Ok(match obj.get("delay") {
        Some(d) => Mock::after(parse_duration(d)?, mock),
        None => mock,
    })
}

/// Seconds as a number, or a string such as `90s`, `5m`, `2h`, `1d`, `1y` (365 days).
fn parse_duration(v: &Value) -> std::result::Result<Duration, String> {
    if let Some(n) = v.as_f64()
        && n >= 0.0
    {
        return Ok(Duration::from_secs_f64(n));
    }
    let text = v
        .as_str()
        .ok_or_else(|| format!("a duration is seconds or a string like \"5m\", found {v}"))?
        .trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("a duration is seconds or a string like \"5m\", found {text:?}"))?;
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "y" => 31_536_000.0,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {text:?}; use ms, s, m, h, d or y"
            ));
        }
    };
    Ok(Duration::from_secs_f64(n * scale))
}

/// A loaded table file.
#[derive(Debug)]
pub struct CaseFile {
    path: PathBuf,
    machine: StateMachine,
    mocks: BTreeMap<String, Mock>,
    s3_objects: Vec<S3ObjectEntry>,
    pub(crate) cases: Vec<Case>,
}

#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) name: String,
    input: Value,
    trigger: Option<(String, Option<Value>)>,
    mocks: BTreeMap<String, Mock>,
    s3_objects: Vec<S3ObjectEntry>,
    start_time: Option<String>,
    seed: Option<u64>,
    pub(crate) ignore: bool,
    expect: Expect,
}

fn table_error(path: &Path, line: Option<usize>, message: impl Into<String>) -> Error {
    Error::Table {
        file: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Loads and checks a table file (the state machine it names is loaded too).
pub fn load_file(path: &Path) -> Result<CaseFile> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    let raw: RawFile = if is_json {
        serde_json::from_str(&text).map_err(|e| table_error(path, Some(e.line()), explain(&e.to_string())))?
    } else {
        serde_yaml::from_str(&text)
            .map_err(|e| table_error(path, e.location().map(|l| l.line()), explain(&e.to_string())))?
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let machine = match (&raw.template, &raw.state_machine, &raw.definition) {
        (Some(t), Some(sm), None) => {
            let mut template = Template::load(base.join(t))?;
            for (k, v) in &raw.parameters {
                template = template.parameter(k, v.clone());
            }
            StateMachine::from_loaded_template(&template, sm)?
        }
        (None, None, Some(d)) => StateMachine::from_asl_file_with(base.join(d), &raw.substitutions)?,
        (Some(_), None, None) => {
            return Err(table_error(
                path,
                None,
                "`template` needs `state_machine`: the logical id of the state machine resource",
            ));
        }
        _ => {
            return Err(table_error(
                path,
                None,
                "name the state machine with `template` + `state_machine`, or with `definition` (an ASL file), relative to this file",
            ));
        }
    };
    let convert = |mocks: &BTreeMap<String, Value>, case: Option<&str>| -> Result<BTreeMap<String, Mock>> {
        mocks
            .iter()
            .map(|(k, m)| {
                mock_from_value(m).map(|mock| (k.clone(), mock)).map_err(|e| {
                    let place = case.map_or(String::new(), |c| format!(" in case '{c}'"));
                    table_error(path, None, format!("mock '{k}'{place}: {e}"))
                })
            })
            .collect()
    };
    let mocks = convert(&raw.mocks, None)?;
    let mut cases = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for c in raw.cases {
        if !seen.insert(c.name.clone()) {
            return Err(table_error(
                path,
                None,
                format!("two cases are named '{}': case names must be unique", c.name),
            ));
        }
        if let Some(s) = &c.expect.status
            && !["SUCCEEDED", "FAILED", "TIMED_OUT"].contains(&s.as_str())
        {
            return Err(table_error(
                path,
                None,
                format!(
                    "case '{}': status must be SUCCEEDED, FAILED or TIMED_OUT, found {s:?}",
                    c.name
                ),
            ));
        }
        if let Some(e) = &c.expect.elapsed {
            parse_duration(e).map_err(|m| table_error(path, None, format!("case '{}': elapsed: {m}", c.name)))?;
        }
        let trigger = match (c.trigger, c.event, &c.input) {
            (Some(_), _, Some(_)) => {
                return Err(table_error(
                    path,
                    None,
                    format!(
                        "case '{}': a triggered case's input is what its event delivers; drop `input` (or give the event with `event:`)",
                        c.name
                    ),
                ));
            }
            (None, Some(_), _) => {
                return Err(table_error(
                    path,
                    None,
                    format!("case '{}': `event` goes with `trigger: <SAM event name>`", c.name),
                ));
            }
            (Some(t), event, None) => {
                let events: Vec<&str> = machine
                    .spec()
                    .map(|s| s.events.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                if !events.contains(&t.as_str()) {
                    return Err(table_error(
                        path,
                        None,
                        format!(
                            "case '{}': trigger {t:?} is not one of the state machine's SAM Events ({})",
                            c.name,
                            if events.is_empty() {
                                "it has none".to_string()
                            } else {
                                events.join(", ")
                            }
                        ),
                    ));
                }
                Some((t, event))
            }
            (None, None, _) => None,
        };
        let case_mocks = convert(&c.mocks, Some(&c.name))?;
        cases.push(Case {
            name: c.name,
            input: c.input.unwrap_or_else(|| Value::Object(serde_json::Map::new())),
            trigger,
            s3_objects: c.s3_objects,
            mocks: case_mocks,
            start_time: c.start_time,
            seed: c.seed,
            ignore: c.ignore,
            expect: c.expect,
        });
    }
    if cases.is_empty() {
        return Err(table_error(path, None, "`cases` is empty: add at least one case"));
    }
    Ok(CaseFile {
        path: path.to_path_buf(),
        machine,
        mocks,
        s3_objects: raw.s3_objects,
        cases,
    })
}

fn explain(message: &str) -> String {
    if message.contains("unknown field") {
        format!("{message}; check the spelling (see the table file format in the sfn_test::table docs)")
    } else {
        message.to_string()
    }
}

impl CaseFile {
    /// The number of cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// True when there are no cases (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Runs case `index` and checks every expectation; the error lists every mismatch.
    pub fn run_case(&self, index: usize) -> std::result::Result<(), String> {
        let case = &self.cases[index];
        let mut scenario = match &case.trigger {
            None => Ok(self.machine.scenario().input(case.input.clone())),
            Some((event, None)) => self.machine.trigger(event),
            Some((event, Some(delivered))) => self.machine.trigger_event(event, delivered.clone()),
        }
        .map_err(|e| format!("{}: case '{}': {e}", self.path.display(), case.name))?;
        for (k, m) in &self.mocks {
            scenario = scenario.fallback_mock(k.clone(), m.clone());
        }
        for o in self.s3_objects.iter().chain(&case.s3_objects) {
            scenario = scenario.s3_object(o.bucket.clone(), o.key.clone(), o.body.clone());
        }
        for (k, m) in &case.mocks {
            scenario = scenario.mock(k.clone(), m.clone());
        }
        if let Some(t) = &case.start_time {
            scenario = scenario.start_time(t);
        }
        if let Some(s) = case.seed {
            scenario = scenario.seed(s);
        }
        let run = scenario
            .run()
            .map_err(|e| format!("{}: case '{}': {e}", self.path.display(), case.name))?;
        let problems = check(&run, &case.expect);
        if problems.is_empty() {
            Ok(())
        } else {
            let mut message = format!("{}: case '{}' failed:\n", self.path.display(), case.name);
            for p in problems {
                let _ = writeln!(message, "- {p}");
            }
            let _ = write!(
                message,
                "  (status {}, path: {})",
                run.status().as_str(),
                run.path().join(" → ")
            );
            Err(message)
        }
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn check(run: &Execution, expect: &Expect) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(s) = &expect.status
        && run.status().as_str() != s
    {
        problems.push(format!(
            "status: expected {s}, got {}{}",
            run.status().as_str(),
            run.error()
                .map(|e| format!(" ({e}: {})", run.cause().unwrap_or("")))
                .unwrap_or_default()
        ));
    }
    if let Some(e) = &expect.error
        && run.error() != Some(e.as_str())
    {
        problems.push(format!("error: expected {e:?}, got {:?}", run.error()));
    }
    if let Some(c) = &expect.cause
        && run.cause() != Some(c.as_str())
    {
        problems.push(format!("cause: expected {c:?}, got {:?}", run.cause()));
    }
    if let Some(o) = &expect.output {
        match run.output() {
            Some(actual) if json_equal(actual, o) => {}
            Some(actual) => problems.push(format!(
                "output differs (left: expected, right: actual):\n{}",
                pretty_assertions::StrComparison::new(&pretty(o), &pretty(actual))
            )),
            None => problems.push(format!("output: expected {o}, but there is no output")),
        }
    }
    if let Some(o) = &expect.output_contains {
        let actual = run.output().cloned().unwrap_or(Value::Null);
        if !contains_subset(&actual, o) {
            problems.push(format!("output does not contain {o}; output: {actual}"));
        }
    }
    if let Some(p) = &expect.path
        && run.path() != p.as_slice()
    {
        problems.push(format!(
            "path differs (left: expected, right: actual):\n{}",
            pretty_assertions::Comparison::new(p, &run.path().to_vec())
        ));
    }
    for v in &expect.visited {
        if !run.path().iter().any(|s| s == v) {
            problems.push(format!("state '{v}' was not entered"));
        }
    }
    for v in &expect.not_visited {
        if run.path().iter().any(|s| s == v) {
            problems.push(format!("state '{v}' was entered, expected not"));
        }
    }
    for (key, c) in &expect.calls {
        let calls = run.calls(key);
        if let Some(n) = c.count
            && calls.len() != n
        {
            problems.push(format!("calls of '{key}': expected {n}, got {}", calls.len()));
        }
        if let Some(inputs) = &c.inputs {
            let actual: Vec<Value> = calls.into_iter().cloned().collect();
            let same = actual.len() == inputs.len() && actual.iter().zip(inputs).all(|(a, b)| json_equal(a, b));
            if !same {
                problems.push(format!(
                    "inputs of '{key}' differ (left: expected, right: actual):\n{}",
                    pretty_assertions::Comparison::new(inputs, &actual)
                ));
            }
        }
    }
    if let Some(e) = &expect.elapsed
        && let Ok(d) = parse_duration(e)
        && run.elapsed() != d
    {
        problems.push(format!(
            "elapsed: expected {d:?}, got {:?} (virtual time)",
            run.elapsed()
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration(&json!(2)), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration(&json!("5m")), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration(&json!("1y")), Ok(Duration::from_secs(31_536_000)));
        assert!(parse_duration(&json!("5 parsecs")).is_err());
    }
}
