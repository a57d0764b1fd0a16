//! Every operation against wiremock: method, path, auth header, JSON body (compared as values
//! with the documentation's examples where they exist), the decoded response, validation before
//! the network, and the retry class of each operation.

use buzzin_test_support::assert_invalid;
use buzzin_test_support::mocks::fails_n_times;
use std::time::Duration;

use buzzin::client::{RetryPolicy, SortOrder};
use buzzin::models::{
    ContractorRef, CreateContractorRequest, CreatePermitRequest, Date, ErrorName,
    ExternalNfcVisitRequest, ExternalNfcVisitResponse, FileInput, FlatRef, NfcResponseCode,
    NocInput, PassAction, PermitStatus, PropertyRef, Timestamp, UserRole, VisitType,
};
use buzzin::{Client, Error};
use buzzin_test_support::fixtures;
use futures_util::StreamExt;
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use buzzin_test_support::mocks::{hits, KEY};

fn doc(name: &str) -> Value {
    let text = match name {
        "create-contractor.request" => {
            include_str!("../data/doc-examples/create-contractor.request.json")
        }
        "create-contractor.response-201" => {
            include_str!("../data/doc-examples/create-contractor.response-201.json")
        }
        "create-permit.request" => include_str!("../data/doc-examples/create-permit.request.json"),
        "create-permit.response" => {
            include_str!("../data/doc-examples/create-permit.response.json")
        }
        "external-nfc-visit.error-400-1" => {
            include_str!("../data/doc-examples/external-nfc-visit.error-400-1.json")
        }
        "external-nfc-visit.error-400-3" => {
            include_str!("../data/doc-examples/external-nfc-visit.error-400-3.json")
        }
        "external-nfc-visit.request-email" => {
            include_str!("../data/doc-examples/external-nfc-visit.request-email.json")
        }
        "external-nfc-visit.request-phone" => {
            include_str!("../data/doc-examples/external-nfc-visit.request-phone.json")
        }
        "external-nfc-visit.response-entry" => {
            include_str!("../data/doc-examples/external-nfc-visit.response-entry.json")
        }
        "external-nfc-visit.response-leave" => {
            include_str!("../data/doc-examples/external-nfc-visit.response-leave.json")
        }
        "pass-action.response-200" => {
            include_str!("../data/doc-examples/pass-action.response-200.json")
        }
        "pass-revoke.request" => include_str!("../data/doc-examples/pass-revoke.request.json"),
        "revoke-contractor.request" => {
            include_str!("../data/doc-examples/revoke-contractor.request.json")
        }
        other => panic!("no doc example {other}"),
    };
    serde_json::from_str(text).unwrap()
}

fn client(server: &MockServer) -> Client {
    buzzin_test_support::mocks::client_with(
        &server.uri(),
        RetryPolicy::default()
            .base_delay(Duration::from_millis(1))
            .max_delay(Duration::from_millis(5)),
    )
}

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

/// A mock of `verb path` with the API key and, when given, exactly this JSON body.
fn op(verb: &str, p: &str, body: Option<Value>) -> wiremock::MockBuilder {
    let m = Mock::given(method(verb))
        .and(path(p))
        .and(header("x-api-key", KEY));
    match body {
        Some(body) => m
            .and(header("content-type", "application/json"))
            .and(body_json(body)),
        None => m,
    }
}

// ---------------------------------------------------------------- logs

#[tokio::test]
async fn list_events_sends_every_filter_and_decodes_the_page() {
    let server = MockServer::start().await;
    op("GET", "/events", None)
        .and(query_param("$limit", "2"))
        .and(query_param("$skip", "4"))
        .and(query_param("$sort[createdAt]", "-1"))
        .and(query_param("propertyId", "66e0000000000000000000a1"))
        .and(query_param("flatId", "66e0000000000000000000b2"))
        .and(query_param("visitType", "externalNfc"))
        .and(query_param("createdAt[$gte]", "2026-06-01T00:00:00.000Z"))
        .and(query_param("createdAt[$lte]", "2026-06-30T23:59:59.999Z"))
        .and(query_param("gateId", "g7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total": 5, "limit": 2, "skip": 4,
            "data": [{"_id": "66f0a1b2c3d4e5f600000f01", "visitType": "externalNfc",
                      "propertyId": "66e0000000000000000000a1", "flatId": "66e0000000000000000000b2",
                      "createdAt": "2026-06-29T10:15:00.000Z", "gate": "North"}],
            "cursor": "kept"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .logs()
        .events()
        .limit(2)
        .skip(4)
        .sort(SortOrder::NewestFirst)
        .property_id("66e0000000000000000000a1")
        .flat_id("66e0000000000000000000b2")
        .visit_type(VisitType::ExternalNfc)
        .created_from(ts("2026-06-01T00:00:00.000Z"))
        .created_until(ts("2026-06-30T23:59:59.999Z"))
        .query("gateId", "g7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (page.total, page.limit, page.skip),
        (Some(5), Some(2), Some(4))
    );
    assert_eq!(page.extra["cursor"], "kept");
    let record = &page.data.as_ref().unwrap()[0];
    assert_eq!(
        record.id.as_ref().unwrap().as_str(),
        "66f0a1b2c3d4e5f600000f01"
    );
    assert_eq!(record.visit_type, Some(VisitType::ExternalNfc));
    assert_eq!(
        record.created_at.as_ref().unwrap().as_str(),
        "2026-06-29T10:15:00.000Z"
    );
    assert_eq!(record.extra["gate"], "North");
}

#[tokio::test]
async fn list_events_without_filters_sends_no_query() {
    let server = MockServer::start().await;
    op("GET", "/events", None)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0, "data": []})))
        .mount(&server)
        .await;
    let page = client(&server).logs().events().send().await.unwrap();
    assert_eq!(page.data, Some(vec![]));
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(req.url.query(), None);
}

