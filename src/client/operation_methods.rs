//! What every operation builder shares, written once: the per-call settings, `extra`,
//! `send_blocking()` and `IntoFuture` (the [`operation_builder!`] macro writes the public
//! methods over the private [`CallSettings`] trait), and [`CallFuture`], the future `.await` on a
//! builder gives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::{Map, Value};

use super::{CallOptions, RetryPolicy};
use crate::Error;

/// The parts of an operation builder that the shared methods work on.
pub(crate) trait CallSettings: Sized {
    /// The builder's per-call settings.
    fn call_options(&mut self) -> &mut CallOptions;

    fn set_timeout(mut self, timeout: Duration) -> Self {
        self.call_options().timeout = Some(timeout);
        self
    }

    fn set_deadline(mut self, deadline: Duration) -> Self {
        self.call_options().deadline = Some(deadline);
        self
    }

    fn set_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.call_options().retry = Some(policy);
        self
    }
}

/// A builder whose request body takes JSON fields the SDK does not type.
pub(crate) trait ExtraFields: Sized {
    /// The untyped fields sent beside the typed ones.
    fn extra_fields(&mut self) -> &mut Map<String, Value>;

    fn add_extra(mut self, name: String, value: Value) -> Self {
        self.extra_fields().insert(name, value);
        self
    }
}

/// The future of one call: what `.await` on a builder runs (the same as its `send()`). It owns
/// everything it needs, so it is `Send + 'static`: spawn it, store it, or await it later.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("GET")).and(matchers::path("/permits/66f0a1b2c3d4e5f600000abc"))
/// #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
/// #         {"_id": "66f0a1b2c3d4e5f600000abc", "status": 1, "statusName": "ACCEPTED"})))
/// #     .mount(&server).await;
/// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
/// use std::future::IntoFuture;
/// use buzzin::client::CallFuture;
/// use buzzin::models::{Permit, PermitState};
///
/// let call: CallFuture<Permit> = client.permits().get("66f0a1b2c3d4e5f600000abc").into_future();
/// let permit = tokio::spawn(call).await??;
/// assert_eq!(permit.state(), PermitState::Accepted);
/// # Ok(()) }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct CallFuture<T> {
    inner: Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>,
}

impl<T> CallFuture<T> {
    pub(crate) fn new(call: impl Future<Output = Result<T, Error>> + Send + 'static) -> Self {
        CallFuture {
            inner: Box::pin(call),
        }
    }
}

impl<T> Future for CallFuture<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for CallFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallFuture")
    }
}

/// Writes the shared public methods of an operation builder `$builder` whose `send()` answers
/// `$output`: `timeout`, `deadline`, `retry_policy`, `send_blocking` (feature `blocking`) and
/// `IntoFuture`; with `extra: <path>`, also `extra` over the `Map` at `self.<path>`. The builder
/// has an `options: CallOptions` field and an `async fn send(self)`. `@settings` writes only
/// the per-call settings (for [`RawRequest`](super::RawRequest), whose `send` is generic).
macro_rules! operation_builder {
    ($builder:ident -> $output:ty $(, extra: $($field:ident).+)?) => {
        operation_builder!(@settings $builder);

        $(
        impl $crate::client::operation_methods::ExtraFields for $builder {
            fn extra_fields(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
                &mut self.$($field).+
            }
        }

        impl $builder {
            /// A JSON field the SDK does not type, sent beside the typed ones. `action` is
            /// refused when sending: it selects the operation, and with it how the call is
            /// retried; use the typed operation instead.
            pub fn extra(
                self,
                name: impl Into<String>,
                value: impl Into<serde_json::Value>,
            ) -> Self {
                $crate::client::operation_methods::ExtraFields::add_extra(self, name.into(), value.into())
            }
        }
        )?

        impl $builder {
            /// [`send`](Self::send) for code that has no async runtime (feature `blocking`).
            /// Inside an async runtime it answers
            /// [`Error::BlockingInsideRuntime`](crate::Error::BlockingInsideRuntime) rather
            /// than blocking it.
            #[cfg(feature = "blocking")]
            #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
            pub fn send_blocking(self) -> Result<$output, $crate::Error> {
                $crate::client::blocking::run(self.send())
            }
        }

        impl std::future::IntoFuture for $builder {
            type Output = Result<$output, $crate::Error>;
            type IntoFuture = $crate::client::CallFuture<$output>;

            /// The call, as [`send`](Self::send) makes it: `builder.await` is
            /// `builder.send().await`.
            fn into_future(self) -> Self::IntoFuture {
                $crate::client::CallFuture::new(self.send())
            }
        }
    };
    (@settings $builder:ident) => {
        impl $crate::client::operation_methods::CallSettings for $builder {
            fn call_options(&mut self) -> &mut $crate::client::CallOptions {
                &mut self.options
            }
        }

        impl $builder {
            /// The time one attempt of this call may take, instead of the client's
            /// [`timeout`](crate::ClientBuilder::timeout).
            pub fn timeout(self, timeout: std::time::Duration) -> Self {
                $crate::client::operation_methods::CallSettings::set_timeout(self, timeout)
            }

            /// The time this whole call may take, all attempts and the waits between them
            /// included, instead of the client's [`deadline`](crate::ClientBuilder::deadline).
            pub fn deadline(self, deadline: std::time::Duration) -> Self {
                $crate::client::operation_methods::CallSettings::set_deadline(self, deadline)
            }

            /// How this call's failed attempts are retried, instead of the client's
            /// [`retry_policy`](crate::ClientBuilder::retry_policy). The operation's retry
            /// class still decides *which* failures may be re-sent: an operation that opens a
            /// gate or mints a pass is not re-sent once it may have reached Buzz-In, however
            /// many attempts are allowed here.
            pub fn retry_policy(self, policy: $crate::client::RetryPolicy) -> Self {
                $crate::client::operation_methods::CallSettings::set_retry_policy(self, policy)
            }
        }
    };
}
