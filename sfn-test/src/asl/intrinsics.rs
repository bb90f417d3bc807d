//! The 18 intrinsic functions of the JSONPath query language (`States.Format`, ...), as one
//! table of (name, arity, function), and the parser for calls such as
//! `States.Format('Hello {}', $.name)`. A call is compiled once per definition; evaluation is a
//! plain function of the scope and a random source.

use std::fmt;

use base64::Engine as _;
use md5::Digest as _;
use serde_json::{Map, Number, Value};

use super::path::{JsonPath, PathScope};
use crate::json::type_name as kind;

/// A call that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntrinsicParseError(String);

impl fmt::Display for IntrinsicParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IntrinsicParseError {}

/// A call that failed while running: `States.IntrinsicFailure` (bad arguments) or
/// `States.Runtime` (a path argument that matches nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntrinsicError {
    runtime: bool,
    cause: String,
}

impl IntrinsicError {
    fn failure(cause: impl Into<String>) -> Self {
        IntrinsicError {
            runtime: false,
            cause: cause.into(),
        }
    }

    /// The AWS error name.
    pub fn error_name(&self) -> &'static str {
        if self.runtime {
            "States.Runtime"
        } else {
            "States.IntrinsicFailure"
        }
    }

    /// The cause text.
    pub fn cause(&self) -> String {
        self.cause.clone()
    }
}

type Function = fn(&str, &[Value], &mut dyn FnMut() -> u64) -> Result<Value, String>;

/// (name, least arguments, most arguments, function).
const FUNCTIONS: &[(&str, usize, usize, Function)] = &[
    ("States.Format", 1, usize::MAX, format),
    ("States.StringToJson", 1, 1, string_to_json),
    ("States.JsonToString", 1, 1, json_to_string),
    ("States.Array", 0, usize::MAX, array),
    ("States.ArrayPartition", 2, 2, array_partition),
    ("States.ArrayContains", 2, 2, array_contains),
    ("States.ArrayRange", 3, 3, array_range),
    ("States.ArrayGetItem", 2, 2, array_get_item),
    ("States.ArrayLength", 1, 1, array_length),
    ("States.ArrayUnique", 1, 1, array_unique),
    ("States.Base64Encode", 1, 1, base64_encode),
    ("States.Base64Decode", 1, 1, base64_decode),
    ("States.Hash", 2, 2, hash),
    ("States.JsonMerge", 3, 3, json_merge),
    ("States.MathRandom", 2, 3, math_random),
    ("States.MathAdd", 2, 2, math_add),
    ("States.StringSplit", 2, 2, string_split),
    ("States.UUID", 0, 0, uuid),
];

/// One argument of a call.
#[derive(Debug)]
enum Arg {
    Literal(Value),
    Path(JsonPath, String),
    Call(Intrinsic),
}

/// A compiled intrinsic function call.
#[derive(Debug)]
pub struct Intrinsic {
    name: &'static str,
    function: Function,
    args: Vec<Arg>,
}

impl Intrinsic {
    /// Compiles a call.
    ///
    /// # Errors
    /// When the text is not a call of a known function with the right number of arguments.
    pub fn parse(text: &str) -> Result<Intrinsic, IntrinsicParseError> {
        let mut p = CallParser {
            text,
            chars: text.chars().collect(),
            at: 0,
        };
        let call = p.call()?;
        p.skip_ws();
        if p.at < p.chars.len() {
            return Err(p.err("unexpected text after the closing ')'"));
        }
        Ok(call)
    }

    /// The function's name (`States.Format`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the call.
    ///
    /// # Errors
    /// `States.IntrinsicFailure` for arguments the function refuses; `States.Runtime` when a
    /// path argument matches nothing.
    pub fn eval<S: PathScope + ?Sized>(
        &self,
        scope: &S,
        rng: &mut dyn FnMut() -> u64,
    ) -> Result<Value, IntrinsicError> {
        // Most calls have a few arguments: evaluated into an array, without an allocation.
        const FEW: usize = 4;
        if self.args.len() <= FEW {
            let mut values: [Value; FEW] = Default::default();
            for (slot, arg) in values.iter_mut().zip(&self.args) {
                *slot = self.arg(arg, scope, rng)?;
            }
            return (self.function)(self.name, &values[..self.args.len()], rng).map_err(IntrinsicError::failure);
        }
        let mut values = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            values.push(self.arg(arg, scope, rng)?);
        }
        (self.function)(self.name, &values, rng).map_err(IntrinsicError::failure)
    }

    /// The value of one argument.
    fn arg<S: PathScope + ?Sized>(
        &self,
        arg: &Arg,
        scope: &S,
        rng: &mut dyn FnMut() -> u64,
    ) -> Result<Value, IntrinsicError> {
        Ok(match arg {
            Arg::Literal(v) => v.clone(),
            Arg::Call(call) => call.eval(scope, rng)?,
            Arg::Path(path, text) => path.select(scope).ok_or_else(|| IntrinsicError {
                runtime: true,
                cause: format!(
                    "The JsonPath argument for the field '{text}' could not be found in the input of {}",
                    self.name
                ),
            })?,
        })
    }
}

