//! Outcomes reported by visitors ("reached someone", "I signed it", "I'm going"), counted
//! per action and per target. Which outcomes an action takes depends on its kind.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{contacts, outcomes};
use super::{Actor, DbConn, Result};
use crate::domain::{ContactKind, Outcome, TargetKind};

/// How many reports said each thing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub contacted: i64,
    pub voicemail: i64,
    pub unavailable: i64,
    pub wrong_number: i64,
    pub done: i64,
    pub going: i64,
    pub read: i64,
    pub total: i64,
}

impl Counts {
    fn add(&mut self, outcome: Outcome, n: i64) {
        *match outcome {
            Outcome::Contacted => &mut self.contacted,
            Outcome::Voicemail => &mut self.voicemail,
            Outcome::Unavailable => &mut self.unavailable,
            Outcome::WrongNumber => &mut self.wrong_number,
            Outcome::Done => &mut self.done,
            Outcome::Going => &mut self.going,
            Outcome::Read => &mut self.read,
        } += n;
        self.total += n;
    }
}

/// The counts of one contact an action targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetCounts {
    pub contact: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// An action's counts: all together and per contact called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ActionCounts {
    #[serde(flatten)]
    pub counts: Counts,
    pub targets: Vec<TargetCounts>,
}

/// Records one outcome for an action, optionally naming the contact called.
pub fn record(
    conn: &mut DbConn,
    action_id: i32,
    contact_id: Option<i32>,
    outcome: Outcome,
    actor: &Actor,
) -> Result<()> {
    diesel::insert_into(outcomes::table)
        .values((
            outcomes::action_id.eq(action_id),
            outcomes::contact_id.eq(contact_id),
            outcomes::outcome.eq(outcome.as_str()),
            outcomes::created_at.eq(actor.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// How far back a contact's outcomes count ("this month").
pub const RECENT: chrono::Duration = chrono::Duration::days(30);
/// How many recent outcomes a contact needs before pages say how reachable it is.
pub const REACH_MIN: i64 = 20;

/// Each contact's outcomes since `since`, over every action.
pub fn by_contact(
    conn: &mut DbConn,
    contact_ids: &[i32],
    since: chrono::NaiveDateTime,
) -> Result<std::collections::HashMap<i32, Counts>> {
    grouped_by_contact(conn, Some(contact_ids), since)
}

/// Outcomes since `since` by contact: of these contacts, or of every contact.
fn grouped_by_contact(
    conn: &mut DbConn,
    contact_ids: Option<&[i32]>,
    since: chrono::NaiveDateTime,
) -> Result<std::collections::HashMap<i32, Counts>> {
    let query = outcomes::table
        .filter(outcomes::created_at.ge(since))
        .group_by((outcomes::contact_id, outcomes::outcome))
        .select((
            outcomes::contact_id,
            outcomes::outcome,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    let rows: Vec<(Option<i32>, Outcome, i64)> = match contact_ids {
        Some(ids) => query.filter(outcomes::contact_id.eq_any(ids)).load(conn)?,
        None => query
            .filter(outcomes::contact_id.is_not_null())
            .load(conn)?,
    };
    let mut map: std::collections::HashMap<i32, Counts> = Default::default();
    for (c, outcome, n) in rows {
        if let Some(c) = c {
            map.entry(c).or_default().add(outcome, n);
        }
    }
    Ok(map)
}

impl Counts {
    /// The share of callers who reached someone, in percent, once there are enough
    /// reports to say ([`REACH_MIN`]).
    pub fn reach(&self) -> Option<i64> {
        let calls = self.contacted + self.voicemail + self.unavailable + self.wrong_number;
        (calls >= REACH_MIN).then(|| (self.contacted * 100 + calls / 2) / calls)
    }
}

/// The counts of one action.
pub fn counts(conn: &mut DbConn, action_id: i32) -> Result<ActionCounts> {
    let rows: Vec<(Option<i32>, Outcome, i64)> = outcomes::table
        .filter(outcomes::action_id.eq(action_id))
        .group_by((outcomes::contact_id, outcomes::outcome))
        .select((
            outcomes::contact_id,
            outcomes::outcome,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut all = Counts::default();
    let mut per: BTreeMap<i32, Counts> = BTreeMap::new();
    for (contact, outcome, n) in &rows {
        all.add(*outcome, *n);
        if let Some(c) = contact {
            per.entry(*c).or_default().add(*outcome, *n);
        }
    }
    let ids: Vec<i32> = per.keys().copied().collect();
    let names: BTreeMap<i32, (String, String)> = contacts::table
        .filter(contacts::id.eq_any(&ids))
        .select((contacts::id, contacts::slug, contacts::name))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, s, n)| (id, (s, n)))
        .collect();
    let mut targets: Vec<TargetCounts> = per
        .into_iter()
        .filter_map(|(id, counts)| {
            names.get(&id).map(|(slug, name)| TargetCounts {
                contact: slug.clone(),
                name: name.clone(),
                counts,
            })
        })
        .collect();
    targets.sort_by(|a, b| {
        b.counts
            .total
            .cmp(&a.counts.total)
            .then(a.name.cmp(&b.name))
    });
    Ok(ActionCounts {
        counts: all,
        targets,
    })
}

/// Why a report was refused, by field.
fn invalid(field: &str, message: impl Into<String>) -> super::Error {
    super::Error::invalid(field, message)
}

/// Records a visitor's outcome for the published action `action_slug`, optionally naming
/// the contact called (a named target of the action, or a senator or representative when
/// the action asks for the visitor's own); answers the action's counts. Bumps the content
/// version so the action's cached page shows the new counts. A draft is not found unless
/// `sees_drafts` (its organizers, who get a conflict instead, as for an expired action).
pub fn report(
    conn: &mut DbConn,
    action_slug: &str,
    contact_slug: Option<&str>,
    outcome: Outcome,
    actor: &Actor,
    sees_drafts: bool,
) -> Result<ActionCounts> {
    use super::schema::action_targets;
    use crate::domain::Status;
    super::write_tx(conn, |conn| {
        let action = super::actions::by_slug(conn, action_slug)?;
        let closed = |message: &str| super::Error::Conflict {
            field: "status".into(),
            message: message.into(),
        };
        match action.status {
            Status::Published => {}
            // A draft does not exist for the public; its organizers learn why.
            Status::Draft if !sees_drafts => return Err(super::Error::NotFound("action")),
            Status::Draft => {
                return Err(closed(
                    "this action is a draft: callers' outcomes are counted once it is published",
                ))
            }
            Status::Expired => {
                return Err(closed(
                    "this action is over: it no longer counts callers' outcomes",
                ))
            }
        }
        if !outcome.fits(action.kind) {
            return Err(invalid("outcome", outcome.misfit(action.kind).0));
        }
        let contact_id = match contact_slug.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(slug) => {
                let c = super::contacts::find(conn, slug)?
                    .ok_or_else(|| invalid("contact", format!("no contact called {slug:?}")))?;
                let targets: Vec<(TargetKind, Option<i32>)> = action_targets::table
                    .filter(action_targets::action_id.eq(action.id))
                    .select((action_targets::kind, action_targets::contact_id))
                    .load(conn)?;
                let named = targets.iter().any(|(_, id)| *id == Some(c.id));
                let visitor = (c.kind == ContactKind::Senator
                    && targets
                        .iter()
                        .any(|(k, _)| *k == TargetKind::VisitorSenators))
                    || (c.kind == ContactKind::Representative
                        && targets
                            .iter()
                            .any(|(k, _)| *k == TargetKind::VisitorRepresentative));
                if !(named || visitor) {
                    return Err(invalid(
                        "contact",
                        format!("{slug:?} is not someone this action asks you to contact"),
                    ));
                }
                Some(c.id)
            }
        };
        record(conn, action.id, contact_id, outcome, actor)?;
        super::settings::bump_content_version(conn)?;
        counts(conn, action.id)
    })
}

/// How reachable each contact was over the last 30 days ([`Counts::reach`]), by slug, for
/// the contacts with enough call outcomes to say.
pub fn reach_by_slug(
    conn: &mut DbConn,
    since: chrono::NaiveDateTime,
) -> Result<std::collections::HashMap<String, i64>> {
    use super::schema::contacts;
    let counts = grouped_by_contact(conn, None, since)?;
    let reach: std::collections::HashMap<i32, i64> = counts
        .into_iter()
        .filter_map(|(id, c)| Some((id, c.reach()?)))
        .collect();
    let ids: Vec<i32> = reach.keys().copied().collect();
    let slugs: Vec<(i32, String)> = contacts::table
        .filter(contacts::id.eq_any(&ids))
        .select((contacts::id, contacts::slug))
        .load(conn)?;
    Ok(slugs
        .into_iter()
        .filter_map(|(id, slug)| Some((slug, *reach.get(&id)?)))
        .collect())
}
