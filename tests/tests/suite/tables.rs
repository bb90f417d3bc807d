//! Table files: loading errors name the file, line and fix; triggered cases start from what
//! the SAM event delivers.

use std::path::PathBuf;

use sfn_test::table::load_file;

fn table(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sfn-test-tables-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = sfn_test_suite::workspace_root().join("examples/order-approval/template.yaml");
    let text = format!("template: {}\nstate_machine: OrderWorkflow\n{body}", template.display());
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const MOCKS: &str =
    "mocks:\n  Validate: { return: { valid: true, reason: null } }\n  Charge card: { return: { chargeId: ch } }\n";

#[test]
fn a_misspelt_key_names_the_file_and_line() {
    let path = table("typo.sfn.yaml", "cases:\n  - name: a\n    inptu: {}\n    expect: {}\n");
    let err = load_file(&path).unwrap_err().to_string();
    assert!(
        err.contains("typo.sfn.yaml:5") && err.contains("unknown field `inptu`"),
        "{err}"
    );
    assert!(err.contains("check the spelling"), "{err}");
}

#[test]
fn triggered_cases_run_from_the_event_and_check_their_expectations() {
    let body = format!(
        "{MOCKS}cases:\n  - name: event\n    trigger: OrderPlaced\n    event: {{ source: shop.orders, detail-type: Order Placed, detail: {{ orderId: e, amount: 40 }} }}\n    expect: {{ status: SUCCEEDED, output_contains: {{ orderId: e }} }}\n  - name: wrong\n    trigger: OrderPlaced\n    event: {{ source: shop.orders, detail-type: Order Placed, detail: {{ orderId: e, amount: 40 }} }}\n    expect: {{ status: FAILED }}\n"
    );
    let file = load_file(&table("trigger.sfn.yaml", &body)).unwrap();
    assert_eq!(file.run_case(0), Ok(()));
    let err = file.run_case(1).unwrap_err();
    assert!(err.contains("case 'wrong' failed") && err.contains("status"), "{err}");
}

#[test]
fn trigger_mistakes_are_load_errors() {
    let unknown = format!("{MOCKS}cases:\n  - name: a\n    trigger: Nightly\n    expect: {{}}\n");
    let err = load_file(&table("unknown.sfn.yaml", &unknown)).unwrap_err().to_string();
    assert!(
        err.contains("trigger \"Nightly\" is not one of the state machine's SAM Events (OrderPlaced)"),
        "{err}"
    );
    let both = format!("{MOCKS}cases:\n  - name: a\n    trigger: OrderPlaced\n    input: {{}}\n    expect: {{}}\n");
    let err = load_file(&table("both.sfn.yaml", &both)).unwrap_err().to_string();
    assert!(err.contains("drop `input`"), "{err}");
    let lone = format!("{MOCKS}cases:\n  - name: a\n    event: {{}}\n    expect: {{}}\n");
    let err = load_file(&table("lone.sfn.yaml", &lone)).unwrap_err().to_string();
    assert!(err.contains("`event` goes with `trigger"), "{err}");
}

#[test]
fn s3_objects_feed_a_distributed_map_reader() {
    let dir = std::env::temp_dir().join(format!("sfn-test-tables-s3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("flow.asl.json"),
        r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                           "Parameters": {"Bucket": "in", "Key": "rows.csv"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}},
            "End": true}}}"#,
    )
    .unwrap();
    let table = dir.join("rows.sfn.yaml");
    std::fs::write(
        &table,
        "definition: flow.asl.json\ns3_objects:\n  - { bucket: in, key: rows.csv, body: \"id,name\\n1,a\\n2,b\\n\" }\ncases:\n  - name: two rows\n    expect: { status: SUCCEEDED, output: [ { id: \"1\", name: a }, { id: \"2\", name: b } ] }\n  - name: a case adds its own object\n    s3_objects: [ { bucket: in, key: other.csv, body: \"x\\n\" } ]\n    expect: { status: SUCCEEDED, output: [ { id: \"1\", name: a }, { id: \"2\", name: b } ] }\n",
    )
    .unwrap();
    let file = load_file(&table).unwrap();
    // CSV values stay text (conformance `scenarios...test_map_item_reader_base_csv_headers_first_line`).
    assert_eq!(file.run_case(0), Ok(()));
    assert_eq!(file.run_case(1), Ok(()));
}
