//! Bounce events and the suppression rule: a hard bounce or a complaint suppresses an
//! address at once, [`SOFT_LIMIT`] soft bounces within [`SOFT_WINDOW`] do too. Suppressed
//! is the subscriber status `bounced` (see [`subscribers::suppress`]): nothing is sent to
//! it until the address subscribes and confirms again, or an organizer lifts it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::{bounce_events, subscribers};
use super::{changes, subscribers as subs, Actor, DbConn, Result};
use crate::domain::{BounceKind, SubscriberStatus};

/// Soft bounces within [`SOFT_WINDOW`] that suppress an address.
pub const SOFT_LIMIT: i64 = 3;
/// How far back soft bounces count.
pub const SOFT_WINDOW: Duration = Duration::days(14);

/// A recorded bounce or complaint.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = bounce_events)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct BounceEvent {
    pub id: i32,
    pub subscriber_id: i32,
    pub kind: BounceKind,
    pub reason: String,
    /// `dsn`, `arf`, `api` or `smtp` (permanent failures while sending).
    pub source: String,
    pub created_at: NaiveDateTime,
}

/// What recording a bounce did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The address is now suppressed.
    Suppressed,
    /// It was suppressed (or unsubscribed) already; the event is kept.
    AlreadyOff,
    /// Kept; not (yet) a reason to stop mailing.
    Counted,
}

/// The subscriber whose mail came back: the one a VERP tag names, else the first of
/// `addresses` that is a subscriber's.
pub fn resolve(
    conn: &mut DbConn,
    verp_id: Option<i32>,
    addresses: &[String],
) -> Result<Option<subs::Subscriber>> {
    if let Some(id) = verp_id {
        if let Some(s) = subs::get(conn, id)? {
            return Ok(Some(s));
        }
    }
    for a in addresses {
        if let Some(s) = subs::find(conn, a)? {
            return Ok(Some(s));
        }
        // Reports often lowercase the address; stored ones keep their local part's case.
        let found = subscribers::table
            .filter(lower(subscribers::email).eq(a.to_lowercase()))
            .select(subscribers::id)
            .first::<i32>(conn)
            .optional()?;
        if let Some(id) = found {
            return subs::get(conn, id);
        }
    }
    Ok(None)
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Records a bounce of subscriber `id` and applies the rule (call inside a write
/// transaction). A hard bounce also counts in the subscriber's `bounce_count`.
pub fn record(
    conn: &mut DbConn,
    id: i32,
    kind: BounceKind,
    reason: &str,
    source: &str,
    at: NaiveDateTime,
) -> Result<Recorded> {
    add_event(conn, id, kind, reason, source, at)?;
    if kind != BounceKind::Soft {
        diesel::update(subscribers::table.find(id))
            .set(subscribers::bounce_count.eq(subscribers::bounce_count + 1))
            .execute(conn)?;
    }
    let status: SubscriberStatus = subscribers::table
        .find(id)
        .select(subscribers::status)
        .first(conn)?;
    if matches!(
        status,
        SubscriberStatus::Bounced | SubscriberStatus::Unsubscribed
    ) {
        return Ok(Recorded::AlreadyOff);
    }
    let suppress = match kind {
        BounceKind::Hard | BounceKind::Complaint => true,
        BounceKind::Soft => soft_recent(conn, id, at)? >= SOFT_LIMIT,
    };
    if suppress {
        subs::suppress(conn, id)?;
        Ok(Recorded::Suppressed)
    } else {
        Ok(Recorded::Counted)
    }
}

/// Keeps one event (no rule applied).
pub(super) fn add_event(
    conn: &mut DbConn,
    id: i32,
    kind: BounceKind,
    reason: &str,
    source: &str,
    at: NaiveDateTime,
) -> Result<()> {
    diesel::insert_into(bounce_events::table)
        .values((
            bounce_events::subscriber_id.eq(id),
            bounce_events::kind.eq(kind),
            bounce_events::reason.eq(reason),
            bounce_events::source.eq(source),
            bounce_events::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Soft bounces of `id` within [`SOFT_WINDOW`] before `at`.
fn soft_recent(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> Result<i64> {
    Ok(bounce_events::table
        .filter(bounce_events::subscriber_id.eq(id))
        .filter(bounce_events::kind.eq(BounceKind::Soft))
        .filter(bounce_events::created_at.gt(at - SOFT_WINDOW))
        .filter(bounce_events::created_at.le(at))
        .count()
        .get_result(conn)?)
}

/// A suppressed address and why, for organizers.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub subscriber_id: i32,
    pub email: String,
    /// The latest event (what suppressed it); `None` for an address suppressed before
    /// events were kept.
    pub kind: Option<BounceKind>,
    pub reason: String,
    pub at: Option<NaiveDateTime>,
}

/// The suppressed addresses, most recently bounced first (at most `limit`).
pub fn suppressed(conn: &mut DbConn, limit: i64) -> Result<Vec<Suppression>> {
    let rows: Vec<(i32, String)> = subscribers::table
        .filter(subscribers::status.eq(SubscriberStatus::Bounced))
        .order(subscribers::id.desc())
        .limit(limit)
        .select((subscribers::id, subscribers::email))
        .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|(id, _)| *id).collect();
    let events: Vec<BounceEvent> = bounce_events::table
        .filter(bounce_events::subscriber_id.eq_any(&ids))
        .order((bounce_events::created_at.desc(), bounce_events::id.desc()))
        .select(BounceEvent::as_select())
        .load(conn)?;
    let mut out: Vec<Suppression> = rows
        .into_iter()
        .map(|(id, email)| {
            let e = events.iter().find(|e| e.subscriber_id == id);
            Suppression {
                subscriber_id: id,
                email,
                kind: e.map(|e| e.kind),
                reason: e.map(|e| e.reason.clone()).unwrap_or_default(),
                at: e.map(|e| e.created_at),
            }
        })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.at));
    Ok(out)
}

/// Lifts a suppression (an organizer's decision, audited; call inside a write
/// transaction): a confirmed address is mailed again from the current end of the change
/// log, with its counts reset; returns the address, `None` if it was not suppressed.
pub fn lift(conn: &mut DbConn, id: i32, actor: &Actor) -> Result<Option<String>> {
    let Some(s) = subs::get(conn, id)? else {
        return Ok(None);
    };
    if s.status != SubscriberStatus::Bounced {
        return Ok(None);
    }
    let status = if s.confirmed_at.is_some() {
        SubscriberStatus::Active
    } else {
        SubscriberStatus::Pending
    };
    let cursor = changes::max_id(conn)?;
    diesel::update(subscribers::table.find(id))
        .set((
            subscribers::status.eq(status),
            subscribers::bounce_count.eq(0),
            subscribers::last_change_id.eq(cursor),
        ))
        .execute(conn)?;
    // Soft bounces before the lift no longer count towards the next suppression.
    diesel::delete(
        bounce_events::table
            .filter(bounce_events::subscriber_id.eq(id))
            .filter(bounce_events::kind.eq(BounceKind::Soft)),
    )
    .execute(conn)?;
    changes::audit(
        conn,
        actor,
        "lift_suppression",
        "subscriber",
        Some(id),
        &serde_json::json!({ "email": s.email, "status": status.as_str() }),
    )?;
    Ok(Some(s.email))
}