fn record(n: u64) -> Value {
    json!({"_id": format!("66f0a1b2c3d4e5f60000{n:04}"), "visitType": "nfc"})
}

#[tokio::test]
async fn the_event_stream_pages_through_three_pages() {
    let server = MockServer::start().await;
    for (skip, ids) in [(0u64, vec![0, 1, 2]), (3, vec![3, 4, 5]), (6, vec![6])] {
        op("GET", "/events", None)
            .and(query_param("$skip", skip.to_string()))
            .and(query_param("$limit", "3"))
            .and(query_param("visitType", "nfc"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "total": 7, "limit": 3, "skip": skip,
                "data": ids.into_iter().map(record).collect::<Vec<_>>()
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let records: Vec<_> = client(&server)
        .logs()
        .events()
        .visit_type(VisitType::Nfc)
        .limit(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = records
        .iter()
        .map(|r| r.id.as_ref().unwrap().to_string())
        .collect();
    let want: Vec<String> = (0..7)
        .map(|n| format!("66f0a1b2c3d4e5f60000{n:04}"))
        .collect();
    assert_eq!(ids, want);
    assert_eq!(
        hits(&server).await,
        3,
        "no fourth request once total is reached"
    );
}

#[tokio::test]
async fn the_event_stream_without_total_stops_on_a_short_page_and_follows_a_smaller_server_limit() {
    let server = MockServer::start().await;
    // Asked for 10 per page; the server caps at 2 and sends no total.
    for (skip, ids) in [(0u64, vec![0, 1]), (2, vec![2, 3]), (4, vec![4])] {
        op("GET", "/events", None)
            .and(query_param("$skip", skip.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "limit": 2, "data": ids.into_iter().map(record).collect::<Vec<_>>()
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let records: Vec<_> = client(&server)
        .logs()
        .events()
        .limit(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 5);
}

#[tokio::test]
async fn an_error_ends_the_event_stream_after_being_yielded() {
    let server = MockServer::start().await;
    op("GET", "/events", None)
        .and(query_param("$skip", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"total": 4, "limit": 2, "data": [record(0), record(1)]})),
        )
        .mount(&server)
        .await;
    op("GET", "/events", None)
        .and(query_param("$skip", "2"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"name": "NotAuthenticated", "code": 401})),
        )
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server)
        .logs()
        .events()
        .limit(2)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert!(matches!(items[2], Err(Error::Unauthorized(_))));
}

// ---------------------------------------------------------------- accesses

#[tokio::test]
async fn create_qr_access() {
    let server = MockServer::start().await;
    let body = json!({
        "visitor": {"name": "Sara Visitor", "phone": "+971501112233"},
        "propertyId": "66e0000000000000000000a1",
        "flatId": "66e0000000000000000000b2",
        "validFrom": "2026-07-01T06:00:00.000Z",
        "validTill": "2026-07-01T18:00:00.000Z",
        "note": "front desk"
    });
    op("POST", "/accesses", Some(body))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "_id": "66f0a1b2c3d4e5f600000e01", "accessCode": "Q7W2E9", "qrToken": "Q7W2E9",
            "qrImageUrl": "https://cdn.buzz-in.co/q.png", "validFrom": "2026-07-01T06:00:00.000Z",
            "validTill": "2026-07-01T18:00:00.000Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let access = client(&server)
        .accesses()
        .create_qr(
            "Sara Visitor",
            buzzin::client::Unit {
                property_id: "66e0000000000000000000a1".into(),
                flat_id: "66e0000000000000000000b2".into(),
            },
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-01T18:00:00.000Z"),
        )
        .visitor_phone("+971501112233")
        .extra("note", "front desk")
        .send()
        .await
        .unwrap();
    assert_eq!(access.id().as_str(), "66f0a1b2c3d4e5f600000e01");
    assert_eq!(access.access_code.as_deref(), Some("Q7W2E9"));
    assert_eq!(
        access.qr_image_url.as_deref(),
        Some("https://cdn.buzz-in.co/q.png")
    );
    assert_eq!(
        access.valid_till.unwrap().as_str(),
        "2026-07-01T18:00:00.000Z"
    );
}

#[tokio::test]
async fn a_qr_access_is_not_resent_after_a_502() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let e = client(&server)
        .accesses()
        .create_qr(
            "V",
            buzzin::client::Unit {
                property_id: "p1".into(),
                flat_id: "f1".into(),
            },
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-01T18:00:00.000Z"),
        )
        .visitor_email("v@example.com")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Server(_)));
    assert_eq!(hits(&server).await, 1);
}

