//! The JSON API's writes: tokens, bad input, unknown and taken slugs, and exactly which
//! change-log entries each write leaves.

use actiondesk::db::{tokens, write_tx, Actor};
use serde_json::{json, Value};

use crate::api_support::{api, Api};

fn full_action(campaign: &str) -> Value {
    json!({
        "campaign": campaign,
        "kind": "call",
        "title": "Call ICE about detained children",
        "summary": "Ask where the children are.",
        "body": "Families were **separated**.",
        "script": "Hello, my name is [YOUR NAME].",
        "scripts": [{"lang": "es", "body": "Hola, me llamo [YOUR NAME]."}],
        "developing": true,
        "starts_at": "2026-06-01T18:00:00Z",
        "ends_at": "2026-06-01T20:00:00+02:00",
        "expires_at": "2026-12-31T23:59:00Z",
        "location": "Washington, DC",
        "url": "https://example.org/act",
        "tags": ["ice", "phone"],
        "links": [{"title": "Background", "url": "https://example.org/background"}],
        "sources": [{"url": "https://example.org/source"}],
        "targets": [
            {"kind": "contact", "note": "Ask for the ombudsman",
             "contact": {"name": "ICE Detention Reporting", "kind": "agency",
                         "phones": [{"number": "1-866-DHS-2-ICE"}, {"number": "(202) 401-9246", "kind": "direct"}]}},
            {"kind": "visitor_senators"}
        ]
    })
}

#[tokio::test]
async fn create_answers_201_with_location_and_the_whole_action() {
    let api = api().await;
    let campaign = api.campaign("Where are the children").await;
    let a = api
        .call("POST", "/api/v1/actions", Some(full_action(&campaign)))
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    let slug = a.json["slug"].as_str().unwrap();
    assert_eq!(slug, "call-ice-about-detained-children");
    assert_eq!(
        a.header("location").as_deref(),
        Some("/api/v1/actions/call-ice-about-detained-children")
    );
    let j = &a.json;
    assert_eq!(j["campaign"], campaign.as_str());
    assert_eq!(j["status"], "draft");
    assert_eq!(j["kind"], "call");
    assert_eq!(j["developing"], true);
    assert_eq!(j["script"], "Hello, my name is [YOUR NAME].");
    assert_eq!(j["scripts"].as_array().unwrap().len(), 2);
    assert_eq!(j["starts_at"], "2026-06-01T18:00:00Z");
    assert_eq!(j["ends_at"], "2026-06-01T18:00:00Z", "converted to UTC");
    assert_eq!(j["expires_at"], "2026-12-31T23:59:00Z");
    assert_eq!(j["tags"], json!(["ice", "phone"]));
    assert_eq!(j["links"][0]["url"], "https://example.org/background");
    assert_eq!(j["sources"][0]["title"], "https://example.org/source");
    let phones = &j["targets"][0]["phones"];
    assert_eq!(phones[0]["e164"], "+18663472423");
    assert_eq!(phones[0]["vanity"], "1-866-DHS-2-ICE");
    assert_eq!(phones[0]["kind"], "toll_free");
    assert_eq!(phones[1]["e164"], "+12024019246");
    assert_eq!(phones[1]["kind"], "direct");
    assert!(phones[0]["display"].as_str().unwrap().contains("866"));
    assert_eq!(j["targets"][0]["note"], "Ask for the ombudsman");
    assert_eq!(j["targets"][0]["contact"], "ice-detention-reporting");
    assert_eq!(j["targets"][1]["kind"], "visitor_senators");
    assert!(j["created_at"].as_str().unwrap().ends_with('Z'));

    // The new contact can be named by slug from then on.
    let b = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(
                json!({"campaign": campaign, "kind": "email", "title": "Write to ICE",
                "targets": [{"contact": "ice-detention-reporting"}]}),
            ),
        )
        .await;
    assert_eq!(b.status, 201, "{}", b.json);
    assert_eq!(b.json["targets"][0]["phones"][0]["e164"], "+18663472423");

    // A draft is private: 404 without a token, shown with one.
    let anon = api
        .send("GET", &format!("/api/v1/actions/{slug}"), None, None)
        .await;
    assert_eq!(anon.status, 404);
    let mine = api
        .call("GET", &format!("/api/v1/actions/{slug}"), None)
        .await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json["title"], "Call ICE about detained children");
    assert!(api
        .change_log()
        .await
        .iter()
        .all(|(k, _)| k != "action_published"));
}

