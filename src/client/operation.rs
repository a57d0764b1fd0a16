//! What the client knows of an operation: the types of the generated table, which live in
//! the neutral [`crate::operations`] module that the simulator reads too.

pub(crate) use crate::operations::{HttpMethod, Operation};
