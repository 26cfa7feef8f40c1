//! The sender: claims outbox rows a batch at a time (the next batch while this one is being
//! sent), sends them over the one transport with one sender per connection, and marks each
//! sent right after the server accepted it.
//! Transient failures come back later with backoff; permanent ones count as bounces.
//! [`run_once`] is one digest run: compose what is due, deliver, record the run.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::Duration;
use tokio::sync::{mpsc, Mutex};

use super::transport::{Mailer, SendError};
use super::{compose, Result};
use crate::config::Settings;
use crate::db::{self, outbox, subscribers, Db, DbConn};

/// Runs blocking database work off the async threads.
pub async fn blocking<T, F>(db: &Db, f: F) -> Result<T>
where
    F: FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get()?;
        f(&mut conn)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// A name for this process's claims: host, process id and a random part.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &crate::security::new_token()[..8]
    )
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
}

enum Outcome {
    Sent(i32),
    Failed(i32, SendError),
    /// Not sent: its claim had grown too old to trust (another worker may take it over).
    Released(i32, chrono::NaiveDateTime),
}

/// Sends every message that is due (or only message `only`), until none is left.
pub async fn deliver(
    db: &Db,
    settings: &Settings,
    mailer: &Mailer,
    worker: &str,
    only: Option<i32>,
) -> Result<Delivered> {
    deliver_while(db, settings, mailer, worker, only, None).await
}

/// [`deliver`], and while `composing` is set, waits for more rather than stopping when
/// nothing is due: digests are sent while the rest are still being composed.
async fn deliver_while(
    db: &Db,
    settings: &Settings,
    mailer: &Mailer,
    worker: &str,
    only: Option<i32>,
    composing: Option<Arc<AtomicBool>>,
) -> Result<Delivered> {
    let parallel = mailer.parallel().max(1);
    let batch = (parallel * 4) as i64;
    let lease = Duration::from_std(settings.mail_claim_lease).unwrap_or(Duration::minutes(5));
    let retry = Duration::from_std(settings.mail_retry_base).unwrap_or(Duration::minutes(1));
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();

    // Marks outcomes as they arrive: every sent message accepted so far in one statement.
    let marker_db = db.clone();
    let marker_worker = worker.to_string();
    let marker = tokio::spawn(async move {
        let mut done = Delivered::default();
        let mut buf = Vec::new();
        while rx.recv_many(&mut buf, 512).await > 0 {
            let mut sent = Vec::new();
            let mut failed = Vec::new();
            let mut released = Vec::new();
            for o in buf.drain(..) {
                match o {
                    Outcome::Sent(id) => sent.push(id),
                    Outcome::Failed(id, e) => failed.push((id, e)),
                    Outcome::Released(id, claimed_at) => released.push((id, claimed_at)),
                }
            }
            done.sent += sent.len();
            done.failed += failed.len();
            let w = marker_worker.clone();
            let r = blocking(&marker_db, move |conn| {
                let now = db::now();
                for (id, claimed_at) in released {
                    outbox::release(conn, id, &w, claimed_at)?;
                }
                if !sent.is_empty() {
                    outbox::mark_sent(conn, &sent, now)?;
                }
                for (id, e) in failed {
                    match e {
                        SendError::Transient(m) => {
                            outbox::mark_retry(conn, id, &m, now, retry)?;
                        }
                        SendError::Permanent(m) => outbox::mark_failed(conn, id, &m, true)?,
                    }
                }
                Ok(())
            })
            .await;
            if let Err(e) = r {
                tracing::error!(error = %e, "could not record delivery outcomes");
            }
        }
        done
    });

    // The claimer keeps up to one batch queued ahead of the senders, so claiming the next
    // batch overlaps with sending this one; what waits in the queue stays well within the
    // claim lease.
    let (work_tx, work_rx) = mpsc::channel::<outbox::Message>(batch as usize);
    let claim_db = db.clone();
    let w = worker.to_string();
    let claimer = tokio::spawn(async move {
        loop {
            // Read before claiming: once composing has ended, one more claim sees it all.
            let more = composing
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Acquire));
            let w = w.clone();
            let claimed = blocking(&claim_db, move |conn| {
                Ok(outbox::claim(
                    conn,
                    &w,
                    if only.is_some() { 1 } else { batch },
                    db::now(),
                    lease,
                    only,
                )?)
            })
            .await?;
            if claimed.is_empty() {
                if more {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
                return Ok(());
            }
            for m in claimed {
                if work_tx.send(m).await.is_err() {
                    return Ok(());
                }
            }
            if only.is_some() {
                return Ok(());
            }
        }
    });

    // One sender per connection: each takes the next claimed message, sends it, reports.
    let work_rx = Arc::new(Mutex::new(work_rx));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..parallel {
        let (work_rx, mailer, tx) = (work_rx.clone(), mailer.clone(), tx.clone());
        senders.spawn(async move {
            loop {
                let next = work_rx.lock().await.recv().await;
                let Some(m) = next else { break };
                // A claim older than half the lease may soon be taken over by another
                // worker: hand it back rather than risk both sending it.
                let claimed_at = m.claimed_at.unwrap_or_else(db::now);
                if db::now() - claimed_at > lease / 2 {
                    let _ = tx.send(Outcome::Released(m.id, claimed_at));
                    continue;
                }
                let outcome = match mailer.send(&m).await {
                    Ok(()) => Outcome::Sent(m.id),
                    Err(e) => {
                        tracing::warn!(to = %m.to_addr, error = ?e, "delivery failed");
                        Outcome::Failed(m.id, e)
                    }
                };
                let _ = tx.send(outcome);
            }
        });
    }
    let claimed: Result<()> = claimer.await.expect("claimer task");
    while senders.join_next().await.is_some() {}
    drop(tx);
    let done = marker.await.expect("marker task");
    claimed.map(|()| done)
}

