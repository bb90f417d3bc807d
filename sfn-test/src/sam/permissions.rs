//! What a state machine's execution role allows, as far as the template says: SAM `Policies`
//! (managed policies, policy templates, inline statements), the `Role` / `RoleArn` resource
//! with its inline and attached policies, and `AWS::Serverless::Connector`s (standalone and
//! embedded) whose source is the state machine.
//!
//! Evaluation follows IAM's identity-policy logic, without conditions: an explicit `Deny`
//! wins, then any `Allow`; nothing matching is a denial ("Policy evaluation logic", IAM User
//! Guide). Where the template cannot tell (a role from another stack, an AWS managed policy
//! not known here, a policy template not known here) the answer is [`Access::Unknown`], never a
//! guessed denial.

use std::collections::BTreeMap;

use serde_json::Value;

use super::document::escape;
use super::intrinsics::{Evaluator, Resource, scalar};
use crate::wildcard::{Glob, glob};

/// Whether the role allows an action on a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// A statement allows it and none denies it.
    Allowed,
    /// A statement denies it, or none allows it; the text says which.
    Denied(String),
    /// The template does not say enough to tell; the text says why.
    Unknown(String),
}

/// The role's policies, as statements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Permissions {
    role: String,
    statements: Vec<Statement>,
    unknown: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    not_actions: Vec<String>,
    resources: Vec<String>,
    not_resources: Vec<String>,
    /// Where it comes from, for messages.
    origin: String,
}

impl Permissions {
    /// The role's name, as it appears in an AWS `assumed-role` ARN.
    pub fn role_name(&self) -> &str {
        &self.role
    }

    /// Policies the template names but does not contain.
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }

    /// Whether `action` (`lambda:InvokeFunction`) is allowed on `resource` (an ARN; `None` when
    /// the call's target is not known, which any statement for the action covers).
    pub fn check(&self, action: &str, resource: Option<&str>) -> Access {
        let applies = |s: &Statement| {
            let action_ok = if s.actions.is_empty() {
                !s.not_actions.is_empty() && !s.not_actions.iter().any(|a| glob(a, action, IAM_ACTION))
            } else {
                s.actions.iter().any(|a| glob(a, action, IAM_ACTION))
            };
            let resource_ok = match resource {
                None => true,
                Some(r) if s.resources.is_empty() => {
                    !s.not_resources.is_empty() && !s.not_resources.iter().any(|p| glob(p, r, IAM_RESOURCE))
                }
                Some(r) => s.resources.iter().any(|p| glob(p, r, IAM_RESOURCE)),
            };
            action_ok && resource_ok
        };
        if let Some(deny) = self.statements.iter().find(|s| !s.allow && applies(s)) {
            return Access::Denied(format!("an explicit Deny in {} matches", deny.origin));
        }
        if self.statements.iter().any(|s| s.allow && applies(s)) {
            return Access::Allowed;
        }
        if !self.unknown.is_empty() {
            return Access::Unknown(format!(
                "no statement the template holds allows it, and these are not known here: {}",
                self.unknown.join(", ")
            ));
        }
        Access::Denied("no identity-based policy allows the action".to_owned())
    }
}

/// IAM wildcards: `*` any run of characters, `?` one; actions compare case-insensitively
/// ("IAM JSON policy elements: Action", "Resource").
const IAM_ACTION: Glob = Glob {
    any_one: true,
    ignore_case: true,
};
const IAM_RESOURCE: Glob = Glob {
    any_one: true,
    ignore_case: false,
};

