//! Coverage reports: a text summary with what was never visited, JSON for tools, and lcov
//! (states as lines, Choice rules as branches of the ASL file) for editors and Codecov.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::record::{Coverage, DEFAULT_RULE};

/// Covered and total counts of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// How many were visited.
    pub covered: usize,
    /// How many there are.
    pub total: usize,
}

impl Totals {
    /// The covered share in percent (100 when there is nothing to cover).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }

    fn of<T: Ord>(all: &std::collections::BTreeSet<T>, visited: &std::collections::BTreeSet<T>) -> Totals {
        Totals {
            covered: all.iter().filter(|x| visited.contains(x)).count(),
            total: all.len(),
        }
    }
}

impl Coverage {
    /// States entered of all states.
    pub fn state_totals(&self) -> Totals {
        Totals {
            covered: self.states.keys().filter(|p| self.visited.states.contains(*p)).count(),
            total: self.states.len(),
        }
    }

    /// Transitions taken of all transitions.
    pub fn transition_totals(&self) -> Totals {
        Totals::of(&self.transitions, &self.visited.transitions)
    }

    /// Choice rules taken of all rules.
    pub fn choice_rule_totals(&self) -> Totals {
        Totals::of(&self.choice_rules, &self.visited.choice_rules)
    }

    /// SAM events that started an execution, of all the state machine's events.
    pub fn trigger_totals(&self) -> Totals {
        Totals::of(&self.triggers, &self.visited.triggers)
    }

    /// Names of the states never entered, in pointer order.
    pub fn unvisited_states(&self) -> Vec<&str> {
        self.states
            .iter()
            .filter(|(p, _)| !self.visited.states.contains(*p))
            .map(|(_, n)| n.as_str())
            .collect()
    }

    fn rule_label(&self, pointer: &str, rule: usize) -> String {
        let state = self.state_name(pointer);
        if rule == DEFAULT_RULE {
            format!("{state}: Default")
        } else {
            format!("{state}: rule {}", rule + 1)
        }
    }

    /// The text report: the totals, then what was never visited.
    pub fn text(&self) -> String {
        let (s, t, c) = (self.state_totals(), self.transition_totals(), self.choice_rule_totals());
        let mut out = format!(
            "{} ({}): states {}/{} ({:.1}%)  transitions {}/{}  choice rules {}/{}  [{} executions]\n",
            self.name,
            self.source,
            s.covered,
            s.total,
            s.percent(),
            t.covered,
            t.total,
            c.covered,
            c.total,
            self.executions
        );
        if !self.triggers.is_empty() {
            let tr = self.trigger_totals();
            // Inserted before the closing `[N executions]` so one line still sums it all up.
            let at = out.rfind("  [").unwrap_or(out.len());
            out.insert_str(at, &format!("  triggers {}/{}", tr.covered, tr.total));
            let never: Vec<&str> = self
                .triggers
                .iter()
                .filter(|t| !self.visited.triggers.contains(*t))
                .map(String::as_str)
                .collect();
            if !never.is_empty() {
                let _ = writeln!(out, "  never triggered: {}", never.join(", "));
            }
        }
        let unvisited = self.unvisited_states();
        if !unvisited.is_empty() {
            let _ = writeln!(out, "  never entered: {}", unvisited.join(", "));
        }
        let untaken: Vec<String> = self
            .transitions
            .iter()
            .filter(|x| !self.visited.transitions.contains(*x))
            .map(|(a, b)| format!("{} → {}", self.state_name(a), self.state_name(b)))
            .collect();
        if !untaken.is_empty() {
            let _ = writeln!(out, "  never taken: {}", untaken.join(", "));
        }
        let rules: Vec<String> = self
            .choice_rules
            .iter()
            .filter(|x| !self.visited.choice_rules.contains(*x))
            .map(|(p, r)| self.rule_label(p, *r))
            .collect();
        if !rules.is_empty() {
            let _ = writeln!(out, "  choice rules never taken: {}", rules.join(", "));
        }
        out
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        let totals = |t: Totals| json!({ "covered": t.covered, "total": t.total, "percent": t.percent() });
        json!({
            "name": self.name,
            "source": self.source,
            "executions": self.executions,
            "states": totals(self.state_totals()),
            "transitions": totals(self.transition_totals()),
            "choice_rules": totals(self.choice_rule_totals()),
            "triggers": totals(self.trigger_totals()),
            "unvisited_states": self.unvisited_states(),
        })
    }

    /// The lcov record, when the definition is a file whose lines can be found: each state is a
    /// line (hit when entered), each Choice rule a branch of its Choice state's line.
    pub fn lcov(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.source).ok()?;
        let line = |pointer: &str| crate::asl::line_of(&text, pointer);
        let mut out = format!("TN:{}\nSF:{}\n", self.name, self.source);
        let (mut found, mut hit) = (0, 0);
        for pointer in self.states.keys() {
            let Some(l) = line(pointer) else { continue };
            let visited = self.visited.states.contains(pointer);
            found += 1;
            hit += usize::from(visited);
            let _ = writeln!(out, "DA:{l},{}", usize::from(visited));
        }
        let (mut branches, mut taken) = (0, 0);
        for (pointer, rule) in &self.choice_rules {
            let Some(l) = line(pointer) else { continue };
            let was_taken = self.visited.choice_rules.contains(&(pointer.clone(), *rule));
            let entered = self.visited.states.contains(pointer);
            branches += 1;
            taken += usize::from(was_taken);
            let count = if was_taken {
                "1"
            } else if entered {
                "0"
            } else {
                "-"
            };
            let index = if *rule == DEFAULT_RULE {
                self.choice_rules.iter().filter(|(p, _)| p == pointer).count() - 1
            } else {
                *rule
            };
            let _ = writeln!(out, "BRDA:{l},0,{index},{count}");
        }
        let _ = write!(
            out,
            "BRF:{branches}\nBRH:{taken}\nLF:{found}\nLH:{hit}\nend_of_record\n"
        );
        Some(out)
    }
}
