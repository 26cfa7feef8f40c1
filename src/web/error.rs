//! The one web error type and its mapping to responses: SPEC's JSON error shape for the
//! API and for clients that ask for JSON, an HTML page for everyone else.

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::db;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// A request that cannot be read at all (malformed JSON, wrong content type).
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// A known address asked with a method it does not take; `allow` lists those it does.
    #[error("this address accepts only {allow}")]
    MethodNotAllowed { allow: &'static str },
    /// An organizer page without a live session (never signed in, signed out, or expired).
    #[error("{}", if *expired { "Your session has expired, so nothing was changed. Please sign in again." } else { "Please sign in to continue." })]
    SignInRequired { expired: bool },
    /// A request body over the limit.
    #[error("the request body is too large{}", .0.map(|l| format!(" (at most {l} bytes)")).unwrap_or_default())]
    TooLarge(Option<usize>),
    /// A request body that did not arrive in time.
    #[error("the request body took too long to arrive")]
    BodyTimeout,
    #[error("too many requests; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("the database is not answering")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    /// A bad value for a named field.
    pub fn invalid(field: &str, message: impl Into<String>) -> WebError {
        WebError::Invalid {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            WebError::NotFound(_) => "not_found",
            WebError::Invalid { .. } => "invalid",
            WebError::Conflict { .. } => "conflict",
            WebError::BadRequest { .. } => "bad_request",
            WebError::Unauthorized(_) => "unauthorized",
            WebError::Forbidden(_) => "forbidden",
            WebError::MethodNotAllowed { .. } => "method_not_allowed",
            WebError::SignInRequired { .. } => "sign_in_required",
            WebError::TooLarge(_) => "too_large",
            WebError::BodyTimeout => "timeout",
            WebError::RateLimited { .. } => "rate_limited",
            WebError::Unavailable => "unavailable",
            WebError::Internal(_) => "internal",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            WebError::Invalid { field, .. }
            | WebError::Conflict { field, .. }
            | WebError::BadRequest { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The message shown to people: internal details stay in the log.
    fn public_message(&self) -> String {
        match self {
            WebError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
            WebError::NotFound(what) => format!("We could not find that {what}."),
            other => {
                let m = other.to_string();
                match other.field() {
                    Some(f) if !m.starts_with(f) => format!("{f}: {m}"),
                    _ => m,
                }
            }
        }
    }
}

impl From<db::Error> for WebError {
    fn from(e: db::Error) -> WebError {
        match e {
            db::Error::NotFound(what) => WebError::NotFound(what.into()),
            db::Error::Invalid { field, message } => WebError::Invalid {
                field: Some(field),
                message,
            },
            db::Error::Conflict { field, message } => WebError::Conflict {
                field: Some(field).filter(|f| !f.is_empty()),
                message,
            },
            db::Error::Pool(_) | db::Error::Connect { .. } => WebError::Unavailable,
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<crate::mail::Error> for WebError {
    fn from(e: crate::mail::Error) -> WebError {
        match e {
            crate::mail::Error::Db(d) => d.into(),
            other => WebError::Internal(other.to_string()),
        }
    }
}

/// A blocking task (password hashing, a database call) that panicked or was cancelled.
impl From<tokio::task::JoinError> for WebError {
    fn from(e: tokio::task::JoinError) -> WebError {
        WebError::Internal(e.to_string())
    }
}

/// A response that could not be built (e.g. a cookie header that is not valid).
impl From<actix_web::error::HttpError> for WebError {
    fn from(e: actix_web::error::HttpError) -> WebError {
        WebError::Internal(e.to_string())
    }
}

impl From<tera::Error> for WebError {
    fn from(e: tera::Error) -> WebError {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        WebError::Internal(msg)
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict { .. } => StatusCode::CONFLICT,
            WebError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            WebError::SignInRequired { .. } => StatusCode::UNAUTHORIZED,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            WebError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        if let WebError::RateLimited { retry_after } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let WebError::MethodNotAllowed { allow } = self {
            res.insert_header((header::ALLOW, *allow));
        }
        if let WebError::Unauthorized(_) = self {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let mut error = json!({"code": self.code(), "message": self.public_message()});
        if let Some(f) = self.field() {
            error["field"] = json!(f);
        }
        res.json(json!({ "error": error }))
    }
}

/// Whether an error for this request is answered as SPEC's JSON (the API, and clients that
/// ask for JSON) rather than as an HTML page.
pub fn wants_json(req: &actix_web::HttpRequest) -> bool {
    if req.path().starts_with("/api/") {
        return true;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

/// Error middleware: turns any error response for a person's browser into an HTML page
/// (keeping status and headers such as `Retry-After`), and leaves API answers as JSON.
pub fn html_errors<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if wants_json(res.request()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    // Pages that render their own HTML (forms with errors) are left as they are.
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    if let Some(redirect) = sign_in_redirect(&res) {
        let (req, _) = res.into_parts();
        return Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, redirect).map_into_right_body::<B>(),
        ));
    }
    let message = match res.response().error() {
        Some(e) => match e.as_error::<WebError>() {
            Some(w) => w.public_message(),
            None => e.to_string(),
        },
        None if status == StatusCode::NOT_FOUND => "We could not find that page.".into(),
        None => status.canonical_reason().unwrap_or("Error").to_string(),
    };
    let body = if res.request().path().starts_with("/admin") && matches!(status.as_u16(), 401 | 403)
    {
        super::render::error_page_with_links(
            status,
            &message,
            &[
                ("/admin/login", "Sign in again"),
                ("/admin", "Organizers' dashboard"),
            ],
        )
    } else {
        super::render::error_page(status, &message)
    };
    let (req, res) = res.into_parts();
    let mut new = HttpResponse::build(status);
    for (k, v) in res.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            new.append_header((k.clone(), v.clone()));
        }
    }
    let new = new
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .body(body);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body::<B>(),
    ))
}

/// A browser that GETs an organizer page without a session is sent to the sign-in page,
/// which brings it back afterwards; a POST gets the explanatory page instead.
fn sign_in_redirect<B>(res: &ServiceResponse<B>) -> Option<HttpResponse> {
    let err = res.response().error()?.as_error::<WebError>()?;
    let WebError::SignInRequired { expired } = err else {
        return None;
    };
    let req = res.request();
    if req.method() != actix_web::http::Method::GET {
        return None;
    }
    let next = url::form_urlencoded::byte_serialize(
        req.uri()
            .path_and_query()
            .map_or("/admin", |p| p.as_str())
            .as_bytes(),
    )
    .collect::<String>();
    let to = format!(
        "/admin/login?next={next}{}",
        if *expired { "&expired=1" } else { "" }
    );
    Some(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, to))
            .finish(),
    )
}

