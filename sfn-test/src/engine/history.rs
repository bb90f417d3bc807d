//! Execution history events shaped like AWS's `GetExecutionHistory` output, stamped with
//! virtual time.

use serde_json::{Map, Value, json};

use crate::clock::{Millis, format_timestamp};

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
    /// The `*EventDetails` field name and value, when the event has details.
    pub details: Option<(&'static str, Value)>,
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
            map.insert((*key).into(), details.clone());
        }
        Value::Object(map)
    }

    /// The state name of a `*StateEntered` / `*StateExited` event.
    pub fn state_name(&self) -> Option<&str> {
        match &self.details {
            Some(("stateEnteredEventDetails" | "stateExitedEventDetails", d)) => d.get("name").and_then(Value::as_str),
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
    pub(crate) fn new(record: bool) -> Self {
        EventLog {
            events: Vec::new(),
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
        details: impl FnOnce() -> Option<(&'static str, Value)>,
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
