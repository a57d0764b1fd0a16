//! The actix-web extractor: in-process requests and a real server on loopback.

use buzzin_test_support::now_ms;
use std::io::{Read, Write};
use std::time::Duration;

use actix_web::{test, web, App, HttpServer};
use buzzin::webhooks::{sign, Delivery, Event, Verifier};

const SECRET: &str = "whsec_actix";
const BODY: &str = r#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.issued","data":{"passNumber":"WP-7"}}"#;

async fn receive(delivery: Delivery) -> String {
    let pass = match delivery.event() {
        Event::PermitIssued(p) => p.pass_number.clone().unwrap_or_default(),
        other => other.name().to_owned(),
    };
    format!("{} {pass} {}", delivery.event_name(), delivery.dedup_key())
}

fn app(
    verifier: Verifier,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(verifier))
        .route("/hook", web::post().to(receive))
}

#[test]
fn verified_deliveries_reach_the_handler_and_refusals_answer_401_400_413() {
    actix_web::rt::System::new().block_on(async {
        let service = test::init_service(app(Verifier::new(SECRET).max_body_size(200))).await;
        let ts = now_ms();
        let signed = |secret: &str, body: &str| {
            test::TestRequest::post()
                .uri("/hook")
                .insert_header(("buzzin-signature", sign(secret, ts, body)))
                .insert_header(("buzzin-signature-timestamp", ts.to_string()))
                .set_payload(body.to_owned())
                .to_request()
        };
        let ok = test::call_service(&service, signed(SECRET, BODY)).await;
        assert_eq!(ok.status(), 200);
        let text = test::read_body(ok).await;
        // The dedup key is scoped by the verifying secret's id (16 hex digits).
        let text = String::from_utf8(text.to_vec()).unwrap();
        let (shown, key) = text.rsplit_once(' ').unwrap();
        assert_eq!(shown, "passes.permits.issued WP-7");
        let (scope, event) = key.split_once(':').unwrap();
        assert_eq!(event, "event:66ffaa00bb11cc22dd33ee44");
        assert!(scope.len() == 16 && scope.bytes().all(|b| b.is_ascii_hexdigit()));

        let forged = test::call_service(&service, signed("another", BODY)).await;
        assert_eq!(forged.status(), 401);
        let reason = String::from_utf8(test::read_body(forged).await.to_vec()).unwrap();
        assert!(reason.contains("signature does not match"), "{reason}");
        assert!(!reason.contains(SECRET));

        let not_json = test::call_service(&service, signed(SECRET, "{nope")).await;
        assert_eq!(not_json.status(), 400);

        let big = format!(
            r#"{{"event":"x.y","data":{{"pad":"{}"}}}}"#,
            "p".repeat(300)
        );
        let too_large = test::call_service(&service, signed(SECRET, &big)).await;
        assert_eq!(too_large.status(), 413);

        let token = test::TestRequest::post()
            .uri("/hook")
            .insert_header(("x-buzzin-token", SECRET))
            .set_payload(BODY)
            .to_request();
        assert_eq!(test::call_service(&service, token).await.status(), 200);

        let anonymous = test::TestRequest::post()
            .uri("/hook")
            .set_payload(BODY)
            .to_request();
        let anonymous = test::call_service(&service, anonymous).await;
        assert_eq!(anonymous.status(), 401);
        let reason = String::from_utf8(test::read_body(anonymous).await.to_vec()).unwrap();
        assert!(reason.contains("not signed"), "{reason}");
    });
}

#[test]
fn without_a_registered_verifier_the_answer_is_500() {
    actix_web::rt::System::new().block_on(async {
        let service = test::init_service(App::new().route("/hook", web::post().to(receive))).await;
        let request = test::TestRequest::post()
            .uri("/hook")
            .insert_header(("x-buzzin-token", SECRET))
            .set_payload(BODY)
            .to_request();
        assert_eq!(test::call_service(&service, request).await.status(), 500);
    });
}

/// A real server: an anonymous sender holding back its body is refused at once, and a signed
/// delivery over the network is verified.
#[test]
fn a_real_server_refuses_anonymous_requests_before_reading_their_body() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(|| app(Verifier::new(SECRET)))
                .workers(1)
                .bind(("127.0.0.1", 0))
                .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        })
    });
    let addr = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let ask = |request: String| {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut buf = vec![0u8; 4096];
        match stream.read(&mut buf) {
            Ok(n) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(_) => None,
        }
    };
    let held_back = format!(
        "POST /hook HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\n{}",
        "z".repeat(100)
    );
    let answer = ask(held_back).expect("no answer: the server waited for the body");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    let ts = now_ms();
    let signed = format!(
        "POST /hook HTTP/1.1\r\nhost: x\r\nbuzzin-signature: {}\r\nbuzzin-signature-timestamp: {ts}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        sign(SECRET, ts, BODY),
        BODY.len()
    );
    let answer = ask(signed).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("passes.permits.issued WP-7"), "{answer}");
}
