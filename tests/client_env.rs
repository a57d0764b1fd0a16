//! `Client::from_env`, alone in its own test binary: changing the process environment while
//! other threads may read it is not sound, so no other test runs beside it.

use buzzin::reqwest::Method;
use buzzin::{Client, Error};
use serde_json::{json, Value};
use wiremock::matchers::header;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn from_env_reads_key_and_base_url() {
    let server = MockServer::start().await;
    Mock::given(header("x-api-key", "env-key-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    std::env::set_var("BUZZIN_API_KEY", "env-key-123");
    std::env::set_var("BUZZIN_BASE_URL", server.uri());
    let client = Client::from_env().unwrap();
    std::env::remove_var("BUZZIN_API_KEY");
    std::env::remove_var("BUZZIN_BASE_URL");
    assert_eq!(client.base_url().as_str(), format!("{}/", server.uri()));
    let v: Value = client.request(Method::GET, "/x").send().await.unwrap();
    assert_eq!(v["ok"], true);
    // Without a key the client builds (for an NFC visit), and a call that needs the key fails
    // before it is sent, naming BUZZIN_API_KEY.
    let keyless = Client::from_env().unwrap();
    let e = keyless
        .request(Method::GET, "/x")
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::MissingApiKey { .. }) && e.to_string().contains("BUZZIN_API_KEY"),
        "{e}"
    );
    let default = buzzin::ClientBuilder::from_env()
        .api_key("k")
        .build()
        .unwrap();
    assert_eq!(default.base_url().as_str(), "https://api.buzz-in.co/");
}
