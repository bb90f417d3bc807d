//! Mocks: how a test answers Task calls.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// One call of a Task state's integration, as a mock or handler sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskCall {
    /// The Task state's name.
    pub state: String,
    /// The state's `Resource`.
    pub resource: String,
    /// The effective parameters sent to the integration (after `InputPath` and `Parameters`).
    /// For a `lambda:invoke` Task whose parameters have a `Payload`, that payload is what the
    /// function receives; `input` is always the whole parameter object.
    pub input: Value,
    /// The 1-based attempt number (retries included).
    pub attempt: u32,
    /// The task token, for `.waitForTaskToken` integrations.
    pub task_token: Option<String>,
}

/// A Task failure: an error name and an optional cause, as `Retry` and `Catch` see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskError {
    /// The error name (`Card.Declined`, `States.Timeout`, `Lambda.ServiceException`, ...).
    pub error: String,
    /// The cause text.
    pub cause: Option<String>,
}

impl TaskError {
    /// An error with a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskError {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// The outcome of a Task call.
pub type TaskResult = Result<Value, TaskError>;

/// An asynchronous Task handler: implement it to answer calls with your own code, or use the
/// generated `MockTaskHandler` for mockall expectations.
///
/// ```
/// use sfn_test::prelude::*;
/// use sfn_test::MockTaskHandler;
///
/// let mut charge = MockTaskHandler::new();
/// charge
///     .expect_call()
///     .withf(|call| call.input["amount"] == 40)
///     .times(1)
///     .returning(|_| Ok(json!({ "status": "ok" })));
/// let sm = StateMachine::from_definition(json!({
///     "StartAt": "Charge",
///     "States": { "Charge": { "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": true } }
/// }))?;
/// let run = sm.scenario().input(json!({ "amount": 40 })).mock("Charge", Mock::handler(charge)).run()?;
/// run.assert_output(json!({ "status": "ok" }));
/// # Ok::<(), sfn_test::Error>(())
/// ```
#[mockall::automock]
#[async_trait::async_trait]
pub trait TaskHandler: Send + Sync {
    /// Answers one call.
    async fn call(&self, call: TaskCall) -> TaskResult;
}

pub(crate) type MockFn = dyn Fn(&TaskCall) -> TaskResult + Send + Sync;
pub(crate) type ChooseFn = dyn Fn(&TaskCall) -> Mock + Send + Sync;

/// How a Task call is answered. Cheap to clone.
#[derive(Clone)]
pub struct Mock(pub(crate) Arc<MockKind>);

pub(crate) enum MockKind {
    /// The value, and whether it is over the engine's payload limit (checked once).
    Return(Value, std::sync::OnceLock<bool>),
    Throw(TaskError),
    Hang,
    After(Duration, Mock),
    Sequence {
        answers: Vec<Mock>,
        repeat_last: bool,
    },
    When {
        rules: Vec<(Value, Mock)>,
        otherwise: Option<Mock>,
    },
    Fn(Box<MockFn>),
    Choose(Box<ChooseFn>),
    Handler(Box<dyn TaskHandler>),
    Raw(Mock),
}

impl fmt::Debug for Mock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            MockKind::Return(v, _) => write!(f, "Mock::ret({v})"),
            MockKind::Throw(e) => write!(f, "Mock::throw({e})"),
            MockKind::Hang => f.write_str("Mock::hang()"),
            MockKind::After(d, m) => write!(f, "Mock::after({d:?}, {m:?})"),
            MockKind::Sequence { answers, repeat_last } => {
                write!(
                    f,
                    "Mock::sequence({answers:?}){}",
                    if *repeat_last { ".repeat_last()" } else { "" }
                )
            }
            MockKind::When { rules, otherwise } => {
                write!(f, "Mock::when({} rules, otherwise: {otherwise:?})", rules.len())
            }
            MockKind::Fn(_) => f.write_str("Mock::from_fn(..)"),
            MockKind::Choose(_) => f.write_str("Mock::choose(..)"),
            MockKind::Handler(_) => f.write_str("Mock::handler(..)"),
            MockKind::Raw(m) => write!(f, "Mock::raw({m:?})"),
        }
    }
}

impl Mock {
    fn new(kind: MockKind) -> Self {
        Mock(Arc::new(kind))
    }

    /// Answers with this value. For `lambda:invoke` it is the function's payload, wrapped in
    /// the Invoke response envelope (`Payload`, `StatusCode`, ...); use [`Mock::raw`] to give
    /// the whole response yourself.
    pub fn ret(value: impl Into<Value>) -> Self {
        Mock::new(MockKind::Return(value.into(), std::sync::OnceLock::new()))
    }

    /// Fails the call with this error and cause.
    pub fn throw(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Mock::new(MockKind::Throw(TaskError::new(error, cause)))
    }

    /// Fails the call with this error and no cause.
    pub fn throw_error(error: impl Into<String>) -> Self {
        Mock::new(MockKind::Throw(TaskError {
            error: error.into(),
            cause: None,
        }))
    }

