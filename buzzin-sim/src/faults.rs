//! Fault rules: which API requests get an injected [`Fault`] (by operation id or path, for the
//! next N matching calls or with a probability), kept in the order they were added. No HTTP
//! here: the gatekeeper (`server`) asks [`FaultRules::fire`] for each API request.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::log::Fault;

/// What a [`FaultRule`] matches: one operation of the spec, or a path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultTarget {
    /// The spec's `operationId`, such as `getPermit` or `createPermit`.
    Operation(String),
    /// A path: exact (`/permits/5f1d…`), or with `{…}` or `*` for any one segment
    /// (`/permits/{id}`); any method.
    Path(String),
}

/// A rule that injects a [`Fault`] into the API requests it matches (see
/// [`Simulator::add_fault_rule`](crate::Simulator::add_fault_rule)), or over HTTP
/// `POST /_simulator/faults`.
///
/// ```
/// use std::time::Duration;
/// use buzzin_sim::{Fault, FaultRule};
///
/// // The next 2 `GET /permits/{id}` answer 503.
/// let rule = FaultRule::operation("getPermit", Fault::Status(503)).times(2);
/// // One `POST /permits` in ten has its connection reset.
/// let flaky = FaultRule::path("/permits", Fault::Reset).probability(0.1);
/// // Every event-log page is 2 s late.
/// let slow = FaultRule::operation("listEvents", Fault::Delay(Duration::from_secs(2)));
/// # let _ = (rule, flaky, slow);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// What the rule matches.
    pub target: FaultTarget,
    /// What a matched request gets.
    pub fault: Fault,
    /// How many more matching requests the rule applies to (`None`: every one); the rule is
    /// removed when this reaches 0.
    pub remaining: Option<u64>,
    /// The chance, in `(0, 1]`, that the rule applies to a matching request (`1` by default).
    pub probability: f64,
}

impl FaultRule {
    /// A rule for every request of the operation `operation_id` (the spec's `operationId`).
    pub fn operation(operation_id: impl Into<String>, fault: Fault) -> Self {
        Self::new(FaultTarget::Operation(operation_id.into()), fault)
    }

    /// A rule for every request to `path` (exact, or with `{…}`/`*` segments), any method.
    pub fn path(path: impl Into<String>, fault: Fault) -> Self {
        Self::new(FaultTarget::Path(path.into()), fault)
    }

    fn new(target: FaultTarget, fault: Fault) -> Self {
        FaultRule {
            target,
            fault,
            remaining: None,
            probability: 1.0,
        }
    }

    /// Applies to the next `count` matching requests only.
    pub fn times(mut self, count: u64) -> Self {
        self.remaining = Some(count);
        self
    }

    /// Applies to a matching request with this chance (clamped to `[0, 1]`).
    pub fn probability(mut self, chance: f64) -> Self {
        self.probability = if chance.is_nan() {
            0.0
        } else {
            chance.clamp(0.0, 1.0)
        };
        self
    }

    fn matches(&self, operation: Option<&str>, path: &str) -> bool {
        match &self.target {
            FaultTarget::Operation(id) => operation == Some(id.as_str()),
            FaultTarget::Path(pattern) => path_matches(pattern, path),
        }
    }
}

/// Whether `path` fits `pattern`, segment by segment (`{…}` or `*` fits any one segment).
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.trim_end_matches('/').split('/');
    let mut got = path.trim_end_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) => {
                let any = w == "*" || (w.starts_with('{') && w.ends_with('}'));
                let fits = if any { !g.is_empty() } else { w == g };
                if !fits {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// A fault rule as listed (`GET /_simulator/faults`): its id, what it matches and does, and
/// how often it fired.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FaultRuleEntry {
    /// The id to remove it by ([`Simulator::remove_fault_rule`](crate::Simulator::remove_fault_rule),
    /// `DELETE /_simulator/faults/{id}`).
    pub id: u64,
    /// The rule, its `remaining` count as it is now.
    pub rule: FaultRule,
    /// How many requests it has faulted.
    pub fired: u64,
}

impl FaultRuleEntry {
    /// The JSON of the listing: the shape `POST /_simulator/faults` takes, with `id`,
    /// `remaining` and `fired`.
    pub(crate) fn to_json(&self) -> Value {
        let mut shown = RuleBody::from_rule(&self.rule);
        shown.times = None;
        let mut value = serde_json::to_value(shown).expect("rules serialize");
        value["id"] = json!(self.id);
        value["remaining"] = json!(self.rule.remaining);
        value["fired"] = json!(self.fired);
        value
    }
}

/// The fault rules of one simulator, in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct FaultRules {
    entries: Vec<FaultRuleEntry>,
    next_id: u64,
}

