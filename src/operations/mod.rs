//! The operations of the Buzz-In API, one [`Operation`] constant each, and [`ALL`] of them.
//!
//! The table is generated from the spec's `paths`: each operation's method, path, retry class
//! (`x-buzzin-retry`, overridden per `action` by `x-buzzin-retry-by-action`), the SDK calls
//! that send it (`x-buzzin-sdk-call`) and the names of its query parameters. The client sends by
//! it, and the simulator routes by it.
//!
//! ```
//! use buzzin::operations::{self, HttpMethod, RetryClass};
//!
//! let op = operations::UPDATE_PASS;
//! assert_eq!((op.method, op.path), (HttpMethod::Patch, "/passes/{id}"));
//! assert_eq!(op.retry_for(Some("revoke")), RetryClass::Safe);
//! assert_eq!(op.call_name(Some("reissuePass")), "passes().reissue");
//! assert!(operations::ALL.iter().any(|o| o.id == "updatePass"));
//! ```

pub(crate) mod types;

pub use crate::models::generated::operations::*;
pub use types::{HttpMethod, Operation, RetryClass, SdkCall};
