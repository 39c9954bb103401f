//! The authenticator app: TOTP codes computed from the secret `stride mfa enable` prints.

use std::time::{SystemTime, UNIX_EPOCH};

use totp_rs::TOTP;

use super::harness::Person;

/// Length of a TOTP step, in seconds.
const STEP_SECS: u64 = 30;

/// The current TOTP step.
pub(super) fn current_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / STEP_SECS
}

/// The app's code of `step`. The server accepts one step either side of its own and only a
/// step later than the last it accepted, so a test uses the current step, then the next.
pub(super) fn code(totp: &TOTP, step: u64) -> String {
    totp.generate(step * STEP_SECS)
}

/// A six-digit code that is none of the codes accepted around now.
pub(super) fn wrong_code(totp: &TOTP) -> String {
    let step = current_step();
    let valid: Vec<String> = (step - 2..=step + 2).map(|s| code(totp, s)).collect();
    ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .unwrap()
        .to_owned()
}

/// Enrolls a second factor as `person` in the two non-interactive halves; returns the app (a
/// TOTP built from the printed URI), the step whose code confirmed it, and the recovery codes.
pub(super) fn enroll(person: Person<'_>) -> (TOTP, u64, Vec<String>) {
    let begun = person.json(&["mfa", "enable", "--begin"]);
    let uri = begun["otpauthUri"].as_str().unwrap();
    let secret = begun["secret"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{begun}");
    let totp = TOTP::from_url(uri).unwrap_or_else(|e| panic!("unusable URI {uri}: {e:?}"));
    assert_eq!(
        totp.get_secret_base32(),
        secret,
        "the URI carries the secret shown"
    );
    let step = current_step();
    let confirmed = person.json(&["mfa", "enable", "--confirm", "--code", &code(&totp, step)]);
    let recovery: Vec<String> = confirmed["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no recovery codes in {confirmed}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert!(recovery.len() >= 5, "{confirmed}");
    (totp, step, recovery)
}
