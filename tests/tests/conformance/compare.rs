//! The comparison rules of `../shared/conformance/README.md`: JSON equality modulo placeholder
//! tokens, error and cause, and the states entered (ordered, or as a multiset plus the
//! top-level sequence).

use std::collections::BTreeMap;

use serde_json::Value;
use sfn_test::{Execution, json_equal};

/// Checks an execution against a case's `expected`; the error says every difference.
pub fn check(run: &Execution, expected: &Value) -> Result<(), String> {
    let tokens: Vec<String> = expected
        .get("placeholders")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let status = expected.get("status").and_then(Value::as_str).unwrap_or("");
    if run.status().as_str() != status {
        problems.push(format!(
            "status: expected {status}, got {} (error {:?}, cause {:?})",
            run.status().as_str(),
            run.error(),
            run.cause()
        ));
    } else if status == "SUCCEEDED" {
        let want = expected.get("output").unwrap_or(&Value::Null);
        let got = run.output().unwrap_or(&Value::Null);
        if !equal(want, got, &tokens) {
            problems.push(format!("output: expected {want}, got {got}"));
        }
    } else {
        if let Some(e) = expected.get("error") {
            let got = run.error().map(|s| Value::String(s.to_string())).unwrap_or(Value::Null);
            if !equal(e, &got, &tokens) {
                problems.push(format!("error: expected {e}, got {got}"));
            }
        }
        if let Some(c) = expected.get("cause") {
            let got = run.cause().unwrap_or("");
            let ok = match c {
                Value::String(_) => equal(c, &Value::String(got.to_string()), &tokens),
                other => serde_json::from_str::<Value>(got).is_ok_and(|parsed| equal(other, &parsed, &tokens)),
            };
            if !ok {
                problems.push(format!("cause: expected {c}, got {got:?}"));
            }
        }
    }
    if let Some(Value::Array(states)) = expected.get("states") {
        let want: Vec<&str> = states.iter().filter_map(Value::as_str).collect();
        let got: Vec<&str> = run.path().iter().map(String::as_str).collect();
        let ordered = expected.get("states_ordered").and_then(Value::as_bool).unwrap_or(true);
        if ordered {
            if want != got {
                problems.push(format!("states: expected {want:?}, got {got:?}"));
            }
        } else {
            if multiset(&want) != multiset(&got) {
                problems.push(format!("states (as a multiset): expected {want:?}, got {got:?}"));
            }
            if let Some(Value::Array(top)) = expected.get("states_top") {
                let want_top: Vec<&str> = top.iter().filter_map(Value::as_str).collect();
                let got_top: Vec<&str> = run.top_path().iter().map(String::as_str).collect();
                if want_top != got_top {
                    problems.push(format!("top-level states: expected {want_top:?}, got {got_top:?}"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn multiset<'a>(items: &[&'a str]) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(*i).or_default() += 1;
    }
    m
}

/// Whether a recorded mock input matches an actual call's input (placeholders as wildcards:
/// any token-looking string `<...>` matches anything).
pub fn matches(recorded: &Value, actual: &Value) -> bool {
    equal_with(recorded, actual, &[], true)
}

/// JSON equality where expected strings may hold the listed placeholder tokens.
pub fn equal(expected: &Value, actual: &Value, tokens: &[String]) -> bool {
    equal_with(expected, actual, tokens, false)
}

/// `loose`: every `<...>` in the expected value is a wildcard too (recorded mock inputs hold
/// unlisted tokens such as `<lambda_function_name>`).
fn equal_with(expected: &Value, actual: &Value, tokens: &[String], loose: bool) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if is_token(e, tokens, loose) => true,
        (Value::String(e), Value::String(a)) => {
            e == a || (has_token(e, tokens, loose) && pattern_match(e, a, tokens, loose))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| equal_with(x, y, tokens, loose))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter().all(|(k, v)| match a.get(k) {
                    Some(av) => equal_with(v, av, tokens, loose),
                    None => {
                        has_token(k, tokens, loose)
                            && a.iter()
                                .any(|(ak, av)| pattern_match(k, ak, tokens, loose) && equal_with(v, av, tokens, loose))
                    }
                })
        }
        _ => json_equal(expected, actual),
    }
}

fn is_token(s: &str, tokens: &[String], loose: bool) -> bool {
    tokens.iter().any(|t| t == s) || (loose && s.starts_with('<') && s.ends_with('>') && !s[1..].contains('<'))
}

fn has_token(s: &str, tokens: &[String], loose: bool) -> bool {
    tokens.iter().any(|t| s.contains(t.as_str())) || (loose && s.contains('<') && s.contains('>'))
}

/// Splits `pattern` at the tokens into literal pieces and checks that `text` is those pieces
/// in order with anything between them, anchored at both ends.
fn pattern_match(pattern: &str, text: &str, tokens: &[String], loose: bool) -> bool {
    let mut pieces = vec![pattern.to_string()];
    let mut all_tokens: Vec<String> = tokens.to_vec();
    let mut rest = if loose { pattern } else { "" };
    while let Some(start) = rest.find('<') {
        match rest[start..].find('>') {
            Some(end) => {
                all_tokens.push(rest[start..start + end + 1].to_string());
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    all_tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));
    for token in &all_tokens {
        pieces = pieces
            .iter()
            .flat_map(|p| p.split(token.as_str()).map(str::to_string).collect::<Vec<_>>())
            .collect();
    }
    if pieces.len() == 1 {
        return pieces[0] == text;
    }
    let (first, last) = (&pieces[0], &pieces[pieces.len() - 1]);
    if !text.starts_with(first.as_str()) || !text.ends_with(last.as_str()) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut pos = first.len();
    let end = text.len() - last.len();
    for piece in &pieces[1..pieces.len() - 1] {
        match text[pos..end].find(piece.as_str()) {
            Some(i) => pos += i + piece.len(),
            None => return false,
        }
    }
    true
}

/// The runner's own check of placeholder matching, run as a trial.
pub fn self_check() -> Result<(), String> {
    use serde_json::json;
    let tokens = vec!["<ArnPart_0idx>".to_string(), "111111111111".to_string()];
    let cases = [
        (
            json!("arn:aws:states:us-east-1:111111111111:stateMachine:<ArnPart_0idx>"),
            json!("arn:aws:states:us-east-1:123456789012:stateMachine:Foo"),
            true,
        ),
        (json!({"a": "<ArnPart_0idx>"}), json!({"a": 5}), true),
        (json!("abc"), json!("abd"), false),
        (json!("x-<ArnPart_0idx>-y"), json!("x-anything-z"), false),
    ];
    for (expected, actual, want) in cases {
        if equal(&expected, &actual, &tokens) != want {
            return Err(format!(
                "placeholder matching of {expected} against {actual} should be {want}"
            ));
        }
    }
    Ok(())
}
