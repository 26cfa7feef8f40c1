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
    paths(
        super::api::list_campaigns,
        super::api::get_campaign,
        super::api::list_actions,
        super::api::get_action,
        super::api::list_hotlines,
        super::api::list_contacts,
        super::api_writes::create_action,
        super::api_writes::patch_action,
        super::api_writes::publish_action,
        super::api_writes::expire_action,
        super::api_writes::reopen_action,
        super::api_writes::create_campaign,
        super::api_writes::post_update,
        super::visitor::reps_json,
        super::outcomes::post_json,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the write endpoints name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `actiondesk token create EMAIL`"))
                    .build(),
            ),
        );
    }
}

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
    cfg.service(web::resource("/api/openapi.json").get(openapi_json));
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
