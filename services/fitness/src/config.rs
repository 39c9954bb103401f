//! Fitness service configuration, read from `STRIDE_*` variables (see the README table).

use std::net::SocketAddr;
use std::time::Duration;

use shared::config::{ClientTlsVars, ConfigError, Env, ServerConfig, TlsVars};
use shared::db::DatabaseUrl;
use shared::secret::Secret;
use shared::server::tls::ClientTls;

pub use crate::domain::clock::Clock;

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
    /// How callers are authenticated.
    pub auth: AuthConfig,
    /// How the server listens: the HTTP/2 limits (`STRIDE_MAX_CONCURRENT_STREAMS`, …) and TLS
    /// (`STRIDE_FITNESS_TLS_CERT`, `STRIDE_FITNESS_TLS_KEY`, `STRIDE_FITNESS_TLS_CLIENT_CA`).
    pub server: ServerConfig,
    /// TLS towards the auth service when `STRIDE_AUTH_URL` is `https://`: the CA that signs
    /// its certificate (`STRIDE_AUTH_CA_FILE`, else the system roots) and the certificate
    /// presented when auth requires one (`STRIDE_FITNESS_CLIENT_CERT`, `…_KEY`).
    pub auth_tls: Option<ClientTls>,
}

/// Settings of the auth layer: how access tokens are verified and how fresh the revocation
/// set must be (see `docs/ARCHITECTURE.md`, "The revocation feed").
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `STRIDE_ISSUER`: the `iss` every accepted access token carries.
    pub issuer: String,
    /// `STRIDE_AUDIENCE`: the `aud` every accepted access token carries.
    pub audience: String,
    /// `STRIDE_CLOCK_LEEWAY`: tolerated clock skew on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// `STRIDE_SERVICE_KEY`: presented to the auth service's internal API as
    /// `x-stride-service-key`. Must equal the auth service's value.
    pub service_key: Secret,
    /// `STRIDE_REVOCATION_MAX_STALENESS`: how long the revocation feed may stay silent before
    /// each request asks the auth service directly (and fails closed if it cannot).
    pub max_staleness: Duration,
    /// `STRIDE_JWKS_REFRESH_INTERVAL`: how often the signing keys are refetched.
    pub jwks_refresh_interval: Duration,
    /// `STRIDE_JWKS_REFETCH_COOLDOWN`: least time between two refetches caused by tokens with
    /// an unknown `kid`, so forged key ids cannot make fitness hammer the auth service.
    pub jwks_refetch_cooldown: Duration,
    /// `STRIDE_AUTH_TIMEOUT`: deadline of each unary call to the auth service.
    pub call_timeout: Duration,
    /// **Benchmarks only**, set in code (no variable reads it, so a deployed binary cannot be
    /// switched to it). When true no token is checked: the caller is whoever the
    /// `x-stride-user-id` and `x-stride-roles` metadata claim to be; startup logs an error.
    pub disabled: bool,
    /// "Now" for token expiry and for how long revocations are kept. The system clock,
    /// except in tests that move time by hand.
    pub clock: Clock,
}

/// Default listen address of the fitness service.
const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 50052);

/// The service key used when `STRIDE_SERVICE_KEY` is unset; the auth service has the same
/// development default, so a laptop stack works without configuration.
const DEV_SERVICE_KEY: &str = "stride-dev-service-key";

/// The service key of `Config::for_tests`, equal to the auth service's test key.
const TEST_SERVICE_KEY: &str = "test-service-key";

/// The fitness server's TLS files.
const TLS_VARS: TlsVars = TlsVars {
    cert: "STRIDE_FITNESS_TLS_CERT",
    key: "STRIDE_FITNESS_TLS_KEY",
    client_ca: "STRIDE_FITNESS_TLS_CLIENT_CA",
};

