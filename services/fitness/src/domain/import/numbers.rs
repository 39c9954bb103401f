//! The numbers and durations of a CSV export, read exactly: a decimal is kept as an integer
//! count of billionths, so converting kilometres or miles to millimetres or a weight to
//! thousandths of its unit rounds once, at the end.

/// Billionths in one unit.
const NANO: i128 = 1_000_000_000;
/// Millimetres in a mile.
const MM_PER_MILE: i128 = 1_609_344;
/// Millimetres in a kilometre.
const MM_PER_KM: i128 = 1_000_000;

/// A decimal number in billionths (digits past the ninth decimal are dropped); values too
/// large for that saturate, so that range checks refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(i128);

impl Decimal {
    /// Parses `[+-]digits[.digits]` (or `.5`, `5.`); surrounding spaces allowed. `None` for
    /// anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let text = raw.trim();
        let (negative, text) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
            return None;
        }
        let mut value: i128 = 0;
        for b in whole.bytes() {
            value = value
                .saturating_mul(10)
                .saturating_add(i128::from(b - b'0'));
        }
        value = value.saturating_mul(NANO);
        let mut scale = NANO;
        for b in fraction.bytes().take(9) {
            scale /= 10;
            value = value.saturating_add(i128::from(b - b'0') * scale);
        }
        Some(Self(if negative { -value } else { value }))
    }

    /// The value × `numerator` / `denominator`, rounded half away from zero, as an i64
    /// (saturating).
    fn scaled(self, numerator: i128, denominator: i128) -> i64 {
        let product = self.0.saturating_mul(numerator);
        let half = denominator / 2;
        let rounded = if product >= 0 {
            product.saturating_add(half) / denominator
        } else {
            product.saturating_sub(half) / denominator
        };
        i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
    }

    /// Thousandths, rounded (a weight as `Weight` keeps it).
    pub fn milli(self) -> i64 {
        self.scaled(1, 1_000_000)
    }

    /// The value rounded to a whole number.
    pub fn rounded(self) -> i64 {
        self.scaled(1, NANO)
    }

    /// The value if it is a whole number.
    pub fn whole(self) -> Option<i64> {
        (self.0 % NANO == 0).then(|| self.rounded())
    }

    /// Twice the value, if that is a whole number (RPE in half points).
    pub fn halves(self) -> Option<i64> {
        (self.0.saturating_mul(2) % NANO == 0).then(|| self.scaled(2, NANO))
    }

    /// Kilometres as millimetres.
    pub fn km_to_mm(self) -> i64 {
        self.scaled(MM_PER_KM, NANO)
    }

    /// Miles as millimetres.
    pub fn miles_to_mm(self) -> i64 {
        self.scaled(MM_PER_MILE, NANO)
    }
}

/// Seconds of a Strong duration: `1h 5m`, `45m`, `50s`, `1h 2m 3s` (any of the parts, in
/// that order, separated by spaces or not). `None` when malformed.
pub fn strong_duration(raw: &str) -> Option<i64> {
    let text = raw.trim();
    if text.is_empty() {
        return None;
    }
    let mut seconds: i64 = 0;
    let mut rest = text;
    let mut last_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 6 {
            return None;
        }
        let number: i64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?;
        let (rank, factor) = match unit {
            'h' => (1, 3600),
            'm' => (2, 60),
            's' => (3, 1),
            _ => return None,
        };
        if rank <= last_unit {
            return None;
        }
        last_unit = rank;
        seconds += number * factor;
        rest = rest[digits + 1..].trim_start();
    }
    Some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(raw: &str) -> Decimal {
        Decimal::parse(raw).unwrap()
    }

    #[test]
    fn decimals_convert_exactly() {
        assert_eq!(d("61.25").milli(), 61_250);
        assert_eq!(d(" 135 ").milli(), 135_000);
        assert_eq!(d("22.6796").milli(), 22_680);
        assert_eq!(d("-2.5").milli(), -2_500);
        assert_eq!(d(".5").milli(), 500);
        assert_eq!(d("10.0").whole(), Some(10));
        assert_eq!(d("10.5").whole(), None);
        assert_eq!(d("8.5").halves(), Some(17));
        assert_eq!(d("8.25").halves(), None);
        assert_eq!(d("5.25").km_to_mm(), 5_250_000);
        assert_eq!(d("3.1").miles_to_mm(), 4_988_966);
        assert_eq!(d("1800.4").rounded(), 1800);
        assert_eq!(d("0.000").milli(), 0);
        for bad in ["", "-", ".", "abc", "1,5", "1e3", "1.2.3", "--1", "0x10"] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
        // Absurdly large values saturate rather than wrap.
        assert_eq!(d(&"9".repeat(60)).milli(), i64::MAX);
    }

    #[test]
    fn strong_durations_read_hours_minutes_and_seconds() {
        assert_eq!(strong_duration("1h 5m"), Some(3900));
        assert_eq!(strong_duration("45m"), Some(2700));
        assert_eq!(strong_duration("50s"), Some(50));
        assert_eq!(strong_duration("1h 2m 3s"), Some(3723));
        assert_eq!(strong_duration("2h"), Some(7200));
        for bad in ["", "5", "m", "5m 1h", "1x", "1h1h", "1 h"] {
            assert_eq!(strong_duration(bad), None, "{bad}");
        }
    }
}
