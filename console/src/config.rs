//! The console's configuration, from `STRIDE_*` variables (the README's table).

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use shared::config::{ClientTlsVars, ConfigError, Env};
use shared::server::tls::ClientTls;

/// Where `stride dev` and `stride serve console` listen unless `STRIDE_CONSOLE_ADDR` says.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";
/// The auth service of the dev stack.
const DEFAULT_AUTH_URL: &str = "http://127.0.0.1:50051";
/// The fitness service of the dev stack.
const DEFAULT_FITNESS_URL: &str = "http://127.0.0.1:50052";

/// The 32-byte key that encrypts and authenticates the session cookie
/// (`STRIDE_CONSOLE_KEY`, base64). Never printed.
#[derive(Clone)]
pub struct ConsoleKey([u8; 32]);

impl ConsoleKey {
    /// A random key: sessions then end when the process does.
    pub fn generate() -> Self {
        Self(rand::random())
    }

    /// Parses base64 of exactly 32 bytes.
    pub fn from_base64(raw: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(raw.trim())
            .map_err(|_| "not base64".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 32 bytes, base64 (`openssl rand -base64 32`)".to_owned())?;
        Ok(Self(key))
    }

    /// The key bytes.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for ConsoleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConsoleKey(<redacted>)")
    }
}

/// Everything the console needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `STRIDE_CONSOLE_ADDR`: where the console listens (default 127.0.0.1:8000).
    pub addr: SocketAddr,
    /// `STRIDE_CONSOLE_PUBLIC_URL`: the address browsers use. An `https://` URL marks the
    /// cookies `Secure` (TLS is terminated by the proxy in front of the console).
    pub public_url: Option<String>,
    /// `STRIDE_CONSOLE_KEY`.
    pub key: ConsoleKey,
    /// `STRIDE_AUTH_URL`, with `STRIDE_AUTH_CA_FILE` for `https://`.
    pub auth_url: String,
    /// Client TLS towards auth.
    pub auth_tls: Option<ClientTls>,
    /// `STRIDE_FITNESS_URL`, with `STRIDE_FITNESS_CA_FILE` for `https://`.
    pub fitness_url: String,
    /// Client TLS towards fitness.
    pub fitness_tls: Option<ClientTls>,
    /// `STRIDE_CONSOLE_MAX_SESSIONS`: signed-in browsers held at once (default 10,000); the
    /// least recently used is signed out beyond it.
    pub max_sessions: usize,
    /// `STRIDE_CONSOLE_IDLE_TIMEOUT`: a browser idle this long is signed out (default 12h).
    pub idle_timeout: Duration,
    /// `STRIDE_PRODUCT_NAME`: the name in the title bar (default "Stride").
    pub product_name: String,
    /// `STRIDE_CONSOLE_TRUSTED_PROXIES`: CIDRs of the proxies in front of the console whose
    /// `X-Forwarded-For` names the browser (none by default).
    pub trusted_proxies: shared::proxies::TrustedProxies,
}

/// TLS towards auth, as fitness reads it.
const AUTH_TLS: ClientTlsVars = ClientTlsVars {
    url: "STRIDE_AUTH_URL",
    ca: "STRIDE_AUTH_CA_FILE",
    cert: "STRIDE_CONSOLE_CLIENT_CERT",
    key: "STRIDE_CONSOLE_CLIENT_KEY",
};

/// TLS towards fitness.
const FITNESS_TLS: ClientTlsVars = ClientTlsVars {
    url: "STRIDE_FITNESS_URL",
    ca: "STRIDE_FITNESS_CA_FILE",
    cert: "STRIDE_CONSOLE_CLIENT_CERT",
    key: "STRIDE_CONSOLE_CLIENT_KEY",
};

