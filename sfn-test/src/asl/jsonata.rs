//! The JSONata query language, behind one module so the engine can be replaced: `{% ... %}`
//! expressions are compiled once per definition (with `jsonata-core`) and evaluated with
//! Step Functions' bindings: `$states` (`input`, `result`, `errorOutput`, `context`), workflow
//! variables as `$name`, and the functions Step Functions adds (`$partition`, `$range`,
//! `$hash`, `$random`, `$uuid`, `$parse`; no `$eval`). Time (`$now`, `$millis`) and
//! randomness (`$random`, `$uuid`, `$shuffle`) come from the engine, so runs are
//! deterministic (AWS docs, "Transforming data with JSONata in Step Functions").

use std::cell::Cell;
use std::rc::Rc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::parser;
use jsonata_core::value::JValue;
use serde::Deserialize;
use serde::de::value::MapDeserializer;
use serde_json::{Map, Value};

use crate::json::type_name;

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
    ast: AstNode,
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
        let ast = std::panic::catch_unwind(|| parser::parse(&text))
            .map_err(|_| "the JSONata parser failed on this expression".to_string())?
            .map_err(|e| e.display_message())?;
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
        let value = self.evaluate_raw(env)?;
        if value.is_undefined() {
            return Err(Failure::Undefined);
        }
        to_json(&value)
    }

    fn evaluate_raw(&self, env: &dyn Environment) -> Result<JValue, Failure> {
        let mut context = Context::new();
        for name in &self.names {
            if name == "states" {
                continue;
            }
            if let Some(v) = env.variable(name) {
                context.bind(name.clone(), to_jvalue(v));
            }
        }
        if self.needs_states {
            let context_object = if self.needs_context { Some(env.context()) } else { None };
            let mut states: Vec<(&str, &Value)> = vec![("input", env.input())];
            states.extend(env.result().map(|r| ("result", r)));
            states.extend(env.error_output().map(|e| ("errorOutput", e)));
            states.extend(context_object.as_ref().map(|c| ("context", c)));
            // Straight into JSONata values, without copying the JSON first.
            let states = JValue::deserialize(MapDeserializer::<_, serde_json::Error>::new(states.into_iter()))
                .unwrap_or(JValue::Null);
            context.bind("states".into(), states);
        }
        let options = EvaluatorOptions {
            // A guard against runaway recursion only (JSONata has tail calls, so a loop
            // need not grow the stack); never reached by a terminating expression.
            timeout_ms: Some(10_000),
            ..EvaluatorOptions::default()
        };
        let mut evaluator = Evaluator::with_options(context, options);
        register_functions(&mut evaluator, env, &self.text).map_err(|e| Failure::Threw(e.message().to_string()))?;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            evaluator.evaluate(&self.ast, &JValue::Undefined)
        }));
        match outcome {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Failure::Threw(aws_message(e.message()))),
            Err(_) => Err(Failure::Threw("the JSONata evaluator failed on this expression".into())),
        }
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

/// jsonata-js (which AWS runs) words T1006 without the function's name; jsonata-core appends
/// it (conformance `intrinsic_functions...test_math_random_seeded`).
fn aws_message(message: &str) -> String {
    const T1006: &str = "T1006: Attempted to invoke a non-function";
    if message.starts_with(T1006) {
        T1006.to_string()
    } else {
        message.to_string()
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

/// serde → JSONata without an intermediate copy.
fn to_jvalue(value: &Value) -> JValue {
    JValue::deserialize(value).unwrap_or(JValue::Null)
}

/// JSONata → serde: integral numbers become JSON integers (JSONata has only doubles), and a
/// function anywhere has no JSON form.
fn to_json(value: &JValue) -> Result<Value, Failure> {
    Ok(match value {
        JValue::Null | JValue::Undefined => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                if !item.is_undefined() {
                    out.push(to_json(item)?);
                }
            }
            Value::Array(out)
        }
        JValue::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map.iter() {
                if !v.is_undefined() {
                    out.insert(k.clone(), to_json(v)?);
                }
            }
            Value::Object(out)
        }
        _ => return Err(Failure::Unsupported),
    })
}

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

