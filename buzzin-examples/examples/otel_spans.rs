//! The client's spans exported through `tracing-opentelemetry`: an OpenTelemetry tracer
//! provider with an in-memory exporter (swap in the OTLP exporter you use), then each exported
//! span printed with its kind and attributes. Runs against a freshly started simulator, or the
//! account at `BUZZIN_API_KEY` / `BUZZIN_BASE_URL`.
//!
//! Run: `cargo run -p buzzin-examples --example otel_spans --features otel`.

mod support;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use support::{connect, BoxError};
use tracing_subscriber::layer::SubscriberExt;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("buzzin-example")));
    tracing::subscriber::set_global_default(subscriber)?;

    let (client, _sim) = connect().await?;
    // A read of a permit that does not exist: one call, one attempt, a 404.
    let missing = client.permits().get("66f0a1b2c3d4e5f6000000ff").await;
    println!(
        "permits().get: {}",
        if missing.is_ok() {
            "found"
        } else {
            "not found"
        }
    );
    let _ = client.logs().events().limit(5).await?;

    provider.force_flush()?;
    for span in exporter.get_finished_spans()? {
        let attributes: Vec<String> = span
            .attributes
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect();
        println!(
            "{} ({:?}): {}",
            span.name,
            span.span_kind,
            attributes.join(", ")
        );
    }
    provider.shutdown()?;
    Ok(())
}
