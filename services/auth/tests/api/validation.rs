//! The token-validation matrix: wrong token types where the other is expected, and expired,
//! not-yet-valid, wrong-audience, wrong-issuer, unknown-kid, tampered, `alg: none` and
//! HS256-signed tokens, at Refresh, at SessionService and at IntrospectToken; and forged,
//! tampered and misdirected access tokens at GetMe.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use shared::pb::auth::v1::{GetMeRequest, ListSessionsRequest};
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

fn b64(value: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Bad variants of `token` (typ `typ`), each with the introspection reason it must get.
async fn bad_variants(
    auth: &TestAuth,
    forger: &Forger,
    token: &str,
    typ: &str,
) -> Vec<(&'static str, String, &'static str)> {
    let claims = claims_of(token);
    let now = claims["iat"].as_i64().unwrap();
    let with = |field: &str, value: serde_json::Value| {
        let mut c = claims.clone();
        c[field] = value;
        c
    };
    let parts: Vec<&str> = token.split('.').collect();
    let jwks = jwks(auth).await;
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some(typ.into());
    hs.kid = Some(forger.kid.clone());
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&stranger).unwrap();
    let mut unknown = Header::new(Algorithm::EdDSA);
    unknown.typ = Some(typ.into());
    unknown.kid = Some("no-such-kid".into());
    vec![
        (
            "expired",
            forger.sign(typ, &with("exp", json!(now - 120))),
            "EXPIRED",
        ),
        (
            "not yet valid",
            forger.sign(typ, &with("nbf", json!(now + 600))),
            "NOT_YET_VALID",
        ),
        (
            "wrong audience",
            forger.sign(typ, &with("aud", json!("elsewhere"))),
            "WRONG_AUDIENCE",
        ),
        (
            "wrong issuer",
            forger.sign(typ, &with("iss", json!("evil"))),
            "WRONG_ISSUER",
        ),
        (
            "unknown kid",
            jsonwebtoken::encode(&unknown, &claims, &EncodingKey::from_ed_der(der.as_bytes()))
                .unwrap(),
            "UNKNOWN_KEY",
        ),
        (
            "tampered",
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&with("sub", json!("someone-else"))),
                parts[2]
            ),
            "BAD_SIGNATURE",
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": typ, "kid": forger.kid})),
                parts[1]
            ),
            "MALFORMED",
        ),
        (
            "HS256 with the public key as secret",
            jsonwebtoken::encode(
                &hs,
                &claims,
                &EncodingKey::from_secret(jwks.keys[0].x.as_bytes()),
            )
            .unwrap(),
            "WRONG_ALGORITHM",
        ),
    ]
}

async fn every_invalid_token_is_unauthenticated_wherever_it_is_presented(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let pair = signed_up(&auth, "ada").await;
    let forger = Forger::new(&auth).await;
    let mut sessions = session_client(&auth).await;
    let mut users = user_client(&auth).await;

    // Controls: the forger's signature over genuine claims is accepted at both doors.
    let resigned_access = forger.sign("at+jwt", &claims_of(&pair.access_token));
    sessions
        .list_sessions(bearer(ListSessionsRequest::default(), &resigned_access))
        .await
        .expect("genuine access claims");
    let resigned_refresh = forger.sign("rt+jwt", &claims_of(&pair.refresh_token));
    assert!(introspect(&auth, &resigned_refresh).await.active);

    // The wrong type at each door.
    let status = refresh(&auth, &pair.access_token).await.unwrap_err();
    assert_eq!(
        status.code(),
        Code::Unauthenticated,
        "an access token at Refresh"
    );
    for status in [
        sessions
            .list_sessions(bearer(ListSessionsRequest::default(), &pair.refresh_token))
            .await
            .unwrap_err(),
        users
            .get_me(bearer(GetMeRequest {}, &pair.refresh_token))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "a refresh token as bearer"
        );
    }
    let access_as_refresh = forger.sign("rt+jwt", &claims_of(&pair.access_token));
    assert_eq!(
        refresh(&auth, &access_as_refresh).await.unwrap_err().code(),
        Code::Unauthenticated,
        "access claims under a refresh typ"
    );

    for (what, token, why) in bad_variants(&auth, &forger, &pair.access_token, "at+jwt").await {
        let status = sessions
            .list_sessions(bearer(ListSessionsRequest::default(), &token))
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::Unauthenticated, "access {what}");
        let answer = introspect(&auth, &token).await;
        assert!(!answer.active, "access {what}");
        assert_eq!(answer.inactive_reason, why, "access {what}");
    }
    for (what, token, why) in bad_variants(&auth, &forger, &pair.refresh_token, "rt+jwt").await {
        let status = refresh(&auth, &token).await.expect_err(what);
        assert_eq!(status.code(), Code::Unauthenticated, "refresh {what}");
        let answer = introspect(&auth, &token).await;
        assert!(!answer.active, "refresh {what}");
        assert_eq!(answer.inactive_reason, why, "refresh {what}");
    }
    // None of the rejected refreshes touched the session: the genuine token still rotates.
    refresh(&auth, &pair.refresh_token)
        .await
        .expect("the genuine refresh token still works");
    auth.stop().await;
}

