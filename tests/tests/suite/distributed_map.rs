//! Distributed Map `ItemReader`, `ItemBatcher` and `ResultWriter` against the scenario's
//! virtual S3, through the public API. Expected values follow the AWS docs ("ItemReader
//! (Map)", "ItemBatcher (Map)", "ResultWriter (Map)") and the conformance recordings named in
//! each test.

use sfn_test::prelude::*;

fn machine(definition: Value) -> StateMachine {
    StateMachine::from_definition(definition).expect("valid definition")
}

/// A Distributed Map whose children pass their input through, with the given extra fields.
fn distributed_map(fields: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": { "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" },
            "StartAt": "Child",
            "States": { "Child": { "Type": "Pass", "End": true } }
        },
        "End": true
    });
    for (k, v) in fields.as_object().expect("an object") {
        map[k] = v.clone();
    }
    json!({ "StartAt": "Map", "States": { "Map": map } })
}

fn get_object(input_type: Value, key: &str) -> Value {
    json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": input_type,
        "Parameters": { "Bucket": "data", "Key": key }
    })
}

#[test]
fn csv_first_row_headers_and_item_selector() {
    // Conformance `...test_map_item_reader_base_csv_headers_first_line`: values stay text, a
    // short row gets "" for its missing fields, extra fields are dropped. ItemSelector sees
    // the item as $$.Map.Item.Value and its index as $$.Map.Item.Index (AWS docs, "ItemSelector").
    let sm = machine(distributed_map(json!({
        "ItemReader": get_object(json!({ "InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW" }), "rows.csv"),
        "ItemSelector": { "row.$": "$$.Map.Item.Value", "n.$": "$$.Map.Item.Index", "batch.$": "$.batch" }
    })));
    let run = sm
        .scenario()
        .input(json!({ "batch": 7 }))
        .s3_object("data", "rows.csv", "id,name\n1,\"Smith, J\"\n2\n3,c,extra\n")
        .run()
        .unwrap();
    run.assert_succeeded().assert_output(json!([
        { "row": { "id": "1", "name": "Smith, J" }, "n": 0, "batch": 7 },
        { "row": { "id": "2", "name": "" }, "n": 1, "batch": 7 },
        { "row": { "id": "3", "name": "c" }, "n": 2, "batch": 7 }
    ]));
    // The children are child executions: not in the parent's path (conformance README).
    assert_eq!(run.path(), ["Map"]);
}

#[test]
fn csv_given_headers_delimiter_and_max_items() {
    // AWS docs, "ItemReader (Map)": CSVHeaderLocation GIVEN with CSVHeaders, CSVDelimiter,
    // MaxItems (conformance `...test_map_item_reader_csv_max_items[2]`).
    let sm = machine(distributed_map(json!({
        "ItemReader": get_object(
            json!({
                "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a", "b"],
                "CSVDelimiter": "SEMICOLON", "MaxItems": 2
            }),
            "rows.csv"
        )
    })));
    let run = sm
        .scenario()
        .s3_object("data", "rows.csv", "1;2\n3;4\n5;6\n")
        .run()
        .unwrap();
    run.assert_output(json!([{ "a": "1", "b": "2" }, { "a": "3", "b": "4" }]));
}

#[test]
fn json_and_jsonl_objects_with_max_items_path() {
    // Conformance `assign...test_reference_in_map_state_max_items_path[*]`: MaxItemsPath may
    // name a variable holding a numeric string.
    let sm = machine(json!({
        "StartAt": "Limit",
        "States": {
            "Limit": { "Type": "Pass", "Assign": { "max": "2" }, "Next": "Map" },
            "Map": distributed_map(json!({
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": { "InputType": "JSONL", "MaxItemsPath": "$max" },
                    "Parameters": { "Bucket": "data", "Key.$": "$.key" }
                }
            }))["States"]["Map"].clone()
        }
    }));
    let run = sm
        .scenario()
        .input(json!({ "key": "lines.jsonl" }))
        .s3_object("data", "lines.jsonl", "{\"n\":1}\n\n{\"n\":2}\n{\"n\":3}\n")
        .run()
        .unwrap();
    run.assert_output(json!([{ "n": 1 }, { "n": 2 }]));

    // MaxItems 0 means no limit (conformance `...test_map_item_reader_csv_max_items_paths[0]`).
    let sm = machine(distributed_map(json!({
        "ItemReader": get_object(json!({ "InputType": "JSON", "MaxItems": 0 }), "list.json")
    })));
    let run = sm.scenario().s3_object("data", "list.json", "[1, 2, 3]").run().unwrap();
    run.assert_output(json!([1, 2, 3]));
}