/// `JsonConfig`'s error handler: a body that cannot be read as JSON answers SPEC's error
/// shape (400, naming the field where serde does), not actix's plain text.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let web = match &err {
        E::ContentType => WebError::BadRequest {
            field: None,
            message: "send the body as JSON, with Content-Type: application/json".into(),
        },
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            WebError::TooLarge(Some(*limit))
        }
        E::Payload(p) => payload_error(p),
        E::Deserialize(e) if e.is_data() => {
            let message = e.to_string();
            let field = message
                .split('`')
                .nth(1)
                .filter(|_| message.contains("field `"))
                .map(str::to_string);
            WebError::Invalid { field, message }
        }
        E::Deserialize(e) => WebError::BadRequest {
            field: None,
            message: format!("the body is not valid JSON: {e}"),
        },
        other => WebError::BadRequest {
            field: None,
            message: format!("the body cannot be read: {other}"),
        },
    };
    web.into()
}

/// A body that could not be read: too large (413), too slow (408), or broken (400).
pub fn payload_error(err: &actix_web::error::PayloadError) -> WebError {
    use actix_web::error::PayloadError as P;
    match err {
        P::Overflow => WebError::TooLarge(None),
        P::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => WebError::BodyTimeout,
        other => WebError::BadRequest {
            field: None,
            message: format!("the body cannot be read: {other}"),
        },
    }
}

/// `QueryConfig`'s error handler: a bad query string answers SPEC's error shape.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    let message = err.to_string();
    let field = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field `"))
        .map(str::to_string);
    WebError::Invalid { field, message }.into()
}
