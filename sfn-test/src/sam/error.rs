//! The one error type of the `sam` phase: a template that cannot be read, parsed or resolved.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Why a template (or a file it points at) could not be turned into state machine specs.
///
/// Every message names the file, where known the line or the JSON pointer of the property
/// (`/Resources/OrderWorkflow/Properties/DefinitionUri`), and what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SamError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid YAML / JSON.
    #[error("{}{}: not valid {format}: {message}", path.display(), at_line(*line, *column))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// 1-based line, when the parser knows it.
        line: Option<usize>,
        /// 1-based column, when the parser knows it.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// The template (or a part of it) does not have the shape CloudFormation requires.
    #[error("{}: {}: {message}", path.display(), root(pointer))]
    Invalid {
        /// The template.
        path: PathBuf,
        /// Where, as a JSON pointer into the template.
        pointer: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The template has no `Resources` section.
    #[error(
        "{}: no Resources section: a SAM or CloudFormation template declares its state machines under Resources",
        path.display()
    )]
    NoResources {
        /// The template.
        path: PathBuf,
    },
    /// The template declares no state machine (or every one is excluded by its `Condition`).
    #[error(
        "{}: no state machine in the template: add a resource of type AWS::Serverless::StateMachine or AWS::StepFunctions::StateMachine{}",
        path.display(),
        if excluded.is_empty() { String::new() } else { format!(" (excluded by a false Condition: {})", excluded.join(", ")) }
    )]
    NoStateMachine {
        /// The template.
        path: PathBuf,
        /// State machines that exist but whose `Condition` is false.
        excluded: Vec<String>,
    },
    /// `Template::state_machine` was asked for a logical id the template does not declare.
    #[error(
        "{}: no state machine with logical id {id}; the template has: {}",
        path.display(),
        list(available)
    )]
    UnknownStateMachine {
        /// The template.
        path: PathBuf,
        /// The id asked for.
        id: String,
        /// The state machines there are.
        available: Vec<String>,
    },
    /// The resource exists but its `Condition` is false with the parameters given.
    #[error(
        "{}: /Resources/{id}/Condition: resource {id} is excluded because its Condition {condition} is false; set the parameters it depends on with `.parameter(..)` to include it",
        path.display()
    )]
    ExcludedByCondition {
        /// The template.
        path: PathBuf,
        /// The resource's logical id.
        id: String,
        /// The condition's name.
        condition: String,
    },
    /// A parameter is used, has no `Default`, and no value was given.
    #[error(
        "{}: {}: parameter {name} has no Default and no value was given; pass one with `Template::load(..).parameter(\"{name}\", \"...\")`",
        path.display(),
        root(pointer)
    )]
    MissingParameter {
        /// The template.
        path: PathBuf,
        /// Where it is used.
        pointer: String,
        /// The parameter.
        name: String,
    },
    /// `Template::parameter` named a parameter the template does not declare.
    #[error(
        "{}: a value was given for parameter {name}, but the template declares no such parameter; it declares: {}",
        path.display(),
        list(declared)
    )]
    UnknownParameter {
        /// The template.
        path: PathBuf,
        /// The name given.
        name: String,
        /// The parameters the template declares.
        declared: Vec<String>,
    },
    /// A parameter value is not one of the parameter's `AllowedValues`.
    #[error(
        "{}: /Parameters/{name}/AllowedValues: value {value:?} for parameter {name} is not allowed; allowed: {}",
        path.display(),
        list(allowed)
    )]
    ParameterNotAllowed {
        /// The template.
        path: PathBuf,
        /// The parameter.
        name: String,
        /// The value given (or its default).
        value: String,
        /// What the template allows.
        allowed: Vec<String>,
    },
    /// `Template::pseudo` named something that is not a settable pseudo parameter.
    #[error(
        "{}: {name} is not a pseudo parameter that can be set; these can: {}",
        path.display(),
        list(settable)
    )]
    UnknownPseudo {
        /// The template.
        path: PathBuf,
        /// The name given.
        name: String,
        /// The names that can be set.
        settable: Vec<String>,
    },
    /// A reference to something the template does not declare (or excludes by a `Condition`).
    #[error("{}: {}: {function} refers to {name}, {reason}", path.display(), root(pointer))]
    UnknownReference {
        /// The template.
        path: PathBuf,
        /// Where the reference is.
        pointer: String,
        /// `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Condition`, `Fn::FindInMap`.
        function: &'static str,
        /// What it refers to.
        name: String,
        /// Why it cannot be resolved, and the fix.
        reason: String,
    },
    /// `Fn::ImportValue` of an export that was not given a value.
    #[error(
        "{}: {}: Fn::ImportValue of export {export} has no value here (exports live in other stacks); pass one with `Template::load(..).import(\"{export}\", \"...\")`",
        path.display(),
        root(pointer)
    )]
    MissingImport {
        /// The template.
        path: PathBuf,
        /// Where.
        pointer: String,
        /// The export name.
        export: String,
    },
    /// `Fn::Transform` of a macro other than `AWS::Include` that was not given an output.
    #[error(
        "{}: {}: Fn::Transform of macro {name} cannot run here; pass its output with `Template::load(..).transform(\"{name}\", json!(..))`",
        path.display(),
        root(pointer)
    )]
    MissingTransform {
        /// The template.
        path: PathBuf,
        /// Where.
        pointer: String,
        /// The macro name.
        name: String,
    },
    /// An intrinsic function is used with arguments of the wrong shape.
    #[error("{}: {}: {message}", path.display(), root(pointer))]
    Intrinsic {
        /// The template.
        path: PathBuf,
        /// Where.
        pointer: String,
        /// What is wrong, and the expected shape.
        message: String,
    },
    /// Intrinsics (or includes) nest deeper than the limit: almost always a reference cycle.
    #[error(
        "{}: {}: intrinsic functions or includes nest deeper than {limit} levels; look for a cycle (a resource name that refers to itself through others)",
        path.display(),
        root(pointer)
    )]
    TooDeep {
        /// The template.
        path: PathBuf,
        /// Where evaluation gave up.
        pointer: String,
        /// The limit.
        limit: usize,
    },
    /// A definition or include points at S3, which sfn-test cannot read.
    #[error("{}: {}: {location} is on S3, which sfn-test does not read; {fix}", path.display(), root(pointer))]
    OnS3 {
        /// The template.
        path: PathBuf,
        /// The property.
        pointer: String,
        /// The S3 location as written.
        location: String,
        /// How to point it at a local file instead.
        fix: &'static str,
    },
    /// A local file a template points at does not exist.
    #[error(
        "{}: {}: file {} not found{}",
        path.display(),
        root(pointer),
        tried.display(),
        suggestion.as_ref().map(|s| format!("; did you mean {}?", s.display())).unwrap_or_default()
    )]
    FileNotFound {
        /// The template.
        path: PathBuf,
        /// The property naming the file.
        pointer: String,
        /// The path tried (relative paths are resolved against the template's folder).
        tried: PathBuf,
        /// A file of the same name found elsewhere in the project folder.
        suggestion: Option<PathBuf>,
    },
    /// A state machine resource has no definition property.
    #[error(
        "{}: {}: state machine {id} has no definition; set {expected}",
        path.display(),
        root(pointer)
    )]
    NoDefinition {
        /// The template.
        path: PathBuf,
        /// The resource's properties.
        pointer: String,
        /// The resource's logical id.
        id: String,
        /// The properties that can hold one.
        expected: &'static str,
    },
    /// A SAM event cannot deliver an input: it does not exist, the event given does not match
    /// its pattern, or its input is not JSON.
    #[error("{}: {}: {message}", path.display(), root(pointer))]
    Event {
        /// The template.
        path: PathBuf,
        /// The event, as a JSON pointer into the template.
        pointer: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The definition uses `${Name}` placeholders that no `DefinitionSubstitutions` entry gives
    /// a value for: deployed, they would stay literal text.
    #[error("{}: {}: {message}", path.display(), root(pointer))]
    UnresolvedPlaceholder {
        /// The template.
        path: PathBuf,
        /// The state machine's `DefinitionSubstitutions` (or its properties, when it has none).
        pointer: String,
        /// Which placeholders, where they are used, and the fix.
        message: String,
    },
}