#[tokio::test]
async fn writes_without_a_valid_token_answer_401_and_change_nothing() {
    let api = api().await;
    let campaign = api.campaign("Tokens").await;
    let a = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": campaign, "kind": "call", "title": "A draft"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let revoked = api
        .app
        .with_db(|c| {
            write_tx(c, |c| {
                let o = actiondesk::db::people::find_organizer(c, "api@example.org")?.unwrap();
                let t = tokens::create(c, o.id, "old", &Actor::system())?;
                tokens::revoke(c, t.token.id, &Actor::system(), true)?;
                Ok(t.plain)
            })
        })
        .await;
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            "/api/v1/actions".into(),
            Some(json!({"campaign": campaign, "kind": "call", "title": "Sneaky"})),
        ),
        (
            "PATCH",
            "/api/v1/actions/a-draft".into(),
            Some(json!({"title": "Changed"})),
        ),
        ("POST", "/api/v1/actions/a-draft/publish".into(), None),
        ("POST", "/api/v1/actions/a-draft/expire".into(), None),
        ("POST", "/api/v1/actions/a-draft/reopen".into(), None),
        (
            "POST",
            "/api/v1/campaigns".into(),
            Some(json!({"title": "Sneaky", "summary": "x"})),
        ),
        (
            "POST",
            format!("/api/v1/campaigns/{campaign}/updates"),
            Some(json!({"title": "Sneaky update", "body": "x"})),
        ),
    ];
    let before = api.change_log().await;
    for (method, path, body) in &writes {
        for token in [None, Some(revoked.as_str()), Some("made-up-token")] {
            let a = api.send(method, path, token, body.clone()).await;
            assert_eq!(a.status, 401, "{method} {path} with {token:?}: {}", a.json);
            assert_eq!(a.code(), Some("unauthorized"));
            assert!(a.json["error"]["message"].as_str().is_some());
            assert_eq!(a.header("www-authenticate").as_deref(), Some("Bearer"));
        }
    }
    // Another scheme is no token either.
    let basic = api
        .app
        .client
        .post(format!(
            "{}/api/v1/actions/a-draft/publish",
            api.app.address
        ))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    assert_eq!(api.change_log().await, before);
    let d = api.call("GET", "/api/v1/actions/a-draft", None).await;
    assert_eq!(d.json["title"], "A draft");
    assert_eq!(d.json["status"], "draft");
    let (actions, _) = api.counts().await;
    assert_eq!(actions, 1);
    let camps = api.send("GET", "/api/v1/campaigns", None, None).await;
    assert_eq!(camps.json["items"].as_array().unwrap().len(), 1);
}

