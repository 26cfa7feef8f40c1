//! Dated campaign updates ("5/29 Update") and the actions each added or changed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::changes::{self, ChangeKind, NewChange};
use super::schema::{actions, campaigns, update_actions, updates};
use super::{Actor, DbConn, Error, Result};
use crate::domain::Status;
use crate::domain::{Body, Slug, Title, Zone};

/// An update row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize)]
#[diesel(table_name = updates)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub id: i32,
    pub campaign_id: i32,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub published_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub organizer_id: Option<i32>,
}

pub use crate::domain::Relation;

/// A dated update to post, each field checked by its type.
#[derive(Debug, Clone)]
pub struct UpdateInput {
    pub campaign_id: i32,
    pub title: Title,
    pub body: Body,
    pub published_at: NaiveDateTime,
    pub actions: Vec<(i32, Relation)>,
}

/// An action an update names.
#[derive(Debug, Clone, Serialize)]
pub struct RelatedAction {
    pub slug: String,
    pub title: String,
    pub status: Status,
    pub relation: Relation,
}

/// An update with its campaign and the actions it names.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateView {
    pub update: Update,
    pub campaign_slug: String,
    pub campaign_title: String,
    /// Its campaign's zone; `None` until [`fill_zones`] gives the default.
    pub campaign_tz: Option<Zone>,
    pub actions: Vec<RelatedAction>,
}

/// Gives updates whose campaign names no zone the default one (`DIGEST_TIMEZONE`).
pub fn fill_zones(list: &mut [UpdateView], default: Zone) {
    for u in list {
        u.campaign_tz.get_or_insert(default);
    }
}

/// Posts a dated update; it enters the change log at once.
pub fn post(conn: &mut DbConn, input: &UpdateInput, actor: &Actor) -> Result<Update> {
    let base = Slug::from_title(&format!(
        "{} {}",
        input.published_at.format("%Y-%m-%d"),
        input.title
    ));
    let mut slug = base.clone();
    let mut n = 2;
    while updates::table
        .filter(updates::slug.eq(slug.as_str()))
        .count()
        .get_result::<i64>(conn)?
        > 0
    {
        slug = base.with_suffix(n);
        n += 1;
    }
    let update_id: i32 = diesel::insert_into(updates::table)
        .values((
            updates::campaign_id.eq(input.campaign_id),
            updates::slug.eq(slug.as_str()),
            updates::title.eq(input.title.as_str()),
            updates::body.eq(input.body.as_str()),
            updates::published_at.eq(input.published_at),
            updates::created_at.eq(actor.at),
            updates::organizer_id.eq(actor.organizer_id),
        ))
        .returning(updates::id)
        .get_result(conn)?;
    let update: Update = updates::table
        .find(update_id)
        .select(Update::as_select())
        .first(conn)?;
    for (action_id, rel) in &input.actions {
        let belongs: i64 = actions::table
            .filter(actions::id.eq(action_id))
            .filter(actions::campaign_id.eq(input.campaign_id))
            .count()
            .get_result(conn)?;
        if belongs == 0 {
            return Err(Error::invalid(
                "actions",
                "names an action of another campaign",
            ));
        }
        diesel::insert_into(update_actions::table)
            .values((
                update_actions::update_id.eq(update.id),
                update_actions::action_id.eq(action_id),
                update_actions::relation.eq(rel),
            ))
            .execute(conn)?;
    }
    let snap = json!({"title": update.title, "body": update.body,
        "published_at": update.published_at.and_utc().to_rfc3339(),
        "actions": input.actions.iter().map(|(id, r)| json!({"action_id": id, "relation": r})).collect::<Vec<_>>()});
    changes::record_revision(conn, "update", update.id, &snap, actor)?;
    changes::audit(
        conn,
        actor,
        "post",
        "update",
        Some(update.id),
        &json!({"after": snap}),
    )?;
    changes::append(
        conn,
        NewChange {
            campaign_id: input.campaign_id,
            action_id: None,
            update_id: Some(update.id),
            kind: ChangeKind::UpdatePosted,
            summary: update.title.clone(),
            fields: Vec::new(),
        },
        actor,
    )?;
    Ok(update)
}

/// Updates of one campaign, or of all, newest first.
pub fn list(conn: &mut DbConn, campaign_id: Option<i32>) -> Result<Vec<UpdateView>> {
    let mut q = updates::table
        .inner_join(campaigns::table)
        .order((updates::published_at.desc(), updates::id.desc()))
        .select((
            Update::as_select(),
            campaigns::slug,
            campaigns::title,
            campaigns::timezone,
        ))
        .into_boxed();
    if let Some(c) = campaign_id {
        q = q.filter(updates::campaign_id.eq(c));
    }
    let rows: Vec<(Update, String, String, Option<Zone>)> = q.load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|r| r.0.id).collect();
    let related: Vec<(i32, String, String, Status, Relation)> = update_actions::table
        .inner_join(actions::table)
        .filter(update_actions::update_id.eq_any(&ids))
        .order(actions::position.asc())
        .select((
            update_actions::update_id,
            actions::slug,
            actions::title,
            actions::status,
            update_actions::relation,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(u, campaign_slug, campaign_title, campaign_tz)| UpdateView {
                actions: related
                    .iter()
                    .filter(|r| r.0 == u.id)
                    .map(|r| RelatedAction {
                        slug: r.1.clone(),
                        title: r.2.clone(),
                        status: r.3,
                        relation: r.4,
                    })
                    .collect(),
                update: u,
                campaign_slug,
                campaign_title,
                campaign_tz,
            },
        )
        .collect())
}