impl Config {
    /// Reads the configuration; without `STRIDE_CONSOLE_KEY` a random key is used (sessions
    /// end with the process), which only development accepts.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let key = match env.secret("STRIDE_CONSOLE_KEY") {
            Some(raw) => ConsoleKey::from_base64(&raw)
                .map_err(|reason| ConfigError::new("STRIDE_CONSOLE_KEY", "<redacted>", reason))?,
            None => ConsoleKey::generate(),
        };
        let default_addr: SocketAddr = DEFAULT_ADDR
            .parse()
            .map_err(|_| ConfigError::new("STRIDE_CONSOLE_ADDR", DEFAULT_ADDR, "invalid"))?;
        let auth_url = env.string("STRIDE_AUTH_URL", DEFAULT_AUTH_URL);
        let fitness_url = env.string("STRIDE_FITNESS_URL", DEFAULT_FITNESS_URL);
        let public_url = env.get("STRIDE_CONSOLE_PUBLIC_URL").map(str::to_owned);
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::new(
                "STRIDE_CONSOLE_PUBLIC_URL",
                url,
                "must start with http:// or https://",
            ));
        }
        let max_sessions = env.parse("STRIDE_CONSOLE_MAX_SESSIONS", 10_000usize)?;
        if max_sessions == 0 {
            return Err(ConfigError::new(
                "STRIDE_CONSOLE_MAX_SESSIONS",
                "0",
                "must be at least 1",
            ));
        }
        Ok(Self {
            addr: env.socket_addr("STRIDE_CONSOLE_ADDR", default_addr)?,
            public_url,
            key,
            auth_tls: AUTH_TLS.read(env, &auth_url)?,
            auth_url,
            fitness_tls: FITNESS_TLS.read(env, &fitness_url)?,
            fitness_url,
            max_sessions,
            idle_timeout: env.positive_duration(
                "STRIDE_CONSOLE_IDLE_TIMEOUT",
                Duration::from_secs(12 * 3600),
            )?,
            product_name: env.string("STRIDE_PRODUCT_NAME", "Stride"),
            trusted_proxies: match env.get("STRIDE_CONSOLE_TRUSTED_PROXIES") {
                Some(raw) => shared::proxies::TrustedProxies::parse(raw).map_err(|reason| {
                    ConfigError::new("STRIDE_CONSOLE_TRUSTED_PROXIES", raw, reason)
                })?,
                None => shared::proxies::TrustedProxies::default(),
            },
        })
    }

    /// [`from_env`](Self::from_env) for a production console (`stride serve console`): the
    /// cookie key must be set, so sessions survive restarts and replicas share it.
    pub fn production_from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        if env.secret("STRIDE_CONSOLE_KEY").is_none() {
            return Err(ConfigError::new(
                "STRIDE_CONSOLE_KEY",
                "",
                "is required in production: 32 random bytes, base64 (`openssl rand -base64 32`)",
            ));
        }
        let config = Self::from_env(env)?;
        match config.public_url.as_deref() {
            None => Err(ConfigError::new(
                "STRIDE_CONSOLE_PUBLIC_URL",
                "",
                "is required in production: the https:// URL browsers use (it makes the \
                 cookies Secure)",
            )),
            Some(url) if url.starts_with("http://") && !is_loopback_url(url) => {
                Err(ConfigError::new(
                    "STRIDE_CONSOLE_PUBLIC_URL",
                    url,
                    "must be https:// in production (passwords cross the network); plain http \
                     only for a loopback address",
                ))
            }
            Some(_) => Ok(config),
        }
    }

    /// A console on a free loopback port in front of the given services (tests, benchmarks).
    pub fn for_services(auth_url: &str, fitness_url: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            key: ConsoleKey::generate(),
            auth_url: auth_url.to_owned(),
            auth_tls: None,
            fitness_url: fitness_url.to_owned(),
            fitness_tls: None,
            max_sessions: 10_000,
            idle_timeout: Duration::from_secs(12 * 3600),
            product_name: "Stride".to_owned(),
            trusted_proxies: shared::proxies::TrustedProxies::default(),
        }
    }

    /// True when cookies must carry `Secure`.
    pub(crate) fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

