//! The service key guarding `TokenIntrospectionService` (SPEC §9): internal callers send
//! `STRIDE_SERVICE_KEY` in the `x-stride-service-key` metadata; anyone else is
//! UNAUTHENTICATED. Installed as an interceptor on the whole service, so no RPC of it can
//! forget the check.

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tonic::metadata::MetadataMap;
use tonic::{Request, Status};

use crate::error::Error;

/// Metadata key carrying the service key.
pub const HEADER: &str = "x-stride-service-key";

/// The expected key, kept as a SHA-256 digest: comparing fixed-length digests in constant
/// time leaks neither the key's bytes nor its length.
#[derive(Clone)]
pub struct ServiceKey {
    digest: [u8; 32],
}

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceKey(<redacted>)")
    }
}

impl ServiceKey {
    /// The key callers must present.
    pub fn new(key: &str) -> Self {
        Self {
            digest: Sha256::digest(key.as_bytes()).into(),
        }
    }

    /// True when `metadata` carries the key.
    pub fn accepts(&self, metadata: &MetadataMap) -> bool {
        let Some(presented) = metadata.get(HEADER) else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(presented.ct_eq(&self.digest))
    }

    /// The interceptor: UNAUTHENTICATED (`INVALID_SERVICE_KEY`) unless the key is present.
    pub fn check(&self, request: Request<()>) -> Result<Request<()>, Status> {
        if self.accepts(request.metadata()) {
            Ok(request)
        } else {
            Err(Error::Unauthenticated("INVALID_SERVICE_KEY").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(key: Option<&str>) -> MetadataMap {
        let mut m = MetadataMap::new();
        if let Some(key) = key {
            m.insert(HEADER, key.parse().unwrap());
        }
        m
    }

    #[test]
    fn only_the_exact_key_is_accepted() {
        let key = ServiceKey::new("s3cret");
        assert!(key.accepts(&with(Some("s3cret"))));
        for bad in [
            None,
            Some(""),
            Some("s3cre"),
            Some("s3cret "),
            Some("S3CRET"),
        ] {
            assert!(!key.accepts(&with(bad)), "{bad:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        assert!(!format!("{:?}", ServiceKey::new("s3cret")).contains("s3cret"));
    }
}
