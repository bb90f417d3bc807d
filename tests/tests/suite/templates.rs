//! Templates as real projects write them: SAM with parameters, conditions, mappings, includes
//! and several state machines; CDK output; CloudFormation `DefinitionString`; and the clear
//! errors for what cannot be loaded.

use std::path::PathBuf;

use sfn_test::prelude::*;
use sfn_test::sam::{Template, WorkflowType};

const SAM: &str = "fixtures/templates/sam/template.yaml";
const CDK: &str = "fixtures/templates/cdk/cdk.out/OrderStack.template.json";

fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn order_flow_run(sm: &StateMachine) -> Execution {
    sm.scenario()
        .mock("ValidateFunction", json!({ "valid": true }))
        .mock("ChildFlow", json!({ "Output": { "child": true } }))
        .mock("AlertsTopic", json!({ "MessageId": "m-1" }))
        .mock("NotifyFunction", json!({}))
        .run()
        .expect("runs")
}

#[test]
fn sam_template_resolves_substitutions_mappings_and_includes() {
    let sm = StateMachine::from_template(SAM, "OrderFlow").expect("loads");
    let run = order_flow_run(&sm);
    run.assert_succeeded()
        .assert_path(["Validate", "Cool down", "Run child", "Notify", "Audit"]);
    // `Seconds: ${WaitSeconds}` is unquoted YAML: substituted before parsing, it is a number.
    assert_eq!(run.elapsed(), Duration::from_secs(60));
    assert_eq!(
        run.calls("ValidateFunction")[0]["FunctionName"],
        json!("arn:aws:lambda:us-east-1:123456789012:function:validate-dev")
    );
    // A state machine of the same template, by !Ref, resolves to its logical id.
    assert_eq!(
        run.calls("ChildFlow")[0]["StateMachineArn"],
        json!("arn:aws:states:us-east-1:123456789012:stateMachine:child-dev")
    );
    assert_eq!(run.calls("AlertsTopic")[0]["Message"], json!("hello dev"));
    // NotifyFunction comes from an AWS::Include of a local file.
    assert_eq!(run.calls("NotifyFunction").len(), 1);
    assert_eq!(sm.definition()["Comment"], json!("Order flow in us"));
    assert_eq!(sm.name(), "order-flow-dev");
}

#[test]
fn parameter_overrides_change_conditions_and_mappings() {
    let template = Template::load(fixture(SAM))
        .expect("loads")
        .parameter("Stage", "prod")
        .parameter("AlertEmail", "ops@example.com");
    assert_eq!(template.state_machine_ids(), ["OrderFlow", "ChildFlow", "ProdOnlyFlow"]);
    let sm = StateMachine::from_loaded_template(&template, "OrderFlow").expect("loads");
    let run = order_flow_run(&sm);
    assert_eq!(run.elapsed(), Duration::from_secs(5));
    assert_eq!(run.calls("AlertsTopic")[0]["Message"], json!("hello prod"));
    let prod_only = template.state_machine("ProdOnlyFlow").expect("resolves");
    assert_eq!(
        prod_only.definition["States"]["Alert"]["Result"],
        json!({ "to": "ops@example.com" })
    );
}

#[test]
fn required_parameter_without_value_is_a_clear_error() {
    let template = Template::load(fixture(SAM)).expect("loads").parameter("Stage", "prod");
    let required: Vec<String> = template
        .parameters()
        .into_iter()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    assert_eq!(required, ["AlertEmail"]);
    let err = template.state_machine("ProdOnlyFlow").unwrap_err().to_string();
    assert!(
        err.contains(
            "template.yaml: /Resources/ProdOnlyFlow/Properties/DefinitionSubstitutions/Email/Ref: parameter AlertEmail has no Default and no value was given; pass one with `Template::load(..).parameter(\"AlertEmail\", \"...\")`"
        ),
        "{err}"
    );
    // Loading every state machine fails the same way; the ones that do not use it still load.
    assert!(template.state_machines().is_err());
    assert!(template.state_machine("OrderFlow").is_ok());
}

