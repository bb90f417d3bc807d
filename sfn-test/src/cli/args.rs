//! The command line, parsed by hand: a handful of flags do not warrant an argument-parser
//! dependency in every user's build.

use std::path::PathBuf;

use serde_json::Value;

/// A parsed command line.
#[derive(Debug, PartialEq)]
pub(crate) struct Args {
    pub(crate) command: Command,
}

/// What to do.
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    Help,
    Version,
    Validate {
        files: Vec<PathBuf>,
        state_machine: Option<String>,
    },
    Run(RunArgs),
    Test {
        dir: PathBuf,
        libtest: Vec<String>,
    },
    Coverage {
        dir: PathBuf,
        format: Format,
        fail_under: Option<f64>,
    },
}

/// How `sfn-test coverage` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
    Lcov,
}

/// `sfn-test run ...`.
#[derive(Debug, PartialEq)]
pub(crate) struct RunArgs {
    pub(crate) file: PathBuf,
    pub(crate) state_machine: Option<String>,
    pub(crate) input: Value,
    pub(crate) mocks: Vec<(String, Value)>,
    pub(crate) default_mock: Option<Value>,
    pub(crate) history: bool,
}

fn json(flag: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{flag} takes JSON, and {text:?} is not: {e}"))
}

impl Args {
    /// Parses the arguments after the program name.
    pub(crate) fn parse(args: &[String]) -> Result<Args, String> {
        let mut it = args.iter();
        let command = match it.next().map(String::as_str) {
            None | Some("-h" | "--help" | "help") => Command::Help,
            Some("-V" | "--version") => Command::Version,
            Some("validate") => {
                let mut files = Vec::new();
                let mut state_machine = None;
                while let Some(a) = it.next() {
                    match a.as_str() {
                        "--state-machine" => state_machine = Some(value(&mut it, a)?.to_string()),
                        flag if flag.starts_with('-') => return Err(format!("validate: unknown option {flag}")),
                        file => files.push(PathBuf::from(file)),
                    }
                }
                if files.is_empty() {
                    return Err("validate: name at least one template or ASL file".into());
                }
                Command::Validate { files, state_machine }
            }
            Some("run") => {
                let mut run = RunArgs {
                    file: PathBuf::new(),
                    state_machine: None,
                    input: Value::Object(serde_json::Map::new()),
                    mocks: Vec::new(),
                    default_mock: None,
                    history: false,
                };
                let mut file = None;
                while let Some(a) = it.next() {
                    match a.as_str() {
                        "--state-machine" => run.state_machine = Some(value(&mut it, a)?.to_string()),
                        "--input" => run.input = json(a, value(&mut it, a)?)?,
                        "--input-file" => {
                            let path = value(&mut it, a)?;
                            let text = std::fs::read_to_string(path)
                                .map_err(|e| format!("--input-file: cannot read {path}: {e}"))?;
                            run.input = json(a, &text)?;
                        }
                        "--mock" => {
                            let spec = value(&mut it, a)?;
                            let Some((key, v)) = spec.split_once('=') else {
                                return Err(format!(
                                    "--mock takes <key>=<json>, e.g. --mock 'Charge card={{\"ok\":true}}', not {spec:?}"
                                ));
                            };
                            run.mocks.push((key.to_string(), json(a, v)?));
                        }
                        "--default-mock" => run.default_mock = Some(json(a, value(&mut it, a)?)?),
                        "--history" => run.history = true,
                        flag if flag.starts_with('-') => return Err(format!("run: unknown option {flag}")),
                        f if file.is_none() => file = Some(PathBuf::from(f)),
                        extra => return Err(format!("run: one file only; {extra:?} is one too many")),
                    }
                }
                run.file = file.ok_or("run: name the template or ASL file to run")?;
                Command::Run(run)
            }
            Some("test") => {
                let mut dir = PathBuf::from("tests");
                let mut libtest = Vec::new();
                let mut rest = false;
                for a in it.by_ref() {
                    if rest {
                        libtest.push(a.clone());
                    } else if a == "--" {
                        rest = true;
                    } else if a.starts_with('-') {
                        return Err(format!("test: unknown option {a}; pass libtest options after --"));
                    } else {
                        dir = PathBuf::from(a);
                    }
                }
                Command::Test { dir, libtest }
            }
            Some("coverage") => {
                let target =
                    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
                let mut dir = target.join("sfn-test").join("coverage");
                let mut format = Format::Text;
                let mut fail_under = None;
                while let Some(a) = it.next() {
                    match a.as_str() {
                        "--format" => {
                            format = match value(&mut it, a)? {
                                "text" => Format::Text,
                                "json" => Format::Json,
                                "lcov" => Format::Lcov,
                                other => return Err(format!("--format is text, json or lcov, not {other:?}")),
                            }
                        }
                        "--fail-under" => {
                            let v = value(&mut it, a)?;
                            let p: f64 = v
                                .parse()
                                .map_err(|_| format!("--fail-under takes a percentage such as 90, not {v:?}"))?;
                            fail_under = Some(p);
                        }
                        flag if flag.starts_with('-') => return Err(format!("coverage: unknown option {flag}")),
                        d => dir = PathBuf::from(d),
                    }
                }
                Command::Coverage {
                    dir,
                    format,
                    fail_under,
                }
            }
            Some(other) => {
                return Err(format!(
                    "unknown command {other:?}; the commands are validate, run, test and coverage"
                ));
            }
        };
        Ok(Args { command })
    }
}

fn value<'a>(it: &mut std::slice::Iter<'a, String>, flag: &str) -> Result<&'a str, String> {
    it.next()
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Args::parse(&args).map(|a| a.command)
    }

    #[test]
    fn run_with_mocks_and_input() {
        let Command::Run(run) = parse(&[
            "run",
            "t.yaml",
            "--input",
            r#"{"a":1}"#,
            "--mock",
            "Charge card={\"ok\":true}",
        ])
        .unwrap() else {
            panic!("not a run command");
        };
        assert_eq!(run.input, json!({ "a": 1 }));
        assert_eq!(run.mocks, vec![("Charge card".to_string(), json!({ "ok": true }))]);
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        assert!(parse(&["run"]).unwrap_err().contains("name the template"));
        assert!(
            parse(&["run", "t.yaml", "--mock", "x"])
                .unwrap_err()
                .contains("<key>=<json>")
        );
        assert!(
            parse(&["run", "t.yaml", "--input", "{"])
                .unwrap_err()
                .contains("takes JSON")
        );
        assert!(parse(&["frobnicate"]).unwrap_err().contains("unknown command"));
        assert!(parse(&["validate"]).unwrap_err().contains("at least one"));
    }

    #[test]
    fn test_passes_libtest_options_through() {
        assert_eq!(
            parse(&["test", "specs", "--", "--list"]).unwrap(),
            Command::Test {
                dir: PathBuf::from("specs"),
                libtest: vec!["--list".into()]
            }
        );
    }
}
