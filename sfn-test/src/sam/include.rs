//! `AWS::Include`: a `Fn::Transform` whose content is another local YAML/JSON file. Section-level
//! includes (a `Fn::Transform` key among resources, or a whole resource) are expanded when the
//! template is read; includes inside values are expanded when the value is evaluated.

use std::path::Path;

use serde_json::{Map, Value};

use super::document::{self, Format, escape};
use super::error::SamError;
use super::files;

/// How many includes may nest inside section-level includes.
const MAX_INCLUDE_DEPTH: usize = 8;

/// Reads the file an `AWS::Include` `Location` names, relative to the template.
pub(super) fn load(template: &Path, location: &str, pointer: &str) -> Result<Value, SamError> {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("s3://") || lower.starts_with("https://") || lower.starts_with("http://") {
        return Err(SamError::OnS3 {
            path: template.to_path_buf(),
            pointer: pointer.to_owned(),
            location: location.to_owned(),
            fix: "copy the file into the project and give Location as a path relative to the template",
        });
    }
    let (file, text) = files::read(template, location, pointer)?;
    document::parse(&text, &file, Format::of(&file))
}

/// Expands includes at the top of the template and of each section, and whole-resource includes.
pub(super) fn expand_sections(root: &mut Map<String, Value>, template: &Path) -> Result<(), SamError> {
    expand_mapping(root, template, "", 0)?;
    for (section, body) in root.iter_mut() {
        let Value::Object(map) = body else { continue };
        let pointer = format!("/{}", escape(section));
        expand_mapping(map, template, &pointer, 0)?;
        if section == "Resources" {
            for (id, resource) in map.iter_mut() {
                let here = format!("{pointer}/{}", escape(id));
                let Value::Object(body) = resource else { continue };
                if body.len() == 1 && body.contains_key("Fn::Transform") {
                    let mut expanded = Map::new();
                    expanded.insert(
                        "Fn::Transform".to_owned(),
                        body.remove("Fn::Transform").unwrap_or(Value::Null),
                    );
                    expand_mapping(&mut expanded, template, &here, 0)?;
                    *body = expanded;
                }
            }
        }
    }
    Ok(())
}

/// Replaces a `Fn::Transform: {Name: AWS::Include, ...}` key of `map` by the included mapping's keys.
fn expand_mapping(map: &mut Map<String, Value>, template: &Path, pointer: &str, depth: usize) -> Result<(), SamError> {
    let Some(transform) = map.get("Fn::Transform") else {
        return Ok(());
    };
    if transform.get("Name").and_then(Value::as_str) != Some("AWS::Include") {
        return Ok(());
    }
    let here = format!("{pointer}/Fn::Transform/Parameters/Location");
    if depth >= MAX_INCLUDE_DEPTH {
        return Err(SamError::TooDeep {
            path: template.to_path_buf(),
            pointer: here,
            limit: MAX_INCLUDE_DEPTH,
        });
    }
    let Some(location) = transform
        .get("Parameters")
        .and_then(|p| p.get("Location"))
        .and_then(Value::as_str)
    else {
        return Err(SamError::Invalid {
            path: template.to_path_buf(),
            pointer: format!("{pointer}/Fn::Transform"),
            message:
                "AWS::Include here needs Parameters: {Location: <file relative to the template>} as a plain string"
                    .to_owned(),
        });
    };
    let Value::Object(mut included) = load(template, location, &here)? else {
        return Err(SamError::Invalid {
            path: template.to_path_buf(),
            pointer: here,
            message: format!("{location} must hold a mapping to be included here"),
        });
    };
    expand_mapping(&mut included, template, pointer, depth + 1)?;
    // The included keys take the place of the transform; keys written next to it win.
    let original = std::mem::take(map);
    for (key, value) in original {
        if key == "Fn::Transform" {
            for (k, v) in std::mem::take(&mut included) {
                map.entry(k).or_insert(v);
            }
        } else {
            map.insert(key, value);
        }
    }
    Ok(())
}
