//! Runs one execution: the state loop, every state type, Retry/Catch, Parallel and Map on the
//! deterministic scheduler, Task calls answered by mocks, history and coverage records.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::choice;
use super::concurrency::{Child, Either, External, run_bounded, select};
use super::data::{self, Scope, StateError, Variables, eval_payload, runtime_error};
use super::history::{
    Details, EventContext, EventLog, Field, Key, Recorded, ServiceNames, Texts, Timing, with_payload,
};
use crate::asl::model::*;
use crate::clock::{Clock, Millis, format_timestamp};
use crate::error::Error;
use crate::integrations::mock::{Mock, MockKind, TaskCall, TaskError, TaskResult, contains};
use crate::integrations::{Pattern, Resource};

mod distributed;
mod jsonata;
mod nested;

pub(crate) use nested::ChildMachine;

/// How deep child executions may nest before the run stops as a runaway recursion.
const MAX_CHILD_DEPTH: usize = 32;

/// AWS's payload size limit for state input and output (256 KiB).
const PAYLOAD_LIMIT: usize = 262_144;

/// Everything an execution needs from outside.
#[derive(Clone)]
pub(crate) struct RunConfig<'a> {
    pub definition: &'a Definition,
    /// Shared with the execution's events (its role's ARN) and the [`Execution`](crate::Execution).
    pub state_machine_name: &'a Arc<str>,
    pub account: &'static str,
    pub region: &'static str,
    pub execution_name: &'a str,
    pub start: Millis,
    pub seed: u64,
    pub mocks: &'a BTreeMap<String, Mock>,
    /// Consulted when no key of `mocks` matches.
    pub fallback_mocks: &'a BTreeMap<String, Mock>,
    pub default_mock: Option<&'a Mock>,
    /// Synthetic resource identifiers (ARNs, names) → logical ids, from the template.
    pub resources: &'a BTreeMap<String, String>,
    pub history_limit: usize,
    pub record_history: bool,
    /// The longest an execution may run (AWS: one year for Standard workflows).
    pub max_duration: Duration,
    /// The virtual S3's objects at the start (Distributed Map `ItemReader` input).
    pub s3: &'a super::s3::S3Objects,
    /// An Express workflow: express execution ARNs, no `RedriveCount`.
    pub express: bool,
    /// State machines that `states:startExecution` Tasks run as child executions.
    pub children: &'a [ChildMachine<'a>],
    /// How many parent executions this one runs inside.
    pub depth: usize,
    /// The definition's Task states parsed once for every execution (`None`: the execution
    /// parses them when it starts).
    pub tasks: Option<&'a Arc<TaskTable>>,
    /// How large the definition's executions' lists have grown (`None`: not kept).
    pub sizes: Option<&'a RunSizes>,
}

/// A Task state's parsed `Resource`, its event family and its `Resource` text.
pub(crate) type ParsedTask = Arc<(Resource, Family, Arc<str>)>;

/// Every Task state of a definition, parsed, by [`State::id`].
#[derive(Debug, Default)]
pub(crate) struct TaskTable(Vec<Option<ParsedTask>>);

impl TaskTable {
    fn of(definition: &Definition) -> TaskTable {
        let mut by_id: Vec<Option<ParsedTask>> = vec![None; definition.names.len()];
        definition.walk(&mut |state| {
            if let StateKind::Task(task) = &state.kind {
                let id = state.id as usize;
                if by_id.len() <= id {
                    by_id.resize(id + 1, None);
                }
                by_id[id] = Some(parse_task(task));
            }
        });
        TaskTable(by_id)
    }

    fn get(&self, id: u32) -> Option<&ParsedTask> {
        self.0.get(id as usize)?.as_ref()
    }

    /// The `resourceType` and `resource` of service integration Task `id`.
    pub(crate) fn service_names(&self, id: u32) -> Option<&ServiceNames> {
        match &self.get(id)?.1 {
            Family::Service { names, .. } => Some(names),
            _ => None,
        }
    }

    /// The `Resource` of Task `id`.
    pub(crate) fn resource(&self, id: u32) -> Option<&Arc<str>> {
        self.get(id).map(|parsed| &parsed.2)
    }
}

/// A state machine's [`TaskTable`], built on its first execution, and [`RunSizes`].
#[derive(Default)]
pub(crate) struct TaskCache {
    tasks: std::sync::OnceLock<Arc<TaskTable>>,
    sizes: RunSizes,
}

/// The largest history, path, call list and history text a state machine's executions have
/// had so far: the next execution starts with room for as many, instead of growing its lists
/// (and copying them) as a loop or a Map goes on. Capacity only; no execution sees another's
/// data.
#[derive(Default)]
pub(crate) struct RunSizes {
    events: std::sync::atomic::AtomicUsize,
    path: std::sync::atomic::AtomicUsize,
    calls: std::sync::atomic::AtomicUsize,
    text: std::sync::atomic::AtomicUsize,
}

impl RunSizes {
    /// The most room an execution starts with: one runaway loop (a history of 25,000
    /// events) should not make every later execution of the state machine start large.
    const ROOM: usize = 8192;
    /// The most room for history text, in bytes.
    const TEXT_ROOM: usize = 1 << 20;

    fn get(&self) -> (usize, usize, usize, usize) {
        use std::sync::atomic::Ordering::Relaxed;
        let room = |n: &std::sync::atomic::AtomicUsize| n.load(Relaxed).min(Self::ROOM);
        let text = self.text.load(Relaxed).min(Self::TEXT_ROOM);
        (room(&self.events), room(&self.path), room(&self.calls), text)
    }

    fn note(&self, events: usize, path: usize, calls: usize, text: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.events.fetch_max(events, Relaxed);
        self.path.fetch_max(path, Relaxed);
        self.calls.fetch_max(calls, Relaxed);
        self.text.fetch_max(text, Relaxed);
    }
}

impl TaskCache {
    pub(crate) fn sizes(&self) -> &RunSizes {
        &self.sizes
    }

    pub(crate) fn get(&self, definition: &Definition) -> &Arc<TaskTable> {
        self.tasks.get_or_init(|| Arc::new(TaskTable::of(definition)))
    }
}

impl std::fmt::Debug for TaskCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskCache")
    }
}

fn parse_task(task: &Task) -> ParsedTask {
    let resource = Resource::parse(&task.resource);
    let family = Family::of(&resource, &task.resource);
    Arc::new((resource, family, Arc::from(task.resource.as_str())))
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// `SUCCEEDED`.
    Succeeded,
    /// `FAILED`, with the error and cause AWS would report.
    Failed {
        /// The error name.
        error: String,
        /// The cause, when there is one.
        cause: Option<String>,
    },
    /// `TIMED_OUT`: the execution's `TimeoutSeconds` (or the one-year maximum) passed.
    TimedOut {
        /// The error name (`States.Timeout`).
        error: String,
        /// The cause, when there is one.
        cause: Option<String>,
    },
}

impl Status {
    /// The status as AWS spells it: `SUCCEEDED`, `FAILED`, `TIMED_OUT`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed { .. } => "FAILED",
            Status::TimedOut { .. } => "TIMED_OUT",
        }
    }
}

/// One Task call as recorded for assertions.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRecord {
    /// The call.
    pub call: TaskCall,
    /// Every key a mock for it could be registered under.
    pub keys: Vec<String>,
    /// Its result.
    pub result: TaskResult,
}

/// What coverage needs from one execution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visits {
    /// JSON pointers of the states entered.
    pub states: BTreeSet<String>,
    /// `(from pointer, to pointer)` transitions taken.
    pub transitions: BTreeSet<(String, String)>,
    /// `(choice pointer, rule index)`; `usize::MAX` stands for `Default`.
    pub choice_rules: BTreeSet<(String, usize)>,
    /// `(state pointer, retrier index)` retries fired.
    pub retries: BTreeSet<(String, usize)>,
    /// `(state pointer, catcher index)` catchers fired.
    pub catches: BTreeSet<(String, usize)>,
}

/// What an execution visited as the engine records it: states and transitions as state
/// numbers ([`State::id`]) in first-visit order, made into [`Visits`]' sorted sets of JSON
/// pointers only when read.
#[derive(Debug, Default)]
pub(crate) struct RawVisits {
    /// Choice rules, retries and catches (rare), already as sets; `None` when there were none
    /// (dropping five empty sets costs more than a simple state).
    pub rest: Option<Box<Visits>>,
    /// States entered, `(state, ENTERED)`, and transitions taken, `(from, to)`, in one list
    /// (one allocation per execution instead of two).
    pub firsts: Vec<(u32, u32)>,
    /// The definition's JSON pointers, by state number.
    pub pointers: Arc<[Arc<str>]>,
}

/// The second half of a state's entry in [`RawVisits::firsts`] (no state has this number).
const ENTERED: u32 = u32::MAX;

impl RawVisits {
    pub(crate) fn to_visits(&self) -> Visits {
        let mut visits = self.rest.as_deref().cloned().unwrap_or_default();
        let pointer = |id: u32| {
            self.pointers
                .get(id as usize)
                .map_or_else(String::new, |p| p.to_string())
        };
        let (states, transitions): (Vec<_>, Vec<_>) = self.firsts.iter().partition(|(_, to)| *to == ENTERED);
        visits.states = merged(
            std::mem::take(&mut visits.states),
            states.iter().map(|&(id, _)| pointer(id)).collect(),
        );
        visits.transitions = merged(
            std::mem::take(&mut visits.transitions),
            transitions.iter().map(|&(a, b)| (pointer(a), pointer(b))).collect(),
        );
        visits
    }
}

/// The result of running an execution.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub status: Status,
    pub output: Option<Value>,
    /// The [`State::id`]s of the states entered (their names are in `context`).
    pub path: Vec<u32>,
    /// Indices into `path`.
    /// `None` when every state entered was at the top level (the definition has no Parallel
    /// or Map state).
    pub top_path: Option<Vec<usize>>,
    pub history: EventLog,
    /// What the history and the call records refer to.
    pub context: EventContext,
    pub calls: Vec<PendingCall>,
    pub end: Millis,
    pub visits: RawVisits,
    /// `None` when no state assigned variables.
    pub variables: Option<BTreeMap<String, Map<String, Value>>>,
    /// The objects the execution's ResultWriters wrote to the virtual S3.
    pub s3_objects: Vec<super::s3::S3Object>,
}

/// Hashes the address pairs of `Run::seen`: they are unique, so a multiply mixes enough, at a
/// fraction of SipHash's cost per transition.
#[derive(Default)]
pub(crate) struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Why a state did not produce output.
enum Fault {
    Failed(StateError),
    /// A failure no retrier or catcher of the failing state handles: a JSONata `Output` that
    /// fails after the work is done. `run_definition` turns it into `Failed` for the states
    /// around it.
    Uncaught(StateError),
    /// A harness error, stored in `Run::harness`.
    Harness,
}

impl From<StateError> for Fault {
    fn from(e: StateError) -> Self {
        Fault::Failed(e)
    }
}

/// A Parallel branch or Map iteration (or the top level): its variables and history thread.
struct Frame<'p> {
    parent: Option<&'p Frame<'p>>,
    variables: RefCell<Variables>,
    last_event: Cell<u64>,
    /// Names of the enclosing Parallel/Map states, for qualified mock keys (`Outer/Inner`).
    prefix: Rc<str>,
    map_item: Option<(usize, Value)>,
    /// A Distributed Map iteration: a child execution, whose states and events are not part of
    /// this execution's path and history.
    detached: bool,
    /// The history's copy of the running Task state's input, when it has one: parameters that
    /// pass the whole input on (`"Payload.$": "$"`) are written from it.
    task_input: RefCell<Option<Recorded>>,
    /// What the running state left for the history to write its output's copy from (see
    /// [`Produced`]); taken right after the state ends.
    produced: RefCell<Option<Produced>>,
    /// The history's copy of the output this frame's states ended with.
    last_copy: RefCell<Option<Recorded>>,
}

/// How a state's output came about, when that lets the history write its copy without writing
/// the whole output out.
enum Produced {
    /// A Map or Parallel state's output, joined from its iterations' or branches' copies.
    Joined(Recorded),
    /// The state's input with one top-level field set by `ResultPath` (by [`Run::finish`] or
    /// an in-place write): the address of the output's first field, which no other live object
    /// has, so the history can check it still holds this output.
    Field(usize),
    /// [`Produced::Field`], the field's value made by writing the template's values into the
    /// object of the same shape there.
    FieldMade(usize),
    /// The state's result, made by writing its template's values into its input of the same
    /// shape (see [`Produced::Field`] for the address).
    Whole(usize),
}

impl<'p> Frame<'p> {
    /// A frame inside `parent`; `empty` is a shared empty scope (a branch's first `Assign`
    /// copies it), so that a Map iteration without variables allocates none.
    fn child(
        parent: &'p Frame<'p>,
        empty: &Variables,
        prefix: Rc<str>,
        last_event: u64,
        map_item: Option<(usize, Value)>,
    ) -> Frame<'p> {
        Frame {
            map_item,
            detached: parent.detached,
            ..Frame::new(Some(parent), Rc::clone(empty), prefix, last_event)
        }
    }

    fn new(parent: Option<&'p Frame<'p>>, variables: Variables, prefix: Rc<str>, last_event: u64) -> Frame<'p> {
        Frame {
            parent,
            variables: RefCell::new(variables),
            last_event: Cell::new(last_event),
            prefix,
            map_item: None,
            detached: false,
            task_input: RefCell::new(None),
            produced: RefCell::new(None),
            last_copy: RefCell::new(None),
        }
    }

    /// `Outer/Inner`: a state's name qualified by the enclosing Parallel/Map states, inside one.
    fn qualified(&self, state: &State) -> Option<String> {
        (!self.prefix.is_empty()).then(|| format!("{}/{}", self.prefix, state.name))
    }

    fn scopes(&self) -> Vec<Variables> {
        let mut chain = Vec::new();
        let mut frame = Some(self);
        while let Some(f) = frame {
            let vars = f.variables.borrow();
            // An empty scope resolves nothing; leaving it out spares most states an allocation.
            if !vars.is_empty() {
                chain.push(vars.clone());
            }
            frame = f.parent;
        }
        chain.reverse();
        chain
    }
}

