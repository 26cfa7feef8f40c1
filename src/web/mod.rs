//! actix-web: the route table in one place, and the state handlers share.

pub mod action_page;
pub mod admin;
pub mod admin_actions;
pub mod admin_auth;
pub mod admin_content;
pub mod admin_mail;
pub mod admin_people;
pub mod api;
pub mod api_input;
pub mod api_types;
pub mod api_writes;
pub mod body;
pub mod cache;
pub mod client;
pub mod csrf;
pub mod error;
pub mod feeds;
pub mod head;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod outcomes;
pub mod public;
pub mod ratelimit;
pub mod redirect;
pub mod render;
pub mod search;
pub mod session;
pub mod subscribe;
pub mod versions;
pub mod visitor;
pub mod zip_parts;

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
    pub visitors: visitor::VisitorState,
    /// The content and directory versions as last read.
    pub versions: std::sync::Arc<versions::Versions>,
    /// ZIP codes, districts and members of Congress, in memory.
    pub directory: crate::reps::directory::LiveDirectory,
    /// Action pages' parts, per content version.
    pub action_pages: action_page::ActionPages,
    /// What a ZIP code changes on a page, kept per shape.
    pub zip_parts: zip_parts::ZipParts,
    /// Sign-in attempts per client and per account.
    pub login_limits: admin_auth::LoginLimits,
    /// Rate limits of the JSON API.
    pub api_limits: api::ApiLimits,
}

/// The route table: each module lists its own routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Feeds first: `/actions/{slug}.ics` must not be taken for an action slug.
    cfg.configure(feeds::routes)
        .configure(public::routes)
        .configure(openapi::routes)
        .configure(admin::routes)
        .configure(api::routes)
        .configure(subscribe::routes)
        .configure(search::routes)
        .configure(metrics::routes)
        .configure(visitor::routes)
        .configure(outcomes::routes);
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
