//! Just enough MIME to read what the service sends: unfolded headers, RFC 2047 encoded words,
//! `multipart/*` bodies, and the `7bit`, `quoted-printable` and `base64` transfer encodings.

use base64::Engine as _;

/// Headers (unfolded, names as written) and the body after the first empty line.
pub(super) fn split_message(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match raw.find("\r\n\r\n") {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None => match raw.find("\n\n") {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, ""),
        },
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

pub(super) fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The value of parameter `name` in a header such as `multipart/alternative; boundary="x"`.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (key, v) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Walks a (possibly multipart) entity, keeping the first text/plain and text/html bodies.
pub(super) fn collect_parts(
    headers: &[(String, String)],
    body: &str,
    text: &mut String,
    html: &mut String,
) {
    let content_type = find_header(headers, "content-type").unwrap_or("text/plain");
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if kind.starts_with("multipart/") {
        let Some(boundary) = parameter(content_type, "boundary") else {
            return;
        };
        let delimiter = format!("--{boundary}");
        for part in body.split(delimiter.as_str()).skip(1) {
            if part.starts_with("--") {
                break;
            }
            let part = part.strip_prefix("\r\n").unwrap_or(part);
            let (part_headers, part_body) = split_message(part);
            collect_parts(&part_headers, part_body, text, html);
        }
        return;
    }
    let encoding = find_header(headers, "content-transfer-encoding").unwrap_or("7bit");
    let decoded = decode_body(encoding, body);
    let decoded = decoded.trim_end_matches(['\r', '\n']).replace("\r\n", "\n");
    match kind.as_str() {
        "text/plain" if text.is_empty() => *text = decoded,
        "text/html" if html.is_empty() => *html = decoded,
        _ => {}
    }
}

fn decode_body(encoding: &str, body: &str) -> String {
    match encoding.trim().to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .expect("a base64 body decodes");
            String::from_utf8_lossy(&bytes).into_owned()
        }
        "quoted-printable" => {
            let joined = body.replace("=\r\n", "").replace("=\n", "");
            String::from_utf8_lossy(&decode_hex_escapes(&joined, '=', false)).into_owned()
        }
        _ => body.to_owned(),
    }
}

/// `escape`XX sequences as bytes (and `_` as a space when `underscore_space`).
fn decode_hex_escapes(text: &str, escape: char, underscore_space: bool) -> Vec<u8> {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if u32::from(b) == u32::from(escape)
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(high * 16 + low);
            i += 3;
            continue;
        }
        out.push(if underscore_space && b == b'_' {
            b' '
        } else {
            b
        });
        i += 1;
    }
    out
}

pub(super) fn percent_decode(value: &str) -> String {
    String::from_utf8_lossy(&decode_hex_escapes(value, '%', false)).into_owned()
}

/// A header value with its RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`)
/// decoded; whitespace between two encoded words is dropped, as the RFC says.
pub(super) fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        let decoded = encoded_word(candidate);
        let Some((text, used)) = decoded else {
            out.push_str(before);
            out.push_str("=?");
            rest = &candidate[2..];
            after_word = false;
            continue;
        };
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&text);
        rest = &candidate[used..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// Decodes the encoded word at the start of `s`: its text and how many bytes it used.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (_charset, rest) = inner.split_once('?')?;
    let (mode, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let payload = &rest[..end];
    let used = 2 + (inner.len() - rest.len()) + end + 2;
    let bytes = match mode.to_ascii_lowercase().as_str() {
        "b" => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .ok()?,
        "q" => decode_hex_escapes(payload, '=', true),
        _ => return None,
    };
    Some((String::from_utf8_lossy(&bytes).into_owned(), used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_decode_in_both_modes() {
        assert_eq!(decode_words("=?utf-8?b?w4lsYW4=?= Fit"), "Élan Fit");
        assert_eq!(decode_words("=?utf-8?q?=C3=89lan_Fit?="), "Élan Fit");
        assert_eq!(decode_words("=?utf-8?b?w4k=?= =?utf-8?b?bGFu?="), "Élan");
        assert_eq!(decode_words("plain =? text"), "plain =? text");
    }
}
