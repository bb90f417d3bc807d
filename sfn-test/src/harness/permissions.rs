//! What each Task calls, in IAM terms, checked against the role the template gives the state
//! machine: [`StateMachine::permission_report`] before running, and
//! [`Scenario::enforce_permissions`](super::Scenario::enforce_permissions) while running, which
//! makes a call the role does not allow fail as AWS does.

use std::fmt;

use serde_json::Value;

use super::state_machine::StateMachine;
use crate::integrations::{Mock, TaskCall};
use crate::sam::{Access, Permissions};

/// One IAM permission a Task call needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// `service:Action`, as IAM spells it (`lambda:InvokeFunction`).
    pub action: String,
    /// The resource's ARN; `None` when only the run decides it (a `.$` parameter) or the
    /// integration does not name one.
    pub resource: Option<String>,
}

/// A Task whose call the role does not allow (or may not allow).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionFinding {
    /// The Task state's name.
    pub state: String,
    /// What it needs.
    pub need: Need,
    /// Why it is not allowed, or why it cannot be told.
    pub reason: String,
}

/// The Tasks of a state machine whose calls its role would not allow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionReport {
    /// Calls the role does not allow.
    pub denied: Vec<PermissionFinding>,
    /// Calls the template does not say enough about (a role from another stack, a managed
    /// policy not known here).
    pub unchecked: Vec<PermissionFinding>,
}

impl PermissionReport {
    /// True when no Task's call is denied.
    pub fn is_clean(&self) -> bool {
        self.denied.is_empty()
    }
}

impl fmt::Display for PermissionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.denied.is_empty() && self.unchecked.is_empty() {
            return f.write_str("every Task's call is allowed by the role");
        }
        for (label, findings) in [("denied", &self.denied), ("unchecked", &self.unchecked)] {
            for finding in findings {
                writeln!(
                    f,
                    "{label}: Task '{}' needs {} on {}: {}",
                    finding.state,
                    finding.need.action,
                    finding.need.resource.as_deref().unwrap_or("(decided at run time)"),
                    finding.reason
                )?;
            }
        }
        Ok(())
    }
}

/// The account and region ARNs are built in, from the state machine's own ARN.
#[derive(Clone, Debug)]
pub(crate) struct Environment {
    partition: String,
    region: String,
    account: String,
}

impl Environment {
    pub(crate) fn of(state_machine_arn: &str) -> Environment {
        let parts: Vec<&str> = state_machine_arn.split(':').collect();
        let part = |i: usize, default: &str| parts.get(i).copied().unwrap_or(default).to_owned();
        Environment {
            partition: part(1, "aws"),
            region: part(3, crate::DEFAULT_REGION),
            account: part(4, crate::DEFAULT_ACCOUNT),
        }
    }

    fn arn(&self, service: &str, rest: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{rest}",
            self.partition, self.region, self.account
        )
    }
}