/// The most fault rules a simulator holds at once: 100.
pub const MAX_FAULT_RULES: usize = 100;

/// The longest path a fault rule may name: 512 bytes.
pub const MAX_FAULT_PATH: usize = 512;

impl FaultRules {
    /// Adds a rule and returns its id; refuses one over [`MAX_FAULT_RULES`] or whose path is
    /// longer than [`MAX_FAULT_PATH`] (the reason given).
    pub fn add(&mut self, rule: FaultRule) -> Result<u64, String> {
        if let FaultTarget::Path(path) = &rule.target
            && path.len() > MAX_FAULT_PATH
        {
            return Err(format!(
                "a fault rule's `path` is at most {MAX_FAULT_PATH} bytes, not {}",
                path.len()
            ));
        }
        if self.entries.len() >= MAX_FAULT_RULES {
            return Err(format!(
                "a simulator holds at most {MAX_FAULT_RULES} fault rules: remove one first"
            ));
        }
        self.next_id += 1;
        self.entries.push(FaultRuleEntry {
            id: self.next_id,
            rule,
            fired: 0,
        });
        Ok(self.next_id)
    }

    /// Removes a rule; `false` when no rule has that id.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.id != id);
        self.entries.len() != before
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The rules, oldest first.
    pub fn list(&self) -> Vec<FaultRuleEntry> {
        self.entries.clone()
    }

    /// The fault of the first rule that matches this request and fires (its count used), if
    /// any. Cheap when there are no rules.
    pub fn fire(&mut self, operation: Option<&str>, path: &str) -> Option<Fault> {
        let at = self.entries.iter().position(|e| {
            e.rule.matches(operation, path)
                && (e.rule.probability >= 1.0 || fastrand::f64() < e.rule.probability)
        })?;
        let entry = &mut self.entries[at];
        entry.fired += 1;
        let fault = entry.rule.fault.clone();
        if let Some(remaining) = &mut entry.rule.remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.entries.remove(at);
            }
        }
        Some(fault)
    }
}

/// The longest delay a rule may ask for over HTTP: 10 minutes.
const MAX_DELAY_MS: u64 = 600_000;

/// The body of `POST /_simulator/faults`: exactly one of `operation` and `path`; exactly one of
/// `status`, `delayMs` and `reset`; optionally `times` and `probability`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RuleBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reset: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    probability: Option<f64>,
}

impl RuleBody {
    fn from_rule(rule: &FaultRule) -> Self {
        let mut body = RuleBody::default();
        match &rule.target {
            FaultTarget::Operation(id) => body.operation = Some(id.clone()),
            FaultTarget::Path(path) => body.path = Some(path.clone()),
        }
        match &rule.fault {
            Fault::Status(status) => body.status = Some(*status),
            Fault::ServerError | Fault::ServerErrorAfterEffect => body.status = Some(500),
            Fault::TooManyRequests { .. } => body.status = Some(429),
            Fault::Delay(delay) => {
                body.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
            }
            Fault::Reset => body.reset = Some(true),
        }
        body.times = rule.remaining;
        body.probability = Some(rule.probability);
        body
    }

