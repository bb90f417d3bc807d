//! A scenario: one execution's input, mocks and settings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::execution::Execution;
use super::permissions;
use super::state_machine::StateMachine;
use crate::clock::{DEFAULT_START, Millis, parse_timestamp};
use crate::engine::{self, ChildMachine, RunConfig, S3Object, S3Objects};
use crate::error::{Error, Result};
use crate::integrations::Mock;

impl From<Value> for Mock {
    /// A JSON value is a mock that returns it.
    fn from(value: Value) -> Self {
        Mock::ret(value)
    }
}

/// Mocks, fallback mocks and the default mock, wrapped by a permission guard.
type GuardedMocks = (BTreeMap<String, Mock>, BTreeMap<String, Mock>, Option<Mock>);

/// AWS's limit on events in one execution's history.
pub const HISTORY_LIMIT: usize = 25_000;

/// The longest a Standard workflow execution may run: one year ("Step Functions service
/// quotas", maximum execution time).
const MAX_EXECUTION_TIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// Builds and runs one execution of a [`StateMachine`].
#[derive(Debug, Clone)]
pub struct Scenario<'m> {
    machine: &'m StateMachine,
    input: Value,
    mocks: BTreeMap<String, Mock>,
    fallback_mocks: BTreeMap<String, Mock>,
    default_mock: Option<Mock>,
    start: Millis,
    seed: u64,
    /// Borrowed while it is the default: no allocation for a scenario that keeps it.
    execution_name: std::borrow::Cow<'static, str>,
    history_limit: usize,
    record_history: bool,
    timeout: Duration,
    enforce_permissions: bool,
    start_error: Option<String>,
    /// The virtual S3's objects, by bucket and key.
    s3: S3Objects,
    /// The SAM event that started this scenario, for coverage.
    pub(crate) trigger: Option<String>,
    /// State machines that `states:startExecution` Tasks run as child executions.
    children: Vec<&'m StateMachine>,
}

impl<'m> Scenario<'m> {
    pub(crate) fn new(machine: &'m StateMachine) -> Self {
        Scenario {
            machine,
            input: Value::Object(serde_json::Map::new()),
            mocks: BTreeMap::new(),
            fallback_mocks: BTreeMap::new(),
            default_mock: None,
            start: DEFAULT_START,
            seed: 0,
            execution_name: "test-execution".into(),
            history_limit: HISTORY_LIMIT,
            record_history: true,
            timeout: MAX_EXECUTION_TIME,
            enforce_permissions: false,
            start_error: None,
            s3: S3Objects::new(),
            trigger: None,
            children: Vec::new(),
        }
    }

    /// The execution input (default `{}`).
    #[must_use]
    pub fn input(mut self, input: impl Into<Value>) -> Self {
        self.input = input.into();
        self
    }

    /// Answers Task calls matched by `key`: a state name (`"Outer/Inner"` for a state inside a
    /// Parallel or Map), a template resource's logical id, a function name or a full ARN.
    /// The first key that matches a call wins, in that order.
    #[must_use]
    pub fn mock(mut self, key: impl Into<String>, mock: impl Into<Mock>) -> Self {
        self.mocks.insert(key.into(), mock.into());
        self
    }

    /// Like [`mock`](Scenario::mock), but only consulted when no `.mock(..)` key matches the
    /// call: shared defaults (a table file's top-level `mocks`) that a scenario's own mocks
    /// override whatever key they use.
    #[must_use]
    pub fn fallback_mock(mut self, key: impl Into<String>, mock: impl Into<Mock>) -> Self {
        self.fallback_mocks.insert(key.into(), mock.into());
        self
    }

    /// Adds several mocks at once, e.g. a Step Functions Local test case:
    /// `.mocks(MockConfig::load("MockConfigFile.json")?.test_case("HappyPath")?)`.
    #[must_use]
    pub fn mocks<K: Into<String>>(mut self, mocks: impl IntoIterator<Item = (K, Mock)>) -> Self {
        for (key, mock) in mocks {
            self.mocks.insert(key.into(), mock);
        }
        self
    }

    /// Runs `child` as a child execution whenever a `states:startExecution` Task starts it (its
    /// `StateMachineArn` is the child's ARN, e.g. a `!Ref` to it in the same template) and no
    /// mock is keyed for that Task. The child runs with this scenario's mocks, on the same
    /// virtual clock; `.sync` and `.sync:2` Tasks wait for it and get its description
    /// (`Output`, `Status`, ...), and a failed child fails the Task with `States.TaskFailed`.
    /// The child's Task calls appear in [`Execution::calls`].
    #[must_use]
    pub fn child(mut self, child: &'m StateMachine) -> Self {
        self.children.push(child);
        self
    }

