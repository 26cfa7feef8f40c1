//! What a digest names beside the change log: the current title, address, summary, first
//! number and deadline of each action, the text of each update and the time zone of each
//! campaign its entries point at. Loaded once per digest run, in a fixed number of
//! queries, whatever the number of subscribers.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::contacts::{self, PhoneView};
use super::schema::{action_targets, actions, campaigns, contacts as contact_rows, updates};
use super::{DbConn, Result};
use crate::domain::{Status, Zone};

/// An action as a digest links to it and says what it asks.
#[derive(Debug, Clone)]
pub struct ActionRef {
    pub slug: String,
    pub title: String,
    pub status: Status,
    pub summary: String,
    pub expires_at: Option<NaiveDateTime>,
    /// The first number of its first contact that has one.
    pub phone: Option<PhoneView>,
    /// The names of the contacts it names, in order.
    pub contacts: Vec<String>,
}

/// An update as a digest links to it.
#[derive(Debug, Clone)]
pub struct UpdateRef {
    pub slug: String,
    pub title: String,
    pub body: String,
    pub published_at: chrono::NaiveDateTime,
}

/// A campaign as a digest heads a section with it.
#[derive(Debug, Clone)]
pub struct CampaignRef {
    pub id: i32,
    pub slug: String,
    pub title: String,
    /// Its own time zone, if it has one.
    pub timezone: Option<Zone>,
}

type ActionRow = (i32, String, String, Status, String, Option<NaiveDateTime>);

/// The actions with these ids.
pub fn actions(conn: &mut DbConn, ids: &[i32]) -> Result<HashMap<i32, ActionRef>> {
    let rows: Vec<ActionRow> = actions::table
        .filter(actions::id.eq_any(ids))
        .select((
            actions::id,
            actions::slug,
            actions::title,
            actions::status,
            actions::summary,
            actions::expires_at,
        ))
        .load(conn)?;
    let targets: Vec<(i32, i32, String)> = action_targets::table
        .inner_join(contact_rows::table)
        .filter(action_targets::action_id.eq_any(ids))
        .order((action_targets::action_id, action_targets::position))
        .select((
            action_targets::action_id,
            contact_rows::id,
            contact_rows::name,
        ))
        .load(conn)?;
    let contact_ids: Vec<i32> = targets.iter().map(|t| t.1).collect();
    let phones = contacts::phones_of(conn, &contact_ids)?;
    let mut out: HashMap<i32, ActionRef> = rows
        .into_iter()
        .map(|(id, slug, title, status, summary, expires_at)| {
            (
                id,
                ActionRef {
                    slug,
                    title,
                    status,
                    summary,
                    expires_at,
                    phone: None,
                    contacts: Vec::new(),
                },
            )
        })
        .collect();
    for (action_id, contact_id, name) in targets {
        let Some(a) = out.get_mut(&action_id) else {
            continue;
        };
        if a.phone.is_none() {
            a.phone = phones
                .get(&contact_id)
                .and_then(|p| p.first())
                .map(|p| p.view());
        }
        a.contacts.push(name);
    }
    Ok(out)
}

/// The updates with these ids.
pub fn updates(conn: &mut DbConn, ids: &[i32]) -> Result<HashMap<i32, UpdateRef>> {
    let rows: Vec<(i32, String, String, String, chrono::NaiveDateTime)> = updates::table
        .filter(updates::id.eq_any(ids))
        .select((
            updates::id,
            updates::slug,
            updates::title,
            updates::body,
            updates::published_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, title, body, published_at)| {
            (
                id,
                UpdateRef {
                    slug,
                    title,
                    body,
                    published_at,
                },
            )
        })
        .collect())
}

/// Every campaign, in the organizers' order.
pub fn campaigns(conn: &mut DbConn) -> Result<Vec<CampaignRef>> {
    let rows: Vec<(i32, String, String, Option<Zone>)> = campaigns::table
        .order((campaigns::position.asc(), campaigns::id.asc()))
        .select((
            campaigns::id,
            campaigns::slug,
            campaigns::title,
            campaigns::timezone,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, title, timezone)| CampaignRef {
            id,
            slug,
            title,
            timezone,
        })
        .collect())
}
