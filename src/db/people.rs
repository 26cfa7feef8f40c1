//! Organizers and their API tokens.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::changes;
use super::schema::organizers;
use super::{Actor, DbConn, Error, Result};
use crate::domain::EmailAddress;

/// An organizer account.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = organizers)]
pub struct Organizer {
    pub id: i32,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub is_admin: bool,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
    pub last_login_at: Option<chrono::NaiveDateTime>,
}

/// Creates an organizer from an already hashed password; a known email is a conflict.
pub fn create_organizer(
    conn: &mut DbConn,
    email: &EmailAddress,
    password_hash: &str,
    is_admin: bool,
    actor: &Actor,
) -> Result<Organizer> {
    if find_organizer(conn, email.as_str())?.is_some() {
        return Err(Error::Conflict {
            field: "email".into(),
            message: "an organizer with this email already exists".into(),
        });
    }
    let id: i32 = diesel::insert_into(organizers::table)
        .values((
            organizers::email.eq(email.as_str().to_lowercase()),
            organizers::password_hash.eq(password_hash),
            organizers::is_admin.eq(is_admin),
            organizers::active.eq(true),
            organizers::created_at.eq(actor.at),
        ))
        .returning(organizers::id)
        .get_result(conn)?;
    let o: Organizer = organizers::table
        .find(id)
        .select(Organizer::as_select())
        .first(conn)?;
    changes::audit(
        conn,
        actor,
        "create",
        "organizer",
        Some(o.id),
        &json!({"email": o.email, "admin": o.is_admin}),
    )?;
    Ok(o)
}

/// The organizer with this email (compared case-insensitively), if any.
pub fn find_organizer(conn: &mut DbConn, email: &str) -> Result<Option<Organizer>> {
    Ok(organizers::table
        .filter(organizers::email.eq(email.to_lowercase()))
        .select(Organizer::as_select())
        .first(conn)
        .optional()?)
}

/// The organizer with this id, or `NotFound`.
pub fn organizer_by_id(conn: &mut DbConn, id: i32) -> Result<Organizer> {
    organizers::table
        .find(id)
        .select(Organizer::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("organizer"))
}

/// Every organizer, by email.
pub fn list_organizers(conn: &mut DbConn) -> Result<Vec<Organizer>> {
    Ok(organizers::table
        .order(organizers::email.asc())
        .select(Organizer::as_select())
        .load(conn)?)
}

/// Enables or disables an organizer; disabling ends their sessions at once. An admin
/// cannot disable their own account (so there is always someone left to undo it).
pub fn set_organizer_active(
    conn: &mut DbConn,
    id: i32,
    active: bool,
    actor: &Actor,
) -> Result<Organizer> {
    let before = organizer_by_id(conn, id)?;
    if !active && actor.organizer_id == Some(id) {
        return Err(Error::invalid(
            "active",
            "you cannot disable your own account",
        ));
    }
    if before.active != active {
        diesel::update(organizers::table.find(id))
            .set(organizers::active.eq(active))
            .execute(conn)?;
        if !active {
            super::sessions::end_all_for(conn, id)?;
        }
        changes::audit(
            conn,
            actor,
            if active { "enable" } else { "disable" },
            "organizer",
            Some(id),
            &json!({"fields": [{"field": "active", "old": before.active, "new": active}],
                    "email": before.email}),
        )?;
    }
    organizer_by_id(conn, id)
}

/// Gives an organizer a new password (an already hashed one) and ends their sessions:
/// how organizers brought in by `import site`, which carries no passwords, sign in again.
pub fn set_password(
    conn: &mut DbConn,
    email: &str,
    password_hash: &str,
    actor: &Actor,
) -> Result<Organizer> {
    let o = find_organizer(conn, email)?
        .ok_or_else(|| Error::invalid("EMAIL", format!("no organizer with the email {email}")))?;
    diesel::update(organizers::table.find(o.id))
        .set(organizers::password_hash.eq(password_hash))
        .execute(conn)?;
    super::sessions::end_all_for(conn, o.id)?;
    changes::audit(
        conn,
        actor,
        "set_password",
        "organizer",
        Some(o.id),
        &json!({"email": o.email}),
    )?;
    organizer_by_id(conn, o.id)
}
