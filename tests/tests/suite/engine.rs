//! The interpreter through the public API: state types, the data chain, Retry/Catch, time.

use sfn_test::prelude::*;

fn machine(definition: Value) -> StateMachine {
    StateMachine::from_definition(definition).expect("valid definition")
}

#[test]
fn pass_parameters_result_path_and_output_path() {
    // ASL "InputPath, Parameters and ResultSelector" / "ResultPath" sections: Parameters builds
    // the result from the effective input; ResultPath places it into the raw input.
    let sm = machine(json!({
        "StartAt": "Shape",
        "States": {
            "Shape": {
                "Type": "Pass",
                "InputPath": "$.order",
                "Parameters": { "id.$": "$.id", "kind": "order" },
                "ResultPath": "$.shaped",
                "OutputPath": "$.shaped",
                "End": true
            }
        }
    }));
    let run = sm.scenario().input(json!({ "order": { "id": 7 } })).run().unwrap();
    run.assert_succeeded()
        .assert_path(["Shape"])
        .assert_output(json!({ "id": 7, "kind": "order" }));
}

#[test]
fn result_path_null_keeps_the_input() {
    let sm = machine(json!({
        "StartAt": "Discard",
        "States": { "Discard": { "Type": "Pass", "Result": { "x": 1 }, "ResultPath": null, "End": true } }
    }));
    let run = sm.scenario().input(json!({ "keep": true })).run().unwrap();
    run.assert_output(json!({ "keep": true }));
}

#[test]
fn choice_routes_with_every_kind_of_rule() {
    let sm = machine(json!({
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    { "And": [
                        { "Variable": "$.amount", "NumericGreaterThanEquals": 1000 },
                        { "Not": { "Variable": "$.vip", "BooleanEquals": true } }
                    ], "Next": "Review" },
                    { "Variable": "$.customer", "StringMatches": "test-*", "Next": "Ignore" },
                    { "Or": [
                        { "Variable": "$.when", "TimestampLessThan": "2020-01-01T00:00:00Z" },
                        { "Variable": "$.note", "IsPresent": true }
                    ], "Next": "Old" }
                ],
                "Default": "Approve"
            },
            "Review": { "Type": "Succeed" },
            "Ignore": { "Type": "Succeed" },
            "Old": { "Type": "Succeed" },
            "Approve": { "Type": "Succeed" }
        }
    }));
    let route = |input: Value| {
        sm.scenario()
            .input(input)
            .run()
            .unwrap()
            .path()
            .last()
            .cloned()
            .unwrap()
    };
    assert_eq!(
        route(json!({ "amount": 5000, "vip": false, "customer": "a" })),
        "Review"
    );
    assert_eq!(
        route(json!({ "amount": 5000, "vip": true, "customer": "test-1" })),
        "Ignore"
    );
    assert_eq!(
        route(json!({ "amount": 5, "customer": "b", "when": "2019-06-01T00:00:00Z" })),
        "Old"
    );
    assert_eq!(
        route(json!({ "amount": 5, "customer": "b", "when": "2024-06-01T00:00:00Z", "note": null })),
        "Old"
    );
    assert_eq!(
        route(json!({ "amount": 5, "customer": "b", "when": "2024-06-01T00:00:00Z" })),
        "Approve"
    );
}

#[test]
fn choice_on_a_missing_variable_is_a_runtime_error() {
    // AWS fails the execution with States.Runtime when a comparison's Variable is not in the
    // input (only IsPresent tolerates it).
    let sm = machine(json!({
        "StartAt": "Route",
        "States": {
            "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.missing", "NumericEquals": 1, "Next": "Done" } ], "Default": "Done" },
            "Done": { "Type": "Succeed" }
        }
    }));
    sm.scenario().run().unwrap().assert_failed_with("States.Runtime");
}

#[test]
fn choice_without_match_fails_with_no_choice_matched() {
    // ASL spec: no matching rule and no Default → States.NoChoiceMatched.
    let sm = machine(json!({
        "StartAt": "Route",
        "States": {
            "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.a", "NumericEquals": 1, "Next": "Done" } ] },
            "Done": { "Type": "Succeed" }
        }
    }));
    sm.scenario()
        .input(json!({ "a": 2 }))
        .run()
        .unwrap()
        .assert_failed_with("States.NoChoiceMatched");
}

#[test]
fn a_one_year_wait_costs_no_real_time() {
    let sm = machine(json!({
        "StartAt": "Year",
        "States": { "Year": { "Type": "Wait", "Seconds": 31_536_000, "End": true } }
    }));
    let started = std::time::Instant::now();
    let run = sm.scenario().run().unwrap();
    run.assert_succeeded();
    assert_eq!(run.elapsed(), Duration::from_secs(31_536_000));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "virtual time must not sleep"
    );
}

