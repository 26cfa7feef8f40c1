//! Subscriptions (SPEC "Subscriptions"): double opt-in, preferences and unsubscribing.
//! Pages reached from emails are protected by the token in their link alone (random, stored
//! hashed); they are never cached and never leak the token in a Referer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::error::InternalError;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tera::Context;

use crate::db::{self, campaigns, subscribers};
use crate::mail::outbox::{deliver, worker_name};
use crate::mail::transport::Mailer;
use crate::web::error::WebError;
use crate::web::ratelimit::{client_key, Limiter};
use crate::web::render::page_with_status;
use crate::web::AppState;

mod fresh_link;
mod preferences;
mod signup;

/// The subscription routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/subscribe")
            .get(signup::form)
            .post(signup::submit),
    )
    .service(web::resource("/subscribe/confirm").get(signup::confirm))
    .service(
        web::resource("/subscribe/link")
            .get(fresh_link::form)
            .post(fresh_link::submit),
    )
    .service(
        web::resource("/preferences")
            .get(preferences::preferences)
            .post(preferences::save_preferences),
    )
    .service(
        web::resource("/unsubscribe")
            .get(preferences::unsubscribe_page)
            .post(preferences::unsubscribe),
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
    /// Ten requests per client then one a minute; three per address then one per 20 minutes
    /// (each times `scale`, `RATE_LIMIT_SCALE`).
    pub fn new(mailer: Mailer, scale: u32) -> MailState {
        MailState {
            mailer,
            worker: worker_name(),
            by_client: Limiter::scaled(10, Duration::from_secs(60), scale),
            by_address: Limiter::scaled(3, Duration::from_secs(20 * 60), scale),
        }
    }

    /// Sends the outbox message `outbox_id` (`what`, for the log) at once, in the
    /// background; should that fail, the worker retries it from the outbox.
    pub(crate) fn send_soon(&self, state: &AppState, outbox_id: i32, what: &'static str) {
        let (db, settings, mailer, worker) = (
            state.db.clone(),
            state.settings.clone(),
            self.mailer.clone(),
            self.worker.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = deliver(&db, &settings, &mailer, &worker, Some(outbox_id)).await {
                tracing::warn!(error = %e, "{what} not sent yet; the worker retries");
            }
        });
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SubscribeForm {
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

fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    serde_html_form::from_bytes(body)
        .map_err(|e| WebError::invalid("form", format!("could not be read: {e}")))
}

/// A form a visitor posts to ask for mail (subscribing, a fresh link): its client is
/// counted against the per-client limit, then its body is read into `T`.
struct LimitedForm<T>(T);

impl<T: DeserializeOwned + 'static> FromRequest for LimitedForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<LimitedForm<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let mail = web::Data::<MailState>::extract(&req).await?;
            let body = body.await?;
            mail.by_client.check(&client_key(&req))?;
            Ok(LimitedForm(parse_form(&body)?))
        })
    }
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

/// The subscriber whose manage token a link carries (`?token=`), with the token. A token
/// that does not work answers, instead of the handler, the page that offers a fresh link.
struct Managed {
    subscriber: subscribers::Subscriber,
    token: String,
}

impl FromRequest for Managed {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Managed, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = web::Query::<TokenQuery>::extract(&req)
                .await?
                .into_inner()
                .token;
            let state = web::Data::<AppState>::extract(&req).await?;
            let found = match token.trim() {
                "" => None,
                _ => {
                    let t = token.clone();
                    state
                        .db
                        .run(move |conn| subscribers::by_manage_token(conn, &t))
                        .await
                        .map_err(WebError::from)?
                }
            };
            match found {
                Some(subscriber) => Ok(Managed { subscriber, token }),
                None => {
                    let page = fresh_link::for_token(&req, &state, token).await?;
                    Err(InternalError::from_response("unknown token", page).into())
                }
            }
        })
    }
}
