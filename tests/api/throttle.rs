//! The sending rate (`MAIL_RATE_PER_SEC`, `MAIL_RATE_PER_HOUR`), kept in the database and
//! shared by every process: against MailDev and the real `actiondesk digest run` binary.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actiondesk::db::{mail_rate, schema};
use diesel::prelude::*;

use crate::digests::{
    app_with, confirmed_subscribers, digest_run, env_for, per_address, publish_one,
};
use crate::mailbox::MailDev;

/// 200 messages at 50 a second take nearly four seconds, and each arrives once.
/// Fails if the per-second rate is ignored (the run takes well under a second).
#[tokio::test]
async fn a_run_at_fifty_a_second_spreads_two_hundred_over_four_seconds() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, 200)).await;
    app.with_db(|c| publish_one(c, "Paced")).await;
    let mut env = env_for(&app, &mail.smtp_url());
    env.push(("MAIL_RATE_PER_SEC", "50".into()));
    let started = Instant::now();
    let line = digest_run(&env);
    let took = started.elapsed();
    assert_eq!(line, "digests: composed 200, sent 200, failed 0, pending 0");
    assert!(took >= Duration::from_millis(3500), "took {took:?}");
    let mails = mail
        .wait_for("every digest", |m| per_address(m).len() >= 200)
        .await;
    let got = per_address(&mails);
    assert_eq!(got.len(), 200);
    assert!(got.values().all(|(n, _)| *n == 1), "{got:?}");
}

/// Two processes running at once share the one rate: together they still take nearly four
/// seconds for 200 messages. Fails if each process keeps its own count (two seconds).
#[tokio::test]
async fn two_runs_at_once_share_the_rate() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, 200)).await;
    app.with_db(|c| publish_one(c, "Shared")).await;
    let mut env = env_for(&app, &mail.smtp_url());
    env.retain(|(k, _)| *k != "MAIL_CLAIM_LEASE_SECS");
    env.push(("MAIL_CLAIM_LEASE_SECS", "60".into()));
    env.push(("MAIL_RATE_PER_SEC", "50".into()));
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_actiondesk"))
            .args(["digest", "run"])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stderr(Stdio::null())
            .output()
    };
    let started = Instant::now();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    let took = started.elapsed();
    assert!(a.status.success() && b.status.success());
    let (a, b) = (
        String::from_utf8_lossy(&a.stdout).to_string(),
        String::from_utf8_lossy(&b.stdout).to_string(),
    );
    let sent = |line: &str| -> usize {
        line.split(", sent ")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(sent(&a) + sent(&b), 200, "{a} / {b}");
    assert!(
        took >= Duration::from_millis(3500),
        "took {took:?}: {a} / {b}"
    );
    let mails = mail
        .wait_for("every digest", |m| per_address(m).len() >= 200)
        .await;
    let got = per_address(&mails);
    assert_eq!(got.len(), 200);
    assert!(got.values().all(|(n, _)| *n == 1), "{got:?}");
}

/// With 50 an hour, a run of 200 sends 50 and leaves 150 for later, saying so; the next
/// run sends nothing; once the hour has passed (the stored window moved back an hour), the
/// next 50 go. Fails if the hour's count is not kept between runs or the budget ignored.
#[tokio::test]
async fn the_hour_budget_spent_leaves_the_rest_pending_until_the_window_passes() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, 200)).await;
    app.with_db(|c| publish_one(c, "Budgeted")).await;
    let mut env = env_for(&app, &mail.smtp_url());
    env.push(("MAIL_RATE_PER_HOUR", "50".into()));
    assert_eq!(
        digest_run(&env),
        "digests: composed 200, sent 50, failed 0, pending 150, deferred 150 (MAIL_RATE_PER_HOUR)"
    );
    assert_eq!(
        digest_run(&env),
        "digests: composed 0, sent 0, failed 0, pending 150, deferred 150 (MAIL_RATE_PER_HOUR)"
    );
    let mails = mail
        .wait_for("the first 50", |m| per_address(m).len() >= 50)
        .await;
    assert_eq!(per_address(&mails).len(), 50);

    // An hour later.
    app.with_db(|c| {
        use schema::mail_rate::dsl as r;
        diesel::update(r::mail_rate.filter(r::name.eq("hour")))
            .set(r::mark.eq(r::mark - mail_rate::HOUR_US))
            .execute(c)?;
        Ok(())
    })
    .await;
    assert_eq!(
        digest_run(&env),
        "digests: composed 0, sent 50, failed 0, pending 100, deferred 100 (MAIL_RATE_PER_HOUR)"
    );
    let mails = mail
        .wait_for("the next 50", |m| per_address(m).len() >= 100)
        .await;
    let got = per_address(&mails);
    assert_eq!(got.len(), 100);
    assert!(got.values().all(|(n, _)| *n == 1), "{got:?}");
}

/// A confirmation email goes through the rate too: with the hour's budget spent, it
/// waits in the outbox instead of leaving at once.
#[tokio::test]
async fn confirmation_emails_wait_when_the_hour_budget_is_spent() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = crate::helpers::spawn_with(crate::helpers::Spawn {
        env: vec![
            ("SMTP_URL", mail.smtp_url()),
            ("MAIL_RETRY_SECS", "1".into()),
            ("MAIL_RATE_PER_HOUR", "1".into()),
        ],
        ..crate::helpers::Spawn::default()
    })
    .await;
    crate::digests::subscribe(&app, "email=first%40example.org").await;
    mail.wait_for("the first confirmation", |m| !m.is_empty())
        .await;
    crate::digests::subscribe(&app, "email=second%40example.org").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = mail.emails().await;
    assert_eq!(
        mails.len(),
        1,
        "{:?}",
        mails.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    let pending = app.with_db(actiondesk::db::outbox::pending_count).await;
    assert_eq!(pending, 1);
}
