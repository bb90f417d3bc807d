//! Test AWS Step Functions state machines from `cargo test`.
//!
//! `sfn-test` loads a state machine from an AWS SAM / CloudFormation template (or a bare ASL
//! file) and runs it in an embedded, deterministic interpreter: Task states are answered by
//! mocks, Wait states, timeouts and retry back-off run on a virtual clock (a one-year Wait
//! costs microseconds), and tests assert on the path taken, the history, the mock calls and the
//! output.
//!
//! ```
//! use sfn_test::prelude::*;
//!
//! # fn main() -> sfn_test::Result<()> {
//! let sm = StateMachine::from_definition(json!({
//!     "StartAt": "Charge",
//!     "States": {
//!         "Charge": {
//!             "Type": "Task",
//!             "Resource": "arn:aws:states:::lambda:invoke",
//!             "Parameters": { "FunctionName": "charge", "Payload.$": "$" },
//!             "ResultSelector": { "status.$": "$.Payload.status" },
//!             "Retry": [{ "ErrorEquals": ["Card.Busy"], "IntervalSeconds": 2 }],
//!             "Next": "Wait a day"
//!         },
//!         "Wait a day": { "Type": "Wait", "Seconds": 86400, "End": true }
//!     }
//! }))?;
//! let run = sm
//!     .scenario()
//!     .input(json!({ "amount": 40 }))
//!     .mock("Charge", Mock::sequence([
//!         Mock::throw("Card.Busy", "try later"),
//!         Mock::ret(json!({ "status": "ok" })),
//!     ]))
//!     .run()?;
//! run.assert_succeeded()
//!     .assert_path(["Charge", "Wait a day"])
//!     .assert_output(json!({ "status": "ok" }));
//! assert_eq!(run.calls("Charge").len(), 2);
//! assert_eq!(run.elapsed(), Duration::from_secs(2 + 86_400));
//! # Ok(())
//! # }
//! ```
//!
//! Three ways to write tests:
//! - the Rust API above, in plain `#[test]` functions;
//! - `#[sfn_test(template = "template.yaml", state_machine = "OrderWorkflow")]` on a function
//!   that receives the loaded [`StateMachine`], with `#[case]` rows (feature `derive`, on by
//!   default);
//! - table-driven YAML/JSON files run by [`table::main`] in a `harness = false` test target, one
//!   libtest-mimic trial per case.
//!
//! # Limitations
//! - JSONata (`QueryLanguage: JSONata`) runs on the `jsonata-core` engine, not on AWS's
//!   jsonata-js: JSONata error codes match, but a message's wording may differ. `$random`,
//!   `$uuid` and `$shuffle` draw from the scenario's seed and `$now`/`$millis` read the
//!   virtual clock, so their values differ from AWS's. Validation messages for JSONata fields
//!   are this crate's own wording.
//! - Distributed Map `ItemReader` and `ResultWriter` use the scenario's in-memory S3
//!   ([`Scenario::s3_object`], [`Execution::s3_objects`]). JSON, JSONL and CSV objects and
//!   `s3:listObjectsV2` listings are read; S3 inventory manifests (`InputType: MANIFEST`) and
//!   `ReaderConfig.ItemsPointer` are reported as not supported. The causes of S3 read failures
//!   other than the recorded ones (a missing object, invalid JSON), the result file names for
//!   `OutputType: JSONL` and the child execution names in result files are this crate's own.
//! - Mocks never send heartbeats: `HeartbeatSeconds` acts as a deadline for the answer.
//! - [`StateMachine::permission_report`] and [`Scenario::enforce_permissions`] read the role's
//!   policies from the template and ignore IAM `Condition`s, permission boundaries and
//!   resource-based policies; a role from another stack, and AWS managed policies other than
//!   the common ones, are reported as unchecked rather than guessed.
//! - [`StateMachine::trigger`] covers the SAM state machine event types (`Schedule`,
//!   `ScheduleV2`, `EventBridgeRule`, `CloudWatchEvent`, `Api`); templates are not deployed, so
//!   a rule's `EventBusName` or a schedule's expression is not checked against an event.

pub mod asl;
#[cfg(feature = "cli")]
pub mod cli;
mod clock;
pub mod coverage;
pub mod engine;
mod error;
mod harness;
pub mod integrations;
mod json;
mod random;
mod runtime;
pub mod sam;
pub mod table;
mod wildcard;

pub use clock::{format_timestamp, parse_timestamp};
pub use engine::{Event, S3Object, Status};
pub use error::{Diagnostic, Error, Result};
pub use harness::{Execution, HISTORY_LIMIT, Need, PermissionFinding, PermissionReport, Scenario, StateMachine};
pub use integrations::{Mock, MockConfig, MockTaskHandler, TaskCall, TaskError, TaskHandler, TaskResult};
pub use json::json_equal;
#[cfg(feature = "derive")]
pub use sfn_test_derive::{case, sfn_test};

/// The account id in every synthetic ARN.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The region in every synthetic ARN.
pub const DEFAULT_REGION: &str = "us-east-1";

/// What a test needs in scope: `use sfn_test::prelude::*;`.
pub mod prelude {
    pub use crate::{Execution, Mock, Scenario, StateMachine, Status, TaskCall, TaskError};
    #[cfg(feature = "derive")]
    pub use crate::{case, sfn_test};
    pub use serde_json::{Value, json};
    pub use std::time::Duration;
}

/// Support for the `#[sfn_test]` macro; not a stable API.
#[doc(hidden)]
pub mod __private {
    use std::collections::HashMap;
    use std::future::Future;
    use std::path::Path;
    use std::sync::{Mutex, PoisonError};

    use crate::StateMachine;

    /// Loaded state machines by (manifest dir, file, state machine name).
    type Loaded = HashMap<(String, String, String), &'static StateMachine>;

    static CACHE: Mutex<Option<Loaded>> = Mutex::new(None);

    fn cached(
        key: (String, String, String),
        load: impl FnOnce() -> crate::Result<StateMachine>,
    ) -> &'static StateMachine {
        let mut guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        let map = guard.get_or_insert_with(HashMap::new);
        if let Some(sm) = map.get(&key) {
            return sm;
        }
        match load() {
            Ok(sm) => {
                let sm: &'static StateMachine = Box::leak(Box::new(sm));
                map.insert(key, sm);
                sm
            }
            Err(e) => panic!("{e}"),
        }
    }

    /// Loads (once per test binary) a state machine from a template.
    ///
    /// # Panics
    /// With the loading error's message, failing the test.
    pub fn state_machine(
        manifest_dir: &'static str,
        template: &'static str,
        state_machine: &'static str,
    ) -> &'static StateMachine {
        let path = Path::new(manifest_dir).join(template);
        cached((manifest_dir.into(), template.into(), state_machine.into()), || {
            StateMachine::from_template(&path, state_machine)
        })
    }

    /// Loads (once per test binary) a state machine from an ASL file.
    ///
    /// # Panics
    /// With the loading error's message, failing the test.
    pub fn state_machine_from_definition(
        manifest_dir: &'static str,
        definition: &'static str,
    ) -> &'static StateMachine {
        let path = Path::new(manifest_dir).join(definition);
        cached((manifest_dir.into(), definition.into(), String::new()), || {
            StateMachine::from_asl_file(&path)
        })
    }

    /// Runs a future to completion (for `async fn` tests).
    pub fn block_on<F: Future>(fut: F) -> F::Output {
        crate::runtime::block_on(fut)
    }
}