// ---------------------------------------------------------------- property managers

#[tokio::test]
async fn create_and_update_property_manager() {
    let server = MockServer::start().await;
    op(
        "POST",
        "/users",
        Some(json!({
            "name": "Omar Manager", "email": "omar@example.com", "phone": "+971500001111",
            "role": "propertyManager", "propertiesIds": ["66e0000000000000000000a1", "66e0000000000000000000a2"]
        })),
    )
    .respond_with(ResponseTemplate::new(201).set_body_json(json!({
        "_id": "66f0a1b2c3d4e5f600000d01", "name": "Omar Manager", "role": "propertyManager",
        "propertiesIds": ["66e0000000000000000000a1", "66e0000000000000000000a2"]
    })))
    .expect(1)
    .mount(&server)
    .await;
    op(
        "PATCH",
        "/users/66f0a1b2c3d4e5f600000d01",
        Some(json!({"email": "omar@new.example.com", "propertiesIds": ["66e0000000000000000000a3"], "locale": "ar"})),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "_id": "66f0a1b2c3d4e5f600000d01", "email": "omar@new.example.com", "role": "buildingAdmin"
    })))
    .expect(1)
    .mount(&server)
    .await;
    let client = client(&server);
    let created = client
        .property_managers()
        .create(
            buzzin::client::Contact {
                name: "Omar Manager".into(),
                email: "omar@example.com".into(),
                phone: "+971500001111".into(),
            },
            ["66e0000000000000000000a1", "66e0000000000000000000a2"],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.id.as_ref().unwrap().as_str(),
        "66f0a1b2c3d4e5f600000d01"
    );
    assert_eq!(created.role, Some(UserRole::PropertyManager));
    assert_eq!(created.properties_ids.as_ref().unwrap().len(), 2);
    let updated = client
        .property_managers()
        .update("66f0a1b2c3d4e5f600000d01")
        .email("omar@new.example.com")
        .properties_ids(["66e0000000000000000000a3"])
        .extra("locale", "ar")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.email.as_deref(), Some("omar@new.example.com"));
    assert_eq!(
        updated.role,
        Some(UserRole::Unknown("buildingAdmin".into()))
    );
}

#[tokio::test]
async fn a_409_after_a_retried_create_says_the_earlier_attempt_may_have_created_it() {
    let server = MockServer::start().await;
    fails_n_times(&server, "POST", 1, ResponseTemplate::new(503)).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(409).set_body_json(
            json!({"name": "Conflict", "message": "email already exists", "code": 409}),
        ))
        .mount(&server)
        .await;
    let e = client(&server)
        .property_managers()
        .create(
            buzzin::client::Contact {
                name: "Omar".into(),
                email: "omar@example.com".into(),
                phone: "+971500001111".into(),
            },
            ["66e0000000000000000000a1"],
        )
        .send()
        .await
        .unwrap_err();
    let Error::Conflict(api) = &e else {
        panic!("{e:?}")
    };
    assert!(api.may_have_been_created_by_earlier_attempt());
    assert!(
        e.to_string().contains("earlier attempt may have created"),
        "{e}"
    );
    assert_eq!(hits(&server).await, 2);
}

// ---------------------------------------------------------------- visits

/// The documentation's NFC visit by email (`external-nfc-visit.request-email`), sent by `client`.
async fn nfc_visit_by_email(client: &Client) -> Result<ExternalNfcVisitResponse, Error> {
    client
        .visits()
        .external_nfc(
            buzzin::client::DeviceSecret::new("abc123xyz789..."),
            "784-1234-5678901-2",
        )
        .email("resident@example.com")
        .send()
        .await
}

