//! The states of the JSONata query language: their fields (`Arguments`, `Output`, `Assign`,
//! `Items`, `Condition`, and numbers or strings given as `{% ... %}`), compiled once here.
//! JSONPath-only fields are validation errors (AWS docs, "Transforming data with JSONata in
//! Step Functions": JSONata states have `Arguments` and `Output` instead of `InputPath`,
//! `Parameters`, `ResultSelector`, `ResultPath` and `OutputPath`).

use std::collections::HashMap;

use serde_json::{Map as JsonMap, Value};

use super::{Parser, child, kind_of};
use crate::asl::jsonata::{Expression, Template, is_expression};
use crate::asl::model::*;

/// Fields every JSONata state may have, beyond the type-specific ones.
const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

/// The fields of each state type in a JSONata state (AWS docs, one page per state type).
fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pass" => &["Output", "Assign", "Next", "End"],
        "Task" => &[
            "Resource",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
            "Next",
            "End",
        ],
        "Choice" => &["Choices", "Default", "Output", "Assign"],
        "Wait" => &["Seconds", "Timestamp", "Output", "Assign", "Next", "End"],
        "Succeed" => &["Output"],
        "Fail" => &["Error", "Cause"],
        "Parallel" => &[
            "Branches",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
        ],
        "Map" => &[
            "ItemProcessor",
            "Iterator",
            "Items",
            "ItemSelector",
            "MaxConcurrency",
            "ToleratedFailureCount",
            "ToleratedFailurePercentage",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
        ],
        _ => &[],
    }
}

/// JSONPath fields, which a JSONata state replaces with `Arguments`, `Output` and
/// `{% ... %}` values.
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
];

fn replacement(field: &str) -> &'static str {
    match field {
        "Parameters" => "use 'Arguments' (or 'ItemSelector' in a Map state)",
        "InputPath" | "ResultSelector" | "ResultPath" | "OutputPath" | "Result" => {
            "use 'Output' (and $states.input / $states.result) or 'Assign'"
        }
        "ItemsPath" => "use 'Items'",
        _ => "give the field without 'Path', as a {% ... %} expression",
    }
}