#[test]
fn list_objects_v2_gives_object_metadata() {
    // AWS docs, "ItemReader (Map)", listing objects: Etag (the MD5 of a single-part body, in
    // quotes), Key, LastModified (epoch seconds), Size, StorageClass; keys in order, filtered
    // by Prefix (conformance `...test_map_item_reader_base_list_objects_v2` for the shape).
    let sm = machine(distributed_map(json!({
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:listObjectsV2",
            "Parameters": { "Bucket": "data", "Prefix": "in/" }
        }
    })));
    let run = sm
        .scenario()
        .s3_object("data", "in/b.txt", "hello")
        .s3_object("data", "in/a.txt", "")
        .s3_object("data", "out/c.txt", "skipped")
        .run()
        .unwrap();
    run.assert_output(json!([
        {
            "Etag": "\"d41d8cd98f00b204e9800998ecf8427e\"", "Key": "in/a.txt",
            "LastModified": 1_704_067_200, "Size": 0, "StorageClass": "STANDARD"
        },
        {
            "Etag": "\"5d41402abc4b2a76b9719d911017c592\"", "Key": "in/b.txt",
            "LastModified": 1_704_067_200, "Size": 5, "StorageClass": "STANDARD"
        }
    ]));
}

#[test]
fn reader_failures_are_item_reader_failed_and_catchable() {
    // Conformance `...test_map_item_reader_json_no_json_list_object`,
    // `...csv_headers_decl_duplicate_headers`, `...csv_max_items_paths[-1]`: the Map Run fails
    // with States.ItemReaderFailed and these causes.
    let cases = [
        (
            get_object(json!({ "InputType": "JSON" }), "object.json"),
            "{\"Hello\": \"world\"}",
            "Attempting to map over non-iterable node.",
        ),
        (
            get_object(
                json!({ "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1", "H1"] }),
                "object.json",
            ),
            "a,b\n",
            "CSV headers cannot contain duplicates.",
        ),
        (
            get_object(json!({ "InputType": "JSON", "MaxItems": -1 }), "object.json"),
            "[]",
            "field MaxItems must be positive",
        ),
    ];
    for (reader, body, cause) in cases {
        // A literal negative MaxItems does not validate; give it by a path instead.
        let mut reader = reader;
        if reader["ReaderConfig"]["MaxItems"] == json!(-1) {
            reader["ReaderConfig"] = json!({ "InputType": "JSON", "MaxItemsPath": "$.max" });
        }
        let sm = machine(distributed_map(json!({ "ItemReader": reader })));
        let run = sm
            .scenario()
            .input(json!({ "max": -1 }))
            .s3_object("data", "object.json", body)
            .run()
            .unwrap();
        run.assert_failed_with_cause("States.ItemReaderFailed", cause);
    }

    // A missing object fails the same way, and a Catch on the Map state handles it.
    let mut definition = distributed_map(json!({
        "ItemReader": get_object(json!({ "InputType": "JSON" }), "missing.json"),
        "Catch": [{ "ErrorEquals": ["States.ItemReaderFailed"], "ResultPath": "$.error", "Next": "Recover" }]
    }));
    definition["States"]["Recover"] = json!({ "Type": "Pass", "End": true });
    let run = machine(definition)
        .scenario()
        .s3_object("data", "other.json", "[]")
        .run()
        .unwrap();
    run.assert_succeeded().assert_path(["Map", "Recover"]);
    assert_eq!(run.output().unwrap()["error"]["Error"], "States.ItemReaderFailed");
}

