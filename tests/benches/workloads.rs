//! The benchmark over the shared workloads (`SFN_BENCH_DIR`, default `../shared/bench/workloads`):
//! `cargo bench -p sfn-test-suite --bench workloads [-- --json] [-- --quick] [-- NAME...]`.
//!
//! Method, as the peers were measured (`../shared/bench/README.md`): execution 1 checks the
//! output against `NAME.expected.json` (a wrong output is reported and not timed); one warm-up;
//! single executions timed one by one (at least 5, as many as fit in about 1 s, at most 201),
//! their median; then back-to-back executions for a fixed time (2 s here, not the peers' 5 s;
//! `SFN_BENCH_SECS` overrides it) give executions/s. One execution is a scenario built and run
//! the way a test does it (`sm.scenario().input(..).default_mock(..).run()`), history recorded.
//!
//! Memory, two figures: `peak_alloc_mib` is the peak of live heap bytes during one execution
//! above what was live before it (a counting global allocator in this binary);
//! `peak_rss_mib` is the process's peak resident set (`VmHWM` in `/proc/self/status`), reset
//! (`/proc/self/clear_refs`) before each workload, read after all its executions.
//!
//! Then, unless names are given: the cost of recording history (the same timing with
//! `Scenario::without_history`), Wait/Retry against the same definitions with the shortest
//! waits (both pairs timed in alternation, so that a drift in the machine's speed hits both
//! sides alike), and a generated table file of 10,000 cases run through `sfn_test::table`.
//!
//! `--peers FILE` sets the table beside the peers' figures in FILE: the JSON lines that
//! `tests/benches/peers/run.sh` prints (`peer`, `workload`, `median_ms`), with how many times
//! faster each workload ran here.
//!
//! `--quick` (or `SFN_BENCH_QUICK=1`) keeps every loop short, for a smoke run; `--profile N`
//! runs only the check and N executions per workload (for `valgrind --tool=callgrind`;
//! with `--no-history`, executions that record no history).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sfn_test::{Mock, Scenario, StateMachine, Status, TaskError, json_equal};

#[global_allocator]
static ALLOC: Counting = Counting;

/// The system allocator, counting live bytes only while [`peak_alloc`] measures: a counting
/// allocator that always counts costs atomic operations on every allocation and free, which
/// made the timed executions a third slower than a test's.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

impl Counting {
    fn track(delta: isize) {
        if COUNTING.load(Ordering::Relaxed) {
            let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is passed on unchanged to the system allocator; only counters change.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        Self::track(isize::try_from(layout.size()).unwrap_or(isize::MAX));
        // SAFETY: the caller's contract for `alloc`, forwarded.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        Self::track(-isize::try_from(layout.size()).unwrap_or(isize::MAX));
        // SAFETY: the caller's contract for `dealloc`, forwarded.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        Self::track(isize::try_from(layout.size()).unwrap_or(isize::MAX));
        // SAFETY: the caller's contract for `alloc_zeroed`, forwarded.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let (old, new) = (
            isize::try_from(layout.size()).unwrap_or(isize::MAX),
            isize::try_from(new_size).unwrap_or(isize::MAX),
        );
        Self::track(new - old);
        // SAFETY: the caller's contract for `realloc`, forwarded.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

/// The README's order; workloads it does not list follow by name.
const ORDER: &[&str] = &[
    "pass-chain",
    "choice-loop",
    "map-1k",
    "parallel-fanout",
    "task-mocked",
    "wait-heavy",
    "retry-heavy",
];

struct Options {
    json: bool,
    quick: bool,
    profile: Option<usize>,
    history: bool,
    filter: Vec<String>,
    loop_time: Duration,
    peers: Option<PathBuf>,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            json: false,
            quick: std::env::var_os("SFN_BENCH_QUICK").is_some_and(|v| v != "0"),
            profile: None,
            history: true,
            filter: Vec::new(),
            loop_time: Duration::from_secs(2),
            peers: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--json" => o.json = true,
                "--quick" => o.quick = true,
                "--profile" => o.profile = args.next().and_then(|n| n.parse().ok()),
                "--no-history" => o.history = false,
                // A relative path is the workspace root's, where the README's commands run.
                "--peers" => o.peers = args.next().map(|p| sfn_test_suite::workspace_root().join(p)),
                // `cargo bench` passes `--bench`; other libtest flags mean nothing here.
                s if s.starts_with('-') => {}
                name => o.filter.push(name.to_string()),
            }
        }
        if let Some(secs) = std::env::var("SFN_BENCH_SECS").ok().and_then(|s| s.parse::<f64>().ok()) {
            o.loop_time = Duration::from_secs_f64(secs);
        }
        if o.quick {
            o.loop_time = Duration::from_millis(100);
        }
        o
    }

    fn selects(&self, name: &str) -> bool {
        self.filter.is_empty() || self.filter.iter().any(|f| f == name)
    }

    /// The time budget for single timed executions.
    fn single_budget(&self) -> Duration {
        if self.quick {
            Duration::from_millis(50)
        } else {
            Duration::from_secs(1)
        }
    }
}

