"""One user's journey through the generated Python SDK against a running Stride stack.

Register -> Login -> CreateWorkout -> ListWorkouts -> Refresh (the rotated refresh token is then
rejected) -> RevokeSession -> fitness rejects the revoked access token; the account lifecycle:
a TOTP second factor, the two-step sign-in, the data export of both services, deletion; and the
training data: the catalogue, a workout's entries replaced with its etag, personal records and
weekly summaries.

Environment:
  STRIDE_AUTH_ADDR     host:port of the auth service (plaintext gRPC)
  STRIDE_FITNESS_ADDR  host:port of the fitness service
and the generated SDK on PYTHONPATH (sdk/python/generate.sh OUT_DIR). Standard library unittest
only: `python3 sdk/python/tests/test_flow.py`. testkit/tests/python_sdk.rs runs it against
services it starts on port 0.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import unittest
import uuid

import grpc
from google.rpc import error_details_pb2, status_pb2

from stride.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from stride.auth.v1 import session_service_pb2, session_service_pb2_grpc
from stride.auth.v1 import user_service_pb2, user_service_pb2_grpc
from stride.fitness.v1 import catalogue_service_pb2, catalogue_service_pb2_grpc
from stride.fitness.v1 import data_service_pb2, data_service_pb2_grpc
from stride.fitness.v1 import exercise_service_pb2, exercise_service_pb2_grpc
from stride.fitness.v1 import resources_pb2 as fitness_resources
from stride.fitness.v1 import stats_service_pb2, stats_service_pb2_grpc
from stride.fitness.v1 import workout_service_pb2, workout_service_pb2_grpc

# Deadline of each RPC, in seconds.
RPC_TIMEOUT = 10
# How long fitness may take to learn of a revocation through auth's feed (the target in docs/BENCHMARKS.md: p99 50 ms).
REVOCATION_DEADLINE = 10
PASSWORD = "Tr4ck-every-str1de-daily!"


def log(message):
    print(f"[test_flow] {message}", file=sys.stderr, flush=True)


def bearer(tokens):
    return (("authorization", f"Bearer {tokens.access_token}"),)


def totp(secret, steps_ahead=0):
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 `secret`, `steps_ahead` steps on."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    counter = int(time.time() // 30) + steps_ahead
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def joined(chunks):
    """The JSON document of a streamed export."""
    return json.loads(b"".join(chunk.chunk for chunk in chunks))


def rich_status(error):
    """The google.rpc.Status a Stride error carries in `grpc-status-details-bin`, if any."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def error_info(error):
    """(reason, domain) of the google.rpc.ErrorInfo of a Stride error."""
    status = rich_status(error)
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason, info.domain
    return None


