//! A Distributed Map's Amazon S3 side: the `ItemReader` (items from an object or a listing of
//! the scenario's virtual S3), the `ItemBatcher` (items grouped into `{"Items": [...]}`
//! inputs) and the `ResultWriter` (child execution results written back as a manifest and
//! result files). AWS docs: "ItemReader (Map)", "ItemBatcher (Map)", "ResultWriter (Map)";
//! where the docs and the recordings disagree, the recordings (conformance
//! `scenarios.test_base_scenarios...test_map_item_*`) win.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::super::data::{Scope, StateError, eval_payload, runtime_error};
use super::super::s3::{S3Object, S3Objects};
use super::{Fault, Frame, Key, Run, error_details, serialized_len};
use crate::asl::model::*;
use crate::clock::{Millis, format_timestamp};

/// The error of a reader that cannot read its items (AWS docs, "Error handling": "States.ItemReaderFailed").
pub(super) const READER_FAILED: &str = "States.ItemReaderFailed";

/// The error of a writer that cannot write its results (AWS docs, "ResultWriter (Map)").
pub(super) const WRITER_FAILED: &str = "States.ResultWriterFailed";

/// AWS's largest `MaxItems`: a larger value reads at most this many (AWS docs, "ItemReader
/// (Map)", `MaxItems`; conformance `...test_map_item_reader_csv_max_items_paths[100000001]`
/// succeeds with every item).
const MAX_ITEMS_LIMIT: f64 = 100_000_000.0;

/// What the Distributed Maps of one execution share: the objects their ResultWriters wrote
/// and a count of Map Runs, which names them.
#[derive(Debug, Default)]
pub(crate) struct DistributedState {
    written: RefCell<S3Objects>,
    map_runs: Cell<u64>,
}

impl DistributedState {
    /// The objects written in this execution, by bucket and key.
    pub(crate) fn take_written(&self) -> Vec<S3Object> {
        self.written.take().into_values().collect()
    }
}

/// A Map Run: its ARN and its id (the ARN's last part, also the folder of its results).
pub(super) struct MapRun {
    pub(super) arn: String,
    id: String,
    /// `<state machine>/<label>`, the name of the Map Run's child state machine.
    child_machine: String,
    seed: u64,
}

/// What became of one child execution, for the ResultWriter.
pub(super) struct ChildRecord {
    pub(super) input: Value,
    /// `None`: never started (the Map Run failed first).
    pub(super) outcome: Option<Result<Value, StateError>>,
    pub(super) start: Millis,
    pub(super) stop: Millis,
}

/// The `Bucket`/`Key`/`Prefix` a reader or writer evaluated to.
pub(super) struct Location {
    bucket: String,
    key: Option<String>,
    prefix: Option<String>,
}

/// A version 4 UUID drawn from `seed` without touching the execution's random sequence, so a
/// Distributed Map does not change what `States.UUID` gives later in the run.
fn derived_uuid(seed: u64) -> String {
    let state = std::cell::Cell::new(seed);
    let (a, b) = (crate::random::next(&state), crate::random::next(&state));
    crate::random::uuid(a, b)
}

fn reader_error(cause: impl Into<String>) -> Fault {
    Fault::Failed(StateError::new(READER_FAILED, cause))
}

/// S3's answer to a missing bucket or key, as an `aws-sdk:s3` Task reports it (conformance
/// `error_handling.test_aws_sdk.TestAwsSdk.test_s3_no_such_key`, `...test_no_such_bucket`); the
/// reader reports it as `States.ItemReaderFailed`. No recording shows a reader's missing
/// object, so the exact cause AWS gives here is not checked.
fn no_such(bucket: &str, key: Option<&str>) -> Fault {
    match key {
        Some(key) => reader_error(format!(
            "The specified key does not exist. (Service: S3, Status Code: 404, Bucket: {bucket}, Key: {key})"
        )),
        None => reader_error(format!(
            "The specified bucket does not exist (Service: S3, Status Code: 404, Bucket: {bucket})"
        )),
    }
}

