//! Turns definition JSON into the typed model, collecting every validation finding the way
//! `ValidateStateMachineDefinition` reports them (code, message, JSON pointer).

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map as JsonMap, Value};

use super::intrinsics::Intrinsic;
use super::model::*;
use super::path::{JsonPath, ReferencePath};
use crate::error::Diagnostic;

mod distributed;
mod jsonata;

/// Parses and validates a definition. On failure returns every finding, in definition order.
pub fn parse_definition(value: &Value) -> Result<Definition, Vec<Diagnostic>> {
    let mut parser = Parser {
        diagnostics: Vec::new(),
        depth: 0,
        jsonata: false,
        top_jsonata: false,
    };
    let definition = parser.definition(value, "", true);
    match definition {
        Some(d) if parser.diagnostics.is_empty() => Ok(d),
        _ => {
            if parser.diagnostics.is_empty() {
                parser.error("SCHEMA_VALIDATION_FAILED", "", "the definition is not valid".into());
            }
            Err(parser.diagnostics)
        }
    }
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
const IO: &[&str] = &["InputPath", "OutputPath", "Assign"];
const FLOW: &[&str] = &["Next", "End"];

fn allowed(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pass" => &["ResultPath", "Parameters", "Result"],
        "Task" => &[
            "Resource",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        ],
        "Choice" => &["Choices", "Default"],
        "Wait" => &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        "Succeed" => &[],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "Branches",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
        ],
        "Map" => &[
            "ItemProcessor",
            "Iterator",
            "ItemsPath",
            "ItemSelector",
            "Parameters",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "ResultPath",
            "ResultSelector",
            "Retry",
            "Catch",
        ],
        _ => return None,
    })
}

/// Fields of the JSONata query language only.
const JSONATA_FIELDS: &[&str] = &["Arguments", "Output", "Items", "Condition"];

/// How deep Parallel/Map definitions and Choice rules may nest; deeper input is rejected
/// rather than risking the stack.
const MAX_DEPTH: usize = 64;

struct Parser {
    diagnostics: Vec<Diagnostic>,
    depth: usize,
    /// The query language states inherit here: `true` for JSONata.
    jsonata: bool,
    /// The top level is JSONata, where no state may use JSONPath.
    top_jsonata: bool,
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

impl Parser {
    fn error(&mut self, code: &'static str, pointer: &str, message: String) {
        self.diagnostics.push(Diagnostic {
            code,
            message,
            pointer: pointer.to_string(),
            line: None,
        });
    }

    fn schema(&mut self, pointer: &str, message: String) {
        self.error("SCHEMA_VALIDATION_FAILED", pointer, message);
    }

    fn definition(&mut self, value: &Value, pointer: &str, top: bool) -> Option<Definition> {
        if self.depth >= MAX_DEPTH {
            self.schema(
                pointer,
                format!("Parallel/Map states nest deeper than {MAX_DEPTH} levels"),
            );
            return None;
        }
        self.depth += 1;
        let inherited = self.jsonata;
        let result = self.definition_inner(value, pointer, top);
        self.jsonata = inherited;
        self.depth -= 1;
        result
    }

    fn definition_inner(&mut self, value: &Value, pointer: &str, top: bool) -> Option<Definition> {
        let Some(obj) = value.as_object() else {
            self.schema(
                pointer,
                format!("expected an object with StartAt and States, found {}", kind_of(value)),
            );
            return None;
        };
        let mut allowed_top = vec![
            "StartAt",
            "States",
            "Comment",
            "Version",
            "TimeoutSeconds",
            "QueryLanguage",
        ];
        if !top {
            allowed_top.push("ProcessorConfig");
        }
        for key in obj.keys() {
            if !allowed_top.contains(&key.as_str()) {
                self.schema(
                    &child(pointer, key),
                    format!(
                        "field '{key}' is not supported here; allowed: {}",
                        allowed_top.join(", ")
                    ),
                );
            }
        }
        if let Some(jsonata) = self.query_language(obj, pointer) {
            self.jsonata = jsonata;
            if top {
                self.top_jsonata = jsonata;
            }
        }
        let Some(states) = obj.get("States") else {
            self.schema(pointer, "missing required field 'States'".into());
            return None;
        };
        let states_ptr = child(pointer, "States");
        let Some(states) = states.as_object() else {
            self.schema(
                &states_ptr,
                format!("'States' must be an object, found {}", kind_of(states)),
            );
            return None;
        };
        if states.is_empty() {
            self.schema(&states_ptr, "'States' must contain at least one state".into());
            return None;
        }
        let names: HashMap<&str, usize> = states.keys().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        let start_at = match obj.get("StartAt") {
            Some(Value::String(s)) => match names.get(s.as_str()) {
                Some(&i) => Some(i),
                None => {
                    self.error(
                        "MISSING_TRANSITION_TARGET",
                        &child(pointer, "StartAt"),
                        format!("StartAt '{s}' is not a state; states are: {}", list_names(states)),
                    );
                    None
                }
            },
            Some(other) => {
                self.schema(
                    &child(pointer, "StartAt"),
                    format!("'StartAt' must be a string, found {}", kind_of(other)),
                );
                None
            }
            None => {
                self.schema(pointer, "missing required field 'StartAt'".into());
                None
            }
        };
        let timeout_seconds = if top {
            self.optional_seconds(obj, pointer, "TimeoutSeconds", false)
        } else {
            None
        };
        let mut parsed = Vec::with_capacity(states.len());
        for (name, state) in states {
            let state_ptr = child(&states_ptr, name);
            if name.is_empty() || name.len() > 80 {
                self.error(
                    "INVALID_STATE_NAME",
                    &state_ptr,
                    format!("state name '{name}' must be 1 to 80 characters long"),
                );
            }
            if let Some(s) = self.state(name, state, &state_ptr, &names) {
                parsed.push(s);
            }
        }
        let start_at = start_at?;
        if parsed.len() != states.len() {
            return None;
        }
        let definition = Definition {
            start_at,
            states: parsed,
            timeout_seconds,
            comment: obj.get("Comment").and_then(Value::as_str).map(str::to_string),
        };
        self.check_graph(&definition, &states_ptr);
        Some(definition)
    }

