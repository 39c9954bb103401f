-- The admin dashboard counts the active sessions. Sessions are never deleted, so without an
-- index that count reads every session ever opened; this one holds only the sessions not
-- revoked, ordered by their absolute end, so the count reads the unexpired ones alone.
CREATE INDEX sessions_live_idx ON sessions (expires_at) WHERE revoked_at IS NULL;
