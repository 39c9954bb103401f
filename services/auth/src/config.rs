//! Auth service configuration, read from `STRIDE_*` variables (see the README table).

use std::net::SocketAddr;
use std::time::Duration;

use shared::config::{ConfigError, Env};
use shared::db::DatabaseUrl;

/// Everything the auth service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `STRIDE_AUTH_ADDR`: where gRPC is served (port 0 picks a free port).
    pub listen_addr: SocketAddr,
    /// `STRIDE_AUTH_DATABASE_URL`: `sqlite://…` (default) or `postgres://…`.
    pub database_url: DatabaseUrl,
    /// `STRIDE_SHUTDOWN_DRAIN`: how long in-flight RPCs may run after a shutdown signal.
    pub shutdown_drain: Duration,
}

/// Default listen address of the auth service.
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 50051);

impl Config {
    /// Reads the configuration; the first invalid variable is the error.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            listen_addr: env.socket_addr("STRIDE_AUTH_ADDR", DEFAULT_ADDR)?,
            database_url: env.database_url("STRIDE_AUTH_DATABASE_URL", "sqlite://data/auth.db")?,
            shutdown_drain: env.duration("STRIDE_SHUTDOWN_DRAIN", Duration::from_secs(10))?,
        })
    }

    /// A configuration for tests: port 0 on loopback and the given database.
    pub fn for_tests(database_url: DatabaseUrl) -> Self {
        Self {
            listen_addr: SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0),
            database_url,
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
        assert_eq!(config.database_url.sqlite_path(), Some("data/auth.db"));
    }

    #[test]
    fn an_unparsable_database_url_is_rejected_with_its_variable() {
        let map: EnvMap = [(
            "STRIDE_AUTH_DATABASE_URL".to_owned(),
            "mysql://x".to_owned(),
        )]
        .into();
        let err = Config::from_env(Env::new(&map)).unwrap_err();
        assert_eq!(err.var, "STRIDE_AUTH_DATABASE_URL");
    }
}
