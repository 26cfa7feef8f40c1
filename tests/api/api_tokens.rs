//! API tokens: `actiondesk token create/list/revoke` and what a token proves.

use actiondesk::db::{self, people, tokens, write_tx, Actor};
use actiondesk::domain::EmailAddress;

use crate::cli::{actiondesk, text};
use crate::helpers::{fresh_database_url, spawn_app};

#[test]
fn token_create_prints_one_token_and_names_an_unknown_email() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let add = actiondesk(
        &["organizer", "add", "ana@example.org"],
        &url,
        Some("a long enough password\n"),
    );
    assert_eq!(add.status.code(), Some(0), "{}", text(&add.stderr));

    let out = actiondesk(&["token", "create", "Ana@Example.org"], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stdout:?}");
    assert_eq!(lines[0].len(), 64);
    assert!(lines[0].chars().all(|c| c.is_ascii_hexdigit()));

    let second = actiondesk(&["token", "create", "ana@example.org"], &url, None);
    assert_ne!(text(&second.stdout), stdout, "each token is new");

    let list = actiondesk(&["token", "list", "ana@example.org"], &url, None);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        !listed.contains(lines[0]),
        "the token itself is never shown again"
    );

    let missing = actiondesk(&["token", "create", "nobody@example.org"], &url, None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("nobody@example.org"),
        "{}",
        text(&missing.stderr)
    );
    assert!(missing.stdout.is_empty());

    let revoke = actiondesk(&["token", "revoke", "999"], &url, None);
    assert_eq!(revoke.status.code(), Some(2), "{}", text(&revoke.stderr));
}

#[tokio::test]
async fn a_token_verifies_until_revoked_and_is_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let (plain, id, organizer_id) = app
        .with_db(|c| {
            write_tx(c, |c| {
                let email = EmailAddress::parse("bo@example.org").unwrap();
                let o = people::create_organizer(c, &email, "x", false, &Actor::system())?;
                let made = tokens::create(c, o.id, "bot", &Actor::system())?;
                Ok((made.plain, made.token.id, o.id))
            })
        })
        .await;
    let stored = app.with_db(move |c| tokens::by_id(c, id)).await;
    assert_ne!(stored.token_hash, plain);
    assert_eq!(stored.token_hash, actiondesk::security::token_hash(&plain));
    assert!(stored.last_used_at.is_none());

    let p = plain.clone();
    let who = app.with_db(move |c| tokens::verify(c, &p)).await;
    assert_eq!(who.map(|o| o.id), Some(organizer_id));
    let used = app.with_db(move |c| tokens::by_id(c, id)).await;
    assert!(used.last_used_at.is_some(), "last use is recorded");
    assert!(app
        .with_db(|c| tokens::verify(c, "not-a-token"))
        .await
        .is_none());

    // Only its owner (or an admin) may revoke it.
    let stranger = Actor {
        organizer_id: Some(organizer_id + 100),
        name: "x".into(),
        at: db::now(),
    };
    let refused = app
        .db
        .run(move |c| write_tx(c, |c| tokens::revoke(c, id, &stranger, false)))
        .await;
    assert!(matches!(refused, Err(db::Error::NotFound(_))));

    let owner = Actor {
        organizer_id: Some(organizer_id),
        name: "bo@example.org".into(),
        at: db::now(),
    };
    let revoked = app
        .with_db(move |c| write_tx(c, |c| tokens::revoke(c, id, &owner, false)))
        .await;
    assert!(!revoked.is_active());
    let p = plain.clone();
    assert!(app.with_db(move |c| tokens::verify(c, &p)).await.is_none());
    let listed = app
        .with_db(move |c| tokens::list_for(c, organizer_id))
        .await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked_at.is_some());
}
