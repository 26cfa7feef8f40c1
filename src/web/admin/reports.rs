//! `/admin/reports`: callers' problem reports grouped by number, newest first, with "Mark
//! verified" (clears them, dates the check) and "Change number" (the contact's form: an
//! ordinary change with its history, feeds and digests); and the numbers nobody has
//! checked for over 90 days.

use actix_web::{web, HttpResponse};
use chrono::Duration;
use serde::Deserialize;

use super::{context, page, see_other};
use crate::db::{self, phone_reports};
use crate::web::csrf::CsrfForm;
use crate::web::error::WebError;
use crate::web::session::CurrentOrganizer;
use crate::web::AppState;

/// How long a number may go unchecked before the queue lists it.
pub const STALE: Duration = Duration::days(90);

/// The organizers' report routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/reports", web::get().to(list))
        .route("/admin/reports/verify", web::post().to(verify));
}

/// `GET /admin/reports`
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    query: web::Query<Done>,
) -> Result<HttpResponse, WebError> {
    let (open, (stale, stale_total)) = state
        .db
        .run(|conn| -> db::Result<_> {
            Ok((
                phone_reports::open(conn)?,
                phone_reports::unchecked(conn, db::now() - STALE, 100)?,
            ))
        })
        .await?;
    let mut ctx = context(&me);
    ctx.insert("numbers", &open);
    ctx.insert("stale", &stale);
    ctx.insert("stale_total", &stale_total);
    ctx.insert("done", &query.done);
    page("admin/reports.html", &ctx)
}

/// `?done=` after a verification: how many reports it closed.
#[derive(Deserialize)]
pub struct Done {
    pub done: Option<usize>,
}

/// The number an organizer checked.
#[derive(Deserialize)]
pub struct VerifyForm {
    pub contact: String,
    pub e164: String,
}

/// `POST /admin/reports/verify`: the number works as listed.
pub async fn verify(
    state: web::Data<AppState>,
    form: CsrfForm<VerifyForm>,
) -> Result<HttpResponse, WebError> {
    let actor = form.me.actor();
    let VerifyForm { contact, e164 } = form.data;
    let closed = state
        .db
        .run(move |conn| phone_reports::verify(conn, &contact, &e164, &actor))
        .await?;
    Ok(see_other(&format!("/admin/reports?done={closed}")))
}
