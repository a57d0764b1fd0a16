//! Every documented refusal of the simulator, the assumed operations, webhook retries and
//! injected faults, driven through the client (raw requests where the client refuses to send a
//! bad body itself).

use std::time::Duration;

use crate::simulator_support::*;
use buzzin::client::RetryPolicy;
use buzzin::models::{
    ContractorRef, FileInput, FlatId, FlatRef, NfcResponseCode, PropertyId, PropertyRef, UserRole,
    VisitType, WebhookEventName,
};
use buzzin::reqwest::Method;
use buzzin::{Client, Error};
use buzzin_sim::{
    DeliveryOutcome, Fault, GateDirection, ScanRefusal, Simulator, SimulatorError,
    WebhookDestination,
};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TWR07: &str = "66e0000000000000000000a1";
const UNIT_0712: &str = "66e0000000000000000000b2";
const UNIT_0801: &str = "66e0000000000000000000c1";

async fn raw(client: &Client, method: Method, path: &str, body: Value) -> Result<Value, Error> {
    client.request(method, path).json(&body).send().await
}

#[tokio::test]
async fn a_wrong_or_missing_key_gets_a_feathers_401() {
    let sim = Simulator::start().await.unwrap();
    let wrong = Client::builder()
        .base_url(sim.base_url())
        .api_key("bz_wrong")
        .build()
        .unwrap();
    let error = wrong
        .permits()
        .get("5f1d00000000000000000001")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    let api = error.api_error().unwrap();
    assert_eq!(api.code(), Some(401));
    assert_eq!(api.name().unwrap().as_str(), "NotAuthenticated");
    assert_eq!(api.class_name(), Some("not-authenticated"));
    assert_eq!(api.message(), Some("Invalid API key"));

    let http = reqwest::Client::new();
    let missing = http
        .get(format!("{}/events", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["name"], "NotAuthenticated");
    assert_eq!(body["code"], 401);
    // A missing key is told from a wrong one.
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("No API key"), "{message}");
    assert!(message.contains("x-api-key"), "{message}");
    // An empty Bearer is a key sent (and wrong), not a missing one.
    let empty = http
        .get(format!("{}/events", sim.base_url()))
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    let body: Value = empty.json().await.unwrap();
    assert_eq!(body["message"], "Invalid API key");

    // Neither the simulator's nor its builder's Debug shows the key.
    let builder = Simulator::builder().api_key("bz_secret_key");
    assert!(!format!("{builder:?}").contains("bz_secret_key"));
    let keyed = builder.start().await.unwrap();
    assert!(!format!("{keyed:?}").contains("bz_secret_key"));
    assert_eq!(keyed.api_key(), "bz_secret_key");

    // The key as a bearer token is accepted too.
    let bearer = http
        .get(format!("{}/events", sim.base_url()))
        .bearer_auth(sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
    // Unknown paths and methods answer Feathers errors too.
    let client = sim.client().unwrap();
    let unknown = raw(&client, Method::POST, "/nowhere", json!({}))
        .await
        .unwrap_err();
    assert_eq!(api_error(&unknown), (404, "NotFound".into()));
    // The control API is off unless asked for (`SimulatorBuilder::control_api`).
    let control = raw(&client, Method::GET, "/_simulator/events", json!({}))
        .await
        .unwrap_err();
    assert_eq!(api_error(&control), (404, "NotFound".into()));
    let not_allowed = raw(&client, Method::DELETE, "/permits/x", json!({}))
        .await
        .unwrap_err();
    assert_eq!(api_error(&not_allowed), (405, "MethodNotAllowed".into()));
}

#[tokio::test]
async fn contractor_duplicates_are_409_email_globally_phone_and_salesforce_per_community() {
    let (sim, client) = start().await;
    contractor(&client, 1).await;
    let create = |email: &str, phone: &str, sf: &str| {
        client.community_contractors().create(
            buzzin::client::Contact {
                name: "Rep".into(),
                email: email.into(),
                phone: phone.into(),
            },
            company("Another LLC"),
            sf.to_owned(),
        )
    };
    let conflict = |result: Result<_, Error>| {
        let error = result.unwrap_err();
        assert!(matches!(error, Error::Conflict(_)), "{error:?}");
        api_error(&error)
    };
    // The same email, in another case.
    let e = create(
        "OPS1@contracting.example",
        "+971511111111",
        "a0SF00000000000NEW",
    )
    .send()
    .await;
    assert_eq!(conflict(e), (409, "Conflict".into()));
    // The same phone, and the same Salesforce id, in this community.
    let p = create(
        "new1@contracting.example",
        "+971500000001",
        "a0SF00000000000NEW",
    )
    .send()
    .await;
    assert_eq!(conflict(p), (409, "Conflict".into()));
    let s = create(
        "new2@contracting.example",
        "+971522222222",
        "a0B5g00000CTR0001",
    )
    .send()
    .await;
    assert_eq!(conflict(s), (409, "Conflict".into()));

    // Another community's contractor: its email is taken, its phone and Salesforce id are not.
    let other = sim.seed().other_community_contractors[0].clone();
    let taken = create(&other.email, "+971533333333", "a0SF00000000000NEW")
        .send()
        .await;
    assert_eq!(conflict(taken), (409, "Conflict".into()));
    let free = create(
        "new3@contracting.example",
        &other.phone,
        &other.salesforce_id,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(free.phone.as_deref(), Some(other.phone.as_str()));

    // Missing or malformed bodies are 400.
    let bad = raw(
        &client,
        Method::POST,
        "/communityContractors",
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(api_error(&bad.unwrap_err()), (400, "BadRequest".into()));
}

#[tokio::test]
async fn a_base64_trade_licence_is_stored_and_served() {
    let (_sim, client) = start().await;
    let licence = FileInput::Base64 {
        data: "JVBERi0xLjQK".into(), // "%PDF-1.4\n"
        file_name: Some("licence.pdf".into()),
        mime_type: Some("application/pdf".into()),
    };
    let created = client
        .community_contractors()
        .create(
            buzzin::client::Contact {
                name: "Rep".into(),
                email: "b64@contracting.example".into(),
                phone: "+971544444444".into(),
            },
            buzzin::models::CompanyInput::new("B64 LLC", licence, date("2027-01-31")),
            "a0SF0000000000B64A",
        )
        .send()
        .await
        .unwrap()
        .into_record();
    let url = created
        .company
        .unwrap()
        .trade_license
        .unwrap()
        .public_url
        .unwrap();
    let file = reqwest::get(&url).await.unwrap();
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.4\n");

    let broken = FileInput::Base64 {
        data: "not base64!".into(),
        file_name: None,
        mime_type: None,
    };
    let error = client
        .community_contractors()
        .create(
            buzzin::client::Contact {
                name: "Rep".into(),
                email: "b64b@contracting.example".into(),
                phone: "+971555555555".into(),
            },
            buzzin::models::CompanyInput::new("B64 LLC", broken, date("2027-01-31")),
            "a0SF0000000000B64B",
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&error), (400, "BadRequest".into()));
}

#[tokio::test]
async fn permit_references_resolve_or_404_and_the_contractor_must_be_approved() {
    let (sim, client) = start().await;
    let approved = approved_contractor(&sim, &client, 1).await;
    let pending = contractor(&client, 2).await.id.unwrap();
    let create = |c: ContractorRef, p: PropertyRef, f: FlatRef, sf: &str| {
        client.permits().create(
            sf.to_owned(),
            c,
            p,
            f,
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-31T18:00:00.000Z"),
        )
    };
    let twr07 = || PropertyRef::ExternalId("DAMAC-TWR-07".into());
    let unit = || FlatRef::ExternalId("UNIT-0712".into());
    let by_id = || ContractorRef::Id(approved.clone());
    let status_of = |r: Result<_, Error>| api_error(&r.unwrap_err());

    let cases = [
        (
            ContractorRef::SalesforceId("a0SF0000000UNKNOWN".into()),
            twr07(),
            unit(),
            404,
        ),
        (
            ContractorRef::Id("5f1d0000000000000000ffff".into()),
            twr07(),
            unit(),
            404,
        ),
        (ContractorRef::Id(pending.clone()), twr07(), unit(), 400),
        (
            by_id(),
            PropertyRef::ExternalId("DAMAC-TWR-99".into()),
            unit(),
            404,
        ),
        (
            by_id(),
            PropertyRef::Id("66e00000000000000000ffff".into()),
            unit(),
            404,
        ),
        // A unit of another property.
        (
            by_id(),
            twr07(),
            FlatRef::ExternalId("UNIT-0801".into()),
            404,
        ),
        (by_id(), twr07(), FlatRef::Id(UNIT_0801.into()), 404),
        (
            by_id(),
            twr07(),
            FlatRef::ExternalId("UNIT-9999".into()),
            404,
        ),
    ];
    for (n, (c, p, f, expected)) in cases.into_iter().enumerate() {
        let (status, _) = status_of(
            create(c, p, f, &format!("a1SF00000000REF{n:03}"))
                .send()
                .await,
        );
        assert_eq!(status, expected, "case {n}");
    }
    let bad_additional = create(by_id(), twr07(), unit(), "a1SF00000000REFADD")
        .additional_flat_external_ids(["UNIT-0802"])
        .send()
        .await;
    assert_eq!(status_of(bad_additional).0, 404);
    assert!(sim
        .events()
        .iter()
        .all(|e| e.event != Some(WebhookEventName::PermitIssued)));

    // By Buzz-In ids, with more units, it works; the same Salesforce permit id again is 409.
    let permit = create(
        ContractorRef::Id(approved.clone()),
        PropertyRef::Id(TWR07.into()),
        FlatRef::Id(UNIT_0712.into()),
        "a1SF00000000REFOK1",
    )
    .additional_flat_external_ids(["UNIT-0713"])
    .additional_flat_ids([FlatId::new("66e0000000000000000000b4")])
    .send()
    .await
    .unwrap()
    .into_record();
    assert_eq!(
        permit.additional_flat_ids.unwrap(),
        [
            FlatId::new("66e0000000000000000000b3"),
            FlatId::new("66e0000000000000000000b4")
        ]
    );
    let duplicate = create(by_id(), twr07(), unit(), "a1SF00000000REFOK1")
        .send()
        .await;
    assert_eq!(status_of(duplicate), (409, "Conflict".into()));
}

#[tokio::test]
async fn validity_rules_on_create_and_update() {
    let (sim, client) = start().await;
    let contractor = approved_contractor(&sim, &client, 1).await;
    let body = |from: &str, till: &str, sf: &str| {
        json!({
            "salesforcePermitId": sf,
            "communityContractorId": contractor,
            "propertyExternalId": "DAMAC-TWR-07",
            "flatExternalId": "UNIT-0712",
            "validFrom": from, "validTill": till,
        })
    };
    // The clock is at 2026-06-29T10:15Z.
    for (from, till) in [
        ("2026-07-31T18:00:00.000Z", "2026-07-01T06:00:00.000Z"), // till before from
        ("2026-06-01T06:00:00.000Z", "2026-06-29T10:00:00.000Z"), // till in the past
        ("2026-07-01T06:00:00.000Z", "not a date"),
    ] {
        let error = raw(
            &client,
            Method::POST,
            "/permits",
            body(from, till, "a1SF0000000000V001"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            api_error(&error),
            (400, "BadRequest".into()),
            "{from} {till}"
        );
    }
    // A start in the past is fine when the end is in the future.
    let ok = raw(
        &client,
        Method::POST,
        "/permits",
        body(
            "2026-06-01T06:00:00.000Z",
            "2026-07-01T06:00:00.000Z",
            "a1SF0000000000V002",
        ),
    )
    .await
    .unwrap();
    assert_eq!(ok["status"], 10);
    let id = ok["_id"].as_str().unwrap().to_owned();

    // Updates: also on a DRAFT, delivering `passes.permits.updated` as for any permit (the
    // update page states no exception), with the same rules.
    let before = sim.events().len();
    let draft = client
        .permits()
        .update_validity(id.clone())
        .valid_till(ts("2026-07-15T06:00:00.000Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        draft.valid_till.unwrap().as_str(),
        "2026-07-15T06:00:00.000Z"
    );
    let events = sim.events();
    assert_eq!(events.len(), before + 1);
    assert_eq!(
        events[before].event.as_ref().unwrap().as_str(),
        "passes.permits.updated"
    );
    for update in [
        json!({"validTill": "2026-06-29T10:00:00.000Z"}),
        json!({"validFrom": "2026-07-20T00:00:00.000Z"}), // after the current validTill
        json!({}),
        json!({"action": "explode"}),
    ] {
        let error = raw(
            &client,
            Method::PATCH,
            &format!("/permits/{id}"),
            update.clone(),
        )
        .await
        .unwrap_err();
        assert_eq!(api_error(&error), (400, "BadRequest".into()), "{update}");
    }
    let unknown = client
        .permits()
        .update_validity("5f1d0000000000000000ffff")
        .valid_till(ts("2026-07-15T06:00:00.000Z"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&unknown), (404, "NotFound".into()));
}

#[tokio::test]
async fn pass_actions_need_the_right_state() {
    let (sim, client) = start().await;
    let contractor = approved_contractor(&sim, &client, 1).await;
    let draft = draft_permit(&client, &contractor, "a1SF0000000000P001").await;
    let id = draft.id.clone().unwrap();

    // Reissue needs ACCEPTED; the hooks refuse out-of-order steps.
    let reissue = client
        .passes()
        .reissue(id.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&reissue), (400, "BadRequest".into()));
    assert!(matches!(
        sim.approve_permit(&id),
        Err(SimulatorError::InvalidState(_))
    ));
    assert!(matches!(
        sim.approve_permit("5f1d0000000000000000ffff"),
        Err(SimulatorError::NotFound { kind: "permit", .. })
    ));
    assert!(matches!(
        sim.approve_contractor("5f1d0000000000000000ffff"),
        Err(SimulatorError::NotFound {
            kind: "contractor",
            ..
        })
    ));

    // Submit lists what is missing, field by field, until everything is there.
    let nothing = client.passes().submit(id.clone()).send().await.unwrap_err();
    let missing: Vec<String> = nothing
        .api_error()
        .unwrap()
        .errors()
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        missing,
        [
            "employees",
            "representativeContact",
            "representativeName",
            "timeIn",
            "timeOut"
        ]
    );
    let partial = buzzin_sim::PermitDetails::new()
        .time_in("08:00")
        .employee("Bilal");
    sim.fill_permit_details(&id, partial).unwrap();
    let error = client.passes().submit(id.clone()).send().await.unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.status().as_u16(), 400);
    let missing: Vec<&String> = api.errors().unwrap().as_object().unwrap().keys().collect();
    assert_eq!(
        missing,
        ["representativeContact", "representativeName", "timeOut"]
    );
    sim.fill_permit_details(
        &id,
        buzzin_sim::PermitDetails::new()
            .time_out("18:00")
            .representative("Bilal Site Lead", "+971503334455"),
    )
    .unwrap();
    client.passes().submit(id.clone()).send().await.unwrap();
    // Submitted: not a DRAFT any more.
    let twice = client.passes().submit(id.clone()).send().await.unwrap_err();
    assert_eq!(api_error(&twice), (400, "BadRequest".into()));
    assert!(sim
        .fill_permit_details(&id, buzzin_sim::PermitDetails::typical())
        .is_err());
    sim.approve_permit(&id).unwrap();

    // Unknown permits are 404 for every pass action.
    for action in ["revoke", "reissuePass", "submit"] {
        let error = raw(
            &client,
            Method::PATCH,
            "/passes/5f1d0000000000000000ffff",
            json!({ "action": action }),
        )
        .await
        .unwrap_err();
        assert_eq!(api_error(&error), (404, "NotFound".into()), "{action}");
    }
    let unknown = raw(
        &client,
        Method::PATCH,
        &format!("/passes/{id}"),
        json!({"action": "x"}),
    )
    .await
    .unwrap_err();
    assert_eq!(api_error(&unknown), (400, "BadRequest".into()));

    // Revoking twice is harmless (the client may retry a revoke).
    client.passes().revoke(id.clone()).send().await.unwrap();
    client
        .passes()
        .revoke(id.clone())
        .reason("again")
        .send()
        .await
        .unwrap();
    let permit = sim.permit(&id).unwrap();
    assert_eq!(permit.status, Some(buzzin_sim::status::REVOKED));
    assert_eq!(permit.revocation.unwrap().reason, None);
}

#[tokio::test]
async fn gates_refuse_the_documented_cases() {
    let (sim, client) = start().await;
    let contractor = approved_contractor(&sim, &client, 1).await;
    let permit = accepted_permit(&sim, &client, &contractor, "a1SF0000000000G001").await;
    let code = permit.access_code.clone().unwrap();
    let twr07 = PropertyId::new(TWR07);
    let twr08 = PropertyId::new("66e0000000000000000000a2");

    assert_eq!(sim.scan("NOSUCHCODE"), Err(ScanRefusal::UnknownCode));
    assert_eq!(
        sim.scan(&code),
        Err(ScanRefusal::Inactive),
        "before validFrom"
    );
    sim.advance(2 * DAY);
    assert_eq!(
        sim.scan_at(&code, &twr08, GateDirection::Entry),
        Err(ScanRefusal::WrongLocation)
    );
    let before = sim.events().len();
    let entry = sim.scan_at(&code, &twr07, GateDirection::Entry).unwrap();
    assert!(entry.first);
    assert_eq!(entry.direction, GateDirection::Entry);
    let exit = sim.scan_at(&code, &twr07, GateDirection::Exit).unwrap();
    assert!(!exit.first);
    let names: Vec<String> = sim.events()[before..]
        .iter()
        .map(|e| e.event.as_ref().unwrap().as_str().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "passes.permits.scanned",
            "passes.permits.firstScanned",
            "passes.permits.scanned",
            "passes.permits.lastScanned",
        ]
    );
    // The scans are in the event log as community-pass visits.
    let page = client
        .logs()
        .events()
        .visit_type(VisitType::CommunityPass)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total, Some(2));
    let data = page.data.unwrap();
    assert!(data[0].created_at >= data[1].created_at, "newest first");
    // Only what the spec describes: no field of the simulator's own.
    assert!(data.iter().all(|log| log.extra.is_empty()), "{data:?}");
    let _ = permit;
}

