//! Entry points for the fuzz targets in `fuzz/` and for `tests/corpus.rs`, which replays their
//! seed corpus in the normal test run. Not an API: each function runs the real verifier,
//! request parser or import parser on untrusted bytes and answers whether they were accepted;
//! an `Err` names an invariant the code broke (the fuzz target turns it into a crash).

use std::time::Duration;

use prost::Message;
use shared::pb::auth::v1 as auth_pb;
use shared::pb::fitness::v1 as pb;
use shared::secret::Secret;
use tokio::runtime::Runtime;

use crate::auth::client::AuthClient;
use crate::auth::jwks::Jwks;
use crate::auth::token::Verifier;
use crate::domain::clock::Clock;
use crate::domain::exercises::{ExercisePatch, ExerciseQuery, NewExercise};
use crate::domain::ids::Id;
use crate::domain::import::{self, Malformed, Parser, Source, Upload};
use crate::domain::stats::{LeaderboardQuery, SetEvaluation};
use crate::domain::training::WeightUnit;
use crate::domain::values::{MAX_NAME_CHARS, MAX_SET_NOTES_CHARS, MAX_TEXT_CHARS, ZoneName};
use crate::domain::workouts::{GetWorkout, NewWorkout, WorkoutPatch, WorkoutQuery};
use crate::domain::{Batch, Create};
use crate::error::{Error, Result};

/// The auth service fixture's clock (`stride_auth::fuzzing::NOW`), in microseconds: tokens it
/// mints verify here too, so one seed corpus serves both verifiers.
const NOW: i64 = 1_767_225_600_000_000;
/// The auth fixture's `iss`.
const ISSUER: &str = "stride-fuzz";
/// The auth fixture's access-token `aud`.
const AUDIENCE: &str = "stride-fuzz-api";
/// The auth fixture's key id.
const KID: &str = "_oEsEvOrTOasXbaaw1L5Bg";
/// The auth fixture's public key (JWK `x`).
const X: &str = "6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw";

/// The fitness auth layer's token verifier over a JWKS holding the auth fixture's key, with
/// a clock stopped at the auth fixture's "now".
#[derive(Debug)]
pub struct TokenVerifier {
    /// Verification is async (the JWKS may refetch); the auth service is never reached.
    runtime: Runtime,
    verifier: Verifier,
    jwks: Jwks,
}

impl TokenVerifier {
    /// Builds the fixture. Its auth client points at a closed port and is never called: the
    /// JWKS is preloaded and refuses unknown key ids for an hour.
    pub fn new() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::internal)?;
        // The lazy channel spawns its worker, so it is made inside the runtime.
        let client = runtime.block_on(async {
            AuthClient::new(
                "http://127.0.0.1:9",
                None,
                &Secret::new("fuzz"),
                Duration::from_millis(100),
            )
        });
        let client = client.map_err(Error::internal)?;
        let key = auth_pb::Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: X.into(),
            kid: KID.into(),
            alg: "EdDSA".into(),
            r#use: "sig".into(),
        };
        let keys = auth_pb::GetJwksResponse { keys: vec![key] };
        let jwks = Jwks::preloaded(client, Duration::from_secs(3_600), keys);
        let clock = Clock::from_fn(|| NOW);
        let verifier = Verifier::new(ISSUER, AUDIENCE, Duration::from_secs(60), clock);
        Ok(Self {
            runtime,
            verifier,
            jwks,
        })
    }

    /// True when `token` verifies as an access token.
    pub fn verify(&self, token: &str) -> bool {
        let verified = self.verifier.verify(&self.jwks, token);
        self.runtime.block_on(verified).is_ok()
    }
}

/// Every request type with a `TryFrom` parser, in the order of the selector byte.
pub const REQUESTS: [&str; 14] = [
    "CreateWorkoutRequest",
    "BatchCreateWorkoutsRequest",
    "GetWorkoutRequest",
    "DeleteWorkoutRequest",
    "UpdateWorkoutRequest",
    "ListWorkoutsRequest",
    "CreateExerciseRequest",
    "BatchCreateExercisesRequest",
    "GetExerciseRequest",
    "DeleteExerciseRequest",
    "UpdateExerciseRequest",
    "ListExercisesRequest",
    "ListLeaderboardRequest",
    "SetEvaluationRequest",
];

