//! actix-web: the route table in one place, and the state handlers share.

pub mod admin;
pub mod api;
pub mod body;
pub mod cache;
pub mod client;
pub mod csrf;
pub mod error;
pub mod head;
pub mod headers;
pub mod metrics;
pub mod public;
pub mod ratelimit;
pub mod redirect;
pub mod render;
pub mod session;
pub mod subscribe;
pub mod versions;

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
    /// The outcome rate limit.
    pub visitors: public::visitor::VisitorState,
    /// The content and directory versions as last read.
    pub versions: std::sync::Arc<versions::Versions>,
    /// ZIP codes, districts and members of Congress, in memory.
    pub directory: crate::reps::directory::LiveDirectory,
    /// Action pages' parts, per content version.
    pub action_pages: public::action_page::ActionPages,
    /// What a ZIP code changes on a page, kept per shape.
    pub zip_parts: public::zip_parts::ZipParts,
    /// How reachable each office was this month, for `/reps`.
    pub reach: public::reach::ReachBoard,
    /// Sign-in attempts per client and per account.
    pub login_limits: admin::auth::LoginLimits,
    /// Rate limits of the JSON API.
    pub api_limits: api::ApiLimits,
}

/// The route table: each module lists its own routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(public::routes)
        .configure(api::routes)
        .configure(admin::routes)
        .configure(subscribe::routes)
        .configure(metrics::routes);
}

/// Middleware shared by every route: HTML error pages for browsers, no trailing-slash
/// surprises.
pub fn error_pages<B: 'static>() -> ErrorHandlers<B> {
    let mut h = ErrorHandlers::new();
    for code in [
        400u16, 401, 403, 404, 405, 408, 409, 413, 422, 429, 500, 503,
    ] {
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
