//! The sender: claims outbox rows a batch at a time, sends them over the one transport with
//! several messages in flight, and marks each sent right after the server accepted it.
//! Transient failures come back later with backoff; permanent ones count as bounces.
//! [`run_once`] is one digest run: compose what is due, deliver, record the run.

use std::fmt;
use std::sync::Arc;

use chrono::Duration;
use tokio::sync::{mpsc, Semaphore};

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
}

/// Sends every message that is due (or only message `only`), until none is left.
pub async fn deliver(
    db: &Db,
    settings: &Settings,
    mailer: &Mailer,
    worker: &str,
    only: Option<i32>,
) -> Result<Delivered> {
    let parallel = mailer.parallel().max(1);
    let batch = (parallel * 2) as i64;
    let lease = Duration::from_std(settings.mail_claim_lease).unwrap_or(Duration::minutes(5));
    let retry = Duration::from_std(settings.mail_retry_base).unwrap_or(Duration::minutes(1));
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();

    // Marks outcomes as they arrive: every sent message accepted so far in one statement.
    let marker_db = db.clone();
    let marker = tokio::spawn(async move {
        let mut done = Delivered::default();
        let mut buf = Vec::new();
        while rx.recv_many(&mut buf, 512).await > 0 {
            let mut sent = Vec::new();
            let mut failed = Vec::new();
            for o in buf.drain(..) {
                match o {
                    Outcome::Sent(id) => sent.push(id),
                    Outcome::Failed(id, e) => failed.push((id, e)),
                }
            }
            done.sent += sent.len();
            done.failed += failed.len();
            let r = blocking(&marker_db, move |conn| {
                let now = db::now();
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

    let limit = Arc::new(Semaphore::new(parallel));
    let mut tasks = tokio::task::JoinSet::new();
    let mut claim_error = None;
    loop {
        let w = worker.to_string();
        let claimed = blocking(db, move |conn| {
            Ok(outbox::claim(
                conn,
                &w,
                if only.is_some() { 1 } else { batch },
                db::now(),
                lease,
                only,
            )?)
        })
        .await;
        let claimed = match claimed {
            Ok(c) => c,
            Err(e) => {
                claim_error = Some(e);
                break;
            }
        };
        if claimed.is_empty() {
            break;
        }
        for m in claimed {
            let permit = limit.clone().acquire_owned().await.expect("never closed");
            let mailer = mailer.clone();
            let tx = tx.clone();
            tasks.spawn(async move {
                let outcome = match mailer.send(&m).await {
                    Ok(()) => Outcome::Sent(m.id),
                    Err(e) => {
                        tracing::warn!(to = %m.to_addr, error = ?e, "delivery failed");
                        Outcome::Failed(m.id, e)
                    }
                };
                let _ = tx.send(outcome);
                drop(permit);
            });
            while tasks.try_join_next().is_some() {}
        }
        if only.is_some() {
            break;
        }
    }
    while tasks.join_next().await.is_some() {}
    drop(tx);
    let done = marker.await.expect("marker task");
    match claim_error {
        Some(e) => Err(e),
        None => Ok(done),
    }
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
    let composed = blocking(db, move |conn| {
        let now = db::now();
        let lapsed = db::write_tx(conn, |conn| subscribers::lapse_unconfirmed(conn, now))?;
        if lapsed > 0 {
            tracing::info!(lapsed, "removed subscriptions never confirmed");
        }
        compose::compose_due(conn, &s, now)
    })
    .await?;
    let delivered = deliver(db, settings, mailer, worker, None).await?;
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