/// Parses a request as the RPC edge does: the first byte picks the message type (an index
/// into [`REQUESTS`], modulo its length), the rest is that message's protobuf encoding.
/// `Ok(true)` when the parser accepts it; `Err` when the parser refuses without naming a
/// field, or fails with anything but INVALID_ARGUMENT.
pub fn parse_request(bytes: &[u8]) -> Result<bool, String> {
    let Some((&kind, message)) = bytes.split_first() else {
        return Ok(false);
    };
    match usize::from(kind) % REQUESTS.len() {
        0 => parse::<pb::CreateWorkoutRequest, Create<NewWorkout>>(message),
        1 => parse::<pb::BatchCreateWorkoutsRequest, Batch<NewWorkout>>(message),
        2 => parse::<pb::GetWorkoutRequest, GetWorkout>(message),
        3 => parse::<pb::DeleteWorkoutRequest, Id>(message),
        4 => parse::<pb::UpdateWorkoutRequest, WorkoutPatch>(message),
        5 => parse::<pb::ListWorkoutsRequest, WorkoutQuery>(message),
        6 => parse::<pb::CreateExerciseRequest, Create<NewExercise>>(message),
        7 => parse::<pb::BatchCreateExercisesRequest, Batch<NewExercise>>(message),
        8 => parse::<pb::GetExerciseRequest, Id>(message),
        9 => parse::<pb::DeleteExerciseRequest, Id>(message),
        10 => parse::<pb::UpdateExerciseRequest, ExercisePatch>(message),
        11 => parse::<pb::ListExercisesRequest, ExerciseQuery>(message),
        12 => parse::<pb::ListLeaderboardRequest, LeaderboardQuery>(message),
        _ => parse::<pb::SetEvaluationRequest, SetEvaluation>(message),
    }
}

/// Decodes `bytes` as `M` (undecodable bytes never reach a parser) and parses it into `T`.
fn parse<M, T>(bytes: &[u8]) -> Result<bool, String>
where
    M: Message + Default,
    T: TryFrom<M, Error = Error>,
{
    let Ok(message) = M::decode(bytes) else {
        return Ok(false);
    };
    match T::try_from(message) {
        Ok(_) => Ok(true),
        Err(Error::InvalidArgument(violations)) if violations.is_empty() => {
            Err("refused without naming a violated field".into())
        }
        Err(err @ Error::InvalidArgument(_)) => {
            // The handler sends this on; building the status must not fail either.
            let _ = tonic::Status::from(err);
            Ok(false)
        }
        Err(err) => Err(format!("a request parser failed with {err}")),
    }
}

// The import's own bounds: an accepted upload must be within them.
use crate::domain::import::{
    MAX_ENTRIES as IMPORT_ENTRIES, MAX_ENTRY_SETS as IMPORT_ENTRY_SETS,
    MAX_EXERCISES as IMPORT_EXERCISES, MAX_FIELDS as IMPORT_COLUMNS, MAX_ROWS as IMPORT_ROWS,
    MAX_WORKOUT_SETS as IMPORT_WORKOUT_SETS, MAX_WORKOUTS as IMPORT_WORKOUTS,
};

/// Parses a CSV file as `DataService.ImportWorkouts` does before it writes: the options, then
/// every chunk fed to the import's [`Parser`], then its end. The first byte picks the options
/// and the chunking: bit 0 the source (Strong, Hevy), bit 1 Strong's weight unit (kg, lb),
/// bits 2–7 a chunk size `n` (0: the whole file in one chunk); the rest is the file.
///
/// `Ok(true)` when the file is accepted. `Err` when chunk boundaries matter (the whole file in
/// one chunk, in chunks of `n` bytes and one byte at a time between empty chunks do not give
/// the same upload or the same refusal), when a refusal does not name a line of the file, or
/// when an accepted upload breaks the import's limits or is inconsistent.
pub fn parse_import(bytes: &[u8]) -> Result<bool, String> {
    let Some((&choice, file)) = bytes.split_first() else {
        return Ok(false);
    };
    let options = import::Options {
        source: if choice & 1 == 0 {
            Source::Strong
        } else {
            Source::Hevy
        },
        time_zone: ZoneName::utc(),
        weight_unit: if choice & 2 == 0 {
            WeightUnit::Kg
        } else {
            WeightUnit::Lb
        },
    };
    let whole = parse_upload(&options, [file]);
    let expected: Parsed = whole
        .as_ref()
        .map(|u| format!("{u:?}"))
        .map_err(Clone::clone);
    let mut others = vec![(
        "one byte at a time",
        parse_chunks(&options, file.chunks(1).flat_map(|byte| [&[][..], byte])),
    )];
    let size = usize::from(choice >> 2);
    if size > 1 {
        others.push((
            "in chunks of n bytes",
            parse_chunks(&options, file.chunks(size)),
        ));
    }
    for (how, other) in others {
        if other != expected {
            return Err(format!(
                "n = {size}: the whole file gives {} but {how} {}",
                outcome(&expected),
                outcome(&other)
            ));
        }
    }
    match whole {
        Ok(upload) => check_upload(&upload).map(|()| true),
        Err(refusal) => check_refusal(&refusal, file).map(|()| false),
    }
}

/// An upload in a form chunkings compare on (its full `Debug` text), or the refusal.
type Parsed = Result<String, Malformed>;

/// The file of `chunks` through the import's parser, as the RPC feeds it.
fn parse_chunks<'a>(
    options: &import::Options,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Parsed {
    parse_upload(options, chunks).map(|upload| format!("{upload:?}"))
}

