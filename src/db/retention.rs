//! Retention (`MAIL_RETENTION_DAYS`): delivered outbox rows and one-time link tokens older
//! than the cutoff are deleted, a small batch per write transaction so writers (SQLite
//! above all) are never held up for long. A subscriber's newest token of each purpose is
//! kept however old, so the links in the latest email always work.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{outbox, subscriber_tokens};
use super::{write_tx, DbConn, Result};
use crate::domain::OutboxStatus;

/// Rows deleted per transaction.
pub const BATCH: i64 = 1_000;

/// What one pruning pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub messages: usize,
    pub tokens: usize,
}

/// Deletes up to [`BATCH`] messages delivered before `cutoff`; returns how many.
pub fn prune_messages(conn: &mut DbConn, cutoff: NaiveDateTime) -> Result<usize> {
    write_tx(conn, |conn| {
        let ids: Vec<i32> = outbox::table
            .filter(outbox::sent_at.lt(cutoff))
            .filter(outbox::status.eq(OutboxStatus::Sent))
            .order(outbox::sent_at)
            .select(outbox::id)
            .limit(BATCH)
            .load(conn)?;
        if ids.is_empty() {
            return Ok(0);
        }
        Ok(diesel::delete(outbox::table.filter(outbox::id.eq_any(&ids))).execute(conn)?)
    })
}

/// Deletes the tokens made before `cutoff` among the next [`BATCH`] rows after row
/// `after`, except each subscriber's newest of each purpose; returns how many it deleted
/// and where the next batch starts (`None`: no older tokens are left to look at).
pub fn prune_tokens(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    after: i32,
) -> Result<(usize, Option<i32>)> {
    write_tx(conn, |conn| {
        let rows: Vec<(i32, i32, String, NaiveDateTime)> = subscriber_tokens::table
            .filter(subscriber_tokens::id.gt(after))
            .order(subscriber_tokens::id)
            .select((
                subscriber_tokens::id,
                subscriber_tokens::subscriber_id,
                subscriber_tokens::purpose,
                subscriber_tokens::created_at,
            ))
            .limit(BATCH)
            .load(conn)?;
        let old: Vec<&(i32, i32, String, NaiveDateTime)> =
            rows.iter().filter(|r| r.3 < cutoff).collect();
        let Some(last) = rows.last() else {
            return Ok((0, None));
        };
        // Tokens are made in time order: a batch with nothing old ends the pass.
        let next = (!old.is_empty()).then_some(last.0);
        let mut subscribers: Vec<i32> = old.iter().map(|r| r.1).collect();
        subscribers.sort_unstable();
        subscribers.dedup();
        let newest: Vec<(i32, String, Option<i32>)> = subscriber_tokens::table
            .filter(subscriber_tokens::subscriber_id.eq_any(&subscribers))
            .group_by((subscriber_tokens::subscriber_id, subscriber_tokens::purpose))
            .select((
                subscriber_tokens::subscriber_id,
                subscriber_tokens::purpose,
                diesel::dsl::max(subscriber_tokens::id),
            ))
            .load(conn)?;
        let keep: std::collections::HashSet<i32> =
            newest.into_iter().filter_map(|(_, _, id)| id).collect();
        let doomed: Vec<i32> = old
            .iter()
            .map(|r| r.0)
            .filter(|id| !keep.contains(id))
            .collect();
        let n = if doomed.is_empty() {
            0
        } else {
            diesel::delete(subscriber_tokens::table.filter(subscriber_tokens::id.eq_any(&doomed)))
                .execute(conn)?
        };
        Ok((n, next))
    })
}

/// One whole pruning pass with cutoff `cutoff`, batch after batch.
pub fn prune(conn: &mut DbConn, cutoff: NaiveDateTime) -> Result<Pruned> {
    let mut done = Pruned::default();
    loop {
        let n = prune_messages(conn, cutoff)?;
        done.messages += n;
        if n < BATCH as usize {
            break;
        }
    }
    let mut after = 0;
    loop {
        let (n, next) = prune_tokens(conn, cutoff, after)?;
        done.tokens += n;
        match next {
            Some(next) => after = next,
            None => return Ok(done),
        }
    }
}
