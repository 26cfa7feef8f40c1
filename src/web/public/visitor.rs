//! What a visitor brings without an account: their ZIP code (from `?zip=`, or the `zip`
//! cookie that the ZIP form's redirect sets), resolved to senators and representative(s)
//! through the in-memory directory; the `/reps` page and `/api/v1/reps`; remembering and
//! forgetting the ZIP code; how long shared caches may keep each kind of visitor page.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::zip_parts::Seen;
use crate::domain::placeholders::Placeholders;
use crate::domain::Zip;
use crate::reps::directory::Picks;
use crate::reps::lookup::{self, RepsAnswer};
use crate::web::error::WebError;
use crate::web::ratelimit::Limiter;
use crate::web::render::render;
use crate::web::AppState;

/// The cookie remembering a visitor's ZIP code.
pub const ZIP_COOKIE: &str = "zip";

/// Visitor-facing state kept beside the database: the limiter on "I called" outcome
/// reports.
pub struct VisitorState {
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

impl VisitorState {
    /// The limits times `RATE_LIMIT_SCALE`.
    pub fn scaled(scale: u32) -> VisitorState {
        VisitorState {
            // A person in call mode reports a call every few seconds (seven calls in a
            // minute is normal); a script sending a hundred is stopped after twenty.
            outcomes: Limiter::scaled(20, std::time::Duration::from_secs(3), scale),
            checks: Default::default(),
        }
    }
}

/// `?zip=` as given, with the state districts picked (`&upper=&lower=`).
#[derive(Debug, Default, Deserialize)]
pub struct ZipQuery {
    pub zip: Option<String>,
    pub upper: Option<String>,
    pub lower: Option<String>,
}

/// The cookies remembering the state districts a visitor picked.
pub const PICK_COOKIES: [&str; 2] = ["upper", "lower"];

/// The state districts picked: from the URL, else from the cookies. The flag says whether a
/// cookie was read (the page is then the visitor's own).
pub fn picks(req: &HttpRequest, upper: Option<&str>, lower: Option<&str>) -> (Picks, bool) {
    let clean = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 100)
            .map(str::to_string)
    };
    let (mut upper, mut lower) = (clean(upper), clean(lower));
    let mut from_cookie = false;
    if upper.is_none() && lower.is_none() {
        for (name, slot) in PICK_COOKIES.iter().zip([&mut upper, &mut lower]) {
            if let Some(c) = req.cookie(name) {
                *slot = clean(Some(c.value()));
                from_cookie |= slot.is_some();
            }
        }
    }
    (Picks { upper, lower }, from_cookie)
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
    /// None given, and the cookies name more than one: shown as none, never cached.
    Ambiguous,
}

/// What the request's `zip` cookies say: the one reading that both the page cache and the
/// handlers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieZip {
    /// No `zip` cookie.
    None,
    /// One value (the same value sent twice counts as one).
    One(String),
    /// Different values, as a shared device or a planted cookie may send: trust none.
    Ambiguous,
}

impl CookieZip {
    /// Reads every `Cookie` header of the request.
    pub fn of(headers: &header::HeaderMap) -> CookieZip {
        let mut found = CookieZip::None;
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else {
                return CookieZip::Ambiguous;
            };
            for pair in text.split(';') {
                let Some((name, value)) = pair.trim().split_once('=') else {
                    continue;
                };
                if name.trim() != ZIP_COOKIE {
                    continue;
                }
                let value = value.trim().trim_matches('"');
                found = match found {
                    CookieZip::None => CookieZip::One(value.to_string()),
                    CookieZip::One(v) if v == value => CookieZip::One(v),
                    _ => return CookieZip::Ambiguous,
                };
            }
        }
        found
    }
}

