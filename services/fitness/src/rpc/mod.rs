//! gRPC handlers, one file per service: parse the request, call the domain, map the result.
//! RPCs a handler does not override answer UNIMPLEMENTED.

pub mod exercise;
pub mod stats;
pub mod workout;
