//! gRPC handlers, one file per service: parse the request, call the domain, map the result.
//! RPCs a handler does not override answer UNIMPLEMENTED.

pub mod admin;
pub mod auth;
pub mod introspection;
pub mod session;
pub mod user;
