//! Signing organizers in and out. Wrong email, wrong password and a disabled account all
//! get the same answer in the same time (a dummy hash is checked when no account
//! matches), and attempts are rate-limited per client address and per account.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::admin::{self, see_other};
use super::csrf::{self, CsrfForm};
use super::error::WebError;
use super::ratelimit::{client_key, Limiter};
use super::session::{self, CurrentOrganizer};
use super::AppState;
use crate::db::people;
use crate::security;

/// Sign-in attempts allowed per client address: 20 at once, then one every 6 seconds.
pub const PER_CLIENT: (u32, Duration) = (20, Duration::from_secs(6));
/// Sign-in attempts allowed per account: 5 at once, then one a minute.
pub const PER_ACCOUNT: (u32, Duration) = (5, Duration::from_secs(60));

/// The limiters of sign-in attempts, shared by all workers (held in `AppState`).
pub struct LoginLimits {
    per_client: Limiter<String>,
    per_account: Limiter<String>,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            per_client: Limiter::new(PER_CLIENT.0, PER_CLIENT.1),
            per_account: Limiter::new(PER_ACCOUNT.0, PER_ACCOUNT.1),
        }
    }
}

/// The sign-in routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/login", web::get().to(login_form))
        .route("/admin/login", web::post().to(login))
        .route("/admin/logout", web::post().to(logout));
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    signed_out: Option<String>,
}

/// The fields of the sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

/// Only organizer pages on this site are places to go back to after signing in; anything
/// else (another site, control characters, the sign-in page itself) goes to `/admin`.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(super::redirect::safe_next)
        .filter(|n| {
            (n == "/admin" || n.starts_with("/admin/") || n.starts_with("/admin?"))
                && !n.starts_with("/admin/login")
                && !n.starts_with("/admin/logout")
        })
        .unwrap_or_else(|| "/admin".into())
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: &str,
    next: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let (token, cookie) = csrf::login_token(req, state);
    let mut ctx = Context::new();
    ctx.insert("csrf_token", &token);
    ctx.insert("email", email);
    ctx.insert("next", next);
    ctx.insert("notice", &notice);
    ctx.insert("error", &error);
    let mut res = admin::page_with_status(status, "admin/login.html", &ctx)?;
    if let Some(c) = cookie {
        res.add_cookie(&c)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(res)
}

/// `GET /admin/login`: the sign-in form (or the dashboard, when already signed in).
pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let next = safe_next(q.next.as_deref());
    if CurrentOrganizer::from_request_async(&req).await.is_ok() {
        return Ok(see_other(&next));
    }
    let notice = if q.expired.is_some() {
        Some("Your session has expired. Please sign in again.")
    } else if q.signed_out.is_some() {
        Some("You have signed out.")
    } else {
        None
    };
    login_page(&req, &state, StatusCode::OK, "", &next, notice, None)
}

/// The one answer to a failed sign-in, whatever was wrong.
pub const WRONG: &str = "That email and password do not match an active organizer account.";

/// `POST /admin/login`: checks the password and starts a session.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let next = safe_next(Some(&form.next));
    csrf::check_login(&req, &state, &form.csrf_token)?;
    let email = form.email.trim().to_lowercase();
    state.login_limits.per_client.check(&client_key(&req))?;
    state.login_limits.per_account.check(&email)?;
    let lookup = email.clone();
    let organizer = state
        .db
        .run(move |conn| people::find_organizer(conn, &lookup))
        .await?;
    let password = form.password;
    let hash = organizer.as_ref().map_or_else(
        || security::dummy_hash().to_string(),
        |o| o.password_hash.clone(),
    );
    let verified = tokio::task::spawn_blocking(move || security::verify_password(&password, &hash))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    match organizer {
        Some(o) if verified && o.active => {
            let cookie = session::start(&state, &o).await?;
            let mut res = see_other(&next);
            res.add_cookie(&cookie)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(res)
        }
        _ => login_page(
            &req,
            &state,
            StatusCode::UNAUTHORIZED,
            form.email.trim(),
            &next,
            None,
            Some(WRONG),
        ),
    }
}

/// Nothing but the CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /admin/logout`: ends the session and forgets the cookie.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    session::end(&req, &state).await?;
    let mut res = see_other("/admin/login?signed_out=1");
    res.add_cookie(&session::removal_cookie(&state))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}
