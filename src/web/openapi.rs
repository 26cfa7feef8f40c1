//! `/api/openapi.json`: the OpenAPI 3 description, generated from the handlers' and types'
//! `utoipa` annotations. Every JSON endpoint adds its path to the `paths(...)` list below.

use actix_web::{web, HttpResponse};
use utoipa::OpenApi;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "actiondesk API",
        description = "Calls to action, contacts, hotlines and representatives. Reads are public; writes need `Authorization: Bearer TOKEN`."
    ),
    paths(super::visitor::reps_json),
    components(schemas(ErrorBody, ErrorDetail))
)]
pub struct ApiDoc;

/// SPEC's error shape: `{"error": {"code", "message", "field"}}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// One error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

/// The route serving the description.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/openapi.json", web::get().to(openapi_json));
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
