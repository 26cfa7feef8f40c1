//! The change log (what digests, feeds and badges read), revisions and the audit log.
//! Every write function in `db/` that alters published content calls these inside its own
//! transaction, so a change and its record commit together or not at all.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema::{audit_log, changes, revisions};
use super::{settings, Actor, DbConn, Result};
use crate::domain::text::normalise_lines;

pub use crate::domain::ChangeKind;

/// One field's old and new value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// Compares two JSON objects key by key; keys in `skip` are ignored.
pub fn diff(old: &Value, new: &Value, skip: &[&str]) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let o = old.as_object().unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !skip.contains(&k.as_str()))
        .filter_map(|k| {
            let (a, b) = (
                o.get(k).cloned().unwrap_or(Value::Null),
                n.get(k).cloned().unwrap_or(Value::Null),
            );
            (a != b).then(|| FieldChange {
                field: k.clone(),
                old: a,
                new: b,
            })
        })
        .collect()
}

/// Applies [`normalise_lines`] to every text in a snapshot, so text stored before the
/// rules of [`crate::domain::text`] normalised line ends compares equal to the same text
/// typed again.
pub fn normalise_text(v: &mut Value) {
    match v {
        Value::String(s) if s.contains(['\r', '\n']) => *s = normalise_lines(s),
        Value::Array(list) => list.iter_mut().for_each(normalise_text),
        Value::Object(map) => map.values_mut().for_each(normalise_text),
        _ => {}
    }
}

/// A change-log entry.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = changes)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub id: i32,
    pub campaign_id: i32,
    pub action_id: Option<i32>,
    pub update_id: Option<i32>,
    pub kind: ChangeKind,
    pub summary: String,
    pub fields: String,
    pub organizer_id: Option<i32>,
    pub actor: String,
    pub created_at: chrono::NaiveDateTime,
}

impl Change {
    /// The changed fields, decoded.
    pub fn field_changes(&self) -> Vec<FieldChange> {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }
}

/// What to append to the change log.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub campaign_id: i32,
    pub action_id: Option<i32>,
    pub update_id: Option<i32>,
    pub kind: ChangeKind,
    pub summary: String,
    pub fields: Vec<FieldChange>,
}

/// Appends an entry. Entries become visible in id order: on PostgreSQL an advisory lock
/// held to the end of the transaction serialises appends, so a reader that has seen id N
/// can never later find a committed id below N (SQLite's single writer gives this already).
pub fn append(conn: &mut DbConn, new: NewChange, actor: &Actor) -> Result<i32> {
    if let DbConn::Pg(c) = conn {
        c.batch_execute("SELECT pg_advisory_xact_lock(727274002)")?;
    }
    let fields = serde_json::to_string(&new.fields).expect("field changes serialise");
    let id = diesel::insert_into(changes::table)
        .values((
            changes::campaign_id.eq(new.campaign_id),
            changes::action_id.eq(new.action_id),
            changes::update_id.eq(new.update_id),
            changes::kind.eq(new.kind),
            changes::summary.eq(&new.summary),
            changes::fields.eq(fields),
            changes::organizer_id.eq(actor.organizer_id),
            changes::actor.eq(&actor.name),
            changes::created_at.eq(actor.at),
        ))
        .returning(changes::id)
        .get_result(conn)?;
    settings::bump_content_version(conn)?;
    Ok(id)
}

/// Entries after `last_id`, oldest first.
pub fn after(conn: &mut DbConn, last_id: i32, limit: i64) -> Result<Vec<Change>> {
    Ok(changes::table
        .filter(changes::id.gt(last_id))
        .order(changes::id.asc())
        .limit(limit)
        .select(Change::as_select())
        .load(conn)?)
}

/// The newest entries, optionally for one campaign.
pub fn recent(conn: &mut DbConn, campaign_id: Option<i32>, limit: i64) -> Result<Vec<Change>> {
    let mut q = changes::table
        .order(changes::id.desc())
        .limit(limit)
        .select(Change::as_select())
        .into_boxed();
    if let Some(c) = campaign_id {
        q = q.filter(changes::campaign_id.eq(c));
    }
    Ok(q.load(conn)?)
}

/// Every entry about one action, oldest first.
pub fn for_action(conn: &mut DbConn, action_id: i32) -> Result<Vec<Change>> {
    Ok(changes::table
        .filter(changes::action_id.eq(action_id))
        .order(changes::id.asc())
        .select(Change::as_select())
        .load(conn)?)
}

