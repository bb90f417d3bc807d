//! Amazon States Language: parses definition text into a typed model and validates it the way
//! `ValidateStateMachineDefinition` does (a code, a message and a location per finding).
//! Paths, intrinsic functions, payload templates and JSONata expressions are compiled here,
//! once per definition.
//! This phase knows nothing of templates or of running an execution.

pub mod intrinsics;
pub(crate) mod jsonata;
mod locate;
pub(crate) mod model;
pub(crate) mod parse;
pub mod path;

use serde_json::Value;

use crate::error::{Diagnostic, Error, Result, Source};
pub(crate) use locate::line_of;
pub use model::{Definition, State, StateKind};

/// Parses definition text: JSON, or YAML (as SAM allows for `DefinitionUri` files).
pub fn parse_text(text: &str, source: &Source) -> Result<Value> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str(text).map_err(|e| Error::Syntax {
            source_name: source.clone(),
            message: format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()),
        });
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| Error::Syntax {
        source_name: source.clone(),
        message: match e.location() {
            Some(l) => format!("invalid YAML at line {}, column {}: {e}", l.line(), l.column()),
            None => format!("invalid YAML: {e}"),
        },
    })?;
    serde_json::to_value(yaml).map_err(|e| Error::Syntax {
        source_name: source.clone(),
        message: format!("the YAML does not map to JSON: {e}"),
    })
}

/// Validates a definition and returns every finding; empty when it is valid.
pub fn validate(definition: &Value, text: Option<&str>) -> Vec<Diagnostic> {
    match parse::parse_definition(definition) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => with_lines(diagnostics, text),
    }
}

/// Parses and validates a definition into the model the engine runs.
pub fn compile(definition: &Value, source: &Source, text: Option<&str>) -> Result<Definition> {
    parse::parse_definition(definition).map_err(|diagnostics| Error::Invalid {
        source_name: source.clone(),
        diagnostics: with_lines(diagnostics, text),
    })
}

fn with_lines(mut diagnostics: Vec<Diagnostic>, text: Option<&str>) -> Vec<Diagnostic> {
    if let Some(text) = text {
        for d in &mut diagnostics {
            d.line = locate::line_of(text, &d.pointer);
        }
    }
    diagnostics
}
