//! The auth service's one error type: the shared error model (see `docs/ARCHITECTURE.md`,
//! "Errors") under the `stride.auth` domain, mapped to `tonic::Status` in one place
//! (`shared::error`).

/// The auth service as an error domain.
#[derive(Debug)]
pub struct Auth;

impl shared::error::Domain for Auth {
    const DOMAIN: &'static str = crate::DOMAIN;
}

/// Every way an auth RPC can fail; each variant documents the status it becomes.
pub type Error = shared::error::Error<Auth>;

/// Result of a domain or store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
