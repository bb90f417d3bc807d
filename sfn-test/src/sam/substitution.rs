//! `DefinitionSubstitutions`: `${Key}` placeholders in a definition replaced by the values the
//! template gives, and the placeholders no value is given for.
//!
//! CloudFormation replaces placeholders in the definition's text: the text of a
//! `DefinitionS3Location` file (what SAM's `DefinitionUri` becomes) before it is parsed, so an
//! unquoted YAML `Seconds: ${Wait}` becomes a number; the `DefinitionString`; the JSON text of
//! an inline `Definition` (AWS::StepFunctions::StateMachine resource handler,
//! `DefinitionProcessor`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::document::escape;

/// Replaces placeholders in every string (and key) of `value`.
pub(super) fn apply_to_value(value: &mut Value, subs: &BTreeMap<String, String>) {
    match value {
        Value::String(s) if s.contains("${") => *s = apply_to_text(s, subs),
        Value::Array(items) => items.iter_mut().for_each(|v| apply_to_value(v, subs)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            let mut new = Map::with_capacity(old.len());
            for (key, mut v) in old {
                apply_to_value(&mut v, subs);
                let key = if key.contains("${") {
                    apply_to_text(&key, subs)
                } else {
                    key
                };
                new.insert(key, v);
            }
            *map = new;
        }
        _ => {}
    }
}

/// Replaces the placeholders of `text` that `subs` gives a value for.
pub(super) fn apply_to_text(text: &str, subs: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, name, after)) = next_placeholder(rest) {
        out.push_str(before);
        match subs.get(name) {
            Some(value) => out.push_str(value),
            None => {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Every placeholder left in `value`, once, with the JSON pointer of its first use, in
/// document order.
pub(super) fn unresolved(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect(value, &mut String::new(), &mut out);
    out
}

fn collect(value: &Value, pointer: &mut String, out: &mut Vec<(String, String)>) {
    let note = |text: &str, pointer: &str, out: &mut Vec<(String, String)>| {
        let mut rest = text;
        while let Some((_, name, after)) = next_placeholder(rest) {
            if is_placeholder(name) && !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_owned(), pointer.to_owned()));
            }
            rest = after;
        }
    };
    match value {
        Value::String(s) => note(s, pointer, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                collect(item, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(key));
                note(key, pointer, out);
                collect(item, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Splits `text` at its first `${name}`: (text before, name, text after).
fn next_placeholder(text: &str) -> Option<(&str, &str, &str)> {
    let start = text.find("${")?;
    let after = &text[start + 2..];
    let end = after.find('}')?;
    Some((&text[..start], &after[..end], &after[end + 1..]))
}

/// What CloudFormation names look like; `${ not a name }` is ordinary text.
fn is_placeholder(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_known_and_reports_unknown() {
        let subs = BTreeMap::from([("FnArn".to_owned(), "arn:x".to_owned())]);
        let mut v = json!({"R": "${FnArn}", "L": ["a${FnArn}b", "${Missing}", "${Missing}", "${ not a name }", "${open"], "${FnArn}": 1});
        apply_to_value(&mut v, &subs);
        assert_eq!(
            v,
            json!({"R": "arn:x", "L": ["aarn:xb", "${Missing}", "${Missing}", "${ not a name }", "${open"], "arn:x": 1})
        );
        assert_eq!(unresolved(&v), vec![("Missing".to_owned(), "/L/1".to_owned())]);
    }

    #[test]
    fn text_substitution_happens_before_parsing() {
        let subs = BTreeMap::from([("Wait".to_owned(), "120".to_owned())]);
        assert_eq!(
            apply_to_text("Seconds: ${Wait} ${Other}", &subs),
            "Seconds: 120 ${Other}"
        );
        assert_eq!(
            unresolved(&json!({"a/${K}": ["x", "${Y}"]})),
            vec![
                ("K".to_owned(), "/a~1${K}".to_owned()),
                ("Y".to_owned(), "/a~1${K}/1".to_owned())
            ]
        );
    }
}
