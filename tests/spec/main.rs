//! The spec and the models, one binary: every documentation example and spec example through
//! the models and the spec's JSON Schemas, and the models' own deserialization.

mod examples;
mod models;
