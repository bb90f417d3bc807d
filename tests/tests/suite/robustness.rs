//! Robustness: malformed definitions never panic, and random executions are deterministic.

use std::panic::{AssertUnwindSafe, catch_unwind};

use sfn_test::prelude::*;

/// A small seeded generator (splitmix64), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sample_definitions() -> Vec<Value> {
    let dir = sfn_test_suite::data_dir("SFN_CONFORMANCE_DIR", "../shared/conformance/cases");
    let mut out = vec![random_definition(&mut Rng(7), 0)];
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths.into_iter().step_by(7).take(120) {
            if let Ok(text) = std::fs::read_to_string(&p)
                && let Ok(case) = serde_json::from_str::<Value>(&text)
            {
                out.push(case["definition"].clone());
            }
        }
    }
    out
}

/// Runs `f`, failing the test with `what` if it panics.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        panic!("panicked on {what}");
    }
}

fn try_run(definition: Value) {
    if let Ok(sm) = StateMachine::from_definition(definition) {
        let _ = sm.scenario().default_mock(json!({})).history_limit(2_000).run();
    }
}

#[test]
fn truncated_json_never_panics() {
    for definition in sample_definitions() {
        let text = definition.to_string();
        for cut in (0..text.len()).step_by((text.len() / 25).max(1)) {
            let Some(prefix) = text.get(..cut) else { continue };
            no_panic(&format!("truncated definition {prefix:?}"), || {
                if let Ok(v) = serde_json::from_str::<Value>(prefix) {
                    try_run(v);
                }
            });
        }
    }
}

fn mutate(value: &mut Value, rng: &mut Rng) {
    let replacements = [
        json!(null),
        json!(-1),
        json!(1.5),
        json!("$.nope"),
        json!("States.Format("),
        json!([]),
        json!({}),
        json!(true),
        json!("$$.Map.Item.Value"),
        json!(1e300),
    ];
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if rng.below(6) == 0 {
                    map.insert(
                        k,
                        replacements[usize::try_from(rng.below(replacements.len() as u64)).unwrap_or(0)].clone(),
                    );
                } else if let Some(v) = map.get_mut(&k) {
                    mutate(v, rng);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mutate(v, rng)),
        _ => {}
    }
}

#[test]
fn wrong_types_never_panic() {
    let mut rng = Rng(42);
    for definition in sample_definitions() {
        for _ in 0..8 {
            let mut d = definition.clone();
            mutate(&mut d, &mut rng);
            let shown = d.to_string();
            no_panic(&format!("mutated definition {shown}"), || try_run(d));
        }
    }
}

#[test]
fn deep_nesting_is_rejected_cleanly() {
    let mut definition = json!({ "StartAt": "Leaf", "States": { "Leaf": { "Type": "Pass", "End": true } } });
    for _ in 0..200 {
        definition =
            json!({ "StartAt": "P", "States": { "P": { "Type": "Parallel", "Branches": [definition], "End": true } } });
    }
    let err = StateMachine::from_definition(definition).unwrap_err().to_string();
    assert!(err.contains("nest deeper than"), "{err}");
    let mut rule = json!({ "Variable": "$.a", "IsPresent": true });
    for _ in 0..200 {
        rule = json!({ "Not": rule });
    }
    let choice = json!({ "StartAt": "C", "States": { "C": { "Type": "Choice", "Choices": [ { "Not": rule, "Next": "E" } ], "Default": "E" }, "E": { "Type": "Succeed" } } });
    let err = StateMachine::from_definition(choice).unwrap_err().to_string();
    assert!(err.contains("nest deeper than"), "{err}");
}

/// A random but valid definition over Pass, Wait, Choice, Parallel and Map.
fn random_definition(rng: &mut Rng, depth: u32) -> Value {
    let n = 2 + rng.below(4);
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let name = format!("S{depth}_{i}");
        let next = if i + 1 == n {
            None
        } else {
            Some(format!("S{depth}_{}", i + 1))
        };
        let mut state = match rng.below(if depth < 2 { 6 } else { 4 }) {
            0 => json!({ "Type": "Pass", "Parameters": { "v.$": "$.v", "i": i } }),
            1 => json!({ "Type": "Wait", "Seconds": rng.below(100) }),
            2 => json!({ "Type": "Pass", "Result": { "n": rng.below(10) }, "ResultPath": "$.r" }),
            3 => {
                json!({ "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": { "FunctionName": "f", "Payload.$": "$" }, "ResultPath": "$.t",
                         "Retry": [ { "ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "JitterStrategy": "FULL" } ] })
            }
            4 => {
                json!({ "Type": "Parallel", "Branches": [random_definition(rng, depth + 1), random_definition(rng, depth + 1)], "ResultPath": "$.p" })
            }
            _ => {
                json!({ "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": rng.below(3), "ItemProcessor": random_definition(rng, depth + 1), "ResultPath": "$.m" })
            }
        };
        match next {
            Some(n) => state["Next"] = json!(n),
            None => state["End"] = json!(true),
        }
        states.insert(name, state);
    }
    json!({ "StartAt": format!("S{depth}_0"), "States": states })
}

#[test]
fn random_executions_are_deterministic() {
    let mut rng = Rng(2024);
    for round in 0..40 {
        let definition = random_definition(&mut rng, 0);
        let sm = StateMachine::from_definition(definition.clone())
            .unwrap_or_else(|e| panic!("round {round}: {e}\n{definition}"));
        let input = json!({ "v": round, "items": [1, 2, 3] });
        let mock = Mock::sequence([Mock::throw("Flaky", "first"), Mock::ret(json!({ "ok": true }))]).repeat_last();
        let a = sm
            .scenario()
            .input(input.clone())
            .seed(round)
            .default_mock(mock.clone())
            .run()
            .unwrap();
        let b = sm.scenario().input(input).seed(round).default_mock(mock).run().unwrap();
        assert_eq!(
            serde_json::to_string(&a.history_json()).unwrap(),
            serde_json::to_string(&b.history_json()).unwrap(),
            "round {round}: histories differ for {definition}"
        );
        assert_eq!(a.elapsed(), b.elapsed());
    }
}