impl Parser {
    /// A state whose query language is JSONata.
    pub(super) fn jsonata_state(
        &mut self,
        name: &str,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
        type_name: &str,
        errors_before: usize,
    ) -> Option<State> {
        let specific = allowed(type_name);
        for key in obj.keys() {
            if COMMON.contains(&key.as_str()) || specific.contains(&key.as_str()) {
                continue;
            }
            if JSONPATH_ONLY.contains(&key.as_str()) {
                self.schema(
                    &child(ptr, key),
                    format!(
                        "field '{key}' is supported only when QueryLanguage is JSONPath (state '{name}' uses JSONata); {}",
                        replacement(key)
                    ),
                );
            } else {
                self.schema(
                    &child(ptr, key),
                    format!("field '{key}' is not supported by state type '{type_name}' (state '{name}')"),
                );
            }
        }
        let has_flow = !matches!(type_name, "Choice" | "Succeed" | "Fail");
        let next = if has_flow {
            self.transition(obj, ptr, name, names)
        } else {
            None
        };
        let mut io = Jsonata {
            output: self.template_field(obj, ptr, "Output"),
            assign: self.assign_field(obj, ptr),
            ..Jsonata::default()
        };
        let kind = match type_name {
            "Pass" => StateKind::Pass(Pass { result: None }),
            "Task" => {
                io.arguments = self.template_field(obj, ptr, "Arguments");
                // Credentials are kept as written (mocked calls assume no role), but their
                // expressions must still parse.
                let _ = self.template_field(obj, ptr, "Credentials");
                let resource = self.resource(obj, ptr)?;
                StateKind::Task(Box::new(Task {
                    resource,
                    timeout: self.jsonata_seconds(obj, ptr, "TimeoutSeconds"),
                    heartbeat: self.jsonata_seconds(obj, ptr, "HeartbeatSeconds"),
                    retry: self.retriers(obj, ptr),
                    catch: self.jsonata_catchers(obj, ptr, names),
                    credentials: obj.get("Credentials").cloned(),
                }))
            }
            "Choice" => StateKind::Choice(self.jsonata_choice(obj, ptr, names)?),
            "Wait" => StateKind::Wait(self.jsonata_wait(obj, ptr)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(Fail {
                error: self.jsonata_text(obj, ptr, "Error"),
                cause: self.jsonata_text(obj, ptr, "Cause"),
            }),
            "Parallel" => {
                io.arguments = self.template_field(obj, ptr, "Arguments");
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
                let catch = self.jsonata_catchers(obj, ptr, names);
                if branches.len() != list.len() {
                    return None;
                }
                StateKind::Parallel(Box::new(Parallel { branches, retry, catch }))
            }
            "Map" => {
                io.arguments = self.template_field(obj, ptr, "ItemSelector");
                io.items = self.items_field(obj, ptr);
                StateKind::Map(Box::new(self.jsonata_map(obj, ptr, names)?))
            }
            _ => return None,
        };
        if self.diagnostics.len() > errors_before {
            return None;
        }
        Some(State {
            name: name.to_string(),
            pointer: ptr.to_string(),
            io: Io {
                input_path: PathField::Default,
                output_path: PathField::Default,
                result_path: PathField::Default,
                parameters: None,
                result_selector: None,
                assign: None,
            },
            jsonata: Some(Box::new(io)),
            next,
            kind,
        })
    }

    /// Compiles a template; `field` names it in run-time messages (`Output`, `Assign/x`).
    fn template(&mut self, value: &Value, ptr: &str, field: &str) -> Option<Template> {
        match Template::compile(value, field) {
            Ok(t) => Some(t),
            Err(e) => {
                self.schema(
                    &format!("{ptr}{}", e.pointer),
                    format!("invalid JSONata expression in '{field}{}': {}", e.pointer, e.message),
                );
                None
            }
        }
    }

    fn template_field(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Template> {
        let value = obj.get(key)?;
        self.template(value, &child(ptr, key), key)
    }

    /// `Assign`: an object of variable names to values (AWS docs, "Passing data between
    /// states with variables").
    fn assign_field(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Option<Template> {
        let value = obj.get("Assign")?;
        let p = child(ptr, "Assign");
        if !value.is_object() {
            self.schema(&p, format!("'Assign' must be an object, found {}", kind_of(value)));
            return None;
        }
        self.template(value, &p, "Assign")
    }

    /// `Items`: a JSON array or an expression; other JSON compiles too and fails when run, as
    /// an expression giving a non-array does (conformance `scenarios...test_map_state_items_eval_jsonata_fail[*]`).
    fn items_field(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Option<Template> {
        let value = obj.get("Items")?;
        self.template(value, &child(ptr, "Items"), "Items")
    }

    fn jsonata_expression(&mut self, text: &str, ptr: &str, field: &str) -> Option<Box<Expression>> {
        match Expression::compile(text, field) {
            Ok(e) => Some(Box::new(e)),
            Err(message) => {
                self.schema(ptr, format!("invalid JSONata expression in '{field}': {message}"));
                None
            }
        }
    }

    /// `TimeoutSeconds` / `HeartbeatSeconds`: a positive integer or an expression.
    fn jsonata_seconds(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Seconds> {
        match obj.get(key)? {
            Value::String(s) if is_expression(s) => self
                .jsonata_expression(s, &child(ptr, key), key)
                .map(Seconds::Expression),
            _ => self.optional_seconds(obj, ptr, key, false).map(Seconds::Value),
        }
    }

    /// `MaxConcurrency` / `ToleratedFailure*`: a non-negative number or an expression.
    fn jsonata_number(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Number> {
        let p = child(ptr, key);
        match obj.get(key)? {
            Value::String(s) if is_expression(s) => self.jsonata_expression(s, &p, key).map(Number::Expression),
            v => match v.as_f64() {
                Some(n) if n >= 0.0 => Some(Number::Value(n)),
                _ => {
                    self.schema(
                        &p,
                        format!("'{key}' must be a non-negative number or a JSONata expression, found {v}"),
                    );
                    None
                }
            },
        }
    }

    /// A Fail state's `Error` / `Cause`: a string, or an expression.
    fn jsonata_text(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str) -> Option<Text> {
        let p = child(ptr, key);
        match obj.get(key)? {
            Value::String(s) if is_expression(s) => self.jsonata_expression(s, &p, key).map(Text::Expression),
            Value::String(s) => Some(Text::Value(s.clone())),
            other => {
                self.schema(&p, format!("'{key}' must be a string, found {}", kind_of(other)));
                None
            }
        }
    }

    fn jsonata_wait(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Option<Wait> {
        let given: Vec<&str> = ["Seconds", "Timestamp"]
            .into_iter()
            .filter(|k| obj.contains_key(*k))
            .collect();
        if given.len() != 1 {
            self.schema(
                ptr,
                format!(
                    "a Wait state needs exactly one of Seconds, Timestamp; found {}",
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
        match (key, value) {
            (_, Value::String(s)) if is_expression(s) => {
                self.jsonata_expression(s, &p, key).map(|expression| Wait::Expression {
                    timestamp: key == "Timestamp",
                    expression,
                })
            }
            ("Seconds", v) => match v.as_u64() {
                Some(n) => Some(Wait::Seconds(n)),
                None => {
                    self.schema(
                        &p,
                        format!("'Seconds' must be a non-negative integer or a JSONata expression, found {v}"),
                    );
                    None
                }
            },
            (_, v) => match v.as_str().and_then(crate::clock::parse_timestamp) {
                Some(ms) => Some(Wait::Timestamp(ms)),
                None => {
                    self.schema(&p, format!("'Timestamp' must be an RFC 3339 timestamp such as \"2024-01-01T00:00:00Z\" or a JSONata expression, found {v}"));
                    None
                }
            },
        }
    }

    fn jsonata_choice(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
    ) -> Option<Choice> {
        let p = child(ptr, "Choices");
        let Some(Value::Array(list)) = obj
            .get("Choices")
            .filter(|l| l.as_array().is_some_and(|a| !a.is_empty()))
        else {
            self.schema(&p, "a Choice state needs a non-empty 'Choices' array".into());
            return None;
        };
        let mut rules = Vec::new();
        for (i, rule) in list.iter().enumerate() {
            let rp = child(&p, &i.to_string());
            let Some(r) = rule.as_object() else {
                self.schema(&rp, "a choice rule must be an object".into());
                continue;
            };
            for key in r.keys() {
                if !["Condition", "Next", "Assign", "Output", "Comment"].contains(&key.as_str()) {
                    self.schema(
                        &child(&rp, key),
                        format!("field '{key}' is not supported in a JSONata choice rule; it takes Condition, Next, Assign, Output"),
                    );
                }
            }
            let next = match r.get("Next") {
                Some(n) => self.target(n, &child(&rp, "Next"), names),
                None => {
                    self.schema(&rp, "a choice rule needs 'Next'".into());
                    None
                }
            };
            let cp = child(&rp, "Condition");
            let condition = match r.get("Condition") {
                Some(Value::Bool(b)) => Some(Template::Const(Value::Bool(*b))),
                Some(Value::String(s)) if is_expression(s) => {
                    self.jsonata_expression(s, &cp, "Condition").map(Template::Expr)
                }
                Some(other) => {
                    self.schema(
                        &cp,
                        format!("'Condition' must be a boolean or a JSONata expression \"{{% ... %}}\", found {other}"),
                    );
                    None
                }
                None => {
                    self.schema(&rp, "a JSONata choice rule needs 'Condition'".into());
                    None
                }
            };
            let io = Jsonata {
                output: self.template_field(r, &rp, "Output"),
                assign: self.assign_field(r, &rp),
                ..Jsonata::default()
            };
            if let (Some(condition), Some(next)) = (condition, next) {
                rules.push(Rule { condition, next, io });
            }
        }
        let default = obj
            .get("Default")
            .and_then(|d| self.target(d, &child(ptr, "Default"), names));
        Some(Choice {
            choices: Vec::new(),
            default,
            rules,
        })
    }

    fn jsonata_catchers(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
    ) -> Vec<Catcher> {
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
                if key == "ResultPath" {
                    self.schema(
                        &child(&cp, key),
                        "field 'ResultPath' is supported only when QueryLanguage is JSONPath; a JSONata catcher takes 'Output' (with $states.errorOutput) or 'Assign'".into(),
                    );
                } else if !["ErrorEquals", "Next", "Output", "Assign", "Comment"].contains(&key.as_str()) {
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
            let io = Jsonata {
                output: self.template_field(c, &cp, "Output"),
                assign: self.assign_field(c, &cp),
                ..Jsonata::default()
            };
            if let Some(next) = next {
                out.push(Catcher {
                    error_equals,
                    next,
                    result_path: PathField::Default,
                    assign: None,
                    jsonata: Some(Box::new(io)),
                });
            }
        }
        out
    }

    fn jsonata_map(&mut self, obj: &JsonMap<String, Value>, ptr: &str, names: &HashMap<&str, usize>) -> Option<Map> {
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
        let distributed_io = self.distributed_io(obj, ptr, true, distributed);
        Some(Map {
            processor,
            distributed,
            items_path: PathField::Default,
            max_concurrency: self
                .jsonata_number(obj, ptr, "MaxConcurrency")
                .unwrap_or(Number::Value(0.0)),
            tolerated_failure_count: self.jsonata_number(obj, ptr, "ToleratedFailureCount"),
            tolerated_failure_percentage: self.jsonata_number(obj, ptr, "ToleratedFailurePercentage"),
            retry: self.retriers(obj, ptr),
            catch: self.jsonata_catchers(obj, ptr, names),
            distributed_io,
        })
    }
}
