//! A finished execution and the assertions tests make on it.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::clock::Millis;
use crate::engine::{CallRecord, Event, Outcome, PendingCall, S3Object, Status, Visits};
use crate::json::json_equal;

/// A finished execution: status, output, the states entered, the history, the Task calls and
/// the virtual time it took.
#[derive(Debug)]
pub struct Execution {
    // Boxed: an execution is handed from the engine to the test through several calls, and
    // moving a pointer costs nothing where moving the whole cost as much as a short state.
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    outcome: Outcome,
    /// The Task calls, written out on first read (`outcome.calls` is then empty).
    calls: OnceLock<Vec<CallRecord>>,
    pending_calls: Mutex<Vec<PendingCall>>,
    /// `outcome.path`, `outcome.top_path` and `outcome.visits` as the API shows them, made on
    /// first read.
    path: OnceLock<Vec<String>>,
    top_path: OnceLock<Vec<String>>,
    visits: OnceLock<Visits>,
    /// The history as the API shows it, made on first read.
    history: OnceLock<Vec<Event>>,
    start: Millis,
    state_machine: std::sync::Arc<str>,
    trigger: Option<String>,
}

impl Execution {
    pub(crate) fn new(mut outcome: Outcome, start: Millis, state_machine: std::sync::Arc<str>) -> Self {
        let pending_calls = Mutex::new(std::mem::take(&mut outcome.calls));
        Execution {
            inner: Box::new(Inner {
                outcome,
                calls: OnceLock::new(),
                pending_calls,
                path: OnceLock::new(),
                top_path: OnceLock::new(),
                visits: OnceLock::new(),
                history: OnceLock::new(),
                start,
                state_machine,
                trigger: None,
            }),
        }
    }

    /// Records the event that triggered the execution, for coverage.
    pub(crate) fn set_trigger(&mut self, trigger: Option<String>) {
        self.inner.trigger = trigger;
    }

    /// How the execution ended.
    pub fn status(&self) -> &Status {
        &self.inner.outcome.status
    }

    /// The output of a successful execution.
    pub fn output(&self) -> Option<&Value> {
        self.inner.outcome.output.as_ref()
    }

    /// The error of a failed or timed-out execution.
    pub fn error(&self) -> Option<&str> {
        match &self.inner.outcome.status {
            Status::Succeeded => None,
            Status::Failed { error, .. } | Status::TimedOut { error, .. } => Some(error),
        }
    }

    /// The cause of a failed or timed-out execution, when there is one.
    pub fn cause(&self) -> Option<&str> {
        match &self.inner.outcome.status {
            Status::Succeeded => None,
            Status::Failed { cause, .. } | Status::TimedOut { cause, .. } => cause.as_deref(),
        }
    }

    /// The name of every state entered, in order, states inside Parallel branches and Map
    /// iterations included.
    pub fn path(&self) -> &[String] {
        self.inner.path.get_or_init(|| {
            self.inner
                .outcome
                .path
                .iter()
                .map(|&id| self.name_of(id).to_string())
                .collect()
        })
    }

    /// The states entered outside any Parallel branch or Map iteration, in order.
    pub fn top_path(&self) -> &[String] {
        self.inner.top_path.get_or_init(|| {
            let path = &self.inner.outcome.path;
            match &self.inner.outcome.top_path {
                Some(top) => top
                    .iter()
                    .filter_map(|&i| path.get(i))
                    .map(|&id| self.name_of(id).to_string())
                    .collect(),
                None => self.path().to_vec(),
            }
        })
    }

    /// The name of the state numbered `id` in the execution's definition.
    fn name_of(&self, id: u32) -> &str {
        self.inner.outcome.context.state_name(id)
    }

    /// Whether the execution entered `state`.
    fn entered(&self, state: &str) -> bool {
        self.inner.outcome.path.iter().any(|&id| self.name_of(id) == state)
    }

    /// The history events, shaped like AWS's, with virtual timestamps.
    pub fn history(&self) -> &[Event] {
        self.inner.history.get_or_init(|| {
            let outcome = &self.inner.outcome;
            // One shared context for all of the events, made when the history is first read.
            let context = std::sync::Arc::new(outcome.context.clone());
            outcome.history.to_events(&context)
        })
    }

    /// The history as AWS's `GetExecutionHistory` JSON `events` array.
    pub fn history_json(&self) -> Value {
        Value::Array(self.history().iter().map(Event::to_json).collect())
    }

    /// The input of every Task call a mock under `key` could answer (a state name, logical
    /// id, function name or ARN), in call order, retries included.
    pub fn calls(&self, key: &str) -> Vec<&Value> {
        self.records()
            .iter()
            .filter(|c| c.keys.iter().any(|k| k == key))
            .map(|c| &c.call.input)
            .collect()
    }

    /// Every Task call with its keys and result.
    pub fn all_calls(&self) -> &[CallRecord] {
        self.records()
    }

    fn records(&self) -> &[CallRecord] {
        self.inner.calls.get_or_init(|| {
            let pending = match self.inner.pending_calls.lock() {
                Ok(mut p) => std::mem::take(&mut *p),
                Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
            };
            let context = &self.inner.outcome.context;
            pending.into_iter().map(|call| call.into_record(context)).collect()
        })
    }

    /// The workflow variables as they were after `state` assigned them.
    pub fn variables_at(&self, state: &str) -> Option<&Map<String, Value>> {
        self.inner.outcome.variables.as_ref()?.get(state)
    }

