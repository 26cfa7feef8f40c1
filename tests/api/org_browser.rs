//! Organizers in a hurry, in real headless Chromium: many targets on one form (rows added
//! without a save), expiring several actions behind a confirmation with a reason, and a
//! draft scheduled to publish itself, published by the running worker.

use actiondesk::db::{actions, changes};
use actiondesk::domain::Status;
use fantoccini::{Client, Locator};

use crate::browser_admin::{click, fill, organizer_in_chromium, wait_url};
use crate::helpers::{spawn_demo, spawn_with, Spawn, TestApp};
use crate::org_forms::TARGETS;

async fn detail(app: &TestApp, slug: &str) -> actions::ActionDetail {
    let slug = slug.to_string();
    app.with_db(move |c| {
        let a = actions::by_slug(c, &slug)?;
        actions::detail(c, a)
    })
    .await
}

async fn select(c: &Client, id: &str, value: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// Waits until `pred` holds of the page's source.
async fn wait_page(c: &Client, what: &str, pred: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let page = c.source().await.unwrap();
        if pred(&page) {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never saw {what}: {}", c.source().await.unwrap());
}

#[tokio::test]
async fn many_targets_are_added_on_one_form_and_all_saved_in_chromium() {
    let app = spawn_demo().await;
    let Some(browser) = organizer_in_chromium(&app).await else {
        return;
    };
    let c = &browser.client;

    c.goto(&format!("{}/admin/actions/new", app.address))
        .await
        .unwrap();
    fill(c, "title", "Call all seven").await;
    fill(c, "summary", "Kept across the extra rows").await;
    select(c, "target_0", "visitor_senators").await;
    assert!(
        c.find(Locator::Id("target_2")).await.is_err(),
        "2 rows first"
    );
    c.find(Locator::Css("button[value=more]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_page(c, "7 target rows", |p| p.contains("id=\"target_6\"")).await;
    // With JavaScript, one more row at once (left empty: not saved).
    c.find(Locator::Id("add-row"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("target_7"))
        .await
        .expect("a row added in the page");
    assert_eq!(
        c.find(Locator::Id("title"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Call all seven"),
        "what was typed is kept"
    );
    assert!(app
        .with_db(|c| actions::find(c, "call-all-seven"))
        .await
        .is_none());
    for (i, v) in TARGETS.iter().enumerate() {
        select(c, &format!("target_{i}"), v).await;
    }
    fill(c, "target_note_6", "the seventh").await;
    // Enter in a field saves, as in any form (not "Add 5 more rows", which comes first).
    c.find(Locator::Id("target_note_6"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    wait_url(c, "done=created").await;
    let d = detail(&app, "call-all-seven").await;
    assert_eq!(d.targets.len(), 7);
    assert_eq!(d.targets[6].note, "the seventh");
    assert_eq!(d.action.summary, "Kept across the extra rows");
    browser.close().await;
}

#[tokio::test]
async fn several_actions_are_expired_with_a_reason_after_a_confirmation_in_chromium() {
    let app = spawn_demo().await;
    let Some(browser) = organizer_in_chromium(&app).await else {
        return;
    };
    let c = &browser.client;

    c.goto(&format!("{}/admin/actions", app.address))
        .await
        .unwrap();
    for s in ["call-ice", "call-orr-director"] {
        c.find(Locator::Id(&format!("sel-{s}")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    click(c, "#expire-selected", "/admin/actions-expire").await;
    let page = wait_page(c, "the confirmation", |p| p.contains("these 2 actions")).await;
    assert!(page.contains("Call ICE at 1-866-DHS-2-ICE"));
    assert_eq!(
        detail(&app, "call-ice").await.action.status,
        Status::Published
    );

    // No reason: the browser's own check (required) or the server's keeps it here.
    c.find(Locator::Css(
        "form[action='/admin/actions-expire'] button.danger",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        detail(&app, "call-ice").await.action.status,
        Status::Published
    );

    fill(c, "reason", "Both agencies answered").await;
    click(
        c,
        "form[action='/admin/actions-expire'] button.danger",
        "expired=2",
    )
    .await;
    assert!(c.source().await.unwrap().contains("Expired 2 actions."));
    for s in ["call-ice", "call-orr-director"] {
        let d = detail(&app, s).await;
        assert_eq!(d.action.status, Status::Expired);
        let id = d.action.id;
        let last = app
            .with_db(move |c| Ok(changes::for_action(c, id)?.pop().unwrap()))
            .await;
        assert_eq!(last.kind, "action_expired");
        assert!(
            last.summary.ends_with("— Both agencies answered"),
            "{}",
            last.summary
        );
    }
    assert_eq!(
        detail(&app, "write-to-un-ohchr").await.action.status,
        Status::Published,
        "only those chosen"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_scheduled_draft_is_published_by_the_worker_in_chromium() {
    let app = spawn_with(Spawn {
        demo: true,
        worker: true,
        env: vec![("DIGEST_INTERVAL_SECS", "1".into())],
    })
    .await;
    let Some(browser) = organizer_in_chromium(&app).await else {
        return;
    };
    let c = &browser.client;

    c.goto(&format!("{}/admin/actions/new", app.address))
        .await
        .unwrap();
    fill(c, "title", "Publishes itself").await;
    // A datetime-local input is set as the page's own picker would set it.
    let set =
        |v: &str| format!("document.getElementById('publish_at').value = '{v}'; return true;");
    c.execute(&set("2099-01-01T09:30"), vec![]).await.unwrap();
    click(c, "p > button[value=save]", "done=created").await;
    let page = c.source().await.unwrap();
    assert!(page.contains("Scheduled: publishes by itself"), "{page}");
    assert!(page.contains("2099-01-01 09:30"), "{page}");
    let d = detail(&app, "publishes-itself").await;
    assert_eq!(d.action.status, Status::Draft);
    assert_eq!(
        d.action.publish_at.unwrap().to_string(),
        "2099-01-01 14:30:00",
        "typed in New York time"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.get("/actions/publishes-itself").await.0, 404);

    // Moved to a time already past: the worker publishes it on its next pass.
    c.execute(&set("2020-01-01T09:30"), vec![]).await.unwrap();
    click(c, "p > button[value=save]", "done=saved").await;
    let mut status = 0;
    for _ in 0..100 {
        status = app.get("/actions/publishes-itself").await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "published by the worker");
    let id = detail(&app, "publishes-itself").await.action.id;
    let log = app.with_db(move |c| changes::for_action(c, id)).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].kind, "action_published");
    assert!(log[0].actor.contains("publishing time"), "{}", log[0].actor);
    c.refresh().await.unwrap();
    let page = c.source().await.unwrap();
    assert!(page.contains("published"), "{page}");
    browser.close().await;
}
