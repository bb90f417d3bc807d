//! Mocks: keys, sequences, conditional answers, handlers with mockall expectations.

use sfn_test::prelude::*;
use sfn_test::{MockTaskHandler, TaskHandler, TaskResult};

fn two_tasks() -> StateMachine {
    StateMachine::from_definition(json!({
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ChargeCard",
                "Next": "Notify"
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Notify", "Payload.$": "$" },
                "OutputPath": "$.Payload",
                "End": true
            }
        }
    }))
    .unwrap()
}

#[test]
fn mocks_by_state_name_and_by_function_name() {
    let run = two_tasks()
        .scenario()
        .input(json!({ "amount": 3 }))
        .mock("Charge", json!({ "charged": true }))
        .mock("Notify", Mock::ret(json!({ "sent": 1 })))
        .run()
        .unwrap();
    // lambda:invoke wraps the payload in the Invoke response; OutputPath takes it back out.
    run.assert_succeeded().assert_output(json!({ "sent": 1 }));
    assert_eq!(run.calls("Charge"), [&json!({ "amount": 3 })]);
    assert_eq!(run.calls("ChargeCard").len(), 1);
    assert_eq!(run.calls("Notify")[0]["Payload"], json!({ "charged": true }));
}

#[test]
fn sequence_answers_once_per_call_and_runs_out() {
    let sm = StateMachine::from_definition(json!({
        "StartAt": "T",
        "States": { "T": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": { "FunctionName": "f" },
            "Retry": [ { "ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 1 } ], "End": true } }
    }))
    .unwrap();
    let run = sm
        .scenario()
        .mock(
            "T",
            Mock::sequence([
                Mock::throw("Busy", "1"),
                Mock::throw("Busy", "2"),
                Mock::raw(Mock::ret(json!({ "ok": true }))),
            ]),
        )
        .run()
        .unwrap();
    run.assert_succeeded().assert_output(json!({ "ok": true }));
    assert_eq!(run.calls("T").len(), 3);

    let err = sm
        .scenario()
        .mock("T", Mock::sequence([Mock::throw("Busy", "1")]))
        .run()
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("ran out of answers") && text.contains("repeat_last"),
        "{text}"
    );
}

#[test]
fn mocks_that_wait_keep_their_place_and_envelope_inside_other_mocks() {
    // One lambda:invoke Task retried every second (BackoffRate 1). `Mock::raw` anywhere on the
    // way to the answer makes it the whole Invoke response; otherwise the answer is the
    // function's payload, wrapped in the response envelope.
    let sm = StateMachine::from_definition(json!({
        "StartAt": "T",
        "States": { "T": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": { "FunctionName": "f" },
            "Retry": [ { "ErrorEquals": ["States.ALL"], "MaxAttempts": 3, "IntervalSeconds": 1, "BackoffRate": 1 } ],
            "End": true } }
    }))
    .unwrap();
    let raw_response = json!({ "StatusCode": 200, "Payload": { "n": 2 } });
    let cases = [
        // Call 1 fails at once; call 2 answers 10 s after it starts: 1 s back-off + 10 s.
        (
            Mock::sequence([
                Mock::throw("Busy", "1"),
                Mock::after(Duration::from_secs(10), Mock::raw(Mock::ret(raw_response.clone()))),
            ]),
            11,
            true,
            2,
        ),
        (
            Mock::raw(Mock::after(Duration::from_secs(5), Mock::ret(raw_response.clone()))),
            5,
            true,
            1,
        ),
        (
            Mock::choose(|call| match call.attempt {
                1 => Mock::after(Duration::from_secs(3), Mock::throw("Busy", "1")),
                _ => Mock::after(Duration::from_secs(4), Mock::ret(json!({ "n": 2 }))),
            }),
            3 + 1 + 4,
            false,
            2,
        ),
    ];
    for (i, (mock, seconds, raw, calls)) in cases.into_iter().enumerate() {
        let run = sm.scenario().mock("T", mock).run().unwrap();
        run.assert_succeeded();
        assert_eq!(run.elapsed(), Duration::from_secs(seconds), "case {i}");
        let output = run.output().unwrap();
        assert_eq!(output["Payload"], json!({ "n": 2 }), "case {i}");
        // The envelope's metadata is there only when the mock answered the payload alone.
        assert_eq!(output.get("SdkHttpMetadata").is_none(), raw, "case {i}: {output}");
        assert_eq!(run.calls("T").len(), calls, "case {i}");
    }
}

#[test]
fn a_shared_mock_value_shows_in_every_call_and_event_it_answers() {
    // Two lambda:invoke Tasks answered by one `Mock::ret` (the raw Invoke response): each
    // call's result and each TaskSucceeded event's output is that value, a float included
    // (whose text might not parse back to the same number, so it is kept as a value).
    let sm = StateMachine::from_definition(json!({
        "StartAt": "A",
        "States": {
            "A": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": { "FunctionName": "f" }, "ResultPath": "$.a", "Next": "B" },
            "B": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": { "FunctionName": "f" }, "ResultPath": "$.b", "End": true }
        }
    }))
    .unwrap();
    for answer in [json!({ "Payload": { "n": 7 } }), json!({ "Payload": { "price": 0.1 } })] {
        let run = sm
            .scenario()
            .input(json!({}))
            .default_mock(Mock::raw(Mock::ret(answer.clone())))
            .run()
            .unwrap();
        run.assert_succeeded()
            .assert_output(json!({ "a": answer, "b": answer }));
        let results: Vec<_> = run.all_calls().iter().map(|c| c.result.clone()).collect();
        assert_eq!(results, [Ok(answer.clone()), Ok(answer.clone())]);
        let outputs: Vec<_> = run
            .history_json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "TaskSucceeded")
            .map(|e| e["taskSucceededEventDetails"]["output"].clone())
            .collect();
        assert_eq!(outputs.len(), 2);
        assert_eq!(outputs, [answer.clone(), answer.clone()]);
    }
}

