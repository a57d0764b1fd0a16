//! The API's routes: one per operation of the SDK's table (`buzzin::operations::ALL`).
//!
//! Each is answered by the records' rules, or, when recording or replaying, by the upstream or
//! the cassette (see [`forward`](crate::forward)).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawPathParams, Request, State};
use axum::response::Response;
use axum::routing::{on, MethodFilter};
use axum::Router;
use serde_json::Value;

use crate::shared::{body_json, respond, Shared, Upstream};
use crate::state::{Answer, Failure, State as Records};
use crate::validate;
use buzzin::operations::{self, HttpMethod, Operation};

/// What an API route hands its rule: the path's `{id}`, the query's pairs, the checked body.
struct Call {
    id: String,
    query: Vec<(String, String)>,
    body: Value,
}

/// A check of a request body.
type Check = fn(&Value) -> Result<(), Failure>;

/// How one operation is answered.
struct Route {
    /// The spec's operation: its id, method and path come from the generated table.
    operation: Operation,
    /// A check of the raw body before the schema's (the documentation's own messages first).
    first: Option<Check>,
    /// The rule, run on the records.
    rule: fn(&mut Records, &Call) -> Answer,
}

/// Every API route: one per operation of the generated table (a test holds the two equal).
const ROUTES: [Route; 11] = [
    Route {
        operation: operations::LIST_EVENTS,
        first: None,
        rule: |r, c| r.list_events(&c.query),
    },
    Route {
        operation: operations::CREATE_QR_ACCESS,
        first: None,
        rule: |r, c| r.create_access(&c.body),
    },
    Route {
        operation: operations::CREATE_PROPERTY_MANAGER,
        first: None,
        rule: |r, c| r.create_user(&c.body),
    },
    Route {
        operation: operations::UPDATE_PROPERTY_MANAGER,
        first: None,
        rule: |r, c| r.update_user(&c.id, &c.body),
    },
    Route {
        operation: operations::CREATE_EXTERNAL_NFC_VISIT,
        first: Some(|body| Records::nfc_visit_documented_checks(body).map(|_| ())),
        rule: |r, c| r.create_visit(&c.body),
    },
    Route {
        operation: operations::CREATE_CONTRACTOR,
        first: None,
        rule: |r, c| r.create_contractor(&c.body),
    },
    Route {
        operation: operations::UPDATE_CONTRACTOR,
        first: None,
        rule: |r, c| r.update_contractor(&c.id, &c.body),
    },
    Route {
        operation: operations::CREATE_PERMIT,
        first: None,
        rule: |r, c| r.create_permit(&c.body),
    },
    Route {
        operation: operations::GET_PERMIT,
        first: None,
        rule: |r, c| r.get_permit(&c.id),
    },
    Route {
        operation: operations::UPDATE_PERMIT,
        first: None,
        rule: |r, c| r.update_permit(&c.id, &c.body),
    },
    Route {
        operation: operations::UPDATE_PASS,
        first: None,
        rule: |r, c| r.update_pass(&c.id, &c.body),
    },
];

/// Whether an operation takes a request body (its schema is then checked).
fn has_body(operation: &Operation) -> bool {
    operation.method != HttpMethod::Get
}

fn method_filter(method: HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Patch => MethodFilter::PATCH,
    }
}

/// The API's routes: each operation's method and path; the request goes to the upstream or the
/// cassette when there is one, else to its rule.
pub(crate) fn api() -> Router<Arc<Shared>> {
    let mut api = Router::new();
    for (index, route) in ROUTES.iter().enumerate() {
        let handler = move |State(s): S, params: RawPathParams, request: Request| async move {
            match &s.upstream {
                Some(Upstream::Record { recorder, http }) => {
                    crate::forward::record(recorder, http, request).await
                }
                Some(Upstream::Replay(player)) => crate::forward::replay(player, request).await,
                None => {
                    let query = request.uri().query().map(str::to_owned);
                    let Ok(body) =
                        axum::body::to_bytes(request.into_body(), crate::shared::BODY_LIMIT).await
                    else {
                        return crate::shared::too_large();
                    };
                    api_call(&s, &ROUTES[index], &params, query, &body)
                }
            }
        };
        api = api.route(
            route.operation.path,
            on(method_filter(route.operation.method), handler),
        );
    }
    api
}

type S = State<Arc<Shared>>;

/// One API request: the body read as JSON and checked (the route's own check, then the spec's
/// schema) before any rule runs or any state changes, then the rule, all on the guarded path.
fn api_call(
    shared: &Shared,
    route: &Route,
    params: &RawPathParams,
    query: Option<String>,
    body: &Bytes,
) -> Response {
    let operation = &route.operation;
    let body = if has_body(operation) {
        match body_json(body) {
            Ok(body) => body,
            Err(failure) => return respond(Err(failure)),
        }
    } else {
        Value::Null
    };
    let call = Call {
        id: params
            .iter()
            .find(|(name, _)| *name == "id")
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default(),
        query: url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        body,
    };
    shared.answer(|records| {
        if has_body(operation) {
            if let Some(first) = route.first {
                first(&call.body)?;
            }
            validate::request(operation, &call.body)?;
        }
        (route.rule)(records, &call)
    })
}

/// The operation id of an API request, from the routes' methods and paths.
pub(crate) fn operation_of(method: &axum::http::Method, path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .map(|r| r.operation)
        .find(|o| *method == o.method.as_str() && crate::faults::path_matches(o.path, path))
        .map(|o| o.id)
}

/// The spec's operation ids, in the routes' order.
pub(crate) fn operation_ids() -> Vec<&'static str> {
    ROUTES.iter().map(|r| r.operation.id).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{has_body, ROUTES};

    /// Every operation of the table as (id, method, path).
    fn table() -> BTreeSet<(&'static str, &'static str, &'static str)> {
        buzzin::operations::ALL
            .iter()
            .map(|o| (o.id, o.method.as_str(), o.path))
            .collect()
    }

    #[test]
    fn the_routes_are_the_operations_of_the_table() {
        let routed: BTreeSet<_> = ROUTES
            .iter()
            .map(|r| {
                (
                    r.operation.id,
                    r.operation.method.as_str(),
                    r.operation.path,
                )
            })
            .collect();
        assert_eq!(routed, table());
    }

    #[test]
    fn every_operation_of_the_spec_has_a_route_and_every_route_an_operation() {
        let table: BTreeSet<&str> = table().into_iter().map(|(id, _, _)| id).collect();
        assert_eq!(table.len(), 11, "{table:?}");
        let routed: BTreeSet<&str> = ROUTES.iter().map(|r| r.operation.id).collect();
        assert_eq!(routed.len(), ROUTES.len(), "an operation routed twice");
        let unrouted: Vec<_> = table.difference(&routed).collect();
        assert!(
            unrouted.is_empty(),
            "spec operations without a route: {unrouted:?}"
        );
        let unknown: Vec<_> = routed.difference(&table).collect();
        assert!(
            unknown.is_empty(),
            "routes naming no spec operation: {unknown:?}"
        );
    }

    #[test]
    fn every_operation_with_a_body_has_a_request_schema() {
        let schemas: serde_json::Value =
            serde_json::from_str(include_str!("generated/request_schemas.json")).unwrap();
        for route in ROUTES.iter().filter(|r| has_body(&r.operation)) {
            assert!(
                schemas["operations"].get(route.operation.id).is_some(),
                "{} has no request schema",
                route.operation.id
            );
        }
    }
}
