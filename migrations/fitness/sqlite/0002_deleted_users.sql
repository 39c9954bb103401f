-- Account deletion, SQLite. Never edit this file once applied.

-- Accounts the auth service deleted, as its revocation feed announced them (USER_DELETED).
-- Written in the transaction that deletes every row of the user. Every later write of the
-- user (a request authenticated just before the news arrived, a staff evaluation) checks
-- here after locking the user's stats row, and is refused: the data cannot come back. Kept
-- for good: one opaque id per deleted account, which auth no longer links to anyone.
CREATE TABLE deleted_users (
    user_id     TEXT PRIMARY KEY,
    -- When this service deleted the user's rows (microseconds since the Unix epoch).
    deleted_at  BIGINT NOT NULL
);

-- A user's links in key order: the account deletion deletes them by user, the data export
-- pages through them.
CREATE INDEX workout_exercises_user_idx ON workout_exercises (user_id, workout_id, exercise_id);