/// Pairs each child execution's input with what became of it: a failure (tolerated or not),
/// an output, or nothing (never ran).
pub(super) fn child_records(
    inputs: Vec<Value>,
    results: &[Option<Value>],
    failed: Vec<Option<StateError>>,
    times: &[(Millis, Millis)],
) -> Vec<ChildRecord> {
    inputs
        .into_iter()
        .zip(failed)
        .enumerate()
        .map(|(i, (input, failure))| {
            let outcome = match failure {
                Some(e) => Some(Err(e)),
                None => results.get(i).cloned().flatten().map(Ok),
            };
            let (start, stop) = times.get(i).copied().unwrap_or_default();
            ChildRecord {
                input,
                outcome,
                start,
                stop,
            }
        })
        .collect()
}

impl Run<'_> {
    /// Ends a Map Run that failed: `MapRunFailed` carries the error and cause, the
    /// `MapStateFailed` after it none (recorded histories, e.g. conformance
    /// `...test_map_item_reader_csv_max_items_paths[-1]`).
    pub(super) fn map_run_failed(&self, frame: &Frame<'_>, fault: Fault) -> Fault {
        if let Fault::Failed(e) = &fault {
            let details = error_details(e);
            self.event(frame, "MapRunFailed", || Some((Key::MapRunFailed, details)));
            self.event(frame, "MapStateFailed", || None);
        }
        fault
    }

    /// Names this execution's next Map Run: `arn:...:mapRun:<state machine>/<Label or state
    /// name>:<id>` (AWS docs, "ResultWriter (Map)"; conformance
    /// `scenarios...test_map_state_result_writer` with `"Label": "TestMap"`).
    pub(super) fn map_run(&self, state: &State, label: Option<&str>) -> MapRun {
        let n = self.dmap.map_runs.get() + 1;
        self.dmap.map_runs.set(n);
        let seed = self.cfg.seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x6D61_7052_756E;
        let id = derived_uuid(seed);
        let child_machine = format!("{}/{}", self.cfg.state_machine_name, label.unwrap_or(&state.name));
        MapRun {
            arn: format!(
                "arn:aws:states:{}:{}:mapRun:{child_machine}:{id}",
                self.cfg.region, self.cfg.account
            ),
            id,
            child_machine,
            seed,
        }
    }

    /// An object of the virtual S3: written in this execution, else given by the scenario.
    fn s3_object(&self, bucket: &str, key: &str) -> Option<S3Object> {
        let k = (bucket.to_string(), key.to_string());
        if let Some(o) = self.dmap.written.borrow().get(&k) {
            return Some(o.clone());
        }
        self.cfg.s3.get(&k).cloned()
    }

    fn bucket_exists(&self, bucket: &str) -> bool {
        let exists = |objects: &S3Objects| objects.keys().any(|(b, _)| b == bucket);
        exists(self.cfg.s3) || exists(&self.dmap.written.borrow())
    }

    /// Evaluates a reader's or writer's `Parameters` / `Arguments` (over the state's
    /// effective input, as AWS evaluates `Parameters`) into a bucket, key and prefix.
    pub(super) fn location(
        &self,
        arguments: &Arguments,
        scope: &Scope<'_>,
        field: &str,
        error: &str,
    ) -> Result<Location, Fault> {
        let mut rng = || self.next_random();
        let value = match arguments {
            Arguments::None => Value::Object(Map::new()),
            Arguments::Payload(p) => eval_payload(p, scope, &mut rng)?,
            Arguments::Template(t) => self.eval_template(t, scope)?,
        };
        let text = |name: &str| -> Result<Option<String>, Fault> {
            match value.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(Fault::Failed(StateError::new(
                    error,
                    format!("the {field} field '{name}' must be a string, but was: {other}"),
                ))),
            }
        };
        let Some(bucket) = text("Bucket")? else {
            return Err(Fault::Failed(StateError::new(
                error,
                format!("the {field} needs a 'Bucket', but its parameters were: {value}"),
            )));
        };
        Ok(Location {
            bucket,
            key: text("Key")?,
            prefix: text("Prefix")?,
        })
    }

    /// `ReaderConfig.MaxItems[Path]`: `None` for no limit. Zero means no limit and a negative
    /// value fails the Map Run (conformance `...test_map_item_reader_csv_max_items_paths[0]`,
    /// `[-1]`); a numeric string counts as its number (`assign...[MAP_STATE_REFERENCE_IN_MAX_ITEMS_PATH]`
    /// reads a variable assigned `"2"`).
    fn max_items(&self, n: &Number, scope: &Scope<'_>) -> Result<Option<usize>, Fault> {
        let value = match n {
            Number::Value(v) => *v,
            Number::Expression(e) => self.expression_number(e, scope, true)?,
            Number::Path(path, text) => {
                let value = path.get(scope);
                #[allow(clippy::cast_precision_loss)]
                let parsed = value.and_then(|v| match v {
                    Value::String(s) => s.trim().parse::<i64>().ok().map(|i| i as f64),
                    v => v.as_i64().map(|i| i as f64),
                });
                match parsed {
                    Some(v) => v,
                    None => {
                        let shown = value.map_or_else(|| "null".to_string(), Value::to_string);
                        return Err(runtime_error(format!(
                            "The MaxItemsPath field refers to value \"{shown}\" which is not a valid integer: {text}"
                        ))
                        .into());
                    }
                }
            }
        };
        if value < 0.0 {
            return Err(reader_error("field MaxItems must be positive"));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok((value >= 1.0).then(|| value.min(MAX_ITEMS_LIMIT) as usize))
    }

    /// Reads the items of an `ItemReader` from the virtual S3.
    pub(super) fn read_items(
        &self,
        reader: &ItemReader,
        at: &Location,
        scope: &Scope<'_>,
    ) -> Result<Vec<Value>, Fault> {
        let limit = match &reader.max_items {
            Some(n) => self.max_items(n, scope)?,
            None => None,
        };
        let limit = limit.unwrap_or(usize::MAX);
        if !self.bucket_exists(&at.bucket) {
            return Err(no_such(&at.bucket, None));
        }
        if reader.source == ReaderSource::ListObjectsV2 {
            let prefix = at.prefix.as_deref().unwrap_or("");
            let mut objects: Vec<S3Object> = self
                .cfg
                .s3
                .values()
                .filter(|o| o.bucket == at.bucket && o.key.starts_with(prefix))
                .cloned()
                .collect();
            for o in self.dmap.written.borrow().values() {
                if o.bucket == at.bucket && o.key.starts_with(prefix) {
                    objects.retain(|x| x.key != o.key);
                    objects.push(o.clone());
                }
            }
            objects.sort_by(|a, b| a.key.cmp(&b.key));
            return Ok(objects.iter().take(limit).map(S3Object::list_item).collect());
        }
        let Some(key) = at.key.as_deref() else {
            return Err(reader_error(
                "an s3:getObject ItemReader needs a 'Key' in its parameters",
            ));
        };
        let Some(object) = self.s3_object(&at.bucket, key) else {
            return Err(no_such(&at.bucket, Some(key)));
        };
        let body = object.body.as_str();
        match &reader.format {
            ReaderFormat::Json => match serde_json::from_str::<Value>(body) {
                Ok(Value::Array(items)) => Ok(items.into_iter().take(limit).collect()),
                // Conformance `...test_map_item_reader_json_no_json_list_object`.
                Ok(_) => Err(reader_error("Attempting to map over non-iterable node.")),
                Err(e) => Err(reader_error(format!(
                    "The object s3://{}/{key} is not valid JSON: {e}",
                    at.bucket
                ))),
            },
            ReaderFormat::Jsonl => {
                let mut items = Vec::new();
                for (n, line) in body.lines().enumerate() {
                    if items.len() == limit {
                        break;
                    }
                    if line.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Value>(line) {
                        Ok(v) => items.push(v),
                        Err(e) => {
                            return Err(reader_error(format!(
                                "Line {} of the object s3://{}/{key} is not valid JSON: {e}",
                                n + 1,
                                at.bucket
                            )));
                        }
                    }
                }
                Ok(items)
            }
            ReaderFormat::Csv { headers, delimiter } => csv_items(body, headers.as_deref(), *delimiter, limit)
                .map_err(|cause| reader_error(cause.replace("{object}", &format!("s3://{}/{key}", at.bucket)))),
            // `run_map` stops at these with a harness error before reading.
            ReaderFormat::Unsupported(what) => Err(reader_error(format!("{what} is not supported by sfn-test"))),
        }
    }

    /// Groups the (selected) items into batch inputs `{"Items": [...], "BatchInput": ...}`
    /// (AWS docs, "ItemBatcher (Map)"; the batch input sits under `BatchInput`, conformance
    /// `...test_map_item_batching_base_json_max_per_batch_jsonata`).
    pub(super) fn batch_items(
        &self,
        batcher: &ItemBatcher,
        items: Vec<Value>,
        scope: &Scope<'_>,
    ) -> Result<Vec<Value>, Fault> {
        let count = |n: &Option<Number>, field: &str| -> Result<Option<f64>, Fault> {
            match n {
                Some(n) => Ok(Some(self.number(n, scope, field, true)?)),
                None => Ok(None),
            }
        };
        let max_items = count(&batcher.max_items, "MaxItemsPerBatch")?.filter(|n| *n >= 1.0);
        let max_bytes = count(&batcher.max_bytes, "MaxInputBytesPerBatch")?.filter(|n| *n >= 1.0);
        if max_items.is_none() && max_bytes.is_none() {
            return Err(runtime_error(
                "The ItemBatcher needs a positive MaxItemsPerBatch or MaxInputBytesPerBatch".into(),
            )
            .into());
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let max_items = max_items.map_or(usize::MAX, |n| n as usize);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let max_bytes = max_bytes.map_or(usize::MAX, |n| n as usize);
        let mut rng = || self.next_random();
        let batch_input = match &batcher.batch_input {
            Arguments::None => None,
            Arguments::Payload(p) => Some(eval_payload(p, scope, &mut rng)?),
            Arguments::Template(t) => Some(self.eval_template(t, scope)?),
        };
        // `{"Items":[` + `]}`, and the commas between items.
        const WRAPPER: usize = 12;
        let mut batches: Vec<Vec<Value>> = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        let mut bytes = WRAPPER;
        for item in items {
            let size = serialized_len(&item) + 1;
            // An item larger than the byte limit still goes, alone in its batch.
            if !current.is_empty() && (current.len() >= max_items || bytes + size > max_bytes) {
                batches.push(std::mem::take(&mut current));
                bytes = WRAPPER;
            }
            bytes += size;
            current.push(item);
        }
        if !current.is_empty() {
            batches.push(current);
        }
        Ok(batches
            .into_iter()
            .map(|items| {
                let mut batch = Map::new();
                batch.insert("Items".into(), Value::Array(items));
                if let Some(bi) = &batch_input {
                    batch.insert("BatchInput".into(), bi.clone());
                }
                Value::Object(batch)
            })
            .collect())
    }

    /// The child executions' results as the `ResultWriter` gives them: written to the virtual
    /// S3 (the Map's result is then the Map Run ARN and the manifest's location), or, with
    /// `WriterConfig` alone, transformed into the Map's result.
    pub(super) fn write_results(
        &self,
        writer: &ResultWriter,
        at: Option<&Location>,
        run: &MapRun,
        records: &[ChildRecord],
    ) -> Value {
        let entries = |status: &str| -> Vec<Value> {
            let mut out = Vec::new();
            for (i, r) in records.iter().enumerate() {
                let (this, value) = match &r.outcome {
                    Some(Ok(v)) => ("SUCCEEDED", Some(v)),
                    Some(Err(_)) => ("FAILED", None),
                    None => ("PENDING", None),
                };
                if this != status {
                    continue;
                }
                match (writer.transformation, value) {
                    (Transformation::Compact, Some(v)) => out.push(v.clone()),
                    (Transformation::Flatten, Some(Value::Array(items))) => out.extend(items.iter().cloned()),
                    (Transformation::Flatten, Some(v)) => out.push(v.clone()),
                    // A failed child is given in full whatever the transformation (AWS docs,
                    // "ResultWriter (Map)", WriterConfig note).
                    _ => out.push(self.child_metadata(run, i, r)),
                }
            }
            out
        };
        let Some(at) = at.filter(|_| writer.to_s3) else {
            let mut all = entries("SUCCEEDED");
            all.extend(entries("FAILED"));
            return Value::Array(all);
        };
        let folder = match at.prefix.as_deref().map(|p| p.trim_end_matches('/')) {
            Some(p) if !p.is_empty() => format!("{p}/{}", run.id),
            _ => run.id.clone(),
        };
        let now = self.clock.now();
        let mut files = Map::new();
        for status in ["FAILED", "PENDING", "SUCCEEDED"] {
            let list = entries(status);
            let mut listed = Vec::new();
            if !list.is_empty() {
                let body = if writer.jsonl {
                    list.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
                } else {
                    Value::Array(list).to_string()
                };
                let key = format!("{folder}/{status}_0.json");
                listed.push(json!({ "Key": key, "Size": body.len() }));
                self.put(&at.bucket, &key, body, now);
            }
            files.insert(status.into(), Value::Array(listed));
        }
        let manifest_key = format!("{folder}/manifest.json");
        let manifest = json!({
            "DestinationBucket": at.bucket,
            "MapRunArn": run.arn,
            "ResultFiles": files,
        });
        self.put(&at.bucket, &manifest_key, manifest.to_string(), now);
        json!({
            "MapRunArn": run.arn,
            "ResultWriterDetails": { "Bucket": at.bucket, "Key": manifest_key },
        })
    }

    fn put(&self, bucket: &str, key: &str, body: String, now: Millis) {
        self.dmap.written.borrow_mut().insert(
            (bucket.to_string(), key.to_string()),
            S3Object {
                bucket: bucket.to_string(),
                key: key.to_string(),
                body,
                last_modified: now,
            },
        );
    }

    /// One child execution as a result file lists it (AWS docs, "ResultWriter (Map)",
    /// "Exporting to Amazon S3": the `DescribeExecution` fields, input and output as JSON text).
    fn child_metadata(&self, run: &MapRun, index: usize, r: &ChildRecord) -> Value {
        let name = derived_uuid(run.seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut m = Map::new();
        m.insert(
            "ExecutionArn".into(),
            json!(format!(
                "arn:aws:states:{}:{}:execution:{}:{name}",
                self.cfg.region, self.cfg.account, run.child_machine
            )),
        );
        m.insert("Input".into(), json!(r.input.to_string()));
        m.insert("InputDetails".into(), json!({ "Included": true }));
        m.insert("Name".into(), json!(name));
        let status = match &r.outcome {
            Some(Ok(output)) => {
                m.insert("Output".into(), json!(output.to_string()));
                m.insert("OutputDetails".into(), json!({ "Included": true }));
                m.insert("RedriveCount".into(), json!(0));
                m.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
                m.insert(
                    "RedriveStatusReason".into(),
                    json!("Execution is SUCCEEDED and cannot be redriven"),
                );
                "SUCCEEDED"
            }
            Some(Err(e)) => {
                if !e.error.is_empty() {
                    m.insert("Error".into(), json!(e.error));
                }
                if let Some(c) = &e.cause {
                    m.insert("Cause".into(), json!(c));
                }
                m.insert("RedriveCount".into(), json!(0));
                m.insert("RedriveStatus".into(), json!("REDRIVABLE_BY_MAP_RUN"));
                "FAILED"
            }
            None => "PENDING",
        };
        if r.outcome.is_some() {
            m.insert("StartDate".into(), json!(format_timestamp(r.start)));
            m.insert("StopDate".into(), json!(format_timestamp(r.stop)));
        }
        m.insert(
            "StateMachineArn".into(),
            json!(format!(
                "arn:aws:states:{}:{}:stateMachine:{}",
                self.cfg.region, self.cfg.account, run.child_machine
            )),
        );
        m.insert("Status".into(), json!(status));
        Value::Object(m)
    }
}

/// The items of a CSV object: one object per data row, keyed by the headers (AWS docs,
/// "ItemReader (Map)", CSV files). As recorded (conformance
/// `...test_map_item_reader_base_csv_headers_first_line`, `...csv_first_row_extra_fields`):
/// values stay text, a short row gets `""` for its missing fields, fields beyond the headers
/// are dropped, empty lines are skipped; duplicate headers fail the Map Run
/// (`...csv_headers_decl_duplicate_headers`). `{object}` in an error stands for the object.
fn csv_items(body: &str, given: Option<&[String]>, delimiter: char, limit: usize) -> Result<Vec<Value>, String> {
    // A UTF-8 byte order mark (spreadsheet exports write one) is not part of the first header.
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut rows = csv_rows(body, delimiter)?.into_iter();
    let headers: Vec<String> = match given {
        Some(h) => h.to_vec(),
        None => match rows.next() {
            Some(first) => first,
            None => return Ok(Vec::new()),
        },
    };
    let mut seen = HashSet::new();
    if !headers.iter().all(|h| seen.insert(h.as_str())) {
        return Err("CSV headers cannot contain duplicates.".into());
    }
    Ok(rows
        .take(limit)
        .map(|row| {
            let mut item = Map::new();
            for (i, h) in headers.iter().enumerate() {
                item.insert(h.clone(), Value::String(row.get(i).cloned().unwrap_or_default()));
            }
            Value::Object(item)
        })
        .collect())
}

/// Splits CSV text into rows of fields (RFC 4180: fields may be double-quoted, `""` inside
/// quotes is one quote, quoted fields may hold delimiters and line breaks). Lines with nothing
/// on them are no rows.
fn csv_rows(body: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = body.chars().peekable();
    let mut end_row = |row: &mut Vec<String>, field: &mut String, was_quoted: &mut bool| {
        row.push(std::mem::take(field));
        let blank = row.len() == 1 && row[0].is_empty() && !*was_quoted;
        *was_quoted = false;
        let done = std::mem::take(row);
        if !blank {
            rows.push(done);
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.is_empty() && !was_quoted {
            quoted = true;
            was_quoted = true;
        } else if c == delimiter {
            row.push(std::mem::take(&mut field));
            was_quoted = false;
        } else if c == '\n' {
            end_row(&mut row, &mut field, &mut was_quoted);
        } else if c == '\r' && chars.peek() == Some(&'\n') {
            chars.next();
            end_row(&mut row, &mut field, &mut was_quoted);
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err("The CSV object {object} has a quoted field that never ends".into());
    }
    if !row.is_empty() || !field.is_empty() || was_quoted {
        end_row(&mut row, &mut field, &mut was_quoted);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_follow_rfc_4180() {
        let rows = csv_rows("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\nx,\"multi\nline\"\n", ',').expect("parses");
        assert_eq!(
            rows,
            vec![
                vec!["a".to_string(), "b,c".into(), "say \"hi\"".into()],
                vec!["x".to_string(), "multi\nline".into()],
            ]
        );
        assert!(csv_rows("a,\"open", ',').is_err());
        assert_eq!(
            csv_rows("a|b", '|').expect("parses"),
            vec![vec!["a".to_string(), "b".into()]]
        );
    }

    #[test]
    fn derived_uuids_are_version_4_and_stable() {
        let a = derived_uuid(7);
        assert_eq!(a, derived_uuid(7));
        assert_ne!(a, derived_uuid(8));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}
