//! Counts for `/metrics`.

use diesel::prelude::*;

use super::schema::{actions, campaigns};
use super::{changes, settings, DbConn, Result};

/// What `/metrics` reports about stored content.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub actions_by_status: Vec<(String, i64)>,
    pub active_campaigns: i64,
    pub last_change_id: i32,
    pub content_version: i64,
}

/// Counts actions by status, active campaigns, the change log and the content version.
pub fn counts(conn: &mut DbConn) -> Result<Counts> {
    let actions_by_status = actions::table
        .group_by(actions::status)
        .select((actions::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?;
    let active_campaigns = campaigns::table
        .filter(campaigns::status.eq(crate::domain::CampaignStatus::Active))
        .count()
        .get_result(conn)?;
    Ok(Counts {
        actions_by_status,
        active_campaigns,
        last_change_id: changes::max_id(conn)?,
        content_version: settings::content_version(conn)?,
    })
}