#[test]
fn wait_until_a_timestamp_and_by_path() {
    let sm = machine(json!({
        "StartAt": "Until",
        "States": {
            "Until": { "Type": "Wait", "Timestamp": "2024-01-02T00:00:00Z", "Next": "More" },
            "More": { "Type": "Wait", "SecondsPath": "$.extra", "End": true }
        }
    }));
    let run = sm.scenario().input(json!({ "extra": 30 })).run().unwrap();
    assert_eq!(run.elapsed(), Duration::from_secs(86_400 + 30));
}

#[test]
fn retry_backs_off_on_virtual_time_then_catch_routes() {
    // Retry delays: IntervalSeconds × BackoffRate^n (ASL "Retrying after an error").
    let sm = machine(json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "flaky", "Payload.$": "$" },
                "Retry": [ { "ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 3 } ],
                "Catch": [ { "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover" } ],
                "End": true
            },
            "Recover": { "Type": "Pass", "End": true }
        }
    }));
    let run = sm
        .scenario()
        .input(json!({ "n": 1 }))
        .mock("Call", Mock::throw("Flaky", "again"))
        .run()
        .unwrap();
    run.assert_succeeded()
        .assert_path(["Call", "Recover"])
        .assert_output(json!({ "n": 1, "error": { "Error": "Flaky", "Cause": "again" } }));
    assert_eq!(run.calls("Call").len(), 4);
    assert_eq!(run.elapsed(), Duration::from_secs(2 + 4 + 8));
}

#[test]
fn task_timeout_fires_on_virtual_time() {
    let sm = machine(json!({
        "StartAt": "Slow",
        "States": {
            "Slow": { "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "TimeoutSeconds": 300, "End": true }
        }
    }));
    let run = sm.scenario().mock("Slow", Mock::hang()).run().unwrap();
    run.assert_failed_with("States.Timeout");
    assert_eq!(run.elapsed(), Duration::from_secs(300));
}

#[test]
fn execution_timeout_times_out() {
    let sm = machine(json!({
        "TimeoutSeconds": 60,
        "StartAt": "Long",
        "States": { "Long": { "Type": "Wait", "Seconds": 3600, "End": true } }
    }));
    let run = sm.scenario().run().unwrap();
    run.assert_timed_out();
    assert_eq!(run.elapsed(), Duration::from_secs(60));
}

#[test]
fn parallel_runs_branches_and_elapsed_is_the_longest() {
    let sm = machine(json!({
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    { "StartAt": "A", "States": { "A": { "Type": "Wait", "Seconds": 10, "Next": "A2" }, "A2": { "Type": "Pass", "Result": "a", "End": true } } },
                    { "StartAt": "B", "States": { "B": { "Type": "Wait", "Seconds": 5, "Next": "B2" }, "B2": { "Type": "Pass", "Result": "b", "End": true } } }
                ],
                "End": true
            }
        }
    }));
    let run = sm.scenario().run().unwrap();
    run.assert_succeeded().assert_output(json!(["a", "b"]));
    assert_eq!(run.elapsed(), Duration::from_secs(10));
    assert_eq!(run.path().len(), 5);
}

#[test]
fn map_iterates_with_item_selector_and_max_concurrency() {
    let sm = machine(json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": { "value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index" },
                "ItemProcessor": {
                    "StartAt": "Pause",
                    "States": { "Pause": { "Type": "Wait", "Seconds": 10, "End": true } }
                },
                "End": true
            }
        }
    }));
    let run = sm.scenario().input(json!({ "items": ["a", "b", "c"] })).run().unwrap();
    run.assert_succeeded().assert_output(json!([
        { "value": "a", "index": 0 }, { "value": "b", "index": 1 }, { "value": "c", "index": 2 }
    ]));
    // Two at a time: 10 s for the first pair, 10 s for the third.
    assert_eq!(run.elapsed(), Duration::from_secs(20));
}

#[test]
fn fail_state_reports_error_and_cause() {
    let sm = machine(json!({
        "StartAt": "Stop",
        "States": { "Stop": { "Type": "Fail", "Error": "Order.Invalid", "Cause": "no items" } }
    }));
    sm.scenario()
        .run()
        .unwrap()
        .assert_failed_with_cause("Order.Invalid", "no items");
}

#[test]
fn executions_are_deterministic() {
    let sm = machine(json!({
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemProcessor": { "StartAt": "W", "States": { "W": { "Type": "Wait", "SecondsPath": "$", "End": true } } },
                "End": true
            }
        }
    }));
    let a = sm.scenario().input(json!([3, 1, 2])).run().unwrap();
    let b = sm.scenario().input(json!([3, 1, 2])).run().unwrap();
    assert_eq!(a.history_json(), b.history_json());
    assert_eq!(a.path(), b.path());
}

