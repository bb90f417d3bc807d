//! Execution history events shaped like AWS's `GetExecutionHistory` output, stamped with
//! virtual time.

use std::cell::{OnceCell, RefCell};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};

use crate::clock::{Millis, format_timestamp};
use crate::integrations::mock::Mock;
use crate::json::{FieldSpan, Source};

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
/// only when a test reads the event. Kept small (an event is moved into the history and
/// dropped with it): the rare large parts are boxed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Details {
    /// Any details, already as JSON (failures, timeouts, a Map's length: rare).
    Json(Box<Value>),
    /// [`with_payload`]`(field, value, [("name", name)])`: `*StateEntered` / `*StateExited`.
    /// A state's output is the next state's input: both events share one copy.
    State {
        field: Field,
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
        timing: Option<Box<Timing>>,
    },
    /// `{"name": name, "index": index}`: a Map iteration's events.
    Iteration { name: Arc<str>, index: usize },
    /// [`with_payload`]`(field, value, extra)`.
    Payload {
        field: Field,
        value: Recorded,
        extra: Box<[(&'static str, Value)]>,
    },
    /// [`with_payload`]`("output", value, [("resourceType", ..), ("resource", ..)])`: a service
    /// integration's `TaskSucceeded` (no larger than the other variants: a history holds many).
    Task { value: Recorded, names: Arc<ServiceNames> },
}

// A history holds thousands of events, each moved into it and dropped with it: the size of one
// is part of every state's cost.
const _: () = assert!(std::mem::size_of::<Event>() <= 112);

/// A Task's `timeoutInSeconds` and `heartbeatInSeconds`, when it sets them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Timing {
    pub(crate) timeout: Option<u64>,
    pub(crate) heartbeat: Option<u64>,
}

impl Timing {
    /// `timeoutInSeconds` and `heartbeatInSeconds`, as the events show them, when set.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'static str, Value)> {
        [
            ("timeoutInSeconds", self.timeout),
            ("heartbeatInSeconds", self.heartbeat),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, Value::from(v))))
    }
}

/// Which payload an event shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Input,
    Output,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Input => "input",
            Field::Output => "output",
        }
    }
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
            Details::Json(v) => Value::clone(v),
            Details::State { field, name, value } => with_payload(
                field.name(),
                &value.value(),
                &[("name", Value::String(name.to_string()))],
            ),
            Details::Payload { field, value, extra } => with_payload(field.name(), &value.value(), extra),
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
                for (k, v) in timing.iter().flat_map(|t| t.fields()) {
                    map.insert(k.into(), v);
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
    /// Text in the execution's [`Texts`].
    Span(Span),
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
        let (a, b) = (plain(self), plain(other));
        match (&a, &b) {
            (Recorded::Value(a), Recorded::Value(b)) => a == b,
            (Recorded::Value(_), _) | (_, Recorded::Value(_)) => false,
            _ => a.text() == b.text(),
        }
    }
}

impl Recorded {
    /// The text, when the copy is text that can be read now: a span only once its execution
    /// has ended (see [`Texts::read`] for one that is running).
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Recorded::Text(text) => Some(text),
            Recorded::Span(span) => span.text(),
            Recorded::Value(_) | Recorded::Mock(_) => None,
        }
    }

    /// The length of the copy's text, when it is text.
    pub(crate) fn text_len(&self) -> Option<usize> {
        match self {
            Recorded::Text(text) => Some(text.len()),
            Recorded::Span(span) => Some(span.range().len()),
            Recorded::Value(_) | Recorded::Mock(_) => None,
        }
    }

    /// A copy with text of its own, outside any execution's [`Texts`]: the execution's input,
    /// which `$$.Execution.Input` reads while the execution runs.
    pub(crate) fn of(value: &Value) -> Recorded {
        let mut text = String::new();
        if crate::json::write_compact(value, &mut text) {
            Recorded::Text(Arc::from(text))
        } else {
            Recorded::Value(Arc::new(value.clone()))
        }
    }

    /// The payload, as recorded.
    pub(crate) fn value(&self) -> Value {
        match self {
            // The text was written from a `Value` by serde_json, so it parses back.
            Recorded::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Recorded::Span(span) => span
                .text()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null),
            Recorded::Value(v) => Value::clone(v),
            Recorded::Mock(m) => m.returned().cloned().unwrap_or(Value::Null),
        }
    }
}

