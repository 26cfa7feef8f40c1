//! The hot path: rendered public pages kept in memory, keyed by path and the parts of the
//! query that change them, under the content version that every write bumps, each with an
//! ETag (`If-None-Match` → 304) and a `Cache-Control` that lets shared caches (a CDN, nginx
//! `proxy_cache`) keep them for a few seconds.
//!
//! Anonymous GETs of the pages listed in `public::CACHED` are cached and shared (the
//! middleware wraps those routes alone): no request with a token, a `zip` in the query or (on pages a ZIP code changes) a `zip`
//! cookie, no response that sets a cookie or says `private`/`no-store`, nothing but 200s.
//! Pages for a ZIP code are not kept whole: they are assembled per request from parts kept
//! per content version and the in-memory directory (see `action_page` and
//! `reps::directory`).
//!
//! The cache is bounded by bytes (`PAGE_CACHE_MB`, three eighths of it for whole pages) with
//! quick_cache's eviction: a full cache evicts, it never refuses to answer. Query
//! parameters that no page reads do not make new entries.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use sha2::{Digest, Sha256};

use super::public::visitor::CookieZip;
use super::versions::Versions;
use super::AppState;

/// Largest page kept.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// The query parameters that change a cached page (`/search?q=`, an action page's script
/// language and "report counted" notice). Others are left out of the key.
const PAGE_PARAMS: [&str; 3] = ["q", "lang", "recorded"];

/// A rendered page.
struct Entry {
    body: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    vary: Option<HeaderValue>,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<String, Arc<Entry>> for ByBytes {
    fn weight(&self, key: &String, e: &Arc<Entry>) -> u64 {
        (key.len() + e.body.len() + 256) as u64
    }
}

/// The page cache of one running application.
pub struct PageCache {
    versions: Arc<Versions>,
    pages: Cache<String, Arc<Entry>, ByBytes>,
    /// The content version the kept pages belong to.
    version: AtomicI64,
    /// Requests answered from memory.
    pub hits: AtomicU64,
    /// Cacheable requests that had to render.
    pub misses: AtomicU64,
}

impl PageCache {
    /// An empty cache of at most `bytes`, reading versions through `versions`.
    pub fn new(versions: Arc<Versions>, bytes: u64) -> PageCache {
        PageCache {
            versions,
            pages: Cache::with_weighter(1024, bytes.max(1), ByBytes),
            version: AtomicI64::new(-1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The content version last read (without asking the database).
    pub fn known_version(&self) -> i64 {
        self.versions.known().content
    }

    /// How many pages are kept.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// True when no page is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the kept pages weigh.
    pub fn weight(&self) -> u64 {
        self.pages.weight()
    }

    /// The most the kept pages may weigh.
    pub fn capacity(&self) -> u64 {
        self.pages.capacity()
    }

    /// Forgets the pages of older versions once a newer one is seen.
    fn advance(&self, version: i64) {
        let seen = self.version.fetch_max(version, Ordering::AcqRel);
        if seen < version {
            self.pages.clear();
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

/// The key of a request for a cached page (`zip`: one a ZIP code changes): its path and
/// the query parameters that change the page, or `None` when the request may not be
/// answered from, or stored into, the cache.
fn cache_key(req: &ServiceRequest, zip: bool) -> Option<String> {
    let path = req.path();
    if req.method() != Method::GET || req.headers().contains_key(header::AUTHORIZATION) {
        return None;
    }
    let mut kept = Vec::new();
    for pair in req.query_string().split('&').filter(|p| !p.is_empty()) {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        match name {
            // A ZIP code, or what the visitor typed into the script: not a shared page.
            "zip" | "name" | "city" => return None,
            n if PAGE_PARAMS.contains(&n) => kept.push(pair),
            _ => {}
        }
    }
    if zip && CookieZip::of(req.headers()) != CookieZip::None {
        return None;
    }
    Some(if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    })
}

fn respond(req: ServiceRequest, e: &Entry) -> ServiceResponse<BoxBody> {
    let fresh = not_modified(req.headers(), &e.etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, e.etag.clone()))
        .insert_header((header::CACHE_CONTROL, e.cache_control.clone()));
    if let Some(v) = &e.vary {
        res.insert_header((header::VARY, v.clone()));
    }
    let res = if fresh {
        res.finish()
    } else {
        res.insert_header((header::CONTENT_TYPE, e.content_type.clone()))
            .body(e.body.clone())
    };
    req.into_response(res)
}

/// The middleware of each page in `public::CACHED` (`zip`: one a ZIP code changes): answers
/// from memory when it can, else renders, keeps and answers.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    zip: bool,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (Some(cache), Some(key)) = (
        req.app_data::<web::Data<PageCache>>().cloned(),
        cache_key(&req, zip),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(known) = cache.versions.get().await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    cache.advance(known.content);
    let key = format!("{}|{key}", known.content);
    if let Some(e) = cache.pages.get(&key) {
        cache.hits.fetch_add(1, Ordering::Relaxed);
        return Ok(respond(req, &e));
    }
    cache.misses.fetch_add(1, Ordering::Relaxed);
    let public = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.public_cache_control());
    let res = next.call(req).await?;
    let own_control = res.headers().get(header::CACHE_CONTROL).cloned();
    let keep = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && !own_control
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("private") || v.contains("no-store"));
    // Only a body of known size that fits is kept; any other is answered as it is.
    let fits =
        matches!(res.response().body().size(), body::BodySize::Sized(n) if n as usize <= MAX_BODY);
    let (Some(public), true) = (public, keep && fits) else {
        return Ok(res.map_into_boxed_body());
    };
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
    let vary = res.headers().get(header::VARY).cloned();
    let (req, res) = res.into_parts();
    let bytes = match body::to_bytes_limited(res.into_body(), MAX_BODY).await {
        Ok(Ok(bytes)) => bytes,
        // Its size was checked above: only a failing body gets here.
        _ => {
            return Ok(ServiceResponse::new(
                req,
                HttpResponse::InternalServerError().finish(),
            ))
        }
    };
    let entry = Arc::new(Entry {
        etag: etag_of(&bytes),
        body: bytes,
        content_type,
        cache_control: own_control.unwrap_or(public),
        vary,
    });
    // A page rendered for an older version than the one now known is answered, not kept.
    if cache.version.load(Ordering::Acquire) <= known.content {
        cache.pages.insert(key, entry.clone());
    }
    Ok(respond(ServiceRequest::from_request(req), &entry))
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
}
