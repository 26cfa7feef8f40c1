//! "I called — reached someone / left a voicemail / couldn't get through": a plain HTML
//! form on each action page (works without JavaScript) and `POST
//! /api/v1/actions/{slug}/outcomes`. Both are public writes, limited per client.
//!
//! CSRF: the form needs no session or account, so there is nothing to ride on; what a
//! cross-site page could do is inflate the counts through visitors' browsers. Form posts
//! are therefore checked for the same origin: an `Origin` header (sent by every current
//! browser on cross-site POSTs), else a `Referer`, must name this host; requests with
//! neither come from non-browser clients and are held by the rate limit alone. The JSON
//! endpoint needs `Content-Type: application/json`, which no cross-site form can send.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::db::{outcomes, Actor};
use crate::domain::Outcome;
use crate::web::error::WebError;
use crate::web::ratelimit::client_key;
use crate::web::AppState;

/// The form's and the API's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OutcomeInput {
    /// `contacted`, `voicemail` or `unavailable`.
    pub outcome: Option<String>,
    /// The slug of the contact called, if one.
    pub contact: Option<String>,
}

fn parse(input: &OutcomeInput) -> Result<Outcome, WebError> {
    let raw = input.outcome.as_deref().unwrap_or("").trim();
    if raw.is_empty() {
        return Err(WebError::invalid(
            "outcome",
            "is required: contacted, voicemail or unavailable",
        ));
    }
    Outcome::parse(raw).map_err(|e| WebError::invalid("outcome", e.to_string()))
}

/// Refuses a browser's cross-site form post.
fn same_origin(req: &HttpRequest) -> Result<(), WebError> {
    let host = req.connection_info().host().to_ascii_lowercase();
    let claimed = req
        .headers()
        .get(header::ORIGIN)
        .or_else(|| req.headers().get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(claimed) = claimed else {
        return Ok(());
    };
    let ok = url::Url::parse(claimed).ok().is_some_and(|u| {
        let h = u.host_str().unwrap_or("").to_ascii_lowercase();
        let with_port = match u.port() {
            Some(p) => format!("{h}:{p}"),
            None => h,
        };
        with_port == host
    });
    if ok {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "this form can only be sent from this site's own pages".into(),
        ))
    }
}

async fn record(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    slug: String,
    input: &OutcomeInput,
) -> Result<outcomes::ActionCounts, WebError> {
    let outcome = parse(input)?;
    state.visitors.check_outcome(&client_key(req))?;
    let contact = input.contact.clone();
    Ok(state
        .db
        .run(move |conn| {
            outcomes::report(conn, &slug, contact.as_deref(), outcome, &Actor::system())
        })
        .await?)
}

/// `POST /actions/{slug}/outcomes` (form): counts it and goes back to the action page.
pub async fn post_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<OutcomeInput>,
) -> Result<HttpResponse, WebError> {
    same_origin(&req)?;
    let slug = path.into_inner();
    let input = form.into_inner();
    record(&state, &req, slug.clone(), &input).await?;
    let outcome = input.outcome.unwrap_or_default();
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/actions/{slug}?recorded={}#outcomes", outcome.trim()),
        ))
        .finish())
}

/// Records one call's outcome; answers the action's counts.
#[utoipa::path(
    post,
    path = "/api/v1/actions/{slug}/outcomes",
    tag = "actions",
    params(("slug" = String, Path, description = "The action's slug")),
    request_body = OutcomeInput,
    responses(
        (status = 200, description = "The action's counts, all together and per contact", body = outcomes::ActionCounts),
        (status = 404, description = "No such published action", body = crate::web::api::openapi::ErrorBody),
        (status = 422, description = "Bad outcome or contact", body = crate::web::api::openapi::ErrorBody),
        (status = 429, description = "Too many reports from this client; see Retry-After", body = crate::web::api::openapi::ErrorBody)
    )
)]
pub async fn post_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<OutcomeInput>,
) -> Result<HttpResponse, WebError> {
    let counts = record(&state, &req, path.into_inner(), &body).await?;
    Ok(HttpResponse::Ok().json(counts))
}
