//! `/admin/mail`: organizers see subscriber counts, the last digest runs and failed
//! deliveries — and nobody else does.

use actiondesk::db::{outbox, write_tx};

use crate::admin_support::{organizer, sign_in};
use crate::helpers::spawn_demo;

#[tokio::test]
async fn organizers_see_subscribers_runs_and_failures() {
    let app = spawn_demo().await;

    // Signed out: sent to the sign-in page, nothing shown.
    let (status, _) = app.get("/admin/mail").await;
    assert_eq!(status, 303, "the mail page needs a session");

    // Two people subscribe (no SMTP here: confirmations go to .eml files).
    for email in ["ana%40example.org", "ben%40example.org"] {
        let r = app
            .client
            .post(format!("{}/subscribe", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "email={email}&campaign=where-are-the-children&frequency=daily"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    }
    // A digest run as the worker records it.
    app.with_db(|c| {
        write_tx(c, |c| {
            let id = outbox::start_run(c, "worker-under-test", actiondesk::db::now())?;
            outbox::finish_run(c, id, actiondesk::db::now(), (7, 5, 1, 1))
        })
    })
    .await;

    organizer(&app, "mail@example.org", false).await;
    sign_in(&app, "mail@example.org").await;
    let (_, dashboard) = app.get("/admin").await;
    assert!(dashboard.contains(r#"href="/admin/mail""#), "{dashboard}");

    let (status, page) = app.get("/admin/mail").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"id="subscribers-pending">2<"#),
        "two unconfirmed subscribers are counted: {page}"
    );
    assert!(
        page.contains("worker-under-test"),
        "the run is listed: {page}"
    );
    assert!(
        page.contains(r#"<td class="num">7</td><td class="num">5</td><td class="num">1</td>"#),
        "the run's counts are shown: {page}"
    );
    assert!(page.contains("No failed deliveries."), "{page}");
    // Addresses are only shown to organizers, never in a public page.
    let (_, home) = app.get("/").await;
    assert!(!home.contains("ana@example.org"));
}
