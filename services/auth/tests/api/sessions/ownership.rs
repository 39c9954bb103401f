//! Another user's sessions and tokens are not found.
use shared::pb::auth::v1::{GetTokenTreeRequest, RevokeSessionRequest, RevokeTokenRequest};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

use super::works;

async fn another_users_sessions_and_tokens_are_not_found(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let ada = signed_up(&auth, "ada").await;
    let bob = signed_up(&auth, "bob").await;
    let mut sessions = session_client(&auth).await;
    let tree = sessions
        .get_token_tree(bearer(
            GetTokenTreeRequest {
                session_id: ada.session_id.clone(),
            },
            &bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(tree.code(), Code::NotFound);
    let revoke = sessions
        .revoke_session(bearer(
            RevokeSessionRequest {
                session_id: ada.session_id.clone(),
            },
            &bob.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(revoke.code(), Code::NotFound);
    for jti in [
        jti_of(&ada.access_token),
        jti_of(&ada.refresh_token),
        stride_auth::new_id(),
    ] {
        let status = sessions
            .revoke_token(bearer(RevokeTokenRequest { jti }, &bob.access_token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    }
    let empty = sessions
        .get_token_tree(bearer(GetTokenTreeRequest::default(), &bob.access_token))
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert!(
        works(&auth, &ada.access_token).await,
        "nothing of Ada's was touched"
    );
    auth.stop().await;
}

backend_tests!(another_users_sessions_and_tokens_are_not_found,);
