//! The rules a snapshot must keep before it replaces the records: every record has a
//! well-formed id, no id is taken twice, references exist, `nextId` is above every minted id,
//! statuses are known and access codes unique. The first broken rule is named.

use std::collections::HashSet;

use super::{Refused, Snapshot};
use crate::seed::Seed;
use crate::status;

/// The prefix of the ids the simulator mints (`5f1d` and the counter, in hex).
const MINTED: &str = "5f1d";

/// Whether an id is well formed: 24 hexadecimal digits, as Buzz-In's are.
fn well_formed(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks one list of ids: each present, well formed, new, and below `nextId` when minted.
struct Ids<'s> {
    kind: &'static str,
    seen: HashSet<&'s str>,
    next_id: u64,
}

impl<'s> Ids<'s> {
    fn new(kind: &'static str, next_id: u64) -> Self {
        Ids {
            kind,
            seen: HashSet::new(),
            next_id,
        }
    }

    fn take(&mut self, at: usize, id: Option<&'s str>) -> Result<(), Refused> {
        let kind = self.kind;
        let Some(id) = id else {
            return Err(Refused(format!("{kind} {at} has no `_id`")));
        };
        if !well_formed(id) {
            return Err(Refused(format!(
                "{kind} {at} has the id `{}`, not 24 hexadecimal digits",
                id.chars().take(40).collect::<String>()
            )));
        }
        if !self.seen.insert(id) {
            return Err(Refused(format!("the {kind} id {id} is taken twice")));
        }
        if let Some(n) = id
            .strip_prefix(MINTED)
            .and_then(|n| u64::from_str_radix(n, 16).ok())
            && n >= self.next_id
        {
            return Err(Refused(format!(
                "`nextId` is {}, not above the {kind} id {id} (minted as {n})",
                self.next_id
            )));
        }
        Ok(())
    }
}

/// The first rule `snapshot` breaks, if any, for a simulator of `seed`.
pub(crate) fn check(snapshot: &Snapshot, seed: &Seed) -> Result<(), Refused> {
    let next_id = snapshot.next_id;
    let mut contractors = Ids::new("contractor", next_id);
    for (at, rec) in snapshot.contractors.iter().enumerate() {
        contractors.take(at, rec.record.id.as_ref().map(|id| id.as_str()))?;
    }
    let mut permits = Ids::new("permit", next_id);
    let mut codes = HashSet::new();
    let mut salesforce = HashSet::new();
    for (at, permit) in snapshot.permits.iter().enumerate() {
        let id = permit.id.as_str();
        permits.take(at, Some(id))?;
        if !contractors.seen.contains(permit.contractor_id.as_str()) {
            return Err(Refused(format!(
                "the permit {id} names the contractor {}, which the state does not hold",
                permit.contractor_id.as_str()
            )));
        }
        if seed.property_by_id(permit.property_id.as_str()).is_none() {
            return Err(Refused(format!(
                "the permit {id} is at the property {}, which the community does not have",
                permit.property_id.as_str()
            )));
        }
        if status::name(permit.status) == "UNKNOWN" {
            return Err(Refused(format!(
                "the permit {id} has the status {}, which no permit has",
                permit.status
            )));
        }
        if let Some(code) = &permit.access_code
            && !codes.insert(code.as_str())
        {
            return Err(Refused(format!(
                "the permit {id} has the access code of another permit"
            )));
        }
        if !salesforce.insert(permit.salesforce_id.as_str()) {
            return Err(Refused(format!(
                "the permit {id} has the `salesforcePermitId` of another permit"
            )));
        }
    }
    let mut users = Ids::new("property manager", next_id);
    for (at, user) in snapshot.users.iter().enumerate() {
        users.take(at, user.record.id.as_ref().map(|id| id.as_str()))?;
    }
    let mut accesses = Ids::new("QR access", next_id);
    for (at, access) in snapshot.accesses.iter().enumerate() {
        accesses.take(at, access.id.as_ref().map(|id| id.as_str()))?;
    }
    let mut logs = Ids::new("event log", next_id);
    for (at, log) in snapshot.logs.iter().enumerate() {
        logs.take(at, Some(log.id.as_str()))?;
    }
    let mut events = Ids::new("webhook event", next_id);
    for (at, event) in snapshot.events.iter().enumerate() {
        events.take(at, event.get("id").and_then(serde_json::Value::as_str))?;
    }
    Ok(())
}
