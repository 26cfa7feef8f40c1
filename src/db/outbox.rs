//! The transactional outbox: every email is recorded here (under a unique key, in the
//! transaction that decided to send it) before anything is sent; senders claim rows, send,
//! and mark them. Also the record of digest runs.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};
use serde::Serialize;

use super::schema::{digest_bodies, digest_runs, outbox, subscribers};
use super::{write_tx, DbConn, Result};
use crate::domain::MessageKind;
use crate::domain::OutboxStatus;

/// Stands for the recipient's own token in a body or header shared by many recipients.
pub const TOKEN_SLOT: &str = "__MANAGE_TOKEN__";

/// Transient failures after which a message is given up.
pub const MAX_ATTEMPTS: i32 = 12;

/// An outbox row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = outbox)]
pub struct Message {
    pub id: i32,
    pub dedupe_key: String,
    pub subscriber_id: Option<i32>,
    pub kind: MessageKind,
    pub first_change_id: Option<i32>,
    pub last_change_id: Option<i32>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    /// Extra headers as a JSON object of name to value.
    pub headers: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// The shared body this message is sent with (its own body fields are then empty).
    pub body_id: Option<i32>,
    /// The token that goes in the shared body's slots, until the message is done.
    pub manage_token: Option<String>,
}

impl Message {
    /// The extra headers, decoded.
    pub fn extra_headers(&self) -> Vec<(String, String)> {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&self.headers)
            .map(|m| {
                m.into_iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What an email says.
#[derive(Debug, Clone)]
pub enum Content {
    /// Text and HTML written for this recipient alone.
    Own { text: String, html: String },
    /// A body stored once with [`add_body`] for many recipients, and this recipient's
    /// token, which replaces [`TOKEN_SLOT`] in it and in the headers when it is sent.
    Shared { body_id: i32, token: String },
}

/// An email to record.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub dedupe_key: String,
    pub subscriber_id: Option<i32>,
    pub kind: MessageKind,
    pub first_change_id: Option<i32>,
    pub last_change_id: Option<i32>,
    pub to_addr: String,
    pub subject: String,
    pub content: Content,
    pub message_id: String,
    pub headers: Vec<(String, String)>,
}

/// Stores a body that many messages share (see [`Content::Shared`]); returns its id.
pub fn add_body(conn: &mut DbConn, text: &str, html: &str, at: NaiveDateTime) -> Result<i32> {
    Ok(diesel::insert_into(digest_bodies::table)
        .values((
            digest_bodies::body_text.eq(text),
            digest_bodies::body_html.eq(html),
            digest_bodies::created_at.eq(at),
        ))
        .returning(digest_bodies::id)
        .get_result(conn)?)
}

/// An outbox row as inserted: a tuple of `column.eq(value)`, not a derived `Insertable`.
/// diesel writes a derived struct's batch to SQLite one statement per row (each of its
/// values may be DEFAULT); these tuples go as one multi-row statement.
type RowValues<'a> = (
    (
        dsl::Eq<outbox::dedupe_key, &'a str>,
        dsl::Eq<outbox::subscriber_id, Option<i32>>,
        dsl::Eq<outbox::kind, MessageKind>,
        dsl::Eq<outbox::first_change_id, Option<i32>>,
        dsl::Eq<outbox::last_change_id, Option<i32>>,
        dsl::Eq<outbox::to_addr, &'a str>,
        dsl::Eq<outbox::subject, &'a str>,
        dsl::Eq<outbox::body_text, &'a str>,
        dsl::Eq<outbox::body_html, &'a str>,
        dsl::Eq<outbox::body_id, Option<i32>>,
    ),
    (
        dsl::Eq<outbox::manage_token, Option<&'a str>>,
        dsl::Eq<outbox::message_id, &'a str>,
        dsl::Eq<outbox::headers, &'a str>,
        dsl::Eq<outbox::status, OutboxStatus>,
        dsl::Eq<outbox::next_attempt_at, NaiveDateTime>,
        dsl::Eq<outbox::created_at, NaiveDateTime>,
        dsl::Eq<outbox::claimed_by, Option<&'a str>>,
        dsl::Eq<outbox::claimed_at, Option<NaiveDateTime>>,
        dsl::Eq<outbox::attempts, i32>,
    ),
);

/// A message's extra headers as stored: a JSON object of name to value.
fn headers_json(m: &NewMessage) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = m
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(headers).to_string()
}

