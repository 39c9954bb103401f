//! DataService.ExportMyData: one JSON document of exactly the caller's rows, streamed in
//! chunks of at most 64 KiB.

use std::collections::BTreeSet;

use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::data_service_client::DataServiceClient;
use testkit::{Backend, backend_tests};
use tonic::Code;

use crate::helpers::{Bearer, Stack, User, assert_code, reason, workout};

/// Largest chunk the service may send.
const CHUNK_BYTES: usize = 64 * 1024;

/// The caller's export: the document and the size of each chunk.
async fn export(user: &mut User) -> (serde_json::Value, Vec<usize>) {
    let mut stream = user
        .data
        .export_my_data(pb::ExportMyDataRequest::default())
        .await
        .expect("the export starts")
        .into_inner();
    let (mut document, mut sizes) = (Vec::new(), Vec::new());
    while let Some(message) = stream.message().await.expect("the export streams") {
        sizes.push(message.chunk.len());
        document.extend_from_slice(&message.chunk);
    }
    let text = String::from_utf8(document).expect("UTF-8");
    (
        serde_json::from_str(&text).expect("one JSON document"),
        sizes,
    )
}

/// The `field` of every item of the array `doc[section]`.
fn ids(doc: &serde_json::Value, section: &str, field: &str) -> BTreeSet<String> {
    doc[section]
        .as_array()
        .unwrap_or_else(|| panic!("{section} is an array"))
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

/// The `column` of every row of `user_id` in `table`, from the database itself.
async fn stored(stack: &Stack, table: &str, column: &str, user_id: &str) -> BTreeSet<String> {
    let sql = format!("SELECT {column} FROM {table} WHERE user_id = $1");
    let rows: Vec<String> = sqlx::query_scalar(&sql)
        .bind(user_id)
        .fetch_all(stack.fitness.db.pool())
        .await
        .unwrap();
    rows.into_iter().collect()
}

/// Creates `n` workouts with long notes, in batches, and one exercise linked to each of the
/// first ten. Returns the workouts' ids.
async fn fill(user: &mut User, n: usize) -> Vec<String> {
    let notes = "A long session, written up at length. ".repeat(40);
    let mut ids = Vec::new();
    for batch in 0..n.div_ceil(100) {
        let requests = (0..(n - batch * 100).min(100))
            .map(|i| pb::CreateWorkoutRequest {
                workout: Some(pb::Workout {
                    notes: notes.clone(),
                    ..workout(
                        &format!("W{batch}-{i}"),
                        "2026-05-01",
                        pb::WorkoutType::Cardio,
                    )
                }),
                request_id: String::new(),
            })
            .collect();
        let created = user
            .workouts
            .batch_create_workouts(pb::BatchCreateWorkoutsRequest {
                requests,
                request_id: String::new(),
            })
            .await
            .expect("batch created")
            .into_inner();
        ids.extend(created.workouts.into_iter().map(|w| w.id));
    }
    for (i, id) in ids.iter().take(10).enumerate() {
        user.create_exercise(&format!("E{i}"), Some(5), &[id]).await;
    }
    ids
}

async fn an_export_holds_exactly_the_callers_rows_as_one_json_document_in_chunks(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    // 250 workouts of about 1.7 KiB each: several pages, several chunks.
    fill(&mut ada, 250).await;
    let bobs = fill(&mut bob, 3).await;

    let (doc, sizes) = export(&mut ada).await;
    assert!(sizes.len() > 3, "several chunks: {sizes:?}");
    assert!(
        sizes.iter().all(|&n| n > 0 && n <= CHUNK_BYTES),
        "{sizes:?}"
    );
    assert_eq!(doc["service"], "fitness");
    assert_eq!(doc["user_id"], ada.id.as_str());
    assert!(doc["exported_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(doc["stats"]["total_workouts"], 250);
    assert_eq!(doc["stats"]["total_exercises"], 10);

    let workouts = ids(&doc, "workouts", "id");
    assert_eq!(
        doc["workouts"].as_array().unwrap().len(),
        250,
        "no duplicates"
    );
    assert_eq!(workouts, stored(&stack, "workouts", "id", &ada.id).await);
    assert_eq!(
        ids(&doc, "exercises", "id"),
        stored(&stack, "exercises", "id", &ada.id).await
    );
    let links: BTreeSet<(String, String)> = doc["workout_exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let field = |name: &str| l[name].as_str().unwrap().to_owned();
            (field("workout_id"), field("exercise_id"))
        })
        .collect();
    assert_eq!(links.len(), 10);
    assert!(links.iter().all(|(w, _)| workouts.contains(w)));
    let first = &doc["workouts"][0];
    assert!(
        first["notes"]
            .as_str()
            .unwrap()
            .starts_with("A long session")
    );
    assert_eq!(first["workout_type"], "CARDIO");

    // Nothing of bob's, anywhere in the document.
    let text = doc.to_string();
    assert!(!text.contains(&bob.id));
    assert!(bobs.iter().all(|id| !text.contains(id.as_str())));
    stack.stop().await;
}

async fn a_user_without_rows_exports_empty_sections(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let (doc, sizes) = export(&mut ada).await;
    assert_eq!(sizes.len(), 1);
    assert!(doc["stats"].is_null(), "{doc}");
    for section in ["workouts", "exercises", "workout_exercises"] {
        assert_eq!(doc[section], serde_json::json!([]), "{section}");
    }
    stack.stop().await;
}

async fn an_export_without_a_valid_token_is_unauthenticated(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    for bearer in [Bearer::none(), Bearer::new("not-a-token")] {
        let mut client = DataServiceClient::with_interceptor(stack.fitness.channel().await, bearer);
        let status = assert_code(
            client
                .export_my_data(pb::ExportMyDataRequest::default())
                .await,
            Code::Unauthenticated,
        );
        assert!(
            ["MISSING_TOKEN", "INVALID_TOKEN"].contains(&reason(&status).as_str()),
            "{status:?}"
        );
    }
    stack.stop().await;
}

backend_tests!(
    an_export_holds_exactly_the_callers_rows_as_one_json_document_in_chunks,
    a_user_without_rows_exports_empty_sections,
    an_export_without_a_valid_token_is_unauthenticated,
);