#[test]
fn history_has_aws_event_shapes() {
    let sm = machine(json!({
        "StartAt": "P",
        "States": { "P": { "Type": "Pass", "End": true } }
    }));
    let run = sm.scenario().input(json!({ "a": 1 })).run().unwrap();
    let types: Vec<&str> = run.history().iter().map(|e| e.kind).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let entered = run.history()[1].to_json();
    assert_eq!(entered["stateEnteredEventDetails"]["name"], "P");
    assert_eq!(entered["timestamp"], "2024-01-01T00:00:00.000Z");
}

#[test]
fn execution_started_names_the_role_the_context_object_shows() {
    // `ExecutionStarted`'s `roleArn` and `$$.Execution.RoleArn` are the execution's role; ours
    // is the synthetic role of the state machine's name.
    let sm = machine(json!({
        "StartAt": "P",
        "States": { "P": { "Type": "Pass", "Parameters": { "role.$": "$$.Execution.RoleArn" }, "End": true } }
    }))
    .named("Orders");
    let run = sm.scenario().input(json!({ "a": 1 })).run().unwrap();
    let role = "arn:aws:iam::123456789012:role/Orders-role";
    assert_eq!(run.output(), Some(&json!({ "role": role })));
    assert_eq!(
        run.history()[0].to_json()["executionStartedEventDetails"],
        json!({ "input": { "a": 1 }, "inputDetails": { "truncated": false }, "roleArn": role })
    );
}

#[test]
fn express_workflows_have_express_arns_and_no_redrive_count() {
    // Conformance `express.test_express_sync.TestExpressSync.test_query_runtime_memory`.
    let sm = machine(json!({
        "StartAt": "Context",
        "States": { "Context": { "Type": "Pass", "Parameters": { "execution.$": "$$.Execution" }, "End": true } }
    }))
    .express();
    let run = sm.scenario().run().unwrap();
    let execution = &run.output().unwrap()["execution"];
    assert!(
        execution["Id"]
            .as_str()
            .unwrap()
            .contains(":express:StateMachine:test-execution:"),
        "{execution}"
    );
    assert!(execution.get("RedriveCount").is_none(), "{execution}");
    let standard = machine(json!({
        "StartAt": "Context",
        "States": { "Context": { "Type": "Pass", "Parameters": { "execution.$": "$$.Execution" }, "End": true } }
    }));
    let run = standard.scenario().run().unwrap();
    assert_eq!(run.output().unwrap()["execution"]["RedriveCount"], 0);
}

#[test]
fn api_gateway_headers_must_be_string_lists() {
    // Conformance `services.test_apigetway_task_service.TestTaskApiGateway.test_invoke_with_headers[*]`.
    let sm = machine(json!({
        "StartAt": "Call",
        "States": { "Call": {
            "Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke",
            "Parameters": { "ApiEndpoint": "x.execute-api.us-east-1.amazonaws.com", "Method": "GET", "Headers.$": "$.headers" },
            "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Caught" }],
            "End": true
        }, "Caught": { "Type": "Succeed" } }
    }));
    let bad = sm
        .scenario()
        .input(json!({ "headers": { "h": "one" } }))
        .mock("Call", json!({}))
        .run()
        .unwrap();
    // States.Runtime is not caught by States.ALL.
    bad.assert_failed_with("States.Runtime");
    assert!(
        bad.cause()
            .unwrap()
            .contains("could not be used to start the Task: [The value of the field 'Headers' has an invalid format]")
    );
    // The call never started.
    assert!(bad.calls("Call").is_empty());
    let good = sm
        .scenario()
        .input(json!({ "headers": { "h": ["one", "two"] } }))
        .mock("Call", json!({}))
        .run()
        .unwrap();
    good.assert_succeeded();
}

/// The history's outputs in order, as compact text (key order shows): each state's
/// `*StateExited` by state name, and `ExecutionSucceeded` as "(execution)".
fn history_outputs(run: &Execution) -> Vec<(String, String)> {
    run.history()
        .iter()
        .filter_map(|e| {
            let (key, details) = e.details()?;
            let name = match key {
                "stateExitedEventDetails" => details["name"].as_str()?.to_string(),
                "executionSucceededEventDetails" => "(execution)".to_string(),
                _ => return None,
            };
            Some((name, serde_json::to_string(&details["output"]).ok()?))
        })
        .collect()
}

/// Compact JSON text.
fn text(v: Value) -> String {
    serde_json::to_string(&v).unwrap()
}

