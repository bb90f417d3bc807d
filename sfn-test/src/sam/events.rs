//! The SAM `Events` of a state machine: the execution input each event source delivers.
//!
//! - `Schedule` (an EventBridge rule with a `ScheduleExpression`): its `Input`, else the
//!   "Scheduled Event" envelope (EventBridge User Guide, "Creating a rule that runs on a
//!   schedule").
//! - `ScheduleV2` (EventBridge Scheduler): its `Input`, else `{}`; Scheduler's templated
//!   `StartExecution` target passes no event envelope.
//! - `EventBridgeRule` / `CloudWatchEvent`: the given event, completed to a full envelope,
//!   must match `Pattern` (EventBridge User Guide, "Event patterns"); the target receives the
//!   event, or `Input`, the part `InputPath` selects, or what `InputTransformer` makes of it
//!   (EventBridge User Guide, "Amazon EventBridge input transformation").
//! - `Api` (API Gateway REST API): the request body, which SAM's request template
//!   `{"input": "$util.escapeJavaScript($input.json('$'))", ...}` hands to `StartExecution`;
//!   without `UnescapeMappingTemplate` a single quote becomes `\'`, which is not JSON.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::document::escape;
use super::error::SamError;
use super::state_machine::StateMachineSpec;

/// The event types SAM supports on `AWS::Serverless::StateMachine`.
const STATE_MACHINE_EVENT_TYPES: &str = "Api, CloudWatchEvent, EventBridgeRule, Schedule, ScheduleV2";

/// The `time` of the events built here: the virtual clock's default start.
const EVENT_TIME: &str = "2024-01-01T00:00:00Z";

impl StateMachineSpec {
    /// The execution input the SAM event `name` delivers. `event` is the EventBridge event for
    /// `EventBridgeRule` / `CloudWatchEvent` (fields it leaves out are filled in), the request
    /// body for `Api`; `Schedule` and `ScheduleV2` take none. Events built here carry the
    /// virtual clock's default start, `2024-01-01T00:00:00Z`, as their `time`.
    pub fn event_input(&self, name: &str, event: Option<&Value>) -> Result<Value, SamError> {
        let pointer = format!(
            "/Resources/{}/Properties/Events/{}",
            escape(&self.logical_id),
            escape(name)
        );
        let fail = |message: String| SamError::Event {
            path: self.template.clone(),
            pointer: pointer.clone(),
            message,
        };
        let Some(body) = self.events.get(name) else {
            let known: Vec<&str> = self.events.keys().map(String::as_str).collect();
            return Err(SamError::Event {
                path: self.template.clone(),
                pointer: format!("/Resources/{}/Properties/Events", escape(&self.logical_id)),
                message: format!(
                    "state machine {} has no event {name}; its events are: {}",
                    self.logical_id,
                    if known.is_empty() {
                        "(none)".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            });
        };
        let empty = Map::new();
        let properties = body.get("Properties").and_then(Value::as_object).unwrap_or(&empty);
        let event_type = body.get("Type").and_then(Value::as_str).unwrap_or_default();
        let source = Source {
            spec: self,
            name,
            properties,
        };
        match event_type {
            "Schedule" | "ScheduleV2" => {
                if event.is_some() {
                    return Err(fail(format!(
                        "a {event_type} event delivers a fixed input; trigger it with `trigger(\"{name}\")`, without an event"
                    )));
                }
                match properties.get("Input") {
                    Some(input) => source.input_property(input).map_err(fail),
                    None if event_type == "Schedule" => Ok(source.scheduled_event()),
                    None => Ok(json!({})),
                }
            }
            "EventBridgeRule" | "CloudWatchEvent" => source.rule_target_input(event).map_err(fail),
            "Api" => source.api_input(event).map_err(fail),
            "" => Err(fail("the event has no Type".to_owned())),
            other => Err(fail(format!(
                "event type {other} cannot start a state machine; SAM state machines take {STATE_MACHINE_EVENT_TYPES}"
            ))),
        }
    }
}

struct Source<'a> {
    spec: &'a StateMachineSpec,
    name: &'a str,
    properties: &'a Map<String, Value>,
}

impl Source<'_> {
    /// `partition`, `region`, `account` of the state machine's ARN.
    fn environment(&self) -> (&str, &str, &str) {
        let mut parts = self.spec.arn.split(':').skip(1);
        let partition = parts.next().unwrap_or("aws");
        let _service = parts.next();
        let region = parts.next().unwrap_or("us-east-1");
        let account = parts.next().unwrap_or("123456789012");
        (partition, region, account)
    }

