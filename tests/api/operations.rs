//! Running behind a proxy and against hostile input: client addresses from trusted proxies
//! only, same-origin redirects, security headers, body limits and timeouts, `/metrics`
//! behind a token.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{spawn_app, spawn_demo, spawn_with, Spawn, TestApp};

async fn spawn_env(env: &[(&'static str, &str)]) -> TestApp {
    spawn_with(Spawn {
        env: env.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        ..Spawn::default()
    })
    .await
}

/// POSTs a malformed subscription (422 while under the limit, 429 past it) with extra
/// headers; returns the status.
async fn subscribe_as(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    let mut r = app
        .client
        .post(format!("{}/subscribe", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("email=not-an-address");
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = spawn_env(&[("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]).await;
    let a = [("X-Forwarded-For", "203.0.113.1")];
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(subscribe_as(&app, &a).await);
    }
    assert_eq!(statuses[..10], [422; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "the 11th a minute from one client");
    // Another visitor behind the same proxy is not held by the first one's budget.
    assert_eq!(
        subscribe_as(&app, &[("X-Forwarded-For", "203.0.113.2")]).await,
        422
    );
    assert_eq!(
        subscribe_as(&app, &[("Forwarded", "for=198.51.100.7;proto=https")]).await,
        422
    );
    // What the client wrote itself (left of what the proxy appended) is not believed.
    assert_eq!(
        subscribe_as(
            &app,
            &[("X-Forwarded-For", "198.51.100.99, 203.0.113.1, 10.1.2.3")]
        )
        .await,
        429
    );
}

#[tokio::test]
async fn from_an_untrusted_peer_forwarded_headers_are_ignored() {
    // The test client connects from 127.0.0.1, which is not in the list.
    let app = spawn_env(&[("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    for i in 0..10 {
        let xff = format!("203.0.113.{i}");
        assert_eq!(
            subscribe_as(&app, &[("X-Forwarded-For", xff.as_str())]).await,
            422
        );
    }
    assert_eq!(
        subscribe_as(&app, &[("X-Forwarded-For", "198.51.100.1")]).await,
        429,
        "a new X-Forwarded-For from an untrusted peer is the same client"
    );
    assert_eq!(
        subscribe_as(&app, &[("Forwarded", "for=198.51.100.2")]).await,
        429
    );
}

async fn location_of(app: &TestApp, path: &str) -> (u16, String) {
    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), loc)
}

#[tokio::test]
async fn redirect_targets_stay_on_this_site_and_never_fail() {
    let app = spawn_app().await;
    for (next, want) in [
        ("/%09/evil.example", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("/x%0aLocation:%20https://evil.example", "/"),
        ("/%00", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("%5C%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/%09/%09/evil.example", "/"),
        ("/actions/x%3Flang%3Des%26zip%3D20500", "/actions/x?lang=es"),
        ("/hotlines", "/hotlines"),
    ] {
        let (status, loc) = location_of(&app, &format!("/zip/forget?next={next}")).await;
        assert_eq!((status, loc.as_str()), (303, want), "next={next}");
    }
    // The sign-in form keeps only organizer pages, and never a broken one.
    for (next, kept) in [
        ("%2Fadmin%2Factions", "/admin/actions"),
        ("%2Fadmin%0d%0aX:%201", "/admin"),
        ("%2Fadmin%2F%09%2Fevil.example", "/admin"),
        ("https://evil.example/admin", "/admin"),
    ] {
        let (status, page) = app.get(&format!("/admin/login?next={next}")).await;
        assert_eq!(status, 200, "next={next}");
        assert!(
            page.contains(&format!("name=\"next\" value=\"{kept}\"")),
            "next={next}: {page}"
        );
    }
}

#[tokio::test]
async fn a_sign_in_with_a_bad_next_goes_to_the_dashboard() {
    use crate::admin_support::{csrf_of, organizer, PASSWORD};
    let app = spawn_app().await;
    organizer(&app, "ana@example.org", false).await;
    for (next, want) in [
        ("/admin\r\nSet-Cookie: x=1", "/admin"),
        ("/admin\0", "/admin"),
        ("/admin/\t/evil.example", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/admin/actions", "/admin/actions"),
    ] {
        // A browser of its own each time (a signed-in one is not shown the form).
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        let page = client
            .get(format!("{}/admin/login", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = csrf_of(&page);
        let r = client
            .post(format!("{}/admin/login", app.address))
            .form(&[
                ("email", "ana@example.org"),
                ("password", PASSWORD),
                ("csrf_token", token.as_str()),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], want, "{next:?}");
    }
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

/// No inline script, style or event handler in a page (the CSP would block them).
fn assert_no_inline_code(path: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("<script") {
        let tag_end = rest[at..].find('>').unwrap() + at;
        assert!(
            rest[at..tag_end].contains(" src="),
            "{path}: inline <script>"
        );
        rest = &rest[tag_end..];
    }
    assert!(!lower.contains("<style"), "{path}: inline <style>");
    assert!(!lower.contains(" style=\""), "{path}: a style attribute");
    for handler in [
        " onclick=",
        " onload=",
        " onsubmit=",
        " onchange=",
        " onerror=",
    ] {
        assert!(!lower.contains(handler), "{path}: {handler}");
    }
    assert!(!lower.contains("javascript:"), "{path}: a javascript: URL");
}

#[tokio::test]
async fn every_answer_has_security_headers_and_html_a_policy() {
    let app = spawn_demo().await;
    for path in [
        "/",
        "/",
        "/actions/call-ice",
        "/hotlines",
        "/subscribe",
        "/admin/login",
        "/no-such-page",
    ] {
        let r = get(&app, path).await;
        let ct = header(&r, "content-type").unwrap_or_default();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        let csp = header(&r, "content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            header(&r, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(header(&r, "x-frame-options").as_deref(), Some("DENY"));
        assert!(header(&r, "referrer-policy").is_some(), "{path}");
        assert!(
            header(&r, "strict-transport-security").is_none(),
            "plain http"
        );
        let body = r.text().await.unwrap();
        assert_no_inline_code(path, &body);
    }
    let r = get(&app, "/").await;
    assert_eq!(
        header(&r, "referrer-policy").as_deref(),
        Some("strict-origin-when-cross-origin")
    );
    assert!(
        header(&r, "cache-control")
            .unwrap()
            .starts_with("public, max-age=0, s-maxage="),
        "the page cache's own Cache-Control is kept"
    );
    // Non-HTML answers: nosniff, and handlers' own headers untouched.
    for path in [
        "/api/v1/campaigns",
        "/feed.atom",
        "/static/copy.js",
        "/metrics",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(
            header(&r, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
    }
    let r = get(&app, "/metrics").await;
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
}

#[tokio::test]
async fn under_https_cookies_are_secure_and_hsts_is_sent() {
    let app = spawn_env(&[("BASE_URL", "https://actions.example.org")]).await;
    crate::reps::import_fixtures(&app).await;
    // The ZIP form's redirect remembers the ZIP code.
    let r = get(&app, "/zip?zip=98101&next=/reps").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        header(&r, "strict-transport-security").as_deref(),
        Some("max-age=31536000")
    );
    let zip = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("zip="))
        .expect("the zip cookie");
    assert!(zip.contains("Secure"), "{zip}");
    assert!(zip.contains("HttpOnly"), "{zip}");
    let r = get(&app, "/admin/login").await;
    for c in r.headers().get_all("set-cookie") {
        assert!(c.to_str().unwrap().contains("Secure"), "{c:?}");
    }
}

/// Sends raw bytes on a new connection; then reads what comes back until the server
/// closes the connection or `limit` passes. Returns the text and whether it closed.
async fn raw_exchange(
    app: &TestApp,
    head: String,
    drip: Vec<u8>,
    limit: Duration,
) -> (String, bool) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut rd, mut wr) = stream.into_split();
    wr.write_all(head.as_bytes()).await.unwrap();
    let writer = tokio::spawn(async move {
        for b in drip {
            if wr.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // Hold the connection open from our side.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(wr);
    });
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    writer.abort();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

#[tokio::test]
async fn a_drip_fed_body_is_cut_off() {
    let app = spawn_env(&[("BODY_TIMEOUT_SECS", "2")]).await;
    let started = Instant::now();
    let head = "POST /subscribe HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 200\r\n\r\n"
        .to_string();
    let (text, closed) = raw_exchange(&app, head, vec![b'a'; 200], Duration::from_secs(8)).await;
    assert!(closed, "the connection is still open after 8 s: {text:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    // The API answers in its own shape.
    let head = "POST /api/v1/actions/x/outcomes HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
        .to_string();
    let (text, closed) = raw_exchange(
        &app,
        head,
        b"{\"outcome\": ".to_vec(),
        Duration::from_secs(8),
    )
    .await;
    assert!(closed, "{text:?}");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"timeout\""), "{text}");
}

#[tokio::test]
async fn oversized_bodies_answer_413() {
    let app = spawn_demo().await;
    // The JSON API: over its 512 KiB limit, in SPEC's error shape.
    let big = format!(
        "{{\"outcome\": \"contacted\", \"x\": \"{}\"}}",
        "a".repeat(600 * 1024)
    );
    let r = app
        .client
        .post(format!("{}/api/v1/actions/call-ice/outcomes", app.address))
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "too_large", "{v}");
    // Over the limit of any route: refused from Content-Length alone.
    let huge = vec![b'a'; 2 * 1024 * 1024];
    let r = app
        .client
        .post(format!("{}/api/v1/campaigns", app.address))
        .header("Content-Type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "too_large", "{v}");
    // Forms: an HTML page.
    for (path, size) in [
        ("/subscribe", 300 * 1024),
        ("/admin/login", 40 * 1024),
        ("/actions/call-ice/outcomes", 40 * 1024),
        ("/admin/logout", 2 * 1024 * 1024),
    ] {
        let body = format!("email={}", "a".repeat(size));
        let r = app
            .client
            .post(format!("{}{path}", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 413, "{path}");
        let ct = header(&r, "content-type").unwrap_or_default();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
    }
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app = spawn_env(&[("METRICS_TOKEN", "metrics-token-0123456789")]).await;
    let r = get(&app, "/metrics").await;
    assert_eq!(r.status().as_u16(), 401);
    let text = r.text().await.unwrap();
    assert!(!text.contains("actiondesk_actions"), "{text}");
    for auth in [
        "Bearer wrong",
        "Basic bWV0cmljczp4",
        "Bearer metrics-token-012345678",
    ] {
        let r = app
            .client
            .get(format!("{}/metrics", app.address))
            .header("Authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{auth}");
    }
    let r = app
        .client
        .get(format!("{}/metrics", app.address))
        .header("Authorization", "Bearer metrics-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("actiondesk_http_requests_total"));
}

#[tokio::test]
async fn every_answer_carries_its_own_request_id() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for path in ["/", "/", "/no-such-page", "/api/v1/actions"] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            // A client's own id is not believed (nor echoed).
            .header("X-Request-Id", "client-chosen")
            .send()
            .await
            .unwrap();
        let id = header(&r, "x-request-id").unwrap_or_else(|| panic!("{path}: no X-Request-Id"));
        assert_eq!(id.len(), 36, "{path}: {id}");
        assert_ne!(id, "client-chosen");
        assert!(seen.insert(id), "{path}: an id seen before");
    }
}

/// A `serve` process logging with `LOG_FORMAT=json`: its standard error, line by line.
struct JsonServer {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl JsonServer {
    fn start() -> (JsonServer, String) {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_actiondesk"))
            .args(["serve", "--no-worker", "--no-demo", "--bind", "127.0.0.1:0"])
            .env(
                "DATABASE_URL",
                crate::helpers::fresh_database_url(dir.path()),
            )
            .env("MAIL_DIR", dir.path().join("mail"))
            .env(
                "SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "json")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let server = JsonServer {
            child,
            lines,
            _dir: dir,
        };
        let address = loop {
            let line = server
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("the server says where it serves");
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if let Some(a) = v["fields"]["address"].as_str() {
                break a.to_string();
            }
        };
        (server, address)
    }

    /// Every line logged until now, each parsed.
    fn logged(&self) -> Vec<Value> {
        std::thread::sleep(Duration::from_millis(300));
        self.lines
            .try_iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

impl Drop for JsonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn with_log_format_json_each_line_is_json_and_requests_log_their_id() {
    let (server, address) = JsonServer::start();
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for path in ["/", "/no-such-page"] {
        let r = client.get(format!("{address}{path}")).send().await.unwrap();
        ids.push((header(&r, "x-request-id").unwrap(), r.status().as_u16()));
    }
    let logged = server.logged();
    assert!(logged.iter().all(|v| v.is_object()));
    for (id, status) in ids {
        let line = logged
            .iter()
            .find(|v| v["span"]["request_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no line for request {id}: {logged:#?}"));
        assert_eq!(line["span"]["http.status_code"], status, "{line}");
        assert_eq!(line["span"]["http.method"], "GET", "{line}");
    }
}

/// `/metrics` parsed: series (name with labels) → value.
async fn scrape(app: &TestApp) -> std::collections::HashMap<String, f64> {
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn metrics_give_latency_histograms_by_route_the_digest_queue_and_the_pool() {
    use actiondesk::db::outbox::{self, Content, NewMessage};
    let app = spawn_app().await;
    app.with_db(|c| {
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(outbox::enqueue(
                c,
                &NewMessage {
                    dedupe_key: format!("test:metrics:{i}"),
                    subscriber_id: None,
                    kind: actiondesk::domain::MessageKind::Confirm,
                    first_change_id: None,
                    last_change_id: None,
                    to_addr: "ana@example.org".into(),
                    subject: "Metrics".into(),
                    content: Content::Own {
                        text: "t".into(),
                        html: "<p>h</p>".into(),
                    },
                    message_id: format!("<metrics{i}@example.org>"),
                    headers: vec![],
                },
                actiondesk::db::now(),
            )?);
        }
        outbox::mark_sent(c, &ids[..1], actiondesk::db::now())?;
        outbox::mark_failed(c, ids[1], "550 no such user", false)
    })
    .await;
    for _ in 0..3 {
        assert_eq!(app.get("/").await.0, 200);
    }
    let m = scrape(&app).await;
    let h = "actiondesk_http_request_duration_seconds";
    let count = m[&format!("{h}_count{{route=\"/\"}}")];
    assert_eq!(count, 3.0, "{m:#?}");
    assert!(m[&format!("{h}_sum{{route=\"/\"}}")] > 0.0);
    assert_eq!(m[&format!("{h}_bucket{{route=\"/\",le=\"+Inf\"}}")], count);
    let mut buckets: Vec<(f64, f64)> = m
        .iter()
        .filter_map(|(k, v)| {
            let le = k
                .strip_prefix(&format!("{h}_bucket{{route=\"/\",le=\""))?
                .strip_suffix("\"}")?;
            Some((le.parse::<f64>().unwrap_or(f64::INFINITY), *v))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(buckets.len() > 5, "{buckets:?}");
    assert!(
        buckets.windows(2).all(|w| w[0].1 <= w[1].1),
        "cumulative: {buckets:?}"
    );
    assert_eq!(m["actiondesk_digest_queue_depth"], 2.0);
    assert_eq!(m["actiondesk_outbox_messages{status=\"pending\"}"], 2.0);
    assert_eq!(m["actiondesk_outbox_messages{status=\"sent\"}"], 1.0);
    assert_eq!(m["actiondesk_outbox_messages{status=\"failed\"}"], 1.0);
    assert_eq!(m["actiondesk_outbox_messages{status=\"cancelled\"}"], 0.0);
    // What each in-memory cache holds: the home page is kept whole.
    let cache = |c: &str| m[&format!("actiondesk_memory_cache_bytes{{cache=\"{c}\"}}")];
    assert!(cache("pages") > 0.0, "{m:#?}");
    for c in ["action_data", "action_skeletons", "zip_parts", "zip_texts"] {
        assert!(cache(c) >= 0.0, "{c}");
    }
    // SQLite's own memory, outside those caches: on SQLite it holds at least the schema
    // and a page cache (the tests share one process, so on PostgreSQL it may be 0 or not).
    let sqlite_now = m["actiondesk_memory_sqlite_bytes{at=\"now\"}"];
    let sqlite_highest = m["actiondesk_memory_sqlite_bytes{at=\"highest\"}"];
    assert!(
        sqlite_highest >= sqlite_now,
        "{sqlite_highest} {sqlite_now}"
    );
    if app.database_url.starts_with("sqlite") {
        assert!(sqlite_now > 0.0, "{m:#?}");
    }
    let open = m["actiondesk_db_pool_connections"];
    let in_use = m["actiondesk_db_pool_in_use_connections"];
    assert!(
        open >= 1.0 && (0.0..=open).contains(&in_use),
        "{open} {in_use}"
    );
    // The names read before this histogram are still there.
    assert_eq!(
        m["actiondesk_http_requests_total{route=\"/\",status=\"200\"}"],
        3.0
    );
    assert!(m.contains_key(
        "actiondesk_http_request_duration_seconds_total{route=\"/\",status=\"200\"}"
    ));
}

fn action_count(conn: &mut actiondesk::db::DbConn) -> actiondesk::db::Result<i64> {
    use actiondesk::db::schema::actions;
    use diesel::{QueryDsl, RunQueryDsl};
    Ok(actions::table.count().get_result(conn)?)
}

#[tokio::test]
async fn backup_copies_a_live_sqlite_database_and_never_overwrites() {
    use crate::cli::{actiondesk, text};
    let app = spawn_demo().await;
    if !app.database_url.starts_with("sqlite") {
        return; // PostgreSQL: see the next test.
    }
    // Readers and a writer keep the server busy while the copy is taken.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut busy = Vec::new();
    for _ in 0..2 {
        let (client, address, stop) = (app.client.clone(), app.address.clone(), stop.clone());
        busy.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = client.get(format!("{address}/")).send().await.unwrap();
                assert_eq!(r.status(), 200);
                n += 1;
            }
            n
        }));
    }
    let (db, writer_stop) = (app.db.clone(), stop.clone());
    let writer = tokio::spawn(async move {
        let mut n = 0;
        while !writer_stop.load(std::sync::atomic::Ordering::Relaxed) {
            db.run(move |c| actiondesk::db::settings::set(c, "backup-test", &n.to_string()))
                .await
                .unwrap();
            n += 1;
        }
        n
    });
    let file = app.dir.path().join("copy.db");
    let file_arg = file.display().to_string();
    let (url, arg) = (app.database_url.clone(), file_arg.clone());
    let out = tokio::task::spawn_blocking(move || actiondesk(&["backup", &arg], &url, None))
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in busy {
        assert!(t.await.unwrap() > 0);
    }
    assert!(writer.await.unwrap() > 0);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("backup: "),
        "{}",
        text(&out.stdout)
    );

    let copy = actiondesk::db::Db::connect(
        &actiondesk::db::DatabaseUrl::parse(&format!("sqlite://{file_arg}")).unwrap(),
        1,
    )
    .unwrap();
    let copied = copy.run(action_count).await.unwrap();
    let live = app.with_db(action_count).await;
    assert!(live > 0);
    assert_eq!(copied, live);
    let integrity: Vec<String> = copy
        .run(|c| -> actiondesk::db::Result<_> {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Text)]
                integrity_check: String,
            }
            let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check").load(c)?;
            Ok(rows.into_iter().map(|r| r.integrity_check).collect())
        })
        .await
        .unwrap();
    assert_eq!(integrity, ["ok"]);

    // A second backup to the same file is refused and leaves the copy alone.
    let before = std::fs::read(&file).unwrap();
    let out = actiondesk(&["backup", &file_arg], &app.database_url, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn backup_on_postgresql_points_to_pg_dump() {
    use crate::cli::{actiondesk, text};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db").display().to_string();
    let out = actiondesk(
        &["backup", &file],
        "postgres://nobody@127.0.0.1:1/actiondesk",
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pg_dump"),
        "{}",
        text(&out.stderr)
    );
    assert!(!std::path::Path::new(&file).exists());
}

/// Every write operation in openapi.json, as (method, path with its `{slug}` filled in,
/// documented statuses).
async fn documented_writes(app: &TestApp) -> Vec<(String, String, Vec<String>)> {
    let doc: Value = app.get_json("/api/openapi.json").await;
    let mut writes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["post", "put", "patch", "delete"].contains(&method.as_str()) {
                let statuses = op["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect();
                writes.push((method.clone(), path.replace("{slug}", "x"), statuses));
            }
        }
    }
    assert!(writes.len() >= 8, "{writes:?}");
    writes
}

#[tokio::test]
async fn openapi_documents_the_answers_writes_give_to_bad_bodies() {
    let app = spawn_app().await;
    for (method, path, statuses) in documented_writes(&app).await {
        for s in ["408", "413"] {
            assert!(
                statuses.iter().any(|d| d == s),
                "{method} {path}: {s} undocumented"
            );
        }
        let send = |body: Vec<u8>| {
            app.client
                .request(
                    method.to_uppercase().parse().unwrap(),
                    format!("{}{path}", app.address),
                )
                .header("Content-Type", "application/json")
                .body(body)
                .send()
        };
        let over = send(vec![b' '; 1024 * 1024 + 1]).await.unwrap();
        assert_eq!(over.status(), 413, "{method} {path}");
        let not_json = send(b"{not json".to_vec()).await.unwrap().status();
        assert!(
            statuses.contains(&not_json.as_u16().to_string()),
            "{method} {path}: {not_json} for a body that is not JSON is undocumented ({statuses:?})"
        );
    }
}
