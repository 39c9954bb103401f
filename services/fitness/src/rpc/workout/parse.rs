//! `WorkoutService` requests parsed into the domain's inputs: every field checked, every
//! violation collected into one `BadRequest`.

use shared::error::Violations;
use shared::paging::PageRequest;
use shared::pb::fitness::v1 as pb;

use crate::domain::ids::Id;
use shared::time::from_timestamp;

use crate::domain::values::{CalendarDate, Name, Search, Text, WorkoutType, ZoneName, check_end};
use crate::domain::workouts::{After, GetWorkout, NewWorkout, Order, WorkoutPatch, WorkoutQuery};
use crate::domain::{Batch, Create};
use crate::error::{Error, Result};
use crate::rpc::{batch, create, field, id, id_requests, parsed, update_paths};

/// A workout type from the wire; `None` for unspecified, `Err` for unknown numbers.
fn type_from_pb(raw: i32) -> Result<Option<WorkoutType>, String> {
    match pb::WorkoutType::try_from(raw) {
        Ok(pb::WorkoutType::Unspecified) => Ok(None),
        Ok(pb::WorkoutType::Strength) => Ok(Some(WorkoutType::Strength)),
        Ok(pb::WorkoutType::Cardio) => Ok(Some(WorkoutType::Cardio)),
        Ok(pb::WorkoutType::Flexibility) => Ok(Some(WorkoutType::Flexibility)),
        Ok(pb::WorkoutType::Balance) => Ok(Some(WorkoutType::Balance)),
        Ok(pb::WorkoutType::Endurance) => Ok(Some(WorkoutType::Endurance)),
        Err(_) => Err("unknown workout type".into()),
    }
}

fn required_type(raw: i32) -> Result<WorkoutType, String> {
    type_from_pb(raw)?.ok_or_else(|| {
        "required: one of STRENGTH, CARDIO, FLEXIBILITY, BALANCE, ENDURANCE".to_owned()
    })
}

/// A time from the wire, in microseconds since the epoch: a valid timestamp within the years
/// 0000–9999.
pub(crate) fn micros(ts: &prost_types::Timestamp) -> Result<i64, String> {
    const MESSAGE: &str = "must be a valid time between the years 0000 and 9999";
    // 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    const SECONDS: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;
    if !(0..1_000_000_000).contains(&ts.nanos) || !SECONDS.contains(&ts.seconds) {
        return Err(MESSAGE.into());
    }
    let micros = from_timestamp(ts);
    jiff::Timestamp::from_microsecond(micros)
        .map(|_| micros)
        .map_err(|_| MESSAGE.into())
}

/// Parses the workout of a create request at `prefix` (e.g. `requests[3].workout`). An empty
/// date with a start is the start's date in the workout's zone.
fn new_workout(w: Option<&pb::Workout>, prefix: &str, v: &mut Violations) -> Option<NewWorkout> {
    let Some(w) = w else {
        v.add(prefix, "required");
        return None;
    };
    let title = v.check(&field(prefix, "title"), Name::parse(&w.title));
    let notes = v.check(&field(prefix, "notes"), Text::parse(&w.notes));
    let workout_type = v.check(
        &field(prefix, "workout_type"),
        required_type(w.workout_type),
    );
    let time_zone = v.check(&field(prefix, "time_zone"), ZoneName::parse(&w.time_zone));
    let started_at = w
        .started_at
        .as_ref()
        .map(|ts| v.check(&field(prefix, "started_at"), micros(ts)));
    let ended_at = w
        .ended_at
        .as_ref()
        .map(|ts| v.check(&field(prefix, "ended_at"), micros(ts)));
    let date = match (&time_zone, started_at) {
        (Some(zone), Some(Some(start))) if w.date.is_empty() => {
            v.check(&field(prefix, "started_at"), zone.local_date(start))
        }
        // The zone or the start is already reported.
        (None, _) | (_, Some(None)) if w.date.is_empty() => None,
        _ => v.check(&field(prefix, "date"), CalendarDate::parse(&w.date)),
    };
    // Only against a valid start (or none): an invalid one is already reported.
    if let (None | Some(Some(_)), Some(Some(end))) = (started_at, ended_at) {
        let end = check_end(started_at.flatten(), Some(end));
        v.check(&field(prefix, "ended_at"), end);
    }
    Some(NewWorkout {
        title: title?,
        date: date?,
        notes: notes?,
        workout_type: workout_type?,
        started_at: started_at.flatten(),
        ended_at: ended_at.flatten(),
        time_zone: time_zone?,
        import_key: None,
    })
}

impl TryFrom<pb::CreateWorkoutRequest> for Create<NewWorkout> {
    type Error = Error;

    fn try_from(request: pb::CreateWorkoutRequest) -> Result<Self> {
        let workout = request.workout.as_ref();
        create(&request.request_id, |v| new_workout(workout, "workout", v))
    }
}

impl TryFrom<pb::BatchCreateWorkoutsRequest> for Batch<NewWorkout> {
    type Error = Error;

    fn try_from(request: pb::BatchCreateWorkoutsRequest) -> Result<Self> {
        batch(&request.requests, &request.request_id, |r, at, v| {
            new_workout(r.workout.as_ref(), &field(at, "workout"), v)
        })
    }
}

impl TryFrom<pb::GetWorkoutRequest> for GetWorkout {
    type Error = Error;

