//! The second factor's tables, one module each: [`factors`] (`mfa_totp`), [`recovery_codes`]
//! (`mfa_recovery_codes`) and [`challenges`] (`mfa_challenges`). Its columns of other tables
//! live with those tables: `users.mfa_enabled` in `store::users`, `sessions.mfa_verified_at`
//! in `store::sessions`.

/// `mfa_totp`: one TOTP factor per user, pending until confirmed.
pub(crate) mod factors {
    use shared::db::Flag;
    use shared::time::Micros;
    use sqlx::AnyConnection;

    /// A stored factor. `Debug` leaves the secret out.
    #[derive(Clone, sqlx::FromRow)]
    pub(crate) struct FactorRow {
        /// Owner.
        pub user_id: String,
        /// The key, sealed (`nonce || ciphertext`) when `sealed`, raw otherwise.
        pub secret: Vec<u8>,
        /// Whether `secret` is sealed under the master key.
        pub sealed: Flag,
        /// When the first code confirmed it; `None` while pending.
        pub confirmed_at: Option<Micros>,
        /// The newest accepted time step; codes of it or earlier are replays.
        pub last_step: Option<i64>,
    }

    impl FactorRow {
        /// True once confirmed: the user has a second factor.
        pub(crate) fn confirmed(&self) -> bool {
            self.confirmed_at.is_some()
        }
    }

