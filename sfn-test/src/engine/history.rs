//! Execution history events shaped like AWS's `GetExecutionHistory` output, stamped with
//! virtual time.

use std::cell::RefCell;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::clock::{Millis, format_timestamp};
use crate::integrations::mock::Mock;
use crate::json::FieldSpan;

/// One history event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// 1-based event id.
    pub id: u64,
    /// The event this one follows (0 for none).
    pub previous_event_id: u64,
    /// Virtual time of the event, in milliseconds since the epoch.
    pub timestamp: Millis,
    /// The event type (`PassStateEntered`, `TaskScheduled`, ...).
    pub kind: &'static str,
    /// The `*EventDetails` field name and its value, shaped on demand.
    details: Option<(&'static str, Details)>,
}

/// An event's details as the engine has them. Most events carry a state's input or output
/// plus a field or two; building AWS's wrapper object for each of them (a map, its keys,
/// `{"truncated": false}`) cost more than the rest of a state transition, so it is built
/// only when a test reads the event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Details {
    /// Any details, already as JSON.
    Json(Value),
    /// [`with_payload`]`(field, value, [("name", name)])`: `*StateEntered` / `*StateExited`.
    /// A state's output is the next state's input: both events share one copy.
    State {
        field: &'static str,
        name: Arc<str>,
        value: Recorded,
    },
    /// An object of these string fields, in this order (a Task's failure: its error, cause
    /// and resource names).
    Fields(Vec<(&'static str, Arc<str>)>),
    /// `{"resourceType": .., "resource": ..}`: a service integration's `TaskStarted`.
    Service(Arc<ServiceNames>),
    /// A service integration's `TaskScheduled`: `resourceType`, `resource`, `region`,
    /// `parameters`, then `timeoutInSeconds` / `heartbeatInSeconds` when set.
    Scheduled {
        names: Arc<ServiceNames>,
        region: Arc<str>,
        parameters: Recorded,
        timing: Vec<(&'static str, Value)>,
    },
    /// `{"name": name, "index": index}`: a Map iteration's events.
    Iteration { name: Arc<str>, index: usize },
    /// [`with_payload`]`(field, value, extra)`.
    Payload {
        field: &'static str,
        value: Recorded,
        extra: Vec<(&'static str, Value)>,
    },
    /// [`with_payload`]`("output", value, [("resourceType", ..), ("resource", ..)])`: a service
    /// integration's `TaskSucceeded` (no larger than the other variants: a history holds many).
    Task { value: Recorded, names: Arc<ServiceNames> },
}

/// A service integration's `resourceType` and `resource`, which its Task events repeat: one
/// shared copy per Task state, so that an event takes one reference instead of two.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ServiceNames {
    pub(crate) resource_type: Arc<str>,
    pub(crate) resource: Arc<str>,
}

impl ServiceNames {
    /// `resourceType` and `resource`, as the events show them.
    pub(crate) fn fields(&self) -> [(&'static str, Value); 2] {
        [
            ("resourceType", Value::String(self.resource_type.to_string())),
            ("resource", Value::String(self.resource.to_string())),
        ]
    }
}

impl Details {
    fn to_json(&self) -> Value {
        match self {
            Details::Json(v) => v.clone(),
            Details::State { field, name, value } => {
                with_payload(field, &value.value(), &[("name", Value::String(name.to_string()))])
            }
            Details::Payload { field, value, extra } => with_payload(field, &value.value(), extra),
            Details::Task { value, names } => with_payload("output", &value.value(), &names.fields()),
            Details::Iteration { name, index } => json!({ "name": name.as_ref(), "index": index }),
            Details::Service(names) => {
                Value::Object(names.fields().map(|(k, v)| (k.to_string(), v)).into_iter().collect())
            }
            Details::Scheduled {
                names,
                region,
                parameters,
                timing,
            } => {
                let mut map: Map<String, Value> = names.fields().map(|(k, v)| (k.to_string(), v)).into_iter().collect();
                map.insert("region".into(), Value::String(region.to_string()));
                map.insert("parameters".into(), parameters.value());
                for (k, v) in timing {
                    map.insert((*k).into(), v.clone());
                }
                Value::Object(map)
            }
            Details::Fields(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), Value::String(v.to_string())))
                    .collect(),
            ),
        }
    }
}

/// A copy of a payload kept for later, shared by the events that show it: its compact JSON
/// text, which costs one allocation where a `Value` copy costs one per map, key and string
/// (and as many frees), or the value itself when it holds a float, whose text might not
/// parse back to the same bits.
#[derive(Clone, Debug)]
pub(crate) enum Recorded {
    Text(Arc<str>),
    Value(Arc<Value>),
    /// The value of a [`Mock::ret`], shared with the mock.
    Mock(Mock),
}

impl PartialEq for Recorded {
    fn eq(&self, other: &Self) -> bool {
        // A shared mock value compares as the copy it stands for would.
        let plain = |r: &Recorded| match r {
            Recorded::Mock(m) => Recorded::of(m.returned().unwrap_or(&Value::Null)),
            other => other.clone(),
        };
        match (plain(self), plain(other)) {
            (Recorded::Text(a), Recorded::Text(b)) => a == b,
            (Recorded::Value(a), Recorded::Value(b)) => a == b,
            _ => false,
        }
    }
}

