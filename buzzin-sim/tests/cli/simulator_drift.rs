//! The drift report: `buzzin check` against a drifting simulator (`SimulatorBuilder::drift`,
//! `buzzin simulate --drift`) and against a plain one, and the report's view of the spec.

#[allow(dead_code)] // Only `spec` is used here.
use std::collections::BTreeSet;

use crate::simulator_support::*;
use buzzin_sim::Simulator;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_buzzin");

/// `buzzin check ARGS` with the SDK's environment pointing at `base`: exit code, stdout, stderr.
async fn check(base: &str, key: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut command = tokio::process::Command::new(BIN);
    command
        .arg("check")
        .args(args)
        .env("BUZZIN_BASE_URL", base)
        .env_remove("BUZZIN_API_KEY");
    if let Some(key) = key {
        command.env("BUZZIN_API_KEY", key);
    }
    let out = command.output().await.unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

async fn sim(drift: bool) -> Simulator {
    let mut builder = Simulator::builder()
        .api_key("bz_check_key_5678")
        .clock_start(ts("2026-06-29T10:15:00.000Z"))
        .freeze_clock();
    if drift {
        builder = builder.drift();
    }
    builder.start().await.unwrap()
}

#[tokio::test]
async fn check_reports_every_unknown_field_enum_value_and_status_of_a_drifting_simulator() {
    let sim = sim(true).await;
    let client = sim.client().unwrap();
    let contractor = approved_contractor(&sim, &client, 1).await;
    let permit = draft_permit(&client, &contractor, "a1SFDRIFT0001").await;
    let id = permit.id.unwrap();
    let unknown = "5f1d00000000000000000fff";

    let (code, out, err) = check(
        sim.base_url(),
        Some(sim.api_key()),
        &["--json", id.as_str(), unknown],
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains(sim.api_key()), "the key in the report");
    let report: Value = serde_json::from_str(&out).unwrap();
    let found: BTreeSet<(String, String, String, String)> = report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let text = |f: &str| d[f].as_str().unwrap().to_owned();
            (
                text("operation"),
                text("kind"),
                text("location"),
                text("value"),
            )
        })
        .collect();
    let row = |op: &str, kind: &str, at: String, value: &str| {
        (op.to_owned(), kind.to_owned(), at, value.to_owned())
    };
    let expected: BTreeSet<_> = [
        row(
            "listEvents",
            "enum value",
            "data[0].visitType".into(),
            "faceRecognition",
        ),
        row("listEvents", "field", "nextCursor".into(), "string"),
        row(
            "getPermit",
            "field",
            format!("{id}: approvalChain"),
            "array",
        ),
        row(
            "getPermit",
            "enum value",
            format!("{id}: permitType"),
            "maintenance",
        ),
        row(
            "getPermit",
            "field",
            format!("{id}: integrations.damac.sapReference"),
            "string",
        ),
        row(
            "getPermit",
            "status",
            format!("GET /permits/{unknown}"),
            "410",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected);
    let statuses: Vec<u64> = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 410]);
    // Only read-only calls reached the simulator.
    let methods: BTreeSet<String> = sim
        .requests()
        .into_iter()
        .skip_while(|r| r.method != "GET")
        .map(|r| r.method)
        .collect();
    assert_eq!(methods, BTreeSet::from(["GET".to_owned()]));

    // The table says the same, with a line on where to send it.
    let (code, table, _) = check(sim.base_url(), Some(sim.api_key()), &[id.as_str()]).await;
    assert_eq!(code, 1);
    let header = table.lines().find(|l| l.starts_with("OPERATION")).unwrap();
    assert!(
        header.contains("KIND") && header.contains("WHERE"),
        "{table}"
    );
    for text in [
        "faceRecognition",
        "maintenance",
        "approvalChain",
        "github.com",
    ] {
        assert!(table.contains(text), "{text} missing from:\n{table}");
    }
}

