//! JSONPath as Step Functions reads it, compiled once per definition.
//!
//! A path starts at one of three roots: `$` (the state's input), `$$` (the context object) or
//! `$name` (a workflow variable). Definite paths (names and single indices only) are walked
//! directly; indefinite ones (`*`, `..`, slices, unions, filters) go to `serde_json_path` and
//! yield an array of every match, as AWS does. Reference paths (`ResultPath`, `*Path` fields)
//! are definite by definition and can also write.

use std::fmt;

use serde_json::{Map, Value};

/// What a path is evaluated against.
pub trait PathScope {
    /// `$`.
    fn input(&self) -> &Value;
    /// `$$`.
    fn context(&self) -> &Value;
    /// `$name`.
    fn variable(&self, name: &str) -> Option<&Value>;
}

/// A path that does not parse, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError(String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathError {}

/// Where a path starts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Root {
    Input,
    Context,
    Variable(String),
}

impl Root {
    fn resolve<'a, S: PathScope + ?Sized>(&self, scope: &'a S) -> Option<&'a Value> {
        match self {
            Root::Input => Some(scope.input()),
            Root::Context => Some(scope.context()),
            Root::Variable(name) => scope.variable(name),
        }
    }
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
enum Segment {
    /// `.name` or `['name']`.
    Name(String),
    /// `[3]`, `[-1]`.
    Index(i64),
    /// `.*` or `[*]`.
    Wildcard,
    /// `..`, followed by the segment it applies to.
    Descendant,
    /// Anything else in brackets (slice, union, filter), passed to the JSONPath engine as written.
    Raw(String),
}

impl Segment {
    fn is_definite(&self) -> bool {
        matches!(self, Segment::Name(_) | Segment::Index(_))
    }
}

/// Splits the text after the root into segments.
fn segments(text: &str, body: &str) -> Result<Vec<Segment>, PathError> {
    let chars: Vec<char> = body.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |why: &str| PathError(format!("'{text}' is not a valid JSONPath: {why}"));
    while i < chars.len() {
        match chars[i] {
            '.' => {
                if chars.get(i + 1) == Some(&'.') {
                    out.push(Segment::Descendant);
                    i += 2;
                    if chars.get(i) == Some(&'[') {
                        continue;
                    }
                } else {
                    i += 1;
                    // `$.abc.['def ghi']`: a dot before brackets, as AWS's "Paths" page writes it.
                    if chars.get(i) == Some(&'[') {
                        continue;
                    }
                }
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                if name.is_empty() {
                    return Err(err("a '.' must be followed by a field name"));
                }
                if name == "*" {
                    out.push(Segment::Wildcard);
                } else {
                    // Functions such as `length()` are not supported ("Paths", AWS docs), yet a
                    // definition using one validates; at run time the path finds nothing
                    // ("The JSONPath '$.Jobs.sum()' ... could not be found in the input"), which
                    // a field named `sum()` reproduces.
                    out.push(Segment::Name(name));
                }
            }
            '[' => {
                let start = i + 1;
                let mut depth = 0usize;
                let mut quote: Option<char> = None;
                let mut j = start;
                loop {
                    let Some(&c) = chars.get(j) else {
                        return Err(err("a '[' has no matching ']'"));
                    };
                    match quote {
                        Some(q) => {
                            if c == '\\' {
                                j += 1;
                            } else if c == q {
                                quote = None;
                            }
                        }
                        None => match c {
                            '\'' | '"' => quote = Some(c),
                            '(' | '[' => depth += 1,
                            ')' => depth = depth.saturating_sub(1),
                            ']' if depth == 0 => break,
                            ']' => depth -= 1,
                            _ => {}
                        },
                    }
                    j += 1;
                }
                let inner: String = chars[start..j].iter().collect();
                out.push(bracket(inner.trim()).ok_or_else(|| err("empty brackets '[]'"))?);
                i = j + 1;
            }
            c => {
                return Err(err(&format!(
                    "unexpected character '{c}'; fields are written `.name` or `['name']`"
                )));
            }
        }
    }
    if out.last() == Some(&Segment::Descendant) {
        return Err(err("'..' must be followed by a field name"));
    }
    Ok(out)
}