#[tokio::test]
async fn external_nfc_visit_bodies_match_the_documentation() {
    let server = MockServer::start().await;
    op(
        "POST",
        "/visits",
        Some(doc("external-nfc-visit.request-email")),
    )
    .respond_with(
        ResponseTemplate::new(200).set_body_json(doc("external-nfc-visit.response-entry")),
    )
    .expect(1)
    .mount(&server)
    .await;
    op(
        "POST",
        "/visits",
        Some(doc("external-nfc-visit.request-phone")),
    )
    .respond_with(
        ResponseTemplate::new(201).set_body_json(doc("external-nfc-visit.response-leave")),
    )
    .expect(1)
    .mount(&server)
    .await;
    let client = client(&server);
    let entry = nfc_visit_by_email(&client).await.unwrap();
    assert_eq!(
        entry.response_code,
        Some(NfcResponseCode::EntryEventCreated)
    );
    assert!(entry.leave_event.is_none());
    let leave = client
        .visits()
        .external_nfc(
            buzzin::client::DeviceSecret::new("abc123xyz789..."),
            "784-1234-5678901-2",
        )
        .phone("+971501234567")
        .send()
        .await
        .unwrap();
    assert_eq!(
        leave.response_code,
        Some(NfcResponseCode::LeaveEventCreated)
    );
    assert_eq!(leave.leave_event.unwrap().duration, Some(7_200_000));
}

#[tokio::test]
async fn a_client_without_a_key_makes_an_nfc_visit_without_one_and_nothing_else() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/visits"))
        .and(body_json(doc("external-nfc-visit.request-email")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(doc("external-nfc-visit.response-entry")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // A resident's app: no community key.
    let client = Client::builder().base_url(server.uri()).build().unwrap();
    assert!(format!("{client:?}").contains(r#"api_key: "none""#));
    let entry = nfc_visit_by_email(&client).await.unwrap();
    assert_eq!(
        entry.response_code,
        Some(NfcResponseCode::EntryEventCreated)
    );
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert!(received[0].headers.get("x-api-key").is_none());
    assert!(received[0].headers.get("authorization").is_none());

    // Every other call fails before sending anything, and says which key is missing.
    let err = client
        .permits()
        .get("66f0a1b2c3d4e5f600000abc")
        .await
        .unwrap_err();
    match &err {
        Error::MissingApiKey { request } => {
            assert_eq!(
                request,
                "permits().get(\"66f0a1b2c3d4e5f600000abc\"): GET /permits/66f0a1b2c3d4e5f600000abc"
            );
        }
        other => panic!("expected MissingApiKey, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("needs the API key") && message.contains("BUZZIN_API_KEY"),
        "{message}"
    );
    assert!(!err.is_retryable());
    let err = client
        .passes()
        .revoke("66f0a1b2c3d4e5f600000abc")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingApiKey { .. }), "{err}");
    let raw: Result<Value, Error> = client
        .request(buzzin::reqwest::Method::POST, "/visits")
        .send()
        .await;
    assert!(
        matches!(raw, Err(Error::MissingApiKey { .. })),
        "a raw call needs the key"
    );
    assert_eq!(hits(&server).await, 1, "nothing else was sent");
}

#[tokio::test]
async fn external_nfc_visit_from_a_whole_request_and_its_documented_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/visits"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(doc("external-nfc-visit.error-400-3")),
        )
        .mount(&server)
        .await;
    let request: ExternalNfcVisitRequest =
        serde_json::from_value(doc("external-nfc-visit.request-phone")).unwrap();
    let e = client(&server)
        .visits()
        .external_nfc_from(request)
        .send()
        .await
        .unwrap_err();
    let Error::BadRequest(api) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(api.name(), Some(&ErrorName::BadRequest));
    assert_eq!(api.code(), Some(400));
    assert_eq!(api.message(), Some("User doesn't exists"));
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent, doc("external-nfc-visit.request-phone"));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn external_nfc_visit_rules_are_checked_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server);
    let e = client
        .visits()
        .external_nfc(buzzin::client::DeviceSecret::new("s3cr3t-device"), "784-1")
        .send()
        .await
        .unwrap_err();
    assert_invalid(&e, "phone");
    assert!(e.to_string().contains("email"), "{e}");
    let e = client
        .visits()
        .external_nfc(buzzin::client::DeviceSecret::new("s3cr3t-device"), "784-1")
        .phone("  ")
        .send()
        .await
        .unwrap_err();
    assert_invalid(&e, "phone");
    let e = client
        .visits()
        .external_nfc(buzzin::client::DeviceSecret::new("s3cr3t-device"), "")
        .email("a@b.c")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::InvalidRequest {
                field: "documentId",
                ..
            }
        ),
        "{e:?}"
    );
    let e = client
        .visits()
        .external_nfc(buzzin::client::DeviceSecret::new(""), "784-1")
        .email("a@b.c")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::InvalidRequest {
                field: "deviceSecret",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(hits(&server).await, 0, "nothing was sent");
    let builder = client
        .visits()
        .external_nfc(buzzin::client::DeviceSecret::new("s3cr3t-device"), "784-1");
    assert!(!format!("{builder:?}").contains("s3cr3t-device"));
}