#[tokio::test]
async fn check_finds_no_drift_in_a_plain_simulator_and_needs_a_key() {
    let sim = sim(false).await;
    let client = sim.client().unwrap();
    let contractor = approved_contractor(&sim, &client, 2).await;
    let permit = draft_permit(&client, &contractor, "a1SFDRIFT0002").await;
    let id = permit.id.unwrap();
    let unknown = "5f1d00000000000000000fff";
    let (code, out, err) =
        check(sim.base_url(), Some(sim.api_key()), &[id.as_str(), unknown]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No drift"), "{out}");
    // A documented 404 is no drift.
    assert!(
        out.contains(&format!("GET /permits/{unknown} (getPermit) -> 404")),
        "{out}"
    );

    let (code, _, err) = check(sim.base_url(), None, &[]).await;
    assert_eq!(code, 3);
    assert!(err.contains("BUZZIN_API_KEY"), "{err}");
    let (code, _, err) = check(sim.base_url(), Some("bz_wrong"), &[]).await;
    assert_eq!(code, 3);
    assert!(err.contains("refused (401)"), "{err}");
    assert!(!err.contains("bz_wrong"), "{err}");
}

#[test]
fn the_statuses_the_report_knows_are_the_specs() {
    let spec = buzzin_test_support::spec::spec();
    for (path, operation) in [("/events", "listEvents"), ("/permits/{id}", "getPermit")] {
        let get = &spec["paths"][path]["get"];
        assert_eq!(get["operationId"], operation);
        let listed: Vec<u16> = get["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.parse().unwrap())
            .collect();
        assert_eq!(
            buzzin_sim::drift::documented_statuses(operation).unwrap(),
            listed.as_slice(),
            "{operation}"
        );
    }
}

/// Traffic that reaches every operation of the spec and every webhook event, then
/// `buzzin check` over the event log and every permit: the simulator answers only what its
/// spec describes, so the report finds no drift.
#[tokio::test]
async fn check_finds_no_drift_after_traffic_covering_every_operation_and_event() {
    use buzzin::client::{Contact, DeviceSecret, Unit};

    let sim = sim(false).await;
    let client = sim.client().unwrap();
    let twr07 = "66e0000000000000000000a1";
    let unit_0712 = "66e0000000000000000000b2";

    // Contractors: created, approved (communityContractors.approved), one revoked later.
    let kept = approved_contractor(&sim, &client, 11).await;
    let leaving = approved_contractor(&sim, &client, 12).await;
    // Permits: created (DRAFT), NOC replaced, validity changed, submitted, approved (issued),
    // reissued (issued), one revoked, one archived by its contractor's revocation (updated).
    let draft = draft_permit(&client, &kept, "a1SFDRIFT0101")
        .await
        .id
        .unwrap();
    client
        .permits()
        .replace_noc(draft.clone(), noc("NOC-REPLACED"))
        .send()
        .await
        .unwrap();
    client
        .permits()
        .update_validity(draft.clone())
        .valid_till(ts("2026-07-30T18:00:00.000Z"))
        .send()
        .await
        .unwrap();
    let accepted = accepted_permit(&sim, &client, &kept, "a1SFDRIFT0102").await;
    let accepted_id = accepted.id.unwrap();
    client
        .permits()
        .update_validity(accepted_id.clone())
        .valid_from(ts("2026-06-30T06:00:00.000Z"))
        .send()
        .await
        .unwrap();
    client
        .passes()
        .reissue(accepted_id.clone())
        .send()
        .await
        .unwrap();
    let revoked = accepted_permit(&sim, &client, &kept, "a1SFDRIFT0103")
        .await
        .id
        .unwrap();
    client
        .passes()
        .revoke(revoked.clone())
        .reason("drift check")
        .send()
        .await
        .unwrap();
    let archived = accepted_permit(&sim, &client, &leaving, "a1SFDRIFT0104")
        .await
        .id
        .unwrap();
    client
        .community_contractors()
        .revoke(leaving)
        .send()
        .await
        .unwrap();
    // Visitor management: NFC visits in and out, a QR access, a property manager made and
    // changed.
    for (secret, document) in [
        ("abc123xyz789...", "784-1234-5678901-2"),
        ("sim-nfc-twr07-exit", "784-1234-5678901-2"),
    ] {
        client
            .visits()
            .external_nfc(DeviceSecret::new(secret), document)
            .email("resident@example.com")
            .send()
            .await
            .unwrap();
    }
    client
        .accesses()
        .create_qr(
            "Sara Visitor",
            Unit {
                property_id: twr07.into(),
                flat_id: unit_0712.into(),
            },
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-01T18:00:00.000Z"),
        )
        .visitor_phone("+971501112233")
        .send()
        .await
        .unwrap();
    let manager = client
        .property_managers()
        .create(
            Contact {
                name: "Omar Manager".into(),
                email: "omar.drift@example.com".into(),
                phone: "+971502223399".into(),
            },
            [twr07],
        )
        .send()
        .await
        .unwrap()
        .into_record();
    client
        .property_managers()
        .update(manager.id.unwrap())
        .name("Omar M.")
        .send()
        .await
        .unwrap();
    // The gate (scanned, firstScanned, lastScanned), then the clock (expiring, expired).
    let code = sim
        .permit(&accepted_id)
        .unwrap()
        .access_code
        .expect("an accepted permit has a code");
    sim.advance(2 * DAY);
    let property = buzzin::models::PropertyId::new(twr07);
    sim.scan_at(&code, &property, buzzin_sim::GateDirection::Entry)
        .unwrap();
    sim.scan_at(&code, &property, buzzin_sim::GateDirection::Exit)
        .unwrap();
    sim.advance(40 * DAY);

    let emitted: BTreeSet<String> = sim
        .events()
        .iter()
        .map(|e| e.event.as_ref().unwrap().as_str().to_owned())
        .collect();
    let every: BTreeSet<String> = buzzin_test_support::spec::spec()["webhooks"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(emitted, every, "the traffic must reach every event");

    let ids = [&draft, &accepted_id, &revoked, &archived].map(|id| id.as_str().to_owned());
    let mut args = vec!["--limit", "100"];
    args.extend(ids.iter().map(String::as_str));
    let (code, out, err) = check(sim.base_url(), Some(sim.api_key()), &args).await;
    assert_eq!(code, 0, "drift against our own simulator:\n{out}{err}");
    assert!(out.contains("No drift"), "{out}");
}

/// The status numbers the simulator assumes are the spec's (`x-buzzin-assumed-values`), with
/// the same names.
#[test]
fn the_simulators_assumed_statuses_are_the_specs() {
    let spec = buzzin_test_support::spec::spec();
    let assumed = spec["components"]["schemas"]["PermitStatus"]["x-buzzin-assumed-values"]
        .as_object()
        .expect("PermitStatus lists its assumed values");
    let mut codes = Vec::new();
    for (code, name) in assumed {
        let code: i64 = code.parse().unwrap();
        assert_eq!(
            buzzin_sim::status::assumed_name(code),
            name.as_str(),
            "status {code}"
        );
        codes.push(code);
    }
    codes.sort();
    assert_eq!(codes, [2, 3, 4, 5]);
    for documented in [1, 10] {
        assert_eq!(buzzin_sim::status::assumed_name(documented), None);
    }
}
