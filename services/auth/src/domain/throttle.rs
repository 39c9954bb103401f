//! Per-client throttling of the actions a stranger can repeat: login, registration, password
//! change. Each action counts attempts per client bucket in fixed windows
//! (`store::ip_windows`); over its limit a client gets RESOURCE_EXHAUSTED with `RetryInfo`
//! until the window ends.
//!
//! A refusal writes nothing: the window's count is read first, and a client already over the
//! limit is refused from that read. Only the attempt that crosses the limit is written, with
//! one security event, so a flood costs one event per client per window.
//!
//! A client's bucket is its address, or its /64 for IPv6: one host or household owns a whole
//! /64, and counting its addresses one by one would let it walk around the limit.

use std::net::IpAddr;
use std::time::Duration;

use shared::db::Db;
use shared::time::Micros;

use crate::clock::{Clock, micros};
use crate::domain::Client;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::error::{Error, Result};
use crate::store::ip_windows;

/// The longest window of any throttled action: the sweep keeps windows this recent.
pub const LONGEST_WINDOW: Duration = Duration::from_secs(3600);

/// A throttled action and its limit per window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Action {
    /// Stored name (`login`, `register`, `password_change`).
    pub name: &'static str,
    /// Attempts allowed per window and bucket.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
    /// The event recorded when a client crosses the limit.
    pub event: EventType,
}

/// Counts one attempt of `action` by `client`; RESOURCE_EXHAUSTED (`TOO_MANY_ATTEMPTS`) when
/// the client is over the limit.
pub(crate) async fn attempt(db: &Db, clock: &Clock, action: Action, client: &Client) -> Result<()> {
    attempt_in(db, clock, action, &bucket(&client.ip), client).await
}

/// Counts one attempt of `action` in `bucket` (a client's address, or a key of the account it
/// concerns); RESOURCE_EXHAUSTED (`TOO_MANY_ATTEMPTS`) when the bucket is over the limit.
pub(crate) async fn attempt_in(
    db: &Db,
    clock: &Clock,
    action: Action,
    bucket: &str,
    client: &Client,
) -> Result<()> {
    let now = clock.now();
    let window = micros(action.window).max(1);
    let start = now - now.rem_euclid(window);
    let retry = Error::RetryLater {
        reason: "TOO_MANY_ATTEMPTS",
        retry_after: duration(start + window - now),
    };
    let limit = i64::from(action.limit);
    {
        let mut conn = db.read().await?;
        if ip_windows::attempts(&mut conn, action.name, bucket, start).await? > limit {
            return Err(retry);
        }
    }
    let mut tx = db.begin().await?;
    let counted = ip_windows::hit(&mut tx, action.name, bucket, start, limit).await?;
    match counted {
        Some(n) if n <= limit => {
            tx.commit().await?;
            Ok(())
        }
        Some(_) => {
            // This attempt crossed the limit: the one event of this client and window.
            let event = SecurityEvent::new(action.event)
                .by(client)
                .detail(format!("too many {} attempts from {bucket}", action.name));
            security_events::record(&mut tx, &event, now).await?;
            tx.commit().await?;
            Err(retry)
        }
        None => Err(retry),
    }
}

/// Deletes windows that ended before the current one of the longest action window: a client
/// that never returns would otherwise leave its rows forever. Run periodically by the app.
pub async fn sweep_windows(db: &Db, now: Micros, longest: Duration) -> Result<u64> {
    let window = micros(longest).max(1);
    let start = now - now.rem_euclid(window);
    let mut tx = db.begin().await?;
    let deleted = ip_windows::forget_before(&mut tx, start).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// The bucket a client address counts in: the address itself, or its /64 for IPv6 (an
/// IPv4-mapped IPv6 address counts as its IPv4 address). Anything unparsable counts as is.
pub(crate) fn bucket(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// A non-negative microsecond count as a duration.
pub(crate) fn duration(micros: Micros) -> Duration {
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        assert_eq!(bucket("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(bucket("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_ne!(bucket("2001:db8:1:3::1"), bucket("2001:db8:1:2::1"));
        assert_eq!(bucket("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(bucket("192.0.2.7"), "192.0.2.7");
        assert_eq!(bucket("unknown"), "unknown");
    }
}
