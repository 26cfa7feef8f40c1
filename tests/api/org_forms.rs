//! Organizers in a hurry, over HTTP: any number of targets on one form ("Add 5 more rows"
//! without a save), a new contact and its number added from the action form, duplicating
//! an action, expiring several (or one) behind a confirmation with a reason, ordering by
//! number, scheduled publishing in the campaign's time zone, and the digest preview.

use actiondesk::db::{actions, campaigns, changes, contacts, outbox, subscribers, write_tx};
use actiondesk::demo::CAMPAIGN_SLUG;
use actiondesk::domain::{Status, Transition};
use actiondesk::worker;
use serde_json::json;

use crate::admin_support::{demo_order, organizer, post_form, sign_in};
use crate::api_support::with_token;
use crate::digests::confirmed_subscribers;
use crate::fixtures;
use crate::helpers::{spawn_demo, TestApp};

/// A signed-in organizer's session on an app.
pub struct Org {
    pub app: TestApp,
    pub csrf: String,
}

impl Org {
    /// Signs a new organizer in on `app`.
    pub async fn on(app: TestApp) -> Org {
        organizer(&app, "ana@example.org", false).await;
        let csrf = sign_in(&app, "ana@example.org").await;
        Org { app, csrf }
    }

    /// The demo site, signed in.
    pub async fn demo() -> Org {
        Org::on(spawn_demo().await).await
    }

    /// POSTs a form with the session's CSRF token.
    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        post_form(&self.app, path, &all).await
    }

    /// The demo campaign's id, as forms send it.
    pub async fn campaign(&self) -> String {
        self.app
            .with_db(|c| Ok(campaigns::by_slug(c, CAMPAIGN_SLUG)?.id))
            .await
            .to_string()
    }

    /// How many actions and change-log entries there are.
    pub async fn counts(&self) -> (usize, i32) {
        self.app
            .with_db(|c| {
                Ok((
                    actions::list(c, &Default::default())?.len(),
                    changes::max_id(c)?,
                ))
            })
            .await
    }

    /// An action with its targets, scripts and links.
    pub async fn detail(&self, slug: &str) -> actions::ActionDetail {
        let slug = slug.to_string();
        self.app
            .with_db(move |c| {
                let a = actions::by_slug(c, &slug)?;
                actions::detail(c, a)
            })
            .await
    }

    /// The demo campaign's published actions' slugs, in order.
    pub async fn published(&self) -> Vec<String> {
        demo_order(&self.app, Some(Status::Published)).await
    }
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The seven things a target row can name on the demo site.
pub const TARGETS: [&str; 7] = [
    "visitor_senators",
    "visitor_representative",
    "contact:ice",
    "contact:orr-director",
    "contact:capitol-switchboard",
    "contact:un-ohchr",
    "contact:white-house-comments",
];

