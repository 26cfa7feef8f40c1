//! Time as people read it: public pages show times in the campaign's time zone with its
//! abbreviation ("Tue 15 Jan 2030, 10:00 am JST"), say when an action ends, and fall back
//! to `DIGEST_TIMEZONE` for a campaign that names no zone.

use serde_json::json;

use crate::api_support::{api, Api};

/// A campaign in `zone` (or none) with a published event that starts 2030-01-15 01:00 UTC
/// and ends (expires) 2030-01-16 03:00 UTC, and a dated update posted 2030-01-10 12:00 UTC.
async fn campaign_with_event(api: &Api, slug: &str, zone: Option<&str>) -> String {
    let mut c = json!({"title": format!("Campaign {slug}"), "summary": "For tests", "slug": slug});
    if let Some(z) = zone {
        c["timezone"] = json!(z);
    }
    let c = api.call("POST", "/api/v1/campaigns", Some(c)).await;
    assert_eq!(c.status, 201, "{}", c.json);
    let action = format!("{slug}-march");
    let a = api
        .call(
            "POST",
            "/api/v1/actions",
            Some(json!({"campaign": slug, "kind": "event", "slug": action,
                "title": format!("March {slug}"), "summary": "Join the march.",
                "location": "City Hall",
                "starts_at": "2030-01-15T01:00:00Z",
                "expires_at": "2030-01-16T03:00:00Z"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    if a.json["status"] != "published" {
        let p = api
            .call("POST", &format!("/api/v1/actions/{action}/publish"), None)
            .await;
        assert_eq!(p.status, 200, "{}", p.json);
    }
    let u = api
        .call(
            "POST",
            &format!("/api/v1/campaigns/{slug}/updates"),
            Some(json!({"title": format!("Update {slug}"), "body": "News.",
                "published_at": "2030-01-10T12:00:00Z"})),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.json);
    action
}

/// The text of the first `<p class="{class}">` of a page, tags removed.
fn paragraph(html: &str, class: &str) -> Option<String> {
    let start = html.find(&format!("<p class=\"{class}\""))?;
    let end = start + html[start..].find("</p>")?;
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html[start..end].chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(text)
}

#[tokio::test]
async fn pages_show_times_in_the_campaigns_zone_and_say_when_an_action_ends() {
    let api = api().await;
    let action = campaign_with_event(&api, "tokyo", Some("Asia/Tokyo")).await;

    let (status, page) = api.app.get(&format!("/actions/{action}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        paragraph(&page, "ends").as_deref(),
        Some("Ends Wed 16 Jan 2030, 12:00 pm JST"),
        "the action page says when it ends, in the campaign's zone"
    );
    assert!(
        page.contains("Tue 15 Jan 2030, 10:00 am JST</time>"),
        "the event's start in Tokyo time:\n{page}"
    );
    let updated = paragraph(&page, "updated").expect("a last-updated line");
    assert!(
        updated.starts_with("Last updated ") && updated.ends_with(" JST"),
        "last updated with the time and the zone: {updated:?}"
    );
    // History lines: the same way, never a raw timestamp.
    let history = &page[page.find("class=\"history\"").expect("a history list")..];
    let history = &history[..history.find("</ol>").unwrap()];
    assert!(history.contains(" JST</time>"), "{history}");
    assert!(
        !history.contains("+00:00<") && !history.contains("UTC<"),
        "{history}"
    );

    // The campaign page's card, and both update lists.
    let (_, campaign) = api.app.get("/campaigns/tokyo").await;
    assert_eq!(
        paragraph(&campaign, "ends").as_deref(),
        Some("Ends Wed 16 Jan 2030, 12:00 pm JST"),
        "the card says when it ends"
    );
    assert!(
        campaign.contains("Thu 10 Jan 2030, 9:00 pm JST</time>"),
        "{campaign}"
    );
    let (_, updates) = api.app.get("/updates").await;
    assert!(
        updates.contains("Thu 10 Jan 2030, 9:00 pm JST</time>"),
        "{updates}"
    );
    let (_, index) = api.app.get("/").await;
    assert!(index.contains("Ends <time datetime=\"2030-01-16T03:00:00+00:00\">Wed 16 Jan 2030, 12:00 pm JST</time>"), "{index}");
}

#[tokio::test]
async fn a_campaign_without_a_zone_shows_times_in_digest_timezone() {
    let api = api().await;
    let zoned = campaign_with_event(&api, "ny", Some("America/New_York")).await;
    let plain = campaign_with_event(&api, "plain", None).await;
    // The test harness runs with DIGEST_TIMEZONE unset: UTC.
    let (_, page) = api.app.get(&format!("/actions/{plain}")).await;
    assert_eq!(
        paragraph(&page, "ends").as_deref(),
        Some("Ends Wed 16 Jan 2030, 3:00 am UTC")
    );
    let (_, page) = api.app.get(&format!("/actions/{zoned}")).await;
    assert_eq!(
        paragraph(&page, "ends").as_deref(),
        Some("Ends Tue 15 Jan 2030, 10:00 pm EST")
    );
    // Each update in its own campaign's zone on the shared list.
    let (_, updates) = api.app.get("/updates").await;
    assert!(
        updates.contains("Thu 10 Jan 2030, 7:00 am EST</time>"),
        "{updates}"
    );
    assert!(
        updates.contains("Thu 10 Jan 2030, 12:00 pm UTC</time>"),
        "{updates}"
    );
}

#[tokio::test]
async fn an_expired_action_says_since_when_in_the_campaigns_zone() {
    let api = api().await;
    let action = campaign_with_event(&api, "over", Some("America/Los_Angeles")).await;
    let e = api
        .call("POST", &format!("/api/v1/actions/{action}/expire"), None)
        .await;
    assert_eq!(e.status, 200, "{}", e.json);
    let (_, page) = api.app.get(&format!("/actions/{action}")).await;
    assert!(
        paragraph(&page, "ends").is_none(),
        "an action that is over has no end ahead"
    );
    let notice = paragraph(&page, "notice").expect("the notice that it is over");
    assert!(
        notice.starts_with("This action is over (since ") && notice.contains(" PST)"),
        "{notice}"
    );
}
