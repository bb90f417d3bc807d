//! The Task `Resource` model: which kind of integration an ARN names, and the keys a mock for
//! it can be registered under.

/// How a Task waits for its integration (the ARN suffix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Request-response: the call's response is the result.
    RequestResponse,
    /// `.sync` / `.sync:2`: the result of the job the call started.
    Sync,
    /// `.waitForTaskToken`: the output sent with `SendTaskSuccess`.
    WaitForTaskToken,
}

/// What a Task's `Resource` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    /// A Lambda function ARN used directly: the function's return value is the result.
    LambdaFunction {
        /// The function name (last part of the ARN, without a version or alias).
        function: String,
    },
    /// An optimized or SDK service integration, `arn:aws:states:::<service>:<action>[.pattern]`.
    Service {
        /// `lambda`, `sqs`, `dynamodb`, `aws-sdk:s3`, ...
        service: String,
        /// `invoke`, `sendMessage`, `putItem`, ...
        action: String,
        /// The wait pattern.
        pattern: Pattern,
    },
    /// An activity ARN: a worker's output is the result.
    Activity {
        /// The activity name.
        name: String,
    },
    /// Anything else: answered by mocks like a request-response call.
    Other,
}

impl Resource {
    /// What AWS refuses in a call's parameters before it starts the Task, as the text it puts
    /// between the brackets of "The Parameters '...' could not be used to start the Task: [...]".
    /// API Gateway takes `Headers` and `QueryParameters` only as maps of string lists
    /// (conformance `services.test_apigetway_task_service...test_invoke_with_headers[*]`).
    /// Whether [`parameter_problem`](Resource::parameter_problem) looks at the parameters at all.
    pub fn checks_parameters(&self) -> bool {
        matches!(self, Resource::Service { service, action, .. } if service == "apigateway" && action == "invoke")
    }

    pub fn parameter_problem(&self, parameters: &serde_json::Value) -> Option<String> {
        let Resource::Service { service, action, .. } = self else {
            return None;
        };
        if service != "apigateway" || action != "invoke" {
            return None;
        }
        ["Headers", "QueryParameters"].into_iter().find_map(|field| {
            let value = parameters.get(field)?;
            let lists = value.as_object().is_some_and(|m| {
                m.values().all(|v| {
                    v.as_array()
                        .is_some_and(|items| items.iter().all(serde_json::Value::is_string))
                })
            });
            (!lists).then(|| format!("The value of the field '{field}' has an invalid format"))
        })
    }

    /// Classifies a `Resource` ARN.
    pub fn parse(arn: &str) -> Resource {
        let parts: Vec<&str> = arn.splitn(7, ':').collect();
        match parts.as_slice() {
            ["arn", _partition, "lambda", _region, _account, "function", rest] => Resource::LambdaFunction {
                function: rest.split(':').next().unwrap_or(rest).to_string(),
            },
            ["arn", _partition, "states", _region, _account, "activity", name] => Resource::Activity {
                name: (*name).to_string(),
            },
            ["arn", _partition, "states", "", "", service, rest] => {
                // `aws-sdk:s3:getObject` splits one level deeper than `lambda:invoke`.
                let (service, rest) = if *service == "aws-sdk" {
                    match rest.split_once(':') {
                        Some((svc, action)) => (format!("aws-sdk:{svc}"), action),
                        None => ((*service).to_string(), *rest),
                    }
                } else {
                    ((*service).to_string(), *rest)
                };
                let (action, pattern) = if let Some(a) = rest.strip_suffix(".waitForTaskToken") {
                    (a, Pattern::WaitForTaskToken)
                } else if let Some((a, _)) = rest.split_once(".sync") {
                    (a, Pattern::Sync)
                } else {
                    (rest, Pattern::RequestResponse)
                };
                Resource::Service {
                    service,
                    action: action.to_string(),
                    pattern,
                }
            }
            _ => Resource::Other,
        }
    }

    /// `lambda:invoke` wraps a function's payload in the Invoke response envelope.
    pub fn wraps_lambda_payload(&self) -> bool {
        matches!(self, Resource::Service { service, action, pattern: Pattern::RequestResponse | Pattern::Sync } if service == "lambda" && action == "invoke")
    }

    /// The pattern this resource waits with.
    pub fn pattern(&self) -> Pattern {
        match self {
            Resource::Service { pattern, .. } => *pattern,
            _ => Pattern::RequestResponse,
        }
    }

    /// `resourceType` and `resource` as history events name them (`lambda` / `invoke`).
    pub fn history_names(&self, arn: &str) -> (String, String) {
        match self {
            Resource::LambdaFunction { .. } => ("lambda".into(), arn.into()),
            Resource::Service {
                service,
                action,
                pattern,
            } => {
                let suffix = match pattern {
                    Pattern::RequestResponse => "",
                    Pattern::Sync => ".sync",
                    Pattern::WaitForTaskToken => ".waitForTaskToken",
                };
                let suffix = if arn.ends_with(".sync:2") { ".sync:2" } else { suffix };
                (service.clone(), format!("{action}{suffix}"))
            }
            Resource::Activity { .. } => ("activity".into(), arn.into()),
            Resource::Other => ("unknown".into(), arn.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_arns() {
        assert_eq!(
            Resource::parse("arn:aws:lambda:us-east-1:123456789012:function:Charge:live"),
            Resource::LambdaFunction {
                function: "Charge".into()
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::lambda:invoke"),
            Resource::Service {
                service: "lambda".into(),
                action: "invoke".into(),
                pattern: Pattern::RequestResponse
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            Resource::Service {
                service: "sqs".into(),
                action: "sendMessage".into(),
                pattern: Pattern::WaitForTaskToken
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::states:startExecution.sync:2"),
            Resource::Service {
                service: "states".into(),
                action: "startExecution".into(),
                pattern: Pattern::Sync
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::aws-sdk:s3:getObject"),
            Resource::Service {
                service: "aws-sdk:s3".into(),
                action: "getObject".into(),
                pattern: Pattern::RequestResponse
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:us-east-1:123456789012:activity:Approve"),
            Resource::Activity { name: "Approve".into() }
        );
        assert!(Resource::parse("arn:aws:states:::lambda:invoke").wraps_lambda_payload());
        assert!(!Resource::parse("arn:aws:states:::lambda:invoke.waitForTaskToken").wraps_lambda_payload());
    }
}