/// The permissions a call of `resource` with `parameters` needs. A parameter written `Key.$`
/// (resolved at run time) leaves the resource unknown.
pub(crate) fn needs(resource: &str, parameters: &Value, env: &Environment) -> Vec<Need> {
    let field = |name: &str| parameters.get(name).and_then(Value::as_str);
    let need = |action: &str, resource: Option<String>| Need {
        action: action.to_owned(),
        resource,
    };
    let parts: Vec<&str> = resource.split(':').collect();
    // `arn:<partition>:lambda:<region>:<account>:function:<name>[:qualifier]`: a direct invoke.
    if parts.get(2) == Some(&"lambda") && parts.get(5) == Some(&"function") {
        return vec![need("lambda:InvokeFunction", Some(resource.to_owned()))];
    }
    // Activities are polled by workers: the state machine's role calls nothing.
    if parts.get(2) == Some(&"states") && parts.get(5) == Some(&"activity") {
        return Vec::new();
    }
    let (Some(&"states"), Some(service), Some(action)) = (parts.get(2), parts.get(5), parts.get(6)) else {
        return Vec::new();
    };
    let action = action.split('.').next().unwrap_or(action);
    match (*service, action) {
        ("lambda", "invoke") => vec![need(
            "lambda:InvokeFunction",
            field("FunctionName").map(|f| function_arn(f, env)),
        )],
        ("sns", "publish") => vec![need("sns:Publish", field("TopicArn").map(str::to_owned))],
        ("sqs", "sendMessage") => vec![need("sqs:SendMessage", field("QueueUrl").map(|u| queue_arn(u, env)))],
        ("dynamodb", _) => vec![need(
            &iam_action("dynamodb", action),
            field("TableName").map(|t| table_arn(t, env)),
        )],
        ("states", "startExecution") => vec![need(
            "states:StartExecution",
            field("StateMachineArn").map(str::to_owned),
        )],
        ("events", "putEvents") => {
            let buses: Vec<Option<String>> = match parameters.get("Entries") {
                Some(Value::Array(entries)) => entries
                    .iter()
                    .map(|e| match (e.get("EventBusName"), e.get("EventBusName.$")) {
                        (Some(Value::String(bus)), _) => Some(bus_arn(bus, env)),
                        (_, Some(_)) => None,
                        _ => Some(bus_arn("default", env)),
                    })
                    .collect(),
                _ => vec![None],
            };
            let mut out: Vec<Need> = Vec::new();
            for bus in buses {
                let n = need("events:PutEvents", bus);
                if !out.contains(&n) {
                    out.push(n);
                }
            }
            out
        }
        ("aws-sdk", _) => {
            let (sdk_service, sdk_action) = (action, parts.get(7).map_or("", |a| a.split('.').next().unwrap_or(a)));
            let prefix = match sdk_service {
                "sfn" => "states",
                "cloudwatchlogs" => "logs",
                "eventbridge" => "events",
                other => other,
            };
            let target = match prefix {
                "lambda" => field("FunctionName").map(|f| function_arn(f, env)),
                "dynamodb" => field("TableName").map(|t| table_arn(t, env)),
                "sqs" => field("QueueUrl").map(|u| queue_arn(u, env)),
                "sns" => field("TopicArn").map(str::to_owned),
                "states" => field("StateMachineArn").map(str::to_owned),
                "s3" => field("Bucket").map(|b| match field("Key") {
                    Some(key) => format!("arn:{}:s3:::{b}/{key}", env.partition),
                    None => format!("arn:{}:s3:::{b}", env.partition),
                }),
                _ => None,
            };
            vec![need(&iam_action(prefix, sdk_action), target)]
        }
        (service, action) => vec![need(&iam_action(service, action), None)],
    }
}

/// `putItem` → `dynamodb:PutItem`: IAM actions are the API operations' names.
fn iam_action(prefix: &str, action: &str) -> String {
    let mut chars = action.chars();
    let pascal: String = chars
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(chars)
        .collect();
    format!("{prefix}:{pascal}")
}

fn function_arn(function: &str, env: &Environment) -> String {
    if function.starts_with("arn:") {
        function.to_owned()
    } else if let Some((account, rest)) = function.split_once(":function:") {
        format!("arn:{}:lambda:{}:{account}:function:{rest}", env.partition, env.region)
    } else {
        env.arn("lambda", &format!("function:{function}"))
    }
}

fn queue_arn(url: &str, env: &Environment) -> String {
    let path: Vec<&str> = url.trim_end_matches('/').rsplit('/').take(2).collect();
    match path.as_slice() {
        [name, account] => format!(
            "arn:{}:sqs:{}:{account}:{name}",
            env.partition,
            url.split('.').nth(1).unwrap_or(&env.region)
        ),
        _ => url.to_owned(),
    }
}

fn table_arn(table: &str, env: &Environment) -> String {
    if table.starts_with("arn:") {
        table.to_owned()
    } else {
        env.arn("dynamodb", &format!("table/{table}"))
    }
}

