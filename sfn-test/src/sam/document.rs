//! Reads a YAML or JSON document into a long-form JSON tree: CloudFormation short tags
//! (`!Ref`, `!Sub`, `!GetAtt`, ...) become their `{"Ref": ..}` / `{"Fn::Sub": ..}` form.

use std::path::Path;

use serde_json::{Map, Number, Value};
use serde_yaml::Value as Yaml;

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
    let yaml: Yaml = serde_yaml::from_str(text).map_err(|error| {
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
    })?;
    to_json(yaml, path, &mut String::new())
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

fn to_json(yaml: Yaml, path: &Path, pointer: &mut String) -> Result<Value, SamError> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => number(&n),
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                out.push(to_json(item, path, pointer)?);
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        Yaml::Mapping(mapping) => {
            let mut out = Map::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    Yaml::Null => "null".to_owned(),
                    _ => {
                        return Err(SamError::Invalid {
                            path: path.to_path_buf(),
                            pointer: pointer.clone(),
                            message: "a mapping key is a list, mapping or tagged value; keys must be plain strings"
                                .to_owned(),
                        });
                    }
                };
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(&key));
                let value = to_json(value, path, pointer)?;
                pointer.truncate(len);
                out.insert(key, value);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let Some((_, long)) = SHORT_TAGS.iter().find(|(short, _)| *short == name) else {
                return Err(SamError::Invalid {
                    path: path.to_path_buf(),
                    pointer: pointer.clone(),
                    message: format!(
                        "unknown tag {tag}; CloudFormation defines !Ref, !GetAtt, !Sub, !Join, !Select, !Split, !If, !Equals, !And, !Or, !Not, !Condition, !FindInMap, !Base64, !GetAZs, !ImportValue, !Transform, !Cidr"
                    ),
                });
            };
            let value = to_json(tagged.value, path, pointer)?;
            let mut out = Map::with_capacity(1);
            out.insert((*long).to_owned(), value);
            Value::Object(out)
        }
    })
}

fn number(n: &serde_yaml::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        // `.inf` / `.nan` have no JSON form: keep what was written.
        n.as_f64()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(n.to_string()), Value::Number)
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
    fn json_keeps_key_order() {
        let v = yaml("{\"b\": 1, \"a\": {\"Fn::GetAtt\": [\"F\", \"Arn\"]}}");
        assert_eq!(
            v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["b".into(), "a".into()])
        );
    }
}
