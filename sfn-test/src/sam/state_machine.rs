//! One state machine resource turned into a [`StateMachineSpec`]: its definition (inline,
//! from a local file, or from a JSON string), with intrinsics and `DefinitionSubstitutions`
//! applied, and the properties a test needs (name, ARN, type, role, policies, events).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::document::{self, Format, escape};
use super::error::{self, SamError};
use super::files;
use super::intrinsics::{Evaluator, Resource, scalar};
use super::permissions::{self, Permissions};
use super::resources;
use super::substitution;

/// `AWS::Serverless::StateMachine`: SAM's state machine resource.
pub(super) const SAM_TYPE: &str = "AWS::Serverless::StateMachine";
/// `AWS::StepFunctions::StateMachine`: CloudFormation's (and CDK's) state machine resource.
pub(super) const CFN_TYPE: &str = "AWS::StepFunctions::StateMachine";

const S3_FIX_SAM: &str = "point DefinitionUri at the local definition file (e.g. statemachine/flow.asl.json, relative to the template) or write the definition inline with Definition";
const S3_FIX_CFN: &str =
    "use Definition (inline) or DefinitionString instead of DefinitionS3Location, or test the definition file directly";

/// A state machine of a template, resolved: everything the engine and the harness need.
#[derive(Clone, Debug, PartialEq)]
pub struct StateMachineSpec {
    /// The template file the state machine is declared in.
    pub template: PathBuf,
    /// The resource's logical id.
    pub logical_id: String,
    /// `AWS::Serverless::StateMachine` or `AWS::StepFunctions::StateMachine`.
    pub resource_type: String,
    /// `Name` / `StateMachineName`, else the logical id.
    pub name: String,
    /// A synthetic ARN built from the name, region and account.
    pub arn: String,
    /// `STANDARD` or `EXPRESS`.
    pub workflow_type: WorkflowType,
    /// The ASL definition, intrinsics and substitutions applied.
    pub definition: Value,
    /// The local file the definition came from (`DefinitionUri`).
    pub definition_file: Option<PathBuf>,
    /// That file's text with substitutions applied, to map JSON pointers to lines.
    pub definition_text: Option<String>,
    /// Every synthetic identifier (ARN, name, URL) of every resource of the template, and each
    /// logical id, mapped to the logical id: how a Task's `Resource` or `FunctionName` is
    /// traced back to the template.
    pub resources: BTreeMap<String, String>,
    /// The resolved `Role` (SAM) / `RoleArn` (CloudFormation) property.
    pub role: Option<Value>,
    /// The resolved SAM `Policies` entries: managed policy names/ARNs, policy templates, statements.
    pub policies: Vec<Value>,
    /// The resolved SAM `Events` entries (`Type` and `Properties`), by event name.
    pub events: BTreeMap<String, Value>,
    /// What the execution role allows, from `Role` / `RoleArn`, `Policies` and connectors.
    pub permissions: Permissions,
}

/// Standard or Express workflow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WorkflowType {
    /// `STANDARD` (the default).
    #[default]
    Standard,
    /// `EXPRESS`.
    Express,
}

/// A definition, substitutions applied, and where it came from.
struct Source {
    definition: Value,
    file: Option<PathBuf>,
    text: Option<String>,
}

