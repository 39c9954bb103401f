//! Validated values: each parses a raw request field once, at the edge, so nothing unchecked
//! reaches a rule or a query. Errors are descriptions for a `BadRequest` field violation.

use time::macros::format_description;

/// Longest title or name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest notes or description, in characters (a bound on row size; not in the proto).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest duration, in minutes (one day).
pub const MAX_MINUTES: i32 = 1440;

/// A workout title or exercise name: 1–255 characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// Checks length and blankness.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() {
            return Err("required: 1 to 255 characters, not blank".into());
        }
        if raw.chars().count() > MAX_NAME_CHARS {
            return Err(format!("at most {MAX_NAME_CHARS} characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Text to find inside titles or names (case-insensitively): at most 255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    /// `None` for empty text (no filter).
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.chars().count() > MAX_NAME_CHARS {
            return Err(format!("at most {MAX_NAME_CHARS} characters"));
        }
        Ok(Some(Self(raw.to_owned())))
    }

    /// The text as asked.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `LIKE` pattern matching the text anywhere, wildcards escaped.
    pub fn pattern(&self) -> String {
        shared::sql::contains_pattern(&self.0)
    }
}

/// Notes or a description: may be empty, at most 10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(String);

impl Text {
    /// Checks length.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > MAX_TEXT_CHARS {
            return Err(format!("at most {MAX_TEXT_CHARS} characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A real calendar date written `YYYY-MM-DD` (so it sorts as text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarDate(String);

impl CalendarDate {
    /// Parses `YYYY-MM-DD`, rejecting impossible dates such as `2026-02-30`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let format = format_description!("[year]-[month]-[day]");
        let bytes = raw.as_bytes();
        let shaped = raw.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return Err("must be a date written YYYY-MM-DD".into());
        }
        time::Date::parse(raw, format)
            .map(|_| Self(raw.to_owned()))
            .map_err(|_| "must be a real calendar date (YYYY-MM-DD)".into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Longest notes of an entry or a set, in characters.
pub const MAX_SET_NOTES_CHARS: usize = 1000;

/// Notes of an entry or a set: may be empty, at most 1,000 characters.
pub fn short_text(raw: &str) -> Result<Text, String> {
    if raw.chars().count() > MAX_SET_NOTES_CHARS {
        return Err(format!("at most {MAX_SET_NOTES_CHARS} characters"));
    }
    Ok(Text(raw.to_owned()))
}

/// An IANA time zone name the bundled time zone database knows, e.g. `Europe/Berlin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneName(String);

impl ZoneName {
    /// UTC, the zone of a workout that names none.
    pub fn utc() -> Self {
        Self("UTC".to_owned())
    }

    /// Empty means UTC; unknown names are refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Ok(Self::utc());
        }
        if raw.len() > MAX_NAME_CHARS {
            return Err("must be an IANA time zone name, e.g. Europe/Berlin".into());
        }
        jiff::tz::TimeZone::get(raw)
            .map(|_| Self(raw.to_owned()))
            .map_err(|_| "must be an IANA time zone name, e.g. Europe/Berlin".into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The calendar date in this zone at `micros` since the epoch; an error for instants
    /// outside the years 0000–9999.
    pub fn local_date(&self, micros: i64) -> Result<CalendarDate, String> {
        let zone = jiff::tz::TimeZone::get(&self.0).map_err(|e| e.to_string())?;
        let at = jiff::Timestamp::from_microsecond(micros).map_err(|e| e.to_string())?;
        let date = at.to_zoned(zone).date();
        CalendarDate::parse(&date.to_string())
    }
}

/// Longest workout: from start to end, in microseconds (24 hours).
pub const MAX_WORKOUT_MICROS: i64 = 24 * 3600 * 1_000_000;

/// Checks a workout's end against its start: it needs one, is not before it and at most 24
/// hours after it.
pub fn check_end(started_at: Option<i64>, ended_at: Option<i64>) -> Result<(), String> {
    match (started_at, ended_at) {
        (_, None) => Ok(()),
        (None, Some(_)) => Err("needs started_at".into()),
        (Some(start), Some(end)) if end < start => Err("must not be before started_at".into()),
        (Some(start), Some(end)) if end - start > MAX_WORKOUT_MICROS => {
            Err("must be at most 24 hours after started_at".into())
        }
        _ => Ok(()),
    }
}

/// Kind of training, as stored (`STRENGTH`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkoutType {
    /// Strength training.
    Strength,
    /// Cardiovascular training.
    Cardio,
    /// Flexibility and mobility.
    Flexibility,
    /// Balance.
    Balance,
    /// Endurance.
    Endurance,
}

impl WorkoutType {
    /// Every type, in proto order.
    pub const ALL: [WorkoutType; 5] = [
        Self::Strength,
        Self::Cardio,
        Self::Flexibility,
        Self::Balance,
        Self::Endurance,
    ];

    /// The stored name.
    pub fn db_name(self) -> &'static str {
        match self {
            Self::Strength => "STRENGTH",
            Self::Cardio => "CARDIO",
            Self::Flexibility => "FLEXIBILITY",
            Self::Balance => "BALANCE",
            Self::Endurance => "ENDURANCE",
        }
    }

    /// Parses a stored name.
    pub fn from_db_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.db_name() == name)
    }
}

/// A duration in minutes, 0–1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Minutes(i32);

impl Minutes {
    /// Checks the range.
    pub fn parse(raw: i32) -> Result<Self, String> {
        if (0..=MAX_MINUTES).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(format!("must be between 0 and {MAX_MINUTES} minutes"))
        }
    }

    /// The number of minutes.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// A staff evaluation, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation(i32);

impl Evaluation {
    /// Checks the range.
    pub fn parse(raw: i32) -> Result<Self, String> {
        if (0..=100).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err("must be between 0 and 100".into())
        }
    }

    /// The value.
    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_need_one_to_255_characters() {
        assert!(Name::parse("").is_err());
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"é".repeat(255)).is_ok());
        assert!(Name::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn searches_are_optional_and_bounded() {
        assert_eq!(Search::parse(""), Ok(None));
        let search = Search::parse("50%").unwrap().unwrap();
        assert_eq!(search.pattern(), "%50\\%%");
        assert!(Search::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn dates_must_be_real_and_iso_shaped() {
        assert!(CalendarDate::parse("2024-02-29").is_ok());
        for bad in [
            "2026-02-30",
            "2023-02-29",
            "2026-13-01",
            "26-01-01",
            "2026/01/01",
            "2026-1-01",
            "+02026-01-1",
            "",
        ] {
            assert!(CalendarDate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minutes_and_evaluations_have_ranges() {
        assert!(Minutes::parse(0).is_ok());
        assert!(Minutes::parse(1440).is_ok());
        assert!(Minutes::parse(-1).is_err());
        assert!(Minutes::parse(1441).is_err());
        assert!(Evaluation::parse(100).is_ok());
        assert!(Evaluation::parse(101).is_err());
        assert!(Evaluation::parse(-1).is_err());
    }

    #[test]
    fn zones_are_known_iana_names_and_give_local_dates() {
        assert_eq!(ZoneName::parse("").unwrap().as_str(), "UTC");
        assert!(ZoneName::parse("Mars/Olympus").is_err());
        let berlin = ZoneName::parse("Europe/Berlin").unwrap();
        // 2026-03-01T23:30:00Z is already March 2nd in Berlin.
        let micros = 1_772_407_800_000_000;
        assert_eq!(berlin.local_date(micros).unwrap().as_str(), "2026-03-02");
        assert_eq!(
            ZoneName::utc().local_date(micros).unwrap().as_str(),
            "2026-03-01"
        );
        assert!(ZoneName::utc().local_date(i64::MAX).is_err());
    }

    #[test]
    fn an_end_needs_a_start_before_it_within_a_day() {
        assert!(check_end(None, None).is_ok());
        assert!(check_end(Some(0), Some(MAX_WORKOUT_MICROS)).is_ok());
        assert!(check_end(Some(0), Some(MAX_WORKOUT_MICROS + 1)).is_err());
        assert!(check_end(Some(10), Some(9)).is_err());
        assert!(check_end(None, Some(9)).is_err());
    }

    #[test]
    fn workout_types_round_trip_through_their_stored_names() {
        for t in WorkoutType::ALL {
            assert_eq!(WorkoutType::from_db_name(t.db_name()), Some(t));
        }
        assert_eq!(WorkoutType::from_db_name("YOGA"), None);
    }
}
