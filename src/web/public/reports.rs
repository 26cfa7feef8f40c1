//! Callers' problem reports about a contact's number: the "Report a problem with a number"
//! form (`/contacts/{slug}/report`) and `POST /api/v1/contacts/{slug}/reports`. Public and
//! rate-limited like outcomes; the answer is the same whoever reported before, and no
//! report records who sent it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

use super::outcomes::same_origin;
use crate::db::{self, contacts, phone_reports};
use crate::domain::{PhoneNumber, Problem, ReportNote};
use crate::web::error::WebError;
use crate::web::ratelimit::client_key;
use crate::web::render::page_with_status;
use crate::web::AppState;

/// A report as the form and the API send it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// The number with the problem (E.164, or any accepted form); one of the contact's.
    pub phone: Option<String>,
    /// `wrong_number`, `disconnected`, `never_answers` or `other`.
    pub problem: Option<String>,
    /// What happened, in the caller's words (at most 1,000 characters).
    pub note: Option<String>,
}

/// A checked report.
pub(crate) struct Report {
    pub phone: PhoneNumber,
    pub problem: Problem,
    pub note: ReportNote,
}

impl ReportInput {
    /// Checks every field, naming the first one at fault.
    fn check(&self) -> Result<Report, WebError> {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
        let phone = text(&self.phone);
        if phone.is_empty() {
            return Err(WebError::invalid(
                "phone",
                "choose the number with the problem",
            ));
        }
        let phone =
            PhoneNumber::parse(&phone).map_err(|e| WebError::invalid("phone", e.to_string()))?;
        let problem = text(&self.problem);
        if problem.is_empty() {
            return Err(WebError::invalid("problem", "choose what went wrong"));
        }
        let problem =
            Problem::parse(&problem).map_err(|e| WebError::invalid("problem", e.to_string()))?;
        let note = ReportNote::parse(self.note.as_deref().unwrap_or(""))
            .map_err(|e| WebError::invalid("note", e.to_string()))?;
        Ok(Report {
            phone,
            problem,
            note,
        })
    }
}

/// Files a checked report for the contact (rate limited per client, like outcomes).
pub(crate) async fn file(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    slug: String,
    report: Report,
) -> Result<(), WebError> {
    state.visitors.check_outcome(&client_key(req))?;
    let at = db::now();
    let reporter = crate::web::client::reporter(state, req);
    state
        .db
        .run(move |conn| {
            phone_reports::file(
                conn,
                &slug,
                &report.phone,
                report.problem,
                &report.note,
                &reporter,
                at,
            )
        })
        .await?;
    Ok(())
}

/// `{"status": "received"}`
#[derive(Serialize, utoipa::ToSchema)]
pub struct Received {
    pub status: &'static str,
}

/// Reports a problem with one of a contact's numbers (wrong number, disconnected, never
/// answers); organizers see it in their queue, and a number with 3 or more open reports is
/// flagged on every page until it is checked or changed.
#[utoipa::path(
    post,
    path = "/api/v1/contacts/{slug}/reports",
    operation_id = "report_problem",
    tag = "directory",
    params(("slug" = String, Path, description = "The contact's slug")),
    request_body = ReportInput,
    responses(
        (status = 202, description = "Received", body = Received),
        (status = 404, description = "No such contact", body = crate::web::api::openapi::ErrorBody),
        (status = 422, description = "A bad field, named in `field`", body = crate::web::api::openapi::ErrorBody),
        (status = 429, description = "Too many reports from this client; `Retry-After` says when to try again", body = crate::web::api::openapi::ErrorBody)
    )
)]
pub async fn post_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ReportInput>,
) -> Result<HttpResponse, WebError> {
    let report = body.check()?;
    file(&state, &req, path.into_inner(), report).await?;
    Ok(HttpResponse::Accepted().json(Received { status: "received" }))
}

/// The form page: the contact's numbers to choose from, what went wrong, a note.
fn form_page(
    status: StatusCode,
    contact: &contacts::ContactView,
    input: &ReportInput,
    error: Option<(&str, String)>,
    sent: bool,
) -> Result<HttpResponse, WebError> {
    let mut ctx = Context::new();
    ctx.insert("c", contact);
    ctx.insert("input", input);
    let problems: Vec<(&str, &str)> = Problem::ALL
        .iter()
        .map(|p| (p.as_str(), p.label()))
        .collect();
    ctx.insert("problems", &problems);
    ctx.insert("sent", &sent);
    let mut errors = std::collections::HashMap::new();
    if let Some((field, message)) = error {
        errors.insert(field.to_string(), message);
    }
    ctx.insert("errors", &errors);
    page_with_status(status, "report.html", &ctx)
}

async fn contact_view(
    state: &web::Data<AppState>,
    slug: String,
) -> Result<contacts::ContactView, WebError> {
    Ok(state
        .db
        .run(move |conn| -> db::Result<_> {
            let c = contacts::find(conn, &slug)?.ok_or(db::Error::NotFound("contact"))?;
            Ok(contacts::views(conn, &[c])?.remove(0))
        })
        .await?)
}

/// `GET /contacts/{slug}/report?phone=`: the form, with the number chosen if given.
pub async fn form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReportInput>,
) -> Result<HttpResponse, WebError> {
    let contact = contact_view(&state, path.into_inner()).await?;
    form_page(StatusCode::OK, &contact, &query, None, false)
}

/// `POST /contacts/{slug}/report` (form): files it and thanks the caller; a bad field
/// answers the form again, with what was typed and the field's error.
pub async fn post_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<ReportInput>,
) -> Result<HttpResponse, WebError> {
    same_origin(&req)?;
    let slug = path.into_inner();
    let input = form.into_inner();
    let contact = contact_view(&state, slug.clone()).await?;
    let outcome = match input.check() {
        Ok(report) => file(&state, &req, slug, report).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => form_page(
            StatusCode::OK,
            &contact,
            &ReportInput::default(),
            None,
            true,
        ),
        Err(WebError::Invalid {
            field: Some(field),
            message,
        }) => form_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &contact,
            &input,
            Some((&field, message)),
            false,
        ),
        Err(e) => Err(e),
    }
}
