//! State and local officials from Open States as contacts (found by their `ocd-person/…`
//! id, by state and district), and the legislatures' own member lists. Imports write them
//! through `contacts::upsert` (revisions, audit, directory version).

use std::collections::HashMap;

use diesel::prelude::*;

use super::contacts::Contact;
use super::schema::contacts;
use super::{settings, DbConn, Result};
use crate::domain::ContactKind;

/// The settings key of the member lists (JSON: state → URL).
const MEMBER_LISTS: &str = "openstates_member_lists";

/// Every contact imported from Open States, current or former.
pub fn with_openstates_id(conn: &mut DbConn) -> Result<Vec<Contact>> {
    Ok(contacts::table
        .filter(contacts::openstates_id.is_not_null())
        .order(contacts::id.asc())
        .select(Contact::as_select())
        .load(conn)?)
}

/// Every sitting statewide executive and state legislator, for the in-memory directory.
pub fn all_state(conn: &mut DbConn) -> Result<Vec<Contact>> {
    Ok(contacts::table
        .filter(contacts::kind.eq_any(ContactKind::STATE))
        .order(contacts::id.asc())
        .select(Contact::as_select())
        .load(conn)?)
}

/// The legislatures' lists of members ("find my legislator"), by state.
pub fn member_lists(conn: &mut DbConn) -> Result<HashMap<String, String>> {
    Ok(settings::get(conn, MEMBER_LISTS)?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// Replaces the member lists; bumps the directory version when they changed.
pub fn set_member_lists(conn: &mut DbConn, lists: &HashMap<String, String>) -> Result<()> {
    if member_lists(conn)? == *lists {
        return Ok(());
    }
    let sorted: std::collections::BTreeMap<_, _> = lists.iter().collect();
    settings::set(
        conn,
        MEMBER_LISTS,
        &serde_json::to_string(&sorted).unwrap_or_default(),
    )?;
    settings::bump_directory_version(conn)?;
    Ok(())
}
