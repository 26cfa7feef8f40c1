//! Organizer pages for campaigns, updates, contacts, hotlines, the audit log, organizers
//! and API tokens.

use actiondesk::db::{actions, changes, people, tokens};

use crate::admin_support::{csrf_of, organizer, post_form, sign_in};
use crate::helpers::spawn_demo;

#[tokio::test]
async fn every_organizer_page_renders_for_an_admin_and_admin_pages_refuse_others() {
    let app = spawn_demo().await;
    organizer(&app, "root@example.org", true).await;
    sign_in(&app, "root@example.org").await;
    for path in [
        "/admin",
        "/admin/actions",
        "/admin/actions/new",
        "/admin/actions/call-ice",
        "/admin/campaigns",
        "/admin/campaigns/new",
        "/admin/campaigns/where-are-the-children",
        "/admin/updates",
        "/admin/updates/new",
        "/admin/contacts",
        "/admin/contacts/new",
        "/admin/contacts/ice",
        "/admin/hotlines",
        "/admin/hotlines/new",
        "/admin/hotlines/ncmec",
        "/admin/audit",
        "/admin/organizers",
        "/admin/tokens",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            body.contains("name=\"csrf_token\""),
            "{path} has forms with a token"
        );
    }

    let other = spawn_demo().await;
    organizer(&other, "ana@example.org", false).await;
    sign_in(&other, "ana@example.org").await;
    let (status, body) = other.get("/admin/organizers").await;
    assert_eq!(status, 403);
    assert!(body.contains("Only admins"));
    assert_eq!(other.get("/admin/tokens").await.0, 403);
}

#[tokio::test]
async fn a_contact_phone_edit_reaches_the_actions_that_use_it() {
    let app = spawn_demo().await;
    organizer(&app, "ana@example.org", false).await;
    let csrf = sign_in(&app, "ana@example.org").await;
    let before = app.with_db(changes::max_id).await;
    let contact = |number2: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("kind", "agency".to_string()),
            (
                "name",
                "U.S. Immigration and Customs Enforcement (ICE)".to_string(),
            ),
            ("role", "Public line".to_string()),
            (
                "organisation",
                "Department of Homeland Security".to_string(),
            ),
            ("website_url", "https://www.ice.gov/".to_string()),
            ("phone_number", "1-866-DHS-2-ICE".to_string()),
            ("phone_kind", "toll_free".to_string()),
            ("phone_note", String::new()),
            ("phone_number", number2.to_string()),
            ("phone_kind", "direct".to_string()),
            ("phone_note", "Press 0".to_string()),
        ]
    };
    let send = |v: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, "/admin/contacts/ice", &pairs).await
        }
    };
    let (status, _, body) = send(contact("202-555-01")).await;
    assert_eq!(status, 422);
    assert!(body.contains("id=\"phone_number-1-error\""), "{body}");
    assert!(body.contains("value=\"202-555-01\""));
    assert_eq!(app.with_db(changes::max_id).await, before, "nothing stored");

    let (status, location, _) = send(contact("(202) 732-4242")).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/contacts/ice?done=1"));
    let (_, public) = app.get("/actions/call-ice").await;
    assert!(
        public.contains("tel:+12027324242"),
        "the new number is public"
    );
    let log = app
        .with_db(|c| {
            let a = actions::by_slug(c, "call-ice")?;
            changes::for_action(c, a.id)
        })
        .await;
    let last = log.last().unwrap();
    assert_eq!(last.kind, "action_changed");
    assert_eq!(last.actor, "ana@example.org");
    assert!(
        last.summary.contains("new phone number"),
        "{}",
        last.summary
    );
    assert!(last
        .field_changes()
        .iter()
        .any(|f| f.field == "contact.phones" && f.new.to_string().contains("+12027324242")));
    let (_, audit) = app.get("/admin/audit").await;
    assert!(audit.contains("+12027324242"));
    assert!(audit.contains("ana@example.org"));
}

