//! `actiondesk export` and `actiondesk import site`, run as the real binary: a site with
//! the demo, the directory fixtures and an organizer's edits, exported and imported into a
//! fresh database (of the backend the suite runs on), answers every public page and API
//! read as the original does; an import into a database that holds anything is refused and
//! changes nothing.

use actiondesk::db::{self, people, subscribers, tokens, write_tx, Actor, DbConn};
use actiondesk::domain::{EmailAddress, Frequency};
use serde_json::{json, Value};

use crate::api_support::with_token;
use crate::cli::{actiondesk, text};
use crate::helpers::{fresh_database_url, spawn_demo, spawn_with, Spawn};

/// Rows per table, for "changes nothing".
fn counts(conn: &mut DbConn) -> db::Result<Vec<(String, i64)>> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut out = Vec::new();
    for t in db::site::TABLES {
        let row: N =
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}")).get_result(conn)?;
        out.push((t.to_string(), row.n));
    }
    Ok(out)
}

/// Three subscribers: two confirmed (one to the demo campaign only), one waiting.
fn subscribers_fixture(conn: &mut DbConn) -> db::Result<()> {
    write_tx(conn, |conn| {
        let demo = db::campaigns::find(conn, actiondesk::demo::CAMPAIGN_SLUG)?
            .expect("the demo campaign")
            .id;
        for (i, (camps, confirm)) in [(vec![], true), (vec![demo], true), (vec![], false)]
            .into_iter()
            .enumerate()
        {
            let email = EmailAddress::parse(&format!("reader{i}@example.org")).unwrap();
            let subscribers::Subscribed::Confirm { token, .. } =
                subscribers::subscribe(conn, &email, &camps, Frequency::Daily, db::now())?
            else {
                panic!("a new address");
            };
            if confirm {
                subscribers::confirm(conn, &token, db::now())?.expect("confirms");
            }
            if i == 0 {
                let s = subscribers::find(conn, email.as_str())?.expect("just subscribed");
                db::bounces::record(
                    conn,
                    s.id,
                    actiondesk::domain::BounceKind::Soft,
                    "452 4.2.2 Mailbox full",
                    "dsn",
                    db::now(),
                )?;
            }
        }
        Ok(())
    })
}

/// A body with what differs per request or per process taken out: CSRF tokens in forms.
fn normalized(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    const MARK: &str = "name=\"csrf_token\" value=\"";
    while let Some(i) = rest.find(MARK) {
        let (head, tail) = rest.split_at(i + MARK.len());
        out.push_str(head);
        out.push_str("CSRF");
        rest = &tail[tail.find('"').unwrap_or(0)..];
    }
    out.push_str(rest);
    out
}

/// Every public GET the route table has, for every campaign, action, contact and ZIP.
pub async fn public_paths(client: &reqwest::Client, address: &str) -> Vec<String> {
    let get_json = |path: String| async move {
        client
            .get(format!("{address}{path}"))
            .send()
            .await
            .expect("request")
            .json::<Value>()
            .await
            .expect("JSON")
    };
    let mut paths: Vec<String> = [
        "/",
        "/hotlines",
        "/updates",
        "/feed.atom",
        "/events.ics",
        "/search?q=call",
        "/search?q=children",
        "/subscribe",
        "/reps?zip=98101",
        "/reps?zip=99501",
        "/api/v1/campaigns",
        "/api/v1/actions",
        "/api/v1/actions?status=expired",
        "/api/v1/actions?kind=call",
        "/api/v1/actions?q=children",
        "/api/v1/hotlines",
        "/api/v1/contacts",
        "/api/v1/reps?zip=98101",
        "/api/v1/reps?zip=99501",
        "/api/openapi.json",
        "/static/style.css",
        "/healthz",
    ]
    .map(String::from)
    .to_vec();
    let camps = get_json("/api/v1/campaigns".into()).await;
    for c in camps["items"].as_array().expect("campaigns") {
        let s = c["slug"].as_str().unwrap();
        paths.push(format!("/campaigns/{s}"));
        paths.push(format!("/campaigns/{s}/feed.atom"));
        paths.push(format!("/api/v1/campaigns/{s}"));
    }
    for status in ["published", "expired"] {
        let list = get_json(format!("/api/v1/actions?status={status}")).await;
        for a in list["items"].as_array().expect("actions") {
            let s = a["slug"].as_str().unwrap();
            paths.push(format!("/actions/{s}"));
            paths.push(format!("/actions/{s}?zip=98101"));
            paths.push(format!("/actions/{s}.ics"));
            paths.push(format!("/api/v1/actions/{s}"));
        }
    }
    paths
}

