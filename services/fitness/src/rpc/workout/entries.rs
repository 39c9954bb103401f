//! `ReplaceWorkoutEntries` parsed into the domain's input (every field's bounds checked and
//! every violation collected; which measures a set needs follows its exercise, checked on
//! write), and entries and sets mapped to the wire.

use shared::error::Violations;
use shared::pb::fitness::v1 as pb;

use crate::domain::entries::{Entry, ReplaceEntries};
use crate::domain::ids::{Id, RequestId};
use crate::domain::training::{
    NewEntry, NewSet, SetType, TrackingMode, Weight, WeightUnit, thousandths,
};
use crate::domain::values::short_text;
use crate::error::{Error, Result};
use crate::rpc::parsed;
use crate::store::sets::SetRow;

/// Most entries in one workout.
pub const MAX_ENTRIES: usize = 100;
/// Most sets in one entry.
pub const MAX_SETS_PER_ENTRY: usize = 100;
/// Most sets in one workout.
pub const MAX_SETS: usize = 1000;
/// Highest superset group.
const MAX_SUPERSET: i32 = 100;
/// Most reps in a set.
const MAX_REPS: i32 = 1000;
/// Longest distance of a set, in metres.
const MAX_DISTANCE_M: f64 = 1_000_000.0;
/// Longest duration of a set, in seconds (a day).
const MAX_DURATION_S: i32 = 86_400;
/// Longest rest after a set, in seconds.
const MAX_REST_S: i32 = 3600;

/// `value` when it lies in `min..=max`, else a description of the range.
fn within(value: i32, min: i32, max: i32) -> std::result::Result<i32, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between {min} and {max}"))
    }
}

fn set_type(raw: i32) -> std::result::Result<SetType, String> {
    match pb::SetType::try_from(raw) {
        Ok(pb::SetType::Unspecified | pb::SetType::Normal) => Ok(SetType::Normal),
        Ok(pb::SetType::Warmup) => Ok(SetType::Warmup),
        Ok(pb::SetType::Drop) => Ok(SetType::Drop),
        Ok(pb::SetType::Failure) => Ok(SetType::Failure),
        Err(_) => Err("unknown set type".into()),
    }
}

fn weight_unit(raw: i32) -> std::result::Result<WeightUnit, String> {
    match pb::WeightUnit::try_from(raw) {
        Ok(pb::WeightUnit::Unspecified | pb::WeightUnit::Kg) => Ok(WeightUnit::Kg),
        Ok(pb::WeightUnit::Lb) => Ok(WeightUnit::Lb),
        Err(_) => Err("unknown weight unit".into()),
    }
}

/// Metres to millimetres: 0 to 1,000,000 m, rounded to the millimetre.
fn distance_mm(meters: f64) -> std::result::Result<i64, String> {
    if !meters.is_finite() || !(0.0..=MAX_DISTANCE_M).contains(&meters) {
        return Err(format!("must be between 0 and {MAX_DISTANCE_M} metres"));
    }
    // In range: at most 10^9.
    Ok((meters * 1000.0).round() as i64)
}

/// RPE to half points: 6 to 10 in steps of 0.5.
fn rpe_half(rpe: f64) -> std::result::Result<i32, String> {
    let half = rpe * 2.0;
    if !rpe.is_finite() || !(12.0..=20.0).contains(&half) || half.fract() != 0.0 {
        return Err("must be between 6 and 10 in steps of 0.5".into());
    }
    // 12 to 20.
    Ok(half as i32)
}

