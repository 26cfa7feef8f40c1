//! Atom feeds and iCalendar files, checked with Python's feedparser and icalendar.

use std::process::Command;

use actiondesk::db::{self, actions, campaigns, Actor};
use actiondesk::domain::text::Checked;
use actiondesk::domain::{ActionKind, Transition};
use chrono::NaiveDate;
use serde_json::Value;

use crate::helpers::{spawn_demo, TestApp};
use crate::tools::python_has;

/// Runs a Python program on `bytes` (its path is `sys.argv[1]`); returns its JSON output.
pub fn python_json(program: &str, bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("python3")
        .args(["-c", program, file.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

const FEEDPARSER: &str = r#"
import sys, json, feedparser
d = feedparser.parse(open(sys.argv[1], 'rb').read())
print(json.dumps({
  "bozo": int(d.bozo), "error": str(d.get("bozo_exception", "")),
  "title": d.feed.get("title"), "id": d.feed.get("id"), "updated": d.feed.get("updated"),
  "links": [l.get("href") for l in d.feed.get("links", [])],
  "entries": [{"id": e.get("id"), "title": e.get("title"), "link": e.get("link"),
               "updated": e.get("updated"),
               "content": (e.get("content") or [{}])[0].get("value", "")} for e in d.entries],
}))
"#;

const ICALENDAR: &str = r#"
import sys, json, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
def t(v):
    return None if v is None else v.dt.isoformat()
print(json.dumps({"events": [{
  "uid": str(e.get("uid")), "summary": str(e.get("summary")), "url": str(e.get("url")),
  "location": str(e.get("location")) if e.get("location") else None,
  "start": t(e.get("dtstart")), "end": t(e.get("dtend")),
} for e in cal.walk("VEVENT")]}))
"#;

/// GETs a path. A connection the in-process server closed before answering (seen on
/// PostgreSQL runs as hyper's `IncompleteMessage`, before any handler ran) is retried
/// once: GETs are idempotent, and every answer that arrives is checked.
pub async fn fetch(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let url = format!("{}{path}", app.address);
    let r = match app.client.get(&url).send().await {
        Ok(r) => r,
        Err(e) if e.is_request() => {
            eprintln!("retrying {path} once after a closed connection: {e}");
            app.client.get(&url).send().await.expect("request")
        }
        Err(e) => panic!("{path}: {e}"),
    };
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// Adds and publishes a timed event in the demo campaign; returns its slug.
async fn add_timed_event(app: &TestApp) -> String {
    app.with_db(|conn| {
        let c = campaigns::by_slug(conn, "where-are-the-children")?;
        let input = actions::ActionInput {
            summary: "A candlelight vigil.".checked(),
            starts_at: NaiveDate::from_ymd_opt(2030, 7, 4)
                .unwrap()
                .and_hms_opt(18, 30, 0),
            ends_at: NaiveDate::from_ymd_opt(2030, 7, 4)
                .unwrap()
                .and_hms_opt(20, 0, 0),
            location: "City Hall, Springfield".checked(),
            tags: vec!["vigil".checked()],
            ..actions::ActionInput::new(
                c.id,
                ActionKind::Event,
                "Vigil <at> City Hall & more".checked(),
            )
        };
        db::write_tx(conn, |conn| {
            let a = actions::create(conn, &input, None, &Actor::system())?;
            actions::transition(conn, a.id, Transition::Publish, &Actor::system())?;
            Ok(a.slug)
        })
    })
    .await
}

#[tokio::test]
async fn site_feed_parses_with_stable_ids_and_absolute_links() {
    let app = spawn_demo().await;
    let (status, ct, bytes) = fetch(&app, "/feed.atom").await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/atom+xml"), "{ct}");
    if !python_has("feedparser") {
        return;
    }
    let f = python_json(FEEDPARSER, &bytes);
    assert_eq!(f["bozo"], 0, "feed error: {}", f["error"]);
    let entries = f["entries"].as_array().unwrap();
    assert!(entries.len() >= 5, "{f}");
    for e in entries {
        assert!(e["link"].as_str().unwrap().starts_with(&app.address), "{e}");
        assert!(e["id"].as_str().unwrap().starts_with("tag:127.0.0.1,2018:"));
        assert!(e["updated"].as_str().is_some());
    }
    let titles: Vec<&str> = entries
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("6/15 Update")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("5/29 Update")),
        "{titles:?}"
    );
    // The update's Markdown body is in the content, rendered.
    let june = entries
        .iter()
        .find(|e| e["title"].as_str().unwrap().contains("6/15 Update"))
        .unwrap();
    assert!(june["link"]
        .as_str()
        .unwrap()
        .contains("/campaigns/where-are-the-children#"));

    // A new change adds an entry on top; the old ids stay the same.
    let before: Vec<Value> = entries.iter().map(|e| e["id"].clone()).collect();
    let slug = add_timed_event(&app).await;
    let (_, _, bytes) = fetch(&app, "/feed.atom").await;
    let f2 = python_json(FEEDPARSER, &bytes);
    let e2 = f2["entries"].as_array().unwrap();
    assert!(e2[0]["title"]
        .as_str()
        .unwrap()
        .contains("Vigil <at> City Hall & more"));
    assert!(e2[0]["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/actions/{slug}")));
    let after: Vec<Value> = e2.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(&after[1..], &before[..], "old entries keep their ids");
}

#[tokio::test]
async fn campaign_feed_has_only_that_campaign_and_unknown_is_404() {
    let app = spawn_demo().await;
    let (status, _, bytes) = fetch(&app, "/campaigns/where-are-the-children/feed.atom").await;
    assert_eq!(status, 200);
    let (missing, _, _) = fetch(&app, "/campaigns/no-such-campaign/feed.atom").await;
    assert_eq!(missing, 404);
    if !python_has("feedparser") {
        return;
    }
    let f = python_json(FEEDPARSER, &bytes);
    assert_eq!(f["bozo"], 0, "feed error: {}", f["error"]);
    assert!(f["id"]
        .as_str()
        .unwrap()
        .ends_with("/campaigns/where-are-the-children/feed.atom"));
    assert!(!f["entries"].as_array().unwrap().is_empty());
    // The campaign page and home page point at the feeds.
    let (_, _, page) = fetch(&app, "/campaigns/where-are-the-children").await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(
        r##"type="application/atom+xml" title="#WhereAreTheChildren: How to help: changes and updates" href="/campaigns/where-are-the-children/feed.atom""##
    ), "{page}");
    let (_, _, home) = fetch(&app, "/").await;
    assert!(String::from_utf8(home)
        .unwrap()
        .contains(r#"href="/feed.atom""#));
}

#[tokio::test]
async fn calendars_list_event_actions_with_utc_times() {
    let app = spawn_demo().await;
    let slug = add_timed_event(&app).await;
    let (status, ct, bytes) = fetch(&app, "/events.ics").await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("DTSTART:20300704T183000Z"), "{text}");
    assert!(text.contains("DTEND:20300704T200000Z"), "{text}");
    let (one_status, one_ct, one) = fetch(&app, &format!("/actions/{slug}.ics")).await;
    assert_eq!(one_status, 200);
    assert!(one_ct.starts_with("text/calendar"));
    let (not_event, _, _) = fetch(&app, "/actions/call-ice.ics").await;
    assert_eq!(not_event, 404);
    let (page_status, _, page) = fetch(&app, &format!("/actions/{slug}")).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(page_status, 200);
    assert!(page.contains(&format!("href=\"/actions/{slug}.ics\"")));
    if !python_has("icalendar") {
        return;
    }
    let cal = python_json(ICALENDAR, &bytes);
    let events = cal["events"].as_array().unwrap();
    let summaries: Vec<&str> = events
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(events.len(), 3, "{summaries:?}");
    let vigil = events
        .iter()
        .find(|e| e["summary"] == "Vigil <at> City Hall & more")
        .unwrap();
    assert_eq!(vigil["start"], "2030-07-04T18:30:00+00:00");
    assert_eq!(vigil["end"], "2030-07-04T20:00:00+00:00");
    assert_eq!(vigil["location"], "City Hall, Springfield");
    assert_eq!(vigil["url"], format!("{}/actions/{slug}", app.address));
    // The marches have a date but no time: an all-day event on 14 June 2018.
    let marches = events
        .iter()
        .find(|e| e["summary"] == "#WhereAreTheChildren marches")
        .unwrap();
    assert_eq!(marches["start"], "2018-06-14");
    assert_eq!(marches["end"], "2018-06-15");
    // UIDs are stable and the single-event file agrees with the full calendar.
    let single = python_json(ICALENDAR, &one);
    assert_eq!(single["events"][0]["uid"], vigil["uid"]);
    let (_, _, again) = fetch(&app, "/events.ics").await;
    assert_eq!(python_json(ICALENDAR, &again)["events"], cal["events"]);
}

/// Every control character in stored text is removed or escaped: the calendar has CR only
/// in CRLF line ends, no property the text tried to inject, and the feed is well-formed.
#[tokio::test]
async fn control_characters_never_reach_calendars_or_feeds() {
    let app = spawn_demo().await;
    // The fields' own rules refuse such text now; this is text stored before they did (or
    // written by another tool), put straight into the table.
    app.with_db(|conn| {
        use actiondesk::db::schema::actions as t;
        use diesel::prelude::*;
        let c = campaigns::by_slug(conn, "where-are-the-children")?;
        let mut input = crate::fixtures::action(c.id, "Vigil");
        input.kind = ActionKind::Event;
        input.starts_at = NaiveDate::from_ymd_opt(2030, 7, 4)
            .unwrap()
            .and_hms_opt(18, 30, 0);
        db::write_tx(conn, |conn| {
            let a = actions::create(conn, &input, None, &Actor::system())?;
            diesel::update(t::table.filter(t::id.eq(a.id)))
                .set((
                    t::title.eq("Vigil\u{7} at the\r\nURL:https://evil.example/ hall"),
                    t::location.eq(
                        "City Hall\rATTENDEE:mailto:evil@example.org\u{7}\u{1b}\nURL:https://evil.example/",
                    ),
                    t::summary.eq("Bring a candle.\r\u{1b}[31m\rORGANIZER:mailto:evil@example.org"),
                ))
                .execute(conn)?;
            actions::transition(conn, a.id, Transition::Publish, &Actor::system())?;
            Ok(a.slug)
        })
    })
    .await;
    let (status, _, bytes) = fetch(&app, "/events.ics").await;
    assert_eq!(status, 200);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "a bare CR at {i}"),
            b'\n' => assert_eq!(bytes[i - 1], b'\r', "a bare LF at {i}"),
            b'\t' => {}
            b => assert!(b >= 0x20 && b != 0x7f, "control byte {b:#x} at {i}"),
        }
    }
    let text = String::from_utf8(bytes.clone()).unwrap();
    for line in text.split("\r\n") {
        assert!(
            !line.starts_with("ATTENDEE") && !line.starts_with("ORGANIZER"),
            "an injected property: {line:?}"
        );
        assert!(
            !line.starts_with("URL:https://evil"),
            "an injected URL: {line:?}"
        );
    }
    let (status, _, atom) = fetch(&app, "/feed.atom").await;
    assert_eq!(status, 200);
    for (i, &b) in atom.iter().enumerate() {
        assert!(
            b >= 0x20 || b == b'\n' || b == b'\t',
            "control byte {b:#x} at {i} in the feed"
        );
    }
    if python_has("icalendar") {
        let cal = python_json(ICALENDAR, &bytes);
        let vigil = cal["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["summary"].as_str().unwrap().starts_with("Vigil"))
            .cloned()
            .unwrap();
        assert_eq!(
            vigil["location"],
            "City Hall ATTENDEE:mailto:evil@example.org   URL:https://evil.example/"
        );
        assert!(vigil["url"].as_str().unwrap().starts_with(&app.address));
    }
    if python_has("feedparser") {
        let f = python_json(FEEDPARSER, &atom);
        assert_eq!(f["bozo"], 0, "feed error: {}", f["error"]);
    }
}
