//! Markup and `javascript:` URLs typed into every text field of the organizer forms come
//! out escaped or removed on every public page, in the API and in the audit log.

use actiondesk::db::{actions, campaigns};

use crate::admin_support::{organizer, post_form, sign_in};
use crate::helpers::spawn_demo;

const XSS: &str = "<script>alert(1)</script>";
const JS_URL: &str = "javascript:alert(1)";

fn assert_clean(what: &str, body: &str) {
    assert!(!body.contains(XSS), "{what} carries raw script:\n{body}");
    assert!(!body.contains("<script>alert"), "{what} carries raw script");
    let lower = body.to_lowercase();
    assert!(
        !lower.contains("href=\"javascript:"),
        "{what} links to javascript:"
    );
    assert!(
        !lower.contains("src=\"javascript:"),
        "{what} loads javascript:"
    );
    assert!(
        !lower.contains("<img src=x onerror"),
        "{what} carries an event handler"
    );
}

#[tokio::test]
async fn script_typed_into_every_field_never_runs_anywhere() {
    let app = spawn_demo().await;
    organizer(&app, "root@example.org", true).await;
    let csrf = sign_in(&app, "root@example.org").await;
    let md = format!("{XSS} [click](javascript:alert(1)) <img src=x onerror=alert(1)>");

    // javascript: URLs are refused where a URL is asked for, naming the field.
    let (status, _, body) = post_form(
        &app,
        "/admin/contacts/new",
        &[
            ("csrf_token", &csrf),
            ("kind", "agency"),
            ("name", "Bad"),
            ("contact_form_url", JS_URL),
            ("website_url", JS_URL),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("id=\"contact_form_url-error\""));
    assert!(body.contains("id=\"website_url-error\""));
    let (status, _, body) = post_form(
        &app,
        "/admin/hotlines/new",
        &[("csrf_token", &csrf), ("name", "Bad"), ("url", JS_URL)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("id=\"url-error\""));
    assert_clean("the refused form", &body);

    // Markup everywhere else.
    let (status, _, _) = post_form(
        &app,
        "/admin/campaigns/new",
        &[
            ("csrf_token", &csrf),
            ("slug", "xss-campaign"),
            ("title", &format!("Campaign {XSS}")),
            ("summary", XSS),
            ("body", &md),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post_form(
        &app,
        "/admin/contacts/new",
        &[
            ("csrf_token", &csrf),
            ("slug", "xss-contact"),
            ("kind", "person"),
            ("name", &format!("Contact {XSS}")),
            ("role", XSS),
            ("organisation", XSS),
            ("address", XSS),
            ("phone_number", "202-401-9246"),
            ("phone_kind", "main"),
            ("phone_note", XSS),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post_form(
        &app,
        "/admin/hotlines/new",
        &[
            ("csrf_token", &csrf),
            ("slug", "xss-hotline"),
            ("name", &format!("Hotline {XSS}")),
            ("description", XSS),
            ("hours", XSS),
            ("languages", XSS),
            ("audience", XSS),
            ("phone_number", "202-401-9246"),
            ("phone_kind", "main"),
            ("phone_note", XSS),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let cid = app
        .with_db(|c| Ok(campaigns::by_slug(c, "xss-campaign")?.id))
        .await
        .to_string();
    let (status, _, body) = post_form(
        &app,
        "/admin/actions/new",
        &[
            ("csrf_token", &csrf),
            ("campaign", &cid),
            ("kind", "event"),
            ("title", &format!("Action {XSS}")),
            ("summary", XSS),
            ("body", &md),
            ("tags", XSS),
            ("location", XSS),
            ("starts_at", "2099-01-01T10:00"),
            ("script_lang", "en"),
            ("script_body", &format!("Say {XSS} [YOUR NAME]")),
            ("target", "contact:xss-contact"),
            ("target_note", XSS),
            ("link_kind", "source"),
            ("link_title", XSS),
            ("link_url", "https://example.org/?q=<script>"),
            ("intent", "preview"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_clean("the preview", &body);
    let (status, location, _) = post_form(
        &app,
        "/admin/actions/new",
        &[
            ("csrf_token", &csrf),
            ("campaign", &cid),
            ("kind", "event"),
            ("title", &format!("Action {XSS}")),
            ("summary", XSS),
            ("body", &md),
            ("tags", XSS),
            ("location", XSS),
            ("starts_at", "2099-01-01T10:00"),
            ("script_lang", "en"),
            ("script_body", &format!("Say {XSS} [YOUR NAME]")),
            ("target", "contact:xss-contact"),
            ("target_note", XSS),
            ("link_kind", "source"),
            ("link_title", XSS),
            ("link_url", "https://example.org/?q=<script>"),
            ("intent", "save"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let slug = location
        .unwrap()
        .trim_start_matches("/admin/actions/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (status, _, _) = post_form(
        &app,
        &format!("/admin/actions/{slug}/publish"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    let aid = app
        .with_db({
            let s = slug.clone();
            move |c| Ok(actions::by_slug(c, &s)?.id.to_string())
        })
        .await;
    let (status, _, _) = post_form(
        &app,
        "/admin/updates/new",
        &[
            ("csrf_token", &csrf),
            ("campaign", &cid),
            ("title", &format!("Update {XSS}")),
            ("body", &md),
            ("added", &aid),
        ],
    )
    .await;
    assert_eq!(status, 303);

    let (_, action_page) = app.get(&format!("/actions/{slug}")).await;
    assert!(
        action_page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped, visible as text"
    );
    for path in [
        "/".to_string(),
        "/campaigns/xss-campaign".into(),
        format!("/actions/{slug}"),
        "/hotlines".into(),
        "/updates".into(),
        "/admin".into(),
        "/admin/actions".into(),
        format!("/admin/actions/{slug}"),
        "/admin/campaigns/xss-campaign".into(),
        "/admin/contacts/xss-contact".into(),
        "/admin/hotlines/xss-hotline".into(),
        "/admin/updates".into(),
        "/admin/audit".into(),
    ] {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert_clean(&path, &body);
    }
    // The API answers JSON, which a browser never runs as a page.
    let r = app
        .client
        .get(format!("{}/api/v1/actions/{slug}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    let json: serde_json::Value = r.json().await.unwrap();
    assert_eq!(json["title"], format!("Action {XSS}"), "stored as typed");
}
