//! `ExportMyData`: everything held about the caller, as JSON, in bounded chunks, and nothing
//! secret or of anyone else.

use base64::Engine as _;
use shared::pb::auth::v1::{ExportMyDataRequest, SetAvatarRequest};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use super::*;

/// The export of `token`'s user: the parsed document and the chunk sizes.
async fn export(auth: &TestAuth, token: &str) -> Result<(serde_json::Value, Vec<usize>), Status> {
    let mut stream = user_client(auth)
        .await
        .export_my_data(bearer(ExportMyDataRequest::default(), token))
        .await?
        .into_inner();
    let (mut bytes, mut sizes) = (Vec::new(), Vec::new());
    while let Some(chunk) = stream.message().await? {
        sizes.push(chunk.chunk.len());
        bytes.extend_from_slice(&chunk.chunk);
    }
    let document = serde_json::from_slice(&bytes).expect("the export is one JSON document");
    Ok((document, sizes))
}

async fn the_export_holds_my_account_sessions_tokens_events_and_avatar(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = register(&auth, "ada").await;
    let token = access(&ada);
    let phone = sign_in(&auth, "ada", "phone").await;
    refresh(&auth, &phone.refresh_token).await.unwrap();
    // An avatar near the cap: its base64 alone spans many chunks.
    let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
    image.resize(700 * 1024, 7);
    user_client(&auth)
        .await
        .set_avatar(bearer(
            SetAvatarRequest {
                image: image.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let bob = signed_up(&auth, "bob").await;

    let (doc, sizes) = export(&auth, &token).await.unwrap();
    assert!(sizes.len() > 10, "{} chunks", sizes.len());
    assert!(sizes.iter().all(|n| *n <= 64 * 1024), "{sizes:?}");
    assert_eq!(doc["service"], "auth");
    let user = &doc["user"];
    assert_eq!(user["id"], ada.user.as_ref().unwrap().id.as_str());
    assert_eq!(user["username"], "ada");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["email_verified"], false);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    let stored = base64::engine::general_purpose::STANDARD
        .decode(doc["avatar"]["image_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(stored, image);
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 2);
    let devices: Vec<&str> = doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["device_label"].as_str().unwrap())
        .collect();
    assert!(devices.contains(&"phone"));
    // Register, login and refresh: 3 refresh tokens and 3 access tokens.
    assert_eq!(doc["refresh_tokens"].as_array().unwrap().len(), 3);
    assert_eq!(doc["access_tokens"].as_array().unwrap().len(), 3);
    let events: Vec<&str> = doc["security_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    for kind in [
        "REGISTER",
        "LOGIN_SUCCEEDED",
        "TOKEN_REFRESHED",
        "DATA_EXPORTED",
    ] {
        assert!(events.contains(&kind), "{kind} missing from {events:?}");
    }
    assert_eq!(doc["known_clients"].as_array().unwrap().len(), 1);
    assert!(doc["mfa"].is_object());

    let text = doc.to_string();
    assert!(!text.contains("$argon2"), "no password hash");
    assert!(!text.contains(&token), "no token");
    assert!(!text.contains("bob"), "nothing of another user");
    let _ = bob;
    auth.stop().await;
}

async fn the_export_needs_a_valid_token(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = register(&auth, "ada").await;
    let status = export(&auth, "not-a-token").await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    delete_me(&auth, &access(&ada), PASSWORD).await.unwrap();
    let status = export(&auth, &access(&ada)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    auth.stop().await;
}

backend_tests!(
    the_export_holds_my_account_sessions_tokens_events_and_avatar,
    the_export_needs_a_valid_token,
);
