//! Subscribers: double opt-in, tokens (random, stored hashed), preferences, unsubscribing,
//! bounces, and the cursor into the change log that digests advance.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{outbox, subscriber_campaigns, subscriber_tokens, subscribers};
use super::{changes, DbConn, Result};
use crate::domain::MessageKind;
use crate::domain::{EmailAddress, Frequency, OutboxStatus, SubscriberStatus};
use crate::security::{new_token, split, token_hash};

/// How long a confirmation link works; unconfirmed subscriptions lapse after it.
pub const CONFIRM_TTL: Duration = Duration::days(7);

/// A subscriber row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = subscribers)]
pub struct Subscriber {
    pub id: i32,
    pub email: String,
    pub status: SubscriberStatus,
    pub frequency: Frequency,
    #[serde(skip)]
    pub manage_token_hash: String,
    #[serde(skip)]
    pub confirm_token_hash: Option<String>,
    pub last_change_id: i32,
    pub bounce_count: i32,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub unsubscribed_at: Option<NaiveDateTime>,
    pub last_sent_at: Option<NaiveDateTime>,
    /// Where their consent came from, for imported lists ("" for the signup form).
    pub source: String,
}

impl Subscriber {
    /// How often they hear from us.
    pub fn frequency(&self) -> Frequency {
        self.frequency
    }
}

/// What a subscribe request led to; each carries the raw token for the email to send.
#[derive(Debug, Clone)]
pub enum Subscribed {
    /// A new (or lapsed, or unsubscribed) address: confirm with this token.
    Confirm {
        subscriber: Subscriber,
        token: String,
    },
    /// Already active: nothing changed; a link to manage preferences with this token.
    AlreadyActive {
        subscriber: Subscriber,
        token: String,
    },
}

fn by_id(conn: &mut DbConn, id: i32) -> Result<Subscriber> {
    Ok(subscribers::table
        .find(id)
        .select(Subscriber::as_select())
        .first(conn)?)
}

/// The subscriber with this id, if any.
pub fn get(conn: &mut DbConn, id: i32) -> Result<Option<Subscriber>> {
    Ok(subscribers::table
        .find(id)
        .select(Subscriber::as_select())
        .first(conn)
        .optional()?)
}

/// The subscriber with this address, if any.
pub fn find(conn: &mut DbConn, email: &str) -> Result<Option<Subscriber>> {
    Ok(subscribers::table
        .filter(subscribers::email.eq(email))
        .select(Subscriber::as_select())
        .first(conn)
        .optional()?)
}

fn add_token(
    conn: &mut DbConn,
    subscriber_id: i32,
    purpose: &str,
    at: NaiveDateTime,
) -> Result<String> {
    Ok(add_tokens(conn, &[subscriber_id], purpose, at)?.remove(0))
}

/// New tokens for `purpose`, one for each of these subscribers (in their order), in one
/// statement: each row holds the hash of a random verifier, and the token names its row
/// (see [`split`]).
fn add_tokens(
    conn: &mut DbConn,
    subscriber_ids: &[i32],
    purpose: &str,
    at: NaiveDateTime,
) -> Result<Vec<String>> {
    let verifiers: Vec<String> = subscriber_ids
        .iter()
        .map(|_| split::new_verifier())
        .collect();
    let hashes: Vec<String> = verifiers.iter().map(|v| token_hash(v)).collect();
    let rows: Vec<_> = subscriber_ids
        .iter()
        .zip(&hashes)
        .map(|(id, hash)| {
            (
                subscriber_tokens::subscriber_id.eq(*id),
                subscriber_tokens::token_hash.eq(hash.as_str()),
                subscriber_tokens::purpose.eq(purpose),
                subscriber_tokens::created_at.eq(at),
            )
        })
        .collect();
    let ids_key = super::settings::id_permutation(conn)?;
    // Rows come back by their (random, so distinct) hash, whatever order they come in.
    let ids: HashMap<String, i32> =
        super::on_backend!(conn, |c| diesel::insert_into(subscriber_tokens::table)
            .values(&rows)
            .returning((subscriber_tokens::token_hash, subscriber_tokens::id))
            .get_results::<(String, i32)>(c))?
        .into_iter()
        .collect();
    Ok(verifiers
        .iter()
        .zip(&hashes)
        .map(|(v, h)| split::token_keyed(&ids_key, ids[h], v))
        .collect())
}