async fn expect_422(api: &Api, campaign: &str, change: Value, field: &str) {
    let mut body = full_action(campaign);
    for (k, v) in change.as_object().unwrap() {
        if v.is_null() && k == "title" {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    let a = api.call("POST", "/api/v1/actions", Some(body)).await;
    assert_eq!(a.status, 422, "{change}: {}", a.json);
    assert_eq!(a.code(), Some("invalid"));
    assert_eq!(a.field(), Some(field), "{change}: {}", a.json);
    assert!(!a.json["error"]["message"].as_str().unwrap().is_empty());
    assert_eq!(api.counts().await, (0, 0), "{change}: nothing stored");
}

#[tokio::test]
async fn bad_fields_answer_422_naming_the_field_and_store_nothing() {
    let api = api().await;
    let campaign = api.campaign("Bad input").await;
    expect_422(&api, &campaign, json!({"kind": "telegram"}), "kind").await;
    expect_422(&api, &campaign, json!({"title": null}), "title").await;
    expect_422(&api, &campaign, json!({"title": "   "}), "title").await;
    expect_422(&api, &campaign, json!({"title": 42}), "title").await;
    expect_422(&api, &campaign, json!({"url": "not a url"}), "url").await;
    expect_422(
        &api,
        &campaign,
        json!({"url": "javascript:alert(1)"}),
        "url",
    )
    .await;
    expect_422(
        &api,
        &campaign,
        json!({"expires_at": "next tuesday"}),
        "expires_at",
    )
    .await;
    expect_422(
        &api,
        &campaign,
        json!({"ends_at": "2026-05-01T00:00:00Z"}),
        "ends_at",
    )
    .await;
    expect_422(
        &api,
        &campaign,
        json!({"campaign": "no-such-campaign"}),
        "campaign",
    )
    .await;
    expect_422(&api, &campaign, json!({"slug": "Not A Slug"}), "slug").await;
    expect_422(&api, &campaign, json!({"colour": "red"}), "colour").await;
    expect_422(&api, &campaign, json!({"tags": ["ok", ""]}), "tags[1]").await;
    expect_422(
        &api,
        &campaign,
        json!({"links": [{"url": "ftp://example.org/x"}]}),
        "links[0].url",
    )
    .await;
    expect_422(
        &api,
        &campaign,
        json!({"targets": [{"kind": "contact", "contact": {"name": "X", "phones": [{"number": "12"}]}}]}),
        "targets[0].contact.phones[0].number",
    )
    .await;
    expect_422(
        &api,
        &campaign,
        json!({"targets": [{"kind": "mayor"}]}),
        "targets[0].kind",
    )
    .await;
    expect_422(
        &api,
        &campaign,
        json!({"targets": [{"contact": "nobody-by-that-name"}]}),
        "targets[0].contact",
    )
    .await;
    // A good target and then a bad one: the good one's new contact is not kept either.
    expect_422(
        &api,
        &campaign,
        json!({"targets": [
            {"contact": {"name": "Kept Nowhere", "phones": [{"number": "202-401-9246"}]}},
            {"contact": {"name": "Bad", "phones": [{"number": "555"}]}}]}),
        "targets[1].contact.phones[0].number",
    )
    .await;

    // PATCH: same checks, and nothing changes.
    let ok = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": campaign, "kind": "call", "title": "Fine"})),
        )
        .await;
    assert_eq!(ok.status, 201);
    for (body, field) in [
        (json!({"kind": "fax"}), "kind"),
        (json!({"title": null}), "title"),
        (json!({"url": "nope"}), "url"),
        (json!({"starts_at": "2026-13-01"}), "starts_at"),
        (json!({"slug": "renamed"}), "slug"),
        (json!({"developing": "yes"}), "developing"),
    ] {
        let a = api
            .call("PATCH", "/api/v1/actions/fine", Some(body.clone()))
            .await;
        assert_eq!(a.status, 422, "{body}: {}", a.json);
        assert_eq!(a.field(), Some(field), "{body}: {}", a.json);
    }
    let after = api.call("GET", "/api/v1/actions/fine", None).await;
    assert_eq!(after.json["title"], "Fine");
    assert_eq!(after.json["kind"], "call");

    // Campaigns and updates name their fields too.
    let c = api
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(json!({"summary": "no title"})),
        )
        .await;
    assert_eq!((c.status, c.field()), (422, Some("title")));
    let u = api
        .call(
            "POST",
            &format!("/api/v1/campaigns/{campaign}/updates"),
            Some(json!({"title": "Dated", "published_at": "yesterday"})),
        )
        .await;
    assert_eq!((u.status, u.field()), (422, Some("published_at")));
    let u = api
        .call(
            "POST",
            &format!("/api/v1/campaigns/{campaign}/updates"),
            Some(json!({"title": "Dated", "actions": ["no-such-action"]})),
        )
        .await;
    assert_eq!((u.status, u.field()), (422, Some("actions[0]")));
    assert!(
        api.change_log().await.is_empty(),
        "no update was posted: {:?}",
        api.change_log().await
    );
}

