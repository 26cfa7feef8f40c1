//! The JSON API's writes. Each needs a bearer token; each runs in one write transaction
//! through the db layer, which records the change log, revision and audit entry with the
//! token's organizer as the actor. Bad input changes nothing.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::IntoResponses;

use super::input::{from_body, input_of, ActionFields, CampaignIn, NewAction, UpdateIn};
use super::openapi::ErrorBody;
use super::types::{ActionJson, CampaignJson, UpdateJson};
use crate::db::actions::Action;
use crate::db::{self, actions, campaigns, tokens, updates, write_tx, Actor, DbConn};
use crate::domain::Transition;
use crate::web::api::ApiUser;
use crate::web::error::WebError;
use crate::web::AppState;

/// Runs `op` on the blocking pool in one write transaction, as the token's organizer (whom
/// its change-log, revision and audit entries name); a storage error becomes the API's
/// error answer (404, 409, 422, …).
async fn write_as<T, F>(state: &AppState, user: &ApiUser, op: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &Actor) -> db::Result<T> + Send + 'static,
{
    let actor = tokens::actor_for(&user.0);
    Ok(state
        .db
        .run(move |conn| write_tx(conn, |conn| op(conn, &actor)))
        .await?)
}

/// [`write_as`] for a change to one action: answers the action as it is afterwards.
async fn write_action<F>(state: &AppState, user: &ApiUser, op: F) -> Result<ActionJson, WebError>
where
    F: FnOnce(&mut DbConn, &Actor) -> db::Result<Action> + Send + 'static,
{
    let detail = write_as(state, user, move |conn, actor| {
        let a = op(conn, actor)?;
        actions::detail(conn, a)
    })
    .await?;
    Ok(ActionJson::from(&detail))
}

/// 201 Created, with `Location` naming what was made.
fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// The refusals every write documents, before it looks at the request.
#[derive(IntoResponses)]
pub enum TokenRefusals {
    #[response(status = 401, description = "No valid token")]
    Unauthorized(ErrorBody),
    #[response(
        status = 429,
        description = "Too many requests: wait `Retry-After` seconds"
    )]
    TooManyRequests(ErrorBody),
}

/// The refusal every write with a JSON body documents.
#[derive(IntoResponses)]
#[response(status = 400, description = "Malformed JSON")]
pub struct MalformedJson(pub ErrorBody);

/// The refusals of a write that makes something named by a slug.
#[derive(IntoResponses)]
pub enum CreateRefusals {
    #[response(status = 409, description = "The slug is taken")]
    SlugTaken(ErrorBody),
    #[response(status = 422, description = "A bad or missing field, named in `field`")]
    BadField(ErrorBody),
}

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
        MalformedJson,
        TokenRefusals,
        CreateRefusals
    )
)]
pub async fn create_action(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, WebError> {
    let fields: ActionFields = from_body(body.into_inner())?;
    let action = write_action(&state, &user, move |conn, actor| {
        let (input, slug) = fields.into_new(conn, actor)?;
        actions::create(conn, &input, slug, actor)
    })
    .await?;
    Ok(created(format!("/api/v1/actions/{}", action.slug), action))
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
        MalformedJson,
        TokenRefusals,
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
    let slug = slug.into_inner();
    let action = write_action(&state, &user, move |conn, actor| {
        let a = actions::by_slug(conn, &slug)?;
        let current = actions::detail(conn, a)?;
        let base = input_of(conn, &current)?;
        let input = fields.apply(conn, base, actor)?;
        actions::update(conn, current.action.id, &input, actor)
    })
    .await?;
    Ok(HttpResponse::Ok().json(action))
}

/// Moves an action along its lifecycle; answers 200 and the action.
async fn transition(
    user: ApiUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    t: Transition,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let action = write_action(&state, &user, move |conn, actor| {
        let a = actions::by_slug(conn, &slug)?;
        actions::transition(conn, a.id, t, actor)
    })
    .await?;
    Ok(HttpResponse::Ok().json(action))
}

/// A handler that moves an action along its lifecycle, with its OpenAPI entry: the doc,
/// the name, the path's last part, the transition, and the 200 and 409 descriptions.
macro_rules! transition_handler {
    ($doc:literal, $name:ident, $path:literal, $t:expr, $ok:literal, $conflict:literal) => {
        #[doc = $doc]
        #[utoipa::path(
                            post,
                            path = $path,
                            tag = "actions",
                            params(("slug" = String, Path, description = "The action's slug")),
                            security(("bearer" = [])),
                            responses(
                                (status = 200, description = $ok, body = ActionJson),
                                TokenRefusals,
                                (status = 404, description = "No such action", body = ErrorBody),
                                (status = 409, description = $conflict, body = ErrorBody)
                            )
                        )]
        pub async fn $name(
            user: ApiUser,
            state: web::Data<AppState>,
            slug: web::Path<String>,
        ) -> Result<HttpResponse, WebError> {
            transition(user, state, slug, $t).await
        }
    };
}

transition_handler!(
    "Publishes a draft: it goes public and subscribers hear of it.",
    publish_action,
    "/api/v1/actions/{slug}/publish",
    Transition::Publish,
    "The published action",
    "Not a draft (already published, or expired: reopen it)"
);
transition_handler!(
    "Expires a published action: it stays public, marked as over.",
    expire_action,
    "/api/v1/actions/{slug}/expire",
    Transition::Expire,
    "The expired action",
    "Not published"
);
transition_handler!(
    "Reopens an expired action: it is published again.",
    reopen_action,
    "/api/v1/actions/{slug}/reopen",
    Transition::Reopen,
    "The reopened action",
    "Not expired"
);

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
        MalformedJson,
        TokenRefusals,
        CreateRefusals
    )
)]
pub async fn create_campaign(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, WebError> {
    let input: CampaignIn = from_body(body.into_inner())?;
    let campaign = write_as(&state, &user, move |conn, actor| {
        let input = input.into_input(conn)?;
        campaigns::create(conn, &input, actor)
    })
    .await?;
    Ok(created(
        format!("/api/v1/campaigns/{}", campaign.slug),
        CampaignJson::from(&campaign),
    ))
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
        MalformedJson,
        TokenRefusals,
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
    let slug = slug.into_inner();
    let view = write_as(&state, &user, move |conn, actor| {
        let campaign = campaigns::by_slug(conn, &slug)?;
        let input = input.into_input(conn, campaign.id, actor.at)?;
        let posted = updates::post(conn, &input, actor)?;
        updates::list(conn, Some(campaign.id))?
            .into_iter()
            .find(|v| v.update.id == posted.id)
            .ok_or(db::Error::NotFound("update"))
    })
    .await?;
    Ok(HttpResponse::Created().json(UpdateJson::from(&view)))
}