#[test]
fn history_shows_each_state_output_whether_passed_on_or_changed() {
    // The history copies a state's input once when the state passes it on untouched (Choice,
    // Wait, a bare Pass); a state that changes it shows its own output.
    let sm = machine(json!({
        "StartAt": "Route",
        "States": {
            "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.a", "NumericEquals": 1, "Next": "Copy" } ] },
            "Copy": { "Type": "Pass", "ResultPath": "$.copy", "Next": "Pause" },
            "Pause": { "Type": "Wait", "Seconds": 5, "OutputPath": "$.copy", "Next": "Bare" },
            "Bare": { "Type": "Pass", "End": true }
        }
    }));
    let run = sm.scenario().input(json!({ "a": 1 })).run().unwrap();
    run.assert_succeeded();
    assert_eq!(
        history_outputs(&run),
        vec![
            ("Route".to_string(), text(json!({ "a": 1 }))),
            ("Copy".to_string(), text(json!({ "a": 1, "copy": { "a": 1 } }))),
            ("Pause".to_string(), text(json!({ "a": 1 }))),
            ("Bare".to_string(), text(json!({ "a": 1 }))),
            ("(execution)".to_string(), text(json!({ "a": 1 }))),
        ]
    );
}

#[test]
fn history_outputs_with_a_result_field_keep_the_fields_in_order() {
    // `ResultPath` into one top-level field: in the history's copy of the output, the field
    // keeps its place when it exists and is added last when it does not, as in the output
    // itself (JSON object insertion); a caught error's output is the catcher's `ResultPath`'s.
    let sm = machine(json!({
        "StartAt": "Replace",
        "States": {
            "Replace": { "Type": "Pass", "Parameters": { "n.$": "$.a", "q": "\"}" }, "ResultPath": "$.mid", "Next": "Add" },
            "Add": { "Type": "Pass", "Result": [1, { "x": "]," }], "ResultPath": "$.new", "Next": "Check" },
            "Check": { "Type": "Choice", "Choices": [ { "Variable": "$.a", "NumericEquals": 1, "Next": "Grow" } ] },
            "Grow": { "Type": "Pass", "Result": "a value much longer than the object before it", "ResultPath": "$.mid", "Next": "Shrink" },
            "Shrink": { "Type": "Pass", "Result": 0, "ResultPath": "$.new", "Next": "Float" },
            "Float": { "Type": "Pass", "Result": 0.5, "ResultPath": "$.f", "Next": "Call" },
            "Call": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "fn" },
                "ResultPath": "$.mid",
                "Catch": [ { "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Each" } ],
                "Next": "Each"
            },
            "Each": {
                "Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.items", "End": true,
                "ItemProcessor": { "StartAt": "Tag", "States": {
                    "Tag": { "Type": "Pass", "Result": true, "ResultPath": "$.seen", "End": true }
                } }
            }
        }
    }));
    let input = json!({ "a": 1, "mid": null, "s\"}": "{\\", "items": [{ "i": 1 }, {}] });
    let replaced = json!({ "a": 1, "mid": { "n": 1, "q": "\"}" }, "s\"}": "{\\", "items": [{ "i": 1 }, {}] });
    let mut added = replaced.clone();
    added["new"] = json!([1, { "x": "]," }]);
    let mut grown = added.clone();
    grown["mid"] = json!("a value much longer than the object before it");
    let mut shrunk = grown.clone();
    shrunk["new"] = json!(0);
    let mut floated = shrunk.clone();
    floated["f"] = json!(0.5);
    let mut called = floated.clone();
    called["mid"] = json!({ "ok": 1 });
    let mut mapped = called.clone();
    mapped["items"] = json!([{ "i": 1, "seen": true }, { "seen": true }]);
    let expected_start = vec![
        ("Replace".to_string(), text(replaced)),
        ("Add".to_string(), text(added.clone())),
        ("Check".to_string(), text(added)),
        ("Grow".to_string(), text(grown)),
        ("Shrink".to_string(), text(shrunk)),
        ("Float".to_string(), text(floated.clone())),
    ];
    // The raw result, without the Lambda integration's response envelope.
    let answer = Mock::raw(Mock::ret(json!({ "ok": 1 })));
    let run = sm.scenario().input(input.clone()).mock("Call", answer).run().unwrap();
    run.assert_succeeded();
    let mut expected = expected_start.clone();
    expected.extend([
        ("Call".to_string(), text(called)),
        ("Tag".to_string(), text(json!({ "i": 1, "seen": true }))),
        ("Tag".to_string(), text(json!({ "seen": true }))),
        ("Each".to_string(), text(mapped)),
    ]);
    expected.push(("(execution)".to_string(), expected[expected.len() - 1].1.clone()));
    assert_eq!(history_outputs(&run), expected);

    let run = sm
        .scenario()
        .input(input)
        .mock("Call", Mock::throw("Boom", "no"))
        .run()
        .unwrap();
    run.assert_succeeded();
    let mut caught = floated;
    caught["error"] = json!({ "Error": "Boom", "Cause": "no" });
    assert_eq!(
        history_outputs(&run)[..7],
        [expected_start, vec![("Call".to_string(), text(caught))]].concat()[..]
    );
}