pub(crate) struct Run<'a> {
    cfg: RunConfig<'a>,
    clock: Clock,
    log: RefCell<EventLog>,
    /// The text of the history's copies.
    texts: Texts,
    path: RefCell<Vec<u32>>,
    /// Kept only when the definition has states inside others (see [`Outcome::top_path`]).
    top_path: Option<RefCell<Vec<usize>>>,
    calls: RefCell<Vec<PendingCall>>,
    /// Choice rules, retries and catches taken, made at the first (see [`RawVisits::rest`]).
    visits: RefCell<Option<Box<Visits>>>,
    /// Made at the first Assign (as are [`Outcome::variables`]).
    variables_at: RefCell<Option<BTreeMap<String, Map<String, Value>>>>,
    rng: Cell<u64>,
    external: Cell<usize>,
    detached_steps: Cell<usize>,
    harness: RefCell<Option<Error>>,
    sequence_positions: RefCell<HashMap<usize, usize>>,
    /// Transitions (other than to a state's `Next`, see `marks`) and Choice rules already in
    /// `visits`, by state address, so taking one again costs no allocation.
    seen: RefCell<HashSet<(usize, usize), BuildHasherDefault<AddressHasher>>>,
    /// The pairs of `seen` inserted last, by a cheap hash of the pair.
    seen_recently: [Cell<(usize, usize)>; SEEN_RECENTLY],
    /// Two bits per state, by [`State::id`]: entered, and its `Next` taken (the transitions
    /// most states take), so that neither costs a lookup in `seen`. The first words in place
    /// (a definition of up to 128 states needs no allocation), the others after them.
    marks: RefCell<([u64; MARK_WORDS], Vec<u64>)>,
    /// The definition's Task states, parsed.
    tasks: Arc<TaskTable>,
    /// States entered and transitions taken for the first time (see [`RawVisits::firsts`]).
    new_visits: RefCell<Vec<(u32, u32)>>,
    /// The execution's input, for `$$.Execution.Input` and the `ExecutionStarted` event.
    input: Recorded,
    /// Written out on first use (the context object, `ExecutionStarted`).
    execution_arn: OnceCell<String>,
    state_machine_arn: OnceCell<String>,
    role_arn: OnceCell<String>,
    /// Distributed Map Runs and the objects their ResultWriters wrote.
    dmap: distributed::DistributedState,
    /// Reused for writing Task parameters as text.
    scratch: Cell<String>,
    /// Reused for [`data::eval_fields`].
    field_values: Cell<Vec<Option<Value>>>,
    /// Field lists for [`Run::run_definition`], reused: a Map runs one per iteration.
    field_lists: RefCell<Vec<Vec<crate::json::FieldSpan>>>,
}

/// A field list lent by [`Run::field_lists`], given back when dropped.
struct FieldList<'r> {
    list: Vec<crate::json::FieldSpan>,
    pool: &'r RefCell<Vec<Vec<crate::json::FieldSpan>>>,
}

impl Drop for FieldList<'_> {
    fn drop(&mut self) {
        // A list that never held a field has no buffer to keep (and pooling it would cost the
        // pool's own).
        if self.list.capacity() > 0 {
            let mut list = std::mem::take(&mut self.list);
            list.clear();
            self.pool.borrow_mut().push(list);
        }
    }
}

/// Runs an execution to its end on the virtual clock.
pub(crate) async fn execute(cfg: RunConfig<'_>, input: Value) -> Result<Outcome, Error> {
    // Room for a run through every top-level state once, or for as much as the state
    // machine's longest execution so far needed (up to `RunSizes::ROOM`).
    let n = cfg.definition.states.len();
    let (mut events, mut tasks) = (4, 0);
    for state in &cfg.definition.states {
        // Entered and exited; a Task attempt adds scheduled, started and its result.
        events += if matches!(state.kind, StateKind::Task(_)) { 5 } else { 2 };
        tasks += usize::from(matches!(state.kind, StateKind::Task(_)));
    }
    let (seen_events, seen_path, seen_calls, seen_text) = cfg.sizes.map(RunSizes::get).unwrap_or_default();
    let events = if cfg.record_history { events.max(seen_events) } else { 0 };
    let (path_room, tasks) = (n.max(seen_path), tasks.max(seen_calls));
    // The input's copy is the buffer's first: `$$.Execution.Input` and `ExecutionStarted`.
    let texts = Texts::with_capacity(seen_text);
    let input_copy = texts.of(&input);
    let run = Run {
        clock: Clock::new(cfg.start),
        log: RefCell::new(EventLog::new(cfg.record_history, events, tasks)),
        texts,
        path: RefCell::new(Vec::with_capacity(path_room)),
        // A definition whose states are all at the top level names no more states than it has.
        top_path: (cfg.definition.names.len() > n).then(|| RefCell::new(Vec::with_capacity(path_room))),
        calls: RefCell::new(Vec::with_capacity(tasks)),
        visits: RefCell::new(None),
        variables_at: RefCell::new(None),
        rng: Cell::new(cfg.seed ^ 0x9E37_79B9_7F4A_7C15),
        external: Cell::new(0),
        detached_steps: Cell::new(0),
        harness: RefCell::new(None),
        sequence_positions: RefCell::new(HashMap::new()),
        seen: RefCell::new(HashSet::default()),
        seen_recently: std::array::from_fn(|_| Cell::new((0, 0))),
        marks: RefCell::new(([0; MARK_WORDS], Vec::new())),
        tasks: cfg
            .tasks
            .cloned()
            .unwrap_or_else(|| Arc::new(TaskTable::of(cfg.definition))),
        new_visits: RefCell::new(Vec::with_capacity(2 * n)),
        input: input_copy,
        execution_arn: OnceCell::new(),
        state_machine_arn: OnceCell::new(),
        role_arn: OnceCell::new(),
        dmap: distributed::DistributedState::default(),
        scratch: Cell::new(String::new()),
        field_lists: RefCell::new(Vec::new()),
        field_values: Cell::new(Vec::new()),
        cfg,
    };
    // Pinned in place: boxing the top future cost an allocation and a copy of kilobytes.
    let top = std::pin::pin!(run.top(input));
    let status_output = Drive { fut: top, run: &run }.await;
    if let Some(e) = run.harness.borrow_mut().take() {
        return Err(e);
    }
    let (status, output) = status_output?;
    if let Some(sizes) = run.cfg.sizes {
        sizes.note(
            run.log.borrow().events.len(),
            run.path.borrow().len(),
            run.calls.borrow().len(),
            run.texts.len(),
        );
    }
    let context = EventContext {
        texts: run.texts.finish(),
        names: Arc::clone(&run.cfg.definition.names),
        tasks: Arc::clone(&run.tasks),
        region: run.cfg.region,
        account: run.cfg.account,
        state_machine: Arc::clone(run.cfg.state_machine_name),
    };
    Ok(Outcome {
        status,
        output,
        path: run.path.take(),
        top_path: run.top_path.as_ref().map(RefCell::take),
        history: run.log.take(),
        context,
        calls: run.calls.take(),
        end: run.clock.now(),
        visits: run.visits(),
        variables: run.variables_at.take(),
        s3_objects: run.dmap.take_written(),
    })
}

/// The ARN of the role an execution of state machine `name` runs as, joined without the
/// formatter: `ExecutionStarted` and the context object show it.
pub(crate) fn role_arn(account: &str, name: &str) -> String {
    ["arn:aws:iam::", account, ":role/", name, "-role"].concat()
}

/// How many words of `Run::marks` are kept in place.
const MARK_WORDS: usize = 4;

/// How many of the pairs `Run::seen` got last are kept for a lookup without hashing.
const SEEN_RECENTLY: usize = 32;

/// `set` with `new` added; a set built from a vector at once costs far fewer comparisons than
/// inserting one by one.
fn merged<T: Ord>(set: BTreeSet<T>, new: Vec<T>) -> BTreeSet<T> {
    if set.is_empty() {
        new.into_iter().collect()
    } else {
        let mut set = set;
        set.extend(new);
        set
    }
}

/// Polls the execution, moving virtual time forward whenever everything waits on a timer.
struct Drive<'r, 'a, 'f, F> {
    fut: Pin<&'f mut F>,
    run: &'r Run<'a>,
}

impl<F: Future<Output = (Status, Option<Value>)>> Future for Drive<'_, '_, '_, F> {
    type Output = Result<(Status, Option<Value>), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            if let Poll::Ready(out) = self.fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(out));
            }
            if self.run.harness.borrow().is_some() {
                return Poll::Ready(Ok((Status::Succeeded, None)));
            }
            if self.run.external.get() > 0 {
                return Poll::Pending;
            }
            if !self.run.clock.advance() {
                return Poll::Ready(Err(Error::Stalled(
                    "every branch is waiting and no timer is pending".into(),
                )));
            }
        }
    }
}

type StateFuture<'f> = Pin<Box<dyn Future<Output = Result<Value, Fault>> + 'f>>;

/// A boxed future of one state's output and next state.
type StepFuture<'f> = Pin<Box<dyn Future<Output = Result<(Value, Option<usize>), Fault>> + 'f>>;

impl<'a> Run<'a> {
    fn next_random(&self) -> u64 {
        crate::random::next(&self.rng)
    }

    fn execution_arn(&self) -> &str {
        let cfg = &self.cfg;
        self.execution_arn.get_or_init(|| {
            if cfg.express {
                // `arn:aws:states:<region>:<account>:express:<state machine>:<execution>:<id>`; the id is
                // derived from the seed so that runs stay deterministic.
                let id = cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66_D1A4_F87B;
                format!(
                    "arn:aws:states:{}:{}:express:{}:{}:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    cfg.region,
                    cfg.account,
                    cfg.state_machine_name,
                    cfg.execution_name,
                    id >> 32,
                    (id >> 16) & 0xffff,
                    (id >> 4) & 0xfff,
                    id & 0xfff,
                    id & 0xffff_ffff_ffff
                )
            } else {
                [
                    "arn:aws:states:",
                    cfg.region,
                    ":",
                    cfg.account,
                    ":execution:",
                    cfg.state_machine_name,
                    ":",
                    cfg.execution_name,
                ]
                .concat()
            }
        })
    }

    fn state_machine_arn(&self) -> &str {
        let cfg = &self.cfg;
        self.state_machine_arn.get_or_init(|| {
            [
                "arn:aws:states:",
                cfg.region,
                ":",
                cfg.account,
                ":stateMachine:",
                cfg.state_machine_name,
            ]
            .concat()
        })
    }

    fn role_arn(&self) -> &str {
        self.role_arn.get_or_init(|| self.new_role_arn())
    }

    fn new_role_arn(&self) -> String {
        role_arn(self.cfg.account, self.cfg.state_machine_name)
    }

    fn event(&self, frame: &Frame<'_>, kind: &'static str, details: impl FnOnce() -> Option<(Key, Value)>) -> u64 {
        self.event_details(frame, kind, || {
            details().map(|(key, v)| (key, Details::Json(Box::new(v))))
        })
    }

    /// A state's entered or exited event: `value` is its input's or output's copy (see
    /// [`EventLog::push_state`]). Written out like [`Run::event_details`]: a shared helper
    /// taking the push as a closure made every state's events cost more.
    #[inline(always)]
    fn state_event(
        &self,
        frame: &Frame<'_>,
        kind: &'static str,
        key: Key,
        field: Field,
        state: u32,
        value: impl FnOnce() -> Recorded,
    ) -> u64 {
        if frame.detached {
            return frame.last_event.get();
        }
        let (previous, now) = (frame.last_event.get(), self.clock.now());
        let id = self
            .log
            .borrow_mut()
            .push_state(previous, now, (kind, key), field, state, value);
        frame.last_event.set(id);
        id
    }

    /// [`event`](Run::event) with details in the history's lazy form.
    fn event_details(
        &self,
        frame: &Frame<'_>,
        kind: &'static str,
        details: impl FnOnce() -> Option<(Key, Details)>,
    ) -> u64 {
        if frame.detached {
            return frame.last_event.get();
        }
        let id = self
            .log
            .borrow_mut()
            .push(frame.last_event.get(), self.clock.now(), kind, details);
        frame.last_event.set(id);
        id
    }

    /// Whether events in `frame` are recorded.
    fn recording(&self, frame: &Frame<'_>) -> bool {
        !frame.detached && self.log.borrow().record
    }

    /// `MapStateSucceeded` / `ParallelStateSucceeded`: the `*StateExited` event that follows
    /// names the same previous event (recorded histories).
    fn succeeded_event(&self, frame: &Frame<'_>, kind: &'static str) {
        let before = frame.last_event.get();
        self.event(frame, kind, || None);
        frame.last_event.set(before);
    }

