// The SDK against a running gateway (`stride dev --gateway`), as a browser or Node app uses it:
// register, log in, refresh, create a workout and revoke the session, once through gRPC-Web
// with the generated clients and once over HTTP/JSON; then export an account's data (a
// server stream) and delete the account; and the training data through gRPC-Web: the
// catalogue, and a workout's entries replaced with its etag. Usage: node tests/flow.mjs
// http://HOST:PORT
import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { AuthService } from "@stride/sdk/stride/auth/v1/auth_service_pb";
import { SessionService } from "@stride/sdk/stride/auth/v1/session_service_pb";
import { UserService } from "@stride/sdk/stride/auth/v1/user_service_pb";
import { CatalogueService } from "@stride/sdk/stride/fitness/v1/catalogue_service_pb";
import { ExerciseService } from "@stride/sdk/stride/fitness/v1/exercise_service_pb";
import { WorkoutService } from "@stride/sdk/stride/fitness/v1/workout_service_pb";
import {
  Equipment,
  MuscleGroup,
  SetType,
  TrackingMode,
  WeightUnit,
  WorkoutType,
} from "@stride/sdk/stride/fitness/v1/resources_pb";

const base = process.argv[2];
assert.ok(base, "usage: node tests/flow.mjs http://HOST:PORT");
const password = "correct horse battery staple";
const suffix = Date.now().toString(36);

// A revocation reaches fitness through auth's revocation feed within milliseconds, not at
// once: poll `check` until it holds, for at most 10 s.
async function eventually(what, check) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await check()) return;
    assert.ok(Date.now() < deadline, `${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function grpcWeb() {
  const transport = createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" });
  const auth = createClient(AuthService, transport);
  const username = `web${suffix}`;
  const registered = await auth.register({ username, email: `${username}@example.com`, password });
  assert.equal(registered.user?.username, username);
  const login = await auth.login({ login: username, password, deviceLabel: "node" });
  const refreshed = await auth.refresh({ refreshToken: login.tokens.refreshToken });
  const headers = { authorization: `Bearer ${refreshed.tokens.accessToken}` };
  const workouts = createClient(WorkoutService, transport);
  const created = await workouts.createWorkout(
    { workout: { title: "Tempo run", date: "2026-11-30", workoutType: WorkoutType.CARDIO } },
    { headers },
  );
  assert.equal(created.title, "Tempo run");
  const sessions = createClient(SessionService, transport);
  await sessions.revokeSession({ sessionId: refreshed.tokens.sessionId }, { headers });
  await eventually("fitness refuses the revoked session over gRPC-Web", async () => {
    try {
      await workouts.listWorkouts({}, { headers });
      return false;
    } catch (e) {
      assert.equal(ConnectError.from(e).code, Code.Unauthenticated);
      return true;
    }
  });
  console.log("grpc-web: registered, logged in, refreshed, created a workout, revoked the session");
}

async function httpJson() {
  const call = async (method, path, body, token) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const username = `json${suffix}`;
  let r = await call("POST", "/v1/auth/register", { username, email: `${username}@example.com`, password });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  r = await call("POST", "/v1/auth/login", { login: username, password });
  assert.equal(r.status, 200);
  r = await call("POST", "/v1/auth/refresh", { refresh_token: r.body.tokens.refresh_token });
  assert.equal(r.status, 200);
  const { access_token: token, session_id: session } = r.body.tokens;
  r = await call("POST", "/v1/workouts", { workout: { title: "Leg day", date: "2026-11-29", workout_type: "WORKOUT_TYPE_STRENGTH" } }, token);
  assert.equal(r.status, 200);
  assert.equal(r.body.title, "Leg day");
  r = await call("DELETE", `/v1/sessions/${session}`, undefined, token);
  assert.equal(r.status, 200);
  await eventually("fitness refuses the revoked session over HTTP/JSON", async () => {
    const listed = await call("GET", "/v1/workouts", undefined, token);
    if (listed.status === 200) return false;
    assert.equal(listed.status, 401);
    assert.equal(listed.body.code, 16);
    return true;
  });
  console.log("http/json: registered, logged in, refreshed, created a workout, revoked the session");
}

async function exportAndDelete() {
  const transport = createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" });
  const auth = createClient(AuthService, transport);
  const users = createClient(UserService, transport);
  const username = `gone${suffix}`;
  const registered = await auth.register({ username, email: `${username}@example.com`, password });
  const headers = { authorization: `Bearer ${registered.tokens.accessToken}` };
  const parts = [];
  for await (const part of users.exportMyData({}, { headers })) parts.push(Buffer.from(part.chunk));
  const document = JSON.parse(Buffer.concat(parts).toString("utf8"));
  assert.equal(document.user.username, username);
  await users.deleteMe({ password }, { headers });
  await assert.rejects(users.getMe({}, { headers }), (e) => ConnectError.from(e).code === Code.Unauthenticated);
  console.log("grpc-web: exported an account's data as a stream, deleted the account");
}

async function training() {
  const transport = createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" });
  const auth = createClient(AuthService, transport);
  const username = `lift${suffix}`;
  const registered = await auth.register({ username, email: `${username}@example.com`, password });
  const headers = { authorization: `Bearer ${registered.tokens.accessToken}` };

  const catalogue = createClient(CatalogueService, transport);
  const listed = await catalogue.listCatalogue(
    { muscle: MuscleGroup.CHEST, equipment: Equipment.BARBELL, nameContains: "bench" },
    { headers },
  );
  const bench = listed.entries.find((e) => e.id === "barbell-bench-press");
  assert.ok(bench, JSON.stringify(listed.entries.map((e) => e.id)));
  assert.equal(bench.trackingMode, TrackingMode.WEIGHT_REPS);

  const workouts = createClient(WorkoutService, transport);
  const exercises = createClient(ExerciseService, transport);
  const workout = await workouts.createWorkout(
    { workout: { title: "Push", date: "2026-11-25", workoutType: WorkoutType.STRENGTH } },
    { headers },
  );
  const press = await exercises.createExercise(
    { exercise: { name: "Bench press", catalogueEntryId: bench.id } },
    { headers },
  );
  const plank = await exercises.createExercise(
    { exercise: { name: "Plank", trackingMode: TrackingMode.DURATION } },
    { headers },
  );
  const replaced = await workouts.replaceWorkoutEntries(
    {
      workoutId: workout.id,
      etag: workout.etag,
      entries: [
        {
          exerciseId: press.id,
          sets: [
            { setType: SetType.WARMUP, reps: 10, weight: 60 },
            { reps: 3, weight: 225, weightUnit: WeightUnit.LB },
          ],
        },
        { exerciseId: plank.id, superset: 1, sets: [{ durationSeconds: 60 }] },
      ],
    },
    { headers },
  );
  assert.equal(replaced.workout.setCount, 3);
  assert.deepEqual(
    replaced.entries.map((e) => e.exerciseName),
    ["Bench press", "Plank"],
  );
  assert.equal(replaced.entries[0].sets[1].weightKg, 102.058);
  // The etag read before the write is stale now: the replace is refused and changes nothing.
  await assert.rejects(
    workouts.replaceWorkoutEntries({ workoutId: workout.id, etag: workout.etag, entries: [] }, { headers }),
    (e) => ConnectError.from(e).code === Code.FailedPrecondition,
  );
  const got = await workouts.getWorkout({ id: workout.id, includeEntries: true }, { headers });
  assert.equal(got.entries.length, 2);
  console.log("grpc-web: listed the catalogue, replaced a workout's entries, a stale etag refused");
}

await grpcWeb();
await httpJson();
await exportAndDelete();
await training();
