//! One rule per field, from both doors: the same bad value typed into an admin form and
//! sent to the JSON API is refused with the same message, under each door's name for the
//! field; and nothing an organizer types can make the Atom feeds invalid XML.

use serde_json::{json, Value};

use crate::admin_support::{organizer, post_form, sign_in};
use crate::api_support::{with_token, Api};
use crate::helpers::spawn_demo;

const CAMPAIGN: &str = "where-are-the-children";

/// The demo app with a token and an organizer signed in to the admin pages.
async fn both_doors() -> (Api, String, String) {
    let api = with_token(spawn_demo().await).await;
    organizer(&api.app, "ana@example.org", false).await;
    let csrf = sign_in(&api.app, "ana@example.org").await;
    let cid = api
        .app
        .with_db(|c| Ok(actiondesk::db::campaigns::by_slug(c, CAMPAIGN)?.id))
        .await
        .to_string();
    (api, csrf, cid)
}

/// The message a form page shows beside `field` (its `id` uses `-` for `.`).
fn form_error(html: &str, field: &str) -> Option<String> {
    let id = format!("id=\"{}-error\">", field.replace('.', "-"));
    let at = html.find(&id)? + id.len();
    let rest = &html[at..];
    Some(rest[..rest.find("</p>")?].to_string())
}

/// Posts the action form with `extra` fields over a valid base; answers the message
/// beside `field` (the page must be a 422).
async fn action_form_error(
    api: &Api,
    csrf: &str,
    cid: &str,
    extra: &[(&str, &str)],
    field: &str,
) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("csrf_token", csrf),
        ("campaign", cid),
        ("kind", "call"),
        ("title", "A valid title"),
        ("intent", "save"),
    ];
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        pairs.push((k, v));
    }
    let (status, _, body) = post_form(&api.app, "/admin/actions/new", &pairs).await;
    assert_eq!(status, 422, "{extra:?}");
    form_error(&body, field).unwrap_or_else(|| panic!("no error for {field} in:\n{body}"))
}

/// Sends `body` to the API; answers the error's field and its message (the API's message
/// is `field: message`; it must be a 422).
async fn api_error(api: &Api, method: &str, path: &str, body: Value) -> (String, String) {
    let a = api.call(method, path, Some(body.clone())).await;
    assert_eq!(a.status, 422, "{body}: {}", a.json);
    let field = a.field().unwrap_or_default().to_string();
    let message = a.json["error"]["message"].as_str().unwrap();
    let message = message
        .strip_prefix(&format!("{field}: "))
        .unwrap_or_else(|| panic!("{message:?} does not start with its field"));
    (field, message.to_string())
}

/// Every character XML 1.0 allows (its `Char` production).
fn assert_xml_chars(what: &str, text: &str) {
    for c in text.chars() {
        let ok = matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}';
        assert!(
            ok,
            "{what} holds U+{:04X}, which XML does not allow",
            c as u32
        );
    }
}

#[tokio::test]
async fn the_same_bad_action_field_gets_the_same_error_from_the_form_and_the_api() {
    let (api, csrf, cid) = both_doors().await;
    let long_title = "t".repeat(201);
    let long_summary = "s".repeat(1_001);
    let long_location = "l".repeat(501);
    let long_link_title = "k".repeat(301);
    // (form field, form value, API field, API value, the message both give)
    let cases: Vec<(&str, &str, &str, Value, &str)> = vec![
        (
            "title",
            &long_title,
            "title",
            json!(long_title),
            "must be at most 200 characters",
        ),
        (
            "title",
            "Call\u{7}now",
            "title",
            json!("Call\u{7}now"),
            "must not contain control characters (found U+0007)",
        ),
        (
            "summary",
            "before\0after",
            "summary",
            json!("before\0after"),
            "must not contain control characters (found U+0000)",
        ),
        (
            "summary",
            &long_summary,
            "summary",
            json!(long_summary),
            "must be at most 1000 characters",
        ),
        (
            "location",
            &long_location,
            "location",
            json!(long_location),
            "must be at most 500 characters",
        ),
        (
            "url",
            "https://example.org/a\r\nSet-Cookie: x=1",
            "url",
            json!("https://example.org/a\r\nSet-Cookie: x=1"),
            "must not contain spaces or control characters",
        ),
    ];
    for (form_field, form_value, api_field, api_value, message) in cases {
        let from_form =
            action_form_error(&api, &csrf, &cid, &[(form_field, form_value)], form_field).await;
        let body = json!({"campaign": CAMPAIGN, "kind": "call", "title": "A valid title",
            api_field: api_value});
        let (field, from_api) = api_error(&api, "POST", "/api/v1/actions", body).await;
        assert_eq!(field, api_field);
        assert_eq!(from_form, message, "form, {form_field}");
        assert_eq!(from_api, message, "API, {api_field}");
    }

    // Rows: a link title, a script's language, a tag.
    let from_form = action_form_error(
        &api,
        &csrf,
        &cid,
        &[
            ("link_kind", "source"),
            ("link_title", &long_link_title),
            ("link_url", "https://example.org/"),
        ],
        "link_title.0",
    )
    .await;
    let (field, from_api) = api_error(
        &api,
        "POST",
        "/api/v1/actions",
        json!({"campaign": CAMPAIGN, "kind": "call", "title": "A valid title",
            "sources": [{"title": long_link_title, "url": "https://example.org/"}]}),
    )
    .await;
    assert_eq!(field, "sources[0].title");
    assert_eq!(from_form, "must be at most 300 characters");
    assert_eq!(from_api, from_form);

    let from_form = action_form_error(
        &api,
        &csrf,
        &cid,
        &[("script_lang", "en_US"), ("script_body", "Hello")],
        "script_lang.0",
    )
    .await;
    let (field, from_api) = api_error(
        &api,
        "POST",
        "/api/v1/actions",
        json!({"campaign": CAMPAIGN, "kind": "call", "title": "A valid title",
            "scripts": [{"lang": "en_US", "body": "Hello"}]}),
    )
    .await;
    assert_eq!(field, "scripts[0].lang");
    assert_eq!(from_api, from_form);

    let from_form = action_form_error(&api, &csrf, &cid, &[("tags", "ok, a\u{1b}b")], "tags").await;
    let (field, from_api) = api_error(
        &api,
        "POST",
        "/api/v1/actions",
        json!({"campaign": CAMPAIGN, "kind": "call", "title": "A valid title",
            "tags": ["ok", "a\u{1b}b"]}),
    )
    .await;
    assert_eq!(field, "tags[1]");
    assert_eq!(
        from_form,
        "must not contain control characters (found U+001B)"
    );
    assert_eq!(from_api, from_form);
}

