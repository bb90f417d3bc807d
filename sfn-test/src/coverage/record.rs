//! What a state machine offers to cover (its plan), what executions visited, merging, and the
//! coverage files test processes write.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};

use crate::asl::{Definition, StateKind};
use crate::engine::Visits;
use crate::error::{Error, Result};
use crate::harness::{Execution, StateMachine};

/// The rule index that stands for a Choice state's `Default`.
pub(crate) const DEFAULT_RULE: usize = usize::MAX;

/// What was visited, as sets of JSON pointers (and rule / retrier / catcher indices).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visited {
    /// States entered.
    pub states: BTreeSet<String>,
    /// Transitions taken, `(from, to)`.
    pub transitions: BTreeSet<(String, String)>,
    /// Choice rules taken, `(choice state, rule index)`; the largest index stands for `Default`.
    pub choice_rules: BTreeSet<(String, usize)>,
    /// Retriers that fired, `(state, retrier index)`.
    pub retriers: BTreeSet<(String, usize)>,
    /// Catchers that fired, `(state, catcher index)`.
    pub catchers: BTreeSet<(String, usize)>,
    /// SAM events that started executions.
    #[serde(default)]
    pub triggers: BTreeSet<String>,
}

impl Visited {
    fn merge(&mut self, other: &Visited) {
        self.states.extend(other.states.iter().cloned());
        self.transitions.extend(other.transitions.iter().cloned());
        self.choice_rules.extend(other.choice_rules.iter().cloned());
        self.retriers.extend(other.retriers.iter().cloned());
        self.catchers.extend(other.catchers.iter().cloned());
        self.triggers.extend(other.triggers.iter().cloned());
    }

    fn from_visits(v: &Visits) -> Visited {
        Visited {
            states: v.states.clone(),
            transitions: v.transitions.clone(),
            choice_rules: v.choice_rules.clone(),
            retriers: v.retries.clone(),
            catchers: v.catches.clone(),
            triggers: BTreeSet::new(),
        }
    }
}

/// The coverage of one state machine: everything it offers to cover and what was visited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// The state machine's name.
    pub name: String,
    /// Where its definition came from (a file path, or a template and resource).
    pub source: String,
    /// Every state, JSON pointer → name, nested branches and iterators included.
    pub states: BTreeMap<String, String>,
    /// Every transition the definition can take: `Next`, Choice targets, Catch targets.
    pub transitions: BTreeSet<(String, String)>,
    /// Every Choice rule (the largest index stands for `Default`).
    pub choice_rules: BTreeSet<(String, usize)>,
    /// Every retrier.
    pub retriers: BTreeSet<(String, usize)>,
    /// Every catcher.
    pub catchers: BTreeSet<(String, usize)>,
    /// Every SAM event (`Events`) that can start the state machine.
    #[serde(default)]
    pub triggers: BTreeSet<String>,
    /// What the executions visited.
    pub visited: Visited,
    /// How many executions were merged in.
    pub executions: usize,
}

impl Coverage {
    /// The identity under which records of the same state machine merge.
    pub fn key(&self) -> String {
        format!("{}::{}", self.source, self.name)
    }

    /// Adds another record of the same state machine.
    pub fn merge(&mut self, other: &Coverage) {
        self.visited.merge(&other.visited);
        self.executions += other.executions;
    }

    /// The name of a state by its pointer (the pointer itself when unknown).
    pub fn state_name<'a>(&'a self, pointer: &'a str) -> &'a str {
        self.states.get(pointer).map_or(pointer, String::as_str)
    }
}

/// What a state machine offers to cover, with nothing visited.
fn plan_of(sm: &StateMachine) -> Coverage {
    // The same file reached by two paths (`tests/../statemachine/x.asl.json`) is one record.
    let source = std::fs::canonicalize(&sm.source.0).map_or_else(|_| sm.source.0.clone(), |p| p.display().to_string());
    let mut plan = Coverage {
        name: sm.name.to_string(),
        source,
        ..Coverage::default()
    };
    add_definition(&sm.definition, &mut plan);
    if let Some(spec) = &sm.spec {
        plan.triggers = spec.events.keys().cloned().collect();
    }
    plan
}

