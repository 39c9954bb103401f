//! What staff and admins read of everyone's training: StatsService.GetUserStats (one user's
//! statistics, read-only) and GetTrainingOverview (sums over every user's statistics). Users
//! are refused both.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use crate::helpers::{Stack, User, assert_bad, assert_code, reason, scalar};

const STATS_ROWS: &str = "SELECT COUNT(*) FROM stats WHERE user_id = $1";

/// `GetUserStats` of `user_id` as `by`.
async fn user_stats(by: &mut User, user_id: &str) -> Result<pb::Stat, tonic::Status> {
    by.stats
        .get_user_stats(pb::GetUserStatsRequest {
            user_id: user_id.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// `GetTrainingOverview` as `by`.
async fn overview(by: &mut User) -> pb::GetTrainingOverviewResponse {
    by.stats
        .get_training_overview(pb::GetTrainingOverviewRequest {})
        .await
        .unwrap()
        .into_inner()
}

async fn staff_and_admins_read_a_users_stats_as_the_user_does(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let w = ada.create_workout("Legs", "2026-11-24").await.id;
    ada.create_exercise("Squat", Some(25), &[&w]).await;
    ada.create_exercise("Plank", None, &[]).await;
    let bob = stack.user("bob").await;
    let cat = stack.user("cat").await;
    let mut staff = stack.promote(&bob, "STAFF").await;
    let mut admin = stack.promote(&cat, "ADMIN").await;
    staff
        .stats
        .set_evaluation(pb::SetEvaluationRequest {
            user_id: ada.id.clone(),
            evaluation: 64,
        })
        .await
        .unwrap();

    let own = ada.my_stats().await;
    assert_eq!(
        (
            own.total_workouts,
            own.total_exercises,
            own.total_duration_minutes,
            own.evaluation
        ),
        (1, 2, 25, Some(64))
    );
    assert_eq!(user_stats(&mut staff, &ada.id).await.unwrap(), own);
    assert_eq!(user_stats(&mut admin, &ada.id).await.unwrap(), own);
    // Any textual form of the id names the same user.
    let upper = ada.id.to_uppercase();
    assert_eq!(user_stats(&mut staff, &upper).await.unwrap(), own);
    stack.stop().await;
}

async fn a_user_without_stats_reads_as_zeros_and_nothing_is_created(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let bob = stack.user("bob").await;
    let mut staff = stack.promote(&bob, "STAFF").await;
    let dan = stack.user("dan").await;
    let nobody = uuid::Uuid::now_v7().to_string();
    for user_id in [&dan.id, &nobody] {
        let stat = user_stats(&mut staff, user_id).await.unwrap();
        assert_eq!(
            stat,
            pb::Stat {
                user_id: user_id.clone(),
                total_workouts: 0,
                total_exercises: 0,
                total_duration_minutes: 0,
                evaluation: None,
                updated_at: None,
                ..Default::default()
            }
        );
        assert_eq!(
            scalar(&stack.fitness, STATS_ROWS, user_id).await,
            0,
            "the read created no row"
        );
    }
    let totals = overview(&mut staff).await;
    assert_eq!(totals, pb::GetTrainingOverviewResponse::default());
    stack.stop().await;
}

async fn users_are_refused_other_users_stats_and_the_overview(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bob = stack.user("bob").await;
    for user_id in [&bob.id, &ada.id.clone()] {
        let denied = assert_code(user_stats(&mut ada, user_id).await, Code::PermissionDenied);
        assert_eq!(reason(&denied), "PERMISSION_DENIED");
    }
    assert_code(
        ada.stats
            .get_training_overview(pb::GetTrainingOverviewRequest {})
            .await,
        Code::PermissionDenied,
    );
    stack.stop().await;
}

async fn a_malformed_user_id_is_invalid(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let bob = stack.user("bob").await;
    let mut staff = stack.promote(&bob, "STAFF").await;
    for user_id in ["", "not-a-uuid"] {
        assert_bad(user_stats(&mut staff, user_id).await, &["user_id"]);
    }
    stack.stop().await;
}

async fn the_training_overview_sums_every_users_stats(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    // Ada: two workouts, three exercises, 35 minutes.
    let mut ada = stack.user("ada").await;
    let legs = ada.create_workout("Legs", "2026-11-24").await.id;
    ada.create_workout("Run", "2026-11-25").await;
    ada.create_exercise("Squat", Some(20), &[&legs]).await;
    ada.create_exercise("Lunge", Some(15), &[&legs]).await;
    ada.create_exercise("Plank", None, &[]).await;
    // Bob: one workout, one exercise of 30 minutes.
    let mut bob = stack.user("bob").await;
    let swim = bob.create_workout("Swim", "2026-11-26").await.id;
    bob.create_exercise("Laps", Some(30), &[&swim]).await;
    // Cat: a row of zeros. Dan: an exercise of 10 minutes but no workout.
    let cat = stack.user("cat").await;
    let mut admin = stack.promote(&cat, "ADMIN").await;
    admin.my_stats().await;
    let mut dan = stack.user("dan").await;
    dan.create_exercise("Stretch", Some(10), &[]).await;

    assert_eq!(
        overview(&mut admin).await,
        pb::GetTrainingOverviewResponse {
            total_workouts: 3,
            total_exercises: 5,
            users_with_workouts: 2,
            total_duration_minutes: 75,
        }
    );
    let eve = stack.user("eve").await;
    let mut staff = stack.promote(&eve, "STAFF").await;
    bob.workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: swim })
        .await
        .unwrap();
    let after = overview(&mut staff).await;
    assert_eq!(
        (after.total_workouts, after.users_with_workouts),
        (2, 1),
        "Bob has no workout left"
    );
    stack.stop().await;
}

backend_tests!(
    staff_and_admins_read_a_users_stats_as_the_user_does,
    a_user_without_stats_reads_as_zeros_and_nothing_is_created,
    users_are_refused_other_users_stats_and_the_overview,
    a_malformed_user_id_is_invalid,
    the_training_overview_sums_every_users_stats,
);