    /// What the execution visited.
    /// The choice rules, retries and catches taken so far, to add one to.
    fn rare_visits(&self) -> std::cell::RefMut<'_, Visits> {
        std::cell::RefMut::map(self.visits.borrow_mut(), |v| &mut **v.get_or_insert_with(Box::default))
    }

    fn visits(&self) -> RawVisits {
        RawVisits {
            rest: self.visits.take(),
            firsts: self.new_visits.take(),
            pointers: Arc::clone(&self.cfg.definition.pointers),
        }
    }

    /// True the first time `state` gets `mark` in this execution (0: entered; 1: its `Next`
    /// taken).
    fn first_mark(&self, state: &State, mark: usize) -> bool {
        let bit = state.id as usize * 2 + mark;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        let mut marks = self.marks.borrow_mut();
        let (small, large) = &mut *marks;
        let slot = match small.get_mut(word) {
            Some(slot) => slot,
            None => {
                let word = word - MARK_WORDS;
                if large.len() <= word {
                    large.resize(word + 1, 0);
                }
                &mut large[word]
            }
        };
        let first = *slot & mask == 0;
        *slot |= mask;
        first
    }

    /// True the first time `(state, to)` is seen in this execution.
    fn first_visit(&self, state: &State, to: usize) -> bool {
        let key = (std::ptr::from_ref(state) as usize, to);
        // A loop or a Map takes the same few transitions over and over: the pairs seen last
        // are looked up without hashing (a state's address is never 0, so the empty slots
        // match nothing).
        let slot = &self.seen_recently[((key.0 >> 4) ^ key.1.wrapping_mul(0x9E37_79B9)) % SEEN_RECENTLY];
        if slot.get() == key {
            return false;
        }
        slot.set(key);
        self.seen.borrow_mut().insert(key)
    }

    fn fail_harness(&self, error: Error) -> Fault {
        let mut slot = self.harness.borrow_mut();
        if slot.is_none() {
            *slot = Some(error);
        }
        Fault::Harness
    }

    async fn top(&self, input: Value) -> (Status, Option<Value>) {
        thread_local! {
            // The top frame's empty variables and prefix, shared by this thread's executions.
            static EMPTY: (Variables, Rc<str>) = (Rc::new(Map::new()), Rc::from(""));
        }
        let (variables, prefix) = EMPTY.with(|(v, p)| (Rc::clone(v), Rc::clone(p)));
        let frame = Frame::new(None, variables, prefix, 0);
        self.event_details(&frame, "ExecutionStarted", || {
            Some((Key::ExecutionStarted, Details::Started(self.input.clone())))
        });
        // AWS records the first state's entered event with previousEventId 0.
        frame.last_event.set(0);
        let max = self.cfg.max_duration;
        let limit = match self.cfg.definition.timeout_seconds {
            Some(s) => Duration::from_secs(s).min(max),
            None => max,
        };
        let deadline = self.clock.sleep(limit);
        // The first state's input is the execution's: one copy for both events.
        let copy = self.recording(&frame).then(|| self.input.clone());
        let body = self.run_definition(self.cfg.definition, input, copy, &frame);
        match select(body, deadline).await {
            Either::Left(Ok(output)) => {
                self.event_details(&frame, "ExecutionSucceeded", || {
                    Some((
                        Key::ExecutionSucceeded,
                        Details::Payload {
                            field: Field::Output,
                            value: frame.last_copy.take().unwrap_or_else(|| self.texts.of(&output)),
                            extra: Box::default(),
                        },
                    ))
                });
                (Status::Succeeded, Some(output))
            }
            Either::Left(Err(Fault::Failed(e) | Fault::Uncaught(e))) => {
                let details = error_details(&e);
                self.event(&frame, "ExecutionFailed", || Some((Key::ExecutionFailed, details)));
                let (error, cause) = e.into_parts();
                (Status::Failed { error, cause }, None)
            }
            Either::Left(Err(Fault::Harness)) => (Status::Succeeded, None),
            Either::Right(()) => {
                self.event(&frame, "ExecutionTimedOut", || {
                    Some((Key::ExecutionTimedOut, json!({ "error": "States.Timeout" })))
                });
                (
                    Status::TimedOut {
                        error: "States.Timeout".into(),
                        cause: None,
                    },
                    None,
                )
            }
        }
    }

    /// Runs a definition (top level, branch or iteration) from `StartAt` to its end;
    /// `input_copy` is the history's copy of `input`, when there is one already.
    fn run_definition<'f>(
        &'f self,
        definition: &'f Definition,
        input: Value,
        input_copy: Option<Recorded>,
        frame: &'f Frame<'f>,
    ) -> StateFuture<'f> {
        Box::pin(async move {
            let mut index = definition.start_at;
            let mut input = input;
            let recording = self.recording(frame);
            // The history's copy of the previous state's output, which is this state's input,
            // and where its top-level fields are (when `fields_known`).
            let mut recorded: Option<Recorded> = input_copy;
            let mut fields = FieldList {
                list: self.field_lists.borrow_mut().pop().unwrap_or_default(),
                pool: &self.field_lists,
            };
            let fields = &mut fields.list;
            let mut fields_known = false;
            loop {
                let state = &definition.states[index];
                let before = frame.last_event.get();
                let sets_field = result_field_of(state).is_some();
                let entered_copy = recording.then(|| {
                    recorded.take().unwrap_or_else(|| {
                        let (copy, known) = self.copy_of(&input, sets_field, fields);
                        fields_known = known;
                        copy
                    })
                });
                // A state that passes its input on untouched shows the same copy as its output.
                let mut passed_on = if output_is_input(state) {
                    entered_copy.clone()
                } else {
                    None
                };
                if matches!(state.kind, StateKind::Task(_)) {
                    frame.task_input.replace(entered_copy.clone());
                }
                // What the output's copy is written from, when the state sets one field.
                let base = if sets_field { entered_copy.clone() } else { None };
                let entered = self.enter(state, &input, frame, entered_copy)?;
                frame.produced.take();
                // Each type runs in its own function: a Task's future, the largest, is awaited
                // here without a box; the states that never wait have no future at all.
                let ran = match &state.kind {
                    StateKind::Task(task) => {
                        let entered_time = self.clock.now();
                        self.run_task(state, task, input, frame, entered_time).await
                    }
                    StateKind::Pass(_) | StateKind::Choice(_) | StateKind::Succeed | StateKind::Fail(_) => {
                        self.run_sync(state, input, frame)
                    }
                    StateKind::Wait(wait) => self.run_wait(state, wait, input, frame).await,
                    StateKind::Parallel(p) => {
                        let attempt = |input, at, n| Box::pin(self.run_parallel(state, p, input, frame, at, n));
                        self.retried(state, &p.retry, &p.catch, input, frame, attempt).await
                    }
                    StateKind::Map(m) => {
                        let attempt = |input, at, n| Box::pin(self.run_map(state, m, input, frame, at, n));
                        self.retried(state, &m.retry, &m.catch, input, frame, attempt).await
                    }
                };
                let (output, next) = match ran {
                    Ok(x) => x,
                    Err(Fault::Failed(mut e) | Fault::Uncaught(mut e)) => {
                        let here = !e.cause.as_deref().unwrap_or("").starts_with("An error occurred");
                        if e.error == "States.Runtime"
                            || e.error == "States.DataLimitExceeded"
                            || e.error == jsonata::QUERY_ERROR
                        {
                            prefix_cause(&mut e, &state.name, entered);
                        }
                        if here && e.error == jsonata::QUERY_ERROR {
                            self.evaluation_failed(state, &e, frame, (before, entered));
                        }
                        return Err(Fault::Failed(e));
                    }
                    Err(h) => return Err(h),
                };
                // The history's copy of the output, when it keeps one, measures it too.
                let produced = frame.produced.take();
                let exited = if matches!(state.kind, StateKind::Fail(_)) || !recording {
                    None
                } else if let Some(same) = passed_on.take() {
                    Some(same)
                } else if let Some(Produced::Joined(joined)) = produced {
                    fields_known = false;
                    Some(joined)
                } else {
                    // The output is still the object the state marked: its copy is the input's
                    // with that one field written again.
                    let changed = match produced {
                        Some(Produced::Field(first) | Produced::FieldMade(first))
                            if fields_known && first_field(&output) == Some(first) =>
                        {
                            let made = matches!(produced, Some(Produced::FieldMade(_)));
                            result_field_of(state).and_then(|key| {
                                let value = data::top_field(&output, key)?;
                                let write = |out: &mut String| match result_template(state) {
                                    Some((template, shape)) if made => {
                                        data::write_produced(value, template, shape, out, None)
                                    }
                                    Some((template, shape)) => data::write_shaped(value, template, shape, out),
                                    None => crate::json::write_compact(value, out),
                                };
                                self.texts.with_field(base.as_ref()?, fields, key, write)
                            })
                        }
                        _ => None,
                    };
                    Some(match changed {
                        Some(copy) => copy,
                        None => {
                            // Its fields are noted when the next state will set one of them, or
                            // pass it on to a state that may.
                            let wanted = next.is_some_and(|n| {
                                let to = &definition.states[n];
                                result_field_of(to).is_some() || output_is_input(to)
                            });
                            let made =
                                matches!(produced, Some(Produced::Whole(first)) if first_field(&output) == Some(first));
                            match whole_result_template(state) {
                                // The output is the template's result itself: its text is
                                // written from the template's (see `data::write_produced`).
                                Some((template, shape)) if made && wanted => {
                                    let (copy, known) = self.texts.of_written_fields(&output, fields, |out, spans| {
                                        data::write_produced(&output, template, shape, out, Some(spans))
                                    });
                                    fields_known = known;
                                    copy
                                }
                                Some((template, shape)) if !wanted => {
                                    fields_known = false;
                                    self.texts.of_written(&output, |out| {
                                        if made {
                                            data::write_produced(&output, template, shape, out, None)
                                        } else {
                                            data::write_shaped(&output, template, shape, out)
                                        }
                                    })
                                }
                                _ => {
                                    let (copy, known) = self.copy_of(&output, wanted, fields);
                                    fields_known = known;
                                    copy
                                }
                            }
                        }
                    })
                };
                let too_big = match exited.as_ref().and_then(Recorded::text_len) {
                    Some(len) => len > PAYLOAD_LIMIT,
                    None => over_payload_limit(&output),
                };
                if too_big {
                    return Err(Fault::Failed(StateError::new(
                        "States.DataLimitExceeded",
                        format!(
                            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                            state.name
                        ),
                    )));
                }
                if !matches!(state.kind, StateKind::Fail(_)) {
                    let recorded = &mut recorded;
                    let kind = exited_kind(&state.kind);
                    self.state_event(frame, kind, Key::StateExited, Field::Output, state.id, || {
                        let value = exited.unwrap_or_else(|| self.texts.of(&output));
                        *recorded = Some(value.clone());
                        value
                    });
                }
                match next {
                    Some(n) => {
                        let to = &definition.states[n];
                        let first = if state.next == Some(n) {
                            self.first_mark(state, 1)
                        } else {
                            self.first_visit(state, to as *const State as usize)
                        };
                        if first {
                            self.new_visits.borrow_mut().push((state.id, to.id));
                        }
                        index = n;
                        input = output;
                    }
                    None => {
                        *frame.last_copy.borrow_mut() = recorded;
                        return Ok(output);
                    }
                }
            }
        })
    }

    /// Where a JSONPath state's result, built from object template `fields`, can be written in
    /// place: the input itself (`ResultPath` `$`) or its top-level field (`$.key`), when that
    /// is an object of the template's names in order (see [`data::same_shape`]), and no
    /// `OutputPath` or `Assign` reads the result as a value of its own.
    fn result_in_place<'s>(
        &self,
        state: &'s State,
        fields: &[(String, Payload)],
        input: &Value,
    ) -> Option<InPlace<'s>> {
        if state.jsonata.is_some() || state.io.assign.is_some() || !matches!(state.io.output_path, PathField::Default) {
            return None;
        }
        let target = match &state.io.result_path {
            PathField::Default => InPlace::Whole,
            PathField::Path(path, _) => InPlace::Field(path.top_field()?),
            PathField::Null => return None,
        };
        let shaped = match target {
            InPlace::Whole => data::same_shape(fields, input),
            InPlace::Field(key) => data::top_field(input, key).is_some_and(|v| data::same_shape(fields, v)),
        };
        shaped.then_some(target)
    }

    /// The values of template `fields` for [`Run::write_in_place`], in the run's reused list.
    fn eval_in_place(
        &self,
        fields: &[(String, Payload)],
        scope: &Scope<'_>,
        rng: &mut dyn FnMut() -> u64,
    ) -> Result<Vec<Option<Value>>, StateError> {
        let mut values = self.field_values.take();
        data::eval_fields(fields, scope, rng, &mut values)?;
        Ok(values)
    }

    /// Writes `values` of template `fields` into `input` where [`Run::result_in_place`] said;
    /// for a field, tells the history (see [`Produced::Field`]).
    fn write_in_place(
        &self,
        fields: &[(String, Payload)],
        mut values: Vec<Option<Value>>,
        input: &mut Value,
        target: InPlace<'_>,
        frame: &Frame<'_>,
    ) {
        match target {
            InPlace::Whole => {
                if data::assign_fields(fields, &mut values, input) {
                    frame.produced.replace(first_field(input).map(Produced::Whole));
                }
            }
            InPlace::Field(key) => {
                let written = input
                    .as_object_mut()
                    .and_then(|m| crate::asl::path::field_mut(m, key))
                    .is_some_and(|v| data::assign_fields(fields, &mut values, v));
                if written {
                    frame.produced.replace(first_field(input).map(Produced::FieldMade));
                }
            }
        }
        self.field_values.set(values);
    }

    /// The history's copy of `value`, noting where its top-level fields are when `note`;
    /// `true` when they are noted.
    fn copy_of(&self, value: &Value, note: bool, fields: &mut Vec<crate::json::FieldSpan>) -> (Recorded, bool) {
        if note {
            self.texts.of_fields(value, fields)
        } else {
            (self.texts.of(value), false)
        }
    }

    /// The history's copy of an array of the frames' outputs, from the frames' own copies:
    /// a Map or Parallel state's result, when every iteration or branch kept one as text.
    fn joined_copy(&self, frames: &[Frame<'_>]) -> Option<Recorded> {
        let copies: Vec<_> = frames.iter().map(|f| f.last_copy.borrow()).collect();
        self.texts.joined(copies.iter().map(|c| c.as_ref()))
    }

    /// Hands `copy` of a Map or Parallel state's result to the history as the state's output,
    /// when the state passes its result on unchanged.
    fn offer_copy(&self, state: &State, frame: &Frame<'_>, copy: impl FnOnce() -> Option<Recorded>) {
        let plain = state.jsonata.is_none()
            && state.io.result_selector.is_none()
            && matches!(state.io.result_path, PathField::Default)
            && matches!(state.io.output_path, PathField::Default);
        if plain && self.recording(frame) {
            frame.produced.replace(copy().map(Produced::Joined));
        }
    }

    /// Checks the history limit and records the state's entry; `recorded` is the history's
    /// copy of `input`, when it has one already.
    fn enter(&self, state: &State, input: &Value, frame: &Frame<'_>, recorded: Option<Recorded>) -> Result<u64, Fault> {
        let count = usize::try_from(self.log.borrow().count).unwrap_or(usize::MAX) + self.detached_steps.get();
        if count >= self.cfg.history_limit {
            let path = self.path.borrow();
            let definition = self.cfg.definition;
            let recent = path
                .iter()
                .rev()
                .take(10)
                .rev()
                .map(|&id| definition.state_name(id).map_or_else(String::new, |n| n.to_string()))
                .collect();
            return Err(self.fail_harness(Error::HistoryLimit {
                limit: self.cfg.history_limit,
                state: String::from(&*state.name),
                recent,
            }));
        }
        if frame.detached {
            self.detached_steps.set(self.detached_steps.get() + 1);
            return Ok(0);
        }
        let mut path = self.path.borrow_mut();
        if frame.parent.is_none()
            && let Some(top) = &self.top_path
        {
            top.borrow_mut().push(path.len());
        }
        path.push(state.id);
        drop(path);
        if self.first_mark(state, 0) {
            self.new_visits.borrow_mut().push((state.id, ENTERED));
        }
        let kind = entered_kind(&state.kind);
        Ok(
            self.state_event(frame, kind, Key::StateEntered, Field::Input, state.id, || {
                recorded.unwrap_or_else(|| self.texts.of(input))
            }),
        )
    }

    fn context_object(
        &self,
        state: &State,
        entered_time: Millis,
        retry_count: u64,
        frame: &Frame<'_>,
        token: Option<&str>,
    ) -> Value {
        let mut ctx = json!({
            "Execution": {
                "Id": self.execution_arn(),
                "Input": self.texts.value_of(&self.input),
                "Name": self.cfg.execution_name,
                "RoleArn": self.role_arn(),
                "StartTime": format_timestamp(self.cfg.start),
                "RedriveCount": 0,
            },
            "StateMachine": { "Id": self.state_machine_arn(), "Name": &**self.cfg.state_machine_name },
            "State": { "EnteredTime": format_timestamp(entered_time), "Name": &*state.name },
        });
        // Express executions cannot be redriven: their context has no RedriveCount.
        if self.cfg.express
            && let Some(execution) = ctx["Execution"].as_object_mut()
        {
            execution.remove("RedriveCount");
        }
        // Only states that can retry have `$$.State.RetryCount`: a Pass state's context has
        // none (conformance `context_object.test_context_object.TestSnfBase.test_input_path[_]-a43d5efe`).
        if matches!(
            state.kind,
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
        ) {
            ctx["State"]["RetryCount"] = json!(retry_count);
        }
        if let Some(token) = token {
            ctx["Task"] = json!({ "Token": token });
        }
        if let Some((index, value)) = &frame.map_item {
            ctx["Map"] = json!({ "Item": { "Index": index, "Value": value } });
        }
        ctx
    }

    /// Runs a Wait state on the virtual clock.
    async fn run_wait(
        &self,
        state: &'a State,
        wait: &'a Wait,
        input: Value,
        frame: &Frame<'_>,
    ) -> Result<(Value, Option<usize>), Fault> {
        let entered_time = self.clock.now();
        let vars = frame.scopes();
        let ctx_fn = || self.context_object(state, entered_time, 0, frame, None);
        let scope = Scope::new(&input, &ctx_fn, &vars);
        let selected = self.effective_input(state, &input, &scope)?;
        let effective = selected.as_ref().unwrap_or(&input);
        let escope = scope.with_input(effective);
        let due = match wait {
            Wait::Seconds(s) => entered_time.saturating_add(seconds_ms(*s)),
            Wait::Timestamp(t) => *t,
            Wait::Expression { timestamp, expression } => {
                self.expression_due(*timestamp, expression, &escope, entered_time)?
            }
            Wait::SecondsPath(path, text) => {
                let Some(value) = path.get(&escope) else {
                    return Err(runtime_error(format!(
                        "The SecondsPath parameter does not reference an input value: {text}"
                    ))
                    .into());
                };
                match value.as_u64() {
                    Some(s) => entered_time.saturating_add(seconds_ms(s)),
                    None => {
                        return Err(runtime_error(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {text} == {}",
                            raw_text(value)
                        ))
                        .into());
                    }
                }
            }
            Wait::TimestampPath(path, text) => {
                let Some(value) = path.get(&escope) else {
                    return Err(runtime_error(format!(
                        "The TimestampPath parameter does not reference an input value: {text}"
                    ))
                    .into());
                };
                match value.as_str().and_then(crate::clock::parse_timestamp) {
                    Some(t) => t,
                    None => {
                        return Err(runtime_error(format!("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {text} == {}", raw_text(value))).into());
                    }
                }
            }
        };
        // AWS refuses waits longer than 2^31 - 1 seconds (conformance
        // `base.test_wait...test_timestamp_too_far_in_future_boundary`).
        if due.saturating_sub(entered_time) > i64::from(i32::MAX) * 1000 {
            return Err(runtime_error("Wait state delay is too long.".into()).into());
        }
        self.clock.pause_until(due).await;
        if let Some(j) = state.jsonata.as_deref() {
            let output = self.jsonata_finish(state, j, &scope, None, None, frame)?;
            return Ok((output, state.next));
        }
        self.assign(state, state.io.assign.as_ref(), effective, &scope, frame)?;
        let tail = Scope::new(&Value::Null, &ctx_fn, &vars);
        let output = data::apply_path(&state.io.output_path, selected.unwrap_or(input), &tail)?;
        Ok((output, state.next))
    }

    /// Runs a state that never waits (Pass, Choice, Succeed, Fail) without a future of its own.
    fn run_sync(&self, state: &'a State, mut input: Value, frame: &Frame<'_>) -> Result<(Value, Option<usize>), Fault> {
        let entered_time = self.clock.now();
        let vars = frame.scopes();
        let ctx_fn = || self.context_object(state, entered_time, 0, frame, None);
        let scope = Scope::new(&input, &ctx_fn, &vars);
        let mut rng = || self.next_random();
        if let Some(j) = state.jsonata.as_deref() {
            match &state.kind {
                StateKind::Pass(_) => {
                    let output = self.jsonata_finish(state, j, &scope, None, None, frame)?;
                    return Ok((output, state.next));
                }
                StateKind::Succeed => return Ok((self.jsonata_finish(state, j, &scope, None, None, frame)?, None)),
                StateKind::Choice(c) => return self.jsonata_choice(state, c, j, &scope, frame),
                _ => {}
            }
        }
        match &state.kind {
            StateKind::Pass(pass) => {
                let selected = self.effective_input(state, &input, &scope)?;
                let effective = selected.as_ref().unwrap_or(&input);
                if let (None, Some(Payload::Object { fields, .. })) = (&pass.result, &state.io.parameters)
                    && let Some(target) = self.result_in_place(state, fields, &input)
                {
                    let values = self.eval_in_place(fields, &scope.with_input(effective), &mut rng)?;
                    drop(selected);
                    self.write_in_place(fields, values, &mut input, target, frame);
                    return Ok((input, state.next));
                }
                // A bare Pass whose result replaces its input passes the input itself on.
                if pass.result.is_none()
                    && state.io.parameters.is_none()
                    && selected.is_none()
                    && matches!(state.io.result_path, PathField::Default)
                {
                    self.assign(state, state.io.assign.as_ref(), &input, &scope, frame)?;
                    let tail = Scope::new(&Value::Null, &ctx_fn, &vars);
                    let output = data::apply_path(&state.io.output_path, input, &tail)?;
                    return Ok((output, state.next));
                }
                let result = match (&pass.result, &state.io.parameters) {
                    (Some(r), _) => r.clone(),
                    (None, Some(p)) => eval_payload(p, &scope.with_input(effective), &mut rng)?,
                    (None, None) => effective.clone(),
                };
                self.assign(state, state.io.assign.as_ref(), &result, &scope, frame)?;
                let tail = Scope::new(&Value::Null, &ctx_fn, &vars);
                let output = self.finish(state, input, result, &tail, frame)?;
                Ok((output, state.next))
            }
            StateKind::Choice(c) => {
                let selected = self.effective_input(state, &input, &scope)?;
                let effective = selected.as_ref().unwrap_or(&input);
                let escope = scope.with_input(effective);
                let mut chosen = None;
                for (i, (condition, next, assign)) in c.choices.iter().enumerate() {
                    if choice::evaluate(condition, &escope)? {
                        chosen = Some((*next, assign.as_ref(), i));
                        break;
                    }
                }
                let (next, assign, rule) = match chosen {
                    Some(x) => x,
                    None => match c.default {
                        Some(d) => (d, None, usize::MAX),
                        None => {
                            return Err(StateError::new(
                                "States.NoChoiceMatched",
                                format!("No Matches! at state '{}'", state.name),
                            )
                            .into());
                        }
                    },
                };
                // A rule index (or `usize::MAX` for `Default`) is never a state's address, so it
                // cannot be mistaken for a transition.
                if self.first_visit(state, rule) {
                    self.rare_visits()
                        .choice_rules
                        .insert((String::from(&*state.pointer), rule));
                }
                self.assign(state, assign, effective, &scope, frame)?;
                self.assign(state, state.io.assign.as_ref(), effective, &scope, frame)?;
                let tail = Scope::new(&Value::Null, &ctx_fn, &vars);
                let output = data::apply_path(&state.io.output_path, selected.unwrap_or(input), &tail)?;
                Ok((output, Some(next)))
            }
            StateKind::Succeed => {
                let selected = self.effective_input(state, &input, &scope)?;
                let tail = Scope::new(&Value::Null, &ctx_fn, &vars);
                let output = data::apply_path(&state.io.output_path, selected.unwrap_or(input), &tail)?;
                Ok((output, None))
            }
            StateKind::Fail(fail) => {
                let text = |t: &Option<Text>, rng: &mut dyn FnMut() -> u64| -> Result<Option<String>, StateError> {
                    Ok(match t {
                        None => None,
                        Some(Text::Value(s)) => Some(s.clone()),
                        Some(Text::Path(path, _)) => path.get(&scope).map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        }),
                        Some(Text::Intrinsic(call, _)) => match data::eval_intrinsic(call, &scope, rng)? {
                            Value::String(s) => Some(s),
                            other => Some(other.to_string()),
                        },
                        Some(Text::Expression(e)) => match self.eval_expression(e, &scope) {
                            Ok(v) => Some(raw_text(&v)),
                            Err(Fault::Failed(e) | Fault::Uncaught(e)) => return Err(e),
                            Err(Fault::Harness) => None,
                        },
                    })
                };
                let error = text(&fail.error, &mut rng)?;
                let cause = text(&fail.cause, &mut rng)?;
                Err(Fault::Failed(StateError::of(error.unwrap_or_default(), cause)))
            }
            // `run_definition` runs these itself; only a mistake in the engine sends one here.
            StateKind::Wait(_) | StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                Err(runtime_error(format!(
                    "the engine ran {} state '{}' as one that never waits",
                    state.type_name(),
                    state.name
                ))
                .into())
            }
        }
    }

    /// `InputPath`'s selection, or `None` when it selects the whole input (the default): most
    /// states then use `input` itself, with no copy.
    fn effective_input(&self, state: &State, input: &Value, scope: &Scope<'_>) -> Result<Option<Value>, Fault> {
        match &state.io.input_path {
            PathField::Default => Ok(None),
            field => Ok(Some(data::apply_path(field, input.clone(), scope)?)),
        }
    }

    /// `ResultPath` then `OutputPath`.
    fn finish(
        &self,
        state: &State,
        raw_input: Value,
        result: Value,
        scope: &Scope<'_>,
        frame: &Frame<'_>,
    ) -> Result<Value, Fault> {
        let merged = data::apply_result_path(&state.io.result_path, raw_input, result)?;
        if let (PathField::Path(path, _), PathField::Default) = (&state.io.result_path, &state.io.output_path)
            && path.top_field().is_some()
        {
            frame.produced.replace(first_field(&merged).map(Produced::Field));
        }
        Ok(data::apply_path(&state.io.output_path, merged, scope)?)
    }

    fn assign(
        &self,
        state: &State,
        assign: Option<&Payload>,
        value: &Value,
        scope: &Scope<'_>,
        frame: &Frame<'_>,
    ) -> Result<(), Fault> {
        let Some(assign) = assign else { return Ok(()) };
        let mut rng = || self.next_random();
        let evaluated = eval_payload(assign, &scope.with_input(value), &mut rng)?;
        if let Value::Object(updates) = evaluated {
            let mut vars = frame.variables.borrow_mut();
            let map = Rc::make_mut(&mut vars);
            for (k, v) in updates {
                map.insert(k, v);
            }
            self.variables_at
                .borrow_mut()
                .get_or_insert_default()
                .insert(String::from(&*state.name), map.clone());
        }
        Ok(())
    }

    /// A Parallel or Map state's attempts (`attempt(input, entered time, retry count)`) under
    /// its retriers and catchers, boxed: so as not to make every state's future as large as
    /// theirs.
    fn retried<'f, F>(
        &'f self,
        state: &'a State,
        retry: &'a [Retrier],
        catch: &'a [Catcher],
        input: Value,
        frame: &'f Frame<'_>,
        attempt: impl Fn(Value, Millis, u64) -> F + 'f,
    ) -> StepFuture<'f>
    where
        F: Future<Output = Result<Value, Fault>> + 'f,
    {
        let entered_time = self.clock.now();
        Box::pin(self.with_retry(
            state,
            retry,
            catch,
            input,
            frame,
            entered_time,
            async move |input, n| attempt(input.into_owned(), entered_time, n).await,
        ))
    }

    /// Runs `attempt` under the state's retriers and catchers.
    #[allow(clippy::too_many_arguments)]
    async fn with_retry(
        &self,
        state: &'a State,
        retry: &'a [Retrier],
        catch: &'a [Catcher],
        input: Value,
        frame: &Frame<'_>,
        entered_time: Millis,
        attempt: impl AsyncFn(Cow<'_, Value>, u64) -> Result<Value, Fault>,
    ) -> Result<(Value, Option<usize>), Fault> {
        let mut counts = vec![0u64; retry.len()];
        let mut retry_count = 0u64;
        // Without retriers and catchers nothing reads the input after the attempt: it gets the
        // input itself, not a copy.
        let keep_input = !retry.is_empty() || !catch.is_empty();
        // An attempt that needs its input after it reads it where it is (a Task attempt copies
        // it only to build its output).
        let mut input = Some(input);
        loop {
            let attempt_input = match (&input, keep_input) {
                (Some(input), true) => Cow::Borrowed(input),
                _ => Cow::Owned(input.take().unwrap_or_default()),
            };
            let error = match attempt(attempt_input, retry_count).await {
                Ok(output) => return Ok((output, state.next)),
                Err(Fault::Failed(e)) => e,
                Err(h) => return Err(h),
            };
            if is_terminal(&error.error) {
                return Err(Fault::Failed(error));
            }
            if let Some(i) = retry.iter().position(|r| matches_error(&r.error_equals, &error.error)) {
                let r = &retry[i];
                if counts[i] < r.max_attempts {
                    let delay = self.backoff(r, counts[i]);
                    counts[i] += 1;
                    retry_count += 1;
                    self.rare_visits().retries.insert((String::from(&*state.pointer), i));
                    self.clock.pause(delay).await;
                    continue;
                }
            }
            if let Some((i, c)) = catch
                .iter()
                .enumerate()
                .find(|(_, c)| matches_error(&c.error_equals, &error.error))
            {
                self.rare_visits().catches.insert((String::from(&*state.pointer), i));
                let error_output = error_object(&error);
                let vars = frame.scopes();
                let ctx_fn = || self.context_object(state, entered_time, retry_count, frame, None);
                let input = input.unwrap_or_default();
                let scope = Scope::new(&input, &ctx_fn, &vars);
                if let Some(j) = c.jsonata.as_deref() {
                    let output = self.jsonata_finish(state, j, &scope, None, Some(error_output), frame)?;
                    return Ok((output, Some(c.next)));
                }
                self.assign(state, c.assign.as_ref(), &error_output, &scope, frame)?;
                // The output is the catcher's `ResultPath`'s, not the state's.
                frame.produced.take();
                let output = data::apply_result_path(&c.result_path, input, error_output)?;
                return Ok((output, Some(c.next)));
            }
            return Err(Fault::Failed(error));
        }
    }

    fn backoff(&self, r: &Retrier, previous_retries: u64) -> Duration {
        let exponent = i32::try_from(previous_retries).unwrap_or(i32::MAX);
        let mut seconds = r.interval_seconds * r.backoff_rate.powi(exponent);
        if let Some(max) = r.max_delay_seconds {
            seconds = seconds.min(max);
        }
        if r.jitter_full {
            #[allow(clippy::cast_precision_loss)]
            let fraction = (self.next_random() >> 11) as f64 / (1u64 << 53) as f64;
            seconds *= fraction;
        }
        Duration::from_secs_f64(seconds.clamp(0.0, 3.2e7 * 100.0))
    }

    async fn run_task(
        &self,
        state: &'a State,
        task: &'a Task,
        input: Value,
        frame: &Frame<'_>,
        entered_time: Millis,
    ) -> Result<(Value, Option<usize>), Fault> {
        let parsed = self.task_resource(state, task);
        let parsed = &parsed;
        if task.retry.is_empty() && task.catch.is_empty() {
            // Nothing to retry or catch: the one attempt's result is the state's, awaited here
            // without `with_retry`'s future around it (3% of task-mocked's instructions).
            let output = self
                .task_attempt(state, task, parsed, Cow::Owned(input), frame, entered_time, 0, 1)
                .await?;
            return Ok((output, state.next));
        }
        self.with_retry(
            state,
            &task.retry,
            &task.catch,
            input,
            frame,
            entered_time,
            async |input, retry_count| {
                // Every attempt after the first is a retry.
                let attempt_no = u32::try_from(retry_count + 1).unwrap_or(u32::MAX);
                self.task_attempt(state, task, parsed, input, frame, entered_time, retry_count, attempt_no)
                    .await
            },
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn task_attempt(
        &self,
        state: &'a State,
        task: &'a Task,
        parsed: &ParsedTask,
        input: Cow<'_, Value>,
        frame: &Frame<'_>,
        entered_time: Millis,
        retry_count: u64,
        attempt_no: u32,
    ) -> Result<Value, Fault> {
        let resource = &parsed.0;
        let raw_input = input;
        let input: &Value = &raw_input;
        let vars = frame.scopes();
        // Every Task attempt has a token in `$$.Task.Token`, not only `.waitForTaskToken` ones
        // (conformance `callback.test_callback.TestCallback.test_sync_with_task_token`).
        let token = self.task_token(attempt_no);
        let ctx_fn = || self.context_object(state, entered_time, retry_count, frame, Some(token.text()));
        let scope = Scope::new(input, &ctx_fn, &vars);
        let mut rng = || self.next_random();
        let family = &parsed.1;
        // A service integration's parameters that only the history and the call record keep
        // are written as text straight from the template (see `Params`), with history or
        // without: a test that reads the call parses it then.
        let as_text = matches!(family, Family::Service { .. }) && self.answered_by_name(state, task, frame);
        let mut params = match state.jsonata.as_deref() {
            Some(j) => Params::of(self.jsonata_arguments(j, &scope)?),
            None => {
                let selected = self.effective_input(state, input, &scope)?;
                let scope = scope.with_input(selected.as_ref().unwrap_or(input));
                match &state.io.parameters {
                    Some(p) if as_text => {
                        let draws = self.rng.get();
                        let mut text = self.scratch.take();
                        text.clear();
                        text.reserve(256);
                        // Without an `InputPath`, the input's copy in the history is its text.
                        let copy = frame.task_input.borrow();
                        let mut write =
                            |input_text: Option<&str>| data::write_payload(p, &scope, input_text, &mut rng, &mut text);
                        let written = match (&selected, copy.as_ref()) {
                            (None, Some(copy)) => self.texts.read(copy, |t| write(Some(t))),
                            _ => None,
                        }
                        .unwrap_or_else(|| write(None));
                        drop(copy);
                        let params = matches!(written, Ok(true)).then(|| Params::text(&self.texts, &text));
                        self.scratch.set(text);
                        written?;
                        match params {
                            Some(params) => params,
                            None => {
                                // A float: evaluated again from the same random draws.
                                self.rng.set(draws);
                                Params::of(eval_payload(p, &scope, &mut rng)?)
                            }
                        }
                    }
                    Some(p) => Params::of(eval_payload(p, &scope, &mut rng)?),
                    None => Params::of(selected.unwrap_or_else(|| input.clone())),
                }
            }
        };
        if resource.checks_parameters()
            && let Some(problem) = resource.parameter_problem(params.value(&self.texts))
        {
            let shown = serde_json::to_string(params.value(&self.texts)).unwrap_or_default();
            return Err(runtime_error(format!(
                "The Parameters '{shown}' could not be used to start the Task: [{problem}]"
            ))
            .into());
        }
        let timeout = self.seconds(task.timeout.as_ref(), &scope, "TimeoutSecondsPath")?;
        let heartbeat = self.seconds(task.heartbeat.as_ref(), &scope, "HeartbeatSecondsPath")?;
        // The history's copy of the parameters is also the call record's.
        let recorded = self.recording(frame).then(|| params.recorded(&self.texts));
        self.task_scheduled(state, frame, family, &params, recorded.as_ref(), timeout, heartbeat);
        let task_token = (resource.pattern() == Pattern::WaitForTaskToken).then(|| token.text().to_string());
        let explicit = self
            .keyed_mock(self.cfg.mocks, state, resource, &task.resource, &params, frame)
            .or_else(|| self.keyed_mock(self.cfg.fallback_mocks, state, resource, &task.resource, &params, frame));
        // A mock keyed for this call wins; else a registered child state machine runs; else the
        // scenario's default mock answers.
        let child = if explicit.is_none() && !self.cfg.children.is_empty() {
            self.child_for(resource, params.value(&self.texts))
        } else {
            None
        };
        let mock = explicit.or_else(|| {
            child
                .is_none()
                .then_some(self.cfg.default_mock)
                .flatten()
                .map(|m| ("(default)", m))
        });
        if child.is_some() && self.cfg.depth >= MAX_CHILD_DEPTH {
            return Err(self.fail_harness(Error::Scenario(format!(
                "Task '{}' starts a child execution {MAX_CHILD_DEPTH} levels deep; does a state machine start itself without end? Mock the Task to stop the recursion",
                state.name
            ))));
        }
        // Mocks never send heartbeats, so a heartbeat acts as a deadline; AWS reports an
        // expired heartbeat as States.Timeout too (conformance `timeouts.test_heartbeats.*`).
        let deadline = match (timeout, heartbeat) {
            (Some(t), Some(h)) => Some((t.min(h), "States.Timeout")),
            (Some(t), None) | (None, Some(t)) => Some((t, "States.Timeout")),
            (None, None) => None,
        };
        // A `Mock::ret` without a deadline answers at once: no future, and its value is read
        // where it is (the call record copies it only when a test reads it).
        let immediate = match (&child, &mock) {
            (None, Some((_, m))) if deadline.is_none() => m.immediate(),
            _ => None,
        };
        let (result, raw) = if let Some((m, raw)) = immediate {
            (Ok(Answered::Shared(m.clone())), raw)
        } else {
            // Mock functions and child executions see the whole call.
            let call = TaskCall {
                state: String::from(&*state.name),
                resource: task.resource.clone(),
                input: params.take(&self.texts),
                attempt: attempt_no,
                task_token: task_token.clone(),
            };
            // A mock that answers without waiting needs no future; no deadline (at least a
            // second) can pass before it.
            let step = match (&child, mock) {
                (None, Some((key, mock))) => Some((key, self.resolve(mock, key, &call, false))),
                _ => None,
            };
            let outcome = if let Some((_, Step::Done(answer))) = step {
                answer
            } else {
                let answer = match (child, step) {
                    (Some(child), _) => self.run_child(child, resource, &call),
                    (None, Some((key, step))) => Box::pin(self.answer_rest(step, key, &call)),
                    (None, None) => {
                        let keys = self.mock_keys(state, resource, &task.resource, &call.input, frame);
                        return Err(self.fail_harness(Error::UnmockedTask {
                            state: String::from(&*state.name),
                            resource: task.resource.clone(),
                            keys,
                        }));
                    }
                };
                match deadline {
                    Some((secs, error)) => match select(answer, self.clock.sleep(Duration::from_secs(secs))).await {
                        Either::Left(r) => r,
                        Either::Right(()) => Ok((
                            // A timed-out Task has an empty cause, not none (conformance
                            // `error_handling.test_task_service_lambda.TestTaskServiceLambda.test_invoke_timeout`).
                            Err(TaskError {
                                error: error.into(),
                                cause: Some(String::new()),
                            }),
                            false,
                        )),
                    },
                    None => answer.await,
                }
            };
            params = Params::of(call.input);
            match outcome {
                Ok((result, raw)) => (result.map(Answered::Owned), raw),
                Err(e) => return Err(self.fail_harness(e)),
            }
        };
        let result = match result {
            Ok(a) if !raw && resource.wraps_lambda_payload() => Ok(Answered::Owned(lambda_envelope(a.into_value()))),
            other => other,
        };
        // The record keeps what writing the keys out needs, when a test reads the calls.
        let keys = {
            let parameters = if self.cfg.resources.is_empty() {
                &Value::Null
            } else {
                params.value(&self.texts)
            };
            let (qualified, logicals) = self.deferred_keys(state, resource, &task.resource, parameters, frame);
            CallKeys { qualified, logicals }
        };
        let call = CallParts {
            of: CallOf::Task(state.id),
            input: recorded.unwrap_or_else(|| params.into_recorded(&self.texts)),
            attempt: attempt_no,
            task_token,
        };
        let value = match result {
            Ok(value) => value,
            Err(e) => {
                self.calls.borrow_mut().push(PendingCall {
                    call,
                    keys,
                    result: Err(e.clone()),
                });
                let suffix = if e.error == "States.Timeout" {
                    "TimedOut"
                } else {
                    "Failed"
                };
                let (kind, key) = event_names(family, suffix);
                self.event_details(frame, kind, || {
                    let mut fields = Vec::with_capacity(4);
                    fields.push(("error", Arc::from(e.error.as_str())));
                    if let Some(c) = &e.cause {
                        fields.push(("cause", Arc::from(c.as_str())));
                    }
                    if let Family::Service { names, .. } = family {
                        fields.push(("resourceType", Arc::clone(&names.resource_type)));
                        fields.push(("resource", Arc::clone(&names.resource)));
                    }
                    Some((key, Details::Fields(fields)))
                });
                return Err(StateError::of(e.error, e.cause).into());
            }
        };
        let (kind, key) = event_names(family, "Succeeded");
        if matches!(family, Family::Service { .. }) {
            if !frame.detached {
                let (previous, now) = (frame.last_event.get(), self.clock.now());
                let copy = || value.recorded(&self.texts);
                let id = self
                    .log
                    .borrow_mut()
                    .push_task(previous, now, (kind, key), state.id, copy);
                frame.last_event.set(id);
            }
        } else {
            // A Lambda function's or an activity's result shows no resource names.
            self.event_details(frame, kind, || {
                let value = value.recorded(&self.texts);
                let details = Details::Payload {
                    field: Field::Output,
                    value,
                    extra: Box::default(),
                };
                Some((key, details))
            });
        }
        // The result is read where it is, and moved into the call record afterwards (no await
        // comes between: the record keeps its place in call order).
        let answered = value;
        let value = answered.value();
        let output = 'done: {
            if answered.over_payload_limit() {
                break 'done Err(StateError::new(
                    "States.DataLimitExceeded",
                    format!("The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.", state.name),
                )
                .into());
            }
            if let Some(j) = state.jsonata.as_deref() {
                break 'done self.jsonata_finish(state, j, &scope, Some(value.clone()), None, frame);
            }
            if let Some(Payload::Object { fields, .. }) = &state.io.result_selector
                && let Some(target) = self.result_in_place(state, fields, &raw_input)
            {
                let ctx_fn = || self.context_object(state, entered_time, retry_count, frame, None);
                let values = match self.eval_in_place(fields, &Scope::new(value, &ctx_fn, &vars), &mut rng) {
                    Ok(values) => values,
                    Err(e) => break 'done Err(e.into()),
                };
                let mut output = raw_input.into_owned();
                self.write_in_place(fields, values, &mut output, target, frame);
                break 'done Ok(output);
            }
            let selected = match &state.io.result_selector {
                Some(p) => {
                    let ctx_fn = || self.context_object(state, entered_time, retry_count, frame, None);
                    let scope = Scope::new(value, &ctx_fn, &vars);
                    match eval_payload(p, &scope, &mut rng) {
                        Ok(v) => v,
                        Err(e) => break 'done Err(e.into()),
                    }
                }
                None => value.clone(),
            };
            if let Err(f) = self.assign(state, state.io.assign.as_ref(), &selected, &scope, frame) {
                break 'done Err(f);
            }
            // `OutputPath` reads `$$` at most, never the input `scope` stands on.
            let tail = Scope::new(&Value::Null, &ctx_fn, &vars);
            self.finish(state, raw_input.into_owned(), selected, &tail, frame)
        };
        self.calls.borrow_mut().push(PendingCall {
            call,
            keys,
            result: Ok(answered),
        });
        output
    }

    /// The `*Scheduled`, `*Started` and, for callback and `.sync` patterns, `TaskSubmitted`
    /// events of one Task attempt.
    #[allow(clippy::too_many_arguments)]
    fn task_scheduled(
        &self,
        state: &State,
        frame: &Frame<'_>,
        family: &Family,
        params: &Params,
        recorded: Option<&Recorded>,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    ) {
        // `resource`, then the timing: built only when the history is recorded.
        let scheduled = |timing: Timing, arn: &str| {
            let extra: Vec<_> = std::iter::once(("resource", json!(arn)))
                .chain(timing.fields())
                .collect();
            with_payload("input", params.value(&self.texts).clone(), &extra)
        };
        match family {
            Family::Lambda { arn } => {
                // A Lambda function's scheduled event shows no heartbeat.
                let timing = Timing {
                    timeout,
                    heartbeat: None,
                };
                family.emit(self, frame, "Scheduled", || scheduled(timing, arn));
                self.event(frame, "LambdaFunctionStarted", || None);
            }
            Family::Activity { arn } => {
                family.emit(self, frame, "Scheduled", || {
                    scheduled(Timing { timeout, heartbeat }, arn)
                });
                family.emit(self, frame, "Started", || json!({ "workerName": "sfn-test" }));
            }
            Family::Service { names, pattern } => {
                let (kind, key) = event_names(family, "Scheduled");
                self.event_details(frame, kind, || {
                    Some((
                        key,
                        Details::Scheduled {
                            task: state.id,
                            parameters: recorded.cloned().unwrap_or_else(|| params.recorded(&self.texts)),
                            timing: (timeout.is_some() || heartbeat.is_some())
                                .then(|| Box::new(Timing { timeout, heartbeat })),
                        },
                    ))
                });
                let (kind, key) = event_names(family, "Started");
                self.event_details(frame, kind, || Some((key, Details::Service(state.id))));
                if *pattern != Pattern::RequestResponse {
                    // The service's immediate response (e.g. SendMessage's) is not mocked.
                    family.emit(self, frame, "Submitted", || {
                        let mut v = with_payload("output", json!({}), &names.fields());
                        if let Value::Object(m) = &mut v {
                            m.sort_keys();
                        }
                        v
                    });
                }
            }
        }
    }

    fn task_token(&self, attempt: u32) -> TaskToken {
        TaskToken {
            draws: (self.next_random(), self.next_random()),
            attempt,
            text: OnceCell::new(),
        }
    }

    /// A Task state's parsed `Resource` and event family, from the definition's table.
    fn task_resource(&self, state: &State, task: &Task) -> Cow<'_, ParsedTask> {
        match self.tasks.get(state.id) {
            Some(parsed) => Cow::Borrowed(parsed),
            // Every Task state of the definition is in the table; a state from elsewhere is
            // parsed here.
            None => Cow::Owned(parse_task(task)),
        }
    }

    fn seconds(&self, field: Option<&Seconds>, scope: &Scope<'_>, name: &str) -> Result<Option<u64>, Fault> {
        match field {
            None => Ok(None),
            Some(Seconds::Value(v)) => Ok(Some(*v)),
            Some(Seconds::Expression(e)) => self.expression_seconds(e, scope).map(Some),
            Some(Seconds::Path(path, text)) => match path.get(scope) {
                Some(v) => match v.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(runtime_error(format!(
                        "The {name} field refers to value \"{v}\" which is not a valid positive integer: {text}"
                    ))
                    .into()),
                },
                None => Err(runtime_error(format!(
                    "Invalid path '{text}' : No results for path: {}",
                    data::bracketed(text)
                ))
                .into()),
            },
        }
    }

    /// The keys a mock for this call may be registered under, most specific first.
    fn mock_keys(
        &self,
        state: &State,
        resource: &Resource,
        arn: &str,
        parameters: &Value,
        frame: &Frame<'_>,
    ) -> Vec<String> {
        let (qualified, logicals) = self.deferred_keys(state, resource, arn, parameters, frame);
        CallKeys { qualified, logicals }.keys(&state.name, resource, arn, parameters)
    }

    /// The mock in `mocks` under the first of the call's keys (in [`mock_keys`](Run::mock_keys)'
    /// order) that has one, with that key; the keys are tried, not written out.
    fn keyed_mock<'m>(
        &self,
        mocks: &'m BTreeMap<String, Mock>,
        state: &State,
        resource: &Resource,
        arn: &str,
        params: &Params,
        frame: &Frame<'_>,
    ) -> Option<(&'m str, &'m Mock)> {
        if mocks.is_empty() {
            return None;
        }
        if let Some(found) = named_mock(mocks, state, frame) {
            return Some(found);
        }
        // The other keys come from the parameters: listed only when the names found none.
        self.mock_keys(state, resource, arn, params.value(&self.texts), frame)
            .into_iter()
            .find_map(|key| mocks.get_key_value(&key).map(|(k, m)| (k.as_str(), m)))
    }

    /// True when, before the parameters are evaluated, the mock that answers is certain and
    /// answers at once without reading them: a `Mock::ret` under the state's (qualified) name,
    /// or the default one when no mock is keyed; no deadline, no child state machine.
    fn answered_by_name(&self, state: &State, task: &Task, frame: &Frame<'_>) -> bool {
        if task.timeout.is_some() || task.heartbeat.is_some() || !self.cfg.children.is_empty() {
            return false;
        }
        let by_name = |mocks| named_mock(mocks, state, frame).map(|(_, m)| m);
        let mock = if !self.cfg.mocks.is_empty() {
            by_name(self.cfg.mocks)
        } else if !self.cfg.fallback_mocks.is_empty() {
            by_name(self.cfg.fallback_mocks)
        } else {
            self.cfg.default_mock
        };
        mock.is_some_and(|m| m.immediate().is_some())
    }

    /// What [`mock_keys`](Run::mock_keys) needs from the run and the frame: the qualified name
    /// (in a Parallel branch or Map iteration) and the template's logical ids of the call's
    /// identifiers. The rest follows from the call itself.
    fn deferred_keys(
        &self,
        state: &State,
        resource: &Resource,
        arn: &str,
        parameters: &Value,
        frame: &Frame<'_>,
    ) -> (Option<String>, Vec<String>) {
        let qualified = frame.qualified(state);
        let mut logicals = Vec::new();
        if !self.cfg.resources.is_empty() {
            call_identifiers(resource, arn, parameters, |id| {
                if let Some(logical) = self.cfg.resources.get(id) {
                    logicals.push(logical.clone());
                }
            });
        }
        (qualified, logicals)
    }

    /// Works out what `mock` answers as far as that needs no waiting; `raw`: a [`Mock::raw`]
    /// wraps it. A `Mock::fn` or `Mock::ret` (in a sequence, a `when` or a `choose` too) is
    /// answered here, without a future.
    fn resolve(&self, mock: &Mock, key: &str, call: &TaskCall, raw: bool) -> Step {
        match &*mock.0 {
            MockKind::Return(v, _) => Step::Done(Ok((Ok(v.clone()), raw))),
            MockKind::Throw(e) => Step::Done(Ok((Err(e.clone()), raw))),
            MockKind::Hang | MockKind::After(..) | MockKind::Handler(_) => Step::Later(mock.clone(), raw),
            MockKind::Sequence { answers, repeat_last } => {
                // Sequences are told apart by identity; the position lives in this run.
                let slot = std::sync::Arc::as_ptr(&mock.0).cast::<()>() as usize;
                let n = {
                    let mut positions = self.sequence_positions.borrow_mut();
                    let p = positions.entry(slot).or_insert(0);
                    let n = *p;
                    *p += 1;
                    n
                };
                match answers.get(n) {
                    Some(m) => self.resolve(m, key, call, raw),
                    None if *repeat_last && !answers.is_empty() => {
                        self.resolve(&answers[answers.len() - 1], key, call, raw)
                    }
                    None => Step::Done(Err(Error::MockExhausted {
                        key: key.to_string(),
                        state: call.state.clone(),
                        call: n + 1,
                        len: answers.len(),
                    })),
                }
            }
            MockKind::When { rules, otherwise } => {
                let payload = call
                    .input
                    .get("Payload")
                    .filter(|_| Resource::parse(&call.resource).wraps_lambda_payload());
                let matched = rules
                    .iter()
                    .find(|(subset, _)| contains(&call.input, subset) || payload.is_some_and(|p| contains(p, subset)));
                match matched.map(|(_, m)| m).or(otherwise.as_ref()) {
                    Some(m) => self.resolve(m, key, call, raw),
                    None => Step::Done(Err(Error::Stalled(format!(
                        "mock {key:?} for state '{}': no Mock::when rule matches the call's input {}; add a rule or `.otherwise(..)`",
                        call.state, call.input
                    )))),
                }
            }
            MockKind::Fn(f) => Step::Done(Ok((f(call), raw))),
            MockKind::Choose(f) => self.resolve(&f(call), key, call, raw),
            MockKind::Raw(inner) => self.resolve(inner, key, call, true),
        }
    }

    /// The answer of a mock that waits ([`Mock::hang`], [`Mock::after`], a handler);
    /// `true` when the answer is the raw integration response.
    fn answer<'m>(&'m self, mock: &'m Mock, key: &'m str, call: &'m TaskCall) -> Answer<'m> {
        Box::pin(async move {
            match &*mock.0 {
                MockKind::Hang => {
                    std::future::pending::<()>().await;
                    unreachable!("a pending future never completes")
                }
                MockKind::After(delay, inner) => {
                    self.clock.sleep(*delay).await;
                    let step = self.resolve(inner, key, call, false);
                    self.answer_rest(step, key, call).await
                }
                MockKind::Handler(h) => {
                    let result = External::new(h.call(call.clone()), &self.external, &self.clock).await;
                    Ok((result, false))
                }
                _ => {
                    let step = self.resolve(mock, key, call, false);
                    self.answer_rest(step, key, call).await
                }
            }
        })
    }

    /// The rest of a [`resolve`](Run::resolve)d answer.
    async fn answer_rest(&self, step: Step, key: &str, call: &TaskCall) -> Result<(TaskResult, bool), Error> {
        match step {
            Step::Done(answer) => answer,
            Step::Later(mock, raw) => {
                let (result, inner_raw) = self.answer(&mock, key, call).await?;
                Ok((result, raw || inner_raw))
            }
        }
    }

    async fn run_parallel(
        &self,
        state: &'a State,
        p: &'a Parallel,
        input: Value,
        frame: &Frame<'_>,
        entered_time: Millis,
        retry_count: u64,
    ) -> Result<Value, Fault> {
        let vars = frame.scopes();
        let ctx_fn = || self.context_object(state, entered_time, retry_count, frame, None);
        let scope = Scope::new(&input, &ctx_fn, &vars);
        let mut rng = || self.next_random();
        let branch_input = match state.jsonata.as_deref() {
            Some(j) => self.jsonata_arguments(j, &scope)?,
            None => {
                let selected = self.effective_input(state, &input, &scope)?;
                match &state.io.parameters {
                    Some(params) => {
                        eval_payload(params, &scope.with_input(selected.as_ref().unwrap_or(&input)), &mut rng)?
                    }
                    None => selected.unwrap_or_else(|| input.clone()),
                }
            }
        };
        let started = self.event(frame, "ParallelStateStarted", || None);
        let prefix: Rc<str> = Rc::from(qualified(&frame.prefix, &state.name));
        let empty: Variables = Rc::new(Map::new());
        let frames: Vec<Frame<'_>> = (0..p.branches.len())
            .map(|_| Frame::child(frame, &empty, Rc::clone(&prefix), started, None))
            .collect();
        let mut results: Vec<Option<Value>> = vec![None; p.branches.len()];
        let _others = self.clock.others();
        let failure = run_bounded(
            p.branches.len(),
            0,
            |i| -> Child<'_, Result<Value, Fault>> {
                self.run_definition(&p.branches[i], branch_input.clone(), None, &frames[i])
            },
            |i, out| match out {
                Ok(v) => {
                    results[i] = Some(v);
                    ControlFlow::Continue(())
                }
                Err(f) => ControlFlow::Break(f),
            },
        )
        .await;
        if let Some(fault) = failure {
            if let Fault::Failed(e) = &fault {
                let details = error_details(e);
                self.event(frame, "ParallelStateFailed", || {
                    Some((Key::ParallelStateFailed, details))
                });
            }
            return Err(fault);
        }
        let last = frames.iter().map(|f| f.last_event.get()).max().unwrap_or(started);
        frame.last_event.set(last);
        self.succeeded_event(frame, "ParallelStateSucceeded");
        let result = Value::Array(results.into_iter().map(Option::unwrap_or_default).collect());
        let output = self.select_and_finish(state, input, result, frame, entered_time, retry_count)?;
        self.offer_copy(state, frame, || self.joined_copy(&frames));
        Ok(output)
    }

    fn select_and_finish(
        &self,
        state: &State,
        input: Value,
        result: Value,
        frame: &Frame<'_>,
        entered_time: Millis,
        retry_count: u64,
    ) -> Result<Value, Fault> {
        let vars = frame.scopes();
        let ctx_fn = || self.context_object(state, entered_time, retry_count, frame, None);
        if let Some(j) = state.jsonata.as_deref() {
            let scope = Scope::new(&input, &ctx_fn, &vars);
            return self.jsonata_finish(state, j, &scope, Some(result), None, frame);
        }
        let mut rng = || self.next_random();
        let selected = match &state.io.result_selector {
            Some(p) => eval_payload(p, &Scope::new(&result, &ctx_fn, &vars), &mut rng)?,
            None => result,
        };
        let scope = Scope::new(&input, &ctx_fn, &vars);
        self.assign(state, state.io.assign.as_ref(), &selected, &scope, frame)?;
        // `OutputPath` reads `$$` at most, never the input `scope` stands on.
        let tail = Scope::new(&Value::Null, &ctx_fn, &vars);
        self.finish(state, input, selected, &tail, frame)
    }

    async fn run_map(
        &self,
        state: &'a State,
        m: &'a crate::asl::model::Map,
        mut input: Value,
        frame: &Frame<'_>,
        entered_time: Millis,
        retry_count: u64,
    ) -> Result<Value, Fault> {
        let dio = m.distributed_io.as_deref();
        // The items are moved out of the input when nothing reads the input after them: no
        // InputPath copy, ItemSelector, ResultPath or JSONata.
        let take_items = matches!(state.io.input_path, PathField::Default)
            && state.io.parameters.is_none()
            && matches!(state.io.result_path, PathField::Default)
            && state.jsonata.is_none();
        let taken = match (&m.items_path, dio.and_then(|d| d.reader.as_ref())) {
            (PathField::Path(path, _), None) if take_items => path.take_from(&mut input),
            _ => None,
        };
        let reader = dio.and_then(|d| d.reader.as_ref());
        let writer = dio.and_then(|d| d.writer.as_ref());
        if let Some(ReaderFormat::Unsupported(what)) = reader.map(|r| &r.format) {
            return Err(self.fail_harness(Error::Stalled(format!(
                "not supported yet: Map state '{}' reads its items with {what}; give the items in the state input, or as a JSON, JSONL or CSV object read by s3:getObject",
                state.name
            ))));
        }
        let vars = frame.scopes();
        let ctx_fn = || self.context_object(state, entered_time, retry_count, frame, None);
        let scope = Scope::new(&input, &ctx_fn, &vars);
        let selected = self.effective_input(state, &input, &scope)?;
        let effective = selected.as_ref().unwrap_or(&input);
        let items = match state.jsonata.as_deref() {
            // An ItemReader's items replace the input's, and `ItemsPath` is not applied
            // (conformance `...test_map_item_reader_base_json_with_items_path[*]`: the same
            // output whatever ItemsPath says).
            _ if reader.is_some() => Vec::new(),
            Some(j) => self.jsonata_items(j, &scope)?,
            None => {
                let items = match &m.items_path {
                    _ if taken.is_some() => taken.unwrap_or_default(),
                    PathField::Default => effective.clone(),
                    PathField::Null => Value::Null,
                    PathField::Path(path, text) => match path.select(&scope.with_input(effective)) {
                        Some(v) => v,
                        None => {
                            return Err(runtime_error(format!(
                                "Invalid path '{text}' : No results for path: {}",
                                data::bracketed(text)
                            ))
                            .into());
                        }
                    },
                };
                let Value::Array(items) = items else {
                    let text = match &m.items_path {
                        PathField::Path(_, t) => t.as_str(),
                        _ => "$",
                    };
                    return Err(runtime_error(format!(
                        "Invalid path '{text}' : The value at the path is not an array: {items}"
                    ))
                    .into());
                };
                items
            }
        };
        let escope = scope.with_input(effective);
        let reader_at = match reader {
            Some(r) => Some(self.location(&r.arguments, &escope, "ItemReader", distributed::READER_FAILED)?),
            None => None,
        };
        let writer_at = match writer.filter(|w| w.to_s3) {
            Some(w) => Some(self.location(&w.arguments, &escope, "ResultWriter", distributed::WRITER_FAILED)?),
            None => None,
        };
        let max_concurrency = self.number(&m.max_concurrency, &escope, "MaxConcurrency", true)?;
        let tolerated_count = match &m.tolerated_failure_count {
            Some(n) => Some(self.number(n, &escope, "ToleratedFailureCount", true)?),
            None => None,
        };
        let tolerated_pct = match &m.tolerated_failure_percentage {
            Some(n) => Some(self.number(n, &escope, "ToleratedFailurePercentage", false)?),
            None => None,
        };
        let len = items.len();
        self.event(frame, "MapStateStarted", || {
            Some((Key::MapStateStarted, json!({ "length": len })))
        });
        // A Distributed Map runs as a Map Run; with an ItemReader it reads after the Map Run
        // starts, and MapStateStarted said length 0 (recorded histories, e.g. conformance
        // `...test_map_item_reader_csv_max_items_paths[-1]`).
        let map_run = m
            .distributed
            .then(|| self.map_run(state, dio.and_then(|d| d.label.as_deref())));
        if let Some(run) = &map_run {
            let arn = run.arn.clone();
            self.event(frame, "MapRunStarted", || {
                Some((Key::MapRunStarted, json!({ "mapRunArn": arn })))
            });
        }
        let items = match (reader, &reader_at) {
            (Some(r), Some(at)) => match self.read_items(r, at, &escope) {
                Ok(items) => items,
                Err(f) => return Err(self.map_run_failed(frame, f)),
            },
            _ => items,
        };
        let len = items.len();
        let prefix: Rc<str> = Rc::from(qualified(&frame.prefix, &state.name));
        let mut rng = || self.next_random();
        // ItemSelector sees the effective input as `$` and the item as `$$.Map.Item`.
        let mut iteration_inputs = Vec::with_capacity(len);
        for (index, item) in items.into_iter().enumerate() {
            let selector = state.jsonata.as_deref().and_then(|j| j.arguments.as_ref());
            let v = match (selector, &state.io.parameters) {
                (Some(t), _) => {
                    let item_ctx = || {
                        let mut c = self.context_object(state, entered_time, retry_count, frame, None);
                        c["Map"] = json!({ "Item": { "Index": index, "Value": item } });
                        c
                    };
                    self.eval_template(t, &Scope::new(effective, &item_ctx, &vars))?
                }
                (None, Some(p)) => {
                    let item_ctx = || {
                        let mut c = self.context_object(state, entered_time, retry_count, frame, None);
                        c["Map"] = json!({ "Item": { "Index": index, "Value": item } });
                        c
                    };
                    eval_payload(p, &Scope::new(effective, &item_ctx, &vars), &mut rng)?
                }
                (None, None) => item,
            };
            iteration_inputs.push(v);
        }
        let mut iteration_inputs = match dio.and_then(|d| d.batcher.as_ref()) {
            Some(b) => match self.batch_items(b, iteration_inputs, &escope) {
                Ok(batches) => batches,
                Err(f) => return Err(self.map_run_failed(frame, f)),
            },
            None => iteration_inputs,
        };
        let len = iteration_inputs.len();
        // What the ResultWriter lists of each child execution: its input and its times.
        let child_inputs = if writer.is_some() {
            iteration_inputs.clone()
        } else {
            Vec::new()
        };
        let times = &RefCell::new(if writer.is_some() {
            vec![(0, 0); len]
        } else {
            Vec::new()
        });
        let base_event = frame.last_event.get();
        let empty: Variables = Rc::new(Map::new());
        let frames: Vec<Frame<'_>> = (0..len)
            .map(|_| {
                let mut f = Frame::child(frame, &empty, Rc::clone(&prefix), base_event, None);
                f.detached |= m.distributed;
                f
            })
            .collect();
        let mut results: Vec<Option<Value>> = vec![None; len];
        let mut failures = 0usize;
        let mut failed: Vec<Option<StateError>> = vec![None; len];
        let mut first_failure: Option<StateError> = None;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let limit = max_concurrency as usize;
        let map_state = state.id;
        let last_iteration_event = &Cell::new(0u64);
        let _others = self.clock.others();
        let fault = run_bounded(
            len,
            limit,
            |i| -> Child<'_, Result<Value, Fault>> {
                let f = &frames[i];
                let input = std::mem::take(&mut iteration_inputs[i]);
                f.last_event.set(frame.last_event.get());
                Box::pin(async move {
                    self.event_details(f, "MapIterationStarted", || {
                        Some((
                            Key::MapIterationStarted,
                            Details::Iteration {
                                state: map_state,
                                index: i,
                            },
                        ))
                    });
                    let started_at = self.clock.now();
                    let out = self.run_definition(&m.processor, input, None, f).await;
                    if let Some(t) = times.borrow_mut().get_mut(i) {
                        *t = (started_at, self.clock.now());
                    }
                    let kind = if out.is_ok() {
                        "MapIterationSucceeded"
                    } else {
                        "MapIterationFailed"
                    };
                    let key = if out.is_ok() {
                        Key::MapIterationSucceeded
                    } else {
                        Key::MapIterationFailed
                    };
                    let last = f.last_event.get();
                    let id = self.event_details(f, kind, || {
                        Some((
                            key,
                            Details::Iteration {
                                state: map_state,
                                index: i,
                            },
                        ))
                    });
                    last_iteration_event.set(id);
                    // The next iteration's start follows this iteration's last state event, not
                    // its MapIterationSucceeded (recorded histories, e.g. conformance
                    // `scenarios...test_map_state_item_selector[MAP_STATE_ITEM_SELECTOR]`).
                    f.last_event.set(last);
                    frame.last_event.set(last);
                    out
                })
            },
            |i, out| match out {
                Ok(v) => {
                    results[i] = Some(v);
                    ControlFlow::Continue(())
                }
                Err(Fault::Failed(e)) => {
                    failures += 1;
                    failed[i] = Some(e.clone());
                    let tolerated = tolerance_allows(tolerated_count, tolerated_pct, failures, len);
                    if first_failure.is_none() {
                        first_failure = Some(e.clone());
                    }
                    if tolerated {
                        results[i] = Some(Value::Null);
                        ControlFlow::Continue(())
                    } else if tolerated_count.is_some() || tolerated_pct.is_some() {
                        ControlFlow::Break(Fault::Failed(StateError::new(
                            "States.ExceedToleratedFailureThreshold",
                            "The specified tolerated failure threshold was exceeded",
                        )))
                    } else {
                        ControlFlow::Break(Fault::Failed(e))
                    }
                }
                Err(h) => ControlFlow::Break(h),
            },
        )
        .await;
        if let Some(fault) = fault {
            if let (Some(w), Some(run), Fault::Failed(_)) = (writer, &map_run, &fault) {
                // The results of a failed Map Run are written too; PENDING lists the children
                // that never ran (AWS docs, "ResultWriter (Map)").
                let records = distributed::child_records(child_inputs, &results, failed, &times.borrow());
                self.write_results(w, writer_at.as_ref(), run, &records);
            }
            if map_run.is_some() {
                return Err(self.map_run_failed(frame, fault));
            }
            if let Fault::Failed(e) = &fault {
                let details = error_details(e);
                self.event(frame, "MapStateFailed", || Some((Key::MapStateFailed, details)));
            }
            return Err(fault);
        }
        if last_iteration_event.get() != 0 {
            frame.last_event.set(last_iteration_event.get());
        }
        if map_run.is_some() {
            self.event(frame, "MapRunSucceeded", || None);
        }
        self.succeeded_event(frame, "MapStateSucceeded");
        let result = match (writer, &map_run) {
            (Some(w), Some(run)) => {
                let records = distributed::child_records(child_inputs, &results, failed, &times.borrow());
                self.write_results(w, writer_at.as_ref(), run, &records)
            }
            _ => Value::Array(results.into_iter().map(Option::unwrap_or_default).collect()),
        };
        let output = self.select_and_finish(state, input, result, frame, entered_time, retry_count)?;
        if map_run.is_none() && failures == 0 {
            self.offer_copy(state, frame, || self.joined_copy(&frames));
        }
        Ok(output)
    }

    /// Reads `MaxConcurrency[Path]` / `ToleratedFailure*[Path]` with AWS's checks and messages
    /// (conformance `scenarios...test_map_state_tolerated_failure_*_path[*]`).
    fn number(&self, n: &Number, scope: &Scope<'_>, field: &str, integer: bool) -> Result<f64, Fault> {
        let value = match n {
            Number::Value(v) => *v,
            Number::Expression(e) => self.expression_number(e, scope, integer)?,
            Number::Path(path, text) => {
                let value = path.get(scope);
                // A numeric string is read as its number: a variable assigned "1" is a valid
                // MaxConcurrencyPath (conformance `assign...test_reference_in_map_state[MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH]`),
                // "NoNumber" is not (`scenarios...test_map_state_tolerated_failure_count_path[NoNumber]`).
                let parsed = value.and_then(|v| match (v, integer) {
                    (Value::String(s), true) => s.trim().parse::<i64>().ok().map(|i| i as f64),
                    (Value::String(s), false) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                    (v, true) => v.as_i64().map(|i| i as f64),
                    (v, false) => v.as_f64(),
                });
                match parsed {
                    Some(v) => v,
                    None => {
                        let shown = value.map_or_else(|| "null".to_string(), raw_text);
                        let kind = if integer { "integer" } else { "float" };
                        return Err(runtime_error(format!(
                            "The {field}Path field refers to value \"{shown}\" which is not a valid {kind}: {text}"
                        ))
                        .into());
                    }
                }
            }
        };
        if integer && value < 0.0 {
            return Err(runtime_error(format!("{field} cannot be negative.")).into());
        }
        if !integer && !(0.0..=100.0).contains(&value) {
            return Err(runtime_error(format!("{field} must be between 0 and 100.")).into());
        }
        Ok(value)
    }
}

