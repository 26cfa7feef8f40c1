//! Subscriptions (SPEC "Subscriptions"): double opt-in, preferences and unsubscribing.
//! Pages reached from emails are protected by the token in their link alone (random, stored
//! hashed); they are never cached and never leak the token in a Referer.

use std::time::Duration;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::error::WebError;
use super::ratelimit::{client_key, Limiter};
use super::render::{page_with_status, render};
use super::AppState;
use crate::db::{self, campaigns, subscribers};
use crate::domain::{EmailAddress, Frequency};
use crate::mail::outbox::{blocking, deliver, worker_name};
use crate::mail::transport::Mailer;

/// The subscription routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/subscribe").get(form).post(submit))
        .service(web::resource("/subscribe/confirm").get(confirm))
        .service(
            web::resource("/preferences")
                .get(preferences)
                .post(save_preferences),
        )
        .service(
            web::resource("/unsubscribe")
                .get(unsubscribe_page)
                .post(unsubscribe),
        );
}

/// What the subscription pages share: the transport for confirmation emails and the rate
/// limits on subscribing.
pub struct MailState {
    pub mailer: Mailer,
    worker: String,
    by_client: Limiter<String>,
    by_address: Limiter<String>,
}

impl MailState {
    /// Ten requests per client then one a minute; three per address then one per 20 minutes.
    pub fn new(mailer: Mailer) -> MailState {
        MailState {
            mailer,
            worker: worker_name(),
            by_client: Limiter::new(10, Duration::from_secs(60)),
            by_address: Limiter::new(3, Duration::from_secs(20 * 60)),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SubscribeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    campaign: Vec<String>,
    #[serde(default)]
    frequency: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn private(mut res: HttpResponse) -> HttpResponse {
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("x-robots-tag"),
        header::HeaderValue::from_static("noindex"),
    );
    res
}

fn message(
    status: StatusCode,
    heading: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Result<HttpResponse, WebError> {
    let mut ctx = Context::new();
    ctx.insert("heading", heading);
    ctx.insert("paragraphs", paragraphs);
    if let Some((url, text)) = link {
        ctx.insert("link_url", url);
        ctx.insert("link_text", text);
    }
    Ok(private(page_with_status(
        status,
        "subscribe_message.html",
        &ctx,
    )?))
}

fn parse_form(body: &[u8]) -> Result<SubscribeForm, WebError> {
    serde_html_form::from_bytes(body)
        .map_err(|e| WebError::invalid("form", format!("could not be read: {e}")))
}

/// Campaign slugs to ids; an unknown slug is an error naming the field.
fn campaign_ids(conn: &mut db::DbConn, slugs: &[String]) -> db::Result<Result<Vec<i32>, String>> {
    let mut ids = Vec::new();
    for slug in slugs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match campaigns::find(conn, slug)? {
            Some(c) => ids.push(c.id),
            None => return Ok(Err(format!("no campaign is called {slug:?}"))),
        }
    }
    Ok(Ok(ids))
}

async fn form_page(
    state: &AppState,
    status: StatusCode,
    form: SubscribeForm,
    errors: serde_json::Value,
) -> Result<HttpResponse, WebError> {
    let list = state.db.run(campaigns::list_active).await?;
    let mut ctx = Context::new();
    ctx.insert("campaigns", &list);
    ctx.insert("chosen", &form.campaign);
    ctx.insert("email", &form.email);
    ctx.insert(
        "frequency",
        form.frequency.as_deref().unwrap_or("immediate"),
    );
    ctx.insert("tz", &state.settings.digest_timezone.name());
    ctx.insert("errors", &errors);
    page_with_status(status, "subscribe.html", &ctx)
}

async fn form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let f = parse_form(req.query_string().as_bytes()).unwrap_or_default();
    form_page(&state, StatusCode::OK, f, serde_json::json!({})).await
}

async fn submit(
    state: web::Data<AppState>,
    mail: web::Data<MailState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    mail.by_client.check(&client_key(&req))?;
    let f = parse_form(&body)?;
    let mut errors = serde_json::Map::new();
    let email = match EmailAddress::parse(&f.email) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.insert("email".into(), format!("Email address {}", e.0).into());
            None
        }
    };
    let frequency = match f
        .frequency
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(Frequency::Immediate),
        Some(v) => match Frequency::parse(v) {
            Ok(fr) => Some(fr),
            Err(e) => {
                errors.insert("frequency".into(), format!("How often {}", e.0).into());
                None
            }
        },
    };
    let slugs = f.campaign.clone();
    let ids = state.db.run(move |c| campaign_ids(c, &slugs)).await?;
    let ids = match ids {
        Ok(ids) => Some(ids),
        Err(e) => {
            errors.insert("campaign".into(), format!("Campaigns: {e}").into());
            None
        }
    };
    let (Some(email), Some(frequency), Some(ids)) = (email, frequency, ids) else {
        return form_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            f,
            serde_json::Value::Object(errors),
        )
        .await;
    };
    mail.by_address.check(&email.as_str().to_lowercase())?;
    let settings = state.settings.clone();
    let outbox_id = blocking(&state.db, move |conn| {
        crate::mail::subscribe::request(conn, &settings, &email, &ids, frequency, db::now())
    })
    .await?;
    // Send at once; should it fail, the worker retries it from the outbox.
    let (db, settings, mailer, worker) = (
        state.db.clone(),
        state.settings.clone(),
        mail.mailer.clone(),
        mail.worker.clone(),
    );
    tokio::spawn(async move {
        if let Err(e) = deliver(&db, &settings, &mailer, &worker, Some(outbox_id)).await {
            tracing::warn!(error = %e, "confirmation email not sent yet; the worker retries");
        }
    });
    message(
        StatusCode::OK,
        "Check your inbox",
        &[
            "If that address can receive email, a message is on its way to it. Open the link inside to confirm your subscription.",
            "Nothing is sent unless the link is opened. If no message arrives within a few minutes, look in your spam folder.",
        ],
        None,
    )
}

