//! AdminService: who may call it, account management, listing users and security events, and
//! key rotation.

mod access;
mod accounts;
mod key_rotation;
mod security_events;
mod users_list;
