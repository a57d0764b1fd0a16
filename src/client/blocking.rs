//! `send_blocking()` (feature `blocking`): the async client for scripts and sync services.
//!
//! Every blocking call runs on one small runtime the SDK owns (a single worker thread, started
//! on first use), so the connection pool lives as long as the process and calls from several
//! threads proceed side by side.

use std::future::Future;
use std::sync::OnceLock;

use crate::Error;

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// Runs `call` to completion on the SDK's runtime. Inside an async runtime it refuses with
/// [`Error::BlockingInsideRuntime`]: blocking there would stall the caller's executor (and
/// tokio panics when asked to).
pub(crate) fn run<T>(call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::BlockingInsideRuntime);
    }
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("buzzin-blocking")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match runtime {
        Ok(runtime) => runtime.block_on(call),
        Err(e) => Err(Error::Config(format!(
            "could not start the runtime for blocking calls: {e}"
        ))),
    }
}