fn add_definition(definition: &Definition, plan: &mut Coverage) {
    let ptr = |i: usize| definition.states[i].pointer.to_string();
    for state in &definition.states {
        plan.states.insert(state.pointer.to_string(), state.name.to_string());
        if let Some(next) = state.next {
            plan.transitions.insert((state.pointer.to_string(), ptr(next)));
        }
        let (retry, catch) = match &state.kind {
            StateKind::Task(t) => (t.retry.len(), &t.catch[..]),
            StateKind::Parallel(p) => {
                p.branches.iter().for_each(|b| add_definition(b, plan));
                (p.retry.len(), &p.catch[..])
            }
            StateKind::Map(m) => {
                add_definition(&m.processor, plan);
                (m.retry.len(), &m.catch[..])
            }
            StateKind::Choice(c) => {
                for (i, (_, next, _)) in c.choices.iter().enumerate() {
                    plan.choice_rules.insert((state.pointer.to_string(), i));
                    plan.transitions.insert((state.pointer.to_string(), ptr(*next)));
                }
                // A JSONata Choice state keeps its rules in `rules` (`choices` is empty).
                for (i, rule) in c.rules.iter().enumerate() {
                    plan.choice_rules.insert((state.pointer.to_string(), i));
                    plan.transitions.insert((state.pointer.to_string(), ptr(rule.next)));
                }
                if let Some(default) = c.default {
                    plan.choice_rules.insert((state.pointer.to_string(), DEFAULT_RULE));
                    plan.transitions.insert((state.pointer.to_string(), ptr(default)));
                }
                (0, &[][..])
            }
            _ => (0, &[][..]),
        };
        for i in 0..retry {
            plan.retriers.insert((state.pointer.to_string(), i));
        }
        for (i, catcher) in catch.iter().enumerate() {
            plan.catchers.insert((state.pointer.to_string(), i));
            plan.transitions.insert((state.pointer.to_string(), ptr(catcher.next)));
        }
    }
}

impl StateMachine {
    /// What `run` (an execution of this state machine) covered of it. Merge several with
    /// [`Coverage::merge`].
    pub fn coverage(&self, run: &Execution) -> Coverage {
        let mut coverage = plan_of(self);
        coverage.visited = Visited::from_visits(run.visits());
        coverage.visited.triggers.extend(run.trigger().map(str::to_string));
        coverage.executions = 1;
        coverage
    }
}

/// One line of a coverage file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Line {
    /// A state machine's plan, written once per process.
    Plan(Coverage),
    /// One execution's visits.
    Visit {
        /// [`Coverage::key`].
        key: String,
        /// What it visited.
        visited: Visited,
    },
}

/// Where this process writes coverage, when `SFN_TEST_COVERAGE` asks for it.
fn output_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let enabled = std::env::var("SFN_TEST_COVERAGE").is_ok_and(|v| !v.is_empty() && v != "0");
        let dir = std::env::var_os("SFN_TEST_COVERAGE_DIR").map(PathBuf::from);
        if !enabled && dir.is_none() {
            return None;
        }
        Some(dir.unwrap_or_else(|| target_dir().join("sfn-test").join("coverage")))
    })
    .as_deref()
}

/// The cargo target folder: a test binary lives in `<target>/<profile>/deps/`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().ok();
    let from_exe = exe.as_deref().and_then(|e| {
        let parent = e.parent()?;
        let profile = if parent.file_name()? == "deps" {
            parent.parent()?
        } else {
            parent
        };
        profile.parent().map(Path::to_path_buf)
    });
    from_exe.unwrap_or_else(|| PathBuf::from("target"))
}

