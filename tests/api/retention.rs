//! Retention (`MAIL_RETENTION_DAYS`): delivered messages and link tokens pruned in small
//! batches, the newest links kept working, an old link leading to a page that emails a
//! fresh one (CSRF, rate-limited, the same answer for any address); a confirmation link
//! opened twice mints nothing.

use actiondesk::db::schema::{outbox, subscriber_tokens};
use actiondesk::db::{self, retention, write_tx};
use actiondesk::worker::prune_once;
use diesel::prelude::*;

use crate::digests::{
    app_with, confirmed_subscribers, digest_run, digests_to, env_for, link, publish_one, subscribe,
    to,
};
use crate::helpers::TestApp;
use crate::mailbox::MailDev;

/// Every link to this site in `text`, as paths.
fn site_links(app: &TestApp, text: &str) -> Vec<String> {
    text.match_indices(&app.address)
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(*c, '"' | '<' | '>'))
                .collect::<String>()
                .trim_start_matches(&app.address)
                .to_string()
        })
        .collect()
}

fn token_count(c: &mut db::DbConn) -> db::Result<i64> {
    Ok(subscriber_tokens::table.count().get_result(c)?)
}

/// The hidden CSRF field of a page.
fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF field")
        + 25;
    page[start..].chars().take_while(|c| *c != '"').collect()
}

async fn post(app: &TestApp, path: &str, body: String) -> (u16, String) {
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Two digests, then everything pruned: every link in the newest email still works, the
/// older email's links lead to the fresh-link page, whose form emails working links to a
/// subscriber and answers the same for an unknown address. Fails if pruning takes the
/// newest token, if a pruned link is a bare error page, or if the form sends nothing.
#[tokio::test]
async fn after_pruning_the_newest_links_work_and_old_ones_offer_a_fresh_link() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, 3)).await;
    let env = env_for(&app, &mail.smtp_url());
    app.with_db(|c| publish_one(c, "First")).await;
    digest_run(&env);
    app.with_db(|c| publish_one(c, "Second")).await;
    digest_run(&env);
    let mails = mail.wait_for("two digests each", |m| m.len() >= 6).await;
    let mut got = digests_to(&mails, "s0@example.org");
    assert_eq!(got.len(), 2);
    got.sort_by_key(|m| m.text.contains("Second"));
    let (old, new) = (&got[0], &got[1]);
    assert!(new.text.contains("Second"), "{}", new.text);

    let before = app.with_db(token_count).await;
    let pruned = app
        .with_db(|c| retention::prune(c, db::now() + chrono::Duration::seconds(1)))
        .await;
    assert_eq!(pruned.messages, 6, "{pruned:?}");
    assert!(pruned.tokens > 0, "{pruned:?}");
    let after = app.with_db(token_count).await;
    assert_eq!(before - after, pruned.tokens as i64);
    let left: i64 = app
        .with_db(|c| Ok(outbox::table.count().get_result(c)?))
        .await;
    assert_eq!(left, 0);

    let links = site_links(&app, &new.text);
    assert!(
        links.iter().any(|l| l.starts_with("/preferences?token=")),
        "{links:?}"
    );
    assert!(
        links.iter().any(|l| l.starts_with("/unsubscribe?token=")),
        "{links:?}"
    );
    for l in &links {
        let (status, page) = app.get(l).await;
        assert_eq!(status, 200, "{l}: {page}");
    }
    let (status, page) = app.get(&link(&app, &new.text, "/preferences")).await;
    assert_eq!(status, 200);
    assert!(page.contains("s0@example.org"), "{page}");

    // The older email's links: gone, and the page offers a fresh one.
    for path in ["/preferences", "/unsubscribe"] {
        let (status, page) = app.get(&link(&app, &old.text, path)).await;
        assert_eq!(status, 410, "{path}: {page}");
        assert!(page.contains("Email me a fresh link"), "{page}");
    }
    let (_, page) = app.get(&link(&app, &old.text, "/preferences")).await;
    let csrf = csrf_of(&page);

    // Without the token the form does nothing.
    let (status, _) = post(&app, "/subscribe/link", "email=s0%40example.org".into()).await;
    assert_eq!(status, 403);

    let (s1, known) = post(
        &app,
        "/subscribe/link",
        format!("email=s0%40example.org&csrf_token={csrf}"),
    )
    .await;
    let (s2, unknown) = post(
        &app,
        "/subscribe/link",
        format!("email=nobody%40example.org&csrf_token={csrf}"),
    )
    .await;
    assert_eq!(s1, 200, "{known}");
    assert_eq!((s1, &known), (s2, &unknown), "no subscriber enumeration");
    let mails = mail
        .wait_for("the fresh link", |m| {
            to(m, "s0@example.org")
                .iter()
                .any(|m| m.subject.contains("manage your subscription"))
        })
        .await;
    let fresh = to(&mails, "s0@example.org")
        .into_iter()
        .find(|m| m.subject.contains("manage your subscription"))
        .unwrap();
    let (status, page) = app.get(&link(&app, &fresh.text, "/preferences")).await;
    assert_eq!(status, 200);
    assert!(page.contains("s0@example.org"), "{page}");
    assert!(to(&mails, "nobody@example.org").is_empty());
}

