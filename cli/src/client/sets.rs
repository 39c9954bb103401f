//! `stride sets list|add|delete|replace`: the entries of a workout and their sets.
//!
//! A workout's entries are written whole, by `ReplaceWorkoutEntries`. `add` and `delete` read
//! them (`GetWorkout` with `include_entries`), change one set, and write them back with the
//! workout's `etag`: if anything changed the workout in between, the server refuses the write
//! (FAILED_PRECONDITION `ETAG_MISMATCH`) instead of the command overwriting that change.
//! `replace` sends a JSON file of entries in one call: all are written or none.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use prost::Message as _;
use prost_reflect::DynamicMessage;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{
    GetWorkoutRequest, GetWorkoutResponse, ReplaceWorkoutEntriesRequest,
    ReplaceWorkoutEntriesResponse, SetType, WorkoutEntry, WorkoutSet,
};
use tonic::Code;

use super::catalogue::mode_label;
use super::units::{self, WeightArg, show_distance, show_seconds, show_weight};
use super::{Authed, Client, failure};
use crate::error::{Failure, reason};
use crate::output::{self, enum_label};

/// What to tell a person whose write lost the race with another change.
const CHANGED: &str = "the workout changed since it was read, so nothing was written: run the \
                       command again to apply it to the new version";

/// `stride sets …`
#[derive(Debug, Subcommand)]
pub enum SetsCommand {
    /// List a workout's entries and their sets
    List {
        /// Workout id
        workout_id: String,
    },
    /// Add a set to a workout (a new entry when the exercise is not in it yet)
    Add(AddArgs),
    /// Delete one set of a workout
    Delete {
        /// Workout id
        workout_id: String,
        /// Set id (see `stride sets list`)
        set_id: String,
        /// Only if the workout is still at this etag (from `stride --json sets list`)
        #[arg(long, value_name = "ETAG")]
        etag: Option<String>,
    },
    /// Replace all of a workout's entries with those of a JSON file, in one all-or-nothing call
    Replace(ReplaceArgs),
}

/// Kind of set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// A warm-up set: counted in totals, never a record
    Warmup,
    /// A working set
    Normal,
    /// A drop set
    Drop,
    /// A set to failure
    Failure,
}

impl From<Kind> for SetType {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Warmup => SetType::Warmup,
            Kind::Normal => SetType::Normal,
            Kind::Drop => SetType::Drop,
            Kind::Failure => SetType::Failure,
        }
    }
}

/// `stride sets add`
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Workout id
    pub workout_id: String,
    /// Exercise id (one of yours; see `stride exercises list`)
    pub exercise_id: String,
    /// Repetitions
    #[arg(long)]
    pub reps: Option<i32>,
    /// Weight with its unit: 100kg, 102.5kg, 225lb
    #[arg(long, value_parser = units::weight, value_name = "WEIGHT")]
    pub weight: Option<WeightArg>,
    /// Distance with its unit: 400m, 5km, 3.1mi
    #[arg(long, value_parser = units::distance, value_name = "DISTANCE")]
    pub distance: Option<f64>,
    /// Duration: 30s, 25m, 1h30m, 1:30
    #[arg(long, value_parser = units::seconds, value_name = "DURATION")]
    pub duration: Option<i32>,
    /// Rate of perceived exertion, 6–10 in steps of 0.5
    #[arg(long, value_parser = units::rpe, conflicts_with = "rir")]
    pub rpe: Option<f64>,
    /// Reps in reserve, 0–10
    #[arg(long)]
    pub rir: Option<i32>,
    /// Kind of set
    #[arg(long = "type", value_name = "TYPE", default_value = "normal")]
    pub kind: Kind,
    /// Rest after the set: 90s, 2m, 1:30
    #[arg(long, value_parser = units::seconds, value_name = "DURATION")]
    pub rest: Option<i32>,
    /// Free-text notes
    #[arg(long, default_value = "", hide_default_value = true)]
    pub notes: String,
    /// Only if the workout is still at this etag (from `stride --json sets list`)
    #[arg(long, value_name = "ETAG")]
    pub etag: Option<String>,
}

/// `stride sets replace`
#[derive(Debug, Args)]
pub struct ReplaceArgs {
    /// Workout id
    pub workout_id: String,
    /// JSON file (`-`: stdin): an array of entries, or an object with `entries`, in the
    /// proto3 JSON mapping of WorkoutEntry (`exercise_id`, `superset`, `notes`, `sets`)
    pub file: PathBuf,
    /// Only if the workout is still at this etag; without it the entries are replaced
    /// whatever changed
    #[arg(long, value_name = "ETAG")]
    pub etag: Option<String>,
    /// Idempotency key: retrying with the same key writes nothing more
    #[arg(long, default_value = "", hide_default_value = true)]
    pub request_id: String,
}

