//! How a server listens: the HTTP/2 limits every connection gets and, optionally, TLS.
//!
//! Without these a client could hold unbounded work on one connection (tonic's builder passes
//! "no limit" to hyper for concurrent streams, request time, idle time and connection age).
//! The defaults are safe for production and loose enough for local development.

use std::time::Duration;

use super::{ConfigError, Env};
use crate::server::tls::{self, ServerTls};

/// What every Stride server needs to know about its connections.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// HTTP/2 and gRPC limits.
    pub limits: ServerLimits,
    /// TLS material; `None` serves plaintext (the local development default).
    pub tls: Option<ServerTls>,
}

/// Bounds on what one client can make a server hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// `STRIDE_MAX_CONCURRENT_STREAMS`: SETTINGS_MAX_CONCURRENT_STREAMS advertised on every
    /// connection; streams beyond it are refused by the HTTP/2 layer before any handler runs.
    pub max_concurrent_streams: u32,
    /// `STRIDE_REQUEST_TIMEOUT`: longest time a handler may take to produce its response
    /// headers (a unary RPC's whole answer). Server streams (`WatchRevocations`) answer their
    /// headers at once and then stream, so their lifetime is not bounded by it.
    pub request_timeout: Duration,
    /// `STRIDE_KEEPALIVE_INTERVAL`: an HTTP/2 PING is sent after this much idle time.
    pub keepalive_interval: Duration,
    /// `STRIDE_KEEPALIVE_TIMEOUT`: a connection whose PING is not acknowledged within this
    /// time is closed, so dead peers do not pin memory.
    pub keepalive_timeout: Duration,
    /// `STRIDE_MAX_CONNECTION_AGE`: after this long a connection is sent GOAWAY, so clients
    /// reconnect (and rebalance) and no connection lives forever.
    pub max_connection_age: Duration,
    /// `STRIDE_MAX_CONNECTION_AGE_GRACE`: how long streams still open at GOAWAY may finish
    /// before the connection is closed.
    pub max_connection_age_grace: Duration,
    /// `STRIDE_MAX_HEADER_LIST_SIZE`: largest header block (SETTINGS_MAX_HEADER_LIST_SIZE).
    pub max_header_list_size: u32,
    /// `STRIDE_HANDSHAKE_TIMEOUT`: from TCP accept to a complete TLS handshake (when TLS is
    /// on) and the HTTP/2 connection preface. A peer that connects and stays silent is closed.
    pub handshake_timeout: Duration,
    /// `STRIDE_MAX_MESSAGE_SIZE`: largest gRPC message decoded or encoded, in bytes.
    pub max_message_size: usize,
    /// `STRIDE_MAX_BUFFERED_PER_CONNECTION`: bytes of request messages one connection's
    /// requests may hold at once beyond a small allowance each (see
    /// `shared::server::body_budget`); at least the message cap, so one largest message
    /// always fits.
    pub max_buffered_per_connection: usize,
}

impl Default for ServerLimits {
    /// The documented defaults of every variable.
    fn default() -> Self {
        Self {
            max_concurrent_streams: 100,
            request_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            max_connection_age: Duration::from_secs(3600),
            max_connection_age_grace: Duration::from_secs(300),
            max_header_list_size: 16 * 1024,
            handshake_timeout: Duration::from_secs(10),
            max_message_size: 4 * 1024 * 1024,
            max_buffered_per_connection: 4 * 1024 * 1024,
        }
    }
}

