//! The JSONPath input/output processing chain: `InputPath`, payload templates
//! (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`), `ResultPath`, `OutputPath`, and
//! the errors AWS reports when a path does not match.

use std::cell::OnceCell;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::asl::intrinsics::Intrinsic;
use crate::asl::model::{ObjectShape, PathField, Payload};
use crate::asl::path::{JsonPath, PathScope, ReferencePath};
use crate::json::FieldSpan;

/// A failure the way AWS reports it: an error name and an optional cause. Boxed: every
/// `Result` of a state's work carries one, and a one-word error keeps those results as small
/// as the values they hold, where the strings made each twice as large to move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StateError(Box<ErrorParts>);

/// [`StateError`]'s fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ErrorParts {
    pub(crate) error: String,
    pub(crate) cause: Option<String>,
}

impl StateError {
    pub(crate) fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        StateError::of(error.into(), Some(cause.into()))
    }

    pub(crate) fn of(error: String, cause: Option<String>) -> Self {
        StateError(Box::new(ErrorParts { error, cause }))
    }

    /// The error name and cause.
    pub(crate) fn into_parts(self) -> (String, Option<String>) {
        let ErrorParts { error, cause } = *self.0;
        (error, cause)
    }
}

impl std::ops::Deref for StateError {
    type Target = ErrorParts;

    fn deref(&self) -> &ErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for StateError {
    fn deref_mut(&mut self) -> &mut ErrorParts {
        &mut self.0
    }
}

/// `States.Runtime` with a cause; the engine adds the "An error occurred while executing the
/// state ..." prefix.
pub(crate) fn runtime_error(cause: String) -> StateError {
    StateError::of("States.Runtime".into(), Some(cause))
}

/// Workflow variables visible to a state: its own scope and every enclosing one.
pub(crate) type Variables = Rc<Map<String, Value>>;

/// What paths and intrinsics evaluate against: `$`, `$$` (built on first use), `$name`.
pub(crate) struct Scope<'s> {
    pub(crate) input: &'s Value,
    pub(crate) context: &'s dyn Fn() -> Value,
    pub(crate) context_cache: OnceCell<Value>,
    pub(crate) variables: &'s [Variables],
}

impl<'s> Scope<'s> {
    pub(crate) fn new(input: &'s Value, context: &'s dyn Fn() -> Value, variables: &'s [Variables]) -> Self {
        Scope {
            input,
            context,
            context_cache: OnceCell::new(),
            variables,
        }
    }

    /// The same context and variables over another `$`.
    pub(crate) fn with_input<'t>(&'t self, input: &'t Value) -> Scope<'t> {
        Scope {
            input,
            context: self.context,
            context_cache: self.context_cache.clone(),
            variables: self.variables,
        }
    }
}

impl PathScope for Scope<'_> {
    fn input(&self) -> &Value {
        self.input
    }

    fn context(&self) -> &Value {
        self.context_cache.get_or_init(|| (self.context)())
    }

    fn variable(&self, name: &str) -> Option<&Value> {
        self.variables.iter().rev().find_map(|scope| scope.get(name))
    }
}

/// Evaluates a path; `None` when a definite path matches nothing.
pub(crate) fn select(path: &JsonPath, scope: &Scope<'_>) -> Option<Value> {
    path.select(scope)
}

/// Renders a path the way AWS's messages do: `$.a.b` → `$['a']['b']`.
pub(crate) fn bracketed(text: &str) -> String {
    let body = text.strip_prefix('$').unwrap_or(text);
    let mut out = String::from("$");
    for part in body.split('.').filter(|p| !p.is_empty()) {
        match part.split_once('[') {
            Some((name, rest)) => {
                if !name.is_empty() {
                    out.push_str(&format!("['{name}']"));
                }
                out.push('[');
                out.push_str(rest);
            }
            None => out.push_str(&format!("['{part}']")),
        }
    }
    out
}

