//! The JSONata query language end to end. Expected values come from the conformance
//! recordings (real AWS runs; the case id is cited) or, where none covers the behaviour, from
//! the AWS docs section named.

use sfn_test::prelude::*;

fn machine(definition: Value) -> StateMachine {
    StateMachine::from_definition(definition).expect("valid definition")
}

fn invalid(definition: Value) -> String {
    match StateMachine::from_definition(definition) {
        Ok(_) => panic!("the definition should not validate"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn output_reads_states_input_and_variables() {
    // outputdecl.test_output.TestArgumentsBase.test_base_cases[BASE_DIRECT_EXPR]: a JSONPath
    // state assigns, a JSONata state reads the variable.
    let sm = machine(json!({
        "StartAt": "Init",
        "States": {
            "Init": { "Type": "Pass", "Assign": { "var_constant_1": 1 }, "Next": "State0" },
            "State0": {
                "QueryLanguage": "JSONata",
                "Type": "Pass",
                "Output": "{% $sum($states.input.input_values) + $var_constant_1 %}",
                "End": true
            }
        }
    }));
    let run = sm
        .scenario()
        .input(json!({ "input_value": "string literal", "input_values": [1, 2, 3] }))
        .run()
        .unwrap();
    run.assert_succeeded().assert_output(json!(7));
}

#[test]
fn only_exact_expression_strings_are_evaluated() {
    // outputdecl.test_output.TestArgumentsBase.test_base_cases[BASE_LITERALS]: strings with
    // spaces around the braces, JSONPath-looking strings and `.$` keys stay literal.
    let output = json!({
        "constant_not_jsonata": " {% states.input %} ",
        "constant_varpath_states": "$states.input",
        "constant_jp_input.$": "$",
        "constant_if": "States.Format('Format:{}', 101)",
        "nested": [null, 0.1, true, { "constant": 0 }]
    });
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "State0",
        "States": { "State0": { "Type": "Pass", "Output": output.clone(), "End": true } }
    }));
    sm.scenario()
        .input(json!({ "x": 1 }))
        .run()
        .unwrap()
        .assert_output(output);
}

#[test]
fn output_walks_arrays_and_objects() {
    // outputdecl.test_output.TestArgumentsBase.test_base_output_any_non_dict[LIST_RICH].
    let sm = machine(json!({
        "StartAt": "State0",
        "States": {
            "State0": {
                "QueryLanguage": "JSONata",
                "Type": "Pass",
                "Output": [null, 0, "$nosuchvar", "{% $states.input %}", { "key": "{% true %}" }],
                "End": true
            }
        }
    }));
    sm.scenario()
        .input(json!({ "input_value": "stringliteral" }))
        .run()
        .unwrap()
        .assert_output(json!([null, 0, "$nosuchvar", { "input_value": "stringliteral" }, { "key": true }]));
}

#[test]
fn task_arguments_and_output_with_states_result() {
    // outputdecl.test_output.TestArgumentsBase.test_base_task_lambda[BASE_TASK_LAMBDA]:
    // Arguments build the call, Output sees both $states.input and $states.result.
    let sm = machine(json!({
        "StartAt": "State0",
        "States": {
            "State0": {
                "QueryLanguage": "JSONata",
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {
                    "FunctionName": "{% $states.input.FunctionName %}",
                    "Payload": "{% $states.input.Payload %}"
                },
                "Output": {
                    "ja_states_input": "{% $states.input %}",
                    "payload": "{% $states.result.Payload %}"
                },
                "End": true
            }
        }
    }));
    let input = json!({ "FunctionName": "lambda_function_name", "Payload": { "input_values": [1, 2, 3] } });
    let run = sm
        .scenario()
        .input(input.clone())
        .mock("State0", json!({ "input_values": [1, 2, 3] }))
        .run()
        .unwrap();
    run.assert_succeeded().assert_output(json!({
        "ja_states_input": input,
        "payload": { "input_values": [1, 2, 3] }
    }));
    assert_eq!(
        run.calls("State0"),
        [&json!({ "FunctionName": "lambda_function_name", "Payload": { "input_values": [1, 2, 3] } })]
    );
}

