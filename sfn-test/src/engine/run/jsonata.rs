//! The JSONata input/output chain: `Arguments` and `Output` instead of the five JSONPath
//! fields, `Assign` with `{% ... %}` values, Choice `Condition`s, Map `Items`, and numbers
//! given as expressions. Every failure is `States.QueryEvaluationError` with AWS's cause
//! (AWS docs, "Transforming data with JSONata in Step Functions").

use serde_json::Value;

use super::{Fault, Frame, Key, Run, raw_text};
use crate::asl::jsonata::{Environment, Expression, Template};
use crate::asl::model::{Choice, Jsonata, State, StateKind};
use crate::asl::path::PathScope;
use crate::clock::Millis;
use crate::engine::data::{Scope, StateError};
use crate::json::type_name;

/// The error of every JSONata evaluation failure.
pub(super) const QUERY_ERROR: &str = "States.QueryEvaluationError";

fn query_error(cause: String) -> Fault {
    Fault::Failed(StateError::new(QUERY_ERROR, cause))
}

/// `$states` and the variables, over a state's scope.
struct States<'e, 'a> {
    run: &'e Run<'a>,
    scope: &'e Scope<'e>,
    result: Option<&'e Value>,
    error_output: Option<&'e Value>,
}

impl Environment for States<'_, '_> {
    fn input(&self) -> &Value {
        self.scope.input
    }

    fn result(&self) -> Option<&Value> {
        self.result
    }

    fn error_output(&self) -> Option<&Value> {
        self.error_output
    }

    fn context(&self) -> Value {
        PathScope::context(self.scope).clone()
    }

    fn variable(&self, name: &str) -> Option<&Value> {
        self.scope.variable(name)
    }

    fn now_millis(&self) -> i64 {
        self.run.clock.now()
    }

    fn random(&self) -> u64 {
        self.run.next_random()
    }
}

impl<'a> Run<'a> {
    /// The `EvaluationFailed` event AWS records before the failure: error, cause, the field,
    /// the state. When the state had done nothing else yet, AWS links it to the event before
    /// the state was entered (a Wait state: to its entered event), and a Map state then also
    /// records `MapStateFailed` (histories of conformance `assign...test_undefined_reference[*]`,
    /// `scenarios...test_map_state_items_eval_jsonata_fail[*]`, `...test_wait_timestamp_jsonata[*]`).
    pub(super) fn evaluation_failed(
        &self,
        state: &State,
        error: &StateError,
        frame: &Frame<'_>,
        (before, entered): (u64, u64),
    ) {
        let untouched = frame.last_event.get() == entered;
        if untouched && !matches!(state.kind, StateKind::Wait(_)) {
            frame.last_event.set(before);
        }
        let cause = error.cause.clone().unwrap_or_default();
        let mut details = serde_json::Map::new();
        details.insert("cause".into(), Value::String(cause.clone()));
        details.insert("error".into(), Value::String(error.error.clone()));
        if let Some(location) = location(&cause) {
            details.insert("location".into(), Value::String(location.to_string()));
        }
        details.insert("state".into(), Value::String(String::from(&*state.name)));
        self.event(frame, "EvaluationFailed", || {
            Some((Key::EvaluationFailed, Value::Object(details)))
        });
        if untouched && matches!(state.kind, StateKind::Map(_)) {
            let failed = super::error_details(error);
            self.event(frame, "MapStateFailed", || Some((Key::MapStateFailed, failed)));
        }
    }

