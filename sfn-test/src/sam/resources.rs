//! Synthetic identifiers for template resources: what `Ref` and `Fn::GetAtt` return for each
//! resource type (per the CloudFormation "Return values" of the type), built so that every
//! identifier still contains the resource's name, and so can be traced back to its logical id.

/// The values pseudo parameters take for this template (defaults or overrides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Environment {
    pub(super) region: String,
    pub(super) account: String,
    pub(super) partition: String,
    pub(super) url_suffix: String,
    pub(super) stack_name: String,
    pub(super) stack_id: String,
}

/// How one family of resource types answers `Ref` and `Fn::GetAtt`. Patterns use `{name}`
/// (the physical name), `{id}` (the logical id), `{region}`, `{account}`, `{partition}` and
/// `{suffix}` (`AWS::URLSuffix`).
struct Kind {
    types: &'static [&'static str],
    /// Properties that set the physical name, first present wins; else the logical id is used.
    name_properties: &'static [&'static str],
    reference: &'static str,
    attributes: &'static [(&'static str, &'static str)],
}

const LAMBDA_ARN: &str = "arn:{partition}:lambda:{region}:{account}:function:{name}";
const STATE_MACHINE_ARN: &str = "arn:{partition}:states:{region}:{account}:stateMachine:{name}";
const QUEUE_URL: &str = "https://sqs.{region}.{suffix}/{account}/{name}";
const TOPIC_ARN: &str = "arn:{partition}:sns:{region}:{account}:{name}";
const ACTIVITY_ARN: &str = "arn:{partition}:states:{region}:{account}:activity:{name}";
const LAYER_ARN: &str = "arn:{partition}:lambda:{region}:{account}:layer:{name}:1";
const SECRET_ARN: &str = "arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-AbCdEf";
const TASK_DEFINITION_ARN: &str = "arn:{partition}:ecs:{region}:{account}:task-definition/{name}:1";
const JOB_QUEUE_ARN: &str = "arn:{partition}:batch:{region}:{account}:job-queue/{name}";
const JOB_DEFINITION_ARN: &str = "arn:{partition}:batch:{region}:{account}:job-definition/{name}:1";
const COMPUTE_ENVIRONMENT_ARN: &str = "arn:{partition}:batch:{region}:{account}:compute-environment/{name}";
const MANAGED_POLICY_ARN: &str = "arn:{partition}:iam::{account}:policy/{name}";
const SCHEDULE_GROUP_ARN: &str = "arn:{partition}:scheduler:{region}:{account}:schedule-group/{name}";

