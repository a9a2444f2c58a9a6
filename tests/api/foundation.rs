//! The service foundation: health, readiness, authentication, problem details,
//! request ids, limits, panics and start-up settings.

use axum::Router;
use axum::routing::get;
use careflow::app::Extensions;
use careflow::config::Secret;
use careflow::http::AppState;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, eventually, json};

const SECRET: &str = "a-test-secret-of-reasonable-length-123456";

fn claims(overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({
        "sub": "user-1",
        "aud": "authenticated",
        "role": "authenticated",
        "exp": now + 600,
        "iat": now,
        "app_metadata": {"tenant_id": "clinic-1"},
        "user_metadata": {},
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut c, overrides) {
        for (k, v) in extra {
            if v.is_null() {
                base.remove(&k);
            } else {
                base.insert(k, v);
            }
        }
    }
    c
}

fn hs256(c: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        c,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn signed(alg: Algorithm, kid: &str, pem: &[u8], c: &Value) -> String {
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    encode(&header, c, &key).unwrap()
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.http
        .get(app.url("/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(body["status"], "ready");
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "careflow_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    for line in [
        "careflow_queue_depth{scope=\"database\"} 0",
        "careflow_queue_oldest_age_seconds 0",
        "careflow_provider_breaker_state{provider=\"llm\"} 0",
        "# TYPE careflow_http_request_duration_seconds histogram",
    ] {
        assert!(metrics.contains(line), "missing `{line}` in {metrics}");
    }
}

async fn an_api_key_authenticates_and_a_revoked_one_does_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let me = json(app.get("/v1/me").await).await;
    assert_eq!(me["tenant"], "tenant-a");
    assert_eq!(me["credential"], "api_key");
    let id = me["subject"]
        .as_str()
        .unwrap()
        .trim_start_matches("apikey:")
        .to_string();
    let revoked = app
        .app()
        .store
        .revoke_api_key(id.parse().unwrap(), chrono::Utc::now())
        .await
        .unwrap();
    assert!(revoked);
    // On PostgreSQL the key was cached by the request above: the revocation's
    // notice drops it (see replicas.rs for another replica).
    let r = eventually("the revoked key to be refused", || async {
        let r = app.get("/v1/me").await;
        if r.status() == 401 {
            Ok(r)
        } else {
            Err(r.status())
        }
    })
    .await;
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"careflow\"");
    assert_eq!(json(r).await["detail"], "API key revoked");
    // A key whose secret part was altered is refused too.
    let forged = format!("{}x", &app.token[..app.token.len() - 1]);
    assert_eq!(status_with(&app, &forged).await, 401);
}

async fn hs256_tokens_authenticate_and_every_bad_token_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        |s| {
            s.auth.jwt_secret = Secret::new(SECRET);
            s.auth.issuer = "https://auth.example.test/auth/v1".into();
        },
        Extensions::default,
    )
    .await;
    let iss = json!({"iss": "https://auth.example.test/auth/v1"});
    let good = hs256(&claims(iss.clone()));
    let r = app
        .http
        .get(app.url("/v1/me"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me = json(r).await;
    assert_eq!(me["tenant"], "clinic-1");
    assert_eq!(me["subject"], "user-1");
    assert_eq!(me["credential"], "jwt");

    let now = chrono::Utc::now().timestamp();
    let with = |extra: Value| {
        let mut c = claims(iss.clone());
        if let (Value::Object(b), Value::Object(e)) = (&mut c, extra) {
            for (k, v) in e {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    b.insert(k, v);
                }
            }
        }
        c
    };
    let none_alg = {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            e.encode(br#"{"alg":"none","typ":"JWT"}"#),
            e.encode(serde_json::to_vec(&with(json!({}))).unwrap())
        )
    };
    let wrong_key = encode(
        &Header::new(Algorithm::HS256),
        &with(json!({})),
        &EncodingKey::from_secret(b"another-secret-entirely-0000000000000"),
    )
    .unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("expired", hs256(&with(json!({"exp": now - 3600})))),
        ("not yet valid", hs256(&with(json!({"nbf": now + 3600})))),
        ("wrong signature", wrong_key),
        ("alg none", none_alg),
        (
            "wrong issuer",
            hs256(&with(json!({"iss": "https://evil.example.test"}))),
        ),
        ("wrong audience", hs256(&with(json!({"aud": "anon"})))),
        ("anon role", hs256(&with(json!({"role": "anon"})))),
        (
            "tenant only in user_metadata",
            hs256(&with(
                json!({"app_metadata": {}, "user_metadata": {"tenant_id": "clinic-1"}}),
            )),
        ),
        ("no exp", hs256(&with(json!({"exp": null})))),
        (
            "no iss although an issuer is configured",
            hs256(&with(json!({"iss": null}))),
        ),
        ("garbage", "not.a.token".into()),
    ];
    for (name, token) in cases {
        let r = app
            .http
            .get(app.url("/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "case `{name}` was not refused");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ct, "application/problem+json", "case `{name}`");
    }
    // No header and a non-bearer scheme.
    let r = app.http.get(app.url("/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .get(app.url("/v1/me"))
        .header("authorization", "Basic dTpw")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn serve_jwks() -> String {
    let jwks: Value = serde_json::from_str(include_str!("../fixtures/jwt/jwks.json")).unwrap();
    let router = Router::new().route("/jwks.json", get(move || async move { axum::Json(jwks) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/jwks.json")
}

async fn es256_and_rs256_tokens_verify_against_keys_from_a_jwks_url(backend: Backend) {
    let jwks_url = serve_jwks().await;
    let app = TestApp::spawn_with(
        backend,
        |s| {
            s.auth.jwks_url = jwks_url.clone();
            // Configured too, but asymmetric keys exclude HS256.
            s.auth.jwt_secret = Secret::new(SECRET);
        },
        Extensions::default,
    )
    .await;
    let es = signed(
        Algorithm::ES256,
        "test-es256",
        include_bytes!("../fixtures/jwt/es256.pem"),
        &claims(json!({})),
    );
    let rs = signed(
        Algorithm::RS256,
        "test-rs256",
        include_bytes!("../fixtures/jwt/rs256.pem"),
        &claims(json!({})),
    );
    assert_eq!(status_with(&app, &es).await, 200);
    assert_eq!(status_with(&app, &rs).await, 200);
    // HS256 is refused once asymmetric keys are configured, even with the right secret.
    assert_eq!(status_with(&app, &hs256(&claims(json!({})))).await, 401);
    // A kid the JWKS does not have, and a key used for the wrong algorithm.
    let unknown = signed(
        Algorithm::ES256,
        "rotated-away",
        include_bytes!("../fixtures/jwt/es256.pem"),
        &claims(json!({})),
    );
    assert_eq!(status_with(&app, &unknown).await, 401);
    let mismatched = signed(
        Algorithm::RS256,
        "test-es256",
        include_bytes!("../fixtures/jwt/rs256.pem"),
        &claims(json!({})),
    );
    assert_eq!(status_with(&app, &mismatched).await, 401);
}

async fn errors_are_problem_details_carrying_the_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app
        .http
        .get(app.url("/v1/runs/not-a-run"))
        .bearer_auth(&app.token)
        .header("x-request-id", "req-from-client-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-request-id"], "req-from-client-42");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p = json(r).await;
    assert_eq!(p["status"], 404);
    assert_eq!(p["requestId"], "req-from-client-42");
    assert_eq!(p["instance"], "/v1/runs/not-a-run");
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .starts_with("https://careflow.dev/problems/")
    );
    assert!(p["title"].is_string() && p["detail"].is_string());

    // Without a request id, one is generated and echoed.
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert!(!r.headers()["x-request-id"].is_empty());

    // Malformed JSON is a problem too.
    let r = app
        .http
        .post(app.url("/v1/workflows/none/runs"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

async fn an_oversized_body_is_refused_with_413(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        |s| s.server.body_limit_bytes = 1024,
        Extensions::default,
    )
    .await;
    let big = json!({"input": {"text": "x".repeat(4096)}});
    let r = app.post("/v1/workflows/anything/runs", &big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

fn panicking_routes() -> Extensions {
    async fn boom() -> &'static str {
        panic!("deliberate test panic")
    }
    let routes: Router<AppState> = Router::new().route("/test/panic", get(boom));
    Extensions {
        routes: Some(routes),
        ..Extensions::default()
    }
}

async fn a_panicking_handler_answers_500_and_the_service_keeps_serving(backend: Backend) {
    let app = TestApp::spawn_with(backend, |_| {}, panicking_routes).await;
    let r = app
        .http
        .get(app.url("/v1/test/panic"))
        .bearer_auth(&app.token)
        .unchecked("a route this test mounts is not in the description")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p = json(r).await;
    assert_eq!(p["detail"], "Internal error.");
    assert!(
        !p.to_string().contains("deliberate"),
        "panic text must not leak: {p}"
    );
    assert_eq!(app.get("/v1/me").await.status(), 200);
}

both_backends!(
    health_and_readiness_answer,
    an_api_key_authenticates_and_a_revoked_one_does_not,
    hs256_tokens_authenticate_and_every_bad_token_is_refused,
    es256_and_rs256_tokens_verify_against_keys_from_a_jwks_url,
    errors_are_problem_details_carrying_the_request_id,
    an_oversized_body_is_refused_with_413,
    a_panicking_handler_answers_500_and_the_service_keeps_serving,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_turns_503_when_the_database_goes_away() {
    let app = TestApp::spawn(Backend::Postgres).await;
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The database goes away: it stops accepting connections and every open one is
    // cut. (Dropping it would force a checkpoint, slow on a busy server.)
    let name = app.db.url.rsplit('/').next().unwrap().to_string();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&crate::helpers::admin_url())
        .await
        .unwrap();
    sqlx::query(&format!("alter database {name} allow_connections false"))
        .execute(&mut admin)
        .await
        .unwrap();
    // Termination is asynchronous, and a connection the pool was opening when the
    // database closed can still finish its start-up: cut whatever is connected
    // until readiness notices, within a bound.
    let admin = tokio::sync::Mutex::new(admin);
    let r = eventually("readiness to notice the database is gone", || async {
        sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1")
            .bind(&name)
            .execute(&mut *admin.lock().await)
            .await
            .unwrap();
        let r = app.http.get(app.url("/readyz")).send().await.unwrap();
        if r.status() != 200 {
            Ok(r)
        } else {
            Err(r.status())
        }
    })
    .await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // The process itself is alive.
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
