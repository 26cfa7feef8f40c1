//! The sending rate (`MAIL_RATE_PER_SEC`, `MAIL_RATE_PER_HOUR`), shared through the
//! database by every sender of every process. Senders take permits from a local pool that
//! is refilled a batch at a time ([`crate::db::mail_rate`]): one short write transaction
//! for about a tenth of a second's worth of sends, never one per message. Without limits
//! there is no throttle at all ([`Throttle::new`] gives `None`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;

use super::Result;
use crate::config::Settings;
use crate::db::{self, mail_rate, Db};

/// The permits one delivery pass holds, shared by its senders.
pub struct Throttle {
    db: Db,
    per_sec: Option<u32>,
    per_hour: Option<u32>,
    /// Permits taken per reservation.
    chunk: i64,
    local: Mutex<Local>,
    spent: AtomicBool,
}

#[derive(Default)]
struct Local {
    /// Permits reserved and not yet handed out.
    left: i64,
    /// When the next permit's slot comes (microseconds since the epoch).
    next_us: i64,
    /// The start of the hour window the unused permits came from.
    hour_start: Option<i64>,
}

fn now_us() -> i64 {
    db::now().and_utc().timestamp_micros()
}

impl Throttle {
    /// A throttle for one delivery pass, or `None` when no rate is set. `batch`: the most
    /// permits worth reserving at once (a claim batch).
    pub fn new(db: &Db, settings: &Settings, batch: usize) -> Option<Throttle> {
        if settings.mail_rate_per_sec.is_none() && settings.mail_rate_per_hour.is_none() {
            return None;
        }
        let mut chunk = batch.max(1) as i64;
        if let Some(s) = settings.mail_rate_per_sec {
            // About a tenth of a second's worth, so processes share the rate finely.
            chunk = chunk.min((i64::from(s) / 10).max(1));
        }
        Some(Throttle {
            db: db.clone(),
            per_sec: settings.mail_rate_per_sec,
            per_hour: settings.mail_rate_per_hour,
            chunk,
            local: Mutex::new(Local::default()),
            spent: AtomicBool::new(false),
        })
    }

    /// Whether the hour's budget ran out during this pass: the rest waits for a later run.
    pub fn is_spent(&self) -> bool {
        self.spent.load(Ordering::SeqCst)
    }

    /// Waits for the next sending slot; `false` when the hour's budget is spent (the
    /// message is to be left for later).
    pub async fn acquire(&self) -> Result<bool> {
        if self.is_spent() {
            return Ok(false);
        }
        let slot = {
            let mut local = self.local.lock().await;
            if local.left == 0 {
                let mut n = self.chunk;
                let now = now_us();
                if let Some(per_hour) = self.per_hour {
                    let (granted, start) = self
                        .db
                        .run(move |conn| mail_rate::take_hourly(conn, n, per_hour.into(), now))
                        .await?;
                    if granted == 0 {
                        self.spent.store(true, Ordering::SeqCst);
                        return Ok(false);
                    }
                    n = granted;
                    local.hour_start = Some(start);
                }
                local.next_us = match self.interval_us() {
                    Some(iv) => {
                        self.db
                            .run(move |conn| mail_rate::reserve_slots(conn, n, iv, now))
                            .await?
                    }
                    None => now,
                };
                local.left = n;
            }
            local.left -= 1;
            let slot = local.next_us;
            local.next_us += self.interval_us().unwrap_or(0);
            slot
        };
        let wait = slot - now_us();
        if wait > 0 {
            tokio::time::sleep(Duration::from_micros(wait as u64)).await;
        }
        Ok(true)
    }

    fn interval_us(&self) -> Option<i64> {
        self.per_sec
            .map(|s| (1_000_000 + i64::from(s) - 1) / i64::from(s))
    }

    /// Ends the pass: hands the hour's unused permits back for other senders.
    pub async fn finish(&self) {
        let mut local = self.local.lock().await;
        let (left, start) = (local.left, local.hour_start);
        local.left = 0;
        if let (true, Some(start)) = (left > 0, start) {
            let r = self
                .db
                .run(move |conn| mail_rate::give_back_hourly(conn, left, start))
                .await;
            if let Err(e) = r {
                tracing::warn!(error = %e, "could not hand back unused sending budget");
            }
        }
    }
}