#[test]
fn false_condition_leaves_the_resource_out() {
    let template = Template::load(fixture(SAM)).expect("loads");
    assert_eq!(template.state_machine_ids(), ["OrderFlow", "ChildFlow"]);
    let err = template.state_machine("ProdOnlyFlow").unwrap_err().to_string();
    assert!(
        err.contains(
            "/Resources/ProdOnlyFlow/Condition: resource ProdOnlyFlow is excluded because its Condition IsProd is false"
        ),
        "{err}"
    );
    let err = Template::load(fixture(SAM))
        .expect("loads")
        .parameter("Stag", "prod")
        .state_machine("OrderFlow")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no such parameter; it declares: Stage, AlertEmail"),
        "{err}"
    );
    let err = Template::load(fixture(SAM))
        .expect("loads")
        .parameter("Stage", "qa")
        .state_machine("OrderFlow")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("value \"qa\" for parameter Stage is not allowed; allowed: dev, prod"),
        "{err}"
    );
}

#[test]
fn several_state_machines_per_template() {
    let specs = Template::load(fixture(SAM))
        .expect("loads")
        .state_machines()
        .expect("resolves");
    let names: Vec<(&str, &str, WorkflowType)> = specs
        .iter()
        .map(|s| (s.logical_id.as_str(), s.name.as_str(), s.workflow_type))
        .collect();
    assert_eq!(
        names,
        [
            ("OrderFlow", "order-flow-dev", WorkflowType::Standard),
            ("ChildFlow", "child-dev", WorkflowType::Express),
        ]
    );
    assert_eq!(
        specs[1].arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:child-dev"
    );
}

#[test]
fn cdk_output_with_fn_join_definition_string() {
    let template = Template::load(fixture(CDK)).expect("loads");
    assert_eq!(template.state_machine_ids(), ["ShipFlow9C8B7A6D", "OrderFlow2B3C4D5E"]);
    let sm = StateMachine::from_template(CDK, "OrderFlow2B3C4D5E").expect("loads");
    assert_eq!(sm.name(), "order-flow");
    let run = sm
        .scenario()
        .input(json!({ "order": 1 }))
        .mock("ChargeFn1F2E3D4C", json!({ "charged": true }))
        .mock("OrdersTable0A1B2C3D", json!({}))
        .mock("ShipFlow9C8B7A6D", json!({ "Output": { "shipped": true } }))
        .run()
        .expect("runs");
    run.assert_succeeded().assert_path(["Charge", "Save", "Ship"]);
    assert_eq!(
        *run.calls("ChargeFn1F2E3D4C")[0],
        json!({
            "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:ChargeFn1F2E3D4C",
            "Payload": { "order": 1 }
        })
    );
    assert_eq!(
        run.calls("OrdersTable0A1B2C3D")[0]["TableName"],
        json!("OrdersTable0A1B2C3D")
    );
    assert_eq!(
        run.calls("ShipFlow9C8B7A6D")[0]["StateMachineArn"],
        json!("arn:aws:states:us-east-1:123456789012:stateMachine:ShipFlow9C8B7A6D")
    );
    // Pseudo parameters follow the overrides, the partition the region.
    let cn = Template::load(fixture(CDK))
        .expect("loads")
        .pseudo("AWS::Region", "cn-north-1");
    let spec = cn.state_machine("OrderFlow2B3C4D5E").expect("resolves");
    assert_eq!(
        spec.definition["States"]["Charge"]["Resource"],
        json!("arn:aws-cn:states:::lambda:invoke")
    );
    assert_eq!(
        spec.role,
        Some(json!("arn:aws-cn:iam::123456789012:role/OrderFlowRole1A2B3C4D"))
    );
}

