//! Digest benchmark, run on demand by `scripts/bench-digest.sh` (never by `cargo test`).
//!
//! Seeds SUBSCRIBERS confirmed subscribers (default 100,000), then for each of ROUNDS
//! rounds makes CHANGES change-log entries (default 20: actions published, edited and
//! expired, dated updates posted) and, side by side against one loopback SMTP sink:
//! - runs the real `actiondesk digest run` binary (cargo builds it beside the bench) under `/usr/bin/time`, which
//!   composes every digest into the outbox and delivers it, and takes its wall time, its
//!   messages per second and its peak RSS;
//! - runs a bare lettre loop that sends one pre-rendered digest (taken from that run's
//!   outbox) as many times, over as many connections as the run uses (`SMTP_POOL_SIZE`),
//!   each a `TCP_NODELAY` socket as actiondesk's; and, for reference, lettre's own pooled
//!   transport, which leaves Nagle on (fewer messages: it is slow).
//!
//! Prints each round and the medians. Environment: BIN, SUBSCRIBERS, CHANGES, ROUNDS,
//! SMTP_POOL_SIZE, BENCH_DATABASE_URL (default: a fresh SQLite file in a temporary folder;
//! a `postgres://` URL must name an empty database). With HOLD set it only seeds the
//! subscribers and one round of changes, prints `SINK_PORT=…` and keeps the sink up until
//! killed (scripts/bench-spike.sh sends a digest run there while it measures pages).

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actiondesk::db::actions::{self, ActionInput};
use actiondesk::db::campaigns::{self, CampaignInput};
use actiondesk::db::schema::{outbox, subscribers as subs};
use actiondesk::db::updates::{self, UpdateInput};
use actiondesk::db::{self, subscribers, write_tx, Actor, DatabaseUrl, Db, DbConn};
use actiondesk::domain::text::Checked;
use actiondesk::domain::{ActionKind, EmailAddress, Frequency, Slug, Transition};
use diesel::prelude::*;
use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The allocator actiondesk's binary uses, so the bare loop is measured on the same one.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    match std::env::var(key) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{key}={v:?} is not a valid value")),
        Err(_) => default,
    }
}

/// What the sink has accepted: messages and bytes.
#[derive(Default)]
struct SinkCount {
    messages: AtomicU64,
    bytes: AtomicU64,
}

/// A loopback SMTP server that accepts every message and keeps only a count. It speaks
/// just enough ESMTP for lettre and actiondesk (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT,
/// PIPELINING).
async fn sink(listener: tokio::net::TcpListener, count: Arc<SinkCount>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let count = count.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::with_capacity(64 * 1024, r);
            let mut line = Vec::with_capacity(1024);
            // Replies wait while pipelined commands are still buffered, and go in one write
            // (as Postfix does); a client that waits for each reply gets each at once.
            let mut out: Vec<u8> = b"220 sink ESMTP\r\n".to_vec();
            loop {
                if r.buffer().is_empty() && !out.is_empty() {
                    if w.write_all(&out).await.is_err() {
                        return;
                    }
                    out.clear();
                }
                line.clear();
                match r.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let verb = line
                    .get(..4)
                    .map(|v| v.to_ascii_uppercase())
                    .unwrap_or_default();
                match &verb[..] {
                    b"EHLO" => out.extend_from_slice(
                        b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                    ),
                    b"HELO" | b"MAIL" | b"RCPT" | b"RSET" | b"NOOP" => {
                        out.extend_from_slice(b"250 OK\r\n")
                    }
                    b"QUIT" => {
                        out.extend_from_slice(b"221 bye\r\n");
                        let _ = w.write_all(&out).await;
                        return;
                    }
                    b"DATA" => {
                        out.extend_from_slice(b"354 go ahead\r\n");
                        if w.write_all(&out).await.is_err() {
                            return;
                        }
                        out.clear();
                        let mut size = 0u64;
                        loop {
                            line.clear();
                            match r.read_until(b'\n', &mut line).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => size += n as u64,
                            }
                            if line == b".\r\n" {
                                break;
                            }
                        }
                        count.messages.fetch_add(1, Ordering::Relaxed);
                        count.bytes.fetch_add(size, Ordering::Relaxed);
                        out.extend_from_slice(b"250 OK queued\r\n");
                    }
                    _ => out.extend_from_slice(b"502 not implemented\r\n"),
                }
            }
        });
    }
}