#[tokio::test]
async fn campaigns_updates_hotlines_organizers_and_tokens_are_managed_in_pages() {
    let app = spawn_demo().await;
    organizer(&app, "root@example.org", true).await;
    let csrf = sign_in(&app, "root@example.org").await;

    // A campaign.
    let (status, location, _) = post_form(
        &app,
        "/admin/campaigns/new",
        &[
            ("csrf_token", &csrf),
            ("title", "Clean water now"),
            ("summary", "Water for everyone"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/campaigns/clean-water-now?done=1")
    );
    assert!(app.get("/").await.1.contains("Clean water now"));
    let (status, _, _) = post_form(
        &app,
        "/admin/campaigns/clean-water-now",
        &[("csrf_token", &csrf), ("title", "Clean water now!")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(app
        .get("/campaigns/clean-water-now")
        .await
        .1
        .contains("Clean water now!"));

    // A dated update naming an action it changes.
    let (_, form) = app.get("/admin/updates/new").await;
    let ice_id = app
        .with_db(|c| Ok(actions::by_slug(c, "call-ice")?.id))
        .await
        .to_string();
    let campaign_id = app
        .with_db(|c| Ok(actions::by_slug(c, "call-ice")?.campaign_id))
        .await
        .to_string();
    assert!(form.contains(&format!("value=\"{ice_id}\"")));
    let (status, location, body) = post_form(
        &app,
        "/admin/updates/new",
        &[
            ("csrf_token", &csrf),
            ("campaign", &campaign_id),
            ("title", "11/23 Update"),
            ("body", "The ICE line now answers **24 hours**."),
            ("changed", &ice_id),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin/updates?done=1"));
    let updates_page = app.get("/updates").await.1;
    assert!(updates_page.contains("11/23 Update"));
    assert!(updates_page.contains("<strong>24 hours</strong>"));
    let last = app
        .with_db(|c| Ok(changes::recent(c, None, 1)?.remove(0)))
        .await;
    assert_eq!(last.kind, "update_posted");

    // A hotline.
    let (status, location, _) = post_form(
        &app,
        "/admin/hotlines/new",
        &[
            ("csrf_token", &csrf),
            ("name", "Family reunification line"),
            ("hours", "24/7"),
            ("phone_number", "1-800-203-7001"),
            ("phone_kind", "toll_free"),
            ("phone_note", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/hotlines/family-reunification-line?done=1")
    );
    let hotlines = app.get("/hotlines").await.1;
    assert!(hotlines.contains("Family reunification line"));
    assert!(hotlines.contains("tel:+18002037001"));

    // An organizer, then disabled.
    let (status, _, _) = post_form(
        &app,
        "/admin/organizers",
        &[
            ("csrf_token", &csrf),
            ("email", "bob@example.org"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(status, 422, "a short password is refused");
    let (status, _, _) = post_form(
        &app,
        "/admin/organizers",
        &[
            ("csrf_token", &csrf),
            ("email", "bob@example.org"),
            ("password", "a long enough password"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let bob = app
        .with_db(|c| Ok(people::find_organizer(c, "bob@example.org")?.unwrap()))
        .await;
    assert!(bob.active && !bob.is_admin);
    let (status, _, _) = post_form(
        &app,
        &format!("/admin/organizers/{}/disable", bob.id),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    let bob = app
        .with_db(move |c| people::organizer_by_id(c, bob.id))
        .await;
    assert!(!bob.active);

    // An API token, shown once, then revoked.
    let me = app
        .with_db(|c| Ok(people::find_organizer(c, "root@example.org")?.unwrap().id))
        .await
        .to_string();
    let (status, _, page) = post_form(
        &app,
        "/admin/tokens",
        &[
            ("csrf_token", &csrf),
            ("organizer", &me),
            ("label", "newsroom bot"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let at = page.find("<code id=\"new-token\">").expect("the new token") + 21;
    let token = &page[at..at + 64];
    let owner = app
        .with_db({
            let t = token.to_string();
            move |c| tokens::verify(c, &t)
        })
        .await;
    assert_eq!(owner.map(|o| o.email).as_deref(), Some("root@example.org"));
    let list = app.with_db(tokens::list_all).await;
    let id = list[0].0.id;
    let (status, _, _) = post_form(
        &app,
        &format!("/admin/tokens/{id}/revoke"),
        &[("csrf_token", &csrf_of(&app.get("/admin/tokens").await.1))],
    )
    .await;
    assert_eq!(status, 303);
    let t = token.to_string();
    assert!(app.with_db(move |c| tokens::verify(c, &t)).await.is_none());
}
