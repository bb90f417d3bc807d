//! Turns definition JSON into the typed model, collecting every validation finding the way
//! `ValidateStateMachineDefinition` reports them (code, message, JSON pointer).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map as JsonMap, Value};

use super::intrinsics::Intrinsic;
use super::jsonata::{Expression, is_expression};
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
        next_id: std::cell::Cell::new(0),
    };
    let definition = parser.definition(value, "", true);
    match definition {
        Some(mut d) if parser.diagnostics.is_empty() => {
            let empty = Arc::<str>::from("");
            let mut names = vec![Arc::clone(&empty); parser.next_id.get() as usize];
            let mut pointers = names.clone();
            d.walk(&mut |state| {
                let id = state.id as usize;
                if let (Some(name), Some(pointer)) = (names.get_mut(id), pointers.get_mut(id)) {
                    *name = Arc::clone(&state.name);
                    *pointer = Arc::clone(&state.pointer);
                }
            });
            d.names = names.into();
            d.pointers = pointers.into();
            Ok(d)
        }
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

/// What parsing one state starts from.
#[derive(Clone, Copy)]
struct StateInput<'a> {
    name: &'a str,
    obj: &'a JsonMap<String, Value>,
    ptr: &'a str,
    /// The states of the scope, for transitions.
    names: &'a HashMap<&'a str, usize>,
    type_name: &'a str,
    /// How many findings there were before this state.
    errors_before: usize,
}