async fn confirm(
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = q.into_inner().token;
    let result = state
        .db
        .run(move |conn| db::write_tx(conn, |conn| subscribers::confirm(conn, &token, db::now())))
        .await?;
    match result {
        Ok((s, manage)) => {
            let url = format!("/preferences?token={manage}");
            let what = format!("Email about changes goes to {}.", s.email);
            message(
                StatusCode::OK,
                "You are subscribed",
                &[
                    what.as_str(),
                    "Every email has a link to change what you follow or to unsubscribe.",
                ],
                Some((&url, "Choose campaigns and how often")),
            )
        }
        Err(subscribers::ConfirmError::Unknown) => message(
            StatusCode::NOT_FOUND,
            "This link does not work",
            &["It may have been copied incompletely. You can subscribe again."],
            Some(("/subscribe", "Subscribe")),
        ),
        Err(subscribers::ConfirmError::Lapsed) => message(
            StatusCode::GONE,
            "This link has expired",
            &["Confirmation links work for 7 days. Subscribe again to get a new one."],
            Some(("/subscribe", "Subscribe")),
        ),
    }
}

async fn subscriber_for(
    state: &AppState,
    token: String,
) -> Result<Option<subscribers::Subscriber>, WebError> {
    if token.trim().is_empty() {
        return Ok(None);
    }
    Ok(state
        .db
        .run(move |conn| subscribers::by_manage_token(conn, &token))
        .await?)
}

fn unknown_token() -> Result<HttpResponse, WebError> {
    message(
        StatusCode::NOT_FOUND,
        "This link does not work",
        &["It may have been copied incompletely. Use the link in your most recent email."],
        None,
    )
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
        .run(move |conn| {
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

async fn preferences(
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = q.into_inner().token;
    let Some(s) = subscriber_for(&state, token.clone()).await? else {
        return unknown_token();
    };
    preferences_page(
        &state,
        s,
        &token,
        false,
        serde_json::json!({}),
        StatusCode::OK,
    )
    .await
}

async fn save_preferences(
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let token = q.into_inner().token;
    let Some(s) = subscriber_for(&state, token.clone()).await? else {
        return unknown_token();
    };
    let f = parse_form(&body)?;
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
    preferences_page(
        &state,
        s,
        &token,
        true,
        serde_json::json!({}),
        StatusCode::OK,
    )
    .await
}

async fn unsubscribe_page(
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = q.into_inner().token;
    let Some(s) = subscriber_for(&state, token.clone()).await? else {
        return unknown_token();
    };
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
async fn unsubscribe(
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = q.into_inner().token;
    let Some(s) = subscriber_for(&state, token).await? else {
        return unknown_token();
    };
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
