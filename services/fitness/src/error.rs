//! The fitness service's error type: the shared error model (`shared::error`, described in
//! `docs/ARCHITECTURE.md`, "Errors") under this service's `ErrorInfo` domain.

/// Marks errors as the fitness service's: their `ErrorInfo.domain` is `stride.fitness`.
#[derive(Debug)]
pub struct Fitness;

impl shared::error::Domain for Fitness {
    const DOMAIN: &'static str = crate::DOMAIN;
}

/// Every way a fitness RPC can fail; each variant documents the status it becomes.
pub type Error = shared::error::Error<Fitness>;

/// Result of a domain or store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