#[test]
fn map_and_parallel_outputs_in_the_history_are_their_results() {
    // A Map or Parallel state's output is the array of its iterations' or branches' outputs
    // (AWS docs, "Map state" / "Parallel state"); the history shows it, and the execution's.
    let sm = machine(json!({
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel", "Next": "Each",
                "Branches": [
                    { "StartAt": "One", "States": { "One": { "Type": "Pass", "Result": { "q": "\"]," }, "End": true } } },
                    { "StartAt": "Two", "States": { "Two": { "Type": "Pass", "Result": 0.25, "End": true } } },
                    { "StartAt": "Inner", "States": { "Inner": {
                        "Type": "Map", "ItemsPath": "$.items", "End": true,
                        "ItemProcessor": { "StartAt": "Id", "States": { "Id": { "Type": "Pass", "End": true } } }
                    } } }
                ]
            },
            "Each": {
                "Type": "Map", "ItemsPath": "$[2]", "End": true,
                "ItemProcessor": { "StartAt": "Wrap", "States": {
                    "Wrap": { "Type": "Pass", "Parameters": { "v.$": "$" }, "End": true }
                } }
            }
        }
    }));
    let run = sm
        .scenario()
        .input(json!({ "items": [1, "two", { "3": [] }] }))
        .run()
        .unwrap();
    run.assert_succeeded();
    let outputs: Vec<(String, String)> = history_outputs(&run)
        .into_iter()
        .filter(|(name, _)| ["Both", "Inner", "Each", "(execution)"].contains(&name.as_str()))
        .collect();
    let each = text(json!([{ "v": 1 }, { "v": "two" }, { "v": { "3": [] } }]));
    assert_eq!(
        outputs,
        vec![
            ("Inner".to_string(), text(json!([1, "two", { "3": [] }]))),
            (
                "Both".to_string(),
                text(json!([{ "q": "\"]," }, 0.25, [1, "two", { "3": [] }]]))
            ),
            ("Each".to_string(), each.clone()),
            ("(execution)".to_string(), each),
        ]
    );
}

#[test]
fn results_written_again_into_the_same_field_are_the_results() {
    // A loop whose states write a result of the same shape into the same field each time
    // (`ResultPath` replaces the field: AWS docs, "ResultPath"). Each result is built from the
    // input before it is written: `prev` reads the old value, and a field whose names come
    // in another order is replaced as a whole.
    let sm = machine(json!({
        "StartAt": "Count",
        "States": {
            "Count": {
                "Type": "Pass", "ResultPath": "$.c", "Next": "Call",
                "Parameters": { "n.$": "States.MathAdd($.c.n, 1)", "prev.$": "$.c.n", "tag": "t" }
            },
            "Call": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "fn", "Payload.$": "$.c" },
                "ResultSelector": { "got.$": "$.Payload.n", "code.$": "$.StatusCode" },
                "ResultPath": "$.r", "Next": "Again"
            },
            "Again": { "Type": "Choice", "Choices": [ { "Variable": "$.c.n", "NumericLessThan": 3, "Next": "Count" } ], "Default": "Swap" },
            "Swap": { "Type": "Pass", "Parameters": { "tag": "u", "n.$": "$.c.n", "prev": null }, "ResultPath": "$.c", "End": true }
        }
    }));
    let echo = Mock::from_fn(|call| Ok(json!({ "n": call.input["Payload"]["n"] })));
    let input = json!({ "c": { "n": 0, "prev": null, "tag": "t" }, "r": { "got": 0, "code": 0 } });
    for history in [true, false] {
        let scenario = sm.scenario().input(input.clone()).mock("Call", echo.clone());
        let run = if history {
            scenario.run()
        } else {
            scenario.without_history().run()
        }
        .unwrap();
        run.assert_succeeded();
        let out = run.output().unwrap();
        assert_eq!(
            text(out.clone()),
            text(json!({ "c": { "tag": "u", "n": 3, "prev": null }, "r": { "got": 3, "code": 200 } }))
        );
        if history {
            let counts: Vec<String> = history_outputs(&run)
                .into_iter()
                .filter(|(name, _)| name == "Count")
                .map(|(_, t)| t)
                .collect();
            assert_eq!(
                counts,
                [(1, 0, 0), (2, 1, 1), (3, 2, 2)]
                    .map(|(n, prev, got)| {
                        let code = if got == 0 { 0 } else { 200 };
                        text(json!({ "c": { "n": n, "prev": prev, "tag": "t" }, "r": { "got": got, "code": code } }))
                    })
                    .to_vec()
            );
        }
    }
}