/// SAM policy templates: (name, parameter, actions, resources). `{}` is the parameter's value
/// (samtranslator `policy_templates.json`). A template of several statements has several rows.
const POLICY_TEMPLATES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "LambdaInvokePolicy",
        "FunctionName",
        &["lambda:InvokeFunction"],
        &["arn:{partition}:lambda:{region}:{account}:function:{}*"],
    ),
    (
        "DynamoDBCrudPolicy",
        "TableName",
        &[
            "dynamodb:GetItem",
            "dynamodb:DeleteItem",
            "dynamodb:PutItem",
            "dynamodb:Scan",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:BatchGetItem",
            "dynamodb:DescribeTable",
            "dynamodb:ConditionCheckItem",
        ],
        TABLE,
    ),
    (
        "DynamoDBReadPolicy",
        "TableName",
        &[
            "dynamodb:GetItem",
            "dynamodb:Scan",
            "dynamodb:Query",
            "dynamodb:BatchGetItem",
            "dynamodb:DescribeTable",
        ],
        TABLE,
    ),
    (
        "DynamoDBWritePolicy",
        "TableName",
        &["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
        TABLE,
    ),
    (
        "SQSSendMessagePolicy",
        "QueueName",
        &["sqs:SendMessage*"],
        &["arn:{partition}:sqs:{region}:{account}:{}"],
    ),
    (
        "SQSPollerPolicy",
        "QueueName",
        &[
            "sqs:ChangeMessageVisibility",
            "sqs:ChangeMessageVisibilityBatch",
            "sqs:DeleteMessage",
            "sqs:DeleteMessageBatch",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
        ],
        &["arn:{partition}:sqs:{region}:{account}:{}"],
    ),
    (
        "SNSPublishMessagePolicy",
        "TopicName",
        &["sns:Publish"],
        &["arn:{partition}:sns:{region}:{account}:{}"],
    ),
    (
        "S3ReadPolicy",
        "BucketName",
        &[
            "s3:GetObject",
            "s3:ListBucket",
            "s3:GetBucketLocation",
            "s3:GetObjectVersion",
            "s3:GetLifecycleConfiguration",
        ],
        BUCKET,
    ),
    (
        "S3CrudPolicy",
        "BucketName",
        &[
            "s3:GetObject",
            "s3:ListBucket",
            "s3:GetBucketLocation",
            "s3:GetObjectVersion",
            "s3:PutObject",
            "s3:PutObjectAcl",
            "s3:GetLifecycleConfiguration",
            "s3:PutLifecycleConfiguration",
            "s3:DeleteObject",
        ],
        BUCKET,
    ),
    (
        "S3WritePolicy",
        "BucketName",
        &["s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"],
        BUCKET,
    ),
    (
        "StepFunctionsExecutionPolicy",
        "StateMachineName",
        &["states:StartExecution"],
        &["arn:{partition}:states:{region}:{account}:stateMachine:{}"],
    ),
    (
        "EventBridgePutEventsPolicy",
        "EventBusName",
        &["events:PutEvents"],
        &["arn:{partition}:events:{region}:{account}:event-bus/{}"],
    ),
    (
        "AWSSecretsManagerGetSecretValuePolicy",
        "SecretArn",
        &["secretsmanager:GetSecretValue"],
        &["{}"],
    ),
    ("CloudWatchPutMetricPolicy", "", &["cloudwatch:PutMetricData"], &["*"]),
    ("TextractPolicy", "", &["textract:*"], &["*"]),
    (
        "ComprehendBasicAccessPolicy",
        "",
        &[
            "comprehend:BatchDetectKeyPhrases",
            "comprehend:DetectDominantLanguage",
            "comprehend:DetectEntities",
            "comprehend:BatchDetectEntities",
            "comprehend:DetectKeyPhrases",
            "comprehend:DetectSentiment",
            "comprehend:BatchDetectDominantLanguage",
            "comprehend:BatchDetectSentiment",
        ],
        &["*"],
    ),
    (
        "RekognitionDetectOnlyPolicy",
        "",
        &[
            "rekognition:DetectFaces",
            "rekognition:DetectLabels",
            "rekognition:DetectModerationLabels",
            "rekognition:DetectText",
        ],
        &["*"],
    ),
];

const TABLE: &[&str] = &[
    "arn:{partition}:dynamodb:{region}:{account}:table/{}",
    "arn:{partition}:dynamodb:{region}:{account}:table/{}/index/*",
];
const BUCKET: &[&str] = &["arn:{partition}:s3:::{}", "arn:{partition}:s3:::{}/*"];

