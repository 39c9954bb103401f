//! A presented second-factor code, parsed at the RPC edge: six digits from the authenticator,
//! or one of the user's recovery codes (in any case, with or without its dashes).

use zeroize::Zeroizing;

use crate::domain::mfa::recovery;
use crate::domain::mfa::totp::DIGITS;

/// A code as presented; zeroed on drop, never logged.
#[derive(Debug)]
pub(crate) enum Code {
    /// Six digits from the authenticator app.
    Totp(TotpCode),
    /// A recovery code, normalised (see [`recovery::normalise`]).
    Recovery(Zeroizing<String>),
}

/// Six digits from the authenticator app.
pub(crate) struct TotpCode(Zeroizing<String>);

impl std::fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpCode(<redacted>)")
    }
}

impl TotpCode {
    /// Parses six digits; spaces (apps show `123 456`) are ignored.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let digits: Zeroizing<String> =
            Zeroizing::new(raw.chars().filter(|c| !c.is_whitespace()).collect());
        if digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(format!(
                "must be the {DIGITS}-digit code of the authenticator app"
            ))
        }
    }

    /// The digits.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl Code {
    /// Parses an authenticator code or a recovery code.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        if let Ok(totp) = TotpCode::parse(raw) {
            return Ok(Self::Totp(totp));
        }
        recovery::normalise(raw).map(Self::Recovery).ok_or_else(|| {
            format!("must be the {DIGITS}-digit code of the authenticator app or a recovery code")
        })
    }

    /// Whether the code is a recovery code (for events; never the code itself).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Totp(_) => "authenticator code",
            Self::Recovery(_) => "recovery code",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_an_authenticator_code_anything_else_must_be_a_recovery_code() {
        assert!(matches!(Code::parse("123456"), Ok(Code::Totp(_))));
        assert!(matches!(Code::parse(" 123 456 "), Ok(Code::Totp(_))));
        assert!(matches!(
            Code::parse("abcd-efgh-jkmn"),
            Ok(Code::Recovery(_))
        ));
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "not a code",
            "abcd-efgh-jkm",
        ] {
            assert!(Code::parse(bad).is_err(), "{bad:?}");
        }
        assert!(TotpCode::parse("abcd-efgh-jkmn").is_err());
    }
}
