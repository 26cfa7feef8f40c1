//! API bearer tokens: created for an organizer (the plain token is shown once and stored
//! only as its hash), verified on each API write, listed and revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::changes;
use super::people::Organizer;
use super::schema::{api_tokens, organizers};
use super::{Actor, DbConn, Error, Result};
use crate::security;

/// A stored token (never the token itself).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i32,
    pub organizer_id: i32,
    #[serde(skip)]
    pub token_hash: String,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiToken {
    /// True until the token is revoked.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// The first characters of the hash: enough to tell tokens apart in a list, useless to
    /// an attacker.
    pub fn fingerprint(&self) -> &str {
        &self.token_hash[..self.token_hash.len().min(8)]
    }
}

/// A token just created: the stored row and the plain token, which is never stored and
/// cannot be shown again.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: ApiToken,
    pub plain: String,
}

/// Creates a token for an organizer; returns the plain token once.
pub fn create(
    conn: &mut DbConn,
    organizer_id: i32,
    label: &str,
    actor: &Actor,
) -> Result<NewToken> {
    let owner: Option<Organizer> = organizers::table
        .find(organizer_id)
        .select(Organizer::as_select())
        .first(conn)
        .optional()?;
    if owner.is_none() {
        return Err(Error::NotFound("organizer"));
    }
    let label = label.trim();
    if label.chars().count() > 100 {
        return Err(Error::invalid("label", "must be at most 100 characters"));
    }
    let plain = security::new_token();
    let id: i32 = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::organizer_id.eq(organizer_id),
            api_tokens::token_hash.eq(security::token_hash(&plain)),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(actor.at),
        ))
        .returning(api_tokens::id)
        .get_result(conn)?;
    let token = by_id(conn, id)?;
    changes::audit(
        conn,
        actor,
        "create",
        "api_token",
        Some(id),
        &json!({"organizer_id": organizer_id, "label": token.label}),
    )?;
    Ok(NewToken { token, plain })
}

/// The organizer a presented token belongs to, when the token is known, not revoked and
/// its organizer is active; records when it was last used. Anything else is `None`.
pub fn verify(conn: &mut DbConn, presented: &str) -> Result<Option<Organizer>> {
    let presented = presented.trim();
    if presented.is_empty() {
        return Ok(None);
    }
    let found: Option<(ApiToken, Organizer)> = api_tokens::table
        .inner_join(organizers::table)
        .filter(api_tokens::token_hash.eq(security::token_hash(presented)))
        .select((ApiToken::as_select(), Organizer::as_select()))
        .first(conn)
        .optional()?;
    let Some((token, organizer)) = found else {
        return Ok(None);
    };
    if !token.is_active() || !organizer.active {
        return Ok(None);
    }
    // Recorded to the minute: a busy client does not write on every request.
    let now = super::now();
    if token
        .last_used_at
        .is_none_or(|t| now - t >= chrono::Duration::minutes(1))
    {
        diesel::update(api_tokens::table.find(token.id))
            .set(api_tokens::last_used_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(Some(organizer))
}

/// Revokes a token of this organizer (admins may revoke any). Revoking twice is harmless.
pub fn revoke(conn: &mut DbConn, id: i32, actor: &Actor, any_owner: bool) -> Result<ApiToken> {
    let token = by_id(conn, id)?;
    if !any_owner && Some(token.organizer_id) != actor.organizer_id {
        return Err(Error::NotFound("token"));
    }
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::revoked_at.eq(Some(actor.at)))
        .execute(conn)?;
    changes::audit(
        conn,
        actor,
        "revoke",
        "api_token",
        Some(id),
        &json!({"organizer_id": token.organizer_id, "label": token.label}),
    )?;
    by_id(conn, id)
}

/// The token with this id, or `NotFound`.
pub fn by_id(conn: &mut DbConn, id: i32) -> Result<ApiToken> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("token"))
}

/// An organizer's tokens, newest first (revoked ones included, marked).
pub fn list_for(conn: &mut DbConn, organizer_id: i32) -> Result<Vec<ApiToken>> {
    Ok(api_tokens::table
        .filter(api_tokens::organizer_id.eq(organizer_id))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .select(ApiToken::as_select())
        .load(conn)?)
}

/// Every token with its organizer's email, newest first (for admins).
pub fn list_all(conn: &mut DbConn) -> Result<Vec<(ApiToken, String)>> {
    Ok(api_tokens::table
        .inner_join(organizers::table)
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .select((ApiToken::as_select(), organizers::email))
        .load(conn)?)
}

/// Who acts when a request carries this organizer's token: recorded in the change log,
/// revisions and the audit log.
pub fn actor_for(organizer: &Organizer) -> Actor {
    Actor {
        organizer_id: Some(organizer.id),
        name: organizer.email.clone(),
        at: super::now(),
    }
}
