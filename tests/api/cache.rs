//! The page cache: ETags and 304s, and an edit shows at once.

use actiondesk::db::{self, actions, Actor};
use actiondesk::domain::Transition;
use diesel::connection::SimpleConnection;

use actiondesk::web::public::CACHED;

use crate::helpers::{spawn_demo, TestApp};

/// A demo URL for a route pattern of `public::CACHED`.
pub fn example(pattern: &str) -> String {
    let slug = if pattern.starts_with("/campaigns/") {
        "where-are-the-children"
    } else if pattern.ends_with(".ics") {
        "where-are-the-children-marches"
    } else {
        "call-ice"
    };
    let url = pattern.replace("{slug}", slug);
    assert!(!url.contains('{'), "no demo example for {pattern}");
    url
}

fn etag(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string())
}

/// A value from `/metrics`.
pub async fn metric(app: &TestApp, name: &str) -> f64 {
    let (_, text) = app.get("/metrics").await;
    text.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn pages_carry_an_etag_and_if_none_match_answers_304() {
    let app = spawn_demo().await;
    let first = app.get_with("/actions/call-ice", &[]).await;
    assert_eq!(first.status(), 200);
    let tag = etag(&first).expect("an ETag");
    let body = first.text().await.unwrap();
    let hits = metric(&app, "actiondesk_page_cache_hits_total").await;
    let second = app.get_with("/actions/call-ice", &[]).await;
    assert_eq!(etag(&second).as_deref(), Some(tag.as_str()));
    assert_eq!(second.text().await.unwrap(), body, "the same bytes");
    assert!(metric(&app, "actiondesk_page_cache_hits_total").await > hits);
    let cond = app
        .get_with("/actions/call-ice", &[("If-None-Match", &tag)])
        .await;
    assert_eq!(cond.status(), 304);
    assert!(cond.text().await.unwrap().is_empty());
    let other = app
        .get_with("/actions/call-ice", &[("If-None-Match", "\"nope\"")])
        .await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn an_edit_invalidates_cached_pages_at_once() {
    let app = spawn_demo().await;
    let before = app.get_with("/actions/call-ice", &[]).await;
    let tag = etag(&before).unwrap();
    assert!(!before.text().await.unwrap().contains("This action is over"));
    let (_, home) = app.get("/").await;
    assert!(home.contains("/actions/call-ice\""));
    app.with_db(|conn| {
        db::write_tx(conn, |conn| {
            let a = actions::by_slug(conn, "call-ice")?;
            actions::transition(conn, a.id, Transition::Expire, &Actor::system())
        })
    })
    .await;
    // The very next request sees the change, even with the old ETag.
    let after = app
        .get_with("/actions/call-ice", &[("If-None-Match", &tag)])
        .await;
    assert_eq!(after.status(), 200);
    assert_ne!(etag(&after).unwrap(), tag);
    assert!(after.text().await.unwrap().contains("This action is over"));
    let (_, home) = app.get("/").await;
    let past = home.find("Past actions").expect("a past section on /");
    let ice = home
        .find("/actions/call-ice\"")
        .expect("still listed, as past");
    assert!(ice > past, "the expired action moved to the past section");
}

#[tokio::test]
async fn a_write_by_another_process_shows_within_a_second() {
    let app = spawn_demo().await;
    let (_, page) = app.get("/actions/call-orr-director").await;
    assert!(!page.contains("Renamed elsewhere"));
    // Another process writes straight to the database: new title, bumped version.
    let other = db::Db::connect(&db::DatabaseUrl::parse(&app.database_url).unwrap(), 1).unwrap();
    other
        .run(|conn| -> actiondesk::db::Result<_> {
            conn.batch_execute(
                "UPDATE actions SET title = 'Renamed elsewhere' WHERE slug = 'call-orr-director';
                 UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
                   WHERE key = 'content_version';",
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let mut seen = false;
    for _ in 0..20 {
        let (_, page) = app.get("/actions/call-orr-director").await;
        if page.contains("Renamed elsewhere") {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the page never showed the other process's write");
}

#[tokio::test]
async fn personalised_and_cookie_requests_bypass_the_cache() {
    let app = spawn_demo().await;
    let r = app.get_with("/actions/call-ice?zip=10001", &[]).await;
    assert_eq!(r.status(), 200);
    assert!(etag(&r).is_none(), "?zip= pages are not cached");
    let r = app
        .get_with("/actions/call-ice", &[("Cookie", "zip=10001")])
        .await;
    assert!(etag(&r).is_none(), "requests with cookies are not cached");
    let r = app.get_with("/metrics", &[]).await;
    assert!(etag(&r).is_none());
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains("actiondesk_actions{status=\"published\"} 9"),
        "{text}"
    );
    assert!(
        text.contains("actiondesk_http_requests_total{route=\"/actions/{slug}\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(text.contains("actiondesk_db_pool_connections "));
}

#[tokio::test]
async fn pages_for_a_zip_may_be_kept_by_shared_caches_and_an_edit_shows_at_once() {
    let app = spawn_demo().await;
    crate::reps::import_fixtures(&app).await;
    // A visitor without cookies, arriving from a shared link with ?zip=.
    let client = reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let url = format!(
        "{}/actions/call-your-senators-and-representative?zip=98104",
        app.address
    );
    let get = || async {
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers().get("set-cookie").is_none(),
            "the page itself sets no cookie"
        );
        let cc = r.headers()["cache-control"].to_str().unwrap().to_string();
        (cc, r.text().await.unwrap())
    };
    let (cc1, body1) = get().await;
    assert!(
        cc1.starts_with("public") && cc1.contains("s-maxage="),
        "{cc1}"
    );
    assert!(body1.contains("tel:+1"), "people to call: {body1}");
    let (_, body2) = get().await;
    assert_eq!(body2, body1, "the same bytes");
    // A remembered ZIP (set by the ZIP form's redirect, sent as a cookie) is the visitor's
    // own: private, and another visitor's ZIP never shows.
    let plain = "/actions/call-your-senators-and-representative";
    let r = app
        .client
        .get(format!("{}/zip?zip=98101&next={plain}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("{plain}?zip=98101"));
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("zip=98101"));
    let r = app.get_with(plain, &[]).await;
    let cc = r.headers()["cache-control"].to_str().unwrap().to_string();
    assert!(cc.starts_with("private"), "{cc}");
    let remembered = r.text().await.unwrap();
    assert!(remembered.contains("98101"), "{remembered}");
    assert!(!remembered.contains("98104"), "{remembered}");
    let (_, again) = app.get(plain).await;
    assert_eq!(again, remembered);
    app.with_db(|conn| {
        db::write_tx(conn, |conn| {
            let a = actions::by_slug(conn, "call-your-senators-and-representative")?;
            actions::transition(conn, a.id, Transition::Expire, &Actor::system())
        })
    })
    .await;
    let (_, after) = get().await;
    assert!(
        after.contains("This action is over"),
        "an edit shows at once on ZIP pages too"
    );
}

#[tokio::test]
async fn every_page_of_the_cached_list_is_answered_from_memory_and_no_other() {
    let app = spawn_demo().await;
    assert!(CACHED.len() >= 10, "the list of cached pages");
    for page in CACHED {
        let url = example(page.path);
        let first = app.get_with(&url, &[]).await;
        assert_eq!(first.status(), 200, "{url}");
        let tag = etag(&first).unwrap_or_else(|| panic!("{url}: no ETag"));
        let hits = metric(&app, "actiondesk_page_cache_hits_total").await;
        let again = app.get_with(&url, &[("If-None-Match", &tag)]).await;
        assert_eq!(again.status(), 304, "{url}");
        assert_eq!(
            metric(&app, "actiondesk_page_cache_hits_total").await,
            hits + 1.0,
            "{url} answered from memory"
        );
    }
    // Pages outside the list are rendered each time, whoever asks.
    for url in ["/subscribe", "/healthz", "/api/v1/actions", "/admin/login"] {
        let misses = metric(&app, "actiondesk_page_cache_misses_total").await;
        let hits = metric(&app, "actiondesk_page_cache_hits_total").await;
        for _ in 0..2 {
            app.get_with(url, &[]).await;
        }
        assert_eq!(
            metric(&app, "actiondesk_page_cache_hits_total").await,
            hits,
            "{url}"
        );
        assert_eq!(
            metric(&app, "actiondesk_page_cache_misses_total").await,
            misses,
            "{url}"
        );
    }
}

/// A cache bounded by weight is bounded in memory only if the weight counts what an entry
/// holds: an action's kept data weighs at least what the API writes out for it, and grows
/// with its history (every edit adds a line to the page).
#[tokio::test]
async fn kept_action_data_weighs_what_it_holds() {
    let api = crate::api_support::api_demo().await;
    let app = &api.app;
    let slug = "call-your-senators-and-representative";
    let metric = r#"actiondesk_memory_cache_bytes{cache="action_data"}"#;
    assert_eq!(crate::cache::metric(app, metric).await, 0.0);
    assert_eq!(app.get(&format!("/actions/{slug}")).await.0, 200);
    let first = crate::cache::metric(app, metric).await;
    let (status, json) = app.get(&format!("/api/v1/actions/{slug}")).await;
    assert_eq!(status, 200);
    assert!(first >= json.len() as f64, "{first} < {}", json.len());

    // Sixty edits that leave every text as long as it was: sixty more history lines.
    for i in 0..60 {
        let title = format!("Call your senators and representative, edit {i:02}");
        let a = api
            .call(
                "PATCH",
                &format!("/api/v1/actions/{slug}"),
                Some(serde_json::json!({ "title": title })),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.json);
    }
    let (status, page) = app.get(&format!("/actions/{slug}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("edit 59"));
    // The first version's entry is still kept: the newest one is what was added.
    let newest = crate::cache::metric(app, metric).await - first;
    assert!(
        newest >= first + 60.0 * 40.0,
        "{newest} after 60 edits, {first} before"
    );
}