fn bracket(inner: &str) -> Option<Segment> {
    if inner.is_empty() {
        return None;
    }
    if inner == "*" {
        return Some(Segment::Wildcard);
    }
    if let Ok(i) = inner.parse::<i64>() {
        return Some(Segment::Index(i));
    }
    for q in ['\'', '"'] {
        if inner.len() >= 2 && inner.starts_with(q) && inner.ends_with(q) {
            let body = &inner[1..inner.len() - 1];
            // A single quoted name, not a union such as `'a','b'`.
            if !body.contains(q) || body.contains('\\') {
                return Some(Segment::Name(unescape(body)));
            }
        }
    }
    Some(Segment::Raw(inner.to_string()))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits off the root: `$$...`, `$name...` or `$...`.
fn root(text: &str) -> Result<(Root, &str), PathError> {
    let Some(rest) = text.strip_prefix('$') else {
        return Err(PathError(format!(
            "'{text}' is not a valid JSONPath: a path starts with '$'"
        )));
    };
    if let Some(rest) = rest.strip_prefix('$') {
        return Ok((Root::Context, rest));
    }
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    if end == 0 {
        return Ok((Root::Input, rest));
    }
    let name = &rest[..end];
    if name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.starts_with(|c: char| c.is_ascii_digit()) {
        Ok((Root::Variable(name.to_string()), &rest[end..]))
    } else {
        Err(PathError(format!(
            "'{text}' is not a valid JSONPath: '{name}' is not a variable name; fields are written `$.name`"
        )))
    }
}

/// Up to this many fields, a field is found by comparing names: cheaper than hashing the name
/// (serde_json's maps hash with SipHash), as most objects in state data are this small.
const SCAN_FIELDS: usize = 8;

/// The position of field `name` in a small object; `None` for a large one or a missing field.
fn scan(map: &Map<String, Value>, name: &str) -> Option<usize> {
    if map.len() > SCAN_FIELDS {
        return None;
    }
    map.keys().position(|k| crate::json::same_key(k, name))
}

/// Field `name` of `map`: compared name by name in a small object, hashed in a large one.
pub(crate) fn field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if map.len() > SCAN_FIELDS {
        map.get(name)
    } else {
        map.iter()
            .find_map(|(k, v)| crate::json::same_key(k, name).then_some(v))
    }
}

/// [`field`], to change.
pub(crate) fn field_mut<'a>(map: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    if map.len() > SCAN_FIELDS {
        map.get_mut(name)
    } else {
        map.iter_mut()
            .find_map(|(k, v)| crate::json::same_key(k, name).then_some(v))
    }
}

fn walk<'a>(mut value: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    for segment in segments {
        value = match (segment, value) {
            (Segment::Name(name), Value::Object(map)) => field(map, name)?,
            (Segment::Index(i), Value::Array(items)) => {
                let i = if *i < 0 {
                    i64::try_from(items.len()).ok()? + i
                } else {
                    *i
                };
                items.get(usize::try_from(i).ok()?)?
            }
            _ => return None,
        };
    }
    Some(value)
}

