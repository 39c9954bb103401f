//! Timestamps as stored (Unix microseconds, portable across SQLite and PostgreSQL) and as sent
//! (`google.protobuf.Timestamp`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch: the one timestamp representation in both databases.
pub type Micros = i64;

/// Now, in microseconds since the Unix epoch.
pub fn now_micros() -> Micros {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Converts stored microseconds to a protobuf timestamp.
pub fn to_timestamp(micros: Micros) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        // In 0..1_000_000_000 by construction, so the cast cannot truncate.
        nanos: (micros.rem_euclid(1_000_000) * 1_000) as i32,
    }
}

/// Converts a protobuf timestamp to microseconds, saturating out-of-range values.
pub fn from_timestamp(ts: &prost_types::Timestamp) -> Micros {
    ts.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(ts.nanos) / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_including_before_the_epoch() {
        for micros in [0, 1, 1_700_000_000_123_456, -1, -1_500_000] {
            assert_eq!(from_timestamp(&to_timestamp(micros)), micros);
        }
    }
}
