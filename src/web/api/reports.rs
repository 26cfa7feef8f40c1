//! `GET /api/v1/reports`: callers' open problem reports, grouped by number (organizers).

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::writes::TokenRefusals;
use super::ApiUser;
use crate::db::phone_reports::{self, ReportedNumber};
use crate::web::error::WebError;
use crate::web::AppState;

/// `{"items": [...]}` of numbers with open reports.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub items: Vec<ReportedNumber>,
}

/// Numbers with open problem reports from callers, the most recently reported first, each
/// with its reports (newest first). Reports never say who sent them.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "directory",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Numbers with open reports", body = ReportList),
        TokenRefusals
    )
)]
pub async fn list_reports(
    _user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let items = state.db.run(phone_reports::open).await?;
    Ok(HttpResponse::Ok().json(ReportList { items }))
}