fn message<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    let error = result.unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(
        (api.status().as_u16(), api.name().unwrap().as_str()),
        (400, "BadRequest")
    );
    api.message().unwrap().to_owned()
}

#[tokio::test]
async fn external_nfc_visits_answer_the_documented_errors_and_time_the_visit() {
    let (sim, client) = start().await;
    let visit = |secret: &str, document: &str| {
        client
            .visits()
            .external_nfc(buzzin::client::DeviceSecret::new(secret), document)
    };
    let entry = "abc123xyz789...";
    let exit = "sim-nfc-twr07-exit";

    // The documentation's own messages (the client refuses to send the first two itself, so
    // they go raw).
    let no_document = raw(
        &client,
        Method::POST,
        "/visits",
        json!({"visitType": "externalNfc", "deviceSecret": entry, "email": "resident@example.com"}),
    )
    .await;
    assert_eq!(message(no_document), "Document ID is required");
    let no_contact = raw(
        &client,
        Method::POST,
        "/visits",
        json!({"visitType": "externalNfc", "deviceSecret": entry, "documentId": "784-1234-5678901-2"}),
    )
    .await;
    assert_eq!(message(no_contact), "Email or phone is required");
    let stranger = visit(entry, "784-0000-0000000-0")
        .email("nobody@example.com")
        .send()
        .await;
    assert_eq!(message(stranger), "User doesn't exists");
    // The tenant of UNIT-0801 (DAMAC-TWR-08) at DAMAC-TWR-07's gate.
    let elsewhere = visit(entry, "784-1987-7654321-0")
        .phone("+971509876543")
        .send()
        .await;
    assert_eq!(message(elsewhere), "User doesn't have unit in the building");

    // The documentation's resident: in, two hours, out.
    let came = visit(entry, "784-1234-5678901-2")
        .email("resident@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(came.response_code, Some(NfcResponseCode::EntryEventCreated));
    assert_eq!(came.leave_event, None);
    sim.advance(Duration::from_secs(2 * 3600));
    let left = visit(exit, "784-1234-5678901-2")
        .phone("+971501234567")
        .send()
        .await
        .unwrap();
    assert_eq!(left.response_code, Some(NfcResponseCode::LeaveEventCreated));
    assert_eq!(left.leave_event.unwrap().duration, Some(7_200_000));

    let page = client
        .logs()
        .events()
        .visit_type(VisitType::ExternalNfc)
        .flat_id(UNIT_0712)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total, Some(2));
    assert_eq!(
        page.data.unwrap()[1].created_at.as_ref().unwrap().as_str(),
        "2026-06-29T10:15:00.000Z"
    );
}

