//! Token format (headers, claims, the JWKS), what is recorded of each token, and the auth
//! layer's rejections of a missing or expired one.

use std::collections::BTreeSet;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;
use shared::pb::auth::v1::{GetMeRequest, Jwk, TokenPair};
use stride_auth::clock::ManualClock;
use testkit::{Backend, TestAuth, backend_tests};
use tonic::Code;

use crate::helpers::*;

fn keys_of(value: &serde_json::Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

/// A registration's token pair, and what verifying it against the JWKS needs.
struct Issued {
    auth: TestAuth,
    user_id: String,
    pair: TokenPair,
    jwk: Jwk,
    key: DecodingKey,
    validation: Validation,
}

async fn issued(backend: Backend) -> Issued {
    let auth = TestAuth::spawn(backend).await;
    let registered = register(&auth, "ada").await;
    let user_id = registered.user.as_ref().unwrap().id.clone();
    let pair = registered.tokens.clone().unwrap();
    let jwks = jwks(&auth).await;
    assert_eq!(jwks.keys.len(), 1);
    let jwk = jwks.keys[0].clone();
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
    Issued {
        auth,
        user_id,
        pair,
        jwk,
        key,
        validation,
    }
}

impl Issued {
    fn decode(&self, token: &str) -> jsonwebtoken::TokenData<serde_json::Value> {
        jsonwebtoken::decode::<serde_json::Value>(token, &self.key, &self.validation)
            .expect("the token verifies against the JWKS")
    }
}

async fn the_jwks_serves_one_ed25519_signing_key(backend: Backend) {
    let issued = issued(backend).await;
    let jwk = &issued.jwk;
    assert_eq!(
        (
            jwk.kty.as_str(),
            jwk.crv.as_str(),
            jwk.alg.as_str(),
            jwk.r#use.as_str()
        ),
        ("OKP", "Ed25519", "EdDSA", "sig")
    );
    issued.auth.stop().await;
}

async fn an_access_token_verifies_with_exactly_its_headers_and_claims(backend: Backend) {
    let issued = issued(backend).await;
    let pair = &issued.pair;
    let access = issued.decode(&pair.access_token);
    assert_eq!(access.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(access.header.kid.as_deref(), Some(issued.jwk.kid.as_str()));
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
    assert_eq!(claims["sub"], issued.user_id.as_str());
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
    issued.auth.stop().await;
}

async fn a_refresh_token_verifies_with_its_own_type_claims_and_lifetime(backend: Backend) {
    let issued = issued(backend).await;
    // Its audience is the issuer, so the same validation applies.
    let refresh = issued.decode(&issued.pair.refresh_token);
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
    issued.auth.stop().await;
}

async fn every_issued_token_is_recorded_with_its_session_parent_ip_and_device(backend: Backend) {
    let issued = issued(backend).await;
    let pair = &issued.pair;
    let claims = claims_of(&pair.access_token);
    let rclaims = claims_of(&pair.refresh_token);
    let (session_id, parent, ip, device): (String, Option<String>, String, String) =
        sqlx::query_as(
            "SELECT session_id, parent_jti, ip, device_label FROM refresh_tokens WHERE jti = $1",
        )
        .bind(rclaims["jti"].as_str().unwrap())
        .fetch_one(issued.auth.db.pool())
        .await
        .unwrap();
    assert_eq!(
        (session_id.as_str(), parent, ip.as_str(), device.as_str()),
        (pair.session_id.as_str(), None, "127.0.0.1", "laptop")
    );
    let refresh_jti: String =
        sqlx::query_scalar("SELECT refresh_jti FROM access_tokens WHERE jti = $1")
            .bind(claims["jti"].as_str().unwrap())
            .fetch_one(issued.auth.db.pool())
            .await
            .unwrap();
    assert_eq!(refresh_jti, rclaims["jti"].as_str().unwrap());
    issued.auth.stop().await;
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
    the_jwks_serves_one_ed25519_signing_key,
    an_access_token_verifies_with_exactly_its_headers_and_claims,
    a_refresh_token_verifies_with_its_own_type_claims_and_lifetime,
    every_issued_token_is_recorded_with_its_session_parent_ip_and_device,
    get_me_without_a_valid_bearer_token_is_unauthenticated,
    an_access_token_expires_after_its_lifetime_plus_leeway,
);
