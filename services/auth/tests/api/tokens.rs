//! Token format (SPEC §4) and the auth layer's rejections.

use std::collections::BTreeSet;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;
use shared::pb::auth::v1::{GetJwksRequest, GetMeRequest};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

fn keys_of(value: &serde_json::Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

async fn tokens_verify_against_the_jwks_with_exactly_the_specified_headers_and_claims(
    backend: Backend,
) {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    let user_id = registered.user.as_ref().unwrap().id.clone();
    let pair = registered.tokens.clone().unwrap();

    let jwks = auth_client(&auth)
        .await
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(jwks.keys.len(), 1);
    let jwk = &jwks.keys[0];
    assert_eq!(
        (
            jwk.kty.as_str(),
            jwk.crv.as_str(),
            jwk.alg.as_str(),
            jwk.r#use.as_str()
        ),
        ("OKP", "Ed25519", "EdDSA", "sig")
    );
    // A standard library builds the key from the JWK as served.
    let standard: jsonwebtoken::jwk::Jwk = serde_json::from_value(json!({
        "kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "kid": jwk.kid, "alg": jwk.alg, "use": jwk.r#use,
    }))
    .unwrap();
    let key = DecodingKey::from_jwk(&standard).unwrap();

    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&["stride"]);
    validation.set_audience(&["stride"]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    let access = jsonwebtoken::decode::<serde_json::Value>(&pair.access_token, &key, &validation)
        .expect("the access token verifies against the JWKS");
    assert_eq!(access.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(access.header.kid.as_deref(), Some(jwk.kid.as_str()));
    assert_eq!(access.header.alg, Algorithm::EdDSA);
    assert_eq!(
        keys_of(&header_of(&pair.access_token)),
        ["alg", "kid", "typ"].map(String::from).into()
    );
    let claims = access.claims;
    assert_eq!(
        keys_of(&claims),
        [
            "aud", "exp", "iat", "iss", "jti", "nbf", "roles", "sid", "sub"
        ]
        .map(String::from)
        .into(),
        "no email, name or other personal data"
    );
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["sid"], pair.session_id.as_str());
    assert_eq!(claims["roles"], json!(["user"]));
    assert_eq!(claims["iss"], "stride");
    assert_eq!(claims["aud"], "stride");
    assert_eq!(claims["nbf"], claims["iat"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(
        pair.access_expires_at.unwrap().seconds,
        claims["exp"].as_i64().unwrap()
    );

    let refresh = jsonwebtoken::decode::<serde_json::Value>(&pair.refresh_token, &key, &validation)
        .expect("the refresh token verifies (its audience is the issuer)");
    assert_eq!(refresh.header.typ.as_deref(), Some("rt+jwt"));
    let rclaims = refresh.claims;
    assert_eq!(
        keys_of(&rclaims),
        ["aud", "exp", "iat", "iss", "jti", "nbf", "sid", "sub"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        rclaims["exp"].as_i64().unwrap() - rclaims["iat"].as_i64().unwrap(),
        14 * 86_400
    );

    // Every issued token is recorded by jti with its session, parent, IP, agent and device.
    let (session_id, parent, ip, device): (String, Option<String>, String, String) =
        sqlx::query_as(
            "SELECT session_id, parent_jti, ip, device_label FROM refresh_tokens WHERE jti = $1",
        )
        .bind(rclaims["jti"].as_str().unwrap())
        .fetch_one(auth.db.pool())
        .await
        .unwrap();
    assert_eq!(
        (session_id.as_str(), parent, ip.as_str(), device.as_str()),
        (pair.session_id.as_str(), None, "127.0.0.1", "laptop")
    );
    let refresh_jti: String =
        sqlx::query_scalar("SELECT refresh_jti FROM access_tokens WHERE jti = $1")
            .bind(claims["jti"].as_str().unwrap())
            .fetch_one(auth.db.pool())
            .await
            .unwrap();
    assert_eq!(refresh_jti, rclaims["jti"].as_str().unwrap());
    auth.stop().await;
}

async fn get_me_without_a_valid_bearer_token_is_unauthenticated(backend: Backend) {
    let auth = TestAuth::spawn(backend).await;
    let mut users = user_client(&auth).await;
    let status = users.get_me(GetMeRequest {}).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "MISSING_TOKEN");
    for header in [
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer not.a.jwt",
        "token",
    ] {
        let mut request = tonic::Request::new(GetMeRequest {});
        request
            .metadata_mut()
            .insert("authorization", header.parse().unwrap());
        let status = users.get_me(request).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{header}");
    }
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
    let jwks = auth_client(&auth)
        .await
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner();
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

async fn an_access_token_expires_after_its_lifetime_plus_leeway(backend: Backend) {
    let clock = ManualClock::new();
    let auth = TestAuth::spawn_with(backend, |c| c.clock = clock.clock()).await;
    let token = access(&register(&auth, "ada").await);
    let mut users = user_client(&auth).await;
    clock.advance(Duration::from_secs(600 + 59));
    users
        .get_me(bearer(GetMeRequest {}, &token))
        .await
        .expect("inside the leeway");
    clock.advance(Duration::from_secs(2));
    let status = users
        .get_me(bearer(GetMeRequest {}, &token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "TOKEN_EXPIRED");
    auth.stop().await;
}

backend_tests!(
    tokens_verify_against_the_jwks_with_exactly_the_specified_headers_and_claims,
    get_me_without_a_valid_bearer_token_is_unauthenticated,
    forged_tampered_and_misdirected_tokens_are_unauthenticated,
    an_access_token_expires_after_its_lifetime_plus_leeway,
);
