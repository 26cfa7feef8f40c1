//! Direct lines: a toll-free number may carry its direct (not toll-free) alternative,
//! shown to callers abroad on pages and in call mode, and given in the API.

use serde_json::{json, Value};

use crate::helpers::spawn_demo;

#[tokio::test]
async fn a_toll_free_number_shows_its_direct_line_for_callers_abroad() {
    let app = spawn_demo().await;
    let (_, page) = app.get("/actions/call-seven-more-officials").await;
    assert!(
        page.contains(r#"From abroad, dial the direct line <a class="tel-direct" href="tel:+12023258000">+1 202-325-8000</a>"#),
        "{page}"
    );
    // In call mode, on the CBP step.
    let mut found = false;
    for step in 1..=7 {
        let (_, s) = app
            .get(&format!(
                "/actions/call-seven-more-officials/call?step={step}"
            ))
            .await;
        if s.contains("Customs and Border Protection") {
            assert!(
                s.contains(r#"From abroad dial <a href="tel:+12023258000">+1 202-325-8000</a>"#),
                "{s}"
            );
            found = true;
        }
    }
    assert!(found, "CBP is one of the seven");
    // The API gives it with the number.
    let contacts: Value = app.get_json("/api/v1/contacts").await;
    let cbp = contacts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "cbp-info")
        .expect("cbp-info");
    assert_eq!(cbp["phones"][0]["direct"]["e164"], "+12023258000", "{cbp}");
    assert_eq!(cbp["direct_phone"]["e164"], "+12023258000");
    // Where none is known, none is made up.
    let ice = contacts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "ice")
        .unwrap();
    assert!(ice["phones"][0]["direct"].is_null(), "{ice}");
}

#[tokio::test]
async fn the_api_takes_a_direct_line_with_a_new_contact() {
    let api = crate::api_support::api_demo().await;
    let made = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({
                "campaign": "where-are-the-children", "kind": "call", "title": "Call the helpline",
                "targets": [{"contact": {"name": "A helpline", "phones": [
                    {"number": "1-800-555-0199", "direct": "+1 202 555 0142"}]}}]
            })),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.json);
    assert_eq!(
        made.json["targets"][0]["phones"][0]["direct"]["e164"], "+12025550142",
        "{}",
        made.json
    );
    let bad = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({
                "campaign": "where-are-the-children", "kind": "call", "title": "Call another",
                "targets": [{"contact": {"name": "Another", "phones": [
                    {"number": "1-800-555-0199", "direct": "12"}]}}]
            })),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.field(), Some("targets[0].contact.phones[0].direct"));
}
