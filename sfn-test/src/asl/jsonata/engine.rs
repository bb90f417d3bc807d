//! The `jsonata-core` side of [`super`]: parsing, evaluation with Step Functions' bindings and
//! functions, and the conversions between serde and JSONata values.

use std::cell::Cell;
use std::rc::Rc;

use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::parser;
use jsonata_core::value::JValue;
use serde::Deserialize;
use serde::de::value::MapDeserializer;
use serde_json::{Map, Value};

use super::{Environment, Expression, Failure};

pub(super) type Ast = jsonata_core::ast::AstNode;

pub(super) fn parse(text: &str) -> Result<Ast, String> {
    std::panic::catch_unwind(|| parser::parse(text))
        .map_err(|_| "the JSONata parser failed on this expression".to_string())?
        .map_err(|e| e.display_message())
}

/// Evaluates to a JSON value.
pub(super) fn evaluate(expression: &Expression, env: &dyn Environment) -> Result<Value, Failure> {
    let value = evaluate_raw(expression, env)?;
    if value.is_undefined() {
        return Err(Failure::Undefined);
    }
    to_json(&value)
}

fn evaluate_raw(expression: &Expression, env: &dyn Environment) -> Result<JValue, Failure> {
    let mut context = Context::new();
    for name in &expression.names {
        if name == "states" {
            continue;
        }
        if let Some(v) = env.variable(name) {
            context.bind(name.clone(), to_jvalue(v));
        }
    }
    if expression.needs_states {
        let context_object = if expression.needs_context {
            Some(env.context())
        } else {
            None
        };
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
    register_functions(&mut evaluator, env, &expression.text).map_err(|e| Failure::Threw(e.message().to_string()))?;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        evaluator.evaluate(&expression.ast, &JValue::Undefined)
    }));
    match outcome {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Failure::Threw(aws_message(e.message()))),
        Err(_) => Err(Failure::Threw("the JSONata evaluator failed on this expression".into())),
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
