//! The action page in the caller's order: what to do and the script (or the petition's
//! link) before the contacts and their outcome buttons; each target's block with the script
//! filled for them and their title; DC and the territories, which have no senators.

use crate::helpers::spawn_demo;

const CONGRESS: &str = "/actions/call-your-senators-and-representative";

fn at(page: &str, needle: &str) -> usize {
    page.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not on the page:\n{page}"))
}

#[tokio::test]
async fn the_script_comes_before_the_contacts_and_each_contact_has_their_own() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let (_, page) = app.get(&format!("{CONGRESS}?zip=98104")).await;
    let start = at(&page, &format!(r#"href="{CONGRESS}/call?zip=98104""#));
    let script = at(&page, r#"id="script""#);
    let who = at(&page, r#"id="who""#);
    let first_button = at(&page, r#"name="outcome""#);
    assert!(start < script && script < who && who < first_button);
    for (title, name) in [
        ("Senator", "Maria Cantwell"),
        ("Senator", "Patty Murray"),
        ("Representative", "Pramila Jayapal"),
    ] {
        let block = at(&page, &format!("Script for {title} {name}</summary>"));
        let filled = format!(
            "What is {} / Pramila Jayapal doing about this?",
            name.replace("Pramila Jayapal", "Maria Cantwell / Patty Murray")
        );
        assert!(page[block..].contains(&filled), "{name}: {filled}");
    }
    assert!(page.contains("Script for U.S. Capitol Switchboard</summary>"));

    // The same page from the parts kept for its shape, for another ZIP code of that shape.
    let (_, again) = app.get(&format!("{CONGRESS}?zip=98104")).await;
    assert_eq!(again, page);
}

#[tokio::test]
async fn a_petition_leads_with_its_link_and_offers_only_what_fits() {
    let app = spawn_demo().await;
    let (_, page) = app.get("/actions/sign-the-aclu-petition").await;
    let sign = at(
        &page,
        r#"<a class="button" href="https://action.aclu.org/""#,
    );
    let button = at(&page, r#"name="outcome" value="done""#);
    assert!(sign < button);
    assert!(page.contains("I signed it"));
    for call_only in ["Left a voicemail", "Reached someone", "Start calling"] {
        assert!(!page.contains(call_only), "{call_only}");
    }
    let (_, letter) = app.get("/actions/write-to-un-ohchr").await;
    assert!(letter.contains("I sent it") && !letter.contains("Left a voicemail"));
    let (_, event) = app.get("/actions/where-are-the-children-marches").await;
    assert!(
        event.contains("I&#x27;m going") || event.contains("I'm going"),
        "{event}"
    );
    assert!(!event.contains("Left a voicemail"));
}

#[tokio::test]
async fn dc_has_no_senators_and_no_unfilled_senator_name() {
    let Some(dir) = crate::reps::data_dir() else {
        return;
    };
    let app = spawn_demo().await;
    crate::reps::import_real(&app, &dir).await;
    for path in [
        format!("{CONGRESS}?zip=20001"),
        "/actions/keep-families-together-act?zip=20001".to_string(),
        format!("{CONGRESS}/call?zip=20001"),
        "/actions/keep-families-together-act?zip=00901".to_string(),
    ] {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200);
        assert!(!page.contains("[SENATOR NAME]"), "{path}:\n{page}");
    }
    let (_, page) = app.get(&format!("{CONGRESS}?zip=20001")).await;
    assert!(page.contains("District of Columbia has none"), "{page}");
    assert!(
        page.contains("Script for Delegate Eleanor Holmes Norton"),
        "{page}"
    );
    let (_, pr) = app.get(&format!("{CONGRESS}/call?zip=00901")).await;
    assert!(pr.contains("Resident Commissioner </span>"), "{pr}");
}