/// How the workload's Task states are answered (`NAME.mock.json`, see the bench README).
#[derive(Clone)]
enum MockSpec {
    None,
    /// Every call returns this raw Invoke response.
    Always(Mock),
    /// Calls 1..=`fail_times` of each execution fail; later ones succeed with `Payload.attempt`.
    FailTimes {
        fail_times: u32,
        error: String,
        cause: String,
        success: Value,
    },
}

impl MockSpec {
    fn load(path: &Path) -> Result<MockSpec, String> {
        if !path.exists() {
            return Ok(MockSpec::None);
        }
        let v = read_json(path)?;
        let Some(n) = v.get("fail_times") else {
            return Ok(MockSpec::Always(Mock::raw(Mock::ret(v))));
        };
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        Ok(MockSpec::FailTimes {
            fail_times: n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("{}: fail_times must be a small integer", path.display()))?,
            error: text("error"),
            cause: text("cause"),
            success: v.get("success").cloned().unwrap_or(Value::Null),
        })
    }

    /// The mock for one execution (the call counter starts again with each execution).
    fn for_execution(&self) -> Option<Mock> {
        match self {
            MockSpec::None => None,
            MockSpec::Always(m) => Some(m.clone()),
            MockSpec::FailTimes {
                fail_times,
                error,
                cause,
                success,
            } => {
                let (fail_times, error, cause, success) = (*fail_times, error.clone(), cause.clone(), success.clone());
                let calls = Arc::new(AtomicU32::new(0));
                Some(Mock::raw(Mock::from_fn(move |_| {
                    let n = calls.fetch_add(1, Ordering::Relaxed) + 1;
                    if n <= fail_times {
                        return Err(TaskError::new(error.clone(), cause.clone()));
                    }
                    let mut out = success.clone();
                    if let Some(payload) = out.get_mut("Payload").and_then(Value::as_object_mut) {
                        payload.insert("attempt".into(), json!(n));
                    }
                    Ok(out)
                })))
            }
        }
    }
}

struct Workload {
    name: String,
    machine: StateMachine,
    input: Value,
    expected: Value,
    mock: MockSpec,
}

impl Workload {
    fn load(dir: &Path, name: &str) -> Result<Workload, String> {
        let file = |suffix: &str| dir.join(format!("{name}.{suffix}"));
        let machine = StateMachine::from_asl_file(file("asl.json")).map_err(|e| e.to_string())?;
        Ok(Workload {
            name: name.to_string(),
            machine,
            input: read_json(&file("input.json"))?,
            expected: read_json(&file("expected.json"))?,
            mock: MockSpec::load(&file("mock.json"))?,
        })
    }

    /// The same workload over another definition (the Wait/Retry comparisons).
    fn with_definition(&self, name: &str, definition: Value) -> Result<Workload, String> {
        Ok(Workload {
            name: name.to_string(),
            machine: StateMachine::from_definition(definition).map_err(|e| e.to_string())?,
            input: self.input.clone(),
            expected: self.expected.clone(),
            mock: self.mock.clone(),
        })
    }