    /// Reachability from StartAt and the existence of a terminal state.
    fn check_graph(&mut self, d: &Definition, states_ptr: &str) {
        let terminal = d.states.iter().any(|s| {
            matches!(s.kind, StateKind::Succeed | StateKind::Fail(_))
                || (s.next.is_none() && !matches!(s.kind, StateKind::Choice(_)))
        });
        if !terminal {
            self.error(
                "MISSING_END_STATE",
                states_ptr,
                "the workflow has no terminal state: give one state \"End\": true, or add a Succeed or Fail state"
                    .into(),
            );
        }
        let mut seen = vec![false; d.states.len()];
        let mut stack = vec![d.start_at];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let s = &d.states[i];
            stack.extend(s.next);
            match &s.kind {
                StateKind::Choice(c) => {
                    stack.extend(c.choices.iter().map(|(_, n, _)| *n));
                    stack.extend(c.rules.iter().map(|r| r.next));
                    stack.extend(c.default);
                }
                StateKind::Task(t) => stack.extend(t.catch.iter().map(|c| c.next)),
                StateKind::Parallel(p) => stack.extend(p.catch.iter().map(|c| c.next)),
                StateKind::Map(m) => stack.extend(m.catch.iter().map(|c| c.next)),
                _ => {}
            }
        }
        for (state, reached) in d.states.iter().zip(seen) {
            if !reached {
                self.schema(
                    &state.pointer,
                    format!(
                        "state '{}' is not reachable from StartAt: remove it or add a transition to it",
                        state.name
                    ),
                );
            }
        }
    }

    /// `QueryLanguage`: `Some(true)` for JSONata, `Some(false)` for JSONPath, `None` when absent
    /// (or invalid, which is reported).
    fn query_language(&mut self, obj: &JsonMap<String, Value>, pointer: &str) -> Option<bool> {
        match obj.get("QueryLanguage") {
            None => None,
            Some(Value::String(s)) if s == "JSONPath" => {
                // AWS docs, "State machine structure": a JSONata state machine cannot go back to
                // a mix of JSONata and JSONPath states.
                if self.top_jsonata {
                    self.schema(
                        &child(pointer, "QueryLanguage"),
                        "'QueryLanguage' cannot be \"JSONPath\" inside a state machine whose top-level QueryLanguage is \"JSONata\"; set JSONata per state instead, on a JSONPath state machine".into(),
                    );
                }
                Some(false)
            }
            Some(Value::String(s)) if s == "JSONata" => Some(true),
            Some(other) => {
                self.schema(
                    &child(pointer, "QueryLanguage"),
                    format!("'QueryLanguage' must be \"JSONPath\" or \"JSONata\", found {other}"),
                );
                None
            }
        }
    }

    fn state(&mut self, name: &str, value: &Value, ptr: &str, names: &HashMap<&str, usize>) -> Option<State> {
        let Some(obj) = value.as_object() else {
            self.schema(
                ptr,
                format!("state '{name}' must be an object, found {}", kind_of(value)),
            );
            return None;
        };
        let type_name = match obj.get("Type") {
            Some(Value::String(t)) => t.as_str(),
            Some(other) => {
                self.schema(
                    &child(ptr, "Type"),
                    format!("'Type' must be a string, found {}", kind_of(other)),
                );
                return None;
            }
            None => {
                self.schema(
                    ptr,
                    format!(
                        "state '{name}' has no 'Type'; one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map"
                    ),
                );
                return None;
            }
        };
        let Some(specific) = allowed(type_name) else {
            self.schema(
                &child(ptr, "Type"),
                format!("unknown state type '{type_name}' in state '{name}'; one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map"),
            );
            return None;
        };
        let errors_before = self.diagnostics.len();
        let jsonata = self.query_language(obj, ptr).unwrap_or(self.jsonata);
        // Branches and iterators inherit the state's query language.
        let inherited = std::mem::replace(&mut self.jsonata, jsonata);
        let state = if jsonata {
            self.jsonata_state(name, obj, ptr, names, type_name, errors_before)
        } else {
            self.jsonpath_state(name, obj, ptr, names, type_name, specific, errors_before)
        };
        self.jsonata = inherited;
        state
    }