struct CallParser<'t> {
    text: &'t str,
    chars: Vec<char>,
    at: usize,
}

impl CallParser<'_> {
    fn err(&self, why: &str) -> IntrinsicParseError {
        IntrinsicParseError(format!(
            "'{}' is not a valid intrinsic function call: {why} (at character {})",
            self.text,
            self.at + 1
        ))
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn call(&mut self) -> Result<Intrinsic, IntrinsicParseError> {
        self.skip_ws();
        let start = self.at;
        while self
            .chars
            .get(self.at)
            .is_some_and(|c| c.is_alphanumeric() || *c == '.')
        {
            self.at += 1;
        }
        let name: String = self.chars[start..self.at].iter().collect();
        let Some(&(fname, min, max, function)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
            let known: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
            return Err(IntrinsicParseError(format!(
                "'{}' is not a valid intrinsic function call: unknown function '{name}'; the functions are {}",
                self.text,
                known.join(", ")
            )));
        };
        self.skip_ws();
        if self.chars.get(self.at) != Some(&'(') {
            return Err(self.err(&format!("'{name}' must be followed by '('")));
        }
        self.at += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.chars.get(self.at) == Some(&')') {
            self.at += 1;
        } else {
            loop {
                args.push(self.arg()?);
                self.skip_ws();
                match self.chars.get(self.at) {
                    Some(',') => self.at += 1,
                    Some(')') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ')' after an argument")),
                }
            }
        }
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(IntrinsicParseError(format!(
                "'{}' is not a valid intrinsic function call: {fname} takes {expected} argument(s), found {}",
                self.text,
                args.len()
            )));
        }
        Ok(Intrinsic {
            name: fname,
            function,
            args,
        })
    }

    fn arg(&mut self) -> Result<Arg, IntrinsicParseError> {
        self.skip_ws();
        match self.chars.get(self.at) {
            Some('\'') => self.string().map(|s| Arg::Literal(Value::String(s))),
            Some('$') => {
                let start = self.at;
                let mut depth = 0usize;
                let mut quote = false;
                while let Some(&c) = self.chars.get(self.at) {
                    if quote {
                        if c == '\\' {
                            self.at += 1;
                        } else if c == '\'' {
                            quote = false;
                        }
                    } else {
                        match c {
                            '\'' => quote = true,
                            '[' | '(' => depth += 1,
                            ']' => depth = depth.saturating_sub(1),
                            ')' if depth == 0 => break,
                            ')' => depth -= 1,
                            ',' if depth == 0 => break,
                            _ => {}
                        }
                    }
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at]
                    .iter()
                    .collect::<String>()
                    .trim_end()
                    .to_string();
                let path = JsonPath::parse(&text).map_err(|e| {
                    IntrinsicParseError(format!("'{}' is not a valid intrinsic function call: {e}", self.text))
                })?;
                Ok(Arg::Path(path, text))
            }
            Some(c) if c.is_ascii_digit() || *c == '-' => {
                let start = self.at;
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                match serde_json::from_str::<Number>(&text) {
                    Ok(n) => Ok(Arg::Literal(Value::Number(n))),
                    Err(_) => Err(self.err(&format!("'{text}' is not a number"))),
                }
            }
            Some(c) if c.is_alphabetic() => {
                let start = self.at;
                while self.chars.get(self.at).is_some_and(|c| c.is_alphanumeric()) {
                    self.at += 1;
                }
                let word: String = self.chars[start..self.at].iter().collect();
                match word.as_str() {
                    "true" => Ok(Arg::Literal(Value::Bool(true))),
                    "false" => Ok(Arg::Literal(Value::Bool(false))),
                    "null" => Ok(Arg::Literal(Value::Null)),
                    _ => {
                        self.at = start;
                        self.call().map(Arg::Call)
                    }
                }
            }
            _ => {
                Err(self
                    .err("expected an argument: a 'string', a number, true, false, null, a path or a States.* call"))
            }
        }
    }

    /// A single-quoted string; `\'`, `\{`, `\}` and `\\` are escapes.
    fn string(&mut self) -> Result<String, IntrinsicParseError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.at) {
                None => return Err(self.err("a string is not closed with '")),
                Some('\'') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    match self.chars.get(self.at + 1) {
                        Some(&c @ ('\'' | '\\')) => out.push(c),
                        // Kept escaped so States.Format can tell a literal brace from a placeholder.
                        Some(&c @ ('{' | '}')) => {
                            out.push('\\');
                            out.push(c);
                        }
                        Some(&c) => {
                            out.push('\\');
                            out.push(c);
                        }
                        None => return Err(self.err("a string ends with a lone '\\'")),
                    }
                    self.at += 2;
                }
                Some(&c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }
}

