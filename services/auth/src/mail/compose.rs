//! A queued row becomes a MIME message: its parameters are read back, the template rendered,
//! and the result put in a `multipart/alternative` (plain text first, then HTML) from the
//! configured sender to the row's recipient. Any failure here is the message's own (a bad
//! address, a row that cannot be read): retrying cannot help, so it is given up.

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

use super::Params;
use super::config::MailConfig;
use super::templates;
use crate::store::mail_outbox::ClaimedRow;

/// The message of `row`, or why it cannot be made.
pub(crate) fn compose(row: &ClaimedRow, config: &MailConfig) -> Result<Message, String> {
    let params = row
        .params
        .as_deref()
        .ok_or("the message has no parameters (scrubbed)")?;
    let params: Params =
        serde_json::from_str(params).map_err(|e| format!("unreadable parameters: {e}"))?;
    let rendered = templates::render(&params.template, &params.username, config)?;
    let to: Address = row
        .recipient
        .parse()
        .map_err(|e| format!("invalid recipient address: {e}"))?;
    Message::builder()
        .from(config.from.clone())
        .to(Mailbox::new(None, to))
        .subject(rendered.subject)
        .multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Template;

    fn row(recipient: &str, params: Option<&str>) -> ClaimedRow {
        ClaimedRow {
            id: "m1".into(),
            recipient: recipient.into(),
            template: "VERIFY_EMAIL".into(),
            params: params.map(str::to_owned),
        }
    }

    fn params(template: &Template) -> String {
        serde_json::to_string(&super::super::ParamsRef {
            username: "ada",
            template,
        })
        .unwrap()
    }

    #[test]
    fn a_row_becomes_a_multipart_alternative_message() {
        let p = params(&Template::VerifyEmail {
            token: "abc".into(),
            change: false,
        });
        let message = compose(&row("ada@example.com", Some(&p)), &MailConfig::for_tests()).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("To: ada@example.com"), "{raw}");
        assert!(raw.contains("From: Stride <no-reply@localhost>"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
        let envelope = message.envelope();
        assert_eq!(envelope.to().len(), 1);
        assert_eq!(envelope.to()[0].to_string(), "ada@example.com");
    }

    #[test]
    fn a_bad_row_is_an_error() {
        let p = params(&Template::AccountDeleted);
        let config = MailConfig::for_tests();
        assert!(compose(&row("not an address", Some(&p)), &config).is_err());
        assert!(compose(&row("ada@example.com", None), &config).is_err());
        assert!(compose(&row("ada@example.com", Some("{")), &config).is_err());
        assert!(
            compose(
                &row("ada@example.com", Some("{\"kind\":\"NOPE\"}")),
                &config
            )
            .is_err()
        );
    }
}
