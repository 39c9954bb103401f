-- The account lifecycle: verified email addresses, password reset and account deletion.

-- Whether `email` was confirmed through a mailed link; an address the user asked to change to,
-- waiting for its confirmation; whether sign-in needs a second factor (kept here so every read
-- of a user has it without another query).
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN pending_email TEXT;
ALTER TABLE users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;

-- Single-use tokens of mailed links. Only a SHA-256 digest of the token is stored: the token
-- itself exists only in the message. `email` is the address a verification confirms.
CREATE TABLE account_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires_idx ON account_tokens (expires_at);

-- A deleted account is announced on the revocation feed: consumers delete the user's data.
ALTER TABLE revocation_events DROP CONSTRAINT revocation_events_kind_check;
ALTER TABLE revocation_events ADD CONSTRAINT revocation_events_kind_check
    CHECK (kind IN ('TOKEN', 'SESSION', 'USER_DELETED'));