const CFN_STRING: &str = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: { FunctionName: work }
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionSubstitutions:
        Wait: 5
      DefinitionString: !Sub |
        {"StartAt": "Work", "States": {
          "Work": {"Type": "Task", "Resource": "${Fn.Arn}", "Next": "Pause"},
          "Pause": {"Type": "Wait", "Seconds": ${!Wait}, "Next": "Done"},
          "Done": {"Type": "Pass", "Result": "done in ${AWS::Region}", "End": true}}}
"#;

#[test]
fn definition_string_with_sub_and_substitutions() {
    let template = Template::parse(CFN_STRING, "inline.yaml").expect("parses");
    let sm = StateMachine::from_loaded_template(&template, "Flow").expect("loads");
    let run = sm.scenario().mock("Fn", json!({})).run().expect("runs");
    run.assert_succeeded().assert_output(json!("done in us-east-1"));
    // `${!Wait}` is left by Fn::Sub as `${Wait}`, outside quotes: DefinitionSubstitutions act on
    // the text, as CloudFormation does.
    assert_eq!(run.elapsed(), Duration::from_secs(5));
    assert_eq!(
        sm.definition()["States"]["Work"]["Resource"],
        json!("arn:aws:lambda:us-east-1:123456789012:function:work")
    );
}

