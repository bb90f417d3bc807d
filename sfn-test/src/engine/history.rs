//! Execution history events shaped like AWS's `GetExecutionHistory` output, stamped with
//! virtual time.

use std::cell::RefCell;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::clock::{Millis, format_timestamp};
use crate::integrations::mock::Mock;
use crate::json::{FieldSpan, Source};

use super::run::TaskTable;

/// The name of an event's details field (`stateEnteredEventDetails`, ...): one byte in an
/// event instead of a string reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    ActivityFailed,
    ActivityScheduled,
    ActivityStarted,
    ActivitySucceeded,
    ActivityTimedOut,
    EvaluationFailed,
    ExecutionFailed,
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionTimedOut,
    LambdaFunctionFailed,
    LambdaFunctionScheduled,
    LambdaFunctionSucceeded,
    LambdaFunctionTimedOut,
    MapIterationFailed,
    MapIterationStarted,
    MapIterationSucceeded,
    MapRunFailed,
    MapRunStarted,
    MapStateFailed,
    MapStateStarted,
    ParallelStateFailed,
    StateEntered,
    StateExited,
    TaskFailed,
    TaskScheduled,
    TaskStarted,
    TaskSubmitted,
    TaskSucceeded,
    TaskTimedOut,
}

impl Key {
    /// The field name, as AWS's history JSON has it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Key::ActivityFailed => "activityFailedEventDetails",
            Key::ActivityScheduled => "activityScheduledEventDetails",
            Key::ActivityStarted => "activityStartedEventDetails",
            Key::ActivitySucceeded => "activitySucceededEventDetails",
            Key::ActivityTimedOut => "activityTimedOutEventDetails",
            Key::EvaluationFailed => "evaluationFailedEventDetails",
            Key::ExecutionFailed => "executionFailedEventDetails",
            Key::ExecutionStarted => "executionStartedEventDetails",
            Key::ExecutionSucceeded => "executionSucceededEventDetails",
            Key::ExecutionTimedOut => "executionTimedOutEventDetails",
            Key::LambdaFunctionFailed => "lambdaFunctionFailedEventDetails",
            Key::LambdaFunctionScheduled => "lambdaFunctionScheduledEventDetails",
            Key::LambdaFunctionSucceeded => "lambdaFunctionSucceededEventDetails",
            Key::LambdaFunctionTimedOut => "lambdaFunctionTimedOutEventDetails",
            Key::MapIterationFailed => "mapIterationFailedEventDetails",
            Key::MapIterationStarted => "mapIterationStartedEventDetails",
            Key::MapIterationSucceeded => "mapIterationSucceededEventDetails",
            Key::MapRunFailed => "mapRunFailedEventDetails",
            Key::MapRunStarted => "mapRunStartedEventDetails",
            Key::MapStateFailed => "mapStateFailedEventDetails",
            Key::MapStateStarted => "mapStateStartedEventDetails",
            Key::ParallelStateFailed => "parallelStateFailedEventDetails",
            Key::StateEntered => "stateEnteredEventDetails",
            Key::StateExited => "stateExitedEventDetails",
            Key::TaskFailed => "taskFailedEventDetails",
            Key::TaskScheduled => "taskScheduledEventDetails",
            Key::TaskStarted => "taskStartedEventDetails",
            Key::TaskSubmitted => "taskSubmittedEventDetails",
            Key::TaskSucceeded => "taskSucceededEventDetails",
            Key::TaskTimedOut => "taskTimedOutEventDetails",
        }
    }
}

/// One history event.
#[derive(Clone)]
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
    details: Option<(Key, Details)>,
    /// What the details refer to: the execution's payload copies and state names, shared by
    /// all of its events.
    context: Arc<EventContext>,
}

