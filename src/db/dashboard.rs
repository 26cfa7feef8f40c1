//! What the organizers' dashboard shows: actions by where they are in their life, and how
//! many people are subscribed.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::actions::Action;
use super::schema::{actions, campaigns, subscribers};
use super::{DbConn, Result};
use crate::domain::Status;

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
    })
}
