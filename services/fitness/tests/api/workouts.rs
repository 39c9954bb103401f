//! WorkoutService: CRUD, field masks, filters, ordering, pagination and validation.

use prost_types::FieldMask;
use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use crate::helpers::{Stack, assert_bad, assert_code, workout};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

async fn a_workout_is_created_read_updated_and_deleted(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let created = ada
        .workouts
        .create_workout(pb::CreateWorkoutRequest {
            workout: Some(pb::Workout {
                notes: "felt strong".into(),
                ..workout("Legs", "2026-11-24", pb::WorkoutType::Strength)
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        uuid::Uuid::parse_str(&created.id)
            .unwrap()
            .get_version_num(),
        7
    );
    assert_eq!(
        (
            created.title.as_str(),
            created.date.as_str(),
            created.notes.as_str()
        ),
        ("Legs", "2026-11-24", "felt strong")
    );
    assert_eq!(created.workout_type, pb::WorkoutType::Strength as i32);
    assert_eq!(
        (created.exercise_count, created.total_duration_minutes),
        (0, 0)
    );
    assert!(created.created_at.is_some() && created.created_at == created.updated_at);

    assert_eq!(ada.get_workout(&created.id).await, created);

    // An explicit mask changes only its paths, even if other fields are populated.
    let updated = ada
        .workouts
        .update_workout(pb::UpdateWorkoutRequest {
            workout: Some(pb::Workout {
                id: created.id.clone(),
                title: "Legs and core".into(),
                notes: "ignored: not in the mask".into(),
                ..Default::default()
            }),
            update_mask: mask(&["title"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.title, "Legs and core");
    assert_eq!(updated.notes, "felt strong");
    assert_eq!(updated.date, "2026-11-24");
    let micros = |t: Option<prost_types::Timestamp>| t.map(|t| (t.seconds, t.nanos));
    assert!(micros(updated.updated_at) > micros(created.updated_at));

    // Without a mask, the populated fields are updated.
    let updated = ada
        .workouts
        .update_workout(pb::UpdateWorkoutRequest {
            workout: Some(pb::Workout {
                id: created.id.clone(),
                date: "2026-11-25".into(),
                workout_type: pb::WorkoutType::Cardio as i32,
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.title, "Legs and core");
    assert_eq!(updated.date, "2026-11-25");
    assert_eq!(updated.workout_type, pb::WorkoutType::Cardio as i32);

    // A mask can clear notes.
    let updated = ada
        .workouts
        .update_workout(pb::UpdateWorkoutRequest {
            workout: Some(pb::Workout {
                id: created.id.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["notes"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.notes, "");

    ada.workouts
        .delete_workout(pb::DeleteWorkoutRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap();
    assert_code(
        ada.workouts
            .get_workout(pb::GetWorkoutRequest {
                id: created.id.clone(),
                include_exercises: false,
            })
            .await,
        Code::NotFound,
    );
    assert_code(
        ada.workouts
            .delete_workout(pb::DeleteWorkoutRequest { id: created.id })
            .await,
        Code::NotFound,
    );
    stack.stop().await;
}

async fn every_invalid_workout_field_is_named_in_one_bad_request(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let create = |w: Option<pb::Workout>, request_id: &str| pb::CreateWorkoutRequest {
        workout: w,
        request_id: request_id.to_owned(),
    };
    let ok = workout("Legs", "2026-11-24", pb::WorkoutType::Strength);

    // All at once: every violated field in one BadRequest.
    let all_bad = pb::Workout {
        title: String::new(),
        date: "2026-02-30".into(),
        notes: "n".repeat(10_001),
        workout_type: 0,
        ..Default::default()
    };
    assert_bad(
        ada.workouts
            .create_workout(create(Some(all_bad), &"r".repeat(129)))
            .await,
        &[
            "request_id",
            "workout.date",
            "workout.notes",
            "workout.title",
            "workout.workout_type",
        ],
    );
    // One rule at a time.
    for (bad, field) in [
        (
            pb::Workout {
                title: "   ".into(),
                ..ok.clone()
            },
            "workout.title",
        ),
        (
            pb::Workout {
                title: "x".repeat(256),
                ..ok.clone()
            },
            "workout.title",
        ),
        (
            pb::Workout {
                date: "2023-02-29".into(),
                ..ok.clone()
            },
            "workout.date",
        ),
        (
            pb::Workout {
                date: "24-11-2026".into(),
                ..ok.clone()
            },
            "workout.date",
        ),
        (
            pb::Workout {
                date: String::new(),
                ..ok.clone()
            },
            "workout.date",
        ),
        (
            pb::Workout {
                workout_type: 0,
                ..ok.clone()
            },
            "workout.workout_type",
        ),
        (
            pb::Workout {
                workout_type: 99,
                ..ok.clone()
            },
            "workout.workout_type",
        ),
    ] {
        assert_bad(
            ada.workouts.create_workout(create(Some(bad), "")).await,
            &[field],
        );
    }
    assert_bad(
        ada.workouts.create_workout(create(None, "")).await,
        &["workout"],
    );
    // 255 characters (not bytes) is fine.
    let long = pb::Workout {
        title: "é".repeat(255),
        ..ok.clone()
    };
    ada.workouts
        .create_workout(create(Some(long), ""))
        .await
        .unwrap();

    // Ids must be UUIDs.
    assert_bad(
        ada.workouts
            .get_workout(pb::GetWorkoutRequest {
                id: "42".into(),
                include_exercises: false,
            })
            .await,
        &["id"],
    );
    assert_bad(
        ada.workouts
            .delete_workout(pb::DeleteWorkoutRequest { id: String::new() })
            .await,
        &["id"],
    );
    // Updates: id, unknown mask path, invalid values of masked fields.
    assert_bad(
        ada.workouts
            .update_workout(pb::UpdateWorkoutRequest {
                workout: Some(pb::Workout {
                    id: "nope".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["title", "owner"]),
            })
            .await,
        &["update_mask", "workout.id"],
    );
    assert_bad(
        ada.workouts
            .update_workout(pb::UpdateWorkoutRequest {
                workout: Some(pb::Workout {
                    id: uuid::Uuid::now_v7().to_string(),
                    notes: "n".repeat(10_001),
                    ..Default::default()
                }),
                update_mask: mask(&["title", "notes"]),
            })
            .await,
        &["workout.notes", "workout.title"],
    );
    assert_bad(
        ada.workouts
            .update_workout(pb::UpdateWorkoutRequest {
                workout: Some(pb::Workout {
                    id: uuid::Uuid::now_v7().to_string(),
                    ..Default::default()
                }),
                update_mask: mask(&["date", "workout_type"]),
            })
            .await,
        &["workout.date", "workout.workout_type"],
    );
    assert_bad(
        ada.workouts
            .update_workout(pb::UpdateWorkoutRequest {
                workout: None,
                update_mask: None,
            })
            .await,
        &["workout"],
    );
    // Listing parameters.
    assert_bad(
        ada.workouts
            .list_workouts(pb::ListWorkoutsRequest {
                page_size: -1,
                date_from: "2026-05-01".into(),
                date_to: "2026-04-30".into(),
                workout_type: 42,
                order_by: 9,
                ..Default::default()
            })
            .await,
        &["date_to", "order_by", "page_size", "workout_type"],
    );
    assert_bad(
        ada.workouts
            .list_workouts(pb::ListWorkoutsRequest {
                date_from: "2026-13-01".into(),
                page_token: "garbage!".into(),
                ..Default::default()
            })
            .await,
        &["date_from", "page_token"],
    );
    stack.stop().await;
}

async fn batches_are_bounded_and_name_the_failing_item(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let item = |title: &str| pb::CreateWorkoutRequest {
        workout: Some(workout(title, "2026-11-24", pb::WorkoutType::Cardio)),
        request_id: String::new(),
    };
    let mut requests: Vec<_> = (0..5).map(|i| item(&format!("Run {i}"))).collect();
    requests[3].workout.as_mut().unwrap().title = String::new();
    requests[4].workout.as_mut().unwrap().date = "2026-11-31".into();
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests,
                request_id: String::new(),
            })
            .await,
        &["requests[3].workout.title", "requests[4].workout.date"],
    );
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests: (0..101).map(|i| item(&format!("Run {i}"))).collect(),
                request_id: String::new(),
            })
            .await,
        &["requests"],
    );
    assert_bad(
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest::default())
            .await,
        &["requests"],
    );
    let created = ada
        .workouts
        .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
            requests: (0..100).map(|i| item(&format!("Run {i:03}"))).collect(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .workouts;
    assert_eq!(created.len(), 100);
    let titles: Vec<_> = created.iter().map(|w| w.title.clone()).collect();
    let expected: Vec<_> = (0..100).map(|i| format!("Run {i:03}")).collect();
    assert_eq!(titles, expected, "in request order");
    assert_eq!(ada.my_stats().await.total_workouts, 100);
    stack.stop().await;
}

/// Creates workouts (title, date, type) one by one so `created_at` follows the list order.
async fn seed(
    ada: &mut crate::helpers::User,
    rows: &[(&str, &str, pb::WorkoutType)],
) -> Vec<pb::Workout> {
    let mut out = Vec::new();
    for (title, date, t) in rows {
        out.push(
            ada.workouts
                .create_workout(pb::CreateWorkoutRequest {
                    workout: Some(workout(title, date, *t)),
                    request_id: String::new(),
                })
                .await
                .unwrap()
                .into_inner(),
        );
    }
    out
}

fn titles(response: &pb::ListWorkoutsResponse) -> Vec<&str> {
    response.workouts.iter().map(|w| w.title.as_str()).collect()
}

async fn workouts_are_filtered_and_ordered(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    use pb::WorkoutType::*;
    seed(
        &mut ada,
        &[
            ("Morning Run", "2026-03-02", Cardio),
            ("Heavy legs", "2026-03-05", Strength),
            ("Evening run", "2026-03-01", Cardio),
            ("Yoga 100%", "2026-03-04", Flexibility),
            ("Long RUN", "2026-03-03", Endurance),
        ],
    )
    .await;
    let list = |request: pb::ListWorkoutsRequest| {
        let mut client = ada.workouts.clone();
        async move { client.list_workouts(request).await.unwrap().into_inner() }
    };
    // Default order: date descending.
    let all = list(pb::ListWorkoutsRequest::default()).await;
    assert_eq!(
        titles(&all),
        [
            "Heavy legs",
            "Yoga 100%",
            "Long RUN",
            "Morning Run",
            "Evening run"
        ]
    );
    assert!(all.next_page_token.is_empty());
    // Created-at descending.
    let by_created = list(pb::ListWorkoutsRequest {
        order_by: pb::WorkoutOrder::CreatedAtDesc as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(
        titles(&by_created),
        [
            "Long RUN",
            "Yoga 100%",
            "Evening run",
            "Heavy legs",
            "Morning Run"
        ]
    );
    // Type.
    let cardio = list(pb::ListWorkoutsRequest {
        workout_type: Cardio as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(titles(&cardio), ["Morning Run", "Evening run"]);
    // Date range, both ends inclusive.
    let range = list(pb::ListWorkoutsRequest {
        date_from: "2026-03-02".into(),
        date_to: "2026-03-04".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(titles(&range), ["Yoga 100%", "Long RUN", "Morning Run"]);
    // Title contains, case-insensitively; LIKE wildcards are literal.
    let runs = list(pb::ListWorkoutsRequest {
        title_contains: "run".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(titles(&runs), ["Long RUN", "Morning Run", "Evening run"]);
    let percent = list(pb::ListWorkoutsRequest {
        title_contains: "0%".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(titles(&percent), ["Yoga 100%"]);
    let underscore = list(pb::ListWorkoutsRequest {
        title_contains: "_".into(),
        ..Default::default()
    })
    .await;
    assert!(underscore.workouts.is_empty());
    // Everything combined.
    let combined = list(pb::ListWorkoutsRequest {
        workout_type: Cardio as i32,
        date_from: "2026-03-02".into(),
        title_contains: "RUN".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(titles(&combined), ["Morning Run"]);
    stack.stop().await;
}

async fn pages_cover_every_row_once_and_tokens_are_bound_to_their_filters(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    // Seven workouts, several on the same date, so ties are broken by id.
    let dates = [
        "2026-01-01",
        "2026-01-02",
        "2026-01-02",
        "2026-01-02",
        "2026-01-03",
        "2026-01-04",
        "2026-01-04",
    ];
    let rows: Vec<(String, &str)> = dates
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("W{i}"), *d))
        .collect();
    let spec: Vec<(&str, &str, pb::WorkoutType)> = rows
        .iter()
        .map(|(t, d)| (t.as_str(), *d, pb::WorkoutType::Balance))
        .collect();
    let created = seed(&mut ada, &spec).await;

    for order in [pb::WorkoutOrder::DateDesc, pb::WorkoutOrder::CreatedAtDesc] {
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = ada
                .workouts
                .list_workouts(pb::ListWorkoutsRequest {
                    page_size: 3,
                    page_token: token.clone(),
                    order_by: order as i32,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            pages += 1;
            assert!(page.workouts.len() <= 3);
            seen.extend(
                page.workouts
                    .into_iter()
                    .map(|w| (w.date, w.created_at, w.id)),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(pages, 3, "{order:?}: 3 + 3 + 1");
        let mut expected: Vec<_> = created
            .iter()
            .map(|w| (w.date.clone(), w.created_at, w.id.clone()))
            .collect();
        match order {
            pb::WorkoutOrder::CreatedAtDesc => expected.sort_by(|a, b| {
                let key = |x: &(String, Option<prost_types::Timestamp>, String)| {
                    x.1.map(|t| (t.seconds, t.nanos))
                };
                key(b).cmp(&key(a)).then(b.2.cmp(&a.2))
            }),
            _ => expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.cmp(&a.2))),
        }
        assert_eq!(seen, expected, "{order:?}");
    }

    // A page that ends exactly at the last row has no next token.
    let exact = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 7,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exact.workouts.len(), 7);
    assert!(exact.next_page_token.is_empty());

    // A token is refused with other filters or another order.
    let first = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-02".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    for reused in [
        pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-03".into(),
            page_token: first.next_page_token.clone(),
            ..Default::default()
        },
        pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-02".into(),
            title_contains: "W".into(),
            page_token: first.next_page_token.clone(),
            ..Default::default()
        },
        pb::ListWorkoutsRequest {
            page_size: 2,
            date_from: "2026-01-02".into(),
            order_by: pb::WorkoutOrder::CreatedAtDesc as i32,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        },
    ] {
        assert_bad(ada.workouts.list_workouts(reused).await, &["page_token"]);
    }
    // The same filters with another page size are fine.
    let second = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 10,
            date_from: "2026-01-02".into(),
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.workouts.len() + second.workouts.len(), 6);
    stack.stop().await;
}

async fn page_sizes_default_to_50_and_cap_at_500(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let item = |i: usize| pb::CreateWorkoutRequest {
        workout: Some(workout(
            &format!("W{i}"),
            "2026-01-01",
            pb::WorkoutType::Cardio,
        )),
        request_id: String::new(),
    };
    for chunk in 0..6 {
        ada.workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests: (0..100).map(|i| item(chunk * 100 + i)).collect(),
                request_id: String::new(),
            })
            .await
            .unwrap();
    }
    let default = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.workouts.len(), 50);
    assert!(!default.next_page_token.is_empty());
    let capped = ada
        .workouts
        .list_workouts(pb::ListWorkoutsRequest {
            page_size: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(capped.workouts.len(), 500);
    stack.stop().await;
}

backend_tests!(
    a_workout_is_created_read_updated_and_deleted,
    every_invalid_workout_field_is_named_in_one_bad_request,
    batches_are_bounded_and_name_the_failing_item,
    workouts_are_filtered_and_ordered,
    pages_cover_every_row_once_and_tokens_are_bound_to_their_filters,
    page_sizes_default_to_50_and_cap_at_500,
);