#[tokio::test]
async fn the_nfc_visit_is_not_resent_after_a_timeout_or_a_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(700)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(Duration::from_millis(150))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(5)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let visit = || {
        client
            .visits()
            .external_nfc(buzzin::client::DeviceSecret::new("dev"), "784-1")
            .email("a@b.c")
            .send()
    };
    let e = visit().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { attempts: 1, .. }), "{e:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hits(&server).await, 1);
    let e = visit().await.unwrap_err();
    assert!(matches!(e, Error::Server(_)), "{e:?}");
    assert_eq!(hits(&server).await, 2, "the 503 was not retried");
}

// ---------------------------------------------------------------- contractors

#[tokio::test]
async fn create_contractor_body_and_response_match_the_documentation() {
    let server = MockServer::start().await;
    op(
        "POST",
        "/communityContractors",
        Some(doc("create-contractor.request")),
    )
    .respond_with(ResponseTemplate::new(201).set_body_json(doc("create-contractor.response-201")))
    .expect(2)
    .mount(&server)
    .await;
    let client = client(&server);
    let contractor = client
        .community_contractors()
        .create(fixtures::contact(), fixtures::company(), fixtures::DAMAC_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(
        contractor.id.as_ref().unwrap().as_str(),
        "66f0a1b2c3d4e5f600000001"
    );
    assert_eq!(contractor.approved, Some(false));
    assert_eq!(
        contractor.communities_ids.as_ref().unwrap()[0].as_str(),
        "6840270a99ca91002185fcd6"
    );
    let license = contractor
        .company
        .as_ref()
        .unwrap()
        .trade_license
        .as_ref()
        .unwrap();
    assert_eq!(
        license.public_url.as_deref(),
        Some("https://cdn.buzz-in.co/public/communityContractors/license.pdf")
    );
    // The same JSON, loaded as is (from Salesforce, say), sends the same body.
    let request: CreateContractorRequest =
        serde_json::from_value(doc("create-contractor.request")).unwrap();
    let again = client
        .community_contractors()
        .create_from(request)
        .send()
        .await
        .unwrap();
    assert_eq!(again, contractor);
}

#[tokio::test]
async fn revoke_and_approve_contractor() {
    let server = MockServer::start().await;
    op(
        "PATCH",
        "/communityContractors/66f0a1b2c3d4e5f600000001",
        Some(doc("revoke-contractor.request")),
    )
    .respond_with(
        ResponseTemplate::new(200).set_body_json(json!({"message": "Contractor updated."})),
    )
    .expect(1)
    .mount(&server)
    .await;
    op(
        "PATCH",
        "/communityContractors/66f0a1b2c3d4e5f600000002",
        Some(json!({"action": "approve"})),
    )
    .respond_with(ResponseTemplate::new(200).set_body_string(""))
    .expect(1)
    .mount(&server)
    .await;
    let client = client(&server);
    let ack = client
        .community_contractors()
        .revoke("66f0a1b2c3d4e5f600000001")
        .send()
        .await
        .unwrap();
    assert_eq!(ack.message.as_deref(), Some("Contractor updated."));
    let ack = client
        .community_contractors()
        .approve("66f0a1b2c3d4e5f600000002")
        .send()
        .await
        .unwrap();
    assert_eq!(ack.message, None);
}

#[tokio::test]
async fn revoke_of_a_missing_contractor_is_not_found_and_empty_ids_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(
                json!({"name": "NotFound", "message": "Record Not Found", "code": 404}),
            ),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let e = client
        .community_contractors()
        .revoke("66f0a1b2c3d4e5f6000000ff")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotFound(api) if api.message() == Some("Record Not Found")),
        "{e:?}"
    );
    assert_eq!(hits(&server).await, 1);
    let e = client
        .community_contractors()
        .approve(" ")
        .send()
        .await
        .unwrap_err();
    assert_invalid(&e, "id");
    assert_eq!(hits(&server).await, 1);
}

// ---------------------------------------------------------------- permits

