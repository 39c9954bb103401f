//! The measures of a set as a person types them: `100kg`, `225lb`, `5km`, `400m`, `30s`,
//! `25m`, `1:30`, `8.5`. Every value is read as a decimal into integer thousandths (never
//! through a float), so `102.5kg` is exactly 102,500 g and a fourth decimal is an error that
//! says so instead of being rounded away; the server converts once, from the same thousandths.
//!
//! Ranges (weight 0–2000, duration 0–86,400 s…) are the server's to judge: it names the field
//! of every value it refuses. Here only the spelling is checked.

use shared::pb::fitness::v1::WeightUnit;

/// Metres in a mile, in millimetres: 1,609.344 m exactly.
const MILE_MM: i64 = 1_609_344;

/// A weight as entered: the value in its unit and the unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightArg {
    /// The value, in `unit`, with at most 3 decimals.
    pub value: f64,
    /// Kilograms or pounds.
    pub unit: WeightUnit,
}

/// A non-negative decimal (`102`, `102.5`, `.5`) as thousandths; more than 3 decimals, a sign,
/// an exponent or anything else is an error naming what was wrong.
fn thousandths(text: &str, what: &str) -> Result<i64, String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(format!(
            "{what}: {text:?} is not a number (digits, optionally with a '.' and up to 3 decimals)"
        ));
    }
    if fraction.len() > 3 {
        return Err(format!("{what}: {text:?} has more than 3 decimals"));
    }
    // Enough digits to overflow are refused rather than wrapped.
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .ok()
            .filter(|w: &i64| *w < i64::MAX / 1000)
            .ok_or_else(|| format!("{what}: {text:?} is too large"))?
    };
    let mut milli = 0;
    for (i, c) in fraction.chars().enumerate() {
        let digit = i64::from(c.to_digit(10).unwrap_or(0));
        milli += digit * [100, 10, 1][i];
    }
    Ok(whole * 1000 + milli)
}

