//! Builders own their client (a clone): every call's future is `Send + 'static`, so it can be
//! spawned, and every builder is `IntoFuture`, so it can be awaited without `.send()`.

use std::future::{Future, IntoFuture};

use buzzin::client::{Contact, DeviceSecret, Unit};
use buzzin::models::{
    CompanyInput, ContractorRef, Date, FileInput, FlatRef, NocInput, Permit, PropertyRef, Timestamp,
};
use buzzin::reqwest::Method;
use buzzin::Client;
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

const PERMIT_ID: &str = "66f0a1b2c3d4e5f600000abc";

/// Compiles only for a future that is `Send + 'static` (and drops it unpolled).
fn send_and_static<F: Future + Send + 'static>(_future: F) {}

/// Compiles only for a builder whose `IntoFuture` is `Send + 'static`.
fn into_future_send_and_static<B>(_builder: B)
where
    B: IntoFuture,
    B::IntoFuture: Send + 'static,
{
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(format!("/permits/{PERMIT_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "_id": PERMIT_ID, "status": 1, "statusName": "ACCEPTED"
        })))
        .expect(3)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_call_is_spawned_and_a_builder_awaited() {
    let server = server().await;
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .build()
        .unwrap();

    // The two lines, as a user writes them.
    let spawned = tokio::spawn(client.permits().get(PERMIT_ID).send());
    let awaited: Permit = client.permits().get(PERMIT_ID).await.unwrap();

    // A builder outlives the client it came from: it holds its own clone.
    let later = client.permits().get(PERMIT_ID);
    drop(client);
    let from_later = tokio::spawn(later.into_future()).await.unwrap().unwrap();

    let spawned = spawned.await.unwrap().unwrap();
    assert_eq!(spawned, awaited);
    assert_eq!(from_later, awaited);
    assert_eq!(awaited.id.as_ref().map(|id| id.as_str()), Some(PERMIT_ID));
    assert_eq!(awaited.status_name.as_deref(), Some("ACCEPTED"));
}

/// Compiled, not run: every builder's `send()` future and `IntoFuture` is `Send + 'static`.
#[allow(dead_code)]
fn every_call_is_send_and_static(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    let t = Timestamp::parse("2026-07-01T06:00:00.000Z")?;
    let unit = || Unit {
        property_id: "p".into(),
        flat_id: "f".into(),
    };
    let contact = || Contact {
        name: "n".into(),
        email: "e@x.ae".into(),
        phone: "+971500000000".into(),
    };
    let company = || {
        CompanyInput::new(
            "c",
            FileInput::Url {
                url: "https://x".into(),
            },
            Date::new(2027, 3, 31).unwrap(),
        )
    };
    let noc = || {
        NocInput::with_details(
            FileInput::Url {
                url: "https://x".into(),
            },
            "NOC-1",
            Date::new(2026, 6, 20).unwrap(),
            Date::new(2026, 8, 20).unwrap(),
        )
    };
    let permit = || {
        client.permits().create(
            "sf",
            ContractorRef::Id("c".into()),
            PropertyRef::ExternalId("p".into()),
            FlatRef::ExternalId("f".into()),
            t..=t,
        )
    };

    send_and_static(client.logs().events().send());
    send_and_static(client.accesses().create_qr("v", unit(), t..=t).send());
    send_and_static(
        client
            .property_managers()
            .create(contact(), vec!["p"])
            .send(),
    );
    send_and_static(client.property_managers().update("u").send());
    send_and_static(
        client
            .visits()
            .external_nfc(DeviceSecret::new("s"), "d")
            .send(),
    );
    send_and_static(
        client
            .community_contractors()
            .create(contact(), company(), "sf")
            .send(),
    );
    send_and_static(client.community_contractors().approve("c").send());
    send_and_static(permit().send());
    let permit = || {
        client.permits().create(
            "sf",
            ContractorRef::Id("c".into()),
            PropertyRef::ExternalId("p".into()),
            FlatRef::ExternalId("f".into()),
            t..=t,
        )
    };
    send_and_static(client.permits().get("p").send());
    send_and_static(client.permits().update_validity("p").send());
    send_and_static(client.permits().replace_noc("p", noc()).send());
    send_and_static(client.passes().submit("p").send());
    send_and_static(
        client
            .request(Method::GET, "/x")
            .send::<serde_json::Value>(),
    );

    into_future_send_and_static(client.logs().events());
    into_future_send_and_static(client.accesses().create_qr("v", unit(), t..=t));
    into_future_send_and_static(client.property_managers().create(contact(), vec!["p"]));
    into_future_send_and_static(client.property_managers().update("u"));
    into_future_send_and_static(client.visits().external_nfc(DeviceSecret::new("s"), "d"));
    into_future_send_and_static(
        client
            .community_contractors()
            .create(contact(), company(), "sf"),
    );
    into_future_send_and_static(client.community_contractors().revoke("c"));
    into_future_send_and_static(permit());
    into_future_send_and_static(client.permits().get("p"));
    into_future_send_and_static(client.permits().update_validity("p"));
    into_future_send_and_static(client.permits().replace_noc("p", noc()));
    into_future_send_and_static(client.passes().revoke("p"));
    into_future_send_and_static(client.request(Method::GET, "/x"));
    Ok(())
}
