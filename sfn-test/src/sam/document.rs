//! Reads a YAML or JSON document into a long-form JSON tree: CloudFormation short tags
//! (`!Ref`, `!Sub`, `!GetAtt`, ...) become their `{"Ref": ..}` / `{"Fn::Sub": ..}` form.

use std::path::Path;

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::error::SamError;

/// Which parser to try first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    /// Sniff: a document whose first non-blank character is `{` is read as JSON first.
    Any,
    Json,
    Yaml,
}

impl Format {
    /// The format a file's extension promises (`.json`, `.yaml`, `.yml`), else [`Format::Any`].
    pub(super) fn of(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Format::Json,
            Some("yaml" | "yml") => Format::Yaml,
            _ => Format::Any,
        }
    }
}

/// Parses `text` (the content of `path`) into a long-form JSON tree.
pub(super) fn parse(text: &str, path: &Path, format: Format) -> Result<Value, SamError> {
    let looks_like_json = text.trim_start_matches('\u{feff}').trim_start().starts_with('{');
    if format == Format::Json || (format == Format::Any && looks_like_json) {
        let json_error = match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        // JSON is YAML: a document that merely starts with `{` may be YAML flow syntax. A
        // `.json` file is held to JSON, and its error carries the JSON parser's position.
        let yaml = if format == Format::Any {
            parse_yaml(text, path).ok()
        } else {
            None
        };
        return match yaml {
            Some(value) => Ok(value),
            None => Err(SamError::Syntax {
                path: path.to_path_buf(),
                format: "JSON",
                line: Some(json_error.line()),
                column: Some(json_error.column()),
                message: json_message(&json_error),
            }),
        };
    }
    parse_yaml(text, path)
}

fn json_message(error: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the location is already in the prefix.
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

fn parse_yaml(text: &str, path: &Path) -> Result<Value, SamError> {
    let invalid = RefCell::new(None);
    let node = Node {
        path,
        pointer: String::new(),
        invalid: &invalid,
    };
    let result = node.deserialize(serde_yaml::Deserializer::from_str(text));
    if let Some(error) = invalid.into_inner() {
        return Err(error);
    }
    result.map_err(|error| {
        let location = error.location();
        let message = error.to_string();
        let message = match message.rfind(" at line ") {
            Some(cut) if location.is_some() => message[..cut].to_owned(),
            _ => message,
        };
        SamError::Syntax {
            path: path.to_path_buf(),
            format: "YAML",
            line: location.as_ref().map(serde_yaml::Location::line),
            column: location.as_ref().map(serde_yaml::Location::column),
            message,
        }
    })
}

/// The short tags CloudFormation defines, and the long form each stands for.
const SHORT_TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Not", "Fn::Not"),
    ("FindInMap", "Fn::FindInMap"),
    ("Base64", "Fn::Base64"),
    ("GetAZs", "Fn::GetAZs"),
    ("ImportValue", "Fn::ImportValue"),
    ("Transform", "Fn::Transform"),
    ("Cidr", "Fn::Cidr"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
];

/// One YAML node read straight into JSON, knowing its JSON pointer for messages.
///
/// A mapping that repeats a key keeps the last value, as the SAM CLI's YAML reader (PyYAML)
/// and CloudFormation do; real templates repeat keys (a second `AWSTemplateFormatVersion`, a
/// parameter's `Type` twice) and deploy. A short tag CloudFormation does not define is an
/// error, stored in `invalid` because serde's error type cannot carry it.
struct Node<'a> {
    path: &'a Path,
    pointer: String,
    invalid: &'a RefCell<Option<SamError>>,
}

