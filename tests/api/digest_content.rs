//! What digests say, read from a real SMTP server (MailDev): a new action with its summary,
//! number and deadline; each changed field with its new value (a number, a deadline in the
//! campaign's time zone); a dated update's text up to about 600 characters. Immediate
//! digests wait for a quiet spell, so one editing session makes one email. The
//! confirmation names what was subscribed to and a welcome email lists what is open.

use std::time::Duration;

use actiondesk::db::{actions, contacts, write_tx};
use serde_json::json;

use crate::api_support::{with_token, Api};
use crate::digests::{
    app_with, confirmed_subscribers, digest_run, digests_to, env_for, link, subscribe, to,
};
use crate::fixtures;
use crate::mailbox::{Mail, MailDev};

/// Campaign "alpha" (in New York's time zone) with the contact "agency" and the published
/// action "call-the-agency" calling it; and one subscriber, s0@example.org, following all.
async fn setup(api: &Api, subscriber: bool) {
    let c = api
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(
                json!({"title": "Alpha campaign", "summary": "For tests", "slug": "alpha",
                "timezone": "America/New_York"}),
            ),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.json);
    api.app
        .with_db(|conn| {
            write_tx(conn, |conn| {
                contacts::upsert(
                    conn,
                    &fixtures::contact("agency", "The Agency", "202-401-9246"),
                    &fixtures::organizer(),
                )?;
                Ok(())
            })
        })
        .await;
    if subscriber {
        api.app.with_db(|c| confirmed_subscribers(c, 1)).await;
    }
    let a = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(
                json!({"campaign": "alpha", "kind": "call", "title": "Call the agency",
                "summary": "Ask where the children are.",
                "targets": [{"contact": "agency"}],
                // 8 pm in New York.
                "expires_at": "2026-12-07T01:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    let p = api
        .call("POST", "/api/v1/actions/call-the-agency/publish", None)
        .await;
    assert_eq!(p.status, 200, "{}", p.json);
}

async fn digests(mail: &MailDev, n: usize) -> Vec<Mail> {
    let all = mail
        .wait_for("the digests", |m| {
            digests_to(m, "s0@example.org").len() >= n
        })
        .await;
    digests_to(&all, "s0@example.org")
}

/// The HTML without its tags' attributes: what a reader sees.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn a_digest_carries_each_change_with_its_new_value() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let api = with_token(app_with(&mail.smtp_url()).await).await;
    let env = env_for(&api.app, &mail.smtp_url());
    setup(&api, true).await;

    // A new action: its summary, first number (display and tel:), deadline in the
    // campaign's zone, and its link.
    assert_eq!(
        digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0"
    );
    let d = digests(&mail, 1).await.remove(0);
    for part in [&d.text, &d.html] {
        for want in [
            "Call the agency",
            "Ask where the children are.",
            "(202) 401-9246",
            "6 Dec",
            "8:00 pm EST",
            "/actions/call-the-agency",
        ] {
            assert!(part.contains(want), "{want} missing from {part}");
        }
    }
    assert!(d.text.contains("tel:+12024019246"), "{}", d.text);
    assert!(d.html.contains("href=\"tel:+12024019246\""), "{}", d.html);

    // Changes: a new deadline and location (API), a new number (the contact), and a dated
    // update longer than a digest carries.
    let a = api
        .call(
            "PATCH",
            "/api/v1/actions/call-the-agency",
            Some(json!({"expires_at": "2026-12-08T22:30:00Z", "location": "Room 5"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    api.app
        .with_db(|conn| {
            write_tx(conn, |conn| {
                let t = fixtures::organizer();
                let (c, fields) = contacts::upsert(
                    conn,
                    &fixtures::contact("agency", "The Agency", "(202) 555-0142"),
                    &t,
                )?;
                actions::contact_changed(conn, c.id, &fields, &t)?;
                Ok(())
            })
        })
        .await;
    let long = format!(
        "{} The last words of this update stay on the page.",
        "Families wait for news at the border every day. ".repeat(14)
    );
    assert!(long.chars().count() > 650);
    let u = api
        .call(
            "POST",
            "/api/v1/campaigns/alpha/updates",
            Some(json!({"title": "12/4 Update", "body": long})),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.json);
    assert_eq!(
        digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0"
    );
    let d = digests(&mail, 2)
        .await
        .into_iter()
        .find(|m| m.text.contains("12/4 Update"))
        .expect("the second digest");
    for part in [&d.text, &visible(&d.html)] {
        for want in [
            "new deadline: Tue 8 Dec",
            "5:30 pm EST",
            "new location",
            "Room 5",
            "new phone number",
            "(202) 555-0142",
            "Families wait for news at the border every day.",
            "12/4 Update",
        ] {
            assert!(part.contains(want), "{want} missing from {part}");
        }
        assert!(
            !part.contains("stay on the page"),
            "the update is cut at about 600 characters: {part}"
        );
    }
    assert!(
        d.text
            .contains("New number: (202) 555-0142 (tel:+12025550142)"),
        "{}",
        d.text
    );
    assert!(d.html.contains("href=\"tel:+12025550142\""), "{}", d.html);
    assert!(d.text.contains("Read on: "), "{}", d.text);
}

#[tokio::test]
async fn an_editing_session_makes_one_email_after_a_quiet_spell() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let api = with_token(app_with(&mail.smtp_url()).await).await;
    let mut env = env_for(&api.app, &mail.smtp_url());
    env.retain(|(k, _)| *k != "DIGEST_QUIET_SECS");
    env.push(("DIGEST_QUIET_SECS", "5".into()));
    env.push(("DIGEST_MAX_DELAY_SECS", "600".into()));
    setup(&api, true).await;
    // Three saves within a few seconds.
    for summary in ["First try.", "Second try.", "Third and last."] {
        let a = api
            .call(
                "PATCH",
                "/api/v1/actions/call-the-agency",
                Some(json!({ "summary": summary })),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert!(
            digest_run(&env).starts_with("digests: composed 0,"),
            "nothing while the organizer is still editing"
        );
    }
    tokio::time::sleep(Duration::from_millis(5_200)).await;
    assert_eq!(
        digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0"
    );
    let all = digests(&mail, 1).await;
    assert_eq!(all.len(), 1, "one email for the whole session");
    assert!(all[0].text.contains("Third and last."), "{}", all[0].text);
    assert!(!all[0].text.contains("Second try."), "{}", all[0].text);
    assert_eq!(
        digest_run(&env),
        "digests: composed 0, sent 0, failed 0, pending 0"
    );

    // An organizer who never stops: mailed at most DIGEST_MAX_DELAY_SECS after the first.
    env.retain(|(k, _)| !k.starts_with("DIGEST_"));
    env.push(("DIGEST_QUIET_SECS", "600".into()));
    env.push(("DIGEST_MAX_DELAY_SECS", "3".into()));
    let a = api
        .call(
            "PATCH",
            "/api/v1/actions/call-the-agency",
            Some(json!({"location": "Room 1"})),
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(digest_run(&env).starts_with("digests: composed 0,"));
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let a = api
        .call(
            "PATCH",
            "/api/v1/actions/call-the-agency",
            Some(json!({"location": "Room 2"})),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0",
        "the first change is older than the longest wait"
    );
    let all = digests(&mail, 2).await;
    assert!(all.iter().any(|m| m.text.contains("Room 2")));
}

#[tokio::test]
async fn confirming_names_the_campaign_and_welcomes_with_what_is_open() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let api = with_token(app_with(&mail.smtp_url()).await).await;
    let app = &api.app;
    setup(&api, false).await;
    let d = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": "alpha", "kind": "call", "title": "Secret draft"})),
        )
        .await;
    assert_eq!(d.status, 201);
    let (status, _) = subscribe(app, "email=erin%40example.org&campaign=alpha").await;
    assert_eq!(status, 200);
    let all = mail.wait_for("the confirmation", |m| !m.is_empty()).await;
    let c = &to(&all, "erin@example.org")[0];
    assert_eq!(c.subject, "Confirm your subscription to Alpha campaign");
    assert!(c.text.contains("Alpha campaign"), "{}", c.text);
    let shown = visible(&c.html);
    assert!(
        !shown.contains("token="),
        "no 64-hex link as visible text: {shown}"
    );
    assert!(c.html.contains("/subscribe/confirm?token="));
    let confirm = link(app, &c.text, "/subscribe/confirm");
    let (status, _) = app.get(&confirm).await;
    assert_eq!(status, 200);
    let all = mail
        .wait_for("the welcome", |m| to(m, "erin@example.org").len() >= 2)
        .await;
    let w = to(&all, "erin@example.org")
        .into_iter()
        .find(|m| !m.subject.starts_with("Confirm"))
        .unwrap();
    assert_eq!(w.subject, "You are subscribed to Alpha campaign");
    for part in [&w.text, &w.html] {
        assert!(part.contains("Call the agency"), "{part}");
        assert!(part.contains("(202) 401-9246"), "{part}");
        assert!(part.contains("/actions/call-the-agency"), "{part}");
        assert!(part.contains("/unsubscribe?token="), "{part}");
        assert!(!part.contains("Secret draft"), "{part}");
    }
    assert!(!visible(&w.html).contains("token="));
    // Confirming again is harmless and welcomes nobody twice.
    let (status, _) = app.get(&confirm).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(to(&mail.emails().await, "erin@example.org").len(), 2);
}
