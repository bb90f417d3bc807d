//! The typed model of a state machine definition, as the parser builds it: every path,
//! intrinsic and payload template is compiled once, every `Next` is resolved to an index.

use std::sync::Arc;

use serde_json::Value;

use super::intrinsics::Intrinsic;
use super::jsonata::{Expression, Template};
use super::path::{JsonPath, ReferencePath};

/// A parsed, validated state machine definition (the top level, or a Parallel branch / Map
/// iterator, which have the same shape).
#[derive(Debug)]
pub struct Definition {
    /// `StartAt`, as an index into `states`.
    pub start_at: usize,
    /// The states in definition order.
    pub states: Vec<State>,
    /// Execution-level `TimeoutSeconds`, top level only.
    pub timeout_seconds: Option<u64>,
    /// `Comment`.
    pub comment: Option<String>,
    /// The name of every state, nested ones included, by [`State::id`] (top level only; empty
    /// in a branch or iterator): what an execution's history and path keep of a state is its
    /// number.
    pub(crate) names: Arc<[Arc<str>]>,
    /// The JSON pointer of every state, by [`State::id`], as `names` (coverage keeps a
    /// state's number, and reports its pointer).
    pub(crate) pointers: Arc<[Arc<str>]>,
}

impl Definition {
    /// The name of the state numbered `id` ([`State::id`]) in this top-level definition.
    pub(crate) fn state_name(&self, id: u32) -> Option<&Arc<str>> {
        self.names.get(id as usize)
    }

    /// The index of the state with this name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| *s.name == *name)
    }

    /// Visits this definition's states and those of every nested branch and iterator.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a State)) {
        for state in &self.states {
            f(state);
            match &state.kind {
                StateKind::Parallel(p) => p.branches.iter().for_each(|b| b.walk(f)),
                StateKind::Map(m) => m.processor.walk(f),
                _ => {}
            }
        }
    }
}

/// One state.
#[derive(Debug)]
pub struct State {
    /// Its name (shared: the path, history and coverage keep it without a copy).
    pub name: Arc<str>,
    /// JSON pointer to it in the definition (`/States/Charge`).
    pub pointer: Arc<str>,
    /// Input and output processing common to most types.
    pub io: Io,
    /// The JSONata fields, when the state's query language is JSONata (`io` then holds
    /// only defaults).
    pub jsonata: Option<Box<Jsonata>>,
    /// Where to go next: `Some(index)` or `None` for `End: true` / terminal types.
    pub next: Option<usize>,
    /// Type-specific fields.
    pub kind: StateKind,
    /// Its number among all the states of the definition, nested ones included: an index
    /// for per-state marks.
    pub(crate) id: u32,
}

