//! The Distributed Map fields that read items from and write results to Amazon S3:
//! `ItemReader`, `ItemBatcher`, `ResultWriter` and `Label` (AWS docs, "ItemReader (Map)",
//! "ItemBatcher (Map)", "ResultWriter (Map)"), in both query languages.

use serde_json::{Map as JsonMap, Value};

use super::{Parser, child};
use crate::asl::jsonata::is_expression;
use crate::asl::model::*;

/// The `CSVDelimiter` values and the character each stands for (AWS docs, "ItemReader (Map)",
/// `ReaderConfig`).
const DELIMITERS: &[(&str, char)] = &[
    ("COMMA", ','),
    ("PIPE", '|'),
    ("SEMICOLON", ';'),
    ("SPACE", ' '),
    ("TAB", '\t'),
];

impl Parser {
    /// `ItemReader`, `ItemBatcher`, `ResultWriter` and `Label` of a Map state; `None` when it has
    /// none of them.
    pub(super) fn distributed_io(
        &mut self,
        obj: &JsonMap<String, Value>,
        ptr: &str,
        jsonata: bool,
        distributed: bool,
    ) -> Option<Box<DistributedIo>> {
        if !["ItemReader", "ItemBatcher", "ResultWriter", "Label"]
            .iter()
            .any(|k| obj.contains_key(*k))
        {
            return None;
        }
        if !distributed {
            // AWS docs, "Map state": these fields belong to the Distributed mode.
            for key in ["ItemReader", "ItemBatcher", "ResultWriter"] {
                if obj.contains_key(key) {
                    self.schema(
                        &child(ptr, key),
                        format!("'{key}' needs a Distributed Map: set \"ItemProcessor\": {{\"ProcessorConfig\": {{\"Mode\": \"DISTRIBUTED\"}}}}"),
                    );
                }
            }
        }
        let label = match obj.get("Label") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.must_be(&child(ptr, "Label"), "Label", "a string", other);
                None
            }
        };
        Some(Box::new(DistributedIo {
            reader: self.item_reader(obj, ptr, jsonata),
            batcher: self.item_batcher(obj, ptr, jsonata),
            writer: self.result_writer(obj, ptr, jsonata),
            label,
        }))
    }

    /// The object at `key`, or a finding when it is something else.
    fn object_field<'v>(
        &mut self,
        obj: &'v JsonMap<String, Value>,
        ptr: &str,
        key: &str,
    ) -> Option<&'v JsonMap<String, Value>> {
        match obj.get(key)? {
            Value::Object(o) => Some(o),
            other => {
                self.must_be(&child(ptr, key), key, "an object", other);
                None
            }
        }
    }

    /// Rejects fields of `obj` not in `known` (the reader, batcher and writer objects are
    /// closed: a misspelt `MaxItem` would otherwise be silently ignored).
    /// The closed object at `key` (see [`Parser::closed_fields`]) and its pointer.
    fn closed_object<'v>(
        &mut self,
        obj: &'v JsonMap<String, Value>,
        ptr: &str,
        key: &str,
        known: &[&str],
    ) -> Option<(&'v JsonMap<String, Value>, String)> {
        let object = self.object_field(obj, ptr, key)?;
        let p = child(ptr, key);
        self.closed_fields(object, &p, key, known);
        Some((object, p))
    }

    fn closed_fields(&mut self, obj: &JsonMap<String, Value>, ptr: &str, what: &str, known: &[&str]) {
        self.known_fields(obj, ptr, known, |key| {
            format!(
                "field '{key}' is not supported in '{what}'; the fields are: {}",
                known.join(", ")
            )
        });
    }

    /// `Parameters` (JSONPath) or `Arguments` (JSONata) of a reader or writer.
    fn reader_arguments(&mut self, obj: &JsonMap<String, Value>, ptr: &str, jsonata: bool) -> Arguments {
        let (key, wrong) = if jsonata {
            ("Arguments", "Parameters")
        } else {
            ("Parameters", "Arguments")
        };
        if obj.contains_key(wrong) {
            self.schema(
                &child(ptr, wrong),
                format!(
                    "'{wrong}' is not supported here in a {} state; use '{key}'",
                    if jsonata { "JSONata" } else { "JSONPath" }
                ),
            );
        }
        self.arguments_field(obj, ptr, key, jsonata)
    }

    /// The object (or, with JSONata, the expression) at `key`: a template (JSONata) or a
    /// payload (JSONPath).
    fn arguments_field(&mut self, obj: &JsonMap<String, Value>, ptr: &str, key: &str, jsonata: bool) -> Arguments {
        let Some(value) = obj.get(key) else {
            return Arguments::None;
        };
        let p = child(ptr, key);
        if !(value.is_object() || jsonata && value.as_str().is_some_and(is_expression)) {
            self.must_be(&p, key, "an object", value);
            return Arguments::None;
        }
        if jsonata {
            self.template(value, &p, key)
                .map_or(Arguments::None, Arguments::Template)
        } else {
            Arguments::Payload(self.payload(value, &p))
        }
    }

    fn item_reader(&mut self, obj: &JsonMap<String, Value>, ptr: &str, jsonata: bool) -> Option<ItemReader> {
        let (reader, p) = self.closed_object(
            obj,
            ptr,
            "ItemReader",
            &["Resource", "ReaderConfig", "Parameters", "Arguments"],
        )?;
        let source = match reader.get("Resource") {
            Some(Value::String(r)) if r == "arn:aws:states:::s3:getObject" => ReaderSource::GetObject,
            Some(Value::String(r)) if r == "arn:aws:states:::s3:listObjectsV2" => ReaderSource::ListObjectsV2,
            Some(other) => {
                self.schema(
                    &child(&p, "Resource"),
                    format!(
                        "an ItemReader's 'Resource' is arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2, found {other}"
                    ),
                );
                return None;
            }
            None => {
                self.schema(&p, "an ItemReader needs a 'Resource'".into());
                return None;
            }
        };
        let empty = JsonMap::new();
        let config = if reader.contains_key("ReaderConfig") {
            self.object_field(reader, &p, "ReaderConfig")?
        } else {
            &empty
        };
        let cp = child(&p, "ReaderConfig");
        self.closed_fields(
            config,
            &cp,
            "ReaderConfig",
            &[
                "InputType",
                "CSVHeaderLocation",
                "CSVHeaders",
                "CSVDelimiter",
                "MaxItems",
                "MaxItemsPath",
                "ManifestType",
                "ItemsPointer",
            ],
        );
        let format = self.reader_format(config, &cp, source)?;
        let max_items = self.number(config, &cp, "MaxItems", jsonata);
        Some(ItemReader {
            source,
            format,
            max_items,
            arguments: self.reader_arguments(reader, &p, jsonata),
        })
    }

    fn reader_format(
        &mut self,
        config: &JsonMap<String, Value>,
        cp: &str,
        source: ReaderSource,
    ) -> Option<ReaderFormat> {
        let input_type = match config.get("InputType") {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                self.must_be(&child(cp, "InputType"), "InputType", "a string", other);
                return None;
            }
        };
        // `ItemsPointer` (an array inside a JSON object) is newer than the docs this reader was
        // written against: an honest "not supported" beats reading the whole object.
        if config.contains_key("ItemsPointer") {
            return Some(ReaderFormat::Unsupported("ReaderConfig.ItemsPointer".into()));
        }
        Some(match (source, input_type) {
            (ReaderSource::ListObjectsV2, None) => ReaderFormat::Json,
            (ReaderSource::ListObjectsV2, Some(t)) => {
                self.schema(
                    &child(cp, "InputType"),
                    format!("an s3:listObjectsV2 reader takes no 'InputType', found {t:?}"),
                );
                return None;
            }
            (ReaderSource::GetObject, None) => {
                self.schema(
                    cp,
                    "an s3:getObject reader needs 'ReaderConfig.InputType': JSON, JSONL, CSV or MANIFEST".into(),
                );
                return None;
            }
            (ReaderSource::GetObject, Some("JSON")) => ReaderFormat::Json,
            (ReaderSource::GetObject, Some("JSONL")) => ReaderFormat::Jsonl,
            (ReaderSource::GetObject, Some("MANIFEST")) => ReaderFormat::Unsupported("InputType MANIFEST".into()),
            (ReaderSource::GetObject, Some("CSV")) => self.csv_format(config, cp)?,
            (ReaderSource::GetObject, Some(other)) => {
                self.schema(
                    &child(cp, "InputType"),
                    format!("'InputType' must be one of JSON, JSONL, CSV, MANIFEST, found {other:?}"),
                );
                return None;
            }
        })
    }

    fn csv_format(&mut self, config: &JsonMap<String, Value>, cp: &str) -> Option<ReaderFormat> {
        let delimiter = match config.get("CSVDelimiter") {
            None => ',',
            Some(Value::String(s)) => match DELIMITERS.iter().find(|(name, _)| name == s) {
                Some((_, c)) => *c,
                None => {
                    self.schema(
                        &child(cp, "CSVDelimiter"),
                        format!("'CSVDelimiter' must be one of COMMA, PIPE, SEMICOLON, SPACE, TAB, found {s:?}"),
                    );
                    return None;
                }
            },
            Some(other) => {
                self.must_be(&child(cp, "CSVDelimiter"), "CSVDelimiter", "a string", other);
                return None;
            }
        };
        let headers = match config.get("CSVHeaderLocation").and_then(Value::as_str) {
            Some("FIRST_ROW") => None,
            Some("GIVEN") => match config.get("CSVHeaders") {
                Some(Value::Array(list)) if list.iter().all(Value::is_string) => {
                    Some(list.iter().filter_map(Value::as_str).map(str::to_string).collect())
                }
                _ => {
                    self.schema(
                        cp,
                        "with \"CSVHeaderLocation\": \"GIVEN\", 'CSVHeaders' must be an array of strings".into(),
                    );
                    return None;
                }
            },
            other => {
                self.schema(
                    &child(cp, "CSVHeaderLocation"),
                    format!(
                        "a CSV reader needs 'CSVHeaderLocation': FIRST_ROW or GIVEN, found {}",
                        other.map_or_else(|| "none".to_string(), |s| format!("{s:?}"))
                    ),
                );
                return None;
            }
        };
        Some(ReaderFormat::Csv { headers, delimiter })
    }

    fn item_batcher(&mut self, obj: &JsonMap<String, Value>, ptr: &str, jsonata: bool) -> Option<ItemBatcher> {
        let mut known = vec!["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"];
        if !jsonata {
            known.extend(["MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"]);
        }
        let (batcher, p) = self.closed_object(obj, ptr, "ItemBatcher", &known)?;
        let max_items = self.number(batcher, &p, "MaxItemsPerBatch", jsonata);
        let max_bytes = self.number(batcher, &p, "MaxInputBytesPerBatch", jsonata);
        if max_items.is_none() && max_bytes.is_none() {
            self.schema(
                &p,
                "an ItemBatcher needs 'MaxItemsPerBatch' or 'MaxInputBytesPerBatch' (or their 'Path' forms)".into(),
            );
        }
        let batch_input = self.arguments_field(batcher, &p, "BatchInput", jsonata);
        Some(ItemBatcher {
            max_items,
            max_bytes,
            batch_input,
        })
    }

    fn result_writer(&mut self, obj: &JsonMap<String, Value>, ptr: &str, jsonata: bool) -> Option<ResultWriter> {
        let (writer, p) = self.closed_object(
            obj,
            ptr,
            "ResultWriter",
            &["Resource", "Parameters", "Arguments", "WriterConfig"],
        )?;
        let to_s3 = match writer.get("Resource") {
            None => false,
            Some(Value::String(r)) if r == "arn:aws:states:::s3:putObject" => true,
            Some(other) => {
                self.schema(
                    &child(&p, "Resource"),
                    format!("a ResultWriter's 'Resource' is arn:aws:states:::s3:putObject, found {other}"),
                );
                return None;
            }
        };
        let arguments = self.reader_arguments(writer, &p, jsonata);
        let has_arguments = !matches!(arguments, Arguments::None);
        if to_s3 != has_arguments {
            // AWS docs, "ResultWriter (Map)", required field combinations: `Resource` and
            // `Parameters` go together; `WriterConfig` alone previews the output.
            self.schema(
                &p,
                format!(
                    "a ResultWriter takes 'Resource' and '{}' together (or 'WriterConfig' alone)",
                    if jsonata { "Arguments" } else { "Parameters" }
                ),
            );
            return None;
        }
        let empty = JsonMap::new();
        let config = if writer.contains_key("WriterConfig") {
            self.object_field(writer, &p, "WriterConfig")?
        } else if !to_s3 {
            self.schema(
                &p,
                "a ResultWriter cannot be empty: give 'Resource' and 'Parameters', or 'WriterConfig'".into(),
            );
            return None;
        } else {
            &empty
        };
        let wp = child(&p, "WriterConfig");
        self.closed_fields(config, &wp, "WriterConfig", &["Transformation", "OutputType"]);
        let transformation = match config.get("Transformation").and_then(Value::as_str) {
            None if to_s3 => Transformation::None,
            None => Transformation::Compact,
            Some("NONE") => Transformation::None,
            Some("COMPACT") => Transformation::Compact,
            Some("FLATTEN") => Transformation::Flatten,
            Some(other) => {
                self.schema(
                    &child(&wp, "Transformation"),
                    format!("'Transformation' must be NONE, COMPACT or FLATTEN, found {other:?}"),
                );
                return None;
            }
        };
        let jsonl = match config.get("OutputType").and_then(Value::as_str) {
            None | Some("JSON") => false,
            Some("JSONL") => true,
            Some(other) => {
                self.schema(
                    &child(&wp, "OutputType"),
                    format!("'OutputType' must be JSON or JSONL, found {other:?}"),
                );
                return None;
            }
        };
        Some(ResultWriter {
            to_s3,
            arguments,
            transformation,
            jsonl,
        })
    }
}
