//! Field rules shared by registration, profile updates and admin commands. Each returns a
//! description of what is wrong, for a `BadRequest` violation.

use crate::config::PasswordConfig;

/// Longest first/last/full name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest device label, in characters.
pub const MAX_DEVICE_LABEL_CHARS: usize = 100;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// 3–32 characters of `[a-z0-9_.-]`, compared case-insensitively: upper-case ASCII letters
/// are accepted and kept for display, but `Ada` and `ada` are the same account.
pub fn username(raw: &str) -> Result<(), String> {
    let len = raw.chars().count();
    if !(3..=32).contains(&len) {
        return Err("must be 3 to 32 characters".into());
    }
    if !raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err("may only contain letters a-z, digits, '_', '.' and '-'".into());
    }
    Ok(())
}

/// A plausible address: `local@domain.tld`, no spaces or control characters, at most 254
/// characters. Deliverability is not this service's to prove.
pub fn email(raw: &str) -> Result<(), String> {
    let invalid = || Err("must be an email address such as ada@example.com".into());
    if raw.is_empty() || raw.chars().count() > MAX_EMAIL_CHARS {
        return invalid();
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid();
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return invalid();
    };
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return invalid();
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels.iter().any(|l| {
            l.is_empty()
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
    {
        return invalid();
    }
    Ok(())
}

/// Length within the configured bounds and a zxcvbn score of at least the configured
/// minimum, judged against the user's own names (a password made of them is weak).
pub fn password(raw: &str, policy: &PasswordConfig, user_inputs: &[&str]) -> Result<(), String> {
    let len = raw.chars().count();
    if len < policy.min_length {
        return Err(format!("must be at least {} characters", policy.min_length));
    }
    if len > policy.max_length {
        return Err(format!("must be at most {} characters", policy.max_length));
    }
    let inputs: Vec<String> = user_inputs
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase())
        .collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let score = zxcvbn::zxcvbn(raw, &inputs).score() as u8;
    if score < policy.min_score {
        return Err("is too easy to guess; use a longer, less common passphrase".into());
    }
    Ok(())
}

/// At most `max` characters and no control characters.
pub fn text(raw: &str, max: usize) -> Result<(), String> {
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if raw.chars().any(|c| c.is_control() && c != '\n') {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordConfig {
        PasswordConfig {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            hash_concurrency: 1,
            min_length: 12,
            max_length: 128,
            min_score: 3,
        }
    }

    #[test]
    fn usernames_follow_the_rule() {
        for ok in ["ada", "ada.lovelace", "a_b-c.d", "ADA", &"x".repeat(32)] {
            assert!(username(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "", "ada lovelace", "ada@home", "ádá", &"x".repeat(33)] {
            assert!(username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for ok in ["ada@example.com", "a.b+c@mail.example.org"] {
            assert!(email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@-x.com",
            "ada@example..com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length_and_strength() {
        assert!(password("short", &policy(), &[]).is_err());
        assert!(password("passwordpassword", &policy(), &[]).is_err());
        assert!(password("adalovelace1815", &policy(), &["adalovelace"]).is_err());
        assert!(password("correct horse battery staple", &policy(), &[]).is_ok());
        assert!(password(&"x7$Kq".repeat(30), &policy(), &[]).is_err());
    }
}