/// A Task attempt's token: drawn at once, so that later random draws do not depend on whether
/// it is read, and written out only when `$$.Task.Token` or a callback mock reads it.
struct TaskToken {
    draws: (u64, u64),
    attempt: u32,
    text: OnceCell<String>,
}

impl TaskToken {
    fn text(&self) -> &str {
        let ((a, b), attempt) = (self.draws, self.attempt);
        self.text.get_or_init(|| format!("{a:016x}{b:016x}-{attempt}"))
    }
}

/// Which family of history events a Task's integration writes.
#[derive(Debug)]
pub(crate) enum Family {
    /// A Lambda function ARN used directly: `LambdaFunction*` events.
    Lambda { arn: String },
    /// An activity: `Activity*` events.
    Activity { arn: String },
    /// A service integration: `Task*` events.
    Service { names: Arc<ServiceNames>, pattern: Pattern },
}

impl Family {
    fn of(resource: &Resource, arn: &str) -> Family {
        match resource {
            Resource::LambdaFunction { .. } => Family::Lambda { arn: arn.to_string() },
            Resource::Activity { .. } => Family::Activity { arn: arn.to_string() },
            _ => {
                let (resource_type, name) = resource.history_names(arn);
                Family::Service {
                    names: Arc::new(ServiceNames {
                        resource_type: Arc::from(resource_type),
                        resource: Arc::from(name),
                    }),
                    pattern: resource.pattern(),
                }
            }
        }
    }

