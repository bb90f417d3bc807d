//! Child executions: a `states:startExecution` Task whose `StateMachineArn` names a state
//! machine the scenario registered runs it, with the same mocks, on the virtual clock, and
//! answers with what Step Functions returns for it. Request-response answers at once;
//! `.sync` and `.sync:2` wait for the child and answer with its description (`Input`/`Output`
//! as JSON text, or as JSON for `.sync:2`); a child that fails fails the Task with
//! `States.TaskFailed` and the description as the cause (conformance
//! `callback.test_callback.TestCallback.test_start_execution_sync*`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Answer, Run, RunConfig, Status, execute};
use crate::asl::model::Definition;
use crate::integrations::mock::{TaskCall, TaskError};
use crate::integrations::{Pattern, Resource};

/// A state machine that Task states may start as a child execution.
#[derive(Debug)]
pub(crate) struct ChildMachine<'a> {
    /// Its ARN, as the parent's `StateMachineArn` parameter names it.
    pub arn: String,
    /// Its name.
    pub name: &'a std::sync::Arc<str>,
    /// Its definition.
    pub definition: &'a Definition,
    /// Its template's synthetic identifiers → logical ids.
    pub resources: &'a BTreeMap<String, String>,
}

impl<'a> Run<'a> {
    /// The registered state machine a `states:startExecution` call starts, if any.
    pub(super) fn child_for(&self, resource: &Resource, parameters: &Value) -> Option<&'a ChildMachine<'a>> {
        let Resource::Service { service, action, .. } = resource else {
            return None;
        };
        if service != "states" || action != "startExecution" {
            return None;
        }
        let arn = parameters.get("StateMachineArn")?.as_str()?;
        self.cfg
            .children
            .iter()
            .find(|c| c.arn == arn || arn.ends_with(&format!(":stateMachine:{}", c.name)))
    }

    /// Runs `child` for `call` and answers the way the integration does.
    pub(super) fn run_child<'m>(
        &'m self,
        child: &'a ChildMachine<'a>,
        resource: &'m Resource,
        call: &'m TaskCall,
    ) -> Answer<'m> {
        Box::pin(async move {
            // `Input` is JSON text or a JSON value; none means `{}` (the recorded call sends
            // `"Input": null` and the child's description says `"Input": "{}"`).
            let input = match call.input.get("Input") {
                None | Some(Value::Null) => json!({}),
                Some(Value::String(text)) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())),
                Some(other) => other.clone(),
            };
            let name = match call.input.get("Name").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => format!("{:016x}", self.next_random()),
            };
            let start = self.clock.now();
            let cfg = RunConfig {
                definition: child.definition,
                state_machine_name: child.name,
                execution_name: &name,
                start,
                seed: self.next_random(),
                resources: child.resources,
                express: false,
                depth: self.cfg.depth + 1,
                tasks: None,
                sizes: None,
                ..self.cfg.clone()
            };
            let execution_arn = format!(
                "arn:aws:states:{}:{}:execution:{}:{name}",
                self.cfg.region, self.cfg.account, child.name
            );
            // While the child runs, the parent's clock must not move on its own: the child
            // drives its own timers and the parent waits for it below.
            self.external.set(self.external.get() + 1);
            let others = self.clock.others();
            let outcome = GrowStack(Box::pin(execute(cfg, input.clone()))).await;
            drop(others);
            self.external.set(self.external.get() - 1);
            let outcome = outcome?;
            let context = &outcome.context;
            self.calls
                .borrow_mut()
                .extend(outcome.calls.into_iter().map(|call| call.detached(context)));
            if resource.pattern() == Pattern::RequestResponse {
                return Ok((Ok(json!({ "ExecutionArn": execution_arn, "StartDate": start })), true));
            }
            self.clock.sleep_until(outcome.end).await;
            let as_json = call.resource.ends_with(":2");
            let shown = |v: &Value| {
                if as_json {
                    v.clone()
                } else {
                    Value::String(serde_json::to_string(v).unwrap_or_default())
                }
            };
            // AWS lists the description's fields in alphabetical order.
            let mut description: BTreeMap<&str, Value> = BTreeMap::new();
            description.insert("ExecutionArn", Value::String(execution_arn));
            description.insert("Input", shown(&input));
            description.insert("InputDetails", json!({ "Included": true }));
            description.insert("Name", Value::String(name));
            description.insert("StartDate", json!(start));
            description.insert("StateMachineArn", Value::String(child.arn.clone()));
            description.insert("StopDate", json!(outcome.end));
            let status = outcome.status.as_str();
            description.insert("Status", Value::String(status.to_string()));
            let object = |d: BTreeMap<&str, Value>| {
                Value::Object(d.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())
            };
            match outcome.status {
                Status::Succeeded => {
                    description.insert("Output", shown(&outcome.output.unwrap_or(Value::Null)));
                    description.insert("OutputDetails", json!({ "Included": true }));
                    Ok((Ok(object(description)), true))
                }
                Status::Failed { error, cause } | Status::TimedOut { error, cause } => {
                    description.insert("Error", Value::String(error));
                    if let Some(cause) = cause {
                        description.insert("Cause", Value::String(cause));
                    }
                    let cause = serde_json::to_string(&object(description)).unwrap_or_default();
                    Ok((
                        Err(TaskError {
                            error: "States.TaskFailed".into(),
                            cause: Some(cause),
                        }),
                        true,
                    ))
                }
            }
        })
    }
}

/// Polls a child execution on a stack that grows when little is left: each level of nesting
/// adds the engine's poll frames, and [`MAX_CHILD_DEPTH`](super::MAX_CHILD_DEPTH) levels can
/// outgrow a test thread's stack in a debug build.
struct GrowStack<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for GrowStack<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        stacker::maybe_grow(256 * 1024, 2 * 1024 * 1024, || self.0.as_mut().poll(cx))
    }
}