fn bus_arn(bus: &str, env: &Environment) -> String {
    if bus.starts_with("arn:") {
        bus.to_owned()
    } else {
        env.arn("events", &format!("event-bus/{bus}"))
    }
}

/// The SAM policy template that grants an action, for the fix in a finding.
fn suggestion(need: &Need) -> String {
    let name = need
        .resource
        .as_deref()
        .map(|r| r.rsplit([':', '/']).next().unwrap_or(r))
        .unwrap_or("...");
    let template = match need.action.split(':').next().unwrap_or_default() {
        "lambda" => Some(("LambdaInvokePolicy", "FunctionName")),
        "dynamodb" => Some(("DynamoDBCrudPolicy", "TableName")),
        "sqs" => Some(("SQSSendMessagePolicy", "QueueName")),
        "sns" => Some(("SNSPublishMessagePolicy", "TopicName")),
        "states" => Some(("StepFunctionsExecutionPolicy", "StateMachineName")),
        "events" => Some(("EventBridgePutEventsPolicy", "EventBusName")),
        "s3" if need.action.contains(":Get") || need.action.contains(":List") => Some(("S3ReadPolicy", "BucketName")),
        "s3" => Some(("S3CrudPolicy", "BucketName")),
        _ => None,
    };
    match template {
        Some((template, parameter)) => format!(
            "; add `- {template}: {{{parameter}: {name}}}` to the state machine's Policies, a connector, or a statement allowing {}",
            need.action
        ),
        None => format!("; add a statement allowing {} to the role", need.action),
    }
}

impl StateMachine {
    /// The Tasks whose calls the role the template gives this state machine would not allow:
    /// every Task's `Resource` and static `Parameters` turned into the IAM action and resource
    /// it needs, checked against the role's policies (`Policies`, `Role` / `RoleArn` with its
    /// policies, connectors). Targets chosen at run time are checked by
    /// [`Scenario::enforce_permissions`](super::Scenario::enforce_permissions).
    ///
    /// A state machine not loaded from a template has no role: the report is empty.
    pub fn permission_report(&self) -> PermissionReport {
        let mut report = PermissionReport::default();
        let Some(spec) = &self.spec else {
            return report;
        };
        let env = Environment::of(&spec.arn);
        let mut tasks = Vec::new();
        collect_tasks(&self.json, &mut tasks);
        for (state, resource, parameters) in tasks {
            for need in needs(&resource, &parameters, &env) {
                match spec.permissions.check(&need.action, need.resource.as_deref()) {
                    Access::Allowed => {}
                    Access::Denied(reason) => {
                        let reason = format!("{reason}{}", suggestion(&need));
                        report.denied.push(PermissionFinding { state, need, reason });
                        break;
                    }
                    Access::Unknown(reason) => {
                        report.unchecked.push(PermissionFinding {
                            state: state.clone(),
                            need,
                            reason,
                        });
                    }
                }
            }
        }
        report
    }
}

/// Every Task state of a definition, nested ones included: (name, Resource, Parameters).
fn collect_tasks(definition: &Value, out: &mut Vec<(String, String, Value)>) {
    let Some(Value::Object(states)) = definition.get("States") else {
        return;
    };
    for (name, state) in states {
        if state.get("Type").and_then(Value::as_str) == Some("Task") {
            let resource = state.get("Resource").and_then(Value::as_str).unwrap_or_default();
            let parameters = state
                .get("Parameters")
                .or_else(|| state.get("Arguments"))
                .cloned()
                .unwrap_or(Value::Null);
            out.push((name.clone(), resource.to_owned(), parameters));
        }
        if let Some(Value::Array(branches)) = state.get("Branches") {
            for branch in branches {
                collect_tasks(branch, out);
            }
        }
        for nested in ["ItemProcessor", "Iterator"] {
            if let Some(inner) = state.get(nested) {
                collect_tasks(inner, out);
            }
        }
    }
}