    /// The virtual time the execution took.
    pub fn elapsed(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.inner.outcome.end - self.inner.start).unwrap_or(0))
    }

    /// What the execution visited: states, transitions, Choice rules, retries, catches.
    pub fn visits(&self) -> &Visits {
        self.inner.visits.get_or_init(|| self.inner.outcome.visits.to_visits())
    }

    /// The objects the execution's Distributed Map `ResultWriter`s wrote to the virtual S3
    /// (manifest and result files), by bucket and key.
    pub fn s3_objects(&self) -> &[S3Object] {
        &self.inner.outcome.s3_objects
    }

    /// The body of the object a `ResultWriter` wrote at `bucket`/`key`.
    pub fn s3_object(&self, bucket: &str, key: &str) -> Option<&str> {
        self.inner
            .outcome
            .s3_objects
            .iter()
            .find(|o| o.bucket == bucket && o.key == key)
            .map(|o| o.body.as_str())
    }

    /// The state machine's name.
    pub fn state_machine(&self) -> &str {
        &self.inner.state_machine
    }

    /// The SAM event that started the execution, when it came from
    /// [`StateMachine::trigger`](crate::StateMachine::trigger).
    pub fn trigger(&self) -> Option<&str> {
        self.inner.trigger.as_deref()
    }

    fn describe(&self) -> String {
        let mut s = format!("status {}", self.inner.outcome.status.as_str());
        if let Some(e) = self.error() {
            s.push_str(&format!(", error {e:?}"));
        }
        if let Some(c) = self.cause() {
            s.push_str(&format!(", cause {c:?}"));
        }
        s.push_str(&format!("; path: {}", self.path().join(" → ")));
        s
    }

    /// Panics unless the execution succeeded.
    #[track_caller]
    pub fn assert_succeeded(&self) -> &Self {
        assert!(
            self.inner.outcome.status == Status::Succeeded,
            "expected the execution of '{}' to succeed, but it ended with {}",
            self.inner.state_machine,
            self.describe()
        );
        self
    }

    /// Panics unless the execution failed with this error name.
    #[track_caller]
    pub fn assert_failed_with(&self, error: &str) -> &Self {
        let ok = matches!(&self.inner.outcome.status, Status::Failed { error: e, .. } if e == error);
        assert!(
            ok,
            "expected the execution of '{}' to fail with {error:?}, but it ended with {}",
            self.inner.state_machine,
            self.describe()
        );
        self
    }

    /// Panics unless the execution failed with this error and cause.
    #[track_caller]
    pub fn assert_failed_with_cause(&self, error: &str, cause: &str) -> &Self {
        self.assert_failed_with(error);
        pretty_assertions::assert_eq!(self.cause(), Some(cause), "cause of the failure");
        self
    }

    /// Panics unless the execution timed out.
    #[track_caller]
    pub fn assert_timed_out(&self) -> &Self {
        assert!(
            matches!(self.inner.outcome.status, Status::TimedOut { .. }),
            "expected the execution of '{}' to time out, but it ended with {}",
            self.inner.state_machine,
            self.describe()
        );
        self
    }

    /// Panics unless the states entered are exactly these, in order.
    #[track_caller]
    pub fn assert_path<I, S>(&self, expected: I) -> &Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let expected: Vec<String> = expected.into_iter().map(|s| s.as_ref().to_string()).collect();
        pretty_assertions::assert_eq!(
            self.path(),
            expected,
            "states entered by '{}'",
            self.inner.state_machine
        );
        self
    }

    /// Panics unless the execution entered `state` at least once.
    #[track_caller]
    pub fn assert_visited(&self, state: &str) -> &Self {
        assert!(
            self.entered(state),
            "expected state '{state}' to be entered; path: {}",
            self.path().join(" → ")
        );
        self
    }

    /// Panics if the execution entered `state`.
    #[track_caller]
    pub fn assert_not_visited(&self, state: &str) -> &Self {
        assert!(
            !self.entered(state),
            "expected state '{state}' not to be entered; path: {}",
            self.path().join(" → ")
        );
        self
    }

    /// Panics unless the output equals `expected` (JSON equality; numbers by value).
    #[track_caller]
    pub fn assert_output(&self, expected: impl Into<Value>) -> &Self {
        let expected = expected.into();
        let Some(actual) = self.output() else {
            panic!(
                "expected output {expected}, but the execution of '{}' ended with {}",
                self.inner.state_machine,
                self.describe()
            );
        };
        if !json_equal(actual, &expected) {
            pretty_assertions::assert_eq!(
                serde_json::to_string_pretty(actual).unwrap_or_default(),
                serde_json::to_string_pretty(&expected).unwrap_or_default(),
                "output of '{}' (left: actual, right: expected)",
                self.inner.state_machine
            );
        }
        self
    }

    /// Panics unless the output contains `subset` (objects: the subset's keys with matching
    /// values, recursively).
    #[track_caller]
    pub fn assert_output_contains(&self, subset: impl Into<Value>) -> &Self {
        let subset = subset.into();
        let actual = self.output().cloned().unwrap_or(Value::Null);
        if !crate::integrations::contains_subset(&actual, &subset) {
            pretty_assertions::assert_eq!(
                serde_json::to_string_pretty(&actual).unwrap_or_default(),
                serde_json::to_string_pretty(&subset).unwrap_or_default(),
                "output of '{}' does not contain the expected subset (left: actual, right: subset)",
                self.inner.state_machine
            );
        }
        self
    }
}
