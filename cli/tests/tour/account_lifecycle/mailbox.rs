//! The mailbox: `stride dev` writes each message as a file in `data/mail`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::stack::Stack;

/// How long the courier may take to write a message.
const MAIL_TIMEOUT: Duration = Duration::from_secs(30);

/// The first message in the stack's `data/mail` to `to` that contains `text`, waiting for the
/// courier to write it.
pub(super) fn mail(stack: &Stack, to: &str, text: &str) -> String {
    let dir = stack.dir().join("data/mail");
    let deadline = Instant::now() + MAIL_TIMEOUT;
    loop {
        let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .filter_map(|path| Some((path.clone(), std::fs::read_to_string(&path).ok()?)))
            .filter(|(_, message)| message.contains(to) && message.contains(text))
            .collect();
        found.sort();
        if let Some((_, message)) = found.into_iter().next() {
            return message;
        }
        assert!(
            Instant::now() < deadline,
            "no message to {to} containing {text:?} in {} within {MAIL_TIMEOUT:?}; there: \
             {:?}\n{}",
            dir.display(),
            std::fs::read_dir(&dir)
                .map(|d| d
                    .filter_map(Result::ok)
                    .map(|e| e.file_name())
                    .collect::<Vec<_>>())
                .unwrap_or_default(),
            stack.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The link of a message: the first URL with a `token=` parameter.
pub(super) fn link(message: &str) -> String {
    let text = decode_quoted_printable(message);
    let token_at = text
        .find("token=")
        .unwrap_or_else(|| panic!("no link in the message:\n{message}"));
    let start = text[..token_at]
        .rfind(|c: char| c.is_whitespace() || c == '"' || c == '>')
        .map_or(0, |i| i + 1);
    let value = &text[token_at + "token=".len()..];
    let len = value
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(value.len());
    text[start..token_at + "token=".len() + len].to_owned()
}

/// `message` with quoted-printable undone (soft line breaks joined, `=XX` decoded) when it
/// uses that encoding; as it is otherwise.
fn decode_quoted_printable(message: &str) -> String {
    if !message.contains("quoted-printable") {
        return message.to_owned();
    }
    let joined = message.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token of a link.
pub(super) fn token(link: &str) -> &str {
    link.split_once("token=").unwrap().1
}
