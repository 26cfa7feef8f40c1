//! Re-imports of congress-legislators keep history: a sitting member's changed number is a
//! change in the log, which actions naming them carry to their history, feeds and digests;
//! a member gone from the file retires, and the actions that name them are flagged to
//! organizers on the dashboard.

use actiondesk::db::{legislators, write_tx};

use crate::admin_support::{organizer, sign_in};
use crate::digests::{confirmed_subscribers, digest_run, digests_to, env_for};
use crate::fixtures;
use crate::helpers::{spawn_with, Spawn};
use crate::mailbox::MailDev;
use crate::reps::{actiondesk, fixture, text};

#[tokio::test]
async fn a_changed_number_reaches_subscribers_and_a_departed_member_is_flagged() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = spawn_with(Spawn {
        env: vec![
            ("SMTP_URL", mail.smtp_url()),
            ("DIGEST_QUIET_SECS", "0".into()),
        ],
        ..Spawn::default()
    })
    .await;
    let legs = fixture("legislators.yaml");
    let offices = fixture("offices.yaml");
    let import = |file: &std::path::Path| {
        let out = actiondesk(
            &[
                "import",
                "legislators",
                file.to_str().unwrap(),
                "--offices",
                offices.to_str().unwrap(),
            ],
            &app.database_url,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    import(&legs);

    app.with_db(|conn| {
        write_tx(conn, |conn| {
            let campaign = fixtures::campaign(conn, "kids", "Kids")?;
            let cantwell = legislators::by_bioguide(conn, "C000127")?.expect("imported");
            let murray = legislators::by_bioguide(conn, "M001111")?.expect("imported");
            fixtures::published(
                conn,
                &fixtures::calling(campaign, "Call Senator Cantwell", cantwell.id),
            )?;
            fixtures::published(
                conn,
                &fixtures::calling(campaign, "Thank Senator Murray", murray.id),
            )?;
            Ok(())
        })
    })
    .await;
    app.with_db(|c| confirmed_subscribers(c, 1)).await;
    let env = env_for(&app, &mail.smtp_url());
    digest_run(&env);

    // The next file: Cantwell's Washington number changed, Murray left.
    let original = std::fs::read_to_string(&legs).unwrap();
    let start = original.find("- id:\n    bioguide: M001111").unwrap();
    let end = start + 1 + original[start + 1..].find("- id:").unwrap();
    let next = format!("{}{}", &original[..start], &original[end..])
        .replace("phone: 202-224-3441", "phone: 202-224-3442");
    let dir = tempfile::tempdir().unwrap();
    let next_file = dir.path().join("legislators-current.yaml");
    std::fs::write(&next_file, next).unwrap();
    let out = import(&next_file);
    assert!(out.contains("changed 1"), "{out}");
    assert!(out.contains("retired 1"), "{out}");

    // History and feed say whose number changed.
    let (_, page) = app.get("/actions/call-senator-cantwell").await;
    assert!(page.contains("tel:+12022243442"), "{page}");
    assert!(
        page.contains("new phone number for Maria Cantwell"),
        "the action's history: {page}"
    );
    let (_, feed) = app.get("/feed.atom").await;
    assert!(
        feed.contains("new phone number for Maria Cantwell"),
        "{feed}"
    );

    // The digest carries the new number and says which office it is.
    assert_eq!(
        digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0"
    );
    let all = mail
        .wait_for("the digest", |m| {
            !digests_to(m, "s0@example.org").is_empty()
        })
        .await;
    let d = &digests_to(&all, "s0@example.org")[0];
    assert!(d.text.contains("Call Senator Cantwell"), "{}", d.text);
    assert!(
        d.text
            .contains("New number (Washington, DC office): (202) 224-3442"),
        "{}",
        d.text
    );
    assert!(
        !d.text.contains("Thank Senator Murray"),
        "a retirement is for organizers to handle, not news: {}",
        d.text
    );

    // Organizers see the action that still names the former senator.
    organizer(&app, "ana@example.org", false).await;
    sign_in(&app, "ana@example.org").await;
    let (_, dash) = app.get("/admin").await;
    let flagged = dash
        .split("id=\"naming-former\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no list of actions naming former officials: {dash}"));
    assert!(flagged.contains("Thank Senator Murray"), "{flagged}");
    assert!(flagged.contains("Patty Murray"), "{flagged}");
    assert!(
        flagged.contains("Former U.S. Senator for Washington"),
        "{flagged}"
    );
    assert!(
        !flagged
            .split("</section>")
            .next()
            .unwrap()
            .contains("Call Senator Cantwell"),
        "{flagged}"
    );

    // The same file again changes nothing: no new history line, no digest.
    let again = import(&next_file);
    assert!(again.contains("changed 0"), "{again}");
    assert!(again.contains("retired 0"), "{again}");
    assert_eq!(
        digest_run(&env),
        "digests: composed 0, sent 0, failed 0, pending 0"
    );
}

