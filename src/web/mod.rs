//! actix-web: the route table in one place, and the state handlers share.

pub mod error;
pub mod public;
pub mod render;

use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlers, NormalizePath, TrailingSlash};
use actix_web::web;

use crate::config::Settings;
use crate::db::Db;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    /// Signs session cookies.
    pub secret: Vec<u8>,
}

/// The route table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(public::index))
        .route("/healthz", web::get().to(public::healthz))
        .route("/static/style.css", web::get().to(public::stylesheet))
        .route("/campaigns/{slug}", web::get().to(public::campaign))
        .route("/actions/{slug}", web::get().to(public::action))
        .route("/hotlines", web::get().to(public::hotlines))
        .route("/updates", web::get().to(public::updates));
}

/// Middleware shared by every route: HTML error pages for browsers, no trailing-slash
/// surprises.
pub fn error_pages<B: 'static>() -> ErrorHandlers<B> {
    let mut h = ErrorHandlers::new();
    for code in [400u16, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503] {
        h = h.handler(
            StatusCode::from_u16(code).expect("valid status"),
            error::html_errors,
        );
    }
    h
}

/// Trailing slashes are trimmed, so `/hotlines/` finds `/hotlines`.
pub fn normalize() -> NormalizePath {
    NormalizePath::new(TrailingSlash::Trim)
}
