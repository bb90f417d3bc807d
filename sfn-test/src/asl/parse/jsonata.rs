//! The states of the JSONata query language: their fields (`Arguments`, `Output`, `Assign`,
//! `Items`, `Condition`, and numbers or strings given as `{% ... %}`), compiled once here.
//! JSONPath-only fields are validation errors (AWS docs, "Transforming data with JSONata in
//! Step Functions": JSONata states have `Arguments` and `Output` instead of `InputPath`,
//! `Parameters`, `ResultSelector`, `ResultPath` and `OutputPath`).

use std::collections::HashMap;

use serde_json::{Map as JsonMap, Value};

use super::{Parser, StateInput, child};
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
    pub(super) fn jsonata_state(&mut self, input: StateInput) -> Option<State> {
        let (name, obj, ptr, names, type_name) = (input.name, input.obj, input.ptr, input.names, input.type_name);
        let specific = allowed(type_name);
        self.state_fields(
            input,
            |key| COMMON.contains(&key) || specific.contains(&key),
            JSONPATH_ONLY,
            |key| {
                format!(
                    "field '{key}' is supported only when QueryLanguage is JSONPath (state '{name}' uses JSONata); {}",
                    replacement(key)
                )
            },
        );
        let next = self.flow(input);
        let mut io = self.jsonata_io(obj, ptr);
        let kind = match type_name {
            "Pass" => StateKind::Pass(Pass { result: None }),
            "Task" => {
                io.arguments = self.template_field(obj, ptr, "Arguments");
                // Credentials are kept as written (mocked calls assume no role), but their
                // expressions must still parse.
                let _ = self.template_field(obj, ptr, "Credentials");
                StateKind::Task(Box::new(self.task(obj, ptr, names, true)?))
            }
            "Choice" => StateKind::Choice(self.jsonata_choice(obj, ptr, names)?),
            "Wait" => StateKind::Wait(self.wait(obj, ptr, true)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(self.fail(obj, ptr, true)),
            "Parallel" => {
                io.arguments = self.template_field(obj, ptr, "Arguments");
                StateKind::Parallel(Box::new(self.parallel(obj, ptr, names, true)?))
            }
            "Map" => {
                io.arguments = self.template_field(obj, ptr, "ItemSelector");
                io.items = self.items_field(obj, ptr);
                StateKind::Map(Box::new(self.map(obj, ptr, names, true)?))
            }
            _ => return None,
        };
        let paths = Io {
            input_path: PathField::Default,
            output_path: PathField::Default,
            result_path: PathField::Default,
            parameters: None,
            result_selector: None,
            assign: None,
        };
        self.finish_state(input, paths, Some(Box::new(io)), next, kind)
    }

    /// `Output` and `Assign` of a state, catcher or choice rule.
    pub(super) fn jsonata_io(&mut self, obj: &JsonMap<String, Value>, ptr: &str) -> Jsonata {
        Jsonata {
            output: self.template_field(obj, ptr, "Output"),
            assign: self.assign_field(obj, ptr),
            ..Jsonata::default()
        }
    }

    /// Compiles a template; `field` names it in run-time messages (`Output`, `Assign/x`).
    pub(super) fn template(&mut self, value: &Value, ptr: &str, field: &str) -> Option<Template> {
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
            self.must_be(&p, "Assign", "an object", value);
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

    pub(super) fn jsonata_expression(&mut self, text: &str, ptr: &str, field: &str) -> Option<Box<Expression>> {
        self.reported(Expression::compile(text, field), ptr, |message| {
            format!("invalid JSONata expression in '{field}': {message}")
        })
        .map(Box::new)
    }

    fn jsonata_choice(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        names: &HashMap<&str, usize>,
    ) -> Option<Choice> {
        let (list, p) = self.required_array(obj, ptr, "Choices", "a Choice state needs a non-empty 'Choices' array")?;
        if list.is_empty() {
            return None;
        }
        let rules = self.each_object(list, &p, "a choice rule", |this, _, r, rp| {
            this.known_fields(r, rp, &["Condition", "Next", "Assign", "Output", "Comment"], |key| {
                format!(
                    "field '{key}' is not supported in a JSONata choice rule; it takes Condition, Next, Assign, Output"
                )
            });
            let next = this.required_next(r, rp, "a choice rule", names);
            let cp = child(rp, "Condition");
            let condition = match r.get("Condition") {
                Some(Value::Bool(b)) => Some(Template::Const(Value::Bool(*b))),
                Some(Value::String(s)) if is_expression(s) => {
                    this.jsonata_expression(s, &cp, "Condition").map(Template::Expr)
                }
                Some(other) => {
                    this.schema(
                        &cp,
                        format!("'Condition' must be a boolean or a JSONata expression \"{{% ... %}}\", found {other}"),
                    );
                    None
                }
                None => {
                    this.schema(rp, "a JSONata choice rule needs 'Condition'".into());
                    None
                }
            };
            let io = this.jsonata_io(r, rp);
            Some(Rule {
                condition: condition?,
                next: next?,
                io,
            })
        });
        let default = self.default_target(obj, ptr, names);
        Some(Choice {
            choices: Vec::new(),
            default,
            rules,
        })
    }
}
