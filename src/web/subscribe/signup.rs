//! Subscribing: the form, its answer and the confirmation email, and the confirmation link.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

use crate::db::{campaigns, subscribers};
use crate::domain::{EmailAddress, Frequency};
use crate::web::error::WebError;
use crate::web::render::page_with_status;
use crate::web::AppState;

use super::*;

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

pub(super) async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let f = parse_form(req.query_string().as_bytes()).unwrap_or_default();
    form_page(&state, StatusCode::OK, f, serde_json::json!({})).await
}

pub(super) async fn submit(
    state: web::Data<AppState>,
    mail: web::Data<MailState>,
    LimitedForm(f): LimitedForm<SubscribeForm>,
) -> Result<HttpResponse, WebError> {
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
    let outbox_id = state
        .db
        .run(move |conn| {
            crate::mail::subscribe::request(conn, &settings, &email, &ids, frequency, db::now())
        })
        .await?;
    mail.send_soon(&state, outbox_id, "confirmation email");
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

pub(super) async fn confirm(
    state: web::Data<AppState>,
    mail: web::Data<MailState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = q.into_inner().token;
    let settings = state.settings.clone();
    let result = state
        .db
        .run(move |conn| -> crate::mail::Result<_> {
            let now = db::now();
            db::write_tx(conn, |conn| {
                let confirmed = subscribers::confirm(conn, &token, now)?;
                // Only the click that confirms gets a welcome; a second one is a page view.
                let welcome = match &confirmed {
                    Ok((s, _)) if s.confirmed_at == Some(now) => {
                        Some(crate::mail::subscribe::welcome(conn, &settings, s, now)?)
                    }
                    _ => None,
                };
                Ok::<_, crate::mail::Error>((confirmed, welcome))
            })
        })
        .await?;
    let (result, welcome) = result;
    if let Some(outbox_id) = welcome {
        mail.send_soon(&state, outbox_id, "welcome email");
    }
    match result {
        Ok((s, manage)) => {
            // Opened again (no new token): already confirmed, and nothing new is made.
            let url = manage.map(|m| format!("/preferences?token={m}"));
            let link = match &url {
                Some(url) => (url.as_str(), "Choose campaigns and how often"),
                None => ("/subscribe/link", "Get a fresh link by email"),
            };
            let what = format!("Email about changes goes to {}.", s.email);
            message(
                StatusCode::OK,
                "You are subscribed",
                &[
                    what.as_str(),
                    "Every email has a link to change what you follow or to unsubscribe.",
                ],
                Some(link),
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
