//! The organizers' pages under `/admin`: the route table, the dashboard, and what every
//! admin page shares (the layout's context, no-store responses, redirects after a POST).
//! Sign-in lives in `auth.rs`; each kind of thing organizers edit has its own file.

pub mod actions;
pub mod auth;
pub mod content;
pub mod mail;
pub mod people;
pub mod reports;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use tera::Context;

use crate::web::error::WebError;
use crate::web::render;
use crate::web::session::CurrentOrganizer;
use crate::web::AppState;

use crate::db::{self, dashboard};

/// The organizers' routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(dashboard_page))
        .configure(auth::routes)
        .configure(actions::routes)
        .configure(content::routes)
        .configure(people::routes)
        .configure(mail::routes)
        .configure(reports::routes);
}

/// What every organizer page's layout needs: who is signed in and the session's CSRF
/// token (templates put it in each form as `csrf_token`).
pub fn context(me: &CurrentOrganizer) -> Context {
    let mut ctx = Context::new();
    ctx.insert("me", &me.organizer);
    ctx.insert("csrf_token", &me.csrf_token);
    ctx
}

/// What an organizer page adds to every answer: never cached, never framed.
const PRIVATE: &[(&str, &str)] = &[("Cache-Control", "no-store"), ("X-Frame-Options", "DENY")];

/// An organizer page: never cached, never framed.
pub fn page(name: &str, ctx: &Context) -> Result<HttpResponse, WebError> {
    render::page_with_headers(StatusCode::OK, name, ctx, PRIVATE)
}

/// An organizer page with another status (a form shown again with its errors).
pub fn page_with_status(
    status: StatusCode,
    name: &str,
    ctx: &Context,
) -> Result<HttpResponse, WebError> {
    render::page_with_headers(status, name, ctx, PRIVATE)
}

/// The `i`th value of a repeated form field, or empty.
pub fn at(v: &[String], i: usize) -> String {
    v.get(i).cloned().unwrap_or_default()
}

/// The rows of a repeatable part of a form, from its three columns as typed (the longest
/// decides how many; a missing cell is empty), then the `pad` rows to fill in.
pub fn rows<R>(
    a: &[String],
    b: &[String],
    c: &[String],
    pad: &[(&str, &str, &str)],
    row: impl Fn(String, String, String) -> R,
) -> Vec<R> {
    let n = a.len().max(b.len()).max(c.len());
    (0..n)
        .map(|i| row(at(a, i), at(b, i), at(c, i)))
        .chain(pad.iter().map(|p| row(p.0.into(), p.1.into(), p.2.into())))
        .collect()
}

/// After a successful POST: 303 to the page that shows the result.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// Form errors by field name, for templates (`errors.title`) — plus a summary list.
#[derive(Debug, Default, Serialize)]
pub struct FormErrors {
    pub fields: std::collections::BTreeMap<String, String>,
}

impl FormErrors {
    /// Adds an error for a field (the first one per field is kept).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The status of a form page showing these errors: 422 when there are any.
    pub fn status(&self) -> StatusCode {
        if self.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    /// Takes a storage error that names a field (invalid or conflicting input) as a form
    /// error; any other error is passed back.
    pub fn absorb(&mut self, e: db::Error) -> Result<(), WebError> {
        match e {
            db::Error::Invalid { field, message } | db::Error::Conflict { field, message } => {
                self.add(&field, message);
                Ok(())
            }
            other => Err(other.into()),
        }
    }

    /// A storage error that names a field, as form errors; any other error is returned.
    pub fn split(e: db::Error) -> Result<FormErrors, db::Error> {
        match e {
            db::Error::Invalid { field, message } | db::Error::Conflict { field, message } => {
                let mut f = FormErrors::default();
                f.add(&field, message);
                Ok(f)
            }
            other => Err(other),
        }
    }

    /// Puts the errors into a template context as `errors` (a map by field name).
    pub fn insert_into(&self, ctx: &mut Context) {
        ctx.insert("errors", &self.fields);
    }
}

/// `/admin`: drafts, published, ending soon, recently expired and subscriber count.
pub async fn dashboard_page(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let (d, reported, (_, unchecked)) = state
        .db
        .run(|conn| -> db::Result<_> {
            let now = db::now();
            Ok((
                dashboard::load(conn, now)?,
                crate::db::phone_reports::open(conn)?.len(),
                crate::db::phone_reports::unchecked(conn, now - reports::STALE, 0)?,
            ))
        })
        .await?;
    let mut ctx = context(&me);
    ctx.insert("d", &d);
    ctx.insert("reported", &reported);
    ctx.insert("unchecked", &unchecked);
    page("admin/dashboard.html", &ctx)
}