    /// Writes the event `<family><what>` (`LambdaFunctionSucceeded`, `TaskTimedOut`, ...).
    fn emit(&self, run: &Run<'_>, frame: &Frame<'_>, what: &str, details: impl FnOnce() -> Value) {
        let (kind, key) = event_names(self, what);
        run.event(frame, kind, || Some((key, details())));
    }
}

fn event_names(family: &Family, what: &str) -> (&'static str, Key) {
    match (family, what) {
        (Family::Lambda { .. }, "Scheduled") => ("LambdaFunctionScheduled", Key::LambdaFunctionScheduled),
        (Family::Lambda { .. }, "Succeeded") => ("LambdaFunctionSucceeded", Key::LambdaFunctionSucceeded),
        (Family::Lambda { .. }, "TimedOut") => ("LambdaFunctionTimedOut", Key::LambdaFunctionTimedOut),
        (Family::Lambda { .. }, _) => ("LambdaFunctionFailed", Key::LambdaFunctionFailed),
        (Family::Activity { .. }, "Scheduled") => ("ActivityScheduled", Key::ActivityScheduled),
        (Family::Activity { .. }, "Started") => ("ActivityStarted", Key::ActivityStarted),
        (Family::Activity { .. }, "Succeeded") => ("ActivitySucceeded", Key::ActivitySucceeded),
        (Family::Activity { .. }, "TimedOut") => ("ActivityTimedOut", Key::ActivityTimedOut),
        (Family::Activity { .. }, _) => ("ActivityFailed", Key::ActivityFailed),
        (Family::Service { .. }, "Scheduled") => ("TaskScheduled", Key::TaskScheduled),
        (Family::Service { .. }, "Started") => ("TaskStarted", Key::TaskStarted),
        (Family::Service { .. }, "Submitted") => ("TaskSubmitted", Key::TaskSubmitted),
        (Family::Service { .. }, "Succeeded") => ("TaskSucceeded", Key::TaskSucceeded),
        (Family::Service { .. }, "TimedOut") => ("TaskTimedOut", Key::TaskTimedOut),
        (Family::Service { .. }, _) => ("TaskFailed", Key::TaskFailed),
    }
}