#[test]
fn results_that_replace_an_input_of_the_same_shape_are_the_results() {
    // Without `ResultPath` the result is the output (AWS docs, "ResultPath"), here an object
    // with the input's names each time: a counter loop, and a Task whose ResultSelector
    // result has its input's shape.
    let sm = machine(json!({
        "StartAt": "Incr",
        "States": {
            "Incr": { "Type": "Pass", "Parameters": { "counter.$": "States.MathAdd($.counter, 1)", "last.$": "$.counter" }, "Next": "Check" },
            "Check": { "Type": "Choice", "Choices": [ { "Variable": "$.counter", "NumericLessThan": 3, "Next": "Incr" } ], "Default": "Ask" },
            "Ask": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "fn", "Payload.$": "$" },
                "ResultSelector": { "counter.$": "$.Payload.counter", "last": "asked" },
                "End": true
            }
        }
    }));
    let echo = Mock::from_fn(|call| Ok(json!({ "counter": call.input["Payload"]["counter"] })));
    let run = sm
        .scenario()
        .input(json!({ "counter": 0, "last": null }))
        .mock("Ask", echo)
        .run()
        .unwrap();
    run.assert_succeeded();
    let outputs: Vec<(String, String)> = history_outputs(&run)
        .into_iter()
        .filter(|(n, _)| n != "Check")
        .collect();
    let expected: Vec<(String, String)> = [(1, 0), (2, 1), (3, 2)]
        .map(|(counter, last)| ("Incr".to_string(), text(json!({ "counter": counter, "last": last }))))
        .into_iter()
        .chain([
            ("Ask".to_string(), text(json!({ "counter": 3, "last": "asked" }))),
            (
                "(execution)".to_string(),
                text(json!({ "counter": 3, "last": "asked" })),
            ),
        ])
        .collect();
    assert_eq!(outputs, expected);
}

#[test]
fn task_parameters_are_the_same_with_history_or_without() {
    // The history keeps a Task's parameters as text written straight from the template; a
    // float falls back to the value, from the same random draws.
    for parameters in [
        json!({ "FunctionName": "fn", "Payload": { "r.$": "States.MathRandom(1, 1000000)", "id.$": "$.id" } }),
        json!({ "FunctionName": "fn", "Payload": { "r.$": "States.MathRandom(1, 1000000)", "f": 1.5 } }),
    ] {
        let sm = machine(json!({
            "StartAt": "Call",
            "States": { "Call": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": parameters, "End": true
            } }
        }));
        let scenario = || {
            sm.scenario()
                .input(json!({ "id": 7 }))
                .default_mock(Mock::ret(json!({ "ok": true })))
        };
        let with = scenario().run().unwrap();
        let without = scenario().without_history().run().unwrap();
        let sent = |run: &Execution| run.calls("Call").first().map(|v| (*v).clone());
        assert_eq!(sent(&with), sent(&without), "{parameters}");
        let scheduled = with
            .history()
            .iter()
            .find_map(|e| e.details().filter(|(k, _)| *k == "taskScheduledEventDetails"))
            .map(|(_, d)| d["parameters"].clone());
        assert_eq!(scheduled, sent(&with), "{parameters}");
        assert!(sent(&with).unwrap()["Payload"]["r"].is_u64());
    }
}

#[test]
fn parameters_passing_the_whole_input_show_that_input() {
    // `"Payload.$": "$"` is written from the history's copy of the input; with an `InputPath`
    // it is the selection, and a retried attempt sends the same.
    for (input_path, expected) in [
        (None, json!({ "id": 7, "s": "q\"\n", "n": [1, { "x": null }] })),
        (Some("$.n"), json!([1, { "x": null }])),
    ] {
        let mut call = json!({
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": { "FunctionName": "fn", "Payload.$": "$" },
            "Retry": [ { "ErrorEquals": ["Flaky"], "IntervalSeconds": 1 } ],
            "ResultPath": "$.out", "Next": "Again"
        });
        if let Some(p) = input_path {
            call["InputPath"] = json!(p);
        }
        let again = json!({
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": { "FunctionName": "fn", "Payload.$": "$" }, "End": true
        });
        let sm = machine(json!({ "StartAt": "Call", "States": { "Call": call, "Again": again } }));
        let input = json!({ "id": 7, "s": "q\"\n", "n": [1, { "x": null }] });
        let run = sm
            .scenario()
            .input(input.clone())
            .mock(
                "Call",
                Mock::sequence([Mock::throw("Flaky", "once"), Mock::ret(json!({ "ok": 1 }))]),
            )
            .mock("Again", json!({}))
            .run()
            .unwrap();
        run.assert_succeeded();
        let scheduled: Vec<Value> = run
            .history()
            .iter()
            .filter_map(|e| e.details().filter(|(k, _)| *k == "taskScheduledEventDetails"))
            .map(|(_, d)| d["parameters"]["Payload"].clone())
            .collect();
        // The second Task's input: the first one's, with its result (the Lambda response the
        // `TaskSucceeded` event shows) at `ResultPath`.
        let result = run
            .history()
            .iter()
            .find_map(|e| e.details().filter(|(k, _)| *k == "taskSucceededEventDetails"))
            .map(|(_, d)| d["output"].clone())
            .unwrap();
        assert_eq!(result["Payload"], json!({ "ok": 1 }));
        let mut second = input.clone();
        second["out"] = result;
        assert_eq!(scheduled, vec![expected.clone(), expected, second], "{input_path:?}");
        let sent: Vec<Value> = run.calls("Call").iter().map(|v| v["Payload"].clone()).collect();
        assert_eq!(sent, scheduled[..2]);
    }
}

