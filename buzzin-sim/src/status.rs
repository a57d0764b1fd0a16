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

pub(crate) const ACCEPTED_CODE: i64 = code("ACCEPTED");
pub(crate) const PENDING_CODE: i64 = code("PENDING");
pub(crate) const REVOKED_CODE: i64 = code("REVOKED");
pub(crate) const ARCHIVED_CODE: i64 = code("ARCHIVED");
pub(crate) const EXPIRED_CODE: i64 = code("EXPIRED");
pub(crate) const DRAFT_CODE: i64 = code("DRAFT");

/// The code the spec gives the state `name` (`PermitStatus::NAMES`: the documented codes and
/// the `x-buzzin-assumed-values`); a name the spec lacks fails the build.
const fn code(name: &str) -> i64 {
    const fn same(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let names = PermitStatus::NAMES;
    let mut i = 0;
    while i < names.len() {
        if same(names[i].1.as_bytes(), name.as_bytes()) {
            return names[i].0;
        }
        i += 1;
    }
    panic!("the spec's PermitStatus has no such name")
}

/// The `statusName` of a code.
pub(crate) fn name(code: i64) -> &'static str {
    PermitStatus::name_of(code).unwrap_or("UNKNOWN")
}

/// The state name the spec assumes for an undocumented `code` (its `PermitStatus`
/// `x-buzzin-assumed-values`: `2` PENDING, `3` REVOKED, `4` ARCHIVED, `5` EXPIRED), which the
/// simulator uses.
pub fn assumed_name(code: i64) -> Option<&'static str> {
    PermitStatus::ASSUMED.contains(&code).then(|| name(code))
}

/// Whether a permit in this state can still change (not revoked, archived or expired).
pub(crate) fn is_live(code: i64) -> bool {
    matches!(code, ACCEPTED_CODE | PENDING_CODE | DRAFT_CODE)
}