fn tolerance_allows(count: Option<f64>, pct: Option<f64>, failures: usize, total: usize) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let (failures_f, total_f) = (failures as f64, total as f64);
    let by_count = count.is_some_and(|c| failures_f <= c);
    let by_pct = pct.is_some_and(|p| total > 0 && failures_f * 100.0 / total_f <= p);
    by_count || by_pct
}

/// A value as AWS prints it in messages: strings without quotes, the rest as JSON.
fn raw_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn qualified(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn seconds_ms(s: u64) -> Millis {
    Millis::try_from(s).unwrap_or(Millis::MAX / 1000).saturating_mul(1000)
}

/// `States.ALL` matches everything but the terminal errors; `States.TaskFailed` matches every
/// error except `States.Timeout` (ASL spec, "Error names").
fn matches_error(names: &[String], error: &str) -> bool {
    names
        .iter()
        .any(|n| n == error || n == "States.ALL" || (n == "States.TaskFailed" && error != "States.Timeout"))
}

/// `States.Runtime` ends the execution: no retrier or catcher handles it, not even one naming
/// it (conformance case `scenarios...test_catch_states_runtime`). A Task's
/// `States.DataLimitExceeded` is caught like any other error (case
/// `error_handling...catch_state_all_data_limit_exceeded_on_large_utf8_response`).
fn is_terminal(error: &str) -> bool {
    error == "States.Runtime"
}

/// What a Catch passes on. A failure that named no error or cause (a SendTaskFailure without
/// them) gives nulls (conformance `callback...test_sqs_failure_in_wait_for_task_tok_no_error_field[*]`).
fn error_object(e: &StateError) -> Value {
    let error = if e.error.is_empty() {
        Value::Null
    } else {
        Value::String(e.error.clone())
    };
    json!({ "Error": error, "Cause": e.cause })
}

fn error_details(e: &StateError) -> Value {
    let mut m = Map::new();
    m.insert("error".into(), json!(e.error));
    if let Some(c) = &e.cause {
        m.insert("cause".into(), json!(c));
    }
    Value::Object(m)
}

fn prefix_cause(e: &mut StateError, state: &str, entered: u64) {
    let prefix = format!("An error occurred while executing the state '{state}' (entered at the event id #{entered}).");
    if let Some(c) = &e.cause
        && !c.starts_with("An error occurred")
    {
        e.cause = Some(format!("{prefix} {c}"));
    }
}

fn lambda_envelope(payload: Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "Connection": ["keep-alive"],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Type": "application/json",
                "X-Amz-Executed-Version": "$LATEST",
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": { "RequestId": "00000000-0000-0000-0000-000000000000" },
        "StatusCode": 200,
    })
}