/// AWS managed policies, by name, reduced to what Tasks call: (name, actions, not-actions).
const MANAGED_POLICIES: &[(&str, &[&str], &[&str])] = &[
    ("AdministratorAccess", &["*"], &[]),
    ("PowerUserAccess", &[], &["iam:*", "organizations:*", "account:*"]),
    ("AWSStepFunctionsFullAccess", &["states:*"], &[]),
    ("AWSLambdaRole", &["lambda:InvokeFunction"], &[]),
    ("AWSLambda_FullAccess", &["lambda:*"], &[]),
    ("AWSLambdaFullAccess", &["lambda:*"], &[]),
    ("AmazonDynamoDBFullAccess", &["dynamodb:*"], &[]),
    (
        "AmazonDynamoDBReadOnlyAccess",
        &[
            "dynamodb:BatchGet*",
            "dynamodb:Describe*",
            "dynamodb:Get*",
            "dynamodb:List*",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:PartiQLSelect",
        ],
        &[],
    ),
    ("AmazonSQSFullAccess", &["sqs:*"], &[]),
    ("AmazonSNSFullAccess", &["sns:*"], &[]),
    ("AmazonS3FullAccess", &["s3:*", "s3-object-lambda:*"], &[]),
    (
        "AmazonS3ReadOnlyAccess",
        &[
            "s3:Get*",
            "s3:List*",
            "s3:Describe*",
            "s3-object-lambda:Get*",
            "s3-object-lambda:List*",
        ],
        &[],
    ),
    (
        "AmazonEventBridgeFullAccess",
        &["events:*", "schemas:*", "scheduler:*", "pipes:*"],
        &[],
    ),
    ("CloudWatchLogsFullAccess", &["logs:*"], &[]),
    ("CloudWatchFullAccess", &["cloudwatch:*", "logs:*"], &[]),
    (
        "AWSXrayWriteOnlyAccess",
        &["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSampling*"],
        &[],
    ),
    ("AmazonBedrockFullAccess", &["bedrock:*"], &[]),
    ("ComprehendFullAccess", &["comprehend:*"], &[]),
    ("AmazonRekognitionFullAccess", &["rekognition:*"], &[]),
    ("AmazonTextractFullAccess", &["textract:*"], &[]),
    ("TranslateFullAccess", &["translate:*"], &[]),
    ("AmazonAthenaFullAccess", &["athena:*"], &[]),
];

/// The permissions of one state machine's role.
pub(super) fn build(
    ev: &Evaluator<'_>,
    resource: &Resource<'_>,
    role: Option<&Value>,
    policies: &[Value],
    identifiers: &BTreeMap<String, String>,
) -> Permissions {
    let mut out = Permissions::default();
    let sam = resource.resource_type == super::state_machine::SAM_TYPE;
    match role.and_then(Value::as_str) {
        Some(arn) => {
            out.role = arn.rsplit('/').next().unwrap_or(arn).to_owned();
            match identifiers.get(arn).and_then(|id| ev.resource(id)) {
                Some(r) if r.resource_type == "AWS::IAM::Role" => role_policies(ev, r, &mut out),
                _ => out.unknown.push(format!("role {arn} (not declared in this template)")),
            }
        }
        None if sam => {
            // SAM creates `<Id>Role` from Policies (and Connectors) when no Role is given.
            out.role = format!("{}Role", resource.id);
            for (i, policy) in policies.iter().enumerate() {
                let origin = format!("/Resources/{}/Properties/Policies/{i}", escape(&resource.id));
                sam_policy(ev, policy, &origin, &mut out);
            }
        }
        None => out
            .unknown
            .push(format!("the role of {} (RoleArn is not set)", resource.id)),
    }
    connectors(ev, resource, identifiers, &mut out);
    out
}

/// A SAM `Policies` entry: a managed policy, a policy template or a policy document.
fn sam_policy(ev: &Evaluator<'_>, policy: &Value, origin: &str, out: &mut Permissions) {
    match policy {
        Value::String(name) => managed(ev, name, origin, out),
        Value::Object(map) if map.contains_key("Statement") => document(policy, origin, out),
        Value::Object(map) if map.len() == 1 => {
            let Some((name, parameters)) = map.iter().next() else {
                return;
            };
            let rows: Vec<_> = POLICY_TEMPLATES.iter().filter(|(n, ..)| n == name).collect();
            if rows.is_empty() {
                out.unknown.push(format!("policy template {name} ({origin})"));
                return;
            }
            for (_, parameter, actions, resources) in rows {
                let value = if parameter.is_empty() {
                    Some(String::new())
                } else {
                    parameters.get(*parameter).and_then(scalar)
                };
                let Some(value) = value else {
                    out.unknown
                        .push(format!("policy template {name} without {parameter} ({origin})"));
                    continue;
                };
                out.statements.push(Statement {
                    allow: true,
                    actions: actions.iter().map(|a| (*a).to_owned()).collect(),
                    not_actions: Vec::new(),
                    resources: resources
                        .iter()
                        .map(|r| {
                            r.replace("{partition}", &ev.env.partition)
                                .replace("{region}", &ev.env.region)
                                .replace("{account}", &ev.env.account)
                                .replace("{}", &value)
                        })
                        .collect(),
                    not_resources: Vec::new(),
                    origin: format!("{name} ({origin})"),
                });
            }
        }
        _ => out.unknown.push(format!("policy {policy} ({origin})")),
    }
}

