//! The page a link with an unknown or pruned token leads to: it offers to email a fresh
//! link. Its form is protected by a signed double-submit cookie, rate-limited like
//! subscribing, and answers the same whatever the address (no subscriber enumeration).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use crate::db::{self, subscribers};
use crate::domain::EmailAddress;
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::render::page_with_status;
use crate::web::AppState;

use super::{message, private, LimitedForm, MailState};

/// The cookie that carries the fresh-link form's token.
const COOKIE: &str = "actiondesk_link";
const PATH: &str = "/subscribe/link";

/// The fresh-link page for a link whose token did not work: 410 when its token row is
/// gone (pruned), 404 for a token that never existed.
pub(super) async fn for_token(
    req: &HttpRequest,
    state: &AppState,
    token: String,
) -> Result<HttpResponse, WebError> {
    let gone = state
        .db
        .run(move |conn| subscribers::token_was_removed(conn, &token))
        .await?;
    if gone {
        page(
            req,
            state,
            StatusCode::GONE,
            "This link has expired",
            "Links in old emails stop working after a while.",
        )
    } else {
        page(
            req,
            state,
            StatusCode::NOT_FOUND,
            "This link does not work",
            "It may have been copied incompletely, or it is from an old email.",
        )
    }
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    heading: &str,
    reason: &str,
) -> Result<HttpResponse, WebError> {
    let (token, cookie) = csrf::cookie_token(req, state, COOKIE, PATH);
    let mut ctx = Context::new();
    ctx.insert("heading", heading);
    ctx.insert("reason", reason);
    ctx.insert("csrf_token", &token);
    let mut res = private(page_with_status(status, "fresh_link.html", &ctx)?);
    if let Some(c) = cookie {
        res.add_cookie(&c)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(res)
}

/// `GET /subscribe/link`: the form on its own.
pub(super) async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    page(
        &req,
        &state,
        StatusCode::OK,
        "Get a fresh link",
        "Every email has links to change what you follow or to unsubscribe.",
    )
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LinkForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /subscribe/link`: emails a fresh link to the address if it is subscribed.
pub(super) async fn submit(
    state: web::Data<AppState>,
    mail: web::Data<MailState>,
    req: HttpRequest,
    LimitedForm(f): LimitedForm<LinkForm>,
) -> Result<HttpResponse, WebError> {
    csrf::check_cookie(&req, &state, COOKIE, &f.csrf_token)?;
    let Ok(email) = EmailAddress::parse(&f.email) else {
        return page(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Get a fresh link",
            "That is not an email address.",
        );
    };
    mail.by_address.check(&email.as_str().to_lowercase())?;
    let settings = state.settings.clone();
    let sent = state
        .db
        .run(move |conn| crate::mail::subscribe::fresh_link(conn, &settings, &email, db::now()))
        .await?;
    if let Some(outbox_id) = sent {
        mail.send_soon(&state, outbox_id, "fresh link");
    }
    message(
        StatusCode::OK,
        "Check your inbox",
        &["If that address is subscribed, a message with fresh links is on its way to it."],
        None,
    )
}
