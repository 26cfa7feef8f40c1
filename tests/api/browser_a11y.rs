//! Public pages in real headless Chromium at 360×740: no sideways scrolling, and no
//! axe-core violations of WCAG 2.0/2.1 A and AA.

use crate::browser::Browser;
use crate::helpers::{spawn_demo, TestApp};
use crate::tools;

/// The public pages every visitor may land on.
const PAGES: &[&str] = &[
    "/",
    "/actions/call-ice",
    "/actions/call-your-senators-and-representative",
    "/actions/national-day-of-action-for-children",
    "/campaigns/where-are-the-children",
    "/hotlines",
    "/updates",
    "/search?q=call",
    "/contacts/orr-director/report",
];

#[tokio::test]
async fn public_pages_fit_a_phone_and_pass_axe() {
    let Some(axe_path) = tools::axe_js() else {
        return;
    };
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let axe = std::fs::read_to_string(axe_path).expect("axe-core readable");
    let app = spawn_demo().await;
    let failures = check_pages(&browser, &app, &axe, PAGES).await;
    browser.close().await;
    assert!(
        failures.is_empty(),
        "accessibility / layout problems:\n{}",
        failures.join("\n")
    );
}

/// The pages a visitor sees once they give a ZIP: a split ZIP (two districts), a whole
/// one, and one that is not known.
const ZIP_PAGES: &[&str] = &[
    "/actions/call-your-senators-and-representative?zip=98101",
    "/actions/call-your-senators-and-representative?zip=98104",
    "/reps?zip=98101",
    "/reps?zip=99501",
    "/reps?zip=00000",
];

#[tokio::test]
async fn pages_with_a_zip_fit_a_phone_and_pass_axe() {
    let Some(axe_path) = tools::axe_js() else {
        return;
    };
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let axe = std::fs::read_to_string(axe_path).expect("axe-core readable");
    let app = spawn_demo().await;
    crate::reps::import_fixtures(&app).await;
    let (_, page) = app.get(ZIP_PAGES[0]).await;
    assert!(
        page.contains("tel:+1"),
        "the ZIP resolved to people to call: {page}"
    );
    let failures = check_pages(&browser, &app, &axe, ZIP_PAGES).await;
    browser.close().await;
    assert!(
        failures.is_empty(),
        "accessibility / layout problems:\n{}",
        failures.join("\n")
    );
}

/// Loads each page at the browser's size; returns sideways scrolling and axe-core
/// violations (WCAG 2.0/2.1 A and AA), one line each.
async fn check_pages(browser: &Browser, app: &TestApp, axe: &str, pages: &[&str]) -> Vec<String> {
    let c = &browser.client;
    let mut failures = Vec::new();
    for path in pages {
        c.goto(&format!("{}{path}", app.address)).await.unwrap();
        let width = c
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                vec![],
            )
            .await
            .unwrap();
        let scroll = width[0].as_i64().unwrap();
        assert_eq!(
            width[1].as_i64(),
            Some(360),
            "the viewport is a 360 px phone"
        );
        if scroll > 360 {
            failures.push(format!(
                "{path}: scrollWidth {scroll} > 360 (window {})",
                width[1]
            ));
        }
        c.execute(&format!("{axe}\n;return true;"), vec![])
            .await
            .expect("axe-core loads");
        let result = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,
                       help: v.help, nodes: v.nodes.map(n => n.html.slice(0, 200))}))))
                   .catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));",
                vec![],
            )
            .await
            .unwrap();
        for v in result
            .as_array()
            .cloned()
            .expect("axe-core answered a list")
        {
            failures.push(format!("{path}: {v}"));
        }
    }
    failures
}

#[tokio::test]
async fn the_copy_button_is_added_by_script_and_the_page_works_without_it() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = spawn_demo().await;
    // Without JavaScript there is no dead button, just the script text.
    let (_, html) = app.get("/actions/call-ice").await;
    assert!(html.contains("class=\"script-text\""));
    assert!(!html.contains("Copy script"));
    let c = &browser.client;
    c.goto(&format!("{}/actions/call-ice", app.address))
        .await
        .unwrap();
    let n = c
        .execute(
            "return document.querySelectorAll('button.copy').length",
            vec![],
        )
        .await
        .unwrap();
    // Headless Chromium over plain http may not offer the Clipboard API; then the script
    // adds nothing, which is the designed fallback.
    let clip = c
        .execute("return !!navigator.clipboard", vec![])
        .await
        .unwrap();
    if clip.as_bool() == Some(true) {
        assert!(n.as_i64().unwrap() >= 1, "a Copy script button per script");
    } else {
        assert_eq!(n.as_i64(), Some(0));
    }
    browser.close().await;
}