#[tokio::test]
async fn malformed_json_is_400_in_the_error_shape() {
    let api = api().await;
    let post = |body: &'static str, content_type: &'static str| {
        api.app
            .client
            .post(format!("{}/api/v1/actions", api.app.address))
            .bearer_auth(&api.token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    for (body, ct) in [
        ("{\"title\": ", "application/json"),
        ("{title: 'x'}", "application/json"),
        ("title=x", "application/x-www-form-urlencoded"),
        ("[1, 2]", "application/json"),
    ] {
        let r = post(body, ct).await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{body}");
        assert!(r
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["error"]["code"], "bad_request", "{body}: {j}");
        assert!(j["error"]["message"].as_str().unwrap().len() > 10, "{j}");
    }
    let r = post("{\"title\": ", "application/json").await.unwrap();
    let j: Value = r.json().await.unwrap();
    assert!(
        j["error"]["message"].as_str().unwrap().contains("JSON"),
        "{j}"
    );
}

#[tokio::test]
async fn unknown_slugs_are_404_and_taken_slugs_409() {
    let api = api().await;
    let campaign = api.campaign("Slugs").await;
    for (method, path, body) in [
        ("GET", "/api/v1/actions/nope", None),
        ("PATCH", "/api/v1/actions/nope", Some(json!({"title": "x"}))),
        ("POST", "/api/v1/actions/nope/publish", None),
        ("POST", "/api/v1/actions/nope/expire", None),
        ("POST", "/api/v1/actions/nope/reopen", None),
        ("GET", "/api/v1/campaigns/nope", None),
        (
            "POST",
            "/api/v1/campaigns/nope/updates",
            Some(json!({"title": "x"})),
        ),
    ] {
        let a = api.call(method, path, body).await;
        assert_eq!(a.status, 404, "{method} {path}: {}", a.json);
        assert_eq!(a.code(), Some("not_found"));
    }
    let body = json!({"campaign": campaign, "kind": "call", "title": "Same", "slug": "same"});
    assert_eq!(
        api.call("POST", "/api/v1/actions", Some(body.clone()))
            .await
            .status,
        201
    );
    let again = api.call("POST", "/api/v1/actions", Some(body)).await;
    assert_eq!(again.status, 409, "{}", again.json);
    assert_eq!(again.code(), Some("conflict"));
    assert_eq!(again.field(), Some("slug"));
    // Without a slug, the title makes a free one.
    let free = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": campaign, "kind": "call", "title": "Same"})),
        )
        .await;
    assert_eq!(free.json["slug"], "same-2");
    let c = api
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(json!({"title": "Other", "slug": campaign})),
        )
        .await;
    assert_eq!((c.status, c.field()), (409, Some("slug")));
    let c = api
        .call("POST", "/api/v1/campaigns", Some(json!({"title": "Slugs"})))
        .await;
    assert_eq!(c.status, 201);
    assert_eq!(c.json["slug"], "slugs-2");
    assert_eq!(
        c.header("location").as_deref(),
        Some("/api/v1/campaigns/slugs-2")
    );
}