/// A managed policy by name or ARN: an AWS one known here, or one declared in the template.
fn managed(ev: &Evaluator<'_>, name_or_arn: &str, origin: &str, out: &mut Permissions) {
    let identifiers = ev.identifier_map();
    if let Some(r) = identifiers.get(name_or_arn).and_then(|id| ev.resource(id))
        && r.resource_type == "AWS::IAM::ManagedPolicy"
    {
        if let Some(doc) = evaluated(ev, r, "PolicyDocument") {
            document(&doc, &format!("/Resources/{}", escape(&r.id)), out);
        }
        return;
    }
    let name = name_or_arn.rsplit('/').next().unwrap_or(name_or_arn);
    match MANAGED_POLICIES.iter().find(|(n, ..)| *n == name) {
        Some((_, actions, not_actions)) => out.statements.push(Statement {
            allow: true,
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            not_actions: not_actions.iter().map(|a| (*a).to_owned()).collect(),
            resources: vec!["*".to_owned()],
            not_resources: Vec::new(),
            origin: format!("managed policy {name} ({origin})"),
        }),
        None => out.unknown.push(format!("managed policy {name_or_arn} ({origin})")),
    }
}

/// A policy document's statements.
fn document(doc: &Value, origin: &str, out: &mut Permissions) {
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => {
            out.unknown
                .push(format!("policy document without Statement ({origin})"));
            return;
        }
    };
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
            Some(v) => scalar(v).into_iter().collect(),
            None => Vec::new(),
        }
    };
    for (i, s) in statements.iter().enumerate() {
        out.statements.push(Statement {
            allow: s.get("Effect").and_then(Value::as_str) != Some("Deny"),
            actions: strings(s.get("Action")),
            not_actions: strings(s.get("NotAction")),
            resources: strings(s.get("Resource")),
            not_resources: strings(s.get("NotResource")),
            origin: format!("{origin}/Statement/{i}"),
        });
    }
}

/// The policies of an `AWS::IAM::Role` of the template: inline, managed, and the
/// `AWS::IAM::Policy` / `ManagedPolicy` / `RolePolicy` resources attached to it.
fn role_policies(ev: &Evaluator<'_>, role: &Resource<'_>, out: &mut Permissions) {
    let base = format!("/Resources/{}/Properties", escape(&role.id));
    if let Some(Value::Array(inline)) = evaluated(ev, role, "Policies") {
        for (i, p) in inline.iter().enumerate() {
            if let Some(doc) = p.get("PolicyDocument") {
                document(doc, &format!("{base}/Policies/{i}/PolicyDocument"), out);
            }
        }
    }
    if let Some(Value::Array(arns)) = evaluated(ev, role, "ManagedPolicyArns") {
        for (i, arn) in arns.iter().enumerate() {
            if let Some(arn) = arn.as_str() {
                managed(ev, arn, &format!("{base}/ManagedPolicyArns/{i}"), out);
            }
        }
    }
    let name = ev.resource_name(role, 0).unwrap_or_else(|_| role.id.clone());
    out.role = name.clone();
    for r in ev.resources() {
        let attached = match r.resource_type.as_str() {
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => match evaluated(ev, r, "Roles") {
                Some(Value::Array(roles)) => roles.iter().any(|v| v.as_str() == Some(name.as_str())),
                _ => false,
            },
            "AWS::IAM::RolePolicy" => {
                evaluated(ev, r, "RoleName").and_then(|v| v.as_str().map(str::to_owned)) == Some(name.clone())
            }
            _ => false,
        };
        if attached
            && matches!(ev.exists(r, 0), Ok(true))
            && let Some(doc) = evaluated(ev, r, "PolicyDocument")
        {
            document(
                &doc,
                &format!("/Resources/{}/Properties/PolicyDocument", escape(&r.id)),
                out,
            );
        }
    }
}