    /// Never answers: the Task's `TimeoutSeconds` / `HeartbeatSeconds` fire on virtual time.
    pub fn hang() -> Self {
        Mock::new(MockKind::Hang)
    }

    /// Answers with `mock` after a virtual delay.
    pub fn after(delay: Duration, mock: Mock) -> Self {
        Mock::new(MockKind::After(delay, mock))
    }

    /// One answer per call, retries included; running out is an error unless
    /// [`repeat_last`](Mock::repeat_last) is set.
    pub fn sequence(answers: impl IntoIterator<Item = Mock>) -> Self {
        Mock::new(MockKind::Sequence {
            answers: answers.into_iter().collect(),
            repeat_last: false,
        })
    }

    /// For a sequence: keep answering with its last answer once it is exhausted.
    #[must_use]
    pub fn repeat_last(self) -> Self {
        match &*self.0 {
            MockKind::Sequence { answers, .. } => Mock::new(MockKind::Sequence {
                answers: answers.clone(),
                repeat_last: true,
            }),
            _ => self,
        }
    }

    /// Answers with `mock` when the call's input contains `subset` (objects: every key of the
    /// subset present with a matching value; other values: equal). Chain more rules with
    /// [`when`](Mock::when) and end with [`otherwise`](Mock::otherwise); a call no rule matches
    /// is an error.
    pub fn when(subset: impl Into<Value>, mock: Mock) -> Self {
        Mock::new(MockKind::When {
            rules: vec![(subset.into(), mock)],
            otherwise: None,
        })
    }

    /// Adds a rule to a [`Mock::when`] chain.
    #[must_use]
    pub fn and_when(self, subset: impl Into<Value>, mock: Mock) -> Self {
        match &*self.0 {
            MockKind::When { rules, otherwise } => {
                let mut rules = rules.clone();
                rules.push((subset.into(), mock));
                Mock::new(MockKind::When {
                    rules,
                    otherwise: otherwise.clone(),
                })
            }
            _ => self,
        }
    }

    /// The answer of a [`Mock::when`] chain when no rule matches.
    #[must_use]
    pub fn otherwise(self, mock: Mock) -> Self {
        match &*self.0 {
            MockKind::When { rules, .. } => Mock::new(MockKind::When {
                rules: rules.clone(),
                otherwise: Some(mock),
            }),
            _ => self,
        }
    }

    /// Answers by calling `f` with the call.
    pub fn from_fn(f: impl Fn(&TaskCall) -> TaskResult + Send + Sync + 'static) -> Self {
        Mock::new(MockKind::Fn(Box::new(f)))
    }

    /// Picks, per call, the mock that answers it (which may hang or wait on virtual time,
    /// unlike [`Mock::from_fn`]).
    pub fn choose(f: impl Fn(&TaskCall) -> Mock + Send + Sync + 'static) -> Self {
        Mock::new(MockKind::Choose(Box::new(f)))
    }

    /// Answers with an asynchronous handler, e.g. a `MockTaskHandler` with expectations.
    pub fn handler(handler: impl TaskHandler + 'static) -> Self {
        Mock::new(MockKind::Handler(Box::new(handler)))
    }

    /// Marks the answer as the integration's whole raw response: no envelope is added.
    pub fn raw(mock: Mock) -> Self {
        Mock::new(MockKind::Raw(mock))
    }

    /// For a mock that answers at once with a value ([`Mock::ret`], or [`Mock::raw`] of it):
    /// the [`Mock::ret`] and whether the value is the raw response.
    pub(crate) fn immediate(&self) -> Option<(&Mock, bool)> {
        match &*self.0 {
            MockKind::Return(..) => Some((self, false)),
            MockKind::Raw(inner) => match &*inner.0 {
                MockKind::Return(..) => Some((inner, true)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value of a [`Mock::ret`].
    pub(crate) fn returned(&self) -> Option<&Value> {
        match &*self.0 {
            MockKind::Return(v, _) => Some(v),
            _ => None,
        }
    }

    /// `over(value)` of a [`Mock::ret`]'s value, worked out on the first call only.
    pub(crate) fn returned_over(&self, over: impl FnOnce(&Value) -> bool) -> bool {
        match &*self.0 {
            MockKind::Return(v, checked) => *checked.get_or_init(|| over(v)),
            _ => false,
        }
    }
}

/// True when `subset` is contained in `value`: objects recursively by key, everything else by
/// equality.
pub(crate) fn contains(value: &Value, subset: &Value) -> bool {
    match (value, subset) {
        (Value::Object(v), Value::Object(s)) => s.iter().all(|(k, sv)| v.get(k).is_some_and(|vv| contains(vv, sv))),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => value == subset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_matching() {
        let input = json!({"amount": 40, "customer": {"id": "c1", "tier": "gold"}});
        assert!(contains(&input, &json!({"amount": 40})));
        assert!(contains(&input, &json!({"amount": 40.0})));
        assert!(contains(&input, &json!({"customer": {"tier": "gold"}})));
        assert!(!contains(&input, &json!({"customer": {"tier": "silver"}})));
        assert!(!contains(&input, &json!({"missing": 1})));
    }
}