impl ServerLimits {
    /// Reads the limit variables (shared by both services).
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let positive = |var: &str, default: Duration| env.positive_duration(var, default);
        let at_least = |var: &str, default: u64, min: u64| -> Result<u64, ConfigError> {
            let value: u64 = env.parse(var, default)?;
            if value < min {
                return Err(ConfigError::new(
                    var,
                    env.get(var).unwrap_or_default(),
                    format!("must be at least {min}"),
                ));
            }
            Ok(value)
        };
        let u32_at_least = |var: &str, default: u32, min: u64| {
            at_least(var, default.into(), min).and_then(|n| {
                u32::try_from(n).map_err(|_| {
                    ConfigError::new(var, env.get(var).unwrap_or_default(), "too large")
                })
            })
        };
        let max_message_size =
            at_least("STRIDE_MAX_MESSAGE_SIZE", d.max_message_size as u64, 1024)?;
        let max_buffered = at_least(
            "STRIDE_MAX_BUFFERED_PER_CONNECTION",
            (d.max_buffered_per_connection as u64).max(max_message_size),
            max_message_size,
        )?;
        let size = |var: &str, value: u64| {
            usize::try_from(value)
                .map_err(|_| ConfigError::new(var, env.get(var).unwrap_or_default(), "too large"))
        };
        Ok(Self {
            max_concurrent_streams: u32_at_least(
                "STRIDE_MAX_CONCURRENT_STREAMS",
                d.max_concurrent_streams,
                1,
            )?,
            request_timeout: positive("STRIDE_REQUEST_TIMEOUT", d.request_timeout)?,
            keepalive_interval: positive("STRIDE_KEEPALIVE_INTERVAL", d.keepalive_interval)?,
            keepalive_timeout: positive("STRIDE_KEEPALIVE_TIMEOUT", d.keepalive_timeout)?,
            max_connection_age: positive("STRIDE_MAX_CONNECTION_AGE", d.max_connection_age)?,
            max_connection_age_grace: positive(
                "STRIDE_MAX_CONNECTION_AGE_GRACE",
                d.max_connection_age_grace,
            )?,
            max_header_list_size: u32_at_least(
                "STRIDE_MAX_HEADER_LIST_SIZE",
                d.max_header_list_size,
                1024,
            )?,
            handshake_timeout: positive("STRIDE_HANDSHAKE_TIMEOUT", d.handshake_timeout)?,
            max_message_size: size("STRIDE_MAX_MESSAGE_SIZE", max_message_size)?,
            max_buffered_per_connection: size("STRIDE_MAX_BUFFERED_PER_CONNECTION", max_buffered)?,
        })
    }
}

/// The variables naming one server's TLS files (they differ per service, so both services can
/// run in one process with their own certificates).
#[derive(Debug, Clone, Copy)]
pub struct TlsVars {
    /// PEM certificate chain, leaf first.
    pub cert: &'static str,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: &'static str,
    /// PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS).
    pub client_ca: &'static str,
}

impl ServerConfig {
    /// Plaintext with the default limits (tests and local development).
    pub fn plaintext() -> Self {
        Self {
            limits: ServerLimits::default(),
            tls: None,
        }
    }

    /// Reads the limits and the TLS files named by `vars`. Certificate and key go together;
    /// a client CA without them is an error (mutual TLS needs TLS).
    pub fn from_env(env: Env<'_>, vars: TlsVars) -> Result<Self, ConfigError> {
        let limits = ServerLimits::from_env(env)?;
        let tls = match (env.get(vars.cert), env.get(vars.key)) {
            (None, None) => {
                if let Some(ca) = env.get(vars.client_ca) {
                    return Err(ConfigError::new(
                        vars.client_ca,
                        ca,
                        format!(
                            "client certificates need TLS: set {} and {}",
                            vars.cert, vars.key
                        ),
                    ));
                }
                None
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    vars.key,
                    "",
                    format!("required with {}", vars.cert),
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    vars.cert,
                    "",
                    format!("required with {}", vars.key),
                ));
            }
            (Some(cert), Some(key)) => {
                let cert_pem = read_file(vars.cert, cert)?;
                let key_pem = read_file(vars.key, key)?;
                let client_ca = env
                    .get(vars.client_ca)
                    .map(|path| read_file(vars.client_ca, path).map(|pem| (path, pem)))
                    .transpose()?;
                let built = ServerTls::from_pem(
                    &cert_pem,
                    &key_pem,
                    client_ca.as_ref().map(|(_, pem)| pem.as_slice()),
                );
                Some(built.map_err(|err| match err {
                    tls::PemError::Certificate(reason) => ConfigError::new(vars.cert, cert, reason),
                    tls::PemError::Key(reason) => ConfigError::new(vars.key, key, reason),
                    tls::PemError::ClientCa(reason) => ConfigError::new(
                        vars.client_ca,
                        client_ca.as_ref().map_or("", |(path, _)| path),
                        reason,
                    ),
                })?)
            }
        };
        Ok(Self { limits, tls })
    }
}

