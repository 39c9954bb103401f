-- Training data, SQLite: workout times, the catalogue, entries with sets, personal records and
-- weekly summaries. Never edit this file once applied.
--
-- Units are integers so that every derived sum is exact: weights in grams (converted from the
-- unit the client entered exactly once, on write), distances in millimetres, durations in
-- seconds, RPE in half points. Every derived column and table below is maintained in the same
-- transaction as the write that changes it.

-- Workouts: real start and end times in the user's zone, their sets' sums, and the key of the
-- import that created them (so that a re-import creates nothing).
ALTER TABLE workouts ADD COLUMN started_at BIGINT;
ALTER TABLE workouts ADD COLUMN ended_at BIGINT;
ALTER TABLE workouts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE workouts ADD COLUMN set_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workouts ADD COLUMN total_reps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workouts ADD COLUMN volume_g BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workouts ADD COLUMN distance_mm BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workouts ADD COLUMN set_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workouts ADD COLUMN import_key TEXT;
CREATE UNIQUE INDEX workouts_import_idx ON workouts (user_id, import_key)
    WHERE import_key IS NOT NULL;

-- The user's own catalogue entries; the built-in catalogue ships in the binary.
CREATE TABLE catalogue_entries (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL,
    name               TEXT NOT NULL,
    -- Lowercased name: unique per user.
    name_key           TEXT NOT NULL,
    category           TEXT NOT NULL,
    -- Comma-separated MuscleGroup names without prefix, e.g. 'CHEST,TRICEPS'.
    primary_muscles    TEXT NOT NULL,
    secondary_muscles  TEXT NOT NULL DEFAULT '',
    equipment          TEXT NOT NULL,
    tracking_mode      TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX catalogue_entries_user_name_idx ON catalogue_entries (user_id, name_key);

-- Exercises may reference a catalogue entry (a built-in slug or a custom entry's id) and
-- carry its tracking mode.
ALTER TABLE exercises ADD COLUMN catalogue_entry_id TEXT;
ALTER TABLE exercises ADD COLUMN tracking_mode TEXT NOT NULL DEFAULT 'WEIGHT_REPS';
CREATE INDEX exercises_catalogue_idx ON exercises (user_id, catalogue_entry_id);

-- The link between a workout and an exercise is now an ordered entry.
ALTER TABLE workout_exercises ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workout_exercises ADD COLUMN superset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workout_exercises ADD COLUMN notes TEXT NOT NULL DEFAULT '';

-- Sets of an entry, in order.
CREATE TABLE sets (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    workout_id    TEXT NOT NULL,
    exercise_id   TEXT NOT NULL,
    -- The workout's date, copied so that history and records read one index; every change
    -- of the workout's date changes it in the same transaction.
    workout_date  TEXT NOT NULL,
    position      INTEGER NOT NULL,
    set_type      TEXT NOT NULL CHECK (set_type IN ('NORMAL', 'WARMUP', 'DROP', 'FAILURE')),
    reps          INTEGER,
    -- The weight as entered, in thousandths of weight_unit, and in grams.
    weight_milli  BIGINT,
    weight_unit   TEXT NOT NULL DEFAULT 'KG' CHECK (weight_unit IN ('KG', 'LB')),
    weight_g      BIGINT,
    distance_mm   BIGINT,
    duration_s    INTEGER,
    -- RPE × 2 (12–20).
    rpe_half      INTEGER,
    rir           INTEGER,
    rest_s        INTEGER,
    notes         TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (workout_id, exercise_id)
        REFERENCES workout_exercises (workout_id, exercise_id) ON DELETE CASCADE
);
-- Exercise history (newest first, keyset) and records (one exercise's sets).
CREATE INDEX sets_history_idx ON sets (user_id, exercise_id, workout_date, workout_id, position);
-- A workout's sets in entry order, and the cascade from its entries.
CREATE INDEX sets_workout_idx ON sets (workout_id, exercise_id, position);

-- The best set per exercise and kind. value is in the kind's integer unit: grams (heaviest,
-- estimated 1RM), reps (most reps; ties by weight_g), millimetres (distance), milliseconds
-- per km (pace, lower is better).
CREATE TABLE personal_records (
    user_id      TEXT NOT NULL,
    exercise_id  TEXT NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    value        BIGINT NOT NULL,
    set_id       TEXT NOT NULL,
    workout_id   TEXT NOT NULL,
    workout_date TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, exercise_id, kind)
);

-- Training per ISO week (the Monday of the workout's date); a row exists while its week has
-- at least one workout.
CREATE TABLE weekly_summaries (
    user_id      TEXT NOT NULL,
    week_start   TEXT NOT NULL,
    workouts     BIGINT NOT NULL DEFAULT 0,
    sets         BIGINT NOT NULL DEFAULT 0,
    reps         BIGINT NOT NULL DEFAULT 0,
    volume_g     BIGINT NOT NULL DEFAULT 0,
    distance_mm  BIGINT NOT NULL DEFAULT 0,
    set_seconds  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, week_start)
);
-- The weeks of the workouts already stored (no sets existed before this migration).
INSERT INTO weekly_summaries (user_id, week_start, workouts)
SELECT user_id, date(workout_date, '-6 days', 'weekday 1'), COUNT(*) FROM workouts
GROUP BY user_id, date(workout_date, '-6 days', 'weekday 1');

-- The user's totals grow to the sets' sums.
ALTER TABLE stats ADD COLUMN total_sets BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats ADD COLUMN total_reps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats ADD COLUMN total_volume_g BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats ADD COLUMN total_distance_mm BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats ADD COLUMN total_set_seconds BIGINT NOT NULL DEFAULT 0;
