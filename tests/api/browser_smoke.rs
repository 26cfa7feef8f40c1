//! The demo pages in real headless Chromium.

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::spawn_demo;

#[tokio::test]
async fn the_ice_number_is_a_working_tel_link_in_chromium() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = spawn_demo().await;
    let c = &browser.client;
    c.goto(&format!("{}/actions/call-ice", app.address))
        .await
        .unwrap();
    let link = c.find(Locator::Css("a.tel")).await.unwrap();
    assert_eq!(link.text().await.unwrap(), "1-866-DHS-2-ICE");
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some("tel:+18663472423")
    );
    // Nothing scrolls sideways on a 360 px phone.
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow.as_i64(), Some(0), "horizontal overflow at 360px");
    browser.close().await;
}