/// Parses the set at `at` (e.g. `entries[2].sets[0]`); `None` once a violation is recorded.
fn new_set(s: &pb::WorkoutSet, at: &str, v: &mut Violations) -> Option<NewSet> {
    let before = v.fields().len();
    let f = |name: &str| format!("{at}.{name}");
    let id = if s.id.is_empty() {
        None
    } else {
        v.check(&f("id"), Id::parse(&s.id))
    };
    let set_type = v.check(&f("set_type"), set_type(s.set_type));
    let reps = s
        .reps
        .and_then(|r| v.check(&f("reps"), within(r, 0, MAX_REPS)));
    let unit = v.check(&f("weight_unit"), weight_unit(s.weight_unit));
    let weight = match (s.weight, unit) {
        (Some(w), Some(unit)) => v.check(&f("weight"), Weight::parse(w, unit)),
        _ => None,
    };
    let distance_mm = s
        .distance_meters
        .and_then(|m| v.check(&f("distance_meters"), distance_mm(m)));
    let duration_s = s
        .duration_seconds
        .and_then(|d| v.check(&f("duration_seconds"), within(d, 0, MAX_DURATION_S)));
    let rpe_half = s.rpe.and_then(|r| v.check(&f("rpe"), rpe_half(r)));
    let rir = s.rir.and_then(|r| v.check(&f("rir"), within(r, 0, 10)));
    // One violation per field: an out-of-range rir is already named.
    if s.rpe.is_some() && rir.is_some() {
        v.add(f("rir"), "not with rpe: give one of them");
    }
    let rest_s = s
        .rest_seconds
        .and_then(|r| v.check(&f("rest_seconds"), within(r, 0, MAX_REST_S)));
    let notes = v.check(&f("notes"), short_text(&s.notes));
    if v.fields().len() != before {
        return None;
    }
    Some(NewSet {
        id,
        set_type: set_type?,
        reps,
        weight,
        distance_mm,
        duration_s,
        rpe_half,
        rir,
        rest_s,
        notes: notes?,
    })
}