impl Content {
    /// The columns this content fills: body text, body HTML, shared body, token.
    fn columns(&self) -> (&str, &str, Option<i32>, Option<&str>) {
        match self {
            Content::Own { text, html } => (text, html, None, None),
            Content::Shared { body_id, token } => ("", "", Some(*body_id), Some(token)),
        }
    }
}

/// The row for `m` (its headers as [`headers_json`] wrote them), created `at`: waiting to
/// be sent, or, with `claim`, claimed by that worker at that time.
fn row<'a>(
    m: &'a NewMessage,
    headers: &'a str,
    at: NaiveDateTime,
    claim: Option<(&'a str, NaiveDateTime)>,
) -> RowValues<'a> {
    let (body_text, body_html, body_id, manage_token) = m.content.columns();
    let (state, claimed_by, claimed_at, attempts) = match claim {
        None => (OutboxStatus::Pending, None, None, 0),
        Some((worker, when)) => (OutboxStatus::Sending, Some(worker), Some(when), 1),
    };
    (
        (
            outbox::dedupe_key.eq(m.dedupe_key.as_str()),
            outbox::subscriber_id.eq(m.subscriber_id),
            outbox::kind.eq(m.kind),
            outbox::first_change_id.eq(m.first_change_id),
            outbox::last_change_id.eq(m.last_change_id),
            outbox::to_addr.eq(m.to_addr.as_str()),
            outbox::subject.eq(m.subject.as_str()),
            outbox::body_text.eq(body_text),
            outbox::body_html.eq(body_html),
            outbox::body_id.eq(body_id),
        ),
        (
            outbox::manage_token.eq(manage_token),
            outbox::message_id.eq(m.message_id.as_str()),
            outbox::headers.eq(headers),
            outbox::status.eq(state),
            outbox::next_attempt_at.eq(at),
            outbox::created_at.eq(at),
            outbox::claimed_by.eq(claimed_by),
            outbox::claimed_at.eq(claimed_at),
            outbox::attempts.eq(attempts),
        ),
    )
}

/// Records an email to send; returns its id.
pub fn enqueue(conn: &mut DbConn, m: &NewMessage, at: NaiveDateTime) -> Result<i32> {
    Ok(diesel::insert_into(outbox::table)
        .values(row(m, &headers_json(m), at, None))
        .returning(outbox::id)
        .get_result(conn)?)
}

