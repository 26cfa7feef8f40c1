//! `/search?q=`: words ANDed, case-insensitive, over titles, bodies, tags and contact names.

use crate::helpers::spawn_demo;

fn result_slugs(body: &str) -> Vec<String> {
    body.split("<h3><a href=\"/actions/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_matches_every_word_case_insensitively() {
    let app = spawn_demo().await;
    let (status, body) = app.get("/search?q=ICE").await;
    assert_eq!(status, 200);
    assert!(
        result_slugs(&body).contains(&"call-ice".to_string()),
        "{body}"
    );
    // Words are ANDed: "call" alone matches several actions, "call orr" only one.
    let (_, many) = app.get("/search?q=call").await;
    assert!(result_slugs(&many).len() > 1);
    let (_, one) = app.get("/search?q=Call%20ORR").await;
    assert_eq!(result_slugs(&one), vec!["call-orr-director"]);
    // The query is kept in the box, escaped.
    assert!(one.contains(r#"value="Call ORR""#));
}

#[tokio::test]
async fn search_covers_tags_and_contact_names() {
    let app = spawn_demo().await;
    // A tag: both event actions carry "event"; the expired one is listed apart, as past.
    let (_, body) = app.get("/search?q=march").await;
    assert!(result_slugs(&body).contains(&"where-are-the-children-marches".to_string()));
    let (_, events) = app.get("/search?q=event").await;
    let past = events
        .find("Past actions that match")
        .expect("a past section");
    let doa = events
        .find("/actions/national-day-of-action-for-children\"")
        .expect("the expired event is found");
    assert!(doa > past, "the expired action is shown apart");
    // A contact name ("… information center") that appears nowhere in any action's text.
    let (_, body) = app.get("/search?q=INFORMATION%20center").await;
    assert_eq!(
        result_slugs(&body),
        vec!["call-seven-more-officials"],
        "{body}"
    );
}

#[tokio::test]
async fn wildcards_empty_and_overlong_queries_are_handled() {
    let app = spawn_demo().await;
    let (status, body) = app.get("/search?q=%25").await;
    assert_eq!(status, 200);
    assert!(result_slugs(&body).is_empty(), "% is not a wildcard");
    let (_, body) = app.get("/search?q=_").await;
    assert!(result_slugs(&body).is_empty(), "_ is not a wildcard");
    let (status, body) = app.get("/search?q=").await;
    assert_eq!(status, 200);
    assert!(body.contains("Every word must match"));
    let (status, body) = app.get("/search").await;
    assert_eq!(status, 200);
    assert!(body.contains("id=\"search-q\""));
    let long = "a".repeat(201);
    let (status, body) = app.get(&format!("/search?q={long}")).await;
    assert_eq!(status, 400);
    assert!(body.contains("too long"));
    let (_, body) = app.get("/search?q=%3Cscript%3E").await;
    assert!(!body.contains("<script>"));
    assert!(body.contains("&lt;script&gt;"));
    // Every page has the search box in its header.
    let (_, home) = app.get("/").await;
    assert!(home.contains(r#"role="search""#) && home.contains(r#"action="/search""#));
}
