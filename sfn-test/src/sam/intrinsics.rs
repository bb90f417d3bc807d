//! Evaluates CloudFormation intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If`, ...)
//! and conditions against one template, its parameters and the pseudo parameters.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::document::escape;
use super::error::SamError;
use super::include;
use super::resources::{self, Environment};
use super::template::Overrides;

/// Deepest nesting of intrinsics, references and includes before evaluation gives up: deep
/// enough for any real template, shallow enough for a cycle to fail fast without overflowing.
pub(super) const MAX_DEPTH: usize = 150;

/// A resource as the evaluator sees it: declared in the template, or created by SAM.
#[derive(Debug)]
pub(super) struct Resource<'t> {
    pub(super) id: String,
    pub(super) resource_type: String,
    pub(super) properties: Option<&'t Map<String, Value>>,
    pub(super) condition: Option<String>,
}

/// Evaluates values of one template with one set of overrides.
pub(super) struct Evaluator<'t> {
    pub(super) path: &'t Path,
    pub(super) root: &'t Map<String, Value>,
    overrides: &'t Overrides,
    pub(super) env: Environment,
    resources: Vec<Resource<'t>>,
    index: BTreeMap<String, usize>,
}

type Evaluated = Result<Option<Value>, SamError>;

impl<'t> Evaluator<'t> {
    pub(super) fn new(path: &'t Path, root: &'t Map<String, Value>, overrides: &'t Overrides) -> Self {
        let env = environment(overrides);
        let mut resources = Vec::new();
        if let Some(Value::Object(declared)) = root.get("Resources") {
            for (id, body) in declared {
                let Some(body) = body.as_object() else { continue };
                let Some(resource_type) = body.get("Type").and_then(Value::as_str) else {
                    continue;
                };
                resources.push(Resource {
                    id: id.clone(),
                    resource_type: resource_type.to_owned(),
                    properties: body.get("Properties").and_then(Value::as_object),
                    condition: body.get("Condition").and_then(Value::as_str).map(str::to_owned),
                });
            }
        }
        let implicit = implicit_resources(&resources);
        let mut index = BTreeMap::new();
        for (i, r) in resources.iter().enumerate() {
            index.entry(r.id.clone()).or_insert(i);
        }
        for r in implicit {
            if !index.contains_key(&r.id) {
                index.insert(r.id.clone(), resources.len());
                resources.push(r);
            }
        }
        Evaluator {
            path,
            root,
            overrides,
            env,
            resources,
            index,
        }
    }

    /// Resources in template order (SAM-generated ones after the declared ones).
    pub(super) fn resources(&self) -> &[Resource<'t>] {
        &self.resources
    }