/// True when `v`, as JSON, exceeds AWS's payload limit. Most payloads are far below it, which
/// a quick upper bound shows without writing them out.
/// True when a state's output is its input, untouched: a JSONPath Choice, Succeed or Wait
/// state, or a Pass state without `Parameters`, `Result` or `ResultPath`, all with the default
/// `InputPath` and `OutputPath`.
fn output_is_input(state: &State) -> bool {
    let io = &state.io;
    if state.jsonata.is_some()
        || !matches!(io.input_path, PathField::Default)
        || !matches!(io.output_path, PathField::Default)
    {
        return false;
    }
    match &state.kind {
        StateKind::Choice(_) | StateKind::Succeed | StateKind::Wait(_) => true,
        StateKind::Pass(p) => {
            p.result.is_none() && io.parameters.is_none() && matches!(io.result_path, PathField::Default)
        }
        _ => false,
    }
}

/// The address of object `value`'s first field: it tells an object from every other live one.
fn first_field(value: &Value) -> Option<usize> {
    value
        .as_object()?
        .values()
        .next()
        .map(|v| std::ptr::from_ref(v) as usize)
}

/// Where [`Run::result_in_place`] writes a result: the whole input, or one top-level field.
#[derive(Clone, Copy)]
enum InPlace<'s> {
    Whole,
    Field(&'s str),
}