/// The segments written for `serde_json_path`.
fn query_text(segments: &[Segment]) -> String {
    let mut out = String::from("$");
    for segment in segments {
        match segment {
            Segment::Name(name) => {
                out.push_str("['");
                for c in name.chars() {
                    if c == '\'' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push_str("']");
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Wildcard => out.push_str("[*]"),
            Segment::Descendant => out.push_str(".."),
            Segment::Raw(raw) => {
                out.push('[');
                out.push_str(raw);
                out.push(']');
            }
        }
    }
    out
}

#[derive(Debug)]
enum Query {
    Definite(Vec<Segment>),
    Indefinite(Box<serde_json_path::JsonPath>),
}

/// A compiled JSONPath (`InputPath`, `OutputPath`, `ItemsPath`, `Variable`, `"x.$"` fields).
#[derive(Debug)]
pub struct JsonPath {
    root: Root,
    query: Query,
}

impl JsonPath {
    /// Compiles a path.
    ///
    /// # Errors
    /// When the text is not a path, with the reason.
    pub fn parse(text: &str) -> Result<JsonPath, PathError> {
        let (root, body) = root(text)?;
        let segments = segments(text, body)?;
        let query = if segments.iter().all(Segment::is_definite) {
            Query::Definite(segments)
        } else {
            // Jayway-style filters `[?(@.a == 1)]` are RFC 9535 filters with a parenthesised
            // expression, so they pass through unchanged.
            let q = query_text(&segments);
            let compiled = serde_json_path::JsonPath::parse(&q)
                .map_err(|e| PathError(format!("'{text}' is not a valid JSONPath: {e}")))?;
            Query::Indefinite(Box::new(compiled))
        };
        Ok(JsonPath { root, query })
    }

    /// True when the path selects at most one value (no wildcard, descent, slice or filter).
    pub fn is_definite(&self) -> bool {
        matches!(self.query, Query::Definite(_))
    }

    /// True for `$` (and `$$`, `$name`) alone.
    pub fn is_root(&self) -> bool {
        matches!(&self.query, Query::Definite(s) if s.is_empty())
    }

    /// True for `$` alone: the whole input.
    pub(crate) fn is_whole_input(&self) -> bool {
        self.root == Root::Input && self.is_root()
    }

    /// Evaluates the path: a definite path gives its value (`None` when nothing is there), an
    /// indefinite one the array of every match.
    pub fn select<S: PathScope + ?Sized>(&self, scope: &S) -> Option<Value> {
        match &self.query {
            Query::Definite(segments) => walk(self.root.resolve(scope)?, segments).cloned(),
            Query::Indefinite(path) => {
                let Some(value) = self.root.resolve(scope) else {
                    return Some(Value::Array(Vec::new()));
                };
                Some(Value::Array(path.query(value).all().into_iter().cloned().collect()))
            }
        }
    }

    /// Moves the value a definite path into the input (`$...`) names out of `input`, leaving
    /// null in its place: [`select`](JsonPath::select) without the copy, for a caller that
    /// reads `input` no more. `None` (and `input` untouched) for any other path or no match.
    pub(crate) fn take_from(&self, input: &mut Value) -> Option<Value> {
        let (Root::Input, Query::Definite(segments)) = (&self.root, &self.query) else {
            return None;
        };
        walk(input, segments)?;
        let mut value = input;
        for segment in segments {
            value = match (segment, value) {
                (Segment::Name(name), Value::Object(map)) => map.get_mut(name.as_str())?,
                (Segment::Index(i), Value::Array(items)) => {
                    let len = i64::try_from(items.len()).ok()?;
                    let i = if *i < 0 { len + i } else { *i };
                    items.get_mut(usize::try_from(i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(std::mem::take(value))
    }

    /// A definite path's value, borrowed; `None` for an indefinite path or no match.
    pub fn get<'a, S: PathScope + ?Sized>(&self, scope: &'a S) -> Option<&'a Value> {
        match &self.query {
            Query::Definite(segments) => walk(self.root.resolve(scope)?, segments),
            Query::Indefinite(_) => None,
        }
    }
}

/// A reference path: a definite path that names one place (`ResultPath`, `SecondsPath`, ...).
#[derive(Debug)]
pub struct ReferencePath {
    root: Root,
    segments: Vec<Segment>,
}

impl ReferencePath {
    /// Compiles a reference path.
    ///
    /// # Errors
    /// When the text is not a path, or selects more than one place.
    pub fn parse(text: &str) -> Result<ReferencePath, PathError> {
        let (root, body) = root(text)?;
        let segments = segments(text, body)?;
        if let Some(bad) = segments.iter().find(|s| !s.is_definite()) {
            let what = match bad {
                Segment::Wildcard => "'*'",
                Segment::Descendant => "'..'",
                _ => "a slice, union or filter",
            };
            return Err(PathError(format!(
                "'{text}' is not a valid reference path: it contains {what}, but a reference path names exactly one field"
            )));
        }
        Ok(ReferencePath { root, segments })
    }

    /// True for `$` alone.
    pub fn is_root(&self) -> bool {
        self.root == Root::Input && self.segments.is_empty()
    }

    /// The field name of a path to one top-level field of the input (`$.name`).
    pub(crate) fn top_field(&self) -> Option<&str> {
        match (&self.root, self.segments.as_slice()) {
            (Root::Input, [Segment::Name(name)]) => Some(name),
            _ => None,
        }
    }

    /// The value the path names, if any.
    pub fn get<'a, S: PathScope + ?Sized>(&self, scope: &'a S) -> Option<&'a Value> {
        walk(self.root.resolve(scope)?, &self.segments)
    }

    /// Puts `value` at the path inside `input`, creating missing objects on the way, and
    /// returns the new input.
    ///
    /// # Errors
    /// When a step of the path meets something that is not an object (or, for an index, an
    /// array long enough), or the path does not start at `$`.
    pub fn set(&self, input: Value, value: Value) -> Result<Value, PathError> {
        let mut input = input;
        self.set_in(&mut input, value)?;
        Ok(input)
    }

    /// Like [`set`](ReferencePath::set), in place; on an error `input` is left as it was.
    ///
    /// # Errors
    /// As [`set`](ReferencePath::set).
    pub fn set_in(&self, input: &mut Value, value: Value) -> Result<(), PathError> {
        if self.root != Root::Input {
            return Err(PathError(
                "only paths into the state's input ('$...') can be written".into(),
            ));
        }
        // Check the whole path before writing anything: a failure half-way would otherwise
        // leave the objects created on the way behind.
        let mut probe = Some(&*input);
        for segment in &self.segments {
            probe = match (segment, probe) {
                (Segment::Name(name), Some(Value::Object(map))) => field(map, name),
                // Created by the write below.
                (Segment::Name(_), None) => None,
                (Segment::Name(name), Some(_)) => {
                    return Err(PathError(format!(
                        "the field '{name}' cannot be added to a value that is not an object"
                    )));
                }
                (Segment::Index(i), Some(Value::Array(items))) => Some(&items[array_slot(*i, items.len())?]),
                (Segment::Index(i), _) => {
                    return Err(PathError(format!("index [{i}] of a value that is not an array")));
                }
                _ => unreachable!("reference paths hold only definite segments (checked in parse)"),
            };
        }
        let mut slot = input;
        for segment in &self.segments {
            slot = match (segment, slot) {
                (Segment::Name(name), Value::Object(map)) => match scan(map, name) {
                    // An existing field is found without allocating a key.
                    Some(i) => match map.values_mut().nth(i) {
                        Some(v) => v,
                        None => unreachable!("the position was found above"),
                    },
                    None => map.entry(name.clone()).or_insert_with(|| Value::Object(Map::new())),
                },
                (Segment::Index(i), Value::Array(items)) => {
                    let n = array_slot(*i, items.len())?;
                    &mut items[n]
                }
                _ => unreachable!("the path was checked above"),
            };
        }
        *slot = value;
        Ok(())
    }
}

/// The position index `i` (negative: from the end) names in an array of `len`.
fn array_slot(i: i64, len: usize) -> Result<usize, PathError> {
    let at = if i < 0 {
        i64::try_from(len).unwrap_or(i64::MAX) + i
    } else {
        i
    };
    usize::try_from(at)
        .ok()
        .filter(|&n| n < len)
        .ok_or_else(|| PathError(format!("index [{i}] is out of bounds of an array of {len}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct S(Value, Value, Map<String, Value>);
    impl PathScope for S {
        fn input(&self) -> &Value {
            &self.0
        }
        fn context(&self) -> &Value {
            &self.1
        }
        fn variable(&self, name: &str) -> Option<&Value> {
            self.2.get(name)
        }
    }

    fn scope(input: Value) -> S {
        let mut vars = Map::new();
        vars.insert("count".into(), json!({ "n": 3 }));
        S(input, json!({ "Execution": { "Name": "e" } }), vars)
    }

    #[test]
    fn take_from_moves_what_select_would_copy() {
        let mut input = json!({ "a": { "items": [1, 2] }, "b": [[0], [3, 4]] });
        for (path, expected) in [
            ("$.a.items", json!([1, 2])),
            ("$.b[-1]", json!([3, 4])),
            ("$", input.clone()),
        ] {
            let path = JsonPath::parse(path).unwrap();
            assert_eq!(path.take_from(&mut input.clone()), Some(expected));
        }
        let taken = JsonPath::parse("$.a.items").unwrap().take_from(&mut input);
        assert_eq!(taken, Some(json!([1, 2])));
        assert_eq!(input, json!({ "a": { "items": null }, "b": [[0], [3, 4]] }));
        // No match, several matches and other roots leave the input alone.
        for path in ["$.missing.x", "$.b[*]", "$$.Execution", "$.b[7]"] {
            let before = input.clone();
            assert_eq!(JsonPath::parse(path).unwrap().take_from(&mut input), None, "{path}");
            assert_eq!(input, before);
        }
    }

    #[test]
    fn roots_and_definite_paths() {
        let s = scope(json!({ "a": { "b-c": [1, 2, 3] } }));
        assert_eq!(JsonPath::parse("$.a.b-c[1]").unwrap().select(&s), Some(json!(2)));
        assert_eq!(JsonPath::parse("$['a']['b-c'][-1]").unwrap().select(&s), Some(json!(3)));
        assert_eq!(
            JsonPath::parse("$$.Execution.Name").unwrap().select(&s),
            Some(json!("e"))
        );
        assert_eq!(JsonPath::parse("$count.n").unwrap().select(&s), Some(json!(3)));
        assert_eq!(JsonPath::parse("$.missing").unwrap().select(&s), None);
        assert_eq!(JsonPath::parse("$.a.['b-c'][0]").unwrap().select(&s), Some(json!(1)));
        // Functions parse but find nothing at run time, as on AWS.
        assert_eq!(JsonPath::parse("$.a.b-c.length()").unwrap().select(&s), None);
    }

    #[test]
    fn indefinite_paths_yield_arrays() {
        let s = scope(json!({ "items": [{ "v": 1, "s": 0 }, { "v": 2, "s": 1 }, { "v": 3, "s": 0 }] }));
        assert_eq!(
            JsonPath::parse("$.items[*].v").unwrap().select(&s),
            Some(json!([1, 2, 3]))
        );
        assert_eq!(
            JsonPath::parse("$.items[1:].v").unwrap().select(&s),
            Some(json!([2, 3]))
        );
        assert_eq!(
            JsonPath::parse("$.items[?(@.s == 0)].v").unwrap().select(&s),
            Some(json!([1, 3]))
        );
        assert_eq!(JsonPath::parse("$..v").unwrap().select(&s), Some(json!([1, 2, 3])));
        assert_eq!(JsonPath::parse("$.none[*]").unwrap().select(&s), Some(json!([])));
    }

    #[test]
    fn reference_paths_write_and_refuse_wildcards() {
        let p = ReferencePath::parse("$.a.b").unwrap();
        assert_eq!(
            p.set(json!({ "x": 1 }), json!(2)).unwrap(),
            json!({ "x": 1, "a": { "b": 2 } })
        );
        assert!(p.set(json!("text"), json!(2)).is_err());
        assert!(ReferencePath::parse("$.a[*]").is_err());
        assert!(ReferencePath::parse("a.b").is_err());
        assert!(ReferencePath::parse("$").unwrap().is_root());
    }
}
