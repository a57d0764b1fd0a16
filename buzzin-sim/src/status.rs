//! The permit status codes the simulator uses.
//!
//! Only `1` (ACCEPTED) and `10` (DRAFT) are documented. The other codes below are **assumed**:
//! the documentation names a REVOKED, an archived and an expired state, and a submitted permit
//! waits for approval, but it gives none of their numbers. A real Buzz-In account may use other
//! numbers; the client parses any of them into [`PermitStatus::Unknown`].
//!
//! ```
//! use buzzin::models::PermitStatus;
//! use buzzin_sim::status;
//!
//! assert_eq!(status::ACCEPTED, PermitStatus::Accepted);
//! assert_eq!(status::REVOKED, PermitStatus::Unknown(3));
//! ```

use buzzin::models::PermitStatus;

/// `1`, ACCEPTED: approved, with a working pass (documented).
pub const ACCEPTED: PermitStatus = PermitStatus::Accepted;
/// `10`, DRAFT: a new permit (documented).
pub const DRAFT: PermitStatus = PermitStatus::Draft;
/// `2`, PENDING: submitted, waiting for approval.
///
/// Assumed: the documentation does not state the number or name of this state.
pub const PENDING: PermitStatus = PermitStatus::Unknown(PENDING_CODE);
/// `3`, REVOKED: the pass was revoked (`PATCH /passes/{id}` with `revoke`).
///
/// Assumed: the documentation does not state the number of this state.
pub const REVOKED: PermitStatus = PermitStatus::Unknown(REVOKED_CODE);
/// `4`, ARCHIVED: the permit's contractor was revoked.
///
/// Assumed: the documentation does not state the number of this state.
pub const ARCHIVED: PermitStatus = PermitStatus::Unknown(ARCHIVED_CODE);
/// `5`, EXPIRED: the simulated clock passed the permit's `validTill`.
///
/// Assumed: the documentation does not state the number of this state.
pub const EXPIRED: PermitStatus = PermitStatus::Unknown(EXPIRED_CODE);

pub(crate) const ACCEPTED_CODE: i64 = 1;
pub(crate) const PENDING_CODE: i64 = 2;
pub(crate) const REVOKED_CODE: i64 = 3;
pub(crate) const ARCHIVED_CODE: i64 = 4;
pub(crate) const EXPIRED_CODE: i64 = 5;
pub(crate) const DRAFT_CODE: i64 = 10;

/// The `statusName` of a code.
pub(crate) fn name(code: i64) -> &'static str {
    match code {
        ACCEPTED_CODE => "ACCEPTED",
        PENDING_CODE => "PENDING",
        REVOKED_CODE => "REVOKED",
        ARCHIVED_CODE => "ARCHIVED",
        EXPIRED_CODE => "EXPIRED",
        DRAFT_CODE => "DRAFT",
        _ => "UNKNOWN",
    }
}

/// The state name the spec assumes for an undocumented `code` (its `PermitStatus`
/// `x-buzzin-assumed-values`: `2` PENDING, `3` REVOKED, `4` ARCHIVED, `5` EXPIRED), which the
/// simulator uses.
pub fn assumed_name(code: i64) -> Option<&'static str> {
    matches!(
        code,
        PENDING_CODE | REVOKED_CODE | ARCHIVED_CODE | EXPIRED_CODE
    )
    .then(|| name(code))
}

/// Whether a permit in this state can still change (not revoked, archived or expired).
pub(crate) fn is_live(code: i64) -> bool {
    matches!(code, ACCEPTED_CODE | PENDING_CODE | DRAFT_CODE)
}
