//! Campaigns: the crisis a set of actions belongs to.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::changes::{self, ChangeKind, NewChange};
use super::schema::campaigns;
use super::{settings, Actor, DbConn, Error, Result};
use crate::domain::{Body, CampaignStatus, Slug, Summary, Title, Zone};

/// A campaign row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize)]
#[diesel(table_name = campaigns)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub status: CampaignStatus,
    pub position: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// Where its times are read; `None`: `DIGEST_TIMEZONE`.
    pub timezone: Option<Zone>,
}

/// The editable fields of a campaign, each checked by its type.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub slug: Slug,
    pub title: Title,
    pub summary: Summary,
    pub body: Body,
    /// `None`: `DIGEST_TIMEZONE`.
    pub timezone: Option<Zone>,
}

impl Campaign {
    fn snapshot(&self) -> serde_json::Value {
        json!({"slug": self.slug, "title": self.title, "summary": self.summary,
               "body": self.body, "status": self.status, "timezone": self.timezone})
    }

    /// The zone its times are shown in: its own, else `default` (`DIGEST_TIMEZONE`).
    pub fn zone(&self, default: Zone) -> Zone {
        self.timezone.unwrap_or(default)
    }
}

/// Creates an active campaign; a taken slug is a conflict.
pub fn create(conn: &mut DbConn, input: &CampaignInput, actor: &Actor) -> Result<Campaign> {
    if find(conn, input.slug.as_str())?.is_some() {
        return Err(Error::Conflict {
            field: "slug".into(),
            message: format!("a campaign called “{}” already exists", input.slug),
        });
    }
    let position: i32 = campaigns::table
        .select(diesel::dsl::max(campaigns::position))
        .first::<Option<i32>>(conn)?
        .map_or(0, |p| p + 1);
    let id: i32 = diesel::insert_into(campaigns::table)
        .values((
            campaigns::slug.eq(input.slug.as_str()),
            campaigns::title.eq(input.title.as_str()),
            campaigns::summary.eq(input.summary.as_str()),
            campaigns::body.eq(input.body.as_str()),
            campaigns::timezone.eq(input.timezone),
            campaigns::status.eq(CampaignStatus::Active),
            campaigns::position.eq(position),
            campaigns::created_at.eq(actor.at),
            campaigns::updated_at.eq(actor.at),
        ))
        .returning(campaigns::id)
        .get_result(conn)?;
    let campaign = by_id(conn, id)?;
    let snap = campaign.snapshot();
    changes::record_revision(conn, "campaign", campaign.id, &snap, actor)?;
    changes::audit(
        conn,
        actor,
        "create",
        "campaign",
        Some(campaign.id),
        &json!({"after": snap}),
    )?;
    settings::bump_content_version(conn)?;
    Ok(campaign)
}

/// Changes a campaign's title, summary and body (its slug stays), recording what changed.
pub fn update(
    conn: &mut DbConn,
    id: i32,
    input: &CampaignInput,
    actor: &Actor,
) -> Result<Campaign> {
    let before = by_id(conn, id)?;
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::title.eq(input.title.as_str()),
            campaigns::summary.eq(input.summary.as_str()),
            campaigns::body.eq(input.body.as_str()),
            campaigns::timezone.eq(input.timezone),
            campaigns::updated_at.eq(actor.at),
        ))
        .execute(conn)?;
    let campaign = by_id(conn, id)?;
    let fields = changes::diff(&before.snapshot(), &campaign.snapshot(), &[]);
    if !fields.is_empty() {
        changes::record_revision(conn, "campaign", id, &campaign.snapshot(), actor)?;
        changes::audit(
            conn,
            actor,
            "edit",
            "campaign",
            Some(id),
            &json!({"fields": fields}),
        )?;
        changes::append(
            conn,
            NewChange {
                campaign_id: id,
                action_id: None,
                update_id: None,
                kind: ChangeKind::CampaignChanged,
                summary: format!("{} was revised", campaign.title),
                fields,
            },
            actor,
        )?;
    }
    Ok(campaign)
}

/// The campaign with this slug, if any.
pub fn find(conn: &mut DbConn, slug: &str) -> Result<Option<Campaign>> {
    Ok(campaigns::table
        .filter(campaigns::slug.eq(slug))
        .select(Campaign::as_select())
        .first(conn)
        .optional()?)
}

/// The campaign with this slug, or `NotFound`.
pub fn by_slug(conn: &mut DbConn, slug: &str) -> Result<Campaign> {
    find(conn, slug)?.ok_or(Error::NotFound("campaign"))
}

/// The campaign with this id, or `NotFound`.
pub fn by_id(conn: &mut DbConn, id: i32) -> Result<Campaign> {
    campaigns::table
        .find(id)
        .select(Campaign::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("campaign"))
}

/// The zone each of these campaigns' times are shown in (see [`Campaign::zone`]).
pub fn zones(
    conn: &mut DbConn,
    ids: &[i32],
    default: Zone,
) -> Result<std::collections::HashMap<i32, Zone>> {
    let rows: Vec<(i32, Option<Zone>)> = campaigns::table
        .filter(campaigns::id.eq_any(ids))
        .select((campaigns::id, campaigns::timezone))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, z)| (id, z.unwrap_or(default)))
        .collect())
}

/// Active campaigns in their display order.
pub fn list_active(conn: &mut DbConn) -> Result<Vec<Campaign>> {
    Ok(campaigns::table
        .filter(campaigns::status.eq(CampaignStatus::Active))
        .order((campaigns::position.asc(), campaigns::id.asc()))
        .select(Campaign::as_select())
        .load(conn)?)
}

/// Every campaign.
pub fn list_all(conn: &mut DbConn) -> Result<Vec<Campaign>> {
    Ok(campaigns::table
        .order((campaigns::position.asc(), campaigns::id.asc()))
        .select(Campaign::as_select())
        .load(conn)?)
}
