//! The `sfn-test` command line, driven through `sfn_test::cli::run` with captured output.

use std::path::PathBuf;

fn root() -> PathBuf {
    sfn_test_suite::workspace_root()
}

fn cli(args: &[&str]) -> (u8, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = sfn_test::cli::run(&args, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn path(relative: &str) -> String {
    root().join(relative).display().to_string()
}

#[test]
fn validate_lists_every_state_machine_of_a_template() {
    let (code, out, _) = cli(&["validate", &path("examples/order-approval/template.yaml")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok      ") && out.contains("template.yaml::OrderWorkflow"),
        "{out}"
    );
    assert!(
        out.ends_with("validate: 1 valid, 0 invalid, 0 with Task calls the role does not allow\n"),
        "{out}"
    );
}

#[test]
fn validate_reports_the_file_line_and_state_of_a_bad_definition() {
    let (code, out, _) = cli(&["validate", &path("tests/fixtures/unknown-next.asl.json")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("invalid ") && out.contains("unknown-next.asl.json"),
        "{out}"
    );
    assert!(out.contains("line 10, /States/Charge/Next"), "{out}");
    assert!(out.contains("validate: 0 valid, 1 invalid"), "{out}");
}

#[test]
fn run_answers_tasks_from_command_line_mocks() {
    let template = path("examples/order-approval/template.yaml");
    let (code, out, _) = cli(&[
        "run",
        &template,
        "--input",
        r#"{"orderId":"o-1","amount":40}"#,
        "--mock",
        r#"Validate={"valid":true,"reason":null}"#,
        "--mock",
        r#"ChargeCardFunction={"chargeId":"ch_1"}"#,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("status:  SUCCEEDED"), "{out}");
    assert!(
        out.contains("path:    Validate → Route order → Charge card → Approve"),
        "{out}"
    );
    assert!(out.contains("\"chargeId\": \"ch_1\""), "{out}");
}

#[test]
fn run_without_a_mock_names_the_keys_to_mock() {
    let (code, out, _) = cli(&["run", &path("examples/order-approval/template.yaml")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unmocked Task: state 'Validate'"), "{out}");
}

#[test]
fn a_bad_command_line_exits_2_with_usage() {
    let (code, _, err) = cli(&["run", "x.yaml", "--mock", "nonsense"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--mock takes <key>=<json>") && err.contains("usage:"),
        "{err}"
    );
}

#[test]
fn validate_reports_task_calls_the_role_does_not_allow() {
    let template = path("tests/fixtures/templates/permissions/template.yaml");
    let (code, out, _) = cli(&["validate", &template, "--state-machine", "PolicyFlow"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("denied ") && out.contains("template.yaml::PolicyFlow"),
        "{out}"
    );
    assert!(
        out.contains("denied: Task 'Refund' needs lambda:InvokeFunction"),
        "{out}"
    );
    assert!(out.contains("1 with Task calls the role does not allow"), "{out}");
}
