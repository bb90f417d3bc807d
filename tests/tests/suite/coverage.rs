//! Coverage: what executions of the example workflow visit, merged, and reported.

use sfn_test::coverage::{self, Coverage};
use sfn_test::prelude::*;

fn order_workflow() -> StateMachine {
    let template = sfn_test_suite::workspace_root().join("examples/order-approval/template.yaml");
    StateMachine::from_template(template, "OrderWorkflow").unwrap()
}

fn run(sm: &StateMachine, amount: i64, valid: bool) -> Execution {
    sm.scenario()
        .input(json!({ "orderId": "o", "amount": amount }))
        .mock("Validate", json!({ "valid": valid, "reason": "no" }))
        .mock("Charge card", json!({ "chargeId": "ch" }))
        .run()
        .unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sfn-test-coverage-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn one_execution_covers_its_path_and_reports_the_rest() {
    let sm = order_workflow();
    let small = run(&sm, 40, true);
    let c = sm.coverage(&small);
    // Validate → Route order → Charge card → Approve: 4 of the 8 states.
    assert_eq!((c.state_totals().covered, c.state_totals().total), (4, 8));
    let never = c.unvisited_states();
    assert!(
        never.contains(&"Reject") && never.contains(&"Notify customer"),
        "{never:?}"
    );
    let text = c.text();
    // named by the template's Name property, `order-workflow-${Stage}`
    assert!(text.starts_with("order-workflow-dev ("), "{text}");
    assert!(text.contains("states 4/8 (50.0%)"), "{text}");
    assert!(text.contains("never entered: "), "{text}");
    assert!(text.contains("choice rules never taken: "), "{text}");
}

#[test]
fn merged_executions_cover_more() {
    let sm = order_workflow();
    let mut c = sm.coverage(&run(&sm, 40, true));
    let before = c.state_totals().covered;
    c.merge(&sm.coverage(&run(&sm, 4000, true)));
    c.merge(&sm.coverage(&run(&sm, 0, false)));
    assert!(c.state_totals().covered > before);
    assert_eq!(c.executions, 3);
    assert!(c.unvisited_states().contains(&"Notify customer"));
    assert!(!c.unvisited_states().contains(&"Reject"));
}

#[test]
fn records_written_by_processes_merge_and_report_through_the_cli() {
    let sm = order_workflow();
    let dir = scratch("cli");
    coverage::append(&dir, &sm.coverage(&run(&sm, 40, true))).unwrap();
    coverage::append(&dir, &sm.coverage(&run(&sm, 0, false))).unwrap();
    let merged: Vec<Coverage> = coverage::load(&dir).unwrap();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].executions, 2);

    let cli = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = sfn_test::cli::run(&args, &mut out, &mut err);
        (code, String::from_utf8_lossy(&out).into_owned())
    };
    let d = dir.display().to_string();
    let (code, out) = cli(&["coverage", &d, "--fail-under", "90"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("coverage: below --fail-under 90"), "{out}");
    let (code, out) = cli(&["coverage", &d, "--fail-under", "10"]);
    assert_eq!(code, 0, "{out}");
    let (_, lcov) = cli(&["coverage", &d, "--format", "lcov"]);
    assert!(lcov.contains("SF:") && lcov.contains("order.asl.json"), "{lcov}");
    assert!(
        lcov.contains("DA:") && lcov.contains("BRDA:") && lcov.ends_with("end_of_record\n"),
        "{lcov}"
    );
    let (_, json) = cli(&["coverage", &d, "--format", "json"]);
    let parsed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed[0]["executions"], 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_record_names_the_file_and_line() {
    let dir = scratch("damaged");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1.jsonl"), "{\"visit\": 3}\n").unwrap();
    let err = coverage::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("1.jsonl:1") && err.contains("not a coverage record"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn triggers_are_covered_too() {
    let sm = order_workflow();
    let untriggered = sm.coverage(&run(&sm, 40, true));
    assert_eq!(
        (untriggered.trigger_totals().covered, untriggered.trigger_totals().total),
        (0, 1)
    );
    assert!(
        untriggered.text().contains("never triggered: OrderPlaced"),
        "{}",
        untriggered.text()
    );
    let event =
        json!({ "source": "shop.orders", "detail-type": "Order Placed", "detail": { "orderId": "t", "amount": 40 } });
    let triggered = sm
        .trigger_event("OrderPlaced", event)
        .unwrap()
        .mock("Validate", json!({ "valid": true, "reason": null }))
        .mock("Charge card", json!({ "chargeId": "ch" }))
        .run()
        .unwrap();
    assert_eq!(triggered.trigger(), Some("OrderPlaced"));
    let c = sm.coverage(&triggered);
    assert!(c.text().contains("triggers 1/1"), "{}", c.text());
}

#[test]
fn an_execution_records_the_transitions_rules_and_catches_it_took() {
    // Start → Loop (Choice) → Count → Loop → Count → Loop → Call (Task, fails) → caught →
    // Recover → Done: `Count → Loop` twice, the Choice's rule twice and its Default once.
    let sm = StateMachine::from_definition(json!({
        "StartAt": "Start",
        "States": {
            "Start": { "Type": "Pass", "Result": 0, "ResultPath": "$.n", "Next": "Loop" },
            "Loop": {
                "Type": "Choice",
                "Choices": [{ "Variable": "$.n", "NumericLessThan": 2, "Next": "Count" }],
                "Default": "Call"
            },
            "Count": {
                "Type": "Pass",
                "Parameters": { "n.$": "States.MathAdd($.n, 1)" },
                "Next": "Loop"
            },
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "f" },
                "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Recover" }],
                "Next": "Unused"
            },
            "Unused": { "Type": "Succeed" },
            "Recover": { "Type": "Pass", "Next": "Done" },
            "Done": { "Type": "Succeed" }
        }
    }))
    .unwrap();
    let run = sm
        .scenario()
        .input(json!({}))
        .mock("Call", Mock::throw("Boom", "failed"))
        .run()
        .unwrap();
    run.assert_succeeded();
    let visits = run.visits();
    let pointer = |name: &str| format!("/States/{name}");
    let states: Vec<String> = ["Call", "Count", "Done", "Loop", "Recover", "Start"]
        .map(pointer)
        .into();
    assert_eq!(visits.states.iter().cloned().collect::<Vec<_>>(), states);
    let transitions: std::collections::BTreeSet<(String, String)> = [
        ("Start", "Loop"),
        ("Loop", "Count"),
        ("Count", "Loop"),
        ("Loop", "Call"),
        ("Call", "Recover"),
        ("Recover", "Done"),
    ]
    .into_iter()
    .map(|(a, b)| (pointer(a), pointer(b)))
    .collect();
    assert_eq!(visits.transitions, transitions);
    let rules: Vec<(String, usize)> = vec![(pointer("Loop"), 0), (pointer("Loop"), usize::MAX)];
    assert_eq!(visits.choice_rules.iter().cloned().collect::<Vec<_>>(), rules);
    assert_eq!(
        visits.catches.iter().cloned().collect::<Vec<_>>(),
        vec![(pointer("Call"), 0)]
    );
}
