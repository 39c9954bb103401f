//! `ExerciseService` requests parsed into the domain's inputs: every field checked, every
//! violation collected into one `BadRequest`.

use std::collections::HashSet;

use shared::error::Violations;
use shared::paging::PageRequest;
use shared::pb::fitness::v1 as pb;

use crate::domain::exercises::{CatalogueRef, ExercisePatch, ExerciseQuery, NewExercise};
use crate::domain::ids::Id;
use crate::domain::training::TrackingMode;
use crate::domain::values::{Minutes, Name, Search, Text};
use crate::domain::{Batch, Create};
use crate::error::{Error, Result};
use crate::rpc::workout::entries::mode_from_pb;
use crate::rpc::{batch, create, field, id_requests, parsed, update_paths};

/// Most workouts one exercise may be linked to (a bound on one request's work).
const MAX_LINKS: usize = 100;

/// Distinct workout ids at `path` (e.g. `exercise.workout_ids`), each named by index.
fn workout_ids(raw: &[String], path: &str, v: &mut Violations) -> Vec<Id> {
    if raw.len() > MAX_LINKS {
        v.add(path, format!("at most {MAX_LINKS} workouts"));
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(raw.len());
    for (i, id) in raw.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if let Some(id) = v.check(&at, Id::parse(id)) {
            if seen.insert(id.clone()) {
                ids.push(id);
            } else {
                v.add(at, "duplicate workout id");
            }
        }
    }
    ids
}

fn duration(raw: Option<i32>, path: &str, v: &mut Violations) -> Option<Minutes> {
    raw.and_then(|m| v.check(path, Minutes::parse(m)))
}

/// Parses the exercise of a create request at `prefix` (e.g. `requests[3].exercise`).
fn new_exercise(e: Option<&pb::Exercise>, prefix: &str, v: &mut Violations) -> Option<NewExercise> {
    let Some(e) = e else {
        v.add(prefix, "required");
        return None;
    };
    let name = v.check(&field(prefix, "name"), Name::parse(&e.name));
    let description = v.check(&field(prefix, "description"), Text::parse(&e.description));
    let before = v.fields().len();
    let duration_minutes = duration(e.duration_minutes, &field(prefix, "duration_minutes"), v);
    let workout_ids = workout_ids(&e.workout_ids, &field(prefix, "workout_ids"), v);
    let reference = CatalogueRef::parse(&e.catalogue_entry_id);
    let catalogue_entry_id = v.check(&field(prefix, "catalogue_entry_id"), reference);
    let mode = v.check(
        &field(prefix, "tracking_mode"),
        mode_from_pb(e.tracking_mode),
    );
    if v.fields().len() != before {
        return None;
    }
    Some(NewExercise {
        name: name?,
        description: description?,
        duration: duration_minutes,
        workout_ids,
        catalogue_entry_id: catalogue_entry_id?,
        tracking_mode: mode?.unwrap_or(TrackingMode::WeightReps),
    })
}

impl TryFrom<pb::CreateExerciseRequest> for Create<NewExercise> {
    type Error = Error;

    fn try_from(request: pb::CreateExerciseRequest) -> Result<Self> {
        let exercise = request.exercise.as_ref();
        create(&request.request_id, |v| {
            new_exercise(exercise, "exercise", v)
        })
    }
}

impl TryFrom<pb::BatchCreateExercisesRequest> for Batch<NewExercise> {
    type Error = Error;

    fn try_from(request: pb::BatchCreateExercisesRequest) -> Result<Self> {
        batch(&request.requests, &request.request_id, |r, at, v| {
            new_exercise(r.exercise.as_ref(), &field(at, "exercise"), v)
        })
    }
}

id_requests!(pb::GetExerciseRequest, pb::DeleteExerciseRequest);

impl TryFrom<pb::UpdateExerciseRequest> for ExercisePatch {
    type Error = Error;

    fn try_from(request: pb::UpdateExerciseRequest) -> Result<Self> {
        let Some(e) = request.exercise else {
            return Err(Error::invalid("exercise", "required"));
        };
        let mut v = Violations::new();
        let id = v.check("exercise.id", Id::parse(&e.id));
        let fields = [
            ("name", !e.name.is_empty()),
            ("description", !e.description.is_empty()),
            ("duration_minutes", e.duration_minutes.is_some()),
            ("workout_ids", !e.workout_ids.is_empty()),
            ("catalogue_entry_id", !e.catalogue_entry_id.is_empty()),
            ("tracking_mode", e.tracking_mode != 0),
        ];
        let paths = update_paths(request.update_mask.as_ref(), &fields, &mut v);
        let mut patch = ExercisePatch {
            id: id.unwrap_or_else(Id::generate),
            name: None,
            description: None,
            duration: None,
            workout_ids: None,
            catalogue_entry_id: None,
            tracking_mode: None,
        };
        for path in paths {
            match path {
                "name" => patch.name = v.check("exercise.name", Name::parse(&e.name)),
                "description" => {
                    let description = Text::parse(&e.description);
                    patch.description = v.check("exercise.description", description);
                }
                "duration_minutes" => {
                    let path = "exercise.duration_minutes";
                    patch.duration = Some(duration(e.duration_minutes, path, &mut v));
                }
                "workout_ids" => {
                    let ids = workout_ids(&e.workout_ids, "exercise.workout_ids", &mut v);
                    patch.workout_ids = Some(ids);
                }
                "catalogue_entry_id" => {
                    let reference = CatalogueRef::parse(&e.catalogue_entry_id);
                    patch.catalogue_entry_id = v.check("exercise.catalogue_entry_id", reference);
                }
                _ => {
                    let mode = mode_from_pb(e.tracking_mode);
                    let mode = v.check("exercise.tracking_mode", mode);
                    patch.tracking_mode = mode.map(|m| m.unwrap_or(TrackingMode::WeightReps));
                }
            }
        }
        parsed(v, Some(patch))
    }
}

impl TryFrom<pb::ListExercisesRequest> for ExerciseQuery {
    type Error = Error;

    fn try_from(request: pb::ListExercisesRequest) -> Result<Self> {
        let mut v = Violations::new();
        let workout_id = if request.workout_id.is_empty() {
            None
        } else {
            v.check("workout_id", Id::parse(&request.workout_id))
        };
        let name_contains = v
            .check("name_contains", Search::parse(&request.name_contains))
            .flatten();
        let min = duration(request.min_duration_minutes, "min_duration_minutes", &mut v);
        let max = duration(request.max_duration_minutes, "max_duration_minutes", &mut v);
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            v.add(
                "max_duration_minutes",
                "must not be below min_duration_minutes",
            );
        }
        let bound = |m: Option<Minutes>| m.map(|m| m.get().to_string()).unwrap_or_default();
        let filters = [
            "exercises",
            workout_id.as_ref().map_or("", Id::as_str),
            name_contains.as_ref().map_or("", Search::as_str),
            &bound(min),
            &bound(max),
        ];
        let page = PageRequest::parse(request.page_size, &request.page_token, &filters, &mut v);
        let query = Self {
            workout_id,
            name_contains,
            min_duration: min,
            max_duration: max,
            page,
        };
        parsed(v, Some(query))
    }
}