/// The subscriber and creation time of a token for `purpose`: found by the row it names
/// and checked against its verifier, or, for a token made before tokens named their rows,
/// by the hash of the whole token.
fn find_token(
    conn: &mut DbConn,
    token: &str,
    purpose: &str,
) -> Result<Option<(i32, NaiveDateTime)>> {
    // Tokens name their row through the site's permutation; those of the first split form
    // name it in plain hex.
    let p = super::settings::id_permutation(conn)?;
    let candidates = [split::parse_keyed(&p, token), split::parse(token)];
    for (id, verifier) in candidates.into_iter().flatten() {
        let row: Option<(String, i32, NaiveDateTime)> = subscriber_tokens::table
            .find(id)
            .filter(subscriber_tokens::purpose.eq(purpose))
            .filter(subscriber_tokens::legacy.eq(false))
            .select((
                subscriber_tokens::token_hash,
                subscriber_tokens::subscriber_id,
                subscriber_tokens::created_at,
            ))
            .first(conn)
            .optional()?;
        if let Some((hash, subscriber, made)) = row {
            if split::matches(verifier, &hash) {
                return Ok(Some((subscriber, made)));
            }
        }
    }
    Ok(subscriber_tokens::table
        .filter(subscriber_tokens::legacy)
        .filter(subscriber_tokens::token_hash.eq(token_hash(token)))
        .filter(subscriber_tokens::purpose.eq(purpose))
        .select((
            subscriber_tokens::subscriber_id,
            subscriber_tokens::created_at,
        ))
        .first(conn)
        .optional()?)
}

/// A new token for the preferences and unsubscribe links of one email.
pub fn new_manage_token(
    conn: &mut DbConn,
    subscriber_id: i32,
    at: NaiveDateTime,
) -> Result<String> {
    add_token(conn, subscriber_id, "manage", at)
}

/// New tokens for the links of one email to each of these subscribers (in their order).
pub fn new_manage_tokens(
    conn: &mut DbConn,
    subscriber_ids: &[i32],
    at: NaiveDateTime,
) -> Result<Vec<String>> {
    add_tokens(conn, subscriber_ids, "manage", at)
}

