//! `stride register`, `login`, `logout` and `me`.
//!
//! A login is one call, or two when the account has a second factor: `Login` then answers
//! with a challenge instead of tokens, and `CompleteLogin` trades it and a code for them.

use clap::Args;
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::auth::v1::{
    CompleteLoginRequest, GetMeRequest, LoginRequest, LogoutRequest, RegisterRequest, Role,
    TokenPair, User,
};
use tonic::Code;

use super::mfa::CodeArg;
use super::{Client, answer, connect};
use crate::credentials::Credentials;
use crate::error::Failure;
use crate::output::{self, enum_label, fields, timestamp};

/// Device label of sessions opened by the CLI, shown by `stride sessions`.
const DEFAULT_DEVICE: &str = "stride CLI";

/// `stride register`
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Login name: 3–32 characters of [a-z0-9_.-]
    #[arg(long)]
    pub username: String,
    /// Email address
    #[arg(long)]
    pub email: String,
    /// Password (else STRIDE_PASSWORD, else a prompt in a terminal)
    #[arg(long, env = "STRIDE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Given name
    #[arg(long, default_value = "", hide_default_value = true)]
    pub first_name: String,
    /// Family name
    #[arg(long, default_value = "", hide_default_value = true)]
    pub last_name: String,
    /// Label of this device in the session list
    #[arg(long, default_value = DEFAULT_DEVICE)]
    pub device_label: String,
}

/// `stride login`
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Username or email address
    pub login: String,
    /// Password (else STRIDE_PASSWORD, else a prompt in a terminal)
    #[arg(long, env = "STRIDE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Label of this device in the session list
    #[arg(long, default_value = DEFAULT_DEVICE)]
    pub device_label: String,
    /// The second factor, asked for only when the account has one
    #[command(flatten)]
    pub code: CodeArg,
}

/// Creates an account and signs in as it.
pub async fn register(client: &Client, args: RegisterArgs) -> Result<(), Failure> {
    let password = crate::prompt::password(args.password, true)?;
    let auth_url = client.auth_url();
    let mut auth = AuthServiceClient::new(connect("auth", &auth_url, client.tls()).await?);
    let response = auth
        .register(RegisterRequest {
            username: args.username,
            email: args.email,
            password,
            first_name: args.first_name,
            last_name: args.last_name,
            device_label: args.device_label,
        })
        .await?
        .into_inner();
    signed_in(client, response.user, response.tokens, Opened::Registered)
}

/// Opens a session and stores its tokens.
pub async fn login(client: &Client, args: LoginArgs) -> Result<(), Failure> {
    let password = crate::prompt::password(args.password, false)?;
    let auth_url = client.auth_url();
    let mut auth = AuthServiceClient::new(connect("auth", &auth_url, client.tls()).await?);
    let response = auth
        .login(LoginRequest {
            login: args.login,
            password,
            device_label: args.device_label,
        })
        .await?
        .into_inner();
    let response = if response.mfa_challenge.is_empty() {
        response
    } else {
        let Some(code) = crate::prompt::code(args.code.code)? else {
            return Err(Failure::Usage(
                "this account has a second factor: pass --code with a code from your \
                 authenticator app (or a recovery code), or set STRIDE_MFA_CODE"
                    .to_owned(),
            ));
        };
        auth.complete_login(CompleteLoginRequest {
            challenge: response.mfa_challenge,
            code,
        })
        .await?
        .into_inner()
    };
    signed_in(client, response.user, response.tokens, Opened::SignedIn)
}

/// How the new session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opened {
    /// By creating the account.
    Registered,
    /// By signing in to an existing one.
    SignedIn,
}

