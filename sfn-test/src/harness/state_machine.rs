//! A loaded, validated state machine, ready to run scenarios against.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::scenario::Scenario;
use crate::asl::{self, Definition};
use crate::error::{Error, Result, Source};
use crate::sam::{StateMachineSpec, Template, WorkflowType};

/// A state machine definition, parsed and validated once, from which scenarios run.
#[derive(Debug)]
pub struct StateMachine {
    pub(crate) definition: Definition,
    pub(crate) json: Value,
    pub(crate) name: std::sync::Arc<str>,
    pub(crate) source: Source,
    pub(crate) resources: BTreeMap<String, String>,
    pub(crate) spec: Option<StateMachineSpec>,
    /// Runs as an Express workflow (`Type: EXPRESS`, or [`StateMachine::express`]).
    pub(crate) express: bool,
    /// The definition's Task states, parsed on the first execution.
    pub(crate) tasks: crate::engine::TaskCache,
}

/// Resolves a path the way tests expect: relative paths are relative to the package being
/// tested (`CARGO_MANIFEST_DIR`, which cargo sets when it runs tests), else to the current
/// directory.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => Path::new(&dir).join(path),
        None => path.to_path_buf(),
    }
}

impl StateMachine {
    /// Loads the state machine with logical id `state_machine` from a SAM / CloudFormation
    /// template. A relative path is relative to the package's `Cargo.toml` folder.
    pub fn from_template(template: impl AsRef<Path>, state_machine: &str) -> Result<StateMachine> {
        let template = Template::load(resolve(template.as_ref()))?;
        StateMachine::from_loaded_template(&template, state_machine)
    }

    /// Like [`from_template`](StateMachine::from_template) for a template already loaded (with
    /// parameter overrides, say).
    pub fn from_loaded_template(template: &Template, state_machine: &str) -> Result<StateMachine> {
        let spec = template.state_machine(state_machine)?;
        let source = match &spec.definition_file {
            Some(file) => Source(file.display().to_string()),
            None => Source(format!("{} (resource {})", template.path().display(), spec.logical_id)),
        };
        let definition = asl::compile(&spec.definition, &source, spec.definition_text.as_deref())?;
        Ok(StateMachine {
            definition,
            json: spec.definition.clone(),
            name: spec.name.as_str().into(),
            source,
            resources: spec.resources.clone(),
            express: spec.workflow_type == WorkflowType::Express,
            spec: Some(spec),
            tasks: crate::engine::TaskCache::default(),
        })
    }

    /// A state machine from a definition given as JSON.
    pub fn from_definition(definition: Value) -> Result<StateMachine> {
        let source = Source("inline definition".into());
        let compiled = asl::compile(&definition, &source, None)?;
        Ok(StateMachine {
            definition: compiled,
            json: definition,
            name: "StateMachine".into(),
            source,
            resources: BTreeMap::new(),
            spec: None,
            express: false,
            tasks: crate::engine::TaskCache::default(),
        })
    }

    /// A state machine from an ASL file (`.asl.json`, `.json`, `.asl.yaml`, `.yaml`). A relative
    /// path is relative to the package's `Cargo.toml` folder.
    pub fn from_asl_file(path: impl AsRef<Path>) -> Result<StateMachine> {
        StateMachine::from_asl_file_with(path, &BTreeMap::new())
    }

    /// Like [`from_asl_file`](StateMachine::from_asl_file), replacing `${Key}` placeholders
    /// with `substitutions` first (as `DefinitionSubstitutions` does).
    pub fn from_asl_file_with(
        path: impl AsRef<Path>,
        substitutions: &BTreeMap<String, String>,
    ) -> Result<StateMachine> {
        let path = resolve(path.as_ref());
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let text = substitute(&text, substitutions);
        let source = Source(path.display().to_string());
        let json = asl::parse_text(&text, &source)?;
        let definition = asl::compile(&json, &source, Some(&text))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split('.').next().unwrap_or(n).to_string())
            .unwrap_or_else(|| "StateMachine".into());
        Ok(StateMachine {
            definition,
            json,
            name: name.into(),
            source,
            resources: BTreeMap::new(),
            spec: None,
            express: false,
            tasks: crate::engine::TaskCache::default(),
        })
    }

    /// Runs it as an Express workflow, as a template's `Type: EXPRESS` does: executions get
    /// express ARNs and the context object has no `RedriveCount` (conformance
    /// `express.test_express_sync.TestExpressSync.test_query_runtime_memory`).
    #[must_use]
    pub fn express(mut self) -> Self {
        self.express = true;
        self
    }

    /// Sets the state machine's name (used in ARNs and the context object).
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into().into();
        self
    }

    /// A new scenario: input, mocks and settings for one execution.
    pub fn scenario(&self) -> Scenario<'_> {
        Scenario::new(self)
    }

    /// A scenario whose input is what the template's SAM event `event` delivers: a
    /// `Schedule`'s scheduled-event envelope or `Input`, a `ScheduleV2`'s `Input` (else `{}`),
    /// an `EventBridgeRule`'s constant `Input`, an `Api` request with an empty body (`{}`).
    /// An event that needs the event it reacts to is started with
    /// [`trigger_event`](StateMachine::trigger_event).
    pub fn trigger(&self, event: &str) -> Result<Scenario<'_>> {
        self.triggered(event, None)
    }

    /// A scenario whose input is what the SAM event `event` delivers when `delivered` happens:
    /// for `EventBridgeRule` / `CloudWatchEvent` the EventBridge event (`source`,
    /// `detail-type`, `detail`; the other envelope fields are filled in), which must match the
    /// rule's `Pattern` and goes through its `Input`, `InputPath` or `InputTransformer`; for
    /// `Api` the request body.
    pub fn trigger_event(&self, event: &str, delivered: impl Into<Value>) -> Result<Scenario<'_>> {
        self.triggered(event, Some(delivered.into()))
    }

    fn triggered(&self, event: &str, delivered: Option<Value>) -> Result<Scenario<'_>> {
        let Some(spec) = &self.spec else {
            return Err(Error::Scenario(format!(
                "state machine '{}' has no SAM Events to trigger {event:?}: it was not loaded from a template (use StateMachine::from_template)",
                self.name
            )));
        };
        let input = spec.event_input(event, delivered.as_ref())?;
        let mut scenario = self.scenario().input(input);
        scenario.trigger = Some(event.to_string());
        Ok(scenario)
    }

    /// The state machine's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The definition as JSON, after substitutions.
    pub fn definition(&self) -> &Value {
        &self.json
    }

    /// Where the definition came from.
    pub fn source(&self) -> &str {
        &self.source.0
    }

    /// The template's description of this state machine, when it came from a template.
    pub fn spec(&self) -> Option<&StateMachineSpec> {
        self.spec.as_ref()
    }

    /// Every state's name, nested states included, in definition order.
    pub fn state_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.definition.walk(&mut |s| names.push(&*s.name));
        names
    }

    /// Every Task state's `(name, Resource)`, nested states included.
    pub fn tasks(&self) -> Vec<(&str, &str)> {
        let mut tasks = Vec::new();
        self.definition.walk(&mut |s| {
            if let asl::StateKind::Task(t) = &s.kind {
                tasks.push((&*s.name, t.resource.as_str()));
            }
        });
        tasks
    }
}

fn substitute(text: &str, substitutions: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (key, value) in substitutions {
        out = out.replace(&format!("${{{key}}}"), value);
    }
    out
}