#[test]
fn map_iterations_keep_their_variables_to_themselves() {
    // AWS docs, "Variable scope": a variable assigned in a Map iteration is that iteration's.
    let sm = machine(json!({
        "StartAt": "Each",
        "States": { "Each": {
            "Type": "Map", "End": true,
            "ItemProcessor": {
                "StartAt": "Keep",
                "States": {
                    "Keep": { "Type": "Pass", "Assign": { "mine.$": "$.v" }, "Next": "Show" },
                    "Show": { "Type": "Pass", "Parameters": { "mine.$": "$mine" }, "End": true }
                }
            }
        } }
    }));
    let run = sm
        .scenario()
        .input(json!([{ "v": 1 }, { "v": 2 }, { "v": 3 }]))
        .run()
        .unwrap();
    run.assert_succeeded();
    assert_eq!(
        run.output(),
        Some(&json!([{ "mine": 1 }, { "mine": 2 }, { "mine": 3 }]))
    );
}

/// The output text of each `PassStateExited` event of `run`, in order.
fn exited_outputs(run: &sfn_test::Execution) -> Vec<String> {
    run.history()
        .iter()
        .filter(|e| e.kind == "PassStateExited")
        .map(|e| serde_json::to_string(&e.to_json()["stateExitedEventDetails"]["output"]).unwrap())
        .collect()
}

/// `state` going on to `next`, or ending when there is none.
fn then(mut state: Value, next: Option<&str>) -> Value {
    match next {
        Some(next) => state["Next"] = json!(next),
        None => state["End"] = json!(true),
    }
    state
}

