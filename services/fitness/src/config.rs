//! Fitness service configuration, read from `STRIDE_*` variables (see the README table).

use std::net::SocketAddr;
use std::time::Duration;

use shared::config::{ConfigError, Env};
use shared::db::DatabaseUrl;

/// Everything the fitness service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `STRIDE_FITNESS_ADDR`: where gRPC is served (port 0 picks a free port).
    pub listen_addr: SocketAddr,
    /// `STRIDE_FITNESS_DATABASE_URL`: `sqlite://…` (default) or `postgres://…`.
    pub database_url: DatabaseUrl,
    /// `STRIDE_AUTH_URL`: the auth service, for JWKS and revocation.
    pub auth_url: String,
    /// `STRIDE_SHUTDOWN_DRAIN`: how long in-flight RPCs may run after a shutdown signal.
    pub shutdown_drain: Duration,
}

/// Default listen address of the fitness service.
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 50052);

impl Config {
    /// Reads the configuration; the first invalid variable is the error.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let auth_url = env.string("STRIDE_AUTH_URL", "http://127.0.0.1:50051");
        match url::Url::parse(&auth_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(ConfigError::new(
                    "STRIDE_AUTH_URL",
                    &auth_url,
                    "expected an http:// or https:// URL",
                ));
            }
        }
        Ok(Self {
            listen_addr: env.socket_addr("STRIDE_FITNESS_ADDR", DEFAULT_ADDR)?,
            database_url: env
                .database_url("STRIDE_FITNESS_DATABASE_URL", "sqlite://data/fitness.db")?,
            auth_url,
            shutdown_drain: env.duration("STRIDE_SHUTDOWN_DRAIN", Duration::from_secs(10))?,
        })
    }

    /// A configuration for tests: port 0 on loopback, the given database and auth service.
    pub fn for_tests(database_url: DatabaseUrl, auth_url: String) -> Self {
        Self {
            listen_addr: SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0),
            database_url,
            auth_url,
            shutdown_drain: Duration::from_secs(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::config::EnvMap;

    #[test]
    fn defaults_work_for_local_development() {
        let map = EnvMap::new();
        let config = Config::from_env(Env::new(&map)).unwrap();
        assert_eq!(config.listen_addr, DEFAULT_ADDR);
        assert_eq!(config.auth_url, "http://127.0.0.1:50051");
    }

    #[test]
    fn a_non_http_auth_url_is_rejected() {
        let map: EnvMap = [("STRIDE_AUTH_URL".to_owned(), "ftp://x".to_owned())].into();
        let err = Config::from_env(Env::new(&map)).unwrap_err();
        assert_eq!(err.var, "STRIDE_AUTH_URL");
    }
}
