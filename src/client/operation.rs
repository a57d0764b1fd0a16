//! What the client knows of an operation: the types of the generated table.
//!
//! They live in the neutral [`crate::operations`] module, which the simulator reads too.

pub(crate) use crate::operations::{HttpMethod, Operation};