/// An execution's history copies (see [`Texts`]) and the names of its definition's states,
/// by [`State::id`](crate::asl::State): what an event's details refer to.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventContext {
    pub(crate) texts: Arc<String>,
    pub(crate) names: Arc<[Arc<str>]>,
    /// The definition's Task states: a service integration's names.
    pub(crate) tasks: Arc<TaskTable>,
    pub(crate) region: &'static str,
    /// The account and state machine that `ExecutionStarted`'s `roleArn` names.
    pub(crate) account: &'static str,
    pub(crate) state_machine: Arc<str>,
}

/// An event as the engine records it: its details refer to the execution's [`EventContext`]
/// without holding it, so that recording and dropping it moves no reference count; the
/// history's [`Event`]s are made from these when a test reads them.
///
/// Made of plain numbers: a state, Task state or Map state is its number, a payload copy its
/// span, and the details of the other forms wait in the log's `rare` list. An event that held
/// [`Details`] (an enum) was built beside the history and then copied into it, read back in
/// wide pieces from what had just been written in narrow ones, which stalls the processor at
/// every event; plain fields are written where the event goes.
#[derive(Debug)]
pub(crate) struct RawEvent {
    /// The id in the low 32 bits, the previous event's in the high (a history is limited to
    /// far fewer events).
    ids: u64,
    timestamp: Millis,
    kind: &'static str,
    key: Option<Key>,
    form: Form,
    field: Field,
    /// The state's, Task state's or Map state's [`State::id`](crate::asl::State).
    state: u32,
    /// The copy's span bounds, the Map iteration's index, or the details' place in `rare`.
    word: u64,
}

/// Which [`Details`] a [`RawEvent`] holds.
#[derive(Clone, Copy, Debug)]
enum Form {
    None,
    State,
    Started,
    Service,
    Scheduled,
    Task,
    /// A Task's result that a [`Mock`] returned: the mock is in the log's `mocks`.
    TaskMock,
    Iteration,
    Rare,
}

impl RawEvent {
    /// The id and the previous event's, as [`RawEvent`] keeps them.
    fn ids(id: u64, previous: u64) -> u64 {
        u64::from(u32::try_from(id).unwrap_or(u32::MAX))
            | (u64::from(u32::try_from(previous).unwrap_or(u32::MAX)) << 32)
    }

    /// `details` as plain numbers, the rarer forms put in `rare`.
    #[inline(always)]
    fn new(
        id: u64,
        previous: u64,
        timestamp: Millis,
        kind: &'static str,
        details: Option<(Key, Details)>,
        sides: &mut Sides,
    ) -> RawEvent {
        let ids = RawEvent::ids(id, previous);
        let (key, form, field, state, word) = match details {
            None => (None, Form::None, Field::Input, 0, 0),
            Some((key, details)) => {
                // The plain forms hold nothing to drop: their details are not dropped (a call
                // per event), only read; the others are moved where they are kept.
                let details = std::mem::ManuallyDrop::new(details);
                let plain = match &*details {
                    Details::State {
                        field,
                        state,
                        value: Recorded::Span(span),
                    } => Some((Form::State, *field, *state, span.bounds)),
                    Details::Started(Recorded::Span(span)) => Some((Form::Started, Field::Input, 0, span.bounds)),
                    Details::Service(task) => Some((Form::Service, Field::Input, *task, 0)),
                    Details::Scheduled {
                        task,
                        parameters: Recorded::Span(span),
                        timing: None,
                    } => Some((Form::Scheduled, Field::Input, *task, span.bounds)),
                    Details::Task {
                        value: Recorded::Span(span),
                        task,
                    } => Some((Form::Task, Field::Output, *task, span.bounds)),
                    Details::Iteration { state, index } => Some((Form::Iteration, Field::Input, *state, *index as u64)),
                    _ => None,
                };
                let (form, field, state, word) = match plain {
                    Some(plain) => plain,
                    None => match std::mem::ManuallyDrop::into_inner(details) {
                        Details::Task {
                            value: Recorded::Mock(mock),
                            task,
                        } => {
                            sides.mocks.push(mock);
                            (Form::TaskMock, Field::Output, task, (sides.mocks.len() - 1) as u64)
                        }
                        other => {
                            sides.rare.push(other);
                            (Form::Rare, Field::Input, 0, (sides.rare.len() - 1) as u64)
                        }
                    },
                };
                (Some(key), form, field, state, word)
            }
        };
        RawEvent {
            ids,
            timestamp,
            kind,
            key,
            form,
            field,
            state,
            word,
        }
    }