    /// The rule this body describes, checked: `operations` are the spec's operation ids.
    pub fn into_rule(self, operations: &[&str]) -> Result<FaultRule, String> {
        let target = match (self.operation, self.path) {
            (Some(id), None) => {
                if !operations.contains(&id.as_str()) {
                    return Err(format!(
                        "`operation` must be an operation id of the spec ({}), not `{id}`",
                        operations.join(", ")
                    ));
                }
                FaultTarget::Operation(id)
            }
            (None, Some(path)) if path.starts_with('/') => FaultTarget::Path(path),
            (None, Some(path)) => {
                return Err(format!("`path` must start with `/`, not `{path}`"));
            }
            _ => return Err("give exactly one of `operation` and `path`".to_owned()),
        };
        let fault = match (self.status, self.delay_ms, self.reset) {
            (Some(status), None, None) if (400..=599).contains(&status) => Fault::Status(status),
            (Some(status), None, None) => {
                return Err(format!("`status` must be from 400 to 599, not {status}"));
            }
            (None, Some(ms), None) if ms <= MAX_DELAY_MS => Fault::Delay(Duration::from_millis(ms)),
            (None, Some(ms), None) => {
                return Err(format!(
                    "`delayMs` must be at most {MAX_DELAY_MS} (10 minutes), not {ms}"
                ));
            }
            (None, None, Some(true)) => Fault::Reset,
            _ => {
                return Err(
                    "give exactly one of `status` (400-599), `delayMs` and `reset: true`"
                        .to_owned(),
                )
            }
        };
        let mut rule = FaultRule::new(target, fault);
        match self.times {
            Some(0) => return Err("`times` must be at least 1".to_owned()),
            Some(n) => rule = rule.times(n),
            None => {}
        }
        match self.probability {
            Some(p) if p > 0.0 && p <= 1.0 => rule = rule.probability(p),
            Some(p) => {
                return Err(format!(
                    "`probability` must be above 0 and at most 1, not {p}"
                ))
            }
            None => {}
        }
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_segment_by_segment() {
        assert!(path_matches("/permits/{id}", "/permits/abc"));
        assert!(path_matches("/permits/*", "/permits/abc"));
        assert!(path_matches("/permits", "/permits"));
        assert!(path_matches("/permits", "/permits/"));
        assert!(!path_matches("/permits/{id}", "/permits"));
        assert!(!path_matches("/permits/{id}", "/permits/"));
        assert!(!path_matches("/permits", "/permits/abc"));
        assert!(!path_matches("/passes/{id}", "/permits/abc"));
    }

    #[test]
    fn a_counted_rule_fires_that_many_times_then_goes() {
        let mut rules = FaultRules::default();
        let id = rules
            .add(FaultRule::operation("getPermit", Fault::Status(503)).times(2))
            .unwrap();
        assert_eq!(rules.fire(Some("createPermit"), "/permits"), None);
        assert_eq!(
            rules.fire(Some("getPermit"), "/permits/x"),
            Some(Fault::Status(503))
        );
        assert_eq!(rules.list()[0].rule.remaining, Some(1));
        assert_eq!(rules.list()[0].fired, 1);
        assert!(rules.fire(Some("getPermit"), "/permits/x").is_some());
        assert!(rules.list().is_empty());
        assert_eq!(rules.fire(Some("getPermit"), "/permits/x"), None);
        assert!(!rules.remove(id));
    }

    #[test]
    fn a_rule_body_is_checked() {
        let ops = ["getPermit", "createPermit"];
        let parse = |v: Value| {
            serde_json::from_value::<RuleBody>(v)
                .map_err(|e| e.to_string())
                .and_then(|b| b.into_rule(&ops))
        };
        assert_eq!(
            parse(json!({"operation": "getPermit", "status": 503, "times": 1})).unwrap(),
            FaultRule::operation("getPermit", Fault::Status(503)).times(1)
        );
        for bad in [
            json!({"operation": "nope", "status": 503}),
            json!({"operation": "getPermit", "path": "/x", "status": 503}),
            json!({"path": "x", "status": 503}),
            json!({"operation": "getPermit"}),
            json!({"operation": "getPermit", "status": 200}),
            json!({"operation": "getPermit", "status": 503, "reset": true}),
            json!({"operation": "getPermit", "reset": false}),
            json!({"operation": "getPermit", "status": 503, "times": 0}),
            json!({"operation": "getPermit", "status": 503, "probability": 0}),
            json!({"operation": "getPermit", "status": 503, "probability": 1.5}),
            json!({"operation": "getPermit", "delayMs": 600_001}),
            json!({"operation": "getPermit", "status": 503, "colour": "red"}),
            json!({"operation": "getPermit", "status": "503"}),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
    }
}