    fn scenario(&self, history: bool) -> Scenario<'_> {
        let mut s = self.machine.scenario().input(self.input.clone());
        if let Some(m) = self.mock.for_execution() {
            s = s.default_mock(m);
        }
        if history { s } else { s.without_history() }
    }

    /// Runs one execution; `Err` when it does not give the expected output.
    fn execute(&self, history: bool) -> Result<usize, String> {
        let run = self.scenario(history).run().map_err(|e| e.to_string())?;
        if *run.status() != Status::Succeeded {
            return Err(format!(
                "ended {} {:?} {:?}",
                run.status().as_str(),
                run.error(),
                run.cause()
            ));
        }
        match run.output() {
            Some(out) if json_equal(out, &self.expected) => Ok(run.path().len()),
            Some(out) => Err(format!("wrong output {out}")),
            None => Err("no output".into()),
        }
    }

    /// Runs without checking, as fast as the API allows.
    fn run(&self, history: bool) {
        let run = self.scenario(history).run();
        std::hint::black_box(run.ok());
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Single executions timed one by one: at least 5, at most 201, within `budget`; the median.
fn median_single(budget: Duration, mut f: impl FnMut()) -> Duration {
    paired_medians(budget, &mut f, || {}).0
}

/// The time of one call.
fn timed(f: &mut impl FnMut()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Two variants timed in alternation (a, b, a, b, ...: at least 5 each, at most 201, within
/// `budget`), and each one's median: both see the same machine, even when its speed drifts
/// during the run (as a shared VM's does).
fn paired_medians(budget: Duration, mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while ta.len() < 5 || (ta.len() < 201 && start.elapsed() < budget) {
        ta.push(timed(&mut a));
        tb.push(timed(&mut b));
    }
    (median(ta), median(tb))
}

/// Back-to-back executions for `duration` (at least one): executions per second.
fn throughput(duration: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while n == 0 || start.elapsed() < duration {
        f();
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

/// Peak of live heap bytes during `f` above what was live before it.
fn peak_alloc(f: impl FnOnce()) -> usize {
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    f();
    COUNTING.store(false, Ordering::Relaxed);
    usize::try_from(PEAK.load(Ordering::Relaxed)).unwrap_or(0)
}

/// Resets the process's peak RSS (`VmHWM`) to its current RSS; false where the kernel refuses.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmHWM` in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn mib(bytes: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    b / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

struct Row {
    name: String,
    correct: bool,
    problem: String,
    states: usize,
    median: Duration,
    exec_per_s: f64,
    peak_alloc: usize,
    peak_rss: f64,
}

impl Row {
    fn us_per_state(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let states = self.states.max(1) as f64;
        self.median.as_secs_f64() * 1e6 / states
    }

    fn json(&self) -> Value {
        json!({
            "workload": self.name,
            "correct": self.correct,
            "states": self.states,
            "median_ms": round(ms(self.median), 4),
            "exec_per_s": round(self.exec_per_s, 1),
            "us_per_state": round(self.us_per_state(), 3),
            "peak_rss_mib": round(self.peak_rss, 1),
            "peak_alloc_mib": round(mib(self.peak_alloc), 2),
        })
    }
}

fn bench_workload(w: &Workload, o: &Options) -> Row {
    let rss_reset = reset_peak_rss();
    let mut row = Row {
        name: w.name.clone(),
        correct: false,
        problem: String::new(),
        states: 0,
        median: Duration::ZERO,
        exec_per_s: 0.0,
        peak_alloc: 0,
        peak_rss: 0.0,
    };
    let mut checked = Ok(0);
    row.peak_alloc = peak_alloc(|| checked = w.execute(true));
    match checked {
        Ok(states) => {
            row.correct = true;
            row.states = states;
        }
        Err(why) => {
            row.problem = why;
            return row;
        }
    }
    if let Some(n) = o.profile {
        for _ in 0..n {
            w.run(o.history);
        }
        return row;
    }
    w.run(true);
    row.median = median_single(o.single_budget(), || w.run(true));
    row.exec_per_s = throughput(o.loop_time, || w.run(true));
    row.peak_rss = if rss_reset { peak_rss_mib() } else { f64::NAN };
    row
}

fn print_rows(rows: &[Row], o: &Options) {
    if o.json {
        for r in rows {
            println!("{}", r.json());
        }
        return;
    }
    println!(
        "{:<16} {:>7} {:>7} {:>11} {:>11} {:>9} {:>11} {:>10}",
        "workload", "correct", "states", "median", "exec/s", "µs/state", "peak alloc", "peak RSS"
    );
    for r in rows {
        if !r.correct {
            println!("{:<16} {:>7}  {}", r.name, "NO", r.problem);
            continue;
        }
        println!(
            "{:<16} {:>7} {:>7} {:>8.3} ms {:>11.1} {:>9.3} {:>7.2} MiB {:>6.1} MiB",
            r.name,
            "yes",
            r.states,
            ms(r.median),
            r.exec_per_s,
            r.us_per_state(),
            mib(r.peak_alloc),
            r.peak_rss
        );
    }
    println!(
        "(median: single executions timed one by one; exec/s: back-to-back for {:.1} s; peak alloc: \
         live heap during one execution; peak RSS: VmHWM over the workload's executions)",
        o.loop_time.as_secs_f64()
    );
}

fn report(o: &Options, measure: &str, fields: Value, text: String) {
    if o.json {
        let mut v = json!({ "measure": measure });
        if let (Some(m), Value::Object(f)) = (v.as_object_mut(), fields) {
            m.extend(f);
        }
        println!("{v}");
    } else {
        println!("{text}");
    }
}

/// Each workload's median beside the peers' in `file` (JSON lines with `peer`, `workload` and
/// `median_ms`, as `tests/benches/peers/run.sh` prints them): how many times faster it ran here.
fn beside_peers(rows: &[Row], file: &Path, o: &Options) {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("workloads: --peers {}: {e}", file.display());
            std::process::exit(1);
        }
    };
    let mut peers = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("workloads: {}:{}: not a JSON line: {e}", file.display(), n + 1);
                std::process::exit(1);
            }
        };
        let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        match (
            field("peer"),
            field("workload"),
            v.get("median_ms").and_then(Value::as_f64),
        ) {
            (Some(peer), Some(workload), Some(median)) => peers.push((peer, workload, median)),
            _ => eprintln!(
                "workloads: {}:{}: skipped, no peer, workload and median_ms",
                file.display(),
                n + 1
            ),
        }
    }
    if !o.json {
        println!("\nbeside the peers ({}): their median / this median", file.display());
    }
    for r in rows.iter().filter(|r| r.correct) {
        for (peer, _, median) in peers.iter().filter(|(_, w, _)| *w == r.name) {
            let ratio = median / ms(r.median);
            report(
                o,
                "peers",
                json!({ "workload": r.name, "peer": peer, "peer_median_ms": median, "ratio": round(ratio, 1) }),
                format!("  {:<16} {:<32} {:>11.3} ms = {:>9.1}×", r.name, peer, median, ratio),
            );
        }
    }
}

