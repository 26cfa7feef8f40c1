//! The sending rate shared by every sender of every process (`mail_rate`): per-second
//! slots reserved a batch at a time, and the hour's budget. Each call is one short write
//! transaction that locks its row, so concurrent senders never both take the same slot.

use diesel::prelude::*;

use super::schema::mail_rate;
use super::{write_tx, DbConn, Result};

/// The length of the hourly window, in microseconds.
pub const HOUR_US: i64 = 3_600_000_000;

/// Locks the row `name` for this transaction and reads its `(mark, used)`.
fn lock(conn: &mut DbConn, name: &str) -> Result<(i64, i64)> {
    // A no-op update takes the row lock on PostgreSQL (SQLite's write transaction already
    // holds the database's).
    diesel::update(mail_rate::table.filter(mail_rate::name.eq(name)))
        .set(mail_rate::used.eq(mail_rate::used))
        .execute(conn)?;
    Ok(mail_rate::table
        .filter(mail_rate::name.eq(name))
        .select((mail_rate::mark, mail_rate::used))
        .first(conn)?)
}

fn store(conn: &mut DbConn, name: &str, mark: i64, used: i64) -> Result<()> {
    diesel::update(mail_rate::table.filter(mail_rate::name.eq(name)))
        .set((mail_rate::mark.eq(mark), mail_rate::used.eq(used)))
        .execute(conn)?;
    Ok(())
}

/// Reserves `n` sending slots `interval_us` apart, the first no earlier than `now_us`;
/// returns the first slot's time (microseconds since the epoch).
pub fn reserve_slots(conn: &mut DbConn, n: i64, interval_us: i64, now_us: i64) -> Result<i64> {
    write_tx(conn, |conn| {
        let (next, used) = lock(conn, "second")?;
        let first = next.max(now_us);
        store(conn, "second", first + n * interval_us, used)?;
        Ok(first)
    })
}

/// Takes up to `n` sends from the hour's budget of `per_hour` (a new window begins an hour
/// after the last began); returns how many were granted (0: spent) and the window's start.
pub fn take_hourly(conn: &mut DbConn, n: i64, per_hour: i64, now_us: i64) -> Result<(i64, i64)> {
    write_tx(conn, |conn| {
        let (mut start, mut used) = lock(conn, "hour")?;
        if now_us >= start + HOUR_US || now_us < start {
            (start, used) = (now_us, 0);
        }
        let granted = n.min(per_hour - used).max(0);
        store(conn, "hour", start, used + granted)?;
        Ok((granted, start))
    })
}

/// Hands back `n` sends taken but not used from the window that began at `start` (if it
/// is still the current one).
pub fn give_back_hourly(conn: &mut DbConn, n: i64, start: i64) -> Result<()> {
    write_tx(conn, |conn| {
        let (current, used) = lock(conn, "hour")?;
        if current == start {
            store(conn, "hour", start, (used - n).max(0))?;
        }
        Ok(())
    })
}