#[test]
fn task_without_output_passes_on_its_result_and_assigns() {
    // query_language.test_mixed_query_language...[TASK_LAMBDA_LEGACY_RESOURCE_JSONATA_TO_JSONPATH]:
    // Assign sees $states.result; a following JSONPath state passes it on.
    let sm = machine(json!({
        "StartAt": "JsonataState",
        "States": {
            "JsonataState": {
                "QueryLanguage": "JSONata",
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
                "Arguments": { "Payload": { "foo": "foo-1" } },
                "Assign": { "resultsVar": "{% $states.result %}" },
                "Next": "JsonPathState"
            },
            "JsonPathState": { "QueryLanguage": "JSONPath", "Type": "Pass", "Parameters": { "v.$": "$resultsVar" }, "End": true }
        }
    }));
    let run = sm
        .scenario()
        .mock("JsonataState", json!({ "Payload": { "foo": "foo-1" } }))
        .run()
        .unwrap();
    run.assert_output(json!({ "v": { "Payload": { "foo": "foo-1" } } }));
    assert_eq!(run.calls("JsonataState"), [&json!({ "Payload": { "foo": "foo-1" } })]);
}

#[test]
fn assign_sees_the_variables_as_they_were() {
    // query_language.test_mixed_query_language...test_variable_sampling[JSONPATH_ASSIGN_JSONATA_REF]:
    // the output is the input, and oldAnswer reads the value before this state's Assign.
    let sm = machine(json!({
        "StartAt": "JSONPathState",
        "States": {
            "JSONPathState": { "QueryLanguage": "JSONPath", "Type": "Pass", "Assign": { "theAnswer": 42 }, "Next": "JSONataState" },
            "JSONataState": {
                "QueryLanguage": "JSONata",
                "Type": "Pass",
                "Assign": { "theAnswer": 18, "oldAnswer": "{% $theAnswer %}" },
                "End": true
            }
        }
    }));
    let run = sm.scenario().run().unwrap();
    run.assert_succeeded().assert_output(json!({}));
    let vars = run.variables_at("JSONataState").unwrap();
    assert_eq!(vars["theAnswer"], json!(18));
    assert_eq!(vars["oldAnswer"], json!(42));
}

#[test]
fn choice_condition_with_rule_output() {
    // outputdecl.test_output.TestArgumentsBase.test_output_in_choice[CONDITION_TRUE] and
    // [CONDITION_FALSE].
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "ChoiceState",
        "States": {
            "ChoiceState": {
                "Type": "Choice",
                "Choices": [
                    { "Condition": "{% $states.input.condition %}", "Next": "ConditionTrue", "Output": "Condition Output block" }
                ],
                "Default": "DefaultState",
                "Output": "Default Output block"
            },
            "ConditionTrue": { "Type": "Pass", "End": true },
            "DefaultState": { "Type": "Fail", "Cause": "Condition is false" }
        }
    }));
    sm.scenario()
        .input(json!({ "condition": true }))
        .run()
        .unwrap()
        .assert_succeeded()
        .assert_path(["ChoiceState", "ConditionTrue"])
        .assert_output(json!("Condition Output block"));
    let run = sm.scenario().input(json!({ "condition": false })).run().unwrap();
    run.assert_path(["ChoiceState", "DefaultState"]);
    assert_eq!(
        run.status(),
        &Status::Failed {
            error: String::new(),
            cause: Some("Condition is false".into())
        }
    );
}

#[test]
fn undefined_results_fail_with_query_evaluation_error() {
    // assign.test_assign_reference_variables...test_undefined_reference[BASE_UNDEFINED_OUTPUT_MULTIPLE_STATES].
    let sm = machine(json!({
        "StartAt": "State0",
        "QueryLanguage": "JSONata",
        "States": {
            "State0": { "Type": "Pass", "Next": "State1" },
            "State1": { "Type": "Pass", "Next": "State2" },
            "State2": { "Type": "Pass", "Output": { "result": "{% $doesNotExist %}" }, "End": true }
        }
    }));
    sm.scenario().run().unwrap().assert_failed_with_cause(
        "States.QueryEvaluationError",
        "An error occurred while executing the state 'State2' (entered at the event id #6). The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).",
    );
}

