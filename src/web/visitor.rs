//! What a visitor brings without an account: their ZIP code (from `?zip=` or the `zip`
//! cookie a plain GET form sets), resolved to senators and representative(s) through the
//! cached lookup; the `/reps` page and `/api/v1/reps`; forgetting the ZIP code.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::error::WebError;
use super::ratelimit::Limiter;
use super::render::page;
use super::AppState;
use crate::domain::placeholders::Placeholders;
use crate::domain::Zip;
use crate::reps::lookup::{self, LookupCache, RepsAnswer};

/// The cookie remembering a visitor's ZIP code.
pub const ZIP_COOKIE: &str = "zip";

/// Visitor-facing state kept beside the database: cached ZIP lookups and the limiter on
/// "I called" outcome reports.
pub struct VisitorState {
    pub lookups: LookupCache,
    pub outcomes: Limiter<String>,
    /// Outcome checks since the limiter last forgot refilled clients.
    checks: std::sync::atomic::AtomicU64,
}

impl VisitorState {
    /// Counts one outcome report for this client (429 past the limit); now and then
    /// forgets clients whose budget has refilled, so memory stays bounded.
    pub fn check_outcome(&self, client: &str) -> Result<(), WebError> {
        use std::sync::atomic::Ordering;
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.outcomes.shrink();
        }
        self.outcomes.check(&client.to_string())
    }
}

impl Default for VisitorState {
    fn default() -> VisitorState {
        VisitorState {
            lookups: LookupCache::default(),
            // Enough for one person reporting a few calls; a loop is stopped quickly.
            outcomes: Limiter::new(6, std::time::Duration::from_secs(20)),
            checks: Default::default(),
        }
    }
}

/// The visitor routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reps", web::get().to(reps_page))
        .route("/zip/forget", web::get().to(forget))
        .route("/api/v1/reps", web::get().to(reps_json));
}

/// `?zip=` as given.
#[derive(Debug, Default, Deserialize)]
pub struct ZipQuery {
    pub zip: Option<String>,
}

/// The ZIP code a request is about.
#[derive(Debug, Clone)]
pub enum VisitorZip {
    /// No ZIP code given and none remembered.
    None,
    /// Given in the URL, well formed (to be remembered).
    Given(Zip),
    /// Remembered in the cookie.
    Remembered(Zip),
    /// Given in the URL but malformed: the text typed and the message.
    Invalid(String, String),
}

impl VisitorZip {
    /// Reads `?zip=` (a blank one counts as none), else the cookie.
    pub fn of(req: &HttpRequest, given: Option<&str>) -> VisitorZip {
        match given.map(str::trim).filter(|z| !z.is_empty()) {
            Some(raw) => match Zip::parse(raw) {
                Ok(z) => VisitorZip::Given(z),
                Err(e) => VisitorZip::Invalid(raw.to_string(), e.to_string()),
            },
            None => req
                .cookie(ZIP_COOKIE)
                .and_then(|c| Zip::parse(c.value()).ok())
                .map_or(VisitorZip::None, VisitorZip::Remembered),
        }
    }

    /// The well-formed ZIP code, given or remembered.
    pub fn zip(&self) -> Option<&Zip> {
        match self {
            VisitorZip::Given(z) | VisitorZip::Remembered(z) => Some(z),
            _ => None,
        }
    }
}

/// An action page's query: the visitor's ZIP code, the script language, optional name and
/// city for the script, and the outcome just recorded.
#[derive(Debug, Default, Deserialize)]
pub struct ActionQuery {
    pub zip: Option<String>,
    pub lang: Option<String>,
    pub name: Option<String>,
    pub city: Option<String>,
    pub recorded: Option<String>,
}

/// The request's ZIP code (given or remembered) and its lookup answer, if found.
pub async fn for_request(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    given: Option<&str>,
) -> Result<(VisitorZip, Option<RepsAnswer>), WebError> {
    let vz = VisitorZip::of(req, given);
    let answer = match vz.zip() {
        Some(z) => resolve(state, z).await?,
        None => None,
    };
    Ok((vz, answer))
}

/// Script values known for this visitor: names from the lookup, and the name and city
/// they typed (never stored).
pub fn placeholders(vz: &VisitorZip, answer: Option<&RepsAnswer>, q: &ActionQuery) -> Placeholders {
    let mut p = answer.map(RepsAnswer::placeholders).unwrap_or_default();
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.chars().take(80).collect::<String>())
    };
    p.your_name = clean(&q.name);
    p.city_zip = match (clean(&q.city), vz.zip()) {
        (Some(city), Some(zip)) => Some(format!("{city}, {zip}")),
        _ => None,
    };
    p
}

/// The script language to show: `?lang=` when the action has it, else English, else the
/// first.
pub fn pick_lang(scripts: &[crate::db::actions::Script], wanted: Option<&str>) -> String {
    let has = |l: &str| scripts.iter().any(|s| s.lang.eq_ignore_ascii_case(l));
    match wanted.map(str::trim) {
        Some(l) if has(l) => l.to_ascii_lowercase(),
        _ if has("en") => "en".into(),
        _ => scripts.first().map(|s| s.lang.clone()).unwrap_or_default(),
    }
}

