//! SIGTERM and SIGINT, sent to the real binary: `serve` stops accepting, answers the
//! request in flight, lets the worker finish the message it is sending (marked sent) and
//! exits 0; a restart sends the rest of the digests, each once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actiondesk::db::{self, subscribers, write_tx, DbConn};
use actiondesk::domain::{EmailAddress, Frequency};
use serde_json::Value;

use crate::fixtures::{self, action, published};
use crate::helpers::spawn_app;

/// An `actiondesk serve` process, its standard error read line by line.
pub struct Served {
    pub child: Child,
    pub address: String,
    lines: std::sync::mpsc::Receiver<String>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Served {
    /// Starts `serve` on a port of its own with `env` (DATABASE_URL among them) and waits
    /// until it says where it serves.
    pub fn start(args: &[&str], env: &[(&str, String)]) -> Served {
        let dir = std::env::temp_dir();
        let mut child = Command::new(env!("CARGO_BIN_EXE_actiondesk"))
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .env("MAIL_DIR", dir.join("actiondesk-test-mail"))
            .env(
                "SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "json")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let keep = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                keep.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let address = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the server says where it serves");
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(a) = v["fields"]["address"].as_str() {
                break a.to_string();
            }
        };
        Served {
            child,
            address,
            lines,
            log,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn authority(&self) -> &str {
        self.address.trim_start_matches("http://")
    }

    /// Sends a signal (`libc::SIGTERM`, `libc::SIGINT`).
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill only sends a signal to the child we started.
        let r = unsafe { libc::kill(self.child.id() as i32, sig) };
        assert_eq!(r, 0, "kill failed");
    }

    /// Waits (at most `within`) for the process to exit; its exit code, or a panic.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "still running {within:?} after: {:#?}",
                    self.log.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything logged so far.
    pub fn logged(&self) -> String {
        while self.lines.try_recv().is_ok() {}
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls until a new connection to `authority` is refused, at most `within`.
fn refused_within(authority: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        match TcpStream::connect_timeout(&authority.parse().unwrap(), Duration::from_millis(200)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return true,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

fn blocking_get_json(address: &str, path: &str) -> Value {
    let authority = address.trim_start_matches("http://");
    let mut s = TcpStream::connect(authority).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A POST whose body is still arriving when SIGTERM comes (SIGINT alike) is answered in
/// full with 2xx; meanwhile new connections are refused; then the process exits 0.
fn a_request_in_flight_is_answered(sig: i32) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database_url(dir.path());
    let mut server = Served::start(&["--no-worker"], &[("DATABASE_URL", url)]);
    let list = blocking_get_json(&server.address, "/api/v1/actions?kind=call");
    let slug = list["items"][0]["slug"]
        .as_str()
        .expect("a demo call action");

    let body = format!("{{\"outcome\": \"contacted\"{}}}", " ".repeat(200));
    let mut s = TcpStream::connect(server.authority()).unwrap();
    write!(
        s,
        "POST /api/v1/actions/{slug}/outcomes HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let (first, rest) = body.as_bytes().split_at(20);
    s.write_all(first).unwrap();
    s.flush().unwrap();
    // The request has reached its handler, which waits for the rest of the body.
    std::thread::sleep(Duration::from_millis(300));
    server.signal(sig);
    assert!(
        refused_within(server.authority(), Duration::from_secs(5)),
        "new connections still accepted after the signal"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    s.write_all(rest).unwrap();
    let mut answer = String::new();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.read_to_string(&mut answer).unwrap();
    let status: u16 = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {answer:?}"));
    assert!((200..300).contains(&status), "{answer}");
    assert_eq!(server.wait_exit(Duration::from_secs(30)), Some(0));
    let log = server.logged();
    assert!(
        log.contains("stopping") && log.contains("\"stopped\""),
        "{log}"
    );
}

#[test]
fn sigterm_answers_the_request_in_flight_refuses_new_ones_and_exits_0() {
    a_request_in_flight_is_answered(libc::SIGTERM);
}

#[test]
fn sigint_stops_as_gracefully_as_sigterm() {
    a_request_in_flight_is_answered(libc::SIGINT);
}

/// A minimal SMTP server that keeps every message whole, and can hold its answer to the
/// end of a message's data until told to let go.
pub struct SmtpSink {
    pub port: u16,
    /// Messages whose data arrived in full (answered or not).
    pub arrived: Arc<AtomicUsize>,
    /// Messages answered 250, raw.
    pub accepted: Arc<Mutex<Vec<String>>>,
    /// While set, the answer to a message's data waits.
    pub hold: Arc<AtomicBool>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink {
            port,
            arrived: Arc::default(),
            accepted: Arc::default(),
            hold: Arc::default(),
        };
        let (arrived, accepted, hold) = (
            sink.arrived.clone(),
            sink.accepted.clone(),
            sink.hold.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let (arrived, accepted, hold) = (arrived.clone(), accepted.clone(), hold.clone());
                std::thread::spawn(move || {
                    let _ = session(conn, &arrived, &accepted, &hold);
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn accepted_count(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }

    /// Accepted messages per recipient (from the `To:` header).
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for msg in self.accepted.lock().unwrap().iter() {
            let to = msg
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap_or("?")
                .trim()
                .to_string();
            *m.entry(to).or_default() += 1;
        }
        m
    }
}

fn session(
    conn: TcpStream,
    arrived: &AtomicUsize,
    accepted: &Mutex<Vec<String>>,
    hold: &AtomicBool,
) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut input = BufReader::new(conn);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.trim().to_ascii_uppercase();
        if verb.starts_with("EHLO") {
            out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if verb.starts_with("DATA") {
            out.write_all(b"354 go on\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            arrived.fetch_add(1, Ordering::SeqCst);
            while hold.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            accepted.lock().unwrap().push(data);
            out.write_all(b"250 queued\r\n")?;
        } else if verb.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"250 ok\r\n")?;
        }
    }
}

/// `n` confirmed subscribers to everything, and a published action they are told about.
pub fn subscribers_and_news(conn: &mut DbConn, n: usize) -> db::Result<()> {
    write_tx(conn, |conn| {
        for i in 0..n {
            let email = EmailAddress::parse(&format!("s{i}@example.org")).unwrap();
            let subscribers::Subscribed::Confirm { token, .. } =
                subscribers::subscribe(conn, &email, &[], Frequency::Immediate, db::now())?
            else {
                panic!("a new address");
            };
            subscribers::confirm(conn, &token, db::now())?.expect("confirms");
        }
        let c = fixtures::campaign(conn, "alpha", "Alpha campaign")?;
        published(conn, &action(c, "News for everyone"))?;
        Ok(())
    })
}

/// Outbox rows of digests by status.
pub fn digest_statuses(conn: &mut DbConn) -> db::Result<HashMap<String, i64>> {
    use actiondesk::db::schema::outbox;
    use diesel::prelude::*;
    let rows: Vec<(String, i64)> = outbox::table
        .filter(outbox::kind.eq("digest"))
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

#[tokio::test]
async fn sigterm_mid_message_marks_it_sent_and_a_restart_sends_the_rest_once() {
    const N: usize = 6;
    let app = spawn_app().await;
    app.with_db(|c| subscribers_and_news(c, N)).await;
    let sink = SmtpSink::start();
    sink.hold.store(true, Ordering::SeqCst);
    let env = vec![
        ("DATABASE_URL", app.database_url.clone()),
        ("SMTP_URL", sink.url()),
        ("DIGEST_QUIET_SECS", "0".into()),
        ("SMTP_POOL_SIZE", "1".to_string()),
        ("DIGEST_INTERVAL_SECS", "1".to_string()),
        ("MAIL_CLAIM_LEASE_SECS", "600".to_string()),
    ];
    let mut server = tokio::task::spawn_blocking({
        let env = env.clone();
        move || Served::start(&["--no-demo"], &env)
    })
    .await
    .unwrap();
    // The worker's first run is sending its first digest; the sink holds the answer.
    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.arrived.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "{}", server.logged());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.signal(libc::SIGTERM);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited without waiting for the message being sent"
    );
    sink.hold.store(false, Ordering::SeqCst);
    let code = tokio::task::spawn_blocking(move || {
        let code = server.wait_exit(Duration::from_secs(30));
        (code, server.logged())
    })
    .await
    .unwrap();
    assert_eq!(code.0, Some(0), "{}", code.1);
    assert_eq!(
        sink.accepted_count(),
        1,
        "only the message in flight was sent"
    );
    let statuses = app.with_db(digest_statuses).await;
    assert_eq!(statuses.get("sent"), Some(&1), "{statuses:?}");
    assert_eq!(
        statuses.get("sending"),
        None,
        "claims handed back: {statuses:?}"
    );

    // A restart sends the rest: every subscriber gets exactly one digest.
    let out = Command::new(env!("CARGO_BIN_EXE_actiondesk"))
        .args(["digest", "run"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env(
            "SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789",
        )
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(out.status.success(), "{line}");
    assert!(line.ends_with("failed 0, pending 0"), "{line}");
    let got = sink.per_recipient();
    assert_eq!(got.len(), N, "{got:?}");
    assert!(got.values().all(|n| *n == 1), "{got:?}");
    let statuses = app.with_db(digest_statuses).await;
    assert_eq!(statuses.get("sent"), Some(&(N as i64)), "{statuses:?}");
}
