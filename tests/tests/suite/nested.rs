//! Child executions: `states:startExecution` Tasks that run a registered state machine.

use sfn_test::prelude::*;

fn child() -> StateMachine {
    StateMachine::from_definition(json!({
        "StartAt": "Work",
        "States": {
            "Work": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": { "FunctionName": "work", "Payload.$": "$" },
                      "ResultSelector": { "done.$": "$.Payload.done", "order.$": "$$.Execution.Input.order" },
                      "Next": "Settle" },
            "Settle": { "Type": "Wait", "Seconds": 60, "End": true }
        }
    }))
    .unwrap()
    .named("child")
}

fn parent(resource: &str) -> StateMachine {
    StateMachine::from_definition(json!({
        "StartAt": "Start child",
        "States": {
            "Start child": {
                "Type": "Task", "Resource": resource,
                "Parameters": { "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child",
                                "Name": "kid", "Input": { "order.$": "$.order" } },
                "Catch": [{ "ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Failed child" }],
                "End": true
            },
            "Failed child": { "Type": "Pass", "End": true }
        }
    }))
    .unwrap()
}

#[test]
fn sync2_waits_for_the_child_and_returns_its_output_as_json() {
    let (parent, child) = (parent("arn:aws:states:::states:startExecution.sync:2"), child());
    let run = parent
        .scenario()
        .input(json!({ "order": "o-1" }))
        .child(&child)
        .mock("Work", json!({ "done": true }))
        .run()
        .unwrap();
    run.assert_succeeded();
    let out = run.output().unwrap();
    // The DescribeExecution fields (conformance `callback...test_start_execution_sync2`).
    assert_eq!(out["Output"], json!({ "done": true, "order": "o-1" }));
    assert_eq!(out["Input"], json!({ "order": "o-1" }));
    assert_eq!(out["Status"], "SUCCEEDED");
    assert_eq!(
        out["ExecutionArn"],
        "arn:aws:states:us-east-1:123456789012:execution:child:kid"
    );
    // The child's Wait is on the same virtual clock, and its Task calls are recorded.
    assert_eq!(run.elapsed(), Duration::from_secs(60));
    assert_eq!(
        run.calls("Work"),
        [&json!({ "FunctionName": "work", "Payload": { "order": "o-1" } })]
    );
}

#[test]
fn sync_returns_input_and_output_as_json_text() {
    let (parent, child) = (parent("arn:aws:states:::states:startExecution.sync"), child());
    let run = parent
        .scenario()
        .input(json!({ "order": "o-2" }))
        .child(&child)
        .mock("Work", json!({ "done": 1 }))
        .run()
        .unwrap();
    let out = run.output().unwrap();
    // Conformance `callback.test_callback.TestCallback.test_start_execution_sync`.
    assert_eq!(out["Output"], "{\"done\":1,\"order\":\"o-2\"}");
    assert_eq!(out["Input"], "{\"order\":\"o-2\"}");
}

#[test]
fn a_failed_child_fails_the_task_with_its_description() {
    let (parent, child) = (parent("arn:aws:states:::states:startExecution.sync"), child());
    let run = parent
        .scenario()
        .input(json!({ "order": "o-3" }))
        .child(&child)
        .mock("Work", Mock::throw("Work.Broken", "no luck"))
        .run()
        .unwrap();
    run.assert_succeeded().assert_path(["Start child", "Failed child"]);
    let failure = &run.output().unwrap()["failure"];
    assert_eq!(failure["Error"], "States.TaskFailed");
    // Conformance `callback...test_start_execution_sync_delegate_failure`: the cause is the
    // child's description, with its Error and Cause.
    let cause: Value = serde_json::from_str(failure["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Error"], "Work.Broken");
    assert_eq!(cause["Cause"], "no luck");
    assert_eq!(cause["Status"], "FAILED");
}

#[test]
fn request_response_does_not_wait() {
    let (parent, child) = (parent("arn:aws:states:::states:startExecution"), child());
    let run = parent
        .scenario()
        .input(json!({ "order": "o-4" }))
        .child(&child)
        .mock("Work", json!({ "done": true }))
        .run()
        .unwrap();
    let out = run.output().unwrap();
    assert_eq!(
        out["ExecutionArn"],
        "arn:aws:states:us-east-1:123456789012:execution:child:kid"
    );
    assert!(out.get("Output").is_none());
    assert_eq!(run.elapsed(), Duration::ZERO);
}

#[test]
fn a_mock_keyed_for_the_task_wins_over_the_child() {
    let (parent, child) = (parent("arn:aws:states:::states:startExecution.sync:2"), child());
    let run = parent
        .scenario()
        .input(json!({ "order": "o-4" }))
        .child(&child)
        .mock("Start child", json!({ "Output": "mocked" }))
        .run()
        .unwrap();
    assert_eq!(run.output().unwrap()["Output"], "mocked");
    assert!(run.calls("Work").is_empty());
}

#[test]
fn a_template_state_machine_starts_its_sibling_by_ref() {
    let template = sfn_test_suite::workspace_root().join("tests/fixtures/templates/sam/template.yaml");
    let order = StateMachine::from_template(&template, "OrderFlow").unwrap();
    let child = StateMachine::from_template(&template, "ChildFlow").unwrap();
    let run = order
        .scenario()
        .input(json!({ "order": "o-4" }))
        .child(&child)
        .mock("ValidateFunction", json!({ "valid": true }))
        .mock("AlertsTopic", json!({ "MessageId": "m-1" }))
        .mock("NotifyFunction", json!({}))
        .run()
        .unwrap();
    run.assert_succeeded().assert_visited("Run child");
}

#[test]
fn a_state_machine_that_starts_itself_stops_with_a_clear_error() {
    let selfish = StateMachine::from_definition(json!({
        "StartAt": "Again",
        "States": { "Again": { "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                               "Parameters": { "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:loop" }, "End": true } }
    }))
    .unwrap()
    .named("loop");
    let err = selfish.scenario().child(&selfish).run().unwrap_err().to_string();
    assert!(err.contains("levels deep") && err.contains("Again"), "{err}");
}
