//! A directory that corrects itself: callers report problems with a number (the form, the
//! API, a `wrong_number` outcome); organizers see them grouped by number, mark a number
//! verified or change it; a number with 3 or more open reports is flagged on pages (the
//! queue says how many callers they came from); every number says when it was last checked.

use actiondesk::db::{contacts, write_tx};
use serde_json::{json, Value};

use crate::admin_support::{csrf_of, organizer, post_form, sign_in};
use crate::api_support::{with_token, Answer, Api};
use crate::fixtures;
use crate::helpers::{spawn_app, spawn_with, Spawn};

const WARNING: &str = "Callers report a problem with this number";

/// An app with the agency "orr" (+1 202-401-9246) called by the published action
/// "call-orr", behind a trusted proxy on loopback so that tests can speak for several
/// callers (`X-Forwarded-For`).
async fn setup() -> Api {
    setup_with(Vec::new()).await
}

/// [`setup`], with more settings.
async fn setup_with(mut env: Vec<(&'static str, String)>) -> Api {
    env.push(("TRUSTED_PROXIES", "127.0.0.1".into()));
    let api = with_token(
        spawn_with(Spawn {
            env,
            ..Spawn::default()
        })
        .await,
    )
    .await;
    api.app
        .with_db(|conn| {
            write_tx(conn, |conn| {
                let campaign = fixtures::campaign(conn, "kids", "Kids")?;
                let (c, _) = contacts::upsert(
                    conn,
                    &fixtures::contact("orr", "Office of Refugee Resettlement", "202-401-9246"),
                    &fixtures::organizer(),
                )?;
                let mut a = fixtures::calling(campaign, "Call ORR", c.id);
                a.kind = actiondesk::domain::ActionKind::Call;
                fixtures::published(conn, &a)?;
                Ok(())
            })
        })
        .await;
    api
}

/// Posts a report as the caller at `client`.
async fn report(api: &Api, client: &str, contact: &str, body: Value) -> Answer {
    let res = api
        .app
        .client
        .post(format!(
            "{}/api/v1/contacts/{contact}/reports",
            api.app.address
        ))
        .header("X-Forwarded-For", client)
        .json(&body)
        .send()
        .await
        .expect("report sent");
    Answer {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        json: res.json().await.unwrap_or(Value::Null),
    }
}

/// The phones of a contact as `GET /api/v1/contacts` gives them.
async fn phones_of(api: &Api, slug: &str) -> Vec<Value> {
    let list: Value = api.app.get_json("/api/v1/contacts").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} not listed: {list}"))["phones"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn reports_are_counted_per_number_and_three_flag_it_on_pages() {
    let api = setup().await;
    let today = chrono::Utc::now().date_naive().to_string();
    let phones = phones_of(&api, "orr").await;
    assert_eq!(phones[0]["reports"], 0);
    assert_eq!(
        phones[0]["verified_at"], today,
        "a number an organizer enters counts as checked that day"
    );
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(!page.contains(WARNING));
    assert!(
        page.contains("/contacts/orr/report"),
        "the report link is beside the contact"
    );

    for (i, problem) in ["disconnected", "never_answers"].iter().enumerate() {
        let a = report(
            &api,
            &format!("203.0.113.{}", i + 1),
            "orr",
            json!({"phone": "+12024019246", "problem": problem, "note": format!("try {i}")}),
        )
        .await;
        assert_eq!(a.status, 202, "{}", a.json);
        assert_eq!(a.json["status"], "received");
    }
    assert_eq!(phones_of(&api, "orr").await[0]["reports"], 2);
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(
        !page.contains(WARNING),
        "two reports do not flag a number yet"
    );

    // A third caller, with any accepted form of the number, flags it.
    let a = report(
        &api,
        "198.51.100.7",
        "orr",
        json!({"phone": "(202) 401-9246", "problem": "other"}),
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.json);
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(
        page.contains(WARNING),
        "three callers' reports flag the number:\n{page}"
    );
    let phone = &phones_of(&api, "orr").await[0];
    assert_eq!(phone["reports"], 3, "{phone}");
    assert_eq!(phone["flagged"], true, "{phone}");
    let contact = api.app.get_json::<Value>("/api/v1/contacts/orr").await;
    assert_eq!(contact["phones"][0]["flagged"], true, "{contact}");

    // One of them reporting again: a fourth report, still three callers.
    let a = report(
        &api,
        "203.0.113.2",
        "orr",
        json!({"phone": "+12024019246", "problem": "disconnected"}),
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.json);

    // The organizers' queue: one group for the number, newest first, nothing on who sent.
    let unauth = api.send("GET", "/api/v1/reports", None, None).await;
    assert_eq!(unauth.status, 401);
    let q = api.call("GET", "/api/v1/reports", None).await;
    assert_eq!(q.status, 200, "{}", q.json);
    let items = q.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", q.json);
    assert_eq!(items[0]["contact"], "orr");
    assert_eq!(items[0]["e164"], "+12024019246");
    assert_eq!(items[0]["count"], 4, "every report is listed");
    assert_eq!(items[0]["callers"], 3, "from three callers");
    let problems: Vec<&str> = items[0]["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["problem"].as_str().unwrap())
        .collect();
    assert_eq!(
        problems,
        ["disconnected", "other", "never_answers", "disconnected"]
    );
    let text = q.json.to_string();
    for addr in ["127.0.0.1", "203.0.113", "198.51.100"] {
        assert!(!text.contains(addr), "no reporter address: {text}");
    }
    assert!(!text.contains("reporter"), "nothing on who sent: {text}");
}

#[tokio::test]
async fn bad_reports_name_the_field_and_store_nothing() {
    let api = setup().await;
    for (body, field) in [
        (json!({"problem": "disconnected"}), "phone"),
        (
            json!({"phone": "not a number", "problem": "disconnected"}),
            "phone",
        ),
        // A number the contact does not list.
        (
            json!({"phone": "+1 202-555-0100", "problem": "disconnected"}),
            "phone",
        ),
        (json!({"phone": "+12024019246"}), "problem"),
        (
            json!({"phone": "+12024019246", "problem": "rude"}),
            "problem",
        ),
        (
            json!({"phone": "+12024019246", "problem": "other", "note": "bell\u{7}"}),
            "note",
        ),
        (
            json!({"phone": "+12024019246", "problem": "other", "note": "x".repeat(1001)}),
            "note",
        ),
    ] {
        let a = report(&api, "203.0.113.1", "orr", body.clone()).await;
        assert_eq!(a.status, 422, "{body}: {}", a.json);
        assert_eq!(a.field(), Some(field), "{body}: {}", a.json);
        assert!(a.json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let a = report(
        &api,
        "203.0.113.1",
        "nobody",
        json!({"phone": "+12024019246", "problem": "other"}),
    )
    .await;
    assert_eq!(a.status, 404, "{}", a.json);
    assert_eq!(phones_of(&api, "orr").await[0]["reports"], 0);
}

#[tokio::test]
async fn a_wrong_number_outcome_files_a_report_for_the_number() {
    let api = setup().await;
    let a = api
        .send(
            "POST",
            "/api/v1/actions/call-orr/outcomes",
            None,
            Some(json!({"outcome": "wrong_number", "contact": "orr"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["wrong_number"], 1);
    let a = api
        .send(
            "POST",
            "/api/v1/actions/call-orr/outcomes",
            None,
            Some(json!({"outcome": "contacted", "contact": "orr"})),
        )
        .await;
    assert_eq!(a.status, 200);
    let q = api.call("GET", "/api/v1/reports", None).await;
    let items = q.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", q.json);
    assert_eq!(items[0]["count"], 1, "only the wrong number is a report");
    assert_eq!(items[0]["reports"][0]["problem"], "wrong_number");
}

#[tokio::test]
async fn the_form_keeps_what_was_typed_and_thanks_the_caller() {
    let api = setup().await;
    let (status, form) = api.app.get("/contacts/orr/report").await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"+12024019246\""), "{form}");
    assert!(form.contains("name=\"problem\" value=\"disconnected\""));
    let (status, _, page) = post_form(
        &api.app,
        "/contacts/orr/report",
        &[("phone", "+12024019246"), ("note", "It rang a fax machine")],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("choose what went wrong"), "{page}");
    assert!(
        page.contains("It rang a fax machine"),
        "the note is kept: {page}"
    );
    let (status, _, page) = post_form(
        &api.app,
        "/contacts/orr/report",
        &[
            ("phone", "+12024019246"),
            ("problem", "wrong_number"),
            ("note", "It rang a fax machine"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Thank you"), "{page}");
    assert_eq!(phones_of(&api, "orr").await[0]["reports"], 1);
    let (status, _) = api.app.get("/contacts/nobody/report").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn marking_a_number_verified_clears_its_flag_and_changing_it_closes_its_reports() {
    let api = setup().await;
    // Last checked long ago: marking it verified moves the date to today.
    api.app
        .with_db(|conn| {
            use diesel::RunQueryDsl;
            Ok(
                diesel::sql_query("UPDATE phones SET verified_at = '2020-01-02 00:00:00'")
                    .execute(conn)?,
            )
        })
        .await;
    assert_eq!(phones_of(&api, "orr").await[0]["verified_at"], "2020-01-02");
    for i in 1..=3 {
        let a = report(
            &api,
            &format!("203.0.113.{i}"),
            "orr",
            json!({"phone": "+12024019246", "problem": "disconnected"}),
        )
        .await;
        assert_eq!(a.status, 202);
    }
    organizer(&api.app, "checker@example.org", false).await;
    sign_in(&api.app, "checker@example.org").await;
    let (status, queue) = api.app.get("/admin/reports").await;
    assert_eq!(status, 200);
    assert!(
        queue.contains("+1 202-401-9246") && queue.contains("3 open reports from 3 callers"),
        "{queue}"
    );
    let (_, dash) = api.app.get("/admin").await;
    assert!(
        dash.contains("1 number with open problem reports"),
        "{dash}"
    );

    // Without the session's CSRF token: refused, nothing changes.
    let (status, _, _) = post_form(
        &api.app,
        "/admin/reports/verify",
        &[("contact", "orr"), ("e164", "+12024019246")],
    )
    .await;
    assert_eq!(status, 403);
    let phone = &phones_of(&api, "orr").await[0];
    assert_eq!(phone["reports"], 3, "{phone}");
    assert_eq!(phone["flagged"], true, "{phone}");

    let token = csrf_of(&queue);
    let (status, location, _) = post_form(
        &api.app,
        "/admin/reports/verify",
        &[
            ("contact", "orr"),
            ("e164", "+12024019246"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/reports?done=3"));
    let phone = &phones_of(&api, "orr").await[0];
    assert_eq!(phone["reports"], 0, "{phone}");
    assert_eq!(phone["flagged"], false, "{phone}");
    assert_eq!(
        phone["verified_at"],
        chrono::Utc::now().date_naive().to_string(),
        "{phone}"
    );
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(!page.contains(WARNING), "verified: no flag");
    assert!(page.contains("checked "), "{page}");
    let q = api.call("GET", "/api/v1/reports", None).await;
    assert_eq!(q.json["items"].as_array().unwrap().len(), 0);

    // Reports about a number that is then changed are closed by the change.
    for i in 1..=3 {
        report(
            &api,
            &format!("203.0.113.{i}"),
            "orr",
            json!({"phone": "+12024019246", "problem": "wrong_number"}),
        )
        .await;
    }
    api.app
        .with_db(|conn| {
            write_tx(conn, |conn| {
                contacts::upsert(
                    conn,
                    &fixtures::contact("orr", "Office of Refugee Resettlement", "202-401-4000"),
                    &fixtures::organizer(),
                )
            })
        })
        .await;
    let q = api.call("GET", "/api/v1/reports", None).await;
    assert_eq!(q.json["items"].as_array().unwrap().len(), 0, "{}", q.json);
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(!page.contains(WARNING));
    assert!(page.contains("+1 202-401-4000"));
}

#[tokio::test]
async fn reports_are_rate_limited_per_client() {
    let api = setup().await;
    let mut refused = None;
    for i in 0..40 {
        let a = report(
            &api,
            "203.0.113.9",
            "orr",
            json!({"phone": "+12024019246", "problem": "other"}),
        )
        .await;
        if a.status == 429 {
            refused = Some(i);
            assert!(a.header("retry-after").is_some());
            break;
        }
        assert_eq!(a.status, 202);
    }
    let n = refused.expect("a client posting 40 reports at once is slowed down");
    assert!(
        n >= 5,
        "a few genuine reports go through first (refused at {n})"
    );
}

#[tokio::test]
async fn imported_numbers_count_as_checked_on_the_files_date() {
    use actiondesk::db::schema::{contacts as c, phones as p};
    use diesel::prelude::*;

    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("legislators.yaml");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/legislators.yaml"
        ),
        &file,
    )
    .unwrap();
    // The file as it was downloaded on 15 June 2026.
    let written = chrono::NaiveDate::from_ymd_opt(2026, 6, 15)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(written.into())
        .unwrap();
    let out = crate::cli::actiondesk(
        &["import", "legislators", file.to_str().unwrap()],
        &app.database_url,
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::cli::text(&out.stderr)
    );
    let checked: Vec<Option<chrono::NaiveDateTime>> = app
        .with_db(|conn| {
            Ok(p::table
                .inner_join(c::table)
                .filter(c::bioguide_id.eq("C000127"))
                .select(p::verified_at)
                .load(conn)?)
        })
        .await;
    assert!(!checked.is_empty());
    let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    for v in &checked {
        assert_eq!(v.map(|t| t.date()), Some(day), "{checked:?}");
    }
    // An organizer's later check is kept when the same file is imported again.
    let later = app
        .with_db(|conn| {
            let slug: String = c::table
                .filter(c::bioguide_id.eq("C000127"))
                .select(c::slug)
                .first(conn)
                .unwrap();
            let e164: String = p::table
                .inner_join(c::table)
                .filter(c::bioguide_id.eq("C000127"))
                .select(p::e164)
                .first(conn)
                .unwrap();
            let actor = fixtures::organizer();
            actiondesk::db::phone_reports::verify(conn, &slug, &e164, &actor).unwrap();
            Ok((e164, actor.at))
        })
        .await;
    let out = crate::cli::actiondesk(
        &["import", "legislators", file.to_str().unwrap()],
        &app.database_url,
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::cli::text(&out.stderr)
    );
    let e164 = later.0.clone();
    let now: Option<chrono::NaiveDateTime> = app
        .with_db(move |conn| {
            Ok(p::table
                .filter(p::e164.eq(&e164))
                .select(p::verified_at)
                .first(conn)?)
        })
        .await;
    assert_eq!(now.map(|t| t.date()), Some(later.1.date()));
}

#[tokio::test]
async fn a_contact_says_how_reachable_it_is_once_twenty_callers_reported() {
    use actiondesk::db::{actions, outcomes};
    use actiondesk::domain::Outcome;

    let api = setup().await;
    let record = |outcome: Outcome, n: usize| {
        api.app.with_db(move |conn| {
            let a = actions::by_slug(conn, "call-orr")?;
            let c = contacts::find(conn, "orr")?.unwrap();
            for _ in 0..n {
                outcomes::record(conn, a.id, Some(c.id), outcome, &fixtures::organizer())?;
            }
            actiondesk::db::settings::bump_content_version(conn)?;
            Ok(())
        })
    };
    record(Outcome::Contacted, 14).await;
    record(Outcome::Voicemail, 5).await;
    let got: Value = api.app.get_json("/api/v1/contacts/orr").await;
    assert_eq!(got["slug"], "orr");
    assert_eq!(got["outcomes"]["contacted"], 14);
    assert_eq!(got["outcomes"]["voicemail"], 5);
    assert_eq!(got["outcomes"]["total"], 19);
    assert_eq!(got["reach"], Value::Null, "19 outcomes are too few to say");
    assert_eq!(got["phones"][0]["reports"], 0);
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(!page.contains("of callers this month"));

    record(Outcome::Contacted, 1).await;
    let got: Value = api.app.get_json("/api/v1/contacts/orr").await;
    assert_eq!(got["outcomes"]["total"], 20);
    assert_eq!(got["reach"], 75);
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(
        page.contains("Reached by 75% of callers this month"),
        "{page}"
    );

    let (status, _) = api.app.get("/api/v1/contacts/nobody").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn changing_a_reported_number_from_the_queue_reaches_subscribers() {
    let Some(mail) = crate::mailbox::MailDev::start().await else {
        return;
    };
    let api = setup_with(vec![
        ("SMTP_URL", mail.smtp_url()),
        ("DIGEST_QUIET_SECS", "0".into()),
    ])
    .await;
    api.app
        .with_db(|c| crate::digests::confirmed_subscribers(c, 1))
        .await;
    let env = crate::digests::env_for(&api.app, &mail.smtp_url());
    // What was published before the subscriber confirmed is not news to them.
    crate::digests::digest_run(&env);

    for i in 1..=3 {
        let a = report(
            &api,
            &format!("203.0.113.{i}"),
            "orr",
            json!({"phone": "+12024019246", "problem": "disconnected"}),
        )
        .await;
        assert_eq!(a.status, 202, "{}", a.json);
    }
    organizer(&api.app, "checker@example.org", false).await;
    let csrf = sign_in(&api.app, "checker@example.org").await;
    let (_, queue) = api.app.get("/admin/reports").await;
    assert!(
        queue.contains("href=\"/admin/contacts/orr\""),
        "the queue links to the contact's form to change the number: {queue}"
    );
    let (status, location, body) = post_form(
        &api.app,
        "/admin/contacts/orr",
        &[
            ("csrf_token", &csrf),
            ("kind", "agency"),
            ("name", "Office of Refugee Resettlement"),
            ("phone_number", "(202) 401-4000"),
            ("phone_kind", "main"),
            ("phone_note", ""),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin/contacts/orr?done=1"));

    // The reports about the old number are closed, the flag is gone, the page shows the
    // new number as checked today, and its history says the number changed.
    let q = api.call("GET", "/api/v1/reports", None).await;
    assert_eq!(q.json["items"].as_array().unwrap().len(), 0, "{}", q.json);
    let phone = &phones_of(&api, "orr").await[0];
    assert_eq!(phone["e164"], "+12024014000");
    assert_eq!(phone["flagged"], false);
    assert_eq!(
        phone["verified_at"],
        chrono::Utc::now().date_naive().to_string()
    );
    let (_, page) = api.app.get("/actions/call-orr").await;
    assert!(!page.contains(WARNING));
    assert!(page.contains("tel:+12024014000"), "{page}");

    // A digest carries the change, with the new number.
    assert_eq!(
        crate::digests::digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0"
    );
    let all = mail
        .wait_for("the digest", |m| {
            !crate::digests::digests_to(m, "s0@example.org").is_empty()
        })
        .await;
    let d = &crate::digests::digests_to(&all, "s0@example.org")[0];
    assert!(d.text.contains("Call ORR"), "{}", d.text);
    assert!(d.text.contains("new phone number"), "{}", d.text);
    assert!(d.text.contains("(202) 401-4000"), "{}", d.text);
}
