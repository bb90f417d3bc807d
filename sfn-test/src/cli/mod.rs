//! The `sfn-test` command line (feature `cli`): validate templates and definitions, run a state
//! machine once with mocks given on the command line, and run table-driven test files outside
//! `cargo test`. It only calls the public API; it adds no behaviour of its own.

mod args;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::sam::Template;
use crate::{Mock, StateMachine, Status};
use args::{Args, Command, Format, RunArgs};

/// What `sfn-test --help` prints.
pub const USAGE: &str = "\
sfn-test: test AWS Step Functions state machines locally

usage:
  sfn-test validate <file>... [--state-machine <LogicalId>]
      load each SAM / CloudFormation template or ASL file and validate its state machines,
      and check each Task's call against the template's role (Policies, Role, connectors)
  sfn-test run <file> [--state-machine <LogicalId>] [--input <json> | --input-file <path>]
               [--mock <key>=<json>]... [--default-mock <json>] [--history]
      run a state machine once; Task states answer from the mocks (by state name, logical id,
      function name or ARN); prints the status, the states entered, the output
  sfn-test test [<dir>] [-- <libtest options and filters>]
      run every *.sfn.yaml / *.sfn.json table file under <dir> (default: tests)
  sfn-test coverage [<dir>] [--format text|json|lcov] [--fail-under <percent>]
      merge the coverage records that tests wrote with SFN_TEST_COVERAGE=1 (default folder:
      target/sfn-test/coverage) and report the states, transitions and Choice rules visited
  sfn-test --help | --version

exit status: 0 when everything validated / the execution succeeded / every case passed /
coverage is at least --fail-under, 1 otherwise, 2 for a command line that cannot be understood";

/// Runs the command line and returns the process exit status.
pub fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = run(&args, &mut std::io::stdout().lock(), &mut std::io::stderr().lock());
    std::process::ExitCode::from(code)
}

/// Runs the command line given as `args` (without the program name), writing to `out` and
/// `err`; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let parsed = match Args::parse(args) {
        Ok(a) => a,
        Err(message) => {
            let _ = writeln!(err, "sfn-test: {message}\n\n{USAGE}");
            return 2;
        }
    };
    let result = match parsed.command {
        Command::Help => writeln!(out, "{USAGE}").map(|()| 0),
        Command::Version => writeln!(out, "sfn-test {}", env!("CARGO_PKG_VERSION")).map(|()| 0),
        Command::Validate { files, state_machine } => validate(&files, state_machine.as_deref(), out),
        Command::Run(run_args) => execute(&run_args, out),
        Command::Test { dir, libtest } => return test(&dir, &libtest),
        Command::Coverage {
            dir,
            format,
            fail_under,
        } => coverage(&dir, format, fail_under, out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "sfn-test: cannot write the output: {e}");
            1
        }
    }
}