/// Runs `stride sets …`.
pub async fn sets(client: &Client, command: SetsCommand) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut api = WorkoutServiceClient::new(signed_in.fitness().await?);
    let out = client.out;
    match command {
        SetsCommand::List { workout_id } => {
            let response = read(&mut api, workout_id).await?;
            out.show(&response, "stride.fitness.v1.GetWorkoutResponse", || {
                entries_table(&response.entries)
            })
        }
        SetsCommand::Add(args) => {
            let current = read(&mut api, args.workout_id.clone()).await?;
            let etag = args.etag.clone();
            let (workout_id, entries) = with_added(current.entries, args);
            let response = write(
                &mut api,
                workout_id,
                entries,
                etag.or(current.workout.map(|w| w.etag)),
            )
            .await?;
            out.show(
                &response,
                "stride.fitness.v1.ReplaceWorkoutEntriesResponse",
                || entries_table(&response.entries),
            )
        }
        SetsCommand::Delete {
            workout_id,
            set_id,
            etag,
        } => {
            let current = read(&mut api, workout_id.clone()).await?;
            let entries = without(current.entries, &set_id).ok_or_else(|| {
                Failure::Other(format!("workout {workout_id} has no set {set_id}"))
            })?;
            write(
                &mut api,
                workout_id,
                entries,
                etag.or(current.workout.map(|w| w.etag)),
            )
            .await?;
            out.done(&format!("deleted set {set_id}"));
            Ok(())
        }
        SetsCommand::Replace(args) => {
            let text = if args.file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
            } else {
                std::fs::read_to_string(&args.file)
            }
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", args.file.display())))?;
            let entries = parse_entries(&text)
                .map_err(|e| Failure::Usage(format!("{}: {e}", args.file.display())))?;
            let response = answer_replace(
                api.replace_workout_entries(ReplaceWorkoutEntriesRequest {
                    workout_id: args.workout_id,
                    entries,
                    etag: args.etag.unwrap_or_default(),
                    request_id: args.request_id,
                })
                .await,
            )?;
            out.show(
                &response,
                "stride.fitness.v1.ReplaceWorkoutEntriesResponse",
                || entries_table(&response.entries),
            )
        }
    }
}

/// The workout with its entries.
async fn read(
    api: &mut WorkoutServiceClient<Authed>,
    id: String,
) -> Result<GetWorkoutResponse, Failure> {
    super::answer(
        api.get_workout(GetWorkoutRequest {
            id,
            include_exercises: false,
            include_entries: true,
        })
        .await,
    )
}

/// Writes `entries` if the workout is still at `etag`.
async fn write(
    api: &mut WorkoutServiceClient<Authed>,
    workout_id: String,
    entries: Vec<WorkoutEntry>,
    etag: Option<String>,
) -> Result<ReplaceWorkoutEntriesResponse, Failure> {
    answer_replace(
        api.replace_workout_entries(ReplaceWorkoutEntriesRequest {
            workout_id,
            entries,
            etag: etag.unwrap_or_default(),
            request_id: String::new(),
        })
        .await,
    )
}

/// The answer of a replace, with a hint when it lost a race with another change.
fn answer_replace(
    result: Result<tonic::Response<ReplaceWorkoutEntriesResponse>, tonic::Status>,
) -> Result<ReplaceWorkoutEntriesResponse, Failure> {
    result.map(tonic::Response::into_inner).map_err(|status| {
        if status.code() == Code::FailedPrecondition
            && reason(&status).as_deref() == Some("ETAG_MISMATCH")
        {
            Failure::status_with_hint(status, CHANGED)
        } else {
            failure(status)
        }
    })
}

/// A set as read, to be sent back unchanged: its id kept, output-only fields cleared.
fn as_input(set: WorkoutSet) -> WorkoutSet {
    WorkoutSet {
        weight_kg: 0.0,
        ..set
    }
}

/// Entries as read, to be sent back: output-only fields cleared.
fn as_inputs(entries: Vec<WorkoutEntry>) -> Vec<WorkoutEntry> {
    entries
        .into_iter()
        .map(|e| WorkoutEntry {
            exercise_name: String::new(),
            tracking_mode: 0,
            sets: e.sets.into_iter().map(as_input).collect(),
            ..e
        })
        .collect()
}