#[tokio::test]
async fn event_logs_filter_and_page() {
    let (sim, client) = start().await;
    for _ in 0..7 {
        client
            .visits()
            .external_nfc(
                buzzin::client::DeviceSecret::new("abc123xyz789..."),
                "784-1234-5678901-2",
            )
            .email("resident@example.com")
            .send()
            .await
            .unwrap();
        sim.advance(Duration::from_secs(60));
    }
    client
        .visits()
        .external_nfc(
            buzzin::client::DeviceSecret::new("sim-nfc-twr08-entry"),
            "784-1987-7654321-0",
        )
        .email("tenant@example.com")
        .send()
        .await
        .unwrap();

    let page = client
        .logs()
        .events()
        .limit(3)
        .skip(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (page.total, page.limit, page.skip),
        (Some(8), Some(3), Some(2))
    );
    let times: Vec<String> = page
        .data
        .unwrap()
        .iter()
        .map(|r| r.created_at.as_ref().unwrap().as_str().to_owned())
        .collect();
    assert_eq!(
        times,
        [
            "2026-06-29T10:20:00.000Z",
            "2026-06-29T10:19:00.000Z",
            "2026-06-29T10:18:00.000Z"
        ]
    );
    let twr08 = client
        .logs()
        .events()
        .property_id("66e0000000000000000000a2")
        .send()
        .await
        .unwrap();
    assert_eq!(twr08.total, Some(1));
    let window = client
        .logs()
        .events()
        .created_from(ts("2026-06-29T10:16:00.000Z"))
        .created_until(ts("2026-06-29T10:18:00.000Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(window.total, Some(3));
    let error = client
        .logs()
        .events()
        .query("$limit", "many")
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&error), (400, "BadRequest".into()));
}

