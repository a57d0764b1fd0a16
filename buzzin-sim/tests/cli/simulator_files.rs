//! The simulator's files hardened: cassettes that hold no key and no personal data, are
//! appended to and bounded; temporary files that cannot be hijacked; one simulator per state
//! file, and failures to write it said. Real files, real HTTP on 127.0.0.1.

use std::io::Read as _;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::simulator_support::{contractor, temp_path};
use buzzin_sim::Simulator;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_buzzin");

/// A fresh directory of the test's own.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "buzzin-sim-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A simulator keeping its state in `state`.
async fn with_state(state: &std::path::Path) -> std::io::Result<Simulator> {
    Simulator::builder().state_file(state).start().await
}

// ---- 1 and 5: cassettes hold no personal data and no key --------------------------------

#[tokio::test]
async fn a_cassette_holds_no_name_contact_query_email_plain_body_error_text_or_key() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/communityContractors"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "name": "Conflict", "code": 409, "className": "conflict",
            "message": "E11000 duplicate key error collection: buzzin.users index: email_1 \
                        dup key: { email: \"dup.person@corp.example\" }",
        })))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0, "data": []})))
        .mount(&upstream)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/permits/5f1d00000000000000000001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_id": "5f1d00000000000000000001", "status": 10,
            "representativeName": "Rep Resentative", "representativeContact": "+971509998877",
            "employees": [{"name": "Emp Loyee"}],
        })))
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .and(path("/accesses"))
        .respond_with(
            ResponseTemplate::new(400).set_body_string("no visitor called Plain Person here"),
        )
        .mount(&upstream)
        .await;
    let cassette = temp_path("cassette-personal");
    let recorder = Simulator::builder()
        .record_from(upstream.uri(), &cassette)
        .start()
        .await
        .unwrap();
    // A key with `+ / =`, sent as a lowercase `bearer`, and percent-encoded in a query.
    let key = "bz+live/key=42";
    let http = reqwest::Client::new();
    let base = recorder.base_url();
    let dup = http
        .post(format!("{base}/communityContractors"))
        .header("authorization", format!("bearer {key}"))
        .json(
            &json!({"name": "Dup Person", "email": "dup.person@corp.example",
                      "phone": "+971501230000"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    let listed = http
        .get(format!(
            "{base}/events?email=query.person%40corp.example&phone=%2B971507776655&apiKey={}",
            "bz%2Blive%2Fkey%3D42"
        ))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let patched = http
        .patch(format!("{base}/permits/5f1d00000000000000000001"))
        .header("x-api-key", key)
        .json(&json!({"action": "draft", "representativeName": "Rep Resentative"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let plain = http
        .post(format!("{base}/accesses"))
        .header("x-api-key", key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Plain+Person&email=plain.person%40corp.example")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);
    recorder.shutdown().await;

    let text = std::fs::read_to_string(&cassette).unwrap();
    for personal in [
        "dup.person@corp.example",
        "Dup Person",
        "+971501230000",
        "query.person",
        "971507776655",
        "Rep Resentative",
        "+971509998877",
        "Emp Loyee",
        "Plain Person",
        "Plain+Person",
        "plain.person",
        key,
        "bz%2Blive%2Fkey%3D42",
        "bz+live",
    ] {
        assert!(
            !text.contains(personal),
            "{personal} is in the cassette:\n{text}"
        );
    }
    assert_eq!(
        text.lines().count(),
        5,
        "a first line and four requests:\n{text}"
    );
    // What is not personal stays, so the cassette still replays.
    assert!(text.contains("5f1d00000000000000000001") && text.contains("\"Conflict\""));
    let _ = std::fs::remove_file(&cassette);
}

// ---- 2: temp files cannot be hijacked ----------------------------------------------------

#[cfg(unix)]
#[tokio::test]
async fn planted_temp_files_and_links_are_never_followed_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_dir("planted");
    let victim = dir.join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    // What the old names were: `.<name>.tmp`, a link to the victim.
    for name in [".state.json.tmp", ".cassette.json.tmp"] {
        std::os::unix::fs::symlink(&victim, dir.join(name)).unwrap();
    }
    let state = dir.join("state.json");
    let sim = with_state(&state).await.unwrap();
    let client = sim.client().unwrap();
    contractor(&client, 7101).await;
    sim.close().await.unwrap();
    let recorder = Simulator::builder()
        .record_from("http://127.0.0.1:9", dir.join("cassette.json"))
        .start()
        .await
        .unwrap();
    recorder.shutdown().await;
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    for written in [&state, &dir.join("cassette.json")] {
        let meta = std::fs::symlink_metadata(written).unwrap();
        assert!(
            meta.file_type().is_file(),
            "{written:?} is a file of its own"
        );
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{written:?}");
    }
    // No temporary file of the simulator's is left; the planted links are as they were.
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".cassette.json.tmp",
            ".state.json.tmp",
            "cassette.json",
            "state.json",
            "state.json.lock",
            "victim"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- 6: recording and replay are bounded -------------------------------------------------

#[cfg(unix)]
#[tokio::test]
async fn recording_appends_forwards_only_keyed_operations_and_caps_the_answer() {
    use std::os::unix::fs::MetadataExt as _;
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/permits/5f1d000000000000000000aa"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![
            b'x';
            buzzin_sim::cassette::ANSWER_LIMIT
                + 1
        ]))
        .mount(&upstream)
        .await;
    let cassette = temp_path("cassette-bounds");
    let recorder = Simulator::builder()
        .record_from(upstream.uri(), &cassette)
        .start()
        .await
        .unwrap();
    let inode = std::fs::metadata(&cassette).unwrap().ino();
    let http = reqwest::Client::new();
    let base = recorder.base_url();
    assert_eq!(
        http.get(format!("{base}/events"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let unknown = http
        .get(format!("{base}/not/an/operation"))
        .header("x-api-key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(upstream.received_requests().await.unwrap().is_empty());
    for _ in 0..3 {
        let listed = http
            .get(format!("{base}/events"))
            .header("x-api-key", "k")
            .send()
            .await;
        assert_eq!(listed.unwrap().status(), 200);
    }
    let huge = http
        .get(format!("{base}/permits/5f1d000000000000000000aa"))
        .header("x-api-key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 502);
    recorder.shutdown().await;
    // Appended to, not replaced: the same file, a first line and three requests.
    assert_eq!(std::fs::metadata(&cassette).unwrap().ino(), inode);
    let text = std::fs::read_to_string(&cassette).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    let _ = std::fs::remove_file(&cassette);
}

#[tokio::test]
async fn a_cassette_with_a_status_outside_200_to_599_or_over_the_limit_is_refused() {
    let header = r#"{"format":"buzzin-sim-cassette","version":2,"upstream":"http://x"}"#;
    for status in [0, 100, 101, 199, 600, 1000] {
        let cassette = temp_path("cassette-status");
        let line = json!({"method": "GET", "path": "/events", "request": null,
                          "status": status, "response": {}});
        std::fs::write(&cassette, format!("{header}\n{line}\n")).unwrap();
        let refused = Simulator::builder()
            .replay(&cassette)
            .start()
            .await
            .unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains(&format!("status {status}")) && message.contains("200 to 599"),
            "{message}"
        );
        let _ = std::fs::remove_file(&cassette);
    }
    // A cassette over the replay limit is refused before it is read (a sparse file: no disk).
    let cassette = temp_path("cassette-huge");
    let file = std::fs::File::create(&cassette).unwrap();
    file.set_len(buzzin_sim::cassette::REPLAY_LIMIT + 1)
        .unwrap();
    let refused = Simulator::builder()
        .replay(&cassette)
        .start()
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("replays at most"), "{refused}");
    let _ = std::fs::remove_file(&cassette);
}

// ---- 7: one writer per state file, failures said -----------------------------------------

#[tokio::test]
async fn a_second_simulator_on_the_same_state_file_is_refused() {
    let dir = temp_dir("two-writers");
    let state = dir.join("state.json");
    let first = with_state(&state).await.unwrap();
    let second = with_state(&state).await.unwrap_err();
    let message = second.to_string();
    assert!(message.contains("in use by another simulator") && message.contains("state.json"));
    // Once the first has stopped, the file is free again.
    first.close().await.unwrap();
    let again = with_state(&state).await.unwrap();
    again.close().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_state_path_that_cannot_be_written_fails_at_start() {
    let dir = temp_dir("unwritable");
    // A file where the state's directory should be: nothing can be written under it, root or
    // not.
    std::fs::write(dir.join("not-a-dir"), "").unwrap();
    let state = dir.join("not-a-dir").join("state.json");
    let refused = with_state(&state).await.unwrap_err();
    assert!(refused.to_string().contains("state.json"), "{refused}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_failed_last_write_is_an_error_naming_the_file_and_leaves_no_temp_file() {
    let dir = temp_dir("last-write");
    let state = dir.join("state.json");
    let sim = with_state(&state).await.unwrap();
    // A directory, not empty, where the file goes: the last rename fails.
    let _ = std::fs::remove_file(&state);
    std::fs::create_dir_all(state.join("inside")).unwrap();
    let failed = sim.close().await.unwrap_err();
    assert!(failed.to_string().contains("state.json"), "{failed}");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn simulate_exits_non_zero_when_its_last_state_write_fails() {
    let dir = temp_dir("cli-last-write");
    let state = dir.join("state.json");
    let mut child = Command::new(BIN)
        .args(["simulate", "--port", "0", "--state"])
        .arg(&state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Starting once it holds the state file's lock; serving (its signals handled) soon after.
    let started = Instant::now();
    while !dir.join("state.json.lock").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "simulate did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let _ = std::fs::remove_file(&state);
    std::fs::create_dir_all(state.join("inside")).unwrap();
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "simulate did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("state.json"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The cassette's cap, as documented: once it is reached, a recording simulator answers `507`
/// and forwards nothing more; the capped cassette still replays. (A 1 MiB cap here: the
/// default 32 MiB is the same code, and takes minutes of redaction in a debug build.)
#[tokio::test]
async fn a_full_cassette_answers_507_and_forwards_nothing_more() {
    const CAP: u64 = 1024 * 1024;
    let upstream = MockServer::start().await;
    // Answers of 300 KiB each: the fourth passes the cap.
    let answer = json!({"data": [], "padding": "x".repeat(300 * 1024)});
    Mock::given(method("GET"))
        .and(path("/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&answer))
        .mount(&upstream)
        .await;
    let cassette = temp_path("cassette-full");
    let recorder = Simulator::builder()
        .record_from(upstream.uri(), &cassette)
        .cassette_limit(CAP)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut forwarded = 0;
    let mut full = None;
    for attempt in 1..=8 {
        let answer = http
            .get(format!("{}/events", recorder.base_url()))
            .header("x-api-key", "k")
            .send()
            .await
            .unwrap();
        if answer.status() == 507 {
            let body: serde_json::Value = answer.json().await.unwrap();
            assert!(body["message"].as_str().unwrap().contains(&CAP.to_string()));
            full = Some(attempt);
            break;
        }
        assert_eq!(answer.status(), 200);
        forwarded += 1;
    }
    assert_eq!(full, Some(5), "the 5th request finds the cassette full");
    assert_eq!(forwarded, 4);
    assert_eq!(upstream.received_requests().await.unwrap().len(), 4);
    recorder.shutdown().await;
    let size = std::fs::metadata(&cassette).unwrap().len();
    assert!((CAP..2 * CAP).contains(&size), "{size}");
    // What a simulator recorded, one replays.
    let replayer = Simulator::builder()
        .replay(&cassette)
        .start()
        .await
        .unwrap();
    replayer.shutdown().await;
    let _ = std::fs::remove_file(&cassette);
}