type HostFn = fn(&[JValue], &Host) -> Result<JValue, EvaluatorError>;

/// What the Step Functions functions draw on during one evaluation.
struct Host {
    rng: Cell<u64>,
    now: i64,
}

impl Host {
    fn next(&self) -> u64 {
        crate::random::next(&self.rng)
    }
}

/// The functions Step Functions adds or replaces, one row each: (name, overrides a JSONata
/// built-in, implementation). AWS docs, "JSONata functions provided by Step Functions";
/// `$now`/`$millis`/`$shuffle` are replaced so that time and randomness stay deterministic.
const FUNCTIONS: &[(&str, bool, HostFn)] = &[
    ("partition", false, partition),
    ("range", false, range),
    ("hash", false, hash),
    ("random", true, random),
    ("uuid", false, uuid),
    ("parse", false, parse_json),
    ("eval", true, eval_unavailable),
    ("now", true, now),
    ("millis", true, millis),
    ("shuffle", true, shuffle),
];

fn register_functions(evaluator: &mut Evaluator, env: &dyn Environment, text: &str) -> Result<(), EvaluatorError> {
    let needs_rng = ["$random", "$uuid", "$shuffle"].iter().any(|f| text.contains(f));
    let host = Rc::new(Host {
        rng: Cell::new(if needs_rng { env.random() } else { 0 }),
        now: env.now_millis(),
    });
    for (name, overrides, f) in FUNCTIONS {
        if !text.contains(&format!("${name}")) {
            continue;
        }
        let host = Rc::clone(&host);
        let f = *f;
        let call = move |args: &[JValue]| f(args, &host);
        if *overrides {
            evaluator.register_fn_override(*name, call)?;
        } else {
            evaluator.register_fn(*name, call)?;
        }
    }
    Ok(())
}

fn error(message: impl Into<String>) -> EvaluatorError {
    EvaluatorError::EvaluationError(message.into())
}

fn arg(args: &[JValue], i: usize) -> &JValue {
    args.get(i).unwrap_or(&JValue::Undefined)
}

fn integer(value: &JValue, what: &str, function: &str) -> Result<i64, EvaluatorError> {
    match value.as_f64() {
        #[allow(clippy::cast_possible_truncation)]
        Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(n as i64),
        _ => Err(error(format!("${function}: the {what} must be an integer"))),
    }
}

/// `$partition(array, size)`: chunks of `size` items, the last one shorter (like
/// `States.ArrayPartition`; conformance `intrinsic_functions.test_array_jsonata...test_array_partition*`).
fn partition(args: &[JValue], _: &Host) -> Result<JValue, EvaluatorError> {
    let items: Vec<JValue> = match arg(args, 0) {
        JValue::Array(a) => a.iter().cloned().collect(),
        JValue::Undefined => return Err(error("$partition: the first argument must be an array")),
        other => vec![other.clone()],
    };
    let size = integer(arg(args, 1), "chunk size", "partition")?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| error("$partition: the chunk size must be a positive integer"))?;
    let chunks = items.chunks(size).map(|c| JValue::array(c.to_vec())).collect();
    Ok(JValue::array(chunks))
}

/// `$range(start, end, step)`: from `start` to `end` inclusive (like `States.ArrayRange`;
/// conformance `intrinsic_functions.test_array_jsonata...test_array_range*`).
fn range(args: &[JValue], _: &Host) -> Result<JValue, EvaluatorError> {
    const MAX_ITEMS: i64 = 1_000_000;
    let start = integer(arg(args, 0), "start", "range")?;
    let end = integer(arg(args, 1), "end", "range")?;
    let step = integer(arg(args, 2), "step", "range")?;
    if step == 0 {
        return Err(error("$range: the step must not be 0"));
    }
    let count = if (end - start).signum() * step.signum() < 0 {
        0
    } else {
        (end - start) / step + 1
    };
    if count > MAX_ITEMS {
        return Err(error(format!("$range: the range has more than {MAX_ITEMS} items")));
    }
    let mut out = Vec::new();
    let mut v = start;
    for _ in 0..count {
        out.push(JValue::from(v));
        v += step;
    }
    Ok(JValue::array(out))
}