/// Why a definite path found nothing, as AWS words it: a missing leaf is "No results for path:
/// $['a']['b']", a missing intermediate is "Missing property in path $['a']" (conformance
/// `scenarios...test_invalid_jsonpath[*]`, `...test_catch_states_runtime`).
pub(crate) fn missing(text: &str, value: &Value) -> String {
    let full = bracketed(text);
    let body = text.strip_prefix('$').unwrap_or(text);
    let names: Vec<&str> = body.split('.').filter(|p| !p.is_empty()).collect();
    let mut current = Some(value);
    for (i, name) in names.iter().enumerate() {
        let is_last = i + 1 == names.len();
        let next = current.and_then(|v| v.get(*name));
        if next.is_none() {
            if is_last || name.contains('[') {
                break;
            }
            return format!(
                "Missing property in path {}",
                bracketed(&format!("$.{}", names[..=i].join(".")))
            );
        }
        current = next;
    }
    format!("No results for path: {full}")
}

/// `InputPath` / `OutputPath`: `$` by default, `{}` for null.
pub(crate) fn apply_path(field: &PathField<JsonPath>, value: Value, scope: &Scope<'_>) -> Result<Value, StateError> {
    match field {
        PathField::Default => Ok(value),
        PathField::Null => Ok(Value::Object(Map::new())),
        PathField::Path(path, text) => {
            let scope = scope.with_input(&value);
            path.select(&scope)
                .ok_or_else(|| runtime_error(format!("Invalid path '{text}' : {}", missing(text, &value))))
        }
    }
}

/// `ResultPath`: where the result goes in the raw input.
pub(crate) fn apply_result_path(
    field: &PathField<ReferencePath>,
    input: Value,
    result: Value,
) -> Result<Value, StateError> {
    match field {
        PathField::Default => Ok(result),
        PathField::Null => Ok(input),
        PathField::Path(path, text) => {
            let mut input = input;
            match path.set_in(&mut input, result) {
                Ok(()) => Ok(input),
                Err(e) => {
                    let input_text = if path.is_root() {
                        String::new()
                    } else {
                        serde_json::to_string(&input).unwrap_or_default()
                    };
                    Err(StateError::new(
                        "States.ResultPathMatchFailure",
                        format!(
                            "Unable to apply ResultPath \"{}\" to input \"{}\": {e}",
                            text, input_text
                        ),
                    ))
                }
            }
        }
    }
}

/// Evaluates a payload template against a scope.
pub(crate) fn eval_payload(
    payload: &Payload,
    scope: &Scope<'_>,
    rng: &mut dyn FnMut() -> u64,
) -> Result<Value, StateError> {
    match payload {
        Payload::Const(v) => Ok(v.clone()),
        Payload::Object { fields, shape } => {
            let mut map = shape.value.clone();
            for ((_, slot), (_, value)) in map.iter_mut().zip(fields) {
                match value {
                    Payload::Const(_) => {}
                    // As in `eval_fields`: a path's value without a `Result` around it.
                    Payload::Path { field, text, path } => match path.select(scope) {
                        Some(v) => *slot = v,
                        None => return Err(path_not_found(field, text, scope)),
                    },
                    _ => *slot = eval_payload(value, scope, rng)?,
                }
            }
            Ok(Value::Object(map))
        }
        Payload::Array(items) => items
            .iter()
            .map(|p| eval_payload(p, scope, rng))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Payload::Path { field, text, path } => path.select(scope).ok_or_else(|| path_not_found(field, text, scope)),
        Payload::Intrinsic { call, .. } => eval_intrinsic(call, scope, rng),
    }
}

/// Writes the JSON text of what [`eval_payload`] would give into `out` (as the history writes
/// values), reading the paths' values where they are instead of copying them: for a payload
/// only the history and the call record keep. `input_text`, when given, is the text of the
/// scope's input, which `$` then copies. `Ok(false)`, `out` partly written, at a float.
pub(crate) fn write_payload(
    payload: &Payload,
    scope: &Scope<'_>,
    input_text: Option<&str>,
    rng: &mut dyn FnMut() -> u64,
    out: &mut String,
) -> Result<bool, StateError> {
    use crate::json::write_compact;
    match payload {
        Payload::Const(v) => Ok(write_compact(v, out)),
        Payload::Object { fields, shape } => {
            out.push('{');
            for (i, ((_, value), (text, complete))) in fields.iter().zip(&shape.text).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(text);
                if !complete && !write_payload(value, scope, input_text, rng, out)? {
                    return Ok(false);
                }
            }
            out.push('}');
            Ok(true)
        }
        Payload::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_payload(item, scope, input_text, rng, out)? {
                    return Ok(false);
                }
            }
            out.push(']');
            Ok(true)
        }
        Payload::Path { path, .. } if path.is_whole_input() && input_text.is_some() => {
            out.push_str(input_text.unwrap_or_default());
            Ok(true)
        }
        Payload::Path { field, text, path } => match path.get(scope) {
            Some(v) => Ok(write_compact(v, out)),
            None => {
                let v = path.select(scope).ok_or_else(|| path_not_found(field, text, scope))?;
                Ok(write_compact(&v, out))
            }
        },
        Payload::Intrinsic { call, .. } => Ok(write_compact(&eval_intrinsic(call, scope, rng)?, out)),
    }
}

