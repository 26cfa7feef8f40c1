//! What a digest names beside the change log: the current title and address of each action,
//! update and campaign its entries point at.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{actions, campaigns, updates};
use super::{DbConn, Result};
use crate::domain::Status;

/// An action as a digest links to it.
#[derive(Debug, Clone)]
pub struct ActionRef {
    pub slug: String,
    pub title: String,
    pub status: Status,
}

/// An update as a digest links to it.
#[derive(Debug, Clone)]
pub struct UpdateRef {
    pub slug: String,
    pub title: String,
    pub published_at: chrono::NaiveDateTime,
}

/// A campaign as a digest heads a section with it.
#[derive(Debug, Clone)]
pub struct CampaignRef {
    pub id: i32,
    pub slug: String,
    pub title: String,
}

/// The actions with these ids.
pub fn actions(conn: &mut DbConn, ids: &[i32]) -> Result<HashMap<i32, ActionRef>> {
    let rows: Vec<(i32, String, String, Status)> = actions::table
        .filter(actions::id.eq_any(ids))
        .select((actions::id, actions::slug, actions::title, actions::status))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, title, status)| {
            (
                id,
                ActionRef {
                    slug,
                    title,
                    status,
                },
            )
        })
        .collect())
}

/// The updates with these ids.
pub fn updates(conn: &mut DbConn, ids: &[i32]) -> Result<HashMap<i32, UpdateRef>> {
    let rows: Vec<(i32, String, String, chrono::NaiveDateTime)> = updates::table
        .filter(updates::id.eq_any(ids))
        .select((
            updates::id,
            updates::slug,
            updates::title,
            updates::published_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, title, published_at)| {
            (
                id,
                UpdateRef {
                    slug,
                    title,
                    published_at,
                },
            )
        })
        .collect())
}

/// Every campaign, in the organizers' order.
pub fn campaigns(conn: &mut DbConn) -> Result<Vec<CampaignRef>> {
    let rows: Vec<(i32, String, String)> = campaigns::table
        .order((campaigns::position.asc(), campaigns::id.asc()))
        .select((campaigns::id, campaigns::slug, campaigns::title))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, title)| CampaignRef { id, slug, title })
        .collect())
}
