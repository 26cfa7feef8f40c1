//! Visitors on action pages: "your senators / representative" resolved by ZIP code (query
//! or remembered cookie), filled scripts in each language, and the "I called" outcome
//! forms and API with their counts and rate limit.

use serde_json::{json, Value};

use crate::helpers::TestApp;

const CALL: &str = "/actions/call-your-senators-and-representative";

fn form_post(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client
        .post(format!("{}{path}", app.address))
        .header("Origin", app.address.clone())
}

#[tokio::test]
async fn without_a_zip_the_action_page_offers_the_zip_box_where_the_people_go() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let (status, body) = app.get(CALL).await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"name="zip""#), "the ZIP box");
    assert!(body.contains("Enter your ZIP code"));
    assert!(!body.contains("Maria Cantwell"));
    assert!(body.contains("<mark>[SENATOR NAME]</mark>"));
    assert!(body.contains("<mark>[REP NAME]</mark>"));
    let (_, home) = app.get("/").await;
    assert!(
        home.contains(r#"action="/zip""#) && home.contains(r#"name="next" value="/reps""#),
        "a ZIP box on the home page"
    );
}

#[tokio::test]
async fn with_a_zip_the_action_page_lists_that_zips_people_and_fills_the_script() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let (status, body) = app.get(&format!("{CALL}?zip=98104")).await;
    assert_eq!(status, 200);
    for tel in ["tel:+12022243441", "tel:+12022242621", "tel:+12022253106"] {
        assert!(body.contains(&format!(r#"href="{tel}""#)), "{tel}");
    }
    assert!(!body.contains("Adam Smith"), "98104 is only in WA-7");
    assert!(
        body.contains("What is Maria Cantwell / Patty Murray / Pramila Jayapal doing about this?"),
        "filled script"
    );
    assert!(
        body.contains("<mark>[YOUR NAME]</mark>"),
        "unknown stays visible"
    );
    assert!(body.contains("<mark>[CITY, ZIP]</mark>"));

    // One outcome form per person to call.
    assert!(body.contains(r#"name="contact" value="pramila-jayapal-j000298""#));

    // A split ZIP lists both candidates, says so, and leaves [REP NAME] to the caller.
    let (_, split) = app.get(&format!("{CALL}?zip=98101")).await;
    assert!(split.contains("Pramila Jayapal") && split.contains("Adam Smith"));
    assert!(split.contains("spans 2 congressional districts"));
    assert!(split.contains("<mark>[REP NAME]</mark>"));

    // Name and city typed into the form fill the rest.
    let (_, named) = app
        .get(&format!("{CALL}?zip=98104&name=Ana%20Ruiz&city=Seattle"))
        .await;
    assert!(named.contains("my name is Ana Ruiz and I am a constituent from Seattle, 98104."));
}

#[tokio::test]
async fn the_zip_is_remembered_in_a_cookie_and_can_be_forgotten() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let r = app
        .client
        .get(format!("{}/zip?zip=98104&next=/reps", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the ZIP form's redirect");
    assert_eq!(r.headers()["location"], "/reps?zip=98104");
    let cookie = r
        .headers()
        .get("set-cookie")
        .expect("a cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("zip=98104") && cookie.contains("HttpOnly"));
    // The client's cookie store now sends it: the action page knows the ZIP code.
    let (_, body) = app.get(CALL).await;
    assert!(body.contains("Pramila Jayapal"), "remembered ZIP code");
    assert!(body.contains("Forget my ZIP code"));
    let r = app
        .client
        .get(format!("{}/zip/forget?next={CALL}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], CALL);
    let (_, body) = app.get(CALL).await;
    assert!(!body.contains("Pramila Jayapal"), "forgotten");
    // Off-site "next" values are refused.
    let r = app
        .client
        .get(format!("{}/zip/forget?next=//evil.example/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn scripts_are_offered_in_each_language_without_javascript() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let (_, en) = app.get(CALL).await;
    assert!(en.contains(r#"hreflang="es""#));
    assert!(en.contains("?lang=es"));
    assert!(en.contains("I am outraged"));
    assert!(!en.contains("Estoy indignado"));
    let (_, es) = app.get(&format!("{CALL}?lang=es&zip=98104")).await;
    assert!(es.contains(r#"<div class="script" lang="es">"#));
    assert!(es.contains(
        "¿Qué está haciendo Maria Cantwell / Patty Murray / Pramila Jayapal al respecto?"
    ));
    assert!(!es.contains("I am outraged"));
}

#[tokio::test]
async fn outcome_forms_work_without_javascript_and_counts_show() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let r = form_post(&app, &format!("{CALL}/outcomes"))
        .form(&[
            ("outcome", "voicemail"),
            ("contact", "pramila-jayapal-j000298"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with(CALL), "{back}");
    form_post(&app, &format!("{CALL}/outcomes"))
        .form(&[("outcome", "contacted")])
        .send()
        .await
        .unwrap();
    let (_, body) = app.get(&back).await;
    assert!(body.contains("your report is counted"));
    assert!(body.contains("2 reports"), "total");
    assert!(body.contains(r#"<span data-outcome="voicemail">1 left a voicemail</span>"#));
    assert!(body.contains("Pramila Jayapal: 0 reached, 1 voicemail"));

    // The API answers the same counts.
    let v: Value = app
        .client
        .post(format!("{}/api/v1{CALL}/outcomes", app.address))
        .json(&json!({"outcome": "unavailable"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 3);
    assert_eq!(v["unavailable"], 1);
    assert_eq!(v["targets"][0]["contact"], "pramila-jayapal-j000298");
    let action: Value = app.get_json(&format!("/api/v1{CALL}")).await;
    assert_eq!(
        action["outcomes"]["total"], 3,
        "the action's JSON carries the counts"
    );
}

#[tokio::test]
async fn bad_outcomes_are_422_naming_the_field_and_count_nothing() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    // openapi.json lists the outcomes: the API takes them exactly as listed.
    for body in [
        json!({"outcome": "hung-up"}),
        json!({}),
        json!({"outcome": ""}),
        json!({"outcome": " contacted"}),
        json!({"outcome": "Contacted"}),
    ] {
        let r = app
            .client
            .post(format!("{}/api/v1{CALL}/outcomes", app.address))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["field"], "outcome");
    }
    let r = app
        .client
        .post(format!("{}/api/v1{CALL}/outcomes", app.address))
        .json(&json!({"outcome": "contacted", "contact": "nobody-at-all"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["field"],
        "contact"
    );
    let r = form_post(&app, &format!("{CALL}/outcomes"))
        .form(&[("outcome", "maybe")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("outcome: must be one of"));
    let r = app
        .client
        .post(format!(
            "{}/api/v1/actions/no-such-action/outcomes",
            app.address
        ))
        .json(&json!({"outcome": "contacted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (_, page) = app.get(CALL).await;
    assert!(page.contains("No one has reported yet"));
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let r = app
        .client
        .post(format!("{}{CALL}/outcomes", app.address))
        .header("Origin", "https://evil.example")
        .form(&[("outcome", "contacted")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .post(format!("{}{CALL}/outcomes", app.address))
        .header("Referer", "https://evil.example/page")
        .form(&[("outcome", "contacted")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, page) = app.get(CALL).await;
    assert!(page.contains("No one has reported yet"));
}

#[tokio::test]
async fn a_loop_cannot_inflate_the_counts() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let mut limited = None;
    for i in 0..100 {
        let r = app
            .client
            .post(format!("{}/api/v1{CALL}/outcomes", app.address))
            .json(&json!({"outcome": "contacted"}))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
            limited = Some(i);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let at = limited.expect("the rate limit answers 429");
    // Seven calls in a minute is one person in call mode; a hundred is a script.
    assert!((7..=30).contains(&at), "limited after {at} reports");
    // The form is limited by the same budget, with an HTML page that keeps the report to
    // send again and leads back to the action.
    let r = form_post(&app, &format!("{CALL}/outcomes"))
        .form(&[("outcome", "voicemail"), ("contact", "capitol-switchboard")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!(r#"action="{CALL}/outcomes""#)),
        "{page}"
    );
    assert!(page.contains(r#"name="outcome" value="voicemail""#));
    assert!(page.contains(r#"name="contact" value="capitol-switchboard""#));
    assert!(page.contains(&format!(r#"href="{CALL}#outcomes""#)));
    // In call mode, the page leads back to the step.
    let r = form_post(&app, &format!("{CALL}/call"))
        .form(&[
            ("outcome", "voicemail"),
            ("step", "2"),
            ("zip", "98104"),
            ("log", "c"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!(
            r#"href="{CALL}/call?zip=98104&amp;step=2&amp;log=c""#
        )),
        "{page}"
    );
    assert!(page.contains(r#"name="step" value="2""#));
}

#[tokio::test]
async fn outcomes_fit_the_action_kind_and_count_per_contact() {
    let app = crate::helpers::spawn_demo().await;
    let post = |slug: &'static str, body: Value| {
        app.client
            .post(format!("{}/api/v1/actions/{slug}/outcomes", app.address))
            .json(&body)
            .send()
    };
    // A petition, a letter to the UN and a march do not take "voicemail".
    for slug in [
        "sign-the-aclu-petition",
        "write-to-un-ohchr",
        "where-are-the-children-marches",
    ] {
        let r = post(slug, json!({"outcome": "voicemail"})).await.unwrap();
        assert_eq!(r.status(), 422, "{slug}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "outcome", "{slug}: {e}");
    }
    let r = post("call-ice", json!({"outcome": "done"})).await.unwrap();
    assert_eq!(r.status(), 422, "a call is not 'done'");
    let r = post("sign-the-aclu-petition", json!({"outcome": "done"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let counts: Value = r.json().await.unwrap();
    assert_eq!(
        (counts["done"].as_i64(), counts["total"].as_i64()),
        (Some(1), Some(1))
    );
    let r = post(
        "where-are-the-children-marches",
        json!({"outcome": "going"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = post(
        "write-to-un-ohchr",
        json!({"outcome": "done", "contact": "un-ohchr"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // A call, named by contact and number; a wrong number is counted for that contact.
    for outcome in ["contacted", "wrong_number", "wrong_number"] {
        let r = post(
            "call-ice",
            json!({"outcome": outcome, "contact": "ice", "phone": "1-866-DHS-2-ICE"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{outcome}");
    }
    let r = post(
        "call-ice",
        json!({"outcome": "contacted", "contact": "ice", "phone": "12"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "phone");
    let r = post("call-ice", json!({"outcome": "contacted"}))
        .await
        .unwrap();
    let counts: Value = r.json().await.unwrap();
    assert_eq!(counts["total"], 4);
    assert_eq!(counts["contacted"], 2);
    assert_eq!(counts["wrong_number"], 2);
    assert_eq!(counts["targets"][0]["contact"], "ice");
    assert_eq!(counts["targets"][0]["wrong_number"], 2);
    assert_eq!(counts["targets"][0]["total"], 3);
    let (_, page) = app.get("/actions/call-ice").await;
    assert!(page.contains("2 found a wrong number"), "{page}");
}

#[tokio::test]
async fn a_draft_takes_no_outcomes_and_says_why_only_to_its_organizers() {
    let api = crate::api_support::api_demo().await;
    let campaign = api.campaign("Outcomes on drafts").await;
    let made = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"title": "Sign the draft petition", "kind": "petition", "campaign": campaign})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.json);
    let slug = made.json["slug"].as_str().unwrap().to_string();
    let path = format!("/api/v1/actions/{slug}/outcomes");
    let done = || Some(json!({"outcome": "done"}));

    // The public cannot tell a draft from nothing; the organizer's token learns why.
    let public = api.send("POST", &path, None, done()).await;
    assert_eq!(public.status, 404, "{}", public.json);
    let organizer = api.call("POST", &path, done()).await;
    assert_eq!(organizer.status, 409, "{}", organizer.json);
    assert_eq!(organizer.field(), Some("status"));
    assert!(organizer.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("draft"));

    let transition = |to: &'static str| {
        let (api, slug) = (&api, slug.clone());
        async move {
            let a = api
                .call("POST", &format!("/api/v1/actions/{slug}/{to}"), None)
                .await;
            assert_eq!(a.status, 200, "{to}: {}", a.json);
        }
    };
    transition("publish").await;
    let counted = api.send("POST", &path, None, done()).await;
    assert_eq!(counted.status, 200, "{}", counted.json);
    assert_eq!(counted.json["total"], 1, "{}", counted.json);

    // An expired action is public: anyone learns it is over, and nothing is counted.
    transition("expire").await;
    let over = api.send("POST", &path, None, done()).await;
    assert_eq!(over.status, 409, "{}", over.json);
    assert!(over.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("over"));
    let bad_token = api.send("POST", &path, Some("not-a-token"), done()).await;
    assert_eq!(bad_token.status, 401, "{}", bad_token.json);
}