/// The cost of recording history: the same single-execution median without it.
fn history_overhead(workloads: &[Workload], o: &Options) {
    if !o.json {
        println!("\nhistory recording: median with / without (Scenario::without_history), timed in alternation");
    }
    let budget = o.single_budget();
    for w in workloads {
        if w.execute(false).is_err() {
            continue;
        }
        let (with, without) = paired_medians(budget, || w.run(true), || w.run(false));
        let ratio = with.as_secs_f64() / without.as_secs_f64().max(1e-12);
        report(
            o,
            "history",
            json!({ "workload": w.name, "with_ms": round(ms(with), 4), "without_ms": round(ms(without), 4), "ratio": round(ratio, 2) }),
            format!(
                "  {:<16} {:>8.3} ms / {:>8.3} ms = {ratio:.2}×",
                w.name,
                ms(with),
                ms(without)
            ),
        );
    }
}

/// Virtual time costs no real time: each Wait/Retry workload against the same definition with
/// the shortest waits ASL allows (Wait `Seconds: 0`; Retry `IntervalSeconds: 1`,
/// `BackoffRate: 1`).
fn waits_vs_none(workloads: &[Workload], o: &Options) {
    if !o.json {
        println!("\nvirtual time: median as defined / with the shortest waits, timed in alternation");
    }
    for w in workloads {
        let mut definition = w.machine.definition().clone();
        let mut changed = false;
        if let Some(states) = definition.get_mut("States").and_then(Value::as_object_mut) {
            for state in states.values_mut() {
                if state.get("Type").and_then(Value::as_str) == Some("Wait") && state.get("Seconds").is_some() {
                    state["Seconds"] = json!(0);
                    changed = true;
                }
                if let Some(retry) = state.get_mut("Retry").and_then(Value::as_array_mut) {
                    for r in retry {
                        r["IntervalSeconds"] = json!(1);
                        r["BackoffRate"] = json!(1);
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            continue;
        }
        let name = format!("{}/short", w.name);
        let short = match w.with_definition(&name, definition) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        if let Err(e) = short.execute(true) {
            eprintln!("{name}: {e}");
            continue;
        }
        let budget = o.single_budget();
        let virtual_long = w.scenario(true).run().map(|r| r.elapsed()).unwrap_or_default();
        let virtual_short = short.scenario(true).run().map(|r| r.elapsed()).unwrap_or_default();
        let (long, brief) = paired_medians(budget, || w.run(true), || short.run(true));
        let ratio = long.as_secs_f64() / brief.as_secs_f64().max(1e-12);
        report(
            o,
            "virtual-time",
            json!({
                "workload": w.name,
                "median_ms": round(ms(long), 4),
                "virtual_s": virtual_long.as_secs(),
                "short_median_ms": round(ms(brief), 4),
                "short_virtual_s": virtual_short.as_secs(),
                "ratio": round(ratio, 2),
            }),
            format!(
                "  {:<16} {:>8.4} ms ({} s virtual) / {:>8.4} ms ({} s virtual) = {ratio:.2}×",
                w.name,
                ms(long),
                virtual_long.as_secs(),
                ms(brief),
                virtual_short.as_secs()
            ),
        );
    }
}

/// A table file of `cases` cases over a small order workflow, written into `dir`.
fn write_table(dir: &Path, cases: usize, yaml: bool) -> std::io::Result<PathBuf> {
    let definition = json!({
        "StartAt": "Validate",
        "States": {
            "Validate": {
                "Type": "Pass",
                "Parameters": { "id.$": "$.id", "amount.$": "$.amount" },
                "Next": "Route"
            },
            "Route": {
                "Type": "Choice",
                "Choices": [{ "Variable": "$.amount", "NumericGreaterThan": 1000, "Next": "Manual review" }],
                "Default": "Charge card"
            },
            "Charge card": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": { "FunctionName": "charge", "Payload.$": "$" },
                "ResultSelector": { "status.$": "$.Payload.status" },
                "ResultPath": "$.charge",
                "Retry": [{ "ErrorEquals": ["Card.Busy"], "IntervalSeconds": 2 }],
                "Next": "Approve"
            },
            "Approve": { "Type": "Pass", "Parameters": { "id.$": "$.id", "approved": true }, "End": true },
            "Manual review": { "Type": "Fail", "Error": "Order.TooLarge", "Cause": "needs a person" }
        }
    });
    std::fs::write(dir.join("flow.asl.json"), definition.to_string())?;
    let mut list = Vec::with_capacity(cases);
    for i in 0..cases {
        let case = match i % 3 {
            0 => json!({
                "name": format!("small order {i} is approved"),
                "input": { "id": i, "amount": 40 + i % 900 },
                "expect": {
                    "status": "SUCCEEDED",
                    "path": ["Validate", "Route", "Charge card", "Approve"],
                    "output": { "id": i, "approved": true },
                    "calls": { "Charge card": { "count": 1 } }
                }
            }),
            1 => json!({
                "name": format!("busy card {i} is retried"),
                "input": { "id": i, "amount": 500 },
                "mocks": { "Charge card": [
                    { "throw": { "error": "Card.Busy", "cause": "try later" } },
                    { "return": { "status": "ok" } }
                ] },
                "expect": { "status": "SUCCEEDED", "elapsed": 2, "calls": { "Charge card": { "count": 2 } } }
            }),
            _ => json!({
                "name": format!("large order {i} needs review"),
                "input": { "id": i, "amount": 5000 + i },
                "expect": { "status": "FAILED", "error": "Order.TooLarge", "not_visited": ["Charge card"] }
            }),
        };
        list.push(case);
    }
    let file = json!({
        "definition": "flow.asl.json",
        "mocks": { "Charge card": { "return": { "status": "ok" } } },
        "cases": list,
    });
    let path = dir.join(if yaml { "orders.sfn.yaml" } else { "orders.sfn.json" });
    // JSON is valid YAML; a YAML user file would be block style, which the bench writes out
    // line by line so the YAML parser's cost is the one a user pays.
    let text = if yaml { to_block_yaml(&file) } else { file.to_string() };
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Block-style YAML of a JSON value (strings quoted as JSON strings, which YAML accepts).
fn to_block_yaml(v: &Value) -> String {
    fn go(v: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, x) in m {
                    let key = Value::String(k.clone());
                    if matches!(x, Value::Object(o) if !o.is_empty()) || matches!(x, Value::Array(a) if !a.is_empty()) {
                        let _ = writeln!(out, "{pad}{key}:");
                        go(x, indent + 2, out);
                    } else {
                        let _ = writeln!(out, "{pad}{key}: {x}");
                    }
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for x in a {
                    if matches!(x, Value::Object(o) if !o.is_empty()) {
                        let mut inner = String::new();
                        go(x, indent + 2, &mut inner);
                        let _ = write!(out, "{pad}- {}", &inner[indent + 2..]);
                    } else {
                        let _ = writeln!(out, "{pad}- {x}");
                    }
                }
            }
            other => {
                let _ = writeln!(out, "{pad}{other}");
            }
        }
    }
    let mut out = String::new();
    go(v, 0, &mut out);
    out
}

/// Loads and runs every case of a generated table file, one thread.
fn table_file(o: &Options) {
    let cases = if o.quick { 300 } else { 10_000 };
    let dir = std::env::temp_dir().join(format!("sfn-bench-table-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("table: cannot create {}: {e}", dir.display());
        return;
    }
    if !o.json {
        println!("\ntable file: {cases} cases, load + run every case on one thread");
    }
    for yaml in [true, false] {
        let path = match write_table(&dir, cases, yaml) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("table: cannot write into {}: {e}", dir.display());
                break;
            }
        };
        let start = Instant::now();
        let file = match sfn_test::table::load_file(&path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("table: {e}");
                break;
            }
        };
        let loaded = start.elapsed();
        let failed = (0..file.len()).filter(|&i| file.run_case(i).is_err()).count();
        let total = start.elapsed();
        let format = if yaml { "yaml" } else { "json" };
        report(
            o,
            "table",
            json!({
                "format": format,
                "cases": cases,
                "failed": failed,
                "load_s": round(loaded.as_secs_f64(), 3),
                "total_s": round(total.as_secs_f64(), 3),
            }),
            format!(
                "  {format}: load {:.3} s, load + run {:.3} s, {failed} of {cases} failed",
                loaded.as_secs_f64(),
                total.as_secs_f64()
            ),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let o = Options::parse();
    let dir = sfn_test_suite::data_dir("SFN_BENCH_DIR", "../shared/bench/workloads");
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".asl.json"))
                    .map(str::to_string)
            })
            .collect(),
        Err(e) => {
            eprintln!(
                "workloads: cannot read {}: {e}; set SFN_BENCH_DIR to the workloads folder",
                dir.display()
            );
            std::process::exit(1);
        }
    };
    names.sort_by_key(|n| (ORDER.iter().position(|o| o == n).unwrap_or(ORDER.len()), n.clone()));
    let mut workloads = Vec::new();
    let mut rows = Vec::new();
    for name in names.iter().filter(|n| o.selects(n)) {
        match Workload::load(&dir, name) {
            Ok(w) => {
                rows.push(bench_workload(&w, &o));
                workloads.push(w);
            }
            Err(e) => rows.push(Row {
                name: name.clone(),
                correct: false,
                problem: e,
                states: 0,
                median: Duration::ZERO,
                exec_per_s: 0.0,
                peak_alloc: 0,
                peak_rss: 0.0,
            }),
        }
    }
    print_rows(&rows, &o);
    if o.profile.is_some() {
        return;
    }
    if let Some(file) = &o.peers {
        beside_peers(&rows, file, &o);
    }
    if o.filter.is_empty() || o.selects("history") {
        history_overhead(&workloads, &o);
    }
    if o.filter.is_empty() || o.selects("virtual-time") {
        waits_vs_none(&workloads, &o);
    }
    if o.filter.is_empty() || o.selects("table") {
        table_file(&o);
    }
    if rows.iter().any(|r| !r.correct) {
        std::process::exit(1);
    }
}