fn set_campaigns(conn: &mut DbConn, subscriber_id: i32, campaign_ids: &[i32]) -> Result<()> {
    diesel::delete(
        subscriber_campaigns::table.filter(subscriber_campaigns::subscriber_id.eq(subscriber_id)),
    )
    .execute(conn)?;
    let mut ids = campaign_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for c in ids {
        diesel::insert_into(subscriber_campaigns::table)
            .values((
                subscriber_campaigns::subscriber_id.eq(subscriber_id),
                subscriber_campaigns::campaign_id.eq(c),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records a request to subscribe (call inside a write transaction). An active address is
/// left exactly as it was; anything else becomes pending with a fresh confirmation token.
pub fn subscribe(
    conn: &mut DbConn,
    email: &EmailAddress,
    campaign_ids: &[i32],
    frequency: Frequency,
    at: NaiveDateTime,
) -> Result<Subscribed> {
    let existing = find(conn, email.as_str())?;
    if let Some(s) = existing
        .as_ref()
        .filter(|s| s.status == SubscriberStatus::Active)
    {
        let token = new_manage_token(conn, s.id, at)?;
        return Ok(Subscribed::AlreadyActive {
            subscriber: s.clone(),
            token,
        });
    }
    let id = match existing {
        Some(s) => {
            diesel::update(subscribers::table.find(s.id))
                .set((
                    subscribers::status.eq(SubscriberStatus::Pending),
                    subscribers::frequency.eq(frequency.as_str()),
                    subscribers::bounce_count.eq(0),
                ))
                .execute(conn)?;
            s.id
        }
        None => {
            // The column is required; the first manage token is made at confirmation.
            diesel::insert_into(subscribers::table)
                .values((
                    subscribers::email.eq(email.as_str()),
                    subscribers::status.eq(SubscriberStatus::Pending),
                    subscribers::frequency.eq(frequency.as_str()),
                    subscribers::manage_token_hash.eq(token_hash(&new_token())),
                    subscribers::created_at.eq(at),
                ))
                .returning(subscribers::id)
                .get_result(conn)?
        }
    };
    set_campaigns(conn, id, campaign_ids)?;
    let token = add_token(conn, id, "confirm", at)?;
    diesel::update(subscribers::table.find(id))
        .set(subscribers::confirm_token_hash.eq(Some(token_hash(&token))))
        .execute(conn)?;
    Ok(Subscribed::Confirm {
        subscriber: by_id(conn, id)?,
        token,
    })
}

/// Why a confirmation link did not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmError {
    /// No such token.
    Unknown,
    /// Older than [`CONFIRM_TTL`] and never used.
    Lapsed,
}

/// Confirms with a token from a confirmation email; confirming twice changes nothing.
/// The subscriber starts from the current end of the change log. Returns the subscriber
/// and, for the visit that confirms, a new manage token for the page's preferences link.
pub fn confirm(
    conn: &mut DbConn,
    token: &str,
    at: NaiveDateTime,
) -> Result<std::result::Result<(Subscriber, Option<String>), ConfirmError>> {
    let found = find_token(conn, token, "confirm")?;
    let Some((id, made)) = found else {
        return Ok(Err(ConfirmError::Unknown));
    };
    let s = by_id(conn, id)?;
    if s.status != SubscriberStatus::Active {
        if s.status != SubscriberStatus::Pending || at - made > CONFIRM_TTL {
            return Ok(Err(ConfirmError::Lapsed));
        }
        let cursor = changes::max_id(conn)?;
        diesel::update(subscribers::table.find(id))
            .set((
                subscribers::status.eq(SubscriberStatus::Active),
                subscribers::confirmed_at.eq(Some(at)),
                subscribers::unsubscribed_at.eq(None::<NaiveDateTime>),
                subscribers::last_change_id.eq(cursor),
                subscribers::last_sent_at.eq(Some(at)),
                subscribers::bounce_count.eq(0),
            ))
            .execute(conn)?;
    }
    // Only the visit that confirms makes a token; opening the link again mints nothing.
    let manage = if s.status == SubscriberStatus::Active {
        None
    } else {
        Some(new_manage_token(conn, id, at)?)
    };
    Ok(Ok((by_id(conn, id)?, manage)))
}

/// The row a token names (either form), if it has the form of one; for tests and tools.
pub fn token_row(conn: &mut DbConn, token: &str) -> Result<Option<i32>> {
    let p = super::settings::id_permutation(conn)?;
    Ok(split::parse_keyed(&p, token)
        .or_else(|| split::parse(token))
        .map(|(id, _)| id))
}

/// Whether `token` names a token row that existed and is gone (pruned by retention, or
/// its subscriber deleted), rather than one that never existed.
pub fn token_was_removed(conn: &mut DbConn, token: &str) -> Result<bool> {
    // Only the keyed form: probing plain row ids must not tell how many tokens exist.
    let p = super::settings::id_permutation(conn)?;
    let Some((id, _)) = split::parse_keyed(&p, token) else {
        return Ok(false);
    };
    let max: Option<i32> = subscriber_tokens::table
        .select(diesel::dsl::max(subscriber_tokens::id))
        .first(conn)?;
    if max.is_none_or(|m| id > m) {
        return Ok(false);
    }
    let exists: i64 = subscriber_tokens::table.find(id).count().get_result(conn)?;
    Ok(exists == 0)
}

/// The subscriber a manage token (from any email) belongs to.
pub fn by_manage_token(conn: &mut DbConn, token: &str) -> Result<Option<Subscriber>> {
    let id = find_token(conn, token, "manage")?.map(|(id, _)| id);
    id.map(|id| by_id(conn, id)).transpose()
}

/// The campaigns a subscriber follows (empty: all).
pub fn campaigns_of(conn: &mut DbConn, ids: &[i32]) -> Result<HashMap<i32, Vec<i32>>> {
    let rows: Vec<(i32, i32)> = subscriber_campaigns::table
        .filter(subscriber_campaigns::subscriber_id.eq_any(ids))
        .order((
            subscriber_campaigns::subscriber_id,
            subscriber_campaigns::campaign_id,
        ))
        .select((
            subscriber_campaigns::subscriber_id,
            subscriber_campaigns::campaign_id,
        ))
        .load(conn)?;
    let mut map: HashMap<i32, Vec<i32>> = HashMap::new();
    for (s, c) in rows {
        map.entry(s).or_default().push(c);
    }
    Ok(map)
}

/// Changes what a subscriber follows and how often.
pub fn set_preferences(
    conn: &mut DbConn,
    id: i32,
    campaign_ids: &[i32],
    frequency: Frequency,
) -> Result<Subscriber> {
    diesel::update(subscribers::table.find(id))
        .set(subscribers::frequency.eq(frequency.as_str()))
        .execute(conn)?;
    set_campaigns(conn, id, campaign_ids)?;
    by_id(conn, id)
}

/// Unsubscribes (idempotent) and cancels digests composed but not yet sent.
pub fn unsubscribe(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> Result<Subscriber> {
    diesel::update(
        subscribers::table
            .find(id)
            .filter(subscribers::status.ne(SubscriberStatus::Unsubscribed)),
    )
    .set((
        subscribers::status.eq(SubscriberStatus::Unsubscribed),
        subscribers::unsubscribed_at.eq(Some(at)),
    ))
    .execute(conn)?;
    cancel_pending_digests(conn, id)?;
    by_id(conn, id)
}

fn cancel_pending_digests(conn: &mut DbConn, id: i32) -> Result<usize> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::subscriber_id.eq(id))
            .filter(outbox::kind.eq(MessageKind::Digest))
            .filter(outbox::status.eq(OutboxStatus::Pending)),
    )
    .set((
        outbox::status.eq(OutboxStatus::Cancelled),
        outbox::manage_token.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// Suppresses an address (status `bounced`, see [`super::bounces`]) and cancels every
/// message to it not yet sent.
pub fn suppress(conn: &mut DbConn, id: i32) -> Result<()> {
    diesel::update(subscribers::table.find(id))
        .set(subscribers::status.eq(SubscriberStatus::Bounced))
        .execute(conn)?;
    diesel::update(
        outbox::table
            .filter(outbox::subscriber_id.eq(id))
            .filter(outbox::status.eq(OutboxStatus::Pending)),
    )
    .set((
        outbox::status.eq(OutboxStatus::Cancelled),
        outbox::manage_token.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Deletes subscriptions never confirmed whose last confirmation email is older than
/// [`CONFIRM_TTL`]; returns how many.
pub fn lapse_unconfirmed(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize> {
    let cutoff = now - CONFIRM_TTL;
    let fresh = subscriber_tokens::table
        .filter(subscriber_tokens::purpose.eq("confirm"))
        .filter(subscriber_tokens::created_at.gt(cutoff))
        .select(subscriber_tokens::subscriber_id);
    Ok(diesel::delete(
        subscribers::table
            .filter(subscribers::status.eq(SubscriberStatus::Pending))
            .filter(subscribers::confirmed_at.is_null())
            .filter(subscribers::created_at.le(cutoff))
            .filter(subscribers::id.ne_all(fresh)),
    )
    .execute(conn)?)
}

/// When daily and weekly digests were last due (UTC); `None` when not yet configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Slots {
    pub daily: Option<NaiveDateTime>,
    pub weekly: Option<NaiveDateTime>,
}

/// Active subscribers with id above `after` who are behind `max_change` and due: immediate
/// ones always, daily and weekly ones when their slot has passed since their last digest.
pub fn due(
    conn: &mut DbConn,
    slots: Slots,
    max_change: i32,
    after: i32,
    limit: i64,
) -> Result<Vec<Subscriber>> {
    use subscribers::dsl as s;
    let never = chrono::DateTime::UNIX_EPOCH.naive_utc();
    let daily = slots.daily.unwrap_or(never);
    let weekly = slots.weekly.unwrap_or(never);
    Ok(s::subscribers
        .filter(s::status.eq(SubscriberStatus::Active))
        .filter(s::id.gt(after))
        .filter(s::last_change_id.lt(max_change))
        .filter(
            s::frequency
                .eq("immediate")
                .or(s::frequency
                    .eq("daily")
                    .and(s::last_sent_at.is_null().or(s::last_sent_at.lt(daily))))
                .or(s::frequency
                    .eq("weekly")
                    .and(s::last_sent_at.is_null().or(s::last_sent_at.lt(weekly)))),
        )
        .order(s::id.asc())
        .limit(limit)
        .select(Subscriber::as_select())
        .load(conn)?)
}

/// Moves the cursors of these subscribers from `from` to `to` — only those still at `from`,
/// so of two workers composing at once exactly one wins each. Returns the ids it moved.
pub fn advance(
    conn: &mut DbConn,
    ids: &[i32],
    from: i32,
    to: i32,
    at: NaiveDateTime,
) -> Result<Vec<i32>> {
    Ok(diesel::update(
        subscribers::table
            .filter(subscribers::id.eq_any(ids))
            .filter(subscribers::last_change_id.eq(from)),
    )
    .set((
        subscribers::last_change_id.eq(to),
        subscribers::last_sent_at.eq(Some(at)),
    ))
    .returning(subscribers::id)
    .get_results(conn)?)
}

/// The oldest cursor among active subscribers and how many they are: the change-log
/// entries after it are what digests have yet to carry. `None` with no active subscriber.
pub fn pending_from(conn: &mut DbConn) -> Result<(Option<i32>, i64)> {
    use subscribers::dsl as s;
    let active = s::subscribers.filter(s::status.eq(SubscriberStatus::Active));
    let oldest: Option<i32> = active
        .select(diesel::dsl::min(s::last_change_id))
        .first(conn)?;
    let n: i64 = active.count().get_result(conn)?;
    Ok((oldest, n))
}

/// How many subscribers are in each state.
pub fn counts(conn: &mut DbConn) -> Result<Vec<(String, i64)>> {
    Ok(subscribers::table
        .group_by(subscribers::status)
        .select((subscribers::status, diesel::dsl::count_star()))
        .order(subscribers::status)
        .load(conn)?)
}

/// Active subscribers per campaign followed (`None`: all campaigns).
pub fn counts_by_campaign(conn: &mut DbConn) -> Result<Vec<(Option<i32>, i64)>> {
    let all: i64 = subscribers::table
        .filter(subscribers::status.eq(SubscriberStatus::Active))
        .filter(
            subscribers::id
                .ne_all(subscriber_campaigns::table.select(subscriber_campaigns::subscriber_id)),
        )
        .count()
        .get_result(conn)?;
    let per: Vec<(i32, i64)> = subscriber_campaigns::table
        .inner_join(subscribers::table)
        .filter(subscribers::status.eq(SubscriberStatus::Active))
        .group_by(subscriber_campaigns::campaign_id)
        .select((subscriber_campaigns::campaign_id, diesel::dsl::count_star()))
        .load(conn)?;
    let mut out = vec![(None, all)];
    out.extend(per.into_iter().map(|(c, n)| (Some(c), n)));
    Ok(out)
}
