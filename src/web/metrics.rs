//! `/metrics` in the Prometheus text format (version 0.0.4), written by hand: requests by
//! route and status with their total time, page-cache hits and misses, the content
//! version, the database pool, and counts of what is published.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use subtle::ConstantTimeEq;

use super::cache::PageCache;
use super::error::WebError;
use super::AppState;
use crate::db::stats;

/// Request counters of one running application.
#[derive(Default)]
pub struct Metrics {
    /// (route pattern, status) → (count, total seconds).
    requests: Mutex<BTreeMap<(String, u16), (u64, f64)>>,
}

impl Metrics {
    /// Counts one answered request.
    pub fn record(&self, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            let e = m.entry((route.to_string(), status)).or_insert((0, 0.0));
            e.0 += 1;
            e.1 += seconds;
        }
    }
}

/// The middleware counting every request under its route pattern (never the raw path, so
/// the label set stays small).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let res = next.call(req).await?;
    if let Some(m) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        m.record(
            &route,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

/// The public routes of this module.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").get(metrics));
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Refuses (401) a request without `Authorization: Bearer METRICS_TOKEN` when that
/// variable is set; compares in constant time.
fn check_token(req: &HttpRequest, state: &AppState) -> Result<(), WebError> {
    let Some(want) = state.settings.metrics_token.as_deref() else {
        return Ok(());
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(want.as_bytes())) {
        Ok(())
    } else {
        Err(WebError::Unauthorized(
            "/metrics needs Authorization: Bearer METRICS_TOKEN".into(),
        ))
    }
}

/// `/metrics` (behind `METRICS_TOKEN` when it is set).
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: Option<web::Data<Metrics>>,
    cache: Option<web::Data<PageCache>>,
) -> Result<HttpResponse, WebError> {
    check_token(&req, &state)?;
    let counts = state.db.run(stats::counts).await?;
    let requests = metrics
        .as_ref()
        .and_then(|m| m.requests.lock().ok().map(|m| m.clone()))
        .unwrap_or_default();
    let mut text = String::from(
        "# HELP actiondesk_http_requests_total HTTP requests answered, by route pattern and status.\n\
         # TYPE actiondesk_http_requests_total counter\n",
    );
    for ((route, status), (n, _)) in &requests {
        let r = escape_label(route);
        let _ = writeln!(
            text,
            "actiondesk_http_requests_total{{route=\"{r}\",status=\"{status}\"}} {n}"
        );
    }
    text.push_str(
        "# HELP actiondesk_http_request_duration_seconds_total Time spent answering, by route pattern and status.\n\
         # TYPE actiondesk_http_request_duration_seconds_total counter\n",
    );
    for ((route, status), (_, secs)) in &requests {
        let r = escape_label(route);
        let _ = writeln!(
            text,
            "actiondesk_http_request_duration_seconds_total{{route=\"{r}\",status=\"{status}\"}} {secs:.6}"
        );
    }
    let (hits, misses, entries, known, bytes, capacity) =
        cache.as_ref().map_or((0, 0, 0, -1, 0, 0), |c| {
            (
                c.hits.load(Ordering::Relaxed),
                c.misses.load(Ordering::Relaxed),
                c.len(),
                c.known_version(),
                c.weight(),
                c.capacity(),
            )
        });
    let (open, idle) = state.db.pool_state();
    let mut gauges: Vec<(&str, &str, &str, String)> = vec![
        (
            "actiondesk_page_cache_hits_total",
            "counter",
            "Public page requests answered from memory.",
            hits.to_string(),
        ),
        (
            "actiondesk_page_cache_misses_total",
            "counter",
            "Cacheable public page requests that were rendered.",
            misses.to_string(),
        ),
        (
            "actiondesk_page_cache_entries",
            "gauge",
            "Rendered pages kept in memory.",
            entries.to_string(),
        ),
        (
            "actiondesk_page_cache_bytes",
            "gauge",
            "Bytes of rendered pages kept in memory.",
            bytes.to_string(),
        ),
        (
            "actiondesk_page_cache_capacity_bytes",
            "gauge",
            "The most the kept pages may weigh (PAGE_CACHE_MB, half of it).",
            capacity.to_string(),
        ),
        (
            "actiondesk_directory_zip_codes",
            "gauge",
            "ZIP code areas in the in-memory directory.",
            state.directory.zip_count().to_string(),
        ),
        (
            "actiondesk_content_version",
            "gauge",
            "Version of public content (every write bumps it).",
            counts.content_version.max(known).to_string(),
        ),
        (
            "actiondesk_db_pool_connections",
            "gauge",
            "Open database connections in the pool.",
            open.to_string(),
        ),
        (
            "actiondesk_db_pool_idle_connections",
            "gauge",
            "Idle database connections in the pool.",
            idle.to_string(),
        ),
        (
            "actiondesk_campaigns_active",
            "gauge",
            "Active campaigns.",
            counts.active_campaigns.to_string(),
        ),
        (
            "actiondesk_changes_last_id",
            "gauge",
            "Id of the newest change-log entry.",
            counts.last_change_id.to_string(),
        ),
    ];
    for (name, kind, help, value) in gauges.drain(..) {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    }
    text.push_str(
        "# HELP actiondesk_actions Actions by status.\n# TYPE actiondesk_actions gauge\n",
    );
    for status in ["draft", "published", "expired"] {
        let n = counts
            .actions_by_status
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(text, "actiondesk_actions{{status=\"{status}\"}} {n}");
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(text))
}
