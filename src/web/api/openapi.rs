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
        crate::web::api::list_campaigns,
        crate::web::api::get_campaign,
        crate::web::api::list_actions,
        crate::web::api::get_action,
        crate::web::api::list_hotlines,
        crate::web::api::list_contacts,
        super::writes::create_action,
        super::writes::patch_action,
        super::writes::publish_action,
        super::writes::expire_action,
        super::writes::reopen_action,
        super::writes::create_campaign,
        super::writes::post_update,
        crate::web::public::visitor::reps_json,
        crate::web::public::outcomes::post_json,
        crate::web::public::reports::post_json,
        super::reports::list_reports,
        super::contact::get_contact,
        super::bounces::post_bounce,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth, &BodyAnswers)
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

/// The answers every write operation may give before its handler runs (web/body.rs, the
/// JSON extractor), added to each one that lacks them: 413 for a body over the limit, 408
/// for a body that does not arrive in time, and — where a JSON body is read — 400 for one
/// that is not JSON. All carry [`ErrorBody`].
struct BodyAnswers;

impl utoipa::Modify for BodyAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let answer = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        let limit = crate::web::body::MAX_BODY;
        for item in openapi.paths.paths.values_mut() {
            let writes = [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in writes.into_iter().flatten() {
                let reads_json = op.request_body.is_some();
                let r = &mut op.responses.responses;
                r.entry("413".into()).or_insert_with(|| {
                    answer(&format!(
                        "The body is too large (over {limit} bytes; a JSON body over 512 KiB)"
                    ))
                    .into()
                });
                r.entry("408".into()).or_insert_with(|| {
                    answer("The body did not arrive in time (`BODY_TIMEOUT_SECS`)").into()
                });
                if reads_json {
                    r.entry("400".into()).or_insert_with(|| {
                        answer("The body is not JSON, or not sent as `application/json`").into()
                    });
                }
            }
        }
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
