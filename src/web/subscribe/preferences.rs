//! What a subscriber reaches from the links in their emails: preferences and unsubscribing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use tera::Context;

use crate::db::{campaigns, subscribers};
use crate::domain::Frequency;
use crate::web::error::WebError;
use crate::web::render::{page_with_status, render};
use crate::web::AppState;

use super::*;

/// The preferences page without errors, after a save or not.
async fn preferences_shown(
    state: &AppState,
    s: subscribers::Subscriber,
    token: &str,
    saved: bool,
) -> Result<HttpResponse, WebError> {
    preferences_page(
        state,
        s,
        token,
        saved,
        serde_json::json!({}),
        StatusCode::OK,
    )
    .await
}

async fn preferences_page(
    state: &AppState,
    s: subscribers::Subscriber,
    token: &str,
    saved: bool,
    errors: serde_json::Value,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let id = s.id;
    let (list, chosen) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let list = campaigns::list_active(conn)?;
            let follows = subscribers::campaigns_of(conn, &[id])?
                .remove(&id)
                .unwrap_or_default();
            let chosen: Vec<String> = list
                .iter()
                .filter(|c| follows.contains(&c.id))
                .map(|c| c.slug.clone())
                .collect();
            Ok((list, chosen))
        })
        .await?;
    let mut ctx = Context::new();
    ctx.insert("subscriber", &s);
    ctx.insert("token", token);
    ctx.insert("campaigns", &list);
    ctx.insert("chosen", &chosen);
    ctx.insert("saved", &saved);
    ctx.insert("errors", &errors);
    ctx.insert("tz", &state.settings.digest_timezone.name());
    Ok(private(page_with_status(status, "preferences.html", &ctx)?))
}

pub(super) async fn preferences(
    state: web::Data<AppState>,
    Managed {
        subscriber: s,
        token,
    }: Managed,
) -> Result<HttpResponse, WebError> {
    preferences_shown(&state, s, &token, false).await
}

pub(super) async fn save_preferences(
    state: web::Data<AppState>,
    Managed {
        subscriber: s,
        token,
    }: Managed,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let f: SubscribeForm = parse_form(&body)?;
    let frequency = Frequency::parse(f.frequency.as_deref().unwrap_or("immediate"));
    let slugs = f.campaign.clone();
    let ids = state.db.run(move |c| campaign_ids(c, &slugs)).await?;
    let (frequency, ids) = match (frequency, ids) {
        (Ok(fr), Ok(ids)) => (fr, ids),
        (fr, ids) => {
            let mut errors = serde_json::Map::new();
            if let Err(e) = fr {
                errors.insert("frequency".into(), format!("How often {}", e.0).into());
            }
            if let Err(e) = ids {
                errors.insert("campaign".into(), format!("Campaigns: {e}").into());
            }
            return preferences_page(
                &state,
                s,
                &token,
                false,
                serde_json::Value::Object(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if s.status != crate::domain::SubscriberStatus::Active {
        return preferences_page(
            &state,
            s,
            &token,
            false,
            serde_json::json!({}),
            StatusCode::OK,
        )
        .await;
    }
    let id = s.id;
    let s = state
        .db
        .run(move |conn| {
            db::write_tx(conn, |conn| {
                subscribers::set_preferences(conn, id, &ids, frequency)
            })
        })
        .await?;
    preferences_shown(&state, s, &token, true).await
}

pub(super) async fn unsubscribe_page(
    Managed {
        subscriber: s,
        token,
    }: Managed,
) -> Result<HttpResponse, WebError> {
    let mut ctx = Context::new();
    ctx.insert("subscriber", &s);
    ctx.insert("token", &token);
    Ok(private(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(render("unsubscribe.html", &ctx)?),
    ))
}

/// Unsubscribes: the page's button, or a mail client's RFC 8058 one-click POST (body
/// `List-Unsubscribe=One-Click`). Idempotent.
pub(super) async fn unsubscribe(
    state: web::Data<AppState>,
    Managed { subscriber: s, .. }: Managed,
) -> Result<HttpResponse, WebError> {
    let id = s.id;
    let s = state
        .db
        .run(move |conn| db::write_tx(conn, |conn| subscribers::unsubscribe(conn, id, db::now())))
        .await?;
    let what = format!("No more email goes to {}.", s.email);
    message(
        StatusCode::OK,
        "You are unsubscribed",
        &[what.as_str()],
        Some(("/subscribe", "Changed your mind? Subscribe again")),
    )
}
