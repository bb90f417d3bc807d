//! Bad input gives clear errors naming the file, the state and the fix.

use sfn_test::prelude::*;

#[test]
fn unknown_next_names_the_state_and_pointer() {
    let err = StateMachine::from_definition(json!({
        "StartAt": "A",
        "States": { "A": { "Type": "Pass", "Next": "Nowhere" } }
    }))
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("/States/A/Next"), "{text}");
    assert!(text.contains("'Nowhere' is not a state"), "{text}");
    assert!(text.contains("MISSING_TRANSITION_TARGET"), "{text}");
}

#[test]
fn next_and_end_together_and_missing_start() {
    let err = StateMachine::from_definition(json!({
        "StartAt": "Missing",
        "States": { "A": { "Type": "Pass", "Next": "A", "End": true } }
    }))
    .unwrap_err()
    .to_string();
    assert!(err.contains("StartAt 'Missing' is not a state"), "{err}");
    assert!(err.contains("state 'A' has both 'Next' and \"End\": true"), "{err}");
}

#[test]
fn no_terminal_state() {
    let err = StateMachine::from_definition(json!({
        "StartAt": "A",
        "States": { "A": { "Type": "Pass", "Next": "B" }, "B": { "Type": "Pass", "Next": "A" } }
    }))
    .unwrap_err()
    .to_string();
    assert!(err.contains("MISSING_END_STATE"), "{err}");
}

#[test]
fn unmocked_task_lists_the_keys() {
    let sm = StateMachine::from_definition(json!({
        "StartAt": "Charge",
        "States": { "Charge": { "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ChargeCard", "End": true } }
    }))
    .unwrap();
    let err = sm.scenario().run().unwrap_err().to_string();
    assert!(err.contains("unmocked Task: state 'Charge'"), "{err}");
    assert!(err.contains("\"Charge\""), "{err}");
    assert!(err.contains("\"ChargeCard\""), "{err}");
}

#[test]
fn runaway_loop_hits_the_history_limit() {
    let sm = StateMachine::from_definition(json!({
        "StartAt": "Spin",
        "States": {
            "Spin": { "Type": "Pass", "Next": "Check" },
            "Check": { "Type": "Choice", "Choices": [ { "Variable": "$.done", "BooleanEquals": true, "Next": "End" } ], "Default": "Spin" },
            "End": { "Type": "Succeed" }
        }
    }))
    .unwrap();
    let err = sm
        .scenario()
        .input(json!({ "done": false }))
        .run()
        .unwrap_err()
        .to_string();
    assert!(err.contains("exceeded 25000 history events"), "{err}");
    assert!(err.contains("Spin → Check"), "{err}");
}

#[test]
fn a_mock_key_that_matches_nothing_is_an_error() {
    let sm = StateMachine::from_definition(json!({
        "StartAt": "Charge",
        "States": { "Charge": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": { "FunctionName": "f" }, "End": true } }
    }))
    .unwrap();
    let err = sm
        .scenario()
        .mock("Charge card", json!({}))
        .run()
        .unwrap_err()
        .to_string();
    assert!(err.contains("mock key \"Charge card\" matches no Task state"), "{err}");
}

fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

#[test]
fn unknown_next_in_a_file_names_file_line_and_state() {
    let err = StateMachine::from_asl_file(fixture("unknown-next.asl.json"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown-next.asl.json"), "{err}");
    assert!(err.contains("line 10, /States/Charge/Next"), "{err}");
    assert!(err.contains("'Aprove' is not a state"), "{err}");
    assert!(err.contains("states are: Approve, Charge, Validate"), "{err}");
}

#[test]
fn template_that_is_not_yaml_names_the_file_and_line() {
    let err = StateMachine::from_template(fixture("not-yaml/template.yaml"), "Flow")
        .unwrap_err()
        .to_string();
    // file:line:column of the unclosed flow sequence, then what the parser expected
    assert!(err.contains("not-yaml/template.yaml:9:"), "{err}");
    assert!(err.contains("not valid YAML"), "{err}");
}

#[test]
fn missing_definition_uri_names_the_resource_and_path() {
    let err = StateMachine::from_template(fixture("missing-definition/template.yaml"), "Flow")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing-definition/template.yaml"), "{err}");
    assert!(err.contains("Flow"), "{err}");
    assert!(err.contains("statemachine/flow.asl.json"), "{err}");
}

#[test]
fn unknown_state_machine_lists_the_ones_there_are() {
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/order-approval/template.yaml");
    let err = StateMachine::from_template(template, "OrderFlow")
        .unwrap_err()
        .to_string();
    assert!(err.contains("OrderFlow") && err.contains("OrderWorkflow"), "{err}");
}
