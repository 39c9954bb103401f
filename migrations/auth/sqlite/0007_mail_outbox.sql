-- The transactional outbox of mail (services/auth/src/mail): a message is inserted in the
-- transaction of the change that causes it, and a courier sends it afterwards.
--
-- A row moves QUEUED → CLAIMED (a courier leased it: `lease_owner` until `lease_until`) →
-- SENDING (that courier began talking to the mail server) → SENT, or back to QUEUED with a
-- later `next_attempt_at` when the server refused it for now, or FAILED when it was given up.
-- An expired CLAIMED lease goes back to QUEUED (nothing was sent); an expired SENDING lease
-- becomes FAILED, never QUEUED: the message may have been delivered, and it is sent at most
-- once. `params` (JSON, holding single-use link tokens) is set to NULL once the row is SENT
-- or FAILED; finished rows are swept after the retention.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY,
    recipient        TEXT NOT NULL,
    template         TEXT NOT NULL,
    params           TEXT,
    state            TEXT NOT NULL
                     CHECK (state IN ('QUEUED', 'CLAIMED', 'SENDING', 'SENT', 'FAILED')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_until      BIGINT,
    finished_at      BIGINT,
    last_error       TEXT
);
-- Due rows (state = 'QUEUED' ordered by next_attempt_at) and expired leases.
CREATE INDEX mail_outbox_due_idx ON mail_outbox (state, next_attempt_at);
CREATE INDEX mail_outbox_lease_idx ON mail_outbox (state, lease_until);
-- The sweep of finished rows.
CREATE INDEX mail_outbox_finished_idx ON mail_outbox (finished_at);