/// Appends the compact text of `value`, as [`crate::json::write_compact`] does, from the text
/// prepared for object template `fields` when `value` has its shape (its names in order, its
/// constants' values): a result built from the template writes no name, and no constant,
/// again. `false` at a float.
pub(crate) fn write_shaped(value: &Value, fields: &[(String, Payload)], shape: &ObjectShape, out: &mut String) -> bool {
    use crate::json::write_compact;
    let start = out.len();
    if let Value::Object(map) = value
        && map.len() == fields.len()
    {
        out.push('{');
        let mut shaped = true;
        for (i, ((k, v), ((name, payload), (text, complete)))) in
            map.iter().zip(fields.iter().zip(&shape.text)).enumerate()
        {
            // A constant's text stands for a value equal to it; objects compare equal in any
            // key order, so only a scalar constant's does.
            let same_constant =
                || matches!(payload, Payload::Const(c) if c == v && !matches!(c, Value::Object(_) | Value::Array(_)));
            if !crate::json::same_key(k, name) || (*complete && !same_constant()) {
                shaped = false;
                break;
            }
            if i > 0 {
                out.push(',');
            }
            out.push_str(text);
            if !complete && !write_compact(v, out) {
                return false;
            }
        }
        if shaped {
            out.push('}');
            return true;
        }
        out.truncate(start);
    }
    write_compact(value, out)
}

/// [`write_shaped`] of a value known to be built from template `fields` (its names in order,
/// its constants the template's): only the values that are not complete constants are
/// written, between the shape's prepared pieces. With `spans`, notes where the fields are in
/// the text, as [`crate::json::write_compact_fields`] does.
pub(crate) fn write_produced(
    value: &Value,
    fields: &[(String, Payload)],
    shape: &ObjectShape,
    out: &mut String,
    mut spans: Option<&mut Vec<FieldSpan>>,
) -> bool {
    let Value::Object(map) = value else {
        return write_shaped(value, fields, shape, out);
    };
    if map.len() != fields.len() {
        return write_shaped(value, fields, shape, out);
    }
    let start = out.len();
    if let Some(spans) = spans.as_deref_mut() {
        spans.clear();
        out.push('{');
        let texts = shape.text.iter().zip(&shape.name_lens);
        for (i, (v, ((text, complete), name_len))) in map.values().zip(texts).enumerate() {
            if i > 0 {
                out.push(',');
            }
            let at = out.len() - start;
            out.push_str(text);
            if !complete && !crate::json::write_compact(v, out) {
                return false;
            }
            let (name, value_start) = ((at + 1, at + name_len - 1), at + name_len + 1);
            spans.push(FieldSpan::new(name, (value_start, out.len() - start)));
        }
        out.push('}');
    } else {
        let mut pieces = shape.pieces.iter();
        out.push_str(pieces.next().map_or("{", String::as_str));
        for (v, (_, complete)) in map.values().zip(&shape.text) {
            if !complete {
                if !crate::json::write_compact(v, out) {
                    return false;
                }
                out.push_str(pieces.next().map_or("}", String::as_str));
            }
        }
    }
    #[cfg(debug_assertions)]
    {
        let mut expected = String::new();
        if write_shaped(value, fields, shape, &mut expected) {
            debug_assert_eq!(out[start..], expected, "a produced result's text is its shaped text");
        }
        let mut noted = Vec::new();
        if let Some(spans) = spans
            && crate::json::write_compact_fields(value, &mut String::new(), &mut noted)
        {
            debug_assert_eq!(*spans, noted, "a produced result's fields are where its text has them");
        }
    }
    true
}

