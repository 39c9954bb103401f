-- Guessing from addresses an account does not know is slowed per account instead of locking
-- it (see services/auth/src/domain/unknown_clients.rs).
--
-- The addresses each account signed in from (registration or login): an IPv4 address or an
-- IPv6 /64, as in ip_windows. A login from one of them is the owner's, and only its failures
-- count toward the lockout. The newest few per account are kept; rows not refreshed within
-- their time to live are swept.
CREATE TABLE known_clients (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    bucket     TEXT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (user_id, bucket)
);
CREATE INDEX known_clients_last_seen_idx ON known_clients (last_seen);

-- Failed logins from unknown addresses per login name as presented, whether or not an account
-- has that name, so that an existing name and a free one answer alike. The name is stored as
-- the base64url SHA-256 of its lowercase form: fixed width, and a password typed into the name
-- field is not kept. `failures` counts since the last pause of more than the reset time
-- between failures; each time it reaches a multiple of the budget, unknown addresses are
-- refused until `blocked_until`. Refusals write nothing. Swept once forgotten and not blocked.
CREATE TABLE login_throttles (
    login_digest   TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failure   BIGINT NOT NULL,
    blocked_until  BIGINT
);
CREATE INDEX login_throttles_last_failure_idx ON login_throttles (last_failure);
