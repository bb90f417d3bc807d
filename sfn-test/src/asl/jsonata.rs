//! The JSONata query language, behind one module so the engine can be replaced: `{% ... %}`
//! expressions are compiled once per definition (with `jsonata-core`) and evaluated with
//! Step Functions' bindings: `$states` (`input`, `result`, `errorOutput`, `context`), workflow
//! variables as `$name`, and the functions Step Functions adds (`$partition`, `$range`,
//! `$hash`, `$random`, `$uuid`, `$parse`; no `$eval`). Time (`$now`, `$millis`) and
//! randomness (`$random`, `$uuid`, `$shuffle`) come from the engine, so runs are
//! deterministic (AWS docs, "Transforming data with JSONata in Step Functions").

// Without the engine, the evaluation side has no caller.
#![cfg_attr(not(feature = "jsonata"), allow(dead_code))]

use serde_json::{Map, Value};

use crate::json::type_name;

#[cfg(feature = "jsonata")]
mod engine;

/// Without the `jsonata` feature no expression compiles, so none is ever evaluated.
#[cfg(not(feature = "jsonata"))]
mod engine {
    use super::{Environment, Expression, Failure, Value};

    pub(super) type Ast = std::convert::Infallible;

    pub(super) fn parse(_: &str) -> Result<Ast, String> {
        Err("not supported in this build: JSONata expressions need sfn-test's `jsonata` feature (on by default)".into())
    }

    pub(super) fn evaluate(expression: &Expression, _: &dyn Environment) -> Result<Value, Failure> {
        match expression.ast {}
    }
}

/// What an expression evaluates against; the engine implements it over its scope.
pub(crate) trait Environment {
    /// `$states.input`: the state's raw input.
    fn input(&self) -> &Value;
    /// `$states.result`, where the field has one.
    fn result(&self) -> Option<&Value>;
    /// `$states.errorOutput`, in a catcher.
    fn error_output(&self) -> Option<&Value>;
    /// `$states.context`: the context object, built on demand.
    fn context(&self) -> Value;
    /// A workflow variable.
    fn variable(&self, name: &str) -> Option<&Value>;
    /// The virtual time, in milliseconds since the epoch (`$now`, `$millis`).
    fn now_millis(&self) -> i64;
    /// A draw from the execution's seeded random number generator.
    fn random(&self) -> u64;
}

/// Why an expression produced no usable value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// It returned `undefined`.
    Undefined,
    /// It returned a function (or a regex), which has no JSON form.
    Unsupported,
    /// It threw; the JSONata message with its code (`T1006: ...`).
    Threw(String),
}

/// One compiled `{% ... %}` expression, with the field it sits in (for messages).
#[derive(Debug)]
pub struct Expression {
    text: String,
    field: String,
    ast: engine::Ast,
    names: Vec<String>,
    needs_context: bool,
    needs_states: bool,
}