/// The outcome a caller at `client` reports for Senator Cantwell.
async fn called(app: &crate::helpers::TestApp, client: &str, contact: &str, outcome: &str) {
    let res = app
        .client
        .post(format!(
            "{}/api/v1/actions/call-senator-cantwell/outcomes",
            app.address
        ))
        .header("X-Forwarded-For", client)
        .json(&serde_json::json!({"outcome": outcome, "contact": contact}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn reps_says_how_reachable_an_office_was_once_twenty_callers_reported() {
    let app = spawn_with(Spawn {
        env: vec![("TRUSTED_PROXIES", "127.0.0.1".into())],
        ..Spawn::default()
    })
    .await;
    crate::reps::import_fixtures(&app).await;
    let slug = app
        .with_db(|conn| {
            write_tx(conn, |conn| {
                let campaign = fixtures::campaign(conn, "kids", "Kids")?;
                let cantwell = legislators::by_bioguide(conn, "C000127")?.expect("imported");
                let mut a = fixtures::calling(campaign, "Call Senator Cantwell", cantwell.id);
                a.kind = actiondesk::domain::ActionKind::Call;
                fixtures::published(conn, &a)?;
                Ok(cantwell.slug)
            })
        })
        .await;
    // 19 callers, each from their own address: 13 reached someone, 6 left a voicemail.
    for i in 0..19 {
        let outcome = if i < 13 { "contacted" } else { "voicemail" };
        called(&app, &format!("203.0.113.{}", i + 1), &slug, outcome).await;
    }
    let (status, page) = app.get("/reps?zip=98104").await;
    assert_eq!(status, 200);
    assert!(page.contains("Maria Cantwell"), "{page}");
    assert!(
        !page.contains("of callers this month"),
        "19 outcomes are too few to say: {page}"
    );

    // The 20th: 14 of 20 reached someone.
    called(&app, "198.51.100.1", &slug, "contacted").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let page = loop {
        let (_, page) = app.get("/reps?zip=98104").await;
        if page.contains("of callers this month") || std::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    let block = page
        .split("Maria Cantwell")
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .unwrap_or_default();
    assert!(
        block.contains("Reached by 70% of callers this month"),
        "within seconds, in Senator Cantwell's block: {page}"
    );
    assert_eq!(
        page.matches("of callers this month").count(),
        1,
        "only the office callers reported on: {page}"
    );
    let json: serde_json::Value = app.get_json("/api/v1/reps?zip=98104").await;
    for l in json["legislators"].as_array().unwrap() {
        let want = if l["slug"] == slug.as_str() {
            serde_json::json!(70)
        } else {
            serde_json::Value::Null
        };
        assert_eq!(l["reach"], want, "{l}");
    }
    // The same figure as the contact's own JSON, from the outcomes recorded.
    let contact: serde_json::Value = app.get_json(&format!("/api/v1/contacts/{slug}")).await;
    assert_eq!(contact["outcomes"]["total"], 20, "{contact}");
    assert_eq!(contact["outcomes"]["contacted"], 14, "{contact}");
    assert_eq!(contact["reach"], 70, "{contact}");
}