/// Whether a file is a template (it has `Resources`) rather than a bare definition.
fn is_template(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if [".asl.json", ".asl.yaml", ".asl.yml"].iter().any(|s| name.ends_with(s)) {
        return false;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .any(|l| l.trim_start_matches(['{', ' ', '"']).starts_with("Resources")),
        // Let the loader report the unreadable file.
        Err(_) => true,
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Loads the state machines a file holds: every one of a template (or the one asked for), or
/// the one of an ASL file.
fn load(path: &Path, state_machine: Option<&str>) -> Vec<(String, crate::Result<StateMachine>)> {
    let path = absolute(path);
    let shown = path.display().to_string();
    if !is_template(&path) {
        return vec![(shown, StateMachine::from_asl_file(&path))];
    }
    let template = match Template::load(&path) {
        Ok(t) => t,
        Err(e) => return vec![(shown, Err(e.into()))],
    };
    let ids = match state_machine {
        Some(id) => vec![id.to_string()],
        None => template.state_machine_ids(),
    };
    if ids.is_empty() {
        let e = crate::Error::Scenario(format!("{shown}: the template declares no state machine"));
        return vec![(shown, Err(e))];
    }
    ids.into_iter()
        .map(|id| {
            let loaded = StateMachine::from_loaded_template(&template, &id);
            (format!("{shown}::{id}"), loaded)
        })
        .collect()
}

fn validate(files: &[PathBuf], state_machine: Option<&str>, out: &mut dyn Write) -> std::io::Result<u8> {
    let (mut total, mut invalid, mut denied) = (0usize, 0usize, 0usize);
    for file in files {
        for (label, loaded) in load(file, state_machine) {
            total += 1;
            match loaded {
                Ok(sm) => {
                    // A call the role does not allow fails only once deployed: report it here.
                    let report = sm.permission_report();
                    let word = if report.is_clean() { "ok     " } else { "denied " };
                    denied += usize::from(!report.is_clean());
                    writeln!(out, "{word} {label} ({} states)", sm.state_names().len())?;
                    if !report.denied.is_empty() || !report.unchecked.is_empty() {
                        writeln!(out, "{}", indent(report.to_string().trim_end()))?;
                    }
                }
                Err(e) => {
                    invalid += 1;
                    writeln!(out, "invalid {label}\n{}", indent(&e.to_string()))?;
                }
            }
        }
    }
    writeln!(
        out,
        "validate: {} valid, {invalid} invalid, {denied} with Task calls the role does not allow",
        total - invalid - denied
    )?;
    Ok(u8::from(invalid + denied > 0))
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

fn execute(args: &RunArgs, out: &mut dyn Write) -> std::io::Result<u8> {
    let mut loaded = load(&args.file, args.state_machine.as_deref());
    if loaded.len() > 1 {
        let ids: Vec<&str> = loaded.iter().filter_map(|(l, _)| l.rsplit("::").next()).collect();
        writeln!(
            out,
            "the template has several state machines; pick one with --state-machine: {}",
            ids.join(", ")
        )?;
        return Ok(2);
    }
    let Some((_, loaded)) = loaded.pop() else {
        return Ok(1);
    };
    // Loading errors already name the file and the state machine.
    let sm = match loaded {
        Ok(sm) => sm,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(1);
        }
    };
    let mut scenario = sm.scenario().input(args.input.clone());
    for (key, value) in &args.mocks {
        scenario = scenario.mock(key.clone(), Mock::ret(value.clone()));
    }
    if let Some(value) = &args.default_mock {
        scenario = scenario.default_mock(Mock::ret(value.clone()));
    }
    let run = match scenario.run() {
        Ok(run) => run,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(1);
        }
    };
    writeln!(out, "status:  {}", run.status().as_str())?;
    if let Status::Failed { error, cause } | Status::TimedOut { error, cause } = run.status() {
        writeln!(out, "error:   {error}")?;
        if let Some(cause) = cause {
            writeln!(out, "cause:   {cause}")?;
        }
    }
    writeln!(out, "path:    {}", run.path().join(" → "))?;
    writeln!(out, "elapsed: {:?} (virtual)", run.elapsed())?;
    if let Some(output) = run.output() {
        writeln!(out, "output:  {}", pretty(output))?;
    }
    if args.history {
        writeln!(out, "history: {}", pretty(&run.history_json()))?;
    }
    Ok(u8::from(!matches!(run.status(), Status::Succeeded)))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn test(dir: &Path, libtest: &[String]) -> u8 {
    let arguments =
        libtest_mimic::Arguments::from_iter(std::iter::once("sfn-test".to_string()).chain(libtest.iter().cloned()));
    let trials = crate::table::trials(absolute(dir));
    let conclusion = libtest_mimic::run(&arguments, trials);
    u8::from(conclusion.has_failed())
}

fn coverage(dir: &Path, format: Format, fail_under: Option<f64>, out: &mut dyn Write) -> std::io::Result<u8> {
    let records = match crate::coverage::load(absolute(dir)) {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "{e}\nrun the tests with SFN_TEST_COVERAGE=1 first")?;
            return Ok(1);
        }
    };
    match format {
        Format::Text => {
            for c in &records {
                write!(out, "{}", c.text())?;
            }
        }
        Format::Json => {
            let all: Vec<Value> = records.iter().map(crate::coverage::Coverage::json).collect();
            writeln!(out, "{}", pretty(&Value::Array(all)))?;
        }
        Format::Lcov => {
            for c in &records {
                if let Some(record) = c.lcov() {
                    write!(out, "{record}")?;
                }
            }
        }
    }
    let (covered, total) = records
        .iter()
        .map(|c| c.state_totals())
        .fold((0, 0), |(a, b), t| (a + t.covered, b + t.total));
    let percent = if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    };
    let below = fail_under.is_some_and(|threshold| percent < threshold);
    if format == Format::Text {
        writeln!(
            out,
            "coverage: states {covered}/{total} ({percent:.1}%) over {} state machines",
            records.len()
        )?;
        if let Some(threshold) = fail_under.filter(|_| below) {
            writeln!(out, "coverage: below --fail-under {threshold}")?;
        }
    }
    Ok(u8::from(below))
}