#[tokio::test]
async fn qr_accesses_and_property_managers() {
    let (_sim, client) = start().await;
    let access = client
        .accesses()
        .create_qr(
            "Sara Visitor",
            buzzin::client::Unit {
                property_id: TWR07.into(),
                flat_id: UNIT_0712.into(),
            },
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-01T18:00:00.000Z"),
        )
        .visitor_phone("+971501112233")
        .send()
        .await
        .unwrap()
        .into_record();
    assert_eq!(access.access_code.as_ref().unwrap().len(), 24);
    assert_eq!(access.qr_token, access.access_code);
    let image = reqwest::get(access.qr_image_url.unwrap()).await.unwrap();
    assert_eq!(image.status(), 200);
    let wrong_unit = client
        .accesses()
        .create_qr(
            "Sara Visitor",
            buzzin::client::Unit {
                property_id: TWR07.into(),
                flat_id: UNIT_0801.into(),
            },
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-01T18:00:00.000Z"),
        )
        .visitor_email("sara@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&wrong_unit), (404, "NotFound".into()));
    let no_contact = raw(
        &client,
        Method::POST,
        "/accesses",
        json!({"visitor": {"name": "Sara"}, "propertyId": TWR07, "flatId": UNIT_0712,
               "validFrom": "2026-07-01T06:00:00.000Z", "validTill": "2026-07-01T18:00:00.000Z"}),
    )
    .await
    .unwrap_err();
    assert_eq!(api_error(&no_contact), (400, "BadRequest".into()));

    let manager = client
        .property_managers()
        .create(
            buzzin::client::Contact {
                name: "Omar Manager".into(),
                email: "omar@example.com".into(),
                phone: "+971502223344".into(),
            },
            [TWR07],
        )
        .send()
        .await
        .unwrap()
        .into_record();
    assert_eq!(manager.role, Some(UserRole::PropertyManager));
    let id = manager.id.unwrap();
    let duplicate = client
        .property_managers()
        .create(
            buzzin::client::Contact {
                name: "Omar Again".into(),
                email: "OMAR@example.com".into(),
                phone: "+971502223345".into(),
            },
            [TWR07],
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&duplicate), (409, "Conflict".into()));
    let unknown_property = client
        .property_managers()
        .create(
            buzzin::client::Contact {
                name: "Lina".into(),
                email: "lina@example.com".into(),
                phone: "+971502223346".into(),
            },
            ["66e00000000000000000ffff"],
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&unknown_property), (404, "NotFound".into()));
    let updated = client
        .property_managers()
        .update(id.clone())
        .properties_ids([TWR07, "66e0000000000000000000a2"])
        .name("Omar M.")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Omar M."));
    assert_eq!(updated.email.as_deref(), Some("omar@example.com"));
    assert_eq!(updated.properties_ids.unwrap().len(), 2);
    let missing = client
        .property_managers()
        .update("5f1d0000000000000000ffff")
        .name("Nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_error(&missing), (404, "NotFound".into()));
}

