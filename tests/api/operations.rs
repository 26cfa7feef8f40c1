//! Running behind a proxy and against hostile input: client addresses from trusted proxies
//! only, same-origin redirects, security headers, body limits and timeouts, `/metrics`
//! behind a token.

use crate::helpers::{spawn_with, Spawn, TestApp};

async fn spawn_env(env: &[(&'static str, &str)]) -> TestApp {
    spawn_with(Spawn {
        env: env.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        ..Spawn::default()
    })
    .await
}

/// POSTs a malformed subscription (422 while under the limit, 429 past it) with extra
/// headers; returns the status.
async fn subscribe_as(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    let mut r = app
        .client
        .post(format!("{}/subscribe", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("email=not-an-address");
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = spawn_env(&[("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]).await;
    let a = [("X-Forwarded-For", "203.0.113.1")];
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(subscribe_as(&app, &a).await);
    }
    assert_eq!(statuses[..10], [422; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "the 11th a minute from one client");
    // Another visitor behind the same proxy is not held by the first one's budget.
    assert_eq!(
        subscribe_as(&app, &[("X-Forwarded-For", "203.0.113.2")]).await,
        422
    );
    assert_eq!(
        subscribe_as(&app, &[("Forwarded", "for=198.51.100.7;proto=https")]).await,
        422
    );
    // What the client wrote itself (left of what the proxy appended) is not believed.
    assert_eq!(
        subscribe_as(
            &app,
            &[("X-Forwarded-For", "198.51.100.99, 203.0.113.1, 10.1.2.3")]
        )
        .await,
        429
    );
}

#[tokio::test]
async fn from_an_untrusted_peer_forwarded_headers_are_ignored() {
    // The test client connects from 127.0.0.1, which is not in the list.
    let app = spawn_env(&[("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    for i in 0..10 {
        let xff = format!("203.0.113.{i}");
        assert_eq!(
            subscribe_as(&app, &[("X-Forwarded-For", xff.as_str())]).await,
            422
        );
    }
    assert_eq!(
        subscribe_as(&app, &[("X-Forwarded-For", "198.51.100.1")]).await,
        429,
        "a new X-Forwarded-For from an untrusted peer is the same client"
    );
    assert_eq!(
        subscribe_as(&app, &[("Forwarded", "for=198.51.100.2")]).await,
        429
    );
}
