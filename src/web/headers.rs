//! Security headers on every answer, added last so cached pages and error pages get them
//! too. A header a handler set itself (a page's own `Referrer-Policy: no-referrer`, say)
//! is kept; `Cache-Control` is never touched.
//!
//! - every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy:
//!   strict-origin-when-cross-origin`, `X-Frame-Options: DENY`;
//! - every HTML answer: [`CSP`] — scripts and styles only from this site (the one script
//!   are `/static/*.js`), no inline script or style, no framing;
//! - when `BASE_URL` is https: `Strict-Transport-Security`, and `Secure` on every cookie
//!   set (the session and sign-in cookies have it already; the `zip` cookie gets it here);
//! - every answer: `X-Request-Id`, the request's id in the logs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use tracing_actix_web::RequestId;

use super::AppState;

/// The Content-Security-Policy of HTML answers. Images may come from https sites (update
/// bodies are Markdown, which may show pictures hosted elsewhere); nothing else may.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' https: data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// `Strict-Transport-Security` when `BASE_URL` is https: one year.
pub const HSTS: &str = "max-age=31536000";

/// `X-Request-Id`: the id of the request in the logs (`request_id`). Always made here,
/// never taken from the client: an id a client chose could collide with another request's
/// or forge lines in a log search.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.base_url.scheme() == "https");
    // Made by `TracingLogger` for every request, logged or not; sending it costs one
    // small string.
    let request_id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    add(res.headers_mut(), https);
    if let Some(id) = request_id {
        if let Ok(v) = HeaderValue::try_from(id.to_string()) {
            res.headers_mut().insert(X_REQUEST_ID, v);
        }
    }
    Ok(res)
}

fn set_default(h: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !h.contains_key(&name) {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the headers to an answer's (see the module documentation).
pub fn add(h: &mut HeaderMap, https: bool) {
    set_default(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(
        h,
        header::REFERRER_POLICY,
        "strict-origin-when-cross-origin",
    );
    set_default(h, header::X_FRAME_OPTIONS, "DENY");
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..9)
                .is_some_and(|t| t.eq_ignore_ascii_case("text/html"))
        });
    if html {
        set_default(h, header::CONTENT_SECURITY_POLICY, CSP);
    }
    if https {
        set_default(h, header::STRICT_TRANSPORT_SECURITY, HSTS);
        secure_cookies(h);
    }
}

/// Adds `Secure` to every `Set-Cookie` that lacks it.
fn secure_cookies(h: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = h.get_all(header::SET_COOKIE).cloned().collect();
    if cookies.is_empty() {
        return;
    }
    h.remove(header::SET_COOKIE);
    for c in cookies {
        let secured = match c.to_str() {
            Ok(text)
                if !text
                    .split(';')
                    .skip(1)
                    .any(|a| a.trim().eq_ignore_ascii_case("secure")) =>
            {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(c)
            }
            _ => c,
        };
        h.append(header::SET_COOKIE, secured);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Headers of an answer: its content type, then other (name, value) pairs.
    fn answer(
        content_type: &'static str,
        rest: &[(header::HeaderName, &'static str)],
    ) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in rest {
            h.append(name.clone(), HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn html_gets_a_policy_and_https_gets_secure_cookies() {
        let mut h = answer(
            "text/html; charset=utf-8",
            &[
                (header::REFERRER_POLICY, "no-referrer"),
                (header::SET_COOKIE, "zip=20500; Path=/; HttpOnly"),
                (header::SET_COOKIE, "s=1; Secure; HttpOnly"),
            ],
        );
        add(&mut h, true);
        assert_eq!(h.get(header::CONTENT_SECURITY_POLICY).unwrap(), CSP);
        assert_eq!(h.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
        assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert_eq!(h.get(header::STRICT_TRANSPORT_SECURITY).unwrap(), HSTS);
        let cookies: Vec<&str> = h
            .get_all(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            cookies,
            vec![
                "zip=20500; Path=/; HttpOnly; Secure",
                "s=1; Secure; HttpOnly"
            ]
        );
        assert!(!CSP.contains("unsafe"));
    }

    #[test]
    fn plain_http_gets_no_hsts_and_json_no_policy() {
        let mut h = answer("application/json", &[(header::SET_COOKIE, "zip=1; Path=/")]);
        add(&mut h, false);
        assert!(h.get(header::CONTENT_SECURITY_POLICY).is_none());
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none());
        assert_eq!(h.get(header::SET_COOKIE).unwrap(), "zip=1; Path=/");
        assert_eq!(h.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    }
}
