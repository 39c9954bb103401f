-- At most one active (not retired) signing key, even when several replicas start at once on
-- an empty database: the loser of the race gets a unique violation and uses the winner's key.
-- The indexed expression is 0 for every active row (the index only covers active rows).
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((COALESCE(retired_at, 0)))
    WHERE retired_at IS NULL;
