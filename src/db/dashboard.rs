//! What the organizers' dashboard shows: actions by where they are in their life, and how
//! many people are subscribed.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::actions::Action;
use super::schema::{action_targets, actions, campaigns, contacts, subscribers};
use super::{DbConn, Result};
use crate::domain::{ContactKind, Status};

/// How close an expiry must be for the dashboard's "ending soon".
pub const ENDING_SOON: Duration = Duration::days(3);
/// How far back the dashboard's "recently expired" looks.
pub const RECENTLY: Duration = Duration::days(14);

/// An action as the dashboard lists it, with its campaign's title.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub action: Action,
    pub campaign_title: String,
}

/// The dashboard's lists and counts.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub drafts: Vec<Row>,
    pub published: Vec<Row>,
    pub ending_soon: Vec<Row>,
    pub recently_expired: Vec<Row>,
    pub active_subscribers: i64,
    /// Drafts and published actions that name an official who has left office.
    pub naming_former: Vec<NamingFormer>,
}

/// An open action that names, as a target, an official an import retired (no longer in
/// the congress-legislators or Open States files): organizers should replace or remove them.
#[derive(Debug, Clone, Serialize)]
pub struct NamingFormer {
    pub action_slug: String,
    pub action_title: String,
    pub status: Status,
    pub contact_slug: String,
    pub contact_name: String,
    /// "Former U.S. Senator for New York".
    pub contact_role: String,
}

/// Drafts and published actions naming a former official, by action then official.
pub fn naming_former_officials(conn: &mut DbConn) -> Result<Vec<NamingFormer>> {
    let rows: Vec<(String, String, Status, String, String, String)> = actions::table
        .inner_join(action_targets::table.inner_join(contacts::table))
        .filter(actions::status.eq_any([Status::Draft.as_str(), Status::Published.as_str()]))
        .filter(contacts::kind.eq(ContactKind::Person))
        .filter(
            contacts::bioguide_id
                .is_not_null()
                .or(contacts::openstates_id.is_not_null()),
        )
        .order((actions::id.asc(), contacts::name.asc()))
        .select((
            actions::slug,
            actions::title,
            actions::status,
            contacts::slug,
            contacts::name,
            contacts::role,
        ))
        .load(conn)?;
    // Not `DISTINCT`: PostgreSQL would want the ordering columns selected. An action naming
    // the same official twice is listed once.
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|r| seen.insert((r.0.clone(), r.3.clone())))
        .map(
            |(action_slug, action_title, status, contact_slug, contact_name, contact_role)| {
                NamingFormer {
                    action_slug,
                    action_title,
                    status,
                    contact_slug,
                    contact_name,
                    contact_role,
                }
            },
        )
        .collect())
}

fn rows(conn: &mut DbConn, status: Status) -> Result<Vec<Row>> {
    let list: Vec<(Action, String)> = actions::table
        .inner_join(campaigns::table)
        .filter(actions::status.eq(status.as_str()))
        .order((
            campaigns::position.asc(),
            actions::campaign_id.asc(),
            actions::position.asc(),
            actions::id.asc(),
        ))
        .select((Action::as_select(), campaigns::title))
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|(action, campaign_title)| Row {
            action,
            campaign_title,
        })
        .collect())
}

/// Subscribers who confirmed and have not unsubscribed.
pub fn active_subscriber_count(conn: &mut DbConn) -> Result<i64> {
    Ok(subscribers::table
        .filter(subscribers::status.eq("active"))
        .count()
        .get_result(conn)?)
}

/// Everything the dashboard shows, as of `now`.
pub fn load(conn: &mut DbConn, now: NaiveDateTime) -> Result<Dashboard> {
    let drafts = rows(conn, Status::Draft)?;
    let published = rows(conn, Status::Published)?;
    let mut ending_soon: Vec<Row> = published
        .iter()
        .filter(|r| {
            r.action
                .expires_at
                .is_some_and(|e| e > now && e - now <= ENDING_SOON)
        })
        .cloned()
        .collect();
    ending_soon.sort_by_key(|r| r.action.expires_at);
    let mut recently_expired: Vec<Row> = rows(conn, Status::Expired)?
        .into_iter()
        .filter(|r| r.action.expired_at.is_some_and(|e| now - e <= RECENTLY))
        .collect();
    recently_expired.sort_by_key(|r| std::cmp::Reverse(r.action.expired_at));
    Ok(Dashboard {
        drafts,
        published,
        ending_soon,
        recently_expired,
        active_subscribers: active_subscriber_count(conn)?,
        naming_former: naming_former_officials(conn)?,
    })
}
