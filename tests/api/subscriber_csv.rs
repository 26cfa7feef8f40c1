//! Bringing a list: `actiondesk subscribers import FILE` and `export`, driven as a user
//! would, on the app's own database.

use actiondesk::db::{subscribers, write_tx};
use serde_json::json;

use crate::api_support::with_token;
use crate::cli::{actiondesk, text};
use crate::helpers::{spawn_app, TestApp};

const HEADER: &str = "email,campaigns,frequency,confirmed_at,source\n";

fn write(dir: &std::path::Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// An app with the campaigns "alpha" and "beta".
async fn app() -> TestApp {
    let api = with_token(spawn_app().await).await;
    for slug in ["alpha", "beta"] {
        let c = api
            .call(
                "POST",
                "/api/v1/campaigns",
                Some(json!({"title": format!("Campaign {slug}"), "slug": slug})),
            )
            .await;
        assert_eq!(c.status, 201, "{}", c.json);
    }
    api.app
}

#[tokio::test]
async fn a_list_comes_in_confirmed_or_confirming_and_goes_out_the_same() {
    let app = app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "list.csv",
        &format!(
            "{HEADER}ana@example.org,alpha;beta,daily,2018-06-01T12:00:00Z,Action Network export\n\
             bo@example.org,,,2018-06-02,Spreadsheet\n\
             cy@example.org,beta,weekly,,Signup sheet at the march\n"
        ),
    );
    let out = actiondesk(&["subscribers", "import", &file], &app.database_url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "imported 2 confirmed, 1 sent a confirmation email, 0 already known (left as they were)"
    );
    let ana = app
        .with_db(|c| subscribers::find(c, "ana@example.org"))
        .await
        .unwrap();
    assert_eq!(ana.status.as_str(), "active");
    assert_eq!(ana.source, "Action Network export");
    assert_eq!(
        ana.confirmed_at.unwrap().to_string(),
        "2018-06-01 12:00:00",
        "consent keeps its own date"
    );
    let cy = app
        .with_db(|c| subscribers::find(c, "cy@example.org"))
        .await
        .unwrap();
    assert_eq!(
        cy.status.as_str(),
        "pending",
        "no confirmed_at: asked to confirm"
    );
    let queued: i64 = app
        .with_db(move |c| {
            use actiondesk::db::schema::outbox;
            use diesel::prelude::*;
            Ok(outbox::table
                .filter(outbox::subscriber_id.eq(cy.id))
                .count()
                .get_result(c)?)
        })
        .await;
    assert_eq!(queued, 1, "one confirmation email");

    // Again: nothing changes, nothing more is sent.
    let again = actiondesk(&["subscribers", "import", &file], &app.database_url, None);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout)
        .contains("imported 0 confirmed, 0 sent a confirmation email, 3 already known"));

    // Out, to standard output and to a file.
    let out = actiondesk(&["subscribers", "export"], &app.database_url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert_eq!(
        csv,
        "email,campaigns,frequency,confirmed_at,source,status,bounces\n\
         ana@example.org,alpha;beta,daily,2018-06-01T12:00:00Z,Action Network export,active,0\n\
         bo@example.org,,immediate,2018-06-02T00:00:00Z,Spreadsheet,active,0\n\
         cy@example.org,beta,weekly,,Signup sheet at the march,pending,0\n"
    );
    let copy = dir.path().join("out.csv");
    let out = actiondesk(
        &["subscribers", "export", copy.to_str().unwrap()],
        &app.database_url,
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), csv);

    // The export imports into another site as the same list.
    let other = app_again().await;
    let out = actiondesk(
        &["subscribers", "import", copy.to_str().unwrap()],
        &other.database_url,
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let back = actiondesk(&["subscribers", "export"], &other.database_url, None);
    assert_eq!(text(&back.stdout), csv);
}

async fn app_again() -> TestApp {
    app().await
}

#[tokio::test]
async fn a_bad_row_is_named_by_line_and_field_and_nothing_is_imported() {
    let app = app().await;
    let dir = tempfile::tempdir().unwrap();
    for (body, expected) in [
        (
            format!("{HEADER}ok@example.org,,,,\nnot-an-email,,,,\n"),
            ":3: email:",
        ),
        (
            format!("{HEADER}ok@example.org,,hourly,,\n"),
            ":2: frequency:",
        ),
        (
            format!("{HEADER}ok@example.org,,,yesterday,\n"),
            ":2: confirmed_at:",
        ),
        (
            format!("{HEADER}ok@example.org,,,,\nOK@example.org,,,,\n"),
            ":3: email:",
        ),
        (
            "email,frequency\nok@example.org,daily\n".to_string(),
            ":1: the header",
        ),
        (
            format!("{HEADER}ok@example.org,gamma,,2018-06-01,\n"),
            "line 2: campaigns: no campaign called \"gamma\"",
        ),
    ] {
        let file = write(dir.path(), "bad.csv", &body);
        let out = actiondesk(&["subscribers", "import", &file], &app.database_url, None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{body}: {err}");
        assert!(err.contains(expected), "{body}: {err}");
    }
    let n: i64 = app
        .with_db(|c| {
            use actiondesk::db::schema::subscribers;
            use diesel::prelude::*;
            Ok(subscribers::table.count().get_result(c)?)
        })
        .await;
    assert_eq!(n, 0, "nothing half-imported");
}

#[tokio::test]
async fn an_address_that_unsubscribed_is_not_brought_back_by_an_import() {
    let app = app().await;
    let id = app
        .with_db(|c| {
            write_tx(c, |c| {
                let email = actiondesk::domain::EmailAddress::parse("gone@example.org").unwrap();
                let s = match subscribers::subscribe(
                    c,
                    &email,
                    &[],
                    Default::default(),
                    actiondesk::db::now(),
                )? {
                    subscribers::Subscribed::Confirm { subscriber, .. } => subscriber,
                    subscribers::Subscribed::AlreadyActive { subscriber, .. } => subscriber,
                };
                subscribers::unsubscribe(c, s.id, actiondesk::db::now())?;
                Ok(s.id)
            })
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "list.csv",
        &format!("{HEADER}gone@example.org,,,2018-06-01,Old list\n"),
    );
    let out = actiondesk(&["subscribers", "import", &file], &app.database_url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 already known"));
    let s = app
        .with_db(|c| subscribers::find(c, "gone@example.org"))
        .await
        .unwrap();
    assert_eq!(s.id, id);
    assert_eq!(s.status.as_str(), "unsubscribed");
}