#[test]
fn definitions_on_s3_are_clear_errors() {
    let sam_object = r"
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: { Bucket: my-bucket, Key: flows/flow.asl.json }
";
    let err = Template::parse(sam_object, "t.yaml")
        .and_then(|t| t.state_machine("Flow"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "t.yaml: /Resources/Flow/Properties/DefinitionUri: s3://my-bucket/flows/flow.asl.json is on S3, which sfn-test does not read; point DefinitionUri at the local definition file (e.g. statemachine/flow.asl.json, relative to the template) or write the definition inline with Definition"
    );
    let sam_uri = sam_object.replace("{ Bucket: my-bucket, Key: flows/flow.asl.json }", "s3://b/k.json");
    let err = Template::parse(&sam_uri, "t.yaml")
        .and_then(|t| t.state_machine("Flow"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("s3://b/k.json is on S3"), "{err}");
    let cfn = r"
Resources:
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionS3Location: { Bucket: b, Key: k.json }
";
    let err = Template::parse(cfn, "t.yaml")
        .and_then(|t| t.state_machine("Flow"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/Resources/Flow/Properties/DefinitionS3Location: s3://b/k.json is on S3, which sfn-test does not read; use Definition (inline) or DefinitionString"),
        "{err}"
    );
}

#[test]
fn placeholders_without_substitution_are_clear_errors() {
    let text = r#"
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        topicArn: arn:aws:sns:us-east-1:123456789012:t
      Definition:
        StartAt: Notify
        States:
          Notify:
            Type: Task
            Resource: arn:aws:states:::sns:publish
            Parameters: { TopicArn: "${TopicArn}", Message: "${Missing}" }
            End: true
"#;
    let err = Template::parse(text, "t.yaml")
        .and_then(|t| t.state_machine("Flow"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "t.yaml: /Resources/Flow/Properties/DefinitionSubstitutions: the definition of Flow uses ${TopicArn} at /States/Notify/Parameters/TopicArn, ${Missing} at /States/Notify/Parameters/Message, which DefinitionSubstitutions does not give a value for (deployed, it stays literal text); rename the substitution topicArn to TopicArn (placeholder names are case-sensitive); add Missing: <value> under DefinitionSubstitutions"
    );
}

const OVERRIDABLE: &str = r#"
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        Bus: !ImportValue shared-bus
        Encoded: !Base64 hi
        Zone: !Select [1, !GetAZs ""]
        Macro:
          Fn::Transform: { Name: Uppercase, Parameters: { Text: x } }
      Definition:
        StartAt: Done
        States:
          Done:
            Type: Pass
            Result: ["${Bus}", "${Encoded}", "${Zone}", "${Macro}"]
            End: true
"#;

#[test]
fn imports_and_macros_take_test_values() {
    let template = Template::parse(OVERRIDABLE, "t.yaml").expect("parses");
    let err = template.state_machine("Flow").unwrap_err().to_string();
    assert!(
        err.contains("Fn::ImportValue of export shared-bus has no value here")
            && err.contains(".import(\"shared-bus\", \"...\")"),
        "{err}"
    );
    let err = template
        .clone()
        .import("shared-bus", "b")
        .state_machine("Flow")
        .unwrap_err()
        .to_string();
    assert!(err.contains(".transform(\"Uppercase\", json!(..))"), "{err}");
    let spec = template
        .import("shared-bus", "arn:aws:events:us-east-1:123456789012:event-bus/shared")
        .transform("Uppercase", json!("X"))
        .state_machine("Flow")
        .expect("resolves");
    assert_eq!(
        spec.definition["States"]["Done"]["Result"],
        json!([
            "arn:aws:events:us-east-1:123456789012:event-bus/shared",
            "aGk=",
            "us-east-1b",
            "X"
        ])
    );
}

const EVENTS: &str = "fixtures/templates/events/template.yaml";

fn delivered(sm: &StateMachine, event: &str, given: Option<Value>) -> Value {
    let scenario = match given {
        Some(e) => sm.trigger_event(event, e),
        None => sm.trigger(event),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let run = scenario.run().expect("runs");
    run.assert_succeeded();
    run.output().cloned().unwrap_or_default()
}

#[test]
fn schedules_deliver_the_scheduled_event_or_their_input() {
    let sm = StateMachine::from_template(EVENTS, "EchoFlow").expect("loads");
    let nightly = delivered(&sm, "Nightly", None);
    assert_eq!(nightly["detail-type"], json!("Scheduled Event"));
    assert_eq!(nightly["source"], json!("aws.events"));
    assert_eq!(nightly["time"], json!("2024-01-01T00:00:00Z"));
    assert_eq!(
        nightly["resources"],
        json!(["arn:aws:events:us-east-1:123456789012:rule/EchoFlowNightly"])
    );
    assert_eq!(nightly["detail"], json!({}));
    assert_eq!(delivered(&sm, "Hourly", None), json!({ "mode": "hourly" }));
    assert_eq!(delivered(&sm, "Weekly", None), json!({ "region": "us-east-1" }));
    assert_eq!(delivered(&sm, "Daily", None), json!({}));
    let err = sm.trigger_event("Hourly", json!({})).unwrap_err().to_string();
    assert!(err.contains("a Schedule event delivers a fixed input"), "{err}");
}

#[test]
fn rules_check_the_pattern_and_shape_the_input() {
    let sm = StateMachine::from_template(EVENTS, "EchoFlow").expect("loads");
    let order =
        json!({ "source": "shop.orders", "detail-type": "Order Placed", "detail": { "id": "o-1", "amount": 40 } });
    let whole = delivered(&sm, "OrderPlaced", Some(order.clone()));
    assert_eq!(whole["detail"], order["detail"]);
    assert_eq!(whole["account"], json!("123456789012"));
    assert_eq!(whole["version"], json!("0"));
    assert_eq!(
        delivered(&sm, "OrderDetail", Some(order.clone())),
        json!({ "id": "o-1", "amount": 40 })
    );
    assert_eq!(
        delivered(&sm, "OrderSummary", Some(order.clone())),
        json!({ "order": "o-1", "text": "order o-1 of 40", "rule": "EchoFlowOrderSummary" })
    );
    assert_eq!(delivered(&sm, "Legacy", None), json!({ "legacy": true }));

    let free = json!({ "source": "shop.orders", "detail-type": "Order Placed", "detail": { "amount": 0 } });
    let err = sm.trigger_event("OrderPlaced", free).unwrap_err().to_string();
    assert!(
        err.contains("template.yaml: /Resources/EchoFlow/Properties/Events/OrderPlaced: the event does not match the rule's Pattern: /detail/amount: 0 matches none of [{\"numeric\":[\">\",0]}]"),
        "{err}"
    );
    let err = sm.trigger("OrderPlaced").unwrap_err().to_string();
    assert!(err.contains("give one with `trigger_event(\"OrderPlaced\""), "{err}");
    let err = sm.trigger("Nope").unwrap_err().to_string();
    assert!(
        err.contains("state machine EchoFlow has no event Nope; its events are: Daily, Hourly, Http, HttpV2, Legacy, Nightly, OrderDetail, OrderPlaced, OrderSummary, Weekly"),
        "{err}"
    );
}

#[test]
fn api_events_deliver_the_request_body() {
    let sm = StateMachine::from_template(EVENTS, "EchoFlow").expect("loads");
    assert_eq!(delivered(&sm, "Http", None), json!({}));
    assert_eq!(
        delivered(&sm, "Http", Some(json!({ "item": "book" }))),
        json!({ "item": "book" })
    );
    let err = sm
        .trigger_event("Http", json!({ "note": "it's" }))
        .unwrap_err()
        .to_string();
    assert!(err.contains("set UnescapeMappingTemplate: true on the event"), "{err}");
    let err = sm.trigger("HttpV2").unwrap_err().to_string();
    assert!(
        err.contains("event type HttpApi cannot start a state machine; SAM state machines take Api, CloudWatchEvent, EventBridgeRule, Schedule, ScheduleV2"),
        "{err}"
    );
    let bare = StateMachine::from_definition(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}))
        .expect("valid");
    assert!(
        bare.trigger("Http")
            .unwrap_err()
            .to_string()
            .contains("not loaded from a template")
    );
}

const PERMISSIONS: &str = "fixtures/templates/permissions/template.yaml";

fn denied_states(report: &sfn_test::PermissionReport) -> Vec<&str> {
    report.denied.iter().map(|f| f.state.as_str()).collect()
}

#[test]
fn policy_templates_statements_and_managed_policies() {
    let sm = StateMachine::from_template(PERMISSIONS, "PolicyFlow").expect("loads");
    let report = sm.permission_report();
    assert_eq!(denied_states(&report), ["Refund", "Delete", "Store"], "{report}");
    let refund = &report.denied[0];
    assert_eq!(refund.need.action, "lambda:InvokeFunction");
    assert_eq!(
        refund.need.resource.as_deref(),
        Some("arn:aws:lambda:us-east-1:123456789012:function:refund")
    );
    assert!(
        refund
            .reason
            .contains("add `- LambdaInvokePolicy: {FunctionName: refund}` to the state machine's Policies"),
        "{report}"
    );
    // `FunctionName.$` is chosen at run time: any LambdaInvokePolicy may cover it.
    assert!(report.unchecked.is_empty(), "{report}");
}

#[test]
fn role_resources_and_attached_policies() {
    let sm = StateMachine::from_template(PERMISSIONS, "RoleFlow").expect("loads");
    let report = sm.permission_report();
    assert_eq!(denied_states(&report), ["Refund"], "{report}");
    let external = StateMachine::from_template(PERMISSIONS, "ExternalRoleFlow").expect("loads");
    let report = external.permission_report();
    assert!(report.is_clean());
    assert_eq!(report.unchecked.len(), 1, "{report}");
    assert!(
        report.unchecked[0]
            .reason
            .contains("role arn:aws:iam::123456789012:role/shared-flows (not declared in this template)"),
        "{report}"
    );
}

#[test]
fn connectors_grant_their_access_level() {
    let sm = StateMachine::from_template(PERMISSIONS, "ConnectorFlow").expect("loads");
    let report = sm.permission_report();
    assert_eq!(denied_states(&report), ["Read"], "{report}");
    assert_eq!(report.denied[0].need.action, "dynamodb:GetItem");
}

#[test]
fn enforced_permissions_fail_the_task_like_aws() {
    let sm = StateMachine::from_template(PERMISSIONS, "RoleFlow").expect("loads");
    let run = sm.scenario().default_mock(json!({})).run().expect("runs");
    run.assert_succeeded().assert_not_visited("Denied");
    let run = sm
        .scenario()
        .default_mock(json!({}))
        .enforce_permissions()
        .run()
        .expect("runs");
    run.assert_succeeded()
        .assert_path(["Charge", "Notify", "Refund", "Denied"]);
    let output = run.output().cloned().unwrap_or_default();
    assert_eq!(output["error"]["Error"], json!("States.TaskFailed"));
    assert_eq!(
        output["error"]["Cause"],
        json!(
            "User: arn:aws:sts::123456789012:assumed-role/FlowRole/test-execution is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:refund because no identity-based policy allows the lambda:InvokeFunction action (Error Code: AccessDeniedException)"
        )
    );
    let bare = StateMachine::from_definition(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}))
        .expect("valid");
    let err = bare.scenario().enforce_permissions().run().unwrap_err().to_string();
    assert!(
        err.contains("enforce_permissions needs the state machine's role, from a template"),
        "{err}"
    );
}

#[test]
fn a_substituted_value_that_breaks_the_file_says_so() {
    let dir = std::env::temp_dir().join(format!("sfn-test-templates-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("statemachine")).expect("temp dir");
    std::fs::write(
        dir.join("statemachine/flow.asl.json"),
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${Quote}", "End": true}}}"#,
    )
    .expect("writes");
    let template = r#"
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/flow.asl.json
      DefinitionSubstitutions:
        Quote: 'say "hi"'
"#;
    let err = Template::parse(template, dir.join("template.yaml"))
        .and_then(|t| t.state_machine("Flow"))
        .unwrap_err()
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(err.contains("flow.asl.json:1:"), "{err}");
    assert!(
        err.contains("after DefinitionSubstitutions replaced its placeholders"),
        "{err}"
    );
}

/// A Task state: name, `Resource`, `Parameters` (YAML flow).
type Task<'a> = (&'a str, &'a str, &'a str);

/// A template whose one state machine has `policy` as its only policy and one Task per
/// `(state, resource, parameters)`.
fn one_policy_template(policy: &str, tasks: &[Task]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sfn-test-policies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut states = String::new();
    for (i, (name, resource, parameters)) in tasks.iter().enumerate() {
        let flow = if i + 1 == tasks.len() {
            "End: true".to_string()
        } else {
            format!("Next: {}", tasks[i + 1].0)
        };
        states.push_str(&format!(
            "          {name}: {{ Type: Task, Resource: \"{resource}\", Parameters: {parameters}, {flow} }}\n"
        ));
    }
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Policies:\n        - {policy}\n      Definition:\n        StartAt: {}\n        States:\n{states}",
        tasks[0].0
    );
    let name: String = policy.chars().filter(char::is_ascii_alphanumeric).take(40).collect();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn each_listed_policy_template_allows_its_calls_and_no_others() {
    // (policy, Tasks it allows, Tasks it does not); actions and resources as the SAM policy
    // template list ("AWS SAM policy templates", policy template table) defines them.
    let cases: &[(&str, &[Task], &[Task])] = &[
        (
            "LambdaInvokePolicy: { FunctionName: charge }",
            &[("Invoke", "arn:aws:states:::lambda:invoke", "{ FunctionName: charge }")],
            &[("Other", "arn:aws:states:::lambda:invoke", "{ FunctionName: refund }")],
        ),
        (
            "DynamoDBCrudPolicy: { TableName: orders }",
            &[
                (
                    "Put",
                    "arn:aws:states:::dynamodb:putItem",
                    "{ TableName: orders, Item: {} }",
                ),
                (
                    "Del",
                    "arn:aws:states:::dynamodb:deleteItem",
                    "{ TableName: orders, Key: {} }",
                ),
            ],
            &[(
                "Other",
                "arn:aws:states:::dynamodb:putItem",
                "{ TableName: audit, Item: {} }",
            )],
        ),
        (
            "DynamoDBReadPolicy: { TableName: orders }",
            &[(
                "Get",
                "arn:aws:states:::dynamodb:getItem",
                "{ TableName: orders, Key: {} }",
            )],
            &[(
                "Put",
                "arn:aws:states:::dynamodb:putItem",
                "{ TableName: orders, Item: {} }",
            )],
        ),
        (
            "SQSSendMessagePolicy: { QueueName: jobs }",
            &[(
                "Send",
                "arn:aws:states:::sqs:sendMessage",
                "{ QueueUrl: \"https://sqs.us-east-1.amazonaws.com/123456789012/jobs\", MessageBody: x }",
            )],
            &[(
                "Other",
                "arn:aws:states:::sqs:sendMessage",
                "{ QueueUrl: \"https://sqs.us-east-1.amazonaws.com/123456789012/other\", MessageBody: x }",
            )],
        ),
        (
            "SNSPublishMessagePolicy: { TopicName: alerts }",
            &[(
                "Publish",
                "arn:aws:states:::sns:publish",
                "{ TopicArn: \"arn:aws:sns:us-east-1:123456789012:alerts\", Message: x }",
            )],
            &[(
                "Other",
                "arn:aws:states:::sns:publish",
                "{ TopicArn: \"arn:aws:sns:us-east-1:123456789012:other\", Message: x }",
            )],
        ),
        (
            "S3ReadPolicy: { BucketName: reports }",
            &[(
                "Get",
                "arn:aws:states:::aws-sdk:s3:getObject",
                "{ Bucket: reports, Key: a.csv }",
            )],
            &[(
                "Put",
                "arn:aws:states:::aws-sdk:s3:putObject",
                "{ Bucket: reports, Key: a.csv, Body: x }",
            )],
        ),
        (
            "S3CrudPolicy: { BucketName: reports }",
            &[
                (
                    "Get",
                    "arn:aws:states:::aws-sdk:s3:getObject",
                    "{ Bucket: reports, Key: a.csv }",
                ),
                (
                    "Put",
                    "arn:aws:states:::aws-sdk:s3:putObject",
                    "{ Bucket: reports, Key: a.csv, Body: x }",
                ),
            ],
            &[(
                "Other",
                "arn:aws:states:::aws-sdk:s3:getObject",
                "{ Bucket: archive, Key: a.csv }",
            )],
        ),
        (
            "StepFunctionsExecutionPolicy: { StateMachineName: child }",
            &[(
                "Start",
                "arn:aws:states:::states:startExecution",
                "{ StateMachineArn: \"arn:aws:states:us-east-1:123456789012:stateMachine:child\" }",
            )],
            &[(
                "Other",
                "arn:aws:states:::states:startExecution",
                "{ StateMachineArn: \"arn:aws:states:us-east-1:123456789012:stateMachine:other\" }",
            )],
        ),
        (
            "EventBridgePutEventsPolicy: { EventBusName: orders }",
            &[(
                "Put",
                "arn:aws:states:::events:putEvents",
                "{ Entries: [{ EventBusName: orders, Source: s, DetailType: d, Detail: {} }] }",
            )],
            &[(
                "Other",
                "arn:aws:states:::events:putEvents",
                "{ Entries: [{ EventBusName: billing, Source: s, DetailType: d, Detail: {} }] }",
            )],
        ),
    ];
    for (policy, allowed, denied) in cases {
        let tasks: Vec<Task> = allowed.iter().chain(denied.iter()).copied().collect();
        let sm = StateMachine::from_template(one_policy_template(policy, &tasks), "Flow").expect(policy);
        let report = sm.permission_report();
        let expected: Vec<&str> = denied.iter().map(|t| t.0).collect();
        assert_eq!(denied_states(&report), expected, "{policy}:\n{report}");
        assert!(report.unchecked.is_empty(), "{policy}:\n{report}");
    }
}
