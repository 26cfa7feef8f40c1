//! The data model's write paths against a real database: lifecycle, the change log,
//! revisions, expiry, idempotent demo loading and concurrent writers.

use actiondesk::db::actions::{self, ActionInput};
use actiondesk::db::contacts;
use actiondesk::db::{self, campaigns, changes, write_tx, DbConn};
use actiondesk::domain::text::Checked;
use actiondesk::domain::{PhoneNumber, Slug, Transition};
use actiondesk::{demo, worker};
use chrono::Duration;

use crate::fixtures::{self, organizer};
use crate::helpers::{spawn_app, spawn_demo, TestApp};

fn campaign(conn: &mut DbConn) -> db::Result<i32> {
    fixtures::campaign(conn, "test-campaign", "Test campaign")
}

fn input(campaign_id: i32, title: &str) -> ActionInput {
    fixtures::action(campaign_id, title)
}

async fn change_kinds(app: &TestApp) -> Vec<String> {
    app.with_db(|c| {
        Ok(changes::after(c, 0, 1000)?
            .into_iter()
            .map(|c| c.kind.to_string())
            .collect())
    })
    .await
}

#[tokio::test]
async fn loading_the_demo_twice_leaves_one_demo_campaign() {
    let app = spawn_demo().await;
    let before = app
        .with_db(|c| Ok((campaigns::list_all(c)?.len(), changes::max_id(c)?)))
        .await;
    let again = app.with_db(demo::load).await;
    assert!(!again, "second load reports nothing to do");
    let after = app
        .with_db(|c| Ok((campaigns::list_all(c)?.len(), changes::max_id(c)?)))
        .await;
    assert_eq!(before, after);
    assert_eq!(after.0, 1);
}

#[tokio::test]
async fn demo_change_log_carries_the_2018_dates() {
    let app = spawn_demo().await;
    let log = app.with_db(|c| changes::after(c, 0, 1000)).await;
    assert!(log
        .iter()
        .all(|c| c.created_at.format("%Y").to_string() == "2018"));
    let updates: Vec<_> = log.iter().filter(|c| c.kind == "update_posted").collect();
    assert_eq!(updates.len(), 2);
    assert!(log.iter().any(|c| c.kind == "action_expired"));
}

