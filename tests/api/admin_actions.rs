//! Organizer pages for actions: create with validation and preview, publish, edit, expire,
//! reopen, reorder — each checked on the public pages and in the change log.

use actiondesk::db::{actions, campaigns, changes};
use actiondesk::demo::CAMPAIGN_SLUG;

use crate::admin_support::{demo_order, organizer, post_form, sign_in};
use crate::helpers::{spawn_demo, TestApp};

async fn campaign_id(app: &TestApp) -> String {
    app.with_db(|c| Ok(campaigns::by_slug(c, CAMPAIGN_SLUG)?.id))
        .await
        .to_string()
}

async fn action_count(app: &TestApp) -> usize {
    app.with_db(|c| Ok(actions::list(c, &Default::default())?.len()))
        .await
}

async fn change_kinds_of(app: &TestApp, slug: &'static str) -> Vec<String> {
    app.with_db(move |c| {
        let a = actions::by_slug(c, slug)?;
        Ok(changes::for_action(c, a.id)?
            .into_iter()
            .map(|c| c.kind.to_string())
            .collect())
    })
    .await
}

#[tokio::test]
async fn a_bad_form_is_shown_again_with_each_field_named_and_nothing_saved() {
    let app = spawn_demo().await;
    organizer(&app, "ana@example.org", false).await;
    let csrf = sign_in(&app, "ana@example.org").await;
    let cid = campaign_id(&app).await;
    let before = action_count(&app).await;
    let (status, _, body) = post_form(
        &app,
        "/admin/actions/new",
        &[
            ("csrf_token", &csrf),
            ("campaign", &cid),
            ("kind", "call"),
            ("title", "   "),
            ("summary", "Typed summary stays"),
            ("url", "javascript:alert(1)"),
            ("expires_at", "next tuesday"),
            ("link_kind", "source"),
            ("link_title", "A source"),
            ("link_url", "not a url"),
            ("intent", "save"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("id=\"title-error\""), "title named");
    assert!(body.contains("id=\"url-error\""), "url named");
    assert!(body.contains("id=\"expires_at-error\""), "expiry named");
    assert!(body.contains("id=\"link_url-0-error\""), "link named");
    assert!(body.contains("Typed summary stays"), "keeps what was typed");
    assert!(
        body.contains("value=\"next tuesday\""),
        "keeps the bad value"
    );
    assert_eq!(action_count(&app).await, before);

    // Without the CSRF token, nothing is stored either.
    let (status, _, body) = post_form(
        &app,
        "/admin/actions/new",
        &[("campaign", &cid), ("kind", "call"), ("title", "Forged")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("Nothing was changed"), "{body}");
    assert_eq!(action_count(&app).await, before);
}

#[tokio::test]
async fn an_action_goes_from_draft_to_published_to_edited_to_expired_and_back() {
    let app = spawn_demo().await;
    organizer(&app, "ana@example.org", false).await;
    let csrf = sign_in(&app, "ana@example.org").await;
    let cid = campaign_id(&app).await;
    let fields = |intent: &'static str, phone_note: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("campaign", cid.clone()),
            ("kind", "call".to_string()),
            ("title", "Call the ORR director".to_string()),
            ("summary", "Ask where the children are".to_string()),
            (
                "body",
                "**Every** child must be *accounted* for.".to_string(),
            ),
            ("script_lang", "en".to_string()),
            ("script_body", "Hello, my name is [YOUR NAME].".to_string()),
            ("script_lang", "es".to_string()),
            ("script_body", "Hola, me llamo [YOUR NAME].".to_string()),
            ("target", "contact:orr-director".to_string()),
            ("target_note", phone_note.to_string()),
            ("target", "visitor_senators".to_string()),
            ("target_note", String::new()),
            ("link_kind", "source".to_string()),
            ("link_title", "Report".to_string()),
            ("link_url", "https://example.org/report".to_string()),
            ("tags", "orr, children".to_string()),
            ("expires_at", "2099-06-01T18:00".to_string()),
            ("intent", intent.to_string()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    let post = |path: &'static str, v: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, path, &pairs).await
        }
    };

    // Preview renders the Markdown and saves nothing.
    let before = action_count(&app).await;
    let (status, _, body) = post("/admin/actions/new", as_refs(&fields("preview", ""))).await;
    assert_eq!(status, 200);
    assert!(body.contains("<strong>Every</strong> child must be <em>accounted</em> for."));
    assert_eq!(action_count(&app).await, before);

    // Save: a draft, not public, no change-log entry.
    let (status, location, _) = post("/admin/actions/new", fields("save", "")).await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/actions/call-the-orr-director?done=created")
    );
    let slug = "call-the-orr-director";
    assert_eq!(app.get(&format!("/actions/{slug}")).await.0, 404);
    assert!(!app.get("/").await.1.contains("Call the ORR director"));
    assert!(change_kinds_of(&app, slug).await.is_empty());
    let (status, page) = app
        .get(&format!("/admin/actions/{slug}?done=created"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Draft saved"));
    assert!(
        page.contains("Hola, me llamo [YOUR NAME]."),
        "every script is in the form"
    );

    // Editing a draft writes no change-log entry.
    let (status, _, _) = post(
        "/admin/actions/call-the-orr-director",
        fields("save", "Ask for the director"),
    )
    .await;
    assert_eq!(status, 303);
    assert!(change_kinds_of(&app, slug).await.is_empty());

    // Publish.
    let (status, location, _) = post_form(
        &app,
        "/admin/actions/call-the-orr-director/publish",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/actions/call-the-orr-director?done=publish")
    );
    let (status, public) = app.get(&format!("/actions/{slug}")).await;
    assert_eq!(status, 200);
    assert!(public.contains("Hello, my name is"));
    assert!(public.contains("Ask for the director"));
    assert!(app.get("/").await.1.contains("Call the ORR director"));
    assert_eq!(change_kinds_of(&app, slug).await, vec!["action_published"]);

    // Edit the published action: recorded with old and new values.
    let mut edited = fields("save", "Ask for the director");
    for (k, v) in edited.iter_mut() {
        if *k == "title" {
            *v = "Call the ORR director today".into();
        }
    }
    let (status, _, _) = post("/admin/actions/call-the-orr-director", edited).await;
    assert_eq!(status, 303);
    let log = app
        .with_db(|c| {
            let a = actions::by_slug(c, "call-the-orr-director")?;
            changes::for_action(c, a.id)
        })
        .await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].kind, "action_changed");
    assert_eq!(log[1].actor, "ana@example.org");
    let f = log[1].field_changes();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].field, "title");
    assert_eq!(f[0].old, "Call the ORR director");
    assert_eq!(f[0].new, "Call the ORR director today");
    assert!(app
        .get(&format!("/actions/{slug}"))
        .await
        .1
        .contains("Call the ORR director today"));

    // Publishing twice is refused.
    let (status, _, _) = post_form(
        &app,
        "/admin/actions/call-the-orr-director/publish",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 409);

    // Expire, then reopen.
    let (status, _, _) = post_form(
        &app,
        "/admin/actions/call-the-orr-director/expire",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    let campaign_page = app.get(&format!("/campaigns/{CAMPAIGN_SLUG}")).await.1;
    let past = campaign_page.find("Past actions").expect("a past section");
    assert!(campaign_page[past..].contains("Call the ORR director today"));
    let (status, _, _) = post_form(
        &app,
        "/admin/actions/call-the-orr-director/reopen",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        change_kinds_of(&app, slug).await,
        vec![
            "action_published",
            "action_changed",
            "action_expired",
            "action_reopened"
        ]
    );
    let (status, dash) = app.get("/admin").await;
    assert_eq!(status, 200);
    assert!(dash.contains("Call the ORR director today"));
}