pub(super) fn build(
    ev: &Evaluator<'_>,
    resource: &Resource<'_>,
    identifiers: &BTreeMap<String, String>,
) -> Result<StateMachineSpec, SamError> {
    let empty = Map::new();
    let properties = resource.properties.unwrap_or(&empty);
    let base = format!("/Resources/{}/Properties", escape(&resource.id));
    let sam = resource.resource_type == SAM_TYPE;
    let get = |name: &str| properties.get(name).map(|v| (v, format!("{base}/{name}")));
    let evaluated = |name: &str| -> Result<Option<Value>, SamError> {
        match get(name) {
            Some((v, pointer)) => ev.eval(v, &pointer, 0),
            None => Ok(None),
        }
    };

    let name = ev.resource_name(resource, 0)?;
    let arn = resources::reference(&resource.resource_type, &resource.id, &name, &ev.env);
    let type_property = if sam { "Type" } else { "StateMachineType" };
    let workflow_type = match evaluated(type_property)? {
        None => WorkflowType::Standard,
        Some(v) => match scalar(&v).map(|s| s.to_ascii_uppercase()).as_deref() {
            Some("STANDARD") => WorkflowType::Standard,
            Some("EXPRESS") => WorkflowType::Express,
            _ => {
                return Err(ev.intrinsic(
                    &format!("{base}/{type_property}"),
                    format!("{type_property} must be STANDARD or EXPRESS, found {v}"),
                ));
            }
        },
    };

    let mut substitutions = BTreeMap::new();
    match evaluated("DefinitionSubstitutions")? {
        None => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let pointer = format!("{base}/DefinitionSubstitutions/{}", escape(&key));
                let text = scalar(&value).ok_or_else(|| {
                    ev.intrinsic(
                        &pointer,
                        format!("a substitution must be a string, number or boolean, found {value}"),
                    )
                })?;
                substitutions.insert(key, text);
            }
        }
        Some(_) => {
            return Err(ev.intrinsic(
                &format!("{base}/DefinitionSubstitutions"),
                "DefinitionSubstitutions must be a mapping of placeholder name to value",
            ));
        }
    }
    let source = if sam {
        sam_definition(ev, resource, properties, &base, &substitutions)?
    } else {
        cfn_definition(ev, resource, properties, &base, &substitutions)?
    };

    let definition = source.definition;
    if !definition.is_object() {
        let pointer = source
            .file
            .as_ref()
            .map_or_else(|| base.clone(), |f| format!("{base} ({})", f.display()));
        return Err(ev.intrinsic(
            &pointer,
            format!(
                "the definition of {} is not a JSON object; an ASL definition is an object with StartAt and States",
                resource.id
            ),
        ));
    }

    let unresolved = substitution::unresolved(&definition);
    if !unresolved.is_empty() {
        let pointer = if properties.contains_key("DefinitionSubstitutions") {
            format!("{base}/DefinitionSubstitutions")
        } else {
            base.clone()
        };
        let given: Vec<String> = substitutions.into_keys().collect();
        return Err(SamError::UnresolvedPlaceholder {
            path: ev.path.to_path_buf(),
            pointer,
            message: error::unresolved_message(&resource.id, source.file.as_deref(), &unresolved, &given),
        });
    }

    let role = evaluated(if sam { "Role" } else { "RoleArn" })?;
    let policies = if sam {
        match evaluated("Policies")? {
            Some(Value::Array(items)) => items,
            Some(other) => vec![other],
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let mut events = BTreeMap::new();
    if sam {
        match evaluated("Events")? {
            Some(Value::Object(map)) => events.extend(map),
            None => {}
            Some(_) => {
                return Err(ev.intrinsic(
                    &format!("{base}/Events"),
                    "Events must be a mapping of event name to {Type, Properties}",
                ));
            }
        }
    }

    let permissions = permissions::build(ev, resource, role.as_ref(), &policies, identifiers);
    Ok(StateMachineSpec {
        template: ev.path.to_path_buf(),
        logical_id: resource.id.clone(),
        resource_type: resource.resource_type.clone(),
        name,
        arn,
        workflow_type,
        definition,
        definition_file: source.file,
        definition_text: source.text,
        resources: identifiers.clone(),
        role,
        policies,
        events,
        permissions,
    })
}

fn sam_definition(
    ev: &Evaluator<'_>,
    resource: &Resource<'_>,
    properties: &Map<String, Value>,
    base: &str,
    substitutions: &BTreeMap<String, String>,
) -> Result<Source, SamError> {
    match (properties.get("Definition"), properties.get("DefinitionUri")) {
        (Some(_), Some(_)) => Err(ev.intrinsic(
            base,
            format!("{} sets both Definition and DefinitionUri; keep one", resource.id),
        )),
        (Some(inline), None) => inline_definition(ev, inline, base, substitutions),
        (None, Some(uri)) => {
            let pointer = format!("{base}/DefinitionUri");
            match ev.eval(uri, &pointer, 0)? {
                Some(Value::String(location)) => {
                    if location.to_ascii_lowercase().starts_with("s3://") {
                        return Err(on_s3(ev, &pointer, location, S3_FIX_SAM));
                    }
                    local_file(ev, &location, &pointer, substitutions)
                }
                Some(Value::Object(object)) => Err(on_s3(ev, &pointer, s3_location(&object), S3_FIX_SAM)),
                other => Err(ev.intrinsic(
                    &pointer,
                    format!(
                        "DefinitionUri must be a path to a local file, found {}",
                        other.unwrap_or(Value::Null)
                    ),
                )),
            }
        }
        (None, None) => Err(SamError::NoDefinition {
            path: ev.path.to_path_buf(),
            pointer: base.to_owned(),
            id: resource.id.clone(),
            expected: "Definition (inline) or DefinitionUri (a local .asl.json / .asl.yaml file, relative to the template)",
        }),
    }
}

fn cfn_definition(
    ev: &Evaluator<'_>,
    resource: &Resource<'_>,
    properties: &Map<String, Value>,
    base: &str,
    substitutions: &BTreeMap<String, String>,
) -> Result<Source, SamError> {
    if let Some(inline) = properties.get("Definition") {
        return inline_definition(ev, inline, base, substitutions);
    }
    if let Some(string) = properties.get("DefinitionString") {
        let pointer = format!("{base}/DefinitionString");
        let text = substitution::apply_to_text(&ev.string(string, &pointer, 0)?, substitutions);
        let definition = serde_json::from_str::<Value>(&text).map_err(|e| {
            let message = e.to_string();
            let message = message
                .rfind(" at line ")
                .map_or(message.as_str(), |cut| &message[..cut])
                .to_owned();
            ev.intrinsic(
                &pointer,
                format!(
                    "DefinitionString is not valid JSON: line {} column {} of the string: {message}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        return Ok(Source {
            definition,
            file: None,
            text: None,
        });
    }
    if let Some(location) = properties.get("DefinitionS3Location") {
        let pointer = format!("{base}/DefinitionS3Location");
        let text = match location {
            Value::Object(object) => s3_location(object),
            other => other.to_string(),
        };
        return Err(on_s3(ev, &pointer, text, S3_FIX_CFN));
    }
    Err(SamError::NoDefinition {
        path: ev.path.to_path_buf(),
        pointer: base.to_owned(),
        id: resource.id.clone(),
        expected: "Definition (inline) or DefinitionString (a JSON string)",
    })
}

/// An inline definition: the placeholders of its strings are replaced, which is what replacing
/// them in its JSON text does for values without quotes or backslashes.
fn inline_definition(
    ev: &Evaluator<'_>,
    inline: &Value,
    base: &str,
    substitutions: &BTreeMap<String, String>,
) -> Result<Source, SamError> {
    let mut definition = ev
        .eval(inline, &format!("{base}/Definition"), 0)?
        .unwrap_or(Value::Null);
    substitution::apply_to_value(&mut definition, substitutions);
    Ok(Source {
        definition,
        file: None,
        text: None,
    })
}

fn local_file(
    ev: &Evaluator<'_>,
    location: &str,
    pointer: &str,
    substitutions: &BTreeMap<String, String>,
) -> Result<Source, SamError> {
    let (file, raw) = files::read(ev.path, location, pointer)?;
    let text = substitution::apply_to_text(&raw, substitutions);
    let definition = match document::parse(&text, &file, Format::of(&file)) {
        Ok(definition) => definition,
        // The file itself is fine: a substituted value broke it (as it would in CloudFormation).
        Err(SamError::Syntax {
            path,
            format,
            line,
            column,
            message,
        }) if text != raw && document::parse(&raw, &file, Format::of(&file)).is_ok() => {
            return Err(SamError::Syntax {
                path,
                format,
                line,
                column,
                message: format!(
                    "{message} (after DefinitionSubstitutions replaced its placeholders: a value with quotes, backslashes or line breaks breaks the file, as it does in CloudFormation; quote the placeholder or change the value)"
                ),
            });
        }
        Err(other) => return Err(other),
    };
    Ok(Source {
        definition,
        file: Some(file),
        text: Some(text),
    })
}

fn on_s3(ev: &Evaluator<'_>, pointer: &str, location: String, fix: &'static str) -> SamError {
    SamError::OnS3 {
        path: ev.path.to_path_buf(),
        pointer: pointer.to_owned(),
        location,
        fix,
    }
}

/// `s3://bucket/key` for an S3 location object, with placeholders where a part is not a string.
fn s3_location(object: &Map<String, Value>) -> String {
    let part = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or(key).to_owned();
    format!("s3://{}/{}", part("Bucket"), part("Key"))
}