#[tokio::test]
async fn add_five_more_rows_keeps_what_was_typed_saves_nothing_and_all_rows_save() {
    let org = Org::demo().await;
    let cid = org.campaign().await;
    let (status, form) = org.app.get("/admin/actions/new").await;
    assert_eq!(status, 200);
    assert_eq!(
        count(&form, "name=\"target\""),
        2,
        "two empty rows to start"
    );
    assert!(form.contains("value=\"more\""), "an Add 5 more rows button");
    assert!(form.contains("<script src=\"/static/action-form.js\" defer>"));
    let (status, js) = org.app.get("/static/action-form.js").await;
    assert_eq!(status, 200);
    assert!(js.contains("Add a row"));
    assert_eq!(org.app.get("/static/no-such.js").await.0, 404);
    assert_eq!(org.app.get("/static/templates.rs").await.0, 404);

    let before = org.counts().await;
    let (status, _, more) = org
        .post(
            "/admin/actions/new",
            &[
                ("campaign", &cid),
                ("kind", "call"),
                ("title", "Call everyone at once"),
                ("summary", "Typed before adding rows"),
                ("target", TARGETS[0]),
                ("target_note", "first"),
                ("target", TARGETS[1]),
                ("target_note", ""),
                ("intent", "more"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{more}");
    assert_eq!(count(&more, "name=\"target\""), 7, "2 typed + 5 empty rows");
    assert!(more.contains("value=\"Call everyone at once\""));
    assert!(more.contains("Typed before adding rows"));
    assert!(more.contains("value=\"first\""));
    assert!(more.contains("id=\"target_6\""));
    assert!(!more.contains("role=\"alert\""), "no errors shown: {more}");
    assert_eq!(
        org.counts().await,
        before,
        "nothing saved, nothing recorded"
    );

    let mut pairs: Vec<(&str, &str)> = vec![
        ("campaign", &cid),
        ("kind", "call"),
        ("title", "Call everyone at once"),
        ("intent", "save"),
    ];
    for t in TARGETS {
        pairs.push(("target", t));
        pairs.push(("target_note", ""));
    }
    let (status, location, body) = org.post("/admin/actions/new", &pairs).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location.as_deref(),
        Some("/admin/actions/call-everyone-at-once?done=created")
    );
    let d = org.detail("call-everyone-at-once").await;
    assert_eq!(d.targets.len(), 7, "every row saved");
    let (_, edit) = org.app.get("/admin/actions/call-everyone-at-once").await;
    assert_eq!(count(&edit, "name=\"target\""), 9, "7 saved + 2 empty");
}

#[tokio::test]
async fn a_new_contact_and_its_number_are_added_from_the_action_form() {
    let org = Org::demo().await;
    let cid = org.campaign().await;
    let before = org.counts().await;
    let base = [
        ("campaign", cid.as_str()),
        ("kind", "call"),
        ("title", "Call the regional office"),
        ("target", "contact:ice"),
        ("target_note", ""),
        ("intent", "save"),
    ];

    // The contact form's rules: a bad number is named, everything typed is kept.
    let mut bad = base.to_vec();
    bad.extend([
        ("new_contact_name", "Regional ICE office"),
        ("new_contact_kind", "agency"),
        ("new_contact_phone", "call me maybe"),
    ]);
    let (status, _, body) = org.post("/admin/actions/new", &bad).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("id=\"new_contact_phone-error\""), "{body}");
    assert!(body.contains("value=\"Regional ICE office\""));
    assert!(body.contains("value=\"call me maybe\""));
    // A number with no name.
    let mut nameless = base.to_vec();
    nameless.extend([
        ("new_contact_kind", "agency"),
        ("new_contact_phone", "202-555-0199"),
    ]);
    let (status, _, body) = org.post("/admin/actions/new", &nameless).await;
    assert_eq!(status, 422);
    assert!(body.contains("id=\"new_contact_name-error\""), "{body}");
    // A contact already there by that name.
    let mut taken = base.to_vec();
    taken.extend([
        ("new_contact_name", "ICE"),
        ("new_contact_kind", "agency"),
        ("new_contact_phone", "202-555-0199"),
    ]);
    let (status, _, body) = org.post("/admin/actions/new", &taken).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("id=\"new_contact_name-error\""), "{body}");
    assert_eq!(org.counts().await, before, "nothing saved");
    let none = org
        .app
        .with_db(|c| contacts::find(c, "regional-ice-office"))
        .await;
    assert!(none.is_none());

    let mut good = base.to_vec();
    good.extend([
        ("new_contact_name", "Regional ICE office"),
        ("new_contact_kind", "agency"),
        ("new_contact_phone", "(202) 555-0199"),
    ]);
    let (status, _, body) = org.post("/admin/actions/new", &good).await;
    assert_eq!(status, 303, "{body}");
    let d = org.detail("call-the-regional-office").await;
    let slugs: Vec<String> = d
        .targets
        .iter()
        .filter_map(|t| t.contact.as_ref().map(|c| c.details.slug.clone()))
        .collect();
    assert_eq!(slugs, vec!["ice", "regional-ice-office"]);
    let c = &d.targets[1].contact.as_ref().unwrap();
    assert_eq!(c.phones[0].e164, "+12025550199");
    let (_, list) = org.app.get("/admin/contacts").await;
    assert!(list.contains("Regional ICE office"));
}

