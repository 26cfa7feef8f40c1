//! Call mode in real headless Chromium: on a 360 px and a 390×844 phone, the first
//! target's number and the whole script are on the first screen, nothing scrolls sideways
//! and axe-core finds nothing; a caller with a keyboard alone walks from the action page to
//! the done step.

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::tools;

/// Step 1 of every demo call action (the ZIP-code ones for a whole and a split ZIP code).
const FIRST_STEPS: &[&str] = &[
    "/actions/call-ice/call",
    "/actions/call-orr-director/call",
    "/actions/call-seven-more-officials/call",
    "/actions/call-your-senators-and-representative/call?zip=98104",
    "/actions/call-your-senators-and-representative/call?zip=98101",
    "/actions/keep-families-together-act/call?zip=98104",
    "/actions/call-your-senators-and-representative/call?zip=98101&step=4",
    "/actions/call-your-senators-and-representative/call?zip=98104&step=5",
    "/actions/call-your-senators-and-representative/call",
];

/// Loads each step; answers what is wrong with it, one line each.
async fn check_steps(browser: &Browser, app: &TestApp, axe: &str, paths: &[&str]) -> Vec<String> {
    let c = &browser.client;
    let mut failures = Vec::new();
    for path in paths {
        c.goto(&format!("{}{path}", app.address)).await.unwrap();
        let fit = c
            .execute(
                "const tel = document.querySelector('a.tel-big');
                 const script = document.querySelector('.call-script');
                 return {
                   width: document.documentElement.scrollWidth, window: window.innerWidth,
                   height: window.innerHeight,
                   tel: tel ? tel.getBoundingClientRect().bottom : null,
                   script: script ? script.getBoundingClientRect().bottom : null,
                   step: !!document.querySelector('.call-progress'),
                 };",
                vec![],
            )
            .await
            .unwrap();
        let num = |k: &str| fit[k].as_f64();
        if num("width") > num("window") {
            failures.push(format!("{path}: scrolls sideways: {fit}"));
        }
        if fit["step"].as_bool() == Some(true) {
            let h = num("height").unwrap();
            match (num("tel"), num("script")) {
                (Some(t), Some(s)) if t <= h && s <= h => {}
                _ => failures.push(format!(
                    "{path}: the number and the script are not both on the first screen: {fit}"
                )),
            }
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
        for v in result.as_array().cloned().unwrap_or_default() {
            failures.push(format!("{path}: {v}"));
        }
    }
    failures
}

async fn phones(paths: &[&str], app: &TestApp) {
    let Some(axe_path) = tools::axe_js() else {
        return;
    };
    let axe = std::fs::read_to_string(axe_path).expect("axe-core readable");
    let mut failures = Vec::new();
    for (w, h) in [(360, 740), (390, 844)] {
        let Some(browser) = Browser::start(w, h).await else {
            return;
        };
        for f in check_steps(&browser, app, &axe, paths).await {
            failures.push(format!("{w}x{h} {f}"));
        }
        browser.close().await;
    }
    assert!(
        failures.is_empty(),
        "call mode on phones:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_demo_call_fits_the_first_screen_of_a_phone_and_passes_axe() {
    let app = crate::reps::spawn_demo_with_fixtures().await;
    phones(FIRST_STEPS, &app).await;
}

#[tokio::test]
async fn a_zip_code_across_two_states_fits_too() {
    let Some(dir) = crate::reps::data_dir() else {
        return;
    };
    let app = crate::helpers::spawn_demo().await;
    crate::reps::import_real(&app, &dir).await;
    // 30165 is in Alabama's 3rd and Georgia's 14th district: four senators, two members.
    let (_, page) = app
        .get("/actions/call-your-senators-and-representative/call?zip=30165")
        .await;
    assert!(page.contains("Call 1 of 7"), "{page}");
    phones(
        &[
            "/actions/call-your-senators-and-representative/call?zip=30165",
            "/actions/call-your-senators-and-representative/call?zip=30165&step=6",
            "/actions/call-your-senators-and-representative/call?zip=20001",
        ],
        &app,
    )
    .await;
}

/// Presses Tab until the focused element matches `css`; false after 80 presses.
async fn tab_to(c: &fantoccini::Client, css: &str) -> bool {
    for _ in 0..80 {
        let focused = c
            .execute(
                &format!("return document.activeElement.matches({css:?});"),
                vec![],
            )
            .await
            .unwrap();
        if focused.as_bool() == Some(true) {
            return true;
        }
        c.active_element()
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
    }
    false
}

#[tokio::test]
async fn a_caller_with_a_keyboard_alone_walks_through_call_mode() {
    let Some(browser) = Browser::start(390, 844).await else {
        return;
    };
    let app = crate::reps::spawn_demo_with_fixtures().await;
    let c = &browser.client;
    let enter = "\u{E007}";
    c.goto(&format!("{}/actions/call-ice", app.address))
        .await
        .unwrap();
    assert!(
        tab_to(c, "a[href='/actions/call-ice/call']").await,
        "Start calling"
    );
    c.active_element()
        .await
        .unwrap()
        .send_keys(enter)
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".call-progress"))
        .await
        .unwrap();
    assert!(tab_to(c, "a.tel-big").await, "the number");
    assert!(
        tab_to(c, "button[value='contacted']").await,
        "the outcome buttons"
    );
    c.active_element()
        .await
        .unwrap()
        .send_keys(enter)
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".call-tally"))
        .await
        .unwrap();
    let tally = c.find(Locator::Css(".call-tally")).await.unwrap();
    assert!(tally.text().await.unwrap().contains("1 reached someone"));
    assert!(tab_to(c, "a[href='/subscribe']").await, "what next");

    // With a ZIP code typed in, and Skip.
    let congress = "/actions/call-your-senators-and-representative";
    c.goto(&format!("{}{congress}/call", app.address))
        .await
        .unwrap();
    assert!(tab_to(c, "#zip").await, "the ZIP box");
    c.active_element()
        .await
        .unwrap()
        .send_keys(&format!("98104{enter}"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".call-progress"))
        .await
        .unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/call?zip=98104"));
    assert!(tab_to(c, ".call-nav a[href*='step=2']").await, "Skip");
    c.active_element()
        .await
        .unwrap()
        .send_keys(enter)
        .await
        .unwrap();
    c.wait()
        .for_url(
            &url::Url::parse(&format!(
                "{}{congress}/call?zip=98104&step=2&log=s",
                app.address
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let who = c.find(Locator::Css(".call-who")).await.unwrap();
    assert!(who.text().await.unwrap().contains("Patty Murray"));
    browser.close().await;
}