fn want_str<'a>(name: &str, v: &'a Value, what: &str) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{name}: the {what} must be a string, found {} {v}", kind(v)))
}

fn want_array<'a>(name: &str, v: &'a Value, what: &str) -> Result<&'a Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| format!("{name}: the {what} must be an array, found {} {v}", kind(v)))
}

fn want_int(name: &str, v: &Value, what: &str) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| format!("{name}: the {what} must be an integer, found {n}")),
        other => Err(format!(
            "{name}: the {what} must be an integer, found {} {other}",
            kind(other)
        )),
    }
}

/// How `States.Format` prints a value: strings bare, objects and arrays in the `{k=v, ...}` /
/// `[a, b]` form AWS uses (conformance `intrinsic_functions...test_format_2@exec_hist_resp_7`).
fn display(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                display(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                display(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn format(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let template = want_str(name, &args[0], "first argument (the template)")?;
    let mut out = String::with_capacity(template.len());
    let mut rest = args[1..].iter();
    let mut used = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('{' | '}' | '\\')) => out.extend(chars.next()),
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let Some(v) = rest.next() else {
                    return Err(format!(
                        "{name}: the template has more '{{}}' placeholders than the {} argument(s) given",
                        args.len() - 1
                    ));
                };
                used += 1;
                display(v, &mut out);
            }
            c => out.push(c),
        }
    }
    if used != args.len() - 1 {
        return Err(format!(
            "{name}: the template has {used} '{{}}' placeholder(s) but {} argument(s) were given",
            args.len() - 1
        ));
    }
    Ok(Value::String(out))
}

fn string_to_json(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let text = want_str(name, &args[0], "argument")?;
    // An empty (or blank) string gives null (conformance `...test_string_to_json@exec_hist_resp_0`).
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("{name}: the argument is not valid JSON: {e}"))?;
    // Java's parser reads `-0` as the integer 0 (conformance `...test_string_to_json@exec_hist_resp_3`).
    Ok(match v {
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => Value::from(0),
        Value::Number(n) if n.as_i64() == Some(0) => Value::from(0),
        other => other,
    })
}

fn json_to_string(_: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    Ok(Value::String(serde_json::to_string(&args[0]).unwrap_or_default()))
}

fn array(_: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    Ok(Value::Array(args.to_vec()))
}

fn array_partition(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let items = want_array(name, &args[0], "first argument")?;
    let size = want_int(name, &args[1], "chunk size")?;
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("{name}: the chunk size must be greater than 0, found {size}"))?;
    Ok(Value::Array(
        items.chunks(size).map(|c| Value::Array(c.to_vec())).collect(),
    ))
}

fn array_contains(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let items = want_array(name, &args[0], "first argument")?;
    Ok(Value::Bool(items.iter().any(|i| crate::json::json_equal(i, &args[1]))))
}

/// At most this many elements (AWS's limit for States.ArrayRange).
const RANGE_LIMIT: i64 = 1000;