/// What [`SamError::UnresolvedPlaceholder`] says: the placeholders, where each is first used
/// (a JSON pointer into the definition), and the keys to add, or the given key that differs
/// only in case (names are case-sensitive).
pub(super) fn unresolved_message(
    id: &str,
    file: Option<&std::path::Path>,
    placeholders: &[(String, String)],
    given: &[String],
) -> String {
    format!(
        "the definition of {id}{} uses {}, which DefinitionSubstitutions does not give a value for (deployed, it stays literal text); {}",
        file.map(|f| format!(" ({})", f.display())).unwrap_or_default(),
        placeholders
            .iter()
            .map(|(name, at)| format!("${{{name}}} at {at}"))
            .collect::<Vec<_>>()
            .join(", "),
        placeholder_fix(placeholders, given)
    )
}

fn placeholder_fix(placeholders: &[(String, String)], given: &[String]) -> String {
    let mut renames = Vec::new();
    let mut additions = Vec::new();
    for (name, _) in placeholders {
        match given.iter().find(|g| g.eq_ignore_ascii_case(name)) {
            Some(near) => renames.push(format!("rename the substitution {near} to {name}")),
            None => additions.push(format!("{name}: <value>")),
        }
    }
    let mut fixes = Vec::new();
    if !renames.is_empty() {
        fixes.push(format!("{} (placeholder names are case-sensitive)", renames.join(", ")));
    }
    if !additions.is_empty() {
        fixes.push(format!("add {} under DefinitionSubstitutions", additions.join(" and ")));
    }
    fixes.join("; ")
}

fn at_line(line: Option<usize>, column: Option<usize>) -> String {
    let mut out = String::new();
    if let Some(line) = line {
        let _ = write!(out, ":{line}");
        if let Some(column) = column {
            let _ = write!(out, ":{column}");
        }
    }
    out
}

fn root(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}
