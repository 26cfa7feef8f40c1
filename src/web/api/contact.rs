//! `GET /api/v1/contacts/{slug}`: one contact with its numbers and how callers fared.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::ErrorBody;
use super::types::ContactJson;
use crate::db::{self, contacts, outcomes};
use crate::web::error::WebError;
use crate::web::AppState;

/// Callers' outcomes for a contact over the last 30 days, over every action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOutcomes {
    pub contacted: i64,
    pub voicemail: i64,
    pub unavailable: i64,
    pub wrong_number: i64,
    pub total: i64,
}

/// A contact, its numbers (each with `verified_at` and open `reports`) and its outcomes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDetailJson {
    #[serde(flatten)]
    pub contact: ContactJson,
    pub outcomes: ContactOutcomes,
}

/// One contact of the directory (legislators included), with callers' outcomes over the
/// last 30 days.
#[utoipa::path(
    get,
    path = "/api/v1/contacts/{slug}",
    tag = "directory",
    params(("slug" = String, Path, description = "The contact's slug")),
    responses(
        (status = 200, description = "The contact", body = ContactDetailJson),
        (status = 404, description = "No such contact", body = ErrorBody)
    )
)]
pub async fn get_contact(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let (view, counts) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let c = contacts::find(conn, &slug)?.ok_or(db::Error::NotFound("contact"))?;
            let counts = outcomes::by_contact(conn, &[c.id], db::now() - outcomes::RECENT)?
                .remove(&c.id)
                .unwrap_or_default();
            Ok((contacts::views(conn, &[c])?.remove(0), counts))
        })
        .await?;
    let total = counts.contacted + counts.voicemail + counts.unavailable + counts.wrong_number;
    Ok(HttpResponse::Ok().json(ContactDetailJson {
        contact: ContactJson::from(&view),
        outcomes: ContactOutcomes {
            contacted: counts.contacted,
            voicemail: counts.voicemail,
            unavailable: counts.unavailable,
            wrong_number: counts.wrong_number,
            total,
        },
    }))
}