/// A field that a JSONPath state may give as a value or as a `...Path`, and a JSONata state as
/// a value or a `{% %}` expression.
enum Given<'v> {
    Value(&'v Value),
    /// The path text and the pointer to the `...Path` field.
    Path(&'v String, String),
    /// The compiled expression; `None` when it did not compile (which is reported).
    Expression(Option<Box<Expression>>),
}

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
    /// The number the next parsed state gets (see `State::id`).
    next_id: std::cell::Cell<u32>,
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

    /// Reports that the field `key` (at `ptr`) must be `expected` (a type), but is `value`.
    fn must_be(&mut self, ptr: &str, key: &str, expected: &str, value: &Value) {
        self.schema(ptr, format!("'{key}' must be {expected}, found {}", kind_of(value)));
    }

    /// Reports each field of `obj` that `ok` refuses, with the message `unknown` makes of its name.
    fn check_fields(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        ok: impl Fn(&str) -> bool,
        unknown: impl Fn(&str) -> String,
    ) {
        for key in obj.keys() {
            if !ok(key) {
                self.schema(&child(ptr, key), unknown(key));
            }
        }
    }

    /// Reports each field of `obj` not in `known`, with the message `unknown` makes of its name.
    fn known_fields(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        known: &[&str],
        unknown: impl Fn(&str) -> String,
    ) {
        self.check_fields(obj, ptr, |key| known.contains(&key), unknown);
    }

    /// The fields of a state: those `ok` refuses are reported, as fields of the other query
    /// language when they are in `other_language` (with the message `other_message` makes).
    fn state_fields(
        &mut self,
        s: StateInput,
        ok: impl Fn(&str) -> bool,
        other_language: &[&str],
        other_message: impl Fn(&str) -> String,
    ) {
        let StateInput { name, type_name, .. } = s;
        self.check_fields(s.obj, s.ptr, ok, |key| {
            if other_language.contains(&key) {
                other_message(key)
            } else {
                format!("field '{key}' is not supported by state type '{type_name}' (state '{name}')")
            }
        });
    }

    /// The one of `keys` that `obj` has; when it has none or several, reports that `what` needs
    /// exactly one of them.
    fn exactly_one(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        what: &str,
        keys: &[&'static str],
    ) -> Option<&'static str> {
        let given: Vec<&str> = keys.iter().copied().filter(|k| obj.contains_key(*k)).collect();
        if given.len() != 1 {
            self.schema(
                ptr,
                format!(
                    "{what} needs exactly one of {}; found {}",
                    keys.join(", "),
                    none_or_list(&given)
                ),
            );
            return None;
        }
        Some(given[0])
    }

    /// The optional array at `key` (`Retry`, `Catch`): `f` gets each of its objects (see
    /// [`Parser::each_object`]); anything else than an array is reported.
    fn object_list<T>(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        key: &str,
        what: &str,
        f: impl FnMut(&mut Self, bool, &JsonMap<String, Value>, &str) -> Option<T>,
    ) -> Vec<T> {
        let Some(list) = obj.get(key) else {
            return Vec::new();
        };
        let p = child(ptr, key);
        let Some(list) = list.as_array() else {
            self.schema(&p, format!("'{key}' must be an array"));
            return Vec::new();
        };
        self.each_object(list, &p, what, f)
    }

    /// Calls `f` with each object of `list` (at `ptr`): whether it is the last item, the object
    /// and its pointer; an item that is not an object is reported as `what`.
    fn each_object<T>(
        &mut self,
        list: &[Value],
        ptr: &str,
        what: &str,
        mut f: impl FnMut(&mut Self, bool, &JsonMap<String, Value>, &str) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let ip = child(ptr, &i.to_string());
            match item.as_object() {
                Some(o) => out.extend(f(self, i + 1 == list.len(), o, &ip)),
                None => self.schema(&ip, format!("{what} must be an object")),
            }
        }
        out
    }

    /// The array at `key`, which must be there and not be empty (else `message` is reported;
    /// an empty array is still returned), with its pointer.
    fn required_array<'v>(
        &mut self,
        obj: &'v JsonMap<String, Value>,
        ptr: &str,
        key: &str,
        message: &str,
    ) -> Option<(&'v [Value], String)> {
        let p = child(ptr, key);
        let Some(Value::Array(list)) = obj.get(key) else {
            self.schema(&p, message.into());
            return None;
        };
        if list.is_empty() {
            self.schema(&p, message.into());
        }
        Some((list, p))
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
        self.known_fields(obj, pointer, &allowed_top, |key| {
            format!(
                "field '{key}' is not supported here; allowed: {}",
                allowed_top.join(", ")
            )
        });
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
            self.must_be(&states_ptr, "States", "an object", states);
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
                self.must_be(&child(pointer, "StartAt"), "StartAt", "a string", other);
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
            names: Arc::from([]),
            pointers: Arc::from([]),
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
                self.must_be(&child(ptr, "Type"), "Type", "a string", other);
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
        let input = StateInput {
            name,
            obj,
            ptr,
            names,
            type_name,
            errors_before,
        };
        let state = if jsonata {
            self.jsonata_state(input)
        } else {
            self.jsonpath_state(input, specific)
        };
        self.jsonata = inherited;
        state
    }

    fn jsonpath_state(&mut self, input: StateInput, specific: &[&str]) -> Option<State> {
        let (name, obj, ptr, names, type_name) = (input.name, input.obj, input.ptr, input.names, input.type_name);
        let has_io = type_name != "Fail";
        self.state_fields(
            input,
            |key| {
                COMMON.contains(&key)
                    || specific.contains(&key)
                    || (has_io && IO.contains(&key) && !(type_name == "Succeed" && key == "Assign"))
                    || (has_flow(type_name) && FLOW.contains(&key))
            },
            JSONATA_FIELDS,
            |key| format!("field '{key}' is supported only when QueryLanguage is JSONata (state '{name}' uses JSONPath); set \"QueryLanguage\": \"JSONata\" on the state or the state machine"),
        );
        let next = self.flow(input);

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
            "Task" => StateKind::Task(Box::new(self.task(obj, ptr, names, false)?)),
            "Choice" => StateKind::Choice(self.choice(obj, ptr, names)?),
            "Wait" => StateKind::Wait(self.wait(obj, ptr, false)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(self.fail(obj, ptr, false)),
            "Parallel" => StateKind::Parallel(Box::new(self.parallel(obj, ptr, names, false)?)),
            "Map" => StateKind::Map(Box::new(self.map(obj, ptr, names, false)?)),
            _ => return None,
        };
        self.finish_state(input, io, None, next, kind)
    }

    /// The parsed state, unless parsing it reported anything.
    fn finish_state(
        &self,
        input: StateInput,
        io: Io,
        jsonata: Option<Box<Jsonata>>,
        next: Option<usize>,
        kind: StateKind,
    ) -> Option<State> {
        if self.diagnostics.len() > input.errors_before {
            return None;
        }
        let id = self.next_id.get();
        self.next_id.set(id.saturating_add(1));
        Some(State {
            name: input.name.into(),
            pointer: input.ptr.into(),
            io,
            jsonata,
            next,
            kind,
            id,
        })
    }

    /// The transition of a state whose type has one (see [`Parser::transition`]).
    fn flow(&mut self, s: StateInput) -> Option<usize> {
        if has_flow(s.type_name) {
            self.transition(s.obj, s.ptr, s.name, s.names)
        } else {
            None
        }
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
                self.must_be(&child(ptr, "End"), "End", "a boolean", other);
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
            Some(Value::String(s)) => self
                .reported(parse(s), &child(ptr, key), |e| format!("invalid path in '{key}': {e}"))
                .map_or(PathField::Default, |p| PathField::Path(p, s.clone())),
            Some(other) => {
                self.must_be(&child(ptr, key), key, "a path string or null", other);
                PathField::Default
            }
        }
    }

    fn payload_field(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Payload> {
        let value = obj.get(key)?;
        let p = child(ptr, key);
        if key != "Parameters" && !value.is_object() {
            self.must_be(&p, key, "an object", value);
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
                    // `a` and `a.$` name one field: it keeps the first one's place and the last
                    // one's value, as inserting both into a JSON object would.
                    match fields.iter_mut().find(|(k, _)| *k == compiled.0) {
                        Some(slot) => *slot = compiled,
                        None => fields.push(compiled),
                    }
                }
                if dynamic {
                    let shape = ObjectShape::of(&fields);
                    Payload::Object { fields, shape }
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
            self.reported(Intrinsic::parse(expr), ptr, |e| {
                format!("invalid intrinsic function call in '{field}': {e}")
            })
            .map_or(Payload::Const(Value::Null), |call| Payload::Intrinsic {
                field: field.to_string(),
                text: expr.to_string(),
                call,
            })
        } else if expr.starts_with('$') {
            self.json_path(expr, ptr, field)
                .map_or(Payload::Const(Value::Null), |path| Payload::Path {
                    field: field.to_string(),
                    text: expr.to_string(),
                    path,
                })
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

    /// A field given as `key` or as `{key}Path` (not both).
    fn value_or_path<'v>(&mut self, obj: &'v JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Given<'v>> {
        let path_key = format!("{key}Path");
        match (obj.get(key), obj.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.schema(ptr, format!("'{key}' and '{path_key}' cannot both be given"));
                None
            }
            (Some(v), None) => Some(Given::Value(v)),
            (None, Some(Value::String(p))) => Some(Given::Path(p, child(ptr, &path_key))),
            (None, Some(other)) => {
                self.must_be(&child(ptr, &path_key), &path_key, "a path string", other);
                None
            }
            (None, None) => None,
        }
    }

    /// The value at `key`, or the `{key}Path` (JSONPath) or a compiled `{% %}` expression at
    /// `key` (JSONata).
    fn language_field<'v>(
        &mut self,
        obj: &'v JsonMap<String, Value>,
        ptr: &str,
        key: &str,
        jsonata: bool,
    ) -> Option<Given<'v>> {
        if !jsonata {
            return self.value_or_path(obj, ptr, key);
        }
        match obj.get(key)? {
            Value::String(s) if is_expression(s) => {
                Some(Given::Expression(self.jsonata_expression(s, &child(ptr, key), key)))
            }
            v => Some(Given::Value(v)),
        }
    }

    /// `TimeoutSeconds` / `HeartbeatSeconds`: a positive integer, a `...Path` (JSONPath) or an
    /// expression (JSONata).
    fn seconds(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str, jsonata: bool) -> Option<Seconds> {
        match self.language_field(obj, ptr, key, jsonata)? {
            Given::Value(_) => self.optional_seconds(obj, ptr, key, false).map(Seconds::Value),
            Given::Path(p, at) => self.reference(p, &at).map(|r| Seconds::Path(r, p.clone())),
            Given::Expression(e) => e.map(Seconds::Expression),
        }
    }

    /// `MaxConcurrency`, `ToleratedFailure*`, `MaxItems...`: a non-negative number, a `...Path`
    /// (JSONPath) or an expression (JSONata).
    pub(super) fn number(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        key: &str,
        jsonata: bool,
    ) -> Option<Number> {
        match self.language_field(obj, ptr, key, jsonata)? {
            Given::Value(v) => match v.as_f64() {
                Some(n) if n >= 0.0 => Some(Number::Value(n)),
                _ => {
                    let or = if jsonata { " or a JSONata expression" } else { "" };
                    self.schema(
                        &child(ptr, key),
                        format!("'{key}' must be a non-negative number{or}, found {v}"),
                    );
                    None
                }
            },
            Given::Path(p, at) => self.reference(p, &at).map(|r| Number::Path(r, p.clone())),
            Given::Expression(e) => e.map(Number::Expression),
        }
    }

    fn reference(&mut self, text: &str, ptr: &str) -> Option<ReferencePath> {
        self.reported(ReferencePath::parse(text), ptr, |e| {
            format!("invalid reference path: {e}")
        })
    }

    /// The path `text` of `field`, compiled.
    fn json_path(&mut self, text: &str, ptr: &str, field: &str) -> Option<JsonPath> {
        self.reported(JsonPath::parse(text), ptr, |e| {
            format!("invalid path in '{field}': {e}")
        })
    }

    /// The value of `result`; an error is reported at `ptr` with the message `message` makes.
    pub(super) fn reported<T, E>(
        &mut self,
        result: Result<T, E>,
        ptr: &str,
        message: impl FnOnce(E) -> String,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.schema(ptr, message(e));
                None
            }
        }
    }

    /// A Fail state's `Error` / `Cause`: a string, a `...Path` (JSONPath: a reference path or an
    /// intrinsic function call) or an expression (JSONata).
    fn text(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str, jsonata: bool) -> Option<Text> {
        match self.language_field(obj, ptr, key, jsonata)? {
            Given::Value(Value::String(s)) => Some(Text::Value(s.clone())),
            Given::Value(other) => {
                self.must_be(&child(ptr, key), key, "a string", other);
                None
            }
            Given::Path(p, at) => {
                if p.starts_with("States.") {
                    self.reported(Intrinsic::parse(p), &at, |e| {
                        format!("invalid intrinsic function call: {e}")
                    })
                    .map(|call| Text::Intrinsic(call, p.clone()))
                } else {
                    self.reference(p, &at).map(|r| Text::Path(r, p.clone()))
                }
            }
            Given::Expression(e) => e.map(Text::Expression),
        }
    }

    fn fail(&mut self, obj: &JsonMap<String, Value>, ptr: &str, jsonata: bool) -> Fail {
        Fail {
            error: self.text(obj, ptr, "Error", jsonata),
            cause: self.text(obj, ptr, "Cause", jsonata),
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
                self.must_be(&child(ptr, "Resource"), "Resource", "a string", other);
                None
            }
            None => {
                self.schema(ptr, "a Task state needs a 'Resource'".into());
                None
            }
        }
    }

    fn task(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
        jsonata: bool,
    ) -> Option<Task> {
        let resource = self.resource(obj, ptr)?;
        Some(Task {
            resource,
            timeout: self.seconds(obj, ptr, "TimeoutSeconds", jsonata),
            heartbeat: self.seconds(obj, ptr, "HeartbeatSeconds", jsonata),
            retry: self.retriers(obj, ptr),
            catch: self.catchers(obj, ptr, names, jsonata),
            credentials: obj.get("Credentials").cloned(),
        })
    }

    /// `ErrorEquals` of a retrier or catcher (`what`), which `States.ALL` may be in only when
    /// it is the `last` one.
    fn error_equals(&mut self, obj: &JsonMap<String, Value>, ptr: &str, what: &str, last: bool) -> Vec<String> {
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
        if names.iter().any(|e| e == "States.ALL") && !last {
            self.schema(ptr, format!("{what} with 'States.ALL' must be the last one"));
        }
        names
    }

    /// The state `Next` of a catcher or choice rule (`what`) names, which it must have.
    fn required_next(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        what: &str,
        names: &HashMap<&str, usize>,
    ) -> Option<usize> {
        match obj.get("Next") {
            Some(n) => self.target(n, &child(ptr, "Next"), names),
            None => {
                self.schema(ptr, format!("{what} needs 'Next'"));
                None
            }
        }
    }

    /// A Choice state's `Default`, if any.
    fn default_target(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
    ) -> Option<usize> {
        obj.get("Default")
            .and_then(|d| self.target(d, &child(ptr, "Default"), names))
    }

    fn retriers(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Vec<Retrier> {
        self.object_list(obj, ptr, "Retry", "a retrier", |this, last, r, rp| {
            this.known_fields(
                r,
                rp,
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ],
                |key| format!("field '{key}' is not supported in a retrier"),
            );
            let error_equals = this.error_equals(r, rp, "a retrier", last);
            let num = |this: &mut Self, key: &str, default: f64, min: f64| -> f64 {
                match r.get(key) {
                    None => default,
                    Some(v) => match v.as_f64() {
                        Some(n) if n >= min => n,
                        _ => {
                            this.schema(&child(rp, key), format!("'{key}' must be a number >= {min}, found {v}"));
                            default
                        }
                    },
                }
            };
            let interval_seconds = num(this, "IntervalSeconds", 1.0, 1.0);
            let max_attempts = num(this, "MaxAttempts", 3.0, 0.0);
            let backoff_rate = num(this, "BackoffRate", 2.0, 1.0);
            let max_delay_seconds = r.get("MaxDelaySeconds").map(|_| num(this, "MaxDelaySeconds", 0.0, 1.0));
            let jitter_full = match r.get("JitterStrategy") {
                None => false,
                Some(Value::String(s)) if s == "FULL" => true,
                Some(Value::String(s)) if s == "NONE" => false,
                Some(other) => {
                    this.schema(
                        &child(rp, "JitterStrategy"),
                        format!("'JitterStrategy' must be \"FULL\" or \"NONE\", found {other}"),
                    );
                    false
                }
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let retrier = Retrier {
                error_equals,
                interval_seconds,
                max_attempts: max_attempts as u64,
                backoff_rate,
                max_delay_seconds,
                jitter_full,
            };
            Some(retrier)
        })
    }

    fn catchers(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
        jsonata: bool,
    ) -> Vec<Catcher> {
        self.object_list(obj, ptr, "Catch", "a catcher", |this, last, c, cp| {
            let known: &[&str] = if jsonata {
                &["ErrorEquals", "Next", "Output", "Assign", "Comment"]
            } else {
                &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]
            };
            this.known_fields(c, cp, known, |key| {
                if key == "ResultPath" {
                    "field 'ResultPath' is supported only when QueryLanguage is JSONPath; a JSONata catcher takes 'Output' (with $states.errorOutput) or 'Assign'".into()
                } else {
                    format!("field '{key}' is not supported in a catcher")
                }
            });
            let error_equals = this.error_equals(c, cp, "a catcher", last);
            let next = this.required_next(c, cp, "a catcher", names);
            let (result_path, assign, io) = if jsonata {
                let io = this.jsonata_io(c, cp);
                (PathField::Default, None, Some(Box::new(io)))
            } else {
                let result_path = this.path_field(c, cp, "ResultPath", |s| {
                    ReferencePath::parse(s).map_err(|e| e.to_string())
                });
                (result_path, this.payload_field(c, cp, "Assign"), None)
            };
            Some(Catcher {
                error_equals,
                next: next?,
                result_path,
                assign,
                jsonata: io,
            })
        })
    }

    fn choice(&mut self, obj: &JsonMap<String, Value>, ptr: &str, names: &HashMap<&str, usize>) -> Option<Choice> {
        let (list, p) = self.required_array(obj, ptr, "Choices", "a Choice state needs a non-empty 'Choices' array")?;
        let choices = self.each_object(list, &p, "a choice rule", |this, _, r, rp| {
            let next = this.required_next(r, rp, "a top-level choice rule", names);
            let assign = this.payload_field(r, rp, "Assign");
            let condition = this.condition(r, rp, true);
            Some((condition?, next?, assign))
        });
        let default = self.default_target(obj, ptr, names);
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
                    none_or_list(&operators.iter().map(|k| k.as_str()).collect::<Vec<_>>())
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
                let out = self.each_object(list, &op_ptr, "a choice rule", |this, _, o, ip| {
                    this.condition(o, ip, false)
                });
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
                let variable = self.json_path(&variable_text, &child(ptr, "Variable"), "Variable")?;
                let operand = if is_path {
                    let Some(text) = value.as_str() else {
                        self.schema(&op_ptr, format!("'{op_name}' must be a path string"));
                        return None;
                    };
                    Operand::Path(self.json_path(text, &op_ptr, op_name)?, text.to_string())
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

    /// A Wait state's `Seconds` or `Timestamp`: a value, a `...Path` (JSONPath) or an expression
    /// (JSONata).
    fn wait(&mut self, obj: &JsonMap<String, Value>, ptr: &str, jsonata: bool) -> Option<Wait> {
        let keys: &[&'static str] = if jsonata {
            &["Seconds", "Timestamp"]
        } else {
            &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
        };
        let key = self.exactly_one(obj, ptr, "a Wait state", keys)?;
        let p = child(ptr, key);
        let value = &obj[key];
        if jsonata && let Some(s) = value.as_str().filter(|s| is_expression(s)) {
            return self.jsonata_expression(s, &p, key).map(|expression| Wait::Expression {
                timestamp: key == "Timestamp",
                expression,
            });
        }
        let or = if jsonata { " or a JSONata expression" } else { "" };
        match key {
            "Seconds" => match value.as_u64() {
                Some(n) => Some(Wait::Seconds(n)),
                None => {
                    self.schema(
                        &p,
                        format!("'Seconds' must be a non-negative integer{or}, found {value}"),
                    );
                    None
                }
            },
            "Timestamp" => match value.as_str().and_then(crate::clock::parse_timestamp) {
                Some(ms) => Some(Wait::Timestamp(ms)),
                None => {
                    self.schema(
                        &p,
                        format!("'Timestamp' must be an RFC 3339 timestamp such as \"2024-01-01T00:00:00Z\"{or}, found {value}"),
                    );
                    None
                }
            },
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

    fn parallel(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
        jsonata: bool,
    ) -> Option<Parallel> {
        let (list, p) = self.required_array(
            obj,
            ptr,
            "Branches",
            "a Parallel state needs a non-empty 'Branches' array",
        )?;
        let mut branches = Vec::new();
        for (i, b) in list.iter().enumerate() {
            branches.extend(self.definition(b, &child(&p, &i.to_string()), false));
        }
        let retry = self.retriers(obj, ptr);
        let catch = self.catchers(obj, ptr, names, jsonata);
        (branches.len() == list.len()).then_some(Parallel { branches, retry, catch })
    }

    fn map(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
        jsonata: bool,
    ) -> Option<Map> {
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
        let distributed = processor
            .pointer("/ProcessorConfig/Mode")
            .and_then(Value::as_str)
            .is_some_and(|m| m == "DISTRIBUTED");
        let processor = self.definition(processor, &child(ptr, key), false)?;
        let distributed_io = self.distributed_io(obj, ptr, jsonata, distributed);
        let items_path = if jsonata {
            PathField::Default
        } else {
            self.path_field(obj, ptr, "ItemsPath", |s| JsonPath::parse(s).map_err(|e| e.to_string()))
        };
        Some(Map {
            processor,
            distributed,
            items_path,
            max_concurrency: self
                .number(obj, ptr, "MaxConcurrency", jsonata)
                .unwrap_or(Number::Value(0.0)),
            tolerated_failure_count: self.number(obj, ptr, "ToleratedFailureCount", jsonata),
            tolerated_failure_percentage: self.number(obj, ptr, "ToleratedFailurePercentage", jsonata),
            retry: self.retriers(obj, ptr),
            catch: self.catchers(obj, ptr, names, jsonata),
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

/// Whether a state type has `Next` / `End`.
fn has_flow(type_name: &str) -> bool {
    !matches!(type_name, "Choice" | "Succeed" | "Fail")
}

/// The items, comma-separated, or "none".
fn none_or_list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
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
