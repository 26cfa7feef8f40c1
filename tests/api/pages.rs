//! Public pages over HTTP, with the demo campaign.

use crate::helpers::{spawn_app, spawn_demo};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn home_lists_the_demo_campaign_and_its_live_actions() {
    let app = spawn_demo().await;
    let (status, body) = app.get("/").await;
    assert_eq!(status, 200);
    assert!(body.contains("#WhereAreTheChildren: How to help"));
    for slug in [
        "call-your-senators-and-representative",
        "sign-the-aclu-petition",
        "call-ice",
        "call-orr-director",
        "write-to-un-ohchr",
        "amnesty-end-family-separation",
        "call-seven-more-officials",
        "where-are-the-children-marches",
        "keep-families-together-act",
    ] {
        assert!(
            body.contains(&format!("/actions/{slug}\"")),
            "home lacks {slug}"
        );
    }
    // The expired Day of Action is not mixed in with live actions: it is listed apart, last.
    let past = body.find("Past actions").expect("a past section");
    let doa = body
        .find("/actions/national-day-of-action-for-children\"")
        .expect("the Day of Action is listed as past");
    assert!(doa > past);
    assert_eq!(
        body.matches("/actions/national-day-of-action-for-children\"")
            .count(),
        1
    );
    assert!(
        body.contains("DEVELOPING"),
        "the marches are marked developing"
    );
}

#[tokio::test]
async fn ice_number_is_shown_in_vanity_and_numeric_form_with_a_tel_link() {
    let app = spawn_demo().await;
    let (status, body) = app.get("/actions/call-ice").await;
    assert_eq!(status, 200);
    assert!(body.contains("1-866-DHS-2-ICE"));
    assert!(body.contains("+1 866-347-2423"));
    assert!(body.contains("href=\"tel:+18663472423\""));
    assert!(body.contains("may not be reachable from outside the U.S."));
}

#[tokio::test]
async fn orr_number_is_direct_and_not_marked_toll_free() {
    let app = spawn_demo().await;
    let (_, body) = app.get("/actions/call-orr-director").await;
    assert!(body.contains("href=\"tel:+12024019246\""));
    assert!(body.contains("+1 202-401-9246"));
    assert!(!body.contains("Toll-free"));
}

#[tokio::test]
async fn campaign_page_shows_both_dated_updates_newest_first_and_past_actions_apart() {
    let app = spawn_demo().await;
    let (status, body) = app.get("/campaigns/where-are-the-children").await;
    assert_eq!(status, 200);
    let june = body.find("6/15 Update").expect("6/15 update shown");
    let may = body.find("5/29 Update").expect("5/29 update shown");
    assert!(june < may, "newest update first");
    // In the campaign's zone (America/New_York), with the hour.
    assert!(
        body.contains("Tue 29 May 2018, 5:15 am EDT")
            && body.contains("Fri 15 Jun 2018, 7:10 am EDT"),
        "{body}"
    );
    assert!(
        body.contains("1,475"),
        "the explainer is part of the 5/29 update"
    );
    let past = body.find("Past actions").expect("a past section");
    let doa = body
        .find("/actions/national-day-of-action-for-children\"")
        .expect("the Day of Action is listed as past");
    assert!(doa > past);
}

#[tokio::test]
async fn action_page_shows_script_with_visible_placeholders_and_history() {
    let app = spawn_demo().await;
    let (_, body) = app
        .get("/actions/call-your-senators-and-representative")
        .await;
    assert!(
        body.contains("I am outraged by how our government is treating children at the border.")
    );
    assert!(body.contains("<mark>[SENATOR NAME]</mark>"));
    assert!(body.contains("<mark>[REP NAME]</mark>"));
    assert!(body.contains("Español"), "the Spanish script is offered");
    assert!(body.contains("Your two U.S. Senators"));
    assert!(body.contains("History"));
}

#[tokio::test]
async fn event_action_shows_its_date() {
    let app = spawn_demo().await;
    let (status, body) = app
        .get("/actions/national-day-of-action-for-children")
        .await;
    assert_eq!(status, 200, "expired actions stay readable");
    assert!(body.contains("Friday 1 June 2018"));
    assert!(body.contains("This action is over"));
}

#[tokio::test]
async fn hotlines_lists_the_three_demo_hotlines() {
    let app = spawn_demo().await;
    let (status, body) = app.get("/hotlines").await;
    assert_eq!(status, 200);
    for (vanity, tel) in [
        ("1-866-DHS-2-ICE", "tel:+18663472423"),
        ("1-800-THE-LOST", "tel:+18008435678"),
        ("+1 888-373-7888", "tel:+18883737888"),
    ] {
        assert!(body.contains(vanity), "{vanity}");
        assert!(body.contains(tel), "{tel}");
    }
}

#[tokio::test]
async fn updates_timeline_lists_updates_newest_first() {
    let app = spawn_demo().await;
    let (status, body) = app.get("/updates").await;
    assert_eq!(status, 200);
    assert!(body.find("6/15 Update").unwrap() < body.find("5/29 Update").unwrap());
}

#[tokio::test]
async fn unknown_slugs_answer_404_with_a_page() {
    let app = spawn_demo().await;
    for path in [
        "/actions/no-such-action",
        "/campaigns/no-such-campaign",
        "/nowhere",
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        let body = r.text().await.unwrap();
        assert!(body.contains("<h1>Not Found</h1>"), "{path}");
        assert!(body.contains("We could not find that"), "{path}");
    }
}

#[tokio::test]
async fn clients_asking_for_json_get_the_spec_error_shape() {
    let app = spawn_demo().await;
    let r = app
        .client
        .get(format!("{}/actions/nope", app.address))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    assert!(v["error"]["message"].as_str().unwrap().contains("action"));
}

#[tokio::test]
async fn stylesheet_is_served() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/static/style.css", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}