/// Parses the entry at `at` (e.g. `entries[2]`); `None` once a violation is recorded.
fn new_entry(e: &pb::WorkoutEntry, at: &str, v: &mut Violations) -> Option<NewEntry> {
    let before = v.fields().len();
    let exercise_id = v.check(&format!("{at}.exercise_id"), Id::parse(&e.exercise_id));
    let superset = v.check(
        &format!("{at}.superset"),
        within(e.superset, 0, MAX_SUPERSET),
    );
    let notes = v.check(&format!("{at}.notes"), short_text(&e.notes));
    if e.sets.len() > MAX_SETS_PER_ENTRY {
        v.add(
            format!("{at}.sets"),
            format!("at most {MAX_SETS_PER_ENTRY} sets"),
        );
    }
    let sets: Vec<Option<NewSet>> = e
        .sets
        .iter()
        .take(MAX_SETS_PER_ENTRY)
        .enumerate()
        .map(|(j, s)| new_set(s, &format!("{at}.sets[{j}]"), v))
        .collect();
    if v.fields().len() != before {
        return None;
    }
    Some(NewEntry {
        exercise_id: exercise_id?,
        superset: superset?,
        notes: notes?,
        sets: sets.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

impl TryFrom<pb::ReplaceWorkoutEntriesRequest> for ReplaceEntries {
    type Error = Error;

    fn try_from(request: pb::ReplaceWorkoutEntriesRequest) -> Result<Self> {
        let mut v = Violations::new();
        let workout_id = v.check("workout_id", Id::parse(&request.workout_id));
        if request.entries.len() > MAX_ENTRIES {
            v.add("entries", format!("at most {MAX_ENTRIES} entries"));
        }
        let total: usize = request.entries.iter().map(|e| e.sets.len()).sum();
        if total > MAX_SETS {
            v.add("entries", format!("at most {MAX_SETS} sets in all"));
        }
        let entries: Vec<Option<NewEntry>> = request
            .entries
            .iter()
            .take(MAX_ENTRIES)
            .enumerate()
            .map(|(i, e)| new_entry(e, &format!("entries[{i}]"), &mut v))
            .collect();
        let request_id = v
            .check("request_id", RequestId::parse(&request.request_id))
            .flatten();
        let etag = (!request.etag.is_empty()).then_some(request.etag);
        let input = match (workout_id, entries.into_iter().collect::<Option<Vec<_>>>()) {
            (Some(workout_id), Some(entries)) => Some(Self {
                workout_id,
                entries,
                etag,
                request_id,
            }),
            _ => None,
        };
        parsed(v, input)
    }
}

/// A stored set on the wire.
pub(crate) fn set_to_pb(s: SetRow) -> pb::WorkoutSet {
    let set_type = match SetType::from_db_name(&s.set_type) {
        Some(SetType::Normal) => pb::SetType::Normal,
        Some(SetType::Warmup) => pb::SetType::Warmup,
        Some(SetType::Drop) => pb::SetType::Drop,
        Some(SetType::Failure) => pb::SetType::Failure,
        None => pb::SetType::Unspecified,
    };
    let unit = WeightUnit::from_db_name(&s.weight_unit).unwrap_or(WeightUnit::Kg);
    let weight = s.weight_milli.map(|milli| Weight::from_milli(milli, unit));
    pb::WorkoutSet {
        id: s.id,
        set_type: set_type as i32,
        reps: s.reps,
        weight: weight.map(Weight::value),
        weight_unit: match unit {
            WeightUnit::Kg => pb::WeightUnit::Kg,
            WeightUnit::Lb => pb::WeightUnit::Lb,
        } as i32,
        weight_kg: s.weight_g.map_or(0.0, thousandths),
        distance_meters: s.distance_mm.map(thousandths),
        duration_seconds: s.duration_s,
        rpe: s.rpe_half.map(|half| f64::from(half) / 2.0),
        rir: s.rir,
        rest_seconds: s.rest_s,
        notes: s.notes,
    }
}

/// A tracking mode on the wire.
pub(crate) fn mode_to_pb(mode: Option<TrackingMode>) -> pb::TrackingMode {
    match mode {
        Some(TrackingMode::WeightReps) => pb::TrackingMode::WeightReps,
        Some(TrackingMode::RepsOnly) => pb::TrackingMode::RepsOnly,
        Some(TrackingMode::Bodyweight) => pb::TrackingMode::Bodyweight,
        Some(TrackingMode::Assisted) => pb::TrackingMode::Assisted,
        Some(TrackingMode::Duration) => pb::TrackingMode::Duration,
        Some(TrackingMode::DistanceDuration) => pb::TrackingMode::DistanceDuration,
        None => pb::TrackingMode::Unspecified,
    }
}

/// A tracking mode from the wire: `None` for unspecified, `Err` for unknown numbers.
pub(crate) fn mode_from_pb(raw: i32) -> std::result::Result<Option<TrackingMode>, String> {
    match pb::TrackingMode::try_from(raw) {
        Ok(pb::TrackingMode::Unspecified) => Ok(None),
        Ok(pb::TrackingMode::WeightReps) => Ok(Some(TrackingMode::WeightReps)),
        Ok(pb::TrackingMode::RepsOnly) => Ok(Some(TrackingMode::RepsOnly)),
        Ok(pb::TrackingMode::Bodyweight) => Ok(Some(TrackingMode::Bodyweight)),
        Ok(pb::TrackingMode::Assisted) => Ok(Some(TrackingMode::Assisted)),
        Ok(pb::TrackingMode::Duration) => Ok(Some(TrackingMode::Duration)),
        Ok(pb::TrackingMode::DistanceDuration) => Ok(Some(TrackingMode::DistanceDuration)),
        Err(_) => Err("unknown tracking mode".into()),
    }
}

/// A stored entry with its sets on the wire.
pub(crate) fn entry_to_pb(e: Entry) -> pb::WorkoutEntry {
    let mode = TrackingMode::from_db_name(&e.row.tracking_mode);
    pb::WorkoutEntry {
        exercise_id: e.row.exercise_id,
        superset: e.row.superset,
        notes: e.row.notes,
        sets: e.sets.into_iter().map(set_to_pb).collect(),
        exercise_name: e.row.exercise_name,
        tracking_mode: mode_to_pb(mode) as i32,
    }
}
