//! StatsService.ListWeeklySummaries: a row per ISO week with a workout, following every
//! workout's sets, date and deletion; newest first, bounds moved to their Mondays, paged.
//! And the user's totals of sets in GetMyStats.

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};

use super::{exercise, replace};
use crate::helpers::{Stack, User, assert_bad, distance_set, entry, weighted_set};

/// One page of the user's weeks.
async fn weeks(
    user: &mut User,
    request: pb::ListWeeklySummariesRequest,
) -> Result<pb::ListWeeklySummariesResponse, tonic::Status> {
    user.stats
        .list_weekly_summaries(request)
        .await
        .map(tonic::Response::into_inner)
}

/// Every week of the user, first page only (the tests have few).
async fn all_weeks(user: &mut User) -> Vec<pb::WeeklySummary> {
    let page = weeks(user, pb::ListWeeklySummariesRequest::default())
        .await
        .expect("weeks listed");
    assert!(page.next_page_token.is_empty());
    page.weeks
}

/// A week as listed.
fn week(
    week_start: &str,
    workouts: i64,
    sets: i64,
    reps: i64,
    volume_kg: f64,
    distance_meters: f64,
    set_seconds: i64,
) -> pb::WeeklySummary {
    pb::WeeklySummary {
        week_start: week_start.to_owned(),
        workouts,
        sets,
        reps,
        volume_kg,
        distance_meters,
        set_seconds,
    }
}

/// Moves the user's workout to `date`.
async fn move_to(user: &mut User, workout_id: &str, date: &str) {
    user.workouts
        .update_workout(pb::UpdateWorkoutRequest {
            workout: Some(pb::Workout {
                id: workout_id.to_owned(),
                date: date.to_owned(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["date".into()],
            }),
        })
        .await
        .expect("date moved");
}

async fn weeks_follow_workouts_their_sets_and_dates(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let bench = exercise(&mut ada, "Bench", pb::TrackingMode::WeightReps).await;
    let running = exercise(&mut ada, "Run", pb::TrackingMode::DistanceDuration).await;
    // Wednesday and Sunday of the week of Monday 2026-03-02, and the next Monday.
    let lifting = ada.create_workout("Lifting", "2026-03-04").await.id;
    let runday = ada.create_workout("Run", "2026-03-08").await.id;
    let rest = ada.create_workout("Rest", "2026-03-09").await.id;
    replace(
        &mut ada,
        &lifting,
        vec![entry(
            &bench,
            vec![weighted_set(100.0, 5), weighted_set(50.0, 3)],
        )],
    )
    .await;
    replace(
        &mut ada,
        &runday,
        vec![entry(&running, vec![distance_set(5000.0, Some(1500))])],
    )
    .await;
    assert_eq!(
        all_weeks(&mut ada).await,
        [
            week("2026-03-09", 1, 0, 0, 0.0, 0.0, 0),
            week("2026-03-02", 2, 3, 8, 650.0, 5000.0, 1500),
        ]
    );
    let stat = ada.my_stats().await;
    assert_eq!(
        (
            stat.total_sets,
            stat.total_reps,
            stat.total_volume_kg,
            stat.total_distance_meters,
            stat.total_set_seconds
        ),
        (3, 8, 650.0, 5000.0, 1500)
    );

    // The run moves to the next week with its sets.
    move_to(&mut ada, &runday, "2026-03-11").await;
    assert_eq!(
        all_weeks(&mut ada).await,
        [
            week("2026-03-09", 2, 1, 0, 0.0, 5000.0, 1500),
            week("2026-03-02", 1, 2, 8, 650.0, 0.0, 0),
        ]
    );
    // The last workout leaves its week: the week is gone.
    move_to(&mut ada, &lifting, "2026-03-15").await;
    assert_eq!(
        all_weeks(&mut ada).await,
        [week("2026-03-09", 3, 3, 8, 650.0, 5000.0, 1500)]
    );
    // Deleted with its sets.
    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest { id: runday })
        .await
        .expect("workout deleted");
    assert_eq!(
        all_weeks(&mut ada).await,
        [week("2026-03-09", 2, 2, 8, 650.0, 0.0, 0)]
    );
    // Sets replaced: the week follows the difference.
    replace(
        &mut ada,
        &lifting,
        vec![entry(&bench, vec![weighted_set(60.0, 10)])],
    )
    .await;
    assert_eq!(
        all_weeks(&mut ada).await,
        [week("2026-03-09", 2, 1, 10, 600.0, 0.0, 0)]
    );
    for id in [lifting, rest] {
        ada.workouts
            .delete_workout(pb::DeleteWorkoutRequest { id })
            .await
            .expect("workout deleted");
    }
    assert!(all_weeks(&mut ada).await.is_empty());
    let stat = ada.my_stats().await;
    assert_eq!(
        (stat.total_sets, stat.total_reps, stat.total_volume_kg),
        (0, 0, 0.0)
    );
    stack.stop().await;
}