/// Where a copy is in its execution's [`Texts`]: a byte range of the buffer, which the events
/// share once the execution has ended.
#[derive(Clone, Debug)]
pub(crate) struct Span {
    store: Arc<OnceLock<String>>,
    // 32 bits each, so that a copy is no larger than a reference to text of its own.
    start: u32,
    end: u32,
}

impl Span {
    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text, once the execution has ended.
    fn text(&self) -> Option<&str> {
        self.store.get().and_then(|t| t.get(self.range()))
    }
}

/// The text of an execution's history copies, written one after another into one buffer: a
/// copy costs no allocation of its own, and the history frees them at once. When the
/// execution ends, [`Texts::finish`] hands the buffer to the spans, which read it from then on.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    buf: RefCell<String>,
    /// Made with the first copy: most executions without history write none.
    store: OnceCell<Arc<OnceLock<String>>>,
}

impl Texts {
    /// Texts with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Texts {
        Texts {
            buf: RefCell::new(String::with_capacity(capacity)),
            store: OnceCell::new(),
        }
    }

    /// How many bytes the copies take.
    pub(crate) fn len(&self) -> usize {
        self.buf.borrow().len()
    }

    /// The copy `write` appends to the buffer, unless it declines (and its part is removed).
    fn written(&self, write: impl FnOnce(&mut String) -> bool) -> Option<Recorded> {
        let mut buf = self.buf.borrow_mut();
        let start = buf.len();
        if !write(&mut buf) {
            buf.truncate(start);
            return None;
        }
        Some(self.span(&mut buf, start))
    }

    /// The copy of what `buf` holds from `start` on.
    fn span(&self, buf: &mut String, start: usize) -> Recorded {
        match (u32::try_from(start), u32::try_from(buf.len())) {
            (Ok(start), Ok(end)) => Recorded::Span(Span {
                store: Arc::clone(self.store.get_or_init(Arc::default)),
                start,
                end,
            }),
            // Past 4 GiB of history text, a copy has text of its own.
            _ => {
                let text = Arc::from(&buf[start..]);
                buf.truncate(start);
                Recorded::Text(text)
            }
        }
    }

    /// A copy of JSON text `text`.
    pub(crate) fn copy(&self, text: &str) -> Recorded {
        let mut buf = self.buf.borrow_mut();
        let start = buf.len();
        buf.push_str(text);
        self.span(&mut buf, start)
    }

    /// The history's copy of `value`.
    pub(crate) fn of(&self, value: &Value) -> Recorded {
        self.written(|buf| crate::json::write_compact(value, buf))
            .unwrap_or_else(|| Recorded::Value(Arc::new(value.clone())))
    }

    /// [`Texts::of`], noting where an object's top-level fields are in the text; `false` when
    /// there is no text to note them in.
    pub(crate) fn of_fields(&self, value: &Value, fields: &mut Vec<FieldSpan>) -> (Recorded, bool) {
        match self.written(|buf| crate::json::write_compact_fields(value, buf, fields)) {
            Some(copy) => (copy, true),
            None => (Recorded::Value(Arc::new(value.clone())), false),
        }
    }

    /// The copy of object `base` (its fields at `fields`) with top-level field `key` set to
    /// the value `write` writes, written by changing `base`'s text; `fields` then are the new
    /// copy's. `None` (and `fields` unchanged) when `base` is no text, or the change cannot be
    /// written so.
    pub(crate) fn with_field(
        &self,
        base: &Recorded,
        fields: &mut Vec<FieldSpan>,
        key: &str,
        write: impl FnOnce(&mut String) -> bool,
    ) -> Option<Recorded> {
        let source = self.source(base)?;
        self.written(|buf| crate::json::with_field(buf, source, fields, key, write))
    }

    /// An array of `items`' texts: `None` unless each of them is text.
    pub(crate) fn joined<'r>(&self, items: impl IntoIterator<Item = Option<&'r Recorded>>) -> Option<Recorded> {
        self.written(|buf| {
            buf.push('[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                match item.and_then(|r| self.source(r)) {
                    Some(Source::Text(t)) => buf.push_str(t),
                    Some(Source::Within(range)) => buf.extend_from_within(range),
                    None => return false,
                }
            }
            buf.push(']');
            true
        })
    }

    /// Calls `read` with the copy's text, when it is text: a span of this running execution
    /// is read from the buffer.
    pub(crate) fn read<R>(&self, copy: &Recorded, read: impl FnOnce(&str) -> R) -> Option<R> {
        match self.source(copy)? {
            Source::Text(text) => Some(read(text)),
            Source::Within(range) => self.buf.borrow().get(range).map(read),
        }
    }

    /// Where the copy's text is.
    fn source<'r>(&self, copy: &'r Recorded) -> Option<Source<'r>> {
        match copy {
            Recorded::Span(span) if self.store.get().is_some_and(|s| Arc::ptr_eq(&span.store, s)) => {
                Some(Source::Within(span.range()))
            }
            other => other.text().map(Source::Text),
        }
    }

    /// Hands the buffer to the spans: the execution has ended.
    pub(crate) fn finish(&self) {
        if let Some(store) = self.store.get() {
            // Set only here, once per execution.
            let _ = store.set(self.buf.take());
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

    #[test]
    fn copies_share_one_buffer_and_read_it_after_the_end() {
        let texts = Texts::default();
        let first = json!({ "a": 1, "last": { "i": -1 } });
        let mut fields = Vec::new();
        let (base, noted) = texts.of_fields(&first, &mut fields);
        assert!(noted && matches!(base, Recorded::Span(_)));
        // A float has no text, and leaves nothing behind in the buffer.
        let float = texts.of(&json!([0.5]));
        assert!(matches!(float, Recorded::Value(_)));
        assert_eq!(texts.len(), base.text_len().unwrap_or(0));
        let write = |out: &mut String| crate::json::write_compact(&json!({ "i": 0 }), out);
        let changed = texts.with_field(&base, &mut fields, "last", write);
        let changed = changed.expect("a field of a span's text");
        let outside = Recorded::Text(Arc::from("\"x\""));
        let joined = texts.joined([Some(&base), Some(&changed), Some(&outside)]);
        let joined = joined.expect("every item is text");
        assert!(texts.joined([Some(&base), Some(&float)]).is_none());
        let params = texts.copy(r#"{"p":true}"#);
        // While the execution runs, spans are read through the texts.
        assert_eq!(base.text(), None);
        assert_eq!(
            texts.read(&changed, str::to_string).as_deref(),
            Some(r#"{"a":1,"last":{"i":0}}"#)
        );
        texts.finish();
        assert_eq!(base.value(), first);
        assert_eq!(changed.text(), Some(r#"{"a":1,"last":{"i":0}}"#));
        assert_eq!(
            joined.text(),
            Some(r#"[{"a":1,"last":{"i":-1}},{"a":1,"last":{"i":0}},"x"]"#)
        );
        assert_eq!(params.value(), json!({ "p": true }));
        assert_eq!(float.value(), json!([0.5]));
        // Equal copies compare equal, wherever their text is.
        assert_eq!(changed, Recorded::Text(Arc::from(r#"{"a":1,"last":{"i":0}}"#)));
        assert_ne!(changed, base);
    }
}
