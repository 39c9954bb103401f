//! Every public RPC over HTTP/JSON through the real Envoy, on both backends.
//!
//! The RPCs with a `google.api.http` rule are read from the descriptor set, and the test fails
//! unless it called each of them: an RPC added without a gateway test fails here. Along the way
//! it covers path, query and body bindings, `update_mask` in the query and in the body, enum
//! query parameters, the bearer header, error codes as HTTP statuses (400 for INVALID_ARGUMENT
//! and FAILED_PRECONDITION, 401, 403, 404, 409) with their `google.rpc.Status` body, a body over
//! Envoy's 2 MiB buffer (413), and the introspection service staying out of reach. (No public request has a repeated field a query could bind.)

use std::collections::BTreeSet;

use base64::Engine as _;
use prost_reflect::DescriptorPool;
use serde_json::{Value, json};
use testkit::Backend;

use crate::envoy::{Envoy, detail, gateway, runtime};

const ADMIN: &str = "root";
const ADMIN_PASSWORD: &str = "root password for the gateway test";
const PASSWORD: &str = "correct horse battery staple";

/// The full names of the RPCs that have an HTTP rule.
fn http_rpcs() -> BTreeSet<String> {
    let pool = DescriptorPool::decode(shared::FILE_DESCRIPTOR_SET).unwrap();
    let http = pool.get_extension_by_name("google.api.http").unwrap();
    pool.services()
        .filter(|s| s.package_name().starts_with("stride."))
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .filter(|m| m.options().has_extension(&http))
        .map(|m| m.full_name().to_owned())
        .collect()
}

/// The calls made, by RPC, and the checks on their answers.
struct Tour<'a> {
    envoy: &'a Envoy,
    called: BTreeSet<String>,
}

impl Tour<'_> {
    /// Calls `rpc` through its HTTP rule and checks the status.
    async fn call(
        &mut self,
        rpc: &str,
        (method, path): (&str, &str),
        token: Option<&str>,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let (got, answer) = self.envoy.json(method, path, token, body).await;
        assert_eq!(got, status, "{rpc}: {method} {path}: {}", answer["message"]);
        if status >= 400 {
            assert!(
                answer["code"].is_i64(),
                "{rpc}: a google.rpc.Status body: {answer}"
            );
        }
        self.called.insert(format!("stride.{rpc}"));
        answer
    }
}

/// The `jti` claim of a JWT.
fn jti_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

/// The JSON document of a streamed export: the base64 `chunk` of each message, concatenated.
fn joined(messages: &Value) -> Value {
    let mut bytes = Vec::new();
    for message in messages
        .as_array()
        .unwrap_or_else(|| panic!("a JSON array: {messages}"))
    {
        let chunk = message["chunk"].as_str().unwrap_or_default();
        bytes.extend(
            base64::engine::general_purpose::STANDARD
                .decode(chunk)
                .unwrap(),
        );
    }
    serde_json::from_slice(&bytes).unwrap()
}