    pub(super) fn resource(&self, id: &str) -> Option<&Resource<'t>> {
        self.index.get(id).and_then(|&i| self.resources.get(i))
    }

    /// Evaluates a value; `None` is `AWS::NoValue` (the key or item is dropped).
    pub(super) fn eval(&self, value: &Value, pointer: &str, depth: usize) -> Evaluated {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(pointer));
        }
        match value {
            Value::Object(map) => {
                if let Some((key, arg)) = single(map)
                    && (key == "Ref" || key.starts_with("Fn::"))
                {
                    let here = format!("{pointer}/{}", escape(key));
                    return self.function(key, arg, &here, depth + 1);
                }
                if let Some(transform) = map.get("Fn::Transform") {
                    // An include next to other keys merges its mapping into them.
                    let here = format!("{pointer}/Fn::Transform");
                    let included = self.function("Fn::Transform", transform, &here, depth + 1)?;
                    let mut merged = match included {
                        Some(Value::Object(m)) => m,
                        Some(_) => {
                            return Err(
                                self.intrinsic(&here, "Fn::Transform next to other keys must produce a mapping")
                            );
                        }
                        None => Map::new(),
                    };
                    for (k, v) in map {
                        if k != "Fn::Transform" {
                            merged.insert(k.clone(), v.clone());
                        }
                    }
                    return self.eval(&Value::Object(merged), pointer, depth + 1);
                }
                let mut out = Map::with_capacity(map.len());
                for (key, item) in map {
                    let here = format!("{pointer}/{}", escape(key));
                    if let Some(v) = self.eval(item, &here, depth + 1)? {
                        out.insert(key.clone(), v);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.eval(item, &format!("{pointer}/{i}"), depth + 1)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Evaluates a value that must be a string (numbers and booleans are written out).
    pub(super) fn string(&self, value: &Value, pointer: &str, depth: usize) -> Result<String, SamError> {
        match self.eval(value, pointer, depth)? {
            Some(v) => {
                scalar(&v).ok_or_else(|| self.intrinsic(pointer, format!("expected a string here, found {}", kind(&v))))
            }
            None => Err(self.intrinsic(pointer, "expected a string here, found AWS::NoValue")),
        }
    }

    fn list(&self, value: &Value, pointer: &str, depth: usize) -> Result<Vec<Value>, SamError> {
        match self.eval(value, pointer, depth)? {
            Some(Value::Array(items)) => Ok(items),
            Some(v) => Err(self.intrinsic(pointer, format!("expected a list here, found {}", kind(&v)))),
            None => Err(self.intrinsic(pointer, "expected a list here, found AWS::NoValue")),
        }
    }

    fn args<'v>(
        &self,
        function: &str,
        arg: &'v Value,
        pointer: &str,
        counts: &[usize],
    ) -> Result<&'v [Value], SamError> {
        match arg {
            Value::Array(items) if counts.contains(&items.len()) => Ok(items),
            _ => {
                let counts = counts.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
                Err(self.intrinsic(
                    pointer,
                    format!("{function} takes a list of {counts} arguments, found {}", describe(arg)),
                ))
            }
        }
    }

    fn function(&self, name: &str, arg: &Value, pointer: &str, depth: usize) -> Evaluated {
        match name {
            "Ref" => match arg {
                Value::String(target) => self.reference(target, pointer, depth),
                _ => Err(self.intrinsic(
                    pointer,
                    format!("Ref takes the name of a parameter or resource, found {}", describe(arg)),
                )),
            },
            "Fn::GetAtt" => {
                let (id, attr) = match arg {
                    Value::String(s) => match s.split_once('.') {
                        Some((id, attr)) => (id.to_owned(), attr.to_owned()),
                        None => {
                            return Err(self.intrinsic(
                                pointer,
                                format!("Fn::GetAtt takes \"LogicalId.Attribute\", found {s:?}"),
                            ));
                        }
                    },
                    Value::Array(items) if items.len() == 2 => {
                        let id =
                            match items.first() {
                                Some(Value::String(id)) => id.clone(),
                                _ => return Err(self.intrinsic(
                                    pointer,
                                    "Fn::GetAtt takes [LogicalId, Attribute]; the logical id must be a plain string",
                                )),
                            };
                        let attr = match items.get(1) {
                            Some(attr) => self.string(attr, &format!("{pointer}/1"), depth + 1)?,
                            None => String::new(),
                        };
                        (id, attr)
                    }
                    _ => {
                        return Err(self.intrinsic(
                            pointer,
                            format!(
                                "Fn::GetAtt takes \"LogicalId.Attribute\" or [LogicalId, Attribute], found {}",
                                describe(arg)
                            ),
                        ));
                    }
                };
                self.get_att(&id, &attr, pointer, depth).map(|s| Some(Value::String(s)))
            }
            "Fn::Sub" => self.sub(arg, pointer, depth).map(|s| Some(Value::String(s))),
            "Fn::Join" => {
                let args = self.args(name, arg, pointer, &[2])?;
                let (Some(delimiter), Some(items)) = (args.first(), args.get(1)) else {
                    return Ok(None);
                };
                let delimiter = self.string(delimiter, &format!("{pointer}/0"), depth + 1)?;
                let items = self.list(items, &format!("{pointer}/1"), depth + 1)?;
                let mut parts = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let here = format!("{pointer}/1/{i}");
                    parts.push(scalar(item).ok_or_else(|| {
                        self.intrinsic(&here, format!("Fn::Join joins strings, found {}", kind(item)))
                    })?);
                }
                Ok(Some(Value::String(parts.join(&delimiter))))
            }
            "Fn::Select" => {
                let args = self.args(name, arg, pointer, &[2])?;
                let (Some(index), Some(items)) = (args.first(), args.get(1)) else {
                    return Ok(None);
                };
                let index = self.string(index, &format!("{pointer}/0"), depth + 1)?;
                let items = self.list(items, &format!("{pointer}/1"), depth + 1)?;
                let position = index.trim().parse::<usize>().map_err(|_| {
                    self.intrinsic(
                        pointer,
                        format!("Fn::Select index must be a non-negative integer, found {index:?}"),
                    )
                })?;
                match items.into_iter().nth(position) {
                    Some(v) => Ok(Some(v)),
                    None => Err(self.intrinsic(
                        pointer,
                        format!("Fn::Select index {position} is out of range of the list"),
                    )),
                }
            }
            "Fn::Split" => {
                let args = self.args(name, arg, pointer, &[2])?;
                let (Some(delimiter), Some(source)) = (args.first(), args.get(1)) else {
                    return Ok(None);
                };
                let delimiter = self.string(delimiter, &format!("{pointer}/0"), depth + 1)?;
                let source = self.string(source, &format!("{pointer}/1"), depth + 1)?;
                if delimiter.is_empty() {
                    return Err(self.intrinsic(pointer, "Fn::Split needs a non-empty delimiter"));
                }
                Ok(Some(Value::Array(
                    source
                        .split(delimiter.as_str())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )))
            }
            "Fn::If" => {
                let args = self.args(name, arg, pointer, &[3])?;
                let (Some(condition), Some(yes), Some(no)) = (args.first(), args.get(1), args.get(2)) else {
                    return Ok(None);
                };
                let Value::String(condition) = condition else {
                    return Err(self.intrinsic(pointer, "Fn::If takes [ConditionName, ValueIfTrue, ValueIfFalse]; the condition must be a name from Conditions"));
                };
                if self.condition(condition, &format!("{pointer}/0"), depth + 1)? {
                    self.eval(yes, &format!("{pointer}/1"), depth + 1)
                } else {
                    self.eval(no, &format!("{pointer}/2"), depth + 1)
                }
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let mut map = Map::new();
                map.insert(name.to_owned(), arg.clone());
                self.condition_expr(&Value::Object(map), pointer, depth)
                    .map(|b| Some(Value::Bool(b)))
            }
            "Fn::FindInMap" => self.find_in_map(arg, pointer, depth).map(Some),
            "Fn::Base64" => {
                let text = self.string(arg, pointer, depth + 1)?;
                Ok(Some(Value::String(base64(text.as_bytes()))))
            }
            "Fn::GetAZs" => {
                let region = self.string(arg, pointer, depth + 1)?;
                let region = if region.is_empty() {
                    self.env.region.clone()
                } else {
                    region
                };
                Ok(Some(Value::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|z| Value::String(format!("{region}{z}")))
                        .collect(),
                )))
            }
            "Fn::ImportValue" => {
                let export = self.string(arg, pointer, depth + 1)?;
                match self.overrides.imports.get(&export) {
                    Some(v) => Ok(Some(Value::String(v.clone()))),
                    None => Err(SamError::MissingImport {
                        path: self.path.to_path_buf(),
                        pointer: pointer.to_owned(),
                        export,
                    }),
                }
            }
            "Fn::Transform" => {
                let Some(macro_name) = arg.get("Name") else {
                    return Err(self.intrinsic(pointer, "Fn::Transform takes {Name: ..., Parameters: {...}}"));
                };
                let macro_name = self.string(macro_name, &format!("{pointer}/Name"), depth + 1)?;
                if macro_name == "AWS::Include" {
                    let here = format!("{pointer}/Parameters/Location");
                    let Some(location) = arg.get("Parameters").and_then(|p| p.get("Location")) else {
                        return Err(self.intrinsic(pointer, "AWS::Include needs Parameters: {Location: <file>}"));
                    };
                    let location = self.string(location, &here, depth + 1)?;
                    let content = include::load(self.path, &location, &here)?;
                    return self.eval(&content, pointer, depth + 1);
                }
                match self.overrides.transforms.get(&macro_name) {
                    Some(output) => self.eval(output, pointer, depth + 1),
                    None => Err(SamError::MissingTransform {
                        path: self.path.to_path_buf(),
                        pointer: pointer.to_owned(),
                        name: macro_name,
                    }),
                }
            }
            "Fn::Cidr" => {
                let args = self.args(name, arg, pointer, &[3])?;
                let mut strings = Vec::with_capacity(3);
                for (i, a) in args.iter().enumerate() {
                    strings.push(self.string(a, &format!("{pointer}/{i}"), depth + 1)?);
                }
                cidr(&strings)
                    .map(|blocks| Some(Value::Array(blocks.into_iter().map(Value::String).collect())))
                    .map_err(|m| self.intrinsic(pointer, m))
            }
            "Fn::Length" => match self.eval(arg, pointer, depth + 1)? {
                Some(Value::Array(items)) => Ok(Some(Value::from(items.len()))),
                other => Err(self.intrinsic(
                    pointer,
                    format!(
                        "Fn::Length takes a list, found {}",
                        other.as_ref().map_or("AWS::NoValue", kind)
                    ),
                )),
            },
            "Fn::ToJsonString" => {
                let value = self.eval(arg, pointer, depth + 1)?.unwrap_or(Value::Null);
                Ok(Some(Value::String(value.to_string())))
            }
            other => Err(self.intrinsic(pointer, format!("unsupported intrinsic function {other}"))),
        }
    }

    /// `Ref`: a pseudo parameter, a parameter or a resource.
    fn reference(&self, target: &str, pointer: &str, depth: usize) -> Evaluated {
        if let Some(pseudo) = target.strip_prefix("AWS::") {
            let env = &self.env;
            let value = match pseudo {
                "NoValue" => return Ok(None),
                "NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
                "Region" => &env.region,
                "AccountId" => &env.account,
                "Partition" => &env.partition,
                "URLSuffix" => &env.url_suffix,
                "StackName" => &env.stack_name,
                "StackId" => &env.stack_id,
                _ => return Err(self.unknown("Ref", target, pointer, "which is not a pseudo parameter".to_owned())),
            };
            return Ok(Some(Value::String(value.clone())));
        }
        if let Some(value) = self.parameter(target, pointer)? {
            return Ok(Some(value));
        }
        let resource = self.existing(target, "Ref", pointer, depth)?;
        let name = self.resource_name(resource, depth + 1)?;
        Ok(Some(Value::String(resources::reference(
            &resource.resource_type,
            &resource.id,
            &name,
            &self.env,
        ))))
    }

    fn get_att(&self, id: &str, attr: &str, pointer: &str, depth: usize) -> Result<String, SamError> {
        let resource = self.existing(id, "Fn::GetAtt", pointer, depth)?;
        let name = self.resource_name(resource, depth + 1)?;
        Ok(resources::attribute(
            &resource.resource_type,
            &resource.id,
            &name,
            attr,
            &self.env,
        ))
    }

    /// A resource that exists with the current parameters, or the error a reference to it gets.
    fn existing(
        &self,
        id: &str,
        function: &'static str,
        pointer: &str,
        depth: usize,
    ) -> Result<&Resource<'t>, SamError> {
        let Some(resource) = self.resource(id) else {
            return Err(self.unknown(function, id, pointer, "which is not a parameter, pseudo parameter or resource of the template; declare it under Parameters or Resources, or fix the name".to_owned()));
        };
        if !self.exists(resource, depth + 1)? {
            let condition = resource.condition.clone().unwrap_or_default();
            return Err(self.unknown(function, id, pointer, format!("which is excluded because its Condition {condition} is false; change the parameters with `.parameter(..)` or guard this reference with Fn::If")));
        }
        Ok(resource)
    }

    /// Whether a resource exists: it has no `Condition`, or the condition is true.
    pub(super) fn exists(&self, resource: &Resource<'_>, depth: usize) -> Result<bool, SamError> {
        match &resource.condition {
            None => Ok(true),
            Some(name) => self.condition(
                name,
                &format!("/Resources/{}/Condition", escape(&resource.id)),
                depth + 1,
            ),
        }
    }

    /// The physical name of a resource: its name property, else its logical id.
    pub(super) fn resource_name(&self, resource: &Resource<'_>, depth: usize) -> Result<String, SamError> {
        if let Some(properties) = resource.properties {
            for property in resources::name_properties(&resource.resource_type) {
                if let Some(value) = properties.get(*property) {
                    let pointer = format!("/Resources/{}/Properties/{property}", escape(&resource.id));
                    if let Some(v) = self.eval(value, &pointer, depth + 1)? {
                        return scalar(&v).ok_or_else(|| {
                            self.intrinsic(&pointer, format!("a name must be a string, found {}", kind(&v)))
                        });
                    }
                }
            }
        }
        Ok(resource.id.clone())
    }

    /// The value of a template parameter, or `None` when `name` is not a parameter.
    fn parameter(&self, name: &str, pointer: &str) -> Result<Option<Value>, SamError> {
        let Some(declaration) = self.root.get("Parameters").and_then(|p| p.get(name)) else {
            return Ok(None);
        };
        let parameter_type = declaration.get("Type").and_then(Value::as_str).unwrap_or("String");
        let value = match self.overrides.parameters.get(name) {
            Some(v) => Value::String(v.clone()),
            None if parameter_type.starts_with("AWS::SSM::Parameter::Value<") => {
                return Err(self.intrinsic(pointer, format!("parameter {name} takes its value from SSM Parameter Store when deployed; pass the value with `Template::load(..).parameter(\"{name}\", \"...\")`")));
            }
            None => match declaration.get("Default") {
                Some(default) => default.clone(),
                None => {
                    return Err(SamError::MissingParameter {
                        path: self.path.to_path_buf(),
                        pointer: pointer.to_owned(),
                        name: name.to_owned(),
                    });
                }
            },
        };
        let is_list = parameter_type == "CommaDelimitedList" || parameter_type.starts_with("List<");
        Ok(Some(match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| Value::String(scalar(v).unwrap_or_default()))
                    .collect(),
            ),
            other => {
                let text = scalar(&other).unwrap_or_default();
                if is_list {
                    Value::Array(split_list(&text).into_iter().map(Value::String).collect())
                } else {
                    // CloudFormation hands every parameter to Ref as a string, Number ones too.
                    Value::String(text)
                }
            }
        }))
    }

    /// Evaluates a named condition from the `Conditions` section.
    pub(super) fn condition(&self, name: &str, pointer: &str, depth: usize) -> Result<bool, SamError> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(pointer));
        }
        let Some(expr) = self.root.get("Conditions").and_then(|c| c.get(name)) else {
            return Err(self.unknown(
                "Condition",
                name,
                pointer,
                "which is not declared under Conditions".to_owned(),
            ));
        };
        self.condition_expr(expr, &format!("/Conditions/{}", escape(name)), depth + 1)
    }

    fn condition_expr(&self, expr: &Value, pointer: &str, depth: usize) -> Result<bool, SamError> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(pointer));
        }
        let Some((function, arg)) = expr.as_object().and_then(single) else {
            return self.truth(expr, pointer, depth);
        };
        let here = format!("{pointer}/{}", escape(function));
        match function {
            "Condition" => match arg {
                Value::String(name) => self.condition(name, &here, depth + 1),
                _ => Err(self.intrinsic(&here, "Condition takes the name of a condition")),
            },
            "Fn::Equals" => {
                let args = self.args(function, arg, &here, &[2])?;
                let mut values = Vec::with_capacity(2);
                for (i, a) in args.iter().enumerate() {
                    values.push(self.eval(a, &format!("{here}/{i}"), depth + 1)?.map(|v| normalize(&v)));
                }
                Ok(values.first() == values.get(1))
            }
            "Fn::And" | "Fn::Or" => {
                let Value::Array(items) = arg else {
                    return Err(self.intrinsic(&here, format!("{function} takes a list of 2 to 10 conditions")));
                };
                let want = function == "Fn::Or";
                for (i, item) in items.iter().enumerate() {
                    if self.condition_expr(item, &format!("{here}/{i}"), depth + 1)? == want {
                        return Ok(want);
                    }
                }
                Ok(!want)
            }
            "Fn::Not" => {
                let args = self.args(function, arg, &here, &[1])?;
                match args.first() {
                    Some(inner) => Ok(!self.condition_expr(inner, &format!("{here}/0"), depth + 1)?),
                    None => Ok(true),
                }
            }
            _ => self.truth(expr, pointer, depth),
        }
    }

    fn truth(&self, expr: &Value, pointer: &str, depth: usize) -> Result<bool, SamError> {
        match self.eval(expr, pointer, depth + 1)? {
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                Ok(s.eq_ignore_ascii_case("true"))
            }
            other => Err(self.intrinsic(
                pointer,
                format!(
                    "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition, found {}",
                    other.as_ref().map_or("AWS::NoValue", kind)
                ),
            )),
        }
    }

    fn find_in_map(&self, arg: &Value, pointer: &str, depth: usize) -> Result<Value, SamError> {
        let args = self.args("Fn::FindInMap", arg, pointer, &[3, 4])?;
        let mut keys = Vec::with_capacity(3);
        for (i, a) in args.iter().take(3).enumerate() {
            keys.push(self.string(a, &format!("{pointer}/{i}"), depth + 1)?);
        }
        let default = args.get(3).and_then(|d| d.get("DefaultValue"));
        let [map, top, second] = keys.as_slice() else {
            return Err(self.intrinsic(pointer, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]"));
        };
        let found = self
            .root
            .get("Mappings")
            .and_then(|m| m.get(map.as_str()))
            .and_then(|m| m.get(top.as_str()))
            .and_then(|m| m.get(second.as_str()));
        match (found, default) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(d)) => Ok(self
                .eval(d, &format!("{pointer}/3/DefaultValue"), depth + 1)?
                .unwrap_or(Value::Null)),
            (None, None) => Err(self.unknown(
                "Fn::FindInMap",
                &format!("{map}/{top}/{second}"),
                pointer,
                "which is not in the Mappings section; add it or give a DefaultValue".to_owned(),
            )),
        }
    }

    fn sub(&self, arg: &Value, pointer: &str, depth: usize) -> Result<String, SamError> {
        let (text, variables) = match arg {
            Value::String(s) => (s.clone(), None),
            Value::Array(items) if items.len() == 2 => {
                let text = match items.first() {
                    Some(t) => self.string(t, &format!("{pointer}/0"), depth + 1)?,
                    None => String::new(),
                };
                let variables = match items.get(1) {
                    Some(Value::Object(m)) => Some(m),
                    _ => return Err(self.intrinsic(pointer, "Fn::Sub takes a string, or [string, {Name: value, ...}]")),
                };
                (text, variables)
            }
            _ => {
                return Err(self.intrinsic(
                    pointer,
                    format!(
                        "Fn::Sub takes a string, or [string, {{Name: value, ...}}], found {}",
                        describe(arg)
                    ),
                ));
            }
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                // `${!Name}` is written out as `${Name}`.
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = after[..end].trim();
            let value = match variables.and_then(|v| v.get(name)) {
                Some(v) => self.string(v, &format!("{pointer}/1/{}", escape(name)), depth + 1)?,
                None => match name.split_once('.') {
                    Some((id, attr)) if !name.starts_with("AWS::") => self.get_att(id, attr, pointer, depth + 1)?,
                    _ => match self.reference(name, pointer, depth + 1)? {
                        Some(v) => scalar(&v).ok_or_else(|| {
                            self.intrinsic(
                                pointer,
                                format!("Fn::Sub variable ${{{name}}} is {}, not a string", kind(&v)),
                            )
                        })?,
                        None => String::new(),
                    },
                },
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Every identifier produced for every existing resource (ARN, name, URL), and each
    /// resource's logical id, mapped to the logical id.
    pub(super) fn identifier_map(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for resource in &self.resources {
            out.entry(resource.id.clone()).or_insert_with(|| resource.id.clone());
        }
        for resource in &self.resources {
            // Identifiers are for mapping calls back; a name that cannot be evaluated here
            // fails loudly where it is actually used.
            if !matches!(self.exists(resource, 0), Ok(true)) {
                continue;
            }
            let Ok(name) = self.resource_name(resource, 0) else {
                continue;
            };
            for identifier in resources::identifiers(&resource.resource_type, &resource.id, &name, &self.env) {
                out.entry(identifier).or_insert_with(|| resource.id.clone());
            }
        }
        out
    }

    pub(super) fn intrinsic(&self, pointer: &str, message: impl Into<String>) -> SamError {
        SamError::Intrinsic {
            path: self.path.to_path_buf(),
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }

    fn unknown(&self, function: &'static str, name: &str, pointer: &str, reason: String) -> SamError {
        SamError::UnknownReference {
            path: self.path.to_path_buf(),
            pointer: pointer.to_owned(),
            function,
            name: name.to_owned(),
            reason,
        }
    }

    fn too_deep(&self, pointer: &str) -> SamError {
        SamError::TooDeep {
            path: self.path.to_path_buf(),
            pointer: pointer.to_owned(),
            limit: MAX_DEPTH,
        }
    }
}

/// The pseudo parameters: overrides, else defaults; partition and URL suffix follow the region.
fn environment(overrides: &Overrides) -> Environment {
    let get = |name: &str| overrides.pseudo.get(name).cloned();
    let region = get("AWS::Region").unwrap_or_else(|| "us-east-1".to_owned());
    let (partition, suffix) = if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    };
    let partition = get("AWS::Partition").unwrap_or_else(|| partition.to_owned());
    let account = get("AWS::AccountId").unwrap_or_else(|| "123456789012".to_owned());
    let stack_name = get("AWS::StackName").unwrap_or_else(|| "sfn-test-stack".to_owned());
    let stack_id = get("AWS::StackId").unwrap_or_else(|| {
        format!(
            "arn:{partition}:cloudformation:{region}:{account}:stack/{stack_name}/00000000-0000-0000-0000-000000000000"
        )
    });
    Environment {
        url_suffix: get("AWS::URLSuffix").unwrap_or_else(|| suffix.to_owned()),
        region,
        account,
        partition,
        stack_name,
        stack_id,
    }
}

/// Resources SAM generates that templates refer to: `<Id>Role` for functions and state
/// machines without `Role`, the implicit APIs, and the rules/schedules behind `Events`.
fn implicit_resources<'t>(declared: &[Resource<'t>]) -> Vec<Resource<'t>> {
    let mut out = Vec::new();
    let mut add = |id: String, resource_type: &str, condition: &Option<String>| {
        out.push(Resource {
            id,
            resource_type: resource_type.to_owned(),
            properties: None,
            condition: condition.clone(),
        });
    };
    for r in declared {
        let is_state_machine = r.resource_type == "AWS::Serverless::StateMachine";
        if r.resource_type != "AWS::Serverless::Function" && !is_state_machine {
            continue;
        }
        let properties = r.properties;
        if properties.is_none_or(|p| !p.contains_key("Role")) {
            add(format!("{}Role", r.id), "AWS::IAM::Role", &r.condition);
        }
        let Some(Value::Object(events)) = properties.and_then(|p| p.get("Events")) else {
            continue;
        };
        for (event, body) in events {
            let event_properties = body.get("Properties");
            match body.get("Type").and_then(Value::as_str) {
                Some("Api") if event_properties.and_then(|p| p.get("RestApiId")).is_none() => {
                    add("ServerlessRestApi".to_owned(), "AWS::ApiGateway::RestApi", &None);
                }
                Some("HttpApi") if event_properties.and_then(|p| p.get("ApiId")).is_none() => {
                    add("ServerlessHttpApi".to_owned(), "AWS::ApiGatewayV2::Api", &None);
                }
                Some("Schedule" | "EventBridgeRule" | "CloudWatchEvent") => {
                    add(format!("{}{event}", r.id), "AWS::Events::Rule", &r.condition);
                    if is_state_machine {
                        add(format!("{}{event}Role", r.id), "AWS::IAM::Role", &r.condition);
                    }
                }
                Some("ScheduleV2") => {
                    add(format!("{}{event}", r.id), "AWS::Scheduler::Schedule", &r.condition);
                    add(format!("{}{event}Role", r.id), "AWS::IAM::Role", &r.condition);
                }
                _ => {}
            }
        }
    }
    out
}