/// What fitness trusts and presents when it calls the auth service over TLS.
const AUTH_TLS_VARS: ClientTlsVars = ClientTlsVars {
    url: "STRIDE_AUTH_URL",
    ca: "STRIDE_AUTH_CA_FILE",
    cert: "STRIDE_FITNESS_CLIENT_CERT",
    key: "STRIDE_FITNESS_CLIENT_KEY",
};

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
        let auth_tls = AUTH_TLS_VARS.read(env, &auth_url)?;
        Ok(Self {
            listen_addr: env.socket_addr("STRIDE_FITNESS_ADDR", DEFAULT_ADDR)?,
            database_url: env
                .database_url("STRIDE_FITNESS_DATABASE_URL", "sqlite://data/fitness.db")?,
            auth_url,
            shutdown_drain: env.duration("STRIDE_SHUTDOWN_DRAIN", Duration::from_secs(10))?,
            auth: AuthConfig::from_env(env)?,
            server: ServerConfig::from_env(env, TLS_VARS)?,
            auth_tls,
        })
    }

    /// [`from_env`](Self::from_env) for a production server (`stride serve`,
    /// `stride-fitness`): refuses to start without a strong `STRIDE_SERVICE_KEY` (see
    /// `shared::secret::weak_key_reason`). Only `stride dev` runs with development secrets.
    pub fn production_from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let config = Self::from_env(env)?;
        let key = match env.get("STRIDE_SERVICE_KEY") {
            Some(_) => config.auth.service_key.clone(),
            None => Secret::new(""),
        };
        if let Some(reason) = shared::secret::weak_key_reason(&key) {
            return Err(ConfigError::new("STRIDE_SERVICE_KEY", "<redacted>", reason));
        }
        Ok(config)
    }

    /// A configuration for tests: port 0 on loopback, the given database and auth service.
    pub fn for_tests(database_url: DatabaseUrl, auth_url: String) -> Self {
        Self {
            listen_addr: SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0),
            database_url,
            auth_url,
            shutdown_drain: Duration::from_secs(1),
            auth: AuthConfig {
                service_key: Secret::new(TEST_SERVICE_KEY),
                ..AuthConfig::default()
            },
            server: ServerConfig::plaintext(),
            auth_tls: None,
        }
    }
}

impl Default for AuthConfig {
    /// The documented defaults of every variable.
    fn default() -> Self {
        Self {
            issuer: "stride".to_owned(),
            audience: "stride".to_owned(),
            leeway: Duration::from_secs(60),
            service_key: Secret::new(DEV_SERVICE_KEY),
            max_staleness: Duration::from_secs(5),
            jwks_refresh_interval: Duration::from_secs(300),
            jwks_refetch_cooldown: Duration::from_secs(5),
            call_timeout: Duration::from_secs(2),
            disabled: false,
            clock: Clock::system(),
        }
    }
}