/// Records many emails (created `at`) as claimed by `worker` at `claimed_at`, who sends
/// them next; returns the rows as stored. Should the worker die first, they are taken over
/// like any claim whose lease ran out.
pub fn enqueue_claimed(
    conn: &mut DbConn,
    messages: &[NewMessage],
    at: NaiveDateTime,
    worker: &str,
    claimed_at: NaiveDateTime,
) -> Result<Vec<Message>> {
    let headers: Vec<String> = messages.iter().map(headers_json).collect();
    let rows: Vec<RowValues> = messages
        .iter()
        .zip(&headers)
        .map(|(m, h)| row(m, h, at, Some((worker, claimed_at))))
        .collect();
    // Only the ids come back: the rest of each row is what was just written.
    let ids: HashMap<String, i32> =
        super::on_backend!(conn, |c| diesel::insert_into(outbox::table)
            .values(&rows)
            .returning((outbox::dedupe_key, outbox::id))
            .get_results::<(String, i32)>(c))?
        .into_iter()
        .collect();
    let mut stored: Vec<Message> = messages
        .iter()
        .zip(headers)
        .map(|(m, headers)| {
            let (body_text, body_html, body_id, manage_token) = m.content.columns();
            Message {
                id: ids[&m.dedupe_key],
                dedupe_key: m.dedupe_key.clone(),
                subscriber_id: m.subscriber_id,
                kind: m.kind,
                first_change_id: m.first_change_id,
                last_change_id: m.last_change_id,
                to_addr: m.to_addr.clone(),
                subject: m.subject.clone(),
                body_text: body_text.into(),
                body_html: body_html.into(),
                message_id: m.message_id.clone(),
                headers,
                status: OutboxStatus::Sending,
                attempts: 1,
                next_attempt_at: at,
                claimed_by: Some(worker.into()),
                claimed_at: Some(claimed_at),
                last_error: None,
                created_at: at,
                sent_at: None,
                body_id,
                manage_token: manage_token.map(str::to_owned),
            }
        })
        .collect();
    stored.sort_by_key(|m| m.id);
    Ok(stored)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// Claims up to `limit` messages for `worker`: first those whose earlier claim is older than
/// `lease` (their sender presumably dead), then those due, oldest first. On PostgreSQL
/// concurrent senders skip each other's rows (`FOR UPDATE SKIP LOCKED`); on SQLite the claim
/// runs in a write transaction only one writer holds at a time. `only` restricts the claim
/// to one message. Each part reads an index in order (`outbox_due`), so a claim costs the
/// same with 10 or 100,000 messages waiting. A row with a shared body comes as stored
/// (`body_id` and `manage_token`; see [`bodies`]).
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    limit: i64,
    now: NaiveDateTime,
    lease: Duration,
    only: Option<i32>,
) -> Result<Vec<Message>> {
    let stale = now - lease;
    let ids: Vec<i32> = match conn {
        DbConn::Pg(c) => {
            let mut ids = Vec::new();
            for due in [
                "status = 'sending' AND claimed_at < $3 ORDER BY id",
                "status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at, id",
            ] {
                let left = limit - ids.len() as i64;
                if left <= 0 {
                    break;
                }
                let rows: Vec<IdRow> = diesel::sql_query(format!(
                    "UPDATE outbox SET status = 'sending', claimed_by = $1, claimed_at = $2, \
                     attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox WHERE \
                     ($5 = 0 OR id = $5) AND {due} LIMIT $4 FOR UPDATE SKIP LOCKED) \
                     RETURNING id"
                ))
                .bind::<Text, _>(worker)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(stale)
                .bind::<diesel::sql_types::BigInt, _>(left)
                .bind::<Integer, _>(only.unwrap_or(0))
                .load(c)?;
                ids.extend(rows.into_iter().map(|r| r.id));
            }
            ids
        }
        DbConn::Sqlite(_) => write_tx(conn, |conn| {
            let only_this =
                |q: outbox::BoxedQuery<'static, diesel::sqlite::Sqlite, Integer>| match only {
                    Some(id) => q.filter(outbox::id.eq(id)),
                    None => q,
                };
            let DbConn::Sqlite(c) = conn else {
                unreachable!("matched above")
            };
            let mut ids: Vec<i32> = only_this(
                outbox::table
                    .filter(outbox::status.eq(OutboxStatus::Sending))
                    .filter(outbox::claimed_at.lt(stale))
                    .order(outbox::id.asc())
                    .limit(limit)
                    .select(outbox::id)
                    .into_boxed(),
            )
            .load(c)?;
            let left = limit - ids.len() as i64;
            if left > 0 {
                ids.extend(
                    only_this(
                        outbox::table
                            .filter(outbox::status.eq(OutboxStatus::Pending))
                            .filter(outbox::next_attempt_at.le(now))
                            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
                            .limit(left)
                            .select(outbox::id)
                            .into_boxed(),
                    )
                    .load::<i32>(c)?,
                );
            }
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set((
                    outbox::status.eq(OutboxStatus::Sending),
                    outbox::claimed_by.eq(Some(worker)),
                    outbox::claimed_at.eq(Some(now)),
                    outbox::attempts.eq(outbox::attempts + 1),
                ))
                .execute(conn)?;
            Ok::<_, super::Error>(ids)
        })?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<Message> = outbox::table
        .filter(outbox::id.eq_any(&ids))
        .select(Message::as_select())
        .load(conn)?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

/// One message as it will be sent (a shared body filled in with its token).
pub fn get(conn: &mut DbConn, id: i32) -> Result<Message> {
    let mut rows = vec![outbox::table
        .find(id)
        .select(Message::as_select())
        .first(conn)?];
    fill_shared(conn, &mut rows)?;
    Ok(rows.remove(0))
}

/// Shared bodies by id: (text, HTML), each with [`TOKEN_SLOT`] where the token goes.
pub fn bodies(conn: &mut DbConn, ids: &[i32]) -> Result<HashMap<i32, (String, String)>> {
    Ok(digest_bodies::table
        .filter(digest_bodies::id.eq_any(ids))
        .select((
            digest_bodies::id,
            digest_bodies::body_text,
            digest_bodies::body_html,
        ))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, text, html)| (id, (text, html)))
        .collect())
}