#[test]
fn item_batcher_groups_items_with_batch_input() {
    // AWS docs, "ItemBatcher (Map)": each child gets {"Items": [...]}; the BatchInput sits
    // under "BatchInput" (conformance `...test_map_item_batching_base_json_max_per_batch_jsonata`).
    let sm = machine(distributed_map(json!({
        "ItemReader": get_object(json!({ "InputType": "JSON" }), "list.json"),
        "ItemBatcher": { "MaxItemsPerBatchPath": "$.size", "BatchInput": { "job.$": "$.job" } }
    })));
    let run = sm
        .scenario()
        .input(json!({ "size": 2, "job": "j1" }))
        .s3_object("data", "list.json", "[1, 2, 3, 4, 5]")
        .run()
        .unwrap();
    run.assert_output(json!([
        { "Items": [1, 2], "BatchInput": { "job": "j1" } },
        { "Items": [3, 4], "BatchInput": { "job": "j1" } },
        { "Items": [5], "BatchInput": { "job": "j1" } }
    ]));

    // MaxInputBytesPerBatch alone: a batch holds what fits ({"Items":[...]} is 12 bytes, each
    // item its JSON plus a comma).
    let sm = machine(distributed_map(
        json!({ "ItemBatcher": { "MaxInputBytesPerBatch": 20 } }),
    ));
    let run = sm.scenario().input(json!(["aaa", "bbb", "ccc"])).run().unwrap();
    run.assert_output(json!([{ "Items": ["aaa"] }, { "Items": ["bbb"] }, { "Items": ["ccc"] }]));
}

#[test]
fn jsonata_reader_arguments_and_batcher() {
    // Conformance `...test_map_item_reader_base_json_max_items_jsonata` and
    // `...test_map_item_batching_base_json_max_per_batch_jsonata`: Arguments, MaxItems and
    // MaxItemsPerBatch as expressions.
    let mut definition = distributed_map(json!({
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": { "InputType": "JSON", "MaxItems": "{% $states.input.max %}" },
            "Arguments": { "Bucket": "data", "Key": "{% $states.input.key %}" }
        },
        "ItemBatcher": { "MaxItemsPerBatch": "{% 2 %}" }
    }));
    definition["QueryLanguage"] = json!("JSONata");
    let run = machine(definition)
        .scenario()
        .input(json!({ "key": "list.json", "max": 3 }))
        .s3_object("data", "list.json", "[\"a\", \"b\", \"c\", \"d\"]")
        .run()
        .unwrap();
    run.assert_output(json!([{ "Items": ["a", "b"] }, { "Items": ["c"] }]));
}

#[test]
fn result_writer_writes_manifest_and_results() {
    // Conformance `...test_map_state_result_writer`: the Map's output is the Map Run ARN
    // (named after the Label) and the manifest's location, `<Prefix>/<map run id>/manifest.json`.
    // AWS docs, "ResultWriter (Map)": the manifest lists the result files by status; each
    // result lists a child execution with its input and output as JSON text.
    let sm = machine(distributed_map(json!({
        "Label": "Jobs",
        "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": { "Bucket": "results", "Prefix": "runs" }
        }
    })));
    let run = sm.scenario().input(json!(["a", "b"])).run().unwrap();
    run.assert_succeeded();
    let output = run.output().unwrap();
    let arn = output["MapRunArn"].as_str().unwrap();
    let id = arn.rsplit(':').next().unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:"),
        "{arn}"
    );
    assert!(arn.contains("/Jobs:"), "{arn}");
    let manifest_key = format!("runs/{id}/manifest.json");
    assert_eq!(
        output["ResultWriterDetails"],
        json!({ "Bucket": "results", "Key": manifest_key })
    );

    let manifest: Value = serde_json::from_str(run.s3_object("results", &manifest_key).unwrap()).unwrap();
    let succeeded_key = format!("runs/{id}/SUCCEEDED_0.json");
    let body = run.s3_object("results", &succeeded_key).unwrap();
    assert_eq!(manifest["DestinationBucket"], "results");
    assert_eq!(manifest["MapRunArn"], arn);
    assert_eq!(
        manifest["ResultFiles"],
        json!({ "FAILED": [], "PENDING": [], "SUCCEEDED": [{ "Key": succeeded_key, "Size": body.len() }] })
    );
    let results: Value = serde_json::from_str(body).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["Status"], "SUCCEEDED");
    assert_eq!(results[0]["Input"], "\"a\"");
    assert_eq!(results[1]["Output"], "\"b\"");
    assert_eq!(run.s3_objects().len(), 2);

    // Deterministic: the same scenario names the Map Run the same way.
    let again = sm.scenario().input(json!(["a", "b"])).run().unwrap();
    assert_eq!(again.output(), run.output());
}

