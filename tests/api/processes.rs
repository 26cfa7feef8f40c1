//! Two `actiondesk serve` processes on one database (PostgreSQL when TEST_DATABASE_URL is
//! set, a SQLite file otherwise), both under load: an organizer's edit through one shows
//! on the other within a second, both answer the same pages, and their two workers send
//! each digest once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{actiondesk, text};
use crate::shutdown::{digest_statuses, subscribers_and_news, Served, SmtpSink};
use crate::site_export::{public_paths, same_answer};

#[tokio::test]
async fn two_processes_share_edits_pages_and_digests() {
    const N: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database_url(dir.path());
    let out = actiondesk(&["demo"], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = actiondesk(
        &["organizer", "add", "ops@example.org"],
        &url,
        Some("a long enough password\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = actiondesk(&["token", "create", "ops@example.org"], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    let db =
        actiondesk::db::Db::connect(&actiondesk::db::DatabaseUrl::parse(&url).unwrap(), 2).unwrap();
    db.run(|c| subscribers_and_news(c, N)).await.unwrap();

    let sink = SmtpSink::start();
    let env = vec![
        ("DATABASE_URL", url.clone()),
        ("SMTP_URL", sink.url()),
        ("DIGEST_QUIET_SECS", "0".into()),
        ("DIGEST_INTERVAL_SECS", "1".to_string()),
        // Long enough that neither ever takes over the other's claims.
        ("MAIL_CLAIM_LEASE_SECS", "600".to_string()),
    ];
    let (mut a, mut b) = tokio::task::spawn_blocking(move || {
        (
            Served::start(&["--no-demo"], &env),
            Served::start(&["--no-demo"], &env),
        )
    })
    .await
    .unwrap();
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .unwrap();

    // Load at both: visitors reading pages the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for address in [&a.address, &b.address, &a.address, &b.address] {
        let (client, address, stop, served) = (
            client.clone(),
            address.clone(),
            stop.clone(),
            served.clone(),
        );
        load.push(tokio::spawn(async move {
            let paths = ["/", "/hotlines", "/api/v1/actions", "/updates"];
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = client
                    .get(format!("{address}{}", paths[i % paths.len()]))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(r.status(), 200);
                served.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }

    // Each digest is sent once, though both workers run every second.
    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.accepted_count() < N {
        assert!(
            Instant::now() < deadline,
            "{} of {N} digests",
            sink.accepted_count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // An edit through A shows on B (page and API) within a second, under load.
    let list: Value = client
        .get(format!("{}/api/v1/actions?kind=call", a.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slug = list["items"][0]["slug"].as_str().unwrap().to_string();
    let summary = format!("Edited through A at {}", actiondesk::db::now());
    let r = client
        .patch(format!("{}/api/v1/actions/{slug}", a.address))
        .bearer_auth(&token)
        .json(&json!({ "summary": summary }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let edited = Instant::now();
    let (mut page_seen, mut api_seen) = (None, None);
    while page_seen.is_none() || api_seen.is_none() {
        assert!(
            edited.elapsed() < Duration::from_secs(10),
            "the edit never showed on B"
        );
        if page_seen.is_none() {
            let page = client
                .get(format!("{}/actions/{slug}", b.address))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if page.contains(&summary) {
                page_seen = Some(edited.elapsed());
            }
        }
        if api_seen.is_none() {
            let j: Value = client
                .get(format!("{}/api/v1/actions/{slug}", b.address))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if j["summary"] == summary.as_str() {
                api_seen = Some(edited.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (page_seen, api_seen) = (page_seen.unwrap(), api_seen.unwrap());
    assert!(page_seen < Duration::from_secs(1), "{page_seen:?}");
    assert!(api_seen < Duration::from_secs(1), "{api_seen:?}");

    // The edit is news: one more digest each, still once, from whichever worker.
    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.accepted_count() < 2 * N {
        assert!(
            Instant::now() < deadline,
            "{} of {} digests",
            sink.accepted_count(),
            2 * N
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Both workers get a few more chances to send something twice.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = sink.per_recipient();
    assert_eq!(got.len(), N, "{got:?}");
    assert!(got.values().all(|n| *n == 2), "{got:?}");
    assert_eq!(sink.accepted_count(), 2 * N);
    let statuses = db.run(digest_statuses).await.unwrap();
    assert_eq!(statuses.get("sent"), Some(&(2 * N as i64)), "{statuses:?}");

    // Both answer every public page alike.
    let paths = public_paths(&client, &a.address).await;
    for path in &paths {
        same_answer(&client, (&a.address, &b.address), path, None).await;
    }

    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    let workers: std::collections::HashSet<Option<String>> = db
        .run(|c| -> actiondesk::db::Result<_> {
            use actiondesk::db::schema::outbox;
            use diesel::prelude::*;
            Ok(outbox::table
                .filter(outbox::kind.eq(actiondesk::domain::MessageKind::Digest))
                .select(outbox::claimed_by)
                .load(c)?
                .into_iter()
                .collect())
        })
        .await
        .unwrap();
    let workers = workers.len();
    eprintln!(
        "two processes ({}): the edit through A showed on B's page after {page_seen:?}, \
         in B's API after {api_seen:?}; {} requests served by both meanwhile; {} digests \
         sent once each, by {workers} worker(s)",
        crate::helpers::backend(),
        served.load(Ordering::Relaxed),
        2 * N
    );
    assert!(served.load(Ordering::Relaxed) > 0);
    a.signal(libc::SIGTERM);
    b.signal(libc::SIGTERM);
    let codes = tokio::task::spawn_blocking(move || {
        (
            a.wait_exit(Duration::from_secs(30)),
            b.wait_exit(Duration::from_secs(30)),
        )
    })
    .await
    .unwrap();
    assert_eq!(codes, (Some(0), Some(0)));
}
