//! SAM `Globals`: properties declared once under `Globals.<Type>` flow into every
//! `AWS::Serverless::<Type>` resource. As SAM merges them: mappings merge key by key, lists
//! are appended (globals first), and any other value — an intrinsic function included — set
//! on the resource wins.

use serde_json::{Map, Value};

/// Merges `Globals` into the resources of `root`.
pub(super) fn apply(root: &mut Map<String, Value>) {
    let Some(Value::Object(globals)) = root.get("Globals").cloned() else {
        return;
    };
    let Some(Value::Object(resources)) = root.get_mut("Resources") else {
        return;
    };
    for resource in resources.values_mut() {
        let Value::Object(body) = resource else { continue };
        let Some(section) = body
            .get("Type")
            .and_then(Value::as_str)
            .and_then(|t| t.strip_prefix("AWS::Serverless::"))
        else {
            continue;
        };
        let Some(Value::Object(defaults)) = globals.get(section) else {
            continue;
        };
        let local = match body.get("Properties") {
            Some(Value::Object(p)) => p.clone(),
            _ => Map::new(),
        };
        body.insert(
            "Properties".to_owned(),
            merge(Value::Object(defaults.clone()), Value::Object(local)),
        );
    }
}

fn merge(global: Value, local: Value) -> Value {
    match (global, local) {
        (Value::Object(global), Value::Object(local)) if !is_intrinsic(&global) && !is_intrinsic(&local) => {
            let mut out = Map::with_capacity(global.len() + local.len());
            let mut local = local;
            for (key, g) in global {
                let merged = match local.shift_remove(&key) {
                    Some(l) => merge(g, l),
                    None => g,
                };
                out.insert(key, merged);
            }
            out.extend(local);
            Value::Object(out)
        }
        (Value::Array(mut global), Value::Array(local)) => {
            global.extend(local);
            Value::Array(global)
        }
        (_, local) => local,
    }
}

fn is_intrinsic(map: &Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .keys()
            .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_merge_lists_append_scalars_override() {
        let mut root = json!({
            "Globals": {
                "Function": {"Timeout": 3, "Layers": ["a"], "Environment": {"Variables": {"A": "1", "B": "g"}}},
                "StateMachine": {"Tracing": {"Enabled": true}, "Tags": {"Team": "x"}}
            },
            "Resources": {
                "F": {"Type": "AWS::Serverless::Function", "Properties": {
                    "Timeout": 10, "Layers": ["b"], "Environment": {"Variables": {"B": "local", "C": "3"}}
                }},
                "S": {"Type": "AWS::Serverless::StateMachine"},
                "L": {"Type": "AWS::Lambda::Function", "Properties": {}},
                "I": {"Type": "AWS::Serverless::Function", "Properties": {"Environment": {"Fn::If": ["C", {}, {}]}}}
            }
        });
        if let Value::Object(map) = &mut root {
            apply(map);
        }
        assert_eq!(
            root["Resources"]["F"]["Properties"],
            json!({"Timeout": 10, "Layers": ["a", "b"], "Environment": {"Variables": {"A": "1", "B": "local", "C": "3"}}})
        );
        assert_eq!(
            root["Resources"]["S"]["Properties"],
            json!({"Tracing": {"Enabled": true}, "Tags": {"Team": "x"}})
        );
        assert_eq!(root["Resources"]["L"]["Properties"], json!({}));
        assert_eq!(
            root["Resources"]["I"]["Properties"]["Environment"],
            json!({"Fn::If": ["C", {}, {}]})
        );
    }
}