/// A mock that answers a call the role does not allow as AWS does: `States.TaskFailed` with
/// the service's AccessDenied message; any other call is answered by `inner`.
pub(crate) fn guard(inner: Mock, permissions: std::sync::Arc<Permissions>, env: Environment, session: String) -> Mock {
    Mock::choose(move |call: &TaskCall| {
        for need in needs(&call.resource, &call.input, &env) {
            if let Access::Denied(reason) = permissions.check(&need.action, need.resource.as_deref()) {
                let how = if reason.starts_with("an explicit Deny") {
                    "with an explicit deny in an identity-based policy".to_owned()
                } else {
                    format!("because no identity-based policy allows the {} action", need.action)
                };
                let cause = format!(
                    "User: arn:{}:sts::{}:assumed-role/{}/{session} is not authorized to perform: {} on resource: {} {how} (Error Code: AccessDeniedException)",
                    env.partition,
                    env.account,
                    permissions.role_name(),
                    need.action,
                    need.resource.as_deref().unwrap_or("*"),
                );
                return Mock::throw("States.TaskFailed", cause);
            }
        }
        inner.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> Environment {
        Environment::of("arn:aws:states:eu-west-1:111122223333:stateMachine:flow")
    }

    fn one(resource: &str, parameters: Value) -> (String, Option<String>) {
        let needs = needs(resource, &parameters, &env());
        assert_eq!(needs.len(), 1, "{needs:?}");
        (needs[0].action.clone(), needs[0].resource.clone())
    }

    #[test]
    fn tasks_map_to_iam_actions_and_arns() {
        let fn_arn = "arn:aws:lambda:eu-west-1:111122223333:function:charge".to_owned();
        assert_eq!(
            one(&fn_arn, json!(null)),
            ("lambda:InvokeFunction".into(), Some(fn_arn.clone()))
        );
        assert_eq!(
            one(
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "charge", "Payload.$": "$"})
            ),
            ("lambda:InvokeFunction".into(), Some(fn_arn))
        );
        assert_eq!(
            one(
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
                json!({"FunctionName.$": "$.fn"})
            ),
            ("lambda:InvokeFunction".into(), None)
        );
        assert_eq!(
            one(
                "arn:aws:states:::sqs:sendMessage",
                json!({"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"})
            ),
            (
                "sqs:SendMessage".into(),
                Some("arn:aws:sqs:eu-west-1:111122223333:jobs".into())
            )
        );
        assert_eq!(
            one("arn:aws:states:::dynamodb:putItem", json!({"TableName": "Orders"})),
            (
                "dynamodb:PutItem".into(),
                Some("arn:aws:dynamodb:eu-west-1:111122223333:table/Orders".into())
            )
        );
        assert_eq!(
            one(
                "arn:aws:states:::aws-sdk:s3:getObject",
                json!({"Bucket": "b", "Key": "k"})
            ),
            ("s3:GetObject".into(), Some("arn:aws:s3:::b/k".into()))
        );
        assert_eq!(
            one(
                "arn:aws:states:::aws-sdk:sfn:startExecution",
                json!({"StateMachineArn": "arn:x"})
            ),
            ("states:StartExecution".into(), Some("arn:x".into()))
        );
        assert_eq!(
            one("arn:aws:states:::glue:startJobRun.sync", json!({"JobName": "j"})),
            ("glue:StartJobRun".into(), None)
        );
        assert_eq!(
            needs(
                "arn:aws:states:::events:putEvents",
                &json!({"Entries": [{"Detail": {}}, {"EventBusName": "orders"}, {"EventBusName": "orders"}]}),
                &env()
            ),
            [
                Need {
                    action: "events:PutEvents".into(),
                    resource: Some("arn:aws:events:eu-west-1:111122223333:event-bus/default".into())
                },
                Need {
                    action: "events:PutEvents".into(),
                    resource: Some("arn:aws:events:eu-west-1:111122223333:event-bus/orders".into())
                },
            ]
        );
        assert!(
            needs(
                "arn:aws:states:eu-west-1:111122223333:activity:review",
                &json!(null),
                &env()
            )
            .is_empty()
        );
    }
}
