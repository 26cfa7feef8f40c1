//! `/metrics` in the Prometheus text format (version 0.0.4), written by hand: requests by
//! route and status with their total time, request latencies by route as a histogram,
//! page-cache hits and misses, the content version, the database pool, the digest queue
//! and the outbox by state, and counts of what is published.

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
use crate::db::{self, outbox, stats};

/// Upper bounds (seconds) of the latency histogram's buckets; `+Inf` follows.
pub const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// What is known of one route and status: how many, their total time, and how many took
/// at most each bucket's bound (not cumulative here; summed when written).
#[derive(Clone, Default)]
struct Tally {
    count: u64,
    seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request counters of one running application.
#[derive(Default)]
pub struct Metrics {
    /// (route pattern, status) → tally.
    requests: Mutex<BTreeMap<(String, u16), Tally>>,
}

impl Metrics {
    /// Counts one answered request.
    pub fn record(&self, route: &str, status: u16, seconds: f64) {
        let bucket = BUCKETS.iter().position(|b| seconds <= *b);
        if let Ok(mut m) = self.requests.lock() {
            let e = m.entry((route.to_string(), status)).or_default();
            e.count += 1;
            e.seconds += seconds;
            if let Some(i) = bucket {
                e.buckets[i] += 1;
            }
        }
    }
}

/// Writes `actiondesk_http_request_duration_seconds`, a histogram by route (the statuses
/// of a route summed).
/// A counter with one line per route pattern and status, its value from `value`.
fn write_per_route(
    text: &mut String,
    name: &str,
    help: &str,
    requests: &BTreeMap<(String, u16), Tally>,
    value: impl Fn(&Tally) -> String,
) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} counter");
    for ((route, status), t) in requests {
        let r = escape_label(route);
        let v = value(t);
        let _ = writeln!(text, "{name}{{route=\"{r}\",status=\"{status}\"}} {v}");
    }
}

fn write_histogram(text: &mut String, requests: &BTreeMap<(String, u16), Tally>) {
    let mut by_route: BTreeMap<&str, Tally> = BTreeMap::new();
    for ((route, _), t) in requests {
        let e = by_route.entry(route.as_str()).or_default();
        e.count += t.count;
        e.seconds += t.seconds;
        for (sum, n) in e.buckets.iter_mut().zip(t.buckets) {
            *sum += n;
        }
    }
    const NAME: &str = "actiondesk_http_request_duration_seconds";
    let _ = writeln!(
        text,
        "# HELP {NAME} Time to answer a request, by route pattern.\n# TYPE {NAME} histogram"
    );
    for (route, t) in &by_route {
        let r = escape_label(route);
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(t.buckets) {
            cumulative += n;
            let _ = writeln!(
                text,
                "{NAME}_bucket{{route=\"{r}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            text,
            "{NAME}_bucket{{route=\"{r}\",le=\"+Inf\"}} {}\n\
             {NAME}_sum{{route=\"{r}\"}} {:.6}\n{NAME}_count{{route=\"{r}\"}} {}",
            t.count, t.seconds, t.count
        );
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
    let (counts, outbox) = state
        .db
        .run(|conn| -> crate::db::Result<_> { Ok((stats::counts(conn)?, outbox::counts(conn)?)) })
        .await?;
    let in_outbox = |status: &str| {
        outbox
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    };
    let requests = metrics
        .as_ref()
        .and_then(|m| m.requests.lock().ok().map(|m| m.clone()))
        .unwrap_or_default();
    let mut text = String::new();
    write_per_route(
        &mut text,
        "actiondesk_http_requests_total",
        "HTTP requests answered, by route pattern and status.",
        &requests,
        |t| t.count.to_string(),
    );
    write_per_route(
        &mut text,
        "actiondesk_http_request_duration_seconds_total",
        "Time spent answering, by route pattern and status.",
        &requests,
        |t| format!("{:.6}", t.seconds),
    );
    write_histogram(&mut text, &requests);
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
            "The most the kept pages may weigh (three eighths of PAGE_CACHE_MB).",
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
            "actiondesk_db_pool_in_use_connections",
            "gauge",
            "Database connections in use (open less idle).",
            open.saturating_sub(idle).to_string(),
        ),
        (
            "actiondesk_digest_queue_depth",
            "gauge",
            "Messages in the outbox still to send (pending or being sent).",
            (in_outbox("pending") + in_outbox("sending")).to_string(),
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
    text.push_str(
        "# HELP actiondesk_memory_cache_bytes What each in-memory cache holds, by the weight \
         it is bounded by (PAGE_CACHE_MB shared: pages 3/8, action data and skeletons 1/4, ZIP \
         parts 1/4, the texts those parts share 1/8).\n\
         # TYPE actiondesk_memory_cache_bytes gauge\n",
    );
    let (data, skeletons) = state.action_pages.weights();
    for (cache, n) in [
        ("pages", bytes),
        ("action_data", data),
        ("action_skeletons", skeletons),
        ("zip_parts", state.zip_parts.weight()),
        ("zip_texts", state.zip_parts.interned_bytes() as u64),
    ] {
        let _ = writeln!(
            text,
            "actiondesk_memory_cache_bytes{{cache=\"{cache}\"}} {n}"
        );
    }
    let _ = write!(
        text,
        "# HELP actiondesk_memory_sqlite_bytes What the embedded SQLite holds (page caches, \
         schemas, statements; every connection), now and at its highest.\n\
         # TYPE actiondesk_memory_sqlite_bytes gauge\n\
         actiondesk_memory_sqlite_bytes{{at=\"now\"}} {}\n\
         actiondesk_memory_sqlite_bytes{{at=\"highest\"}} {}\n",
        db::sqlite_memory::used(),
        db::sqlite_memory::highwater(),
    );
    text.push_str(
        "# HELP actiondesk_outbox_messages Messages in the outbox by state: pending, sending, \
         sent, failed (given up) and cancelled (suppressed: the subscriber left first).\n\
         # TYPE actiondesk_outbox_messages gauge\n",
    );
    for status in ["pending", "sending", "sent", "failed", "cancelled"] {
        let n = in_outbox(status);
        let _ = writeln!(
            text,
            "actiondesk_outbox_messages{{status=\"{status}\"}} {n}"
        );
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(text))
}