    impl std::fmt::Debug for FactorRow {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("FactorRow")
                .field("user_id", &self.user_id)
                .field("sealed", &self.sealed.0)
                .field("confirmed_at", &self.confirmed_at)
                .field("last_step", &self.last_step)
                .finish_non_exhaustive()
        }
    }

    /// The factor of `user_id`, pending or confirmed.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn get(
        conn: &mut AnyConnection,
        user_id: &str,
    ) -> sqlx::Result<Option<FactorRow>> {
        sqlx::query_as(
            "SELECT user_id, secret, sealed, confirmed_at, last_step \
             FROM mfa_totp WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(conn)
        .await
    }

    /// Stores a pending factor, replacing a pending one; false (nothing written) when the user
    /// has a confirmed factor.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn put_pending(
        conn: &mut AnyConnection,
        user_id: &str,
        secret: &[u8],
        sealed: bool,
        now: Micros,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO mfa_totp (user_id, secret, sealed, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
             sealed = excluded.sealed, created_at = excluded.created_at, last_step = NULL \
             WHERE mfa_totp.confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(secret.to_vec())
        .bind(Flag(sealed))
        .bind(now)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Confirms the pending factor whose stored secret is still `secret` (a new enrolment
    /// begun meanwhile replaced it), accepting `step`; false when there is no such factor.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn confirm(
        conn: &mut AnyConnection,
        user_id: &str,
        secret: &[u8],
        step: i64,
        now: Micros,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE mfa_totp SET confirmed_at = $4, last_step = $3 \
             WHERE user_id = $1 AND secret = $2 AND confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(secret.to_vec())
        .bind(step)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Accepts a code of `step` for the confirmed factor of `user_id`, unless a code of that
    /// step or a later one was accepted already (a replay, also by a concurrent request):
    /// false then.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn accept_step(
        conn: &mut AnyConnection,
        user_id: &str,
        step: i64,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE mfa_totp SET last_step = $2 WHERE user_id = $1 \
             AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the factor of `user_id`, pending or confirmed; true when there was one.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn delete(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<bool> {
        let done = sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1")
            .bind(user_id)
            .execute(conn)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// `mfa_recovery_codes`: digests of single-use recovery codes.
pub(crate) mod recovery_codes {
    use shared::time::Micros;
    use sqlx::AnyConnection;

    /// Digests of the unused codes of `user_id`.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn unused(
        conn: &mut AnyConnection,
        user_id: &str,
    ) -> sqlx::Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_all(conn)
        .await
    }

    /// How many codes of `user_id` are left.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn count_unused(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(conn)
        .await
    }

    /// Marks the code `code_hash` of `user_id` used, unless it already is (also by a
    /// concurrent request): false then.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn use_code(
        conn: &mut AnyConnection,
        user_id: &str,
        code_hash: &str,
        now: Micros,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes every code of `user_id`, used or not.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn delete_all(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(conn)
            .await
            .map(|_| ())
    }

    /// Stores one new code digest.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn insert(
        conn: &mut AnyConnection,
        user_id: &str,
        code_hash: &str,
        now: Micros,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    }
}

/// `mfa_challenges`: the pending second steps of sign-ins.
pub(crate) mod challenges {
    use shared::time::Micros;
    use sqlx::AnyConnection;

    /// The columns of [`ChallengeRow`], in its field order.
    const COLUMNS: &str = "challenge_hash, user_id, credentials_digest, device_label, \
                           ip_bucket, user_agent, created_at, expires_at, \
                           CAST(failures AS BIGINT) AS failures";

    /// A stored challenge.
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub(crate) struct ChallengeRow {
        /// Digest of the challenge (the challenge itself is never stored).
        pub challenge_hash: String,
        /// The user whose password was right.
        pub user_id: String,
        /// Digest of the password hash the Login checked.
        pub credentials_digest: String,
        /// The device label of the session to open.
        pub device_label: String,
        /// Address bucket of the Login's client.
        pub ip_bucket: String,
        /// User agent of the Login's client.
        pub user_agent: String,
        /// When the Login issued it.
        pub created_at: Micros,
        /// When it stops being accepted.
        pub expires_at: Micros,
        /// Wrong codes presented with it.
        pub failures: i64,
    }

    /// Stores a new challenge.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %row.user_id))]
    pub(crate) async fn insert(conn: &mut AnyConnection, row: &ChallengeRow) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO mfa_challenges (challenge_hash, user_id, credentials_digest, \
             device_label, ip_bucket, user_agent, created_at, expires_at, failures) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(&row.challenge_hash)
        .bind(&row.user_id)
        .bind(&row.credentials_digest)
        .bind(&row.device_label)
        .bind(&row.ip_bucket)
        .bind(&row.user_agent)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(conn)
        .await
        .map(|_| ())
    }

    /// The challenge whose digest is `challenge_hash`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(crate) async fn get(
        conn: &mut AnyConnection,
        challenge_hash: &str,
    ) -> sqlx::Result<Option<ChallengeRow>> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM mfa_challenges WHERE challenge_hash = $1"
        ))
        .bind(challenge_hash)
        .fetch_optional(conn)
        .await
    }

    /// Reserves one code attempt on a live challenge before the code is checked: counts it
    /// while the challenge is unexpired at `now` and has seen fewer than `max_failures`
    /// attempts; returns the attempts counted, or `None` when the challenge is dead. Reserved
    /// first, so concurrent guesses cannot all slip in before any is counted.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(crate) async fn reserve_attempt(
        conn: &mut AnyConnection,
        challenge_hash: &str,
        now: Micros,
        max_failures: i64,
    ) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar(
            "UPDATE mfa_challenges SET failures = failures + 1 \
             WHERE challenge_hash = $1 AND expires_at > $2 AND failures < $3 \
             RETURNING CAST(failures AS BIGINT)",
        )
        .bind(challenge_hash)
        .bind(now)
        .bind(max_failures)
        .fetch_optional(conn)
        .await
    }

    /// Takes the challenge for a sign-in: deletes it if it is still live at `now` and within
    /// its `max_failures` reserved attempts; false when it is not (expired, or taken by a
    /// concurrent request).
    #[tracing::instrument(level = "debug", skip_all)]
    pub(crate) async fn take(
        conn: &mut AnyConnection,
        challenge_hash: &str,
        now: Micros,
        max_failures: i64,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "DELETE FROM mfa_challenges WHERE challenge_hash = $1 AND expires_at > $2 \
             AND failures <= $3",
        )
        .bind(challenge_hash)
        .bind(now)
        .bind(max_failures)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes one challenge.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(crate) async fn delete(conn: &mut AnyConnection, challenge_hash: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM mfa_challenges WHERE challenge_hash = $1")
            .bind(challenge_hash)
            .execute(conn)
            .await
            .map(|_| ())
    }

    /// Deletes the challenges of `user_id` that expired by `now` (each new Login tidies up
    /// after the earlier ones of its user).
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn forget_expired_of(
        conn: &mut AnyConnection,
        user_id: &str,
        now: Micros,
    ) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1 AND expires_at <= $2")
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await
            .map(|_| ())
    }

    /// Deletes every challenge that expired before `before`; returns how many went.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(crate) async fn delete_expired(
        conn: &mut AnyConnection,
        before: Micros,
    ) -> sqlx::Result<u64> {
        sqlx::query("DELETE FROM mfa_challenges WHERE expires_at < $1")
            .bind(before)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    }

    /// Deletes every challenge of `user_id` (the factor went away).
    #[tracing::instrument(level = "debug", skip_all, fields(user_id))]
    pub(crate) async fn delete_of_user(
        conn: &mut AnyConnection,
        user_id: &str,
    ) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1")
            .bind(user_id)
            .execute(conn)
            .await
            .map(|_| ())
    }
}