impl State {
    /// The ASL type name (`Pass`, `Task`, ...).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// A path field that may be absent (default `$`), `null` (empty object / discard), or a path.
#[derive(Debug)]
pub enum PathField<P> {
    /// Not given: `$`.
    Default,
    /// `null`.
    Null,
    /// A path, and its text for messages.
    Path(P, String),
}

/// `InputPath`, `OutputPath`, `ResultPath`, and the payload templates.
#[derive(Debug)]
pub struct Io {
    /// `InputPath`.
    pub input_path: PathField<JsonPath>,
    /// `OutputPath`.
    pub output_path: PathField<JsonPath>,
    /// `ResultPath`.
    pub result_path: PathField<ReferencePath>,
    /// `Parameters` (or `ItemSelector` for Map).
    pub parameters: Option<Payload>,
    /// `ResultSelector`.
    pub result_selector: Option<Payload>,
    /// `Assign`.
    pub assign: Option<Payload>,
}

/// The JSONata fields of a state (or of a catcher: `output` and `assign` only).
#[derive(Debug, Default)]
pub struct Jsonata {
    /// `Arguments` (Task, Parallel) or `ItemSelector` (Map).
    pub arguments: Option<Template>,
    /// `Output`.
    pub output: Option<Template>,
    /// `Assign`.
    pub assign: Option<Template>,
    /// `Items` (Map).
    pub items: Option<Template>,
}

/// A JSONata Choice rule.
#[derive(Debug)]
pub struct Rule {
    /// `Condition`: a boolean, or an expression that must give one.
    pub condition: Template,
    /// `Next`, resolved.
    pub next: usize,
    /// The rule's `Assign` and `Output`.
    pub io: Jsonata,
}

/// A compiled payload template (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`):
/// fields whose name ends in `.$` are evaluated, everything else is copied.
#[derive(Debug)]
pub enum Payload {
    /// A constant sub-tree (no `.$` field inside).
    Const(Value),
    /// An object with at least one evaluated field somewhere below.
    Object {
        /// The fields in order, `.$` stripped, each name once.
        fields: Vec<(String, Payload)>,
        /// What evaluating and writing the object start from.
        shape: ObjectShape,
    },
    /// An array with at least one evaluated element somewhere below.
    Array(Vec<Payload>),
    /// `"field.$": "$.path"` (the field name is kept for error messages).
    Path {
        /// The field name, with `.$`.
        field: String,
        /// The path text.
        text: String,
        /// The compiled path.
        path: JsonPath,
    },
    /// `"field.$": "States.Format(...)"`.
    Intrinsic {
        /// The field name, with `.$`.
        field: String,
        /// The function call text.
        text: String,
        /// The compiled call.
        call: Intrinsic,
    },
}

/// A [`Payload::Object`] prepared for evaluation.
#[derive(Debug)]
pub struct ObjectShape {
    /// The object with the constant fields in place and `null` for the others: copying it and
    /// filling those in skips hashing every key of every payload again.
    pub(crate) value: serde_json::Map<String, Value>,
    /// Per field, its text up to the value (`"key":`), with the value too for a constant
    /// (`true` then) whose text is exact (no float).
    pub(crate) text: Vec<(String, bool)>,
    /// The object's text around its values that are not complete constants: the first piece
    /// opens it, the last closes it, one between each two such values (what
    /// `data::write_produced` writes a result built from the template with).
    pub(crate) pieces: Vec<String>,
    /// Per field, how long its name's text is, quotes included (the start of `text`).
    pub(crate) name_lens: Vec<usize>,
}

impl ObjectShape {
    pub(crate) fn of(fields: &[(String, Payload)]) -> ObjectShape {
        let value = fields
            .iter()
            .map(|(k, p)| match p {
                Payload::Const(v) => (k.clone(), v.clone()),
                _ => (k.clone(), Value::Null),
            })
            .collect();
        let mut name_lens = Vec::with_capacity(fields.len());
        let text = fields
            .iter()
            .map(|(k, p)| {
                let mut text = String::new();
                crate::json::write_str(k, &mut text);
                name_lens.push(text.len());
                text.push(':');
                let key_len = text.len();
                let complete = matches!(p, Payload::Const(v) if crate::json::write_compact(v, &mut text));
                if !complete {
                    text.truncate(key_len);
                }
                (text, complete)
            })
            .collect::<Vec<_>>();
        let mut pieces = vec![String::from("{")];
        for (i, (field, complete)) in text.iter().enumerate() {
            let piece = pieces.last_mut().expect("pieces start with one");
            if i > 0 {
                piece.push(',');
            }
            piece.push_str(field);
            if !complete {
                pieces.push(String::new());
            }
        }
        pieces.last_mut().expect("pieces start with one").push('}');
        ObjectShape {
            value,
            text,
            pieces,
            name_lens,
        }
    }
}

/// Type-specific fields.
#[derive(Debug)]
pub enum StateKind {
    /// `Pass`.
    Pass(Pass),
    /// `Task`.
    Task(Box<Task>),
    /// `Choice`.
    Choice(Choice),
    /// `Wait`.
    Wait(Wait),
    /// `Succeed`.
    Succeed,
    /// `Fail`.
    Fail(Fail),
    /// `Parallel`.
    Parallel(Box<Parallel>),
    /// `Map`.
    Map(Box<Map>),
}

/// `Pass`.
#[derive(Debug)]
pub struct Pass {
    /// `Result`.
    pub result: Option<Value>,
}

/// A number of seconds given literally or by a path.
#[derive(Debug)]
pub enum Seconds {
    /// A literal.
    Value(u64),
    /// `...Path`: read at run time.
    Path(ReferencePath, String),
    /// A JSONata expression (JSONata states).
    Expression(Box<Expression>),
}

/// `Task`.
#[derive(Debug)]
pub struct Task {
    /// `Resource`.
    pub resource: String,
    /// `TimeoutSeconds` / `TimeoutSecondsPath`.
    pub timeout: Option<Seconds>,
    /// `HeartbeatSeconds` / `HeartbeatSecondsPath`.
    pub heartbeat: Option<Seconds>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `Credentials`, kept as written.
    pub credentials: Option<Value>,
}

/// One `Retry` entry.
#[derive(Debug)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: f64,
    /// `MaxAttempts` (default 3).
    pub max_attempts: u64,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<f64>,
    /// `JitterStrategy: FULL`.
    pub jitter_full: bool,
}