/// Whether `target` is an object with exactly the names of `fields`, in their order: the
/// result built from `fields` then has its shape, and `ResultPath` can write it into the
/// object's values instead of replacing the object (see [`eval_fields`] and
/// [`assign_fields`]). A loop, or a chain of states, that writes the same shape each time
/// then allocates no new object, keys or table.
pub(crate) fn same_shape(fields: &[(String, Payload)], target: &Value) -> bool {
    let Value::Object(old) = target else { return false };
    old.len() == fields.len()
        && old
            .keys()
            .zip(fields)
            .all(|(k, (name, _))| crate::json::same_key(k, name))
}

/// The value of top-level field `key` of `input`.
pub(crate) fn top_field<'v>(input: &'v Value, key: &str) -> Option<&'v Value> {
    crate::asl::path::field(input.as_object()?, key)
}

/// The values of object template `fields` against `scope`, in order, as [`eval_payload`]
/// evaluates them (the same random draws); `None` for a constant.
pub(crate) fn eval_fields(
    fields: &[(String, Payload)],
    scope: &Scope<'_>,
    rng: &mut dyn FnMut() -> u64,
    out: &mut Vec<Option<Value>>,
) -> Result<(), StateError> {
    out.clear();
    for (_, payload) in fields {
        out.push(match payload {
            Payload::Const(_) => None,
            // A path, the usual field, gives its value without a `Result` around it: moving
            // the larger `Result` through memory cost more than selecting the value.
            Payload::Path { field, text, path } => match path.select(scope) {
                Some(v) => Some(v),
                None => return Err(path_not_found(field, text, scope)),
            },
            p => Some(eval_payload(p, scope, rng)?),
        });
    }
    Ok(())
}

/// Writes [`eval_fields`]' `values` into `target`, an object [`same_shape`] accepted, which
/// then equals the object [`eval_payload`] would have built; `false` (nothing written) for
/// any other value.
pub(crate) fn assign_fields(fields: &[(String, Payload)], values: &mut Vec<Option<Value>>, target: &mut Value) -> bool {
    let Value::Object(old) = target else { return false };
    if old.len() != fields.len() || values.len() != fields.len() {
        return false;
    }
    for ((slot, value), (_, payload)) in old.values_mut().zip(values.drain(..)).zip(fields) {
        match (value, payload) {
            (Some(v), _) => *slot = v,
            (None, Payload::Const(c)) if slot != c => *slot = c.clone(),
            (None, _) => {}
        }
    }
    true
}

/// AWS's error for a payload path that matches nothing.
fn path_not_found(field: &str, text: &str, scope: &Scope<'_>) -> StateError {
    let input = if text.starts_with("$$") {
        scope.context()
    } else {
        scope.input
    };
    runtime_error(format!(
        "The JSONPath '{text}' specified for the field '{field}' could not be found in the input '{}'",
        serde_json::to_string(input).unwrap_or_default()
    ))
}

