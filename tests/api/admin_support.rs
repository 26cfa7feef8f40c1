//! Shared steps of the organizer-page tests: make an organizer, sign in, read a form's
//! CSRF token.

use actiondesk::db::{actions, campaigns, people, write_tx, Actor};
use actiondesk::demo::CAMPAIGN_SLUG;
use actiondesk::domain::{EmailAddress, Status};
use actiondesk::security;

use crate::helpers::TestApp;

/// The password every test organizer gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates an organizer; returns their id.
pub async fn organizer(app: &TestApp, email: &str, admin: bool) -> i32 {
    let email = EmailAddress::parse(email).unwrap();
    let hash = security::hash_password(PASSWORD).unwrap();
    app.with_db(move |c| {
        write_tx(c, |c| {
            people::create_organizer(c, &email, &hash, admin, &Actor::system())
        })
    })
    .await
    .id
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .unwrap_or_else(|| panic!("no csrf_token field in:\n{html}"));
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// POSTs a form (pairs may repeat); returns status, Location and body.
pub async fn post_form(
    app: &TestApp,
    path: &str,
    pairs: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let body = serde_html_form::to_string(pairs).unwrap();
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, r.text().await.unwrap())
}

/// Signs in through the form; returns the session's CSRF token (from the dashboard).
pub async fn sign_in(app: &TestApp, email: &str) -> String {
    let (_, page) = app.get("/admin/login").await;
    let token = csrf_of(&page);
    let (status, location, body) = post_form(
        app,
        "/admin/login",
        &[
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(status, 303, "sign-in failed: {body}");
    assert_eq!(location.as_deref(), Some("/admin"));
    let (status, dash) = app.get("/admin").await;
    assert_eq!(status, 200, "{dash}");
    csrf_of(&dash)
}

/// The demo campaign's actions' slugs in the organizers' order (only those in `status`).
pub async fn demo_order(app: &TestApp, status: Option<Status>) -> Vec<String> {
    app.with_db(move |c| {
        let cid = campaigns::by_slug(c, CAMPAIGN_SLUG)?.id;
        Ok(actions::list(
            c,
            &actions::ActionFilter {
                campaign_id: Some(cid),
                status,
                ..Default::default()
            },
        )?
        .into_iter()
        .map(|a| a.slug)
        .collect())
    })
    .await
}