fn array_range(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let start = want_int(name, &args[0], "start")?;
    let end = want_int(name, &args[1], "end")?;
    let step = want_int(name, &args[2], "step")?;
    if step == 0 {
        return Err(format!("{name}: the step must not be 0"));
    }
    let count = if (step > 0 && end < start) || (step < 0 && end > start) {
        0
    } else {
        (end - start) / step + 1
    };
    if count > RANGE_LIMIT {
        return Err(format!(
            "{name}: the range has {count} elements, more than the limit of {RANGE_LIMIT}"
        ));
    }
    Ok(Value::Array(
        (0..count).map(|i| Value::from(start + i * step)).collect(),
    ))
}

fn array_get_item(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let items = want_array(name, &args[0], "first argument")?;
    let index = want_int(name, &args[1], "index")?;
    usize::try_from(index)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .ok_or_else(|| format!("{name}: index {index} is out of bounds of an array of {}", items.len()))
}

fn array_length(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    Ok(Value::from(want_array(name, &args[0], "argument")?.len()))
}

fn array_unique(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let items = want_array(name, &args[0], "argument")?;
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        if !out.iter().any(|o| crate::json::json_equal(o, item)) {
            out.push(item.clone());
        }
    }
    Ok(Value::Array(out))
}

/// The longest input the Base64 functions accept.
const BASE64_LIMIT: usize = 10_000;

fn base64_encode(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let text = want_str(name, &args[0], "argument")?;
    if text.len() > BASE64_LIMIT {
        return Err(format!("{name}: the input is longer than {BASE64_LIMIT} characters"));
    }
    Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(text)))
}

fn base64_decode(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let text = want_str(name, &args[0], "argument")?;
    if text.len() > BASE64_LIMIT {
        return Err(format!("{name}: the input is longer than {BASE64_LIMIT} characters"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("{name}: the argument is not Base64: {e}"))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| format!("{name}: the decoded data is not UTF-8 text"))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn hash(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let data = match &args[0] {
        Value::String(s) => s.clone(),
        Value::Null => return Err(format!("{name}: the data to hash must not be null")),
        other => other.to_string(),
    };
    let algorithm = want_str(name, &args[1], "algorithm")?;
    let bytes = data.as_bytes();
    let digest = match algorithm {
        "MD5" => hex(&md5::Md5::digest(bytes)),
        "SHA-1" => hex(&sha1::Sha1::digest(bytes)),
        "SHA-256" => hex(&sha2::Sha256::digest(bytes)),
        "SHA-384" => hex(&sha2::Sha384::digest(bytes)),
        "SHA-512" => hex(&sha2::Sha512::digest(bytes)),
        other => {
            return Err(format!(
                "{name}: unknown algorithm '{other}'; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
            ));
        }
    };
    Ok(Value::String(digest))
}

fn json_merge(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let (Value::Object(a), Value::Object(b)) = (&args[0], &args[1]) else {
        return Err(format!(
            "{name}: both values to merge must be objects, found {} and {}",
            kind(&args[0]),
            kind(&args[1])
        ));
    };
    match &args[2] {
        Value::Bool(false) => {}
        // Step Functions supports only the shallow mode (the AWS intrinsic functions reference).
        Value::Bool(true) => {
            return Err(format!(
                "{name}: deep merging is not supported; pass false as the third argument"
            ));
        }
        other => {
            return Err(format!(
                "{name}: the third argument must be the boolean false, found {other}"
            ));
        }
    }
    let mut out: Map<String, Value> = a.clone();
    for (k, v) in b {
        out.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(out))
}

fn math_random(name: &str, args: &[Value], rng: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let start = want_int(name, &args[0], "start")?;
    let end = want_int(name, &args[1], "end")?;
    if end <= start {
        return Err(format!(
            "{name}: the end ({end}) must be greater than the start ({start})"
        ));
    }
    let draw = match args.get(2) {
        Some(seed) => {
            let seed = want_int(name, seed, "seed")?;
            crate::random::first(seed as u64)
        }
        None => rng(),
    };
    let span = (end - start) as u64;
    Ok(Value::from(start + (draw % span) as i64))
}

/// Java's `Math.round`: halves go up (conformance `...test_math_add@exec_hist_resp_10`: -1.5 → -1).
fn round(name: &str, v: &Value, what: &str) -> Result<i64, String> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(i),
            None => Ok((n.as_f64().unwrap_or(0.0) + 0.5).floor() as i64),
        },
        other => Err(format!(
            "{name}: the {what} must be a number, found {} {other}",
            kind(other)
        )),
    }
}