    /// The rule's name: `Name` / `RuleName`, else the logical id SAM gives the rule.
    fn rule_name(&self) -> String {
        ["Name", "RuleName"]
            .iter()
            .find_map(|k| self.properties.get(*k).and_then(Value::as_str))
            .map_or_else(|| format!("{}{}", self.spec.logical_id, self.name), str::to_owned)
    }

    fn rule_arn(&self) -> String {
        let (partition, region, account) = self.environment();
        let bus = self
            .properties
            .get("EventBusName")
            .and_then(Value::as_str)
            .map(|b| b.rsplit('/').next().unwrap_or(b))
            .filter(|b| *b != "default");
        match bus {
            Some(bus) => format!(
                "arn:{partition}:events:{region}:{account}:rule/{bus}/{}",
                self.rule_name()
            ),
            None => format!("arn:{partition}:events:{region}:{account}:rule/{}", self.rule_name()),
        }
    }

    /// A deterministic event id, different per state machine and event.
    fn event_id(&self) -> String {
        let seed = format!("{}/{}", self.spec.logical_id, self.name);
        let hash = |offset: u64| {
            seed.bytes()
                .fold(offset, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
        };
        let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x6c62_272e_07bb_0142));
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }

    fn scheduled_event(&self) -> Value {
        let (_, region, account) = self.environment();
        json!({
            "version": "0",
            "id": self.event_id(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "time": EVENT_TIME,
            "region": region,
            "resources": [self.rule_arn()],
            "detail": {}
        })
    }

    /// `Input`: JSON text (a YAML mapping is accepted as its JSON form).
    fn input_property(&self, input: &Value) -> Result<Value, String> {
        match input {
            Value::String(text) => serde_json::from_str(text).map_err(|e| {
                format!("Input is not valid JSON ({e}); Step Functions starts executions with JSON input only")
            }),
            other => Ok(other.clone()),
        }
    }

    /// An EventBridge event with every field EventBridge sets filled in.
    fn complete(&self, event: &Value) -> Result<Map<String, Value>, String> {
        let Value::Object(given) = event else {
            return Err(format!(
                "the event must be a JSON object with source, detail-type and detail, found {event}"
            ));
        };
        let (_, region, account) = self.environment();
        let mut out = Map::new();
        let defaults = [
            ("version", json!("0")),
            ("id", json!(self.event_id())),
            ("detail-type", Value::Null),
            ("source", Value::Null),
            ("account", json!(account)),
            ("time", json!(EVENT_TIME)),
            ("region", json!(region)),
            ("resources", json!([])),
            ("detail", json!({})),
        ];
        for (key, default) in defaults {
            match given.get(key) {
                Some(v) => {
                    out.insert(key.to_owned(), v.clone());
                }
                None if !default.is_null() => {
                    out.insert(key.to_owned(), default);
                }
                None => {}
            }
        }
        for (key, value) in given {
            out.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Ok(out)
    }

    fn rule_target_input(&self, event: Option<&Value>) -> Result<Value, String> {
        let Some(event) = event else {
            return match self.properties.get("Input") {
                Some(input) => self.input_property(input),
                None => Err(format!(
                    "the rule delivers the matching event; give one with `trigger_event(\"{}\", json!({{\"source\": ..., \"detail-type\": ..., \"detail\": {{..}}}}))`",
                    self.name
                )),
            };
        };
        let event = Value::Object(self.complete(event)?);
        if let Some(pattern) = self.properties.get("Pattern")
            && let Err(mismatch) = pattern::matches(pattern, &event)
        {
            return Err(format!("the event does not match the rule's Pattern: {mismatch}"));
        }
        let set: Vec<&str> = ["Input", "InputPath", "InputTransformer"]
            .into_iter()
            .filter(|k| self.properties.contains_key(*k))
            .collect();
        if set.len() > 1 {
            return Err(format!(
                "{} are exclusive: a target takes one of them",
                set.join(" and ")
            ));
        }
        if let Some(input) = self.properties.get("Input") {
            return self.input_property(input);
        }
        if let Some(path) = self.properties.get("InputPath") {
            let path = path
                .as_str()
                .ok_or("InputPath must be a JSON path string such as $.detail")?;
            return select(&event, path)?
                .ok_or_else(|| format!("InputPath {path} selects nothing in the event: {event}"));
        }
        if let Some(transformer) = self.properties.get("InputTransformer") {
            return self.transform(transformer, &event);
        }
        Ok(event)
    }

    /// `InputTransformer`: `<name>` placeholders of `InputTemplate` replaced by the values
    /// `InputPathsMap` selects; inside a JSON string a value is inserted as text, outside as JSON.
    fn transform(&self, transformer: &Value, event: &Value) -> Result<Value, String> {
        let template = transformer
            .get("InputTemplate")
            .and_then(Value::as_str)
            .ok_or("InputTransformer needs InputTemplate, a string")?;
        let mut values: Vec<(String, Option<Value>)> = Vec::new();
        if let Some(paths) = transformer.get("InputPathsMap") {
            let Value::Object(paths) = paths else {
                return Err("InputPathsMap must map variable names to JSON paths".to_owned());
            };
            for (name, path) in paths {
                let path = path
                    .as_str()
                    .ok_or_else(|| format!("InputPathsMap/{name} must be a JSON path string"))?;
                values.push((name.clone(), select(event, path)?));
            }
        }
        let mut without_detail = event.clone();
        if let Value::Object(map) = &mut without_detail {
            map.shift_remove("detail");
        }
        let predefined = [
            ("aws.events.rule-arn", json!(self.rule_arn())),
            ("aws.events.rule-name", json!(self.rule_name())),
            (
                "aws.events.event.ingestion-time",
                event.get("time").cloned().unwrap_or(Value::Null),
            ),
            ("aws.events.event", without_detail),
            ("aws.events.event.json", event.clone()),
        ];
        for (name, value) in predefined {
            values.push((name.to_owned(), Some(value)));
        }
        let text = fill(template, &values);
        serde_json::from_str(&text).map_err(|e| {
            format!("the InputTransformer output is not JSON ({e}), and Step Functions starts executions with JSON input only: {text}")
        })
    }

    fn api_input(&self, body: Option<&Value>) -> Result<Value, String> {
        let body = body.cloned().unwrap_or_else(|| json!({}));
        let unescape = self
            .properties
            .get("UnescapeMappingTemplate")
            .is_some_and(|v| v == &Value::Bool(true) || v.as_str() == Some("true"));
        if !unescape && body.to_string().contains('\'') {
            return Err(
                "the request body contains a single quote, which SAM's request template escapes as \\' (not JSON), so StartExecution rejects the request; set UnescapeMappingTemplate: true on the event"
                    .to_owned(),
            );
        }
        Ok(body)
    }
}

/// Replaces `<name>` placeholders; a missing value is `null` (empty inside a string).
fn fill(template: &str, values: &[(String, Option<Value>)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<' && !escaped {
            let placeholder = rest[1..].find('>').map(|end| &rest[1..=end]).and_then(|name| {
                values
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| (name.len() + 2, v.as_ref()))
            });
            if let Some((len, value)) = placeholder {
                match (value, in_string) {
                    (Some(Value::String(s)), true) => {
                        let quoted = Value::String(s.clone()).to_string();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                    (Some(v), true) => {
                        let quoted = Value::String(v.to_string()).to_string();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                    (Some(v), false) => {
                        let _ = write!(out, "{v}");
                    }
                    (None, true) => {}
                    (None, false) => out.push_str("null"),
                }
                rest = &rest[len..];
                continue;
            }
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The value at an EventBridge JSON path (`$`, `$.a.b`, `$.a[0]`, `$.items[*].id`).
fn select(event: &Value, path: &str) -> Result<Option<Value>, String> {
    let Some(rest) = path.strip_prefix('$') else {
        return Err(format!("{path:?} is not a JSON path: it must start with $"));
    };
    let mut current = vec![event.clone()];
    let mut wildcard = false;
    for segment in rest.split('.').skip(1) {
        let (field, indices) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if !field.is_empty() {
            current = current.iter().filter_map(|v| v.get(field).cloned()).collect();
        }
        for index in indices.split('[').skip(1) {
            let index = index
                .strip_suffix(']')
                .ok_or_else(|| format!("{path:?}: unclosed [ in {segment:?}"))?;
            if index == "*" {
                wildcard = true;
                current = current
                    .into_iter()
                    .flat_map(|v| match v {
                        Value::Array(items) => items,
                        _ => Vec::new(),
                    })
                    .collect();
            } else {
                let i: usize = index
                    .parse()
                    .map_err(|_| format!("{path:?}: [{index}] is not an array index"))?;
                current = current.iter().filter_map(|v| v.get(i).cloned()).collect();
            }
        }
    }
    Ok(if wildcard {
        Some(Value::Array(current))
    } else {
        current.into_iter().next()
    })
}

/// EventBridge event patterns: every field of the pattern must match the event (EventBridge
/// User Guide, "Event patterns" and "Content filtering in event patterns").
mod pattern {
    use serde_json::Value;

    use crate::wildcard::{Glob, glob};

    /// `Ok` when `event` matches; else where and why it does not.
    pub(super) fn matches(pattern: &Value, event: &Value) -> Result<(), String> {
        object(pattern, Some(event), "")
    }

    fn object(pattern: &Value, event: Option<&Value>, at: &str) -> Result<(), String> {
        let Value::Object(fields) = pattern else {
            return Err(format!("{}: a pattern is a JSON object, found {pattern}", root(at)));
        };
        for (key, expected) in fields {
            if key == "$or" {
                let Value::Array(alternatives) = expected else {
                    return Err(format!("{}/$or: takes a list of patterns", root(at)));
                };
                let mut why = Vec::new();
                for alternative in alternatives {
                    match object(alternative, event, at) {
                        Ok(()) => {
                            why.clear();
                            break;
                        }
                        Err(e) => why.push(e),
                    }
                }
                if !why.is_empty() {
                    return Err(format!("no $or alternative matches ({})", why.join("; ")));
                }
                continue;
            }
            let here = format!("{at}/{key}");
            let value = event.and_then(|e| e.get(key));
            match expected {
                Value::Object(_) => {
                    if !value.is_some_and(Value::is_object) {
                        return Err(format!("{here}: expected an object, found {}", shown(value)));
                    }
                    object(expected, value, &here)?;
                }
                Value::Array(matchers) => {
                    let candidates: Vec<Option<&Value>> = match value {
                        Some(Value::Array(items)) if !items.is_empty() => items.iter().map(Some).collect(),
                        other => vec![other],
                    };
                    let hit = candidates
                        .iter()
                        .any(|candidate| matchers.iter().any(|m| matcher(m, *candidate)));
                    if !hit {
                        return Err(format!("{here}: {} matches none of {expected}", shown(value)));
                    }
                }
                other => {
                    return Err(format!(
                        "{here}: a pattern field is a list of values or matchers, found {other}"
                    ));
                }
            }
        }
        Ok(())
    }

    fn matcher(m: &Value, value: Option<&Value>) -> bool {
        let Value::Object(rule) = m else {
            return value.is_some_and(|v| equal(m, v));
        };
        let Some((name, arg)) = rule.iter().next() else {
            return false;
        };
        let text = value.and_then(Value::as_str);
        match name.as_str() {
            "exists" => arg.as_bool() == Some(value.is_some()),
            "prefix" => affix(arg, text, |t, p| t.starts_with(p)),
            "suffix" => affix(arg, text, |t, s| t.ends_with(s)),
            "equals-ignore-case" => arg
                .as_str()
                .is_some_and(|e| text.is_some_and(|t| t.to_lowercase() == e.to_lowercase())),
            "wildcard" => arg.as_str().is_some_and(|w| text.is_some_and(|t| glob(w, t, WILDCARD))),
            "anything-but" => value.is_some() && !anything_but(arg, value),
            "numeric" => value.and_then(Value::as_f64).is_some_and(|n| numeric(arg, n)),
            "cidr" => arg.as_str().is_some_and(|c| text.is_some_and(|t| cidr(c, t))),
            _ => false,
        }
    }

    /// EventBridge `wildcard` filters: `*` only ("Wildcard matching").
    const WILDCARD: Glob = Glob {
        any_one: false,
        ignore_case: false,
    };

    /// `prefix` / `suffix`: a string, or `{"equals-ignore-case": string}`.
    fn affix(arg: &Value, text: Option<&str>, test: impl Fn(&str, &str) -> bool) -> bool {
        match (arg, text) {
            (Value::String(a), Some(t)) => test(t, a),
            (Value::Object(o), Some(t)) => o
                .get("equals-ignore-case")
                .and_then(Value::as_str)
                .is_some_and(|a| test(&t.to_lowercase(), &a.to_lowercase())),
            _ => false,
        }
    }

    /// Whether `value` is one of what `anything-but` excludes.
    fn anything_but(arg: &Value, value: Option<&Value>) -> bool {
        match arg {
            Value::Array(items) => items.iter().any(|i| anything_but(i, value)),
            Value::Object(_) => matcher(arg, value),
            scalar => value.is_some_and(|v| equal(scalar, v)),
        }
    }

    fn equal(expected: &Value, value: &Value) -> bool {
        match (expected.as_f64(), value.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < f64::EPSILON,
            _ => expected == value,
        }
    }

    fn numeric(arg: &Value, n: f64) -> bool {
        let Value::Array(terms) = arg else { return false };
        terms.chunks(2).all(|pair| {
            match (
                pair.first().and_then(Value::as_str),
                pair.get(1).and_then(Value::as_f64),
            ) {
                (Some("="), Some(x)) => (n - x).abs() < f64::EPSILON,
                (Some(">"), Some(x)) => n > x,
                (Some(">="), Some(x)) => n >= x,
                (Some("<"), Some(x)) => n < x,
                (Some("<="), Some(x)) => n <= x,
                _ => false,
            }
        })
    }

    fn cidr(block: &str, address: &str) -> bool {
        let parse = |s: &str| -> Option<u32> {
            let octets: Vec<u8> = s.split('.').map(|o| o.parse().ok()).collect::<Option<_>>()?;
            let [a, b, c, d] = octets.as_slice() else { return None };
            Some(u32::from_be_bytes([*a, *b, *c, *d]))
        };
        let Some((net, bits)) = block.split_once('/') else {
            return false;
        };
        let (Some(net), Some(addr), Ok(bits)) = (parse(net), parse(address), bits.parse::<u32>()) else {
            return false;
        };
        let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits.min(32)) };
        net & mask == addr & mask
    }

    fn shown(value: Option<&Value>) -> String {
        value.map_or_else(|| "nothing (the field is missing)".to_owned(), Value::to_string)
    }

    fn root(at: &str) -> &str {
        if at.is_empty() { "/" } else { at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_match_like_eventbridge() {
        let event = json!({
            "source": "orders", "detail-type": "Order Placed",
            "detail": {"amount": 40, "tags": ["a", "vip"], "ip": "10.0.0.7", "name": "Order-17", "note": null}
        });
        let ok = |p: Value| pattern::matches(&p, &event);
        assert!(ok(json!({"source": ["orders"], "detail": {"amount": [{"numeric": [">", 10, "<=", 40]}]}})).is_ok());
        assert!(ok(json!({"detail": {"tags": ["vip"], "ip": [{"cidr": "10.0.0.0/24"}]}})).is_ok());
        assert!(
            ok(json!({"detail": {"name": [{"prefix": "Order-"}], "note": [null], "gone": [{"exists": false}]}}))
                .is_ok()
        );
        assert!(
            ok(json!({"detail": {"name": [{"wildcard": "Ord*-1*"}, "x"], "amount": [{"anything-but": [1, 2]}]}}))
                .is_ok()
        );
        assert!(
            ok(json!({"detail-type": [{"equals-ignore-case": "order placed"}], "source": [{"suffix": "ers"}]})).is_ok()
        );
        assert!(ok(json!({"$or": [{"source": ["x"]}, {"detail": {"amount": [40]}}]})).is_ok());
        assert_eq!(
            ok(json!({"detail": {"amount": [{"numeric": [">", 100]}]}})).unwrap_err(),
            "/detail/amount: 40 matches none of [{\"numeric\":[\">\",100]}]"
        );
        assert_eq!(
            ok(json!({"detail": {"status": ["NEW"]}})).unwrap_err(),
            "/detail/status: nothing (the field is missing) matches none of [\"NEW\"]"
        );
        assert!(ok(json!({"detail": {"gone": [{"anything-but": "x"}]}})).is_err());
    }

    #[test]
    fn input_templates_quote_like_eventbridge() {
        let values = vec![
            ("id".to_owned(), Some(json!("i-1"))),
            ("n".to_owned(), Some(json!(3))),
            ("obj".to_owned(), Some(json!({"a": "\"q\""}))),
            ("missing".to_owned(), None),
        ];
        assert_eq!(
            fill(
                r#"{"id": <id>, "text": "<id> has <n> \"<n>\"", "o": <obj>, "m": <missing>, "lt": "a<b"}"#,
                &values
            ),
            r#"{"id": "i-1", "text": "i-1 has 3 \"3\"", "o": {"a":"\"q\""}, "m": null, "lt": "a<b"}"#
        );
        assert_eq!(fill(r#""<obj>""#, &values), r#""{\"a\":\"\\\"q\\\"\"}""#);
    }

    #[test]
    fn paths_select_like_eventbridge() {
        let event = json!({"detail": {"items": [{"id": 1}, {"id": 2}], "x-y": {"z": true}}});
        assert_eq!(select(&event, "$").unwrap(), Some(event.clone()));
        assert_eq!(select(&event, "$.detail.items[1].id").unwrap(), Some(json!(2)));
        assert_eq!(select(&event, "$.detail.items[*].id").unwrap(), Some(json!([1, 2])));
        assert_eq!(select(&event, "$.detail.x-y.z").unwrap(), Some(json!(true)));
        assert_eq!(select(&event, "$.detail.nope").unwrap(), None);
        assert!(select(&event, "detail").is_err());
    }
}