    /// The details, as [`RawEvent::new`] was given them.
    fn details(&self, sides: &Sides) -> Option<(Key, Details)> {
        let key = self.key?;
        let span = || Recorded::Span(Span { bounds: self.word });
        let state = self.state;
        let details = match self.form {
            Form::None => return None,
            Form::State => Details::State {
                field: self.field,
                state,
                value: span(),
            },
            Form::Started => Details::Started(span()),
            Form::Service => Details::Service(state),
            Form::Scheduled => Details::Scheduled {
                task: state,
                parameters: span(),
                timing: None,
            },
            Form::Task => Details::Task {
                value: span(),
                task: state,
            },
            Form::TaskMock => Details::Task {
                value: Recorded::Mock(sides.mocks.get(usize::try_from(self.word).ok()?)?.clone()),
                task: state,
            },
            Form::Iteration => Details::Iteration {
                state,
                index: usize::try_from(self.word).unwrap_or(usize::MAX),
            },
            Form::Rare => sides.rare.get(usize::try_from(self.word).ok()?)?.clone(),
        };
        Some((key, details))
    }

    /// The event a test reads; `sides` are its log's.
    fn to_event(&self, context: &Arc<EventContext>, sides: &Sides) -> Event {
        Event {
            id: self.ids & u64::from(u32::MAX),
            previous_event_id: self.ids >> 32,
            timestamp: self.timestamp,
            kind: self.kind,
            details: self.details(sides),
            context: Arc::clone(context),
        }
    }
}

