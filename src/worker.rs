//! The background worker inside `serve`: expires actions whose time has passed.

use std::time::Duration;

use crate::config::Settings;
use crate::db::{self, actions, Db};

/// Expires every published action whose expiry time has passed; returns their slugs.
pub fn expire_once(conn: &mut db::DbConn) -> db::Result<Vec<String>> {
    db::write_tx(conn, |conn| actions::expire_due(conn, db::now()))
}

/// Starts the worker loop on the runtime; it checks at least once a minute.
pub fn spawn(db: Db, settings: Settings) -> tokio::task::JoinHandle<()> {
    let period = settings.digest_interval.min(Duration::from_secs(60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match db.run(expire_once).await {
                Ok(expired) if !expired.is_empty() => {
                    tracing::info!(?expired, "expired actions past their expiry time")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "expiry run failed"),
            }
        }
    })
}
