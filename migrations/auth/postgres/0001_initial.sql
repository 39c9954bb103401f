-- Auth service schema, PostgreSQL.
-- Ids are UUIDv7 text; times are BIGINT microseconds since the Unix epoch (same as SQLite).
-- Never edit this file once applied: add a new numbered migration instead.

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    -- Lowercased username/email: uniqueness and lookups are case-insensitive.
    username_key    TEXT NOT NULL UNIQUE,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL UNIQUE,
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'STAFF', 'ADMIN')),
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash   TEXT NOT NULL,
    -- Lockout: consecutive failures, how many times the account was locked (grows the lock
    -- time), and until when it is locked.
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    lockout_count   INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- Admin listing pages by (created_at, id).
CREATE INDEX users_created_idx ON users (created_at, id);

CREATE TABLE profiles (
    user_id          TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    full_name        TEXT NOT NULL DEFAULT '',
    -- Set once the user chooses a full_name: name changes then stop overwriting it.
    full_name_custom BOOLEAN NOT NULL DEFAULT FALSE,
    bio              TEXT NOT NULL DEFAULT '',
    birth_date       TEXT,
    notes            TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL DEFAULT 'EN' CHECK (language IN ('EN', 'ES', 'FR', 'AR')),
    updated_at       BIGINT NOT NULL
);

CREATE TABLE avatars (
    user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    content_type  TEXT NOT NULL,
    image         BYTEA NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- A session is one token family, created by Register or Login.
CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_label       TEXT NOT NULL DEFAULT '',
    ip                 TEXT NOT NULL DEFAULT '',
    user_agent         TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    last_refreshed_at  BIGINT,
    -- Absolute maximum: no refresh extends a session beyond this.
    expires_at         BIGINT NOT NULL,
    revoked_at         BIGINT,
    revoke_reason      TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at, id);

CREATE TABLE refresh_tokens (
    jti           TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    -- The token this one was rotated from (NULL for a session's first token).
    parent_jti    TEXT REFERENCES refresh_tokens (jti),
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    rotated_at    BIGINT,
    revoked_at    BIGINT,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    device_label  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id, issued_at);
CREATE INDEX refresh_tokens_parent_idx ON refresh_tokens (parent_jti);

CREATE TABLE access_tokens (
    jti          TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    -- The refresh token whose issuance produced this access token.
    refresh_jti  TEXT NOT NULL REFERENCES refresh_tokens (jti) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    issued_at    BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX access_tokens_refresh_idx ON access_tokens (refresh_jti);
CREATE INDEX access_tokens_session_idx ON access_tokens (session_id);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    -- PKCS#8 DER; AES-256-GCM sealed (nonce || ciphertext) when `encrypted`.
    private_key  BYTEA NOT NULL,
    encrypted    BOOLEAN NOT NULL,
    public_key   BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    -- NULL while active; set when a newer key takes over.
    retired_at   BIGINT,
    -- After this no token it signed can be valid: it leaves the JWKS.
    expires_at   BIGINT
);

CREATE TABLE security_events (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    event_type  TEXT NOT NULL,
    session_id  TEXT,
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    -- Free text for operators; never a password, token, key or hash.
    detail      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX security_events_time_idx ON security_events (created_at, id);
CREATE INDEX security_events_user_idx ON security_events (user_id, created_at, id);
CREATE INDEX security_events_type_idx ON security_events (event_type, created_at, id);

-- The revocation feed. `sequence` comes from revocation_sequence, whose single row is
-- incremented inside the revoking transaction: the row lock makes commits happen in sequence
-- order, so a consumer resuming "after N" can never skip an event committed late.
CREATE TABLE revocation_events (
    sequence    BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('TOKEN', 'SESSION')),
    jti         TEXT,
    session_id  TEXT,
    user_id     TEXT NOT NULL,
    revoked_at  BIGINT NOT NULL,
    -- After this the revoked token/session could not be valid anyway: the event can go.
    expires_at  BIGINT NOT NULL
);
CREATE INDEX revocation_events_expires_idx ON revocation_events (expires_at);

CREATE TABLE revocation_sequence (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  BIGINT NOT NULL
);
INSERT INTO revocation_sequence (id, value) VALUES (1, 0);

-- Per-IP login throttling: attempts counted in fixed windows.
CREATE TABLE login_attempts (
    ip            TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    attempts      INTEGER NOT NULL,
    PRIMARY KEY (ip, window_start)
);