/// One `Catch` entry.
#[derive(Debug)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `Next`, resolved.
    pub next: usize,
    /// `ResultPath` (default `$`).
    pub result_path: PathField<ReferencePath>,
    /// `Assign`.
    pub assign: Option<Payload>,
    /// `Output` and `Assign` of a catcher in a JSONata state.
    pub jsonata: Option<Box<Jsonata>>,
}

/// `Choice`.
#[derive(Debug)]
pub struct Choice {
    /// `Choices`, each with its `Next`.
    pub choices: Vec<(Condition, usize, Option<Payload>)>,
    /// `Default`, resolved.
    pub default: Option<usize>,
    /// The rules of a JSONata Choice state (`choices` is then empty).
    pub rules: Vec<Rule>,
}

/// A Choice rule's boolean expression.
#[derive(Debug)]
pub enum Condition {
    /// `And`.
    And(Vec<Condition>),
    /// `Or`.
    Or(Vec<Condition>),
    /// `Not`.
    Not(Box<Condition>),
    /// A comparison of `Variable` with an operand.
    Compare {
        /// `Variable`.
        variable: JsonPath,
        /// The variable's path text, for messages.
        variable_text: String,
        /// The operator.
        op: Operator,
        /// The operand: a literal, or a path for the `*Path` operators.
        operand: Operand,
    },
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Operator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

/// A comparison's right-hand side.
#[derive(Debug)]
pub enum Operand {
    /// A literal.
    Value(Value),
    /// A `*Path` operand.
    Path(JsonPath, String),
}

/// `Wait`.
#[derive(Debug)]
pub enum Wait {
    /// `Seconds`.
    Seconds(u64),
    /// `SecondsPath`.
    SecondsPath(ReferencePath, String),
    /// `Timestamp` (milliseconds since the epoch).
    Timestamp(i64),
    /// `TimestampPath`.
    TimestampPath(ReferencePath, String),
    /// `Seconds` (or `Timestamp`, when `timestamp`) as a JSONata expression.
    Expression {
        /// The field is `Timestamp`.
        timestamp: bool,
        /// The expression.
        expression: Box<Expression>,
    },
}

/// A string given literally, by a path, or by an intrinsic function (`Error`/`ErrorPath`).
#[derive(Debug)]
pub enum Text {
    /// A literal.
    Value(String),
    /// A reference path.
    Path(ReferencePath, String),
    /// An intrinsic call.
    Intrinsic(Intrinsic, String),
    /// A JSONata expression (JSONata states).
    Expression(Box<Expression>),
}

/// `Fail`.
#[derive(Debug)]
pub struct Fail {
    /// `Error` / `ErrorPath`.
    pub error: Option<Text>,
    /// `Cause` / `CausePath`.
    pub cause: Option<Text>,
}

/// `Parallel`.
#[derive(Debug)]
pub struct Parallel {
    /// `Branches`.
    pub branches: Vec<Definition>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
}

/// A count or percentage given literally or by a path.
#[derive(Debug)]
pub enum Number {
    /// A literal.
    Value(f64),
    /// `...Path`.
    Path(ReferencePath, String),
    /// A JSONata expression (JSONata states).
    Expression(Box<Expression>),
}

/// `Map`.
#[derive(Debug)]
pub struct Map {
    /// `ItemProcessor` / `Iterator`.
    pub processor: Definition,
    /// `ItemProcessor.ProcessorConfig.Mode == DISTRIBUTED`.
    pub distributed: bool,
    /// `ItemsPath`.
    pub items_path: PathField<JsonPath>,
    /// `MaxConcurrency` / `MaxConcurrencyPath` (0 = unlimited).
    pub max_concurrency: Number,
    /// `ToleratedFailureCount` / `...Path`.
    pub tolerated_failure_count: Option<Number>,
    /// `ToleratedFailurePercentage` / `...Path`.
    pub tolerated_failure_percentage: Option<Number>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `ItemReader`, `ItemBatcher`, `ResultWriter` and `Label` of a Distributed Map.
    pub distributed_io: Option<Box<DistributedIo>>,
}

/// The Distributed Map fields that read items from and write results to Amazon S3 (AWS docs,
/// "ItemReader (Map)", "ItemBatcher (Map)", "ResultWriter (Map)").
#[derive(Debug, Default)]
pub struct DistributedIo {
    /// `ItemReader`.
    pub reader: Option<ItemReader>,
    /// `ItemBatcher`.
    pub batcher: Option<ItemBatcher>,
    /// `ResultWriter`.
    pub writer: Option<ResultWriter>,
    /// `Label`: names the Map Run (`...:mapRun:<state machine>/<Label>:<id>`).
    pub label: Option<String>,
}

/// `Parameters` (JSONPath) or `Arguments` (JSONata) of an item reader or result writer.
#[derive(Debug)]
pub enum Arguments {
    /// Neither given.
    None,
    /// `Parameters`.
    Payload(Payload),
    /// `Arguments`.
    Template(Template),
}

/// Where an `ItemReader` reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderSource {
    /// `arn:aws:states:::s3:getObject`: the items are in one object.
    GetObject,
    /// `arn:aws:states:::s3:listObjectsV2`: the items are the objects' metadata.
    ListObjectsV2,
}

