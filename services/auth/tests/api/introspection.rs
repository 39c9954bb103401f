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
    let (unknown, unknown_sid) = (stride_auth::new_id(), stride_auth::new_id());
    let answer = client
        .check_revocation(with_key(CheckRevocationRequest {
            jtis: vec![
                jti_of(&a.access_token),
                jti_of(&b.access_token),
                jti_of(&b.refresh_token),
                unknown,
                jti_of(&a.access_token),
            ],
            sids: vec![
                a.session_id.clone(),
                b.session_id.clone(),
                unknown_sid.clone(),
            ],
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
    // An unknown session is revoked: its rows went with a deleted account.
    let mut expected_sids = vec![a.session_id.clone(), unknown_sid];
    expected_sids.sort();
    assert_eq!(answer.revoked_sids, expected_sids);
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

/// Introspection answers access tokens from the process's mirror of the revocation feed: a
/// revocation made on the answering replica is reflected as soon as the revoking call has
/// returned, even with the head poll slowed to a minute (only the committing transaction can
/// have told the mirror); one made on another replica sharing the database within that
/// replica's poll interval.
async fn introspection_reflects_revocations_here_at_once_and_elsewhere_within_the_poll(
    backend: Backend,
) {
    let auth = TestAuth::spawn_with(backend, |config| {
        config.feed.poll_interval = std::time::Duration::from_secs(60);
    })
    .await;
    let mut config = stride_auth::Config::for_tests(auth.test_db().url().clone());
    config.feed.poll_interval = std::time::Duration::from_millis(100);
    let replica = stride_auth::App::build(config).await.unwrap();
    let replica_addr = replica.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(replica.run(async move {
        let _ = stopped.await;
    }));
    let replica_channel = tonic::transport::Channel::from_shared(format!("http://{replica_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut on_replica =
        shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient::new(
            replica_channel,
        );

    // Several sessions, each seen active on both replicas first (so both have loaded their
    // mirrors and would answer from them).
    let mut pairs = Vec::new();
    for name in ["ada", "bob", "cyd"] {
        let pair = signed_up(&auth, name).await;
        let here = wait_for(&auth, &pair.access_token, true).await;
        assert!(here.active, "{here:?}");
        let there = introspect_at(&mut on_replica, &pair.access_token).await;
        assert!(there.active, "{there:?}");
        pairs.push(pair);
    }

    // Here: a logout, then at once.
    let mut auth_api = auth_client(&auth).await;
    auth_api
        .logout(LogoutRequest {
            refresh_token: pairs[0].refresh_token.clone(),
        })
        .await
        .unwrap();
    // (A logout revokes the session's tokens with it: the token's own reason comes first.)
    let answer = introspect(&auth, &pairs[0].access_token).await;
    assert_eq!(
        (answer.active, answer.inactive_reason.as_str()),
        (false, "REVOKED")
    );
    // A single access token revoked by its owner, at once too.
    let mut sessions = session_client(&auth).await;
    sessions
        .revoke_token(bearer(
            RevokeTokenRequest {
                jti: jti_of(&pairs[1].access_token),
            },
            &pairs[1].access_token,
        ))
        .await
        .unwrap();
    let answer = introspect(&auth, &pairs[1].access_token).await;
    assert_eq!(
        (answer.active, answer.inactive_reason.as_str()),
        (false, "REVOKED")
    );
    // The third session, untouched, is still active here.
    assert!(introspect(&auth, &pairs[2].access_token).await.active);

    // There: both revocations reach the other replica through its head poll.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for (pair, reason) in [(&pairs[0], "REVOKED"), (&pairs[1], "REVOKED")] {
        loop {
            let there = introspect_at(&mut on_replica, &pair.access_token).await;
            if !there.active {
                assert_eq!(there.inactive_reason, reason);
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the other replica never saw the revocation"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    assert!(
        introspect_at(&mut on_replica, &pairs[2].access_token)
            .await
            .active
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    auth.stop().await;
}

/// `IntrospectToken` of `token` through `client`, with the service key.
async fn introspect_at(
    client: &mut shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient<
        tonic::transport::Channel,
    >,
    token: &str,
) -> shared::pb::auth::v1::IntrospectTokenResponse {
    client
        .introspect_token(with_key(IntrospectTokenRequest {
            token: token.to_owned(),
        }))
        .await
        .unwrap()
        .into_inner()
}

/// Introspects until the answer's `active` is `active` (the mirror loads at start), for at
/// most a few seconds.
async fn wait_for(
    auth: &TestAuth,
    token: &str,
    active: bool,
) -> shared::pb::auth::v1::IntrospectTokenResponse {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let answer = introspect(auth, token).await;
        if answer.active == active || std::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

backend_tests!(
    without_the_service_key_every_introspection_rpc_is_unauthenticated,
    introspection_reports_claims_when_active_and_only_the_reason_otherwise,
    check_revocation_answers_a_batch_with_the_head_sequence,
    introspection_reflects_revocations_here_at_once_and_elsewhere_within_the_poll,
);
