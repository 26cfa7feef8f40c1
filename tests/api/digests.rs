//! Subscriptions and digests end to end, against a real SMTP server (MailDev) and the real
//! `actiondesk digest run` binary: double opt-in, one digest naming every change, one-click
//! unsubscribe, no enumeration, faults (SMTP down for a run, the SMTP server stopped in the
//! middle of one, SIGKILL mid-run, two workers at once).

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actiondesk::db::{self, actions, campaigns, contacts, subscribers, write_tx, DbConn};
use actiondesk::domain::{EmailAddress, Frequency};
use serde_json::json;

use crate::admin_support::{self, post_form, sign_in};
use crate::api_support::{with_token, Api};
use crate::fixtures::{self, action, calling, published};
use crate::helpers::{spawn_with, Spawn, TestApp};
use crate::mailbox::{Mail, MailDev, SmtpGate};

/// Campaign "alpha" with a draft ("Sign the new petition"), a published action calling
/// "The Agency" ("Call the agency") and one to expire ("Attend the hearing"); campaign
/// "beta" with one published action.
fn fixture(conn: &mut DbConn) -> db::Result<()> {
    write_tx(conn, |conn| {
        let t = fixtures::organizer();
        let alpha = fixtures::campaign(conn, "alpha", "Alpha campaign")?;
        let beta = fixtures::campaign(conn, "beta", "Beta campaign")?;
        let (agency, _) = contacts::upsert(
            conn,
            &fixtures::contact("agency", "The Agency", "202-401-9246"),
            &t,
        )?;
        actions::create(conn, &action(alpha, "Sign the new petition"), None, &t)?;
        published(conn, &calling(alpha, "Call the agency", agency.id))?;
        published(conn, &action(alpha, "Attend the hearing"))?;
        published(conn, &action(beta, "Beta action"))?;
        Ok(())
    })
}

/// The organizer's four changes, made as organizers make them: publish the draft, expire
/// an action and post an update through the JSON API (with a bearer token); give the
/// agency a new number through the contact form in /admin (the JSON API has no way to edit
/// a contact). Also a draft created and edited through the API, which is never mailed.
async fn organizer_changes(api: &Api) {
    let a = api
        .call(
            "POST",
            "/api/v1/actions/sign-the-new-petition/publish",
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["status"], "published");

    admin_support::organizer(&api.app, "ana@example.org", false).await;
    let csrf = sign_in(&api.app, "ana@example.org").await;
    let (status, location, body) = post_form(
        &api.app,
        "/admin/contacts/agency",
        &[
            ("csrf_token", &csrf),
            ("kind", "agency"),
            ("name", "The Agency"),
            ("phone_number", "(202) 555-0142"),
            ("phone_kind", "main"),
            ("phone_note", ""),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin/contacts/agency?done=1"));
    let a = api
        .send("GET", "/api/v1/actions/call-the-agency", None, None)
        .await;
    assert_eq!(
        a.json["targets"][0]["phones"][0]["e164"], "+12025550142",
        "the published action calls the new number: {}",
        a.json
    );

    let a = api
        .call("POST", "/api/v1/actions/attend-the-hearing/expire", None)
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["status"], "expired");

    let u = api
        .call(
            "POST",
            "/api/v1/campaigns/alpha/updates",
            Some(json!({"title": "5/29 Update", "body": "What happened today."})),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.json);

    // A draft created and edited, and left a draft: never mailed.
    let d = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": "alpha", "kind": "call", "title": "Secret draft"})),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.json);
    let d = api
        .call(
            "PATCH",
            "/api/v1/actions/secret-draft",
            Some(json!({"summary": "Still secret"})),
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.json);
}

pub fn env_for(app: &TestApp, smtp: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", app.database_url.clone()),
        ("BASE_URL", app.address.clone()),
        ("SMTP_URL", smtp.to_string()),
        ("MAIL_RETRY_SECS", "1".into()),
        ("MAIL_CLAIM_LEASE_SECS", "2".into()),
        // These tests run each digest right after the changes it carries.
        ("DIGEST_QUIET_SECS", "0".into()),
        (
            "SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789".into(),
        ),
    ]
}

