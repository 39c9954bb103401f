//! TokenIntrospectionService: the service key, IntrospectToken and CheckRevocation.

use shared::pb::auth::v1::{
    CheckRevocationRequest, IntrospectTokenRequest, LogoutRequest, RevokeTokenRequest,
    WatchRevocationsRequest,
};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::{Code, Request};

use crate::helpers::*;

fn keyed<T>(key: Option<&str>, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(key) = key {
        request
            .metadata_mut()
            .insert("x-stride-service-key", key.parse().unwrap());
    }
    request
}

async fn without_the_service_key_every_introspection_rpc_is_unauthenticated(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let pair = signed_up(&auth, "ada").await;
    let mut client = introspection_client(&auth).await;
    for key in [None, Some("wrong"), Some("test-service-ke"), Some("")] {
        let statuses = [
            client
                .introspect_token(keyed(
                    key,
                    IntrospectTokenRequest {
                        token: pair.access_token.clone(),
                    },
                ))
                .await
                .unwrap_err(),
            client
                .check_revocation(keyed(key, CheckRevocationRequest::default()))
                .await
                .unwrap_err(),
            client
                .watch_revocations(keyed(key, WatchRevocationsRequest::default()))
                .await
                .unwrap_err(),
        ];
        for status in statuses {
            assert_eq!(status.code(), Code::Unauthenticated, "{key:?}: {status:?}");
            assert_eq!(reason(&status), "INVALID_SERVICE_KEY");
        }
    }
    // A user's bearer token is no service key either.
    let status = client
        .check_revocation(bearer(
            CheckRevocationRequest::default(),
            &pair.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    auth.stop().await;
}

async fn introspection_reports_claims_when_active_and_only_the_reason_otherwise(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    let user_id = registered.user.unwrap().id;
    let p0 = registered.tokens.unwrap();

    let access = introspect(&auth, &p0.access_token).await;
    assert!(access.active, "{access:?}");
    assert_eq!(access.token_type, "access");
    assert_eq!(access.sub, user_id);
    assert_eq!(access.sid, p0.session_id);
    assert_eq!(access.jti, jti_of(&p0.access_token));
    assert_eq!(access.roles, ["user"]);
    assert_eq!(
        (access.iss.as_str(), access.aud.as_slice()),
        ("stride", &["stride".to_owned()][..])
    );
    assert!(access.exp.is_some() && access.iat.is_some());
    assert!(access.inactive_reason.is_empty());

    let refresh_answer = introspect(&auth, &p0.refresh_token).await;
    assert!(refresh_answer.active);
    assert_eq!(refresh_answer.token_type, "refresh");
    assert!(refresh_answer.roles.is_empty());

    let p1 = refresh(&auth, &p0.refresh_token).await.unwrap();
    let rotated = introspect(&auth, &p0.refresh_token).await;
    assert!(!rotated.active);
    assert_eq!(rotated.inactive_reason, "ROTATED");
    assert!(
        rotated.sub.is_empty() && rotated.jti.is_empty(),
        "nothing but the reason"
    );
    assert!(
        introspect(&auth, &p0.access_token).await.active,
        "rotation keeps access tokens"
    );

    for (garbage, why) in [
        ("", "MALFORMED"),
        ("a.b.c", "MALFORMED"),
        ("not a token", "MALFORMED"),
    ] {
        assert_eq!(introspect(&auth, garbage).await.inactive_reason, why);
    }
    auth_client(&auth)
        .await
        .logout(LogoutRequest {
            refresh_token: p1.refresh_token.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        introspect(&auth, &p1.access_token).await.inactive_reason,
        "REVOKED"
    );
    auth.stop().await;
}

async fn check_revocation_answers_a_batch_with_the_head_sequence(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let a = signed_up(&auth, "ada").await;
    let b = signed_up(&auth, "bob").await;
    auth_client(&auth)
        .await
        .logout(LogoutRequest {
            refresh_token: a.refresh_token.clone(),
        })
        .await
        .unwrap();
    session_client(&auth)
        .await
        .revoke_token(bearer(
            RevokeTokenRequest {
                jti: jti_of(&b.refresh_token),
            },
            &b.access_token,
        ))
        .await
        .unwrap();
    let mut client = introspection_client(&auth).await;
    let unknown = stride_auth::new_id();
    let answer = client
        .check_revocation(with_key(CheckRevocationRequest {
            jtis: vec![
                jti_of(&a.access_token),
                jti_of(&b.access_token),
                jti_of(&b.refresh_token),
                unknown.clone(),
                jti_of(&a.access_token),
            ],
            sids: vec![a.session_id.clone(), b.session_id.clone(), unknown],
        }))
        .await
        .unwrap()
        .into_inner();
    let mut expected_jtis = vec![
        jti_of(&a.access_token),
        jti_of(&b.access_token),
        jti_of(&b.refresh_token),
    ];
    expected_jtis.sort();
    assert_eq!(answer.revoked_jtis, expected_jtis);
    assert_eq!(answer.revoked_sids, vec![a.session_id.clone()]);
    let head: i64 = sqlx::query_scalar("SELECT MAX(sequence) FROM revocation_events")
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(answer.sequence, head);
    let too_many = client
        .check_revocation(with_key(CheckRevocationRequest {
            jtis: (0..501).map(|i| i.to_string()).collect(),
            sids: Vec::new(),
        }))
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Code::InvalidArgument);
    auth.stop().await;
}

backend_tests!(
    without_the_service_key_every_introspection_rpc_is_unauthenticated,
    introspection_reports_claims_when_active_and_only_the_reason_otherwise,
    check_revocation_answers_a_batch_with_the_head_sequence,
);
