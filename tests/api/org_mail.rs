//! The reason organizers give when they expire actions reaches subscribers: read from a real
//! SMTP server (MailDev), the digest after a bulk expiry says each action is over and why;
//! and the admin digest preview showed that same digest before it was sent.

use actiondesk::db::{campaigns, write_tx};

use crate::digests::{app_with, confirmed_subscribers, digest_run, digests_to, env_for};
use crate::fixtures::{self, action, published};
use crate::mailbox::MailDev;
use crate::org_forms::Org;

#[tokio::test]
async fn a_bulk_expiry_reason_reaches_the_digest_and_its_preview() {
    let Some(mail) = MailDev::start().await else {
        return;
    };
    let app = app_with(&mail.smtp_url()).await;
    let env = env_for(&app, &mail.smtp_url());
    app.with_db(|c| {
        write_tx(c, |c| {
            let cid = fixtures::campaign(c, "alpha", "Alpha campaign")?;
            published(c, &action(cid, "Call the senate"))?;
            published(c, &action(cid, "Call the house"))?;
            published(c, &action(cid, "Keep calling"))?;
            Ok(())
        })
    })
    .await;
    app.with_db(|c| confirmed_subscribers(c, 1)).await;
    let org = Org::on(app).await;
    assert!(org
        .app
        .with_db(|c| campaigns::find(c, "alpha"))
        .await
        .is_some());

    let reason = "The vote was postponed to January";
    let (status, _, body) = org
        .post(
            "/admin/actions-expire",
            &[
                ("selected", "call-the-senate"),
                ("selected", "call-the-house"),
                ("confirm", "yes"),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");

    let (_, preview) = org.app.get("/admin/digest-preview").await;
    assert!(preview.contains(reason), "{preview}");
    assert!(preview.contains("2 ended"), "{preview}");

    assert_eq!(
        digest_run(&env),
        "digests: composed 1, sent 1, failed 0, pending 0"
    );
    let all = mail
        .wait_for("the digest", |m| {
            !digests_to(m, "s0@example.org").is_empty()
        })
        .await;
    let d = digests_to(&all, "s0@example.org").remove(0);
    assert!(d.subject.contains("2 ended"), "{}", d.subject);
    for part in [&d.text, &d.html] {
        for want in ["Call the senate", "Call the house", reason, "Over"] {
            assert!(part.contains(want), "{want} missing from {part}");
        }
        assert!(!part.contains("Keep calling"), "only those expired: {part}");
    }
    assert!(
        d.text.contains(&format!("- Call the senate: {reason}")),
        "{}",
        d.text
    );
    let (_, preview) = org.app.get("/admin/digest-preview").await;
    assert!(preview.contains("Nothing is waiting"), "sent: {preview}");
}
