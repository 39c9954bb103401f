//! Tests that call the auth crate's library directly instead of going through gRPC: the
//! revocation write side, the login-window sweep, key sealing and the admin command. They are
//! kept together because their paths follow the crate's internal module layout.

mod admin_command;
mod login_sweep;
mod master_key;
mod revocation;
