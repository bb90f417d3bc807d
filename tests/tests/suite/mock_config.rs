//! Step Functions Local mock configuration files, read by `MockConfig`: the stock-trader sample
//! that `sam init` generates, with its `statemachine/test/MockConfigFile.json`, runs unchanged.

use sfn_test::MockConfig;
use sfn_test::prelude::*;

fn sample() -> std::path::PathBuf {
    sfn_test_suite::data_dir("SFN_CORPUS_DIR", "../shared/corpus/sam")
        .join("aws-sam-cli-app-templates/nodejs24.x__step-func/sam-app")
}

fn stock_trader() -> StateMachine {
    StateMachine::from_template(sample().join("template.yaml"), "StockTradingStateMachine").unwrap()
}

fn config() -> MockConfig {
    MockConfig::load(sample().join("statemachine/test/MockConfigFile.json")).unwrap()
}

#[test]
fn a_test_case_answers_each_state_from_its_mocked_response() -> sfn_test::Result<()> {
    let sm = stock_trader();
    let run = sm
        .scenario()
        .mocks(config().test_case("HappyPathSellStockTest")?)
        .run()?;
    // stock_price 98 > 50: the Choice's Default sells.
    run.assert_succeeded()
        .assert_path(["Check Stock Value", "Buy or Sell?", "Sell Stock", "Record Transaction"]);
    let run = sm
        .scenario()
        .mocks(config().test_case("HappyPathBuyStockTest")?)
        .run()?;
    run.assert_succeeded()
        .assert_visited("Buy Stock")
        .assert_not_visited("Sell Stock");
    Ok(())
}

#[test]
fn call_ranges_drive_retries_on_the_virtual_clock() -> sfn_test::Result<()> {
    let sm = stock_trader();
    let run = sm
        .scenario()
        .mocks(config().test_case("CheckStockRetryOnServiceExceptionTest")?)
        .run()?;
    run.assert_succeeded();
    // "0-2" throw States.TaskFailed, "3" returns: four calls, three back-offs of
    // IntervalSeconds 15 × BackoffRate 1.5^n = 15 + 22.5 + 33.75 s.
    assert_eq!(run.calls("Check Stock Value").len(), 4);
    assert_eq!(run.elapsed(), Duration::from_millis(71_250));
    Ok(())
}

#[test]
fn unknown_test_cases_and_bad_files_are_clear_errors() {
    let err = config().test_case("NoSuchCase").unwrap_err().to_string();
    assert!(
        err.contains("MockConfigFile.json") && err.contains("no test case \"NoSuchCase\""),
        "{err}"
    );
    assert!(err.contains("StockTradingLocalTesting/HappyPathSellStockTest"), "{err}");

    let dir = std::env::temp_dir().join(format!("sfn-test-mock-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gap = dir.join("gap.json");
    std::fs::write(
        &gap,
        r#"{"StateMachines": {"M": {"TestCases": {"C": {"A": "R"}}}},
            "MockedResponses": {"R": {"0": {"Return": 1}, "2": {"Return": 2}}}}"#,
    )
    .unwrap();
    let err = MockConfig::load(&gap).unwrap_err().to_string();
    assert!(
        err.contains("MockedResponses.R") && err.contains("without gaps"),
        "{err}"
    );
    let missing = dir.join("missing.json");
    std::fs::write(
        &missing,
        r#"{"StateMachines": {"M": {"TestCases": {"C": {"A": "Nope"}}}}}"#,
    )
    .unwrap();
    let err = MockConfig::load(&missing).unwrap_err().to_string();
    assert!(err.contains("state \"A\" uses the response \"Nope\""), "{err}");
    let typo = dir.join("typo.json");
    std::fs::write(&typo, "{\n  \"StateMachine\": {}\n}").unwrap();
    let err = MockConfig::load(&typo).unwrap_err().to_string();
    assert!(
        err.contains("typo.json:2") && err.contains("not a Step Functions Local mock configuration"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