/// Looks a ZIP code up through the cache.
pub async fn resolve(
    state: &web::Data<AppState>,
    zip: &Zip,
) -> Result<Option<RepsAnswer>, WebError> {
    let state = state.clone();
    let zip = zip.clone();
    let answer = state
        .db
        .clone()
        .run(move |conn| state.visitors.lookups.get(conn, &zip))
        .await?;
    Ok((*answer).clone())
}

/// The cookie that remembers a ZIP code for a year.
pub fn remember(zip: &Zip) -> Cookie<'static> {
    Cookie::build(ZIP_COOKIE, zip.to_string())
        .path("/")
        .max_age(CookieDuration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .finish()
}

/// What templates need to show the ZIP box and the visitor's people.
pub fn insert_context(ctx: &mut Context, vz: &VisitorZip, answer: Option<&RepsAnswer>) {
    let (typed, error) = match vz {
        VisitorZip::Invalid(raw, msg) => (raw.clone(), Some(msg.clone())),
        other => (other.zip().map(Zip::to_string).unwrap_or_default(), None),
    };
    ctx.insert("zip_value", &typed);
    ctx.insert("zip_error", &error);
    ctx.insert("zip_known", &vz.zip().map(Zip::to_string));
    ctx.insert("zip_remembered", &matches!(vz, VisitorZip::Remembered(_)));
    // The cookie is set only for a ZIP code that was found.
    ctx.insert(
        "zip_saved",
        &(answer.is_some() || matches!(vz, VisitorZip::Remembered(_))),
    );
    ctx.insert("reps", &answer);
    if let Some(a) = answer {
        ctx.insert(
            "reps_state_names",
            &a.states
                .iter()
                .map(|s| lookup::state_name(s).to_string())
                .collect::<Vec<_>>(),
        );
    }
}

/// Sets the cookie on a response when the ZIP code was given and found.
pub fn with_cookie(mut res: HttpResponse, vz: &VisitorZip, found: bool) -> HttpResponse {
    if let (VisitorZip::Given(z), true) = (vz, found) {
        let _ = res.add_cookie(&remember(z));
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-store"),
        );
    }
    res.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Cookie"));
    res
}

/// `/reps?zip=`: that ZIP code's senators and representative(s).
pub async fn reps_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ZipQuery>,
) -> Result<HttpResponse, WebError> {
    let (vz, answer) = for_request(&state, &req, query.zip.as_deref()).await?;
    let mut ctx = Context::new();
    insert_context(&mut ctx, &vz, answer.as_ref());
    ctx.insert("here", "/reps");
    let found = answer.is_some();
    Ok(with_cookie(page("reps.html", &ctx)?, &vz, found))
}

/// Where "forget my ZIP code" goes back to: a path on this site only.
#[derive(Debug, Deserialize)]
pub struct ForgetQuery {
    next: Option<String>,
}

/// `/zip/forget?next=/path`: removes the remembered ZIP code and goes back.
pub async fn forget(query: web::Query<ForgetQuery>) -> HttpResponse {
    let next = query
        .next
        .as_deref()
        .and_then(super::redirect::safe_next)
        .unwrap_or_else(|| "/".into());
    // Drop any ?zip= from the way back, or it would be remembered again.
    let next = strip_zip(&next);
    let mut gone = Cookie::build(ZIP_COOKIE, "").path("/").finish();
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(gone)
        .finish()
}

fn strip_zip(path: &str) -> String {
    let Some((base, q)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = q
        .split('&')
        .filter(|p| !p.starts_with("zip=") && !p.is_empty())
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// `GET /api/v1/reps?zip=NNNNN`: the ZIP code's districts and legislators.
#[utoipa::path(
    get,
    path = "/api/v1/reps",
    params(("zip" = String, Query, description = "A five-digit ZIP code (ZIP+4 accepted)")),
    responses(
        (status = 200, description = "The ZIP code's districts and legislators", body = RepsAnswer),
        (status = 404, description = "No district is known for this ZIP code", body = super::openapi::ErrorBody),
        (status = 422, description = "Missing or malformed ZIP code", body = super::openapi::ErrorBody)
    ),
    tag = "representatives"
)]
pub async fn reps_json(
    state: web::Data<AppState>,
    query: web::Query<ZipQuery>,
) -> Result<HttpResponse, WebError> {
    let raw = query.zip.as_deref().map(str::trim).unwrap_or("");
    if raw.is_empty() {
        return Err(WebError::invalid(
            "zip",
            "a ZIP code is required, like ?zip=20500",
        ));
    }
    let zip = Zip::parse(raw).map_err(|e| WebError::invalid("zip", e.to_string()))?;
    match resolve(&state, &zip).await? {
        Some(a) => Ok(HttpResponse::Ok().json(a)),
        None => Err(WebError::NotFound(format!("district for ZIP code {zip}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgetting_drops_the_zip_from_the_way_back() {
        assert_eq!(strip_zip("/actions/x?zip=20500"), "/actions/x");
        assert_eq!(
            strip_zip("/actions/x?lang=es&zip=20500"),
            "/actions/x?lang=es"
        );
        assert_eq!(strip_zip("/reps"), "/reps");
    }
}