/// `$hash(data, algorithm)`: hex digest; MD5, SHA-1, SHA-256, SHA-384, SHA-512 (like
/// `States.Hash`).
fn hash(args: &[JValue], _: &Host) -> Result<JValue, EvaluatorError> {
    use sha2::Digest;
    let Some(data) = arg(args, 0).as_str() else {
        return Err(error("$hash: the data to hash must be a string"));
    };
    let algorithm = arg(args, 1).as_str().unwrap_or("");
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(error(format!(
                "$hash: unsupported algorithm '{other}'; one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            )));
        }
    };
    Ok(JValue::from(
        digest.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

/// `$random([seed])`: a number in [0, 1); with a seed, the same number for the same seed.
fn random(args: &[JValue], host: &Host) -> Result<JValue, EvaluatorError> {
    let bits = match arg(args, 0) {
        JValue::Undefined => host.next(),
        seed => {
            let seed = integer(seed, "seed", "random")?;
            #[allow(clippy::cast_sign_loss)]
            crate::random::first(seed as u64)
        }
    };
    #[allow(clippy::cast_precision_loss)]
    Ok(JValue::from((bits >> 11) as f64 / (1u64 << 53) as f64))
}

/// `$uuid()`: a version 4 UUID from the seeded generator.
fn uuid(_: &[JValue], host: &Host) -> Result<JValue, EvaluatorError> {
    let (a, b) = (host.next(), host.next());
    Ok(JValue::from(crate::random::uuid(a, b)))
}

/// `$parse(text)`: JSON text to a value (Step Functions' replacement for `$eval`).
fn parse_json(args: &[JValue], _: &Host) -> Result<JValue, EvaluatorError> {
    let Some(text) = arg(args, 0).as_str() else {
        return Err(error("$parse: the argument must be a string"));
    };
    serde_json::from_str::<Value>(text)
        .map(JValue::from)
        .map_err(|e| error(format!("$parse: the string is not valid JSON: {e}")))
}

/// `$eval` is not available in Step Functions: calling it is calling a non-function.
fn eval_unavailable(_: &[JValue], _: &Host) -> Result<JValue, EvaluatorError> {
    Err(EvaluatorError::ReferenceError(
        "T1006: Attempted to invoke a non-function".into(),
    ))
}

/// `$now([picture [, timezone]])` on the virtual clock, via `$fromMillis`.
fn now(args: &[JValue], host: &Host) -> Result<JValue, EvaluatorError> {
    let mut context = Context::new();
    context.bind("ms".into(), JValue::from(host.now));
    let call = match args.len() {
        0 => "$fromMillis($ms)",
        1 => {
            context.bind("p".into(), args[0].clone());
            "$fromMillis($ms, $p)"
        }
        _ => {
            context.bind("p".into(), args[0].clone());
            context.bind("t".into(), args[1].clone());
            "$fromMillis($ms, $p, $t)"
        }
    };
    let ast = parser::parse(call).map_err(|e| error(e.display_message()))?;
    Evaluator::with_context(context).evaluate(&ast, &JValue::Undefined)
}

/// `$millis()` on the virtual clock.
fn millis(_: &[JValue], host: &Host) -> Result<JValue, EvaluatorError> {
    Ok(JValue::from(host.now))
}

/// `$shuffle(array)` with the seeded generator.
fn shuffle(args: &[JValue], host: &Host) -> Result<JValue, EvaluatorError> {
    let mut items: Vec<JValue> = match arg(args, 0) {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(a) => a.iter().cloned().collect(),
        other => vec![other.clone()],
    };
    for i in (1..items.len()).rev() {
        #[allow(clippy::cast_possible_truncation)]
        let j = (host.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    Ok(JValue::array(items))
}

#[cfg(test)]
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
