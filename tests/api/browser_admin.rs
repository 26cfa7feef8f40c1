//! An organizer's day in real headless Chromium: sign in, draft, publish, change a target's
//! phone number, expire — with the public pages and the change log checked after each step.

use actiondesk::db::{actions, changes};
use fantoccini::{Client, Locator};

use crate::admin_support::{organizer, PASSWORD};
use crate::browser::Browser;
use crate::helpers::{spawn_demo, TestApp};

async fn kinds(app: &TestApp) -> Vec<String> {
    app.with_db(|c| {
        let a = actions::by_slug(c, "call-the-orr-director-now")?;
        Ok(changes::for_action(c, a.id)?
            .into_iter()
            .map(|c| c.kind.to_string())
            .collect())
    })
    .await
}

pub async fn fill(c: &Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Clicks, then waits until the browser has arrived at a URL containing `needle`.
pub async fn click(c: &Client, css: &str, needle: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(c, needle).await;
}

/// Waits until the address contains `needle`.
pub async fn wait_url(c: &Client, needle: &str) {
    for _ in 0..100 {
        if c.current_url().await.unwrap().as_str().contains(needle) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "never reached {needle}: {}\n{}",
        c.current_url().await.unwrap(),
        c.source().await.unwrap()
    );
}

/// Signs `email` (an organizer with [`PASSWORD`]) in through the form.
pub async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&format!("{}/admin", app.address)).await.unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/admin/login"));
    fill(c, "email", email).await;
    fill(c, "password", PASSWORD).await;
    click(c, "form.admin-form button[type=submit]", "/admin").await;
    for _ in 0..100 {
        if c.current_url().await.unwrap().path() == "/admin" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = c.source().await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/admin", "{page}");
}

/// Chromium with ana@example.org (a new organizer) signed in on `app`; `None` when
/// Chromium is not installed.
pub async fn organizer_in_chromium(app: &TestApp) -> Option<Browser> {
    let browser = Browser::start(1024, 900).await?;
    organizer(app, "ana@example.org", false).await;
    sign_in(&browser.client, app, "ana@example.org").await;
    Some(browser)
}

#[tokio::test]
async fn an_organizer_drafts_publishes_edits_a_phone_and_expires_in_chromium() {
    let app = spawn_demo().await;
    let Some(browser) = organizer_in_chromium(&app).await else {
        return;
    };
    let c = &browser.client;

    // Draft.
    c.goto(&format!("{}/admin/actions/new", app.address))
        .await
        .unwrap();
    fill(c, "title", "Call the ORR director now").await;
    fill(c, "summary", "Ask where the children are").await;
    fill(c, "script_body_0", "Hello, my name is [YOUR NAME].").await;
    c.find(Locator::Id("target_0"))
        .await
        .unwrap()
        .select_by_value("contact:orr-director")
        .await
        .unwrap();
    click(c, "p > button[value=save]", "done=created").await;
    let page = c.source().await.unwrap();
    assert!(page.contains("Draft saved"), "{page}");
    assert_eq!(app.get("/actions/call-the-orr-director-now").await.0, 404);
    assert!(!app.get("/").await.1.contains("Call the ORR director now"));
    assert!(kinds(&app).await.is_empty());

    // Publish.
    click(c, "form[action$='/publish'] button", "done=publish").await;
    assert!(c.source().await.unwrap().contains("Published"));
    let (status, public) = app.get("/actions/call-the-orr-director-now").await;
    assert_eq!(status, 200);
    assert!(public.contains("tel:+12024019246"));
    assert_eq!(kinds(&app).await, vec!["action_published"]);

    // A target contact's new phone number.
    c.goto(&format!("{}/admin/contacts/orr-director", app.address))
        .await
        .unwrap();
    fill(c, "phone_number_0", "(202) 401-5709").await;
    click(c, "form.admin-form button[type=submit]", "done=1").await;
    assert!(c.source().await.unwrap().contains("Saved."));
    let public = app.get("/actions/call-the-orr-director-now").await.1;
    assert!(public.contains("tel:+12024015709"));
    assert!(!public.contains("tel:+12024019246"));
    assert_eq!(
        kinds(&app).await,
        vec!["action_published", "action_changed"]
    );

    // Expire, confirmed.
    c.goto(&format!(
        "{}/admin/actions/call-the-orr-director-now",
        app.address
    ))
    .await
    .unwrap();
    click(c, "form[action$='/expire'] button", "/expire").await;
    click(c, "form[action$='/expire'] button.danger", "done=expire").await;
    assert!(c.source().await.unwrap().contains("Expired"));
    let campaign = app.get("/campaigns/where-are-the-children").await.1;
    let past = campaign.find("Past actions").expect("a past section");
    assert!(campaign[past..].contains("Call the ORR director now"));
    assert_eq!(
        kinds(&app).await,
        vec!["action_published", "action_changed", "action_expired"]
    );
    browser.close().await;
}