/// What a digest run did: `digests: composed N, sent N, failed N, pending N`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub composed: usize,
    pub sent: usize,
    pub failed: usize,
    pub pending: usize,
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "digests: composed {}, sent {}, failed {}, pending {}",
            self.composed, self.sent, self.failed, self.pending
        )
    }
}

/// One digest run, as `actiondesk digest run` and the worker inside `serve` do it: lapses
/// unconfirmed subscriptions, composes every digest that is due, delivers everything due
/// in the outbox, and records the run in `digest_runs`.
pub async fn run_once(
    db: &Db,
    settings: &Settings,
    mailer: &Mailer,
    worker: &str,
) -> Result<RunSummary> {
    let w = worker.to_string();
    let run_id = blocking(db, move |conn| Ok(outbox::start_run(conn, &w, db::now())?)).await?;
    let s = settings.clone();
    let started = std::time::Instant::now();
    // Composing and sending overlap: the sender takes digests as their pages commit.
    let composing = Arc::new(AtomicBool::new(true));
    let done = composing.clone();
    let compose_db = db.clone();
    let composer = tokio::spawn(async move {
        let r = blocking(&compose_db, move |conn| {
            let now = db::now();
            let lapsed = db::write_tx(conn, |conn| subscribers::lapse_unconfirmed(conn, now))?;
            if lapsed > 0 {
                tracing::info!(lapsed, "removed subscriptions never confirmed");
            }
            compose::compose_due(conn, &s, now)
        })
        .await;
        done.store(false, Ordering::Release);
        (r, started.elapsed())
    });
    let delivered = deliver_while(db, settings, mailer, worker, None, Some(composing)).await;
    let (composed, compose_time) = composer.await.expect("composer task");
    let (composed, delivered) = (composed?, delivered?);
    tracing::info!(
        composed,
        compose_ms = compose_time.as_millis() as u64,
        sent = delivered.sent,
        failed = delivered.failed,
        total_ms = started.elapsed().as_millis() as u64,
        "digest run"
    );
    let pending = blocking(db, |conn| Ok(outbox::pending_count(conn)?)).await? as usize;
    let summary = RunSummary {
        composed,
        sent: delivered.sent,
        failed: delivered.failed,
        pending,
    };
    let counts = (
        summary.composed as i32,
        summary.sent as i32,
        summary.failed as i32,
        summary.pending as i32,
    );
    blocking(db, move |conn| {
        Ok(outbox::finish_run(conn, run_id, db::now(), counts)?)
    })
    .await?;
    Ok(summary)
}