fn png() -> String {
    // The smallest valid PNG: the signature and the chunks of a 1×1 image.
    let bytes: [u8; 67] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The training RPCs as `token`'s user: the catalogue, a workout's entries written with PUT
/// and its etag, what they add up to, and a client-streamed import (a JSON array of messages)
/// and the CSV export.
async fn training(t: &mut Tour<'_>, token: &str) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let token = Some(token);

    // --- CatalogueService: enum filters in the query, `entry` as the body.
    let listed = t
        .call(
            "fitness.v1.CatalogueService.ListCatalogue",
            ("GET", "/v1/catalogue?muscle=MUSCLE_GROUP_CHEST&equipment=EQUIPMENT_BARBELL&name_contains=bench&page_size=50"),
            token,
            None,
            200,
        )
        .await;
    let ids: Vec<String> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["id"]))
        .collect();
    assert!(ids.contains(&"barbell-bench-press".to_owned()), "{listed}");
    let bench = t
        .call(
            "fitness.v1.CatalogueService.GetCatalogueEntry",
            ("GET", "/v1/catalogue/barbell-bench-press"),
            token,
            None,
            200,
        )
        .await;
    assert_eq!(
        (bench["tracking_mode"].clone(), bench["custom"].clone()),
        (json!("TRACKING_MODE_WEIGHT_REPS"), json!(false)),
        "{bench}"
    );
    let flip = json!({
        "name": "Tyre flip",
        "category": "EXERCISE_CATEGORY_STRENGTH",
        "primary_muscles": ["MUSCLE_GROUP_FULL_BODY"],
        "equipment": "EQUIPMENT_OTHER",
        "tracking_mode": "TRACKING_MODE_REPS_ONLY",
    });
    let custom = t
        .call(
            "fitness.v1.CatalogueService.CreateCatalogueEntry",
            ("POST", "/v1/catalogue"),
            token,
            Some(flip.clone()),
            200,
        )
        .await;
    assert_eq!(custom["custom"], true, "{custom}");
    let custom_id = text(&custom["id"]);
    let mut shouted = flip;
    shouted["name"] = json!("TYRE FLIP");
    let taken = t
        .call(
            "fitness.v1.CatalogueService.CreateCatalogueEntry",
            ("POST", "/v1/catalogue"),
            token,
            Some(shouted),
            409,
        )
        .await;
    assert_eq!(
        detail(&taken, "ErrorInfo")["reason"],
        "CATALOGUE_NAME_TAKEN",
        "{taken}"
    );
    let mine = t
        .call(
            "fitness.v1.CatalogueService.ListCatalogue",
            ("GET", "/v1/catalogue?source=CATALOGUE_SOURCE_CUSTOM"),
            token,
            None,
            200,
        )
        .await;
    assert_eq!(mine["entries"].as_array().map(Vec::len), Some(1), "{mine}");
    t.call(
        "fitness.v1.CatalogueService.DeleteCatalogueEntry",
        ("DELETE", "/v1/catalogue/barbell-bench-press"),
        token,
        None,
        403,
    )
    .await;
    let deleted = t
        .call(
            "fitness.v1.CatalogueService.DeleteCatalogueEntry",
            ("DELETE", &format!("/v1/catalogue/{custom_id}")),
            token,
            None,
            200,
        )
        .await;
    assert_eq!(deleted, json!({}));
    t.call(
        "fitness.v1.CatalogueService.GetCatalogueEntry",
        ("GET", &format!("/v1/catalogue/{custom_id}")),
        token,
        None,
        404,
    )
    .await;

    // --- A workout's entries: PUT with the etag; a stale etag is FAILED_PRECONDITION.
    let push = json!({ "workout": { "title": "Push", "date": "2026-11-25", "workout_type": "WORKOUT_TYPE_STRENGTH" } });
    let workout = t
        .call(
            "fitness.v1.WorkoutService.CreateWorkout",
            ("POST", "/v1/workouts"),
            token,
            Some(push),
            200,
        )
        .await;
    let workout_id = text(&workout["id"]);
    let etag = text(&workout["etag"]);
    assert!(!etag.is_empty(), "{workout}");
    let press = t
        .call(
            "fitness.v1.ExerciseService.CreateExercise",
            ("POST", "/v1/exercises"),
            token,
            Some(json!({ "exercise": { "name": "Bench press", "catalogue_entry_id": "barbell-bench-press" } })),
            200,
        )
        .await;
    assert_eq!(
        press["tracking_mode"], "TRACKING_MODE_WEIGHT_REPS",
        "{press}"
    );
    let press_id = text(&press["id"]);
    let plank = t
        .call(
            "fitness.v1.ExerciseService.CreateExercise",
            ("POST", "/v1/exercises"),
            token,
            Some(json!({ "exercise": { "name": "Plank", "tracking_mode": "TRACKING_MODE_DURATION" } })),
            200,
        )
        .await;
    let plank_id = text(&plank["id"]);
    let entries = json!([
        { "exercise_id": press_id, "sets": [
            { "set_type": "SET_TYPE_WARMUP", "reps": 10, "weight": 60 },
            { "reps": 5, "weight": 100, "rpe": 8.5 },
            { "reps": 3, "weight": 225, "weight_unit": "WEIGHT_UNIT_LB" },
        ] },
        { "exercise_id": plank_id, "superset": 1, "sets": [{ "duration_seconds": 60 }] },
    ]);
    let replaced = t
        .call(
            "fitness.v1.WorkoutService.ReplaceWorkoutEntries",
            ("PUT", &format!("/v1/workouts/{workout_id}/entries")),
            token,
            Some(json!({ "etag": etag, "entries": entries })),
            200,
        )
        .await;
    assert_eq!(replaced["workout"]["set_count"], 4, "{replaced}");
    // 225 lb is 102.058 kg, converted once and kept as entered.
    let heavy = &replaced["entries"][0]["sets"][2];
    assert_eq!(
        (
            heavy["weight"].as_f64(),
            heavy["weight_unit"].clone(),
            heavy["weight_kg"].as_f64()
        ),
        (Some(225.0), json!("WEIGHT_UNIT_LB"), Some(102.058)),
        "{replaced}"
    );
    let stale = t
        .call(
            "fitness.v1.WorkoutService.ReplaceWorkoutEntries",
            ("PUT", &format!("/v1/workouts/{workout_id}/entries")),
            token,
            Some(json!({ "etag": etag, "entries": [] })),
            400,
        )
        .await;
    assert_eq!(
        (
            stale["code"].clone(),
            detail(&stale, "ErrorInfo")["reason"].clone()
        ),
        (json!(9), json!("ETAG_MISMATCH")),
        "{stale}"
    );
    // Every violated field of every set in one BadRequest.
    let invalid = t
        .call(
            "fitness.v1.WorkoutService.ReplaceWorkoutEntries",
            ("PUT", &format!("/v1/workouts/{workout_id}/entries")),
            token,
            Some(json!({ "entries": [{ "exercise_id": press_id, "sets": [{ "reps": 5, "distance_meters": 400 }] }] })),
            400,
        )
        .await;
    let fields = detail(&invalid, "BadRequest")["field_violations"].to_string();
    assert!(
        fields.contains("entries[0].sets[0].weight")
            && fields.contains("entries[0].sets[0].distance"),
        "{fields}"
    );
    let got = t
        .call(
            "fitness.v1.WorkoutService.GetWorkout",
            (
                "GET",
                &format!("/v1/workouts/{workout_id}?include_entries=true"),
            ),
            token,
            None,
            200,
        )
        .await;
    let names: Vec<String> = got["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["exercise_name"]))
        .collect();
    assert_eq!(names, ["Bench press", "Plank"], "{got}");
    assert_eq!(
        got["entries"][1]["sets"][0]["duration_seconds"], 60,
        "{got}"
    );

    // --- What the sets add up to.
    let history = t
        .call(
            "fitness.v1.ExerciseService.ListExerciseHistory",
            (
                "GET",
                &format!("/v1/exercises/{press_id}/history?page_size=2"),
            ),
            token,
            None,
            200,
        )
        .await;
    assert_eq!(
        history["sets"].as_array().map(Vec::len),
        Some(2),
        "{history}"
    );
    assert!(!text(&history["next_page_token"]).is_empty(), "{history}");
    let records = t
        .call(
            "fitness.v1.StatsService.ListPersonalRecords",
            (
                "GET",
                &format!(
                    "/v1/stats/me/records?exercise_id={press_id}&kind=RECORD_KIND_HEAVIEST_WEIGHT"
                ),
            ),
            token,
            None,
            200,
        )
        .await;
    let record = &records["records"][0];
    assert_eq!(
        (record["value"].as_f64(), record["date"].clone()),
        (Some(102.058), json!("2026-11-25")),
        "{records}"
    );
    let weeks = t
        .call(
            "fitness.v1.StatsService.ListWeeklySummaries",
            (
                "GET",
                "/v1/stats/me/weeks?from_date=2026-11-23&to_date=2026-11-29",
            ),
            token,
            None,
            200,
        )
        .await;
    // 2026-11-25 is a Wednesday: its week starts on Monday the 23rd. int64 counts are strings.
    assert_eq!(
        (
            weeks["weeks"][0]["week_start"].clone(),
            weeks["weeks"][0]["sets"].clone()
        ),
        (json!("2026-11-23"), json!("4")),
        "{weeks}"
    );

    // --- A client stream over HTTP/JSON: the body is a JSON array of the request messages.
    let csv = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n\
               2026-11-26 07:30:00,Pull,45m,Deadlift (Barbell),1,140,5,0,0,,,\n\
               2026-11-26 07:30:00,Pull,45m,Deadlift (Barbell),2,150,3,0,0,,,9\n";
    let (head, tail) = csv.split_at(csv.len() / 2);
    let chunk =
        |part: &str| json!({ "chunk": base64::engine::general_purpose::STANDARD.encode(part) });
    let messages = json!([
        { "options": { "source": "IMPORT_SOURCE_STRONG", "time_zone": "Europe/Berlin" } },
        chunk(head),
        chunk(tail),
    ]);
    let report = t
        .call(
            "fitness.v1.DataService.ImportWorkouts",
            ("POST", "/v1/fitness/me:import"),
            token,
            Some(messages.clone()),
            200,
        )
        .await;
    assert_eq!(
        (
            report["workouts_created"].clone(),
            report["sets_created"].clone()
        ),
        (json!(1), json!(2)),
        "{report}"
    );
    let again = t
        .call(
            "fitness.v1.DataService.ImportWorkouts",
            ("POST", "/v1/fitness/me:import"),
            token,
            Some(messages),
            200,
        )
        .await;
    assert_eq!(
        (
            again["workouts_created"].clone(),
            again["workouts_skipped"].clone()
        ),
        (json!(0), json!(1)),
        "{again}"
    );
    let malformed = json!([
        { "options": { "source": "IMPORT_SOURCE_STRONG" } },
        chunk("Date,Workout Name,Exercise Name,Set Order,Weight,Reps\nyesterday,Pull,Deadlift (Barbell),1,140,5\n"),
    ]);
    let refused = t
        .call(
            "fitness.v1.DataService.ImportWorkouts",
            ("POST", "/v1/fitness/me:import"),
            token,
            Some(malformed),
            400,
        )
        .await;
    assert!(
        detail(&refused, "BadRequest")["field_violations"]
            .to_string()
            .contains("line 2"),
        "{refused}"
    );
    // The CSV export (a server stream, an enum in the query): one row per set after the header.
    let exported = t
        .call(
            "fitness.v1.DataService.ExportMyData",
            ("GET", "/v1/fitness/me:export?format=EXPORT_FORMAT_CSV"),
            token,
            None,
            200,
        )
        .await;
    let mut bytes = Vec::new();
    for message in exported.as_array().unwrap() {
        bytes.extend(
            base64::engine::general_purpose::STANDARD
                .decode(text(&message["chunk"]))
                .unwrap(),
        );
    }
    let exported = String::from_utf8(bytes).unwrap();
    let rows: Vec<&str> = exported
        .lines()
        .filter(|l| l.contains(&workout_id))
        .collect();
    assert_eq!(rows.len(), 4, "{exported}");
    assert!(
        exported.lines().any(|l| l.contains("Deadlift")),
        "{exported}"
    );
}

