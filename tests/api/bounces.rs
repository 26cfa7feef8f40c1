//! Bounces and complaints: real-shaped DSNs and ARF reports through the real
//! `actiondesk bounces process`, the provider webhook `POST /api/v1/bounces`, the soft-bounce
//! window, suppression on `/admin/mail` and lifting it, VERP return paths on what MailDev
//! receives, and no digest for a suppressed address.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use actiondesk::db::{self, bounces, changes, subscribers, write_tx, DbConn};
use actiondesk::domain::{BounceKind, EmailAddress, Frequency, SubscriberStatus};
use actiondesk::mail::verp::Verp;
use serde_json::json;

use crate::admin_support::{organizer, post_form, sign_in};
use crate::api_support::with_token;
use crate::digests::{digest_run, env_for};
use crate::fixtures::{self, action, published};
use crate::helpers::{spawn_app, spawn_with, Spawn, TestApp};
use crate::mailbox::MailDev;

const SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";
const BOUNCE_ADDRESS: &str = "bounces@lists.example.org";

/// A sample report from tests/fixtures/bounces.
fn sample(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/bounces/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs `actiondesk bounces process` on the app's database with `stdin`, `BOUNCE_ADDRESS`
/// set when `verp` is.
fn process(app: &TestApp, stdin: &[u8], verp: bool) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_actiondesk"));
    cmd.args(["bounces", "process"])
        .env("DATABASE_URL", &app.database_url)
        .env("SECRET_KEY", SECRET)
        .env("MAIL_DIR", dir.path().join("mail"))
        .env("RUST_LOG", "warn")
        .env_remove("BOUNCE_ADDRESS")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if verp {
        cmd.env("BOUNCE_ADDRESS", BOUNCE_ADDRESS);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `bounces process` succeeded; its line.
fn processed(app: &TestApp, stdin: &str, verp: bool) -> String {
    let o = process(app, stdin.as_bytes(), verp);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Confirmed subscribers to everything; their ids, in order.
fn confirmed(conn: &mut DbConn, emails: &[&str]) -> db::Result<Vec<i32>> {
    write_tx(conn, |conn| {
        let mut ids = Vec::new();
        for e in emails {
            let email = EmailAddress::parse(e).unwrap();
            let subscribers::Subscribed::Confirm { token, .. } =
                subscribers::subscribe(conn, &email, &[], Frequency::Immediate, db::now())?
            else {
                panic!("a new address");
            };
            let (s, _) = subscribers::confirm(conn, &token, db::now())?.expect("confirms");
            ids.push(s.id);
        }
        Ok(ids)
    })
}

async fn statuses(app: &TestApp, ids: &[i32]) -> Vec<SubscriberStatus> {
    let ids = ids.to_vec();
    app.with_db(move |c| {
        ids.iter()
            .map(|id| Ok(subscribers::get(c, *id)?.expect("subscriber").status))
            .collect()
    })
    .await
}

async fn events(app: &TestApp, id: i32) -> Vec<(BounceKind, String, String)> {
    app.with_db(move |c| {
        Ok(bounces::suppressed(c, 100)?
            .into_iter()
            .filter(|s| s.subscriber_id == id)
            .map(|s| {
                (
                    s.kind.expect("a kind"),
                    s.reason,
                    s.at.map(|a| a.to_string()).unwrap_or_default(),
                )
            })
            .collect())
    })
    .await
}

use SubscriberStatus::{Active, Bounced};

#[tokio::test]
async fn each_sample_report_suppresses_its_subscriber_and_no_one_else() {
    let app = spawn_app().await;
    let ids = app
        .with_db(|c| {
            confirmed(
                c,
                &[
                    "gone@example.net",
                    // Stored as typed; the report writes it in lower case.
                    "No.Such.Person.4711@gmail.com",
                    "reader.one@aol.com",
                    "full.box@example.com",
                    "bystander@example.net",
                ],
            )
        })
        .await;

    let line = processed(&app, &sample("postfix-hard-5.1.1.eml"), false);
    assert!(
        line.contains("gone@example.net") && line.contains("suppressed"),
        "{line}"
    );
    assert_eq!(
        statuses(&app, &ids).await,
        [Bounced, Active, Active, Active, Active]
    );
    let e = events(&app, ids[0]).await;
    assert_eq!(e[0].0, BounceKind::Hard);
    assert!(
        e[0].1.starts_with("5.1.1 smtp; 550 5.1.1") && e[0].1.contains("User unknown"),
        "{e:?}"
    );

    let line = processed(&app, &sample("gmail-hard.eml"), false);
    assert!(line.contains("suppressed"), "{line}");
    assert_eq!(
        statuses(&app, &ids).await,
        [Bounced, Bounced, Active, Active, Active]
    );
    assert!(events(&app, ids[1]).await[0]
        .1
        .contains("The email account that you tried to reach does not exist"));

    let line = processed(&app, &sample("aol-arf-complaint.eml"), false);
    assert!(
        line.contains("complaint") && line.contains("suppressed"),
        "{line}"
    );
    assert_eq!(
        statuses(&app, &ids).await,
        [Bounced, Bounced, Bounced, Active, Active]
    );
    let e = events(&app, ids[2]).await;
    assert_eq!(e[0].0, BounceKind::Complaint);
    assert!(e[0].1.contains("abuse") && e[0].1.contains("AOL"), "{e:?}");

    // One delayed (4.2.2) notice is counted, not suppressed.
    let line = processed(&app, &sample("postfix-soft-4.2.2-delayed.eml"), false);
    assert!(
        line.contains("soft bounce") && line.contains("not suppressed"),
        "{line}"
    );
    assert_eq!(
        statuses(&app, &ids).await,
        [Bounced, Bounced, Bounced, Active, Active]
    );

    // A report about nobody we know changes nothing, and still exits 0.
    let stranger = sample("postfix-hard-5.1.1.eml").replace("gone@example.net", "who@else.org");
    let line = processed(&app, &stranger, false);
    assert!(line.contains("no known subscriber"), "{line}");
}

#[tokio::test]
async fn three_soft_bounces_within_14_days_suppress_two_do_not_and_older_ones_do_not_count() {
    let api = with_token(spawn_app().await).await;
    let app = &api.app;
    let ids = app
        .with_db(|c| confirmed(c, &["full.box@example.com", "other@example.com"]))
        .await;
    let id = ids[0];
    // A soft bounce 20 days ago, then two now: not three within 14 days.
    app.with_db(move |c| {
        let at = db::now() - chrono::Duration::days(20);
        write_tx(c, |c| {
            bounces::record(c, id, BounceKind::Soft, "old", "api", at)
        })
    })
    .await;
    for _ in 0..2 {
        processed(app, &sample("postfix-soft-4.2.2-delayed.eml"), false);
    }
    assert_eq!(statuses(app, &ids).await, [Active, Active]);
    // The third within the window (here from the webhook) suppresses.
    let a = api
        .call(
            "POST",
            "/api/v1/bounces",
            Some(
                json!({"email": "full.box@example.com", "kind": "soft", "reason": "mailbox full"}),
            ),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.json);
    assert_eq!(statuses(app, &ids).await, [Bounced, Active]);
    let e = events(app, id).await;
    assert_eq!(e[0].0, BounceKind::Soft);
    assert!(e[0].1.contains("mailbox full"), "{e:?}");
}

#[tokio::test]
async fn the_webhook_suppresses_and_answers_alike_for_unknown_addresses() {
    let api = with_token(spawn_app().await).await;
    let app = &api.app;
    let ids = app
        .with_db(|c| {
            confirmed(
                c,
                &[
                    "hard@example.org",
                    "complains@example.org",
                    "soft@example.org",
                ],
            )
        })
        .await;
    let post = |email: &'static str, kind: &'static str| {
        let body = json!({"email": email, "kind": kind});
        let api = &api;
        async move { api.call("POST", "/api/v1/bounces", Some(body)).await }
    };
    let known = post("hard@example.org", "hard").await;
    assert_eq!(known.status, 202, "{}", known.json);
    let unknown = post("nobody@example.org", "hard").await;
    assert_eq!(unknown.status, 202, "{}", unknown.json);
    assert_eq!(
        known.json.as_object().unwrap().keys().collect::<Vec<_>>(),
        unknown.json.as_object().unwrap().keys().collect::<Vec<_>>(),
        "the answer does not tell a subscriber from a stranger"
    );
    assert_eq!(unknown.json["kind"], "hard");
    assert_eq!(post("complains@example.org", "complaint").await.status, 202);
    assert_eq!(post("soft@example.org", "soft").await.status, 202);
    assert_eq!(statuses(app, &ids).await, [Bounced, Bounced, Active]);

    let bad = post("soft@example.org", "bouncy").await;
    assert_eq!(
        (bad.status, bad.field()),
        (422, Some("kind")),
        "{}",
        bad.json
    );
    let bad = post("not an address", "hard").await;
    assert_eq!(
        (bad.status, bad.field()),
        (422, Some("email")),
        "{}",
        bad.json
    );
    let none = api
        .send(
            "POST",
            "/api/v1/bounces",
            None,
            Some(json!({"email": "soft@example.org", "kind": "hard"})),
        )
        .await;
    assert_eq!(none.status, 401);
    assert_eq!(statuses(app, &ids).await, [Bounced, Bounced, Active]);
}

#[tokio::test]
async fn unreadable_input_exits_2_naming_the_problem_and_other_mail_is_ignored() {
    let app = spawn_app().await;
    for input in [&b""[..], b"\x00\x01\x02\xff\xfe\x00 not mail"] {
        let o = process(&app, input, false);
        assert_eq!(o.status.code(), Some(2), "{}", out(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("unreadable input"),
            "{}",
            out(&o)
        );
    }
    let line = processed(
        &app,
        "From: someone@example.net\r\nTo: bounces@lists.example.org\r\nSubject: Out of office\r\n\r\nI am away.\r\n",
        false,
    );
    assert!(line.contains("ignored"), "{line}");
}

#[tokio::test]
async fn organizers_see_suppressions_with_their_reason_and_can_lift_one() {
    let app = spawn_app().await;
    let ids = app
        .with_db(|c| confirmed(c, &["gone@example.net", "keep@example.net"]))
        .await;
    processed(&app, &sample("postfix-hard-5.1.1.eml"), false);
    organizer(&app, "ana@example.org", false).await;
    let csrf = sign_in(&app, "ana@example.org").await;
    let (status, page) = app.get("/admin/mail").await;
    assert_eq!(status, 200);
    let row = &page[page
        .find(&format!("id=\"suppressed-{}\"", ids[0]))
        .unwrap_or_else(|| panic!("no suppressed row:\n{page}"))..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("gone@example.net") && row.contains("Hard bounce"),
        "{row}"
    );
    assert!(
        row.contains("User unknown") && row.contains("<time"),
        "{row}"
    );
    assert!(!page.contains("keep@example.net"));

    // Without the form's token nothing happens.
    let id = ids[0].to_string();
    let (status, _, _) = post_form(&app, "/admin/mail/lift", &[("subscriber", &id)]).await;
    assert!(status == 403 || status == 400, "{status}");
    assert_eq!(statuses(&app, &ids).await, [Bounced, Active]);

    let (status, location, body) = post_form(
        &app,
        "/admin/mail/lift",
        &[("csrf_token", &csrf), ("subscriber", &id)],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert!(location.unwrap().starts_with("/admin/mail?lifted="));
    assert_eq!(statuses(&app, &ids).await, [Active, Active]);
    let (_, page) = app.get("/admin/mail").await;
    assert!(
        !page.contains(&format!("id=\"suppressed-{}\"", ids[0])),
        "{page}"
    );
    let audit = app.with_db(|c| changes::audit_recent(c, 5)).await;
    assert!(
        audit.iter().any(|a| a.verb == "lift_suppression"
            && a.entity_id == Some(ids[0])
            && a.actor == "ana@example.org"),
        "{audit:?}"
    );
}

/// Publishes an action in campaign "alpha" (creating it if need be).
fn publish_one(conn: &mut DbConn, title: &str) -> db::Result<()> {
    write_tx(conn, |conn| {
        let c = match actiondesk::db::campaigns::find(conn, "alpha")? {
            Some(c) => c.id,
            None => fixtures::campaign(conn, "alpha", "Alpha campaign")?,
        };
        published(conn, &action(c, title))?;
        Ok(())
    })
}

#[tokio::test]
async fn verp_return_paths_reach_the_server_and_map_a_rewritten_dsn_to_its_subscriber() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = spawn_with(Spawn {
        env: vec![("SMTP_URL", mail.smtp_url())],
        ..Spawn::default()
    })
    .await;
    let emails = ["ann@example.org", "bob@example.org", "cy@example.org"];
    let ids = app.with_db(move |c| confirmed(c, &emails)).await;
    app.with_db(|c| publish_one(c, "First call")).await;
    let mut env = env_for(&app, &mail.smtp_url());
    env.push(("BOUNCE_ADDRESS", BOUNCE_ADDRESS.into()));
    let line = digest_run(&env);
    assert!(line.starts_with("digests: composed 3, sent 3"), "{line}");

    let verp = Verp::new(&BOUNCE_ADDRESS.parse().unwrap(), SECRET.as_bytes());
    let got = mail.wait_for("three digests", |m| m.len() >= 3).await;
    let mut bob_return_path = None;
    for (email, id) in emails.iter().zip(&ids) {
        let m = got
            .iter()
            .find(|m| m.to.iter().any(|t| t == email))
            .unwrap_or_else(|| panic!("no mail to {email}"));
        assert!(
            m.from.starts_with("bounces+") && m.from.ends_with("@lists.example.org"),
            "envelope sender {:?}",
            m.from
        );
        assert!(
            !m.from.contains(&format!("+{id}@")),
            "the id shows: {}",
            m.from
        );
        assert_eq!(verp.subscriber_in(&m.from), Some(*id), "{}", m.from);
        if *email == "bob@example.org" {
            bob_return_path = Some(m.from.clone());
        }
    }

    // Bob's forwarder rewrote the recipient: only the return path names him.
    let dsn = sample("postfix-hard-verp-rewritten.eml")
        .replace("__RETURN_PATH__", &bob_return_path.unwrap());
    let without = processed(&app, &dsn, false);
    assert!(without.contains("no known subscriber"), "{without}");
    assert_eq!(statuses(&app, &ids).await, [Active, Active, Active]);
    let line = processed(&app, &dsn, true);
    assert!(
        line.contains("bob@example.org") && line.contains("suppressed"),
        "{line}"
    );
    assert_eq!(statuses(&app, &ids).await, [Active, Bounced, Active]);

    // The next digest goes to everyone else, not to Bob.
    app.with_db(|c| publish_one(c, "Second call")).await;
    let line = digest_run(&env);
    assert!(line.starts_with("digests: composed 2, sent 2"), "{line}");
    let got = mail.wait_for("five digests", |m| m.len() >= 5).await;
    let to_bob = got
        .iter()
        .filter(|m| m.to.iter().any(|t| t == "bob@example.org"))
        .count();
    assert_eq!(to_bob, 1, "only the digest before the bounce");
    let second: Vec<_> = got
        .iter()
        .filter(|m| m.text.contains("Second call"))
        .flat_map(|m| m.to.clone())
        .collect();
    assert_eq!(second.len(), 2, "{second:?}");
    assert!(!second.contains(&"bob@example.org".to_string()));
}

/// A loopback SMTP server that answers `550 5.1.1` to every recipient whose address
/// starts with `gone` and accepts everything else, offering PIPELINING or not; its URL and
/// the recipients it accepted.
fn refusing_smtp(pipelining: bool) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let accepted = kept.clone();
            std::thread::spawn(move || {
                let mut w = stream.try_clone().unwrap();
                let mut r = BufReader::new(stream);
                let mut say = |s: &str| w.write_all(s.as_bytes()).is_ok();
                say("220 refusing ESMTP\r\n");
                let (mut line, mut rcpt) = (String::new(), None::<String>);
                loop {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let upper = line.to_ascii_uppercase();
                    let ok = if upper.starts_with("EHLO") && pipelining {
                        say("250-refusing\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                    } else if upper.starts_with("EHLO") {
                        say("250-refusing\r\n250 8BITMIME\r\n")
                    } else if upper.starts_with("RCPT TO:") {
                        let to = line[8..].trim().trim_matches(['<', '>']).to_string();
                        if to.starts_with("gone") {
                            say("550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown\r\n")
                        } else {
                            rcpt = Some(to);
                            say("250 2.1.5 Ok\r\n")
                        }
                    } else if upper.starts_with("DATA") && rcpt.is_none() {
                        say("554 5.5.1 Error: no valid recipients\r\n")
                    } else if upper.starts_with("DATA") {
                        say("354 go on\r\n");
                        loop {
                            line.clear();
                            if r.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                        }
                        accepted.lock().unwrap().extend(rcpt.take());
                        say("250 2.0.0 queued\r\n")
                    } else if upper.starts_with("QUIT") {
                        say("221 bye\r\n");
                        return;
                    } else {
                        // MAIL, RSET, NOOP.
                        rcpt = None;
                        say("250 Ok\r\n")
                    };
                    if !ok {
                        return;
                    }
                }
            });
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn a_recipient_the_smtp_server_refuses_for_good_is_suppressed_at_once() {
    // Commands pipelined (RFC 2920) or one at a time: the same outcome.
    for pipelining in [true, false] {
        refused_once_then_suppressed(pipelining).await;
    }
}

async fn refused_once_then_suppressed(pipelining: bool) {
    let app = spawn_app().await;
    let ids = app
        .with_db(|c| confirmed(c, &["gone@example.net", "keep@example.net"]))
        .await;
    let (smtp, accepted) = refusing_smtp(pipelining);
    let env = env_for(&app, &smtp);
    app.with_db(|c| publish_one(c, "First call")).await;
    let line = digest_run(&env);
    assert!(
        line.starts_with("digests: composed 2, sent 1, failed 1, pending 0"),
        "{line}"
    );
    assert_eq!(*accepted.lock().unwrap(), ["keep@example.net"]);
    // One refusal is enough: a hard bounce, kept with the server's answer.
    assert_eq!(statuses(&app, &ids).await, [Bounced, Active]);
    let e = events(&app, ids[0]).await;
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, BounceKind::Hard);
    assert!(
        e[0].1.contains("550") && e[0].1.contains("User unknown"),
        "{}",
        e[0].1
    );

    // The next change reaches the other subscriber only, and nothing waits for the first.
    app.with_db(|c| publish_one(c, "Second call")).await;
    let line = digest_run(&env);
    assert!(
        line.starts_with("digests: composed 1, sent 1, failed 0, pending 0"),
        "{line}"
    );
    assert_eq!(
        *accepted.lock().unwrap(),
        ["keep@example.net", "keep@example.net"]
    );
}
