//! The client side of `stride`: talking to a running stack as a signed-in user.
//!
//! [`Client`] holds what every command shares (where the services are, where credentials
//! live, how to print); [`Client::signed_in`] loads the stored credentials and refreshes them
//! when the access token is expired or about to expire, so each command module only builds its
//! request and shows the answer. One module per command group.

pub mod account;
pub mod catalogue;
pub mod exercises;
pub mod import;
pub mod lifecycle;
pub mod mfa;
pub mod password;
pub mod progress;
pub mod sessions;
pub mod sets;
pub mod stats;
pub mod units;
pub mod users;
pub mod workouts;

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use shared::pb::auth::v1::RefreshRequest;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::server::tls::{self, ClientTls};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

use crate::credentials::{self, Credentials, Freshness, Store};
use crate::error::{Failure, chain, reason};
use crate::output::Output;

/// Default auth service URL (the dev stack's).
pub const DEFAULT_AUTH_URL: &str = "http://127.0.0.1:50051";
/// Default fitness service URL (the dev stack's).
pub const DEFAULT_FITNESS_URL: &str = "http://127.0.0.1:50052";

/// What to tell a person whose tokens no longer work.
const SIGN_IN_AGAIN: &str = "sign in again with `stride login`";
/// What to tell a person asked for a second factor they did not give.
const PASS_CODE: &str = "this needs a code from your authenticator app (or a recovery code): \
                         pass --code or set STRIDE_MFA_CODE";
/// What to tell a person whose session is too old to act without the password.
const PASS_PASSWORD: &str = "your session did not sign in recently enough to do without the \
                             password: pass --password or set STRIDE_PASSWORD";

/// Options of every client command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Auth service URL [default: the one used at login, else http://127.0.0.1:50051]
    #[arg(
        long = "auth",
        global = true,
        help_heading = "Global options",
        env = "STRIDE_AUTH_URL",
        value_name = "URL"
    )]
    pub auth_url: Option<String>,
    /// Fitness service URL [default: the one used at login, else http://127.0.0.1:50052]
    #[arg(
        long = "fitness",
        global = true,
        help_heading = "Global options",
        env = "STRIDE_FITNESS_URL",
        value_name = "URL"
    )]
    pub fitness_url: Option<String>,
    /// Print each response as JSON (the proto3 JSON mapping, as grpcurl prints it) instead of
    /// a table
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Where credentials.json is kept [default: $XDG_CONFIG_HOME/stride or ~/.config/stride]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "STRIDE_CONFIG_DIR",
        value_name = "DIR"
    )]
    pub config_dir: Option<PathBuf>,
    /// PEM CA bundle trusted for https:// service URLs [default: the system roots]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "STRIDE_CA_FILE",
        value_name = "FILE"
    )]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate, for a service that requires mutual TLS (with --client-key)
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "STRIDE_CLIENT_CERT",
        value_name = "FILE",
        requires = "client_key"
    )]
    pub client_cert: Option<PathBuf>,
    /// PEM key of --client-cert
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "STRIDE_CLIENT_KEY",
        value_name = "FILE",
        requires = "client_cert"
    )]
    pub client_key: Option<PathBuf>,
}

/// What every client command shares.
#[derive(Debug)]
pub struct Client {
    args: GlobalArgs,
    store: Store,
    /// What https:// connections trust and present.
    tls: ClientTls,
    /// How results are printed.
    pub out: Output,
}

/// Sends `authorization: Bearer <access token>` with every call.
#[derive(Debug, Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel that authenticates every call.
pub type Authed = InterceptedService<Channel, Bearer>;

/// A signed-in user with a usable access token.
#[derive(Debug)]
pub struct SignedIn {
    /// The stored (possibly just refreshed) credentials.
    pub credentials: Credentials,
    auth_url: String,
    fitness_url: String,
    bearer: Bearer,
    tls: ClientTls,
}

impl Client {
    /// Resolves the config directory and output mode.
    pub fn new(args: GlobalArgs) -> Result<Self, Failure> {
        let xdg = std::env::var("XDG_CONFIG_HOME").ok();
        let home = std::env::var("HOME").ok();
        let dir =
            credentials::config_dir(args.config_dir.as_deref(), xdg.as_deref(), home.as_deref())
                .ok_or_else(|| {
                    Failure::Usage(
                        "cannot tell where to keep credentials: set HOME, XDG_CONFIG_HOME or \
                     STRIDE_CONFIG_DIR, or pass --config-dir"
                            .to_owned(),
                    )
                })?;
        Ok(Self {
            out: Output { json: args.json },
            store: Store::new(dir),
            tls: client_tls(&args)?,
            args,
        })
    }