#[tokio::test]
async fn a_draft_is_private_until_published_and_only_public_changes_are_logged() {
    let app = spawn_app().await;
    let id = app
        .with_db(|c| {
            write_tx(c, |c| {
                let cid = campaign(c)?;
                Ok(actions::create(c, &input(cid, "Call the mayor"), None, &organizer())?.id)
            })
        })
        .await;
    let (status, _) = app.get("/actions/call-the-mayor").await;
    assert_eq!(status, 404, "a draft is not public");
    let (_, home) = app.get("/").await;
    assert!(!home.contains("Call the mayor"));

    // Editing a draft writes no change-log entry.
    app.with_db(move |c| {
        let mut i = input(1, "Call the mayor");
        i.summary = "Call the mayor today".checked();
        write_tx(c, |c| actions::update(c, id, &i, &organizer()))
    })
    .await;
    assert!(change_kinds(&app).await.is_empty());

    app.with_db(move |c| {
        write_tx(c, |c| {
            actions::transition(c, id, Transition::Publish, &organizer())
        })
    })
    .await;
    let (status, page) = app.get("/actions/call-the-mayor").await;
    assert_eq!(status, 200);
    assert!(page.contains("Call the mayor today"));
    let (_, home) = app.get("/").await;
    assert!(home.contains("/actions/call-the-mayor\""));
    assert!(home.contains("NEW"), "a just-published action is NEW");

    // A published edit records which fields changed, old and new.
    app.with_db(move |c| {
        let mut i = input(1, "Call the mayor");
        i.summary = "Call the mayor today".checked();
        i.expires_at = Some(db::now() + Duration::days(2));
        write_tx(c, |c| actions::update(c, id, &i, &organizer()))
    })
    .await;
    let log = app.with_db(|c| changes::after(c, 0, 100)).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].kind, "action_changed");
    let fields = log[1].field_changes();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].field, "expires_at");
    assert!(fields[0].old.is_null());
    assert!(log[1].summary.starts_with("new deadline"));
    assert_eq!(log[1].actor, "tester@example.org");
    let (_, home) = app.get("/").await;
    assert!(home.contains("ENDING SOON"));

    // Saving without changes records nothing.
    app.with_db(move |c| {
        let mut i = input(1, "Call the mayor");
        i.summary = "Call the mayor today".checked();
        let current = actions::by_id(c, id)?;
        i.expires_at = current.expires_at;
        write_tx(c, |c| actions::update(c, id, &i, &organizer()))
    })
    .await;
    assert_eq!(change_kinds(&app).await.len(), 2);

    // Expire, then reopen: each recorded; expired actions leave the live list for the
    // past section.
    app.with_db(move |c| {
        write_tx(c, |c| {
            actions::transition(c, id, Transition::Expire, &organizer())
        })
    })
    .await;
    let (_, home) = app.get("/").await;
    assert!(home.find("Past actions").unwrap() < home.find("/actions/call-the-mayor\"").unwrap());
    let (_, camp) = app.get("/campaigns/test-campaign").await;
    assert!(camp.find("Past actions").unwrap() < camp.find("/actions/call-the-mayor\"").unwrap());
    app.with_db(move |c| {
        write_tx(c, |c| {
            actions::transition(c, id, Transition::Reopen, &organizer())
        })
    })
    .await;
    assert_eq!(
        change_kinds(&app).await,
        vec![
            "action_published",
            "action_changed",
            "action_expired",
            "action_reopened"
        ]
    );

    // Every version was kept: create, draft edit, publish, edit, expire, reopen.
    let revs = app
        .with_db(move |c| changes::revisions_of(c, "action", id))
        .await;
    assert_eq!(
        revs.iter().map(|r| r.version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    let audit = app.with_db(|c| changes::audit_recent(c, 100)).await;
    assert!(audit
        .iter()
        .any(|a| a.verb == "publish" && a.entity_id == Some(id)));
}

#[tokio::test]
async fn refused_transitions_change_nothing() {
    let app = spawn_app().await;
    let id = app
        .with_db(|c| {
            write_tx(c, |c| {
                let cid = campaign(c)?;
                Ok(actions::create(c, &input(cid, "A draft"), None, &organizer())?.id)
            })
        })
        .await;
    for t in [Transition::Expire, Transition::Reopen] {
        let err = app
            .db
            .run(move |c| write_tx(c, |c| actions::transition(c, id, t, &organizer())))
            .await
            .unwrap_err();
        assert!(matches!(err, db::Error::Conflict { .. }), "{err}");
    }
    let a = app.with_db(move |c| actions::by_id(c, id)).await;
    assert_eq!(a.status, "draft");
    assert!(change_kinds(&app).await.is_empty());
}

#[tokio::test]
async fn a_taken_slug_is_a_conflict_and_titles_make_free_slugs() {
    let app = spawn_app().await;
    let (a, b, err) = app
        .with_db(|c| {
            let cid = campaign(c)?;
            let a = actions::create(c, &input(cid, "Call ICE"), None, &organizer())?;
            let b = actions::create(c, &input(cid, "Call ICE"), None, &organizer())?;
            let err = actions::create(
                c,
                &input(cid, "Other"),
                Some(Slug::parse("call-ice").unwrap()),
                &organizer(),
            )
            .unwrap_err();
            Ok((a.slug, b.slug, err))
        })
        .await;
    assert_eq!(a, "call-ice");
    assert_eq!(b, "call-ice-2");
    assert!(matches!(err, db::Error::Conflict { ref field, .. } if field == "slug"));
}

#[tokio::test]
async fn a_new_phone_number_on_a_target_is_logged_for_its_published_actions() {
    let app = spawn_app().await;
    let fields = app
        .with_db(|c| {
            write_tx(c, |c| {
                let cid = campaign(c)?;
                let mut ci = fixtures::contact("orr", "ORR", "202-401-9246");
                let (contact, _) = contacts::upsert(c, &ci, &organizer())?;
                fixtures::published(c, &fixtures::calling(cid, "Call ORR", contact.id))?;
                ci.phones[0].number = PhoneNumber::parse("202-401-9200").unwrap();
                let (_, fields) = contacts::upsert(c, &ci, &organizer())?;
                actions::contact_changed(c, contact.id, &fields, &organizer())?;
                Ok(fields)
            })
        })
        .await;
    assert_eq!(fields.len(), 1);
    let log = app.with_db(|c| changes::after(c, 0, 100)).await;
    let last = log.last().unwrap();
    assert_eq!(last.kind, "action_changed");
    assert_eq!(last.summary, "new phone number for ORR");
    let (_, page) = app.get("/actions/call-orr").await;
    assert!(page.contains("tel:+12024019200"));
    assert!(!page.contains("tel:+12024019246"));
}

#[tokio::test]
async fn actions_past_their_expiry_time_expire_by_themselves_like_a_manual_expiry() {
    let app = spawn_app().await;
    let id = app
        .with_db(|c| {
            write_tx(c, |c| {
                let cid = campaign(c)?;
                let mut i = input(cid, "Short-lived");
                i.expires_at = Some(db::now() - Duration::minutes(1));
                let a = fixtures::published(c, &i)?;
                let mut later = input(cid, "Long-lived");
                later.expires_at = Some(db::now() + Duration::days(30));
                fixtures::published(c, &later)?;
                Ok(a.id)
            })
        })
        .await;
    let expired = app.with_db(worker::expire_once).await;
    assert_eq!(expired, vec!["short-lived".to_string()]);
    assert_eq!(
        app.with_db(move |c| actions::by_id(c, id)).await.status,
        "expired"
    );
    let log = app.with_db(|c| changes::after(c, 0, 100)).await;
    let last = log.last().unwrap();
    assert_eq!(last.kind, "action_expired");
    assert_eq!(last.action_id, Some(id));
    assert!(last.actor.starts_with("system"));
    assert!(
        app.with_db(worker::expire_once).await.is_empty(),
        "nothing left to expire"
    );
}

#[tokio::test]
async fn concurrent_writers_never_fail_with_database_is_locked() {
    let app = spawn_app().await;
    let cid = app.with_db(|c| write_tx(c, campaign)).await;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..15 {
                db.run(move |c| -> actiondesk::db::Result<_> {
                    write_tx(c, |c| {
                        fixtures::published(c, &input(cid, &format!("Writer {w} action {n}")))?;
                        Ok(())
                    })
                })
                .await?;
            }
            Ok::<_, db::Error>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no writer fails");
    }
    let log = app.with_db(|c| changes::after(c, 0, 1000)).await;
    assert_eq!(log.len(), 8 * 15);
    // Ids are handed out in commit order: strictly increasing, none skipped.
    assert!(log.windows(2).all(|w| w[1].id == w[0].id + 1));
}