/// One row per resource family; types not listed get [`generic`] identifiers.
const KINDS: &[Kind] = &[
    Kind {
        types: &["AWS::Serverless::Function", "AWS::Lambda::Function"],
        name_properties: &["FunctionName"],
        reference: "{name}",
        attributes: &[("Arn", LAMBDA_ARN)],
    },
    Kind {
        types: &["AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"],
        name_properties: &["Name", "StateMachineName"],
        reference: STATE_MACHINE_ARN,
        attributes: &[("Arn", STATE_MACHINE_ARN), ("Name", "{name}")],
    },
    Kind {
        types: &["AWS::StepFunctions::Activity"],
        name_properties: &["Name"],
        reference: ACTIVITY_ARN,
        attributes: &[("Arn", ACTIVITY_ARN), ("Name", "{name}")],
    },
    Kind {
        types: &["AWS::SQS::Queue"],
        name_properties: &["QueueName"],
        reference: QUEUE_URL,
        attributes: &[
            ("Arn", "arn:{partition}:sqs:{region}:{account}:{name}"),
            ("QueueName", "{name}"),
            ("QueueUrl", QUEUE_URL),
        ],
    },
    Kind {
        types: &["AWS::SNS::Topic"],
        name_properties: &["TopicName"],
        reference: TOPIC_ARN,
        attributes: &[("TopicArn", TOPIC_ARN), ("TopicName", "{name}")],
    },
    Kind {
        types: &[
            "AWS::DynamoDB::Table",
            "AWS::Serverless::SimpleTable",
            "AWS::DynamoDB::GlobalTable",
        ],
        name_properties: &["TableName"],
        reference: "{name}",
        attributes: &[
            ("Arn", "arn:{partition}:dynamodb:{region}:{account}:table/{name}"),
            (
                "StreamArn",
                "arn:{partition}:dynamodb:{region}:{account}:table/{name}/stream/2024-01-01T00:00:00.000",
            ),
        ],
    },
    Kind {
        types: &["AWS::S3::Bucket"],
        name_properties: &["BucketName"],
        reference: "{name}",
        attributes: &[
            ("Arn", "arn:{partition}:s3:::{name}"),
            ("DomainName", "{name}.s3.{suffix}"),
            ("RegionalDomainName", "{name}.s3.{region}.{suffix}"),
            ("DualStackDomainName", "{name}.s3.dualstack.{region}.{suffix}"),
            ("WebsiteURL", "http://{name}.s3-website-{region}.{suffix}"),
        ],
    },
    Kind {
        types: &["AWS::Events::EventBus"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[
            ("Arn", "arn:{partition}:events:{region}:{account}:event-bus/{name}"),
            ("Name", "{name}"),
        ],
    },
    Kind {
        types: &["AWS::Events::Rule"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[("Arn", "arn:{partition}:events:{region}:{account}:rule/{name}")],
    },
    Kind {
        types: &["AWS::Events::Connection"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[
            (
                "Arn",
                "arn:{partition}:events:{region}:{account}:connection/{name}/00000000-0000-0000-0000-000000000000",
            ),
            ("SecretArn", SECRET_ARN),
        ],
    },
    Kind {
        types: &["AWS::Events::ApiDestination"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[(
            "Arn",
            "arn:{partition}:events:{region}:{account}:api-destination/{name}/00000000-0000-0000-0000-000000000000",
        )],
    },
    Kind {
        types: &["AWS::Scheduler::Schedule"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[(
            "Arn",
            "arn:{partition}:scheduler:{region}:{account}:schedule/default/{name}",
        )],
    },
    Kind {
        types: &["AWS::Scheduler::ScheduleGroup"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[("Arn", SCHEDULE_GROUP_ARN)],
    },
    Kind {
        types: &["AWS::IAM::Role"],
        name_properties: &["RoleName"],
        reference: "{name}",
        attributes: &[
            ("Arn", "arn:{partition}:iam::{account}:role/{name}"),
            ("RoleId", "AROA{name}"),
        ],
    },
    Kind {
        types: &["AWS::IAM::ManagedPolicy"],
        name_properties: &["ManagedPolicyName"],
        reference: MANAGED_POLICY_ARN,
        attributes: &[("PolicyArn", MANAGED_POLICY_ARN)],
    },
    Kind {
        types: &["AWS::Serverless::Api", "AWS::ApiGateway::RestApi"],
        name_properties: &[],
        reference: "{id}",
        attributes: &[("RootResourceId", "{id}Root")],
    },
    Kind {
        types: &["AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api"],
        name_properties: &[],
        reference: "{id}",
        attributes: &[
            ("ApiId", "{id}"),
            ("ApiEndpoint", "https://{id}.execute-api.{region}.{suffix}"),
        ],
    },
    Kind {
        types: &["AWS::Lambda::LayerVersion", "AWS::Serverless::LayerVersion"],
        name_properties: &["LayerName"],
        reference: LAYER_ARN,
        attributes: &[("LayerVersionArn", LAYER_ARN)],
    },
    Kind {
        types: &["AWS::Logs::LogGroup"],
        name_properties: &["LogGroupName"],
        reference: "{name}",
        attributes: &[("Arn", "arn:{partition}:logs:{region}:{account}:log-group:{name}:*")],
    },
    Kind {
        types: &["AWS::SecretsManager::Secret"],
        name_properties: &["Name"],
        reference: SECRET_ARN,
        attributes: &[("Id", SECRET_ARN)],
    },
    Kind {
        types: &["AWS::Glue::Job", "AWS::Glue::Crawler", "AWS::Glue::Workflow"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[],
    },
    Kind {
        types: &["AWS::ECS::Cluster"],
        name_properties: &["ClusterName"],
        reference: "{name}",
        attributes: &[("Arn", "arn:{partition}:ecs:{region}:{account}:cluster/{name}")],
    },
    Kind {
        types: &["AWS::ECS::TaskDefinition"],
        name_properties: &["Family"],
        reference: TASK_DEFINITION_ARN,
        attributes: &[("TaskDefinitionArn", TASK_DEFINITION_ARN)],
    },
    Kind {
        types: &["AWS::Batch::JobQueue"],
        name_properties: &["JobQueueName"],
        reference: JOB_QUEUE_ARN,
        attributes: &[("JobQueueArn", JOB_QUEUE_ARN)],
    },
    Kind {
        types: &["AWS::Batch::JobDefinition"],
        name_properties: &["JobDefinitionName"],
        reference: JOB_DEFINITION_ARN,
        attributes: &[("JobDefinitionArn", JOB_DEFINITION_ARN)],
    },
    Kind {
        types: &["AWS::Batch::ComputeEnvironment"],
        name_properties: &["ComputeEnvironmentName"],
        reference: COMPUTE_ENVIRONMENT_ARN,
        attributes: &[("ComputeEnvironmentArn", COMPUTE_ENVIRONMENT_ARN)],
    },
    Kind {
        types: &["AWS::Kinesis::Stream"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[("Arn", "arn:{partition}:kinesis:{region}:{account}:stream/{name}")],
    },
    Kind {
        types: &["AWS::KinesisFirehose::DeliveryStream"],
        name_properties: &["DeliveryStreamName"],
        reference: "{name}",
        attributes: &[(
            "Arn",
            "arn:{partition}:firehose:{region}:{account}:deliverystream/{name}",
        )],
    },
    Kind {
        types: &["AWS::SSM::Parameter"],
        name_properties: &["Name"],
        reference: "{name}",
        attributes: &[],
    },
    Kind {
        types: &["AWS::KMS::Key"],
        name_properties: &[],
        reference: "{id}",
        attributes: &[
            ("Arn", "arn:{partition}:kms:{region}:{account}:key/{id}"),
            ("KeyId", "{id}"),
        ],
    },
    Kind {
        types: &["AWS::Serverless::Connector"],
        name_properties: &[],
        reference: "{id}",
        attributes: &[],
    },
];

fn kind(resource_type: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.types.contains(&resource_type))
}

/// The properties that set a resource's physical name (empty: the name is the logical id).
pub(super) fn name_properties(resource_type: &str) -> &'static [&'static str] {
    kind(resource_type).map_or(&[], |k| k.name_properties)
}

/// What `Ref` returns for a resource.
pub(super) fn reference(resource_type: &str, id: &str, name: &str, env: &Environment) -> String {
    match kind(resource_type) {
        Some(k) => render(k.reference, id, name, env),
        None => id.to_owned(),
    }
}

/// What `Fn::GetAtt` returns for an attribute of a resource.
pub(super) fn attribute(resource_type: &str, id: &str, name: &str, attr: &str, env: &Environment) -> String {
    let known = kind(resource_type).and_then(|k| k.attributes.iter().find(|(a, _)| *a == attr));
    match known {
        Some((_, pattern)) => render(pattern, id, name, env),
        None => generic(resource_type, id, name, attr, env),
    }
}

/// Every identifier `Ref` and the known attributes give for a resource, plus its name.
pub(super) fn identifiers(resource_type: &str, id: &str, name: &str, env: &Environment) -> Vec<String> {
    let mut out = vec![name.to_owned(), reference(resource_type, id, name, env)];
    match kind(resource_type) {
        Some(k) => out.extend(k.attributes.iter().map(|(_, p)| render(p, id, name, env))),
        None => out.push(generic(resource_type, id, name, "Arn", env)),
    }
    out
}

/// A placeholder for an attribute nobody described: an ARN-shaped string for `Arn`-like
/// attributes, the name for `Name`-like ones, always containing the logical id.
fn generic(resource_type: &str, id: &str, name: &str, attr: &str, env: &Environment) -> String {
    if attr.ends_with("Name") || attr == "Id" {
        return name.to_owned();
    }
    let service = service(resource_type);
    let base = format!("arn:{}:{service}:{}:{}:{id}", env.partition, env.region, env.account);
    if attr == "Arn" { base } else { format!("{base}/{attr}") }
}

fn service(resource_type: &str) -> String {
    let mut parts = resource_type.split("::");
    match (parts.next(), parts.next()) {
        (Some("AWS"), Some(service)) => service.to_ascii_lowercase(),
        (Some(vendor), _) => vendor.to_ascii_lowercase(),
        _ => "unknown".to_owned(),
    }
}

fn render(pattern: &str, id: &str, name: &str, env: &Environment) -> String {
    pattern
        .replace("{name}", name)
        .replace("{id}", id)
        .replace("{region}", &env.region)
        .replace("{account}", &env.account)
        .replace("{partition}", &env.partition)
        .replace("{suffix}", &env.url_suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            partition: "aws".into(),
            url_suffix: "amazonaws.com".into(),
            stack_name: "s".into(),
            stack_id: "x".into(),
        }
    }

    #[test]
    fn lambda_and_queue_shapes() {
        let e = env();
        assert_eq!(reference("AWS::Lambda::Function", "F", "f", &e), "f");
        assert_eq!(
            attribute("AWS::Serverless::Function", "F", "f", "Arn", &e),
            "arn:aws:lambda:us-east-1:123456789012:function:f"
        );
        assert_eq!(
            reference("AWS::SQS::Queue", "Q", "Q", &e),
            "https://sqs.us-east-1.amazonaws.com/123456789012/Q"
        );
        assert_eq!(attribute("AWS::SQS::Queue", "Q", "Q", "QueueName", &e), "Q");
    }

    #[test]
    fn unknown_types_keep_the_logical_id() {
        let e = env();
        assert_eq!(reference("AWS::EC2::VPC", "Vpc", "Vpc", &e), "Vpc");
        assert_eq!(
            attribute("AWS::EC2::VPC", "Vpc", "Vpc", "Arn", &e),
            "arn:aws:ec2:us-east-1:123456789012:Vpc"
        );
        assert_eq!(
            attribute("AWS::EC2::VPC", "Vpc", "Vpc", "CidrBlock", &e),
            "arn:aws:ec2:us-east-1:123456789012:Vpc/CidrBlock"
        );
        assert_eq!(attribute("Custom::Thing", "T", "T", "Name", &e), "T");
    }

    #[test]
    fn every_type_appears_once() {
        let mut seen = std::collections::BTreeSet::new();
        for k in KINDS {
            for t in k.types {
                assert!(seen.insert(*t), "{t} listed twice");
            }
        }
    }
}