async fn forged_tampered_and_misdirected_tokens_are_unauthenticated(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    let token = access(&registered);
    let claims = claims_of(&token);
    let forger = Forger::new(&auth).await;
    let mut users = user_client(&auth).await;

    // Control: the forger's signature over the genuine claims is accepted.
    let genuine = forger.sign("at+jwt", &claims);
    users
        .get_me(bearer(GetMeRequest {}, &genuine))
        .await
        .expect("re-signed genuine claims verify");

    let now = claims["iat"].as_i64().unwrap();
    let with = |field: &str, value: serde_json::Value| {
        let mut c = claims.clone();
        c[field] = value;
        c
    };
    let mut bad = vec![
        (
            "expired",
            forger.sign("at+jwt", &with("exp", json!(now - 120))),
        ),
        (
            "not yet valid",
            forger.sign("at+jwt", &with("nbf", json!(now + 600))),
        ),
        (
            "issued in the future",
            forger.sign("at+jwt", &with("iat", json!(now + 600))),
        ),
        (
            "wrong audience",
            forger.sign("at+jwt", &with("aud", json!("fitness"))),
        ),
        (
            "wrong issuer",
            forger.sign("at+jwt", &with("iss", json!("evil"))),
        ),
        (
            "extra claim",
            forger.sign("at+jwt", &with("email", json!("ada@example.com"))),
        ),
        ("refresh typ", forger.sign("rt+jwt", &claims)),
        ("no typ", forger.sign("JWT", &claims)),
        (
            "refresh token",
            registered.tokens.as_ref().unwrap().refresh_token.clone(),
        ),
    ];
    // Tampered: another subject under the original signature.
    let parts: Vec<&str> = token.split('.').collect();
    let tampered_payload = {
        use base64::Engine as _;
        let c = with("sub", json!("someone-else"));
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap())
    };
    bad.push((
        "tampered",
        format!("{}.{}.{}", parts[0], tampered_payload, parts[2]),
    ));
    // alg none, unsigned.
    let none_header = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"alg": "none", "typ": "at+jwt", "kid": forger.kid}).to_string())
    };
    bad.push(("alg none", format!("{none_header}.{}.", parts[1])));
    // HS256 with the public key as the HMAC secret (algorithm confusion).
    let jwks = jwks(&auth).await;
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.typ = Some("at+jwt".into());
    hs_header.kid = Some(forger.kid.clone());
    bad.push((
        "HS256",
        jsonwebtoken::encode(
            &hs_header,
            &claims,
            &EncodingKey::from_secret(jwks.keys[0].x.as_bytes()),
        )
        .unwrap(),
    ));
    // An unknown key id.
    let mut unknown = Header::new(Algorithm::EdDSA);
    unknown.typ = Some("at+jwt".into());
    unknown.kid = Some("no-such-kid".into());
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&other_key).unwrap();
    bad.push((
        "unknown kid",
        jsonwebtoken::encode(&unknown, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap(),
    ));
    // Right kid, other key.
    unknown.kid = Some(forger.kid.clone());
    bad.push((
        "foreign signature",
        jsonwebtoken::encode(&unknown, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap(),
    ));
    // A well-signed token whose jti was never issued.
    bad.push((
        "never issued",
        forger.sign("at+jwt", &with("jti", json!(stride_auth::new_id()))),
    ));

    for (what, token) in bad {
        let status = users
            .get_me(bearer(GetMeRequest {}, &token))
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
    }
    auth.stop().await;
}

backend_tests!(
    every_invalid_token_is_unauthenticated_wherever_it_is_presented,
    forged_tampered_and_misdirected_tokens_are_unauthenticated,
);
