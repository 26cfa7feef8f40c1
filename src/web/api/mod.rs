//! The JSON API under `/api/v1` (SPEC "JSON API"): its routes, bearer-token
//! authentication, and the public reads. Writes are in `writes.rs`, the JSON views in
//! `types.rs`, request bodies mapped onto the domain's inputs in `input.rs`.

pub mod bounces;
pub mod contact;
pub mod input;
pub mod openapi;
pub mod reports;
pub mod types;
pub mod writes;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::people::Organizer;
use crate::db::search::{self, Scope};
use crate::db::{actions, campaigns, contacts, tokens, updates};
use crate::domain::{ActionKind, Status};
use crate::web::error::{self, WebError};
use crate::web::ratelimit::{client_key, Limiter};
use crate::web::AppState;
use types::{
    ActionJson, ActionList, CampaignDetailJson, CampaignJson, CampaignList, ContactJson,
    ContactList, HotlineJson, HotlineList, UpdateJson,
};

/// The API's routes, and the JSON and query extractors' SPEC-shaped errors (app-wide).
pub fn routes(cfg: &mut web::ServiceConfig) {
    openapi::routes(cfg);
    cfg.app_data(
        web::JsonConfig::default()
            .limit(512 * 1024)
            .error_handler(error::json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(error::query_error))
    .service(
        web::resource("/api/v1/campaigns")
            .route(web::get().to(list_campaigns))
            .route(web::post().to(writes::create_campaign))
            .default_service(web::to(|| not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/api/v1/campaigns/{slug}")
            .route(web::get().to(get_campaign))
            .default_service(web::to(|| not_allowed("GET"))),
    )
    .service(
        web::resource("/api/v1/campaigns/{slug}/updates")
            .route(web::post().to(writes::post_update))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    .service(
        web::resource("/api/v1/actions")
            .route(web::get().to(list_actions))
            .route(web::post().to(writes::create_action))
            .default_service(web::to(|| not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/api/v1/actions/{slug}")
            .route(web::get().to(get_action))
            .route(web::patch().to(writes::patch_action))
            .default_service(web::to(|| not_allowed("GET, PATCH"))),
    )
    .service(
        web::resource("/api/v1/actions/{slug}/publish")
            .route(web::post().to(writes::publish_action))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    .service(
        web::resource("/api/v1/actions/{slug}/expire")
            .route(web::post().to(writes::expire_action))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    .service(
        web::resource("/api/v1/actions/{slug}/reopen")
            .route(web::post().to(writes::reopen_action))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    .service(
        web::resource("/api/v1/hotlines")
            .route(web::get().to(list_hotlines))
            .default_service(web::to(|| not_allowed("GET"))),
    )
    .service(
        web::resource("/api/v1/contacts")
            .route(web::get().to(list_contacts))
            .default_service(web::to(|| not_allowed("GET"))),
    )
    .service(
        web::resource("/api/v1/contacts/{slug}")
            .route(web::get().to(contact::get_contact))
            .default_service(web::to(|| not_allowed("GET"))),
    )
    .service(
        web::resource("/api/v1/bounces")
            .route(web::post().to(bounces::post_bounce))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    .service(
        web::resource("/api/v1/reports")
            .route(web::get().to(reports::list_reports))
            .default_service(web::to(|| not_allowed("GET"))),
    );
}

/// The answer to a method an API address does not take: 405 with `Allow`.
async fn not_allowed(allow: &'static str) -> Result<HttpResponse, WebError> {
    Err(WebError::MethodNotAllowed { allow })
}

/// Rate limits of the API: failed token checks per client, and writes per organizer.
pub struct ApiLimits {
    pub failed_auth: Limiter<String>,
    pub writes: Limiter<i32>,
}

impl ApiLimits {
    /// Twenty failed token checks per client, then one more every 30 s; 120 writes per
    /// organizer at once, then two a second; each times `RATE_LIMIT_SCALE`.
    pub fn scaled(scale: u32) -> ApiLimits {
        ApiLimits {
            failed_auth: Limiter::scaled(20, Duration::from_secs(30), scale),
            writes: Limiter::scaled(120, Duration::from_millis(500), scale),
        }
    }
}

const NEEDS_TOKEN: &str =
    "this needs an API token: send Authorization: Bearer TOKEN (see `actiondesk token create`)";

/// The bearer token of a request: `None` without an `Authorization` header, an error for
/// any other scheme.
fn bearer(req: &HttpRequest) -> Result<Option<String>, WebError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("").trim();
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(WebError::Unauthorized(NEEDS_TOKEN.into())),
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, WebError>>>>;

/// Checks a request's token, if it carries one: `Ok(None)` without one, 401 for an
/// unknown or revoked token (429 after too many from one client).
fn authenticate(req: &HttpRequest) -> Boxed<Option<Organizer>> {
    let token = bearer(req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let client = client_key(req);
    Box::pin(async move {
        let Some(token) = token? else {
            return Ok(None);
        };
        let state = state.ok_or_else(|| WebError::Internal("no application state".into()))?;
        let found = state
            .db
            .run(move |conn| tokens::verify(conn, &token))
            .await?;
        match found {
            Some(o) => Ok(Some(o)),
            None => {
                state.api_limits.failed_auth.check(&client)?;
                Err(WebError::Unauthorized(
                    "the API token is not valid, or has been revoked".into(),
                ))
            }
        }
    })
}

/// The organizer behind a request's valid bearer token; any write needs one.
pub struct ApiUser(pub Organizer);

impl FromRequest for ApiUser {
    type Error = WebError;
    type Future = Boxed<ApiUser>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = authenticate(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let o = auth
                .await?
                .ok_or_else(|| WebError::Unauthorized(NEEDS_TOKEN.into()))?;
            if let Some(state) = state {
                state.api_limits.writes.check(&o.id)?;
            }
            Ok(ApiUser(o))
        })
    }
}

/// The organizer behind a request's token, where it carries one (reads of drafts); a
/// token that is presented must be valid.
pub struct MaybeApiUser(pub Option<Organizer>);

impl FromRequest for MaybeApiUser {
    type Error = WebError;
    type Future = Boxed<MaybeApiUser>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = authenticate(req);
        Box::pin(async move { Ok(MaybeApiUser(auth.await?)) })
    }
}

/// Filters of `GET /api/v1/actions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// A campaign's slug.
    pub campaign: Option<String>,
    /// `published` (the default), `expired`, or `draft` (needs a token).
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    #[param(value_type = Option<ActionKind>)]
    pub kind: Option<String>,
    /// Words that must all appear (title, summary, body, scripts, tags, location).
    pub q: Option<String>,
}

/// Lists campaigns.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    responses((status = 200, description = "Every campaign, in display order", body = CampaignList))
)]
pub async fn list_campaigns(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let list = state.db.run(campaigns::list_all).await?;
    Ok(HttpResponse::Ok().json(CampaignList {
        items: list.iter().map(CampaignJson::from).collect(),
    }))
}

/// One campaign with its public actions and its dated updates.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}",
    tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 200, description = "The campaign", body = CampaignDetailJson),
        (status = 404, description = "No such campaign", body = openapi::ErrorBody)
    )
)]
pub async fn get_campaign(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let detail = state
        .db
        .run(move |conn| -> crate::db::Result<_> {
            let c = campaigns::by_slug(conn, &slug)?;
            let mut lists = Vec::new();
            for status in [Status::Published, Status::Expired] {
                let list = actions::list(
                    conn,
                    &actions::ActionFilter {
                        campaign_id: Some(c.id),
                        status: Some(status),
                        kind: None,
                    },
                )?;
                lists.push(actions::details(conn, list)?);
            }
            let ups = updates::list(conn, Some(c.id))?;
            Ok(CampaignDetailJson {
                campaign: CampaignJson::from(&c),
                past_actions: lists
                    .pop()
                    .unwrap_or_default()
                    .iter()
                    .map(ActionJson::from)
                    .collect(),
                actions: lists
                    .pop()
                    .unwrap_or_default()
                    .iter()
                    .map(ActionJson::from)
                    .collect(),
                updates: ups.iter().map(UpdateJson::from).collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Lists actions, filtered.
#[utoipa::path(
    get,
    path = "/api/v1/actions",
    tag = "actions",
    params(ActionQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Matching actions in campaign order", body = ActionList),
        (status = 401, description = "`status=draft` without a valid token", body = openapi::ErrorBody),
        (status = 429, description = "Too many failed token checks: wait `Retry-After` seconds", body = openapi::ErrorBody),
        (status = 404, description = "No campaign by that slug", body = openapi::ErrorBody),
        (status = 422, description = "A status or kind not in the list", body = openapi::ErrorBody)
    )
)]
pub async fn list_actions(
    state: web::Data<AppState>,
    user: MaybeApiUser,
    query: web::Query<ActionQuery>,
) -> Result<HttpResponse, WebError> {
    let q = query.into_inner();
    let blank = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    // `status` and `kind` are enumerations in openapi.json: given, they must be one of
    // them exactly (an empty `kind=` is not "any kind").
    let status = match q.status {
        None => Status::Published,
        Some(s) => Status::parse(&s)
            .ok()
            .filter(|p| p.to_string() == s)
            .ok_or_else(|| {
                WebError::invalid(
                    "status",
                    format!("{s:?} is not a status; use {}", Status::choices()),
                )
            })?,
    };
    if status == Status::Draft && user.0.is_none() {
        return Err(WebError::Unauthorized(format!(
            "listing drafts: {NEEDS_TOKEN}"
        )));
    }
    let kind = match q.kind {
        None => None,
        Some(k) => Some(
            ActionKind::parse(&k)
                .ok()
                .filter(|p| p.to_string() == k)
                .ok_or_else(|| {
                    WebError::invalid(
                        "kind",
                        format!(
                            "{k:?} is not a kind of action; use {}",
                            ActionKind::choices()
                        ),
                    )
                })?,
        ),
    };
    let campaign = blank(&q.campaign);
    let words = search::all_words(&q.q.unwrap_or_default());
    let items = state
        .db
        .run(move |conn| -> crate::db::Result<_> {
            let campaign_id = match campaign {
                None => None,
                Some(slug) => Some(
                    // A campaign that does not exist is not found (404), as for
                    // `/campaigns/{slug}`: any string is a well-formed slug to look up.
                    campaigns::find(conn, &slug)?
                        .ok_or(crate::db::Error::NotFound("campaign"))?
                        .id,
                ),
            };
            let filter = actions::ActionFilter {
                campaign_id,
                status: Some(status),
                kind,
            };
            Ok(search::actions(conn, &filter, &words, Scope::Api)?
                .iter()
                .map(ActionJson::from)
                .collect())
        })
        .await?;
    Ok(HttpResponse::Ok().json(ActionList { items }))
}

/// One action. Drafts are shown only with a valid token (else 404).
#[utoipa::path(
    get,
    path = "/api/v1/actions/{slug}",
    tag = "actions",
    params(("slug" = String, Path, description = "The action's slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The action", body = ActionJson),
        (status = 401, description = "A token that is not valid", body = openapi::ErrorBody),
        (status = 404, description = "No such action (or a draft, without a token)", body = openapi::ErrorBody),
        (status = 429, description = "Too many failed token checks: wait `Retry-After` seconds", body = openapi::ErrorBody)
    )
)]
pub async fn get_action(
    state: web::Data<AppState>,
    user: MaybeApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let may_see_drafts = user.0.is_some();
    let detail = state
        .db
        .run(move |conn| {
            let a = actions::by_slug(conn, &slug)?;
            if a.status == Status::Draft && !may_see_drafts {
                return Err(crate::db::Error::NotFound("action"));
            }
            let counts = crate::db::outcomes::counts(conn, a.id)?;
            Ok((actions::detail(conn, a)?, counts))
        })
        .await?;
    let (detail, counts) = detail;
    let mut json = ActionJson::from(&detail);
    json.outcomes = Some(counts);
    Ok(HttpResponse::Ok().json(json))
}

/// The hotline directory.
#[utoipa::path(
    get,
    path = "/api/v1/hotlines",
    tag = "directory",
    responses((status = 200, description = "Every hotline, in display order", body = HotlineList))
)]
pub async fn list_hotlines(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let list = state.db.run(contacts::list_hotlines).await?;
    Ok(HttpResponse::Ok().json(HotlineList {
        items: list.iter().map(HotlineJson::from).collect(),
    }))
}

/// The contact directory: agencies, organisations and people (legislators are found
/// through `/api/v1/reps`).
#[utoipa::path(
    get,
    path = "/api/v1/contacts",
    tag = "directory",
    responses((status = 200, description = "Every contact of the directory, by name", body = ContactList))
)]
pub async fn list_contacts(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let list = state.db.run(contacts::list_directory).await?;
    Ok(HttpResponse::Ok().json(ContactList {
        items: list.iter().map(ContactJson::from).collect(),
    }))
}
