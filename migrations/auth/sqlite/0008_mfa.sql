-- The TOTP second factor (RFC 6238): the factor, its recovery codes, the challenges of
-- two-step sign-ins, and when each session last passed the second factor.
-- Booleans are INTEGER 0/1: the portable `Any` driver cannot read SQLite's BOOLEAN type.

-- One TOTP factor per user: pending from BeginTotpEnrollment until ConfirmTotpEnrollment sets
-- `confirmed_at` (then `users.mfa_enabled` is 1, in the same transaction). `secret` is the
-- 20-byte key, AES-256-GCM sealed under the master key (nonce || ciphertext, the user id as
-- associated data) when `sealed`, raw otherwise. `last_step` is the newest 30-second time
-- step whose code was accepted: a code of that step or an earlier one is a replay.
CREATE TABLE mfa_totp (
    user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret        BLOB NOT NULL,
    sealed        INTEGER NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT
);

-- Single-use recovery codes. Only a SHA-256 digest of each code is stored: the codes exist
-- only in the response that showed them.
CREATE TABLE mfa_recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- The second step of a sign-in whose password was right: single use, short-lived, bound to
-- the user, the device label and the client (address bucket and user agent) of the Login.
-- Only a SHA-256 digest of the challenge is stored; `credentials_digest` is a digest of the
-- password hash the Login checked, so a password change in between ends the challenge.
CREATE TABLE mfa_challenges (
    challenge_hash      TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credentials_digest  TEXT NOT NULL,
    device_label        TEXT NOT NULL DEFAULT '',
    ip_bucket           TEXT NOT NULL DEFAULT '',
    user_agent          TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    failures            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mfa_challenges_user_idx ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires_idx ON mfa_challenges (expires_at);

-- When the session last passed the second factor (CompleteLogin, or a code given since):
-- sensitive operations skip asking again for a while.
ALTER TABLE sessions ADD COLUMN mfa_verified_at BIGINT;
