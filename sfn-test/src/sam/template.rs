//! [`Template`]: a SAM / CloudFormation template read from disk (or a string), with the
//! parameter, pseudo parameter, import and macro values a test sets, and the state machines
//! it declares.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::document::{self, Format};
use super::error::SamError;
use super::globals;
use super::include;
use super::intrinsics::{Evaluator, scalar};
use super::state_machine::{self, CFN_TYPE, SAM_TYPE, StateMachineSpec};

/// The pseudo parameters a test can set with [`Template::pseudo`].
const SETTABLE_PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// Values a test gives in place of what a deployment would supply.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Overrides {
    pub(super) parameters: BTreeMap<String, String>,
    pub(super) pseudo: BTreeMap<String, String>,
    pub(super) imports: BTreeMap<String, String>,
    pub(super) transforms: BTreeMap<String, Value>,
}

/// A parameter the template declares under `Parameters`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parameter {
    /// Its name.
    pub name: String,
    /// Its `Type` (`String` when not given).
    pub parameter_type: String,
    /// Its `Default`, as text (a list's items joined with `,`).
    pub default: Option<String>,
    /// Its `AllowedValues`.
    pub allowed_values: Vec<String>,
    /// Whether a value must be given with [`Template::parameter`] before a state machine that
    /// uses it resolves: it has no `Default`, or its value lives in SSM Parameter Store.
    pub required: bool,
}

/// A loaded, not yet evaluated SAM / CloudFormation template.
///
/// Parameters, pseudo parameters, imports and macro outputs are set with the builder methods;
/// intrinsics are evaluated when state machines are asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    path: PathBuf,
    root: Map<String, Value>,
    overrides: Overrides,
}