/// The workout id and its entries with the set of `args` appended to its exercise's entry (a
/// new last entry when the workout has none for that exercise).
fn with_added(entries: Vec<WorkoutEntry>, args: AddArgs) -> (String, Vec<WorkoutEntry>) {
    let mut entries = as_inputs(entries);
    let set = WorkoutSet {
        set_type: SetType::from(args.kind) as i32,
        reps: args.reps,
        weight: args.weight.map(|w| w.value),
        weight_unit: args.weight.map_or(0, |w| w.unit as i32),
        distance_meters: args.distance,
        duration_seconds: args.duration,
        rpe: args.rpe,
        rir: args.rir,
        rest_seconds: args.rest,
        notes: args.notes,
        ..WorkoutSet::default()
    };
    match entries
        .iter_mut()
        .find(|e| e.exercise_id == args.exercise_id)
    {
        Some(entry) => entry.sets.push(set),
        None => entries.push(WorkoutEntry {
            exercise_id: args.exercise_id,
            sets: vec![set],
            ..WorkoutEntry::default()
        }),
    }
    (args.workout_id, entries)
}

/// The entries without the set `set_id`; `None` when no entry has it.
fn without(entries: Vec<WorkoutEntry>, set_id: &str) -> Option<Vec<WorkoutEntry>> {
    let mut entries = as_inputs(entries);
    let entry = entries
        .iter_mut()
        .find(|e| e.sets.iter().any(|s| s.id == set_id))?;
    entry.sets.retain(|s| s.id != set_id);
    Some(entries)
}

/// The entries of a JSON document: an array of WorkoutEntry or `{"entries": [...]}`, in the
/// proto3 JSON mapping (proto or lowerCamelCase field names).
pub fn parse_entries(text: &str) -> Result<Vec<WorkoutEntry>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let document = match value {
        serde_json::Value::Array(_) => serde_json::json!({ "entries": value }),
        serde_json::Value::Object(ref object) if object.keys().all(|k| k == "entries") => value,
        _ => {
            return Err(
                "expected an array of entries, or an object with only \"entries\"".to_owned(),
            );
        }
    };
    let pool = prost_reflect::DescriptorPool::decode(shared::FILE_DESCRIPTOR_SET)
        .map_err(|e| format!("cannot read the built-in descriptor set: {e}"))?;
    let descriptor = pool
        .get_message_by_name("stride.fitness.v1.ReplaceWorkoutEntriesRequest")
        .ok_or("the descriptor set lacks ReplaceWorkoutEntriesRequest")?;
    let dynamic = DynamicMessage::deserialize(descriptor, document)
        .map_err(|e| format!("not a list of workout entries: {e}"))?;
    ReplaceWorkoutEntriesRequest::decode(dynamic.encode_to_vec().as_slice())
        .map(|r| r.entries)
        .map_err(|e| format!("not a list of workout entries: {e}"))
}

fn set_type_label(set_type: i32) -> String {
    match SetType::try_from(set_type) {
        Ok(SetType::Unspecified) | Err(_) => "normal".to_owned(),
        Ok(t) => enum_label(t.as_str_name(), "SET_TYPE_"),
    }
}

/// The measure cells of a set: type, reps, weight, distance, duration, effort, rest.
pub fn set_cells(s: &WorkoutSet) -> Vec<String> {
    let effort = match (s.rpe, s.rir) {
        (Some(rpe), _) => format!("RPE {}", units::decimal(rpe)),
        (None, Some(rir)) => format!("RIR {rir}"),
        (None, None) => String::new(),
    };
    vec![
        set_type_label(s.set_type),
        s.reps.map(|r| r.to_string()).unwrap_or_default(),
        s.weight
            .map(|w| show_weight(w, s.weight_unit))
            .unwrap_or_default(),
        s.distance_meters.map(show_distance).unwrap_or_default(),
        s.duration_seconds
            .map(|d| show_seconds(d.into()))
            .unwrap_or_default(),
        effort,
        s.rest_seconds
            .map(|r| show_seconds(r.into()))
            .unwrap_or_default(),
    ]
}

/// The headers of [`set_cells`].
pub const SET_HEADERS: [&str; 7] = [
    "TYPE", "REPS", "WEIGHT", "DISTANCE", "DURATION", "EFFORT", "REST",
];

/// Entries and their sets as one table: a row per set (a row with empty set columns for an
/// entry without sets).
pub fn entries_table(entries: &[WorkoutEntry]) -> String {
    let mut rows = Vec::new();
    for entry in entries {
        let exercise = if entry.superset > 0 {
            format!("{} [superset {}]", entry.exercise_name, entry.superset)
        } else {
            entry.exercise_name.clone()
        };
        let head = vec![exercise, mode_label(entry.tracking_mode)];
        if entry.sets.is_empty() {
            let mut row = head.clone();
            row.extend(std::iter::repeat_n(String::new(), 9));
            rows.push(row);
        }
        for (i, set) in entry.sets.iter().enumerate() {
            let mut row = head.clone();
            row.push((i + 1).to_string());
            row.extend(set_cells(set));
            row.push(set.id.clone());
            rows.push(row);
        }
    }
    let mut headers = vec!["EXERCISE", "MODE", "#"];
    headers.extend(SET_HEADERS);
    headers.push("SET ID");
    output::table(&headers, &rows, "no entries")
}

