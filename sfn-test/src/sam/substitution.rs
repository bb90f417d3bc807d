//! `DefinitionSubstitutions`: `${Key}` placeholders in a definition replaced by the values the
//! template gives. A placeholder without a value is left as written and reported.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Replaces placeholders in every string (and key) of `value`.
pub(super) fn apply_to_value(value: &mut Value, subs: &BTreeMap<String, String>, unresolved: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains("${") => {
            *s = apply_to_text(s, subs, unresolved);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| apply_to_value(v, subs, unresolved)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            let mut new = Map::with_capacity(old.len());
            for (key, mut v) in old {
                apply_to_value(&mut v, subs, unresolved);
                let key = if key.contains("${") {
                    apply_to_text(&key, subs, unresolved)
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

/// Replaces placeholders in `text`; names with no substitution are added to `unresolved` once.
pub(super) fn apply_to_text(text: &str, subs: &BTreeMap<String, String>, unresolved: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        match subs.get(name) {
            Some(value) => out.push_str(value),
            None => {
                if is_placeholder(name) && !unresolved.iter().any(|u| u == name) {
                    unresolved.push(name.to_owned());
                }
                out.push_str(&rest[start..start + 2 + end + 1]);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

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
        let mut unresolved = Vec::new();
        apply_to_value(&mut v, &subs, &mut unresolved);
        assert_eq!(
            v,
            json!({"R": "arn:x", "L": ["aarn:xb", "${Missing}", "${Missing}", "${ not a name }", "${open"], "arn:x": 1})
        );
        assert_eq!(unresolved, vec!["Missing".to_owned()]);
    }
}
