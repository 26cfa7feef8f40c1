//! The hot path: rendered public pages kept in memory, keyed by path and query under the
//! content version that every write bumps, each with an ETag (`If-None-Match` → 304).
//!
//! Anonymous GETs of public pages are cached and shared: nothing under `/admin` or `/api`,
//! no request carrying a cookie or a `zip`, no response that sets a cookie or says
//! `Cache-Control: private`/`no-store`, nothing but 200s. Visitor pages personalised only
//! by a ZIP code (`?zip=` or the `zip` cookie) are kept apart, keyed by path, query and
//! remembered ZIP, and replayed with the headers they were answered with (their
//! `Set-Cookie`, `private, no-store`), without an ETag.
//!
//! The content version lives in the database (other processes — the CLI, a second
//! server — write there too). Reading it on every request would cost a query, so it is
//! re-read at most every [`POLL`] — except for a while after this process itself bumped
//! it, when every request re-reads it, so an edit shows at once (the bump is only visible
//! to readers once its transaction commits).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::RwLock;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::db::{settings, Db};

/// How stale the known content version may get when this process has not written.
pub const POLL: u64 = 500;
/// How long after a local write every request re-reads the version (milliseconds).
const AFTER_LOCAL_WRITE: u64 = 3_000;
/// Most pages kept per content version (search queries are unbounded).
const MAX_ENTRIES: usize = 2_000;
/// Largest page kept.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// A rendered page.
struct Entry {
    body: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
    /// For a personalised page: the headers it was answered with (its `Set-Cookie`,
    /// `Cache-Control: private, no-store`, `Vary`), replayed as they were.
    personal: Option<Vec<(header::HeaderName, HeaderValue)>>,
}

struct Pages {
    version: i64,
    map: HashMap<String, Entry>,
}

/// The page cache of one running application.
pub struct PageCache {
    db: Db,
    pages: RwLock<Pages>,
    known_version: AtomicI64,
    checked_at: AtomicU64,
    /// Requests answered from memory.
    pub hits: AtomicU64,
    /// Cacheable requests that had to render.
    pub misses: AtomicU64,
}

impl PageCache {
    /// An empty cache over this database.
    pub fn new(db: Db) -> PageCache {
        PageCache {
            db,
            pages: RwLock::new(Pages {
                version: -1,
                map: HashMap::new(),
            }),
            known_version: AtomicI64::new(-1),
            checked_at: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The content version, re-read from the database when it may have moved.
    pub async fn version(&self) -> crate::db::Result<i64> {
        let now = settings::unix_millis();
        let bump = settings::last_local_bump_ms();
        let local_write = bump != 0 && now.saturating_sub(bump) < AFTER_LOCAL_WRITE;
        let checked = self.checked_at.load(Ordering::Acquire);
        let known = self.known_version.load(Ordering::Acquire);
        if known >= 0 && !local_write && now.saturating_sub(checked) < POLL {
            return Ok(known);
        }
        let v = self.db.run(settings::content_version).await?;
        self.known_version.store(v, Ordering::Release);
        self.checked_at.store(now, Ordering::Release);
        Ok(v)
    }

    /// The content version last read (without asking the database).
    pub fn known_version(&self) -> i64 {
        self.known_version.load(Ordering::Acquire)
    }

    /// How many pages are kept.
    pub fn len(&self) -> usize {
        self.pages.read().map_or(0, |p| p.map.len())
    }

    /// True when no page is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, key: &str, version: i64) -> Option<(Bytes, HeaderValue, HeaderValue)> {
        let pages = self.pages.read().ok()?;
        if pages.version != version {
            return None;
        }
        pages
            .map
            .get(key)
            .filter(|e| e.personal.is_none())
            .map(|e| (e.body.clone(), e.etag.clone(), e.content_type.clone()))
    }

    fn get_personal(&self, key: &str, version: i64) -> Option<HttpResponse> {
        let pages = self.pages.read().ok()?;
        if pages.version != version {
            return None;
        }
        let e = pages.map.get(key)?;
        let mut res = HttpResponse::Ok();
        for (name, value) in e.personal.as_ref()? {
            res.append_header((name.clone(), value.clone()));
        }
        Some(
            res.insert_header((header::CONTENT_TYPE, e.content_type.clone()))
                .body(e.body.clone()),
        )
    }

    fn put(&self, key: String, version: i64, entry: Entry) {
        let Ok(mut pages) = self.pages.write() else {
            return;
        };
        if pages.version < version {
            pages.version = version;
            pages.map.clear();
        }
        if pages.version == version && pages.map.len() < MAX_ENTRIES {
            pages.map.insert(key, entry);
        }
    }
}

/// A strong ETag for these bytes.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    HeaderValue::from_str(&format!("\"{}\"", &hex::encode(digest)[..20])).expect("hex is ASCII")
}

/// True when `If-None-Match` names this ETag (or is `*`).
pub fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let want = etag.to_str().unwrap_or("");
    inm.split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == want)
}

/// Public pages whose bytes are the same for every anonymous visitor.
fn cacheable_path(path: &str) -> bool {
    matches!(
        path,
        "/" | "/hotlines" | "/updates" | "/search" | "/feed.atom" | "/events.ics" | "/reps"
    ) || path.starts_with("/campaigns/")
        || path.starts_with("/actions/")
}