/// True for `http://localhost…`, `http://127.…` and `http://[::1]…`.
fn is_loopback_url(url: &str) -> bool {
    let host = url
        .trim_start_matches("http://")
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map_or("", |h| h.trim_start_matches('['))
    } else {
        host.split(':').next().unwrap_or_default()
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use shared::config::env_of;

    use super::*;

    #[test]
    fn defaults_listen_on_8000_and_point_at_the_dev_stack() {
        let env = env_of(&[]);
        let config = Config::from_env(Env::new(&env)).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8000");
        assert_eq!(config.auth_url, "http://127.0.0.1:50051");
        assert_eq!(config.fitness_url, "http://127.0.0.1:50052");
        assert!(!config.secure_cookies());
    }

    #[test]
    fn an_https_public_url_makes_cookies_secure() {
        let env = env_of(&[("STRIDE_CONSOLE_PUBLIC_URL", "https://console.example")]);
        assert!(Config::from_env(Env::new(&env)).unwrap().secure_cookies());
    }

    #[test]
    fn production_needs_a_key_of_32_bytes_and_never_prints_it() {
        let env = env_of(&[]);
        let err = Config::production_from_env(Env::new(&env)).unwrap_err();
        assert_eq!(err.var, "STRIDE_CONSOLE_KEY");
        let env = env_of(&[("STRIDE_CONSOLE_KEY", "c2hvcnQ=")]);
        let err = Config::production_from_env(Env::new(&env)).unwrap_err();
        assert_eq!(err.value, "<redacted>");
        assert!(!err.to_string().contains("c2hvcnQ"));
        let key = STANDARD.encode([7u8; 32]);
        let env = env_of(&[
            ("STRIDE_CONSOLE_KEY", &key),
            ("STRIDE_CONSOLE_PUBLIC_URL", "https://console.example"),
        ]);
        let config = Config::production_from_env(Env::new(&env)).unwrap();
        assert!(!format!("{config:?}").contains(&key));
    }

    #[test]
    fn production_needs_an_https_public_url_unless_on_loopback() {
        let key = STANDARD.encode([7u8; 32]);
        let with = |url: Option<&str>| {
            let mut pairs = vec![("STRIDE_CONSOLE_KEY", key.as_str())];
            pairs.extend(url.map(|u| ("STRIDE_CONSOLE_PUBLIC_URL", u)));
            Config::production_from_env(Env::new(&env_of(&pairs)))
        };
        assert_eq!(with(None).unwrap_err().var, "STRIDE_CONSOLE_PUBLIC_URL");
        assert!(with(Some("http://console.example")).is_err());
        assert!(with(Some("http://127.0.0.1:8000")).is_ok());
        assert!(with(Some("http://localhost:8000/")).is_ok());
        assert!(with(Some("http://[::1]:8000")).is_ok());
        assert!(with(Some("http://localhost.evil.example")).is_err());
        assert!(
            with(Some("https://console.example"))
                .unwrap()
                .secure_cookies()
        );
    }

    #[test]
    fn trusted_proxies_are_cidrs() {
        let env = env_of(&[("STRIDE_CONSOLE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]);
        let config = Config::from_env(Env::new(&env)).unwrap();
        let peer = "10.1.2.3".parse().ok();
        assert_eq!(
            config
                .trusted_proxies
                .client(peer, Some("6.6.6.6, 203.0.113.9")),
            "203.0.113.9".parse().ok()
        );
        let env = env_of(&[("STRIDE_CONSOLE_TRUSTED_PROXIES", "nonsense")]);
        assert_eq!(
            Config::from_env(Env::new(&env)).unwrap_err().var,
            "STRIDE_CONSOLE_TRUSTED_PROXIES"
        );
    }
}