/// Runs `actiondesk digest run` to the end; returns its summary line.
pub fn digest_run(env: &[(&'static str, String)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_actiondesk"))
        .args(["digest", "run"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "digest run failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.trim().to_string()
}

pub async fn app_with(smtp: &str) -> TestApp {
    spawn_with(Spawn {
        env: vec![
            ("SMTP_URL", smtp.to_string()),
            ("MAIL_RETRY_SECS", "1".into()),
            ("DIGEST_QUIET_SECS", "0".into()),
        ],
        ..Spawn::default()
    })
    .await
}

pub async fn subscribe(app: &TestApp, body: &str) -> (u16, String) {
    let r = app
        .client
        .post(format!("{}/subscribe", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The first link in `text` to `path` (`/subscribe/confirm`, `/unsubscribe`, …), as a path.
pub fn link(app: &TestApp, text: &str, path: &str) -> String {
    let start = text
        .find(&format!("{}{path}", app.address))
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
        .collect();
    url.trim_start_matches(&app.address).to_string()
}

pub fn to(mails: &[Mail], addr: &str) -> Vec<Mail> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == addr))
        .cloned()
        .collect()
}

pub fn digests_to(mails: &[Mail], addr: &str) -> Vec<Mail> {
    to(mails, addr)
        .into_iter()
        .filter(|m| m.subject.contains(':'))
        .collect()
}

#[tokio::test]
async fn subscribe_confirm_digest_and_one_click_unsubscribe() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let api = with_token(app_with(&mail.smtp_url()).await).await;
    let app = &api.app;
    app.with_db(fixture).await;
    let env = env_for(app, &mail.smtp_url());

    // The form is on the home page and at /subscribe.
    let (_, home) = app.get("/").await;
    assert!(home.contains(r#"action="/subscribe""#), "{home}");
    let (status, form) = app.get("/subscribe").await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"value="alpha""#) && form.contains(r#"value="beta""#));

    // Bad input keeps what was typed and names the field.
    let (status, page) = subscribe(app, "email=not-an-address&campaign=alpha").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("not-an-address") && page.contains("email-error"),
        "{page}"
    );
    let (status, page) = subscribe(app, "email=x%40example.org&campaign=nope").await;
    assert_eq!(status, 422);
    assert!(page.contains("no campaign is called"), "{page}");

    let (status, new_page) = subscribe(
        app,
        "email=alice%40example.org&campaign=alpha&frequency=immediate",
    )
    .await;
    assert_eq!(status, 200);
    assert!(new_page.contains("Check your inbox"));
    let (status, _) = subscribe(app, "email=bob%40example.org&campaign=beta").await;
    assert_eq!(status, 200);
    // Dave follows alpha too, and stays: the control for alice's unsubscribing.
    let (status, _) = subscribe(app, "email=dave%40example.org&campaign=alpha").await;
    assert_eq!(status, 200);
    let all = mail
        .wait_for("three confirmation emails", |m| m.len() >= 3)
        .await;
    for who in ["alice@example.org", "bob@example.org", "dave@example.org"] {
        let c = to(&all, who);
        assert_eq!(c.len(), 1, "{who}: {c:?}");
        assert!(c[0].subject.contains("Confirm"), "{}", c[0].subject);
        assert!(!c[0].html.is_empty(), "HTML part");
        let confirm = link(app, &c[0].text, "/subscribe/confirm");
        let (status, page) = app.get(&confirm).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("You are subscribed"), "{page}");
        let (status, _) = app.get(&confirm).await;
        assert_eq!(status, 200, "confirming twice is fine");
    }
    let (status, _) = app.get("/subscribe/confirm?token=deadbeef").await;
    assert_eq!(status, 404);

    // No enumeration: a known (active) address and an unknown one get the same answer.
    let (s1, known) = subscribe(app, "email=alice%40example.org&campaign=alpha").await;
    let (s2, unknown) = subscribe(app, "email=carol%40example.org&campaign=alpha").await;
    assert_eq!((s1, &known), (s2, &unknown));
    let all = mail
        .wait_for("the already-subscribed note", |m| {
            to(m, "alice@example.org")
                .iter()
                .any(|m| m.subject.contains("already subscribed"))
                && !to(m, "carol@example.org").is_empty()
        })
        .await;
    assert!(to(&all, "alice@example.org").iter().any(
        |m| m.subject.contains("already subscribed") && m.text.contains("/preferences?token=")
    ));

    // Nothing changed since confirming: nothing to send.
    assert_eq!(
        digest_run(&env),
        "digests: composed 0, sent 0, failed 0, pending 0"
    );

    organizer_changes(&api).await;
    assert_eq!(
        digest_run(&env),
        "digests: composed 2, sent 2, failed 0, pending 0"
    );
    let all = mail
        .wait_for("alice's and dave's digests", |m| {
            digests_to(m, "alice@example.org").len() == 1
                && digests_to(m, "dave@example.org").len() == 1
        })
        .await;
    let d = &digests_to(&all, "alice@example.org")[0];
    assert_eq!(digests_to(&all, "dave@example.org")[0].subject, d.subject);
    assert_eq!(
        d.subject,
        "Alpha campaign: 1 new action, 1 changed, 1 ended, 1 update"
    );
    for part in [&d.text, &d.html] {
        for want in [
            "Sign the new petition",
            "Call the agency",
            "new phone number",
            "Attend the hearing",
            "5/29 Update",
        ] {
            assert!(part.contains(want), "{want} missing from {part}");
        }
        assert!(!part.contains("Secret draft") && !part.contains("Beta action"));
    }
    assert!(
        d.text.contains("- Call the agency: new phone number"),
        "the change is said: {}",
        d.text
    );
    let src = mail.source(&d.id).await;
    let unsub_url = link(app, &d.text, "/unsubscribe");
    assert!(
        src.contains(&format!("List-Unsubscribe: <{}{unsub_url}>", app.address)),
        "{src}"
    );
    assert!(src.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(src.contains("List-Id: "));
    assert!(src.contains("multipart/alternative"));
    // A Message-ID names no subscriber and no count: 32 hex digits under the site's key.
    let local = d
        .message_id
        .trim_start_matches('<')
        .split('@')
        .next()
        .unwrap();
    assert!(
        local.len() == 32 && local.bytes().all(|b| b.is_ascii_hexdigit()),
        "{}",
        d.message_id
    );
    // Links work.
    for path in [
        "/actions/",
        "/campaigns/alpha",
        "/preferences",
        "/unsubscribe",
    ] {
        let l = link(app, &d.text, path);
        let (status, _) = app.get(&l).await;
        assert_eq!(status, 200, "{l}");
    }
    // Bob follows only beta, where nothing changed; carol never confirmed.
    assert!(digests_to(&all, "bob@example.org").is_empty());
    assert!(digests_to(&all, "carol@example.org").is_empty());

    // RFC 8058 one-click unsubscribe stops the next digest; repeating it is harmless.
    for _ in 0..2 {
        let r = app
            .client
            .post(format!("{}{unsub_url}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let a = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": "alpha", "kind": "call", "title": "One more"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    let a = api
        .call("POST", "/api/v1/actions/one-more/publish", None)
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0",
        "dave's digest only"
    );
    let all = mail
        .wait_for("dave's second digest", |m| {
            digests_to(m, "dave@example.org").len() == 2
        })
        .await;
    assert_eq!(digests_to(&all, "alice@example.org").len(), 1);
    // Dave's second digest has the new change and none he was already sent.
    let second = digests_to(&all, "dave@example.org")
        .into_iter()
        .find(|m| m.text.contains("One more"))
        .expect("a second digest naming the new action");
    assert_eq!(second.subject, "Alpha campaign: 1 new action");
    for old in [
        "Sign the new petition",
        "Call the agency",
        "Attend the hearing",
        "5/29 Update",
    ] {
        assert!(
            !second.text.contains(old),
            "{old} sent twice: {}",
            second.text
        );
    }
}

#[tokio::test]
async fn preferences_change_campaigns_and_frequency() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(fixture).await;
    subscribe(&app, "email=dana%40example.org").await;
    let all = mail.wait_for("confirmation", |m| !m.is_empty()).await;
    let (_, page) = app
        .get(&link(&app, &all[0].text, "/subscribe/confirm"))
        .await;
    let start = page
        .find("/preferences?token=")
        .expect("a preferences link");
    let prefs: String = page[start..].chars().take_while(|c| *c != '"').collect();
    let (status, page) = app.get(&prefs).await;
    assert_eq!(status, 200);
    assert!(page.contains("dana@example.org"));
    let r = app
        .client
        .post(format!("{}{prefs}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("campaign=beta&frequency=weekly")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-store"));
    let page = r.text().await.unwrap();
    assert!(page.contains("Saved"));
    let s = app
        .with_db(|c| Ok(subscribers::find(c, "dana@example.org")?.unwrap()))
        .await;
    assert_eq!(s.frequency, "weekly");
    let follows = app
        .with_db(move |c| subscribers::campaigns_of(c, &[s.id]))
        .await;
    assert_eq!(follows[&s.id].len(), 1);
    let (status, _) = app.get("/preferences?token=0000").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn email_links_are_found_by_their_row_and_checked_against_a_stored_hash() {
    use actiondesk::db::schema::subscriber_tokens;
    use actiondesk::security::{new_token, split, token_hash};
    use diesel::prelude::*;
    let app = crate::helpers::spawn_app().await;
    let (id, token) = app
        .with_db(|c| {
            write_tx(c, |c| {
                let email = EmailAddress::parse("erin@example.org").unwrap();
                let subscribers::Subscribed::Confirm { token, .. } =
                    subscribers::subscribe(c, &email, &[], Frequency::Immediate, db::now())?
                else {
                    panic!("a new address");
                };
                let (s, manage) = subscribers::confirm(c, &token, db::now())?.expect("confirms");
                Ok((s.id, manage.expect("the confirming visit makes a token")))
            })
        })
        .await;
    let probe = token.clone();
    let row = app
        .with_db(move |c| subscribers::token_row(c, &probe))
        .await
        .expect("a token names its row");
    let verifier = &token[16..];
    let (status, page) = app.get(&format!("/preferences?token={token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("erin@example.org"));
    // Only the verifier's hash is stored, in the row the token names.
    let stored: (i32, String, bool) = app
        .with_db(move |c| {
            Ok(subscriber_tokens::table
                .find(row)
                .select((
                    subscriber_tokens::subscriber_id,
                    subscriber_tokens::token_hash,
                    subscriber_tokens::legacy,
                ))
                .first(c)?)
        })
        .await;
    assert_eq!(stored, (id, token_hash(verifier), false));
    // Another verifier for the same row, or this verifier for another row, opens nothing.
    let last = if token.ends_with('0') { "1" } else { "0" };
    let forged = [
        format!("{}{last}", &token[..63]),
        split::token(row - 1, verifier),
        split::token(row + 1, verifier),
    ];
    for f in forged {
        let (status, _) = app.get(&format!("/preferences?token={f}")).await;
        assert_eq!(status, 404, "{f}");
    }
    // A link from before tokens named their rows (the whole token hashed) still works.
    let old = new_token();
    let hash = token_hash(&old);
    app.with_db(move |c| {
        diesel::insert_into(subscriber_tokens::table)
            .values((
                subscriber_tokens::subscriber_id.eq(id),
                subscriber_tokens::token_hash.eq(hash),
                subscriber_tokens::purpose.eq("manage"),
                subscriber_tokens::created_at.eq(db::now()),
                subscriber_tokens::legacy.eq(true),
            ))
            .execute(c)?;
        Ok(())
    })
    .await;
    let (status, page) = app.get(&format!("/preferences?token={old}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("erin@example.org"));
}

#[tokio::test]
async fn subscribing_is_rate_limited_per_address() {
    let app = spawn_with(Spawn::default()).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(subscribe(&app, "email=eve%40example.org").await.0);
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert_eq!(statuses[4], 429, "{statuses:?}");
}

#[tokio::test]
async fn without_smtp_every_email_is_an_eml_file() {
    let app = spawn_with(Spawn::default()).await;
    subscribe(&app, "email=frank%40example.org").await;
    let dir = app.dir.path().join("mail");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if let Some(f) = files
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            let text = std::fs::read_to_string(f).unwrap();
            assert!(
                text.contains("Subject: Confirm your subscription"),
                "{text}"
            );
            assert!(text.contains("To: frank@example.org"));
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no .eml file in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `n` confirmed subscribers to every campaign, straight through the database.
pub fn confirmed_subscribers(conn: &mut DbConn, n: usize) -> db::Result<()> {
    write_tx(conn, |conn| {
        for i in 0..n {
            let email = EmailAddress::parse(&format!("s{i}@example.org")).unwrap();
            let subscribers::Subscribed::Confirm { token, .. } =
                subscribers::subscribe(conn, &email, &[], Frequency::Immediate, db::now())?
            else {
                panic!("a new address");
            };
            subscribers::confirm(conn, &token, db::now())?.expect("confirms");
        }
        Ok(())
    })
}

/// Publishes an action in campaign "alpha" (creating the campaign if need be).
pub fn publish_one(conn: &mut DbConn, title: &str) -> db::Result<()> {
    write_tx(conn, |conn| {
        let c = match campaigns::find(conn, "alpha")? {
            Some(c) => c.id,
            None => fixtures::campaign(conn, "alpha", "Alpha campaign")?,
        };
        published(conn, &action(c, title))?;
        Ok(())
    })
}

/// Per address: how many emails, and how many distinct Message-IDs.
pub fn per_address(mails: &[Mail]) -> HashMap<String, (usize, HashSet<String>)> {
    let mut m: HashMap<String, (usize, HashSet<String>)> = HashMap::new();
    for mail in mails {
        for t in &mail.to {
            let e = m.entry(t.clone()).or_default();
            e.0 += 1;
            e.1.insert(mail.message_id.clone());
        }
    }
    m
}

/// The four counts of a summary line `digests: composed N, sent N, failed N, pending N`.
fn counts(line: &str) -> [usize; 4] {
    let nums: Vec<usize> = line
        .trim_start_matches("digests:")
        .split(',')
        .map(|part| {
            part.split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("not a summary line: {line}"))
        })
        .collect();
    nums.try_into()
        .unwrap_or_else(|_| panic!("not a summary line: {line}"))
}

/// Runs `digest run` again until nothing is pending (retries wait 1 s, then 2 s, …);
/// these runs compose nothing new.
async fn run_until_nothing_pending(env: &[(&'static str, String)]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let line = digest_run(env);
        assert!(line.starts_with("digests: composed 0,"), "{line}");
        if line.ends_with("pending 0") {
            return;
        }
        assert!(Instant::now() < deadline, "still pending: {line}");
    }
}

#[tokio::test]
async fn smtp_down_for_a_whole_run_keeps_every_digest_pending_then_delivers_each_once() {
    let Some(mut mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, 20)).await;
    app.with_db(|c| publish_one(c, "While the server is down"))
        .await;
    let env = env_for(&app, &mail.smtp_url());
    mail.stop();
    let line = digest_run(&env);
    assert_eq!(line, "digests: composed 20, sent 0, failed 20, pending 20");
    mail.resume().await;
    run_until_nothing_pending(&env).await;
    let got = per_address(&mail.emails().await);
    assert_eq!(got.len(), 20);
    assert!(got.values().all(|(n, _)| *n == 1), "{got:?}");
}

/// The SMTP server goes away in the middle of a run of 600 digests — after the 150th
/// message has reached it, cutting the connections in flight and refusing new ones — and
/// comes back later. The run still ends, leaving the rest pending; once the server is back,
/// later runs deliver every one of them.
///
/// Fails if delivery marks a message sent that the server never accepted (the server then
/// has fewer than were marked, and some address never gets its digest), if a transient
/// failure is dropped or given up instead of retried (an address gets nothing), if a
/// message the server acknowledged is sent again, or if the run hangs on the dead server.
/// The only re-sends allowed are of messages the server took in full but whose reply the
/// cut connection never delivered: each under its original Message-ID, at most one per
/// connection.
#[tokio::test]
async fn smtp_server_stopped_mid_run_loses_nothing_and_each_digest_arrives_once_back() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    const N: usize = 600;
    const CUT_AFTER: usize = N / 4;
    const POOL: usize = 4;
    let mut gate = SmtpGate::open(mail.smtp_port);
    let app = app_with(&gate.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, N)).await;
    app.with_db(|c| publish_one(c, "While the server goes away"))
        .await;
    let mut env = env_for(&app, &gate.smtp_url());
    env.push(("SMTP_POOL_SIZE", POOL.to_string()));

    gate.shut_after(CUT_AFTER);
    let logs = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_actiondesk"))
        .args(["digest", "run"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(logs.reopen().unwrap())
        .spawn()
        .unwrap();
    assert!(
        gate.wait_shut(Duration::from_secs(60)),
        "the run never got {CUT_AFTER} messages through ({} did)",
        gate.messages()
    );
    let cut_at = started.elapsed();
    // The run ends by itself: what the dead server did not take is left to retry.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(90) {
            child.kill().unwrap();
            panic!("digest run still going 90 s after it started, the server gone");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ran_for = started.elapsed();
    let mut line = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut line).unwrap();
    let line = line.trim().to_string();
    assert!(
        status.success(),
        "digest run failed ({status}): {line}{}",
        std::fs::read_to_string(logs.path()).unwrap_or_default()
    );
    let [composed, sent, failed, pending] = counts(&line);
    assert_eq!(composed, N, "{line}");
    assert!(
        sent > 0 && pending > 0,
        "some sent, the rest pending: {line}"
    );
    assert_eq!(sent + pending, N, "every digest is sent or pending: {line}");
    assert!(failed >= pending, "{line}");

    // What the server holds: every message marked sent, plus at most one per connection
    // that it took in full while the cut kept its reply from the sender.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = mail.count().await;
    assert!(
        received >= sent,
        "{sent} marked sent, but the server only has {received}"
    );
    let unacknowledged = received - sent;
    assert!(
        unacknowledged <= POOL,
        "{unacknowledged} taken without a reply, more than the {POOL} connections"
    );
    assert!(received < N, "the server went away before it had them all");

    // The server comes back; retries deliver the rest.
    gate.reopen();
    run_until_nothing_pending(&env).await;
    let mails = mail
        .wait_for("every digest", |m| per_address(m).len() >= N)
        .await;
    let got = per_address(&mails);
    assert_eq!(got.len(), N, "every address got its digest");
    assert!(
        got.values().all(|(_, ids)| ids.len() == 1),
        "an address got two different digests"
    );
    let resends: usize = got.values().map(|(n, ids)| n - ids.len()).sum();
    assert_eq!(
        resends, unacknowledged,
        "re-sent: exactly the messages taken without a reply"
    );
    assert_eq!(mails.len(), N + unacknowledged);
    eprintln!(
        "SMTP stopped mid-run: cut after {CUT_AFTER} messages at {cut_at:?}; the run ended at \
         {ran_for:?} with {line:?}; server had {received}; re-sent after the cut: {resends}"
    );
}

#[tokio::test]
async fn sigkill_mid_run_then_the_next_run_delivers_the_rest_once() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    const N: usize = 1000;
    app.with_db(|c| confirmed_subscribers(c, N)).await;
    app.with_db(|c| publish_one(c, "A thousand digests")).await;
    let mut env = env_for(&app, &mail.smtp_url());
    env.push(("SMTP_POOL_SIZE", "4".into()));
    // At normal priority: behind the other tests running beside it, a niced run marks its
    // sent messages late, and more of them would be re-sent than the claims in flight.
    env.push(("DIGEST_NICE", "0".into()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_actiondesk"))
        .args(["digest", "run"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut at_kill = 0;
    while Instant::now() < deadline {
        at_kill = mail.count().await;
        if at_kill >= N / 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().unwrap();
    let after_kill = mail.count().await;
    tokio::time::sleep(Duration::from_millis(2500)).await; // the claim lease
    let line = digest_run(&env);
    assert!(line.ends_with("failed 0, pending 0"), "{line}");
    // Sending overlaps composing, so the killed run may have left digests to compose; the
    // next run composes exactly those: one outbox row per subscriber, never two.
    let digests: Vec<i32> = app
        .with_db(|c| {
            use actiondesk::db::schema::outbox;
            use diesel::prelude::*;
            Ok(outbox::table
                .filter(outbox::kind.eq("digest"))
                .select(outbox::subscriber_id.assume_not_null())
                .load(c)?)
        })
        .await;
    assert_eq!(
        digests.len(),
        N,
        "one digest composed per subscriber: {line}"
    );
    assert_eq!(digests.iter().collect::<HashSet<_>>().len(), N, "{line}");
    let mails = mail
        .wait_for("every digest", |m| per_address(m).len() >= N)
        .await;
    let got = per_address(&mails);
    assert_eq!(got.len(), N, "every address got its digest");
    let resends: usize = got.values().map(|(n, ids)| n - ids.len()).sum();
    assert!(
        got.values().all(|(_, ids)| ids.len() == 1),
        "an address got two different digests"
    );
    eprintln!(
        "SIGKILL test: killed with {at_kill}..{after_kill} of {N} delivered; same-Message-ID re-sends: {resends}"
    );
    assert!(
        resends <= 8,
        "re-sends limited to in-flight messages: {resends}"
    );
}

#[tokio::test]
async fn two_workers_at_once_send_each_digest_once() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    const N: usize = 300;
    app.with_db(|c| confirmed_subscribers(c, N)).await;
    app.with_db(|c| publish_one(c, "Raced")).await;
    let mut env = env_for(&app, &mail.smtp_url());
    // No worker dies here: a lease long enough that a slow machine never reclaims.
    env.retain(|(k, _)| *k != "MAIL_CLAIM_LEASE_SECS");
    env.push(("MAIL_CLAIM_LEASE_SECS", "60".into()));
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_actiondesk"))
            .args(["digest", "run"])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stderr(Stdio::null())
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert!(a.status.success() && b.status.success());
    let mails = mail
        .wait_for("every digest", |m| per_address(m).len() >= N)
        .await;
    let got = per_address(&mails);
    assert_eq!(got.len(), N);
    assert!(
        got.values().all(|(n, _)| *n == 1),
        "someone got two: {:?} / {:?}",
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&b.stdout)
    );
}

/// A sender renews a claim grown old only while it still holds it: once another worker
/// has taken the message over (its lease ran out), the first may no longer send it.
#[tokio::test]
async fn an_old_claim_is_renewed_only_by_the_worker_still_holding_it() {
    use actiondesk::db::outbox::{self, Content, NewMessage};
    let app = crate::helpers::spawn_app().await;
    let (first, second, renewed, stolen, taken, renewed_after) = app
        .with_db(|c| {
            let t0 = db::now();
            let lease = chrono::Duration::seconds(60);
            let id = outbox::enqueue(
                c,
                &NewMessage {
                    dedupe_key: "test:renew".into(),
                    subscriber_id: None,
                    kind: actiondesk::domain::MessageKind::Confirm,
                    first_change_id: None,
                    last_change_id: None,
                    to_addr: "ana@example.org".into(),
                    subject: "Renew".into(),
                    content: Content::Own {
                        text: "t".into(),
                        html: "<p>h</p>".into(),
                    },
                    message_id: "<renew@example.org>".into(),
                    headers: vec![],
                },
                t0,
            )?;
            let first = outbox::claim(c, "w1", 10, t0, lease, None)?;
            let at = first[0].claimed_at.unwrap();
            // 40 s on: more than half the lease, so w1 renews before sending.
            let renewed = outbox::renew(c, id, "w1", at, t0 + chrono::Duration::seconds(40))?;
            // w2 finds nothing to take while w1's renewed claim holds ...
            let second =
                outbox::claim(c, "w2", 10, t0 + chrono::Duration::seconds(90), lease, None)?;
            // ... and takes it over once that lease has run out too.
            let taken = outbox::claim(
                c,
                "w2",
                10,
                t0 + chrono::Duration::seconds(200),
                lease,
                None,
            )?;
            let new_at = outbox::get(c, id)?.claimed_at.unwrap();
            let stolen = outbox::renew(c, id, "w1", new_at, t0 + chrono::Duration::seconds(210))?;
            let renewed_after =
                outbox::renew(c, id, "w1", at, t0 + chrono::Duration::seconds(210))?;
            Ok((
                first.len(),
                second.len(),
                renewed,
                stolen,
                taken.len(),
                renewed_after,
            ))
        })
        .await;
    assert_eq!(first, 1, "w1 claims the message");
    assert!(renewed, "w1 still holds it and renews");
    assert_eq!(second, 0, "a renewed claim is not taken over");
    assert_eq!(taken, 1, "an expired claim is taken over");
    assert!(!stolen, "w1 cannot renew w2's claim");
    assert!(!renewed_after, "nor its own old one, once taken over");
}
