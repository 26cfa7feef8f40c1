//! The background worker inside `serve`: publishes drafts whose publishing time has come,
//! expires actions whose time has passed, and runs
//! digests (the same run as `actiondesk digest run`) every `DIGEST_INTERVAL_SECS`, and
//! once an hour prunes what is older than `MAIL_RETENTION_DAYS` ([`prune_once`]). Told
//! to stop, it finishes the message being sent, hands back what it claimed, and ends.

use std::time::Duration;

use crate::config::Settings;
use crate::db::{self, actions, retention, Db};
use crate::mail::{outbox as sender, transport::Mailer};

/// Expires every published action whose expiry time has passed; returns their slugs.
pub fn expire_once(conn: &mut db::DbConn) -> db::Result<Vec<String>> {
    db::write_tx(conn, |conn| actions::expire_due(conn, db::now()))
}

/// Publishes every draft whose publishing time has come; returns their slugs.
pub fn publish_once(conn: &mut db::DbConn) -> db::Result<Vec<String>> {
    db::write_tx(conn, |conn| actions::publish_due(conn, db::now()))
}

/// Prunes delivered messages and link tokens older than `MAIL_RETENTION_DAYS`, a small
/// batch per transaction.
pub fn prune_once(conn: &mut db::DbConn, days: u32) -> db::Result<retention::Pruned> {
    retention::prune(conn, db::now() - chrono::Duration::days(days.into()))
}

/// Starts the worker loop on the runtime; it checks at least once a minute, and ends once
/// `stop` is told to (after the run in progress has wound down).
pub fn spawn(
    db: Db,
    settings: Settings,
    mailer: Mailer,
    stop: sender::Stop,
) -> tokio::task::JoinHandle<()> {
    let period = settings.digest_interval.min(Duration::from_secs(60));
    tokio::spawn(async move {
        let name = sender::worker_name();
        let mut last_digest: Option<std::time::Instant> = None;
        let mut last_prune: Option<std::time::Instant> = None;
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = stop.stopped() => return,
            }
            match db.run(publish_once).await {
                Ok(published) if !published.is_empty() => {
                    tracing::info!(?published, "published drafts at their publishing time")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "publishing run failed"),
            }
            match db.run(expire_once).await {
                Ok(expired) if !expired.is_empty() => {
                    tracing::info!(?expired, "expired actions past their expiry time")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "expiry run failed"),
            }
            if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
                last_prune = Some(std::time::Instant::now());
                let days = settings.mail_retention_days;
                match db.run(move |conn| prune_once(conn, days)).await {
                    Ok(p) if p.messages + p.tokens > 0 => tracing::info!(
                        messages = p.messages,
                        tokens = p.tokens,
                        "pruned what is older than MAIL_RETENTION_DAYS"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "pruning failed"),
                }
            }
            if last_digest.is_none_or(|t| t.elapsed() + period / 2 >= settings.digest_interval) {
                last_digest = Some(std::time::Instant::now());
                match sender::run_once(&db, &settings, &mailer, &name, &stop).await {
                    Ok(s) if s.composed + s.sent + s.failed > 0 => tracing::info!("{s}"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "digest run failed"),
                }
            }
        }
    })
}
