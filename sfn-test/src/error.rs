//! The harness error: what stops a test before or while it runs a state machine.
//!
//! An execution that fails the way AWS would (`States.TaskFailed`, a `Fail` state, a timeout)
//! is not an error: it is an [`Execution`](crate::Execution) whose status says so.

use std::fmt;
use std::path::PathBuf;

/// `Result` with the harness [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One finding of definition validation: what is wrong, where, and its code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable code, as `ValidateStateMachineDefinition` reports it (`SCHEMA_VALIDATION_FAILED`,
    /// `MISSING_TRANSITION_TARGET`, ...).
    pub code: &'static str,
    /// What is wrong, and how to fix it.
    pub message: String,
    /// Where: a JSON pointer into the definition (`/States/Charge/Next`).
    pub pointer: String,
    /// The 1-based line of the definition file the pointer leads to, when known.
    pub line: Option<usize>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}, ")?;
        }
        write!(
            f,
            "{}: {} [{}]",
            pointer_or_root(&self.pointer),
            self.message,
            self.code
        )
    }
}

fn pointer_or_root(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// Where a definition came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source(pub String);

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything that stops the harness: bad files, invalid definitions, missing mocks, runaway
/// executions. Each message names the file, the state and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// The SAM / CloudFormation template did not load.
    #[error(transparent)]
    Template(#[from] crate::sam::SamError),

    /// A definition file is not valid JSON or YAML.
    #[error("{source_name}: not a valid state machine definition: {message}")]
    Syntax {
        /// The file (or `inline definition`).
        source_name: Source,
        /// What the parser said, with line and column.
        message: String,
    },

    /// The definition does not validate.
    #[error("{source_name}: invalid state machine definition:\n{}", list(.diagnostics))]
    Invalid {
        /// The file (or `inline definition`).
        source_name: Source,
        /// Every finding.
        diagnostics: Vec<Diagnostic>,
    },

    /// A Task state was called and no mock answers it.
    #[error(
        "unmocked Task: state '{state}' (resource {resource}) was called and no mock answers it; \
         mock it by one of: {}; e.g. `.mock({:?}, json!({{...}}))`",
        keys.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", "),
        keys.first().map_or(state.as_str(), String::as_str)
    )]
    UnmockedTask {
        /// The Task state's name.
        state: String,
        /// Its `Resource`.
        resource: String,
        /// The keys a mock could have been registered under, most specific first.
        keys: Vec<String>,
    },

    /// A `Mock::sequence` was called more times than it has answers.
    #[error(
        "mock {key:?} ran out of answers: call {call} of state '{state}', but the sequence has {len}; \
         add answers or end it with `.repeat_last()`"
    )]
    MockExhausted {
        /// The key the mock was registered under.
        key: String,
        /// The state that called it.
        state: String,
        /// The 1-based call number.
        call: usize,
        /// How many answers the sequence has.
        len: usize,
    },

    /// The execution exceeded the history event limit: most likely a loop that never ends.
    #[error(
        "execution exceeded {limit} history events (AWS's limit), last in state '{state}'; the last \
         states entered were: {}; check the loop's exit condition or raise the limit with `.history_limit(n)`",
        recent.join(" → ")
    )]
    HistoryLimit {
        /// The limit.
        limit: usize,
        /// The state being entered when it was hit.
        state: String,
        /// The last states entered, oldest first.
        recent: Vec<String>,
    },

    /// A scenario is set up wrongly (a mock key that matches nothing, a bad start time).
    #[error("invalid scenario: {0}")]
    Scenario(String),

    /// A Task handler never finished and nothing else was left to run.
    #[error("execution cannot make progress: {0}")]
    Stalled(String),

    /// `run()` was called inside an async runtime.
    #[error(
        "Scenario::run() blocks and cannot be called inside an async runtime; use `.run_async().await` in async tests"
    )]
    NestedRuntime,

    /// A table-driven test file is malformed.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Table {
        /// The file.
        file: PathBuf,
        /// The line, when known.
        line: Option<usize>,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A state named in a scenario or expectation does not exist.
    #[error("no state named '{name}' in the state machine; states are: {}", known.join(", "))]
    UnknownState {
        /// The name given.
        name: String,
        /// The states there are.
        known: Vec<String>,
    },
}

fn list(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  - {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}
