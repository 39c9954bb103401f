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
    for section in SECTIONS {
        assert_eq!(doc[section], serde_json::json!([]), "{section}");
    }
    stack.stop().await;
}

/// Every section of the JSON document.
const SECTIONS: [&str; 8] = [
    "workouts",
    "exercises",
    "workout_exercises",
    "entries",
    "sets",
    "catalogue_entries",
    "personal_records",
    "weekly_summaries",
];

/// The caller's export in `format`, concatenated.
async fn export_bytes(user: &mut User, format: pb::ExportFormat) -> Vec<u8> {
    let mut stream = user
        .data
        .export_my_data(pb::ExportMyDataRequest {
            format: format as i32,
        })
        .await
        .expect("the export starts")
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(message) = stream.message().await.expect("the export streams") {
        assert!(message.chunk.len() <= CHUNK_BYTES);
        bytes.extend_from_slice(&message.chunk);
    }
    bytes
}

/// Ada's Strong import plus a workout without sets, and Bob's Hevy import.
async fn trained(backend: Backend) -> (Stack, User, User) {
    use crate::import::{HEVY_KG, STRONG_KG, import, options};
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    let mut bob = stack.user("bob").await;
    let strong = options(
        pb::ImportSource::Strong,
        "Europe/Berlin",
        pb::WeightUnit::Kg,
    );
    import(&mut ada, strong, STRONG_KG, 1 << 20).await.unwrap();
    ada.create_workout("Rest day walk", "2024-04-01").await;
    let hevy = options(pb::ImportSource::Hevy, "", pb::WeightUnit::Unspecified);
    import(&mut bob, hevy, HEVY_KG, 1 << 20).await.unwrap();
    (stack, ada, bob)
}

async fn a_csv_export_has_one_row_per_set_of_the_caller_only(backend: Backend) {
    let (stack, mut ada, bob) = trained(backend).await;
    let bytes = export_bytes(&mut ada, pb::ExportFormat::Csv).await;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header.len(), 24);
    assert_eq!(header[0], "workout_id");
    assert_eq!(header[23], "notes");
    let rows: Vec<std::collections::HashMap<String, String>> = reader
        .records()
        .map(|r| {
            let r = r.expect("an RFC 4180 row");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    // Ten sets and the workout without sets.
    assert_eq!(rows.len(), 11);
    let walk: Vec<_> = rows
        .iter()
        .filter(|r| r["title"] == "Rest day walk")
        .collect();
    assert_eq!(walk.len(), 1);
    assert_eq!(walk[0]["exercise_id"], "");
    assert_eq!(walk[0]["set_type"], "");
    let set = rows
        .iter()
        .find(|r| r["notes"] == "Paused, 1s")
        .expect("the set with a quoted note");
    assert_eq!(
        (
            set["title"].as_str(),
            set["exercise_name"].as_str(),
            set["catalogue_entry_id"].as_str(),
            set["set_position"].as_str(),
            set["set_type"].as_str(),
            set["reps"].as_str(),
            set["weight"].as_str(),
            set["weight_unit"].as_str(),
            set["weight_kg"].as_str(),
            set["rpe"].as_str(),
            set["time_zone"].as_str(),
            set["started_at"].as_str(),
        ),
        (
            "Push Day",
            "Bench Press (Barbell)",
            "barbell-bench-press",
            "1",
            "NORMAL",
            "8",
            "80",
            "KG",
            "80",
            "8.5",
            "Europe/Berlin",
            "2024-03-26T07:12:45Z",
        )
    );
    let run = rows
        .iter()
        .find(|r| r["exercise_name"] == "Running")
        .unwrap();
    assert_eq!(
        (run["distance_m"].as_str(), run["duration_s"].as_str()),
        ("5250", "1800")
    );
    assert_eq!(run["weight"], "");
    // Push Day's rows come in entry then set order.
    let push: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["title"] == "Push Day")
        .map(|r| (r["entry_position"].as_str(), r["set_position"].as_str()))
        .collect();
    assert_eq!(
        push,
        [
            ("0", "0"),
            ("0", "1"),
            ("0", "2"),
            ("0", "3"),
            ("1", "0"),
            ("1", "1")
        ]
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains("Upper A") && !text.contains(&bob.id));
    stack.stop().await;
}