#[tokio::test]
async fn the_lifecycle_through_the_api_leaves_exactly_the_expected_change_log() {
    let api = api().await;
    let campaign = api.campaign("Lifecycle").await;
    let created = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(
                json!({"campaign": campaign, "kind": "call", "title": "Call the mayor",
                "url": "https://example.org/a", "script": "Hello"}),
            ),
        )
        .await;
    assert_eq!(created.status, 201);
    let p = "/api/v1/actions/call-the-mayor";

    // Draft edits: no entry.
    let a = api
        .call(
            "PATCH",
            p,
            Some(json!({"summary": "Today", "tags": ["city"]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["summary"], "Today");
    assert_eq!(a.json["url"], "https://example.org/a", "absent fields stay");
    assert!(api.change_log().await.is_empty());

    let a = api.call("POST", &format!("{p}/publish"), None).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["status"], "published");
    assert!(a.json["published_at"].is_string());
    let anon = api.send("GET", p, None, None).await;
    assert_eq!(anon.status, 200, "published actions are public");

    let again = api.call("POST", &format!("{p}/publish"), None).await;
    assert_eq!(again.status, 409, "{}", again.json);
    assert!(again.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already published"));
    let reopen = api.call("POST", &format!("{p}/reopen"), None).await;
    assert_eq!(reopen.status, 409);

    // A published edit records which fields changed; null clears the URL.
    let a = api
        .call(
            "PATCH",
            p,
            Some(json!({"title": "Call the mayor now", "url": null,
                "expires_at": "2030-01-01T00:00:00Z", "summary": "Today"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["url"], Value::Null);
    assert_eq!(a.json["title"], "Call the mayor now");
    assert_eq!(a.json["script"], "Hello");
    // The same values again change nothing and log nothing.
    let same = api
        .call("PATCH", p, Some(json!({"title": "Call the mayor now"})))
        .await;
    assert_eq!(same.status, 200);

    let a = api.call("POST", &format!("{p}/expire"), None).await;
    assert_eq!(
        (a.status, a.json["status"].as_str()),
        (200, Some("expired"))
    );
    assert_eq!(
        api.call("POST", &format!("{p}/expire"), None).await.status,
        409
    );
    let a = api.call("POST", &format!("{p}/reopen"), None).await;
    assert_eq!(
        (a.status, a.json["status"].as_str()),
        (200, Some("published"))
    );

    let u = api
        .call(
            "POST",
            &format!("/api/v1/campaigns/{campaign}/updates"),
            Some(
                json!({"title": "5/29 Update", "body": "The mayor answers calls again.",
                "published_at": "2026-05-29T12:00:00Z",
                "actions": [{"slug": "call-the-mayor", "relation": "changed"}]}),
            ),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.json);
    assert_eq!(u.json["title"], "5/29 Update");
    assert_eq!(u.json["published_at"], "2026-05-29T12:00:00Z");
    assert_eq!(u.json["campaign"], campaign.as_str());
    assert_eq!(u.json["actions"][0]["slug"], "call-the-mayor");
    assert_eq!(u.json["actions"][0]["relation"], "changed");

    let log = api.change_log().await;
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        log,
        vec![
            ("action_published".to_string(), s(&["status"])),
            (
                "action_changed".to_string(),
                s(&["expires_at", "title", "url"])
            ),
            ("action_expired".to_string(), s(&["status"])),
            ("action_reopened".to_string(), s(&["status"])),
            ("update_posted".to_string(), vec![]),
        ]
    );
    // Who did it: the token's organizer.
    let actors = api
        .app
        .with_db(|c| {
            Ok(actiondesk::db::changes::after(c, 0, 100)?
                .into_iter()
                .map(|ch| (ch.actor, ch.organizer_id))
                .collect::<Vec<_>>())
        })
        .await;
    assert!(actors
        .iter()
        .all(|(name, id)| name == "api@example.org" && *id == Some(api.organizer_id)));

    // The campaign shows the update and the action.
    let c = api
        .send("GET", &format!("/api/v1/campaigns/{campaign}"), None, None)
        .await;
    assert_eq!(c.status, 200);
    assert_eq!(c.json["actions"][0]["slug"], "call-the-mayor");
    assert_eq!(c.json["updates"][0]["title"], "5/29 Update");
}

#[tokio::test]
async fn repeated_bad_tokens_are_rate_limited_with_retry_after_in_json() {
    let api = api().await;
    let mut last = None;
    for _ in 0..22 {
        let a = api
            .send("POST", "/api/v1/actions/x/publish", Some("guess"), None)
            .await;
        last = Some(a.status);
        if a.status == 429 {
            assert_eq!(a.code(), Some("rate_limited"), "{}", a.json);
            let wait: u64 = a.header("retry-after").unwrap().parse().unwrap();
            assert!(wait >= 1);
            assert!(a
                .header("content-type")
                .unwrap()
                .starts_with("application/json"));
            break;
        }
        assert_eq!(a.status, 401);
    }
    assert_eq!(last, Some(429), "the twenty-first bad token is refused");
    // A valid token still works from the same client.
    let ok = api.call("GET", "/api/v1/actions?status=draft", None).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn racing_creates_of_one_slug_give_one_201_and_409s_never_500() {
    let api = api().await;
    let campaign = api.campaign("Race").await;
    let body = json!({"campaign": campaign, "kind": "call", "title": "Race", "slug": "race-slug"});
    let answers = futures_join_all(
        (0..8)
            .map(|_| api.call("POST", "/api/v1/actions", Some(body.clone())))
            .collect(),
    )
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort();
    assert_eq!(statuses, vec![201, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(api.counts().await.0, 1);
}

/// Runs the futures concurrently and collects their outputs in order.
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut pending: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(f) = slot {
                if let Poll::Ready(v) = f.as_mut().poll(cx) {
                    *result = Some(v);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    results.into_iter().map(|r| r.expect("finished")).collect()
}

#[tokio::test]
async fn a_campaign_has_a_time_zone_given_by_its_iana_name() {
    let api = api().await;
    let bad = api
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(json!({"title": "Zoned", "timezone": "Eastern"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.field()),
        (422, Some("timezone")),
        "{}",
        bad.json
    );
    let c = api
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(json!({"title": "Zoned", "timezone": "America/Chicago"})),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.json);
    assert_eq!(c.json["timezone"], "America/Chicago");
    let plain = api
        .call("POST", "/api/v1/campaigns", Some(json!({"title": "Plain"})))
        .await;
    assert_eq!(plain.json["timezone"], Value::Null);
}

/// openapi.json gives slugs a pattern and times the `date-time` format: the API takes them
/// exactly so (an empty string or spaces around are 422 naming the field; `null` or
/// leaving a field out is how to say "none" or "make one").
#[tokio::test]
async fn slugs_and_times_are_taken_exactly_as_the_schema_says() {
    let api = api().await;
    let campaign = api.campaign("Where are the children").await;
    let updates = format!("/api/v1/campaigns/{campaign}/updates");
    for (path, body, field) in [
        (
            "/api/v1/campaigns",
            json!({"title": "A", "slug": ""}),
            "slug",
        ),
        (
            "/api/v1/campaigns",
            json!({"title": "A", "slug": " a-b"}),
            "slug",
        ),
        (
            "/api/v1/actions",
            json!({"campaign": campaign, "kind": "call", "title": "T", "slug": "t "}),
            "slug",
        ),
        (
            "/api/v1/actions",
            json!({"campaign": campaign, "kind": "call", "title": "T", "expires_at": ""}),
            "expires_at",
        ),
        (
            "/api/v1/actions",
            json!({"campaign": campaign, "kind": "call", "title": "T",
                   "starts_at": " 2026-06-01T18:00:00Z"}),
            "starts_at",
        ),
        (
            updates.as_str(),
            json!({"title": "U", "published_at": ""}),
            "published_at",
        ),
    ] {
        let a = api.call("POST", path, Some(body.clone())).await;
        assert_eq!(a.status, 422, "{path} {body}: {}", a.json);
        assert_eq!(a.json["error"]["field"], field, "{body}");
    }
    let made = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": campaign, "kind": "call", "title": "T",
                        "expires_at": null, "slug": "t"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.json);
    let cleared = api
        .call(
            "PATCH",
            "/api/v1/actions/t",
            Some(json!({"expires_at": ""})),
        )
        .await;
    assert_eq!(cleared.status, 422, "{}", cleared.json);
    let cleared = api
        .call(
            "PATCH",
            "/api/v1/actions/t",
            Some(json!({"expires_at": null})),
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.json);
}

/// Fuzzing found a number libphonenumber reads through a stray `]` but would not load
/// again from its stored E.164 form: refused (422 naming the phone) instead of stored.
#[tokio::test]
async fn a_phone_whose_stored_form_would_not_load_is_refused() {
    let api = api().await;
    let campaign = api.campaign("Where are the children").await;
    let a = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": campaign, "kind": "call", "title": "T",
                "targets": [{"contact": {"name": "Odd", "phones": [{"number": "+78464-8-84-]479"}]}}]})),
        )
        .await;
    assert_eq!(a.status, 422, "{}", a.json);
    assert_eq!(
        a.json["error"]["field"],
        "targets[0].contact.phones[0].number"
    );
}