pub(crate) fn eval_intrinsic(
    call: &Intrinsic,
    scope: &Scope<'_>,
    rng: &mut dyn FnMut() -> u64,
) -> Result<Value, StateError> {
    call.eval(scope, rng)
        .map_err(|e| StateError::of(e.error_name().to_string(), Some(e.cause())))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::asl::parse::parse_definition;

    /// The compiled `Parameters` of a one-state definition.
    fn parameters(parameters: Value) -> Payload {
        let definition = json!({
            "StartAt": "P",
            "States": { "P": { "Type": "Pass", "Parameters": parameters, "End": true } }
        });
        let mut parsed = parse_definition(&definition).expect("a valid definition");
        parsed.states.remove(0).io.parameters.expect("Parameters")
    }

    fn both(payload: &Payload, input: &Value) -> (Result<Value, StateError>, Result<(bool, String), StateError>) {
        let context = || json!({ "Execution": { "Name": "e" }, "State": { "Name": "P" } });
        let scope = Scope::new(input, &context, &[]);
        let seed = std::cell::Cell::new(7u64);
        let value = eval_payload(payload, &scope, &mut || crate::random::next(&seed));
        seed.set(7);
        let mut text = String::new();
        let written = write_payload(payload, &scope, None, &mut || crate::random::next(&seed), &mut text);
        // The input's text, when given, is what `$` writes.
        seed.set(7);
        let input_text = serde_json::to_string(input).unwrap();
        let mut copied = String::new();
        let with_text = write_payload(
            payload,
            &scope,
            Some(&input_text),
            &mut || crate::random::next(&seed),
            &mut copied,
        );
        assert_eq!(with_text.is_ok(), written.is_ok());
        if matches!(written, Ok(true)) {
            assert_eq!(copied, text);
        }
        (value, written.map(|ok| (ok, text)))
    }

    #[test]
    fn shaped_text_is_the_compact_text() {
        let payload = parameters(json!({ "a.$": "$.a", "k": "const", "o": { "x": 1, "y": 2 }, "n": 3 }));
        let Payload::Object { fields, shape } = &payload else {
            panic!("an object template")
        };
        let values = [
            // A result of the template, and objects that only look like one.
            json!({ "a": [1, "\"q\""], "k": "const", "o": { "x": 1, "y": 2 }, "n": 3 }),
            json!({ "a": 1, "k": "other", "o": { "x": 1, "y": 2 }, "n": 3 }),
            json!({ "a": 1, "k": "const", "o": { "y": 2, "x": 1 }, "n": 3 }),
            json!({ "a": 1, "k": "const", "o": { "x": 1, "y": 2 }, "n": 4 }),
            json!({ "k": "const", "a": 1, "o": { "x": 1, "y": 2 }, "n": 3 }),
            json!({ "a": 1, "k": "const", "o": { "x": 1, "y": 2 } }),
            json!([1, "k"]),
            json!("text"),
        ];
        for value in values {
            let mut out = String::from("[");
            assert!(write_shaped(&value, fields, shape, &mut out), "{value}");
            assert_eq!(out[1..], serde_json::to_string(&value).unwrap());
        }
        let float = json!({ "a": 0.5, "k": "const", "o": { "x": 1, "y": 2 }, "n": 3 });
        assert!(!write_shaped(&float, fields, shape, &mut String::new()));
    }

    #[test]
    fn written_payloads_are_the_text_of_evaluated_ones() {
        let input = json!({ "a": { "b": [1, "x\n", null] }, "items": [{ "id": 1 }, { "id": 2 }], "s": "q\"t" });
        let cases = [
            json!({ "k": "constant", "n.$": "$.a.b[0]", "whole.$": "$", "ids.$": "$.items[*].id" }),
            json!({ "nested": { "deep.$": "$.a.b", "list": [1, { "s.$": "$.s" }] }, "ctx.$": "$$.State.Name" }),
            json!({ "f.$": "States.Format('{} and {}', $.s, $.a.b[1])", "u.$": "States.UUID()", "j.$": "States.JsonToString($.a)" }),
            // `a` and `a.$` are one field: the first one's place, the last one's value.
            json!({ "a": 1, "z": 2, "a.$": "$.s" }),
        ];
        for case in cases {
            let payload = parameters(case.clone());
            let (value, written) = both(&payload, &input);
            let value = value.unwrap();
            let (ok, text) = written.unwrap();
            assert!(ok, "{case}");
            assert_eq!(text, serde_json::to_string(&value).unwrap(), "{case}");
        }
        let (value, _) = both(&parameters(json!({ "a": 1, "z": 2, "a.$": "$.s" })), &input);
        assert_eq!(serde_json::to_string(&value.unwrap()).unwrap(), r#"{"a":"q\"t","z":2}"#);
    }

    #[test]
    fn a_missing_path_fails_alike_and_a_float_is_declined() {
        let input = json!({ "a": 1 });
        let (value, written) = both(&parameters(json!({ "x.$": "$.missing" })), &input);
        assert_eq!(written.unwrap_err(), value.unwrap_err());
        let (_, written) = both(&parameters(json!({ "n.$": "$.a", "f": 1.5 })), &input);
        assert!(!written.unwrap().0);
    }
}
