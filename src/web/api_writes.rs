//! The JSON API's writes. Each needs a bearer token; each runs in one write transaction
//! through the db layer, which records the change log, revision and audit entry with the
//! token's organizer as the actor. Bad input changes nothing.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::api::ApiUser;
use super::api_input::{
    from_body, parse_time, required_text, update_actions, ActionFields, CampaignIn, NewAction,
    UpdateIn,
};
use super::api_types::{ActionJson, CampaignJson, UpdateJson};
use super::error::WebError;
use super::openapi::ErrorBody;
use super::AppState;
use crate::db::campaigns::CampaignInput;
use crate::db::updates::UpdateInput;
use crate::db::{self, actions, campaigns, tokens, updates, write_tx, FieldExt};
use crate::domain::{Slug, Transition};

/// Creates a draft action.
#[utoipa::path(
    post,
    path = "/api/v1/actions",
    tag = "actions",
    request_body = NewAction,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new draft; `Location` is its URL", body = ActionJson,
            headers(("Location" = String, description = "/api/v1/actions/{slug}"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A bad or missing field, named in `field`", body = ErrorBody)
    )
)]
pub async fn create_action(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, WebError> {
    let fields: ActionFields = from_body(body.into_inner())?;
    let actor = tokens::actor_for(&user.0);
    let detail = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let (input, slug) = fields.into_new(conn, &actor)?;
                let a = actions::create(conn, &input, slug, &actor)?;
                actions::detail(conn, a)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/actions/{}", detail.action.slug),
        ))
        .json(ActionJson::from(&detail)))
}

/// Changes the fields given; `null` clears optional ones. Editing a published action
/// records which fields changed in the change log (subscribers hear of it); editing a
/// draft records none.
#[utoipa::path(
    patch,
    path = "/api/v1/actions/{slug}",
    tag = "actions",
    params(("slug" = String, Path, description = "The action's slug")),
    request_body = ActionFields,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The action as it is now", body = ActionJson),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 422, description = "A bad field, named in `field`", body = ErrorBody)
    )
)]
pub async fn patch_action(
    user: ApiUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, WebError> {
    let fields: ActionFields = from_body(body.into_inner())?;
    if fields.slug.is_some() {
        return Err(WebError::invalid(
            "slug",
            "cannot be changed (links to the action would break)",
        ));
    }
    let actor = tokens::actor_for(&user.0);
    let slug = slug.into_inner();
    let detail = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let a = actions::by_slug(conn, &slug)?;
                let current = actions::detail(conn, a)?;
                let base = super::api_input::input_of(conn, &current)?;
                let input = fields.apply(conn, base, &actor)?;
                let a = actions::update(conn, current.action.id, &input, &actor)?;
                actions::detail(conn, a)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ActionJson::from(&detail)))
}

async fn transition(
    user: ApiUser,
    state: web::Data<AppState>,
    slug: String,
    t: Transition,
) -> Result<HttpResponse, WebError> {
    let actor = tokens::actor_for(&user.0);
    let detail = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let a = actions::by_slug(conn, &slug)?;
                let a = actions::transition(conn, a.id, t, &actor)?;
                actions::detail(conn, a)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ActionJson::from(&detail)))
}

/// Publishes a draft: it goes public and subscribers hear of it.
#[utoipa::path(
    post,
    path = "/api/v1/actions/{slug}/publish",
    tag = "actions",
    params(("slug" = String, Path, description = "The action's slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The published action", body = ActionJson),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 409, description = "Not a draft (already published, or expired: reopen it)", body = ErrorBody)
    )
)]
pub async fn publish_action(
    user: ApiUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    transition(user, state, slug.into_inner(), Transition::Publish).await
}

/// Expires a published action: it stays public, marked as over.
#[utoipa::path(
    post,
    path = "/api/v1/actions/{slug}/expire",
    tag = "actions",
    params(("slug" = String, Path, description = "The action's slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The expired action", body = ActionJson),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 409, description = "Not published", body = ErrorBody)
    )
)]
pub async fn expire_action(
    user: ApiUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    transition(user, state, slug.into_inner(), Transition::Expire).await
}

/// Reopens an expired action: it is published again.
#[utoipa::path(
    post,
    path = "/api/v1/actions/{slug}/reopen",
    tag = "actions",
    params(("slug" = String, Path, description = "The action's slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reopened action", body = ActionJson),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 409, description = "Not expired", body = ErrorBody)
    )
)]
pub async fn reopen_action(
    user: ApiUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    transition(user, state, slug.into_inner(), Transition::Reopen).await
}

/// Creates an active campaign.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    request_body = CampaignIn,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new campaign; `Location` is its URL", body = CampaignJson,
            headers(("Location" = String, description = "/api/v1/campaigns/{slug}"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A bad or missing field, named in `field`", body = ErrorBody)
    )
)]
pub async fn create_campaign(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, WebError> {
    let input: CampaignIn = from_body(body.into_inner())?;
    let actor = tokens::actor_for(&user.0);
    let campaign = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let title = required_text("title", input.title.as_deref(), 200)?;
                let slug = match input.slug.as_deref().map(str::trim) {
                    Some(s) if !s.is_empty() => Slug::parse(s).field("slug")?,
                    _ => {
                        let base = Slug::from_title(&title);
                        let mut slug = base.clone();
                        let mut n = 2;
                        while campaigns::find(conn, slug.as_str())?.is_some() {
                            slug = base.with_suffix(n);
                            n += 1;
                        }
                        slug
                    }
                };
                let input = CampaignInput {
                    slug,
                    title,
                    summary: input.summary.unwrap_or_default().trim().to_string(),
                    body: input.body.unwrap_or_default().trim().to_string(),
                };
                campaigns::create(conn, &input, &actor)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/campaigns/{}", campaign.slug),
        ))
        .json(CampaignJson::from(&campaign)))
}

/// Posts a dated update to a campaign; subscribers hear of it.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{slug}/updates",
    tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body = UpdateIn,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The update as posted", body = UpdateJson),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 422, description = "A bad or missing field, named in `field`", body = ErrorBody)
    )
)]
pub async fn post_update(
    user: ApiUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, WebError> {
    let input: UpdateIn = from_body(body.into_inner())?;
    let actor = tokens::actor_for(&user.0);
    let slug = slug.into_inner();
    let view = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let campaign = campaigns::by_slug(conn, &slug)?;
                let title = required_text("title", input.title.as_deref(), 200)?;
                let published_at = match input.published_at.as_deref().map(str::trim) {
                    Some(t) if !t.is_empty() => parse_time("published_at", t)?,
                    _ => actor.at,
                };
                let related = update_actions(conn, campaign.id, input.actions.unwrap_or_default())?;
                let posted = updates::post(
                    conn,
                    &UpdateInput {
                        campaign_id: campaign.id,
                        title,
                        body: input.body.unwrap_or_default().trim().to_string(),
                        published_at,
                        actions: related,
                    },
                    &actor,
                )?;
                updates::list(conn, Some(campaign.id))?
                    .into_iter()
                    .find(|v| v.update.id == posted.id)
                    .ok_or(db::Error::NotFound("update"))
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(UpdateJson::from(&view)))
}
