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

use crate::db::{self, outcomes, phone_reports, Actor};
use crate::domain::Outcome;
use crate::web::error::WebError;
use crate::web::ratelimit::client_key;
use crate::web::AppState;

/// The form's and the API's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OutcomeInput {
    /// By the action's kind: `call` takes `contacted`, `voicemail`, `unavailable` or
    /// `wrong_number`; `petition`, `email`, `letter`, `donate` (and `other`) take `done`;
    /// `event` takes `going`; `read` takes `read`. Another answers 422.
    #[schema(required, value_type = Outcome)]
    pub outcome: Option<String>,
    /// The slug of the contact called, if one.
    pub contact: Option<String>,
    /// The number dialled (any of the accepted forms), if one.
    pub phone: Option<String>,
}

fn parse(input: &OutcomeInput) -> Result<Outcome, WebError> {
    let raw = input.outcome.as_deref().unwrap_or("").trim();
    if raw.is_empty() {
        return Err(WebError::invalid(
            "outcome",
            "is required: contacted, voicemail, unavailable, wrong_number, done, going or read",
        ));
    }
    Outcome::parse(raw).map_err(|e| WebError::invalid("outcome", e.to_string()))
}

/// Refuses a browser's cross-site form post.
pub(crate) fn same_origin(req: &HttpRequest) -> Result<(), WebError> {
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

/// Checks and records one report (rate limited per client); answers the action's counts.
pub(crate) async fn record(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    slug: String,
    input: &OutcomeInput,
    sees_drafts: bool,
) -> Result<outcomes::ActionCounts, WebError> {
    let outcome = parse(input)?;
    let phone = match input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => Some(
            crate::domain::PhoneNumber::parse(p)
                .map_err(|e| WebError::invalid("phone", e.to_string()))?,
        ),
        None => None,
    };
    state.visitors.check_outcome(&client_key(req))?;
    let contact = input.contact.clone();
    let reporter = crate::web::client::reporter(state, req);
    Ok(state
        .db
        .run(move |conn| -> db::Result<_> {
            let actor = Actor::system();
            let counts = outcomes::report(
                conn,
                &slug,
                contact.as_deref(),
                outcome,
                &actor,
                sees_drafts,
            )?;
            // A wrong number is also a problem report about the number dialled (the
            // contact's first, when the caller did not say which).
            if let (Outcome::WrongNumber, Some(c)) = (outcome, contact.as_deref()) {
                phone_reports::file_wrong_number(conn, c, phone.as_ref(), &reporter, actor.at)?;
            }
            Ok(counts)
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
    match record(&state, &req, slug.clone(), &input, false).await {
        Err(WebError::RateLimited { retry_after }) => {
            return too_many(
                retry_after,
                &format!("/actions/{slug}/outcomes"),
                &[
                    ("outcome", input.outcome.as_deref()),
                    ("contact", input.contact.as_deref()),
                    ("phone", input.phone.as_deref()),
                ],
                &format!("/actions/{slug}#outcomes"),
            )
        }
        other => other?,
    };
    let outcome = input.outcome.unwrap_or_default();
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/actions/{slug}?recorded={}#outcomes", outcome.trim()),
        ))
        .finish())
}

/// The page a report over the rate limit gets (429, `Retry-After`): the report is kept in
/// a form to send again once the wait is over, and a link leads back to where the visitor
/// was (the action, or the step of call mode).
pub(crate) fn too_many(
    retry_after: u64,
    action: &str,
    fields: &[(&str, Option<&str>)],
    back: &str,
) -> Result<HttpResponse, WebError> {
    let mut ctx = tera::Context::new();
    ctx.insert("retry_after", &retry_after);
    ctx.insert("post_to", action);
    ctx.insert(
        "fields",
        &fields
            .iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v)))
            .collect::<Vec<_>>(),
    );
    ctx.insert("back", back);
    let body = crate::web::render::render("outcome_wait.html", &ctx)?;
    Ok(HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, retry_after.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// Records one outcome; answers the action's counts.
#[utoipa::path(
    post,
    path = "/api/v1/actions/{slug}/outcomes",
    tag = "actions",
    params(("slug" = String, Path, description = "The action's slug")),
    request_body = OutcomeInput,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The action's counts, all together and per contact", body = outcomes::ActionCounts),
        (status = 401, description = "A token that is not valid (none is needed)", body = crate::web::api::openapi::ErrorBody),
        (status = 404, description = "No such action (or a draft, without a token)", body = crate::web::api::openapi::ErrorBody),
        (status = 409, description = "The action is expired, or (with a token) a draft: it counts no outcomes", body = crate::web::api::openapi::ErrorBody),
        (status = 422, description = "Bad outcome or contact", body = crate::web::api::openapi::ErrorBody),
        (status = 429, description = "Too many reports from this client; see Retry-After", body = crate::web::api::openapi::ErrorBody)
    )
)]
pub async fn post_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<OutcomeInput>,
    organizer: crate::web::api::MaybeApiUser,
) -> Result<HttpResponse, WebError> {
    // openapi.json lists the outcomes: the API takes them exactly as listed (the form,
    // which people fill in, is lenient about case and spaces).
    let exact = parse(&body)?;
    if body.outcome.as_deref() != Some(exact.to_string().as_str()) {
        return Err(WebError::invalid(
            "outcome",
            format!(
                "{:?} is not one of {}",
                body.outcome.as_deref().unwrap_or(""),
                Outcome::choices()
            ),
        ));
    }
    let sees_drafts = organizer.0.is_some();
    let counts = record(&state, &req, path.into_inner(), &body, sees_drafts).await?;
    Ok(HttpResponse::Ok().json(counts))
}