#[tokio::test]
async fn campaigns_and_updates_share_their_rules_between_the_form_and_the_api() {
    let (api, csrf, cid) = both_doors().await;
    let long_summary = "s".repeat(1_001);

    // A campaign's summary: the form allowed 1,000 and the API any length; now 1,000.
    let (status, _, page) = post_form(
        &api.app,
        "/admin/campaigns/new",
        &[
            ("csrf_token", &csrf),
            ("title", "Reunite families"),
            ("summary", &long_summary),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let from_form = form_error(&page, "summary").unwrap();
    let (field, from_api) = api_error(
        &api,
        "POST",
        "/api/v1/campaigns",
        json!({"title": "Reunite families", "summary": long_summary}),
    )
    .await;
    assert_eq!(field, "summary");
    assert_eq!(from_form, "must be at most 1000 characters");
    assert_eq!(from_api, from_form);

    // A dated update's title with a bell in it.
    let (status, _, page) = post_form(
        &api.app,
        "/admin/updates/new",
        &[
            ("csrf_token", &csrf),
            ("campaign", &cid),
            ("title", "6/16 Update \u{7}"),
            ("body", "Bells"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let from_form = form_error(&page, "title").unwrap();
    let (field, from_api) = api_error(
        &api,
        "POST",
        &format!("/api/v1/campaigns/{CAMPAIGN}/updates"),
        json!({"title": "6/16 Update \u{7}", "body": "Bells"}),
    )
    .await;
    assert_eq!(field, "title");
    assert_eq!(
        from_form,
        "must not contain control characters (found U+0007)"
    );
    assert_eq!(from_api, from_form);

    // A contact's website with a line break inside.
    let (status, _, page) = post_form(
        &api.app,
        "/admin/contacts/new",
        &[
            ("csrf_token", &csrf),
            ("kind", "agency"),
            ("name", "Office of Refugee Resettlement"),
            ("website_url", "https://example.org/\nx"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let from_form = form_error(&page, "website_url").unwrap();
    assert_eq!(from_form, "must not contain spaces or control characters");
    let (field, from_api) = api_error(
        &api,
        "POST",
        "/api/v1/actions",
        json!({"campaign": CAMPAIGN, "kind": "call", "title": "Call ORR",
            "targets": [{"contact": {"name": "Office of Refugee Resettlement",
                "website_url": "https://example.org/\nx"}}]}),
    )
    .await;
    assert_eq!(field, "targets[0].contact.website_url");
    assert_eq!(from_api, from_form);
}

#[tokio::test]
async fn feeds_stay_valid_xml_whatever_an_organizer_types_into_an_update() {
    let (api, csrf, cid) = both_doors().await;
    // Control characters are refused at both doors, so they never reach a feed.
    let a = api
        .call(
            "POST",
            &format!("/api/v1/campaigns/{CAMPAIGN}/updates"),
            Some(json!({"title": "Bell \u{7} update", "body": "NUL \0 here"})),
        )
        .await;
    assert_eq!(a.status, 422, "{}", a.json);
    let (status, _, _) = post_form(
        &api.app,
        "/admin/updates/new",
        &[
            ("csrf_token", &csrf),
            ("campaign", &cid),
            ("title", "Bell \u{7} update"),
        ],
    )
    .await;
    assert_eq!(status, 422);

    // What may be typed (a tab, markup, quotes, line breaks in the body) is published,
    // escaped, and the feeds hold only characters XML allows.
    let a = api
        .call(
            "POST",
            &format!("/api/v1/campaigns/{CAMPAIGN}/updates"),
            Some(json!({"title": "Tab\there <b>&</b> \"quoted\"",
                "body": "Line one\r\nLine two\twith a tab"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    for path in ["/feed.atom", &format!("/campaigns/{CAMPAIGN}/feed.atom")] {
        let (status, feed) = api.app.get(path).await;
        assert_eq!(status, 200);
        assert_xml_chars(path, &feed);
        // (a feed title keeps to one line: its tab may become a space)
        assert!(feed.contains("here &lt;b&gt;&amp;&lt;/b&gt;"), "{feed}");
        assert!(!feed.contains("<b>&</b>"), "escaped");
        assert!(!feed.contains('\u{7}') && !feed.contains('\0'));
    }
}