    #[allow(clippy::too_many_arguments)]
    fn jsonpath_state(
        &mut self,
        name: &str,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
        type_name: &str,
        specific: &[&str],
        errors_before: usize,
    ) -> Option<State> {
        let has_flow = !matches!(type_name, "Choice" | "Succeed" | "Fail");
        let has_io = type_name != "Fail";
        for key in obj.keys() {
            let ok = COMMON.contains(&key.as_str())
                || specific.contains(&key.as_str())
                || (has_io && IO.contains(&key.as_str()) && !(type_name == "Succeed" && key == "Assign"))
                || (has_flow && FLOW.contains(&key.as_str()));
            if ok {
                continue;
            }
            if JSONATA_FIELDS.contains(&key.as_str()) {
                self.schema(
                    &child(ptr, key),
                    format!("field '{key}' is supported only when QueryLanguage is JSONata (state '{name}' uses JSONPath); set \"QueryLanguage\": \"JSONata\" on the state or the state machine"),
                );
            } else {
                self.schema(
                    &child(ptr, key),
                    format!("field '{key}' is not supported by state type '{type_name}' (state '{name}')"),
                );
            }
        }

        let next = if has_flow {
            self.transition(obj, ptr, name, names)
        } else {
            None
        };

        let io = Io {
            input_path: self.path_field(obj, ptr, "InputPath", |s| JsonPath::parse(s).map_err(|e| e.to_string())),
            output_path: self.path_field(obj, ptr, "OutputPath", |s| {
                JsonPath::parse(s).map_err(|e| e.to_string())
            }),
            result_path: self.path_field(obj, ptr, "ResultPath", |s| {
                ReferencePath::parse(s).map_err(|e| e.to_string())
            }),
            parameters: self.payload_field(
                obj,
                ptr,
                if type_name == "Map" && obj.contains_key("ItemSelector") {
                    "ItemSelector"
                } else {
                    "Parameters"
                },
            ),
            result_selector: self.payload_field(obj, ptr, "ResultSelector"),
            assign: self.payload_field(obj, ptr, "Assign"),
        };
        if type_name == "Map" && obj.contains_key("ItemSelector") && obj.contains_key("Parameters") {
            self.schema(
                ptr,
                "a Map state takes 'ItemSelector' or its older name 'Parameters', not both".into(),
            );
        }

        let kind = match type_name {
            "Pass" => StateKind::Pass(Pass {
                result: obj.get("Result").cloned(),
            }),
            "Task" => StateKind::Task(Box::new(self.task(obj, ptr, names)?)),
            "Choice" => StateKind::Choice(self.choice(obj, ptr, names)?),
            "Wait" => StateKind::Wait(self.wait(obj, ptr)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(Fail {
                error: self.text(obj, ptr, "Error"),
                cause: self.text(obj, ptr, "Cause"),
            }),
            "Parallel" => StateKind::Parallel(Box::new(self.parallel(obj, ptr, names)?)),
            "Map" => StateKind::Map(Box::new(self.map(obj, ptr, names)?)),
            _ => return None,
        };
        if self.diagnostics.len() > errors_before {
            return None;
        }
        Some(State {
            name: name.to_string(),
            pointer: ptr.to_string(),
            io,
            jsonata: None,
            next,
            kind,
        })
    }

    /// `Next` / `End` of a state that has them.
    fn transition(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        name: &str,
        names: &HashMap<&str, usize>,
    ) -> Option<usize> {
        let end = match obj.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.schema(
                    &child(ptr, "End"),
                    format!("'End' must be a boolean, found {}", kind_of(other)),
                );
                false
            }
        };
        match (obj.get("Next"), end) {
            (Some(_), true) => {
                self.schema(
                    ptr,
                    format!("state '{name}' has both 'Next' and \"End\": true; keep one"),
                );
                None
            }
            (Some(n), false) => self.target(n, &child(ptr, "Next"), names),
            (None, true) => None,
            (None, false) => {
                self.schema(
                    ptr,
                    format!("state '{name}' has neither 'Next' nor \"End\": true; add one"),
                );
                None
            }
        }
    }

    fn target(&mut self, value: &Value, ptr: &str, names: &HashMap<&str, usize>) -> Option<usize> {
        match value {
            Value::String(s) => match names.get(s.as_str()) {
                Some(&i) => Some(i),
                None => {
                    let mut known: Vec<&str> = names.keys().copied().collect();
                    known.sort_unstable();
                    self.error(
                        "MISSING_TRANSITION_TARGET",
                        ptr,
                        format!(
                            "missing transition target: '{s}' is not a state of this scope; states are: {}",
                            known.join(", ")
                        ),
                    );
                    None
                }
            },
            other => {
                self.schema(
                    ptr,
                    format!("a transition target must be a state name, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    fn path_field<P>(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        key: &str,
        parse: impl Fn(&str) -> Result<P, String>,
    ) -> PathField<P> {
        match obj.get(key) {
            None => PathField::Default,
            Some(Value::Null) => PathField::Null,
            Some(Value::String(s)) => match parse(s) {
                Ok(p) => PathField::Path(p, s.clone()),
                Err(e) => {
                    self.schema(&child(ptr, key), format!("invalid path in '{key}': {e}"));
                    PathField::Default
                }
            },
            Some(other) => {
                self.schema(
                    &child(ptr, key),
                    format!("'{key}' must be a path string or null, found {}", kind_of(other)),
                );
                PathField::Default
            }
        }
    }

    fn payload_field(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Payload> {
        let value = obj.get(key)?;
        let p = child(ptr, key);
        if key != "Parameters" && !value.is_object() {
            self.schema(&p, format!("'{key}' must be an object, found {}", kind_of(value)));
            return None;
        }
        Some(self.payload(value, &p))
    }

    /// Compiles a payload template; sub-trees without `.$` fields stay constants.
    pub(crate) fn payload(&mut self, value: &Value, ptr: &str) -> Payload {
        match value {
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                let mut dynamic = false;
                for (key, v) in map {
                    let p = child(ptr, key);
                    let compiled = if let Some(stripped) = key.strip_suffix(".$") {
                        dynamic = true;
                        let field = stripped.to_string();
                        match v {
                            Value::String(expr) => (field, self.expression(key, expr, &p)),
                            other => {
                                self.schema(
                                    &p,
                                    format!(
                                        "the value of '{key}' must be a path or an intrinsic function call, found {}",
                                        kind_of(other)
                                    ),
                                );
                                (field, Payload::Const(Value::Null))
                            }
                        }
                    } else {
                        let inner = self.payload(v, &p);
                        dynamic |= !matches!(inner, Payload::Const(_));
                        (key.clone(), inner)
                    };
                    fields.push(compiled);
                }
                if dynamic {
                    Payload::Object(fields)
                } else {
                    Payload::Const(value.clone())
                }
            }
            Value::Array(items) => {
                let compiled: Vec<Payload> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.payload(v, &child(ptr, &i.to_string())))
                    .collect();
                if compiled.iter().all(|p| matches!(p, Payload::Const(_))) {
                    Payload::Const(value.clone())
                } else {
                    Payload::Array(compiled)
                }
            }
            other => Payload::Const(other.clone()),
        }
    }

    fn expression(&mut self, field: &str, expr: &str, ptr: &str) -> Payload {
        if expr.starts_with("States.") {
            match Intrinsic::parse(expr) {
                Ok(call) => Payload::Intrinsic {
                    field: field.to_string(),
                    text: expr.to_string(),
                    call,
                },
                Err(e) => {
                    self.schema(ptr, format!("invalid intrinsic function call in '{field}': {e}"));
                    Payload::Const(Value::Null)
                }
            }
        } else if expr.starts_with('$') {
            match JsonPath::parse(expr) {
                Ok(path) => Payload::Path {
                    field: field.to_string(),
                    text: expr.to_string(),
                    path,
                },
                Err(e) => {
                    self.schema(ptr, format!("invalid path in '{field}': {e}"));
                    Payload::Const(Value::Null)
                }
            }
        } else {
            self.schema(
                ptr,
                format!("the value of '{field}' must be a path (starting with '$') or an intrinsic function call (States.*), found {expr:?}"),
            );
            Payload::Const(Value::Null)
        }
    }

    fn optional_seconds(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        key: &str,
        allow_zero: bool,
    ) -> Option<u64> {
        let v = obj.get(key)?;
        match v.as_u64() {
            Some(n) if n > 0 || allow_zero => Some(n),
            _ => {
                let min = if allow_zero { "a non-negative" } else { "a positive" };
                self.schema(&child(ptr, key), format!("'{key}' must be {min} integer, found {v}"));
                None
            }
        }
    }

    fn seconds(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Seconds> {
        let path_key = format!("{key}Path");
        match (obj.get(key), obj.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.schema(ptr, format!("'{key}' and '{path_key}' cannot both be given"));
                None
            }
            (Some(_), None) => self.optional_seconds(obj, ptr, key, false).map(Seconds::Value),
            (None, Some(Value::String(p))) => self
                .reference(p, &child(ptr, &path_key))
                .map(|r| Seconds::Path(r, p.clone())),
            (None, Some(other)) => {
                self.schema(
                    &child(ptr, &path_key),
                    format!("'{path_key}' must be a path string, found {}", kind_of(other)),
                );
                None
            }
            (None, None) => None,
        }
    }

    fn number(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Number> {
        let path_key = format!("{key}Path");
        match (obj.get(key), obj.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.schema(ptr, format!("'{key}' and '{path_key}' cannot both be given"));
                None
            }
            (Some(v), None) => match v.as_f64() {
                Some(n) if n >= 0.0 => Some(Number::Value(n)),
                _ => {
                    self.schema(
                        &child(ptr, key),
                        format!("'{key}' must be a non-negative number, found {v}"),
                    );
                    None
                }
            },
            (None, Some(Value::String(p))) => self
                .reference(p, &child(ptr, &path_key))
                .map(|r| Number::Path(r, p.clone())),
            (None, Some(other)) => {
                self.schema(
                    &child(ptr, &path_key),
                    format!("'{path_key}' must be a path string, found {}", kind_of(other)),
                );
                None
            }
            (None, None) => None,
        }
    }

    fn reference(&mut self, text: &str, ptr: &str) -> Option<ReferencePath> {
        match ReferencePath::parse(text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.schema(ptr, format!("invalid reference path: {e}"));
                None
            }
        }
    }

    fn text(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Text> {
        let path_key = format!("{key}Path");
        match (obj.get(key), obj.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.schema(ptr, format!("'{key}' and '{path_key}' cannot both be given"));
                None
            }
            (Some(Value::String(s)), None) => Some(Text::Value(s.clone())),
            (Some(other), None) => {
                self.schema(
                    &child(ptr, key),
                    format!("'{key}' must be a string, found {}", kind_of(other)),
                );
                None
            }
            (None, Some(Value::String(p))) => {
                let at = child(ptr, &path_key);
                if p.starts_with("States.") {
                    match Intrinsic::parse(p) {
                        Ok(call) => Some(Text::Intrinsic(call, p.clone())),
                        Err(e) => {
                            self.schema(&at, format!("invalid intrinsic function call: {e}"));
                            None
                        }
                    }
                } else {
                    self.reference(p, &at).map(|r| Text::Path(r, p.clone()))
                }
            }
            (None, Some(other)) => {
                self.schema(
                    &child(ptr, &path_key),
                    format!("'{path_key}' must be a path string, found {}", kind_of(other)),
                );
                None
            }
            (None, None) => None,
        }
    }

    /// A Task's `Resource`: an ARN.
    fn resource(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Option<String> {
        match obj.get("Resource") {
            Some(Value::String(r)) if r.starts_with("arn:") => Some(r.clone()),
            Some(Value::String(r)) => {
                self.error(
                    "INVALID_RESOURCE",
                    &child(ptr, "Resource"),
                    format!("'Resource' must be an ARN (arn:aws:states:::lambda:invoke, a Lambda function ARN, ...), found {r:?}; is a DefinitionSubstitutions entry missing?"),
                );
                None
            }
            Some(other) => {
                self.schema(
                    &child(ptr, "Resource"),
                    format!("'Resource' must be a string, found {}", kind_of(other)),
                );
                None
            }
            None => {
                self.schema(ptr, "a Task state needs a 'Resource'".into());
                None
            }
        }
    }

    fn task(&mut self, obj: &JsonMap<String, Value>, ptr: &str, names: &HashMap<&str, usize>) -> Option<Task> {
        let resource = self.resource(obj, ptr)?;
        Some(Task {
            resource,
            timeout: self.seconds(obj, ptr, "TimeoutSeconds"),
            heartbeat: self.seconds(obj, ptr, "HeartbeatSeconds"),
            retry: self.retriers(obj, ptr),
            catch: self.catchers(obj, ptr, names),
            credentials: obj.get("Credentials").cloned(),
        })
    }

    fn error_equals(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Vec<String> {
        let p = child(ptr, "ErrorEquals");
        let Some(Value::Array(list)) = obj.get("ErrorEquals") else {
            self.schema(&p, "'ErrorEquals' must be a non-empty array of error names".into());
            return Vec::new();
        };
        let names: Vec<String> = list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        if names.len() != list.len() || names.is_empty() {
            self.schema(&p, "'ErrorEquals' must be a non-empty array of error names".into());
        }
        if names.iter().any(|n| n == "States.ALL") && names.len() > 1 {
            self.schema(&p, "'States.ALL' must appear alone in 'ErrorEquals'".into());
        }
        names
    }

    fn retriers(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Vec<Retrier> {
        let Some(list) = obj.get("Retry") else {
            return Vec::new();
        };
        let p = child(ptr, "Retry");
        let Some(list) = list.as_array() else {
            self.schema(&p, "'Retry' must be an array".into());
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in list.iter().enumerate() {
            let rp = child(&p, &i.to_string());
            let Some(r) = r.as_object() else {
                self.schema(&rp, "a retrier must be an object".into());
                continue;
            };
            for key in r.keys() {
                if ![
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ]
                .contains(&key.as_str())
                {
                    self.schema(&child(&rp, key), format!("field '{key}' is not supported in a retrier"));
                }
            }
            let error_equals = self.error_equals(r, &rp);
            if error_equals.iter().any(|e| e == "States.ALL") && i + 1 != list.len() {
                self.schema(&rp, "a retrier with 'States.ALL' must be the last one".into());
            }
            let num = |this: &mut Self, key: &str, default: f64, min: f64| -> f64 {
                match r.get(key) {
                    None => default,
                    Some(v) => match v.as_f64() {
                        Some(n) if n >= min => n,
                        _ => {
                            this.schema(
                                &child(&rp, key),
                                format!("'{key}' must be a number >= {min}, found {v}"),
                            );
                            default
                        }
                    },
                }
            };
            let interval_seconds = num(self, "IntervalSeconds", 1.0, 1.0);
            let max_attempts = num(self, "MaxAttempts", 3.0, 0.0);
            let backoff_rate = num(self, "BackoffRate", 2.0, 1.0);
            let max_delay_seconds = r.get("MaxDelaySeconds").map(|_| num(self, "MaxDelaySeconds", 0.0, 1.0));
            let jitter_full = match r.get("JitterStrategy") {
                None => false,
                Some(Value::String(s)) if s == "FULL" => true,
                Some(Value::String(s)) if s == "NONE" => false,
                Some(other) => {
                    self.schema(
                        &child(&rp, "JitterStrategy"),
                        format!("'JitterStrategy' must be \"FULL\" or \"NONE\", found {other}"),
                    );
                    false
                }
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            out.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts: max_attempts as u64,
                backoff_rate,
                max_delay_seconds,
                jitter_full,
            });
        }
        out
    }

    fn catchers(&mut self, obj: &JsonMap<String, Value>, ptr: &str, names: &HashMap<&str, usize>) -> Vec<Catcher> {
        let Some(list) = obj.get("Catch") else {
            return Vec::new();
        };
        let p = child(ptr, "Catch");
        let Some(list) = list.as_array() else {
            self.schema(&p, "'Catch' must be an array".into());
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let cp = child(&p, &i.to_string());
            let Some(c) = c.as_object() else {
                self.schema(&cp, "a catcher must be an object".into());
                continue;
            };
            for key in c.keys() {
                if !["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"].contains(&key.as_str()) {
                    self.schema(&child(&cp, key), format!("field '{key}' is not supported in a catcher"));
                }
            }
            let error_equals = self.error_equals(c, &cp);
            if error_equals.iter().any(|e| e == "States.ALL") && i + 1 != list.len() {
                self.schema(&cp, "a catcher with 'States.ALL' must be the last one".into());
            }
            let next = match c.get("Next") {
                Some(n) => self.target(n, &child(&cp, "Next"), names),
                None => {
                    self.schema(&cp, "a catcher needs 'Next'".into());
                    None
                }
            };
            let result_path = self.path_field(c, &cp, "ResultPath", |s| {
                ReferencePath::parse(s).map_err(|e| e.to_string())
            });
            let assign = self.payload_field(c, &cp, "Assign");
            if let Some(next) = next {
                out.push(Catcher {
                    error_equals,
                    next,
                    result_path,
                    assign,
                    jsonata: None,
                });
            }
        }
        out
    }

    fn choice(&mut self, obj: &JsonMap<String, Value>, ptr: &str, names: &HashMap<&str, usize>) -> Option<Choice> {
        let p = child(ptr, "Choices");
        let Some(Value::Array(list)) = obj.get("Choices") else {
            self.schema(&p, "a Choice state needs a non-empty 'Choices' array".into());
            return None;
        };
        if list.is_empty() {
            self.schema(&p, "a Choice state needs a non-empty 'Choices' array".into());
        }
        let mut choices = Vec::new();
        for (i, rule) in list.iter().enumerate() {
            let rp = child(&p, &i.to_string());
            let Some(r) = rule.as_object() else {
                self.schema(&rp, "a choice rule must be an object".into());
                continue;
            };
            let next = match r.get("Next") {
                Some(n) => self.target(n, &child(&rp, "Next"), names),
                None => {
                    self.schema(&rp, "a top-level choice rule needs 'Next'".into());
                    None
                }
            };
            let assign = self.payload_field(r, &rp, "Assign");
            let condition = self.condition(r, &rp, true);
            if let (Some(c), Some(n)) = (condition, next) {
                choices.push((c, n, assign));
            }
        }
        let default = obj
            .get("Default")
            .and_then(|d| self.target(d, &child(ptr, "Default"), names));
        Some(Choice {
            choices,
            default,
            rules: Vec::new(),
        })
    }

    fn condition(&mut self, r: &JsonMap<String, Value>, ptr: &str, top: bool) -> Option<Condition> {
        if self.depth >= MAX_DEPTH {
            self.schema(ptr, format!("choice rules nest deeper than {MAX_DEPTH} levels"));
            return None;
        }
        self.depth += 1;
        let result = self.condition_inner(r, ptr, top);
        self.depth -= 1;
        result
    }

    fn condition_inner(&mut self, r: &JsonMap<String, Value>, ptr: &str, top: bool) -> Option<Condition> {
        let mut extra: Vec<&str> = vec!["Comment"];
        if top {
            extra.extend(["Next", "Assign"]);
        }
        let operators: Vec<&String> = r
            .keys()
            .filter(|k| !extra.contains(&k.as_str()) && k.as_str() != "Variable")
            .collect();
        if operators.len() != 1 {
            self.schema(
                ptr,
                format!(
                    "a choice rule needs exactly one comparison operator (or And/Or/Not), found {}",
                    if operators.is_empty() {
                        "none".to_string()
                    } else {
                        operators.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                    }
                ),
            );
            return None;
        }
        let op_name = operators[0].as_str();
        let op_ptr = child(ptr, op_name);
        let value = &r[op_name];
        match op_name {
            "And" | "Or" => {
                if r.contains_key("Variable") {
                    self.schema(ptr, format!("'{op_name}' rules take no 'Variable'"));
                }
                let Some(list) = value.as_array().filter(|l| !l.is_empty()) else {
                    self.schema(&op_ptr, format!("'{op_name}' must be a non-empty array of rules"));
                    return None;
                };
                let mut out = Vec::new();
                for (i, item) in list.iter().enumerate() {
                    let ip = child(&op_ptr, &i.to_string());
                    match item.as_object() {
                        Some(o) => out.extend(self.condition(o, &ip, false)),
                        None => self.schema(&ip, "a choice rule must be an object".into()),
                    }
                }
                (out.len() == list.len()).then(|| {
                    if op_name == "And" {
                        Condition::And(out)
                    } else {
                        Condition::Or(out)
                    }
                })
            }
            "Not" => {
                let Some(o) = value.as_object() else {
                    self.schema(&op_ptr, "'Not' must be a rule object".into());
                    return None;
                };
                self.condition(o, &op_ptr, false).map(|c| Condition::Not(Box::new(c)))
            }
            _ => {
                let (base, is_path) = match op_name.strip_suffix("Path") {
                    Some(b) if operator(b).is_some() && !b.starts_with("Is") => (b, true),
                    _ => (op_name, false),
                };
                let Some(op) = operator(base) else {
                    self.schema(&op_ptr, format!("unknown comparison operator '{op_name}'"));
                    return None;
                };
                let variable_text = match r.get("Variable") {
                    Some(Value::String(v)) => v.clone(),
                    _ => {
                        self.schema(ptr, format!("the '{op_name}' rule needs a 'Variable' path string"));
                        return None;
                    }
                };
                let variable = match JsonPath::parse(&variable_text) {
                    Ok(p) => p,
                    Err(e) => {
                        self.schema(&child(ptr, "Variable"), format!("invalid path in 'Variable': {e}"));
                        return None;
                    }
                };
                let operand = if is_path {
                    let Some(text) = value.as_str() else {
                        self.schema(&op_ptr, format!("'{op_name}' must be a path string"));
                        return None;
                    };
                    match JsonPath::parse(text) {
                        Ok(p) => Operand::Path(p, text.to_string()),
                        Err(e) => {
                            self.schema(&op_ptr, format!("invalid path in '{op_name}': {e}"));
                            return None;
                        }
                    }
                } else {
                    let ok = match op {
                        Operator::StringEquals
                        | Operator::StringLessThan
                        | Operator::StringGreaterThan
                        | Operator::StringLessThanEquals
                        | Operator::StringGreaterThanEquals
                        | Operator::StringMatches => value.is_string(),
                        Operator::TimestampEquals
                        | Operator::TimestampLessThan
                        | Operator::TimestampGreaterThan
                        | Operator::TimestampLessThanEquals
                        | Operator::TimestampGreaterThanEquals => value
                            .as_str()
                            .is_some_and(|s| crate::clock::parse_timestamp(s).is_some()),
                        Operator::NumericEquals
                        | Operator::NumericLessThan
                        | Operator::NumericGreaterThan
                        | Operator::NumericLessThanEquals
                        | Operator::NumericGreaterThanEquals => value.is_number(),
                        _ => value.is_boolean(),
                    };
                    if !ok {
                        self.schema(&op_ptr, format!("'{op_name}' has a value of the wrong type: {value}"));
                        return None;
                    }
                    Operand::Value(value.clone())
                };
                Some(Condition::Compare {
                    variable,
                    variable_text,
                    op,
                    operand,
                })
            }
        }
    }

    fn wait(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Option<Wait> {
        let given: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|k| obj.contains_key(*k))
            .collect();
        if given.len() != 1 {
            self.schema(
                ptr,
                format!(
                    "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath; found {}",
                    if given.is_empty() {
                        "none".into()
                    } else {
                        given.join(", ")
                    }
                ),
            );
            return None;
        }
        let key = given[0];
        let p = child(ptr, key);
        let value = &obj[key];
        match key {
            "Seconds" => match value.as_u64() {
                Some(n) => Some(Wait::Seconds(n)),
                None => {
                    self.schema(&p, format!("'Seconds' must be a non-negative integer, found {value}"));
                    None
                }
            },
            "Timestamp" => {
                match value.as_str().and_then(crate::clock::parse_timestamp) {
                    Some(ms) => Some(Wait::Timestamp(ms)),
                    None => {
                        self.schema(&p, format!("'Timestamp' must be an RFC 3339 timestamp such as \"2024-01-01T00:00:00Z\", found {value}"));
                        None
                    }
                }
            }
            _ => {
                let Some(text) = value.as_str() else {
                    self.schema(&p, format!("'{key}' must be a path string"));
                    return None;
                };
                let path = self.reference(text, &p)?;
                Some(if key == "SecondsPath" {
                    Wait::SecondsPath(path, text.to_string())
                } else {
                    Wait::TimestampPath(path, text.to_string())
                })
            }
        }
    }

    fn parallel(&mut self, obj: &JsonMap<String, Value>, ptr: &str, names: &HashMap<&str, usize>) -> Option<Parallel> {
        let p = child(ptr, "Branches");
        let Some(Value::Array(list)) = obj.get("Branches") else {
            self.schema(&p, "a Parallel state needs a non-empty 'Branches' array".into());
            return None;
        };
        if list.is_empty() {
            self.schema(&p, "a Parallel state needs a non-empty 'Branches' array".into());
        }
        let mut branches = Vec::new();
        for (i, b) in list.iter().enumerate() {
            branches.extend(self.definition(b, &child(&p, &i.to_string()), false));
        }
        let retry = self.retriers(obj, ptr);
        let catch = self.catchers(obj, ptr, names);
        (branches.len() == list.len()).then_some(Parallel { branches, retry, catch })
    }

    fn map(&mut self, obj: &JsonMap<String, Value>, ptr: &str, names: &HashMap<&str, usize>) -> Option<Map> {
        let (key, processor) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(p)) => ("Iterator", p),
            (Some(_), Some(_)) => {
                self.schema(
                    ptr,
                    "a Map state takes 'ItemProcessor' or its older name 'Iterator', not both".into(),
                );
                return None;
            }
            (None, None) => {
                self.schema(ptr, "a Map state needs 'ItemProcessor'".into());
                return None;
            }
        };
        let pp = child(ptr, key);
        let distributed = processor
            .pointer("/ProcessorConfig/Mode")
            .and_then(Value::as_str)
            .is_some_and(|m| m == "DISTRIBUTED");
        let processor = self.definition(processor, &pp, false)?;
        let distributed_io = self.distributed_io(obj, ptr, false, distributed);
        Some(Map {
            processor,
            distributed,
            items_path: self.path_field(obj, ptr, "ItemsPath", |s| JsonPath::parse(s).map_err(|e| e.to_string())),
            max_concurrency: self.number(obj, ptr, "MaxConcurrency").unwrap_or(Number::Value(0.0)),
            tolerated_failure_count: self.number(obj, ptr, "ToleratedFailureCount"),
            tolerated_failure_percentage: self.number(obj, ptr, "ToleratedFailurePercentage"),
            retry: self.retriers(obj, ptr),
            catch: self.catchers(obj, ptr, names),
            distributed_io,
        })
    }
}

fn operator(name: &str) -> Option<Operator> {
    use Operator::*;
    Some(match name {
        "StringEquals" => StringEquals,
        "StringLessThan" => StringLessThan,
        "StringGreaterThan" => StringGreaterThan,
        "StringLessThanEquals" => StringLessThanEquals,
        "StringGreaterThanEquals" => StringGreaterThanEquals,
        "StringMatches" => StringMatches,
        "NumericEquals" => NumericEquals,
        "NumericLessThan" => NumericLessThan,
        "NumericGreaterThan" => NumericGreaterThan,
        "NumericLessThanEquals" => NumericLessThanEquals,
        "NumericGreaterThanEquals" => NumericGreaterThanEquals,
        "BooleanEquals" => BooleanEquals,
        "TimestampEquals" => TimestampEquals,
        "TimestampLessThan" => TimestampLessThan,
        "TimestampGreaterThan" => TimestampGreaterThan,
        "TimestampLessThanEquals" => TimestampLessThanEquals,
        "TimestampGreaterThanEquals" => TimestampGreaterThanEquals,
        "IsNull" => IsNull,
        "IsPresent" => IsPresent,
        "IsNumeric" => IsNumeric,
        "IsString" => IsString,
        "IsBoolean" => IsBoolean,
        "IsTimestamp" => IsTimestamp,
        _ => return None,
    })
}

fn list_names(states: &JsonMap<String, Value>) -> String {
    let names: BTreeSet<&str> = states.keys().map(String::as_str).collect();
    names.into_iter().collect::<Vec<_>>().join(", ")
}

/// A short description of a JSON value's type, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