fn doc_permit(client: &Client) -> buzzin::client::CreatePermit {
    client
        .permits()
        .create(
            "a1B5g000000XYZWEAW",
            ContractorRef::SalesforceId("a0B5g000000ABCDEAW".into()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-31T18:00:00.000Z"),
        )
        .jobs_summary("Full interior fit-out of unit 0712.")
        .noc(NocInput::with_details(
            FileInput::Url {
                url: "https://files.example.com/noc-12345.pdf".into(),
            },
            "NOC-12345",
            date("2026-06-20"),
            date("2026-08-20"),
        ))
}

#[tokio::test]
async fn create_permit_body_and_response_match_the_documentation() {
    let server = MockServer::start().await;
    op("POST", "/permits", Some(doc("create-permit.request")))
        .respond_with(ResponseTemplate::new(201).set_body_json(doc("create-permit.response")))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let permit = doc_permit(&client).send().await.unwrap();
    assert_eq!(
        permit.id.as_ref().unwrap().as_str(),
        "66f0a1b2c3d4e5f600000abc"
    );
    assert_eq!(permit.status, Some(PermitStatus::Draft));
    assert_eq!(
        permit.community_contractor_id.as_ref().unwrap().as_str(),
        "66f0a1b2c3d4e5f600000001"
    );
    let damac = permit
        .integrations
        .as_ref()
        .unwrap()
        .damac
        .as_ref()
        .unwrap();
    assert_eq!(
        damac.salesforce_id.as_ref().unwrap().as_str(),
        "a1B5g000000XYZWEAW"
    );
    assert_eq!(
        damac.noc.as_ref().unwrap().noc_number.as_deref(),
        Some("NOC-12345")
    );
    let request: CreatePermitRequest =
        serde_json::from_value(doc("create-permit.request")).unwrap();
    assert_eq!(&request, doc_permit(&client).request());
    let again = client.permits().create_from(request).send().await.unwrap();
    assert_eq!(again, permit);
}

#[tokio::test]
async fn create_permit_by_buzzin_ids_with_more_units_and_extra_fields() {
    let server = MockServer::start().await;
    op(
        "POST",
        "/permits",
        Some(json!({
            "salesforcePermitId": "a1B5g000000XYZWEAW",
            "communityContractorId": "66f0a1b2c3d4e5f600000001",
            "propertyId": "66e0000000000000000000a1",
            "flatId": "66e0000000000000000000b2",
            "additionalFlatIds": ["66e0000000000000000000b3"],
            "additionalFlatExternalIds": ["UNIT-0713"],
            "validFrom": "2026-07-01T06:00:00.000Z",
            "validTill": "2026-07-01T06:00:00.000Z",
            "insurance": {"type": "url", "url": "https://files.example.com/ins.pdf"}
        })),
    )
    .respond_with(
        ResponseTemplate::new(201)
            .set_body_json(json!({"_id": "66f0a1b2c3d4e5f600000abd", "status": 77})),
    )
    .expect(1)
    .mount(&server)
    .await;
    let permit = client(&server)
        .permits()
        .create(
            "a1B5g000000XYZWEAW",
            ContractorRef::Id("66f0a1b2c3d4e5f600000001".into()),
            PropertyRef::Id("66e0000000000000000000a1".into()),
            FlatRef::Id("66e0000000000000000000b2".into()),
            // Equal ends are allowed.
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-01T06:00:00.000Z"),
        )
        .additional_flat_ids(["66e0000000000000000000b3"])
        .additional_flat_external_ids(["UNIT-0713"])
        .extra(
            "insurance",
            json!({"type": "url", "url": "https://files.example.com/ins.pdf"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(permit.status, Some(PermitStatus::Unknown(77)));
}

#[tokio::test]
async fn create_permit_rules_are_checked_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server);
    let reversed = client
        .permits()
        .create(
            "a1B5g000000XYZWEAW",
            ContractorRef::SalesforceId("a0B5g000000ABCDEAW".into()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            ts("2026-07-31T18:00:00.000Z")..=ts("2026-07-01T06:00:00.000Z"),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &reversed,
            Error::InvalidRequest {
                field: "validTill",
                ..
            }
        ),
        "{reversed:?}"
    );
    assert!(reversed.to_string().contains("validFrom"), "{reversed}");
    // Offsets are compared as instants: 10:00+04:00 is 06:00Z, not after 07:00Z.
    let offset_window = client
        .permits()
        .create(
            "x",
            ContractorRef::SalesforceId("c".into()),
            PropertyRef::ExternalId("p".into()),
            FlatRef::Id("f".into()),
            ts("2026-07-01T07:00:00.000Z")..=ts("2026-07-01T10:00:00.000+04:00"),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &offset_window,
            Error::InvalidRequest {
                field: "validTill",
                ..
            }
        ),
        "{offset_window:?}"
    );
    let empty_flat = doc_permit(&client)
        .additional_flat_ids([""])
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        empty_flat,
        Error::InvalidRequest {
            field: "additionalFlatIds",
            ..
        }
    ));
    let empty_contractor = client
        .permits()
        .create(
            "x",
            ContractorRef::Id("".into()),
            PropertyRef::ExternalId("p".into()),
            FlatRef::ExternalId("f".into()),
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-02T06:00:00.000Z"),
        )
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        empty_contractor,
        Error::InvalidRequest {
            field: "communityContractorId",
            ..
        }
    ));
    assert_eq!(hits(&server).await, 0, "nothing was sent");
}