    /// What https:// connections trust and present.
    pub fn tls(&self) -> &ClientTls {
        &self.tls
    }

    /// The credentials store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The auth URL for a command without credentials (register, login).
    pub fn auth_url(&self) -> String {
        self.args
            .auth_url
            .clone()
            .unwrap_or_else(|| DEFAULT_AUTH_URL.to_owned())
    }

    /// The fitness URL for a command without credentials.
    pub fn fitness_url(&self) -> String {
        self.args
            .fitness_url
            .clone()
            .unwrap_or_else(|| DEFAULT_FITNESS_URL.to_owned())
    }

    /// The stored credentials with a fresh access token: refreshed (and stored again) through
    /// `AuthService.Refresh` when it expires within [`credentials::REFRESH_MARGIN_SECS`].
    pub async fn signed_in(&self) -> Result<SignedIn, Failure> {
        let stored = self.load()?;
        let auth_url = self
            .args
            .auth_url
            .clone()
            .unwrap_or(stored.auth_url.clone());
        let credentials = match credentials::freshness(&stored, credentials::unix_now()) {
            Freshness::Fresh => stored,
            Freshness::Expired => return Err(session_over()),
            Freshness::RefreshNeeded => self.refresh(&auth_url).await?,
        };
        let fitness_url = self
            .args
            .fitness_url
            .clone()
            .unwrap_or(credentials.fitness_url.clone());
        let bearer = format!("Bearer {}", credentials.access_token)
            .parse()
            .map(Bearer)
            .map_err(|_| {
                Failure::Other(format!(
                    "the stored access token is malformed; {SIGN_IN_AGAIN}"
                ))
            })?;
        Ok(SignedIn {
            credentials,
            auth_url,
            fitness_url,
            bearer,
            tls: self.tls.clone(),
        })
    }

    fn load(&self) -> Result<Credentials, Failure> {
        self.store.load()?.ok_or_else(|| {
            Failure::Other(format!(
                "not signed in: run `stride login` (credentials are kept in {})",
                self.store.path().display()
            ))
        })
    }

    /// Rotates the stored refresh token, under the refresh lock so that two commands running
    /// at once do not both present it (which the server would treat as token theft).
    async fn refresh(&self, auth_url: &str) -> Result<Credentials, Failure> {
        let _lock = self.store.lock().await?;
        // Another command may have refreshed while this one waited for the lock.
        let mut credentials = self.load()?;
        match credentials::freshness(&credentials, credentials::unix_now()) {
            Freshness::Fresh => return Ok(credentials),
            Freshness::Expired => return Err(session_over()),
            Freshness::RefreshNeeded => {}
        }
        let mut auth = AuthServiceClient::new(connect("auth", auth_url, &self.tls).await?);
        let response = auth
            .refresh(RefreshRequest {
                refresh_token: credentials.refresh_token.clone(),
            })
            .await
            .map_err(|status| match status.code() {
                Code::Unauthenticated => Failure::status_with_hint(status, SIGN_IN_AGAIN),
                _ => Failure::from(status),
            })?
            .into_inner();
        let tokens = response
            .tokens
            .ok_or_else(|| Failure::Other("Refresh answered without tokens".to_owned()))?;
        credentials.set_tokens(&tokens);
        self.store.save(&credentials)?;
        Ok(credentials)
    }
}

impl SignedIn {
    /// An authenticated channel to the auth service.
    pub async fn auth(&self) -> Result<Authed, Failure> {
        Ok(InterceptedService::new(
            connect("auth", &self.auth_url, &self.tls).await?,
            self.bearer.clone(),
        ))
    }

    /// An authenticated channel to the fitness service.
    pub async fn fitness(&self) -> Result<Authed, Failure> {
        Ok(InterceptedService::new(
            connect("fitness", &self.fitness_url, &self.tls).await?,
            self.bearer.clone(),
        ))
    }

    /// The auth URL in use.
    pub fn auth_url(&self) -> &str {
        &self.auth_url
    }
}

/// The message of a call made with stored credentials, or its [`failure`].
pub fn answer<T>(result: Result<tonic::Response<T>, Status>) -> Result<T, Failure> {
    result.map(tonic::Response::into_inner).map_err(failure)
}

