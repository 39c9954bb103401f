//! TLS material, parsed once at configuration time so a bad file fails startup.
//!
//! Servers terminate TLS themselves with rustls (see [`super::listener`]): the handshake then
//! shares one deadline with the HTTP/2 preface, and mutual TLS is rustls's WebPKI client
//! verifier. Clients (fitness → auth, the CLI) use tonic's rustls connector.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// Which part of the TLS material is unusable, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// The certificate chain.
    #[error("{0}")]
    Certificate(String),
    /// The private key (never quoted).
    #[error("{0}")]
    Key(String),
    /// The CA bundle that signs client certificates (server) or the server's (client).
    #[error("{0}")]
    ClientCa(String),
}

/// A server's rustls configuration: its certificate, and the CA its clients must be signed by
/// when mutual TLS is on. ALPN offers `h2` only (gRPC needs HTTP/2).
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    mutual: bool,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("mutual", &self.mutual)
            .finish_non_exhaustive()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate in the file".to_owned());
    }
    Ok(certs)
}

fn roots(pem: &[u8]) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(pem)? {
        roots
            .add(cert)
            .map_err(|e| format!("not a usable CA certificate: {e}"))?;
    }
    Ok(roots)
}

impl ServerTls {
    /// From a PEM certificate chain and key, requiring client certificates signed by
    /// `client_ca` when given.
    pub fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        client_ca: Option<&[u8]>,
    ) -> Result<Self, PemError> {
        let chain = certificates(cert_pem).map_err(PemError::Certificate)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| PemError::Key(format!("not a PEM private key: {e}")))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| PemError::Certificate(e.to_string()))?;
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(pem) => {
                let roots = roots(pem).map_err(PemError::ClientCa)?;
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()
                        .map_err(|e| PemError::ClientCa(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| PemError::Key(format!("does not match the certificate: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            mutual: client_ca.is_some(),
        })
    }

    /// The rustls configuration handshakes use.
    pub(crate) fn config(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.config)
    }
}

/// What a client trusts and presents: a CA bundle (else the system roots) and, for mutual TLS,
/// a certificate and key.
#[derive(Clone, Default)]
pub struct ClientTls {
    ca: Option<Vec<u8>>,
    identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("ca", &self.ca.is_some())
            .field("identity", &self.identity.is_some())
            .finish()
    }
}

impl ClientTls {
    /// Checks the PEM material now, so a bad file is a configuration error rather than a
    /// failed connection later. `ca` of `None` trusts the system roots.
    pub fn from_pem(ca: Option<&[u8]>, identity: Option<(&[u8], &[u8])>) -> Result<Self, PemError> {
        if let Some(pem) = ca {
            roots(pem).map_err(PemError::ClientCa)?;
        }
        if let Some((cert, key)) = identity {
            certificates(cert).map_err(PemError::Certificate)?;
            PrivateKeyDer::from_pem_slice(key)
                .map_err(|e| PemError::Key(format!("not a PEM private key: {e}")))?;
        }
        Ok(Self {
            ca: ca.map(<[u8]>::to_vec),
            identity: identity.map(|(c, k)| (c.to_vec(), k.to_vec())),
        })
    }

    /// Whether a client certificate is presented.
    pub fn has_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// tonic's rustls connector configuration for this material.
    pub fn tonic(&self) -> ClientTlsConfig {
        let config = ClientTlsConfig::new();
        let config = match &self.ca {
            Some(pem) => config.ca_certificate(Certificate::from_pem(pem)),
            None => config.with_native_roots(),
        };
        match &self.identity {
            Some((cert, key)) => config.identity(Identity::from_pem(cert, key)),
            None => config,
        }
    }
}

/// An endpoint for `url`: TLS with `tls` (or the system roots when `None`) for `https://`,
/// plaintext for `http://`.
pub fn endpoint(
    url: &str,
    tls: Option<&ClientTls>,
) -> Result<tonic::transport::Endpoint, tonic::transport::Error> {
    let endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())?;
    if url.starts_with("https://") {
        let config = tls.map_or_else(|| ClientTls::default().tonic(), ClientTls::tonic);
        endpoint.tls_config(config)
    } else {
        Ok(endpoint)
    }
}
