//! The client driven through the whole DAMAC lifecycle against the simulator, with every webhook
//! delivered over HTTP and checked by the verifier.

use std::time::Duration;

use crate::simulator_support::*;
use buzzin::models::{ContractorRef, FlatRef, PermitStatus, PropertyRef, WebhookEventName};
use buzzin::webhooks::{Authentication, Event, Verifier};
use buzzin_sim::{status, DeliveryOutcome, ScanRefusal, WebhookDestination};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

fn names(sim: &buzzin_sim::Simulator) -> Vec<String> {
    sim.events()
        .iter()
        .map(|e| e.event.as_ref().unwrap().as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn damac_lifecycle_with_verified_webhooks() {
    let (sim, client) = start().await;
    let signed = receiver(200).await;
    let tokened = receiver(204).await;
    sim.add_webhook(
        WebhookDestination::new(format!("{}/hooks", signed.uri())).signing_secret("whsec-sim"),
    );
    sim.add_webhook(
        WebhookDestination::new(format!("{}/hooks", tokened.uri()))
            .event(WebhookEventName::PermitIssued)
            .token("tok-sim"),
    );

    // 1. The contractor is created pending; a permit for it is refused until approval.
    let created = client
        .community_contractors()
        .create(
            buzzin_test_support::fixtures::contact(),
            company(buzzin_test_support::fixtures::COMPANY_NAME),
            buzzin_test_support::fixtures::DAMAC_ID,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.approved, Some(false));
    assert_eq!(
        created.communities_ids.as_deref(),
        Some(&[sim.community_id().clone()][..])
    );
    let contractor_id = created.id.clone().unwrap();
    let by_salesforce = || {
        client.permits().create(
            "a1B5g000000XYZWEAW",
            ContractorRef::SalesforceId("a0B5g000000ABCDEAW".into()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-31T18:00:00.000Z"),
        )
    };
    let refused = by_salesforce().send().await.unwrap_err();
    assert_eq!(api_error(&refused), (400, "BadRequest".into()));

    // 2. Approved through the API's approve action.
    client
        .community_contractors()
        .approve(contractor_id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(sim.contractor(&contractor_id).unwrap().approved, Some(true));

    // 3. The permit is created as a DRAFT, references resolved from DAMAC's ids.
    let draft = by_salesforce().noc(noc("NOC-12345")).send().await.unwrap();
    assert_eq!(draft.status, Some(PermitStatus::Draft));
    assert_eq!(draft.status.unwrap().code(), 10);
    assert_eq!(
        draft.property_id.as_ref().unwrap().as_str(),
        "66e0000000000000000000a1"
    );
    assert_eq!(
        draft.flat_id.as_ref().unwrap().as_str(),
        "66e0000000000000000000b2"
    );
    assert_eq!(draft.community_contractor_id.as_ref(), Some(&contractor_id));
    assert_eq!(draft.access_code, None);
    let damac = draft.integrations.as_ref().unwrap().damac.as_ref().unwrap();
    assert_eq!(
        damac.salesforce_id.as_ref().unwrap().as_str(),
        "a1B5g000000XYZWEAW"
    );
    assert_eq!(
        damac.noc.as_ref().unwrap().noc_number.as_deref(),
        Some("NOC-12345")
    );
    let permit_id = draft.id.clone().unwrap();

    // 4. Submit needs the dashboard's details; then the approval workflow accepts it.
    let early = client
        .passes()
        .submit(permit_id.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&early), (400, "BadRequest".into()));
    submit(&sim, &client, &permit_id).await;
    assert_eq!(
        client
            .permits()
            .get(permit_id.clone())
            .send()
            .await
            .unwrap()
            .status,
        Some(status::PENDING)
    );
    let accepted = sim.approve_permit(&permit_id).unwrap();
    assert_eq!(accepted.status, Some(PermitStatus::Accepted));
    assert_eq!(accepted.status_name.as_deref(), Some("ACCEPTED"));
    let code = accepted.access_code.clone().unwrap();
    assert_eq!(code.len(), 24);
    assert_eq!(accepted.qr_token.as_deref(), Some(code.as_str()));
    let fetched = client
        .permits()
        .get(permit_id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.access_code.as_deref(), Some(code.as_str()));
    assert_eq!(fetched.employees.as_ref().unwrap().len(), 2);

    // The QR image URL is served by the simulator.
    let image_url = sim.events().last().unwrap().data.as_ref().unwrap()["qrImageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = reqwest::get(&image_url).await.unwrap();
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");

    // 5. Gates: not active before July 1st, then the first scan, then an exit.
    assert_eq!(sim.scan(&code), Err(ScanRefusal::Inactive));
    sim.advance(2 * DAY);
    let first = sim.scan(&code).unwrap();
    assert!(first.first);
    assert!(!sim.scan(&code).unwrap().first);

    // 6. Extended validity: same code, `passes.permits.updated` with the new window.
    let extended = client
        .permits()
        .update_validity(permit_id.clone())
        .valid_till(ts("2026-08-15T18:00:00.000Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(extended.access_code.as_deref(), Some(code.as_str()));
    assert_eq!(
        extended.valid_till.as_ref().unwrap().as_str(),
        "2026-08-15T18:00:00.000Z"
    );
    let updated = sim.events().last().unwrap().clone();
    assert_eq!(updated.event, Some(WebhookEventName::PermitUpdated));
    assert_eq!(
        updated.data.as_ref().unwrap()["validTill"],
        "2026-08-15T18:00:00.000Z"
    );
    assert_eq!(updated.data.as_ref().unwrap()["accessCode"], code.as_str());

    // 7. A new NOC; the old one goes into the history.
    let replaced = client
        .permits()
        .replace_noc(permit_id.clone(), noc("NOC-12399"))
        .send()
        .await
        .unwrap();
    let damac = replaced.integrations.unwrap().damac.unwrap();
    assert_eq!(damac.noc.unwrap().noc_number.as_deref(), Some("NOC-12399"));
    let history = damac.noc_history.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].noc_number.as_deref(), Some("NOC-12345"));

    // 8. Reissue: a new code; the old one is refused at once.
    client
        .passes()
        .reissue(permit_id.clone())
        .send()
        .await
        .unwrap();
    let reissued = client
        .permits()
        .get(permit_id.clone())
        .send()
        .await
        .unwrap();
    let new_code = reissued.access_code.clone().unwrap();
    assert_ne!(new_code, code);
    assert!(reissued.permit_documentation_url.is_some());
    assert_ne!(
        reissued.permit_documentation_url, fetched.permit_documentation_url,
        "fresh permit documents"
    );
    assert_eq!(sim.scan(&code), Err(ScanRefusal::Reissued));
    assert!(sim.scan(&new_code).is_ok());

    // 9. Revoke: the code dies, and a reissue is refused.
    client
        .passes()
        .revoke(permit_id.clone())
        .reason("Permit cancelled by DAMAC.")
        .send()
        .await
        .unwrap();
    let revoked = client
        .permits()
        .get(permit_id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status, Some(status::REVOKED));
    assert_eq!(
        revoked.revocation.as_ref().unwrap().reason.as_deref(),
        Some("Permit cancelled by DAMAC.")
    );
    assert_eq!(sim.scan(&new_code), Err(ScanRefusal::Revoked));
    let again = client
        .passes()
        .reissue(permit_id.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&again), (400, "BadRequest".into()));

    // The events, in order.
    assert_eq!(
        names(&sim),
        [
            "communityContractors.approved",
            "passes.permits.issued",
            "passes.permits.scanned",
            "passes.permits.firstScanned",
            "passes.permits.scanned",
            "passes.permits.updated",
            "passes.permits.issued",
            "passes.permits.scanned",
        ]
    );

    // Every event reached the signed destination; only `issued` the token one. Each delivery
    // passes the verifier and carries the event it says it carries.
    tokio::time::timeout(Duration::from_secs(10), sim.wait_for_deliveries())
        .await
        .expect("deliveries settle");
    let deliveries = sim.deliveries();
    assert_eq!(deliveries.len(), 8 + 2);
    assert!(deliveries.iter().all(|d| d.succeeded() && d.attempt == 1));
    let signed_requests = signed.received_requests().await.unwrap();
    assert_eq!(signed_requests.len(), 8);
    let verifier = Verifier::new("whsec-sim");
    let mut received = Vec::new();
    for request in &signed_requests {
        let delivery = verifier.verify(&request.headers, &request.body).unwrap();
        assert_eq!(delivery.authentication(), Authentication::Signature);
        assert_eq!(
            request.headers["x-buzzin-event"].to_str().unwrap(),
            delivery.event_name()
        );
        assert!(delivery.delivery_id().is_some());
        received.push(delivery.event_name().to_owned());
    }
    assert_eq!(received, names(&sim));
    assert!(Verifier::new("another-secret")
        .verify(&signed_requests[0].headers, &signed_requests[0].body)
        .is_err());

    let token_requests = tokened.received_requests().await.unwrap();
    assert_eq!(token_requests.len(), 2);
    let token_verifier = Verifier::new("tok-sim");
    let mut issued_codes = Vec::new();
    for request in &token_requests {
        assert!(request.headers.get("buzzin-signature").is_none());
        let delivery = token_verifier
            .verify(&request.headers, &request.body)
            .unwrap();
        assert_eq!(delivery.authentication(), Authentication::Token);
        match delivery.event() {
            Event::PermitIssued(data) => {
                assert_eq!(data.permit_id.as_ref(), Some(&permit_id));
                assert_eq!(data.status, Some(PermitStatus::Accepted));
                assert_eq!(data.r#type.as_deref(), Some("permits"));
                assert_eq!(
                    data.salesforce_id.as_ref().unwrap().as_str(),
                    "a1B5g000000XYZWEAW"
                );
                assert_eq!(data.qr_token, data.access_code);
                issued_codes.push(data.access_code.clone().unwrap());
            }
            other => panic!("unexpected event {}", other.name()),
        }
    }
    assert_eq!(issued_codes, [code, new_code]);
    assert!(deliveries
        .iter()
        .all(|d| matches!(d.outcome, DeliveryOutcome::Status(200 | 204))));
}

#[tokio::test]
async fn contractor_revoke_archives_its_live_permits_then_removes_it() {
    let (sim, client) = start().await;
    let a = approved_contractor(&sim, &client, 1).await;
    let b = approved_contractor(&sim, &client, 2).await;
    let a1 = accepted_permit(&sim, &client, &a, "a1SF0000000000A001").await;
    let a2 = accepted_permit(&sim, &client, &a, "a1SF0000000000A002").await;
    let a3 = draft_permit(&client, &a, "a1SF0000000000A003").await;
    let b1 = accepted_permit(&sim, &client, &b, "a1SF0000000000B001").await;
    let a4 = accepted_permit(&sim, &client, &a, "a1SF0000000000A004").await;
    client
        .passes()
        .revoke(a4.id.clone().unwrap())
        .send()
        .await
        .unwrap();
    let before = sim.events().len();

    client
        .community_contractors()
        .revoke(a.clone())
        .send()
        .await
        .unwrap();

    let events = sim.events()[before..].to_vec();
    let described: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            let data = e.data.as_ref().unwrap();
            let subject = data.get("permitId").or(data.get("_id")).unwrap();
            (
                e.event.as_ref().unwrap().as_str().to_owned(),
                subject.as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let id = |p: &buzzin::models::Permit| p.id.as_ref().unwrap().to_string();
    assert_eq!(
        described,
        [
            ("passes.permits.updated".to_owned(), id(&a1)),
            ("passes.permits.updated".to_owned(), id(&a2)),
            ("passes.permits.updated".to_owned(), id(&a3)),
            ("communityContractors.removed".to_owned(), a.to_string()),
        ]
    );
    for event in &events[..3] {
        assert_eq!(event.data.as_ref().unwrap()["status"], 4);
        assert_eq!(event.data.as_ref().unwrap()["statusName"], "ARCHIVED");
    }
    assert_eq!(
        events[3].data.as_ref().unwrap()["communitiesIds"],
        serde_json::json!([])
    );
    for permit in [&a1, &a2, &a3] {
        let now = client
            .permits()
            .get(permit.id.clone().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(now.status, Some(status::ARCHIVED));
    }
    // The revoked pass stays revoked; the other contractor's permit is untouched.
    let a4_now = client
        .permits()
        .get(a4.id.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(a4_now.status, Some(status::REVOKED));
    assert_eq!(
        client
            .permits()
            .get(b1.id.clone().unwrap())
            .send()
            .await
            .unwrap()
            .status,
        Some(PermitStatus::Accepted)
    );
    sim.advance(2 * DAY);
    assert_eq!(
        sim.scan(a1.access_code.as_deref().unwrap()),
        Err(ScanRefusal::Archived)
    );
    assert!(sim.scan(b1.access_code.as_deref().unwrap()).is_ok());

    // Detached: no new permits, revoking again changes nothing, approving is refused.
    let refused = draft_permit_result(&client, &a).await;
    assert_eq!(api_error(&refused), (404, "NotFound".into()));
    let count = sim.events().len();
    client
        .community_contractors()
        .revoke(a.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(sim.events().len(), count);
    let approve = client
        .community_contractors()
        .approve(a.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&approve), (400, "BadRequest".into()));
    // Archived permits cannot be reissued or have their validity changed.
    let reissue = client
        .passes()
        .reissue(a1.id.clone().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&reissue), (400, "BadRequest".into()));
    let extend = client
        .permits()
        .update_validity(a1.id.clone().unwrap())
        .valid_till(ts("2026-09-01T00:00:00.000Z"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&extend), (400, "BadRequest".into()));
}

async fn draft_permit_result(
    client: &buzzin::Client,
    contractor: &buzzin::models::ContractorId,
) -> buzzin::Error {
    client
        .permits()
        .create(
            "a1SF0000000000Z999",
            ContractorRef::Id(contractor.clone()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-31T18:00:00.000Z"),
        )
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn the_clock_sends_expiring_then_expired_once() {
    let (sim, client) = start().await;
    let contractor = approved_contractor(&sim, &client, 1).await;
    let permit = accepted_permit(&sim, &client, &contractor, "a1SF00000000EXP001").await;
    let id = permit.id.clone().unwrap();
    let code = permit.access_code.clone().unwrap();
    let count = |name: WebhookEventName| {
        sim.events()
            .iter()
            .filter(|e| e.event == Some(name.clone()))
            .count()
    };

    // validTill is 2026-07-31T18:00Z; the clock is at 2026-06-29T10:15Z.
    sim.advance(31 * DAY); // 2026-07-30T10:15Z: 31 h 45 min before the end.
    assert_eq!(count(WebhookEventName::PermitExpiring), 0);
    sim.advance(8 * Duration::from_secs(3600)); // 23 h 45 min before.
    assert_eq!(count(WebhookEventName::PermitExpiring), 1);
    sim.advance(Duration::from_secs(3600));
    assert_eq!(count(WebhookEventName::PermitExpiring), 1, "sent once");

    // An extension resets the notice.
    client
        .permits()
        .update_validity(id.clone())
        .valid_till(ts("2026-08-10T18:00:00.000Z"))
        .send()
        .await
        .unwrap();
    sim.advance(5 * DAY);
    assert_eq!(count(WebhookEventName::PermitExpiring), 1);
    assert!(sim.scan(&code).is_ok());
    sim.advance(5 * DAY); // 2026-08-09T19:15Z: within 24 h of the new end.
    assert_eq!(count(WebhookEventName::PermitExpiring), 2);
    assert_eq!(count(WebhookEventName::PermitExpired), 0);
    sim.advance(DAY);
    assert_eq!(count(WebhookEventName::PermitExpired), 1);
    let expired = client.permits().get(id.clone()).send().await.unwrap();
    assert_eq!(expired.status, Some(status::EXPIRED));
    assert_eq!(sim.scan(&code), Err(ScanRefusal::Expired));
    sim.advance(DAY);
    assert_eq!(count(WebhookEventName::PermitExpired), 1, "sent once");
    let extend = client
        .permits()
        .update_validity(id)
        .valid_till(ts("2026-09-10T18:00:00.000Z"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&extend), (400, "BadRequest".into()));
}

/// A DRAFT's validity change delivers `passes.permits.updated` with the new window, as the
/// update page says of every successful change (it states no exception for a DRAFT).
#[tokio::test]
async fn a_drafts_validity_change_delivers_permits_updated() {
    let (sim, client) = start().await;
    let contractor = approved_contractor(&sim, &client, 41).await;
    let draft = draft_permit(&client, &contractor, "a1SFDRAFT0041").await;
    assert_eq!(draft.status, Some(PermitStatus::Draft));
    let id = draft.id.unwrap();
    let before = sim.events().len();
    client
        .permits()
        .update_validity(id.clone())
        .valid_till(ts("2026-07-20T18:00:00.000Z"))
        .send()
        .await
        .unwrap();
    let events = sim.events();
    assert_eq!(events.len(), before + 1, "one event for the change");
    let updated = &events[before];
    assert_eq!(updated.event, Some(WebhookEventName::PermitUpdated));
    let data = serde_json::to_value(updated).unwrap()["data"].clone();
    assert_eq!(data["permitId"], id.as_str());
    assert_eq!(data["validTill"], "2026-07-20T18:00:00.000Z");
}

/// `POST /visits` needs no key (the NFC page shows none: the tag's secret is the proof;
/// assumed), but a key that is sent must be right, and every other operation needs one.
#[tokio::test]
async fn an_nfc_visit_needs_no_key_and_nothing_else_goes_without_one() {
    let (sim, _client) = start().await;
    let http = reqwest::Client::new();
    let visit = serde_json::json!({
        "visitType": "externalNfc",
        "deviceSecret": "abc123xyz789...",
        "documentId": "784-1234-5678901-2",
        "email": "resident@example.com",
    });
    let url = |path: &str| format!("{}{path}", sim.base_url().trim_end_matches('/'));
    let keyless = http.post(url("/visits")).json(&visit).send().await.unwrap();
    assert_eq!(keyless.status(), 200);
    let body: serde_json::Value = keyless.json().await.unwrap();
    assert_eq!(body["responseCode"], "entryEventCreated");
    let wrong = http
        .post(url("/visits"))
        .header("x-api-key", "bz_wrong")
        .json(&visit)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    for (method, path) in [
        ("GET", "/events"),
        ("POST", "/accesses"),
        ("GET", "/visits"),
    ] {
        let answer = http
            .request(method.parse().unwrap(), url(path))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "{method} {path} without a key");
    }
}
