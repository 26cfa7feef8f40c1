//! A news spike: visitors from thousands of ZIP codes at once, behind shared caches and
//! proxies. Every ZIP answers 200 with its own senators, a planted cookie cannot make the
//! next visitor's page wrong, `HEAD` works everywhere, memory stays bounded, and public
//! pages tell shared caches how long they may keep them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::stream::{self, StreamExt};

use actiondesk::web::public::CACHED;

use crate::cache::example;
use crate::helpers::{spawn_demo, spawn_with, Spawn};
use crate::reps::data_dir;

const CALL: &str = "/actions/call-your-senators-and-representative";

/// A client without a cookie store, like a visitor on their first page.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap()
}

#[tokio::test]
async fn three_thousand_zip_codes_at_once_all_answer_with_their_own_senators() {
    let Some(dir) = data_dir() else { return };
    let app = spawn_demo().await;
    crate::reps::import_real(&app, &dir).await;
    // An independent reading of the raw files: each ZIP's states, each state's senators.
    let csv = std::fs::read_to_string(dir.join("zccd.csv")).unwrap();
    let mut states_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        states_of
            .entry(f[2].to_string())
            .or_default()
            .insert(f[1].to_string());
    }
    let yaml: serde_norway::Value = serde_norway::from_str(
        &std::fs::read_to_string(dir.join("legislators-current.yaml")).unwrap(),
    )
    .unwrap();
    let mut senators: HashMap<String, Vec<String>> = HashMap::new();
    for m in yaml.as_sequence().unwrap() {
        let term = m["terms"].as_sequence().unwrap().last().unwrap();
        if term["type"].as_str() == Some("sen") {
            let last = m["name"]["last"].as_str().unwrap().to_string();
            senators
                .entry(term["state"].as_str().unwrap().to_string())
                .or_default()
                .push(last);
        }
    }
    // 3,000 distinct ZIP codes spread over the whole file.
    let all: Vec<&String> = states_of.keys().collect();
    let step = (all.len() / 3000).max(1);
    let sample: Vec<String> = all
        .iter()
        .step_by(step)
        .take(3000)
        .map(|z| z.to_string())
        .collect();
    assert_eq!(sample.len(), 3000);
    let client = fresh_client();
    let results: Vec<(String, u16, String)> = stream::iter(sample.clone())
        .map(|zip| {
            let client = client.clone();
            let path = if zip.ends_with('7') {
                format!("/reps?zip={zip}")
            } else {
                format!("{CALL}?zip={zip}")
            };
            let url = format!("{}{path}", app.address);
            async move {
                let r = client.get(url).send().await.unwrap();
                let status = r.status().as_u16();
                (zip, status, r.text().await.unwrap())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let failed: Vec<_> = results.iter().filter(|(_, s, _)| *s != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of 3000 answered otherwise, e.g. {:?}",
        failed.len(),
        failed
            .iter()
            .take(3)
            .map(|(z, s, _)| (z, s))
            .collect::<Vec<_>>()
    );
    let mut checked = 0;
    for (zip, _, body) in &results {
        // Pages are kept per shape (districts, members, offices) and the ZIP code written
        // in: every page names its own ZIP code, and nothing else's marker leaks.
        assert!(
            body.contains(&format!("value=\"{zip}\"")),
            "{zip}: its ZIP code in the box"
        );
        assert!(
            !body.contains("zipmark") && !body.contains("<!--seg-"),
            "{zip}: a marker left"
        );
        for state in &states_of[zip] {
            for last in senators.get(state).into_iter().flatten() {
                assert!(
                    body.contains(last.as_str()),
                    "{zip} ({state}): senator {last} missing"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 5000, "{checked} senators checked");
}

#[tokio::test]
async fn conflicting_zip_cookies_cannot_show_the_next_visitor_the_wrong_people() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    for path in ["/reps", CALL] {
        let client = fresh_client();
        let url = format!("{}{path}", app.address);
        // 98104 (Washington) and 99501 (Alaska): a planted pair of cookies.
        let r = client
            .get(&url)
            .header("Cookie", "zip=98104; zip=99501")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cc = r.headers()["cache-control"].to_str().unwrap().to_string();
        assert!(cc.contains("no-store"), "{path}: {cc}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("Pramila Jayapal"),
            "{path}: ambiguous is no ZIP"
        );
        // The next visitor, from Alaska, sees Alaska.
        let r = client
            .get(&url)
            .header("Cookie", "zip=99501")
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(body.contains("Nicholas J. Begich III"), "{path}: {body}");
        assert!(!body.contains("Pramila Jayapal"), "{path}: poisoned");
        // And the same cookie twice is one ZIP code.
        let r = client
            .get(&url)
            .header("Cookie", "zip=99501; zip=99501")
            .send()
            .await
            .unwrap();
        assert!(
            r.text().await.unwrap().contains("Nicholas J. Begich III"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn every_get_route_answers_head_and_other_methods_are_405_with_allow() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let client = fresh_client();
    for path in [
        "/",
        "/hotlines",
        "/updates",
        "/search?q=ice",
        "/feed.atom",
        "/events.ics",
        "/reps",
        "/reps?zip=98104",
        "/actions/call-ice",
        "/actions/call-ice?zip=98104",
        "/actions/where-are-the-children-marches.ics",
        "/campaigns/where-are-the-children",
        "/campaigns/where-are-the-children/feed.atom",
        "/subscribe",
        "/healthz",
        "/metrics",
        "/static/style.css",
        "/api/v1/actions",
        "/api/v1/actions/call-ice",
        "/api/v1/campaigns",
        "/api/v1/reps?zip=98104",
        "/api/v1/hotlines",
        "/api/openapi.json",
        "/admin/login",
        "/actions/no-such-action",
    ] {
        let url = format!("{}{path}", app.address);
        let get = client.get(&url).send().await.unwrap();
        let head = client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        for h in ["content-type", "cache-control", "content-length"] {
            if h == "content-length" && path == "/metrics" {
                continue; // counts this very request
            }
            assert_eq!(
                head.headers().get(h),
                get.headers().get(h),
                "HEAD {path}: {h}"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    for (path, allow) in [
        ("/", "GET, HEAD"),
        ("/actions/call-ice", "GET, HEAD"),
        ("/subscribe", "GET, HEAD, POST"),
        ("/actions/call-ice/outcomes", "POST"),
    ] {
        let r = client
            .delete(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "DELETE {path}");
        let got = r.headers()["allow"].to_str().unwrap().to_string();
        let mut got: Vec<&str> = got.split(", ").collect();
        got.sort();
        let mut want: Vec<&str> = allow.split(", ").collect();
        want.sort();
        assert_eq!(got, want, "DELETE {path}");
    }
}

#[tokio::test]
async fn ten_thousand_query_strings_stay_within_the_cache_bound() {
    let app = spawn_with(Spawn {
        demo: true,
        env: vec![("PAGE_CACHE_MB", "1".into())],
        ..Spawn::default()
    })
    .await;
    let client = fresh_client();
    let capacity = crate::cache::metric(&app, "actiondesk_page_cache_capacity_bytes").await;
    assert!(capacity > 0.0 && capacity <= 1024.0 * 1024.0, "{capacity}");
    // Parameters no page reads make no new entries.
    let before = crate::cache::metric(&app, "actiondesk_page_cache_entries").await;
    let get_all = |urls: Vec<String>| {
        let client = client.clone();
        async move {
            stream::iter(urls)
                .map(|url| {
                    let client = client.clone();
                    async move { client.get(url).send().await.unwrap().status().as_u16() }
                })
                .buffer_unordered(32)
                .collect::<Vec<u16>>()
                .await
        }
    };
    let updates = get_all(
        (0..2500)
            .map(|i| format!("{}/updates?n={i}", app.address))
            .collect(),
    )
    .await;
    assert!(updates.iter().all(|s| *s == 200));
    let entries = crate::cache::metric(&app, "actiondesk_page_cache_entries").await;
    assert!(
        entries - before <= 1.0,
        "{before} -> {entries} entries for one page"
    );
    let tracked = get_all(
        (0..2500)
            .map(|i| format!("{}/actions/call-ice?utm_source=x{i}&lang=en", app.address))
            .collect(),
    )
    .await;
    assert!(tracked.iter().all(|s| *s == 200));
    // Distinct searches are distinct pages: kept while they fit, evicted after.
    let searches = get_all(
        (0..5000)
            .map(|i| format!("{}/search?q=ice{i}", app.address))
            .collect(),
    )
    .await;
    assert!(
        searches.iter().all(|s| *s == 200),
        "a full cache never fails"
    );
    let bytes = crate::cache::metric(&app, "actiondesk_page_cache_bytes").await;
    assert!(bytes <= capacity, "{bytes} > {capacity}");
    let (_, text) = app.get("/metrics").await;
    assert!(
        text.contains("actiondesk_http_requests_total{route=\"/updates\",status=\"200\"} 2500"),
        "every request answered"
    );
}

#[tokio::test]
async fn public_pages_may_be_kept_by_shared_caches_and_private_ones_never() {
    let app = spawn_with(Spawn {
        demo: true,
        env: vec![
            ("PUBLIC_CACHE_SECS", "7".into()),
            ("PUBLIC_STALE_SECS", "20".into()),
        ],
        ..Spawn::default()
    })
    .await;
    crate::reps::import_fixtures(&app).await;
    let client = fresh_client();
    let mut paths: Vec<String> = CACHED.iter().map(|p| example(p.path)).collect();
    paths.extend([
        format!("{CALL}?zip=98104"),
        "/reps?zip=98101".into(),
        "/api/v1/reps?zip=98104".into(),
    ]);
    for path in &paths {
        let r = client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=0, s-maxage=7, stale-while-revalidate=20",
            "{path}"
        );
        assert!(
            r.headers().get("set-cookie").is_none(),
            "{path} sets no cookie"
        );
    }
    // What the visitor typed, a remembered ZIP code, an organizer's pages, API writes.
    let personal = client
        .get(format!("{}{CALL}?zip=98104&name=Ada", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(personal.headers()["cache-control"], "private, no-store");
    let remembered = client
        .get(format!("{}{CALL}", app.address))
        .header("Cookie", "zip=98104")
        .send()
        .await
        .unwrap();
    assert!(remembered.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));
    let not_public = |r: reqwest::Response, what: &str| {
        let cc = r
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(!cc.contains("public"), "{what}: {cc}");
    };
    for path in ["/admin/login", "/admin"] {
        let r = client.get(format!("{}{path}", app.address)).send();
        not_public(r.await.unwrap(), path);
    }
    let write = client
        .post(format!("{}/api/v1/actions", app.address))
        .json(&serde_json::json!({"title": "x"}))
        .send();
    not_public(write.await.unwrap(), "API write");
}