/// The object template a JSONPath state's result is built from, when it has one: a Pass
/// state's `Parameters` (without a `Result`), or a `ResultSelector`.
fn result_template(state: &State) -> Option<(&[(String, Payload)], &crate::asl::model::ObjectShape)> {
    let template = match &state.kind {
        StateKind::Pass(pass) if pass.result.is_none() => state.io.parameters.as_ref(),
        _ => state.io.result_selector.as_ref(),
    };
    match template? {
        Payload::Object { fields, shape } => Some((fields, shape)),
        _ => None,
    }
}

/// [`result_template`], when the state's output is that template's result as it is (a JSONPath
/// state whose `ResultPath` and `OutputPath` are `$`).
fn whole_result_template(state: &State) -> Option<(&[(String, Payload)], &crate::asl::model::ObjectShape)> {
    let io = &state.io;
    if state.jsonata.is_some()
        || !matches!(io.result_path, PathField::Default)
        || !matches!(io.output_path, PathField::Default)
    {
        return None;
    }
    result_template(state)
}

/// The field a JSONPath state's `ResultPath` sets, when it sets one top-level field (`$.name`).
fn result_field_of(state: &State) -> Option<&str> {
    match (&state.io.result_path, &state.jsonata) {
        (PathField::Path(path, _), None) => path.top_field(),
        _ => None,
    }
}

fn over_payload_limit(v: &Value) -> bool {
    size_bound(v) > PAYLOAD_LIMIT && serialized_len(v) > PAYLOAD_LIMIT
}

/// An upper bound of `serialized_len(v)`: every string as if each byte needed a six-byte
/// escape (`\u0000`), every number as long as the longest one serde_json writes.
fn size_bound(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => 2 + 6 * s.len(),
        Value::Array(items) => 2 + items.iter().map(|x| size_bound(x) + 1).sum::<usize>(),
        Value::Object(map) => 2 + map.iter().map(|(k, x)| 4 + 6 * k.len() + size_bound(x)).sum::<usize>(),
    }
}

fn serialized_len(v: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

fn entered_kind(kind: &StateKind) -> &'static str {
    match kind {
        StateKind::Pass(_) => "PassStateEntered",
        StateKind::Task(_) => "TaskStateEntered",
        StateKind::Choice(_) => "ChoiceStateEntered",
        StateKind::Wait(_) => "WaitStateEntered",
        StateKind::Succeed => "SucceedStateEntered",
        StateKind::Fail(_) => "FailStateEntered",
        StateKind::Parallel(_) => "ParallelStateEntered",
        StateKind::Map(_) => "MapStateEntered",
    }
}

fn exited_kind(kind: &StateKind) -> &'static str {
    match kind {
        StateKind::Pass(_) => "PassStateExited",
        StateKind::Task(_) => "TaskStateExited",
        StateKind::Choice(_) => "ChoiceStateExited",
        StateKind::Wait(_) => "WaitStateExited",
        StateKind::Succeed => "SucceedStateExited",
        StateKind::Fail(_) => "FailStateExited",
        StateKind::Parallel(_) => "ParallelStateExited",
        StateKind::Map(_) => "MapStateExited",
    }
}

/// What [`Run::resolve`] worked out: the answer (`true` when it is the raw integration
/// response), or the mock still to be awaited and whether a [`Mock::raw`] wraps it.
enum Step {
    Done(Result<(TaskResult, bool), Error>),
    Later(Mock, bool),
}

/// A mock's answer, resolved asynchronously; `true` when it is the raw integration response.
type Answer<'m> = Pin<Box<dyn Future<Output = Result<(TaskResult, bool), Error>> + 'm>>;

/// A call's identifiers, in the order its mock keys list them: the ARN, a Lambda function
/// resource's function, the usual name fields of the parameters (and each ARN's last
/// `:`-separated part), EventBridge entries' bus names.
/// The mock under the first of a call's keys that needs no parameters: the state's qualified
/// name (in a Parallel branch or Map iteration), then its name (the order of
/// [`CallKeys::keys`]).
fn named_mock<'m>(mocks: &'m BTreeMap<String, Mock>, state: &State, frame: &Frame<'_>) -> Option<(&'m str, &'m Mock)> {
    let qualified = frame.qualified(state);
    qualified
        .as_deref()
        .into_iter()
        .chain([&*state.name])
        .find_map(|key| mocks.get_key_value(key).map(|(k, m)| (k.as_str(), m)))
}

fn call_identifiers<'v>(resource: &'v Resource, arn: &'v str, parameters: &'v Value, mut f: impl FnMut(&'v str)) {
    f(arn);
    if let Resource::LambdaFunction { function } = resource {
        f(function);
    }
    for field in [
        "FunctionName",
        "StateMachineArn",
        "QueueUrl",
        "TopicArn",
        "TableName",
        "EventBusName",
    ] {
        if let Some(Value::String(s)) = parameters.get(field) {
            f(s);
            if let Some(name) = s.rsplit(':').next() {
                f(name);
            }
        }
    }
    if let Some(Value::Array(entries)) = parameters.get("Entries") {
        for e in entries {
            if let Some(Value::String(s)) = e.get("EventBusName") {
                f(s);
            }
        }
    }
}

/// A Task call's mock keys as the engine keeps them: what writing them out needs besides the
/// call itself, done only when a test reads the calls.
#[derive(Debug)]
pub(crate) struct CallKeys {
    /// `Outer/Inner`, in a Parallel branch or Map iteration.
    qualified: Option<String>,
    /// The template's logical ids of the call's identifiers.
    logicals: Vec<String>,
}

impl CallKeys {
    fn keys(self, name: &str, resource: &Resource, arn: &str, parameters: &Value) -> Vec<String> {
        let CallKeys { qualified, logicals } = self;
        let mut keys: Vec<String> = Vec::new();
        let mut push = |k: &str| {
            if !k.is_empty() && !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        };
        if let Some(q) = &qualified {
            push(q);
        }
        push(name);
        for l in &logicals {
            push(l);
        }
        call_identifiers(resource, arn, parameters, push);
        keys
    }
}

/// A Task call as the engine records it; [`CallRecord`] once its keys are written out.
#[derive(Debug)]
pub(crate) struct PendingCall {
    call: CallParts,
    keys: CallKeys,
    result: Result<Answered, TaskError>,
}

/// A Task call's successful result: its own value, or a `Mock::ret`'s, shared.
#[derive(Debug)]
pub(crate) enum Answered {
    Owned(Value),
    Shared(Mock),
}

impl Answered {
    fn value(&self) -> &Value {
        match self {
            Answered::Owned(v) => v,
            Answered::Shared(m) => m.returned().unwrap_or(&Value::Null),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Answered::Owned(v) => v,
            Answered::Shared(m) => m.returned().cloned().unwrap_or(Value::Null),
        }
    }

    /// Whether the value is over AWS's payload limit; a shared mock value is measured once.
    fn over_payload_limit(&self) -> bool {
        match self {
            Answered::Owned(v) => over_payload_limit(v),
            Answered::Shared(m) => m.returned_over(over_payload_limit),
        }
    }

    /// The history's copy.
    fn recorded(&self, texts: &Texts) -> Recorded {
        match self {
            Answered::Owned(v) => texts.of(v),
            Answered::Shared(m) => Recorded::Mock(m.clone()),
        }
    }
}

/// A Task attempt's parameters: their value, or their JSON text alone when only the history
/// and the call record keep them (see [`Run::answered_by_name`]). The value is parsed from the
/// text if anything else reads it after all.
struct Params {
    value: OnceCell<Value>,
    text: Option<Recorded>,
}

impl Params {
    fn of(value: Value) -> Params {
        Params {
            value: OnceCell::from(value),
            text: None,
        }
    }

    fn text(texts: &Texts, text: &str) -> Params {
        Params {
            value: OnceCell::new(),
            text: Some(texts.copy(text)),
        }
    }

    /// The value; `texts` holds the text it is parsed from.
    fn value(&self, texts: &Texts) -> &Value {
        self.value.get_or_init(|| {
            // The text was written from values as serde_json writes them, so it parses back.
            self.text
                .as_ref()
                .and_then(|t| texts.read(t, |t| serde_json::from_str(t).ok()))
                .flatten()
                .unwrap_or(Value::Null)
        })
    }

    fn take(&mut self, texts: &Texts) -> Value {
        self.value(texts);
        self.value.take().unwrap_or_default()
    }

    /// The history's copy.
    fn recorded(&self, texts: &Texts) -> Recorded {
        match &self.text {
            Some(text) => text.clone(),
            None => texts.of(self.value(texts)),
        }
    }

    /// The call record's copy when the history keeps none: the text, or the value.
    fn into_recorded(mut self, texts: &Texts) -> Recorded {
        match self.text.take() {
            Some(text) => text,
            None => Recorded::Value(Arc::new(self.take(texts))),
        }
    }
}

/// A [`TaskCall`] as the engine keeps it: shared names, and the parameters shared with the
/// history's `TaskScheduled` event.
#[derive(Debug)]
struct CallParts {
    of: CallOf,
    input: Recorded,
    attempt: u32,
    task_token: Option<String>,
}

/// Which Task state made a call.
#[derive(Debug)]
enum CallOf {
    /// The Task state's [`State::id`], whose name and `Resource` the execution's
    /// [`EventContext`] has.
    Task(u32),
    /// A child execution's Task: its name and `Resource`, as the record shows them.
    Named { state: String, resource: String },
}

impl PendingCall {
    /// The same call with its copies' text of its own: a child execution's calls join its
    /// parent's, whose copies are elsewhere.
    pub(crate) fn detached(mut self, context: &EventContext) -> PendingCall {
        self.call.input = self.call.input.detached(&context.texts);
        if let CallOf::Task(id) = self.call.of {
            let (state, resource) = context.task_names(id);
            self.call.of = CallOf::Named {
                state: state.to_string(),
                resource: resource.to_string(),
            };
        }
        self
    }

    /// The record a test reads; `context`: its execution's (`Outcome::context`).
    pub(crate) fn into_record(self, context: &EventContext) -> CallRecord {
        let CallParts {
            of,
            input,
            attempt,
            task_token,
        } = self.call;
        let (state, resource) = match of {
            CallOf::Task(id) => {
                let (state, resource) = context.task_names(id);
                (state.to_string(), resource.to_string())
            }
            CallOf::Named { state, resource } => (state, resource),
        };
        let call = TaskCall {
            state,
            resource,
            input: input.value_in(&context.texts),
            attempt,
            task_token,
        };
        let resource = Resource::parse(&call.resource);
        let keys = self.keys.keys(&call.state, &resource, &call.resource, &call.input);
        CallRecord {
            call,
            keys,
            result: self.result.map(Answered::into_value),
        }
    }
}