/// Stores the new session's credentials and says who is signed in. The tokens themselves are
/// never printed, not even with `--json`: they stay in the 0600 credentials file.
fn signed_in(
    client: &Client,
    user: Option<User>,
    tokens: Option<TokenPair>,
    opened: Opened,
) -> Result<(), Failure> {
    let user = user.unwrap_or_default();
    let tokens =
        tokens.ok_or_else(|| Failure::Other("the server answered without tokens".to_owned()))?;
    let mut credentials = Credentials {
        auth_url: client.auth_url(),
        fitness_url: client.fitness_url(),
        user_id: user.id.clone(),
        username: user.username.clone(),
        session_id: String::new(),
        access_token: String::new(),
        refresh_token: String::new(),
        access_expires_at: 0,
        refresh_expires_at: 0,
    };
    credentials.set_tokens(&tokens);
    client.store().save(&credentials)?;
    let summary = serde_json::json!({
        "user": serde_json::from_str::<serde_json::Value>(
            &output::proto_json(&user, "stride.auth.v1.User")?
        ).unwrap_or_default(),
        "sessionId": tokens.session_id,
        "credentials": client.store().path(),
    });
    let verb = match opened {
        Opened::Registered => "registered",
        Opened::SignedIn => "signed in",
    };
    let mut text = format!(
        "{verb} as {} ({})\nsession {}\ncredentials in {}",
        user.username,
        user.id,
        tokens.session_id,
        client.store().path().display()
    );
    if opened == Opened::Registered && !user.email_verified {
        text.push_str(&format!(
            "\na link to verify {} is on its way (then `stride account verify LINK`)",
            user.email
        ));
    }
    client.out.value(&summary, &text)
}

/// Ends the stored session on the server (`AuthService.Logout`) and forgets it locally.
pub async fn logout(client: &Client) -> Result<(), Failure> {
    let Some(credentials) = client.store().load()? else {
        client.out.done("not signed in");
        return Ok(());
    };
    let auth_url = client
        .args
        .auth_url
        .clone()
        .unwrap_or(credentials.auth_url.clone());
    let revoked = async {
        let mut auth = AuthServiceClient::new(connect("auth", &auth_url, client.tls()).await?);
        auth.logout(LogoutRequest {
            refresh_token: credentials.refresh_token.clone(),
        })
        .await
        .map_err(Failure::from)
    }
    .await;
    // The local copy goes either way: a person who logs out wants the tokens off this machine.
    client.store().remove()?;
    match revoked {
        Ok(_) => {}
        // An expired or already revoked session is as logged out as it gets.
        Err(Failure::Status { status, .. }) if status.code() == Code::Unauthenticated => {}
        Err(failure) => return Err(failure),
    }
    client
        .out
        .done(&format!("signed out {}", credentials.username));
    Ok(())
}

/// Shows the signed-in user.
pub async fn me(client: &Client) -> Result<(), Failure> {
    let session = client.signed_in().await?;
    let user = answer(
        UserServiceClient::new(session.auth().await?)
            .get_me(GetMeRequest {})
            .await,
    )?;
    client
        .out
        .show(&user, "stride.auth.v1.User", || user_fields(&user))
}

/// A user as aligned key/value lines.
pub fn user_fields(user: &User) -> String {
    let profile = user.profile.clone().unwrap_or_default();
    let name = format!("{} {}", user.first_name, user.last_name);
    fields(&[
        ("id", user.id.clone()),
        ("username", user.username.clone()),
        ("email", user.email.clone()),
        ("name", name.trim().to_owned()),
        ("full name", profile.full_name),
        (
            "role",
            Role::try_from(user.role)
                .map(|r| enum_label(r.as_str_name(), "ROLE_"))
                .unwrap_or_default(),
        ),
        ("active", yes_no(user.active)),
        ("email verified", yes_no(user.email_verified)),
        ("pending email", user.pending_email.clone()),
        ("mfa enabled", yes_no(user.mfa_enabled)),
        ("bio", profile.bio),
        ("birth date", profile.birth_date),
        ("created", timestamp(user.created_at.as_ref())),
    ])
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_shows_verification_pending_email_and_second_factor() {
        let user = User {
            id: "u1".into(),
            username: "ada".into(),
            email: "ada@example.com".into(),
            active: true,
            email_verified: false,
            pending_email: "ada@new.example".into(),
            mfa_enabled: true,
            ..User::default()
        };
        let text = user_fields(&user);
        assert!(text.contains("email verified  no\n"), "{text}");
        assert!(text.contains("pending email   ada@new.example\n"), "{text}");
        assert!(text.contains("mfa enabled     yes\n"), "{text}");
        let settled = user_fields(&User {
            email_verified: true,
            pending_email: String::new(),
            ..user
        });
        assert!(settled.contains("email verified  yes\n"), "{settled}");
        assert!(!settled.contains("pending email"), "{settled}");
    }
}