/// Whether this request may be answered from, or stored into, the cache.
fn cacheable(req: &ServiceRequest) -> bool {
    req.method() == Method::GET
        && cacheable_path(req.path())
        && !req.headers().contains_key(header::COOKIE)
        && !req.headers().contains_key(header::AUTHORIZATION)
        && !req
            .query_string()
            .split('&')
            .any(|kv| kv == "zip" || kv.starts_with("zip="))
}

fn respond(
    req: ServiceRequest,
    body: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
) -> ServiceResponse<BoxBody> {
    let fresh = not_modified(req.headers(), &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    let res = if fresh {
        res.finish()
    } else {
        res.insert_header((header::CONTENT_TYPE, content_type))
            .body(body)
    };
    req.into_response(res)
}

/// A rendered answer's request, body bytes (at most [`MAX_BODY`]) and content type — or,
/// when the body cannot be read, a 500 to send instead.
async fn collect(
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<(HttpRequest, Bytes, HeaderValue), ServiceResponse<BoxBody>> {
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
    let (req, res) = res.into_parts();
    match body::to_bytes_limited(res.into_body(), MAX_BODY).await {
        Ok(Ok(bytes)) => Ok((req, bytes, content_type)),
        _ => Err(ServiceResponse::new(
            req,
            HttpResponse::InternalServerError().finish(),
        )),
    }
}

/// The cache key of a page personalised only by a ZIP code (from `?zip=` or the `zip`
/// cookie): its path and query plus the remembered ZIP. `None` for any other request —
/// another cookie, a token, a method other than GET, a page that is not a visitor page.
fn personal_key(req: &ServiceRequest) -> Option<String> {
    let path = req.path();
    if req.method() != Method::GET
        || !(path.starts_with("/actions/") || path == "/reps")
        || req.headers().contains_key(header::AUTHORIZATION)
    {
        return None;
    }
    let mut remembered = String::new();
    for value in req.headers().get_all(header::COOKIE) {
        for pair in value.to_str().ok()?.split(';') {
            match pair.trim().split_once('=') {
                Some((super::visitor::ZIP_COOKIE, zip)) => remembered = zip.to_string(),
                _ => return None,
            }
        }
    }
    let query = req.query_string();
    let zip_in_query = query.split('&').any(|kv| kv.starts_with("zip="));
    (zip_in_query || !remembered.is_empty()).then(|| format!("{path}?{query}|zip={remembered}"))
}

/// Personalised visitor pages: the same ZIP (and query) gives the same bytes until the
/// next change, so they are kept too, with the headers they were answered with.
async fn personal(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    cache: web::Data<PageCache>,
    key: String,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Ok(version) = cache.version().await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if let Some(res) = cache.get_personal(&key, version) {
        cache.hits.fetch_add(1, Ordering::Relaxed);
        return Ok(req.into_response(res));
    }
    cache.misses.fetch_add(1, Ordering::Relaxed);
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK {
        return Ok(res.map_into_boxed_body());
    }
    let kept: Vec<_> = [header::SET_COOKIE, header::CACHE_CONTROL, header::VARY]
        .iter()
        .flat_map(|name| {
            res.headers()
                .get_all(name)
                .map(|v| (name.clone(), v.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let (req, bytes, content_type) = match collect(res).await {
        Ok(parts) => parts,
        Err(failed) => return Ok(failed),
    };
    cache.put(
        key.clone(),
        version,
        Entry {
            body: bytes,
            etag: HeaderValue::from_static("\"personal\""),
            content_type,
            personal: Some(kept),
        },
    );
    let res = cache
        .get_personal(&key, version)
        .unwrap_or_else(|| HttpResponse::InternalServerError().finish());
    Ok(ServiceResponse::new(req, res))
}

/// The middleware: answers from memory when it can, else renders, keeps and answers.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let cache = match req.app_data::<web::Data<PageCache>>() {
        Some(c) if cacheable(&req) => c.clone(),
        Some(c) => match personal_key(&req) {
            Some(key) => {
                let c = c.clone();
                return personal(req, next, c, key).await;
            }
            None => return Ok(next.call(req).await?.map_into_boxed_body()),
        },
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let Ok(version) = cache.version().await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    if let Some((body, etag, content_type)) = cache.get(&key, version) {
        cache.hits.fetch_add(1, Ordering::Relaxed);
        return Ok(respond(req, body, etag, content_type));
    }
    cache.misses.fetch_add(1, Ordering::Relaxed);
    let res = next.call(req).await?;
    let keep = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && !res
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("private") || v.contains("no-store"));
    if !keep {
        return Ok(res.map_into_boxed_body());
    }
    let (req, bytes, content_type) = match collect(res).await {
        Ok(parts) => parts,
        Err(failed) => return Ok(failed),
    };
    let etag = etag_of(&bytes);
    cache.put(
        key,
        version,
        Entry {
            body: bytes.clone(),
            etag: etag.clone(),
            content_type: content_type.clone(),
            personal: None,
        },
    );
    Ok(respond(
        ServiceRequest::from_request(req),
        bytes,
        etag,
        content_type,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = etag_of(b"page");
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &etag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{}", etag.to_str().unwrap())).unwrap(),
        );
        assert!(not_modified(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!not_modified(&h, &etag));
    }

    #[test]
    fn only_public_pages_are_cacheable() {
        for p in [
            "/",
            "/actions/call-ice",
            "/campaigns/x/feed.atom",
            "/events.ics",
        ] {
            assert!(cacheable_path(p), "{p}");
        }
        for p in [
            "/admin",
            "/api/v1/actions",
            "/metrics",
            "/healthz",
            "/subscribe",
        ] {
            assert!(!cacheable_path(p), "{p}");
        }
    }
}
