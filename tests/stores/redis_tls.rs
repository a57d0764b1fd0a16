//! `RedisStore` over TLS (`rediss://`) against a real TLS-only `redis-server` the test starts,
//! with a certificate authority made at run time: the server's certificate is verified.

use std::sync::Arc;

use buzzin::webhooks::store::redis::{RedisConfig, RedisStore};
use buzzin::webhooks::store::{Claim, DeliveryStore};
use buzzin_test_support::redis::TlsRedisServer;

#[tokio::test]
async fn conformance_over_tls_with_the_servers_ca() {
    let server = TlsRedisServer::start();
    let config = RedisConfig::new().root_certificates(server.ca_pem());
    assert!(format!("{config:?}").contains("root_certificates: true"));
    assert!(!format!("{config:?}").contains("BEGIN"));
    let store = RedisStore::connect_with(&server.url(), config)
        .await
        .expect("connect over TLS");
    buzzin_test_support::store_conformance::conformance(Arc::new(store), "tls").await;
}

#[tokio::test]
async fn an_unknown_ca_is_refused_and_the_error_hides_the_url() {
    let server = TlsRedisServer::start();
    // The system's roots do not know the test's CA: the handshake fails.
    let url = server
        .url()
        .replace("rediss://", "rediss://user:s3cr3t-pass@");
    let err = RedisStore::connect(&url)
        .await
        .expect_err("a certificate from an unknown CA must be refused");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("s3cr3t-pass"), "{shown}");
    assert!(!shown.contains(&server.url()[9..]), "{shown}");
    // Another CA's certificate is not trusted either.
    let other = TlsRedisServer::start();
    let config = RedisConfig::new().root_certificates(other.ca_pem());
    assert!(RedisStore::connect_with(&server.url(), config)
        .await
        .is_err());
    // While the right CA works on the same server.
    let config = RedisConfig::new().root_certificates(server.ca_pem());
    let store = RedisStore::connect_with(&server.url(), config)
        .await
        .unwrap();
    let claim = store
        .claim("event:tls", std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert!(matches!(claim, Claim::New(_)), "{claim:?}");
    assert!(server.pid().is_some());
}

#[tokio::test]
async fn a_ca_that_does_not_parse_fails_to_connect() {
    let server = TlsRedisServer::start();
    let config = RedisConfig::new().root_certificates(
        b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".to_vec(),
    );
    let err = RedisStore::connect_with(&server.url(), config)
        .await
        .expect_err("a broken PEM must fail");
    assert!(err.to_string().contains("not usable"), "{err}");
}
