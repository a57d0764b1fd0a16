//! Cancellation as a fault: poll a future a given number of times, then drop it, as hyper
//! drops a handler whose caller went away. Between two polls it waits for the future's own
//! wake-up (its I/O or timer), so that each extra poll moves it past one more `.await`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::sync::Notify;

/// A waker that wakes a [`Notify`] (which keeps a wake-up that came before the wait).
struct Woken(Notify);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.notify_one();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify_one();
    }
}

/// Polls `future` at most `polls` times, waiting for its wake-up (at most 5 s) between two
/// polls; `Some` of its output when it finished within them, `None` when it was dropped
/// unfinished.
pub async fn poll_then_drop<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    for poll in 0..polls {
        let woken = Arc::new(Woken(Notify::new()));
        let waker = Waker::from(Arc::clone(&woken));
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return Some(output);
        }
        if poll + 1 < polls {
            let _ = tokio::time::timeout(Duration::from_secs(5), woken.0.notified()).await;
        }
    }
    None
}