    /// Answers every Task call no other mock matches.
    #[must_use]
    pub fn default_mock(mut self, mock: impl Into<Mock>) -> Self {
        self.default_mock = Some(mock.into());
        self
    }

    /// The instant the virtual clock starts at (RFC 3339; default `2024-01-01T00:00:00Z`).
    #[must_use]
    pub fn start_time(mut self, timestamp: &str) -> Self {
        match parse_timestamp(timestamp) {
            Some(ms) => {
                self.start = ms;
                // Objects are put before the run starts: their LastModified follows the start.
                for object in self.s3.values_mut() {
                    object.last_modified = ms;
                }
            }
            None => self.start_error = Some(timestamp.to_string()),
        }
        self
    }

    /// The seed for everything random (`States.UUID`, `States.MathRandom`, retry jitter).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The execution's name (default `test-execution`).
    #[must_use]
    pub fn execution_name(mut self, name: impl Into<String>) -> Self {
        self.execution_name = std::borrow::Cow::Owned(name.into());
        self
    }

    /// The history event limit (default 25,000, as AWS).
    #[must_use]
    pub fn history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit;
        self
    }

    /// The longest the execution may run on the virtual clock (default one year, AWS's maximum).
    ///
    /// When it passes, the execution ends `TIMED_OUT` with `States.Timeout`, as with the
    /// definition's top-level `TimeoutSeconds`; the shorter of the two applies. A budget
    /// makes runs with long Waits or polling loops end early, e.g. when every Task is answered
    /// by one default mock.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Makes a Task call the state machine's role does not allow fail as it would in AWS:
    /// `States.TaskFailed` with an AccessDenied cause naming the action and the resource, which
    /// the state's `Retry` and `Catch` see. The role is the one the template gives (`Policies`,
    /// `Role` / `RoleArn` and their policies, connectors); calls the template cannot tell about
    /// are answered by their mocks. The call must still have a mock (or a default mock): the
    /// denial replaces its answer. See [`StateMachine::permission_report`] for the static check.
    #[must_use]
    pub fn enforce_permissions(mut self) -> Self {
        self.enforce_permissions = true;
        self
    }

    /// Puts an object in the scenario's virtual Amazon S3, where a Distributed Map's
    /// `ItemReader` reads it (`arn:aws:states:::s3:getObject`, `s3:listObjectsV2`). Every run
    /// starts from these objects; what a `ResultWriter` writes is in
    /// [`Execution::s3_objects`]. A bucket exists once an object is put in it; the object's
    /// `LastModified` is the scenario's start time.
    #[must_use]
    pub fn s3_object(mut self, bucket: impl Into<String>, key: impl Into<String>, body: impl Into<String>) -> Self {
        let (bucket, key) = (bucket.into(), key.into());
        let object = S3Object {
            bucket: bucket.clone(),
            key: key.clone(),
            body: body.into(),
            last_modified: self.start,
        };
        self.s3.insert((bucket, key), object);
        self
    }

    /// Skips recording the history (faster; `Execution::history()` is then empty).
    #[must_use]
    pub fn without_history(mut self) -> Self {
        self.record_history = false;
        self
    }

    /// Runs the execution to its end on the virtual clock and returns it.
    ///
    /// Blocks; inside an async test use [`run_async`](Scenario::run_async). The scenario is
    /// used up (its input becomes the execution's without a copy); clone it to run it again.
    pub fn run(self) -> Result<Execution> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::NestedRuntime);
        }
        crate::runtime::block_on_made(|| self.run_async())
    }

    /// Runs the execution to its end on the virtual clock; see [`run`](Scenario::run).
    pub async fn run_async(mut self) -> Result<Execution> {
        if let Some(bad) = &self.start_error {
            return Err(Error::Scenario(format!(
                "start_time {bad:?} is not an RFC 3339 timestamp such as \"2024-01-01T00:00:00Z\""
            )));
        }
        self.check_mock_keys()?;
        let guarded = self.guarded_mocks()?;
        let (mocks, fallback_mocks, default_mock) = match &guarded {
            Some((m, f, d)) => (m, f, d.as_ref()),
            None => (&self.mocks, &self.fallback_mocks, self.default_mock.as_ref()),
        };
        let (account, region) = (crate::DEFAULT_ACCOUNT, crate::DEFAULT_REGION);
        let children: Vec<ChildMachine<'_>> = self
            .children
            .iter()
            .map(|sm| ChildMachine {
                arn: sm.spec.as_ref().map_or_else(
                    || format!("arn:aws:states:{region}:{account}:stateMachine:{}", sm.name),
                    |spec| spec.arn.clone(),
                ),
                name: &sm.name,
                definition: &sm.definition,
                resources: &sm.resources,
            })
            .collect();
        let cfg = RunConfig {
            definition: &self.machine.definition,
            state_machine_name: &self.machine.name,
            account,
            region,
            execution_name: &self.execution_name,
            start: self.start,
            seed: self.seed,
            mocks,
            fallback_mocks,
            default_mock,
            resources: &self.machine.resources,
            history_limit: self.history_limit,
            record_history: self.record_history,
            max_duration: self.timeout,
            s3: &self.s3,
            express: self.machine.express,
            children: &children,
            depth: 0,
            tasks: Some(self.machine.tasks.get(&self.machine.definition)),
            sizes: Some(self.machine.tasks.sizes()),
        };
        let input = std::mem::take(&mut self.input);
        let outcome = engine::execute(cfg, input).await?;
        let mut run = Execution::new(outcome, self.start, self.machine.name.clone());
        run.set_trigger(self.trigger.clone());
        crate::coverage::record_execution(self.machine, &run);
        Ok(run)
    }

    /// With [`enforce_permissions`](Scenario::enforce_permissions), every mock wrapped so that
    /// a call the role does not allow is denied.
    fn guarded_mocks(&self) -> Result<Option<GuardedMocks>> {
        if !self.enforce_permissions {
            return Ok(None);
        }
        let Some(spec) = self.machine.spec() else {
            return Err(Error::Scenario(format!(
                "enforce_permissions needs the state machine's role, from a template; '{}' was not loaded from one",
                self.machine.name
            )));
        };
        let permissions = Arc::new(spec.permissions.clone());
        let env = permissions::Environment::of(&spec.arn);
        let guard = |m: &Mock| {
            permissions::guard(
                m.clone(),
                Arc::clone(&permissions),
                env.clone(),
                self.execution_name.to_string(),
            )
        };
        let wrap = |map: &BTreeMap<String, Mock>| map.iter().map(|(k, m)| (k.clone(), guard(m))).collect();
        Ok(Some((
            wrap(&self.mocks),
            wrap(&self.fallback_mocks),
            self.default_mock.as_ref().map(guard),
        )))
    }

    /// A mock key that names no Task state and no resource is almost always a typo.
    fn check_mock_keys(&self) -> Result<()> {
        if self.mocks.is_empty() && self.fallback_mocks.is_empty() {
            return Ok(());
        }
        let tasks = self.machine.tasks();
        let mut known: Vec<&str> = Vec::new();
        self.machine.definition.walk(&mut |s| known.push(&s.name));
        for key in self.mocks.keys().chain(self.fallback_mocks.keys()) {
            let last = key.rsplit('/').next().unwrap_or(key);
            let ok = known.iter().any(|n| *n == key || *n == last)
                || self.machine.resources.values().any(|id| id == key)
                || self.machine.resources.contains_key(key)
                || tasks.iter().any(|(_, r)| r == key || r.ends_with(&format!(":{key}")))
                || key.starts_with("arn:")
                // Without a template, a function name can only be checked at call time.
                || (self.machine.resources.is_empty() && !key.contains(' '));
            if !ok {
                let names: Vec<&str> = tasks.iter().map(|(n, _)| *n).collect();
                return Err(Error::Scenario(format!(
                    "mock key {key:?} matches no Task state and no resource of state machine '{}'; Task states are: {}",
                    self.machine.name,
                    if names.is_empty() {
                        "(none)".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use serde_json::json;

    fn machine() -> StateMachine {
        StateMachine::from_definition(json!({
            "StartAt": "Poll",
            "States": {
                "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "poll"}, "Next": "Wait"},
                "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
                "Done": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:done", "End": true}
            }
        }))
        .expect("valid definition")
    }

    #[test]
    fn default_mock_answers_tasks_no_other_mock_matches() {
        let sm = machine();
        let run = sm
            .scenario()
            .mock("Done", json!({"by": "state"}))
            .default_mock(json!({"by": "default"}))
            .run()
            .expect("runs");
        assert_eq!(run.status(), &Status::Succeeded);
        assert_eq!(run.output(), Some(&json!({"by": "state"})));
        assert_eq!(run.calls("Poll").len(), 1);
        let err = sm.scenario().mock("Done", json!({})).run().unwrap_err();
        assert!(
            matches!(err, Error::UnmockedTask { ref state, .. } if state == "Poll"),
            "{err}"
        );
    }

    #[test]
    fn timeout_ends_the_execution_on_the_virtual_clock() {
        let sm = machine();
        let run = sm
            .scenario()
            .default_mock(json!({}))
            .timeout(Duration::from_secs(60))
            .run()
            .expect("runs");
        assert!(matches!(run.status(), Status::TimedOut { error, .. } if error == "States.Timeout"));
        assert_eq!(run.elapsed(), Duration::from_secs(60));
        let run = sm.scenario().default_mock(json!({})).run().expect("runs");
        assert_eq!(
            (run.status(), run.elapsed()),
            (&Status::Succeeded, Duration::from_secs(3600))
        );
    }
}