#[tokio::test]
async fn duplicating_an_action_makes_a_draft_copy_and_opens_it() {
    let org = Org::demo().await;
    let before = org.counts().await;
    let (_, page) = org.app.get("/admin/actions/call-ice").await;
    assert!(page.contains("action=\"/admin/actions/call-ice/duplicate\""));
    let (status, location, _) = org.post("/admin/actions/call-ice/duplicate", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/actions/call-ice-copy?done=duplicated")
    );
    let (status, page) = org.app.get(location.as_deref().unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains("Copy saved as a draft"));
    let (orig, copy) = (
        org.detail("call-ice").await,
        org.detail("call-ice-copy").await,
    );
    assert_eq!(copy.action.status, Status::Draft);
    assert_eq!(copy.action.title, orig.action.title);
    assert_eq!(copy.action.summary, orig.action.summary);
    let texts = |d: &actions::ActionDetail| -> Vec<String> {
        d.scripts
            .iter()
            .map(|s| format!("{}:{}", s.lang, s.body))
            .chain(d.links.iter().map(|l| format!("{}:{}", l.title, l.url)))
            .collect()
    };
    assert_eq!(texts(&copy), texts(&orig));
    assert!(!texts(&orig).is_empty());
    assert_eq!(copy.targets.len(), orig.targets.len());
    assert_eq!(
        org.app.get("/actions/call-ice-copy").await.0,
        404,
        "not public"
    );
    let (n, log) = org.counts().await;
    assert_eq!(
        (n, log),
        (before.0 + 1, before.1),
        "a draft: no change-log entry"
    );

    let (_, location, _) = org.post("/admin/actions/call-ice/duplicate", &[]).await;
    assert_eq!(
        location.as_deref(),
        Some("/admin/actions/call-ice-copy-2?done=duplicated")
    );
}

