//! `STRIDE_SMTP_URL`: `smtps://host[:port]` (implicit TLS, port 465 by default) or
//! `smtp://host[:port]?tls=required` (STARTTLS, which must succeed; port 587). Plain
//! `smtp://host[:port]` (port 25) is accepted only for a loopback host: a password, or a
//! message carrying a reset link, must never cross a network in clear. `tls=opportunistic`
//! is refused everywhere, since whoever sits on the path can strip it. Credentials come from
//! their own variables, never from the URL, so the URL can be logged as it is. The server's
//! certificate is checked against the web PKI roots, or against `STRIDE_SMTP_CA_FILE` (a PEM
//! bundle) for a relay with a private CA.

use std::net::IpAddr;

use shared::secret::Secret;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// TLS from the first byte (`smtps://`).
    Implicit,
    /// Plaintext greeting, then STARTTLS, which must succeed (`smtp://…?tls=required`).
    StartTls,
    /// No TLS: only to a loopback host.
    Plain,
}

/// A parsed `STRIDE_SMTP_URL` with its credentials.
#[derive(Clone)]
pub(crate) struct SmtpSettings {
    /// The URL as configured (it holds no credentials, so it can be logged).
    pub url: String,
    /// Host name or IP address (without brackets); also the name the certificate must carry.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS mode.
    pub security: Security,
    /// `STRIDE_SMTP_USERNAME` and `STRIDE_SMTP_PASSWORD`, when the server wants a login.
    pub credentials: Option<(String, Secret)>,
    /// `STRIDE_SMTP_CA_FILE`: PEM certificates that sign the server's certificate, trusted
    /// instead of the web PKI roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for SmtpSettings {
    /// The URL, the login name and whether a CA is set: never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &self.url)
            .field("security", &self.security)
            .field("username", &self.credentials.as_ref().map(|(user, _)| user))
            .field("private_ca", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

/// Parses `smtps://host[:port]`, `smtp://host[:port]?tls=required` or, to a loopback host
/// only, `smtp://host[:port]`.
pub(crate) fn parse_smtp_url(raw: &str) -> Result<SmtpSettings, String> {
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or("expected smtps://host:465 or smtp://host:587?tls=required")?;
    let (authority, query) = match rest.split_once('?') {
        Some((authority, query)) => (authority, Some(query)),
        None => (rest, None),
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.contains('/') || authority.contains('#') {
        return Err("expected no path: smtps://host:465 or smtp://host:587?tls=required".into());
    }
    if authority.contains('@') {
        return Err(
            "credentials do not belong in the URL: set STRIDE_SMTP_USERNAME and \
             STRIDE_SMTP_PASSWORD"
                .into(),
        );
    }
    let tls = match query {
        None | Some("") => None,
        Some("tls=required") => Some("required"),
        Some("tls=opportunistic") => {
            return Err(
                "tls=opportunistic falls back to plaintext when an attacker strips \
                        STARTTLS: use tls=required or smtps://"
                    .into(),
            );
        }
        Some(_) => return Err("the only query parameter is tls=required".into()),
    };
    let (security, default_port) = match (scheme.to_ascii_lowercase().as_str(), tls) {
        ("smtps", None) => (Security::Implicit, 465),
        ("smtp", Some(_)) => (Security::StartTls, 587),
        ("smtp", None) => (Security::Plain, 25),
        ("smtps", Some(_)) => return Err("smtps:// is TLS already: drop ?tls=".into()),
        _ => return Err("the scheme must be smtps or smtp".into()),
    };
    let (host, port) = split_host_port(authority)?;
    let port = port.unwrap_or(default_port);
    if security == Security::Plain && !is_loopback(&host) {
        return Err(format!(
            "plaintext SMTP to {host}, which is not a loopback address, would send passwords \
             and account links in clear: use smtps://{host}:465 or \
             smtp://{host}:587?tls=required"
        ));
    }
    Ok(SmtpSettings {
        url: raw.to_owned(),
        host,
        port,
        security,
        credentials: None,
        ca_pem: None,
    })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let bad_port = |p: &str| format!("invalid port {p:?}");
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed [ in the host")?;
        match after {
            "" => (host, None),
            _ => {
                let port = after.strip_prefix(':').ok_or("expected :port after ]")?;
                (host, Some(port))
            }
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the URL needs a host".into());
    }
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_');
    if !host.chars().all(valid) {
        return Err(format!("invalid host {host:?}"));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad_port(p))?,
        ),
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// `localhost`, 127.0.0.0/8 or ::1.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A CA bundle is PEM certificates, and only means something with TLS.
pub(crate) fn check_ca(pem: &[u8], smtp: &SmtpSettings) -> Result<(), String> {
    if smtp.security == Security::Plain {
        return Err("plain SMTP does not use TLS: use smtps:// or ?tls=required".into());
    }
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err("expected PEM certificates (-----BEGIN CERTIFICATE-----)".into());
    }
    lettre::transport::smtp::client::Certificate::from_pem(pem)
        .map(|_| ())
        .map_err(|e| format!("unreadable certificates: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_choose_tls_and_default_ports() {
        for (url, host, port, security) in [
            (
                "smtps://smtp.example.com",
                "smtp.example.com",
                465,
                Security::Implicit,
            ),
            (
                "smtps://smtp.example.com:2465",
                "smtp.example.com",
                2465,
                Security::Implicit,
            ),
            (
                "smtp://smtp.example.com?tls=required",
                "smtp.example.com",
                587,
                Security::StartTls,
            ),
            (
                "SMTP://Relay.Example.com:25?tls=required",
                "relay.example.com",
                25,
                Security::StartTls,
            ),
            ("smtp://127.0.0.1:2525", "127.0.0.1", 2525, Security::Plain),
            ("smtp://localhost", "localhost", 25, Security::Plain),
            ("smtp://[::1]:1025", "::1", 1025, Security::Plain),
            (
                "smtp://127.8.9.10:1025/",
                "127.8.9.10",
                1025,
                Security::Plain,
            ),
        ] {
            let s = parse_smtp_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(
                (s.host.as_str(), s.port, s.security),
                (host, port, security),
                "{url}"
            );
        }
    }

    #[test]
    fn malformed_smtp_urls_are_refused() {
        for url in [
            "mail.example.com",
            "http://mail.example.com",
            "smtps://",
            "smtps://:465",
            "smtps://host:0",
            "smtps://host:99999",
            "smtps://host/helo",
            "smtps://host?tls=required",
            "smtp://host?tls=maybe",
            "smtps://[::1",
            "smtps://bad host",
        ] {
            assert!(parse_smtp_url(url).is_err(), "{url}");
        }
        for url in [
            "smtp://mail.example.com",
            "smtp://10.0.0.5:25",
            "smtp://[2001:db8::1]",
        ] {
            let err = parse_smtp_url(url).unwrap_err();
            assert!(err.contains("not a loopback address"), "{url}: {err}");
        }
    }
}