/// Puts each message's shared body, with its own token in the slots, into its body fields
/// and headers; each body is read once however many of `rows` share it.
fn fill_shared(conn: &mut DbConn, rows: &mut [Message]) -> Result<()> {
    let mut ids: Vec<i32> = rows.iter().filter_map(|m| m.body_id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let bodies = bodies(conn, &ids)?;
    for m in rows {
        let (Some(id), Some(token)) = (m.body_id, m.manage_token.as_deref()) else {
            continue;
        };
        if let Some((text, html)) = bodies.get(&id) {
            m.body_text = text.replace(TOKEN_SLOT, token);
            m.body_html = html.replace(TOKEN_SLOT, token);
            m.headers = m.headers.replace(TOKEN_SLOT, token);
        }
    }
    Ok(())
}

/// Marks messages accepted by the server.
pub fn mark_sent(conn: &mut DbConn, ids: &[i32], at: NaiveDateTime) -> Result<()> {
    write_tx(conn, |conn| {
        diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
            .set((
                outbox::status.eq(OutboxStatus::Sent),
                outbox::sent_at.eq(Some(at)),
                outbox::last_error.eq(None::<String>),
                outbox::manage_token.eq(None::<String>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Hands back claims `worker` took but will not send (it is stopping): the messages are
/// due again at once for whichever worker runs next, as if never claimed.
pub fn release(conn: &mut DbConn, ids: &[i32], worker: &str) -> Result<usize> {
    write_tx(conn, |conn| {
        Ok(diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(ids))
                .filter(outbox::status.eq(OutboxStatus::Sending))
                .filter(outbox::claimed_by.eq(worker)),
        )
        .set((
            outbox::status.eq(OutboxStatus::Pending),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_at.eq(None::<NaiveDateTime>),
            outbox::attempts.eq(outbox::attempts - 1),
        ))
        .execute(conn)?)
    })
}

/// Renews from `now` the claim `worker` took at `claimed_at` on a message, unless another
/// worker has taken it over since; returns whether the message is still `worker`'s to send.
pub fn renew(
    conn: &mut DbConn,
    id: i32,
    worker: &str,
    claimed_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool> {
    write_tx(conn, |conn| {
        let n = diesel::update(
            outbox::table
                .find(id)
                .filter(outbox::status.eq(OutboxStatus::Sending))
                .filter(outbox::claimed_by.eq(worker))
                .filter(outbox::claimed_at.eq(claimed_at)),
        )
        .set(outbox::claimed_at.eq(Some(now)))
        .execute(conn)?;
        Ok(n == 1)
    })
}

/// Schedules another attempt after a transient failure, backing off exponentially from
/// `base`; after [`MAX_ATTEMPTS`] the message is given up. Returns whether it was given up.
pub fn mark_retry(
    conn: &mut DbConn,
    id: i32,
    error: &str,
    now: NaiveDateTime,
    base: Duration,
) -> Result<bool> {
    let attempts: i32 = outbox::table
        .find(id)
        .select(outbox::attempts)
        .first(conn)?;
    if attempts >= MAX_ATTEMPTS {
        mark_failed(conn, id, error, false)?;
        return Ok(true);
    }
    let factor = 1i32 << (attempts - 1).clamp(0, 10);
    let wait = (base * factor).min(Duration::hours(6));
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(OutboxStatus::Pending),
            outbox::next_attempt_at.eq(now + wait),
            outbox::claimed_by.eq(None::<String>),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(false)
}

/// Gives a message up; a permanent (5xx) failure also counts as a bounce of its address.
pub fn mark_failed(conn: &mut DbConn, id: i32, error: &str, permanent: bool) -> Result<()> {
    write_tx(conn, |conn| {
        diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq(OutboxStatus::Failed),
                outbox::claimed_by.eq(None::<String>),
                outbox::last_error.eq(Some(error)),
                outbox::manage_token.eq(None::<String>),
            ))
            .execute(conn)?;
        if permanent {
            let sub: Option<i32> = outbox::table
                .find(id)
                .select(outbox::subscriber_id)
                .first(conn)?;
            if let Some(s) = sub {
                // A permanent refusal (5xx) is a hard bounce: suppressed at once.
                super::bounces::record(
                    conn,
                    s,
                    crate::domain::BounceKind::Hard,
                    error,
                    "smtp",
                    super::now(),
                )?;
            }
        }
        Ok(())
    })
}

/// Messages still to send (pending or claimed).
pub fn pending_count(conn: &mut DbConn) -> Result<i64> {
    Ok(outbox::table
        .filter(outbox::status.eq_any([OutboxStatus::Pending, OutboxStatus::Sending]))
        .count()
        .get_result(conn)?)
}

/// How many messages are in each state.
pub fn counts(conn: &mut DbConn) -> Result<Vec<(String, i64)>> {
    Ok(outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .order(outbox::status)
        .load(conn)?)
}

/// A delivery that failed or is being retried, for organizers.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct FailedDelivery {
    pub id: i32,
    pub to_addr: String,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub subscriber_status: Option<String>,
}

/// The newest failed deliveries and those waiting for a retry.
pub fn recent_failures(conn: &mut DbConn, limit: i64) -> Result<Vec<FailedDelivery>> {
    Ok(outbox::table
        .left_join(subscribers::table)
        .filter(
            outbox::status
                .eq(OutboxStatus::Failed)
                .or(outbox::last_error
                    .is_not_null()
                    .and(outbox::status.ne(OutboxStatus::Sent))),
        )
        .order(outbox::id.desc())
        .limit(limit)
        .select((
            outbox::id,
            outbox::to_addr,
            outbox::subject,
            outbox::status,
            outbox::attempts,
            outbox::last_error,
            outbox::next_attempt_at,
            outbox::created_at,
            subscribers::status.nullable(),
        ))
        .load(conn)?)
}

/// A digest run as recorded.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = digest_runs)]
pub struct DigestRun {
    pub id: i32,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub composed: i32,
    pub sent: i32,
    pub failed: i32,
    pub pending: i32,
    pub worker: String,
}

/// Records the start of a run; returns its id.
pub fn start_run(conn: &mut DbConn, worker: &str, at: NaiveDateTime) -> Result<i32> {
    Ok(diesel::insert_into(digest_runs::table)
        .values((
            digest_runs::started_at.eq(at),
            digest_runs::worker.eq(worker),
        ))
        .returning(digest_runs::id)
        .get_result(conn)?)
}

/// Records the end of a run and its counts.
pub fn finish_run(
    conn: &mut DbConn,
    id: i32,
    at: NaiveDateTime,
    (composed, sent, failed, pending): (i32, i32, i32, i32),
) -> Result<()> {
    diesel::update(digest_runs::table.find(id))
        .set((
            digest_runs::finished_at.eq(Some(at)),
            digest_runs::composed.eq(composed),
            digest_runs::sent.eq(sent),
            digest_runs::failed.eq(failed),
            digest_runs::pending.eq(pending),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest runs.
pub fn recent_runs(conn: &mut DbConn, limit: i64) -> Result<Vec<DigestRun>> {
    Ok(digest_runs::table
        .order(digest_runs::id.desc())
        .limit(limit)
        .select(DigestRun::as_select())
        .load(conn)?)
}
