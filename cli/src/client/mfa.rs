//! `stride mfa …`: the TOTP second factor (an authenticator app), and the code that signing
//! in and sensitive changes ask for once it is enabled.
//!
//! Enabling takes two calls around the person: `BeginTotpEnrollment` hands out a secret, the
//! app turns it into codes, and `ConfirmTotpEnrollment` checks a first code and answers with
//! the recovery codes. In a terminal `stride mfa enable` does both, asking for the code in
//! between; a script cannot answer a prompt about a secret it has not seen yet, so it runs
//! `--begin`, computes a code, and runs `--confirm --code`.

use clap::{Args, Subcommand};
use shared::pb::auth::v1::user_service_client::UserServiceClient;
use shared::pb::auth::v1::{
    BeginTotpEnrollmentRequest, BeginTotpEnrollmentResponse, ConfirmTotpEnrollmentRequest,
    DisableTotpRequest, RegenerateRecoveryCodesRequest,
};
use tonic::{Response, Status};

use super::{Authed, Client, answer, failure};
use crate::error::{Failure, reason};
use crate::output::fields;
use crate::prompt;

/// What a script runs to finish an enrollment it began.
const CONFIRM_COMMAND: &str = "stride mfa enable --confirm --code CODE";

/// `--code`: a second-factor code, where a command may need one.
#[derive(Debug, Clone, Default, Args)]
pub struct CodeArg {
    /// Code from your authenticator app, or a recovery code (else STRIDE_MFA_CODE, else a
    /// prompt in a terminal when the server asks for one)
    #[arg(long, env = "STRIDE_MFA_CODE", hide_env_values = true)]
    pub code: Option<String>,
}

/// `stride mfa …`
#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// Set up an authenticator app: shows its secret, then asks for a first code and prints
    /// the recovery codes
    Enable(EnableArgs),
    /// Turn the second factor off (the password and a current code)
    Disable {
        /// Password (else STRIDE_PASSWORD, else a prompt in a terminal)
        #[arg(long, env = "STRIDE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The current code
        #[command(flatten)]
        code: CodeArg,
    },
    /// Replace the recovery codes with new ones (a current code from the app)
    RecoveryCodes {
        /// The current code
        #[command(flatten)]
        code: CodeArg,
    },
}

/// `stride mfa enable`
#[derive(Debug, Args)]
pub struct EnableArgs {
    /// Only start: print the otpauth URI and the secret, and exit (finish with --confirm)
    #[arg(long, conflicts_with = "confirm")]
    pub begin: bool,
    /// Only finish the enrollment started with --begin, with --code
    #[arg(long)]
    pub confirm: bool,
    /// Password, to start (else STRIDE_PASSWORD, else a prompt in a terminal)
    #[arg(long, env = "STRIDE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The first code the app shows for the new secret
    #[command(flatten)]
    pub code: CodeArg,
}

/// Runs `stride mfa …`.
pub async fn mfa(client: &Client, command: MfaCommand) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut api = UserServiceClient::new(signed_in.auth().await?);
    match command {
        MfaCommand::Enable(args) => enable(client, &mut api, args).await,
        MfaCommand::Disable { password, code } => {
            let password = prompt::password(password, false)?;
            let code = required_code(code)?;
            answer(
                api.disable_totp(DisableTotpRequest { password, code })
                    .await,
            )?;
            client
                .out
                .done("second factor disabled: signing in takes the password alone");
            Ok(())
        }
        MfaCommand::RecoveryCodes { code } => {
            let code = required_code(code)?;
            let response = answer(
                api.regenerate_recovery_codes(RegenerateRecoveryCodesRequest { code })
                    .await,
            )?;
            client.out.show(
                &response,
                "stride.auth.v1.RegenerateRecoveryCodesResponse",
                || {
                    recovery_codes_text(
                        "New recovery codes (the old ones no longer work).",
                        &response.recovery_codes,
                    )
                },
            )
        }
    }
}