fn actor() -> Actor {
    Actor {
        organizer_id: None,
        name: "bench@example.org".into(),
        at: db::now(),
    }
}

fn action(campaign_id: i32, title: &str) -> ActionInput {
    ActionInput {
        summary: "Call and ask what they are doing about it.".checked(),
        body: "Families are being separated at the border. **Call today**, and again \
               tomorrow: offices count calls."
            .checked(),
        tags: vec!["families".checked()],
        ..ActionInput::new(campaign_id, ActionKind::Call, title.checked())
    }
}

/// Two campaigns, and `n` confirmed subscribers following every campaign, immediately.
fn seed(conn: &mut DbConn, n: usize) -> db::Result<Vec<i32>> {
    let t = actor();
    let mut camps = Vec::new();
    for (slug, title) in [
        ("families-belong-together", "Families Belong Together"),
        ("where-are-the-children", "#WhereAreTheChildren"),
    ] {
        let input = CampaignInput {
            slug: Slug::parse(slug).unwrap(),
            title: title.checked(),
            summary: "How to help, kept current.".checked(),
            body: Default::default(),
            timezone: None,
        };
        // A database that already has the campaign (the spike bench's demo) keeps it.
        let id = match campaigns::find(conn, slug)? {
            Some(c) => c.id,
            None => write_tx(conn, |c| campaigns::create(c, &input, &t))?.id,
        };
        camps.push(id);
    }
    let mut i = 0;
    while i < n {
        let end = (i + 5000).min(n);
        write_tx(conn, |conn| {
            for k in i..end {
                let email = EmailAddress::parse(&format!("subscriber{k}@example.org")).unwrap();
                let subscribers::Subscribed::Confirm { token, .. } =
                    subscribers::subscribe(conn, &email, &[], Frequency::Immediate, db::now())?
                else {
                    panic!("a new address");
                };
                subscribers::confirm(conn, &token, db::now())?.expect("confirms");
            }
            Ok::<_, db::Error>(())
        })?;
        i = end;
    }
    Ok(camps)
}

/// Publishes the actions this round edits and expires, moves every subscriber past them,
/// then makes `n` changes: about half new actions, a quarter edits, the rest expiries and
/// dated updates.
fn changes(conn: &mut DbConn, camps: &[i32], round: usize, n: usize) -> db::Result<()> {
    let t = actor();
    let edits = n / 4;
    let expiries = (n - n / 2 - edits).div_ceil(2);
    let posts = n - n / 2 - edits - expiries;
    let mut old = Vec::new();
    write_tx(conn, |conn| {
        for k in 0..edits + expiries {
            let c = camps[k % camps.len()];
            let a = actions::create(
                conn,
                &action(c, &format!("Round {round}: call {k}")),
                None,
                &t,
            )?;
            actions::transition(conn, a.id, Transition::Publish, &t)?;
            old.push((a.id, c));
        }
        Ok::<_, db::Error>(())
    })?;
    let max = db::changes::max_id(conn)?;
    diesel::update(subs::table)
        .set(subs::last_change_id.eq(max))
        .execute(conn)?;
    write_tx(conn, |conn| {
        for k in 0..n / 2 {
            let c = camps[k % camps.len()];
            let title = format!("Round {round}: new action {k}");
            let a = actions::create(conn, &action(c, &title), None, &t)?;
            actions::transition(conn, a.id, Transition::Publish, &t)?;
        }
        for (k, (id, c)) in old.iter().enumerate() {
            if k < edits {
                let mut input = action(*c, &format!("Round {round}: call {k}"));
                input.summary = format!("New deadline: Friday, round {round}.").checked();
                actions::update(conn, *id, &input, &t)?;
            } else {
                actions::transition(conn, *id, Transition::Expire, &t)?;
            }
        }
        for k in 0..posts {
            updates::post(
                conn,
                &UpdateInput {
                    campaign_id: camps[k % camps.len()],
                    title: format!("Round {round}: update {k}").checked(),
                    body: "What changed today, and where to call now.".checked(),
                    published_at: db::now(),
                    actions: vec![],
                },
                &t,
            )?;
        }
        Ok::<_, db::Error>(())
    })?;
    let made = db::changes::max_id(conn)? - max;
    assert_eq!(made as usize, n, "changes made this round");
    Ok(())
}