/// A property of a resource, evaluated; `None` when absent or when it cannot be evaluated
/// (permissions are advice: a broken policy must not stop the state machine from loading).
fn evaluated(ev: &Evaluator<'_>, r: &Resource<'_>, property: &str) -> Option<Value> {
    let value = r.properties?.get(property)?;
    let pointer = format!("/Resources/{}/Properties/{property}", escape(&r.id));
    ev.eval(value, &pointer, 0).ok().flatten()
}

/// `AWS::Serverless::Connector` resources, and connectors embedded in the state machine's
/// `Connectors` attribute, whose source is this state machine: the policies SAM generates for
/// each destination type ("AWS SAM connector reference", supported source and destination
/// resource types).
fn connectors(
    ev: &Evaluator<'_>,
    state_machine: &Resource<'_>,
    identifiers: &BTreeMap<String, String>,
    out: &mut Permissions,
) {
    let mut found: Vec<(Value, String)> = Vec::new();
    for r in ev
        .resources()
        .iter()
        .filter(|r| r.resource_type == "AWS::Serverless::Connector")
    {
        let Some(properties) = r.properties else { continue };
        let pointer = format!("/Resources/{}/Properties", escape(&r.id));
        let Ok(Some(properties)) = ev.eval(&Value::Object(properties.clone()), &pointer, 0) else {
            continue;
        };
        let source = properties.get("Source");
        let is_ours = source.and_then(|s| s.get("Id")).and_then(Value::as_str) == Some(state_machine.id.as_str())
            || source
                .and_then(|s| s.get("Arn"))
                .and_then(Value::as_str)
                .and_then(|arn| identifiers.get(arn))
                .is_some_and(|id| *id == state_machine.id);
        if is_ours {
            found.push((properties, pointer));
        }
    }
    let embedded = ev
        .root
        .get("Resources")
        .and_then(|r| r.get(&state_machine.id))
        .and_then(|r| r.get("Connectors"))
        .and_then(Value::as_object);
    for (name, connector) in embedded.into_iter().flatten() {
        let pointer = format!(
            "/Resources/{}/Connectors/{}/Properties",
            escape(&state_machine.id),
            escape(name)
        );
        if let Some(properties) = connector.get("Properties")
            && let Ok(Some(properties)) = ev.eval(properties, &pointer, 0)
        {
            found.push((properties, pointer));
        }
    }
    for (properties, pointer) in found {
        let permissions: Vec<String> = match properties.get("Permissions") {
            Some(Value::Array(p)) => p.iter().filter_map(scalar).collect(),
            _ => Vec::new(),
        };
        let destinations = match properties.get("Destination") {
            Some(Value::Array(d)) => d.clone(),
            Some(d) => vec![d.clone()],
            None => Vec::new(),
        };
        for (i, destination) in destinations.iter().enumerate() {
            connect(
                ev,
                destination,
                &permissions,
                &format!("{pointer}/Destination/{i}"),
                out,
            );
        }
    }
}

