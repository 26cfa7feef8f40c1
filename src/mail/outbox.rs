//! The sender: claims outbox rows a batch at a time (the next batch while this one is being
//! sent), sends them over the one transport with one sender per connection, and marks each
//! sent right after the server accepted it. A claim that has grown older than half its
//! lease is renewed before its message is sent.
//! Transient failures come back later with backoff; permanent ones count as bounces.
//! [`run_once`] is one digest run: compose what is due (the composer claims what it
//! composes and hands it straight to the senders), deliver, record the run.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::Duration;
use tokio::sync::{mpsc, Mutex};

use super::shared_body::SharedBody;
use super::throttle::Throttle;
use super::transport::{Mailer, SendError};
use super::{compose, Result};
use crate::config::Settings;
use crate::db::{self, outbox, subscribers, Db};

/// A name for this process's claims: host, process id and a random part.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &crate::security::new_token()[..8]
    )
}

/// Asks a running digest run (and the worker inside `serve`) to stop, on SIGTERM or
/// SIGINT: nothing more is claimed or composed, each sender finishes the message it is
/// sending (and it is marked sent), and what was claimed but not yet sent is handed back
/// for the next run. A default `Stop` never stops unless told to.
#[derive(Clone, Default)]
pub struct Stop(Arc<StopInner>);

