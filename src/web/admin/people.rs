//! The audit log (who changed what and when, with a readable before/after), and for
//! admins: organizer accounts (create, disable, enable) and API tokens (create, revoke).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{self, changes, people, tokens};
use crate::domain::EmailAddress;
use crate::security;
use crate::web::admin::{self, see_other, FormErrors};
use crate::web::csrf::CsrfForm;
use crate::web::error::WebError;
use crate::web::session::{require_admin, AdminOrganizer, CurrentOrganizer};
use crate::web::AppState;

/// The audit, organizer and token routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/audit", web::get().to(audit))
        .route("/admin/organizers", web::get().to(organizers))
        .route("/admin/organizers", web::post().to(organizer_create))
        .route(
            "/admin/organizers/{id}/{what}",
            web::post().to(organizer_active),
        )
        .route("/admin/tokens", web::get().to(token_list))
        .route("/admin/tokens", web::post().to(token_create))
        .route("/admin/tokens/{id}/revoke", web::post().to(token_revoke));
}

/// One field's before and after, as text.
#[derive(Serialize)]
struct FieldLine {
    field: String,
    old: String,
    new: String,
}

/// An audit row, readable.
#[derive(Serialize)]
struct AuditLine {
    at: chrono::NaiveDateTime,
    actor: String,
    verb: String,
    entity: String,
    entity_id: Option<i32>,
    fields: Vec<FieldLine>,
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn readable(e: changes::AuditEntry) -> AuditLine {
    let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
    let mut fields = Vec::new();
    if let Some(list) = detail.get("fields").and_then(Value::as_array) {
        for f in list {
            fields.push(FieldLine {
                field: show(f.get("field").unwrap_or(&Value::Null)),
                old: show(f.get("old").unwrap_or(&Value::Null)),
                new: show(f.get("new").unwrap_or(&Value::Null)),
            });
        }
    }
    if let Some(after) = detail.get("after").and_then(Value::as_object) {
        for (k, v) in after {
            fields.push(FieldLine {
                field: k.clone(),
                old: "—".into(),
                new: show(v),
            });
        }
    }
    if let Some(obj) = detail.as_object() {
        for (k, v) in obj {
            if k != "fields" && k != "after" {
                fields.push(FieldLine {
                    field: k.clone(),
                    old: String::new(),
                    new: show(v),
                });
            }
        }
    }
    AuditLine {
        at: e.created_at,
        actor: e.actor,
        verb: e.verb,
        entity: e.entity,
        entity_id: e.entity_id,
        fields,
    }
}

/// `GET /admin/audit`: the newest 300 audit rows.
pub async fn audit(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let rows = state
        .db
        .run(|conn| changes::audit_recent(conn, 300))
        .await?;
    let lines: Vec<AuditLine> = rows.into_iter().map(readable).collect();
    let mut ctx = admin::context(&me);
    ctx.insert("lines", &lines);
    admin::page("admin/audit.html", &ctx)
}

/// The new-organizer form.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OrganizerForm {
    pub email: String,
    #[serde(skip_serializing)]
    pub password: String,
    pub admin: Option<String>,
}