/// Is this string a JSONata expression: exactly `{%`…`%}`, no surrounding whitespace
/// (conformance `arguments...test_base_cases[BASE_LAMBDA_LITERALS]`: `" {% … %} "` is a literal).
pub(crate) fn is_expression(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

impl Expression {
    /// Compiles the body of a `{% ... %}` string found in `field` (`Output/result`).
    pub(crate) fn compile(source: &str, field: &str) -> Result<Expression, String> {
        let body = source
            .strip_prefix("{%")
            .and_then(|s| s.strip_suffix("%}"))
            .unwrap_or(source);
        let text = body.trim().to_string();
        if text.is_empty() {
            return Err("the JSONata expression is empty".into());
        }
        let ast = engine::parse(&text)?;
        let names = referenced_names(&text);
        let needs_states = names.iter().any(|n| n == "states");
        // `$states.context` is built only when the text could reach it.
        let needs_context = needs_states && (text.contains("context") || !states_always_dotted(&text));
        Ok(Expression {
            field: field.to_string(),
            ast,
            names,
            needs_context,
            needs_states,
            text,
        })
    }

    /// The field it belongs to (`Output/FunctionResult`).
    pub(crate) fn field(&self) -> &str {
        &self.field
    }

    /// Evaluates to a JSON value.
    pub(crate) fn evaluate(&self, env: &dyn Environment) -> Result<Value, Failure> {
        engine::evaluate(self, env)
    }

    /// AWS's cause text for a failure of this expression (conformance
    /// `assign...test_undefined_reference[*]`, `intrinsic_functions...test_math_random_seeded`,
    /// `scenarios...test_map_state_items_eval_jsonata_fail[function]`).
    pub(crate) fn cause(&self, failure: &Failure) -> String {
        let head = format!(
            "The JSONata expression '{}' specified for the field '{}'",
            self.text, self.field
        );
        match failure {
            Failure::Undefined => format!("{head} returned nothing (undefined)."),
            Failure::Unsupported => format!("{head} returned an unsupported result type."),
            Failure::Threw(message) => format!("{head} threw an error during evaluation. {message}"),
        }
    }

    /// AWS's cause text for a result of the wrong JSON type (conformance
    /// `scenarios...test_map_state_items_eval_jsonata_fail[*]`).
    pub(crate) fn type_cause(&self, expected: &str, value: &Value) -> String {
        format!(
            "The JSONata expression '{}' specified for the field '{}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {}",
            self.text,
            self.field,
            type_name(value),
            serde_json::to_string(value).unwrap_or_default()
        )
    }
}

/// A JSONata value template (`Arguments`, `Output`, `Assign`, `Items`, ...): strings that
/// are `{% ... %}` are evaluated, objects and arrays are walked, everything else is copied.
#[derive(Debug)]
pub enum Template {
    /// A sub-tree with no expression inside.
    Const(Value),
    /// One expression.
    Expr(Box<Expression>),
    /// An object with an expression somewhere below.
    Object(Vec<(String, Template)>),
    /// An array with an expression somewhere below.
    Array(Vec<Template>),
}

/// A template compile error: the JSON pointer below the template's root and the message.
pub(crate) struct CompileError {
    pub(crate) pointer: String,
    pub(crate) message: String,
}

impl Template {
    /// Compiles `value` found at `field` (`Output`, `Assign/x`); errors carry the pointer
    /// suffix (`/x/0`) under the field.
    pub(crate) fn compile(value: &Value, field: &str) -> Result<Template, CompileError> {
        Self::compile_at(value, field, "")
    }

    fn compile_at(value: &Value, field: &str, pointer: &str) -> Result<Template, CompileError> {
        match value {
            Value::String(s) if is_expression(s) => Expression::compile(s, field)
                .map(|e| Template::Expr(Box::new(e)))
                .map_err(|message| CompileError {
                    pointer: pointer.to_string(),
                    message,
                }),
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                let mut dynamic = false;
                for (key, v) in map {
                    let inner = Self::compile_at(
                        v,
                        &format!("{field}/{key}"),
                        &format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")),
                    )?;
                    dynamic |= !matches!(inner, Template::Const(_));
                    fields.push((key.clone(), inner));
                }
                Ok(if dynamic {
                    Template::Object(fields)
                } else {
                    Template::Const(value.clone())
                })
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    out.push(Self::compile_at(v, &format!("{field}/{i}"), &format!("{pointer}/{i}"))?);
                }
                Ok(if out.iter().all(|t| matches!(t, Template::Const(_))) {
                    Template::Const(value.clone())
                } else {
                    Template::Array(out)
                })
            }
            other => Ok(Template::Const(other.clone())),
        }
    }

    /// The template's single expression, when it is one.
    pub(crate) fn expression(&self) -> Option<&Expression> {
        match self {
            Template::Expr(e) => Some(e),
            _ => None,
        }
    }

    /// Evaluates the template; a failure gives AWS's cause, naming the expression that failed.
    pub(crate) fn evaluate(&self, env: &dyn Environment) -> Result<Value, String> {
        match self {
            Template::Const(v) => Ok(v.clone()),
            Template::Expr(e) => e.evaluate(env).map_err(|f| e.cause(&f)),
            Template::Object(fields) => {
                let mut map = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    map.insert(k.clone(), t.evaluate(env)?);
                }
                Ok(Value::Object(map))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.evaluate(env))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }
}

/// The `$name`s an expression mentions: only those variables are converted and bound.
/// JSONata has no dynamic variable lookup (and `$eval` is unavailable), so this is complete;
/// names inside string literals or comments are bound too, which costs a conversion, never a
/// wrong result.
fn referenced_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        let len = after
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(after.len(), |(i, _)| i);
        let name = &after[..len];
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = &after[len..];
    }
    names
}

/// True when every `$states` in the text is followed by `.`: then `context` is reachable
/// only through a literal `.context`.
fn states_always_dotted(text: &str) -> bool {
    text.match_indices("$states").all(|(i, m)| {
        let rest = &text[i + m.len()..];
        rest.starts_with('.') && !rest.starts_with(".*") && !rest.starts_with(".(")
    })
}

#[cfg(all(test, feature = "jsonata"))]
mod tests {
    use super::*;
    use serde_json::json;

    struct Env {
        input: Value,
        variables: Map<String, Value>,
    }

