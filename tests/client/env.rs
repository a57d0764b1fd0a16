//! `Client::from_env`, in child processes of this test binary: each child gets its own
//! environment from the parent (with and without a key), so no test ever changes the process
//! environment that other threads read.

use std::process::Command;

use buzzin::reqwest::Method;
use buzzin::{Client, Error};
use serde_json::{json, Value};
use wiremock::matchers::header;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Set in a child to what it checks: `with-key` or `without-key`.
const CHILD: &str = "BUZZIN_TEST_FROM_ENV_CHILD";

/// Runs `child_checks_from_env` alone in a new process of this binary with `env` (and without
/// `removed`), and fails if it failed.
fn run_child(env: &[(&str, &str)], removed: &[&str]) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--exact",
        "env::child_checks_from_env",
        "--nocapture",
        "--test-threads=1",
    ]);
    for name in removed {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let out = command.output().expect("run this test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child failed or did not run:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn from_env_reads_key_and_base_url() {
    let server = MockServer::start().await;
    Mock::given(header("x-api-key", "env-key-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    tokio::task::spawn_blocking(move || {
        run_child(
            &[
                (CHILD, "with-key"),
                ("BUZZIN_API_KEY", "env-key-123"),
                ("BUZZIN_BASE_URL", &uri),
            ],
            &[],
        )
    })
    .await
    .unwrap();
}

#[test]
fn from_env_without_a_key_builds_a_keyless_client_on_the_default_url() {
    run_child(
        &[(CHILD, "without-key")],
        &["BUZZIN_API_KEY", "BUZZIN_BASE_URL"],
    );
}

/// The child's side: does nothing unless run by one of the tests above.
#[tokio::test]
async fn child_checks_from_env() {
    match std::env::var(CHILD).as_deref() {
        Ok("with-key") => {
            let uri = std::env::var("BUZZIN_BASE_URL").unwrap();
            let client = Client::from_env().unwrap();
            assert_eq!(client.base_url().as_str(), format!("{uri}/"));
            let v: Value = client.request(Method::GET, "/x").send().await.unwrap();
            assert_eq!(v["ok"], true);
        }
        Ok("without-key") => {
            // Without a key the client builds (for an NFC visit), and a call that needs the key
            // fails before it is sent, naming BUZZIN_API_KEY.
            let keyless = Client::from_env().unwrap();
            let e = keyless
                .request(Method::GET, "/x")
                .send::<Value>()
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::MissingApiKey { .. })
                    && e.to_string().contains("BUZZIN_API_KEY"),
                "{e}"
            );
            let default = buzzin::ClientBuilder::from_env()
                .api_key("k")
                .build()
                .unwrap();
            assert_eq!(default.base_url().as_str(), "https://api.buzz-in.co/");
        }
        _ => {}
    }
}