/// An event's details as the engine has them. Most events carry a state's input or output
/// plus a field or two; building AWS's wrapper object for each of them (a map, its keys,
/// `{"truncated": false}`) cost more than the rest of a state transition, so it is built
/// only when a test reads the event. Kept small (an event is moved into the history and
/// dropped with it): the rare large parts are boxed.
#[derive(Clone, Debug)]
pub(crate) enum Details {
    /// Any details, already as JSON (failures, timeouts, a Map's length: rare).
    Json(Box<Value>),
    /// [`with_payload`]`(field, value, [("name", name)])`: `*StateEntered` / `*StateExited`.
    /// A state's output is the next state's input: both events share one copy.
    State {
        field: Field,
        /// The state's [`State::id`](crate::asl::State).
        state: u32,
        value: Recorded,
    },
    /// An object of these string fields, in this order (a Task's failure: its error, cause
    /// and resource names).
    Fields(Vec<(&'static str, Arc<str>)>),
    /// `{"resourceType": .., "resource": ..}`: a service integration's `TaskStarted`; the
    /// Task state's [`State::id`](crate::asl::State), whose names the [`EventContext`] has.
    Service(u32),
    /// A service integration's `TaskScheduled`: `resourceType`, `resource`, `region`,
    /// `parameters`, then `timeoutInSeconds` / `heartbeatInSeconds` when set.
    Scheduled {
        task: u32,
        parameters: Recorded,
        timing: Option<Box<Timing>>,
    },
    /// `{"name": .., "index": index}`: a Map iteration's events; `state` is the Map
    /// state's [`State::id`](crate::asl::State).
    Iteration { state: u32, index: usize },
    /// `ExecutionStarted`: [`with_payload`]`("input", value, [("roleArn", ..)])`, the role's ARN
    /// made from the [`EventContext`]'s names when read.
    Started(Recorded),
    /// [`with_payload`]`(field, value, extra)`.
    Payload {
        field: Field,
        value: Recorded,
        extra: Box<[(&'static str, Value)]>,
    },
    /// [`with_payload`]`("output", value, [("resourceType", ..), ("resource", ..)])`: a service
    /// integration's `TaskSucceeded` (no larger than the other variants: a history holds many).
    Task { value: Recorded, task: u32 },
}

// A history holds thousands of events, each moved into it and dropped with it: the size of one
// is part of every state's cost.
const _: () = assert!(std::mem::size_of::<RawEvent>() <= 48);
const _: () = assert!(std::mem::size_of::<Recorded>() == 16);

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

/// A service integration's `resourceType` and `resource`, which its Task events repeat: kept
/// once per Task state (in the [`TaskTable`]), and named by the state's number in the events.
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
    fn to_json(&self, context: &EventContext) -> Value {
        let texts = context.texts.as_str();
        match self {
            Details::Json(v) => Value::clone(v),
            Details::State { field, state, value } => with_payload(
                field.name(),
                value.value_in(texts),
                &[("name", Value::String(context.state_name(*state).to_string()))],
            ),
            Details::Started(value) => with_payload(
                "input",
                value.value_in(texts),
                &[(
                    "roleArn",
                    Value::String(crate::engine::role_arn(context.account, &context.state_machine)),
                )],
            ),
            Details::Payload { field, value, extra } => with_payload(field.name(), value.value_in(texts), extra),
            Details::Task { value, task } => {
                with_payload("output", value.value_in(texts), &context.service_fields(*task))
            }
            Details::Iteration { state, index } => json!({ "name": context.state_name(*state), "index": index }),
            Details::Service(task) => Value::Object(context.service_object(*task)),
            Details::Scheduled {
                task,
                parameters,
                timing,
            } => {
                let mut map = context.service_object(*task);
                map.insert("region".into(), Value::String(context.region.to_string()));
                map.insert("parameters".into(), parameters.value_in(texts));
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
    /// Text of its own (behind one thin pointer: a copy is two words, which moves whole).
    Text(Arc<String>),
    /// Text in the execution's [`Texts`].
    Span(Span),
    Value(Arc<Value>),
    /// The value of a [`Mock::ret`], shared with the mock.
    Mock(Mock),
}

impl Recorded {
    /// The text, when the copy is text: a span is read from `texts`, its execution's
    /// finished [`Texts`] ([`Texts::read`] reads one that is running).
    pub(crate) fn text_in<'t>(&'t self, texts: &'t str) -> Option<&'t str> {
        match self {
            Recorded::Text(text) => Some(text),
            Recorded::Span(span) => texts.get(span.range()),
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

    /// The payload, as recorded; a span's text is in `texts` (see [`Recorded::text_in`]).
    pub(crate) fn value_in(&self, texts: &str) -> Value {
        match self {
            // The text was written from a `Value` by serde_json, so it parses back.
            Recorded::Text(_) | Recorded::Span(_) => self
                .text_in(texts)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null),
            Recorded::Value(v) => Value::clone(v),
            Recorded::Mock(m) => m.returned().cloned().unwrap_or(Value::Null),
        }
    }

    /// The same copy with text of its own, for outside its execution (a child execution's
    /// call records, which join its parent's).
    pub(crate) fn detached(self, texts: &str) -> Recorded {
        match self {
            Recorded::Span(span) => Recorded::Text(Arc::new(texts.get(span.range()).unwrap_or("null").to_string())),
            other => other,
        }
    }
}

/// Where a copy is in its execution's [`Texts`]: a byte range of the buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    /// The start in the low 32 bits, the end in the high: one word, which an event's copy
    /// moves whole (two 32-bit fields were written and read back in pieces, which stalls).
    bounds: u64,
}

impl Span {
    fn new(start: u32, end: u32) -> Span {
        Span {
            bounds: u64::from(start) | (u64::from(end) << 32),
        }
    }

    #[allow(clippy::cast_possible_truncation)]
    fn range(&self) -> std::ops::Range<usize> {
        (self.bounds as u32) as usize..((self.bounds >> 32) as u32) as usize
    }
}

/// The text of an execution's history copies, written one after another into one buffer: a
/// copy costs no allocation of its own and holds no reference, and the history frees them at
/// once. When the execution ends, [`Texts::finish`] hands the buffer to the execution's
/// [`EventContext`], where the copies are read from then on.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    buf: RefCell<String>,
}

impl Texts {
    /// Texts with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Texts {
        Texts {
            buf: RefCell::new(String::with_capacity(capacity)),
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
            (Ok(start), Ok(end)) => Recorded::Span(Span::new(start, end)),
            // Past 4 GiB of history text, a copy has text of its own.
            _ => {
                let text = Arc::new(buf[start..].to_string());
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

    /// [`Texts::of`], the text written by `write` (which writes `value`'s compact text, or
    /// declines at a float).
    pub(crate) fn of_written(&self, value: &Value, write: impl FnOnce(&mut String) -> bool) -> Recorded {
        self.written(write)
            .unwrap_or_else(|| Recorded::Value(Arc::new(value.clone())))
    }

    /// [`Texts::of_written`] by a `write` that notes where the object's top-level fields are
    /// (as [`Texts::of_fields`] does); `false` when there is no text to note them in.
    pub(crate) fn of_written_fields(
        &self,
        value: &Value,
        fields: &mut Vec<FieldSpan>,
        write: impl FnOnce(&mut String, &mut Vec<FieldSpan>) -> bool,
    ) -> (Recorded, bool) {
        match self.written(|buf| write(buf, fields)) {
            Some(copy) => (copy, true),
            None => (Recorded::Value(Arc::new(value.clone())), false),
        }
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

    /// The copy's value, read while the execution runs (from its text, where it has one).
    pub(crate) fn value_of(&self, copy: &Recorded) -> Value {
        match copy {
            Recorded::Span(_) => copy.value_in(&self.buf.borrow()),
            other => other.value_in(""),
        }
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
            Recorded::Span(span) => Some(Source::Within(span.range())),
            Recorded::Text(text) => Some(Source::Text(text)),
            Recorded::Value(_) | Recorded::Mock(_) => None,
        }
    }

    /// The buffer, for the execution's [`EventContext`]: the execution has ended.
    pub(crate) fn finish(&self) -> Arc<String> {
        Arc::new(self.buf.take())
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
            map.insert(key.as_str().into(), details.to_json(&self.context));
        }
        Value::Object(map)
    }

    /// The `*EventDetails` field name and value, when the event has details.
    pub fn details(&self) -> Option<(&'static str, Value)> {
        self.details
            .as_ref()
            .map(|(key, d)| (key.as_str(), d.to_json(&self.context)))
    }

    /// The state name of a `*StateEntered` / `*StateExited` event.
    pub fn state_name(&self) -> Option<&str> {
        // The engine records every state's entry and exit as `Details::State`.
        match &self.details {
            Some((Key::StateEntered | Key::StateExited, Details::State { state, .. })) => {
                Some(self.context.state_name(*state))
            }
            _ => None,
        }
    }
}

/// Events compare as what they show: the same fields and details, wherever their copies are.
impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (self.id, self.previous_event_id, self.timestamp, self.kind)
            == (other.id, other.previous_event_id, other.timestamp, other.kind)
            && self.details() == other.details()
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("id", &self.id)
            .field("previous_event_id", &self.previous_event_id)
            .field("timestamp", &self.timestamp)
            .field("kind", &self.kind)
            .field("details", &self.details())
            .finish()
    }
}

impl EventContext {
    /// The name of the state numbered `id`.
    pub(crate) fn state_name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }

    /// The name and `Resource` of Task state `id`.
    pub(crate) fn task_names(&self, id: u32) -> (&str, &str) {
        (self.state_name(id), self.tasks.resource(id).map_or("", |r| r))
    }

    /// `{"resourceType": .., "resource": ..}` of service integration Task `id`.
    fn service_object(&self, id: u32) -> Map<String, Value> {
        self.service_fields(id)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    /// `resourceType` and `resource` of service integration Task `id`.
    fn service_fields(&self, id: u32) -> Vec<(&'static str, Value)> {
        self.tasks
            .service_names(id)
            .map(|n| Vec::from(n.fields()))
            .unwrap_or_default()
    }
}

/// What a [`RawEvent`] cannot hold as a number.
#[derive(Debug, Default)]
struct Sides {
    /// The details of the events whose [`Form`] is `Rare`.
    rare: Vec<Details>,
    /// The mocks whose values `TaskMock` events show.
    mocks: Vec<Mock>,
}

/// The growing history of one execution.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    pub(crate) events: Vec<RawEvent>,
    sides: Sides,
    pub(crate) record: bool,
    pub(crate) count: u64,
}

impl EventLog {
    /// A log with room for `capacity` events, `tasks` of them results of Task calls.
    pub(crate) fn new(record: bool, capacity: usize, tasks: usize) -> Self {
        EventLog {
            events: Vec::with_capacity(capacity),
            sides: Sides {
                rare: Vec::new(),
                mocks: Vec::with_capacity(if record { tasks } else { 0 }),
            },
            record,
            count: 0,
        }
    }

    /// Appends an event and returns its id. `details` is only built when history is recorded.
    /// Inlined: passing the closure (what the details are made of) to a call of its own copied
    /// it through memory at every event.
    #[inline(always)]
    pub(crate) fn push(
        &mut self,
        previous: u64,
        timestamp: Millis,
        kind: &'static str,
        details: impl FnOnce() -> Option<(Key, Details)>,
    ) -> u64 {
        self.count += 1;
        let id = self.count;
        if self.record {
            let event = RawEvent::new(id, previous, timestamp, kind, details(), &mut self.sides);
            self.events.push(event);
        }
        id
    }

    /// [`EventLog::push`] of a state's entered or exited event (`kind`, details `key`):
    /// `Details::State`, its copy made by `value`, given as plain values, so that no details
    /// are built to be taken apart again.
    #[inline(always)]
    pub(crate) fn push_state(
        &mut self,
        previous: u64,
        timestamp: Millis,
        (kind, key): (&'static str, Key),
        field: Field,
        state: u32,
        value: impl FnOnce() -> Recorded,
    ) -> u64 {
        self.push_copy(
            previous,
            timestamp,
            (kind, key),
            (Form::State, field, state),
            value,
            |value| Details::State { field, state, value },
        )
    }

    /// [`EventLog::push_state`] of a service integration's `TaskSucceeded`: `Details::Task`.
    #[inline(always)]
    pub(crate) fn push_task(
        &mut self,
        previous: u64,
        timestamp: Millis,
        (kind, key): (&'static str, Key),
        task: u32,
        value: impl FnOnce() -> Recorded,
    ) -> u64 {
        self.push_copy(
            previous,
            timestamp,
            (kind, key),
            (Form::Task, Field::Output, task),
            value,
            |value| Details::Task { value, task },
        )
    }

    /// An event whose details are a copy and a state's number: `form` when the copy is a span
    /// (`TaskMock` for a Task's result that is a mock's value), else the details `rare` makes.
    #[inline(always)]
    fn push_copy(
        &mut self,
        previous: u64,
        timestamp: Millis,
        (kind, key): (&'static str, Key),
        (form, field, state): (Form, Field, u32),
        value: impl FnOnce() -> Recorded,
        rare: impl FnOnce(Recorded) -> Details,
    ) -> u64 {
        self.count += 1;
        let id = self.count;
        if self.record {
            let (form, word) = match value() {
                Recorded::Span(span) => (form, span.bounds),
                Recorded::Mock(mock) if matches!(form, Form::Task) => {
                    self.sides.mocks.push(mock);
                    (Form::TaskMock, (self.sides.mocks.len() - 1) as u64)
                }
                value => {
                    self.sides.rare.push(rare(value));
                    (Form::Rare, (self.sides.rare.len() - 1) as u64)
                }
            };
            self.events.push(RawEvent {
                ids: RawEvent::ids(id, previous),
                timestamp,
                kind,
                key: Some(key),
                form,
                field,
                state,
                word,
            });
        }
        id
    }

    /// The events a test reads.
    pub(crate) fn to_events(&self, context: &Arc<EventContext>) -> Vec<Event> {
        self.events.iter().map(|e| e.to_event(context, &self.sides)).collect()
    }
}

/// `{"input": v, "inputDetails": {"truncated": false}}` plus extra fields.
pub(crate) fn with_payload(key: &str, value: Value, extra: &[(&str, Value)]) -> Value {
    let mut map = Map::new();
    for (k, v) in extra {
        map.insert((*k).to_string(), v.clone());
    }
    map.insert(key.to_string(), value);
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
        let texts = Texts::default();
        assert!(matches!(texts.of(&v), Recorded::Value(_)));
        assert_eq!(texts.value_of(&texts.of(&v)), v);
        let exact = json!({ "s": "é \"q\"\n", "n": [u64::MAX, i64::MIN] });
        assert!(matches!(texts.of(&exact), Recorded::Span(_)));
        assert_eq!(texts.value_of(&texts.of(&exact)), exact);
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
        let outside = Recorded::Text(Arc::new("\"x\"".to_string()));
        let joined = texts.joined([Some(&base), Some(&changed), Some(&outside)]);
        let joined = joined.expect("every item is text");
        assert!(texts.joined([Some(&base), Some(&float)]).is_none());
        let params = texts.copy(r#"{"p":true}"#);
        // While the execution runs, spans are read through the texts.
        assert_eq!(
            texts.read(&changed, str::to_string).as_deref(),
            Some(r#"{"a":1,"last":{"i":0}}"#)
        );
        let done = texts.finish();
        let done = done.as_str();
        assert_eq!(base.value_in(done), first);
        assert_eq!(changed.text_in(done), Some(r#"{"a":1,"last":{"i":0}}"#));
        assert_eq!(
            joined.text_in(done),
            Some(r#"[{"a":1,"last":{"i":-1}},{"a":1,"last":{"i":0}},"x"]"#)
        );
        assert_eq!(params.value_in(done), json!({ "p": true }));
        assert_eq!(float.value_in(done), json!([0.5]));
        // A copy taken out of its execution has its text with it.
        let detached = changed.clone().detached(done);
        assert!(matches!(detached, Recorded::Text(_)));
        assert_eq!(detached.text_in(""), Some(r#"{"a":1,"last":{"i":0}}"#));
    }

    #[test]
    fn events_compare_and_show_what_they_hold_wherever_their_copies_are() {
        // The same state's entry, recorded by two executions whose copies sit at different
        // places of their buffers.
        let names: Arc<[Arc<str>]> = Arc::from([Arc::from("First"), Arc::from("Second")]);
        let entry = |padding: &str| {
            let texts = Texts::default();
            texts.copy(padding);
            let value = texts.copy(r#"{"k":1}"#);
            let mut log = EventLog::new(true, 1, 0);
            log.count = 1;
            log.push(0, 0, "PassStateEntered", || {
                Some((
                    Key::StateEntered,
                    Details::State {
                        field: Field::Input,
                        state: 1,
                        value,
                    },
                ))
            });
            log.to_events(&Arc::new(EventContext {
                texts: texts.finish(),
                names: Arc::clone(&names),
                ..EventContext::default()
            }))
            .remove(0)
        };
        let (a, b) = (entry(""), entry("[1,2,3]"));
        assert_eq!(a, b);
        assert_eq!(a.state_name(), Some("Second"));
        assert_eq!(
            a.details(),
            Some((
                "stateEnteredEventDetails",
                json!({ "input": { "k": 1 }, "inputDetails": { "truncated": false }, "name": "Second" })
            ))
        );
        let mut later = b.clone();
        later.timestamp = 1;
        assert_ne!(a, later);
    }
}