/// `ReaderConfig.InputType` of an `s3:getObject` reader.
#[derive(Debug)]
pub enum ReaderFormat {
    /// `JSON`: the object is a JSON array.
    Json,
    /// `JSONL`: one JSON value per line.
    Jsonl,
    /// `CSV`: `headers` from `CSVHeaders` (`CSVHeaderLocation: GIVEN`), or `None` for the
    /// first row (`FIRST_ROW`).
    Csv {
        /// `CSVHeaders`.
        headers: Option<Vec<String>>,
        /// `CSVDelimiter` (default `COMMA`).
        delimiter: char,
    },
    /// A form this interpreter does not read (`MANIFEST`: S3 inventory files), by name.
    Unsupported(String),
}

/// `ItemReader`.
#[derive(Debug)]
pub struct ItemReader {
    /// `Resource`.
    pub source: ReaderSource,
    /// `ReaderConfig.InputType` (`s3:getObject` readers).
    pub format: ReaderFormat,
    /// `ReaderConfig.MaxItems` / `MaxItemsPath`.
    pub max_items: Option<Number>,
    /// `Parameters` / `Arguments`: `Bucket`, `Key`, `Prefix`.
    pub arguments: Arguments,
}

/// `ItemBatcher`.
#[derive(Debug)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch` / `MaxItemsPerBatchPath`.
    pub max_items: Option<Number>,
    /// `MaxInputBytesPerBatch` / `MaxInputBytesPerBatchPath`.
    pub max_bytes: Option<Number>,
    /// `BatchInput`: a payload template (JSONPath) or a JSONata template.
    pub batch_input: Arguments,
}

/// `ResultWriter.WriterConfig.Transformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transformation {
    /// `NONE`: each child execution's metadata with its output.
    None,
    /// `COMPACT`: the outputs only.
    Compact,
    /// `FLATTEN`: the outputs, arrays flattened one level.
    Flatten,
}

/// `ResultWriter`.
#[derive(Debug)]
pub struct ResultWriter {
    /// `Resource` (`arn:aws:states:::s3:putObject`) is given: results go to S3.
    pub to_s3: bool,
    /// `Parameters` / `Arguments`: `Bucket`, `Prefix`.
    pub arguments: Arguments,
    /// `WriterConfig.Transformation` (default `NONE` with S3, `COMPACT` without).
    pub transformation: Transformation,
    /// `WriterConfig.OutputType: JSONL`.
    pub jsonl: bool,
}
