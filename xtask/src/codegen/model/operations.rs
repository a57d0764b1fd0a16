//! The operations' part of the model: each operation of the spec's `paths`.
//!
//! Each has its method, retry classes, SDK calls and query parameters.

use crate::codegen::spec::{Retry, Spec};
use crate::codegen::Result;

/// One operation.
pub(in crate::codegen) struct OperationDef {
    /// The spec's `operationId`.
    pub(in crate::codegen) id: String,
    pub(in crate::codegen) summary: String,
    /// The method, lowercase as the spec spells it.
    pub(in crate::codegen) method: &'static str,
    pub(in crate::codegen) path: String,
    pub(in crate::codegen) retry: Retry,
    /// Overrides of `retry` by the request body's `action`.
    pub(in crate::codegen) retry_by_action: Vec<(String, Retry)>,
    /// Whether the spec's `security` allows a call without the key.
    pub(in crate::codegen) key_optional: bool,
    /// What its doc says is assumed (the page, the security), each a sentence.
    pub(in crate::codegen) assumed: Vec<String>,
    pub(in crate::codegen) calls: Vec<CallDef>,
    pub(in crate::codegen) query: Vec<QueryParam>,
}

/// A call of the SDK that sends an operation (`x-buzzin-sdk-call`, `…-by-action`).
pub(in crate::codegen) struct CallDef {
    pub(in crate::codegen) action: Option<String>,
    pub(in crate::codegen) name: String,
}

/// A query parameter: its name as the spec spells it, and its description.
pub(in crate::codegen) struct QueryParam {
    pub(in crate::codegen) name: String,
    pub(in crate::codegen) doc: Option<String>,
}

/// Every operation of the spec, in the spec's order.
pub(super) fn read(spec: &Spec) -> Result<Vec<OperationDef>> {
    let mut out = Vec::new();
    for (path, item) in &spec.paths {
        for (method, op) in item.operations() {
            let id = &op.operation_id;
            let mut assumed = Vec::new();
            if op.assumed {
                assumed.push("Assumed: its documentation page is not available.".to_owned());
            }
            if let Some(security) = &op.assumed_security {
                if !security.starts_with("Assumed:") {
                    return Err(format!(
                        "{id}: x-buzzin-assumed-security must say what is assumed"
                    ));
                }
                assumed.push(security.trim().to_owned());
            }
            let mut calls: Vec<CallDef> = op
                .sdk_call
                .iter()
                .map(|name| CallDef {
                    action: None,
                    name: name.clone(),
                })
                .collect();
            calls.extend(op.sdk_call_by_action.iter().map(|(action, name)| CallDef {
                action: Some(action.clone()),
                name: name.clone(),
            }));
            if calls.is_empty() {
                return Err(format!("{id}: no x-buzzin-sdk-call"));
            }
            out.push(OperationDef {
                id: id.clone(),
                summary: op.summary.clone().unwrap_or_else(|| id.clone()),
                method,
                path: path.clone(),
                retry: op.retry,
                retry_by_action: op
                    .retry_by_action
                    .iter()
                    .map(|(action, retry)| (action.clone(), *retry))
                    .collect(),
                key_optional: op
                    .security
                    .as_ref()
                    .is_some_and(|reqs| reqs.iter().any(|r| r.is_empty())),
                assumed,
                calls,
                query: op
                    .parameters
                    .iter()
                    .filter(|p| p.location == "query")
                    .map(|p| QueryParam {
                        name: p.name.clone(),
                        doc: p.description.as_ref().map(|d| d.trim().to_owned()),
                    })
                    .collect(),
            });
        }
    }
    Ok(out)
}
