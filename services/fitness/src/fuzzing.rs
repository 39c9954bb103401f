//! Entry points for the fuzz targets in `fuzz/` and for `tests/corpus.rs`, which replays their
//! seed corpus in the normal test run. Not an API: each function runs the real verifier or
//! request parser on untrusted bytes and answers whether they were accepted; an `Err` names
//! an invariant the code broke (the fuzz target turns it into a crash).

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
use crate::domain::stats::{LeaderboardQuery, SetEvaluation};
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
