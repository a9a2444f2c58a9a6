//! JWTs checked against keys from a JWKS endpoint that is slow or down: one fetch at
//! a time, cached keys never wait for it, and keys that cannot be had answer 503.

use std::time::Duration;

use careflow::app::Extensions;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use crate::both_backends;
use crate::fake_jwks::FakeJwks;
use crate::helpers::{Backend, TestApp, json};

fn es256(kid: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": "user-1", "aud": "authenticated", "role": "authenticated",
        "exp": now + 600, "iat": now, "app_metadata": {"tenant_id": "clinic-1"},
    });
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_ec_pem(include_bytes!("../fixtures/jwt/es256.pem")).unwrap();
    encode(&header, &claims, &key).unwrap()
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(app.url("/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn a_forged_kid_never_stalls_a_token_whose_key_is_cached(backend: Backend) {
    let jwks = FakeJwks::start().await;
    let url = jwks.url.clone();
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            s.auth.jwks_url = url;
            // Every unknown kid may fetch, and a fetch ends only when the test says so.
            s.auth.jwks_min_refresh = Duration::ZERO;
            s.auth.jwks_fetch_timeout = Duration::from_secs(60);
        },
        Extensions::default,
    )
    .await;
    let good = es256("test-es256");
    assert_eq!(me(&app, &good).await.status(), 200);
    assert_eq!(jwks.fetches(), 1);

    // The identity provider hangs; forged kids make the service ask it again.
    jwks.hold();
    let forged: Vec<_> = (0..5)
        .map(|i| {
            let (http, url, token) = (
                app.http.clone(),
                app.url("/v1/me"),
                es256(&format!("forged-{i}")),
            );
            tokio::spawn(async move {
                http.get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    jwks.until_fetches(2).await;

    // While that fetch hangs, a token whose key is cached is answered. (The fetch
    // never ends on its own, so a request waiting for it would hit this bound.)
    let r = tokio::time::timeout(Duration::from_secs(10), me(&app, &good))
        .await
        .expect("a token with a cached kid waited for the JWKS fetch");
    assert_eq!(r.status(), 200);
    assert_eq!(
        jwks.fetches(),
        2,
        "forged kids started a second fetch meanwhile"
    );

    jwks.release();
    for f in forged {
        assert_eq!(f.await.unwrap(), 401);
    }
    // Forged kids arriving during a fetch wait for it instead of starting their own.
    assert_eq!(jwks.most_in_flight(), 1);
}

async fn keys_that_cannot_be_had_answer_503_with_a_bearer_challenge(backend: Backend) {
    let jwks = FakeJwks::start().await;
    jwks.hold();
    let url = jwks.url.clone();
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            s.auth.jwks_url = url;
            s.auth.jwks_min_refresh = Duration::ZERO;
            s.auth.jwks_fetch_timeout = Duration::from_millis(300);
        },
        Extensions::default,
    )
    .await;
    let r = me(&app, &es256("test-es256")).await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"careflow\"");
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem = json(r).await;
    assert_eq!(problem["status"], 503);
    // Once the provider answers again, the same token is accepted.
    jwks.release();
    assert_eq!(me(&app, &es256("test-es256")).await.status(), 200);
}

both_backends!(
    a_forged_kid_never_stalls_a_token_whose_key_is_cached,
    keys_that_cannot_be_had_answer_503_with_a_bearer_challenge,
);