#[test]
fn when_answers_by_input() {
    let sm = StateMachine::from_definition(json!({
        "StartAt": "Price",
        "States": { "Price": { "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Price", "End": true } }
    }))
    .unwrap();
    let mock = Mock::when(json!({ "tier": "gold" }), Mock::ret(json!(80))).otherwise(Mock::ret(json!(100)));
    let price = |tier: &str| {
        sm.scenario()
            .input(json!({ "tier": tier }))
            .mock("Price", mock.clone())
            .run()
            .unwrap()
            .output()
            .cloned()
    };
    assert_eq!(price("gold"), Some(json!(80)));
    assert_eq!(price("basic"), Some(json!(100)));
}

#[test]
fn mockall_handler_expectations() {
    let mut handler = MockTaskHandler::new();
    handler
        .expect_call()
        .withf(|call| call.state == "Charge" && call.input["amount"] == 3)
        .times(1)
        .returning(|_| Ok(json!({ "charged": true })));
    let run = two_tasks()
        .scenario()
        .input(json!({ "amount": 3 }))
        .mock("Charge", Mock::handler(handler))
        .mock("Notify", json!({}))
        .run()
        .unwrap();
    run.assert_succeeded();
}

#[tokio::test]
async fn runs_inside_an_async_test() {
    let sm = two_tasks();
    let scenario = sm
        .scenario()
        .mock("Charge", json!({}))
        .mock("Notify", json!({ "n": 1 }));
    let run = scenario.clone().run_async().await.unwrap();
    run.assert_output(json!({ "n": 1 }));
    // The blocking API says what to use instead of panicking.
    let err = scenario.run().unwrap_err();
    assert!(err.to_string().contains("run_async"), "{err}");
}

#[test]
fn virtual_latency_and_hang() {
    let run = two_tasks()
        .scenario()
        .mock("Charge", Mock::after(Duration::from_secs(90), Mock::ret(json!({}))))
        .mock("Notify", json!({}))
        .run()
        .unwrap();
    assert_eq!(run.elapsed(), Duration::from_secs(90));
}

#[test]
fn a_returned_value_over_the_payload_limit_fails_every_call() {
    // AWS: a Task result over 256 KiB fails with States.DataLimitExceeded (conformance
    // `error_handling...test_service_task_lambada_data_limit_exceeded_on_large_utf8_response`).
    // A shared Mock::ret is measured once and still fails every call, in every execution.
    let sm = StateMachine::from_definition(json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "fn" },
                "Catch": [ { "ErrorEquals": ["States.DataLimitExceeded"], "Next": "Again" } ],
                "Next": "Again"
            },
            "Again": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "fn" }, "End": true
            }
        }
    }))
    .unwrap();
    let big = Mock::ret(json!({ "blob": "x".repeat(300_000) }));
    for _ in 0..2 {
        let run = sm.scenario().default_mock(big.clone()).run().unwrap();
        run.assert_failed_with("States.DataLimitExceeded");
        assert_eq!(run.path(), ["Call", "Again"]);
    }
    sm.scenario()
        .default_mock(Mock::ret(json!({ "ok": true })))
        .run()
        .unwrap()
        .assert_succeeded();
}

/// A handler that really waits: on a task of the runtime, so the execution is still pending
/// after its first poll.
struct Spawning;

#[async_trait::async_trait]
impl TaskHandler for Spawning {
    async fn call(&self, call: TaskCall) -> TaskResult {
        let amount = call.input["amount"].clone();
        let doubled = tokio::spawn(async move {
            tokio::task::yield_now().await;
            amount.as_i64().unwrap_or(0) * 2
        });
        Ok(json!({ "doubled": doubled.await.unwrap_or_default() }))
    }
}

#[test]
fn a_handler_that_waits_on_the_runtime_is_driven_to_its_end() {
    // The blocking API polls an execution once itself, and hands one that is still waiting to
    // the runtime; a handler that spawns a task and awaits it needs the latter.
    let sm = two_tasks();
    let run = sm
        .scenario()
        .input(json!({ "amount": 21 }))
        .mock("Charge", Mock::handler(Spawning))
        .mock("Notify", Mock::from_fn(|call| Ok(call.input["Payload"].clone())))
        .run()
        .unwrap();
    run.assert_succeeded();
    assert_eq!(run.calls("Notify")[0]["Payload"], json!({ "doubled": 42 }));
}