/// `stride mfa enable`: begin, confirm, or both with a prompt in between.
async fn enable(
    client: &Client,
    api: &mut UserServiceClient<Authed>,
    args: EnableArgs,
) -> Result<(), Failure> {
    if !args.confirm {
        let password = prompt::password(args.password, false)?;
        let begun = answer(
            api.begin_totp_enrollment(BeginTotpEnrollmentRequest { password })
                .await,
        )?;
        client
            .out
            .show(&begun, "stride.auth.v1.BeginTotpEnrollmentResponse", || {
                begin_text(&begun, args.begin)
            })?;
        if args.begin {
            return Ok(());
        }
    }
    let Some(code) = prompt::code(args.code.code)? else {
        return Err(Failure::Usage(format!(
            "no code to confirm the enrollment with: run `{CONFIRM_COMMAND}` with a code from \
             your authenticator app (or set STRIDE_MFA_CODE)"
        )));
    };
    let confirmed = answer(
        api.confirm_totp_enrollment(ConfirmTotpEnrollmentRequest { code })
            .await,
    )?;
    client.out.show(
        &confirmed,
        "stride.auth.v1.ConfirmTotpEnrollmentResponse",
        || {
            recovery_codes_text(
                "Second factor enabled: signing in now asks for a code from the app.",
                &confirmed.recovery_codes,
            )
        },
    )
}

/// The code of `--code`, `STRIDE_MFA_CODE` or a prompt, for a command that always needs one.
fn required_code(code: CodeArg) -> Result<String, Failure> {
    prompt::code(code.code)?.ok_or_else(|| {
        Failure::Usage(
            "no code: pass --code with a code from your authenticator app (or a recovery code), \
             set STRIDE_MFA_CODE, or run in a terminal to be prompted"
                .to_owned(),
        )
    })
}

/// Runs a call that may need a second factor: with the code given (none when none was), and,
/// when the server answers `MFA_REQUIRED` to a call made without one, once more with a code
/// typed at the terminal. Without a terminal that answer is the failure, with a hint to pass
/// `--code`.
pub async fn with_code<T, F, Fut>(given: CodeArg, mut call: F) -> Result<T, Failure>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Response<T>, Status>>,
{
    let given = given.code.filter(|c| !c.trim().is_empty());
    let may_ask = given.is_none();
    match call(given.unwrap_or_default()).await {
        Err(status) if may_ask && reason(&status).as_deref() == Some("MFA_REQUIRED") => {
            match prompt::code(None)? {
                Some(code) => answer(call(code).await),
                None => Err(failure(status)),
            }
        }
        result => answer(result),
    }
}

/// What to do with a new secret.
fn begin_text(begun: &BeginTotpEnrollmentResponse, begin_only: bool) -> String {
    let mut text = String::from(
        "Add the account to your authenticator app: scan a QR code of the URI, or type the \
         secret in.\n",
    );
    text.push_str(&fields(&[
        ("uri", begun.otpauth_uri.clone()),
        ("secret", begun.secret.clone()),
    ]));
    if begin_only {
        text.push_str(&format!(
            "Then confirm with the code it shows: {CONFIRM_COMMAND}\n"
        ));
    }
    text
}

/// Recovery codes under `headline`, with the advice to store them.
pub fn recovery_codes_text(headline: &str, codes: &[String]) -> String {
    let mut text = format!(
        "{headline}\nRecovery codes: each one signs in once in place of a code. Store them \
         somewhere safe now; they are not shown again.\n"
    );
    for code in codes {
        text.push_str(&format!("  {code}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_come_one_a_line_after_the_advice_to_store_them() {
        let text = recovery_codes_text("Enabled.", &["aaaa-bbbb".into(), "cccc-dddd".into()]);
        assert_eq!(
            text,
            "Enabled.\nRecovery codes: each one signs in once in place of a code. Store them \
             somewhere safe now; they are not shown again.\n  aaaa-bbbb\n  cccc-dddd\n"
        );
    }

    #[test]
    fn the_begin_text_shows_uri_and_secret_and_how_to_confirm() {
        let begun = BeginTotpEnrollmentResponse {
            otpauth_uri: "otpauth://totp/Stride:ada?secret=ABC&issuer=Stride".into(),
            secret: "ABC".into(),
        };
        let text = begin_text(&begun, true);
        assert!(text.contains("uri     otpauth://totp/Stride:ada?secret=ABC&issuer=Stride\n"));
        assert!(text.contains("secret  ABC\n"));
        assert!(text.ends_with(&format!("{CONFIRM_COMMAND}\n")));
        assert!(!begin_text(&begun, false).contains(CONFIRM_COMMAND));
    }
}