/// Ada with a workout in each of five weeks (Mondays 01-05 to 02-02).
async fn five_weeks(backend: Backend) -> (Stack, User) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    for date in [
        "2026-01-07",
        "2026-01-14",
        "2026-01-21",
        "2026-02-01",
        "2026-02-04",
    ] {
        ada.create_workout("Week", date).await;
    }
    (stack, ada)
}

/// The week starts of every page of `request`, walking its tokens.
async fn walk(user: &mut User, mut request: pb::ListWeeklySummariesRequest) -> Vec<String> {
    let mut starts = Vec::new();
    loop {
        let page = weeks(user, request.clone()).await.expect("weeks listed");
        starts.extend(page.weeks.into_iter().map(|w| w.week_start));
        if page.next_page_token.is_empty() {
            return starts;
        }
        request.page_token = page.next_page_token;
    }
}

async fn weeks_page_newest_first_within_bounds(backend: Backend) {
    let (stack, mut ada) = five_weeks(backend).await;
    let all = [
        "2026-02-02",
        "2026-01-26",
        "2026-01-19",
        "2026-01-12",
        "2026-01-05",
    ];
    for page_size in [0, 1, 2, 5, 1000] {
        let request = pb::ListWeeklySummariesRequest {
            page_size,
            ..Default::default()
        };
        assert_eq!(walk(&mut ada, request).await, all, "page size {page_size}");
    }
    let first = weeks(
        &mut ada,
        pb::ListWeeklySummariesRequest {
            page_size: 2,
            ..Default::default()
        },
    )
    .await
    .expect("a page");
    assert_eq!(first.weeks.len(), 2);
    assert!(!first.next_page_token.is_empty());

    // A Thursday bound means its week: the week of Monday 01-12 is in.
    let bounded = pb::ListWeeklySummariesRequest {
        from_date: "2026-01-15".into(),
        to_date: "2026-02-01".into(),
        page_size: 2,
        ..Default::default()
    };
    assert_eq!(
        walk(&mut ada, bounded.clone()).await,
        ["2026-01-26", "2026-01-19", "2026-01-12"]
    );
    // Both bounds in one week, the later date first: still that week.
    let one_week = pb::ListWeeklySummariesRequest {
        from_date: "2026-01-22".into(),
        to_date: "2026-01-20".into(),
        ..Default::default()
    };
    assert_eq!(walk(&mut ada, one_week).await, ["2026-01-19"]);

    assert_bad(
        weeks(
            &mut ada,
            pb::ListWeeklySummariesRequest {
                from_date: "2026-02-03".into(),
                to_date: "2026-01-20".into(),
                ..Default::default()
            },
        )
        .await,
        &["to_date"],
    );
    assert_bad(
        weeks(
            &mut ada,
            pb::ListWeeklySummariesRequest {
                from_date: "2026-02-30".into(),
                to_date: "yesterday".into(),
                page_size: -1,
                ..Default::default()
            },
        )
        .await,
        &["from_date", "page_size", "to_date"],
    );
    // A token is bound to its bounds.
    let token = weeks(&mut ada, bounded.clone())
        .await
        .expect("a page")
        .next_page_token;
    assert_bad(
        weeks(
            &mut ada,
            pb::ListWeeklySummariesRequest {
                page_token: token,
                page_size: 2,
                ..Default::default()
            },
        )
        .await,
        &["page_token"],
    );
    // Another user sees none of them.
    let mut bob = stack.user("bob").await;
    assert!(all_weeks(&mut bob).await.is_empty());
    stack.stop().await;
}

backend_tests!(
    weeks_follow_workouts_their_sets_and_dates,
    weeks_page_newest_first_within_bounds,
);
