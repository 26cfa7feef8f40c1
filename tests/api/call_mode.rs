//! Call mode: `/actions/{slug}/call?zip=Z&step=N`, one target per screen, the outcome
//! buttons that record and go on, Skip, the done step, the ZIP question, and the action
//! page's "Start calling" link.

use crate::helpers::{spawn_demo, TestApp};

const CONGRESS: &str = "/actions/call-your-senators-and-representative";

fn form_post(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client
        .post(format!("{}{path}", app.address))
        .header("Origin", app.address.clone())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_agency_call_needs_no_zip_records_the_outcome_and_ends_with_the_counts() {
    let app = spawn_demo().await;
    let (status, page) = app.get("/actions/call-ice/call").await;
    assert_eq!(status, 200);
    assert!(page.contains("Call 1 of 1"), "{page}");
    assert!(page.contains("U.S. Immigration and Customs Enforcement (ICE)"));
    assert!(page.contains(r#"href="tel:+18663472423""#));
    assert!(page.contains("I am calling to ask where the children"));
    assert!(page.contains(r#"name="outcome" value="wrong_number""#));
    assert!(
        page.contains(r#"href="/actions/call-ice/call?step=2&amp;log=s""#),
        "Skip"
    );
    let r = form_post(&app, "/actions/call-ice/call")
        .form(&[("outcome", "voicemail"), ("contact", "ice"), ("step", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/actions/call-ice/call?step=2&log=v");
    let (_, done) = app.get("/actions/call-ice/call?step=2&log=v").await;
    assert!(
        done.contains("You made 1 call: 0 reached someone, 1 left a voicemail"),
        "{done}"
    );
    assert!(done.contains("Everyone so far: 1 report"));
    assert!(done.contains(r#"href="/subscribe""#) && done.contains("Take another action"));
    let counts: serde_json::Value = app.get_json("/api/v1/actions/call-ice").await;
    assert!(counts.is_object());
    let (_, action) = app.get("/actions/call-ice").await;
    assert!(action.contains("1 report"), "the action's counts");
}

#[tokio::test]
async fn the_action_page_starts_with_start_calling() {
    let app = spawn_demo().await;
    for slug in [
        "call-ice",
        "call-orr-director",
        "call-seven-more-officials",
        "call-your-senators-and-representative",
        "keep-families-together-act",
    ] {
        let (_, page) = app.get(&format!("/actions/{slug}")).await;
        let start = page
            .find(&format!(r#"href="/actions/{slug}/call"#))
            .unwrap_or_else(|| panic!("{slug}: a Start calling link"));
        let who = page.find(r#"id="who""#).expect("who to contact");
        assert!(start < who, "{slug}: Start calling comes first");
    }
    let (_, petition) = app.get("/actions/sign-the-aclu-petition").await;
    assert!(!petition.contains("/call\""));
    let r = app
        .get_with("/actions/sign-the-aclu-petition/call", &[])
        .await;
    assert_eq!(r.status().as_u16(), 303, "call mode is for call actions");
}

#[tokio::test]
async fn without_a_zip_call_mode_asks_for_one_and_with_it_walks_every_member() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let (status, ask) = app.get(&format!("{CONGRESS}/call")).await;
    assert_eq!(status, 200);
    assert!(
        ask.contains(r#"action="/zip""#) && ask.contains(r#"name="zip""#),
        "{ask}"
    );
    assert!(ask.contains(&format!(r#"name="next" value="{CONGRESS}/call""#)));
    // The ZIP form's redirect comes back to call mode with the ZIP code.
    let r = app
        .get_with(&format!("/zip?zip=98104&next={CONGRESS}/call"), &[])
        .await;
    assert_eq!(location(&r), format!("{CONGRESS}/call?zip=98104"));

    // 98104: two senators, one representative, and the switchboard.
    let (_, one) = app.get(&format!("{CONGRESS}/call?zip=98104")).await;
    assert!(one.contains("Call 1 of 4"), "{one}");
    assert!(
        one.contains(r#"<span class="call-title">Senator </span>Maria Cantwell"#),
        "{one}"
    );
    assert!(
        one.contains("What is Maria Cantwell / Pramila Jayapal doing about this?"),
        "{one}"
    );
    assert!(one.contains(r#"href="tel:+12022243441""#));
    assert!(!one.contains("Patty Murray"), "one target per screen");
    let (_, three) = app.get(&format!("{CONGRESS}/call?zip=98104&step=3")).await;
    assert!(
        three.contains("Representative </span>Pramila Jayapal"),
        "{three}"
    );
    let (_, four) = app.get(&format!("{CONGRESS}/call?zip=98104&step=4")).await;
    assert!(four.contains("U.S. Capitol Switchboard"));
    let r = form_post(&app, &format!("{CONGRESS}/call"))
        .form(&[
            ("outcome", "contacted"),
            ("contact", "pramila-jayapal-j000298"),
            ("step", "3"),
            ("zip", "98104"),
            ("log", "cs"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        location(&r),
        format!("{CONGRESS}/call?zip=98104&step=4&log=csc")
    );
    let (_, done) = app
        .get(&format!("{CONGRESS}/call?zip=98104&step=5&log=cscs"))
        .await;
    assert!(
        done.contains("You made 2 calls: 2 reached someone"),
        "{done}"
    );
    assert!(done.contains("2 skipped"));

    // A split ZIP code: every candidate gets a step.
    let (_, split) = app.get(&format!("{CONGRESS}/call?zip=98101")).await;
    assert!(split.contains("Call 1 of 5"), "{split}");
    let (_, rep) = app.get(&format!("{CONGRESS}/call?zip=98101&step=4")).await;
    assert!(rep.contains("Possibly yours"), "{rep}");

    // The remembered ZIP code is read, and such a page is the visitor's alone.
    let r = app
        .get_with(&format!("{CONGRESS}/call"), &[("Cookie", "zip=98104")])
        .await;
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "private, no-cache"
    );
    assert!(r.text().await.unwrap().contains("Call 1 of 4"));
}