/// One `actiondesk digest run`: wall seconds, peak RSS in MB, its summary line, the tail
/// of its log.
fn digest_run(bin: &str, env: &[(&str, String)]) -> (f64, f64, String, String) {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(rss_file.path())
        .arg(bin)
        .args(["digest", "run"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("/usr/bin/time and the actiondesk binary run");
    let secs = start.elapsed().as_secs_f64();
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success(),
        "digest run failed: {line}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kb: f64 = std::fs::read_to_string(rss_file.path())
        .unwrap()
        .trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("peak RSS from /usr/bin/time");
    let log = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = log.lines().rev().take(5).collect();
    (secs, kb / 1024.0, line, tail.join("\n"))
}

fn envelope() -> Envelope {
    Envelope::new(
        Some("noreply@localhost".parse().unwrap()),
        vec!["subscriber0@example.org".parse().unwrap()],
    )
    .unwrap()
}

/// The bare loop: `lanes` connections of lettre's SMTP client (on `TCP_NODELAY` sockets,
/// as actiondesk opens them), each sending the one pre-rendered message over and over
/// until `n` are sent. Returns seconds.
async fn lettre_loop(port: u16, lanes: usize, raw: Arc<Vec<u8>>, n: usize) -> f64 {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..lanes {
        let (raw, next) = (raw.clone(), next.clone());
        tasks.spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            stream.set_nodelay(true).unwrap();
            let mut conn =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
                    .await
                    .unwrap();
            let e = envelope();
            while next.fetch_add(1, Ordering::Relaxed) < n as u64 {
                conn.send(&e, &raw).await.expect("the sink accepts");
            }
            let _ = conn.quit().await;
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    start.elapsed().as_secs_f64()
}

/// For reference: lettre's own pooled transport (Nagle left on), `pool` in flight.
async fn lettre_stock_loop(port: u16, pool: u32, raw: Arc<Vec<u8>>, n: usize) -> f64 {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .pool_config(PoolConfig::new().max_size(pool))
        .build();
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..pool {
        let (t, raw, next) = (transport.clone(), raw.clone(), next.clone());
        tasks.spawn(async move {
            let e = envelope();
            while next.fetch_add(1, Ordering::Relaxed) < n as u64 {
                t.send_raw(&e, &raw).await.expect("the sink accepts");
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    start.elapsed().as_secs_f64()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing else to parse.
    let bin = std::env::var("BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_actiondesk").into());
    let n: usize = env_or("SUBSCRIBERS", 100_000);
    let n_changes: usize = env_or("CHANGES", 20);
    let rounds: usize = env_or("ROUNDS", 3);
    let pool: u32 = env_or("SMTP_POOL_SIZE", 8);
    assert!(n_changes >= 4, "CHANGES must be at least 4");
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = Db::connect(&DatabaseUrl::parse(&url).expect("database URL"), 2).expect("database");
    db.migrate().expect("migrations");

    // The sink runs on a thread of its own, with one async worker.
    let count = Arc::new(SinkCount::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink_count = count.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            sink(listener, sink_count).await
        });
    });
    let client = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    let t = Instant::now();
    let camps = seed(&mut db.get().unwrap(), n).expect("seeding");
    eprintln!(
        "seeded {n} confirmed subscribers in {:.1}s on {}",
        t.elapsed().as_secs_f64(),
        if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let env: Vec<(&str, String)> = vec![
        ("DATABASE_URL", url.clone()),
        ("SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        ("SMTP_POOL_SIZE", pool.to_string()),
        // The changes are made just before each run: no quiet spell to wait for.
        ("DIGEST_QUIET_SECS", "0".into()),
        ("BASE_URL", "https://actiondesk.example.org".into()),
        ("MAIL_DIR", dir.path().join("mail").display().to_string()),
        (
            "SECRET_KEY",
            "bench-secret-key-that-is-long-enough-0123456789".into(),
        ),
        (
            "RUST_LOG",
            std::env::var("RUN_LOG").unwrap_or_else(|_| "warn".into()),
        ),
    ];

    if std::env::var("HOLD").is_ok() {
        // For scripts/bench-spike.sh: the subscribers and one round of changes are in the
        // database; say where the sink listens and keep it up until killed.
        let mut conn = db.get().unwrap();
        changes(&mut conn, &camps, 1, n_changes).expect("changes");
        drop(conn);
        println!("SINK_PORT={port}");
        use std::io::Write as _;
        std::io::stdout().flush().unwrap();
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    println!(
        "{:>5}  {:>28}  {:>9}  {:>8}  {:>9}  {:>18}  {:>18}",
        "round",
        "digest run",
        "msgs/s",
        "peak RSS",
        "avg bytes",
        "bare lettre loop",
        "lettre pool (Nagle)"
    );
    let (mut run_rates, mut loop_rates, mut seq_rates, mut rss, mut run_secs) =
        (vec![], vec![], vec![], vec![], vec![]);
    for round in 1..=rounds {
        let mut conn = db.get().unwrap();
        // Last round's rows are kept out of the way so each round starts alike.
        diesel::delete(outbox::table).execute(&mut conn).unwrap();
        changes(&mut conn, &camps, round, n_changes).expect("changes");
        drop(conn);

        let before = count.messages.load(Ordering::Relaxed);
        let bytes_before = count.bytes.load(Ordering::Relaxed);
        let (secs, mb, line, log) = digest_run(&bin, &env);
        let got = count.messages.load(Ordering::Relaxed) - before;
        let avg = (count.bytes.load(Ordering::Relaxed) - bytes_before) / got.max(1);
        assert_eq!(
            line,
            format!("digests: composed {n}, sent {n}, failed 0, pending 0"),
            "every digest composed and sent; the run's log ends:\n{log}"
        );
        assert_eq!(got as usize, n, "the sink accepted every digest");
        if std::env::var("RUN_LOG").is_ok() {
            eprintln!("{log}");
        }

        // One of this round's digests, rendered as the run sent it (its token was cleared
        // once it was sent: a fresh one of the same length takes its place).
        let mut conn = db.get().unwrap();
        let first: i32 = outbox::table
            .select(diesel::dsl::min(outbox::id))
            .first::<Option<i32>>(&mut conn)
            .unwrap()
            .expect("the run recorded digests");
        let mut m = db::outbox::get(&mut conn, first).unwrap();
        let body_id = m.body_id.expect("digests share a stored body");
        let (text, html) = db::outbox::bodies(&mut conn, &[body_id]).unwrap()[&body_id].clone();
        drop(conn);
        m.manage_token = Some(actiondesk::security::new_token());
        let shared = actiondesk::mail::shared_body::SharedBody::prepare(&text, &html);
        let from = "actiondesk <noreply@localhost>".parse().unwrap();
        let raw = Arc::new(
            actiondesk::mail::transport::build(&from, &m, Some(&shared))
                .unwrap()
                .formatted(),
        );
        // The sink counts dot-stuffed lines and the final dot: a little more than the raw.
        assert!(
            raw.len() as u64 <= avg && raw.len() as u64 * 11 / 10 >= avg,
            "the bare loop sends a digest as large as the run's ({} bytes, run: {avg})",
            raw.len()
        );
        let before = count.messages.load(Ordering::Relaxed);
        let loop_secs = client.block_on(lettre_loop(port, pool as usize, raw.clone(), n));
        assert_eq!(
            (count.messages.load(Ordering::Relaxed) - before) as usize,
            n
        );
        let seq_n = (n / 50).max(100);
        let seq_secs = client.block_on(lettre_stock_loop(port, pool, raw, seq_n));

        let (r, l, s) = (
            n as f64 / secs,
            n as f64 / loop_secs,
            seq_n as f64 / seq_secs,
        );
        println!(
            "{round:>5}  {:>28}  {r:>9.0}  {mb:>5.1} MB  {avg:>9}  {:>18}  {:>18}",
            format!("{n} in {secs:.1}s"),
            format!("{l:.0} msgs/s"),
            format!("{s:.0} msgs/s"),
        );
        run_rates.push(r);
        loop_rates.push(l);
        seq_rates.push(s);
        rss.push(mb);
        run_secs.push(secs);
    }
    let (r, l, s) = (
        median(&mut run_rates),
        median(&mut loop_rates),
        median(&mut seq_rates),
    );
    println!();
    println!(
        "median over {rounds} rounds: digest run {r:.0} msgs/s ({:.1}s for {n}, peak RSS {:.1} MB); \
         bare lettre loop ×{pool} {l:.0} msgs/s; lettre's pooled transport ×{pool} {s:.0} msgs/s",
        median(&mut run_secs),
        median(&mut rss)
    );
    println!(
        "digest run / bare lettre loop: {:.0}% (target ≥ 80%); / lettre's pooled transport: {:.0}%",
        100.0 * r / l,
        100.0 * r / s
    );
}
