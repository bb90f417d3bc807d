//! JSON value helpers shared by every phase: comparison (numbers by value, key order
//! ignored) and the type names AWS's messages use.

use serde_json::Value;

/// JSON equality with numbers compared by value (1 equals 1.0), key order ignored.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// `a == b` for object keys, which are short: up to 16 bytes are compared in place with two
/// overlapping loads each, where `==` calls the C library's `memcmp`.
#[inline]
pub(crate) fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // Bytes 0, n/2 and n-1 are every byte of a key of up to 3.
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=8 => {
            let word = |s: &[u8], at: usize| u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]]);
            word(a, 0) == word(b, 0) && word(a, n - 4) == word(b, n - 4)
        }
        9..=16 => {
            let word = |s: &[u8], at: usize| {
                let mut w = [0u8; 8];
                w.copy_from_slice(&s[at..at + 8]);
                u64::from_le_bytes(w)
            };
            word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
        }
        _ => a == b,
    }
}

/// The JSON type name AWS's messages use (`null`, `boolean`, `number`, `string`, `array`, `object`).
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Appends `value` as compact JSON text, byte for byte what `serde_json::to_string` writes;
/// `false` (and `out` left partly written) at the first float, whose text might not parse back
/// to the same bits. Written by hand: the history keeps a copy of every state's input and
/// output as text, and serde's generic serializer spent most of a simple state's time there.
pub(crate) fn write_compact(value: &Value, out: &mut String) -> bool {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            let mut digits = itoa::Buffer::new();
            if let Some(u) = n.as_u64() {
                out.push_str(digits.format(u));
            } else if let Some(i) = n.as_i64() {
                out.push_str(digits.format(i));
            } else {
                return false;
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_compact(item, out) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Object(map) => return write_object(map, out, None),
    }
    true
}

/// [`write_compact`] of an object, noting where its fields are when given `fields`.
fn write_object(
    map: &serde_json::Map<String, Value>,
    out: &mut String,
    mut fields: Option<(&mut Vec<FieldSpan>, usize)>,
) -> bool {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let noted = fields.as_mut().map(|(f, origin)| (&mut **f, *origin));
        if !write_field(k, v, out, noted) {
            return false;
        }
    }
    out.push('}');
    true
}

/// Appends `"key":value`, noting where it is (from `origin` on) when given `fields`.
fn write_field(key: &str, value: &Value, out: &mut String, fields: Option<(&mut Vec<FieldSpan>, usize)>) -> bool {
    write_field_with(key, |out| write_compact(value, out), out, fields)
}

/// [`write_field`] of the value `write` writes.
fn write_field_with(
    key: &str,
    write: impl FnOnce(&mut String) -> bool,
    out: &mut String,
    fields: Option<(&mut Vec<FieldSpan>, usize)>,
) -> bool {
    let name_start = out.len() + 1;
    write_str(key, out);
    let name_end = out.len() - 1;
    out.push(':');
    let value_start = out.len();
    if !write(out) {
        return false;
    }
    if let Some((fields, origin)) = fields {
        fields.push(FieldSpan {
            name: (name_start - origin, name_end - origin),
            value: (value_start - origin, out.len() - origin),
        });
    }
    true
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it: `"`, `\`, the short
/// escapes `\b \f \n \r \t`, other control characters as `\u00XX`, everything else as is.
pub(crate) fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    if plain(bytes) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        // `i` is at an ASCII byte, so both slices end on character boundaries.
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether no byte needs escaping: eight bytes at a time, then the rest one by one.
fn plain(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // Non-zero exactly when some byte of `x` is below `n` (for `n` up to 0x80).
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        if below(x, 0x20) | below(quote, 1) | below(backslash, 1) != 0 {
            return false;
        }
    }
    !words.remainder().iter().any(|&b| NEEDS_ESCAPE[usize::from(b)])
}

/// The bytes [`write_str`] escapes: control characters, `"` and `\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Where one top-level field of an object's compact text is: its name (inside the quotes)
/// and its value, as byte ranges from the start of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldSpan {
    name: (usize, usize),
    value: (usize, usize),
}

