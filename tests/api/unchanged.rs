//! Saving what was not changed records nothing: the admin form (which sends CR LF line
//! ends, and shows times without their seconds unless they have some) and a PATCH with the
//! same values, line ends or trailing spaces aside, make no history line, no UPDATED badge
//! and nothing for a digest.

use serde_json::json;

use crate::admin_support::{csrf_of, organizer, post_form, sign_in};
use crate::api_support::{api, Api};

/// A published action with many-line text, a script, a tag, a source and a deadline with
/// seconds; returns the campaign's id.
async fn published_action(api: &Api) -> String {
    api.campaign("Steady").await;
    let a = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({
                "campaign": "steady", "kind": "call", "title": "Call the office",
                "summary": "Ask them\nto act",
                "body": "First paragraph.\n\n- one\n- two",
                "scripts": [{"lang": "en", "body": "Hello,\nmy name is [YOUR NAME]."}],
                "tags": ["urgent"],
                "sources": [{"title": "Report", "url": "https://example.org/report"}],
                "expires_at": "2030-06-01T17:00:30Z"
            })),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    let p = api
        .call("POST", "/api/v1/actions/call-the-office/publish", None)
        .await;
    assert_eq!(p.status, 200, "{}", p.json);
    p.json["updated_at"].as_str().unwrap().to_string()
}

/// The value of the form field `name` (an `input`'s value or a `textarea`'s text).
fn field(page: &str, name: &str) -> String {
    let input = format!("name=\"{name}\" type=");
    if let Some(at) = page.find(&input) {
        let rest = &page[at..];
        let v = rest.find("value=\"").unwrap() + 7;
        let value = &rest[v..];
        return html_unescape(&value[..value.find('"').unwrap()]);
    }
    let at = page
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} in {page}"));
    let rest = &page[at..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</textarea>").unwrap();
    html_unescape(&rest[open..close])
}

fn html_unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What a browser sends for a textarea: CR LF line ends; here with trailing spaces too.
fn as_typed(text: &str) -> String {
    text.lines()
        .map(|l| format!("{l}  "))
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n\r\n"
}

#[tokio::test]
async fn an_untouched_form_save_records_no_change() {
    let api = api().await;
    let updated_at = published_action(&api).await;
    let app = &api.app;
    organizer(app, "ana@example.org", false).await;
    sign_in(app, "ana@example.org").await;
    let (status, page) = app.get("/admin/actions/call-the-office").await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let campaign = {
        let at = page.find("selected>").unwrap();
        let before = &page[..at];
        let v = before.rfind("value=\"").unwrap() + 7;
        before[v..v + before[v..].find('"').unwrap()].to_string()
    };
    let summary = as_typed(&field(&page, "summary"));
    let body = as_typed(&field(&page, "body"));
    let script = as_typed(&field(&page, "script_body"));
    let expires = field(&page, "expires_at");
    let tags = field(&page, "tags");
    let link_title = field(&page, "link_title");
    let link_url = field(&page, "link_url");
    let (status, location, body) = post_form(
        app,
        "/admin/actions/call-the-office",
        &[
            ("csrf_token", &csrf),
            ("campaign", &campaign),
            ("kind", "call"),
            ("title", "Call the office "),
            ("summary", &summary),
            ("body", &body),
            ("url", ""),
            ("tags", &tags),
            ("script_lang", "en"),
            ("script_body", &script),
            ("script_lang", "es"),
            ("script_body", "\r\n"),
            ("target", ""),
            ("target_note", ""),
            ("link_kind", "source"),
            ("link_title", &link_title),
            ("link_url", &link_url),
            ("starts_at", ""),
            ("ends_at", ""),
            ("location", ""),
            ("expires_at", &expires),
            ("intent", "save"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location.as_deref(),
        Some("/admin/actions/call-the-office?done=saved")
    );
    assert_eq!(
        api.change_log().await,
        vec![("action_published".to_string(), vec!["status".to_string()])],
        "an untouched save is no change"
    );
    let a = api
        .send("GET", "/api/v1/actions/call-the-office", None, None)
        .await;
    assert_eq!(a.json["updated_at"], updated_at.as_str());
    assert_eq!(a.json["expires_at"], "2030-06-01T17:00:30Z", "{}", a.json);
    let (_, public) = app.get("/actions/call-the-office").await;
    assert!(!public.contains("revised"), "no history line: {public}");
    let (_, home) = app.get("/").await;
    assert!(!home.contains("UPDATED"), "no badge: {home}");

    // A real edit still is one.
    let (status, _, _) = post_form(
        app,
        "/admin/actions/call-the-office",
        &[
            ("csrf_token", &csrf),
            ("campaign", &campaign),
            ("kind", "call"),
            ("title", "Call the office"),
            ("summary", &summary),
            ("body", "First paragraph, revised.\r\n"),
            ("tags", &tags),
            ("script_lang", "en"),
            ("script_body", &script),
            ("link_kind", "source"),
            ("link_title", &link_title),
            ("link_url", &link_url),
            ("expires_at", &expires),
            ("intent", "save"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let log = api.change_log().await;
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].1, vec!["body".to_string()]);
}

#[tokio::test]
async fn a_patch_that_changes_nothing_records_no_change() {
    let api = api().await;
    let updated_at = published_action(&api).await;
    for patch in [
        json!({"summary": "Ask them\r\nto act", "body": "First paragraph.  \r\n\r\n- one \r\n- two\r\n\r\n"}),
        json!({"title": "Call the office", "expires_at": "2030-06-01T17:00:30Z", "tags": ["urgent"]}),
        json!({"scripts": [{"lang": "en", "body": "Hello, \rmy name is [YOUR NAME].\r"}]}),
        json!({}),
    ] {
        let a = api
            .call(
                "PATCH",
                "/api/v1/actions/call-the-office",
                Some(patch.clone()),
            )
            .await;
        assert_eq!(a.status, 200, "{patch}: {}", a.json);
        assert_eq!(a.json["updated_at"], updated_at.as_str(), "{patch}");
    }
    assert_eq!(
        api.change_log().await,
        vec![("action_published".to_string(), vec!["status".to_string()])]
    );
    let (_, public) = api.app.get("/actions/call-the-office").await;
    assert!(!public.contains("revised"), "{public}");
}
