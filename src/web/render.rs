//! Tera templates, embedded in the binary so it runs from any directory.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::NaiveDateTime;
use serde_json::Value;
use tera::{Context, Tera};

use super::error::WebError;
use crate::domain::{markdown, Zone};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The stylesheet served at `/static/style.css`.
pub const STYLESHEET: &str = include_str!("../../templates/static/style.css");

/// A template file's text by its path under `templates/` (emails, static files).
pub fn embedded(name: &str) -> Option<&'static str> {
    embedded::EMBEDDED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

static TERA: LazyLock<Tera> = LazyLock::new(|| {
    let mut tera = Tera::default();
    // Every template under templates/ (build.rs embeds them), static files aside.
    tera.add_raw_templates(
        embedded::EMBEDDED
            .iter()
            .filter(|(name, _)| !name.starts_with("static/"))
            .copied(),
    )
    .expect("templates parse");
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(markdown::escape_html);
    tera.register_filter("markdown", markdown_filter);
    tera.register_filter("when", when_filter);
    tera.register_filter("day", day_filter);
    tera.register_filter("iso", iso_filter);
    tera
});

/// The shared template engine.
pub fn tera() -> &'static Tera {
    &TERA
}

/// Renders a template to a string.
pub fn render(name: &str, ctx: &Context) -> Result<String, WebError> {
    Ok(tera().render(name, ctx)?)
}

/// Renders a template into a 200 HTML response.
pub fn page(name: &str, ctx: &Context) -> Result<HttpResponse, WebError> {
    page_with_status(StatusCode::OK, name, ctx)
}

/// Renders a template into an HTML response with another status (a form with errors).
pub fn page_with_status(
    status: StatusCode,
    name: &str,
    ctx: &Context,
) -> Result<HttpResponse, WebError> {
    page_with_headers(status, name, ctx, &[])
}

/// [`page_with_status`] with more headers (`Cache-Control: no-store` on organizer pages).
pub fn page_with_headers(
    status: StatusCode,
    name: &str,
    ctx: &Context,
    headers: &[(&'static str, &'static str)],
) -> Result<HttpResponse, WebError> {
    let mut r = HttpResponse::build(status);
    r.content_type("text/html; charset=utf-8");
    for h in headers {
        r.insert_header(*h);
    }
    Ok(r.body(render(name, ctx)?))
}

/// The HTML error page.
pub fn error_page(status: StatusCode, message: &str) -> String {
    error_page_with_links(status, message, &[("/", "Back to all actions")])
}

/// The HTML error page with its own ways on (`(href, text)` pairs).
pub fn error_page_with_links(status: StatusCode, message: &str, links: &[(&str, &str)]) -> String {
    let mut ctx = Context::new();
    ctx.insert("links", links);
    ctx.insert("status", &status.as_u16());
    ctx.insert("reason", status.canonical_reason().unwrap_or("Error"));
    ctx.insert("message", message);
    tera()
        .render("error.html", &ctx)
        .unwrap_or_else(|_| format!("{} {}", status.as_u16(), message))
}

fn markdown_filter(v: &Value, _: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(markdown::render(v.as_str().unwrap_or(""))))
}

fn parse_time(v: &Value) -> Option<NaiveDateTime> {
    let s = v.as_str()?;
    s.parse::<NaiveDateTime>().ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.naive_utc())
    })
}

/// The zone a filter was given (`tz="America/New_York"`), if any.
fn zone_arg(args: &std::collections::HashMap<String, Value>) -> tera::Result<Option<Zone>> {
    match args.get("tz").and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(name) => Zone::parse(name)
            .map(Some)
            .map_err(|e| tera::Error::msg(format!("tz {e}"))),
    }
}

/// With `tz=`: "Sun 6 Dec, 6:00 pm EST" in that zone (see [`Zone::when`]). Without:
/// "Friday 1 June 2018, 10:00 UTC" (the time left out at midnight).
fn when_filter(v: &Value, args: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
    if let Some(zone) = zone_arg(args)? {
        return Ok(Value::String(parse_time(v).map_or_else(String::new, |t| {
            zone.when(t, chrono::Utc::now().naive_utc())
        })));
    }
    Ok(Value::String(match parse_time(v) {
        Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%A %-d %B %Y").to_string(),
        Some(t) => t.format("%A %-d %B %Y, %H:%M UTC").to_string(),
        None => String::new(),
    }))
}

/// "29 May 2018"; with `tz=`, "29 May 2018" as that day is in that zone.
fn day_filter(v: &Value, args: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
    if let Some(zone) = zone_arg(args)? {
        return Ok(Value::String(
            parse_time(v).map(|t| zone.day(t)).unwrap_or_default(),
        ));
    }
    Ok(Value::String(
        parse_time(v)
            .map(|t| t.format("%-d %B %Y").to_string())
            .unwrap_or_default(),
    ))
}

/// RFC 3339 in UTC, for `<time datetime>`.
fn iso_filter(v: &Value, _: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(
        parse_time(v)
            .map(|t| t.and_utc().to_rfc3339())
            .unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_filters_read_times_in_the_zone_given() {
        let mut ctx = Context::new();
        ctx.insert("t", "2026-12-06T23:00:00");
        let mut tera = Tera::default();
        tera.register_filter("when", when_filter);
        tera.register_filter("day", day_filter);
        tera.add_raw_template("w", "{{ t | when(tz=\"America/New_York\") }}|{{ t | day(tz=\"Asia/Tokyo\") }}|{{ t | when }}")
            .unwrap();
        let out = tera.render("w", &ctx).unwrap();
        assert!(out.starts_with("Sun 6 Dec"), "{out}");
        assert!(
            out.contains("6:00 pm EST|7 Dec 2026|Sunday 6 December 2026, 23:00 UTC"),
            "{out}"
        );
    }

    #[test]
    fn templates_autoescape_values() {
        let mut ctx = Context::new();
        ctx.insert("status", &404);
        ctx.insert("reason", "Not Found");
        ctx.insert("message", "<img src=x onerror=alert(1)>");
        let html = tera().render("error.html", &ctx).unwrap();
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!html.contains("<img"));
    }
}
