//! Choice rule evaluation.

use serde_json::Value;

use super::data::{Scope, StateError, runtime_error, select};
use crate::asl::model::{Condition, Operand, Operator};
use crate::clock::parse_timestamp;

/// Evaluates a rule against the state's effective input.
pub(crate) fn evaluate(condition: &Condition, scope: &Scope<'_>) -> Result<bool, StateError> {
    match condition {
        Condition::And(all) => {
            for c in all {
                if !evaluate(c, scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(any) => {
            for c in any {
                if evaluate(c, scope)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(c) => Ok(!evaluate(c, scope)?),
        Condition::Compare {
            variable,
            variable_text,
            op,
            operand,
        } => {
            let value = select(variable, scope);
            if *op == Operator::IsPresent {
                let expected = operand_bool(operand);
                return Ok(value.is_some() == expected);
            }
            let Some(value) = value else {
                // AWS fails the execution when a Variable is missing for any other operator.
                return Err(runtime_error(format!(
                    "Invalid path '{variable_text}': The choice state's condition path references an invalid value."
                )));
            };
            let operand_value = match operand {
                Operand::Value(v) => std::borrow::Cow::Borrowed(v),
                Operand::Path(path, text) => match select(path, scope) {
                    Some(v) => std::borrow::Cow::Owned(v),
                    None => {
                        return Err(runtime_error(format!(
                            "Invalid path '{text}': The choice state's condition path references an invalid value."
                        )));
                    }
                },
            };
            Ok(compare(*op, &value, &operand_value))
        }
    }
}

fn operand_bool(operand: &Operand) -> bool {
    matches!(operand, Operand::Value(Value::Bool(true)))
}

fn compare(op: Operator, value: &Value, operand: &Value) -> bool {
    use Operator::*;
    match op {
        StringEquals | StringLessThan | StringGreaterThan | StringLessThanEquals | StringGreaterThanEquals => {
            match (value.as_str(), operand.as_str()) {
                (Some(a), Some(b)) => ordered(op, a.cmp(b)),
                _ => false,
            }
        }
        StringMatches => match (value.as_str(), operand.as_str()) {
            (Some(a), Some(pattern)) => string_matches(a, pattern),
            _ => false,
        },
        NumericEquals | NumericLessThan | NumericGreaterThan | NumericLessThanEquals | NumericGreaterThanEquals => {
            match (value.as_f64(), operand.as_f64()) {
                (Some(a), Some(b)) if value.is_number() => a.partial_cmp(&b).is_some_and(|o| ordered(op, o)),
                _ => false,
            }
        }
        BooleanEquals => match (value.as_bool(), operand.as_bool()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => {
            match (
                value.as_str().and_then(parse_timestamp),
                operand.as_str().and_then(parse_timestamp),
            ) {
                (Some(a), Some(b)) => ordered(op, a.cmp(&b)),
                _ => false,
            }
        }
        IsNull => value.is_null() == operand.as_bool().unwrap_or(false),
        IsNumeric => value.is_number() == operand.as_bool().unwrap_or(false),
        IsString => value.is_string() == operand.as_bool().unwrap_or(false),
        IsBoolean => value.is_boolean() == operand.as_bool().unwrap_or(false),
        IsTimestamp => value.as_str().and_then(parse_timestamp).is_some() == operand.as_bool().unwrap_or(false),
        IsPresent => true,
    }
}

fn ordered(op: Operator, ordering: std::cmp::Ordering) -> bool {
    use Operator::*;
    use std::cmp::Ordering::*;
    match op {
        StringEquals | NumericEquals | TimestampEquals => ordering == Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => ordering == Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => ordering == Greater,
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => ordering != Greater,
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => ordering != Less,
        _ => false,
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
pub(crate) fn string_matches(text: &str, pattern: &str) -> bool {
    use crate::wildcard::Token;
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '*' => Token::Star,
            other => Token::Char(other),
        });
    }
    let text: Vec<char> = text.chars().collect();
    crate::wildcard::matches(&tokens, &text)
}

#[cfg(test)]
mod tests {
    use super::string_matches;

    #[test]
    fn wildcards_and_escapes() {
        // ASL spec, "Choice Rules": `*` wildcard, `\*` literal star.
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("anything", "*"));
        assert!(!string_matches("log-2024.csv", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abcabc", "*abc"));
    }
}