async fn a_json_export_holds_the_training_sections_of_the_caller_only(backend: Backend) {
    let (stack, mut ada, bob) = trained(backend).await;
    let bytes = export_bytes(&mut ada, pb::ExportFormat::Json).await;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("one JSON document");
    let len = |section: &str| doc[section].as_array().unwrap().len();
    assert_eq!(len("workouts"), 4);
    assert_eq!(len("entries"), 5);
    assert_eq!(len("sets"), 10);
    assert_eq!(len("catalogue_entries"), 1);
    assert_eq!(doc["catalogue_entries"][0]["name"], "Wobble Board Lunge");
    assert_eq!(
        ids(&doc, "sets", "id"),
        stored(&stack, "sets", "id", &ada.id).await
    );
    let weeks: Vec<&str> = doc["weekly_summaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["week_start"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, ["2024-03-25", "2024-04-01"]);
    assert_eq!(doc["weekly_summaries"][0]["sets"], 10);
    assert_eq!(doc["stats"]["total_sets"], 10);
    assert_eq!(doc["stats"]["total_volume_g"], 3_215_000);
    let bench = doc["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["notes"] == "Paused, 1s")
        .unwrap();
    assert_eq!(
        (
            &bench["weight_milli"],
            &bench["weight_g"],
            &bench["rpe_half"]
        ),
        (
            &serde_json::json!(80_000),
            &serde_json::json!(80_000),
            &serde_json::json!(17)
        )
    );
    let push = doc["workouts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["title"] == "Push Day")
        .unwrap();
    assert_eq!(push["started_at"], "2024-03-26T07:12:45Z");
    assert_eq!(push["set_count"], 6);
    assert!(push["import_key"].as_str().unwrap().starts_with("strong:"));
    assert_eq!(
        ids(&doc, "personal_records", "exercise_id"),
        stored(&stack, "personal_records", "exercise_id", &ada.id).await
    );
    assert!(!doc.to_string().contains(&bob.id));
    assert!(!doc.to_string().contains("Upper A"));
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

async fn exports_page_through_many_workouts_and_sets(backend: Backend) {
    use crate::import::{import, options};
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    // 25 workouts of 6 sets: more than a page of sets (100) and of CSV workouts (20).
    let mut file = String::from(
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n",
    );
    for day in 1..=25 {
        for (exercise, sets) in [("Bench Press (Barbell)", 3), ("Squat (Barbell)", 3)] {
            for set in 1..=sets {
                file.push_str(&format!(
                    "2024-05-{day:02} 08:00:00,Session,1h,{exercise},{set},{},5,0,0,,,\n",
                    60 + set
                ));
            }
        }
    }
    let strong = options(pb::ImportSource::Strong, "UTC", pb::WeightUnit::Kg);
    let summary = import(&mut ada, strong, file.as_bytes(), 1 << 20)
        .await
        .unwrap();
    assert_eq!((summary.workouts_created, summary.sets_created), (25, 150));
    let doc: serde_json::Value =
        serde_json::from_slice(&export_bytes(&mut ada, pb::ExportFormat::Json).await).unwrap();
    assert_eq!(doc["sets"].as_array().unwrap().len(), 150);
    assert_eq!(
        ids(&doc, "sets", "id"),
        stored(&stack, "sets", "id", &ada.id).await
    );
    let csv = export_bytes(&mut ada, pb::ExportFormat::Csv).await;
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let dates: Vec<String> = reader.records().map(|r| r.unwrap()[2].to_owned()).collect();
    assert_eq!(dates.len(), 150);
    assert_eq!(dates.first().map(String::as_str), Some("2024-05-25"));
    assert_eq!(dates.last().map(String::as_str), Some("2024-05-01"));
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest workouts first"
    );
    stack.stop().await;
}

backend_tests!(
    exports_page_through_many_workouts_and_sets,
    a_csv_export_has_one_row_per_set_of_the_caller_only,
    a_json_export_holds_the_training_sections_of_the_caller_only,
    an_export_holds_exactly_the_callers_rows_as_one_json_document_in_chunks,
    a_user_without_rows_exports_empty_sections,
    an_export_without_a_valid_token_is_unauthenticated,
);
