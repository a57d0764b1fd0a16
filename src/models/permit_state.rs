//! [`PermitState`]: a permit's state, read from its `status` and `statusName` together.

use std::fmt;

use super::generated::{Permit, PermitEventData, PermitStatus};

/// The state of a permit, read from its `status` and `statusName` together.
///
/// The name wins: Buzz-In sends `statusName` beside the number, and only two numbers are
/// documented (`1` ACCEPTED, `10` DRAFT). Without a name, those two numbers are read; any other
/// number, or a name this version does not know, is [`Unknown`](Self::Unknown) with both values
/// kept as sent.
///
/// Assumed: the documentation names REVOKED, archived and expired states but not their exact
/// `statusName` spelling nor numbers; the SDK reads the names `REVOKED`, `ARCHIVED`, `EXPIRED`,
/// `PENDING` (a submitted permit awaiting approval, also assumed) and `DRAFT` in any letter
/// case. Only `ACCEPTED` (by name and as `1`) and `10` (DRAFT) are documented.
///
/// ```
/// use buzzin::models::{Permit, PermitState};
///
/// let revoked: Permit = serde_json::from_str(r#"{"status": 3, "statusName": "REVOKED"}"#)?;
/// assert_eq!(revoked.state(), PermitState::Revoked);
/// let draft: Permit = serde_json::from_str(r#"{"status": 10}"#)?;
/// assert_eq!(draft.state(), PermitState::Draft);
/// let new: Permit = serde_json::from_str(r#"{"status": 7, "statusName": "ON_HOLD"}"#)?;
/// assert_eq!(new.state().to_string(), "ON_HOLD");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PermitState {
    /// `DRAFT` (status `10`, documented): created, not submitted yet.
    Draft,
    /// `PENDING`: submitted, waiting for approval. Assumed: neither the name nor the number is
    /// documented.
    Pending,
    /// `ACCEPTED` (status `1`, documented): approved, with a working pass.
    Accepted,
    /// `REVOKED`: the pass was revoked. Assumed: the spelling of the name.
    Revoked,
    /// `ARCHIVED`: the permit's contractor was revoked. Assumed: the spelling of the name.
    Archived,
    /// `EXPIRED`: past its `validTill`. Assumed: the spelling of the name.
    Expired,
    /// A state this version of the SDK does not know (or a response with neither field):
    /// both values kept as sent.
    Unknown {
        /// `status`, as sent.
        status: Option<PermitStatus>,
        /// `statusName`, as sent.
        name: Option<String>,
    },
}

impl PermitState {
    /// The states this version knows by name: the names of the spec's `PermitStatus`
    /// (`PermitStatus::NAMES`, a test holds the two equal).
    const KNOWN: [PermitState; 6] = [
        PermitState::Draft,
        PermitState::Pending,
        PermitState::Accepted,
        PermitState::Revoked,
        PermitState::Archived,
        PermitState::Expired,
    ];

    /// The state of `status` and `statusName` as Buzz-In sent them; the name wins.
    pub fn from_parts(status: Option<PermitStatus>, name: Option<&str>) -> Self {
        let by_name = name.and_then(|name| {
            Self::KNOWN
                .into_iter()
                .find(|known| name.trim().eq_ignore_ascii_case(&known.name()))
        });
        match (by_name, name, status) {
            (Some(state), _, _) => state,
            (None, None, Some(PermitStatus::Accepted)) => PermitState::Accepted,
            (None, None, Some(PermitStatus::Draft)) => PermitState::Draft,
            (None, name, status) => PermitState::Unknown {
                status,
                name: name.map(str::to_owned),
            },
        }
    }

    /// The state's name as Buzz-In spells it (`ACCEPTED`, `REVOKED`, …); for
    /// [`Unknown`](Self::Unknown), the name sent, or `status <n>`, or `unknown`.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            PermitState::Draft => Cow::Borrowed("DRAFT"),
            PermitState::Pending => Cow::Borrowed("PENDING"),
            PermitState::Accepted => Cow::Borrowed("ACCEPTED"),
            PermitState::Revoked => Cow::Borrowed("REVOKED"),
            PermitState::Archived => Cow::Borrowed("ARCHIVED"),
            PermitState::Expired => Cow::Borrowed("EXPIRED"),
            PermitState::Unknown {
                name: Some(name), ..
            } => Cow::Borrowed(name),
            PermitState::Unknown {
                status: Some(status),
                ..
            } => Cow::Owned(format!("status {}", status.code())),
            PermitState::Unknown { .. } => Cow::Borrowed("unknown"),
        }
    }

    /// `true` for a state in which the permit can still change: DRAFT, PENDING, ACCEPTED.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            PermitState::Draft | PermitState::Pending | PermitState::Accepted
        )
    }
}

impl fmt::Display for PermitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Permit {
    /// The permit's state, from `status` and `statusName` together; see [`PermitState`].
    pub fn state(&self) -> PermitState {
        PermitState::from_parts(self.status, self.status_name.as_deref())
    }
}

impl PermitEventData {
    /// The permit's state, from `status` and `statusName` together; see [`PermitState`].
    pub fn state(&self) -> PermitState {
        PermitState::from_parts(self.status, self.status_name.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_wins_and_only_documented_numbers_are_read() {
        use PermitState as S;
        let cases: [(Option<i64>, Option<&str>, S); 9] = [
            (Some(1), Some("ACCEPTED"), S::Accepted),
            (Some(10), None, S::Draft),
            (Some(1), None, S::Accepted),
            (Some(3), Some("REVOKED"), S::Revoked),
            (Some(1), Some("revoked"), S::Revoked),
            (Some(4), Some("Archived"), S::Archived),
            (None, Some("EXPIRED"), S::Expired),
            (Some(2), Some("PENDING"), S::Pending),
            (Some(10), Some("DRAFT"), S::Draft),
        ];
        for (status, name, want) in cases {
            assert_eq!(
                PermitState::from_parts(status.map(PermitStatus::from), name),
                want,
                "{status:?} {name:?}"
            );
        }
    }

    #[test]
    fn the_known_states_are_the_names_the_spec_gives_the_codes() {
        let known: std::collections::BTreeSet<String> = PermitState::KNOWN
            .iter()
            .map(|state| state.name().into_owned())
            .collect();
        let spec: std::collections::BTreeSet<String> = PermitStatus::NAMES
            .iter()
            .map(|(_, name)| (*name).to_owned())
            .collect();
        assert_eq!(known, spec);
        // The documented codes read without a name are the states of the same names.
        for (code, name) in PermitStatus::NAMES {
            if !PermitStatus::ASSUMED.contains(code) {
                let state = PermitState::from_parts(Some(PermitStatus::from(*code)), None);
                assert_eq!(state.name(), *name);
            }
        }
    }

    #[test]
    fn unknown_keeps_what_was_sent() {
        let state = PermitState::from_parts(Some(PermitStatus::from(3)), None);
        assert_eq!(
            state,
            PermitState::Unknown {
                status: Some(PermitStatus::Unknown(3)),
                name: None
            }
        );
        assert_eq!(state.to_string(), "status 3");
        let named = PermitState::from_parts(Some(PermitStatus::Accepted), Some("SUSPENDED"));
        assert_eq!(
            named,
            PermitState::Unknown {
                status: Some(PermitStatus::Accepted),
                name: Some("SUSPENDED".into())
            }
        );
        assert_eq!(named.to_string(), "SUSPENDED");
        assert_eq!(PermitState::from_parts(None, None).to_string(), "unknown");
    }
}