/// The statements SAM generates for a state machine source and one destination.
fn connect(ev: &Evaluator<'_>, destination: &Value, permissions: &[String], origin: &str, out: &mut Permissions) {
    let (resource_type, arn) = match destination.get("Id").and_then(Value::as_str) {
        Some(id) => match ev.resource(id) {
            Some(r) => {
                let arn = ev
                    .eval(&serde_json::json!({"Fn::GetAtt": [id, "Arn"]}), origin, 0)
                    .ok()
                    .flatten()
                    .and_then(|v| v.as_str().map(str::to_owned));
                (r.resource_type.clone(), arn)
            }
            None => {
                out.unknown.push(format!("connector destination {id} ({origin})"));
                return;
            }
        },
        None => (
            destination
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            destination.get("Arn").and_then(Value::as_str).map(str::to_owned),
        ),
    };
    let Some(arn) = arn else {
        out.unknown
            .push(format!("connector destination without Id or Arn ({origin})"));
        return;
    };
    let access: &[(&str, &[&str])] = match resource_type.as_str() {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
            &[("Write", &["lambda:InvokeAsync", "lambda:InvokeFunction"])]
        }
        "AWS::SQS::Queue" => &[
            ("Read", &["sqs:ReceiveMessage", "sqs:GetQueueAttributes"]),
            ("Write", &["sqs:SendMessage"]),
        ],
        "AWS::SNS::Topic" => &[("Write", &["sns:Publish"])],
        "AWS::Events::EventBus" => &[("Write", &["events:PutEvents"])],
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => &[
            (
                "Read",
                &[
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "dynamodb:BatchGetItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:PartiQLSelect",
                ],
            ),
            (
                "Write",
                &[
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:PartiQLDelete",
                    "dynamodb:PartiQLInsert",
                    "dynamodb:PartiQLUpdate",
                ],
            ),
        ],
        "AWS::S3::Bucket" => &[
            (
                "Read",
                &[
                    "s3:GetObject",
                    "s3:GetObjectAcl",
                    "s3:GetObjectVersion",
                    "s3:ListBucket",
                ],
            ),
            (
                "Write",
                &[
                    "s3:PutObject",
                    "s3:PutObjectAcl",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                ],
            ),
        ],
        "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => &[
            ("Read", &["states:DescribeExecution"]),
            ("Write", &["states:StartExecution", "states:StopExecution"]),
        ],
        other => {
            out.unknown
                .push(format!("connector destination of type {other} ({origin})"));
            return;
        }
    };
    let resources = match resource_type.as_str() {
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => vec![arn.clone(), format!("{arn}/index/*")],
        "AWS::S3::Bucket" => vec![arn.clone(), format!("{arn}/*")],
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => vec![arn.clone(), format!("{arn}:*")],
        _ => vec![arn.clone()],
    };
    for (level, actions) in access {
        if permissions.iter().any(|p| p == level) {
            out.statements.push(Statement {
                allow: true,
                actions: actions.iter().map(|a| (*a).to_owned()).collect(),
                not_actions: Vec::new(),
                resources: resources.clone(),
                not_resources: Vec::new(),
                origin: format!("connector {level} ({origin})"),
            });
        }
    }
}

#[cfg(test)]
fn from_document(doc: &Value) -> Permissions {
    let mut out = Permissions::default();
    document(doc, "test", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deny_wins_and_nothing_is_a_denial() {
        let p = from_document(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "arn:aws:dynamodb:us-east-1:1:table/Orders"},
            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "arn:aws:sns:*"}
        ]}));
        assert_eq!(
            p.check("dynamodb:GetItem", Some("arn:aws:dynamodb:us-east-1:1:table/Orders")),
            Access::Allowed
        );
        assert!(matches!(
            p.check("dynamodb:DeleteItem", Some("arn:aws:dynamodb:us-east-1:1:table/Orders")),
            Access::Denied(why) if why.contains("explicit Deny in test/Statement/1")
        ));
        assert_eq!(
            p.check("sns:Publish", Some("arn:aws:sns:us-east-1:1:t")),
            Access::Allowed
        );
        assert!(matches!(
            p.check("lambda:InvokeFunction", Some("arn:aws:lambda:us-east-1:1:function:f")),
            Access::Denied(why) if why == "no identity-based policy allows the action"
        ));
        // A target known only at run time: any statement for the action may cover it.
        assert_eq!(p.check("lambda:InvokeFunction", None), Access::Allowed);
        let unknown = Permissions {
            unknown: vec!["managed policy X".into()],
            ..Permissions::default()
        };
        assert!(matches!(
            unknown.check("lambda:InvokeFunction", None),
            Access::Unknown(_)
        ));
    }

    #[test]
    fn every_policy_template_names_actions_and_resources() {
        // IAM's shapes: `service:Action` (a lowercase service prefix, an action or a wildcard),
        // and ARNs with the partition, `*`, or `{}` where the parameter is a whole ARN
        // (`SecretArn`); a template's parameter is the `{}` placeholder of a resource.
        for (name, parameter, actions, resources) in POLICY_TEMPLATES {
            assert!(!actions.is_empty() && !resources.is_empty(), "{name}");
            for action in *actions {
                let (service, what) = action.split_once(':').unwrap_or_default();
                let service_ok = !service.is_empty()
                    && service
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                assert!(service_ok && !what.is_empty(), "{name}: action {action}");
            }
            for resource in *resources {
                assert!(
                    *resource == "*" || *resource == "{}" || resource.starts_with("arn:{partition}:"),
                    "{name}: resource {resource}"
                );
            }
            if !parameter.is_empty() {
                assert!(
                    resources.iter().any(|r| r.contains("{}")),
                    "{name} takes {parameter} but no resource uses it"
                );
            }
        }
    }
}
