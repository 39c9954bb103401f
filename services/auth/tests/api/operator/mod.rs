//! What operators' tools call through the auth crate's library rather than gRPC: the admin
//! command, the periodic sweeps of login windows and known and unknown clients, and restarting
//! on a sealed key store.

mod admin_command;
mod event_sweep;
mod expiry_sweep;
mod login_sweep;
mod master_key;