/// The upload of `chunks`, or the first refusal.
fn parse_upload<'a>(
    options: &import::Options,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Upload, Malformed> {
    let mut parser = Parser::new(options.clone());
    for chunk in chunks {
        parser.feed(chunk)?;
    }
    parser.finish()
}

/// How a parse ended, for a report.
fn outcome(parsed: &Parsed) -> String {
    match parsed {
        Ok(upload) => format!("the upload {upload}"),
        Err(refusal) => format!("the refusal {refusal:?}"),
    }
}

/// A refusal names a line of `file` (1-based, at most one past its last line break) and,
/// like the RPC's, converts to an INVALID_ARGUMENT status.
fn check_refusal(refusal: &Malformed, file: &[u8]) -> Result<(), String> {
    let description = refusal.to_string();
    let lines = file.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    if !description.starts_with("line ") || !(1..=lines).contains(&refusal.line) {
        return Err(format!("a refusal of a {lines}-line file: {description:?}"));
    }
    if refusal.column.is_some_and(|c| c >= IMPORT_COLUMNS) {
        return Err(format!(
            "a refusal names a column past the last: {description:?}"
        ));
    }
    let _ = tonic::Status::from(Error::invalid("chunk", description));
    Ok(())
}

/// An accepted upload keeps the import's limits (`docs/TRAINING.md`, "Limits at a glance"),
/// and its counts agree with its rows.
fn check_upload(upload: &Upload) -> Result<(), String> {
    if upload.workouts.len() > IMPORT_WORKOUTS
        || upload.names.len() > IMPORT_EXERCISES
        || upload.rows > IMPORT_ROWS
    {
        return Err(format!(
            "accepted {} workouts, {} exercises, {} rows",
            upload.workouts.len(),
            upload.names.len(),
            upload.rows
        ));
    }
    if let Some(name) = upload.names.iter().find(|n| !name_ok(&n.name)) {
        return Err(format!("accepted an exercise named {:?}", name.name));
    }
    let mut rows = 0;
    for (index, workout) in upload.workouts.iter().enumerate() {
        rows += check_workout(upload, index)
            .map_err(|what| format!("accepted {:?}: {what}", workout.title))?;
    }
    if rows != upload.rows {
        return Err(format!(
            "accepted {} rows, {rows} in its workouts",
            upload.rows
        ));
    }
    Ok(())
}

/// The rows of workout `index` of an accepted upload, if it keeps the limits and its counts
/// agree.
fn check_workout(upload: &Upload, index: usize) -> Result<usize, String> {
    let Some(workout) = upload.workouts.get(index) else {
        return Ok(0);
    };
    if !name_ok(&workout.title) || workout.notes.chars().count() > MAX_TEXT_CHARS {
        return Err("its title or notes".into());
    }
    if workout.entries.is_empty() || workout.entries.len() > IMPORT_ENTRIES {
        return Err(format!("{} entries", workout.entries.len()));
    }
    let sets: usize = workout.entries.iter().map(|e| e.sets).sum();
    if sets != workout.sets || sets > IMPORT_WORKOUT_SETS {
        return Err(format!("{} sets, its entries {sets}", workout.sets));
    }
    let mut rows = 0;
    for entry in &workout.entries {
        let made = entry.rows.iter().filter(|r| r.set.is_ok()).count();
        let ordered = entry.rows.windows(2).all(|w| w[0].line < w[1].line);
        if entry.rows.is_empty() || made != entry.sets || entry.sets > IMPORT_ENTRY_SETS || !ordered
        {
            return Err(format!("an entry of {} sets: {:?}", entry.sets, entry.rows));
        }
        if entry.name >= upload.names.len() || entry.notes.chars().count() > MAX_SET_NOTES_CHARS {
            return Err(format!("an entry naming {} or its notes", entry.name));
        }
        for set in entry.rows.iter().filter_map(|r| r.set.as_ref().ok()) {
            // The ranges of a set's measures: reps, weight in thousandths of its unit,
            // millimetres, seconds, and RPE in halves (6–10).
            let in_range = set.reps.is_none_or(|r| (0..=1_000).contains(&r))
                && set
                    .weight
                    .is_none_or(|w| (0..=2_000_000).contains(&w.milli()))
                && set
                    .distance_mm
                    .is_none_or(|d| (0..=1_000_000_000).contains(&d))
                && set.duration_s.is_none_or(|d| (0..=86_400).contains(&d))
                && set.rpe_half.is_none_or(|r| (12..=20).contains(&r))
                && set.notes.chars().count() <= MAX_SET_NOTES_CHARS;
            if !in_range {
                return Err(format!("a set out of range: {set:?}"));
            }
        }
        rows += entry.rows.len();
    }
    Ok(rows)
}

/// A title or exercise name: 1–255 characters, trimmed.
fn name_ok(name: &str) -> bool {
    !name.is_empty() && name.trim() == name && name.chars().count() <= MAX_NAME_CHARS
}