impl Template {
    /// Reads and parses a template file (YAML or JSON, short tags allowed).
    pub fn load(path: impl AsRef<Path>) -> Result<Template, SamError> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|source| SamError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Template::parse(&text, path)
    }

    /// Parses template text; `path` names it in messages and is where relative `DefinitionUri`
    /// and `AWS::Include` locations are resolved from.
    pub fn parse(text: &str, path: impl Into<PathBuf>) -> Result<Template, SamError> {
        let path = path.into();
        let mut root = match document::parse(text, &path, Format::of(&path))? {
            Value::Object(map) => map,
            other => {
                let found = match other {
                    Value::Null => "empty",
                    Value::Array(_) => "a list",
                    _ => "a single value",
                };
                return Err(SamError::Invalid {
                    path,
                    pointer: String::new(),
                    message: format!("the template is {found}; a template is a mapping with a Resources section"),
                });
            }
        };
        include::expand_sections(&mut root, &path)?;
        match root.get("Resources") {
            None => return Err(SamError::NoResources { path }),
            Some(Value::Object(_)) => {}
            Some(_) => {
                return Err(SamError::Invalid {
                    path,
                    pointer: "/Resources".to_owned(),
                    message: "Resources must be a mapping of logical id to resource".to_owned(),
                });
            }
        }
        globals::apply(&mut root);
        Ok(Template {
            path,
            root,
            overrides: Overrides::default(),
        })
    }

    /// Sets a `Parameters` value (a `CommaDelimitedList` or `List<..>` as `"a,b"`).
    #[must_use]
    pub fn parameter(mut self, name: &str, value: impl Into<String>) -> Template {
        self.overrides.parameters.insert(name.to_owned(), value.into());
        self
    }

    /// Sets a pseudo parameter: `AWS::Region` (default `us-east-1`), `AWS::AccountId`
    /// (`123456789012`), `AWS::StackName` (`sfn-test-stack`), `AWS::Partition`, `AWS::URLSuffix`,
    /// `AWS::StackId`.
    #[must_use]
    pub fn pseudo(mut self, name: &str, value: impl Into<String>) -> Template {
        self.overrides.pseudo.insert(name.to_owned(), value.into());
        self
    }

    /// Sets the value `Fn::ImportValue` of an export returns (exports live in other stacks).
    #[must_use]
    pub fn import(mut self, export: &str, value: impl Into<String>) -> Template {
        self.overrides.imports.insert(export.to_owned(), value.into());
        self
    }

    /// Sets the output of a `Fn::Transform` macro other than `AWS::Include` (macros run in AWS).
    #[must_use]
    pub fn transform(mut self, macro_name: &str, output: Value) -> Template {
        self.overrides.transforms.insert(macro_name.to_owned(), output);
        self
    }

    /// The parameters the template declares, in template order.
    pub fn parameters(&self) -> Vec<Parameter> {
        let Some(Value::Object(declared)) = self.root.get("Parameters") else {
            return Vec::new();
        };
        declared
            .iter()
            .map(|(name, declaration)| {
                let parameter_type = declaration
                    .get("Type")
                    .and_then(Value::as_str)
                    .unwrap_or("String")
                    .to_owned();
                let default = declaration.get("Default").and_then(|d| match d {
                    Value::Array(items) => Some(items.iter().filter_map(scalar).collect::<Vec<_>>().join(",")),
                    other => scalar(other),
                });
                let allowed_values = match declaration.get("AllowedValues") {
                    Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
                    _ => Vec::new(),
                };
                let from_ssm = parameter_type.starts_with("AWS::SSM::Parameter::Value<");
                Parameter {
                    name: name.clone(),
                    required: (default.is_none() || from_ssm) && !self.overrides.parameters.contains_key(name),
                    parameter_type,
                    default,
                    allowed_values,
                }
            })
            .collect()
    }

    /// The template file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Logical ids of the state machines, in template order, without those whose `Condition`
    /// is false (a condition that cannot be evaluated keeps its state machine listed).
    pub fn state_machine_ids(&self) -> Vec<String> {
        let ev = self.evaluator();
        ev.resources()
            .iter()
            .filter(|r| is_state_machine(&r.resource_type) && ev.exists(r, 0).unwrap_or(true))
            .map(|r| r.id.clone())
            .collect()
    }

    /// Every state machine of the template, resolved.
    pub fn state_machines(&self) -> Result<Vec<StateMachineSpec>, SamError> {
        self.check_overrides()?;
        let ev = self.evaluator();
        let mut present = Vec::new();
        let mut excluded = Vec::new();
        for resource in ev.resources().iter().filter(|r| is_state_machine(&r.resource_type)) {
            if ev.exists(resource, 0)? {
                present.push(resource);
            } else {
                excluded.push(resource.id.clone());
            }
        }
        if present.is_empty() {
            return Err(SamError::NoStateMachine {
                path: self.path.clone(),
                excluded,
            });
        }
        let identifiers = ev.identifier_map();
        present
            .into_iter()
            .map(|r| state_machine::build(&ev, r, &identifiers))
            .collect()
    }

    /// One state machine, by logical id.
    pub fn state_machine(&self, logical_id: &str) -> Result<StateMachineSpec, SamError> {
        self.check_overrides()?;
        let ev = self.evaluator();
        let resource = match ev.resource(logical_id) {
            Some(r) if is_state_machine(&r.resource_type) => r,
            _ => {
                let available = self.state_machine_ids();
                if available.is_empty() {
                    return Err(SamError::NoStateMachine {
                        path: self.path.clone(),
                        excluded: Vec::new(),
                    });
                }
                return Err(SamError::UnknownStateMachine {
                    path: self.path.clone(),
                    id: logical_id.to_owned(),
                    available,
                });
            }
        };
        if !ev.exists(resource, 0)? {
            return Err(SamError::ExcludedByCondition {
                path: self.path.clone(),
                id: resource.id.clone(),
                condition: resource.condition.clone().unwrap_or_default(),
            });
        }
        state_machine::build(&ev, resource, &ev.identifier_map())
    }

    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator::new(&self.path, &self.root, &self.overrides)
    }

    /// Overrides that name nothing in the template, or break `AllowedValues`, are errors: a
    /// typo must not silently leave a default in place.
    fn check_overrides(&self) -> Result<(), SamError> {
        let declared = match self.root.get("Parameters") {
            Some(Value::Object(p)) => p.clone(),
            _ => Map::new(),
        };
        for (name, value) in &self.overrides.parameters {
            let Some(declaration) = declared.get(name) else {
                return Err(SamError::UnknownParameter {
                    path: self.path.clone(),
                    name: name.clone(),
                    declared: declared.keys().cloned().collect(),
                });
            };
            let Some(Value::Array(allowed)) = declaration.get("AllowedValues") else {
                continue;
            };
            let allowed: Vec<String> = allowed.iter().filter_map(scalar).collect();
            let parameter_type = declaration.get("Type").and_then(Value::as_str).unwrap_or("String");
            let values: Vec<&str> = if parameter_type == "CommaDelimitedList" || parameter_type.starts_with("List<") {
                value.split(',').map(str::trim).collect()
            } else {
                vec![value.as_str()]
            };
            if let Some(bad) = values.into_iter().find(|v| !allowed.iter().any(|a| a == v)) {
                return Err(SamError::ParameterNotAllowed {
                    path: self.path.clone(),
                    name: name.clone(),
                    value: bad.to_owned(),
                    allowed,
                });
            }
        }
        if let Some(name) = self
            .overrides
            .pseudo
            .keys()
            .find(|n| !SETTABLE_PSEUDO.contains(&n.as_str()))
        {
            return Err(SamError::UnknownPseudo {
                path: self.path.clone(),
                name: name.clone(),
                settable: SETTABLE_PSEUDO.iter().map(|s| (*s).to_owned()).collect(),
            });
        }
        Ok(())
    }
}

fn is_state_machine(resource_type: &str) -> bool {
    resource_type == SAM_TYPE || resource_type == CFN_TYPE
}