impl VisitorZip {
    /// Reads `?zip=` (a blank one counts as none), else the cookie.
    pub fn of(req: &HttpRequest, given: Option<&str>) -> VisitorZip {
        match given.map(str::trim).filter(|z| !z.is_empty()) {
            Some(raw) => match Zip::parse(raw) {
                Ok(z) => VisitorZip::Given(z),
                Err(e) => VisitorZip::Invalid(raw.to_string(), e.to_string()),
            },
            None => match CookieZip::of(req.headers()) {
                CookieZip::None => VisitorZip::None,
                CookieZip::One(v) => {
                    Zip::parse(&v).map_or(VisitorZip::None, VisitorZip::Remembered)
                }
                CookieZip::Ambiguous => VisitorZip::Ambiguous,
            },
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

impl ActionQuery {
    /// True when the visitor typed their name or city: such a page is theirs alone.
    pub fn personal(&self) -> bool {
        [&self.name, &self.city]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    }
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

/// The visitor's ZIP code looked up in the directory of this version (from memory).
pub async fn resolve(
    state: &AppState,
    vz: &VisitorZip,
    picks: &Picks,
    directory_version: i64,
) -> Result<Option<RepsAnswer>, WebError> {
    let Some(zip) = vz.zip() else {
        return Ok(None);
    };
    let dir = state.directory.at(&state.db, directory_version).await?;
    Ok(dir.lookup(zip, picks))
}

/// The cookie that remembers a ZIP code for a year.
pub fn remember(zip: &Zip) -> Cookie<'static> {
    remember_value(ZIP_COOKIE, zip.as_str())
}

/// A cookie that remembers one of the visitor's answers for a year.
fn remember_value(name: &'static str, value: &str) -> Cookie<'static> {
    Cookie::build(name, value.to_string())
        .path("/")
        .max_age(CookieDuration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .finish()
}

/// What templates need to show the ZIP box and the visitor's people. `shown` replaces the
/// ZIP code where it is written (the marker of a part kept per shape).
pub fn insert_context(
    ctx: &mut Context,
    vz: &VisitorZip,
    answer: Option<&RepsAnswer>,
    shown: Option<&str>,
) {
    let known = vz.zip().map(|z| shown.unwrap_or(z.as_str()).to_string());
    let (typed, error) = match vz {
        VisitorZip::Invalid(raw, msg) => (raw.clone(), Some(msg.clone())),
        _ => (known.clone().unwrap_or_default(), None),
    };
    ctx.insert("zip_value", &typed);
    ctx.insert("zip_error", &error);
    ctx.insert("zip_known", &known);
    ctx.insert("zip_remembered", &matches!(vz, VisitorZip::Remembered(_)));
    // The cookie is set only for a ZIP code that was found.
    ctx.insert(
        "zip_saved",
        &(answer.is_some() || matches!(vz, VisitorZip::Remembered(_))),
    );
    match (answer, shown) {
        (Some(a), Some(shown)) => ctx.insert(
            "reps",
            &RepsAnswer {
                zip: shown.to_string(),
                ..a.clone()
            },
        ),
        _ => ctx.insert("reps", &answer),
    }
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

/// How a page for this visitor may be kept per shape (see [`super::zip_parts`]): `None`
/// for a malformed ZIP code, whose page shows what was typed.
pub fn seen(vz: &VisitorZip) -> Option<Seen> {
    match vz {
        VisitorZip::Given(_) => Some(Seen::Given),
        VisitorZip::Remembered(_) => Some(Seen::Remembered),
        VisitorZip::None => Some(Seen::Nothing),
        VisitorZip::Ambiguous => Some(Seen::Ambiguous),
        VisitorZip::Invalid(..) => None,
    }
}

/// Says who may keep a visitor page and for how long. A page that depends only on its URL
/// (no ZIP code, or one given in the URL) may be kept by shared caches for a few seconds;
/// one that depends on the visitor's cookie or on what they typed is theirs alone.
pub fn caching(
    state: &AppState,
    mut res: HttpResponse,
    vz: &VisitorZip,
    personal: bool,
) -> HttpResponse {
    let h = res.headers_mut();
    let control = match vz {
        _ if personal => header::HeaderValue::from_static("private, no-store"),
        VisitorZip::Ambiguous => header::HeaderValue::from_static("private, no-store"),
        VisitorZip::Remembered(_) => header::HeaderValue::from_static("private, no-cache"),
        VisitorZip::Given(_) | VisitorZip::Invalid(..) | VisitorZip::None => {
            state.settings.public_cache_control()
        }
    };
    h.insert(header::CACHE_CONTROL, control);
    // Without a ZIP code in the URL, a `zip` cookie would change the page.
    if !matches!(vz, VisitorZip::Given(_) | VisitorZip::Invalid(..)) {
        h.insert(header::VARY, header::HeaderValue::from_static("Cookie"));
    }
    res
}

/// The ZIP form's fields: the ZIP code, where to go back to, and what else the form carried.
#[derive(Debug, Deserialize)]
pub struct RememberQuery {
    zip: Option<String>,
    next: Option<String>,
    lang: Option<String>,
    name: Option<String>,
    city: Option<String>,
    upper: Option<String>,
    lower: Option<String>,
}

/// `GET /zip?zip=Z&next=/path`: the ZIP form's target. Remembers a well-formed ZIP code in a
/// cookie and goes back to the page with `?zip=` (and the form's other fields), so the page
/// itself never sets a cookie and shared caches can keep it. A malformed ZIP code is
/// remembered nowhere: the page shows what was typed and why it is wrong.
pub async fn remember_zip(query: web::Query<RememberQuery>) -> HttpResponse {
    let q = query.into_inner();
    let base = way_back(q.next.as_deref());
    let typed = q.zip.as_deref().map(str::trim).unwrap_or("");
    let zip = Zip::parse(typed).ok();
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    if !typed.is_empty() {
        params.append_pair(
            "zip",
            &zip.as_ref().map_or(typed.to_string(), Zip::to_string),
        );
    }
    for (k, v) in [
        ("lang", &q.lang),
        ("name", &q.name),
        ("city", &q.city),
        ("upper", &q.upper),
        ("lower", &q.lower),
    ] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            params.append_pair(k, v);
        }
    }
    let params = params.finish();
    let sep = if base.contains('?') { '&' } else { '?' };
    let location = if params.is_empty() {
        base
    } else {
        format!("{base}{sep}{params}")
    };
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(z) = &zip {
        res.cookie(remember(z));
        for (name, v) in PICK_COOKIES.iter().zip([&q.upper, &q.lower]) {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                res.cookie(remember_value(name, v));
            }
        }
    }
    res.finish()
}

/// `/reps?zip=`: that ZIP code's senators and representative(s), from the parts kept for
/// its shape.
pub async fn reps_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ZipQuery>,
) -> Result<HttpResponse, WebError> {
    let vz = VisitorZip::of(&req, query.zip.as_deref());
    let (picks, picked_by_cookie) = picks(&req, query.upper.as_deref(), query.lower.as_deref());
    let known = state.versions.get().await?;
    let dir = state.directory.at(&state.db, known.directory).await?;
    let reach = state.reach.at(&state.db, known.content).await?;
    let render_with = |shown: Option<&str>| {
        let answer = vz.zip().and_then(|z| dir.lookup(z, &picks)).map(|mut a| {
            reach.fill(&mut a);
            a
        });
        let mut ctx = Context::new();
        insert_context(&mut ctx, &vz, answer.as_ref(), shown);
        ctx.insert("here", "/reps");
        // Legislator blocks are split apart, to be kept once for every shape they are in.
        ctx.insert(
            "seg",
            shown.map_or("", |_| state.zip_parts.seg_marker.as_str()),
        );
        render("reps.html", &ctx)
    };
    let body = match seen(&vz) {
        Some(seen) => {
            let parts = &state.zip_parts;
            let key = (
                REPS_PAGE ^ reach.generation.rotate_left(32),
                known.directory,
                seen,
                vz.zip().and_then(|z| dir.shape(z, &picks)),
            );
            let kept = parts
                .get_or_render(key, || Ok(vec![render_with(Some(&parts.zip_marker))?]))
                .await?;
            let mut body = String::with_capacity(kept[0].len() + 64);
            kept[0].write(vz.zip().map_or("", Zip::as_str), &mut body);
            body
        }
        None => render_with(None)?,
    };
    let res = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body);
    Ok(caching(&state, res, &vz, picked_by_cookie))
}

/// The key of `/reps` among the kept parts of pages.
const REPS_PAGE: u64 = 0x7265_7073;

/// Where "forget my ZIP code" goes back to: a path on this site only.
#[derive(Debug, Deserialize)]
pub struct ForgetQuery {
    next: Option<String>,
}

/// `/zip/forget?next=/path`: removes the remembered ZIP code and goes back.
pub async fn forget(query: web::Query<ForgetQuery>) -> HttpResponse {
    let next = way_back(query.next.as_deref());
    let mut gone = Cookie::build(ZIP_COOKIE, "").path("/").finish();
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(gone)
        .finish()
}

/// Where a ZIP form or "forget" link goes back to: a path on this site (else `/`), without
/// any `?zip=` (it would be remembered again, or override the one just given).
fn way_back(next: Option<&str>) -> String {
    let next = next
        .and_then(crate::web::redirect::safe_next)
        .unwrap_or_else(|| "/".into());
    strip_zip(&next)
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
    params(("zip" = String, Query, pattern = "^[0-9]{5}(-?[0-9]{4})?$", description = "A five-digit ZIP code (ZIP+4 accepted), without spaces")),
    responses(
        (status = 200, description = "The ZIP code's districts and legislators", body = RepsAnswer),
        (status = 404, description = "No district is known for this ZIP code", body = crate::web::api::openapi::ErrorBody),
        (status = 422, description = "Missing or malformed ZIP code", body = crate::web::api::openapi::ErrorBody)
    ),
    tag = "representatives"
)]
pub async fn reps_json(
    state: web::Data<AppState>,
    query: web::Query<ZipQuery>,
) -> Result<HttpResponse, WebError> {
    let raw = query.zip.as_deref().unwrap_or("");
    if raw.trim().is_empty() {
        return Err(WebError::invalid(
            "zip",
            "a ZIP code is required, like ?zip=20500",
        ));
    }
    // As openapi.json's pattern says: the digits as written, nothing around them.
    if raw.trim() != raw {
        return Err(WebError::invalid(
            "zip",
            "has spaces around it; send the digits alone, like ?zip=20500",
        ));
    }
    let zip = Zip::parse(raw).map_err(|e| WebError::invalid("zip", e.to_string()))?;
    let known = state.versions.get().await?;
    let picks = Picks {
        upper: query.upper.clone(),
        lower: query.lower.clone(),
    };
    match resolve(
        &state,
        &VisitorZip::Given(zip.clone()),
        &picks,
        known.directory,
    )
    .await?
    {
        Some(mut a) => {
            state.reach.at(&state.db, known.content).await?.fill(&mut a);
            Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, state.settings.public_cache_control()))
                .json(a))
        }
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
