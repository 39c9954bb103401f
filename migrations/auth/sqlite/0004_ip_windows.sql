-- Per-client rate windows of every throttled action (login, register, password change),
-- replacing the login-only table. `bucket` is the client's address, or its /64 for IPv6
-- (one household or host owns a whole /64). A window is counted only up to one past its
-- limit: attempts refused beyond that write nothing.
CREATE TABLE ip_windows (
    action        TEXT NOT NULL,
    bucket        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    attempts      INTEGER NOT NULL,
    PRIMARY KEY (action, bucket, window_start)
);
CREATE INDEX ip_windows_start_idx ON ip_windows (window_start);

DROP TABLE login_attempts;