#[test]
fn result_writer_lists_tolerated_failures() {
    // AWS docs, "ResultWriter (Map)": children that failed go to FAILED_0.json, with their
    // error and cause.
    let mut definition = distributed_map(json!({
        "ToleratedFailureCount": 1,
        "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": { "Bucket": "results", "Prefix": "" }
        }
    }));
    definition["States"]["Map"]["ItemProcessor"]["States"] = json!({
        "Child": {
            "Type": "Choice",
            "Choices": [{ "Variable": "$", "NumericEquals": 2, "Next": "Boom" }],
            "Default": "Fine"
        },
        "Boom": { "Type": "Fail", "Error": "Bad.Item", "Cause": "two" },
        "Fine": { "Type": "Succeed" }
    });
    definition["States"]["Map"]["ItemProcessor"]["StartAt"] = json!("Child");
    let run = machine(definition).scenario().input(json!([1, 2, 3])).run().unwrap();
    run.assert_succeeded();
    let key = run.output().unwrap()["ResultWriterDetails"]["Key"]
        .as_str()
        .unwrap()
        .to_string();
    let folder = key.trim_end_matches("/manifest.json");
    assert!(
        !folder.contains('/'),
        "an empty Prefix puts the files at the top: {key}"
    );
    let failed: Value =
        serde_json::from_str(run.s3_object("results", &format!("{folder}/FAILED_0.json")).unwrap()).unwrap();
    assert_eq!(failed[0]["Status"], "FAILED");
    assert_eq!(failed[0]["Error"], "Bad.Item");
    assert_eq!(failed[0]["Cause"], "two");
    let succeeded: Value =
        serde_json::from_str(run.s3_object("results", &format!("{folder}/SUCCEEDED_0.json")).unwrap()).unwrap();
    assert_eq!(succeeded.as_array().map(Vec::len), Some(2));
}

#[test]
fn writer_config_alone_transforms_the_output() {
    // AWS docs, "ResultWriter (Map)", WriterConfig: without Resource the results are the Map's
    // output; FLATTEN flattens the children's arrays, COMPACT keeps the outputs as they are.
    let flatten = machine(distributed_map(json!({
        "ResultWriter": { "WriterConfig": { "Transformation": "FLATTEN", "OutputType": "JSON" } }
    })));
    let run = flatten.scenario().input(json!([[1, 2], [3], 4])).run().unwrap();
    run.assert_output(json!([1, 2, 3, 4]));
    assert!(run.s3_objects().is_empty());
    let compact = machine(distributed_map(json!({
        "ResultWriter": { "WriterConfig": { "Transformation": "COMPACT" } }
    })));
    compact
        .scenario()
        .input(json!([[1, 2], [3]]))
        .run()
        .unwrap()
        .assert_output(json!([[1, 2], [3]]));
}

#[test]
fn what_is_not_supported_says_so() {
    // An ItemReader belongs to a Distributed Map (AWS docs, "Map state").
    let mut inline = distributed_map(json!({
        "ItemReader": get_object(json!({ "InputType": "JSON" }), "list.json")
    }));
    inline["States"]["Map"]["ItemProcessor"]["ProcessorConfig"] = json!({ "Mode": "INLINE" });
    let err = StateMachine::from_definition(inline).unwrap_err().to_string();
    assert!(err.contains("needs a Distributed Map"), "{err}");

    // S3 inventory manifests are not read: a harness error, not a silent empty Map.
    let sm = machine(distributed_map(json!({
        "ItemReader": get_object(json!({ "InputType": "MANIFEST" }), "manifest.json")
    })));
    let err = sm
        .scenario()
        .s3_object("data", "manifest.json", "{}")
        .run()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not supported yet") && err.contains("MANIFEST"), "{err}");
}