class FlowTest(unittest.TestCase):
    def setUp(self):
        auth_addr = os.environ["STRIDE_AUTH_ADDR"]
        fitness_addr = os.environ["STRIDE_FITNESS_ADDR"]
        self.auth_channel = grpc.insecure_channel(auth_addr)
        self.fitness_channel = grpc.insecure_channel(fitness_addr)
        self.auth = auth_service_pb2_grpc.AuthServiceStub(self.auth_channel)
        self.users = user_service_pb2_grpc.UserServiceStub(self.auth_channel)
        self.data = data_service_pb2_grpc.DataServiceStub(self.fitness_channel)
        self.sessions = session_service_pb2_grpc.SessionServiceStub(self.auth_channel)
        self.workouts = workout_service_pb2_grpc.WorkoutServiceStub(self.fitness_channel)
        self.catalogue = catalogue_service_pb2_grpc.CatalogueServiceStub(self.fitness_channel)
        self.exercises = exercise_service_pb2_grpc.ExerciseServiceStub(self.fitness_channel)
        self.stats = stats_service_pb2_grpc.StatsServiceStub(self.fitness_channel)

    def tearDown(self):
        self.auth_channel.close()
        self.fitness_channel.close()

    def assert_rpc_fails(self, code, call, *args, **kwargs):
        """Runs an RPC that must fail with `code`; returns the grpc.RpcError."""
        try:
            call(*args, timeout=RPC_TIMEOUT, **kwargs)
        except grpc.RpcError as error:
            self.assertEqual(error.code(), code, f"{error.code()}: {error.details()}")
            return error
        self.fail(f"expected {code}, the call succeeded")

    def test_register_login_workouts_refresh_and_revoke(self):
        username = f"sdk_{uuid.uuid4().hex[:12]}"
        email = f"{username}@example.com"

        log("Register")
        registered = self.auth.Register(
            auth_service_pb2.RegisterRequest(
                username=username, email=email, password=PASSWORD, first_name="Ada"
            ),
            timeout=RPC_TIMEOUT,
        )
        self.assertEqual(registered.user.username, username)
        self.assertTrue(registered.user.id)
        self.assertEqual(registered.tokens.token_type, "Bearer")
        self.assertTrue(registered.tokens.access_token and registered.tokens.refresh_token)

        log("Login (by email, different case)")
        login = self.auth.Login(
            auth_service_pb2.LoginRequest(
                login=email.upper(), password=PASSWORD, device_label="python-sdk"
            ),
            timeout=RPC_TIMEOUT,
        )
        self.assertEqual(login.user.id, registered.user.id)
        self.assertNotEqual(login.tokens.session_id, registered.tokens.session_id)

        log("CreateWorkout")
        created = self.workouts.CreateWorkout(
            workout_service_pb2.CreateWorkoutRequest(
                workout=fitness_resources.Workout(
                    title="Tempo run",
                    date="2025-03-01",
                    notes="from the Python SDK",
                    workout_type=fitness_resources.WORKOUT_TYPE_CARDIO,
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata=bearer(login.tokens),
            timeout=RPC_TIMEOUT,
        )
        self.assertTrue(created.id)
        self.assertEqual(created.title, "Tempo run")
        self.assertEqual(created.workout_type, fitness_resources.WORKOUT_TYPE_CARDIO)

        log("CreateWorkout without a title: INVALID_ARGUMENT with rich details")
        error = self.assert_rpc_fails(
            grpc.StatusCode.INVALID_ARGUMENT,
            self.workouts.CreateWorkout,
            workout_service_pb2.CreateWorkoutRequest(
                workout=fitness_resources.Workout(
                    title="", date="2025-03-01", workout_type=fitness_resources.WORKOUT_TYPE_CARDIO
                )
            ),
            metadata=bearer(login.tokens),
        )
        self.assertEqual(error_info(error), ("INVALID_ARGUMENT", "stride.fitness"))
        violations = []
        for detail in rich_status(error).details:
            bad_request = error_details_pb2.BadRequest()
            if detail.Unpack(bad_request):
                violations += [v.field for v in bad_request.field_violations]
        self.assertTrue(any(f.endswith("title") for f in violations), violations)

        log("ListWorkouts")
        listed = self.workouts.ListWorkouts(
            workout_service_pb2.ListWorkoutsRequest(
                workout_type=fitness_resources.WORKOUT_TYPE_CARDIO
            ),
            metadata=bearer(login.tokens),
            timeout=RPC_TIMEOUT,
        )
        self.assertEqual([w.id for w in listed.workouts], [created.id])

        log("Refresh")
        refreshed = self.auth.Refresh(
            auth_service_pb2.RefreshRequest(refresh_token=registered.tokens.refresh_token),
            timeout=RPC_TIMEOUT,
        ).tokens
        self.assertEqual(refreshed.session_id, registered.tokens.session_id)
        self.assertNotEqual(refreshed.refresh_token, registered.tokens.refresh_token)
        self.assertNotEqual(refreshed.access_token, registered.tokens.access_token)
        mine = self.workouts.ListWorkouts(
            workout_service_pb2.ListWorkoutsRequest(),
            metadata=bearer(refreshed),
            timeout=RPC_TIMEOUT,
        )
        self.assertEqual([w.id for w in mine.workouts], [created.id])

        log("Refresh with the rotated token: UNAUTHENTICATED")
        # Reuse of a rotated token also revokes its whole session (the register session); the
        # login session used below is a different one.
        self.assert_rpc_fails(
            grpc.StatusCode.UNAUTHENTICATED,
            self.auth.Refresh,
            auth_service_pb2.RefreshRequest(refresh_token=registered.tokens.refresh_token),
        )

        log("RevokeSession (the login session, by its own access token)")
        self.sessions.RevokeSession(
            session_service_pb2.RevokeSessionRequest(session_id=login.tokens.session_id),
            metadata=bearer(login.tokens),
            timeout=RPC_TIMEOUT,
        )

        log("fitness rejects the revoked access token")
        deadline = time.monotonic() + REVOCATION_DEADLINE
        while True:
            try:
                self.workouts.ListWorkouts(
                    workout_service_pb2.ListWorkoutsRequest(),
                    metadata=bearer(login.tokens),
                    timeout=RPC_TIMEOUT,
                )
            except grpc.RpcError as error:
                self.assertEqual(
                    error.code(), grpc.StatusCode.UNAUTHENTICATED, f"{error.details()}"
                )
                break
            self.assertLess(
                time.monotonic(), deadline, "the revoked token still works after the deadline"
            )
            time.sleep(0.05)
        log("done")

    def test_second_factor_export_and_deletion(self):
        username = f"sdk_{uuid.uuid4().hex[:12]}"
        registered = self.auth.Register(
            auth_service_pb2.RegisterRequest(
                username=username, email=f"{username}@example.com", password=PASSWORD
            ),
            timeout=RPC_TIMEOUT,
        )
        self.assertFalse(registered.user.email_verified)
        tokens = registered.tokens

        log("BeginTotpEnrollment and ConfirmTotpEnrollment")
        begun = self.users.BeginTotpEnrollment(
            user_service_pb2.BeginTotpEnrollmentRequest(password=PASSWORD),
            metadata=bearer(tokens),
            timeout=RPC_TIMEOUT,
        )
        self.assertTrue(begun.otpauth_uri.startswith("otpauth://totp/"))
        confirmed = self.users.ConfirmTotpEnrollment(
            user_service_pb2.ConfirmTotpEnrollmentRequest(code=totp(begun.secret)),
            metadata=bearer(tokens),
            timeout=RPC_TIMEOUT,
        )
        self.assertGreaterEqual(len(confirmed.recovery_codes), 8)

        log("Login answers with a challenge; CompleteLogin with a recovery code opens the session")
        valid = {totp(begun.secret, step) for step in (-1, 0, 1)}
        wrong = next(code for code in ("000000", "111111", "222222") if code not in valid)
        challenged = self.auth.Login(
            auth_service_pb2.LoginRequest(login=username, password=PASSWORD),
            timeout=RPC_TIMEOUT,
        )
        self.assertTrue(challenged.mfa_challenge)
        self.assertFalse(challenged.HasField("tokens"))
        self.assert_rpc_fails(
            grpc.StatusCode.UNAUTHENTICATED,
            self.auth.CompleteLogin,
            auth_service_pb2.CompleteLoginRequest(challenge=challenged.mfa_challenge, code=wrong),
        )
        completed = self.auth.CompleteLogin(
            auth_service_pb2.CompleteLoginRequest(
                challenge=challenged.mfa_challenge, code=confirmed.recovery_codes[0]
            ),
            timeout=RPC_TIMEOUT,
        )
        self.assertTrue(completed.tokens.access_token)
        self.assertTrue(completed.user.mfa_enabled)

        log("ExportMyData on both services")
        auth_export = joined(
            self.users.ExportMyData(
                user_service_pb2.ExportMyDataRequest(),
                metadata=bearer(completed.tokens),
                timeout=RPC_TIMEOUT,
            )
        )
        self.assertEqual(auth_export["user"]["username"], username)
        fitness_export = joined(
            self.data.ExportMyData(
                data_service_pb2.ExportMyDataRequest(),
                metadata=bearer(completed.tokens),
                timeout=RPC_TIMEOUT,
            )
        )
        self.assertEqual(fitness_export["user_id"], registered.user.id)

        log("DeleteMe: the account's tokens stop working on both services")
        self.users.DeleteMe(
            user_service_pb2.DeleteMeRequest(password=PASSWORD, mfa_code=confirmed.recovery_codes[1]),
            metadata=bearer(completed.tokens),
            timeout=RPC_TIMEOUT,
        )
        self.assert_rpc_fails(
            grpc.StatusCode.UNAUTHENTICATED,
            self.users.GetMe,
            user_service_pb2.GetMeRequest(),
            metadata=bearer(completed.tokens),
        )
        deadline = time.monotonic() + REVOCATION_DEADLINE
        while True:
            try:
                self.workouts.ListWorkouts(
                    workout_service_pb2.ListWorkoutsRequest(),
                    metadata=bearer(completed.tokens),
                    timeout=RPC_TIMEOUT,
                )
            except grpc.RpcError as error:
                self.assertEqual(error.code(), grpc.StatusCode.UNAUTHENTICATED)
                break
            self.assertLess(time.monotonic(), deadline, "fitness still accepts a deleted user")
            time.sleep(0.05)
        log("done")

    def test_catalogue_entries_records_and_weeks(self):
        username = f"sdk_{uuid.uuid4().hex[:12]}"
        tokens = self.auth.Register(
            auth_service_pb2.RegisterRequest(
                username=username, email=f"{username}@example.com", password=PASSWORD
            ),
            timeout=RPC_TIMEOUT,
        ).tokens
        auth = {"metadata": bearer(tokens), "timeout": RPC_TIMEOUT}

        log("ListCatalogue: barbell chest exercises, built in")
        listed = self.catalogue.ListCatalogue(
            catalogue_service_pb2.ListCatalogueRequest(
                muscle=fitness_resources.MUSCLE_GROUP_CHEST,
                equipment=fitness_resources.EQUIPMENT_BARBELL,
                source=catalogue_service_pb2.CATALOGUE_SOURCE_BUILT_IN,
                page_size=100,
            ),
            **auth,
        )
        self.assertIn("barbell-bench-press", [e.id for e in listed.entries])
        for entry in listed.entries:
            self.assertFalse(entry.custom)
            self.assertEqual(entry.equipment, fitness_resources.EQUIPMENT_BARBELL)
            self.assertIn(
                fitness_resources.MUSCLE_GROUP_CHEST,
                list(entry.primary_muscles) + list(entry.secondary_muscles),
            )

        log("CreateWorkout and an exercise referencing the catalogue")
        workout = self.workouts.CreateWorkout(
            workout_service_pb2.CreateWorkoutRequest(
                workout=fitness_resources.Workout(
                    title="Push",
                    date="2025-06-04",
                    workout_type=fitness_resources.WORKOUT_TYPE_STRENGTH,
                )
            ),
            **auth,
        )
        bench = self.exercises.CreateExercise(
            exercise_service_pb2.CreateExerciseRequest(
                exercise=fitness_resources.Exercise(
                    name="Bench press", catalogue_entry_id="barbell-bench-press"
                )
            ),
            **auth,
        )
        self.assertEqual(bench.tracking_mode, fitness_resources.TRACKING_MODE_WEIGHT_REPS)

        log("ReplaceWorkoutEntries with the etag; the same etag again is refused")
        sets = [
            fitness_resources.WorkoutSet(
                set_type=fitness_resources.SET_TYPE_WARMUP, reps=10, weight=60
            ),
            fitness_resources.WorkoutSet(reps=5, weight=100, rpe=8.5),
            fitness_resources.WorkoutSet(
                reps=3, weight=225, weight_unit=fitness_resources.WEIGHT_UNIT_LB
            ),
        ]
        request = workout_service_pb2.ReplaceWorkoutEntriesRequest(
            workout_id=workout.id,
            etag=workout.etag,
            entries=[fitness_resources.WorkoutEntry(exercise_id=bench.id, sets=sets)],
            request_id=str(uuid.uuid4()),
        )
        replaced = self.workouts.ReplaceWorkoutEntries(request, **auth)
        self.assertEqual(replaced.workout.set_count, 3)
        self.assertNotEqual(replaced.workout.etag, workout.etag)
        stored = replaced.entries[0].sets
        self.assertEqual([s.weight_kg for s in stored], [60.0, 100.0, 102.058])
        self.assertEqual(stored[2].weight, 225.0)
        self.assertEqual(stored[2].weight_unit, fitness_resources.WEIGHT_UNIT_LB)
        # A retry with the same request_id is answered as the first time, writing nothing.
        retried = self.workouts.ReplaceWorkoutEntries(request, **auth)
        self.assertEqual([s.id for s in retried.entries[0].sets], [s.id for s in stored])
        stale = self.assert_rpc_fails(
            grpc.StatusCode.FAILED_PRECONDITION,
            self.workouts.ReplaceWorkoutEntries,
            workout_service_pb2.ReplaceWorkoutEntriesRequest(
                workout_id=workout.id, etag=workout.etag
            ),
            metadata=bearer(tokens),
        )
        self.assertEqual(error_info(stale)[0], "ETAG_MISMATCH")
        got = self.workouts.GetWorkout(
            workout_service_pb2.GetWorkoutRequest(id=workout.id, include_entries=True), **auth
        )
        self.assertEqual(len(got.entries[0].sets), 3, "the stale replace changed nothing")

        log("ListPersonalRecords: the warm-up never holds a record; Epley for the 1RM")
        records = self.stats.ListPersonalRecords(
            stats_service_pb2.ListPersonalRecordsRequest(exercise_id=bench.id), **auth
        )
        by_kind = {r.kind: r for r in records.records}
        heaviest = by_kind[fitness_resources.RECORD_KIND_HEAVIEST_WEIGHT]
        self.assertAlmostEqual(heaviest.value, 102.058, places=3)
        self.assertEqual(heaviest.set.id, stored[2].id)
        one_rm = by_kind[fitness_resources.RECORD_KIND_BEST_ESTIMATED_1RM]
        # 100 kg x 5: 100 x (30 + 5) / 30 = 116.67 beats 102.058 x 33 / 30 = 112.26.
        self.assertAlmostEqual(one_rm.value, 116.67, places=2)
        self.assertEqual(one_rm.set.id, stored[1].id)
        self.assertEqual(by_kind[fitness_resources.RECORD_KIND_MOST_REPS].set.id, stored[1].id)

        log("ListWeeklySummaries: the week of Monday 2025-06-02")
        weeks = self.stats.ListWeeklySummaries(
            stats_service_pb2.ListWeeklySummariesRequest(from_date="2025-06-01"), **auth
        )
        self.assertEqual([w.week_start for w in weeks.weeks], ["2025-06-02"])
        week = weeks.weeks[0]
        self.assertEqual((week.workouts, week.sets, week.reps), (1, 3, 18))
        # 60 x 10 + 100 x 5 + 102.058 x 3: warm-ups count in totals.
        self.assertAlmostEqual(week.volume_kg, 1406.174, places=3)
        log("done")


if __name__ == "__main__":
    unittest.main(verbosity=2)