impl Node<'_> {
    fn child(&self, segment: &str) -> Self {
        Node {
            path: self.path,
            pointer: format!("{}/{}", self.pointer, escape(segment)),
            invalid: self.invalid,
        }
    }

    fn fail<E: de::Error>(&self, message: String) -> E {
        let mut slot = self.invalid.borrow_mut();
        if slot.is_none() {
            *slot = Some(SamError::Invalid {
                path: self.path.to_path_buf(),
                pointer: self.pointer.clone(),
                message: message.clone(),
            });
        }
        E::custom(message)
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(float(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(&out.len().to_string()))? {
            out.push(item);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(Key(&self))? {
            let value = map.next_value_seed(self.child(&key))?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, content) = data.variant::<String>()?;
        let name = tag.trim_start_matches('!');
        let Some((_, long)) = SHORT_TAGS.iter().find(|(short, _)| *short == name) else {
            return Err(self.fail(format!(
                "unknown tag !{name}; CloudFormation defines !Ref, !GetAtt, !Sub, !Join, !Select, !Split, !If, !Equals, !And, !Or, !Not, !Condition, !FindInMap, !Base64, !GetAZs, !ImportValue, !Transform, !Cidr"
            )));
        };
        // The tag's content is reported at the tag's own pointer.
        let value = content.newtype_variant_seed(self)?;
        let mut out = Map::with_capacity(1);
        out.insert((*long).to_owned(), value);
        Ok(Value::Object(out))
    }
}

/// A mapping key: a plain scalar, written as a string.
struct Key<'n, 'a>(&'n Node<'a>);

impl<'de> DeserializeSeed<'de> for Key<'_, '_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, '_> {
    type Value = String;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a plain mapping key")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<String, E> {
        Ok(b.to_string())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<String, E> {
        Ok(n.to_string())
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<String, E> {
        Ok(n.to_string())
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<String, E> {
        Ok(match float(n) {
            Value::String(s) => s,
            other => other.to_string(),
        })
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        Ok(s.to_owned())
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.0.fail(NON_SCALAR_KEY.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.0.fail(NON_SCALAR_KEY.to_owned()))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.0.fail(NON_SCALAR_KEY.to_owned()))
    }
}

const NON_SCALAR_KEY: &str = "a mapping key is a list, mapping or tagged value; keys must be plain strings";

/// A YAML float as JSON; `.inf` / `.nan` have no JSON form and keep their YAML spelling.
fn float(n: f64) -> Value {
    match Number::from_f64(n) {
        Some(number) => Value::Number(number),
        None if n.is_nan() => Value::String(".nan".to_owned()),
        None if n > 0.0 => Value::String(".inf".to_owned()),
        None => Value::String("-.inf".to_owned()),
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(super) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(text: &str) -> Value {
        parse(text, Path::new("t.yaml"), Format::Any).expect("parses")
    }

    #[test]
    fn short_tags_become_long_form() {
        let v = yaml(
            "a: !Ref X\nb: !GetAtt F.Arn\nc: !Sub ['${A}', {A: !Ref B}]\nd: !If [C, !Ref AWS::NoValue, 1]\ne: !Condition C\n",
        );
        assert_eq!(
            v,
            json!({
                "a": {"Ref": "X"},
                "b": {"Fn::GetAtt": "F.Arn"},
                "c": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]},
                "d": {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, 1]},
                "e": {"Condition": "C"}
            })
        );
    }

    #[test]
    fn every_short_tag_is_known() {
        for (short, long) in SHORT_TAGS {
            let v = yaml(&format!("k: !{short} x"));
            assert_eq!(v, json!({"k": {*long: "x"}}));
        }
    }

    #[test]
    fn unknown_tag_names_the_pointer() {
        let err = parse("a:\n  b: !Reff X\n", Path::new("t.yaml"), Format::Any).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("t.yaml: /a/b: unknown tag !Reff"), "{text}");
    }

    #[test]
    fn yaml_syntax_error_has_line() {
        let err = parse("a: b\nc: [\n", Path::new("t.yaml"), Format::Any).unwrap_err();
        let SamError::Syntax { line, format, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(*format, "YAML");
        assert!(line.is_some(), "{err}");
        assert!(err.to_string().starts_with("t.yaml:"), "{err}");
    }

    #[test]
    fn json_syntax_error_has_json_line() {
        let err = parse("{\n  \"a\": 1,\n  \"b\": \n}\n", Path::new("t.json"), Format::Json).unwrap_err();
        let SamError::Syntax { line, format, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!((*format, *line), ("JSON", Some(4)));
        assert!(err.to_string().starts_with("t.json:4:1: not valid JSON"), "{err}");
    }

    #[test]
    fn non_string_keys_and_numbers() {
        let v = yaml("1: 2\ntrue: 1.5\nx: .inf\n");
        assert_eq!(v, json!({"1": 2, "true": 1.5, "x": ".inf"}));
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        let v = yaml("A: 1\nB: {Type: String, Type: Number}\nA: 2\n");
        assert_eq!(v, json!({"A": 2, "B": {"Type": "Number"}}));
    }

    #[test]
    fn tags_nest_and_anchors_expand() {
        let v = yaml("a: &x !Sub ['${A}', {A: !Select [0, !GetAZs '']}]\nb: *x\nc: !Ref\n");
        let sub = json!({"Fn::Sub": ["${A}", {"A": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}]});
        assert_eq!(v, json!({"a": sub.clone(), "b": sub, "c": {"Ref": null}}));
    }

    #[test]
    fn non_scalar_key_names_the_pointer() {
        let err = parse("a:\n  [1]: x\n", Path::new("t.yaml"), Format::Any).unwrap_err();
        assert!(err.to_string().contains("t.yaml: /a: a mapping key is a list"), "{err}");
    }

    #[test]
    fn json_keeps_key_order() {
        let v = yaml("{\"b\": 1, \"a\": {\"Fn::GetAtt\": [\"F\", \"Arn\"]}}");
        assert_eq!(
            v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["b".into(), "a".into()])
        );
    }
}
