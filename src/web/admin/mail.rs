//! `/admin/mail`: what organizers need to trust the mail path — subscribers by state and
//! by campaign, the outbox by state, the last digest runs and the deliveries that failed or
//! wait for a retry; the suppressed addresses (bounces, complaints) with their reason, and
//! lifting a suppression.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::see_other;
use crate::db::{self, bounces, campaigns, outbox, subscribers, DbConn};
use crate::mail::compose;
use crate::web::admin::{context, page};
use crate::web::csrf::CsrfForm;
use crate::web::error::WebError;
use crate::web::session::CurrentOrganizer;
use crate::web::AppState;

/// The mail page's route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/mail", web::get().to(mail_page))
        .route("/admin/mail/lift", web::post().to(lift))
        .route("/admin/digest-preview", web::get().to(digest_preview))
        .route(
            "/admin/digest-preview/email.html",
            web::get().to(digest_preview_html),
        );
}

#[derive(serde::Deserialize)]
pub struct PreviewQuery {
    /// A campaign's slug: the digest of someone following only it.
    campaign: Option<String>,
}

/// The digest preview of the campaign asked for (all when none), and the campaigns.
async fn load_preview(
    state: &AppState,
    q: PreviewQuery,
) -> Result<(compose::Preview, Vec<campaigns::Campaign>, Option<String>), WebError> {
    let settings = state.settings.clone();
    Ok(state
        .db
        .run(move |conn| -> Result<_, crate::mail::Error> {
            let all = campaigns::list_all(conn)?;
            let chosen = q.campaign.and_then(|s| {
                all.iter()
                    .find(|c| c.slug == s)
                    .map(|c| (c.id, c.slug.clone()))
            });
            let ids: Vec<i32> = chosen.iter().map(|c| c.0).collect();
            let p = compose::preview(conn, &settings, &ids, db::now())?;
            Ok((p, all, chosen.map(|c| c.1)))
        })
        .await?)
}

/// `GET /admin/digest-preview[?campaign=slug]`: the digest subscribers would get now for
/// the changes not yet sent — subject and text — without sending or consuming anything.
pub async fn digest_preview(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    q: web::Query<PreviewQuery>,
) -> Result<HttpResponse, WebError> {
    let (p, all, chosen) = load_preview(&state, q.into_inner()).await?;
    let mut ctx = context(&me);
    ctx.insert("p", &p);
    ctx.insert("campaigns", &all);
    ctx.insert("chosen", &chosen);
    page("admin/digest_preview.html", &ctx)
}

/// `GET /admin/digest-preview/email.html[?campaign=slug]`: the same digest's HTML part,
/// as its own page.
pub async fn digest_preview_html(
    state: web::Data<AppState>,
    _me: CurrentOrganizer,
    q: web::Query<PreviewQuery>,
) -> Result<HttpResponse, WebError> {
    let (p, _, _) = load_preview(&state, q.into_inner()).await?;
    let html = p
        .rendered
        .map(|r| r.html)
        .ok_or_else(|| WebError::NotFound("digest preview".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(html))
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
    suppressed: Vec<bounces::Suppression>,
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
        suppressed: bounces::suppressed(conn, 200)?,
    })
}

/// `/admin/mail`: subscriber counts, recent digest runs and failed deliveries.
pub async fn mail_page(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    q: web::Query<Lifted>,
) -> Result<HttpResponse, WebError> {
    let overview = state.db.run(load).await?;
    let mut ctx = context(&me);
    ctx.insert("m", &overview);
    ctx.insert("lifted", &q.lifted);
    page("admin/mail.html", &ctx)
}

/// `?lifted=` after lifting a suppression: the address.
#[derive(serde::Deserialize)]
pub struct Lifted {
    lifted: Option<String>,
}

/// The suppression an organizer lifts.
#[derive(serde::Deserialize)]
pub struct LiftForm {
    subscriber: i32,
}

/// `POST /admin/mail/lift`: mail this address again (audited).
pub async fn lift(
    state: web::Data<AppState>,
    form: CsrfForm<LiftForm>,
) -> Result<HttpResponse, WebError> {
    let actor = form.me.actor();
    let id = form.data.subscriber;
    let lifted = state
        .db
        .run(move |conn| db::write_tx(conn, |conn| bounces::lift(conn, id, &actor)))
        .await?;
    Ok(match lifted {
        Some(email) => see_other(&format!(
            "/admin/mail?lifted={}",
            percent_encoding::utf8_percent_encode(&email, percent_encoding::NON_ALPHANUMERIC)
        )),
        None => see_other("/admin/mail"),
    })
}
