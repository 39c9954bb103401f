//! Message texts: one plain-text and one HTML file per message in `templates/mail/`, compiled
//! into the binary. A text file starts with its `Subject:` line and a blank line. Values are
//! written `{{name}}`; in HTML every value is escaped, so no account field, product name or
//! address can add markup.

use super::Template;
use super::config::MailConfig;

/// One message's files.
struct Source {
    /// `Subject: …`, a blank line, then the plain-text body.
    text: &'static str,
    /// The HTML body.
    html: &'static str,
}

const VERIFY_EMAIL: Source = Source {
    text: include_str!("../../templates/mail/verify_email.txt"),
    html: include_str!("../../templates/mail/verify_email.html"),
};
const VERIFY_EMAIL_CHANGE: Source = Source {
    text: include_str!("../../templates/mail/verify_email_change.txt"),
    html: include_str!("../../templates/mail/verify_email_change.html"),
};
const EMAIL_CHANGE_REQUESTED: Source = Source {
    text: include_str!("../../templates/mail/email_change_requested.txt"),
    html: include_str!("../../templates/mail/email_change_requested.html"),
};
const PASSWORD_RESET: Source = Source {
    text: include_str!("../../templates/mail/password_reset.txt"),
    html: include_str!("../../templates/mail/password_reset.html"),
};
const ACCOUNT_DELETED: Source = Source {
    text: include_str!("../../templates/mail/account_deleted.txt"),
    html: include_str!("../../templates/mail/account_deleted.html"),
};

/// A message ready to be put in an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    /// The `Subject` header.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

/// Renders `template` for `username` with the product name and public URL of `config`.
pub(crate) fn render(
    template: &Template,
    username: &str,
    config: &MailConfig,
) -> Result<Rendered, String> {
    let public = config.public_url();
    let link;
    let minutes;
    let mut values: Vec<(&str, &str)> = vec![
        ("product", &config.product_name),
        ("username", username),
        ("public_url", public),
    ];
    let source = match template {
        Template::VerifyEmail { token, change } => {
            link = format!("{public}/verify-email?token={}", encode_query_value(token));
            values.push(("link", &link));
            if *change {
                &VERIFY_EMAIL_CHANGE
            } else {
                &VERIFY_EMAIL
            }
        }
        Template::EmailChangeRequested { new_email } => {
            values.push(("new_email", new_email));
            &EMAIL_CHANGE_REQUESTED
        }
        Template::PasswordReset {
            token,
            valid_minutes,
        } => {
            link = format!(
                "{public}/reset-password?token={}",
                encode_query_value(token)
            );
            minutes = valid_minutes.to_string();
            values.push(("link", &link));
            values.push(("minutes", &minutes));
            &PASSWORD_RESET
        }
        Template::AccountDeleted => &ACCOUNT_DELETED,
    };
    let text = fill(source.text, &values, false)?;
    let (subject_line, body) = text
        .split_once("\n\n")
        .ok_or("the text template has no blank line after its subject")?;
    let subject = subject_line
        .strip_prefix("Subject: ")
        .ok_or("the text template does not start with `Subject: `")?;
    if subject.contains(['\r', '\n']) {
        return Err("the subject spans lines".into());
    }
    Ok(Rendered {
        subject: subject.to_owned(),
        text: body.to_owned(),
        html: fill(source.html, &values, true)?,
    })
}

