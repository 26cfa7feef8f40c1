//! Signing organizers in and out: the session cookie, CSRF refusals, expiry, the same
//! answer for a wrong email and a wrong password, and the sign-in rate limit.

use actiondesk::db::schema::organizer_sessions;
use diesel::prelude::*;

use crate::admin_support::{csrf_of, organizer, post_form, sign_in, PASSWORD};
use crate::helpers::{spawn_app, spawn_with, Spawn, TestApp};

async fn session_count(app: &TestApp) -> i64 {
    app.with_db(|c| Ok(organizer_sessions::table.count().get_result(c)?))
        .await
}

#[tokio::test]
async fn an_organizer_signs_in_sees_the_dashboard_and_signs_out() {
    let app = spawn_app().await;
    organizer(&app, "ana@example.org", false).await;

    // Not signed in: the dashboard sends the browser to the sign-in page and back.
    let r = app
        .client
        .get(format!("{}/admin", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        "/admin/login?next=%2Fadmin"
    );

    let (_, page) = app.get("/admin/login").await;
    let token = csrf_of(&page);
    let r = app
        .client
        .post(format!("{}/admin/login", app.address))
        .form(&[
            ("email", "Ana@Example.org"),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("actiondesk_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/admin"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http test server: {cookie}"
    );
    // The table holds a hash, never the token itself.
    let raw = cookie
        .trim_start_matches("actiondesk_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let stored: Vec<String> = app
        .with_db(|c| {
            Ok(organizer_sessions::table
                .select(organizer_sessions::token_hash)
                .load(c)?)
        })
        .await;
    assert_eq!(stored.len(), 1);
    assert!(!raw.contains(&stored[0]) && !stored[0].contains(&raw));

    let (status, dash) = app.get("/admin").await;
    assert_eq!(status, 200);
    assert!(dash.contains("ana@example.org"));
    assert!(dash.contains("Dashboard"));
    let csrf = csrf_of(&dash);

    let (status, location, _) = post_form(&app, "/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/login?signed_out=1"));
    assert_eq!(session_count(&app).await, 0, "signing out ends the session");
    let (status, _) = app.get("/admin").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn a_wrong_email_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    organizer(&app, "ana@example.org", false).await;
    let (_, page) = app.get("/admin/login").await;
    let token = csrf_of(&page);
    let attempt = |email: &'static str, password: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            post_form(
                app,
                "/admin/login",
                &[
                    ("email", email),
                    ("password", password),
                    ("csrf_token", &token),
                ],
            )
            .await
        }
    };
    let (s1, l1, wrong_password) = attempt("ana@example.org", "not the password at all").await;
    let (s2, l2, unknown_email) = attempt("bob@example.org", PASSWORD).await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!((l1, l2), (None, None));
    assert!(wrong_password.contains("do not match an active organizer account"));
    assert_eq!(
        wrong_password.replace("ana@example.org", "EMAIL"),
        unknown_email.replace("bob@example.org", "EMAIL"),
        "the two answers differ only in the email typed"
    );
    assert!(
        wrong_password.contains("value=\"ana@example.org\""),
        "keeps the email"
    );
    assert_eq!(session_count(&app).await, 0);
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_with_a_page_and_changes_nothing() {
    let app = spawn_app().await;
    organizer(&app, "ana@example.org", false).await;
    sign_in(&app, "ana@example.org").await;
    let (status, _, body) = post_form(&app, "/admin/logout", &[]).await;
    assert_eq!(status, 403);
    assert!(body.contains("Nothing was"), "{body}");
    assert!(
        body.contains("href=\"/admin/login\""),
        "a way to sign in again"
    );
    let (status, _, _) = post_form(&app, "/admin/logout", &[("csrf_token", "forged")]).await;
    assert_eq!(status, 403);
    assert_eq!(session_count(&app).await, 1, "still signed in");
    assert_eq!(app.get("/admin").await.0, 200);

    // The sign-in form has its own token.
    let (status, _, body) = post_form(
        &app,
        "/admin/login",
        &[("email", "ana@example.org"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(session_count(&app).await, 1, "no new session");
}

#[tokio::test]
async fn an_expired_session_is_refused_with_a_way_to_sign_in_again() {
    let app = spawn_app().await;
    organizer(&app, "ana@example.org", false).await;
    let csrf = sign_in(&app, "ana@example.org").await;
    app.with_db(|c| {
        Ok(diesel::update(organizer_sessions::table)
            .set(
                organizer_sessions::expires_at
                    .eq(actiondesk::db::now() - chrono::Duration::minutes(1)),
            )
            .execute(c)?)
    })
    .await;
    let (status, _, body) = post_form(&app, "/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, 401);
    assert!(body.contains("Your session has expired"), "{body}");
    assert!(body.contains("nothing was changed"), "{body}");
    assert!(body.contains("href=\"/admin/login\""));
    assert_eq!(session_count(&app).await, 0, "the expired session is gone");
    let r = app
        .client
        .get(format!("{}/admin", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = app.get("/admin/login?next=%2Fadmin&expired=1").await;
    assert!(page.contains("Your session has expired"));
}

#[tokio::test]
async fn too_many_sign_in_attempts_get_429_with_retry_after() {
    let app = spawn_app().await;
    organizer(&app, "ana@example.org", false).await;
    let (_, page) = app.get("/admin/login").await;
    let token = csrf_of(&page);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = app
            .client
            .post(format!("{}/admin/login", app.address))
            .form(&[
                ("email", "ana@example.org"),
                ("password", "wrong password here"),
                ("csrf_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status().as_u16() == 429 {
            let wait: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&wait));
            let body = r.text().await.unwrap();
            assert!(body.contains("<html"), "an HTML page for a browser");
        }
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429]);
    // Even the right password waits now, from this client: it has failed, and the
    // account's budget is spent.
    let (status, _, _) = post_form(
        &app,
        "/admin/login",
        &[
            ("email", "ana@example.org"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(status, 429);
}

/// One sign-in attempt from the client a trusted proxy names; returns the status.
async fn attempt_from(app: &TestApp, client: &str, password: &str) -> u16 {
    let (_, page) = app.get("/admin/login").await;
    let token = csrf_of(&page);
    app.client
        .post(format!("{}/admin/login", app.address))
        .header("X-Forwarded-For", client)
        .form(&[
            ("email", "ana@example.org"),
            ("password", password),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_guesser_cannot_lock_the_organizer_out() {
    let app = spawn_with(Spawn {
        env: vec![("TRUSTED_PROXIES", "127.0.0.1".into())],
        ..Spawn::default()
    })
    .await;
    organizer(&app, "ana@example.org", false).await;
    let attacker = "198.51.100.66";
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(attempt_from(&app, attacker, "a wrong guess at it").await);
    }
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|&s| s == 429), "{statuses:?}");
    // The guesser is slowed even when it guesses right ...
    assert_eq!(attempt_from(&app, attacker, PASSWORD).await, 429);
    // ... and so is another client that has failed against the spent account ...
    assert_eq!(
        attempt_from(&app, "198.51.100.67", "another guess").await,
        401
    );
    assert_eq!(attempt_from(&app, "198.51.100.67", PASSWORD).await, 429);
    // ... but the organizer, from a client that has not failed, signs in.
    assert_eq!(attempt_from(&app, "203.0.113.5", PASSWORD).await, 303);
    assert_eq!(session_count(&app).await, 1);
}