/// Splits `100kg` / `100 kg` into the number and the lower-cased unit.
fn number_and_unit(text: &str) -> (&str, String) {
    let text = text.trim();
    let split = text.find(|c: char| c.is_alphabetic()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    (number.trim(), unit.trim().to_ascii_lowercase())
}

/// `--weight`: `100kg`, `102.5 kg`, `225lb` or `225lbs`; a unit is required.
pub fn weight(text: &str) -> Result<WeightArg, String> {
    let (number, unit) = number_and_unit(text);
    let unit = match unit.as_str() {
        "kg" | "kgs" => WeightUnit::Kg,
        "lb" | "lbs" => WeightUnit::Lb,
        "" => {
            return Err(format!(
                "weight {text:?} needs a unit: kg or lb (e.g. 100kg, 225lb)"
            ));
        }
        other => {
            return Err(format!(
                "weight {text:?}: unknown unit {other:?} (use kg or lb)"
            ));
        }
    };
    let milli = thousandths(number, "weight")?;
    Ok(WeightArg {
        value: milli as f64 / 1000.0,
        unit,
    })
}

/// `--distance` in metres: `400m`, `5km`, `5.5 km`, `3.1mi`; kept to the millimetre (a mile
/// is 1,609.344 m, so miles are rounded to the nearest millimetre).
pub fn distance(text: &str) -> Result<f64, String> {
    let (number, unit) = number_and_unit(text);
    let millimetres = match unit.as_str() {
        "m" => thousandths(number, "distance")?,
        "km" => thousandths(number, "distance")?
            .checked_mul(1000)
            .ok_or_else(|| format!("distance {text:?} is too large"))?,
        "mi" => {
            let milli_miles = thousandths(number, "distance")?;
            milli_miles
                .checked_mul(MILE_MM)
                .map(|x| (x + 500) / 1000)
                .ok_or_else(|| format!("distance {text:?} is too large"))?
        }
        "" => {
            return Err(format!(
                "distance {text:?} needs a unit: m, km or mi (e.g. 400m, 5km)"
            ));
        }
        other => {
            return Err(format!(
                "distance {text:?}: unknown unit {other:?} (use m, km or mi)"
            ));
        }
    };
    Ok(millimetres as f64 / 1000.0)
}

/// `--duration` and `--rest` in whole seconds: `90`, `90s`, `25m`, `1h`, `1h30m`, `2m30s`,
/// `1.5m`, or a clock `1:30` (m:ss) / `1:02:03` (h:mm:ss).
pub fn seconds(text: &str) -> Result<i32, String> {
    let text = text.trim();
    let total = if text.contains(':') {
        clock(text)?
    } else {
        let mut rest = text;
        let mut total = 0_i64;
        let mut seen = Vec::new();
        if rest.is_empty() {
            return Err("a duration cannot be empty (e.g. 30s, 25m, 1h30m, 1:30)".to_owned());
        }
        while !rest.is_empty() {
            let (number, tail) = rest.split_at(
                rest.find(|c: char| c.is_ascii_alphabetic())
                    .unwrap_or(rest.len()),
            );
            let unit_len = tail
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(tail.len());
            let (unit, tail) = tail.split_at(unit_len);
            let per_unit = match unit.to_ascii_lowercase().as_str() {
                "" | "s" | "sec" => 1,
                "m" | "min" => 60,
                "h" => 3600,
                other => {
                    return Err(format!(
                        "duration {text:?}: unknown unit {other:?} (use s, m or h)"
                    ));
                }
            };
            if seen.contains(&per_unit) {
                return Err(format!("duration {text:?} gives a unit twice"));
            }
            seen.push(per_unit);
            let milli = thousandths(number.trim(), "duration")?;
            let milli_seconds = milli
                .checked_mul(per_unit)
                .ok_or_else(|| format!("duration {text:?} is too long"))?;
            if milli_seconds % 1000 != 0 {
                return Err(format!(
                    "duration {text:?} is not a whole number of seconds"
                ));
            }
            total += milli_seconds / 1000;
            rest = tail.trim_start();
            if unit.is_empty() && !rest.is_empty() {
                return Err(format!(
                    "duration {text:?}: a plain number is seconds and must stand alone"
                ));
            }
        }
        total
    };
    i32::try_from(total).map_err(|_| format!("duration {text:?} is too long"))
}

/// `m:ss` or `h:mm:ss`.
fn clock(text: &str) -> Result<i64, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad = || format!("duration {text:?}: a clock is m:ss or h:mm:ss (e.g. 1:30, 1:02:03)");
    let number = |s: &str| -> Result<i64, String> {
        if s.is_empty() || s.len() > 6 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (hours, minutes, secs) = match parts.as_slice() {
        [m, s] => (0, number(m)?, number(s)?),
        [h, m, s] => {
            let minutes = number(m)?;
            if m.len() != 2 || minutes > 59 {
                return Err(bad());
            }
            (number(h)?, minutes, number(s)?)
        }
        _ => return Err(bad()),
    };
    let last = parts.last().copied().unwrap_or_default();
    if last.len() != 2 || secs > 59 {
        return Err(bad());
    }
    Ok(hours * 3600 + minutes * 60 + secs)
}

/// `--rpe`: 6 to 10 in steps of 0.5 (`8`, `8.5`).
pub fn rpe(text: &str) -> Result<f64, String> {
    let milli = thousandths(text.trim(), "rpe")?;
    if milli % 500 != 0 {
        return Err(format!(
            "rpe {text:?} is not a multiple of 0.5 (e.g. 8 or 8.5)"
        ));
    }
    Ok(milli as f64 / 1000.0)
}

/// A weight for a person: `100 kg`, `225 lb`, `102.058 kg` (up to 3 decimals, no trailing
/// zeros).
pub fn show_weight(value: f64, unit: i32) -> String {
    let unit = match WeightUnit::try_from(unit) {
        Ok(WeightUnit::Lb) => "lb",
        _ => "kg",
    };
    format!("{} {unit}", decimal(value))
}

/// A number with up to 3 decimals and no trailing zeros: `100`, `102.5`, `0.125`.
pub fn decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A distance in metres for a person: `400 m`, `5 km`, `5.25 km`.
pub fn show_distance(metres: f64) -> String {
    if metres >= 1000.0 {
        format!("{} km", decimal(metres / 1000.0))
    } else {
        format!("{} m", decimal(metres))
    }
}

/// Seconds for a person: `45s`, `1:30`, `1:02:03`.
pub fn show_seconds(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}:{s:02}"),
        _ => format!("{h}:{m:02}:{s:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_keep_their_unit_and_every_decimal() {
        assert_eq!(
            weight("100kg"),
            Ok(WeightArg {
                value: 100.0,
                unit: WeightUnit::Kg
            })
        );
        assert_eq!(
            weight(" 102.5 KG "),
            Ok(WeightArg {
                value: 102.5,
                unit: WeightUnit::Kg
            })
        );
        assert_eq!(
            weight("225lbs"),
            Ok(WeightArg {
                value: 225.0,
                unit: WeightUnit::Lb
            })
        );
        // Exactly the thousandths typed: 0.1 + 0.2 style float error cannot creep in.
        assert_eq!(weight("0.3kg").unwrap().value * 1000.0, 300.0);
        assert_eq!(weight(".125kg").unwrap().value, 0.125);
    }

    #[test]
    fn a_weight_without_a_unit_or_with_too_many_decimals_says_why() {
        assert!(weight("100").unwrap_err().contains("needs a unit"));
        assert!(weight("100 stone").unwrap_err().contains("unknown unit"));
        assert!(
            weight("1.2345kg")
                .unwrap_err()
                .contains("more than 3 decimals")
        );
        assert!(weight("-5kg").unwrap_err().contains("not a number"));
        assert!(weight("1e3kg").unwrap_err().contains("unknown unit"));
        assert!(weight("1.2.3kg").unwrap_err().contains("not a number"));
        assert!(weight("kg").unwrap_err().contains("not a number"));
        assert!(
            weight("99999999999999999999kg")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn distances_are_metres_to_the_millimetre() {
        assert_eq!(distance("400m"), Ok(400.0));
        assert_eq!(distance("5km"), Ok(5000.0));
        assert_eq!(distance("5.125 km"), Ok(5125.0));
        assert_eq!(distance("0.001km"), Ok(1.0));
        assert_eq!(distance("1mi"), Ok(1609.344));
        assert_eq!(distance("3.1mi"), Ok(4988.966));
        assert!(distance("5").unwrap_err().contains("needs a unit"));
        assert!(distance("5 miles").unwrap_err().contains("unknown unit"));
        assert!(
            distance("0.0001km")
                .unwrap_err()
                .contains("more than 3 decimals")
        );
    }

    #[test]
    fn durations_take_units_and_clocks() {
        for (text, secs) in [
            ("30s", 30),
            ("90", 90),
            ("25m", 1500),
            ("25min", 1500),
            ("1h", 3600),
            ("1h30m", 5400),
            ("2m 30s", 150),
            ("1.5m", 90),
            ("1:30", 90),
            ("1:02:03", 3723),
            ("0:05", 5),
        ] {
            assert_eq!(seconds(text), Ok(secs), "{text}");
        }
        assert!(
            seconds("1.5s")
                .unwrap_err()
                .contains("whole number of seconds")
        );
        assert!(seconds("5d").unwrap_err().contains("unknown unit"));
        assert!(seconds("1m1m").unwrap_err().contains("twice"));
        assert!(seconds("1:5").unwrap_err().contains("m:ss"));
        assert!(seconds("1:60").unwrap_err().contains("m:ss"));
        assert!(seconds("1:2:03").unwrap_err().contains("h:mm:ss"));
        assert!(seconds("").unwrap_err().contains("empty"));
        assert!(seconds("10 20").is_err());
        assert!(seconds("99999999h").unwrap_err().contains("too long"));
    }

    #[test]
    fn rpe_is_in_half_steps() {
        assert_eq!(rpe("8.5"), Ok(8.5));
        assert_eq!(rpe("10"), Ok(10.0));
        assert!(rpe("8.25").unwrap_err().contains("0.5"));
        assert!(rpe("eight").unwrap_err().contains("not a number"));
    }

    #[test]
    fn measures_read_back_for_people() {
        assert_eq!(show_weight(102.5, WeightUnit::Kg as i32), "102.5 kg");
        assert_eq!(show_weight(225.0, WeightUnit::Lb as i32), "225 lb");
        assert_eq!(show_distance(400.0), "400 m");
        assert_eq!(show_distance(5250.0), "5.25 km");
        assert_eq!(show_seconds(45), "45s");
        assert_eq!(show_seconds(90), "1:30");
        assert_eq!(show_seconds(3723), "1:02:03");
    }
}