/// The worker's pass prunes only what is older than `MAIL_RETENTION_DAYS`, batch after
/// batch, and keeps each subscriber's newest token however old. Fails if the cutoff is
/// ignored, if a batch boundary stops the pass early, or if the newest token goes.
#[tokio::test]
async fn only_what_is_older_than_the_retention_is_pruned_batch_after_batch() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, 3)).await;
    let env = env_for(&app, &mail.smtp_url());
    app.with_db(|c| publish_one(c, "Once")).await;
    digest_run(&env);
    // s0's message and tokens are 100 days old, with 2,500 more old tokens of its own.
    let (newest, extra) = app
        .with_db(|c| {
            write_tx(c, |c| {
                let s0: i32 = actiondesk::db::schema::subscribers::table
                    .filter(actiondesk::db::schema::subscribers::email.eq("s0@example.org"))
                    .select(actiondesk::db::schema::subscribers::id)
                    .first(c)?;
                let long_ago = db::now() - chrono::Duration::days(100);
                let newest: i32 = subscriber_tokens::table
                    .filter(subscriber_tokens::subscriber_id.eq(s0))
                    .filter(subscriber_tokens::purpose.eq("manage"))
                    .select(diesel::dsl::max(subscriber_tokens::id))
                    .first::<Option<i32>>(c)?
                    .unwrap();
                for i in 0..2_500 {
                    diesel::insert_into(subscriber_tokens::table)
                        .values((
                            subscriber_tokens::subscriber_id.eq(s0),
                            subscriber_tokens::token_hash.eq(format!("x{i}")),
                            subscriber_tokens::purpose.eq("old"),
                            subscriber_tokens::created_at.eq(long_ago),
                        ))
                        .execute(c)?;
                }
                diesel::update(
                    subscriber_tokens::table.filter(subscriber_tokens::subscriber_id.eq(s0)),
                )
                .set(subscriber_tokens::created_at.eq(long_ago))
                .execute(c)?;
                diesel::update(outbox::table.filter(outbox::subscriber_id.eq(s0)))
                    .set(outbox::sent_at.eq(Some(long_ago)))
                    .execute(c)?;
                Ok((newest, 2_500))
            })
        })
        .await;
    let before = app.with_db(token_count).await;
    let pruned = app.with_db(|c| prune_once(c, 90)).await;
    // s0's message; its first manage token (from confirming); the old ones but the newest.
    assert_eq!(pruned.messages, 1, "{pruned:?}");
    assert_eq!(pruned.tokens, 1 + extra - 1, "{pruned:?}");
    let after = app.with_db(token_count).await;
    assert_eq!(before - after, pruned.tokens as i64);
    let kept: i64 = app
        .with_db(move |c| {
            Ok(subscriber_tokens::table
                .find(newest)
                .count()
                .get_result(c)?)
        })
        .await;
    assert_eq!(kept, 1, "the newest manage token stays");
    let left: i64 = app
        .with_db(|c| Ok(outbox::table.count().get_result(c)?))
        .await;
    assert_eq!(left, 2);
    // Nothing more is old enough.
    let again = app.with_db(|c| prune_once(c, 90)).await;
    assert_eq!(again, retention::Pruned::default());
}