#[test]
fn a_chain_of_same_shape_results_shows_each_output_in_the_history_in_template_order() {
    // Each Pass replaces its input with its Parameters' result (ResultPath `$`): names in the
    // template's order, constants as written, paths resolved against the previous result. A
    // float constant (`0.5`) and a string one (`"x"`) take different ways into the history.
    for (f, f_text) in [(json!(0.5), "0.5"), (json!("x"), r#""x""#)] {
        let step = |n: u64, next: Option<&str>| {
            let parameters = json!({ "z": n, "meta": { "k": [n] }, "seed.$": "$.seed", "f": f, "a.$": "$.z" });
            then(json!({ "Type": "Pass", "Parameters": parameters }), next)
        };
        let sm = machine(json!({
            "StartAt": "S0",
            "States": {
                "S0": { "Type": "Pass", "Parameters": { "z": 0, "meta": { "k": [0] }, "seed.$": "$.seed", "f": f, "a": null }, "Next": "S1" },
                "S1": step(1, Some("S2")),
                "S2": step(2, None),
            }
        }));
        let run = sm.scenario().input(json!({ "seed": "s" })).run().unwrap();
        let exited = exited_outputs(&run);
        let expected = |z: u64, a: &str| format!(r#"{{"z":{z},"meta":{{"k":[{z}]}},"seed":"s","f":{f_text},"a":{a}}}"#);
        assert_eq!(exited, [expected(0, "null"), expected(1, "0"), expected(2, "1")]);
        assert_eq!(serde_json::to_string(run.output().unwrap()).unwrap(), expected(2, "1"));
    }
}

#[test]
fn results_set_into_one_field_show_in_the_history_with_the_rest_of_the_input() {
    // `ResultPath: $.last` sets one field and keeps the others where they are; the result has
    // its template's names in order and its constants as written.
    let step = |n: u64, next: Option<&str>| {
        let parameters = json!({ "i": n, "tag": "t", "prev.$": "$.last.i", "a.$": "$.a" });
        then(
            json!({ "Type": "Pass", "Parameters": parameters, "ResultPath": "$.last" }),
            next,
        )
    };
    let sm = machine(json!({
        "StartAt": "S0",
        "States": { "S0": step(0, Some("S1")), "S1": step(1, Some("S2")), "S2": step(2, None) }
    }));
    let input = json!({ "a": [1, "x"], "last": { "i": -1, "tag": "t", "prev": null, "a": null }, "z": true });
    let run = sm.scenario().input(input).run().unwrap();
    let exited = exited_outputs(&run);
    let expected = |i: i64, prev: i64| {
        format!(r#"{{"a":[1,"x"],"last":{{"i":{i},"tag":"t","prev":{prev},"a":[1,"x"]}},"z":true}}"#)
    };
    assert_eq!(exited, [expected(0, -1), expected(1, 0), expected(2, 1)]);
    assert_eq!(serde_json::to_string(run.output().unwrap()).unwrap(), expected(2, 1));
}

#[test]
fn a_loop_of_same_shape_results_through_a_choice_shows_each_output_in_the_history() {
    // `Incr` rebuilds its input's object (same names, same order) each time round; `Check`
    // passes it on; `Mark` then sets one of its fields with `ResultPath`.
    let sm = machine(json!({
        "StartAt": "Incr",
        "States": {
            "Incr": {
                "Type": "Pass",
                "Parameters": { "n.$": "States.MathAdd($.n, 1)", "k": "v", "mark.$": "$.mark" },
                "Next": "Check"
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{ "Variable": "$.n", "NumericLessThan": 3, "Next": "Incr" }],
                "Default": "Mark"
            },
            "Mark": { "Type": "Pass", "Result": "done", "ResultPath": "$.k", "End": true }
        }
    }));
    let run = sm
        .scenario()
        .input(json!({ "n": 0, "k": "v", "mark": [true] }))
        .run()
        .unwrap();
    let exited = exited_outputs(&run);
    assert_eq!(
        exited,
        [
            r#"{"n":1,"k":"v","mark":[true]}"#,
            r#"{"n":2,"k":"v","mark":[true]}"#,
            r#"{"n":3,"k":"v","mark":[true]}"#,
            r#"{"n":3,"k":"done","mark":[true]}"#,
        ]
    );
    assert_eq!(
        serde_json::to_string(run.output().unwrap()).unwrap(),
        r#"{"n":3,"k":"done","mark":[true]}"#
    );
}

#[test]
fn the_top_path_leaves_out_states_inside_a_parallel_and_is_the_path_without_one() {
    let flat = machine(json!({
        "StartAt": "A",
        "States": { "A": { "Type": "Pass", "Next": "B" }, "B": { "Type": "Succeed" } }
    }));
    let run = flat.scenario().run().unwrap();
    assert_eq!(run.path(), ["A", "B"]);
    assert_eq!(run.top_path(), ["A", "B"]);
    let nested = machine(json!({
        "StartAt": "A",
        "States": {
            "A": { "Type": "Pass", "Next": "Fork" },
            "Fork": {
                "Type": "Parallel",
                "Branches": [{ "StartAt": "In", "States": { "In": { "Type": "Pass", "End": true } } }],
                "Next": "B"
            },
            "B": { "Type": "Succeed" }
        }
    }));
    let run = nested.scenario().run().unwrap();
    assert_eq!(run.path(), ["A", "Fork", "In", "B"]);
    assert_eq!(run.top_path(), ["A", "Fork", "B"]);
}

#[test]
fn a_long_loop_visits_each_state_and_transition_once_however_many_states_there_are() {
    // 150 states: past the first 128, whose marks an execution keeps in place. The loop runs
    // twice round, so every state is entered twice and every transition taken twice.
    let n = 150;
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let next = if i + 1 < n {
            format!("S{}", i + 1)
        } else {
            "Check".into()
        };
        states.insert(format!("S{i}"), json!({ "Type": "Pass", "Next": next }));
    }
    states.insert(
        "Check".into(),
        json!({
            "Type": "Choice",
            "Choices": [{ "Variable": "$.again", "BooleanEquals": true, "Next": "Again" }],
            "Default": "Done"
        }),
    );
    states.insert(
        "Again".into(),
        json!({ "Type": "Pass", "Result": false, "ResultPath": "$.again", "Next": "S0" }),
    );
    states.insert("Done".into(), json!({ "Type": "Succeed" }));
    let sm = machine(json!({ "StartAt": "S0", "States": states }));
    let run = sm.scenario().input(json!({ "again": true })).run().unwrap();
    assert_eq!(run.path().len(), 2 * n + 4);
    let visits = run.visits();
    assert_eq!(visits.states.len(), n + 3);
    for i in 0..n {
        assert!(visits.states.contains(&format!("/States/S{i}")), "S{i}");
    }
    // S0→S1 … S148→S149, S149→Check, Check→Again, Again→S0, Check→Done.
    assert_eq!(visits.transitions.len(), n - 1 + 4);
    assert!(
        visits
            .transitions
            .contains(&("/States/S149".to_string(), "/States/Check".to_string()))
    );
    assert!(
        visits
            .transitions
            .contains(&("/States/Again".to_string(), "/States/S0".to_string()))
    );
}
