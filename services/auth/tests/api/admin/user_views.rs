//! What an admin sees of any user that the user sees of themself: `GetUserTokenTree` (a
//! session's token tree) and `GetUserAvatar`.

use shared::pb::auth::v1::{
    GetTokenTreeRequest, GetUserAvatarRequest, GetUserTokenTreeRequest, SetAvatarRequest,
    TokenStatus, TokenTree,
};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::{Code, Status};

use crate::helpers::*;

/// The smallest PNG the service accepts: its signature and the start of its header chunk.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// An admin's `GetUserTokenTree`.
async fn user_tree(
    auth: &TestAuth,
    admin: &str,
    user_id: &str,
    session_id: &str,
) -> Result<TokenTree, Status> {
    admin_client(auth)
        .await
        .get_user_token_tree(bearer(
            GetUserTokenTreeRequest {
                user_id: user_id.to_owned(),
                session_id: session_id.to_owned(),
            },
            admin,
        ))
        .await
        .map(|r| r.into_inner().tree.unwrap())
}

/// An admin's `GetUserAvatar`: `(content_type, image)`.
async fn user_avatar(
    auth: &TestAuth,
    admin: &str,
    user_id: &str,
) -> Result<(String, Vec<u8>), Status> {
    admin_client(auth)
        .await
        .get_user_avatar(bearer(
            GetUserAvatarRequest {
                user_id: user_id.to_owned(),
            },
            admin,
        ))
        .await
        .map(|r| {
            let r = r.into_inner();
            (r.content_type, r.image)
        })
}

async fn an_admin_sees_a_users_token_tree_as_the_user_does(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin = admin_token(&auth).await;
    let registered = register(&auth, "ada").await;
    let ada = registered.user.unwrap().id;
    let first = registered.tokens.unwrap();
    let second = refresh(&auth, &first.refresh_token).await.unwrap();
    sign_in(&auth, "ada", "phone").await;

    let seen = user_tree(&auth, &admin, &ada, &first.session_id)
        .await
        .unwrap();
    let mut own = session_client(&auth)
        .await
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: first.session_id.clone(),
            },
            &second.access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .tree
        .unwrap();
    let session = own.session.as_mut().unwrap();
    assert!(session.current, "the user's own view marks their session");
    // No session is the admin's own.
    session.current = false;
    assert_eq!(seen, own);
    let statuses: Vec<i32> = seen.refresh_tokens.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [TokenStatus::Rotated as i32, TokenStatus::Active as i32]
    );
    assert_eq!(
        seen.refresh_tokens[1].access_tokens[0].jti,
        jti_of(&second.access_token)
    );
    auth.stop().await;
}

async fn a_session_that_is_not_the_users_is_not_found(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin = admin_token(&auth).await;
    let ada = register(&auth, "ada").await;
    let ada_id = ada.user.unwrap().id;
    let ada_session = ada.tokens.unwrap().session_id;
    let bob = register(&auth, "bob").await;
    let bob_session = bob.tokens.unwrap().session_id;
    for (user, session) in [
        (ada_id.as_str(), bob_session.as_str()),
        (ada_id.as_str(), &stride_auth::new_id()),
        (&stride_auth::new_id(), ada_session.as_str()),
    ] {
        let status = user_tree(&auth, &admin, user, session).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::NotFound,
            "{user} {session}: {status:?}"
        );
        assert_eq!(reason(&status), "NOT_FOUND");
    }
    auth.stop().await;
}

async fn malformed_ids_of_a_token_tree_are_each_named(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin = admin_token(&auth).await;
    let ada = register(&auth, "ada").await.user.unwrap().id;
    // Ids are opaque to the service: empty or longer than any id is malformed.
    let too_long = "x".repeat(65);
    let both = user_tree(&auth, &admin, "", &too_long).await.unwrap_err();
    assert_eq!(bad_fields(&both), ["session_id", "user_id"]);
    assert_eq!(reason(&both), "INVALID_ARGUMENT");
    let session = user_tree(&auth, &admin, &ada, " ").await.unwrap_err();
    assert_eq!(bad_fields(&session), ["session_id"]);
    auth.stop().await;
}

async fn an_admin_reads_a_users_avatar_and_not_found_names_what_is_missing(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let admin = admin_token(&auth).await;
    let ada = register(&auth, "ada").await;
    let ada_id = ada.user.as_ref().unwrap().id.clone();
    user_client(&auth)
        .await
        .set_avatar(bearer(
            SetAvatarRequest {
                image: PNG.to_vec(),
            },
            &access(&ada),
        ))
        .await
        .unwrap();
    assert_eq!(
        user_avatar(&auth, &admin, &ada_id).await.unwrap(),
        ("image/png".to_owned(), PNG.to_vec())
    );

    let bob = register(&auth, "bob").await.user.unwrap().id;
    let none = user_avatar(&auth, &admin, &bob).await.unwrap_err();
    assert_eq!(none.code(), Code::NotFound);
    assert!(none.message().contains("avatar"), "{none:?}");
    let nobody = user_avatar(&auth, &admin, &stride_auth::new_id())
        .await
        .unwrap_err();
    assert_eq!(nobody.code(), Code::NotFound);
    assert!(nobody.message().contains("user"), "{nobody:?}");
    let malformed = user_avatar(&auth, &admin, "").await.unwrap_err();
    assert_eq!(bad_fields(&malformed), ["user_id"]);
    auth.stop().await;
}

backend_tests!(
    an_admin_sees_a_users_token_tree_as_the_user_does,
    a_session_that_is_not_the_users_is_not_found,
    malformed_ids_of_a_token_tree_are_each_named,
    an_admin_reads_a_users_avatar_and_not_found_names_what_is_missing,
);