/// Opening a confirmation link a second time shows the same confirmation and stores no
/// new token. Fails if each visit adds a token row (as it once did).
#[tokio::test]
async fn opening_a_confirmation_link_twice_mints_nothing() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    subscribe(&app, "email=twice%40example.org").await;
    let all = mail.wait_for("confirmation", |m| !m.is_empty()).await;
    let confirm = link(&app, &all[0].text, "/subscribe/confirm");
    let (status, page) = app.get(&confirm).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are subscribed"), "{page}");
    let once = app.with_db(token_count).await;
    for _ in 0..3 {
        let (status, page) = app.get(&confirm).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("You are subscribed"), "{page}");
    }
    assert_eq!(app.with_db(token_count).await, once);
}

/// Tokens and Message-IDs no longer tell how many subscribers or emails there are: the
/// row a token names is hidden behind the site's keyed permutation (consecutive rows give
/// unrelated numbers), Message-IDs name neither subscriber nor change; a token of the first
/// form (the row id in plain hex) still opens its page. Fails if the plain row id shows.
#[tokio::test]
async fn links_and_message_ids_reveal_no_counts_and_old_tokens_still_work() {
    use actiondesk::db::subscribers;
    use actiondesk::security::{split, token_hash};
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    app.with_db(|c| confirmed_subscribers(c, 3)).await;
    let env = env_for(&app, &mail.smtp_url());
    app.with_db(|c| publish_one(c, "Counted")).await;
    digest_run(&env);
    let mails = mail.wait_for("three digests", |m| m.len() >= 3).await;
    let mut publics = Vec::new();
    for m in &mails {
        let local = m
            .message_id
            .trim_start_matches('<')
            .split('@')
            .next()
            .unwrap();
        assert!(
            local.len() == 32 && local.bytes().all(|b| b.is_ascii_hexdigit()),
            "{}",
            m.message_id
        );
        let l = link(&app, &m.text, "/preferences");
        let token = l.trim_start_matches("/preferences?token=").to_string();
        let probe = token.clone();
        let row = app
            .with_db(move |c| subscribers::token_row(c, &probe))
            .await
            .expect("names a row");
        assert_ne!(&token[..16], format!("{:016x}", row), "the row id shows");
        publics.push(u64::from_str_radix(&token[..16], 16).unwrap());
    }
    publics.sort_unstable();
    assert!(
        publics.windows(2).all(|w| w[1] - w[0] > 1_000),
        "consecutive rows, close numbers: {publics:x?}"
    );

    // A link of the first split form still works.
    let v = split::new_verifier();
    let hash = token_hash(&v);
    let row: i32 = app
        .with_db(move |c| {
            let s0: i32 = actiondesk::db::schema::subscribers::table
                .filter(actiondesk::db::schema::subscribers::email.eq("s0@example.org"))
                .select(actiondesk::db::schema::subscribers::id)
                .first(c)?;
            Ok(diesel::insert_into(subscriber_tokens::table)
                .values((
                    subscriber_tokens::subscriber_id.eq(s0),
                    subscriber_tokens::token_hash.eq(hash),
                    subscriber_tokens::purpose.eq("manage"),
                    subscriber_tokens::created_at.eq(db::now()),
                ))
                .returning(subscriber_tokens::id)
                .get_result(c)?)
        })
        .await;
    let (status, page) = app
        .get(&format!("/preferences?token={}", split::token(row, &v)))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("s0@example.org"));
}