impl FieldSpan {
    /// The field whose name (inside the quotes) and value are at these byte ranges.
    pub(crate) fn new(name: (usize, usize), value: (usize, usize)) -> FieldSpan {
        FieldSpan { name, value }
    }
}

/// [`write_compact`], noting in `fields` where an object's top-level fields are in the text
/// appended to `out` (nothing for another value).
pub(crate) fn write_compact_fields(value: &Value, out: &mut String, fields: &mut Vec<FieldSpan>) -> bool {
    fields.clear();
    match value {
        Value::Object(map) => {
            let origin = out.len();
            write_object(map, out, Some((fields, origin)))
        }
        other => write_compact(other, out),
    }
}

/// Where the text [`with_field`] changes is.
#[derive(Clone, Debug)]
pub(crate) enum Source<'t> {
    Text(&'t str),
    /// A range of the buffer written to.
    Within(std::ops::Range<usize>),
}

/// Appends to `out` the compact text of object `source` (whose fields are at `fields`) with
/// top-level field `key` set to the value `write` writes: replaced in place, or added at the
/// end, as setting it in the object does; `fields` then says where the result's fields are.
/// `false`, with `out` partly written and `fields` unchanged, when `key` needs escaping or
/// `write` declines (a float).
pub(crate) fn with_field(
    out: &mut String,
    source: Source<'_>,
    fields: &mut Vec<FieldSpan>,
    key: &str,
    write: impl FnOnce(&mut String) -> bool,
) -> bool {
    let origin = out.len();
    let (base, len) = match &source {
        Source::Text(t) => (0, t.len()),
        Source::Within(r) => (r.start, r.len()),
    };
    // Copies bytes `from..to` of the source's text.
    let copy = |out: &mut String, from: usize, to: usize| match &source {
        Source::Text(t) => out.push_str(&t[from..to]),
        Source::Within(_) => out.extend_from_within(base + from..base + to),
    };
    let found = {
        let text = match &source {
            Source::Text(t) => *t,
            Source::Within(r) => &out[r.clone()],
        };
        // A name that needs no escapes is in the text as it is.
        if !plain(key.as_bytes()) || !text.ends_with('}') {
            return false;
        }
        fields
            .iter()
            .position(|f| text.get(f.name.0..f.name.1).is_some_and(|name| same_key(name, key)))
    };
    match found {
        Some(i) => {
            let (start, end) = fields[i].value;
            copy(out, 0, start);
            if !write(out) {
                return false;
            }
            let new_end = out.len() - origin;
            copy(out, end, len);
            fields[i].value.1 = new_end;
            let moved = |p: usize| p - end + new_end;
            for f in &mut fields[i + 1..] {
                *f = FieldSpan {
                    name: (moved(f.name.0), moved(f.name.1)),
                    value: (moved(f.value.0), moved(f.value.1)),
                };
            }
        }
        None => {
            copy(out, 0, len - 1);
            if !fields.is_empty() {
                out.push(',');
            }
            if !write_field_with(key, write, out, Some((fields, origin))) {
                return false;
            }
            out.push('}');
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_is_string_equality() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "abd",
            "xbc",
            "abcd",
            "abce",
            "last",
            "lasT",
            "Payload",
            "Payloab",
            "StatusCode",
            "StatusCodf",
            "statusCode",
            "FunctionName1234",
            "FunctionName1235",
            "gunctionName1234",
            "a-much-longer-key-than-sixteen",
            "a-much-longer-key-than-sixteeN",
            "é",
            "è",
            "añb",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(same_key(a, b), a == b, "{a:?} {b:?}");
            }
        }
        // Every single-byte difference, at every position, for every length up to 20.
        for n in 0..=20 {
            let a: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert!(same_key(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone().into_bytes();
                b[i] = b'Z';
                let b = String::from_utf8(b).unwrap();
                assert!(!same_key(&a, &b), "{a:?} {b:?}");
            }
        }
    }
    use serde_json::json;

    #[test]
    fn compact_text_is_serde_jsons() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        let cases = [
            json!(null),
            json!([true, false, 0, -1, u64::MAX, i64::MIN, "", []]),
            json!({ "a": { "b": [1, { "c": "é \"q\" \\ / \u{7f} \u{2028}" }] }, "": {}, "z": null }),
            json!({ controls.clone(): controls }),
            // Longer than one 16-byte block, with the special byte past the first block.
            json!(["0123456789abcdef", "0123456789abcdefghij\"k\u{1}", "0123456789abcdef\\"]),
        ];
        for case in cases {
            let mut out = String::new();
            assert!(write_compact(&case, &mut out), "{case}");
            assert_eq!(out, serde_json::to_string(&case).unwrap());
        }
        assert!(!write_compact(&json!({ "a": [1, 0.5] }), &mut String::new()));
        assert!(!write_compact(&json!(1.0), &mut String::new()));
    }

    #[test]
    fn a_field_is_replaced_or_added_in_the_text() {
        let objects = [
            json!({ "a": 1, "last": { "i": -1 }, "z": "}" }),
            json!({ "a": 1, "last": [1, { "x": "]\"," }], "z": [] }),
            json!({ "q\"": "\\", "last": null }),
            json!({ "a": { "last": 1 } }),
            json!({}),
            json!({ "last": "x" }),
            json!({ "\\\"last": 1, "last\\": "\\\\\"", "last": 2 }),
        ];
        let values = [
            json!({ "a": 1, "c": [2, "s"], "prev": null }),
            json!("much longer than before, much longer"),
            json!(0),
        ];
        for object in objects {
            let (mut text, mut fields) = (String::new(), Vec::new());
            assert!(write_compact_fields(&object, &mut text, &mut fields));
            assert_eq!(text, serde_json::to_string(&object).unwrap());
            // The same chain in one buffer, each copy appended after the one it changes.
            let mut buf = String::from("before");
            let mut within = 6..6;
            let mut buf_fields = Vec::new();
            assert!(write_compact_fields(&object, &mut buf, &mut buf_fields));
            within.end = buf.len();
            let mut expected = object.clone();
            // A chain of changes, each from the text and fields the one before gave.
            for (value, key) in values.iter().zip(["last", "a", "last"]) {
                expected[key] = value.clone();
                let mut out = String::new();
                let write = |out: &mut String| write_compact(value, out);
                assert!(
                    with_field(&mut out, Source::Text(&text), &mut fields, key, write),
                    "{text}"
                );
                assert_eq!(out, serde_json::to_string(&expected).unwrap(), "{text}");
                let mut written = Vec::new();
                assert!(write_compact_fields(&expected, &mut String::new(), &mut written));
                assert_eq!(fields, written, "{out}");
                let start = buf.len();
                assert!(with_field(
                    &mut buf,
                    Source::Within(within),
                    &mut buf_fields,
                    key,
                    write
                ));
                within = start..buf.len();
                assert_eq!(buf[within.clone()], out);
                assert_eq!(buf_fields, written, "{out}");
                text = out;
            }
        }
        let mut fields = Vec::new();
        assert!(write_compact_fields(&json!([1]), &mut String::new(), &mut fields));
        assert!(fields.is_empty());
        let no = |text: &str, key: &str, value: Value| {
            let write = |out: &mut String| write_compact(&value, out);
            !with_field(&mut String::new(), Source::Text(text), &mut Vec::new(), key, write)
        };
        assert!(no("[1]", "a", json!(1)));
        assert!(no("{}", "needs\"escape", json!(1)));
        assert!(no("{}", "a", json!(0.5)));
    }
}
