//! Organizer sign-in sessions. The browser holds a random token; the table keeps only its
//! SHA-256, with the CSRF token of the session. A session ends on sign-out, after
//! [`IDLE`] without use, or [`ABSOLUTE`] after sign-in, whichever comes first.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::changes;
use super::people::Organizer;
use super::schema::{organizer_sessions, organizers};
use super::{Actor, DbConn, Result};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::hours(12);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE: Duration = Duration::days(7);
/// The idle deadline is moved forward at most this often, so reads stay reads.
const SLIDE_EVERY: Duration = Duration::minutes(1);

/// A session row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizer_sessions)]
pub struct Session {
    pub id: i32,
    pub token_hash: String,
    pub organizer_id: i32,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// What a presented session token turned out to be.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A live session of an active organizer.
    Valid(Session, Organizer),
    /// A session that existed but has run out (it is deleted now).
    Expired,
    /// No such session, or its organizer was disabled.
    Unknown,
}

fn deadline(created_at: NaiveDateTime, now: NaiveDateTime) -> NaiveDateTime {
    (now + IDLE).min(created_at + ABSOLUTE)
}

/// Starts a session for an organizer who has just proven who they are; records the
/// sign-in time. Expired sessions of everyone are swept away at the same time.
pub fn start(
    conn: &mut DbConn,
    organizer_id: i32,
    token_hash: &str,
    csrf_token: &str,
    actor: &Actor,
) -> Result<Session> {
    let now = actor.at;
    diesel::delete(organizer_sessions::table.filter(organizer_sessions::expires_at.le(now)))
        .execute(conn)?;
    diesel::insert_into(organizer_sessions::table)
        .values((
            organizer_sessions::token_hash.eq(token_hash),
            organizer_sessions::organizer_id.eq(organizer_id),
            organizer_sessions::csrf_token.eq(csrf_token),
            organizer_sessions::created_at.eq(now),
            organizer_sessions::expires_at.eq(deadline(now, now)),
        ))
        .execute(conn)?;
    diesel::update(organizers::table.find(organizer_id))
        .set(organizers::last_login_at.eq(Some(now)))
        .execute(conn)?;
    changes::audit(
        conn,
        actor,
        "sign_in",
        "organizer",
        Some(organizer_id),
        &json!({}),
    )?;
    Ok(organizer_sessions::table
        .filter(organizer_sessions::token_hash.eq(token_hash))
        .select(Session::as_select())
        .first(conn)?)
}

/// Looks a session up by its token hash and, when it is live, moves its idle deadline.
pub fn touch(conn: &mut DbConn, token_hash: &str, now: NaiveDateTime) -> Result<Lookup> {
    let found: Option<(Session, Organizer)> = organizer_sessions::table
        .inner_join(organizers::table)
        .filter(organizer_sessions::token_hash.eq(token_hash))
        .select((Session::as_select(), Organizer::as_select()))
        .first(conn)
        .optional()?;
    let Some((mut session, organizer)) = found else {
        return Ok(Lookup::Unknown);
    };
    if session.expires_at <= now {
        end(conn, token_hash)?;
        return Ok(Lookup::Expired);
    }
    if !organizer.active {
        end(conn, token_hash)?;
        return Ok(Lookup::Unknown);
    }
    let next = deadline(session.created_at, now);
    if next - session.expires_at >= SLIDE_EVERY {
        diesel::update(organizer_sessions::table.find(session.id))
            .set(organizer_sessions::expires_at.eq(next))
            .execute(conn)?;
        session.expires_at = next;
    }
    Ok(Lookup::Valid(session, organizer))
}

/// Ends the session with this token hash (signing out); ending an unknown one is a no-op.
pub fn end(conn: &mut DbConn, token_hash: &str) -> Result<()> {
    diesel::delete(organizer_sessions::table.filter(organizer_sessions::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of an organizer (when the account is disabled).
pub fn end_all_for(conn: &mut DbConn, organizer_id: i32) -> Result<usize> {
    Ok(diesel::delete(
        organizer_sessions::table.filter(organizer_sessions::organizer_id.eq(organizer_id)),
    )
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_slides_but_never_past_the_absolute_limit() {
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc();
        assert_eq!(deadline(t0, t0), t0 + IDLE);
        let later = t0 + Duration::days(3);
        assert_eq!(deadline(t0, later), later + IDLE);
        let near_end = t0 + ABSOLUTE - Duration::hours(1);
        assert_eq!(deadline(t0, near_end), t0 + ABSOLUTE);
    }
}