#[test]
fn unknown_functions_and_eval_are_not_functions() {
    // intrinsic_functions.test_math_operations_jsonata...test_math_random_seeded; `$eval` is not
    // available in Step Functions (AWS docs, "Transforming data with JSONata": use $parse).
    let sm = machine(json!({
        "StartAt": "State_0",
        "States": {
            "State_0": {
                "QueryLanguage": "JSONata",
                "Type": "Pass",
                "Output": { "FunctionResult": "{% $randomSeeded($states.input.FunctionInput.fst) %}" },
                "End": true
            }
        }
    }));
    sm.scenario().input(json!({ "FunctionInput": "fst" })).run().unwrap().assert_failed_with_cause(
        "States.QueryEvaluationError",
        "An error occurred while executing the state 'State_0' (entered at the event id #2). The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function",
    );
    let eval = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": { "S": { "Type": "Pass", "Output": "{% $eval('1 + 1') %}", "End": true } }
    }));
    eval.scenario()
        .run()
        .unwrap()
        .assert_failed_with("States.QueryEvaluationError");
}

#[test]
fn step_functions_functions() {
    // intrinsic_functions.test_array_jsonata...test_array_partition@exec_hist_resp_16,
    // ...test_array_range@exec_hist_resp_1, test_json_manipulation_jsonata...test_parse@exec_hist_resp_6.
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": {
            "S": {
                "Type": "Pass",
                "Output": {
                    "partition": "{% $partition([0, 1, 2, 3], 2) %}",
                    "range": "{% $range(0, 10, 3) %}",
                    "parse": "{% $parse('{\"Arg1\": 1, \"Arg2\": []}') %}",
                    "merge": "{% $merge([$states.input.part1, $states.input.part2]) %}"
                },
                "End": true
            }
        }
    }));
    sm.scenario()
        .input(json!({ "part1": { "hello": "world" }, "part2": { "foo": "bar" } }))
        .run()
        .unwrap()
        .assert_output(json!({
            "partition": [[0, 1], [2, 3]],
            "range": [0, 3, 6, 9],
            "parse": { "Arg1": 1, "Arg2": [] },
            // evaluate_jsonata...test_merge_with_dynamic_args
            "merge": { "hello": "world", "foo": "bar" }
        }));
}

#[test]
fn random_uuid_and_now_are_deterministic() {
    // DESIGN "Determinism and time": $random and $uuid come from the scenario's seed, $now from
    // the virtual clock (2024-01-01T00:00:00Z unless set).
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": {
            "S": {
                "Type": "Pass",
                "Output": { "r": "{% $random() %}", "u": "{% $uuid() %}", "now": "{% $now() %}", "seeded": "{% $random(7) = $random(7) %}" },
                "End": true
            }
        }
    }));
    let a = sm.scenario().seed(1).run().unwrap();
    let b = sm.scenario().seed(1).run().unwrap();
    assert_eq!(a.output(), b.output());
    let out = a.output().unwrap();
    let r = out["r"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&r), "{r}");
    let u = out["u"].as_str().unwrap();
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "4", "a version 4 UUID: {u}");
    assert_eq!(out["now"], json!("2024-01-01T00:00:00.000Z"));
    assert_eq!(out["seeded"], json!(true));
}

#[test]
fn map_items_and_item_selector() {
    // evaluate_jsonata...test_base_map[ITEMS]: Items may mix literals and expressions. The
    // ItemSelector sees the item as $states.context.Map.Item (AWS docs, "Map state":
    // ItemSelector, JSONata).
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Map",
                "Items": [1, "{% $number(\"2\") %}", 3],
                "ItemSelector": {
                    "value": "{% $states.context.Map.Item.Value %}",
                    "index": "{% $states.context.Map.Item.Index %}",
                    "tag": "{% $states.input.tag %}"
                },
                "MaxConcurrency": "{% $variable := 1 %}",
                "ItemProcessor": { "StartAt": "Process", "States": { "Process": { "Type": "Pass", "End": true } } },
                "Output": "{% $states.result.value %}",
                "End": true
            }
        }
    }));
    let run = sm.scenario().input(json!({ "tag": "t" })).run().unwrap();
    run.assert_succeeded().assert_output(json!([1, 2, 3]));
}