fn every_public_rpc_answers_over_http_json(backend: Backend) {
    let runtime = runtime();
    let settings = [
        ("STRIDE_BOOTSTRAP_ADMIN_USERNAME", ADMIN),
        ("STRIDE_BOOTSTRAP_ADMIN_EMAIL", "root@example.com"),
        ("STRIDE_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ];
    let Some((envoy, _stack, _databases)) = gateway(&runtime, backend, &settings) else {
        return;
    };
    runtime.block_on(async {
        let mut t = Tour {
            envoy: &envoy,
            called: BTreeSet::new(),
        };
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();

        // --- AuthService
        let ada = json!({ "username": "ada", "email": "ada@example.com", "password": PASSWORD });
        let registered = t
            .call("auth.v1.AuthService.Register", ("POST", "/v1/auth/register"), None, Some(ada.clone()), 200)
            .await;
        let ada_id = text(&registered["user"]["id"]);
        // ALREADY_EXISTS is 409.
        let taken = t
            .call("auth.v1.AuthService.Register", ("POST", "/v1/auth/register"), None, Some(ada), 409)
            .await;
        assert_eq!(taken["code"], 6, "{taken}");
        let login = json!({ "login": "ada", "password": PASSWORD, "device_label": "laptop" });
        let first = t
            .call("auth.v1.AuthService.Login", ("POST", "/v1/auth/login"), None, Some(login.clone()), 200)
            .await;
        let refreshed = t
            .call(
                "auth.v1.AuthService.Refresh",
                ("POST", "/v1/auth/refresh"),
                None,
                Some(json!({ "refresh_token": first["tokens"]["refresh_token"] })),
                200,
            )
            .await;
        let token = text(&refreshed["tokens"]["access_token"]);
        let token = token.as_str();
        for path in ["/v1/auth/jwks", "/.well-known/jwks.json"] {
            let jwks = t.call("auth.v1.AuthService.GetJwks", ("GET", path), None, None, 200).await;
            assert!(!jwks["keys"].as_array().unwrap().is_empty(), "{jwks}");
        }

        // --- UserService: the bearer header reaches auth.
        let me = t.call("auth.v1.UserService.GetMe", ("GET", "/v1/users/me"), Some(token), None, 200).await;
        assert_eq!(me["username"], "ada");
        // update_mask in the query: only first_name changes.
        let me = t
            .call(
                "auth.v1.UserService.UpdateMe",
                ("PATCH", "/v1/users/me?update_mask=firstName"),
                Some(token),
                Some(json!({ "user": { "first_name": "Ada", "last_name": "Ignored" } })),
                200,
            )
            .await;
        assert_eq!((me["first_name"].clone(), me["last_name"].clone()), (json!("Ada"), json!("")));
        // update_mask in the body.
        let me = t
            .call(
                "auth.v1.UserService.UpdateMe",
                ("PATCH", "/v1/users/me"),
                Some(token),
                Some(json!({ "user": { "last_name": "Lovelace" }, "update_mask": "lastName" })),
                200,
            )
            .await;
        assert_eq!((me["first_name"].clone(), me["last_name"].clone()), (json!("Ada"), json!("Lovelace")));
        t.call(
            "auth.v1.UserService.SetAvatar",
            ("PUT", "/v1/users/me/avatar"),
            Some(token),
            Some(json!({ "image": png() })),
            200,
        )
        .await;
        let avatar = t
            .call("auth.v1.UserService.GetAvatar", ("GET", "/v1/users/me/avatar"), Some(token), None, 200)
            .await;
        assert_eq!(avatar["content_type"], "image/png", "{avatar}");

        // --- SessionService
        let sessions = t
            .call("auth.v1.SessionService.ListSessions", ("GET", "/v1/sessions?page_size=10"), Some(token), None, 200)
            .await;
        assert!(sessions["sessions"].as_array().unwrap().len() >= 2, "{sessions}");
        let session = text(&refreshed["tokens"]["session_id"]);
        let tree = t
            .call(
                "auth.v1.SessionService.GetTokenTree",
                ("GET", &format!("/v1/sessions/{session}/tree")),
                Some(token),
                None,
                200,
            )
            .await;
        assert_eq!(tree["tree"]["refresh_tokens"].as_array().map(Vec::len), Some(2));
        let rotated = jti_of(&text(&first["tokens"]["refresh_token"]));
        t.call(
            "auth.v1.SessionService.RevokeToken",
            ("POST", &format!("/v1/tokens/{rotated}:revoke")),
            Some(token),
            Some(json!({})),
            200,
        )
        .await;
        // Revoking the chain from its first token revoked this session's newer tokens too.
        t.call("auth.v1.UserService.GetMe", ("GET", "/v1/users/me"), Some(token), None, 401).await;
        let second = t
            .call("auth.v1.AuthService.Login", ("POST", "/v1/auth/login"), None, Some(login.clone()), 200)
            .await;
        let third = t
            .call("auth.v1.AuthService.Login", ("POST", "/v1/auth/login"), None, Some(login.clone()), 200)
            .await;
        let token = text(&third["tokens"]["access_token"]);
        let token = token.as_str();
        t.call(
            "auth.v1.SessionService.RevokeSession",
            ("DELETE", &format!("/v1/sessions/{}", text(&second["tokens"]["session_id"]))),
            Some(token),
            None,
            200,
        )
        .await;
        t.call(
            "auth.v1.SessionService.RevokeAllSessions",
            ("POST", "/v1/sessions:revokeAll"),
            Some(token),
            Some(json!({ "keep_current": true })),
            200,
        )
        .await;
        t.call(
            "auth.v1.UserService.ChangePassword",
            ("POST", "/v1/users/me:changePassword"),
            Some(token),
            Some(json!({ "current_password": PASSWORD, "new_password": format!("{PASSWORD} again") })),
            200,
        )
        .await;
        let login = json!({ "login": "ada", "password": format!("{PASSWORD} again") });
        let leaving = t
            .call("auth.v1.AuthService.Login", ("POST", "/v1/auth/login"), None, Some(login.clone()), 200)
            .await;
        t.call(
            "auth.v1.AuthService.Logout",
            ("POST", "/v1/auth/logout"),
            None,
            Some(json!({ "refresh_token": leaving["tokens"]["refresh_token"] })),
            200,
        )
        .await;
        let ada_now = t
            .call("auth.v1.AuthService.Login", ("POST", "/v1/auth/login"), None, Some(login), 200)
            .await;
        let token = text(&ada_now["tokens"]["access_token"]);
        let token = token.as_str();

        // --- AdminService: PERMISSION_DENIED is 403 for a plain user.
        t.call("auth.v1.AdminService.ListUsers", ("GET", "/v1/admin/users"), Some(token), None, 403).await;
        let root = t
            .call(
                "auth.v1.AuthService.Login",
                ("POST", "/v1/auth/login"),
                None,
                Some(json!({ "login": ADMIN, "password": ADMIN_PASSWORD })),
                200,
            )
            .await;
        let admin = text(&root["tokens"]["access_token"]);
        let admin = admin.as_str();
        // An enum as a query parameter.
        let users = t
            .call(
                "auth.v1.AdminService.ListUsers",
                ("GET", "/v1/admin/users?role=ROLE_USER&page_size=5"),
                Some(admin),
                None,
                200,
            )
            .await;
        let names: Vec<String> = users["users"].as_array().unwrap().iter().map(|u| text(&u["username"])).collect();
        assert_eq!(names, ["ada"]);
        let user = t
            .call("auth.v1.AdminService.GetUser", ("GET", &format!("/v1/admin/users/{ada_id}")), Some(admin), None, 200)
            .await;
        assert_eq!(user["username"], "ada");
        t.call(
            "auth.v1.AdminService.GetUser",
            ("GET", "/v1/admin/users/01a2338d-cbf4-7714-bd5b-1ff6526b301e"),
            Some(admin),
            None,
            404,
        )
        .await;
        let user = t
            .call(
                "auth.v1.AdminService.UpdateUser",
                ("PATCH", &format!("/v1/admin/users/{ada_id}")),
                Some(admin),
                Some(json!({ "role": "ROLE_STAFF", "update_mask": "role" })),
                200,
            )
            .await;
        assert_eq!(user["role"], "ROLE_STAFF");
        // FAILED_PRECONDITION is 400 too, with its reason: an admin cannot demote themself.
        let root_me = t
            .call("auth.v1.UserService.GetMe", ("GET", "/v1/users/me"), Some(admin), None, 200)
            .await;
        let demote = t
            .call(
                "auth.v1.AdminService.UpdateUser",
                ("PATCH", &format!("/v1/admin/users/{}", text(&root_me["id"]))),
                Some(admin),
                Some(json!({ "role": "ROLE_USER", "update_mask": "role" })),
                400,
            )
            .await;
        assert_eq!(demote["code"], 9, "{demote}");
        assert_eq!(detail(&demote, "ErrorInfo")["reason"], "CANNOT_DEMOTE_SELF");
        t.call(
            "auth.v1.AdminService.ListUserSessions",
            ("GET", &format!("/v1/admin/users/{ada_id}/sessions")),
            Some(admin),
            None,
            200,
        )
        .await;
        let revoked = t
            .call(
                "auth.v1.AdminService.RevokeUserSessions",
                ("POST", &format!("/v1/admin/users/{ada_id}/sessions:revoke")),
                Some(admin),
                Some(json!({})),
                200,
            )
            .await;
        assert!(revoked["revoked_count"].is_number(), "{revoked}");
        t.call("auth.v1.UserService.GetMe", ("GET", "/v1/users/me"), Some(token), None, 401).await;
        let events = t
            .call(
                "auth.v1.AdminService.ListSecurityEvents",
                ("GET", &format!("/v1/admin/security-events?user_id={ada_id}&type=SECURITY_EVENT_TYPE_REGISTER")),
                Some(admin),
                None,
                200,
            )
            .await;
        assert_eq!(events["events"].as_array().unwrap().len(), 1, "{events}");
        // The dashboard: int64 counts are JSON strings; `days` is a query parameter.
        let overview = t
            .call("auth.v1.AdminService.GetOverview", ("GET", "/v1/admin/overview?days=7"), Some(admin), None, 200)
            .await;
        assert_eq!((overview["total_users"].clone(), overview["active_users"].clone()), (json!("2"), json!("2")), "{overview}");
        let days = overview["days"].as_array().unwrap();
        assert_eq!(days.len(), 7, "{overview}");
        // Root (the bootstrap admin) and Ada registered within the week (today, unless the test
        // straddles midnight UTC).
        let sign_ups: i64 = days.iter().map(|d| text(&d["sign_ups"]).parse::<i64>().unwrap()).sum();
        assert_eq!(sign_ups, 2, "{overview}");
        let negative = t
            .call("auth.v1.AdminService.GetOverview", ("GET", "/v1/admin/overview?days=-1"), Some(admin), None, 400)
            .await;
        assert!(detail(&negative, "BadRequest")["field_violations"].to_string().contains("days"), "{negative}");
        // Any user's token tree and avatar, as the user sees their own.
        let tree = t
            .call(
                "auth.v1.AdminService.GetUserTokenTree",
                ("GET", &format!("/v1/admin/users/{ada_id}/sessions/{session}/tree")),
                Some(admin),
                None,
                200,
            )
            .await;
        assert_eq!(tree["tree"]["refresh_tokens"].as_array().map(Vec::len), Some(2), "{tree}");
        let root_session = text(&root["tokens"]["session_id"]);
        t.call(
            "auth.v1.AdminService.GetUserTokenTree",
            ("GET", &format!("/v1/admin/users/{ada_id}/sessions/{root_session}/tree")),
            Some(admin),
            None,
            404,
        )
        .await;
        let avatar = t
            .call("auth.v1.AdminService.GetUserAvatar", ("GET", &format!("/v1/admin/users/{ada_id}/avatar")), Some(admin), None, 200)
            .await;
        assert_eq!((avatar["content_type"].clone(), avatar["image"].clone()), (json!("image/png"), json!(png())));
        t.call(
            "auth.v1.AdminService.RotateSigningKey",
            ("POST", "/v1/admin/signing-keys:rotate"),
            Some(admin),
            Some(json!({})),
            200,
        )
        .await;
        // The key ring after the rotation: the new key, then the retired one, as the JWKS has them.
        let ring = t
            .call("auth.v1.AdminService.ListSigningKeys", ("GET", "/v1/admin/signing-keys"), Some(admin), None, 200)
            .await;
        let keys = ring["keys"].as_array().unwrap();
        assert_eq!(keys.iter().map(|k| k["active"].clone()).collect::<Vec<_>>(), [json!(true), json!(false)], "{ring}");
        assert!(keys[1]["expires_at"].is_string(), "{ring}");
        let jwks = t.call("auth.v1.AuthService.GetJwks", ("GET", "/v1/auth/jwks"), None, None, 200).await;
        let published: Vec<Value> = keys.iter().map(|k| k["public_key"].clone()).collect();
        assert_eq!(json!(published), jwks["keys"], "{ring}");

        // --- Fitness, as Ada (now staff) on a fresh sign-in.
        let staff = t
            .call(
                "auth.v1.AuthService.Login",
                ("POST", "/v1/auth/login"),
                None,
                Some(json!({ "login": "ada", "password": format!("{PASSWORD} again") })),
                200,
            )
            .await;
        let token = text(&staff["tokens"]["access_token"]);
        let token = token.as_str();
        let run = json!({ "title": "Run", "date": "2026-11-30", "workout_type": "WORKOUT_TYPE_CARDIO" });
        let workout = t
            .call("fitness.v1.WorkoutService.CreateWorkout", ("POST", "/v1/workouts"), Some(token), Some(json!({ "workout": run })), 200)
            .await;
        let workout_id = text(&workout["id"]);
        let lift = json!({ "workout": { "title": "Lift", "date": "2026-11-29", "workout_type": "WORKOUT_TYPE_STRENGTH" } });
        let batch = t
            .call(
                "fitness.v1.WorkoutService.BatchCreateWorkouts",
                ("POST", "/v1/workouts:batchCreate"),
                Some(token),
                Some(json!({ "requests": [lift.clone(), lift] })),
                200,
            )
            .await;
        assert_eq!(batch["workouts"].as_array().unwrap().len(), 2);
        let listed = t
            .call(
                "fitness.v1.WorkoutService.ListWorkouts",
                ("GET", "/v1/workouts?workout_type=WORKOUT_TYPE_STRENGTH&page_size=10"),
                Some(token),
                None,
                200,
            )
            .await;
        assert_eq!(listed["workouts"].as_array().unwrap().len(), 2, "{listed}");
        // A query parameter naming no field is refused by Envoy (reject_unknown_query_parameters).
        let (status, _) = envoy.json("GET", "/v1/workouts?colour=red", Some(token), None).await;
        assert_eq!(status, 400);
        // Request bodies take the lowerCamelCase JSON names as well as the proto names.
        let camel = t
            .call(
                "fitness.v1.WorkoutService.CreateWorkout",
                ("POST", "/v1/workouts"),
                Some(token),
                Some(json!({ "workout": { "title": "Yoga", "date": "2026-11-28", "workoutType": "WORKOUT_TYPE_FLEXIBILITY" } })),
                200,
            )
            .await;
        assert_eq!(camel["workout_type"], "WORKOUT_TYPE_FLEXIBILITY", "{camel}");
        let exercise = t
            .call(
                "fitness.v1.ExerciseService.CreateExercise",
                ("POST", "/v1/exercises"),
                Some(token),
                Some(json!({ "exercise": { "name": "Intervals", "duration_minutes": 20, "workout_ids": [workout_id] } })),
                200,
            )
            .await;
        let exercise_id = text(&exercise["id"]);
        t.call(
            "fitness.v1.ExerciseService.BatchCreateExercises",
            ("POST", "/v1/exercises:batchCreate"),
            Some(token),
            Some(json!({ "requests": [{ "exercise": { "name": "Squat" } }, { "exercise": { "name": "Plank" } }] })),
            200,
        )
        .await;
        let got = t
            .call(
                "fitness.v1.WorkoutService.GetWorkout",
                ("GET", &format!("/v1/workouts/{workout_id}?include_exercises=true")),
                Some(token),
                None,
                200,
            )
            .await;
        assert_eq!(got["exercises"].as_array().map(Vec::len), Some(1), "{got}");
        t.call("fitness.v1.ExerciseService.GetExercise", ("GET", &format!("/v1/exercises/{exercise_id}")), Some(token), None, 200)
            .await;
        let exercises = t
            .call("fitness.v1.ExerciseService.ListExercises", ("GET", "/v1/exercises?page_size=2"), Some(token), None, 200)
            .await;
        assert_eq!(exercises["exercises"].as_array().unwrap().len(), 2, "{exercises}");
        assert!(!text(&exercises["next_page_token"]).is_empty(), "{exercises}");
        let updated = t
            .call(
                "fitness.v1.WorkoutService.UpdateWorkout",
                ("PATCH", &format!("/v1/workouts/{workout_id}?update_mask=title")),
                Some(token),
                Some(json!({ "title": "Long run", "notes": "ignored" })),
                200,
            )
            .await;
        assert_eq!((updated["title"].clone(), updated["notes"].clone()), (json!("Long run"), json!("")));
        let updated = t
            .call(
                "fitness.v1.ExerciseService.UpdateExercise",
                ("PATCH", &format!("/v1/exercises/{exercise_id}")),
                Some(token),
                Some(json!({ "name": "Hill intervals" })),
                200,
            )
            .await;
        assert_eq!(updated["name"], "Hill intervals");
        let stats = t.call("fitness.v1.StatsService.GetMyStats", ("GET", "/v1/stats/me"), Some(token), None, 200).await;
        // int64 fields are JSON strings (the proto3 JSON mapping).
        assert_eq!(stats["total_workouts"], "4", "{stats}");
        t.call("fitness.v1.StatsService.ListLeaderboard", ("GET", "/v1/leaderboard?page_size=5"), Some(token), None, 200)
            .await;
        let evaluated = t
            .call(
                "fitness.v1.StatsService.SetEvaluation",
                ("POST", &format!("/v1/stats/{ada_id}:evaluate")),
                Some(token),
                Some(json!({ "evaluation": 4 })),
                200,
            )
            .await;
        assert_eq!(evaluated["evaluation"], 4, "{evaluated}");
        let ada_stats = t
            .call("fitness.v1.StatsService.GetUserStats", ("GET", &format!("/v1/stats/users/{ada_id}")), Some(token), None, 200)
            .await;
        assert_eq!((ada_stats["total_workouts"].clone(), ada_stats["evaluation"].clone()), (json!("4"), json!(4)), "{ada_stats}");
        let totals = t.call("fitness.v1.StatsService.GetTrainingOverview", ("GET", "/v1/stats:overview"), Some(token), None, 200).await;
        assert_eq!((totals["total_workouts"].clone(), totals["users_with_workouts"].clone()), (json!("4"), json!("1")), "{totals}");
        training(&mut t, token).await;
        t.call("fitness.v1.ExerciseService.DeleteExercise", ("DELETE", &format!("/v1/exercises/{exercise_id}")), Some(token), None, 200)
            .await;
        let deleted = t
            .call("fitness.v1.WorkoutService.DeleteWorkout", ("DELETE", &format!("/v1/workouts/{workout_id}")), Some(token), None, 200)
            .await;
        assert_eq!(deleted, json!({}), "google.protobuf.Empty is an empty object");
        let gone = t
            .call("fitness.v1.WorkoutService.GetWorkout", ("GET", &format!("/v1/workouts/{workout_id}")), Some(token), None, 404)
            .await;
        assert_eq!(detail(&gone, "ErrorInfo")["reason"], "NOT_FOUND", "{gone}");
        // INVALID_ARGUMENT names the field.
        let invalid = t
            .call(
                "fitness.v1.WorkoutService.CreateWorkout",
                ("POST", "/v1/workouts"),
                Some(token),
                Some(json!({ "workout": { "title": "", "date": "2026-11-30", "workout_type": "WORKOUT_TYPE_CARDIO" } })),
                400,
            )
            .await;
        let fields = detail(&invalid, "BadRequest")["field_violations"].to_string();
        assert!(fields.contains("title"), "{fields}");

        // --- The account lifecycle, as Eve.
        let eve = json!({ "username": "eve", "email": "eve@example.com", "password": PASSWORD });
        let registered = t
            .call("auth.v1.AuthService.Register", ("POST", "/v1/auth/register"), None, Some(eve), 200)
            .await;
        assert_eq!(registered["user"]["email_verified"], false, "{registered}");
        let eve_id = text(&registered["user"]["id"]);
        let eve = text(&registered["tokens"]["access_token"]);
        let eve = eve.as_str();
        // Statistics of everyone are for staff and admins.
        t.call("fitness.v1.StatsService.GetTrainingOverview", ("GET", "/v1/stats:overview"), Some(eve), None, 403).await;
        t.call("auth.v1.UserService.ResendVerification", ("POST", "/v1/users/me:resendVerification"), Some(eve), Some(json!({})), 200)
            .await;
        let forged = t
            .call("auth.v1.AuthService.VerifyEmail", ("POST", "/v1/auth/email:verify"), None, Some(json!({ "token": "forged" })), 401)
            .await;
        assert_eq!(detail(&forged, "ErrorInfo")["reason"], "INVALID_TOKEN");
        // The same answer whether or not the account exists.
        for login in ["eve", "nobody"] {
            t.call(
                "auth.v1.AuthService.RequestPasswordReset",
                ("POST", "/v1/auth/password:requestReset"),
                None,
                Some(json!({ "login": login })),
                200,
            )
            .await;
        }
        t.call(
            "auth.v1.AuthService.ResetPassword",
            ("POST", "/v1/auth/password:reset"),
            None,
            Some(json!({ "token": "forged", "new_password": format!("{PASSWORD} anew") })),
            401,
        )
        .await;
        // Server streams: the transcoder answers a JSON array of the streamed messages.
        let exported = t.call("auth.v1.UserService.ExportMyData", ("GET", "/v1/users/me:export"), Some(eve), None, 200).await;
        assert_eq!(joined(&exported)["user"]["username"], "eve");
        let exported = t
            .call("fitness.v1.DataService.ExportMyData", ("GET", "/v1/fitness/me:export"), Some(eve), None, 200)
            .await;
        assert_eq!(joined(&exported)["user_id"], eve_id.as_str());
        let begun = t
            .call(
                "auth.v1.UserService.BeginTotpEnrollment",
                ("POST", "/v1/users/me/mfa/totp:begin"),
                Some(eve),
                Some(json!({ "password": PASSWORD })),
                200,
            )
            .await;
        let app = totp_rs::TOTP::from_url(text(&begun["otpauth_uri"])).unwrap();
        let step = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 30;
        let confirmed = t
            .call(
                "auth.v1.UserService.ConfirmTotpEnrollment",
                ("POST", "/v1/users/me/mfa/totp:confirm"),
                Some(eve),
                Some(json!({ "code": app.generate(step * 30) })),
                200,
            )
            .await;
        let recovery: Vec<String> = confirmed["recovery_codes"].as_array().unwrap().iter().map(text).collect();
        let challenged = t
            .call("auth.v1.AuthService.Login", ("POST", "/v1/auth/login"), None, Some(json!({ "login": "eve", "password": PASSWORD })), 200)
            .await;
        assert!(challenged.get("tokens").is_none_or(Value::is_null), "{challenged}");
        let completed = t
            .call(
                "auth.v1.AuthService.CompleteLogin",
                ("POST", "/v1/auth/login:complete"),
                None,
                Some(json!({ "challenge": challenged["mfa_challenge"], "code": recovery[0] })),
                200,
            )
            .await;
        let eve = text(&completed["tokens"]["access_token"]);
        let eve = eve.as_str();
        // The confirming step is spent; the next one is within the accepted skew.
        let regenerated = t
            .call(
                "auth.v1.UserService.RegenerateRecoveryCodes",
                ("POST", "/v1/users/me/mfa/recovery-codes:regenerate"),
                Some(eve),
                Some(json!({ "code": app.generate((step + 1) * 30) })),
                200,
            )
            .await;
        t.call(
            "auth.v1.UserService.DisableTotp",
            ("POST", "/v1/users/me/mfa/totp:disable"),
            Some(eve),
            Some(json!({ "password": PASSWORD, "code": regenerated["recovery_codes"][0] })),
            200,
        )
        .await;
        t.call("auth.v1.AdminService.ResetUserMfa", ("POST", &format!("/v1/admin/users/{eve_id}/mfa:reset")), Some(admin), Some(json!({})), 200)
            .await;
        t.call("auth.v1.UserService.DeleteMe", ("POST", "/v1/users/me:delete"), Some(eve), Some(json!({ "password": PASSWORD })), 200)
            .await;
        t.call("auth.v1.UserService.GetMe", ("GET", "/v1/users/me"), Some(eve), None, 401).await;
        // An admin deletes Ada (the admin's own account would be FAILED_PRECONDITION).
        t.call("auth.v1.AdminService.DeleteUser", ("DELETE", &format!("/v1/admin/users/{ada_id}")), Some(admin), None, 200)
            .await;
        t.call("auth.v1.AdminService.DeleteUser", ("DELETE", &format!("/v1/admin/users/{ada_id}")), Some(admin), None, 404)
            .await;

        // A body over Envoy's 2 MiB buffer is refused before it reaches a service.
        let huge = json!({ "workout": { "title": "x".repeat(2 * 1024 * 1024 + 1) } });
        let (status, _) = envoy.json("POST", "/v1/workouts", Some(token), Some(huge)).await;
        assert_eq!(status, 413);
        // The service-to-service API is not reachable through the gateway.
        let (status, _) = envoy
            .json("POST", "/stride.auth.v1.TokenIntrospectionService/IntrospectToken", None, Some(json!({})))
            .await;
        assert_eq!(status, 404);

        assert_eq!(t.called, http_rpcs(), "every RPC with an HTTP rule is called through the gateway");
    });
}

mod sqlite {
    #[test]
    fn every_public_rpc_answers_over_http_json() {
        super::every_public_rpc_answers_over_http_json(testkit::Backend::Sqlite);
    }
}

mod postgres {
    #[test]
    fn every_public_rpc_answers_over_http_json() {
        super::every_public_rpc_answers_over_http_json(testkit::Backend::Postgres);
    }
}