#[tokio::test]
async fn expiring_several_asks_for_a_confirmation_and_a_reason() {
    let org = Org::demo().await;
    let live = org.published().await;
    assert!(live.len() >= 2, "{live:?}");
    let (a, b) = (live[0].as_str(), live[1].as_str());
    let (_, list) = org.app.get("/admin/actions").await;
    assert!(list.contains(&format!("name=\"selected\" value=\"{a}\"")));
    assert!(list.contains("formaction=\"/admin/actions-expire\""));

    // The list's button: a confirmation naming them, nothing expired yet.
    let before = org.counts().await;
    let (status, _, confirm) = org
        .post("/admin/actions-expire", &[("selected", a), ("selected", b)])
        .await;
    assert_eq!(status, 200, "{confirm}");
    assert!(confirm.contains("these 2 actions"), "{confirm}");
    for s in [a, b] {
        assert!(confirm.contains(&format!("name=\"selected\" value=\"{s}\"")));
    }
    assert!(confirm.contains("name=\"reason\""));
    assert_eq!(org.counts().await, before);

    // Confirmed without a reason: asked again, with the choice kept.
    let (status, _, again) = org
        .post(
            "/admin/actions-expire",
            &[
                ("selected", a),
                ("selected", b),
                ("confirm", "yes"),
                ("reason", "  "),
            ],
        )
        .await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("id=\"reason-error\""));
    assert!(again.contains(&format!("name=\"selected\" value=\"{b}\"")));
    assert_eq!(org.counts().await, before);

    // With a reason: both expire, the reason in the history line of each.
    let reason = "The bill passed on Friday";
    let (status, location, _) = org
        .post(
            "/admin/actions-expire",
            &[
                ("selected", a),
                ("selected", b),
                ("confirm", "yes"),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/actions?expired=2"));
    let (_, list) = org.app.get("/admin/actions?expired=2").await;
    assert!(list.contains("Expired 2 actions."));
    for s in [a, b] {
        let d = org.detail(s).await;
        assert_eq!(d.action.status, Status::Expired);
        let (status, public) = org.app.get(&format!("/actions/{s}")).await;
        assert_eq!(status, 200);
        assert!(public.contains(reason), "history says why: {public}");
    }
    assert_eq!(org.counts().await.1, before.1 + 2, "one entry each");
}

#[tokio::test]
async fn expiring_one_goes_through_a_confirmation_with_an_optional_reason() {
    let org = Org::demo().await;
    let (_, page) = org.app.get("/admin/actions/call-ice").await;
    assert!(
        page.contains("<form method=\"get\" action=\"/admin/actions/call-ice/expire\""),
        "the Expire button asks first: {page}"
    );
    let before = org.counts().await;
    let (status, confirm) = org.app.get("/admin/actions/call-ice/expire").await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Expire this action?"));
    assert!(confirm.contains("action=\"/admin/actions/call-ice/expire\""));
    assert!(confirm.contains("(optional)"));
    assert_eq!(org.counts().await, before, "asking changes nothing");

    let (status, _, body) = org
        .post(
            "/admin/actions/call-ice/expire",
            &[("confirm", "yes"), ("reason", "bad\u{7}reason")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("id=\"reason-error\""));
    assert_eq!(org.counts().await, before);

    let (status, location, _) = org
        .post(
            "/admin/actions/call-ice/expire",
            &[("confirm", "yes"), ("reason", "ICE answered the letter")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/actions/call-ice?done=expire")
    );
    let (_, public) = org.app.get("/actions/call-ice").await;
    assert!(public.contains("ICE answered the letter"), "{public}");

    // Without a reason, the history line is as before.
    let (status, _, _) = org
        .post(
            "/admin/actions/call-orr-director/expire",
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 303);
    let last = org
        .app
        .with_db(|c| Ok(changes::recent(c, None, 1)?.remove(0)))
        .await;
    assert_eq!(
        last.summary,
        "Over: Call the Office of Refugee Resettlement director's office"
    );
}

#[tokio::test]
async fn actions_are_ordered_by_the_numbers_typed_in_one_save() {
    let org = Org::demo().await;
    let order = || demo_order(&org.app, None);
    let before = order().await;
    assert!(before.len() >= 4, "{before:?}");
    let (_, list) = org.app.get("/admin/actions").await;
    assert_eq!(count(&list, "name=\"rank\""), before.len());
    assert!(list.contains("Save order"));
    assert!(list.contains("Move"), "Up and Down stay");

    // The last to 1, the first to 3: one save.
    let n = before.len();
    let ranks: Vec<String> = (1..=n)
        .map(|i| match i {
            1 => "3".to_string(),
            i if i == n => "1".to_string(),
            i => i.to_string(),
        })
        .collect();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for (s, r) in before.iter().zip(&ranks) {
        pairs.push(("order_slug", s));
        pairs.push(("rank", r));
    }
    let (status, location, _) = org.post("/admin/actions-order", &pairs).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/actions?ordered=1"));
    let after = order().await;
    let mut want = before.clone();
    let last = want.pop().unwrap();
    let first = want.remove(0);
    want.insert(0, last);
    want.insert(2, first);
    // [last, second, first, third, ...] : the first's 3 ties with the third's 3 and wins.
    assert_eq!(after[0], want[0], "{after:?}");
    assert_eq!(after[2], before[0], "{after:?}");
    assert_eq!(after.len(), before.len());
    let (_, public) = org.app.get(&format!("/campaigns/{CAMPAIGN_SLUG}")).await;
    let pos = |s: &str| {
        public
            .find(&format!("/actions/{s}\""))
            .unwrap_or(usize::MAX)
    };
    assert!(
        pos(&after[0]) < pos(&after[1]),
        "public pages follow the order"
    );
}

#[tokio::test]
async fn a_draft_publishes_itself_at_its_time_in_the_campaigns_zone() {
    let org = Org::demo().await;
    let cid = org.campaign().await;
    // The demo campaign is in New York: 10:00 there is 15:00 UTC in January.
    let (status, _, body) = org
        .post(
            "/admin/actions/new",
            &[
                ("campaign", &cid),
                ("kind", "read"),
                ("title", "Scheduled for later"),
                ("publish_at", "2099-01-01T10:00"),
                ("expires_at", "2099-06-01T18:00"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let (status, _, body) = org
        .post(
            "/admin/actions/new",
            &[
                ("campaign", &cid),
                ("kind", "read"),
                ("title", "Scheduled already due"),
                ("publish_at", "2020-01-01T10:00"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let later = org.detail("scheduled-for-later").await.action;
    let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    assert_eq!(later.publish_at, Some(t("2099-01-01 15:00")));
    assert_eq!(later.expires_at, Some(t("2099-06-01 22:00")), "EDT in June");
    let (_, edit) = org.app.get("/admin/actions/scheduled-for-later").await;
    assert!(
        edit.contains("value=\"2099-01-01T10:00\""),
        "shown in the zone"
    );
    assert!(edit.contains("value=\"2099-06-01T18:00\""));
    assert!(edit.contains("America/New_York"));
    assert!(edit.contains("Scheduled: publishes by itself"));

    // The worker's pass publishes the one due, recorded as a publish, and not the other.
    let published = org.app.with_db(worker::publish_once).await;
    assert_eq!(published, vec!["scheduled-already-due"]);
    assert_eq!(
        org.app.with_db(worker::publish_once).await,
        Vec::<String>::new()
    );
    let due = org.detail("scheduled-already-due").await.action;
    assert_eq!(due.status, Status::Published);
    assert_eq!(
        org.detail("scheduled-for-later").await.action.status,
        Status::Draft
    );
    let entry = org
        .app
        .with_db(move |c| Ok(changes::for_action(c, due.id)?.remove(0)))
        .await;
    assert_eq!(entry.kind, "action_published");
    assert_eq!(entry.summary, "New action: Scheduled already due");
    assert_eq!(org.app.get("/actions/scheduled-already-due").await.0, 200);
    assert_eq!(org.app.get("/actions/scheduled-for-later").await.0, 404);
}

#[tokio::test]
async fn publish_at_is_read_and_written_in_the_json_api() {
    let api = with_token(spawn_demo().await).await;
    let a = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(
                json!({"campaign": CAMPAIGN_SLUG, "kind": "read", "title": "API scheduled",
                "publish_at": "2099-03-01T12:00:00-05:00"}),
            ),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    assert_eq!(a.json["publish_at"], "2099-03-01T17:00:00Z");
    let p = api
        .call(
            "PATCH",
            "/api/v1/actions/api-scheduled",
            Some(json!({"publish_at": null})),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.json);
    assert_eq!(p.json["publish_at"], serde_json::Value::Null);
    let bad = api
        .call(
            "PATCH",
            "/api/v1/actions/api-scheduled",
            Some(json!({"publish_at": "soon"})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.json);
    let (_, spec) = api.app.get("/api/openapi.json").await;
    assert!(spec.contains("publish_at"));
}

#[tokio::test]
async fn the_digest_preview_shows_the_pending_digest_and_consumes_nothing() {
    let org = Org::demo().await;
    let (_, empty) = org.app.get("/admin/digest-preview").await;
    assert!(empty.contains("No one is subscribed yet"), "{empty}");
    org.app.with_db(|c| confirmed_subscribers(c, 2)).await;
    let (_, nothing) = org.app.get("/admin/digest-preview").await;
    assert!(nothing.contains("Nothing is waiting"), "{nothing}");

    let cid = org
        .app
        .with_db(|c| Ok(campaigns::by_slug(c, CAMPAIGN_SLUG)?.id))
        .await;
    org.app
        .with_db(move |c| {
            write_tx(c, |c| {
                let mut input = fixtures::action(cid, "Preview me please");
                input.summary =
                    actiondesk::domain::text::Checked::checked("Seen before it is sent");
                let a = fixtures::published(c, &input)?;
                let ice = actions::by_slug(c, "call-ice")?.id;
                actions::transition_with(
                    c,
                    ice,
                    Transition::Expire,
                    Some(&actiondesk::domain::text::Checked::checked("Done for now")),
                    &fixtures::organizer(),
                )?;
                Ok(a)
            })
        })
        .await;
    let state = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            db.run(|c| -> actiondesk::db::Result<_> {
                let cursors: Vec<i32> = ["s0@example.org", "s1@example.org"]
                    .iter()
                    .map(|e| Ok(subscribers::find(c, e)?.unwrap().last_change_id))
                    .collect::<actiondesk::db::Result<_>>()?;
                Ok((cursors, outbox::counts(c)?))
            })
            .await
            .unwrap()
        }
    };
    let before = state(&org.app).await;
    let (status, page) = org.app.get("/admin/digest-preview").await;
    assert_eq!(status, 200);
    for want in [
        "Preview me please",
        "Seen before it is sent",
        "Call ICE",
        "Done for now",
        "1 new action",
        "1 ended",
    ] {
        assert!(page.contains(want), "{want} missing from {page}");
    }
    assert!(page.contains("id=\"digest-subject\""));
    let (status, html) = org.app.get("/admin/digest-preview/email.html").await;
    assert_eq!(status, 200);
    assert!(html.contains("Preview me please") && html.contains("Done for now"));
    assert!(!html.contains("__MANAGE_TOKEN__"));
    let (_, other) = org.app.get("/admin/digest-preview?campaign=no-such").await;
    assert!(
        other.contains("Preview me please"),
        "an unknown campaign: all"
    );
    assert_eq!(
        state(&org.app).await,
        before,
        "no cursor moved, nothing queued"
    );
    // Signed out, nothing.
    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anon
        .get(format!("{}/admin/digest-preview", org.app.address))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 200);
}