    impl Environment for Env {
        fn input(&self) -> &Value {
            &self.input
        }
        fn result(&self) -> Option<&Value> {
            None
        }
        fn error_output(&self) -> Option<&Value> {
            None
        }
        fn context(&self) -> Value {
            json!({ "State": { "Name": "S" } })
        }
        fn variable(&self, name: &str) -> Option<&Value> {
            self.variables.get(name)
        }
        fn now_millis(&self) -> i64 {
            1_704_067_200_000
        }
        fn random(&self) -> u64 {
            42
        }
    }

    fn eval(expr: &str, input: Value) -> Result<Value, Failure> {
        let env = Env {
            input,
            variables: Map::from_iter([("v".to_string(), json!(5))]),
        };
        Expression::compile(expr, "Output").unwrap().evaluate(&env)
    }

    #[test]
    fn states_variables_and_numbers() {
        assert_eq!(eval("{% $states.input.a + $v %}", json!({"a": 2})), Ok(json!(7)));
        assert_eq!(eval("{% $states.context.State.Name %}", json!({})), Ok(json!("S")));
        assert_eq!(eval("{% $states.input.items %}", json!({"items": [0]})), Ok(json!([0])));
        assert_eq!(eval("{% 0.5 %}", json!({})), Ok(json!(0.5)));
        assert_eq!(eval("{% $nope %}", json!({})), Err(Failure::Undefined));
        assert_eq!(eval("{% function($x){$x} %}", json!({})), Err(Failure::Unsupported));
    }

    #[test]
    fn step_functions_functions() {
        assert_eq!(
            eval("{% $partition([0,1,2], 2) %}", json!({})),
            Ok(json!([[0, 1], [2]]))
        );
        assert_eq!(eval("{% $range(0, 10, 3) %}", json!({})), Ok(json!([0, 3, 6, 9])));
        assert_eq!(eval("{% $range(5, 1, -2) %}", json!({})), Ok(json!([5, 3, 1])));
        assert_eq!(
            eval("{% $hash('abc', 'SHA-256') %}", json!({})),
            Ok(json!(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
        assert_eq!(
            eval("{% $hash('abc', 'MD5') %}", json!({})),
            Ok(json!("900150983cd24fb0d6963f7d28e17f72"))
        );
        assert_eq!(eval("{% $parse('{\"a\": [1]}') %}", json!({})), Ok(json!({"a": [1]})));
        assert_eq!(eval("{% $random(7) = $random(7) %}", json!({})), Ok(json!(true)));
        assert_eq!(eval("{% $length($uuid()) %}", json!({})), Ok(json!(36)));
        assert_eq!(eval("{% $millis() %}", json!({})), Ok(json!(1_704_067_200_000_i64)));
        assert_eq!(eval("{% $now() %}", json!({})), Ok(json!("2024-01-01T00:00:00.000Z")));
        assert_eq!(
            eval("{% $eval('1') %}", json!({})),
            Err(Failure::Threw("T1006: Attempted to invoke a non-function".into()))
        );
        assert_eq!(
            eval("{% $randomSeeded(1) %}", json!({})),
            Err(Failure::Threw("T1006: Attempted to invoke a non-function".into()))
        );
    }

    #[test]
    fn deep_recursion_is_an_error_not_a_crash() {
        let deep = "{% ( $f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000) ) %}";
        assert!(matches!(eval(deep, json!({})), Err(Failure::Threw(_))));
        let ok = "{% ( $f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(500) ) %}";
        assert_eq!(eval(ok, json!({})), Ok(json!(500)));
    }

    #[test]
    fn names_and_expression_strings() {
        assert_eq!(
            referenced_names("$a + $states.x & '$in_text' & $b_1 + $a"),
            vec!["a", "states", "in_text", "b_1"]
        );
        assert!(is_expression("{% 1 %}"));
        assert!(!is_expression(" {% 1 %} "));
        assert!(Expression::compile("{% 1 + %}", "Output").is_err());
    }
}

#[cfg(all(test, not(feature = "jsonata")))]
mod without_the_feature {
    use serde_json::json;

    #[test]
    fn a_jsonata_expression_is_an_error_naming_the_feature() {
        let definition = json!({
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": { "P": { "Type": "Pass", "Output": "{% $states.input %}", "End": true } }
        });
        let err = crate::StateMachine::from_definition(definition)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`jsonata` feature"), "{err}");
        assert!(err.contains("/States/P/Output"), "{err}");
        // JSONata states without expressions need no engine.
        let constant = json!({
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": { "P": { "Type": "Pass", "Output": { "a": 1 }, "End": true } }
        });
        let sm = crate::StateMachine::from_definition(constant).unwrap();
        let run = sm.scenario().run().unwrap();
        assert_eq!(run.output(), Some(&json!({ "a": 1 })));
    }
}