fn single(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    if map.len() == 1 {
        map.iter().next().map(|(k, v)| (k.as_str(), v))
    } else {
        None
    }
}

/// A scalar written as a string, as CloudFormation does where a string is needed.
pub(super) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Scalars compared as strings (`Fn::Equals` of `1` and `"1"` is true, as in CloudFormation).
fn normalize(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(_) | Value::Null => value.clone(),
        other => Value::String(scalar(other).unwrap_or_default()),
    }
}

fn split_list(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split(',').map(|s| s.trim().to_owned()).collect()
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 80 {
        let cut = (0..=77).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        format!("{}...", &text[..cut])
    } else {
        text
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Fn::Cidr` for IPv4: `count` blocks of `2^bits` addresses carved from `block` in order.
fn cidr(args: &[String]) -> Result<Vec<String>, String> {
    let [block, count, bits] = args else {
        return Err("Fn::Cidr takes [ipBlock, count, cidrBits]".to_owned());
    };
    let (address, prefix) = block
        .split_once('/')
        .ok_or_else(|| format!("Fn::Cidr ipBlock {block:?} is not of the form a.b.c.d/n"))?;
    let octets: Vec<u8> = address
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| format!("Fn::Cidr supports IPv4 blocks only, found {block:?}"))?;
    let [a, b, c, d] = octets.as_slice() else {
        return Err(format!("Fn::Cidr supports IPv4 blocks only, found {block:?}"));
    };
    let prefix: u32 = prefix
        .parse()
        .map_err(|_| format!("Fn::Cidr prefix of {block:?} is not a number"))?;
    let count: u32 = count
        .parse()
        .map_err(|_| format!("Fn::Cidr count {count:?} is not a number"))?;
    let bits: u32 = bits
        .parse()
        .map_err(|_| format!("Fn::Cidr cidrBits {bits:?} is not a number"))?;
    if prefix > 32 || bits > 32 || 32 - bits < prefix || !(1..=256).contains(&count) {
        return Err(format!(
            "Fn::Cidr cannot carve {count} /{} blocks out of {block}",
            32 - bits.min(32)
        ));
    }
    let available = 1u64 << (32 - bits - prefix);
    if u64::from(count) > available {
        return Err(format!(
            "Fn::Cidr: {block} holds only {available} /{} blocks, {count} asked",
            32 - bits
        ));
    }
    let base = u32::from_be_bytes([*a, *b, *c, *d]) & if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    let step = 1u64 << bits;
    Ok((0..u64::from(count))
        .map(|i| {
            let addr = (u64::from(base) + i * step) as u32;
            let [a, b, c, d] = addr.to_be_bytes();
            format!("{a}.{b}.{c}.{d}/{}", 32 - bits)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(template: Value, overrides: &Overrides, f: impl FnOnce(&Evaluator<'_>)) {
        let root = template.as_object().cloned().unwrap_or_default();
        let ev = Evaluator::new(Path::new("t.yaml"), &root, overrides);
        f(&ev);
    }

    fn eval(template: Value, expr: Value) -> Result<Option<Value>, SamError> {
        let mut out = None;
        with(template, &Overrides::default(), |ev| {
            out = Some(ev.eval(&expr, "/x", 0))
        });
        out.unwrap_or(Ok(None))
    }

    fn ok(template: Value, expr: Value) -> Value {
        eval(template, expr).expect("evaluates").expect("has a value")
    }

    fn base() -> Value {
        json!({
            "Parameters": {
                "Stage": {"Type": "String", "Default": "dev"},
                "Names": {"Type": "CommaDelimitedList", "Default": "a, b,c"},
                "Timeout": {"Type": "Number", "Default": 30},
                "NoDefault": {"Type": "String"}
            },
            "Conditions": {
                "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
                "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": ["1", 1]}]}
            },
            "Mappings": {"Env": {"dev": {"Size": "small", "List": ["x", "y"]}}},
            "Resources": {
                "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"FunctionName": {"Fn::Sub": "${AWS::StackName}-fn"}}},
                "Queue": {"Type": "AWS::SQS::Queue"},
                "ProdOnly": {"Type": "AWS::SNS::Topic", "Condition": "IsProd"},
                "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "Stage"}}}
            }
        })
    }

    #[test]
    fn refs_to_parameters_pseudo_and_resources() {
        let t = base();
        assert_eq!(ok(t.clone(), json!({"Ref": "Stage"})), json!("dev"));
        assert_eq!(ok(t.clone(), json!({"Ref": "Names"})), json!(["a", "b", "c"]));
        assert_eq!(ok(t.clone(), json!({"Ref": "Timeout"})), json!("30"));
        assert_eq!(ok(t.clone(), json!({"Ref": "AWS::Region"})), json!("us-east-1"));
        assert_eq!(ok(t.clone(), json!({"Ref": "Fn"})), json!("sfn-test-stack-fn"));
        assert_eq!(ok(t.clone(), json!({"Ref": "Table"})), json!("dev"));
        assert_eq!(
            ok(t.clone(), json!({"Ref": "Queue"})),
            json!("https://sqs.us-east-1.amazonaws.com/123456789012/Queue")
        );
        assert_eq!(ok(t.clone(), json!({"Ref": "FnRole"})), json!("FnRole"));
        assert_eq!(
            ok(
                t,
                json!({"a": {"Ref": "AWS::NoValue"}, "b": [1, {"Ref": "AWS::NoValue"}]})
            ),
            json!({"b": [1]})
        );
    }

    #[test]
    fn get_att_both_forms_and_sub() {
        let t = base();
        let arn = json!("arn:aws:lambda:us-east-1:123456789012:function:sfn-test-stack-fn");
        assert_eq!(ok(t.clone(), json!({"Fn::GetAtt": "Fn.Arn"})), arn);
        assert_eq!(ok(t.clone(), json!({"Fn::GetAtt": ["Fn", {"Fn::Sub": "Arn"}]})), arn);
        assert_eq!(
            ok(
                t,
                json!({"Fn::Sub": "${Fn.Arn}|${Stage}|${AWS::AccountId}|${!Literal}|${ Stage }|${unclosed"})
            ),
            json!(
                "arn:aws:lambda:us-east-1:123456789012:function:sfn-test-stack-fn|dev|123456789012|${Literal}|dev|${unclosed"
            )
        );
    }

    #[test]
    fn sub_with_variable_map() {
        let t = base();
        assert_eq!(
            ok(
                t,
                json!({"Fn::Sub": ["${A}-${Stage}-${!Keep}", {"A": {"Fn::GetAtt": ["Queue", "Arn"]}}]})
            ),
            json!("arn:aws:sqs:us-east-1:123456789012:Queue-dev-${Keep}")
        );
    }

    #[test]
    fn list_functions() {
        let t = base();
        assert_eq!(
            ok(t.clone(), json!({"Fn::Join": ["-", [{"Ref": "Stage"}, 1, true]]})),
            json!("dev-1-true")
        );
        assert_eq!(
            ok(t.clone(), json!({"Fn::Join": [",", {"Ref": "Names"}]})),
            json!("a,b,c")
        );
        assert_eq!(
            ok(t.clone(), json!({"Fn::Select": ["1", {"Fn::Split": ["/", "x/y/z"]}]})),
            json!("y")
        );
        assert_eq!(
            ok(t.clone(), json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})),
            json!("us-east-1a")
        );
        assert_eq!(
            ok(t.clone(), json!({"Fn::FindInMap": ["Env", {"Ref": "Stage"}, "Size"]})),
            json!("small")
        );
        assert_eq!(
            ok(
                t.clone(),
                json!({"Fn::FindInMap": ["Env", "prod", "Size", {"DefaultValue": "tiny"}]})
            ),
            json!("tiny")
        );
        assert_eq!(ok(t.clone(), json!({"Fn::Base64": "hello"})), json!("aGVsbG8="));
        assert_eq!(ok(t.clone(), json!({"Fn::Length": [1, 2]})), json!(2));
        assert_eq!(
            ok(t.clone(), json!({"Fn::ToJsonString": {"a": [1]}})),
            json!("{\"a\":[1]}")
        );
        assert_eq!(
            ok(t, json!({"Fn::Cidr": ["10.0.0.0/16", 3, 8]})),
            json!(["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"])
        );
        let err = eval(base(), json!({"Fn::Select": [5, ["a"]]})).unwrap_err().to_string();
        assert!(
            err.contains("t.yaml: /x/Fn::Select: Fn::Select index 5 is out of range"),
            "{err}"
        );
    }

    #[test]
    fn conditions_and_if() {
        let t = base();
        assert_eq!(ok(t.clone(), json!({"Fn::If": ["IsProd", "p", "d"]})), json!("d"));
        assert_eq!(ok(t.clone(), json!({"Fn::If": ["Both", "yes", "no"]})), json!("yes"));
        assert_eq!(
            eval(t.clone(), json!({"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}))
                .ok()
                .flatten(),
            None
        );
        let mut prod = Overrides::default();
        prod.parameters.insert("Stage".into(), "prod".into());
        with(t, &prod, |ev| {
            assert_eq!(
                ev.eval(&json!({"Fn::If": ["IsProd", "p", "d"]}), "", 0).ok().flatten(),
                Some(json!("p"))
            );
            assert_eq!(
                ev.eval(&json!({"Ref": "ProdOnly"}), "", 0).ok().flatten(),
                Some(json!("arn:aws:sns:us-east-1:123456789012:ProdOnly"))
            );
        });
    }

    #[test]
    fn errors_name_what_and_where() {
        let err = eval(base(), json!({"Ref": "ProdOnly"})).unwrap_err().to_string();
        assert!(
            err.contains("/x/Ref: Ref refers to ProdOnly, which is excluded because its Condition IsProd is false"),
            "{err}"
        );
        let err = eval(base(), json!({"Ref": "NoDefault"})).unwrap_err().to_string();
        assert!(
            err.contains("parameter NoDefault has no Default") && err.contains(".parameter(\"NoDefault\", \"...\")"),
            "{err}"
        );
        let err = eval(base(), json!({"Fn::GetAtt": "Nope.Arn"})).unwrap_err().to_string();
        assert!(
            err.contains("Fn::GetAtt refers to Nope, which is not a parameter"),
            "{err}"
        );
        let err = eval(base(), json!({"Fn::ImportValue": "shared-bus"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains(".import(\"shared-bus\", \"...\")"), "{err}");
        let err = eval(base(), json!({"Fn::Transform": {"Name": "MyMacro"}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("macro MyMacro") && err.contains(".transform(\"MyMacro\""),
            "{err}"
        );
        let err = eval(base(), json!({"Fn::Nope": 1})).unwrap_err().to_string();
        assert!(err.contains("unsupported intrinsic function Fn::Nope"), "{err}");
    }

    #[test]
    fn imports_and_transforms_from_overrides() {
        let mut o = Overrides::default();
        o.imports.insert("shared-bus".into(), "bus-arn".into());
        o.transforms
            .insert("MyMacro".into(), json!({"k": {"Ref": "AWS::Region"}}));
        with(base(), &o, |ev| {
            assert_eq!(
                ev.eval(&json!({"Fn::ImportValue": "shared-bus"}), "", 0).ok().flatten(),
                Some(json!("bus-arn"))
            );
            assert_eq!(
                ev.eval(&json!({"Fn::Transform": {"Name": "MyMacro"}}), "", 0)
                    .ok()
                    .flatten(),
                Some(json!({"k": "us-east-1"}))
            );
        });
    }

    #[test]
    fn cycles_fail_without_overflow() {
        let t = json!({"Resources": {
            "A": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Ref": "B"}}},
            "B": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Ref": "A"}}}
        }, "Conditions": {"C": {"Condition": "C"}}});
        let err = eval(t.clone(), json!({"Ref": "A"})).unwrap_err();
        assert!(matches!(err, SamError::TooDeep { .. }), "{err}");
        let err = eval(t, json!({"Fn::If": ["C", 1, 2]})).unwrap_err();
        assert!(matches!(err, SamError::TooDeep { .. }), "{err}");
        let mut deep = json!("x");
        for _ in 0..300 {
            deep = json!({"Fn::Base64": deep});
        }
        assert!(matches!(eval(base(), deep), Err(SamError::TooDeep { .. })));
    }

    #[test]
    fn pseudo_overrides_follow_region() {
        let mut o = Overrides::default();
        o.pseudo.insert("AWS::Region".into(), "cn-north-1".into());
        with(base(), &o, |ev| {
            assert_eq!(ev.env.partition, "aws-cn");
            assert_eq!(
                ev.eval(&json!({"Fn::GetAtt": "Queue.Arn"}), "", 0).ok().flatten(),
                Some(json!("arn:aws-cn:sqs:cn-north-1:123456789012:Queue"))
            );
        });
    }
}
