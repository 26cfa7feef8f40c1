//! Organizer sessions in the browser: a signed, HttpOnly, SameSite=Lax cookie holding a
//! random token whose SHA-256 names a row of `organizer_sessions` (see `db::sessions` for
//! the lifetime: 12 hours idle, 7 days at most). Handlers take [`CurrentOrganizer`] or
//! [`AdminOrganizer`] as an argument to require a signed-in organizer or an admin.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time, Cookie, CookieJar, Key, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::error::WebError;
use super::AppState;
use crate::db::people::Organizer;
use crate::db::sessions::{self, Lookup};
use crate::db::{self, Actor};
use crate::security;

/// The session cookie's name.
pub const COOKIE: &str = "actiondesk_session";
/// The path the session cookie is sent to: the organizers' pages only.
pub const COOKIE_PATH: &str = "/admin";

/// The key session (and sign-in form) cookies are signed with, derived from `SECRET_KEY`.
pub fn cookie_key(state: &AppState) -> Key {
    Key::derive_from(&state.secret)
}

/// Whether cookies must be `Secure`: when the site is served over https.
pub fn secure(state: &AppState) -> bool {
    state.settings.base_url.scheme() == "https"
}

/// Reads a cookie whose value was signed with [`cookie_key`]; a forged or altered one
/// reads as absent.
pub fn signed_value(req: &HttpRequest, state: &AppState, name: &str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie.into_owned());
    jar.signed(&cookie_key(state))
        .get(name)
        .map(|c| c.value().to_string())
}

/// A signed cookie with the house attributes: HttpOnly, SameSite=Lax, Secure on https.
pub fn signed_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    path: &'static str,
    max_age: Option<time::Duration>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .finish();
    if let Some(age) = max_age {
        c.set_max_age(age);
    }
    let mut jar = CookieJar::new();
    jar.signed_mut(&cookie_key(state)).add(c);
    jar.get(name).expect("just added").clone()
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "")
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .finish();
    c.make_removal();
    c
}

/// Starts a session for an organizer who just signed in: stores the token's hash and a
/// fresh CSRF token, and returns the cookie to set.
pub async fn start(state: &AppState, organizer: &Organizer) -> Result<Cookie<'static>, WebError> {
    let token = security::new_token();
    let hash = security::token_hash(&token);
    let csrf = security::new_token();
    let actor = Actor {
        organizer_id: Some(organizer.id),
        name: organizer.email.clone(),
        at: db::now(),
    };
    let id = organizer.id;
    state
        .db
        .run(move |conn| db::write_tx(conn, |conn| sessions::start(conn, id, &hash, &csrf, &actor)))
        .await?;
    let max_age = time::Duration::seconds(sessions::ABSOLUTE.num_seconds());
    Ok(signed_cookie(
        state,
        COOKIE,
        token,
        COOKIE_PATH,
        Some(max_age),
    ))
}

/// Ends the session the request carries, if any.
pub async fn end(req: &HttpRequest, state: &AppState) -> Result<(), WebError> {
    if let Some(token) = signed_value(req, state, COOKIE) {
        let hash = security::token_hash(&token);
        state.db.run(move |conn| sessions::end(conn, &hash)).await?;
    }
    Ok(())
}

/// The signed-in organizer making this request, with the CSRF token of their session.
#[derive(Debug, Clone)]
pub struct CurrentOrganizer {
    pub organizer: Organizer,
    /// The value every form of this session must send back as `csrf_token`.
    pub csrf_token: String,
}

impl CurrentOrganizer {
    /// Who is making a change, now: for the change log, revisions and audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            organizer_id: Some(self.organizer.id),
            name: self.organizer.email.clone(),
            at: db::now(),
        }
    }

    /// Looks the session up (once per request; the answer is kept in the request).
    pub async fn from_request_async(req: &HttpRequest) -> Result<CurrentOrganizer, WebError> {
        if let Some(found) = req.extensions().get::<CurrentOrganizer>() {
            return Ok(found.clone());
        }
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| WebError::Internal("application state missing".into()))?
            .clone();
        let Some(token) = signed_value(req, &state, COOKIE) else {
            return Err(WebError::SignInRequired { expired: false });
        };
        let hash = security::token_hash(&token);
        let found = state
            .db
            .run(move |conn| sessions::touch(conn, &hash, db::now()))
            .await?;
        match found {
            Lookup::Valid(session, organizer) => {
                let me = CurrentOrganizer {
                    organizer,
                    csrf_token: session.csrf_token,
                };
                req.extensions_mut().insert(me.clone());
                Ok(me)
            }
            Lookup::Expired => Err(WebError::SignInRequired { expired: true }),
            Lookup::Unknown => Err(WebError::SignInRequired { expired: false }),
        }
    }
}

impl FromRequest for CurrentOrganizer {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { CurrentOrganizer::from_request_async(&req).await })
    }
}

/// A signed-in organizer who is an admin (manages organizers and API tokens).
#[derive(Debug, Clone)]
pub struct AdminOrganizer(pub CurrentOrganizer);

impl std::ops::Deref for AdminOrganizer {
    type Target = CurrentOrganizer;
    fn deref(&self) -> &CurrentOrganizer {
        &self.0
    }
}

/// Refuses a signed-in organizer who is not an admin.
pub fn require_admin(me: CurrentOrganizer) -> Result<AdminOrganizer, WebError> {
    if me.organizer.is_admin {
        Ok(AdminOrganizer(me))
    } else {
        Err(WebError::Forbidden(
            "Only admins can use this page. Ask an admin if you need access.".into(),
        ))
    }
}

impl FromRequest for AdminOrganizer {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { require_admin(CurrentOrganizer::from_request_async(&req).await?) })
    }
}