#[test]
fn map_items_must_be_an_array() {
    // scenarios.test_base_scenarios...test_map_state_items_eval_jsonata_fail[object] and
    // ...test_map_state_items_input_types[number].
    let literal = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "MapIterateState",
        "States": {
            "MapIterateState": {
                "Type": "Map",
                "Items": "{% {'foo': 'bar'} %}",
                "ItemProcessor": { "StartAt": "Pass", "States": { "Pass": { "Type": "Pass", "End": true } } },
                "End": true
            }
        }
    }));
    literal.scenario().run().unwrap().assert_failed_with_cause(
        "States.QueryEvaluationError",
        "An error occurred while executing the state 'MapIterateState' (entered at the event id #2). The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}",
    );
    let from_input = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "MapIterateState",
        "States": {
            "MapIterateState": {
                "Type": "Map",
                "ItemProcessor": { "StartAt": "Pass", "States": { "Pass": { "Type": "Pass", "End": true } } },
                "End": true
            }
        }
    }));
    from_input.scenario().input(json!(1)).run().unwrap().assert_failed_with_cause(
        "States.QueryEvaluationError",
        "An error occurred while executing the state 'MapIterateState' (entered at the event id #2). Map state input must be an array but was: 1",
    );
}

#[test]
fn catch_output_and_assign_see_the_error_output() {
    // states_variables.test_error_output...test_task_catch_error_output[TASK_CATCH_ERROR_OUTPUT]
    // and ...test_catch_error_variable_sampling[TASK_CATCH_ERROR_VARIABLE_SAMPLING].
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Task",
        "States": {
            "Task": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": { "FunctionName": "f", "Payload": { "foo": "foobar" } },
                "Catch": [{
                    "ErrorEquals": ["States.ALL"],
                    "Output": { "stateInput": "{% $states.input %}", "stateError": "{% $states.errorOutput %}" },
                    "Assign": { "errorVar": "{% $states.errorOutput.Error %}" },
                    "Next": "Fallback"
                }],
                "Next": "Finish"
            },
            "Fallback": { "Type": "Pass", "Output": { "error": "{% $states.input %}", "name": "{% $errorVar %}" }, "End": true },
            "Finish": { "Type": "Succeed" }
        }
    }));
    let run = sm
        .scenario()
        .input(json!({ "inputData": "dummy" }))
        .mock("Task", Mock::throw("Exception", "Some exception was raised."))
        .run()
        .unwrap();
    run.assert_succeeded()
        .assert_path(["Task", "Fallback"])
        .assert_output(json!({
            "error": {
                "stateInput": { "inputData": "dummy" },
                "stateError": { "Error": "Exception", "Cause": "Some exception was raised." }
            },
            "name": "Exception"
        }));
}

#[test]
fn parallel_arguments_and_output() {
    // AWS docs, "Parallel workflow state": Arguments is the branches' input, Output sees the
    // branch results as $states.result.
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Arguments": { "n": "{% $states.input.n * 10 %}" },
                "Branches": [
                    { "StartAt": "A", "States": { "A": { "Type": "Pass", "Output": "{% $states.input.n + 1 %}", "End": true } } },
                    { "StartAt": "B", "States": { "B": { "Type": "Pass", "Output": "{% $states.input.n + 2 %}", "End": true } } }
                ],
                "Output": { "sum": "{% $sum($states.result) %}", "results": "{% $states.result %}" },
                "End": true
            }
        }
    }));
    sm.scenario()
        .input(json!({ "n": 1 }))
        .run()
        .unwrap()
        .assert_output(json!({ "sum": 23, "results": [11, 12] }));
}