/// `source` with each `{{name}}` replaced by its value, HTML-escaped when `html`.
fn fill(source: &str, values: &[(&str, &str)], html: bool) -> Result<String, String> {
    let mut out = String::with_capacity(source.len() + 256);
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("a `{{` is never closed")?;
        let name = after[..end].trim();
        let value = values
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
            .ok_or_else(|| format!("no value for {{{{{name}}}}}"))?;
        if html {
            escape_html(&mut out, value);
        } else {
            out.push_str(value);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Appends `value` with `&`, `<`, `>`, `"` and `'` escaped (safe in text and in quoted
/// attributes).
fn escape_html(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `value` percent-encoded for a query string: everything but RFC 3986's unreserved
/// characters. A token is URL-safe base64 already, so this changes nothing for it, but no
/// value can end the parameter early.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_template() -> Vec<Template> {
        vec![
            Template::VerifyEmail {
                token: "tok-EN_1".into(),
                change: false,
            },
            Template::VerifyEmail {
                token: "tok-EN_2".into(),
                change: true,
            },
            Template::EmailChangeRequested {
                new_email: "new@example.com".into(),
            },
            Template::PasswordReset {
                token: "tok-EN_3".into(),
                valid_minutes: 30,
            },
            Template::AccountDeleted,
        ]
    }

    #[test]
    fn every_template_renders_every_value() {
        let config = MailConfig::for_tests();
        for template in every_template() {
            let r = render(&template, "ada", &config).unwrap();
            for part in [&r.subject, &r.text, &r.html] {
                assert!(
                    !part.contains("{{") && !part.contains("}}"),
                    "{template:?}: {part}"
                );
            }
            assert!(r.subject.contains("Stride"), "{}", r.subject);
            assert!(r.text.contains("Hello ada,"), "{}", r.text);
            assert!(r.html.contains("Hello ada,"), "{}", r.html);
            assert!(r.text.contains("http://127.0.0.1:8000"), "{}", r.text);
            assert!(!r.text.starts_with("Subject"), "{}", r.text);
        }
    }

    #[test]
    fn links_carry_the_token_under_the_public_url() {
        let mut config = MailConfig::for_tests();
        config.set_public_url("https://app.example.com/").unwrap();
        let verify = render(&every_template()[0], "ada", &config).unwrap();
        let link = "https://app.example.com/verify-email?token=tok-EN_1";
        assert!(verify.text.contains(link), "{}", verify.text);
        assert!(
            verify.html.contains(&format!("href=\"{link}\"")),
            "{}",
            verify.html
        );
        let reset = render(&every_template()[3], "ada", &config).unwrap();
        assert!(
            reset
                .text
                .contains("https://app.example.com/reset-password?token=tok-EN_3")
        );
        assert!(reset.text.contains("within 30 minutes"), "{}", reset.text);
        let change = render(&every_template()[1], "ada", &config).unwrap();
        assert_ne!(change.subject, verify.subject);
        let notice = render(&every_template()[2], "ada", &config).unwrap();
        assert!(notice.text.contains("new@example.com"));
    }

    #[test]
    fn html_escapes_every_value_and_text_keeps_it() {
        let mut config = MailConfig::for_tests();
        config.product_name = "<b>Fit & \"Co\"</b>".into();
        let template = Template::EmailChangeRequested {
            new_email: "x'<script>alert(1)</script>@example.com".into(),
        };
        let r = render(&template, "<img src=x>", &config).unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(!r.html.contains("<b>Fit"), "{}", r.html);
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(
            r.html
                .contains("&lt;b&gt;Fit &amp; &quot;Co&quot;&lt;/b&gt;"),
            "{}",
            r.html
        );
        assert!(r.html.contains("x&#39;&lt;script&gt;"), "{}", r.html);
        assert!(r.text.contains("x'<script>alert(1)</script>@example.com"));
        assert!(r.subject.contains("<b>Fit & \"Co\"</b>"));
    }

    #[test]
    fn a_token_cannot_break_out_of_its_query_parameter() {
        let config = MailConfig::for_tests();
        let template = Template::PasswordReset {
            token: "a&b=c d/é".into(),
            valid_minutes: 5,
        };
        let r = render(&template, "ada", &config).unwrap();
        assert!(
            r.text
                .contains("reset-password?token=a%26b%3Dc%20d%2F%C3%A9\n"),
            "{}",
            r.text
        );
    }

    #[test]
    fn broken_templates_are_errors_not_panics() {
        assert!(fill("{{missing}}", &[], false).is_err());
        assert!(fill("{{open", &[("open", "x")], false).is_err());
        assert_eq!(
            fill("a {{ x }} b", &[("x", "<")], true).unwrap(),
            "a &lt; b"
        );
    }
}