struct Sink {
    file: Option<std::fs::File>,
    planned: HashSet<String>,
}

/// Appends an execution's coverage to this process's coverage file, when enabled. Coverage is
/// a by-product of testing: a file that cannot be written is reported once and then ignored,
/// never failing a test.
pub(crate) fn record_execution(sm: &StateMachine, run: &Execution) {
    let Some(dir) = output_dir() else { return };
    static SINK: Mutex<Option<Sink>> = Mutex::new(None);
    let mut guard = SINK.lock().unwrap_or_else(PoisonError::into_inner);
    let sink = guard.get_or_insert_with(|| {
        let path = dir.join(format!("{}.jsonl", std::process::id()));
        let file = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(&path));
        let file = file
            .map_err(|e| {
                eprintln!(
                    "sfn-test: coverage is not recorded: cannot write {}: {e}",
                    path.display()
                )
            })
            .ok();
        Sink {
            file,
            planned: HashSet::new(),
        }
    });
    let coverage = sm.coverage(run);
    let key = coverage.key();
    let mut text = String::new();
    if sink.planned.insert(key.clone()) {
        let plan = Coverage {
            visited: Visited::default(),
            executions: 0,
            ..coverage.clone()
        };
        text.push_str(&serde_json::to_string(&Line::Plan(plan)).unwrap_or_default());
        text.push('\n');
    }
    text.push_str(
        &serde_json::to_string(&Line::Visit {
            key,
            visited: coverage.visited,
        })
        .unwrap_or_default(),
    );
    text.push('\n');
    if let Some(file) = &mut sink.file
        && let Err(e) = file.write_all(text.as_bytes())
    {
        eprintln!("sfn-test: coverage is not recorded: {e}");
        sink.file = None;
    }
}

/// Appends a coverage record to this process's file in `dir` (what `SFN_TEST_COVERAGE=1` does
/// for every execution), for suites that collect coverage themselves.
///
/// # Errors
/// When the folder or file cannot be written.
pub fn append(dir: impl AsRef<Path>, coverage: &Coverage) -> Result<()> {
    let dir = dir.as_ref();
    let path = dir.join(format!("{}.jsonl", std::process::id()));
    let io = |source| Error::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let plan = Coverage {
        visited: Visited::default(),
        executions: 0,
        ..coverage.clone()
    };
    let visit = Line::Visit {
        key: coverage.key(),
        visited: coverage.visited.clone(),
    };
    let text = format!(
        "{}\n{}\n",
        serde_json::to_string(&Line::Plan(plan)).unwrap_or_default(),
        serde_json::to_string(&visit).unwrap_or_default()
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

/// Reads and merges every coverage file under `dir`, one [`Coverage`] per state machine,
/// sorted by source and name.
///
/// # Errors
/// When the folder cannot be read, or a file is not a coverage file (naming the file and line).
pub fn load(dir: impl AsRef<Path>) -> Result<Vec<Coverage>> {
    let dir = dir.as_ref();
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut merged: BTreeMap<String, Coverage> = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let parsed: Line = serde_json::from_str(line).map_err(|e| Error::Table {
                file: path.clone(),
                line: Some(i + 1),
                message: format!("not a coverage record ({e}); delete the folder and run the tests again"),
            })?;
            match parsed {
                Line::Plan(plan) => {
                    merged.entry(plan.key()).or_insert(plan);
                }
                Line::Visit { key, visited } => match merged.get_mut(&key) {
                    Some(c) => {
                        c.visited.merge(&visited);
                        c.executions += 1;
                    }
                    None => {
                        return Err(Error::Table {
                            file: path.clone(),
                            line: Some(i + 1),
                            message: format!(
                                "a visit of {key} comes before its plan; the file is damaged: delete it and run the tests again"
                            ),
                        });
                    }
                },
            }
        }
    }
    Ok(merged.into_values().collect())
}