/// The highest id in the log (0 when empty).
pub fn max_id(conn: &mut DbConn) -> Result<i32> {
    Ok(changes::table
        .select(diesel::dsl::max(changes::id))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0))
}

/// When an action was last published (or reopened), last changed, and last touched at all,
/// according to the change log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Activity {
    pub published_at: Option<chrono::NaiveDateTime>,
    pub changed_at: Option<chrono::NaiveDateTime>,
    pub last_at: Option<chrono::NaiveDateTime>,
}

/// The activity of each of these actions.
pub fn activity(conn: &mut DbConn, action_ids: &[i32]) -> Result<HashMap<i32, Activity>> {
    let rows: Vec<(Option<i32>, String, Option<chrono::NaiveDateTime>)> = changes::table
        .filter(changes::action_id.eq_any(action_ids))
        .group_by((changes::action_id, changes::kind))
        .select((
            changes::action_id,
            changes::kind,
            diesel::dsl::max(changes::created_at),
        ))
        .load(conn)?;
    let mut map: HashMap<i32, Activity> = HashMap::new();
    for (id, kind, at) in rows {
        let (Some(id), Some(at)) = (id, at) else {
            continue;
        };
        let a = map.entry(id).or_default();
        let slot = match kind.as_str() {
            "action_published" | "action_reopened" => &mut a.published_at,
            "action_changed" => &mut a.changed_at,
            _ => &mut a.last_at,
        };
        *slot = (*slot).max(Some(at));
        a.last_at = a.last_at.max(Some(at));
    }
    Ok(map)
}

/// A stored version of something organizers edit.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = revisions)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Revision {
    pub id: i32,
    pub entity: String,
    pub entity_id: i32,
    pub version: i32,
    pub snapshot: String,
    pub organizer_id: Option<i32>,
    pub actor: String,
    pub created_at: chrono::NaiveDateTime,
}

/// Stores the next version of an entity; returns its number (1 for the first).
pub fn record_revision(
    conn: &mut DbConn,
    entity: &str,
    entity_id: i32,
    snapshot: &Value,
    actor: &Actor,
) -> Result<i32> {
    let last: Option<i32> = revisions::table
        .filter(revisions::entity.eq(entity))
        .filter(revisions::entity_id.eq(entity_id))
        .select(diesel::dsl::max(revisions::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    diesel::insert_into(revisions::table)
        .values((
            revisions::entity.eq(entity),
            revisions::entity_id.eq(entity_id),
            revisions::version.eq(version),
            revisions::snapshot.eq(snapshot.to_string()),
            revisions::organizer_id.eq(actor.organizer_id),
            revisions::actor.eq(&actor.name),
            revisions::created_at.eq(actor.at),
        ))
        .execute(conn)?;
    Ok(version)
}

/// Every version of an entity, oldest first.
pub fn revisions_of(conn: &mut DbConn, entity: &str, entity_id: i32) -> Result<Vec<Revision>> {
    Ok(revisions::table
        .filter(revisions::entity.eq(entity))
        .filter(revisions::entity_id.eq(entity_id))
        .order(revisions::version.asc())
        .select(Revision::as_select())
        .load(conn)?)
}

/// An audit-log row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = audit_log)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    pub id: i32,
    pub organizer_id: Option<i32>,
    pub actor: String,
    pub verb: String,
    pub entity: String,
    pub entity_id: Option<i32>,
    pub detail: String,
    pub created_at: chrono::NaiveDateTime,
}

/// Records who did what to which entity, with a JSON detail (a before/after of fields).
pub fn audit(
    conn: &mut DbConn,
    actor: &Actor,
    verb: &str,
    entity: &str,
    entity_id: Option<i32>,
    detail: &Value,
) -> Result<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::organizer_id.eq(actor.organizer_id),
            audit_log::actor.eq(&actor.name),
            audit_log::verb.eq(verb),
            audit_log::entity.eq(entity),
            audit_log::entity_id.eq(entity_id),
            audit_log::detail.eq(detail.to_string()),
            audit_log::created_at.eq(actor.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest audit rows.
pub fn audit_recent(conn: &mut DbConn, limit: i64) -> Result<Vec<AuditEntry>> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_names_changed_added_and_removed_fields() {
        let old = json!({"title": "A", "phone": "+1", "gone": 1, "updated_at": "x"});
        let new = json!({"title": "A", "phone": "+2", "added": true, "updated_at": "y"});
        let d = diff(&old, &new, &["updated_at"]);
        let names: Vec<_> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, vec!["added", "gone", "phone"]);
        assert_eq!(d[2].old, json!("+1"));
        assert_eq!(d[2].new, json!("+2"));
    }
}