/// GETs `path` from the sites at `a` and `b`; the same status, type and (normalized)
/// body, or a panic showing where they part.
pub async fn same_answer(
    client: &reqwest::Client,
    (a, b): (&str, &str),
    path: &str,
    token: Option<(&str, &str)>,
) {
    let mut answers = Vec::new();
    for (address, t) in [(a, token.map(|t| t.0)), (b, token.map(|t| t.1))] {
        let mut req = client.get(format!("{address}{path}"));
        if let Some(t) = t {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        answers.push((status, kind, normalized(&r.text().await.unwrap())));
    }
    let (x, y) = (&answers[0], &answers[1]);
    assert_eq!((x.0, &x.1), (y.0, &y.1), "{path}: status or type differ");
    if x.2 != y.2 {
        let at =
            x.2.bytes()
                .zip(y.2.bytes())
                .position(|(p, q)| p != q)
                .unwrap_or(x.2.len().min(y.2.len()));
        let from = at.saturating_sub(120);
        panic!(
            "{path}: bodies differ at byte {at}\n original: {:?}\n imported: {:?}",
            &x.2[from..(at + 120).min(x.2.len())],
            &y.2[from..(at + 120).min(y.2.len())],
        );
    }
}

#[tokio::test]
async fn an_exported_site_imported_into_an_empty_database_answers_the_same() {
    let api = with_token(spawn_demo().await).await;
    crate::reps::import_fixtures(&api.app).await;
    // An organizer's work: an edit, an update, a draft, an expiry, outcomes; subscribers.
    let list: Value = api.app.get_json("/api/v1/actions?kind=call").await;
    let call = list["items"][0]["slug"]
        .as_str()
        .expect("a call action")
        .to_string();
    let a = api
        .call(
            "PATCH",
            &format!("/api/v1/actions/{call}"),
            Some(json!({"summary": "Edited before the move"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let u = api
        .call(
            "POST",
            &format!(
                "/api/v1/campaigns/{}/updates",
                actiondesk::demo::CAMPAIGN_SLUG
            ),
            Some(json!({"title": "Moving day", "body": "Same site, new home."})),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.json);
    let d = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(
                json!({"campaign": actiondesk::demo::CAMPAIGN_SLUG, "kind": "call",
                        "title": "A draft that moves too"}),
            ),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.json);
    let published: Value = api.app.get_json("/api/v1/actions?status=published").await;
    let last = published["items"].as_array().unwrap().last().unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let e = api
        .call("POST", &format!("/api/v1/actions/{last}/expire"), None)
        .await;
    assert_eq!(e.status, 200, "{}", e.json);
    for outcome in ["contacted", "voicemail", "contacted"] {
        let o = api
            .send(
                "POST",
                &format!("/api/v1/actions/{call}/outcomes"),
                None,
                Some(json!({ "outcome": outcome })),
            )
            .await;
        assert!(o.status < 300, "{}: {}", o.status, o.json);
    }
    api.app.with_db(subscribers_fixture).await;

    // Exported by the binary, imported by the binary into a new, migrated database.
    let file = api.app.dir.path().join("site.json");
    let file_arg = file.display().to_string();
    let out = actiondesk(&["export", &file_arg], &api.app.database_url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["format"], "actiondesk-site");
    assert!(
        doc["tables"]["organizers"][0]
            .get("password_hash")
            .is_none(),
        "no passwords: {}",
        doc["tables"]["organizers"][0]
    );
    assert_eq!(doc["tables"]["subscribers"].as_array().unwrap().len(), 3);

    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let out = actiondesk(&["migrate"], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = actiondesk(&["import", "site", &file_arg], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("import site: organizers 1, campaigns "),
        "{}",
        text(&out.stdout)
    );

    let copy = spawn_with(Spawn {
        env: vec![
            ("DATABASE_URL", url.clone()),
            ("BASE_URL", api.app.address.clone()),
        ],
        ..Spawn::default()
    })
    .await;
    let source_counts = api.app.with_db(counts).await;
    let copied_counts = copy.with_db(counts).await;
    for ((table, n), (_, m)) in source_counts.iter().zip(&copied_counts) {
        // Tokens are credentials and are not carried; everything else is, row for row.
        assert_eq!(n, m, "{table}");
    }

    let paths = public_paths(&api.app.client, &api.app.address).await;
    assert!(paths.len() > 40, "{paths:?}");
    let both = (api.app.address.as_str(), copy.address.as_str());
    for path in &paths {
        same_answer(&api.app.client, both, path, None).await;
    }
    // Organizers' reads (drafts) with a token made for the imported organizer.
    let token = copy
        .with_db(|c| {
            write_tx(c, |c| {
                let o = people::find_organizer(c, "api@example.org")?.expect("imported");
                Ok(tokens::create(c, o.id, "after the move", &Actor::system())?.plain)
            })
        })
        .await;
    for path in ["/api/v1/actions?status=draft", "/api/v1/actions"] {
        same_answer(&api.app.client, both, path, Some((&api.token, &token))).await;
    }
    // The next new row gets an id past the imported ones (PostgreSQL's sequences moved).
    let u = crate::api_support::Api {
        app: copy,
        token,
        organizer_id: 0,
    };
    let made = u
        .call(
            "POST",
            "/api/v1/actions",
            Some(
                json!({"campaign": actiondesk::demo::CAMPAIGN_SLUG, "kind": "call",
                        "title": "Made after the move"}),
            ),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.json);

    // Imported organizers have no password until one is set.
    let hash = |c: &mut DbConn| {
        Ok(people::find_organizer(c, "api@example.org")?
            .unwrap()
            .password_hash)
    };
    assert_eq!(u.app.with_db(hash).await, "");
    let out = actiondesk(
        &["organizer", "password", "api@example.org"],
        &url,
        Some("a new password after the move\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(actiondesk::security::verify_password(
        "a new password after the move",
        &u.app.with_db(hash).await
    ));

    // A second import into the now non-empty database: refused, naming why; nothing changes.
    let before = u.app.with_db(counts).await;
    let out = actiondesk(&["import", "site", &file_arg], &url, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("not empty") && err.contains("campaigns: "),
        "{err}"
    );
    assert_eq!(u.app.with_db(counts).await, before);
}

#[tokio::test]
async fn without_subscribers_and_refusing_what_is_not_an_export() {
    let app = spawn_demo().await;
    app.with_db(subscribers_fixture).await;
    let out = actiondesk(&["export", "--no-subscribers"], &app.database_url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    assert!(doc["tables"].get("subscribers").is_none());
    assert!(doc["tables"].get("subscriber_tokens").is_none());
    assert!(!doc["tables"]["actions"].as_array().unwrap().is_empty());

    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    // A document with a broken row: named by table and row, and nothing is written.
    let mut broken = doc.clone();
    broken["tables"]["actions"][1]["title"] = json!(42);
    let file = dir.path().join("broken.json");
    std::fs::write(&file, serde_json::to_vec(&broken).unwrap()).unwrap();
    let out = actiondesk(&["import", "site", &file.display().to_string()], &url, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("tables.actions[1]"),
        "{}",
        text(&out.stderr)
    );
    let db =
        actiondesk::db::Db::connect(&actiondesk::db::DatabaseUrl::parse(&url).unwrap(), 1).unwrap();
    let held = db.run(counts).await.unwrap();
    assert!(held.iter().all(|(_, n)| *n == 0), "{held:?}");
    // A kind the site does not know: refused by its column's type, naming the choices.
    let mut unknown = doc.clone();
    unknown["tables"]["action_targets"][0]["kind"] = json!("the_moon");
    std::fs::write(&file, serde_json::to_vec(&unknown).unwrap()).unwrap();
    let out = actiondesk(&["import", "site", &file.display().to_string()], &url, None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("tables.action_targets[0]") && err.contains("the_moon"),
        "{err}"
    );
    assert!(err.contains("visitor_senators"), "{err}");
    let held = db.run(counts).await.unwrap();
    assert!(held.iter().all(|(_, n)| *n == 0), "{held:?}");
    // Not an export at all.
    std::fs::write(&file, b"{\"campaigns\": []}").unwrap();
    let out = actiondesk(&["import", "site", &file.display().to_string()], &url, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("format"),
        "{}",
        text(&out.stderr)
    );

    let file = dir.path().join("site.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = actiondesk(&["import", "site", &file.display().to_string()], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let held = db.run(counts).await.unwrap();
    let n = |t: &str| held.iter().find(|(x, _)| x == t).unwrap().1;
    assert_eq!(n("subscribers"), 0);
    assert!(n("actions") > 0 && n("changes") > 0);
}
