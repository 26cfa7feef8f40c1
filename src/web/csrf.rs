//! CSRF protection for organizer forms.
//!
//! Signed-in forms use a synchroniser token: each session row holds a random token, every
//! form carries it as the hidden field `csrf_token`, and [`CsrfForm`] refuses a POST whose
//! token is missing or different before the handler runs. The sign-in form, which has no
//! session yet, uses a signed double-submit cookie ([`login_token`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::error::WebError;
use super::session::{self, CurrentOrganizer};
use super::AppState;
use crate::security;

/// The hidden form field that carries the token.
pub const FIELD: &str = "csrf_token";
/// The cookie that carries the sign-in form's token.
pub const LOGIN_COOKIE: &str = "actiondesk_login";

/// What a refused form says: nothing happened, and how to go on.
pub const REFUSED: &str = "This form could not be accepted because its security token was \
missing or out of date (for example after signing in again in another tab). Nothing was \
changed. Go back, reload the page and try again.";

/// Compares two tokens in time that does not depend on where they differ (`subtle`).
pub fn same(a: &str, b: &str) -> bool {
    // `ct_eq` answers false at once for different lengths; tokens have one length.
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[derive(Deserialize)]
struct TokenOnly {
    csrf_token: Option<String>,
}

/// The token of the sign-in form: the one in the browser's signed cookie, or a new one
/// together with the cookie to set.
pub fn login_token(req: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    match session::signed_value(req, state, LOGIN_COOKIE) {
        Some(t) => (t, None),
        None => {
            let t = security::new_token();
            let c = session::signed_cookie(state, LOGIN_COOKIE, t.clone(), "/admin", None);
            (t, Some(c))
        }
    }
}

/// The token of a public form without a session (the fresh-link form): the one in the
/// browser's signed cookie `name` (scoped to `path`), or a new one with the cookie to set.
pub fn cookie_token(
    req: &HttpRequest,
    state: &AppState,
    name: &'static str,
    path: &'static str,
) -> (String, Option<Cookie<'static>>) {
    match session::signed_value(req, state, name) {
        Some(t) => (t, None),
        None => {
            let t = security::new_token();
            (
                t.clone(),
                Some(session::signed_cookie(state, name, t, path, None)),
            )
        }
    }
}

/// Checks a public form's token against its signed cookie `name`.
pub fn check_cookie(
    req: &HttpRequest,
    state: &AppState,
    name: &'static str,
    given: &str,
) -> Result<(), WebError> {
    match session::signed_value(req, state, name) {
        Some(t) if same(&t, given) => Ok(()),
        _ => Err(WebError::Forbidden(REFUSED.into())),
    }
}

/// Checks the sign-in form's token against its cookie.
pub fn check_login(req: &HttpRequest, state: &AppState, given: &str) -> Result<(), WebError> {
    match session::signed_value(req, state, LOGIN_COOKIE) {
        Some(t) if same(&t, given) => Ok(()),
        _ => Err(WebError::Forbidden(REFUSED.into())),
    }
}

/// A form posted by a signed-in organizer with a valid CSRF token, parsed into `T`
/// (repeatable fields allowed, as `serde_html_form` reads them).
pub struct CsrfForm<T> {
    pub me: CurrentOrganizer,
    pub data: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let me = CurrentOrganizer::from_request_async(&req).await?;
            let body =
                body.await
                    .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                        Some(p) => super::error::payload_error(p),
                        None if e.as_response_error().status_code()
                            == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
                        {
                            WebError::TooLarge(None)
                        }
                        None => WebError::invalid("form", e.to_string()),
                    })?;
            let token: TokenOnly = serde_html_form::from_bytes(&body)
                .map_err(|_| WebError::Forbidden(REFUSED.into()))?;
            if !token.csrf_token.is_some_and(|t| same(&t, &me.csrf_token)) {
                return Err(WebError::Forbidden(REFUSED.into()));
            }
            let data: T = serde_html_form::from_bytes(&body)
                .map_err(|e| WebError::invalid("form", e.to_string()))?;
            Ok(CsrfForm { me, data })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
        assert!(!same("", ""));
    }
}
