//! The JSON API's public reads: lists, filters, one campaign, the directory.

use serde_json::{json, Value};

use crate::api_support::{api, api_demo, Api};

async fn make(api: &Api, campaign: &str, kind: &str, title: &str, extra: Value) -> String {
    let mut body = json!({"campaign": campaign, "kind": kind, "title": title});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let a = api.call("POST", "/api/v1/actions", Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.json);
    a.json["slug"].as_str().unwrap().to_string()
}

fn slugs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn action_filters_by_campaign_status_kind_and_words() {
    let api = api().await;
    let one = api.campaign("Children").await;
    let two = api.campaign("Water").await;
    let call = make(
        &api,
        &one,
        "call",
        "Call the senator",
        json!({"script": "Ask about the shelters"}),
    )
    .await;
    let petition = make(
        &api,
        &one,
        "petition",
        "Sign for reunification",
        json!({"tags": ["families"]}),
    )
    .await;
    let event = make(
        &api,
        &two,
        "event",
        "Rally at city hall",
        json!({"summary": "Bring water"}),
    )
    .await;
    let draft = make(&api, &two, "call", "Call the water board", json!({})).await;
    let gone = make(&api, &two, "read", "Read the report", json!({})).await;
    for s in [&call, &petition, &event, &gone] {
        let a = api
            .call("POST", &format!("/api/v1/actions/{s}/publish"), None)
            .await;
        assert_eq!(a.status, 200);
    }
    assert_eq!(
        api.call("POST", &format!("/api/v1/actions/{gone}/expire"), None)
            .await
            .status,
        200
    );

    let api = &api;
    let get = |q: &'static str| async move {
        api.send("GET", &format!("/api/v1/actions{q}"), None, None)
            .await
    };
    let all = get("").await;
    assert_eq!(all.status, 200);
    assert_eq!(
        slugs(&all.json),
        vec![call.clone(), petition.clone(), event.clone()],
        "published by default"
    );
    assert_eq!(
        slugs(&get("?campaign=children").await.json),
        vec![call.clone(), petition.clone()]
    );
    assert_eq!(
        slugs(&get("?campaign=water").await.json),
        vec![event.clone()]
    );
    assert_eq!(
        slugs(&get("?kind=petition").await.json),
        vec![petition.clone()]
    );
    assert_eq!(
        slugs(&get("?kind=call&campaign=water").await.json),
        Vec::<String>::new()
    );
    assert_eq!(
        slugs(&get("?status=expired").await.json),
        vec![gone.clone()]
    );
    assert_eq!(
        slugs(&get("?q=SHELTERS").await.json),
        vec![call.clone()],
        "scripts are searched"
    );
    assert_eq!(
        slugs(&get("?q=families").await.json),
        vec![petition.clone()],
        "tags are searched"
    );
    assert_eq!(
        slugs(&get("?q=water").await.json),
        vec![event.clone()],
        "drafts never show"
    );
    assert_eq!(
        slugs(&get("?q=call+senator").await.json),
        vec![call.clone()]
    );
    assert_eq!(
        slugs(&get("?q=call+mayor").await.json),
        Vec::<String>::new(),
        "every word must match"
    );

    // Drafts need a token.
    let anon = get("?status=draft").await;
    assert_eq!(anon.status, 401);
    assert_eq!(anon.json["error"]["code"], "unauthorized");
    let mine = api.call("GET", "/api/v1/actions?status=draft", None).await;
    assert_eq!(slugs(&mine.json), vec![draft.clone()]);
    let bad = api
        .send("GET", "/api/v1/actions?status=draft", Some("wrong"), None)
        .await;
    assert_eq!(bad.status, 401);

    for (q, field) in [
        ("?status=gone", "status"),
        ("?kind=telegram", "kind"),
        // The schema lists the statuses and kinds: given empty, or not exactly one of
        // them, is not the default (schemathesis sends `kind=`).
        ("?status=", "status"),
        ("?kind=", "kind"),
        ("?kind=%20call", "kind"),
        ("?status=Published", "status"),
    ] {
        let a = get(q).await;
        assert_eq!(a.status, 422, "{q}: {}", a.json);
        assert_eq!(a.json["error"]["field"], field);
    }
    // Any string is a slug to look up: one naming no campaign is not found.
    let a = get("?campaign=nope").await;
    assert_eq!(a.status, 404, "{}", a.json);
    assert_eq!(a.json["error"]["code"], "not_found");
}

#[tokio::test]
async fn campaigns_and_the_directory_read_without_a_token() {
    let api = api_demo().await;
    let camps = api.send("GET", "/api/v1/campaigns", None, None).await;
    assert_eq!(camps.status, 200);
    let items = camps.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let slug = items[0]["slug"].as_str().unwrap();
    assert!(items[0]["title"].is_string() && items[0]["created_at"].is_string());

    let one = api
        .send("GET", &format!("/api/v1/campaigns/{slug}"), None, None)
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json["slug"], slug);
    let actions = one.json["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(actions.iter().all(|a| a["status"] == "published"));
    assert!(one.json["past_actions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["status"] == "expired"));
    assert!(!one.json["past_actions"].as_array().unwrap().is_empty());
    assert!(!one.json["updates"].as_array().unwrap().is_empty());

    // Every action in the list has the SPEC fields.
    let list = api.send("GET", "/api/v1/actions", None, None).await;
    for a in list.json["items"].as_array().unwrap() {
        for key in [
            "slug",
            "campaign",
            "kind",
            "title",
            "summary",
            "body",
            "script",
            "status",
            "developing",
            "starts_at",
            "ends_at",
            "expires_at",
            "location",
            "url",
            "targets",
            "tags",
            "sources",
            "created_at",
            "updated_at",
        ] {
            assert!(a.get(key).is_some(), "{key} missing in {a}");
        }
        for t in a["targets"].as_array().unwrap() {
            for p in t["phones"].as_array().unwrap() {
                assert!(p["e164"].as_str().unwrap().starts_with('+'));
                for key in ["display", "vanity", "kind", "note"] {
                    assert!(p.get(key).is_some(), "{key} missing in {p}");
                }
            }
        }
    }

    let hotlines = api.send("GET", "/api/v1/hotlines", None, None).await;
    assert_eq!(hotlines.status, 200);
    let h = hotlines.json["items"].as_array().unwrap();
    assert!(!h.is_empty());
    assert!(h
        .iter()
        .all(|x| x["name"].is_string() && x["phones"].is_array()));

    let contacts = api.send("GET", "/api/v1/contacts", None, None).await;
    assert_eq!(contacts.status, 200);
    let c = contacts.json["items"].as_array().unwrap();
    let ice = c
        .iter()
        .find(|x| x["slug"] == "ice")
        .expect("the demo's ICE contact");
    assert!(ice["phones"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["vanity"].is_string()));
}