impl Recorded {
    pub(crate) fn of(value: &Value) -> Recorded {
        match Recorded::written(|buf| crate::json::write_compact(value, buf)) {
            Some(text) => Recorded::Text(text),
            None => Recorded::Value(Arc::new(value.clone())),
        }
    }

    /// [`Recorded::of`], noting where an object's top-level fields are in the text; `false`
    /// when there is no text to note them in.
    pub(crate) fn of_fields(value: &Value, fields: &mut Vec<FieldSpan>) -> (Recorded, bool) {
        match Recorded::written(|buf| crate::json::write_compact_fields(value, buf, fields)) {
            Some(text) => (Recorded::Text(text), true),
            None => (Recorded::Value(Arc::new(value.clone())), false),
        }
    }

    /// The copy of object `self` (its fields at `fields`) with top-level field `key` set to
    /// `value`, written by changing this copy's text; `fields` then are the new copy's. `None`
    /// (and `fields` unchanged) when there is no text, or the change cannot be written so.
    pub(crate) fn with_field(&self, fields: &mut Vec<FieldSpan>, key: &str, value: &Value) -> Option<Recorded> {
        let Recorded::Text(text) = self else { return None };
        Recorded::written(|buf| crate::json::with_field(text, fields, key, value, buf)).map(Recorded::Text)
    }

    /// The text `write` writes into an empty buffer, unless it declines.
    fn written(write: impl FnOnce(&mut String) -> bool) -> Option<Arc<str>> {
        thread_local! {
            // Written into, then copied out at its exact size: a history holds thousands of
            // these, and spare capacity in each made a long history's memory (and page
            // faults) grow several times over.
            static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
        }
        SCRATCH.with_borrow_mut(|buf| {
            buf.clear();
            write(buf).then(|| Arc::from(buf.as_str()))
        })
    }

    /// The payload, as recorded.
    pub(crate) fn value(&self) -> Value {
        match self {
            // The text was written from a `Value` by serde_json, so it parses back.
            Recorded::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Recorded::Value(v) => Value::clone(v),
            Recorded::Mock(m) => m.returned().cloned().unwrap_or(Value::Null),
        }
    }
}

impl Event {
    /// The event as AWS's JSON shape: `{"timestamp", "type", "id", "previousEventId", "<x>EventDetails"}`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("timestamp".into(), Value::String(format_timestamp(self.timestamp)));
        map.insert("type".into(), Value::String(self.kind.into()));
        map.insert("id".into(), json!(self.id));
        map.insert("previousEventId".into(), json!(self.previous_event_id));
        if let Some((key, details)) = &self.details {
            map.insert((*key).into(), details.to_json());
        }
        Value::Object(map)
    }

    /// The `*EventDetails` field name and value, when the event has details.
    pub fn details(&self) -> Option<(&'static str, Value)> {
        self.details.as_ref().map(|(key, d)| (*key, d.to_json()))
    }

    /// The state name of a `*StateEntered` / `*StateExited` event.
    pub fn state_name(&self) -> Option<&str> {
        match &self.details {
            Some(("stateEnteredEventDetails" | "stateExitedEventDetails", d)) => match d {
                Details::State { name, .. } => Some(name),
                Details::Json(v) => v.get("name").and_then(Value::as_str),
                Details::Payload { extra, .. } => {
                    extra.iter().find(|(k, _)| *k == "name").and_then(|(_, v)| v.as_str())
                }
                Details::Fields(_)
                | Details::Iteration { .. }
                | Details::Task { .. }
                | Details::Service(_)
                | Details::Scheduled { .. } => None,
            },
            _ => None,
        }
    }
}

/// The growing history of one execution.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    pub(crate) events: Vec<Event>,
    pub(crate) record: bool,
    pub(crate) count: u64,
}

impl EventLog {
    /// A log with room for `capacity` events.
    pub(crate) fn new(record: bool, capacity: usize) -> Self {
        EventLog {
            events: Vec::with_capacity(capacity),
            record,
            count: 0,
        }
    }

    /// Appends an event and returns its id. `details` is only built when history is recorded.
    pub(crate) fn push(
        &mut self,
        previous: u64,
        timestamp: Millis,
        kind: &'static str,
        details: impl FnOnce() -> Option<(&'static str, Details)>,
    ) -> u64 {
        self.count += 1;
        let id = self.count;
        if self.record {
            self.events.push(Event {
                id,
                previous_event_id: previous,
                timestamp,
                kind,
                details: details(),
            });
        }
        id
    }
}

/// `{"input": v, "inputDetails": {"truncated": false}}` plus extra fields.
pub(crate) fn with_payload(key: &str, value: &Value, extra: &[(&str, Value)]) -> Value {
    let mut map = Map::new();
    for (k, v) in extra {
        map.insert((*k).to_string(), v.clone());
    }
    map.insert(key.to_string(), value.clone());
    map.insert(format!("{key}Details"), json!({ "truncated": false }));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_kept_as_values() {
        let v = json!({ "a": [1, 0.1] });
        assert!(!crate::json::write_compact(&v, &mut String::new()));
        assert!(matches!(Recorded::of(&v), Recorded::Value(_)));
        assert_eq!(Recorded::of(&v).value(), v);
        let exact = json!({ "s": "é \"q\"\n", "n": [u64::MAX, i64::MIN] });
        assert!(matches!(Recorded::of(&exact), Recorded::Text(_)));
        assert_eq!(Recorded::of(&exact).value(), exact);
    }
}