#[derive(Default)]
struct StopInner {
    stopped: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl Stop {
    /// Tells everyone holding a clone to stop.
    pub fn stop(&self) {
        self.0
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether [`Stop::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Resolves once [`Stop::stop`] is called.
    pub async fn stopped(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
    /// The hour's sending budget (`MAIL_RATE_PER_HOUR`) ran out: the rest was left pending.
    pub deferred: bool,
}

/// A claimed message and the shared body it names, for a sender.
pub type Work = (outbox::Message, Option<Arc<SharedBody>>);

enum Outcome {
    Sent(i32),
    Failed(i32, SendError),
    /// Claimed, not sent: the run is stopping.
    Released(i32),
}

/// Sends every message that is due (or only message `only`), until none is left.
pub async fn deliver(
    db: &Db,
    settings: &Settings,
    mailer: &Mailer,
    worker: &str,
    only: Option<i32>,
) -> Result<Delivered> {
    let (feed, queue) = work_queue(mailer);
    let stop = Stop::default();
    deliver_from(db, settings, mailer, worker, only, (feed, queue), &stop).await
}

/// How many messages one claim takes.
fn claim_batch(mailer: &Mailer) -> usize {
    mailer.parallel().max(1) * 16
}

/// The queue the senders take from: what the claimer claims and, during a run, what the
/// composer composes (see [`compose::HandOff`]). Bounded, so neither runs far ahead.
fn work_queue(mailer: &Mailer) -> (mpsc::Sender<Work>, mpsc::Receiver<Work>) {
    mpsc::channel(2 * claim_batch(mailer))
}

/// [`deliver`], also sending whatever comes into the queue through clones of its sender:
/// it ends once nothing is left to claim and every clone is gone.
async fn deliver_from(
    db: &Db,
    settings: &Settings,
    mailer: &Mailer,
    worker: &str,
    only: Option<i32>,
    (feed, queue): (mpsc::Sender<Work>, mpsc::Receiver<Work>),
    stop: &Stop,
) -> Result<Delivered> {
    let parallel = mailer.parallel().max(1);
    let batch = claim_batch(mailer) as i64;
    let lease = Duration::from_std(settings.mail_claim_lease).unwrap_or(Duration::minutes(5));
    let retry = Duration::from_std(settings.mail_retry_base).unwrap_or(Duration::minutes(1));
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();
    let throttle = Throttle::new(db, settings, batch as usize).map(Arc::new);

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
                    Outcome::Released(id) => released.push(id),
                }
            }
            done.sent += sent.len();
            done.failed += failed.len();
            let w = marker_worker.clone();
            let r = marker_db
                .run(move |conn| -> Result<_> {
                    let now = db::now();
                    if !sent.is_empty() {
                        outbox::mark_sent(conn, &sent, now)?;
                    }
                    if !released.is_empty() {
                        outbox::release(conn, &released, &w)?;
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

    // The claimer keeps up to a batch or two queued ahead of the senders, so claiming the
    // next batch overlaps with sending this one; what waits in the queue stays well within
    // the claim lease. Each shared body is read and encoded once per delivery pass.
    let claim_db = db.clone();
    let w = worker.to_string();
    let claim_stop = stop.clone();
    let claim_throttle = throttle.clone();
    let claimer = tokio::spawn(async move {
        let mut shared: HashMap<i32, Arc<SharedBody>> = HashMap::new();
        loop {
            if claim_stop.is_stopped() || claim_throttle.as_ref().is_some_and(|t| t.is_spent()) {
                return Ok(());
            }
            let w = w.clone();
            let known: HashSet<i32> = shared.keys().copied().collect();
            let (claimed, bodies) = claim_db
                .run(move |conn| -> Result<_> {
                    let rows = outbox::claim(
                        conn,
                        &w,
                        if only.is_some() { 1 } else { batch },
                        db::now(),
                        lease,
                        only,
                    )?;
                    let mut missing: Vec<i32> = rows
                        .iter()
                        .filter_map(|m| m.body_id)
                        .filter(|id| !known.contains(id))
                        .collect();
                    missing.sort_unstable();
                    missing.dedup();
                    let bodies: Vec<(i32, SharedBody)> = if missing.is_empty() {
                        Vec::new()
                    } else {
                        outbox::bodies(conn, &missing)?
                            .into_iter()
                            .map(|(id, (text, html))| (id, SharedBody::prepare(&text, &html)))
                            .collect()
                    };
                    Ok((rows, bodies))
                })
                .await?;
            shared.extend(bodies.into_iter().map(|(id, b)| (id, Arc::new(b))));
            if claimed.is_empty() {
                return Ok(());
            }
            for m in claimed {
                let body = m.body_id.and_then(|id| shared.get(&id).cloned());
                if feed.send((m, body)).await.is_err() {
                    return Ok(());
                }
            }
            if only.is_some() {
                return Ok(());
            }
        }
    });

    // One sender per connection: each takes the next claimed message, sends it, reports.
    let work_rx = Arc::new(Mutex::new(queue));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..parallel {
        let (work_rx, mailer, tx) = (work_rx.clone(), mailer.clone(), tx.clone());
        let (renew_db, worker, stop) = (db.clone(), worker.to_string(), stop.clone());
        let throttle = throttle.clone();
        senders.spawn(async move {
            loop {
                let next = work_rx.lock().await.recv().await;
                let Some((m, shared)) = next else { break };
                // Stopping: the queue is drained (so the composer is never left waiting)
                // and what is in it handed back, not sent.
                if stop.is_stopped() {
                    let _ = tx.send(Outcome::Released(m.id));
                    continue;
                }
                // Waits for a sending slot; the hour's budget spent, it is handed back.
                if let Some(t) = &throttle {
                    match t.acquire().await {
                        Ok(true) => {}
                        Ok(false) => {
                            let _ = tx.send(Outcome::Released(m.id));
                            continue;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "could not reserve a sending slot");
                            let _ = tx.send(Outcome::Released(m.id));
                            continue;
                        }
                    }
                }
                // A claim older than half the lease may soon be taken over by another
                // worker: renew it first, and leave the message if another has it already.
                let claimed_at = m.claimed_at.unwrap_or_else(db::now);
                if db::now() - claimed_at > lease / 2 {
                    let (id, w) = (m.id, worker.clone());
                    let renewed = renew_db
                        .run(move |conn| -> Result<_> {
                            Ok(outbox::renew(conn, id, &w, claimed_at, db::now())?)
                        })
                        .await;
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(e) => {
                            // Still claimed: its lease runs out and a later run sends it.
                            tracing::error!(error = %e, "could not renew a claim");
                            continue;
                        }
                    }
                }
                let outcome = match mailer.send(&m, shared.as_deref()).await {
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
    let mut done = marker.await.expect("marker task");
    if let Some(t) = &throttle {
        t.finish().await;
        done.deferred = t.is_spent();
    }
    claimed.map(|()| done)
}

/// What a digest run did: `digests: composed N, sent N, failed N, pending N`, and when
/// the hour's sending budget ran out, `, deferred N (MAIL_RATE_PER_HOUR)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub composed: usize,
    pub sent: usize,
    pub failed: usize,
    pub pending: usize,
    /// Left pending for a later run because the hour's budget was spent.
    pub deferred: usize,
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "digests: composed {}, sent {}, failed {}, pending {}",
            self.composed, self.sent, self.failed, self.pending
        )?;
        if self.deferred > 0 {
            write!(f, ", deferred {} (MAIL_RATE_PER_HOUR)", self.deferred)?;
        }
        Ok(())
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
    stop: &Stop,
) -> Result<RunSummary> {
    let w = worker.to_string();
    let run_id = db
        .run(move |conn| outbox::start_run(conn, &w, db::now()))
        .await?;
    let s = settings.clone();
    let started = std::time::Instant::now();
    // Composing and sending overlap: the composer claims what it composes and hands each
    // page to the senders as it commits.
    let (feed, queue) = work_queue(mailer);
    let hand_off = compose::HandOff {
        worker: worker.to_string(),
        to: feed.clone(),
        stop: stop.clone(),
    };
    let compose_db = db.clone();
    let composer = tokio::spawn(async move {
        let r = compose_db
            .run(move |conn| -> Result<_> {
                let now = db::now();
                let lapsed = db::write_tx(conn, |conn| subscribers::lapse_unconfirmed(conn, now))?;
                if lapsed > 0 {
                    tracing::info!(lapsed, "removed subscriptions never confirmed");
                }
                compose::compose_due(conn, &s, now, &hand_off)
            })
            .await;
        (r, started.elapsed())
    });
    let delivered = deliver_from(db, settings, mailer, worker, None, (feed, queue), stop).await;
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
    let pending = db.run(outbox::pending_count).await? as usize;
    let summary = RunSummary {
        composed,
        sent: delivered.sent,
        failed: delivered.failed,
        pending,
        deferred: if delivered.deferred { pending } else { 0 },
    };
    let counts = (
        summary.composed as i32,
        summary.sent as i32,
        summary.failed as i32,
        summary.pending as i32,
    );
    db.run(move |conn| -> Result<_> { Ok(outbox::finish_run(conn, run_id, db::now(), counts)?) })
        .await?;
    Ok(summary)
}
