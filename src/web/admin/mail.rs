//! `/admin/mail`: what organizers need to trust the mail path — subscribers by state and
//! by campaign, the outbox by state, the last digest runs and the deliveries that failed or
//! wait for a retry.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::db::{self, campaigns, outbox, subscribers, DbConn};
use crate::web::admin::{context, page};
use crate::web::error::WebError;
use crate::web::session::CurrentOrganizer;
use crate::web::AppState;

/// The mail page's route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/mail", web::get().to(mail_page));
}

/// One row of "subscribers per campaign".
#[derive(Debug, Serialize)]
struct Following {
    campaign: String,
    subscribers: i64,
}

/// Everything the page shows, read in one go.
#[derive(Debug, Serialize)]
struct MailOverview {
    subscribers: Vec<(String, i64)>,
    following: Vec<Following>,
    outbox: Vec<(String, i64)>,
    runs: Vec<outbox::DigestRun>,
    failures: Vec<outbox::FailedDelivery>,
}

fn load(conn: &mut DbConn) -> db::Result<MailOverview> {
    let titles: std::collections::HashMap<i32, String> = campaigns::list_all(conn)?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    let following = subscribers::counts_by_campaign(conn)?
        .into_iter()
        .map(|(id, n)| Following {
            campaign: match id {
                None => "All campaigns".to_string(),
                Some(id) => titles
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("campaign #{id}")),
            },
            subscribers: n,
        })
        .collect();
    Ok(MailOverview {
        subscribers: subscribers::counts(conn)?,
        following,
        outbox: outbox::counts(conn)?,
        runs: outbox::recent_runs(conn, 20)?,
        failures: outbox::recent_failures(conn, 50)?,
    })
}

/// `/admin/mail`: subscriber counts, recent digest runs and failed deliveries.
pub async fn mail_page(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let overview = state.db.run(load).await?;
    let mut ctx = context(&me);
    ctx.insert("m", &overview);
    page("admin/mail.html", &ctx)
}