/// The bytes of a file a variable names; the error names the variable (never the contents).
pub fn read_file(var: &str, path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::new(var, path, format!("cannot read: {e}")))
}

/// The variables naming what a client trusts and presents when it calls a service over TLS.
#[derive(Debug, Clone, Copy)]
pub struct ClientTlsVars {
    /// The variable holding the service URL (`https://` turns TLS on).
    pub url: &'static str,
    /// PEM CA bundle that signs the service's certificate (else the system roots).
    pub ca: &'static str,
    /// PEM client certificate chain, for a service that requires mutual TLS.
    pub cert: &'static str,
    /// PEM key of that certificate.
    pub key: &'static str,
}

impl ClientTlsVars {
    /// The client TLS material for `url`: `None` for `http://`, where setting any of the
    /// files is an error (they would silently do nothing).
    pub fn read(&self, env: Env<'_>, url: &str) -> Result<Option<tls::ClientTls>, ConfigError> {
        let ca = env.get(self.ca);
        let (cert, key) = (env.get(self.cert), env.get(self.key));
        if !url.starts_with("https://") {
            if let Some((var, value)) = [(self.ca, ca), (self.cert, cert), (self.key, key)]
                .into_iter()
                .find_map(|(var, value)| value.map(|v| (var, v)))
            {
                return Err(ConfigError::new(
                    var,
                    value,
                    format!("TLS files need an https:// URL in {}", self.url),
                ));
            }
            return Ok(None);
        }
        let identity = match (cert, key) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some((
                (cert, read_file(self.cert, cert)?),
                (key, read_file(self.key, key)?),
            )),
            (Some(_), None) => {
                return Err(ConfigError::new(
                    self.key,
                    "",
                    format!("required with {}", self.cert),
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    self.cert,
                    "",
                    format!("required with {}", self.key),
                ));
            }
        };
        let ca = ca
            .map(|path| read_file(self.ca, path).map(|pem| (path, pem)))
            .transpose()?;
        tls::ClientTls::from_pem(
            ca.as_ref().map(|(_, pem)| pem.as_slice()),
            identity
                .as_ref()
                .map(|((_, c), (_, k))| (c.as_slice(), k.as_slice())),
        )
        .map(Some)
        .map_err(|err| {
            let (var, value) = match err {
                tls::PemError::Certificate(_) => {
                    (self.cert, identity.as_ref().map(|((p, _), _)| *p))
                }
                tls::PemError::Key(_) => (self.key, identity.as_ref().map(|(_, (p, _))| *p)),
                tls::PemError::ClientCa(_) => (self.ca, ca.as_ref().map(|(p, _)| *p)),
            };
            ConfigError::new(var, value.unwrap_or_default(), err.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EnvMap;
    use crate::config::tests::env;

    const VARS: TlsVars = TlsVars {
        cert: "EXAMPLE_TLS_CERT",
        key: "EXAMPLE_TLS_KEY",
        client_ca: "EXAMPLE_TLS_CLIENT_CA",
    };

    #[test]
    fn every_limit_is_read_and_plaintext_is_the_default() {
        let map = env(&[
            ("STRIDE_MAX_CONCURRENT_STREAMS", "8"),
            ("STRIDE_REQUEST_TIMEOUT", "5s"),
            ("STRIDE_KEEPALIVE_INTERVAL", "1m"),
            ("STRIDE_KEEPALIVE_TIMEOUT", "2s"),
            ("STRIDE_MAX_CONNECTION_AGE", "2h"),
            ("STRIDE_MAX_CONNECTION_AGE_GRACE", "30s"),
            ("STRIDE_MAX_HEADER_LIST_SIZE", "4096"),
            ("STRIDE_HANDSHAKE_TIMEOUT", "3s"),
            ("STRIDE_MAX_MESSAGE_SIZE", "65536"),
            ("STRIDE_MAX_BUFFERED_PER_CONNECTION", "1048576"),
        ]);
        let config = ServerConfig::from_env(Env::new(&map), VARS).unwrap();
        assert!(config.tls.is_none());
        assert_eq!(
            config.limits,
            ServerLimits {
                max_concurrent_streams: 8,
                request_timeout: Duration::from_secs(5),
                keepalive_interval: Duration::from_secs(60),
                keepalive_timeout: Duration::from_secs(2),
                max_connection_age: Duration::from_secs(7200),
                max_connection_age_grace: Duration::from_secs(30),
                max_header_list_size: 4096,
                handshake_timeout: Duration::from_secs(3),
                max_message_size: 65536,
                max_buffered_per_connection: 1_048_576,
            }
        );
        let empty = EnvMap::new();
        let defaults = ServerConfig::from_env(Env::new(&empty), VARS).unwrap();
        assert_eq!(defaults.limits, ServerLimits::default());
    }

    #[test]
    fn unusable_limits_and_tls_files_name_their_variable() {
        for (pairs, var) in [
            (
                vec![("STRIDE_MAX_CONCURRENT_STREAMS", "0")],
                "STRIDE_MAX_CONCURRENT_STREAMS",
            ),
            (
                vec![("STRIDE_REQUEST_TIMEOUT", "0s")],
                "STRIDE_REQUEST_TIMEOUT",
            ),
            (
                vec![("STRIDE_MAX_HEADER_LIST_SIZE", "10")],
                "STRIDE_MAX_HEADER_LIST_SIZE",
            ),
            (
                vec![("STRIDE_HANDSHAKE_TIMEOUT", "soon")],
                "STRIDE_HANDSHAKE_TIMEOUT",
            ),
            (
                vec![
                    ("STRIDE_MAX_MESSAGE_SIZE", "2097152"),
                    ("STRIDE_MAX_BUFFERED_PER_CONNECTION", "1048576"),
                ],
                "STRIDE_MAX_BUFFERED_PER_CONNECTION",
            ),
            (vec![(VARS.cert, "/nonexistent/cert.pem")], VARS.key),
            (
                vec![
                    (VARS.cert, "/nonexistent/c.pem"),
                    (VARS.key, "/nonexistent/k.pem"),
                ],
                VARS.cert,
            ),
            (
                vec![(VARS.client_ca, "/nonexistent/ca.pem")],
                VARS.client_ca,
            ),
        ] {
            let map = env(&pairs);
            let err = ServerConfig::from_env(Env::new(&map), VARS).unwrap_err();
            assert_eq!(err.var, var, "{pairs:?}");
        }
    }

    #[test]
    fn client_tls_files_need_an_https_url() {
        let vars = ClientTlsVars {
            url: "EXAMPLE_URL",
            ca: "EXAMPLE_CA_FILE",
            cert: "EXAMPLE_CLIENT_CERT",
            key: "EXAMPLE_CLIENT_KEY",
        };
        let map = env(&[("EXAMPLE_CA_FILE", "ca.pem")]);
        let err = vars.read(Env::new(&map), "http://127.0.0.1:1").unwrap_err();
        assert_eq!(err.var, "EXAMPLE_CA_FILE");
        let none = EnvMap::new();
        assert!(
            vars.read(Env::new(&none), "http://127.0.0.1:1")
                .unwrap()
                .is_none()
        );
        assert!(
            vars.read(Env::new(&none), "https://auth.example")
                .unwrap()
                .is_some()
        );
    }
}