#[tokio::test]
async fn get_permit_decodes_the_full_record_and_encodes_the_id() {
    let server = MockServer::start().await;
    op("GET", "/permits/66f0a1b2c3d4e5f600000abc", None)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_id": "66f0a1b2c3d4e5f600000abc", "status": 1, "statusName": "ACCEPTED",
            "passNumber": "WP-002391", "permitType": "buildUp", "accessCode": "7H2KQ9ZTM4XB1RPA8VC0DLEN",
            "employees": [{"name": "Bilal"}, {"name": "Karim"}], "timeIn": "08:00",
            "integrations": {"damac": {"nocHistory": [{"nocNumber": "NOC-1"}]}}, "brandNew": [1]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/permits/a%2Fb%3Fc"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let permit = client
        .permits()
        .get("66f0a1b2c3d4e5f600000abc")
        .send()
        .await
        .unwrap();
    assert_eq!(permit.status, Some(PermitStatus::Accepted));
    assert_eq!(permit.pass_number.as_deref(), Some("WP-002391"));
    assert_eq!(
        permit.employees.as_ref().unwrap()[1].name.as_deref(),
        Some("Karim")
    );
    assert_eq!(permit.extra["brandNew"], json!([1]));
    let e = client.permits().get("a/b?c").send().await.unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    let e = client.permits().get("").send().await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { field: "id", .. }));
}