    fn states<'e>(
        &'e self,
        scope: &'e Scope<'e>,
        result: Option<&'e Value>,
        error_output: Option<&'e Value>,
    ) -> States<'e, 'a> {
        States {
            run: self,
            scope,
            result,
            error_output,
        }
    }

    /// Evaluates a template over `$states.input` (the scope's input) and the variables.
    pub(super) fn eval_template(&self, template: &Template, scope: &Scope<'_>) -> Result<Value, Fault> {
        template.evaluate(&self.states(scope, None, None)).map_err(query_error)
    }

    pub(super) fn eval_expression(&self, expression: &Expression, scope: &Scope<'_>) -> Result<Value, Fault> {
        expression
            .evaluate(&self.states(scope, None, None))
            .map_err(|f| query_error(expression.cause(&f)))
    }

    /// `Arguments` (Task, Parallel): the state input when absent.
    pub(super) fn jsonata_arguments(&self, io: &Jsonata, scope: &Scope<'_>) -> Result<Value, Fault> {
        match &io.arguments {
            Some(t) => self.eval_template(t, scope),
            None => Ok(scope.input.clone()),
        }
    }

    /// `Assign` and `Output` of a JSONata state or catcher. Both see the same `$states` and
    /// the variables as they were when the state was entered; the assignments apply after
    /// (AWS docs, "Passing data between states with variables"). Without `Output` the state
    /// passes on `$states.errorOutput` (a catcher), `$states.result` (Task, Parallel, Map) or
    /// its input.
    pub(super) fn jsonata_finish(
        &self,
        state: &State,
        io: &Jsonata,
        scope: &Scope<'_>,
        result: Option<Value>,
        error_output: Option<Value>,
        frame: &Frame<'_>,
    ) -> Result<Value, Fault> {
        self.finish_fields(
            state,
            io.assign.as_ref(),
            io.output.as_ref(),
            scope,
            (result, error_output),
            frame,
        )
    }

    fn finish_fields(
        &self,
        state: &State,
        assign: Option<&Template>,
        output: Option<&Template>,
        scope: &Scope<'_>,
        (result, error_output): (Option<Value>, Option<Value>),
        frame: &Frame<'_>,
    ) -> Result<Value, Fault> {
        let env = self.states(scope, result.as_ref(), error_output.as_ref());
        let assigned = match assign {
            Some(t) => Some(t.evaluate(&env).map_err(query_error)?),
            None => None,
        };
        // An `Output` failure is not retried or caught: AWS evaluates `Output` after the
        // state's Retry/Catch handling, `Assign` within it (LocalStack, whose JSONata tests
        // are validated against AWS, does the same).
        let output = match output {
            Some(t) => Some(
                t.evaluate(&env)
                    .map_err(|cause| Fault::Uncaught(StateError::new(QUERY_ERROR, cause)))?,
            ),
            None => None,
        };
        if let Some(Value::Object(updates)) = assigned {
            self.store_variables(state, frame, updates);
        }
        Ok(match output {
            Some(v) => v,
            None => error_output.or(result).unwrap_or_else(|| scope.input.clone()),
        })
    }

    fn store_variables(&self, state: &State, frame: &Frame<'_>, updates: serde_json::Map<String, Value>) {
        let mut vars = frame.variables.borrow_mut();
        let map = std::rc::Rc::make_mut(&mut vars);
        for (k, v) in updates {
            map.insert(k, v);
        }
        self.variables_at
            .borrow_mut()
            .get_or_insert_default()
            .insert(String::from(&*state.name), map.clone());
    }

    /// A JSONata Choice state: the first rule whose `Condition` is true, with its `Assign`
    /// and `Output` (falling back to the state's); `Default` takes the state's.
    pub(super) fn jsonata_choice(
        &self,
        state: &State,
        choice: &Choice,
        io: &Jsonata,
        scope: &Scope<'_>,
        frame: &Frame<'_>,
    ) -> Result<(Value, Option<usize>), Fault> {
        for (i, rule) in choice.rules.iter().enumerate() {
            let value = self.eval_template(&rule.condition, scope)?;
            let taken = match (&value, rule.condition.expression()) {
                (Value::Bool(b), _) => *b,
                (other, Some(e)) => return Err(query_error(e.type_cause("boolean", other))),
                (other, None) => {
                    return Err(query_error(format!(
                        "The Condition field must be a boolean, found {}",
                        type_name(other)
                    )));
                }
            };
            if taken {
                self.rare_visits()
                    .choice_rules
                    .insert((String::from(&*state.pointer), i));
                // A rule's own Assign and Output take the place of the state's (conformance
                // `outputdecl.test_output...test_output_in_choice[*]`).
                let output = self.finish_fields(
                    state,
                    rule.io.assign.as_ref().or(io.assign.as_ref()),
                    rule.io.output.as_ref().or(io.output.as_ref()),
                    scope,
                    (None, None),
                    frame,
                )?;
                return Ok((output, Some(rule.next)));
            }
        }
        let Some(default) = choice.default else {
            return Err(StateError::new(
                "States.NoChoiceMatched",
                format!("No Matches! at state '{}'", state.name),
            )
            .into());
        };
        self.rare_visits()
            .choice_rules
            .insert((String::from(&*state.pointer), usize::MAX));
        let output = self.jsonata_finish(state, io, scope, None, None, frame)?;
        Ok((output, Some(default)))
    }

    /// When a Wait state given `Seconds` or `Timestamp` as an expression ends (conformance
    /// `scenarios...test_wait_timestamp_jsonata[*]`, `...test_wait_seconds_jsonata`).
    pub(super) fn expression_due(
        &self,
        timestamp: bool,
        expression: &Expression,
        scope: &Scope<'_>,
        entered: Millis,
    ) -> Result<Millis, Fault> {
        let value = self.eval_expression(expression, scope)?;
        if timestamp {
            return value.as_str().and_then(crate::clock::parse_timestamp).ok_or_else(|| {
                query_error(format!(
                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                    raw_text(&value)
                ))
            });
        }
        let seconds = whole_number(expression, &value)?;
        match u64::try_from(seconds) {
            Ok(s) => Ok(entered.saturating_add(super::seconds_ms(s))),
            Err(_) => Err(query_error(format!(
                "The Seconds field must be a non-negative integer, but was: {seconds}"
            ))),
        }
    }

    /// `TimeoutSeconds` / `HeartbeatSeconds` given as an expression: a positive integer.
    pub(super) fn expression_seconds(&self, expression: &Expression, scope: &Scope<'_>) -> Result<u64, Fault> {
        let value = self.eval_expression(expression, scope)?;
        let n = whole_number(expression, &value)?;
        match u64::try_from(n) {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(query_error(format!(
                "The {} field must be a positive integer, but was: {n}",
                expression.field()
            ))),
        }
    }

    /// `MaxConcurrency` / `ToleratedFailure*` given as an expression.
    pub(super) fn expression_number(
        &self,
        expression: &Expression,
        scope: &Scope<'_>,
        integer: bool,
    ) -> Result<f64, Fault> {
        let value = self.eval_expression(expression, scope)?;
        let number = if integer {
            #[allow(clippy::cast_precision_loss)]
            value.as_i64().map(|i| i as f64)
        } else {
            value.as_f64()
        };
        number.ok_or_else(|| query_error(expression.type_cause(if integer { "integer" } else { "number" }, &value)))
    }

    /// A JSONata Map state's items: `Items`, or the state input, which must be an array
    /// (conformance `scenarios...test_map_state_items_*`).
    pub(super) fn jsonata_items(&self, io: &Jsonata, scope: &Scope<'_>) -> Result<Vec<Value>, Fault> {
        let Some(template) = &io.items else {
            return match scope.input {
                Value::Array(items) => Ok(items.clone()),
                other => Err(query_error(format!(
                    "Map state input must be an array but was: {}",
                    serde_json::to_string(other).unwrap_or_default()
                ))),
            };
        };
        match (self.eval_template(template, scope)?, template.expression()) {
            (Value::Array(items), _) => Ok(items),
            (other, Some(e)) => Err(query_error(e.type_cause("array", &other))),
            (other, None) => Err(query_error(format!(
                "The Items field must be an array, but was '{}' for value: {}",
                type_name(&other),
                serde_json::to_string(&other).unwrap_or_default()
            ))),
        }
    }
}

/// A number field's value: a JSON number that is a whole number.
fn whole_number(expression: &Expression, value: &Value) -> Result<i64, Fault> {
    if !value.is_number() {
        return Err(query_error(expression.type_cause("number", value)));
    }
    value.as_i64().ok_or_else(|| {
        query_error(format!(
            "The {} field cannot be parsed as an integer: {}",
            expression.field(),
            raw_text(value)
        ))
    })
}

/// The field a query error's cause names: "... specified for the field 'Output/x' ..." or
/// "The Timestamp field ..."; none for "Map state input must be an array ...".
fn location(cause: &str) -> Option<&str> {
    const FIELD: &str = "specified for the field '";
    if let Some(at) = cause.find(FIELD) {
        let rest = &cause[at + FIELD.len()..];
        return rest.split('\'').next();
    }
    let body = cause.split_once("). ").map_or(cause, |(_, b)| b);
    body.strip_prefix("The ")
        .and_then(|r| r.split_once(" field "))
        .map(|(field, _)| field)
}
