//! Read-only views of the records for the dashboard (`/_simulator/`): the newest contractors
//! and permits, as the API would show them.

use super::*;

/// Where a contractor stands with the community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContractorState {
    Pending,
    Approved,
    Revoked,
}

impl ContractorState {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractorState::Pending => "pending",
            ContractorState::Approved => "approved",
            ContractorState::Revoked => "revoked",
        }
    }
}

impl State {
    /// The newest `limit` contractors, oldest first, each with its state; and how many there
    /// are in all.
    pub fn newest_contractors(&self, limit: usize) -> (Vec<(Contractor, ContractorState)>, usize) {
        let total = self.contractors.len();
        let shown = self.contractors[total.saturating_sub(limit)..]
            .iter()
            .map(|rec| {
                let state = if rec.revoked {
                    ContractorState::Revoked
                } else if rec.record.approved == Some(true) {
                    ContractorState::Approved
                } else {
                    ContractorState::Pending
                };
                (rec.record.clone(), state)
            })
            .collect();
        (shown, total)
    }

    /// The newest `limit` permits, oldest first, as `GET /permits/{id}` shows them; and how
    /// many there are in all.
    pub fn newest_permits(&self, limit: usize) -> (Vec<Permit>, usize) {
        let total = self.permits.len();
        let shown = self.permits[total.saturating_sub(limit)..]
            .iter()
            .map(PermitRec::render)
            .collect();
        (shown, total)
    }
}
