//! What feeds and calendars read: change-log entries joined with the action, update and
//! campaign they are about, and the public event actions.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::actions::{self, Action, ActionFilter};
use super::changes::{self, Change, FieldChange};
use super::schema::{actions as actions_t, campaigns, updates};
use super::updates::Update;
use super::{DbConn, Result};
use crate::domain::{ActionKind, Status};

/// A change-log entry with what it is about, ready for a feed.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub change: Change,
    pub campaign_slug: String,
    pub campaign_title: String,
    /// The action's slug and title, when the change is about one.
    pub action: Option<(String, String)>,
    /// The dated update, when the change posted one.
    pub update: Option<Update>,
    pub fields: Vec<FieldChange>,
}

/// The newest `limit` change-log entries, of one campaign or of all, newest first.
pub fn items(conn: &mut DbConn, campaign_id: Option<i32>, limit: i64) -> Result<Vec<FeedItem>> {
    let list = changes::recent(conn, campaign_id, limit)?;
    let action_ids: Vec<i32> = list.iter().filter_map(|c| c.action_id).collect();
    let update_ids: Vec<i32> = list.iter().filter_map(|c| c.update_id).collect();
    let campaign_ids: Vec<i32> = list.iter().map(|c| c.campaign_id).collect();
    let acts: HashMap<i32, (String, String)> = actions_t::table
        .filter(actions_t::id.eq_any(&action_ids))
        .select((actions_t::id, actions_t::slug, actions_t::title))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, s, t)| (id, (s, t)))
        .collect();
    let ups: HashMap<i32, Update> = updates::table
        .filter(updates::id.eq_any(&update_ids))
        .select(Update::as_select())
        .load::<Update>(conn)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let camps: HashMap<i32, (String, String)> = campaigns::table
        .filter(campaigns::id.eq_any(&campaign_ids))
        .select((campaigns::id, campaigns::slug, campaigns::title))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, s, t)| (id, (s, t)))
        .collect();
    Ok(list
        .into_iter()
        .map(|c| {
            let (campaign_slug, campaign_title) =
                camps.get(&c.campaign_id).cloned().unwrap_or_default();
            FeedItem {
                action: c.action_id.and_then(|id| acts.get(&id).cloned()),
                update: c.update_id.and_then(|id| ups.get(&id).cloned()),
                fields: c.field_changes(),
                campaign_slug,
                campaign_title,
                change: c,
            }
        })
        .collect())
}

/// Public (published or expired) event actions with a start time, soonest first.
pub fn events(conn: &mut DbConn) -> Result<Vec<actions::ActionDetail>> {
    let mut list: Vec<Action> = Vec::new();
    for status in [Status::Published, Status::Expired] {
        list.extend(
            actions::list(
                conn,
                &ActionFilter {
                    campaign_id: None,
                    status: Some(status),
                    kind: Some(ActionKind::Event),
                },
            )?
            .into_iter()
            .filter(|a| a.starts_at.is_some()),
        );
    }
    list.sort_by_key(|a| (a.starts_at, a.id));
    actions::details(conn, list)
}

/// When anything in the change log last happened (of one campaign, or of all).
pub fn last_change_at(
    conn: &mut DbConn,
    campaign_id: Option<i32>,
) -> Result<Option<NaiveDateTime>> {
    Ok(changes::recent(conn, campaign_id, 1)?
        .first()
        .map(|c| c.created_at))
}