#[test]
fn wait_and_fail_fields_as_expressions() {
    // scenarios.test_base_scenarios...test_wait_timestamp_jsonata[NO_Z] and ...test_fail_cause_jsonata;
    // a Seconds expression waits on the virtual clock (...test_wait_seconds_jsonata).
    let wait = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "WaitState",
        "States": { "WaitState": { "Type": "Wait", "Timestamp": "{% $states.input.TimestampValue %}", "End": true } }
    }));
    wait.scenario()
        .input(json!({ "TimestampValue": "2016-12-05T21:29:29" }))
        .run()
        .unwrap()
        .assert_failed_with_cause(
            "States.QueryEvaluationError",
            "An error occurred while executing the state 'WaitState' (entered at the event id #2). The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: 2016-12-05T21:29:29",
        );
    let seconds = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "WaitState",
        "States": { "WaitState": { "Type": "Wait", "Seconds": "{% $states.input.waitSeconds %}", "End": true } }
    }));
    let run = seconds.scenario().input(json!({ "waitSeconds": 90 })).run().unwrap();
    run.assert_output(json!({ "waitSeconds": 90 }));
    assert_eq!(run.elapsed(), std::time::Duration::from_secs(90));
    let fail = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "FailState",
        "States": { "FailState": { "Type": "Fail", "Error": "{% 'Custom.' & $states.input.kind %}", "Cause": "{% $states.input.cause %}" } }
    }));
    fail.scenario()
        .input(json!({ "kind": "Oops", "cause": "This failed to due an Exception." }))
        .run()
        .unwrap()
        .assert_failed_with_cause("Custom.Oops", "This failed to due an Exception.");
}

#[test]
fn jsonpath_fields_are_rejected_in_jsonata_states() {
    // AWS docs, "Transforming data with JSONata": JSONata states have Arguments and Output
    // instead of InputPath, Parameters, ResultSelector, ResultPath and OutputPath.
    let err = invalid(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": { "S": { "Type": "Pass", "Parameters": { "a.$": "$.a" }, "ResultPath": "$.x", "End": true } }
    }));
    assert!(err.contains("/States/S/Parameters"), "{err}");
    assert!(err.contains("/States/S/ResultPath"), "{err}");
    assert!(err.contains("supported only when QueryLanguage is JSONPath"), "{err}");
    let err = invalid(json!({
        "StartAt": "S",
        "States": { "S": { "Type": "Pass", "Output": { "a": 1 }, "End": true } }
    }));
    assert!(err.contains("supported only when QueryLanguage is JSONata"), "{err}");
}

#[test]
fn expression_syntax_errors_point_at_the_field() {
    let err = invalid(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": { "S": { "Type": "Pass", "Output": { "list": [1, "{% $states.input + %}"] }, "End": true } }
    }));
    assert!(err.contains("/States/S/Output/list/1"), "{err}");
    assert!(err.contains("invalid JSONata expression"), "{err}");
}

#[test]
fn query_language_per_state_and_no_jsonpath_inside_jsonata() {
    // query_language.test_base_query_language...test_query_language_field_override[JSONATA_OVERRIDE];
    // AWS docs, "State machine structure": a JSONata state machine cannot mix in JSONPath states.
    let sm = machine(json!({
        "QueryLanguage": "JSONPath",
        "StartAt": "StartState",
        "States": { "StartState": { "QueryLanguage": "JSONata", "Type": "Pass", "End": true } }
    }));
    sm.scenario().run().unwrap().assert_output(json!({}));
    let err = invalid(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": { "S": { "QueryLanguage": "JSONPath", "Type": "Pass", "End": true } }
    }));
    assert!(err.contains("/States/S/QueryLanguage"), "{err}");
}

#[test]
fn a_failing_output_is_not_caught() {
    // No recording covers it: AWS evaluates Output after the state's Retry/Catch handling, as
    // a JSONPath OutputPath (LocalStack's AWS-validated state evaluation order does the same),
    // so the Catch below does not handle the failed Output.
    let sm = machine(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Task",
        "States": {
            "Task": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": { "FunctionName": "f", "Payload": {} },
                "Output": "{% $states.result.Payload.missing %}",
                "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Caught" }],
                "End": true
            },
            "Caught": { "Type": "Succeed" }
        }
    }));
    let run = sm.scenario().mock("Task", json!({ "ok": true })).run().unwrap();
    run.assert_failed_with_cause(
        "States.QueryEvaluationError",
        "An error occurred while executing the state 'Task' (entered at the event id #2). The JSONata expression '$states.result.Payload.missing' specified for the field 'Output' returned nothing (undefined).",
    )
    .assert_not_visited("Caught");
}
