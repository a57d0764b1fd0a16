//! Layer 1, connections: the server's accept loop, with a limit on open connections, a timeout
//! on reading a request's headers and one on an idle connection, so that neither half-sent
//! requests nor idle connections can hold the simulator's sockets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

/// The bounds of the connections a simulator serves.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The most connections open at once; one over it is closed at once.
    pub connections: usize,
    /// How long a client has to send a request's headers.
    pub header_timeout: Duration,
    /// How long a connection may stay open without a request under way.
    pub idle_timeout: Duration,
}

/// The most connections a simulator serves at once, unless set otherwise: 256.
pub const DEFAULT_CONNECTION_LIMIT: usize = 256;
/// How long a client has to send a request's headers, unless set otherwise: 10 s.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay idle, unless set otherwise: 30 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` within `limits` until `stop` fires; then stops accepting and
/// waits for the open connections to finish the requests under way.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    let (closing, closed) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        connections.spawn(connection(stream, app.clone(), limits, slot, closed.clone()));
                    }
                    // Over the limit: closed at once, its socket given back.
                    Err(_) => drop(stream),
                },
                // Out of file descriptors, say: wait for a connection to close.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// When a connection last had no request under way, and how many it has.
struct Activity {
    under_way: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Activity {
    fn idle_for(&self) -> Option<Duration> {
        (self.under_way.load(Ordering::Acquire) == 0).then(|| {
            self.idle_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .elapsed()
        })
    }
}

/// Counts a request under way while alive.
struct UnderWay(Arc<Activity>);

impl Drop for UnderWay {
    fn drop(&mut self) {
        *self
            .0
            .idle_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
        self.0.under_way.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one connection: HTTP/1.1 with the header timeout, closed once idle too long or when
/// the server stops (after the request under way, if any).
async fn connection(
    stream: TcpStream,
    app: Router,
    limits: Limits,
    _slot: OwnedSemaphorePermit,
    mut closing: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity {
        under_way: AtomicUsize::new(0),
        idle_since: Mutex::new(Instant::now()),
    });
    let counted = activity.clone();
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            counted.under_way.fetch_add(1, Ordering::AcqRel);
            let under_way = UnderWay(counted.clone());
            let mut app = app.clone();
            async move {
                let answer = tower_service::Service::call(&mut app, request).await;
                drop(under_way);
                answer
            }
        });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    let check = (limits.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut closing_down = false;
    loop {
        tokio::select! {
            _ = served.as_mut() => return,
            changed = closing.changed(), if !closing_down => {
                if changed.is_err() || *closing.borrow() {
                    closing_down = true;
                    served.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep(check), if !closing_down => {
                if activity.idle_for().is_some_and(|idle| idle >= limits.idle_timeout) {
                    closing_down = true;
                    served.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