impl AuthConfig {
    /// Reads the auth layer's variables.
    pub(crate) fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let positive = |var: &str, default: Duration| -> Result<Duration, ConfigError> {
            let value = env.duration(var, default)?;
            if value.is_zero() {
                return Err(ConfigError::new(
                    var,
                    env.get(var).unwrap_or_default(),
                    "must be greater than zero",
                ));
            }
            Ok(value)
        };
        Ok(Self {
            issuer: env.string("STRIDE_ISSUER", &d.issuer),
            audience: env.string("STRIDE_AUDIENCE", &d.audience),
            leeway: env.duration("STRIDE_CLOCK_LEEWAY", d.leeway)?,
            service_key: env
                .secret("STRIDE_SERVICE_KEY")
                .map(Secret::new)
                .unwrap_or(d.service_key),
            max_staleness: positive("STRIDE_REVOCATION_MAX_STALENESS", d.max_staleness)?,
            jwks_refresh_interval: positive(
                "STRIDE_JWKS_REFRESH_INTERVAL",
                d.jwks_refresh_interval,
            )?,
            jwks_refetch_cooldown: env
                .duration("STRIDE_JWKS_REFETCH_COOLDOWN", d.jwks_refetch_cooldown)?,
            call_timeout: positive("STRIDE_AUTH_TIMEOUT", d.call_timeout)?,
            disabled: d.disabled,
            clock: d.clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use shared::config::EnvMap;
    use shared::config::env_of as env;

    #[test]
    fn defaults_work_for_local_development() {
        let map = EnvMap::new();
        let config = Config::from_env(Env::new(&map)).unwrap();
        assert_eq!(config.listen_addr, DEFAULT_ADDR);
        assert_eq!(config.auth_url, "http://127.0.0.1:50051");
        let auth = config.auth;
        assert_eq!(auth.issuer, "stride");
        assert_eq!(auth.audience, "stride");
        assert_eq!(auth.leeway, Duration::from_secs(60));
        assert_eq!(auth.service_key.expose(), DEV_SERVICE_KEY);
        assert_eq!(auth.max_staleness, Duration::from_secs(5));
        assert_eq!(auth.jwks_refresh_interval, Duration::from_secs(300));
        assert_eq!(auth.jwks_refetch_cooldown, Duration::from_secs(5));
        assert_eq!(auth.call_timeout, Duration::from_secs(2));
        assert!(!auth.disabled);
    }

    #[test]
    fn every_auth_variable_is_read() {
        let map = env(&[
            ("STRIDE_ISSUER", "https://id.example"),
            ("STRIDE_AUDIENCE", "fitness"),
            ("STRIDE_CLOCK_LEEWAY", "5s"),
            ("STRIDE_SERVICE_KEY", "s3cret"),
            ("STRIDE_REVOCATION_MAX_STALENESS", "300ms"),
            ("STRIDE_JWKS_REFRESH_INTERVAL", "1m"),
            ("STRIDE_JWKS_REFETCH_COOLDOWN", "0"),
            ("STRIDE_AUTH_TIMEOUT", "500ms"),
        ]);
        let auth = Config::from_env(Env::new(&map)).unwrap().auth;
        assert_eq!(auth.issuer, "https://id.example");
        assert_eq!(auth.audience, "fitness");
        assert_eq!(auth.leeway, Duration::from_secs(5));
        assert_eq!(auth.service_key.expose(), "s3cret");
        assert_eq!(auth.max_staleness, Duration::from_millis(300));
        assert_eq!(auth.jwks_refresh_interval, Duration::from_secs(60));
        assert_eq!(auth.jwks_refetch_cooldown, Duration::ZERO);
        assert_eq!(auth.call_timeout, Duration::from_millis(500));
    }

    #[test]
    fn the_service_key_never_shows_in_debug_output() {
        let map = env(&[("STRIDE_SERVICE_KEY", "hunter2")]);
        let config = Config::from_env(Env::new(&map)).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn a_zero_staleness_bound_is_rejected_with_its_variable() {
        let map = env(&[("STRIDE_REVOCATION_MAX_STALENESS", "0s")]);
        let err = Config::from_env(Env::new(&map)).unwrap_err();
        assert_eq!(err.var, "STRIDE_REVOCATION_MAX_STALENESS");
    }

    #[test]
    fn production_refuses_a_missing_or_weak_service_key() {
        let production =
            |pairs: &[(&str, &str)]| Config::production_from_env(Env::new(&env(pairs)));
        assert_eq!(production(&[]).unwrap_err().var, "STRIDE_SERVICE_KEY");
        let dev = [("STRIDE_SERVICE_KEY", DEV_SERVICE_KEY)];
        assert_eq!(production(&dev).unwrap_err().var, "STRIDE_SERVICE_KEY");
        let strong = [("STRIDE_SERVICE_KEY", "q3Jx9vLm2Tz8RkW4bN7yHc1PfD6sGa0E5uVo")];
        assert!(production(&strong).is_ok());
    }

    #[test]
    fn no_variable_switches_authentication_off() {
        // The switch that no longer exists (spelled in two pieces so the README check does
        // not count it as a variable the code reads).
        let removed = concat!("STRIDE_", "FITNESS_AUTH_DISABLED");
        let map = env(&[(removed, "true")]);
        assert!(!Config::from_env(Env::new(&map)).unwrap().auth.disabled);
    }

    #[test]
    fn a_non_http_auth_url_is_rejected() {
        let map: EnvMap = [("STRIDE_AUTH_URL".to_owned(), "ftp://x".to_owned())].into();
        let err = Config::from_env(Env::new(&map)).unwrap_err();
        assert_eq!(err.var, "STRIDE_AUTH_URL");
    }
}