/// The error status of a call made with stored credentials, with what the person can do about
/// it: sign in again when the session no longer works (revoked, or the user deactivated or
/// deleted), give a second-factor code or the password when the server asks for one.
pub fn failure(status: Status) -> Failure {
    let reason = reason(&status).unwrap_or_default();
    match status.code() {
        Code::Unauthenticated if !shared::error::REFUSED_INPUT.contains(&reason.as_str()) => {
            Failure::status_with_hint(status, SIGN_IN_AGAIN)
        }
        Code::FailedPrecondition if reason == "MFA_REQUIRED" => {
            Failure::status_with_hint(status, PASS_CODE)
        }
        Code::FailedPrecondition if reason == "PASSWORD_REQUIRED" => {
            Failure::status_with_hint(status, PASS_PASSWORD)
        }
        _ => Failure::from(status),
    }
}

/// The token of a mailed link: `TOKEN` as given, or the `token` parameter of a pasted link
/// (`https://…/verify-email?token=TOKEN`).
pub fn link_token(given: &str) -> String {
    let given = given.trim();
    let Some((_, query)) = given.split_once('?') else {
        return given.to_owned();
    };
    query
        .split(['&', '#'])
        .find_map(|pair| pair.strip_prefix("token="))
        .unwrap_or(given)
        .to_owned()
}

fn session_over() -> Failure {
    Failure::Other(format!("the stored session has expired; {SIGN_IN_AGAIN}"))
}

/// The TLS material named by `--ca-file`, `--client-cert` and `--client-key`; an unreadable
/// or unparsable file is a usage error.
fn client_tls(args: &GlobalArgs) -> Result<ClientTls, Failure> {
    let read = |path: &PathBuf| {
        std::fs::read(path)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
    };
    let ca = args.ca_file.as_ref().map(read).transpose()?;
    let cert = args.client_cert.as_ref().map(read).transpose()?;
    let key = args.client_key.as_ref().map(read).transpose()?;
    let identity = cert.as_deref().zip(key.as_deref());
    ClientTls::from_pem(ca.as_deref(), identity)
        .map_err(|e| Failure::Usage(format!("unusable TLS file: {e}")))
}

/// Connects to one service (over TLS for an `https://` URL), so an unreachable server is one
/// clear line naming it.
pub async fn connect(service: &str, url: &str, tls: &ClientTls) -> Result<Channel, Failure> {
    let endpoint = tls::endpoint(url, Some(tls))
        .map_err(|e| Failure::Usage(format!("invalid {service} URL {url:?}: {}", chain(&e))))?
        .user_agent(concat!("stride-cli/", env!("CARGO_PKG_VERSION")))
        .map_err(|e| Failure::Other(chain(&e)))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30));
    endpoint.connect().await.map_err(|e| {
        let cause = chain(&e);
        // rustls names a certificate it cannot trust this way; the usual fix is the CA file.
        let hint = if cause.contains("invalid peer certificate") {
            " (trust the CA that signed it with --ca-file or STRIDE_CA_FILE)"
        } else {
            ""
        };
        Failure::Other(format!(
            "cannot reach the {service} service at {url}: {cause}{hint}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_token_is_taken_as_is_or_out_of_a_pasted_link() {
        assert_eq!(link_token(" abc-_123 "), "abc-_123");
        assert_eq!(
            link_token("http://127.0.0.1:8000/verify-email?token=abc-_123"),
            "abc-_123"
        );
        assert_eq!(
            link_token("https://x.example/reset-password?lang=fr&token=abc#top"),
            "abc"
        );
    }

    #[test]
    fn a_refused_password_or_code_does_not_say_to_sign_in_again() {
        use std::collections::HashMap;

        use tonic_types::{ErrorDetails, StatusExt as _};

        let with_reason = |code, reason: &str| {
            let details = ErrorDetails::with_error_info(reason, "stride.auth", HashMap::new());
            Status::with_error_details(code, "refused", details)
        };
        let hint = |status| match failure(status) {
            Failure::Status { hint, .. } => hint,
            other => panic!("not a status failure: {other:?}"),
        };
        assert_eq!(
            hint(with_reason(Code::Unauthenticated, "TOKEN_REVOKED")),
            Some(SIGN_IN_AGAIN)
        );
        assert_eq!(
            hint(Status::unauthenticated("no reason")),
            Some(SIGN_IN_AGAIN)
        );
        for reason in shared::error::REFUSED_INPUT {
            assert_eq!(hint(with_reason(Code::Unauthenticated, reason)), None);
        }
        assert_eq!(
            hint(with_reason(Code::FailedPrecondition, "MFA_REQUIRED")),
            Some(PASS_CODE)
        );
        assert_eq!(
            hint(with_reason(Code::FailedPrecondition, "PASSWORD_REQUIRED")),
            Some(PASS_PASSWORD)
        );
        assert_eq!(
            hint(with_reason(Code::FailedPrecondition, "MFA_ALREADY_ENABLED")),
            None
        );
    }
}
