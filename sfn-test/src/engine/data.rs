//! The JSONPath input/output processing chain: `InputPath`, payload templates
//! (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`), `ResultPath`, `OutputPath`, and
//! the errors AWS reports when a path does not match.

use std::cell::OnceCell;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::asl::intrinsics::Intrinsic;
use crate::asl::model::{PathField, Payload};
use crate::asl::path::{JsonPath, PathScope, ReferencePath};

/// A failure the way AWS reports it: an error name and an optional cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StateError {
    pub(crate) error: String,
    pub(crate) cause: Option<String>,
}

impl StateError {
    pub(crate) fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        StateError {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// `States.Runtime` with a cause; the engine adds the "An error occurred while executing the
/// state ..." prefix.
pub(crate) fn runtime_error(cause: String) -> StateError {
    StateError {
        error: "States.Runtime".into(),
        cause: Some(cause),
    }
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
        Payload::Object(fields) => {
            let mut map = Map::with_capacity(fields.len());
            for (key, value) in fields {
                map.insert(key.clone(), eval_payload(value, scope, rng)?);
            }
            Ok(Value::Object(map))
        }
        Payload::Array(items) => items
            .iter()
            .map(|p| eval_payload(p, scope, rng))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Payload::Path { field, text, path } => path.select(scope).ok_or_else(|| {
            let input = if text.starts_with("$$") {
                scope.context()
            } else {
                scope.input
            };
            runtime_error(format!(
                "The JSONPath '{text}' specified for the field '{field}' could not be found in the input '{}'",
                serde_json::to_string(input).unwrap_or_default()
            ))
        }),
        Payload::Intrinsic { call, .. } => eval_intrinsic(call, scope, rng),
    }
}

pub(crate) fn eval_intrinsic(
    call: &Intrinsic,
    scope: &Scope<'_>,
    rng: &mut dyn FnMut() -> u64,
) -> Result<Value, StateError> {
    call.eval(scope, rng).map_err(|e| StateError {
        error: e.error_name().to_string(),
        cause: Some(e.cause()),
    })
}
