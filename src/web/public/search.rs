//! `/search?q=`: public actions matching every word of the query.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::pages::cards;
use crate::db;
use crate::db::actions::ActionFilter;
use crate::db::search::{self, Scope};
use crate::domain::Status;
use crate::web::error::WebError;
use crate::web::render::page_with_status;
use crate::web::AppState;

/// The longest query accepted, in characters.
pub const MAX_QUERY: usize = 200;

/// The query string of `/search`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
}

/// `/search?q=`: live matches first, past (expired) ones apart.
pub async fn search_page(
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, WebError> {
    let q = query.into_inner().q;
    let mut ctx = Context::new();
    ctx.insert("q", q.trim());
    if q.chars().count() > MAX_QUERY {
        ctx.insert(
            "error",
            &format!("Your search is too long: use at most {MAX_QUERY} characters."),
        );
        return page_with_status(StatusCode::BAD_REQUEST, "search.html", &ctx);
    }
    let words = search::words(&q);
    let zone = state.settings.zone();
    let (live, past) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let now = db::now();
            // Public actions only, live and past apart; no words, no results.
            let mut found = |status| {
                if words.is_empty() {
                    return Ok(Vec::new());
                }
                let filter = ActionFilter {
                    status: Some(status),
                    ..ActionFilter::default()
                };
                let hits = search::actions(conn, &filter, &words, Scope::Page)?;
                cards(
                    conn,
                    hits.into_iter().map(|d| d.action).collect(),
                    now,
                    zone,
                )
            };
            Ok((found(Status::Published)?, found(Status::Expired)?))
        })
        .await?;
    ctx.insert("searched", &!q.trim().is_empty());
    ctx.insert("actions", &live);
    ctx.insert("past", &past);
    page_with_status(StatusCode::OK, "search.html", &ctx)
}
