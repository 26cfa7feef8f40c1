//! What visitors meet: pages, the ZIP-code parts of them, feeds, search and outcome reports.
//!
//! The route table of this room lists, in one place, which pages the page cache keeps
//! ([`CACHED`]): a public page added there is cached and tested; a route registered
//! elsewhere never is.

pub mod action_page;
pub mod call;
pub mod feeds;
pub mod outcomes;
pub mod pages;
pub mod reach;
pub mod reports;
pub mod search;
pub mod visitor;
pub mod zip_parts;

use actix_web::middleware::from_fn;
use actix_web::web;
use actix_web::Resource;

use crate::web::cache;

/// A public page kept by the page cache: the same bytes for every anonymous visitor.
pub struct CachedPage {
    /// The route pattern.
    pub path: &'static str,
    /// True when a ZIP code (given or remembered) changes the page.
    pub zip: bool,
    /// The handlers of the route.
    handlers: fn(Resource) -> Resource,
}

/// The cached pages, in the order they are matched: `/actions/{slug}.ics` before
/// `/actions/{slug}`, which would otherwise take it for a slug.
pub const CACHED: &[CachedPage] = &[
    CachedPage {
        path: "/",
        zip: false,
        handlers: |r| r.get(pages::index),
    },
    CachedPage {
        path: "/feed.atom",
        zip: false,
        handlers: |r| r.get(feeds::site_feed),
    },
    CachedPage {
        path: "/events.ics",
        zip: false,
        handlers: |r| r.get(feeds::events),
    },
    CachedPage {
        path: "/campaigns/{slug}/feed.atom",
        zip: false,
        handlers: |r| r.get(feeds::campaign_feed),
    },
    CachedPage {
        path: "/actions/{slug}.ics",
        zip: false,
        handlers: |r| r.get(feeds::action_ics),
    },
    CachedPage {
        path: "/campaigns/{slug}",
        zip: false,
        handlers: |r| r.get(pages::campaign),
    },
    CachedPage {
        path: "/actions/{slug}",
        zip: true,
        handlers: |r| r.get(pages::action),
    },
    CachedPage {
        path: "/hotlines",
        zip: false,
        handlers: |r| r.get(pages::hotlines),
    },
    CachedPage {
        path: "/updates",
        zip: false,
        handlers: |r| r.get(pages::updates),
    },
    CachedPage {
        path: "/search",
        zip: false,
        handlers: |r| r.get(search::search_page),
    },
    CachedPage {
        path: "/reps",
        zip: true,
        handlers: |r| r.get(visitor::reps_page),
    },
];

/// The visitors' routes: the cached pages, each behind the page cache, and the rest.
pub fn routes(cfg: &mut web::ServiceConfig) {
    for page in CACHED {
        let zip = page.zip;
        cfg.service(
            (page.handlers)(web::resource(page.path))
                .wrap(from_fn(move |req, next| cache::middleware(req, next, zip))),
        );
    }
    cfg.service(web::resource("/healthz").get(pages::healthz))
        .service(web::resource("/static/style.css").get(pages::stylesheet))
        .service(web::resource("/static/{name}").get(pages::script))
        .service(web::resource("/zip").get(visitor::remember_zip))
        .service(web::resource("/zip/forget").get(visitor::forget))
        .service(web::resource("/api/v1/reps").get(visitor::reps_json))
        .service(web::resource("/actions/{slug}/outcomes").post(outcomes::post_form))
        // Call mode: per ZIP code and step, never kept whole (see `call`).
        .service(
            web::resource("/actions/{slug}/call")
                .get(call::call_page)
                .post(call::post_call),
        )
        .service(web::resource("/api/v1/actions/{slug}/outcomes").post(outcomes::post_json))
        // Problem reports about a contact's number.
        .service(
            web::resource("/contacts/{slug}/report")
                .get(reports::form)
                .post(reports::post_form),
        )
        .service(web::resource("/api/v1/contacts/{slug}/reports").post(reports::post_json));
}
