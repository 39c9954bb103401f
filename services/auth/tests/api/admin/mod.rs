//! AdminService: who may call it, account management, listing users and security events, the
//! dashboard overview, users' token trees and avatars, and the signing key ring and its
//! rotation.

mod access;
mod accounts;
mod key_ring;
mod key_rotation;
mod overview;
mod security_events;
mod user_views;
mod users_list;