#[tokio::test]
async fn deliveries_are_retried_until_acknowledged_and_every_attempt_is_recorded() {
    let flaky = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&flaky)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&flaky)
        .await;
    let sim = Simulator::builder()
        .webhook(
            WebhookDestination::new(flaky.uri())
                .event(WebhookEventName::ContractorApproved)
                .token("tok-secret"),
        )
        // Nothing listens on port 9 of localhost: every attempt fails to connect.
        .webhook(WebhookDestination::new("http://127.0.0.1:9/hooks"))
        .webhook_attempts(3)
        .webhook_retry_delay(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let client = sim.client().unwrap();
    let id = contractor(&client, 1).await.id.unwrap();
    sim.approve_contractor(&id).unwrap();
    tokio::time::timeout(Duration::from_secs(20), sim.wait_for_deliveries())
        .await
        .expect("deliveries settle");

    let attempts = sim.deliveries();
    let to_flaky: Vec<_> = attempts.iter().filter(|a| a.url == flaky.uri()).collect();
    assert_eq!(
        to_flaky
            .iter()
            .map(|a| a.outcome.clone())
            .collect::<Vec<_>>(),
        [
            DeliveryOutcome::Status(503),
            DeliveryOutcome::Status(503),
            DeliveryOutcome::Status(200)
        ]
    );
    assert_eq!(
        to_flaky.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(to_flaky
        .iter()
        .all(|a| a.delivery_id == to_flaky[0].delivery_id));
    assert!(to_flaky
        .iter()
        .all(|a| a.header("X-Buzzin-Token") == Some("tok-secret")));
    assert!(to_flaky
        .iter()
        .all(|a| a.header("x-buzzin-event") == Some("communityContractors.approved")));
    assert!(
        !format!("{:?}", to_flaky[0]).contains("tok-secret"),
        "Debug hides the token"
    );
    assert_eq!(
        to_flaky[2].envelope().event,
        Some(WebhookEventName::ContractorApproved)
    );
    assert_eq!(flaky.received_requests().await.unwrap().len(), 3);

    let to_nowhere: Vec<_> = attempts
        .iter()
        .filter(|a| a.url.ends_with(":9/hooks"))
        .collect();
    assert_eq!(to_nowhere.len(), 3, "gave up after 3 attempts");
    assert!(to_nowhere
        .iter()
        .all(|a| matches!(a.outcome, DeliveryOutcome::Failed(_)) && !a.succeeded()));
}

#[tokio::test]
async fn a_slow_destination_does_not_hold_up_the_others() {
    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&slow)
        .await;
    let fast = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&fast)
        .await;
    let sim = Simulator::builder()
        .webhook(WebhookDestination::new(slow.uri()))
        .webhook(WebhookDestination::new(fast.uri()))
        .start()
        .await
        .unwrap();
    let client = sim.client().unwrap();
    for n in 1..=3 {
        let id = contractor(&client, n).await.id.unwrap();
        sim.approve_contractor(&id).unwrap();
    }
    // All three reach the fast destination while the slow one still holds its first.
    let fast_attempts = tokio::time::timeout(Duration::from_millis(1800), async {
        loop {
            let done: Vec<_> = sim
                .deliveries()
                .into_iter()
                .filter(|a| a.url == fast.uri())
                .collect();
            if done.len() == 3 {
                return done;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the fast destination is not held up");
    assert!(sim.deliveries().iter().all(|a| a.url != slow.uri()));
    // Each destination gets the events in the order they happened.
    let ids: Vec<_> = fast_attempts.iter().map(|a| a.event_id.clone()).collect();
    let emitted: Vec<_> = sim.events().iter().map(|e| e.id.clone().unwrap()).collect();
    assert_eq!(ids, emitted);
    tokio::time::timeout(Duration::from_secs(20), sim.wait_for_deliveries())
        .await
        .expect("deliveries settle");
    let slow_ids: Vec<_> = sim
        .deliveries()
        .into_iter()
        .filter(|a| a.url == slow.uri())
        .map(|a| a.event_id)
        .collect();
    assert_eq!(slow_ids, emitted);
}

#[tokio::test]
async fn injected_faults_exercise_the_clients_retries() {
    let (sim, client) = start().await;
    let contractor_id = approved_contractor(&sim, &client, 1).await;
    let permit = draft_permit(&client, &contractor_id, "a1SF0000000000F001").await;
    let id = permit.id.unwrap();
    let calls = || sim.requests().len();

    // Two 500s, then the read goes through on the third attempt.
    sim.fail_next(2, Fault::ServerError);
    let start = calls();
    client.permits().get(id.clone()).send().await.unwrap();
    let statuses: Vec<u16> = sim.requests()[start..].iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 200]);
    assert_eq!(sim.requests()[start].fault, Some(Fault::ServerError));
    assert_eq!(sim.requests()[start].response["name"], "GeneralError");

    // 429 with Retry-After: without retries the client reports the wait asked for.
    let once = Client::builder()
        .base_url(sim.base_url())
        .api_key(sim.api_key())
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    sim.fail_next(
        1,
        Fault::TooManyRequests {
            retry_after: Duration::from_millis(1500),
        },
    );
    match once.permits().get(id.clone()).send().await.unwrap_err() {
        Error::RateLimited { retry_after, error } => {
            assert_eq!(retry_after, Some(Duration::from_secs(2)));
            assert_eq!(error.name().unwrap().as_str(), "TooManyRequests");
        }
        other => panic!("{other:?}"),
    }

    // A delay beyond the client's attempt timeout.
    let impatient = Client::builder()
        .base_url(sim.base_url())
        .api_key(sim.api_key())
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    sim.fail_next(1, Fault::Delay(Duration::from_millis(600)));
    let error = impatient
        .permits()
        .get(id.clone())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");

    // The create took effect but its answer was lost: the retry meets its own record (409).
    sim.fail_next(1, Fault::ServerErrorAfterEffect);
    let error = client
        .community_contractors()
        .create(
            buzzin::client::Contact {
                name: "Rep".into(),
                email: "lost@contracting.example".into(),
                phone: "+971566666666".into(),
            },
            company("Lost LLC"),
            "a0SF000000000LOST",
        )
        .send()
        .await
        .unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.status().as_u16(), 409);
    assert!(api.may_have_been_created_by_earlier_attempt());

    // A fault is answered before the key is checked, and clear_faults drops the rest.
    sim.fail_next(3, Fault::ServerError);
    sim.clear_faults();
    client.permits().get(id).send().await.unwrap();
}

#[tokio::test]
async fn shutdown_and_drop_stop_serving() {
    let sim = Simulator::start().await.unwrap();
    let url = format!("{}/events", sim.base_url());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let get = || {
        http.get(&url)
            .header("x-api-key", buzzin_sim::DEFAULT_API_KEY)
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
        .await
        .expect("shutdown completes");
    assert!(get().await.unwrap_err().is_connect());

    let dropped = Simulator::start().await.unwrap();
    let url = format!("{}/events", dropped.base_url());
    drop(dropped);
    let mut refused = false;
    for _ in 0..50 {
        if http.get(&url).send().await.is_err_and(|e| e.is_connect()) {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "a dropped simulator stops listening");
}
