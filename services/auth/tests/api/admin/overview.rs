//! `AdminService.GetOverview`: user and session counts now, and sign-ups, sign-ins and failed
//! sign-ins per UTC day of the service clock, zero-filled, oldest first.

use std::time::Duration;

use shared::pb::auth::v1::{
    DailyActivity, GetOverviewRequest, GetOverviewResponse, UpdateUserRequest,
};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Status;

use crate::helpers::*;

const DAY_SECS: i64 = 86_400;

/// Two days of activity under a clock the test moves: yesterday (noon UTC) the admin and Old
/// registered and Old signed in; today (noon UTC) Ada, Bob and Cat registered, Ada and Bob
/// signed in, Cat failed to, and the admin deactivated Cat.
struct TwoDays {
    auth: TestAuth,
    clock: ManualClock,
    /// The admin's refresh token.
    admin_refresh: String,
    /// The admin's access token.
    admin: String,
}

impl TwoDays {
    async fn spawn(backend: Backend) -> Self {
        let clock = ManualClock::new();
        let auth = TestAuth::spawn_with(backend, |c| c.clock = clock.clock()).await;
        to_next_noon(&clock);
        let admin = register(&auth, "root_admin").await;
        make_admin(&auth, &admin.user.unwrap().id).await;
        register(&auth, "old").await;
        login(&auth, "old", PASSWORD).await.unwrap();

        to_next_noon(&clock);
        // The admin's access token expired overnight; its refresh token did not.
        let admin = refresh(&auth, &admin.tokens.unwrap().refresh_token)
            .await
            .unwrap();
        register(&auth, "ada").await;
        register(&auth, "bob").await;
        let cat = register(&auth, "cat").await.user.unwrap().id;
        login(&auth, "ada", PASSWORD).await.unwrap();
        login(&auth, "bob", PASSWORD).await.unwrap();
        login(&auth, "cat", OTHER_PASSWORD).await.unwrap_err();
        admin_client(&auth)
            .await
            .update_user(bearer(
                UpdateUserRequest {
                    user_id: cat,
                    active: Some(false),
                    ..UpdateUserRequest::default()
                },
                &admin.access_token,
            ))
            .await
            .unwrap();
        Self {
            auth,
            clock,
            admin_refresh: admin.refresh_token,
            admin: admin.access_token,
        }
    }

    async fn overview(&self, days: i32) -> Result<GetOverviewResponse, Status> {
        admin_client(&self.auth)
            .await
            .get_overview(bearer(GetOverviewRequest { days }, &self.admin))
            .await
            .map(tonic::Response::into_inner)
    }

    /// `YYYY-MM-DD` of the UTC day `days_ago` days before the clock's.
    fn date(&self, days_ago: i64) -> String {
        let secs = self.clock.clock().now_secs() - days_ago * DAY_SECS;
        let d = time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap()
            .date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// The entry expected for the day `days_ago` days before the clock's.
    fn day(&self, days_ago: i64, sign_ups: i64, sign_ins: i64, failed: i64) -> DailyActivity {
        DailyActivity {
            date: self.date(days_ago),
            sign_ups,
            sign_ins,
            failed_sign_ins: failed,
        }
    }
}

/// Moves `clock` to the next noon UTC.
fn to_next_noon(clock: &ManualClock) {
    let secs = clock.clock().now_secs().rem_euclid(DAY_SECS);
    let to_noon = DAY_SECS - secs + DAY_SECS / 2;
    clock.advance(Duration::from_secs(u64::try_from(to_noon).unwrap()));
}

async fn the_overview_counts_users_live_sessions_and_each_days_sign_ins(backend: Backend) {
    let t = TwoDays::spawn(backend).await;
    let overview = t.overview(2).await.unwrap();
    assert_eq!(overview.total_users, 5);
    assert_eq!(overview.active_users, 4, "Cat is deactivated");
    // The admin's, Old's two, Ada's two and Bob's two: Cat's went with the deactivation.
    assert_eq!(overview.active_sessions, 7);
    assert_eq!(
        overview.days,
        [t.day(1, 2, 1, 0), t.day(0, 3, 2, 1)],
        "yesterday, then today"
    );
    let today = t.overview(1).await.unwrap();
    assert_eq!(today.days, [t.day(0, 3, 2, 1)]);
    t.auth.stop().await;
}

async fn the_series_is_thirty_days_by_default_capped_at_ninety_and_zero_filled(backend: Backend) {
    let t = TwoDays::spawn(backend).await;
    let default = t.overview(0).await.unwrap().days;
    let mut expected: Vec<DailyActivity> = (2..30).rev().map(|ago| t.day(ago, 0, 0, 0)).collect();
    expected.extend([t.day(1, 2, 1, 0), t.day(0, 3, 2, 1)]);
    assert_eq!(default, expected);
    let capped = t.overview(1000).await.unwrap().days;
    assert_eq!(capped.len(), 90);
    assert_eq!(capped[0], t.day(89, 0, 0, 0));
    assert_eq!(capped[89], t.day(0, 3, 2, 1));
    t.auth.stop().await;
}

async fn sessions_idle_past_their_refresh_token_are_no_longer_active(backend: Backend) {
    let t = TwoDays::spawn(backend).await;
    // Refresh tokens last 14 days without use: every session of the two days is idle.
    t.clock.advance(Duration::from_secs(15 * 86_400));
    assert!(refresh(&t.auth, &t.admin_refresh).await.is_err());
    let admin = login(&t.auth, "root_admin", PASSWORD)
        .await
        .unwrap()
        .tokens
        .unwrap()
        .access_token;
    let overview = admin_client(&t.auth)
        .await
        .get_overview(bearer(GetOverviewRequest { days: 16 }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (overview.total_users, overview.active_users),
        (5, 4),
        "users stay"
    );
    assert_eq!(overview.active_sessions, 1, "the admin's new session alone");
    assert_eq!(overview.days.len(), 16);
    assert_eq!(overview.days[0], t.day(15, 3, 2, 1));
    assert_eq!(overview.days[15], t.day(0, 0, 1, 0));
    assert!(
        overview.days[1..15]
            .iter()
            .all(|d| d.sign_ups + d.sign_ins == 0)
    );
    t.auth.stop().await;
}

async fn a_negative_number_of_days_is_invalid(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin = admin_token(&auth).await;
    let status = admin_client(&auth)
        .await
        .get_overview(bearer(GetOverviewRequest { days: -1 }, &admin))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status), ["days"]);
    assert_eq!(reason(&status), "INVALID_ARGUMENT");
    auth.stop().await;
}

backend_tests!(
    the_overview_counts_users_live_sessions_and_each_days_sign_ins,
    the_series_is_thirty_days_by_default_capped_at_ninety_and_zero_filled,
    sessions_idle_past_their_refresh_token_are_no_longer_active,
    a_negative_number_of_days_is_invalid,
);