fn math_add(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let a = round(name, &args[0], "first argument")?;
    let b = round(name, &args[1], "second argument")?;
    let range = i64::from(i32::MIN)..=i64::from(i32::MAX);
    if !range.contains(&a) || !range.contains(&b) {
        return Err(format!(
            "{name}: the arguments must be between {} and {}",
            i32::MIN,
            i32::MAX
        ));
    }
    Ok(Value::from(a + b))
}

/// Splits on any of the delimiter's characters and drops empty pieces, as AWS does
/// (conformance `...test_string_split@exec_hist_resp_2` and `_6`).
fn string_split(name: &str, args: &[Value], _: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let text = want_str(name, &args[0], "first argument")?;
    let delimiters = want_str(name, &args[1], "delimiter")?;
    let parts = text
        .split(|c| delimiters.contains(c))
        .filter(|p| !p.is_empty())
        .map(|p| Value::String(p.to_string()))
        .collect();
    Ok(Value::Array(parts))
}

fn uuid(_: &str, _: &[Value], rng: &mut dyn FnMut() -> u64) -> Result<Value, String> {
    let (a, b) = (rng(), rng());
    Ok(Value::String(crate::random::uuid(a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct S(Value);
    impl PathScope for S {
        fn input(&self) -> &Value {
            &self.0
        }
        fn context(&self) -> &Value {
            &self.0
        }
        fn variable(&self, _: &str) -> Option<&Value> {
            None
        }
    }

    fn run(text: &str, input: Value) -> Result<Value, IntrinsicError> {
        let mut n = 0u64;
        let mut rng = move || {
            n += 1;
            n
        };
        Intrinsic::parse(text).unwrap().eval(&S(input), &mut rng)
    }

    #[test]
    fn every_function_is_in_the_table() {
        assert_eq!(FUNCTIONS.len(), 18);
    }

    #[test]
    fn format_prints_like_aws() {
        let v = run(
            "States.Format('a={} b={} \\{\\}', $.a, $.b)",
            json!({ "a": { "x": 1, "y": [] }, "b": null }),
        )
        .unwrap();
        assert_eq!(v, json!("a={x=1, y=[]} b=null {}"));
        assert!(run("States.Format('{}')", json!({})).is_err());
    }

    #[test]
    fn nested_calls_and_literals() {
        let v = run(
            "States.ArrayGetItem(States.StringSplit('a-b-c', '-'), States.MathAdd(1, -1))",
            json!({}),
        )
        .unwrap();
        assert_eq!(v, json!("a"));
        assert_eq!(run("States.MathAdd(-1.5, 0)", json!({})).unwrap(), json!(-1));
        assert_eq!(
            run("States.ArrayRange(0, 10, 3)", json!({})).unwrap(),
            json!([0, 3, 6, 9])
        );
        assert_eq!(
            run("States.StringSplit(', , ,', ',')", json!({})).unwrap(),
            json!([" ", " "])
        );
    }

    #[test]
    fn few_and_many_arguments_keep_their_order() {
        // Up to four arguments are evaluated into an array, more into a vector.
        let input = json!({ "a": 1, "b": [2] });
        assert_eq!(
            run("States.Array($.a, 'x', $.b)", input.clone()).unwrap(),
            json!([1, "x", [2]])
        );
        assert_eq!(
            run("States.Array($.a, 2, 3, 4, 'five', $.b)", input.clone()).unwrap(),
            json!([1, 2, 3, 4, "five", [2]])
        );
        assert_eq!(
            run("States.Format('{}{}{}{}{}', 1, 2, 3, $.a, 5)", input.clone()).unwrap(),
            json!("12315")
        );
        for text in ["States.Array(1, $.missing)", "States.Array(1, 2, 3, 4, 5, $.missing)"] {
            let e = run(text, input.clone()).unwrap_err();
            assert_eq!(e.error_name(), "States.Runtime", "{text}");
            assert!(e.cause().contains("$.missing"), "{text}: {}", e.cause());
        }
    }

    #[test]
    fn failures_name_the_function() {
        let e = run("States.ArrayPartition($.a, 0)", json!({ "a": [1] })).unwrap_err();
        assert_eq!(e.error_name(), "States.IntrinsicFailure");
        assert!(e.cause().contains("States.ArrayPartition"));
        assert!(Intrinsic::parse("States.Nope(1)").is_err());
        assert!(Intrinsic::parse("States.UUID(1)").is_err());
    }
}