#[cfg(test)]
mod tests {
    use shared::pb::fitness::v1::{TrackingMode, WeightUnit};

    use super::*;

    fn squat() -> WorkoutEntry {
        WorkoutEntry {
            exercise_id: "e1".into(),
            exercise_name: "Squat".into(),
            tracking_mode: TrackingMode::WeightReps as i32,
            sets: vec![WorkoutSet {
                id: "s1".into(),
                reps: Some(5),
                weight: Some(225.0),
                weight_unit: WeightUnit::Lb as i32,
                weight_kg: 102.058,
                rpe: Some(8.5),
                ..WorkoutSet::default()
            }],
            ..WorkoutEntry::default()
        }
    }

    fn add(exercise: &str) -> AddArgs {
        AddArgs {
            workout_id: "w1".into(),
            exercise_id: exercise.into(),
            reps: Some(3),
            weight: Some(WeightArg {
                value: 100.0,
                unit: WeightUnit::Kg,
            }),
            distance: None,
            duration: None,
            rpe: None,
            rir: Some(2),
            kind: Kind::Warmup,
            rest: Some(90),
            notes: String::new(),
            etag: None,
        }
    }

    #[test]
    fn a_set_is_appended_to_its_exercise_and_the_rest_is_sent_back_as_read() {
        let (workout, entries) = with_added(vec![squat()], add("e1"));
        assert_eq!(workout, "w1");
        assert_eq!(entries.len(), 1);
        let sets = &entries[0].sets;
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].id, "s1", "existing sets keep their ids");
        assert_eq!(sets[0].weight, Some(225.0));
        assert_eq!(sets[0].weight_unit, WeightUnit::Lb as i32);
        assert_eq!(sets[0].weight_kg, 0.0, "output-only fields are not sent");
        assert_eq!(entries[0].exercise_name, "");
        assert_eq!(sets[1].id, "");
        assert_eq!(sets[1].set_type, SetType::Warmup as i32);
        assert_eq!(
            (sets[1].reps, sets[1].rir, sets[1].rest_seconds),
            (Some(3), Some(2), Some(90))
        );
    }

    #[test]
    fn a_set_of_a_new_exercise_is_a_new_last_entry() {
        let (_, entries) = with_added(vec![squat()], add("e2"));
        let ids: Vec<&str> = entries.iter().map(|e| e.exercise_id.as_str()).collect();
        assert_eq!(ids, ["e1", "e2"]);
        assert_eq!(entries[1].sets.len(), 1);
    }

    #[test]
    fn deleting_removes_only_that_set_and_an_unknown_set_is_none() {
        let entries = without(vec![squat()], "s1").unwrap();
        assert_eq!(entries.len(), 1, "the entry stays");
        assert!(entries[0].sets.is_empty());
        assert!(without(vec![squat()], "nope").is_none());
    }

    #[test]
    fn entries_parse_from_an_array_or_an_object_in_either_spelling() {
        let array = r#"[{"exercise_id": "e1", "sets": [{"reps": 5, "weight": 100, "weight_unit": "WEIGHT_UNIT_KG"}]},
                        {"exerciseId": "e2", "superset": 1, "sets": [{"distanceMeters": 400.5, "setType": "SET_TYPE_WARMUP"}]}]"#;
        let entries = parse_entries(array).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].sets[0].weight, Some(100.0));
        assert_eq!(entries[1].sets[0].distance_meters, Some(400.5));
        assert_eq!(entries[1].sets[0].set_type, SetType::Warmup as i32);
        let object = r#"{"entries": [{"exercise_id": "e1"}]}"#;
        assert_eq!(parse_entries(object).unwrap().len(), 1);
        assert!(parse_entries("{").unwrap_err().contains("not JSON"));
        assert!(
            parse_entries(r#"{"workout_id": "w"}"#)
                .unwrap_err()
                .contains("only \"entries\"")
        );
        assert!(
            parse_entries(r#"[{"exercise_id": "e1", "sets": [{"reps": "many"}]}]"#)
                .unwrap_err()
                .contains("not a list of workout entries")
        );
    }

    #[test]
    fn entries_read_as_one_row_per_set() {
        let mut empty = squat();
        empty.exercise_name = "Plank".into();
        empty.superset = 2;
        empty.tracking_mode = TrackingMode::Duration as i32;
        empty.sets.clear();
        let text = entries_table(&[squat(), empty]);
        assert_eq!(
            text,
            "EXERCISE            MODE         #  TYPE    REPS  WEIGHT  DISTANCE  DURATION  EFFORT   REST  SET ID\n\
             Squat               weight-reps  1  normal  5     225 lb                      RPE 8.5        s1\n\
             Plank [superset 2]  duration\n"
        );
    }
}