    fn try_from(request: pb::GetWorkoutRequest) -> Result<Self> {
        Ok(Self {
            id: id("id", &request.id)?,
            include_exercises: request.include_exercises,
            include_entries: request.include_entries,
        })
    }
}

id_requests!(pb::DeleteWorkoutRequest);

impl TryFrom<pb::UpdateWorkoutRequest> for WorkoutPatch {
    type Error = Error;

    fn try_from(request: pb::UpdateWorkoutRequest) -> Result<Self> {
        let Some(w) = request.workout else {
            return Err(Error::invalid("workout", "required"));
        };
        let mut v = Violations::new();
        let id = v.check("workout.id", Id::parse(&w.id));
        let fields = [
            ("title", !w.title.is_empty()),
            ("date", !w.date.is_empty()),
            ("notes", !w.notes.is_empty()),
            ("workout_type", w.workout_type != 0),
            ("started_at", w.started_at.is_some()),
            ("ended_at", w.ended_at.is_some()),
            ("time_zone", !w.time_zone.is_empty()),
        ];
        let paths = update_paths(request.update_mask.as_ref(), &fields, &mut v);
        let mut patch = WorkoutPatch {
            id: id.unwrap_or_else(Id::generate),
            title: None,
            date: None,
            notes: None,
            workout_type: None,
            started_at: None,
            ended_at: None,
            time_zone: None,
        };
        for path in paths {
            match path {
                "title" => patch.title = v.check("workout.title", Name::parse(&w.title)),
                "date" => patch.date = v.check("workout.date", CalendarDate::parse(&w.date)),
                "notes" => patch.notes = v.check("workout.notes", Text::parse(&w.notes)),
                "started_at" => {
                    let at = w.started_at.as_ref().map(micros).transpose();
                    patch.started_at = v.check("workout.started_at", at);
                }
                "ended_at" => {
                    let at = w.ended_at.as_ref().map(micros).transpose();
                    patch.ended_at = v.check("workout.ended_at", at);
                }
                "time_zone" => {
                    let zone = ZoneName::parse(&w.time_zone);
                    patch.time_zone = v.check("workout.time_zone", zone);
                }
                _ => {
                    let workout_type = required_type(w.workout_type);
                    patch.workout_type = v.check("workout.workout_type", workout_type);
                }
            }
        }
        parsed(v, Some(patch))
    }
}

/// An optional date filter: empty means none.
fn date_filter(raw: &str, name: &str, v: &mut Violations) -> Option<CalendarDate> {
    if raw.is_empty() {
        None
    } else {
        v.check(name, CalendarDate::parse(raw))
    }
}

impl TryFrom<pb::ListWorkoutsRequest> for WorkoutQuery {
    type Error = Error;

    fn try_from(request: pb::ListWorkoutsRequest) -> Result<Self> {
        let mut v = Violations::new();
        let workout_type = v
            .check("workout_type", type_from_pb(request.workout_type))
            .flatten();
        let date_from = date_filter(&request.date_from, "date_from", &mut v);
        let date_to = date_filter(&request.date_to, "date_to", &mut v);
        if let (Some(from), Some(to)) = (&date_from, &date_to)
            && to < from
        {
            v.add("date_to", "must not be before date_from");
        }
        let title_contains = v
            .check("title_contains", Search::parse(&request.title_contains))
            .flatten();
        let (order, order_name) = match pb::WorkoutOrder::try_from(request.order_by) {
            Ok(pb::WorkoutOrder::Unspecified | pb::WorkoutOrder::DateDesc) => {
                (Order::DateDesc, "date")
            }
            Ok(pb::WorkoutOrder::CreatedAtDesc) => (Order::CreatedDesc, "created"),
            Err(_) => {
                v.add("order_by", "unknown order");
                (Order::DateDesc, "date")
            }
        };
        let filters = [
            "workouts",
            workout_type.map_or("", WorkoutType::db_name),
            date_from.as_ref().map_or("", CalendarDate::as_str),
            date_to.as_ref().map_or("", CalendarDate::as_str),
            title_contains.as_ref().map_or("", Search::as_str),
            order_name,
        ];
        let page = PageRequest::parse(request.page_size, &request.page_token, &filters, &mut v);
        // The fingerprint binds the order, so only a forged token can name the other order's
        // position; refused all the same, since its key would be compared with another column.
        let consistent = matches!(
            (order, &page.after),
            (_, None)
                | (Order::DateDesc, Some(After::Date(..)))
                | (Order::CreatedDesc, Some(After::Created(..)))
        );
        if !consistent {
            v.add("page_token", "not a page token from this listing");
        }
        let query = Self {
            workout_type,
            date_from,
            date_to,
            title_contains,
            order,
            page,
        };
        parsed(v, Some(query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_refused_outside_the_years_0000_to_9999() {
        let at = |seconds, nanos| prost_types::Timestamp { seconds, nanos };
        assert_eq!(micros(&at(0, 5_000)), Ok(5));
        assert!(micros(&at(-62_167_219_200, 0)).is_ok(), "0000-01-01");
        assert!(micros(&at(253_402_128_000, 0)).is_ok(), "9999-12-30");
        assert!(micros(&at(-62_167_219_201, 0)).is_err(), "a negative year");
        assert!(micros(&at(253_402_300_800, 0)).is_err(), "the year 10000");
        assert!(micros(&at(0, -1)).is_err());
        assert!(micros(&at(0, 1_000_000_000)).is_err());
        assert!(micros(&at(i64::MIN, 0)).is_err());
    }
}
