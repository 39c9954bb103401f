-- Fitness service schema, SQLite.
-- Ids are UUIDv7 text; times are BIGINT microseconds since the Unix epoch; dates are ISO
-- YYYY-MM-DD text (they sort as dates). user_id is the auth service's `sub`: fitness keeps
-- no other identity data. Never edit this file once applied.

CREATE TABLE workouts (
    id                      TEXT PRIMARY KEY,
    user_id                 TEXT NOT NULL,
    title                   TEXT NOT NULL,
    workout_date            TEXT NOT NULL,
    notes                   TEXT NOT NULL DEFAULT '',
    workout_type            TEXT NOT NULL
        CHECK (workout_type IN ('STRENGTH', 'CARDIO', 'FLEXIBILITY', 'BALANCE', 'ENDURANCE')),
    -- Derived from workout_exercises, maintained in the same transaction as every change.
    exercise_count          INTEGER NOT NULL DEFAULT 0,
    total_duration_minutes  BIGINT NOT NULL DEFAULT 0,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
-- Keyset pagination for both orders of ListWorkouts.
CREATE INDEX workouts_user_date_idx ON workouts (user_id, workout_date DESC, id DESC);
CREATE INDEX workouts_user_created_idx ON workouts (user_id, created_at DESC, id DESC);

CREATE TABLE exercises (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    duration_minutes  INTEGER CHECK (duration_minutes BETWEEN 0 AND 1440),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX exercises_user_idx ON exercises (user_id, created_at DESC, id DESC);

CREATE TABLE workout_exercises (
    workout_id   TEXT NOT NULL REFERENCES workouts (id) ON DELETE CASCADE,
    exercise_id  TEXT NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    -- Both sides belong to this user; kept so every query can be scoped by it.
    user_id      TEXT NOT NULL,
    PRIMARY KEY (workout_id, exercise_id)
);
CREATE INDEX workout_exercises_exercise_idx ON workout_exercises (exercise_id, workout_id);

-- One row per user, created on first need, updated in the same transaction as every change.
CREATE TABLE stats (
    user_id                 TEXT PRIMARY KEY,
    total_workouts          BIGINT NOT NULL DEFAULT 0,
    total_exercises         BIGINT NOT NULL DEFAULT 0,
    total_duration_minutes  BIGINT NOT NULL DEFAULT 0,
    evaluation              INTEGER CHECK (evaluation BETWEEN 0 AND 100),
    updated_at              BIGINT NOT NULL
);
CREATE INDEX stats_evaluation_idx ON stats (evaluation DESC, user_id);

-- AIP-155 request ids: the first response of a create is replayed to a retry.
CREATE TABLE request_ids (
    user_id     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    method      TEXT NOT NULL,
    response    BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, request_id)
);
CREATE INDEX request_ids_created_idx ON request_ids (created_at);
