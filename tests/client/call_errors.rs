//! Errors name the SDK call as the caller wrote it, then the route and the status; a 404 on a
//! record names its kind; a create answers its record's id, or a typed error without one.

use buzzin::client::Contact;

use buzzin::{Client, Error};
use buzzin_test_support::fixtures;
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

const PERMIT: &str = "66f0a1b2c3d4e5f600000abc";

async fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .retry_policy(buzzin::client::RetryPolicy::never())
        .build()
        .unwrap()
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(serde_json::json!({
        "name": "NotFound", "message": format!("No record found for id '{PERMIT}'"), "code": 404
    }))
}

#[tokio::test]
async fn a_404_names_the_call_the_route_and_the_record_kind() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("PATCH"))
        .and(matchers::path(format!("/passes/{PERMIT}")))
        .respond_with(not_found())
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .await
        .passes()
        .submit(PERMIT)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "passes().submit(\"{PERMIT}\"): PATCH /passes/{PERMIT} returned 404 Not Found \
             (no such permit): NotFound - No record found for id '{PERMIT}'"
        )
    );
    let api = e.api_error().unwrap();
    assert_eq!(api.call(), format!("passes().submit(\"{PERMIT}\")"));
    assert_eq!(api.request(), format!("PATCH /passes/{PERMIT}"));
    assert_eq!(api.record_kind(), Some("permit"));
}

#[tokio::test]
async fn each_call_is_named_as_written() {
    let server = MockServer::start().await;
    Mock::given(matchers::any())
        .respond_with(not_found())
        .mount(&server)
        .await;
    let client = client(&server).await;
    let cases: Vec<(Error, String)> = vec![
        (
            client.permits().get(PERMIT).await.unwrap_err(),
            format!("permits().get(\"{PERMIT}\"): GET /permits/{PERMIT} returned 404 Not Found (no such permit)"),
        ),
        (
            client
                .community_contractors()
                .approve("c1")
                .await
                .unwrap_err(),
            "community_contractors().approve(\"c1\"): PATCH /communityContractors/c1 returned 404 Not Found (no such contractor)".into(),
        ),
        (
            client.property_managers().update("u1").await.unwrap_err(),
            "property_managers().update(\"u1\"): PATCH /users/u1 returned 404 Not Found (no such property manager)".into(),
        ),
        (
            client.logs().events().await.unwrap_err(),
            "logs().events(): GET /events returned 404 Not Found:".into(),
        ),
    ];
    for (e, start) in cases {
        assert!(e.to_string().starts_with(&start), "{e}\nwanted: {start}");
    }
}

#[tokio::test]
async fn a_create_answers_the_id_or_a_typed_error_without_one() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/communityContractors"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({"_id": "c1", "approved": false})),
        )
        .mount(&server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/permits"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"status": 10})))
        .mount(&server)
        .await;
    let client = client(&server).await;
    let contractor = client
        .community_contractors()
        .create(
            Contact {
                name: "Rep".into(),
                email: "ops@ahmed-contracting.ae".into(),
                phone: "+971500000000".into(),
            },
            fixtures::company(),
            fixtures::DAMAC_ID,
        )
        .await
        .unwrap();
    assert_eq!(contractor.id().as_str(), "c1");
    assert_eq!(contractor.approved, Some(false));
    assert_eq!(
        contractor.record().id.as_ref().map(|id| id.as_str()),
        Some("c1")
    );

    let t = buzzin::models::Timestamp::parse("2026-07-01T06:00:00.000Z").unwrap();
    let e = client
        .permits()
        .create(
            "sf",
            buzzin::models::ContractorRef::Id(contractor.into_id()),
            buzzin::models::PropertyRef::ExternalId("P".into()),
            buzzin::models::FlatRef::ExternalId("F".into()),
            t..=t,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::MissingId { kind: "permit", .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "permits().create(…): POST /permits answered a new permit without its `_id`"
    );
}

/// A request refused before it is sent names the call too, then the field and the rule.
#[tokio::test]
async fn a_refused_request_names_the_call() {
    let server = MockServer::start().await;
    let client = client(&server).await;
    let e = client.permits().get(" ").send().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "permits().get: invalid request: `id` must not be empty"
    );
    let e = client
        .visits()
        .external_nfc(buzzin::client::DeviceSecret::new("s3cr3t-device"), "784-1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::InvalidRequest {
                call: "visits().external_nfc",
                field: "phone",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("visits().external_nfc: invalid request: `phone`"),
        "{e}"
    );
    assert!(!format!("{e:?}").contains("s3cr3t"), "{e:?}");
    let e = client
        .passes()
        .revoke(PERMIT)
        .extra("action", "reissuePass")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("passes().revoke: invalid request: `action`"),
        "{e}"
    );
    let e = client
        .permits()
        .update_validity(PERMIT)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("permits().update_validity: invalid request: `validTill`"),
        "{e}"
    );
    let e = client
        .request(reqwest::Method::GET, "no-slash")
        .send::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("request: invalid request: `path`"),
        "{e}"
    );
    // Nothing was sent.
    assert!(server.received_requests().await.unwrap().is_empty());
}
