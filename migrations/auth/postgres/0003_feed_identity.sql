-- The revocation feed's identity. Sequences are only comparable within one feed: a consumer
-- that resumes "after N" against a replaced database (restored, recreated) must start over,
-- and it can tell only by this id, set once at first start.
ALTER TABLE revocation_sequence ADD COLUMN feed_id TEXT NOT NULL DEFAULT '';