#[tokio::test]
async fn actions_are_reordered_within_their_campaign() {
    let app = spawn_demo().await;
    organizer(&app, "ana@example.org", false).await;
    let csrf = sign_in(&app, "ana@example.org").await;
    let order = || demo_order(&app, None);
    let before = order().await;
    assert!(before.len() >= 2);
    let last = before.last().unwrap().clone();
    let (status, _, _) = post_form(
        &app,
        &format!("/admin/actions/{last}/move"),
        &[("csrf_token", &csrf), ("position", "0")],
    )
    .await;
    assert_eq!(status, 303);
    let after = order().await;
    assert_eq!(after[0], last);
    assert_eq!(after.len(), before.len());
    let (status, list) = app.get("/admin/actions").await;
    assert_eq!(status, 200);
    assert!(list.contains(&format!("/admin/actions/{last}/move")));
}

#[tokio::test]
async fn a_manual_and_an_automatic_expiry_are_recorded_alike() {
    let app = spawn_demo().await;
    organizer(&app, "ana@example.org", false).await;
    let csrf = sign_in(&app, "ana@example.org").await;
    let cid = campaign_id(&app).await;
    for title in ["Manual one", "Automatic one"] {
        let (status, _, body) = post_form(
            &app,
            "/admin/actions/new",
            &[
                ("csrf_token", &csrf),
                ("campaign", &cid),
                ("kind", "read"),
                ("title", title),
                ("expires_at", "2099-01-01T00:00"),
                ("intent", "save"),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
    }
    for slug in ["manual-one", "automatic-one"] {
        let (status, _, _) = post_form(
            &app,
            &format!("/admin/actions/{slug}/publish"),
            &[("csrf_token", &csrf)],
        )
        .await;
        assert_eq!(status, 303);
    }
    let (status, _, _) = post_form(
        &app,
        "/admin/actions/manual-one/expire",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    // The automatic one's time comes: the worker's pass expires it.
    let expired = app
        .with_db(|c| {
            actiondesk::db::write_tx(c, |c| {
                actions::expire_due(
                    c,
                    chrono::NaiveDate::from_ymd_opt(2099, 1, 2)
                        .unwrap()
                        .and_hms_opt(0, 0, 0)
                        .unwrap(),
                )
            })
        })
        .await;
    assert_eq!(expired, vec!["automatic-one"]);
    let last = |slug: &'static str| {
        let app = &app;
        async move {
            app.with_db(move |c| {
                let a = actions::by_slug(c, slug)?;
                Ok((a.status, changes::for_action(c, a.id)?.pop().unwrap()))
            })
            .await
        }
    };
    let (ms, manual) = last("manual-one").await;
    let (auto_s, auto) = last("automatic-one").await;
    assert_eq!((ms.as_str(), auto_s.as_str()), ("expired", "expired"));
    assert_eq!(manual.kind, "action_expired");
    assert_eq!(auto.kind, manual.kind);
    assert_eq!(auto.field_changes(), manual.field_changes());
    assert_eq!(manual.actor, "ana@example.org");
    assert!(auto.actor.starts_with("system"), "{}", auto.actor);
    let campaign = app.get(&format!("/campaigns/{CAMPAIGN_SLUG}")).await.1;
    let past = campaign.find("Past actions").unwrap();
    assert!(campaign[past..].contains("Manual one") && campaign[past..].contains("Automatic one"));
}
