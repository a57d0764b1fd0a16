//! The answers of the rules: a reply, a Feathers error ([`Failure`]), and the error of a hook
//! ([`SimulatorError`]).

use serde_json::{json, Value};

/// An error answer of the simulated API, in the Feathers shape.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: u16,
    pub message: String,
    pub errors: Option<Value>,
}

impl Failure {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
            errors: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    /// The Feathers `name` and `className` of a status.
    pub fn names(status: u16) -> (&'static str, &'static str) {
        match status {
            400 => ("BadRequest", "bad-request"),
            401 => ("NotAuthenticated", "not-authenticated"),
            403 => ("Forbidden", "forbidden"),
            404 => ("NotFound", "not-found"),
            405 => ("MethodNotAllowed", "method-not-allowed"),
            409 => ("Conflict", "conflict"),
            413 => ("PayloadTooLarge", "payload-too-large"),
            429 => ("TooManyRequests", "too-many-requests"),
            _ => ("GeneralError", "general-error"),
        }
    }

    /// The Feathers error body.
    pub fn body(&self) -> Value {
        let (name, class_name) = Self::names(self.status);
        let mut body = json!({
            "name": name,
            "message": self.message,
            "code": self.status,
            "className": class_name,
        });
        if let Some(errors) = &self.errors {
            body["errors"] = errors.clone();
        }
        body
    }
}

/// A successful answer of the simulated API.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub(crate) fn json<T: serde::Serialize>(status: u16, value: &T) -> Self {
        Reply {
            status,
            body: serde_json::to_value(value).expect("models serialize"),
        }
    }
}

pub(crate) type Answer = Result<Reply, Failure>;

/// Why a hook of the simulator (the dashboard or a gate) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// No record of that kind has that id.
    #[error("no {kind} has the id `{id}`")]
    NotFound {
        /// The kind of record: `contractor`, `permit` or `delivery`.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The record is not in a state that allows the action.
    #[error("{0}")]
    InvalidState(String),
}