#[tokio::test]
async fn update_validity_and_its_rules() {
    let server = MockServer::start().await;
    op(
        "PATCH",
        "/permits/66f0a1b2c3d4e5f600000abc",
        Some(json!({"validTill": "2026-08-15T18:00:00.000Z"})),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(
        json!({"_id": "66f0a1b2c3d4e5f600000abc", "validTill": "2026-08-15T18:00:00.000Z"}),
    ))
    .expect(1)
    .mount(&server)
    .await;
    let client = client(&server);
    let permit = client
        .permits()
        .update_validity("66f0a1b2c3d4e5f600000abc")
        .valid_till(ts("2026-08-15T18:00:00.000Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        permit.valid_till.unwrap().as_str(),
        "2026-08-15T18:00:00.000Z"
    );
    let e = client
        .permits()
        .update_validity("66f0a1b2c3d4e5f600000abc")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidRequest {
                field: "validTill",
                ..
            }
        ),
        "{e:?}"
    );
    let e = client
        .permits()
        .update_validity("66f0a1b2c3d4e5f600000abc")
        .valid_from(ts("2026-09-01T00:00:00.000Z"))
        .valid_till(ts("2026-08-15T18:00:00.000Z"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidRequest {
                field: "validTill",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn a_validity_update_is_retried_but_a_noc_replacement_is_not() {
    let server = MockServer::start().await;
    let noc_body = json!({
        "action": "replaceNoc",
        "noc": {"type": "url", "url": "https://files.example.com/noc-12399.pdf", "nocNumber": "NOC-12399",
                "issueDate": "2026-07-10", "expiryDate": "2026-09-10"}
    });
    op("PATCH", "/permits/66f0a1b2c3d4e5f600000abc", Some(noc_body))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .expect(1)
        .mount(&server)
        .await;
    op(
        "PATCH",
        "/permits/66f0a1b2c3d4e5f600000abc",
        Some(json!({"validFrom": "2026-07-02T06:00:00.000Z"})),
    )
    .respond_with(ResponseTemplate::new(502))
    .up_to_n_times(1)
    .expect(1)
    .mount(&server)
    .await;
    op(
        "PATCH",
        "/permits/66f0a1b2c3d4e5f600000abc",
        Some(json!({"validFrom": "2026-07-02T06:00:00.000Z"})),
    )
    .respond_with(
        ResponseTemplate::new(200).set_body_json(json!({"_id": "66f0a1b2c3d4e5f600000abc"})),
    )
    .expect(1)
    .mount(&server)
    .await;
    let client = client(&server);
    let e = client
        .permits()
        .replace_noc(
            "66f0a1b2c3d4e5f600000abc",
            NocInput::with_details(
                FileInput::Url {
                    url: "https://files.example.com/noc-12399.pdf".into(),
                },
                "NOC-12399",
                date("2026-07-10"),
                date("2026-09-10"),
            ),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Server(api) if api.body_snippet() == Some("<html>Bad Gateway</html>")),
        "{e:?}"
    );
    let permit = client
        .permits()
        .update_validity("66f0a1b2c3d4e5f600000abc")
        .valid_from(ts("2026-07-02T06:00:00.000Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(permit.id.unwrap().as_str(), "66f0a1b2c3d4e5f600000abc");
}

// ---------------------------------------------------------------- passes

#[tokio::test]
async fn pass_actions_send_the_documented_bodies() {
    let server = MockServer::start().await;
    let id = "66f0a1b2c3d4e5f600000abc";
    let p = format!("/passes/{id}");
    for body in [
        doc("pass-revoke.request"),
        json!({"action": "revoke"}),
        json!({"action": "reissuePass"}),
        json!({"action": "submit"}),
    ] {
        op("PATCH", &p, Some(body))
            .respond_with(ResponseTemplate::new(200).set_body_json(doc("pass-action.response-200")))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let passes = client.passes();
    let ack = passes
        .revoke(id)
        .reason("Permit cancelled by DAMAC.")
        .send()
        .await
        .unwrap();
    assert_eq!(ack, Default::default());
    passes.revoke(id).send().await.unwrap();
    passes.reissue(id).send().await.unwrap();
    passes.submit(id).send().await.unwrap();
}

#[tokio::test]
async fn pass_action_from_the_model_with_extra_fields() {
    let server = MockServer::start().await;
    op(
        "PATCH",
        "/passes/p1",
        Some(json!({"action": "revoke", "reason": "r", "actor": "sf-sync"})),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "Pass updated."})))
    .expect(1)
    .mount(&server)
    .await;
    let ack = client(&server)
        .passes()
        .action(
            "p1",
            PassAction::Revoke {
                reason: Some("r".into()),
            },
        )
        .extra("actor", "sf-sync")
        .send()
        .await
        .unwrap();
    assert_eq!(ack.message.as_deref(), Some("Pass updated."));
}

#[tokio::test]
async fn a_revoke_is_retried_after_503_but_a_reissue_is_not() {
    let server = MockServer::start().await;
    op(
        "PATCH",
        "/passes/p1",
        Some(json!({"action": "reissuePass"})),
    )
    .respond_with(ResponseTemplate::new(503))
    .expect(1)
    .mount(&server)
    .await;
    op("PATCH", "/passes/p1", Some(json!({"action": "revoke"})))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    op("PATCH", "/passes/p1", Some(json!({"action": "revoke"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let e = client.passes().reissue("p1").send().await.unwrap_err();
    assert!(matches!(e, Error::Server(_)));
    client.passes().revoke("p1").send().await.unwrap();
}

#[tokio::test]
async fn other_auth_placements_reach_every_operation() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/permits/p1"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(query_param_is_missing("$limit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"_id": "p1"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .auth(buzzin::client::Auth::Bearer)
        .build()
        .unwrap();
    let permit = client.permits().get("p1").send().await.unwrap();
    assert_eq!(permit.id.unwrap().as_str(), "p1");
}

#[tokio::test]
async fn a_400_from_the_documentation_is_a_bad_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(doc("external-nfc-visit.error-400-1")),
        )
        .mount(&server)
        .await;
    let e = client(&server)
        .visits()
        .external_nfc(buzzin::client::DeviceSecret::new("d"), "x")
        .phone("+9715")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 400);
    assert_eq!(
        e.api_error().unwrap().message(),
        Some("Document ID is required")
    );
    assert_eq!(
        e.to_string(),
        "visits().external_nfc(…): POST /visits returned 400 Bad Request: BadRequest - Document ID is required"
    );
}

#[test]
fn operation_futures_and_the_event_stream_can_be_spawned() {
    fn send_static<T: Send + 'static>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let client = Client::builder().api_key(KEY).build().unwrap();
    let t = || ts("2026-07-01T06:00:00.000Z");
    send_static(&client.logs().events().stream());
    send(&client.logs().events().send());
    send(
        &client
            .accesses()
            .create_qr(
                "v",
                buzzin::client::Unit {
                    property_id: "p".into(),
                    flat_id: "f".into(),
                },
                t()..=t(),
            )
            .send(),
    );
    send(
        &client
            .property_managers()
            .create(
                buzzin::client::Contact {
                    name: "n".into(),
                    email: "e".into(),
                    phone: "p".into(),
                },
                ["x"],
            )
            .send(),
    );
    send(&client.property_managers().update("u").send());
    send(
        &client
            .visits()
            .external_nfc(buzzin::client::DeviceSecret::new("d"), "x")
            .send(),
    );
    send(&client.community_contractors().revoke("c").send());
    send(&client.community_contractors().approve("c").send());
    send(&doc_permit(&client).send());
    send(&client.permits().get("p").send());
    send(&client.permits().update_validity("p").send());
    send(&client.passes().reissue("p").send());
    send(
        &client
            .request(buzzin::reqwest::Method::GET, "/x")
            .send::<Value>(),
    );
}

#[tokio::test]
async fn a_permit_create_retried_after_a_timeout_then_409_is_flagged_but_a_first_409_is_not() {
    let server = MockServer::start().await;
    let conflict = ResponseTemplate::new(409).set_body_json(
        json!({"name": "Conflict", "message": "salesforcePermitId already exists", "code": 409}),
    );
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_millis(600)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(conflict)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(Duration::from_millis(150))
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let e = doc_permit(&client).send().await.unwrap_err();
    let Error::Conflict(api) = &e else {
        panic!("{e:?}")
    };
    assert!(api.may_have_been_created_by_earlier_attempt());
    assert_eq!(hits(&server).await, 2);
    let e = doc_permit(&client).send().await.unwrap_err();
    let Error::Conflict(api) = &e else {
        panic!("{e:?}")
    };
    assert!(
        !api.may_have_been_created_by_earlier_attempt(),
        "a genuine duplicate"
    );
    assert!(!e.to_string().contains("earlier attempt"));
    assert_eq!(hits(&server).await, 3);
}