async fn organizer_page(
    state: &AppState,
    me: &CurrentOrganizer,
    f: &OrganizerForm,
    e: &FormErrors,
    flash: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let list = state.db.run(people::list_organizers).await?;
    let mut ctx = admin::context(me);
    ctx.insert("organizers", &list);
    ctx.insert("f", f);
    ctx.insert("flash", &flash);
    e.insert_into(&mut ctx);
    let status = e.status();
    admin::page_with_status(status, "admin/organizers.html", &ctx)
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /admin/organizers` (admins).
pub async fn organizers(
    state: web::Data<AppState>,
    me: AdminOrganizer,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let flash = q.done.as_deref().map(|_| "Saved.");
    organizer_page(
        &state,
        &me,
        &OrganizerForm::default(),
        &FormErrors::default(),
        flash,
    )
    .await
}

/// `POST /admin/organizers` (admins): creates an account.
pub async fn organizer_create(
    state: web::Data<AppState>,
    form: CsrfForm<OrganizerForm>,
) -> Result<HttpResponse, WebError> {
    let me = require_admin(form.me)?;
    let f = form.data;
    let mut e = FormErrors::default();
    let email = EmailAddress::parse(&f.email)
        .map_err(|err| e.add("email", err.0))
        .ok();
    let password = f.password.clone();
    let hash = tokio::task::spawn_blocking(move || security::hash_password(&password))
        .await?
        .map_err(|err| e.add("password", err))
        .ok();
    if let (Some(email), Some(hash), true) = (email, hash, e.is_empty()) {
        let actor = me.actor();
        let is_admin = f.admin.is_some();
        let saved = state
            .db
            .run(move |conn| -> db::Result<_> {
                Ok(db::write_tx(conn, |conn| {
                    people::create_organizer(conn, &email, &hash, is_admin, &actor)
                }))
            })
            .await?;
        match saved {
            Ok(_) => return Ok(see_other("/admin/organizers?done=1")),
            Err(err) => e = FormErrors::split(err)?,
        }
    }
    organizer_page(&state, &me, &f, &e, None).await
}

/// Nothing but the CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /admin/organizers/{id}/disable|enable` (admins).
pub async fn organizer_active(
    state: web::Data<AppState>,
    path: web::Path<(i32, String)>,
    form: CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    let me = require_admin(form.me)?;
    let (id, what) = path.into_inner();
    let active = match what.as_str() {
        "enable" => true,
        "disable" => false,
        _ => return Err(WebError::NotFound("page".into())),
    };
    let actor = me.actor();
    state
        .db
        .run(move |conn| {
            db::write_tx(conn, |conn| {
                people::set_organizer_active(conn, id, active, &actor)
            })
        })
        .await?;
    Ok(see_other("/admin/organizers?done=1"))
}

/// A token as the list shows it (never its secret).
#[derive(Serialize)]
struct TokenLine {
    id: i32,
    owner: String,
    label: String,
    fingerprint: String,
    created_at: chrono::NaiveDateTime,
    last_used_at: Option<chrono::NaiveDateTime>,
    revoked_at: Option<chrono::NaiveDateTime>,
}

/// The new-token form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    pub organizer: String,
    pub label: String,
}

async fn token_page(
    state: &AppState,
    me: &CurrentOrganizer,
    new_token: Option<String>,
    e: &FormErrors,
) -> Result<HttpResponse, WebError> {
    let (list, owners) = state
        .db
        .run(|conn| -> db::Result<_> {
            Ok((tokens::list_all(conn)?, people::list_organizers(conn)?))
        })
        .await?;
    let lines: Vec<TokenLine> = list
        .into_iter()
        .map(|(t, owner)| TokenLine {
            id: t.id,
            fingerprint: t.fingerprint().to_string(),
            owner,
            label: t.label,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    let mut ctx = admin::context(me);
    ctx.insert("tokens", &lines);
    ctx.insert("owners", &owners);
    ctx.insert("new_token", &new_token);
    e.insert_into(&mut ctx);
    admin::page("admin/tokens.html", &ctx)
}

/// `GET /admin/tokens` (admins).
pub async fn token_list(
    state: web::Data<AppState>,
    me: AdminOrganizer,
) -> Result<HttpResponse, WebError> {
    token_page(&state, &me, None, &FormErrors::default()).await
}

/// `POST /admin/tokens` (admins): creates a token and shows it once.
pub async fn token_create(
    state: web::Data<AppState>,
    form: CsrfForm<TokenForm>,
) -> Result<HttpResponse, WebError> {
    let me = require_admin(form.me)?;
    let f = form.data;
    let mut e = FormErrors::default();
    let Ok(owner) = f.organizer.trim().parse::<i32>() else {
        e.add("organizer", "choose an organizer");
        return token_page(&state, &me, None, &e).await;
    };
    let actor = me.actor();
    let label = f.label;
    let made = state
        .db
        .run(move |conn| -> db::Result<_> {
            Ok(db::write_tx(conn, |conn| {
                tokens::create(conn, owner, &label, &actor)
            }))
        })
        .await?;
    match made {
        Ok(t) => token_page(&state, &me, Some(t.plain), &e).await,
        Err(err) => {
            let e = FormErrors::split(err)?;
            token_page(&state, &me, None, &e).await
        }
    }
}

/// `POST /admin/tokens/{id}/revoke` (admins).
pub async fn token_revoke(
    state: web::Data<AppState>,
    path: web::Path<i32>,
    form: CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    let me = require_admin(form.me)?;
    let id = path.into_inner();
    let actor = me.actor();
    state
        .db
        .run(move |conn| db::write_tx(conn, |conn| tokens::revoke(conn, id, &actor, true)))
        .await?;
    Ok(see_other("/admin/tokens"))
}
