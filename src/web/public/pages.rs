//! Public pages: what visitors see.

use crate::reps::directory::Picks;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use tera::Context;

use std::hash::{Hash, Hasher};

use super::action_page::{script_views, ActionPages};
use super::zip_parts::Parts;
use crate::db::{self, actions, campaigns, changes, contacts, updates};
use crate::domain::{Status, Zone};
use crate::web::error::WebError;
use crate::web::render::{page, STYLESHEET};
use crate::web::AppState;

/// How long an action counts as NEW or UPDATED after the change.
const FRESH: Duration = Duration::days(7);
/// How close an expiry must be for ENDING SOON.
const ENDING_SOON: Duration = Duration::days(3);

/// An action as lists show it.
#[derive(Debug, Serialize)]
pub struct ActionCard {
    pub action: actions::Action,
    pub kind_label: &'static str,
    pub badges: Vec<&'static str>,
    pub last_updated: NaiveDateTime,
    /// The zone its times are shown in: its campaign's.
    pub tz: Zone,
}

/// The badges of an action, from the change log: NEW after publication, UPDATED after a
/// published edit, DEVELOPING as the organizer marked it, ENDING SOON before expiry.
pub fn badges(
    a: &actions::Action,
    activity: Option<&changes::Activity>,
    now: NaiveDateTime,
) -> Vec<&'static str> {
    let mut b = Vec::new();
    let fresh = |t: Option<NaiveDateTime>| t.is_some_and(|t| now - t <= FRESH && t <= now);
    if a.status == Status::Published {
        let published = activity.and_then(|x| x.published_at);
        let changed = activity.and_then(|x| x.changed_at);
        if fresh(published) {
            b.push("NEW");
        } else if fresh(changed) {
            b.push("UPDATED");
        }
        if a.developing {
            b.push("DEVELOPING");
        }
        if a.expires_at
            .is_some_and(|e| e > now && e - now <= ENDING_SOON)
        {
            b.push("ENDING SOON");
        }
    }
    b
}

pub(crate) fn cards(
    conn: &mut db::DbConn,
    list: Vec<actions::Action>,
    now: NaiveDateTime,
    default: Zone,
) -> db::Result<Vec<ActionCard>> {
    let ids: Vec<i32> = list.iter().map(|a| a.id).collect();
    let activity = changes::activity(conn, &ids)?;
    let campaign_ids: Vec<i32> = list.iter().map(|a| a.campaign_id).collect();
    let zones = campaigns::zones(conn, &campaign_ids, default)?;
    Ok(list
        .into_iter()
        .map(|a| {
            let act = activity.get(&a.id);
            ActionCard {
                badges: badges(&a, act, now),
                kind_label: a.kind.label(),
                last_updated: act.and_then(|x| x.last_at).unwrap_or(a.updated_at),
                tz: zones.get(&a.campaign_id).copied().unwrap_or(default),
                action: a,
            }
        })
        .collect())
}

fn published_in(
    conn: &mut db::DbConn,
    campaign_id: i32,
    status: Status,
) -> db::Result<Vec<actions::Action>> {
    actions::list(
        conn,
        &actions::ActionFilter {
            campaign_id: Some(campaign_id),
            status: Some(status),
            kind: None,
        },
    )
}

#[derive(Serialize)]
struct CampaignBlock {
    campaign: campaigns::Campaign,
    actions: Vec<ActionCard>,
    past: Vec<ActionCard>,
}

/// `/`: active campaigns with their published actions.
pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let zone = state.settings.zone();
    let blocks = state
        .db
        .run(move |conn| {
            let now = db::now();
            campaigns::list_active(conn)?
                .into_iter()
                .map(|c| {
                    let list = published_in(conn, c.id, Status::Published)?;
                    let past = published_in(conn, c.id, Status::Expired)?;
                    Ok(CampaignBlock {
                        actions: cards(conn, list, now, zone)?,
                        past: cards(conn, past, now, zone)?,
                        campaign: c,
                    })
                })
                .collect::<db::Result<Vec<_>>>()
        })
        .await?;
    let mut ctx = Context::new();
    ctx.insert("campaigns", &blocks);
    page("index.html", &ctx)
}

/// `/campaigns/{slug}`: the campaign, its live actions in order, its updates, past actions.
pub async fn campaign(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let zone = state.settings.zone();
    let (campaign, live, past, mut updates) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let now = db::now();
            let c = campaigns::by_slug(conn, &slug)?;
            let live = published_in(conn, c.id, Status::Published)?;
            let past = published_in(conn, c.id, Status::Expired)?;
            let ups = updates::list(conn, Some(c.id))?;
            Ok((
                c,
                cards(conn, live, now, zone)?,
                cards(conn, past, now, zone)?,
                ups,
            ))
        })
        .await?;
    updates::fill_zones(&mut updates, zone);
    let mut ctx = Context::new();
    ctx.insert("tz", &campaign.zone(zone));
    ctx.insert("campaign", &campaign);
    ctx.insert("actions", &live);
    ctx.insert("past", &past);
    ctx.insert("updates", &updates);
    page("campaign.html", &ctx)
}

/// One entry of an action's public history.
#[derive(Serialize)]
pub struct HistoryEntry {
    at: NaiveDateTime,
    kind: crate::domain::ChangeKind,
    summary: String,
    /// The fields that changed, in words ("phones", "script").
    fields: Vec<String>,
}

/// An action's change log as its page shows it, newest first.
pub(crate) fn history_entries(log: Vec<changes::Change>) -> Vec<HistoryEntry> {
    log.into_iter()
        .rev()
        .map(|c| {
            let mut fields: Vec<String> = Vec::new();
            if c.kind == "action_changed" {
                for f in c.field_changes() {
                    let l = actions::field_label(&f.field);
                    if !fields.contains(&l) {
                        fields.push(l);
                    }
                }
            }
            HistoryEntry {
                at: c.created_at,
                kind: c.kind,
                summary: c.summary,
                fields,
            }
        })
        .collect()
}

/// `/actions/{slug}`: what to do and why, whom to call, the script, sources, history —
/// the skeleton of the content version with the visitor's part filled in (see
/// [`super::action_page`]).
pub async fn action(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: actix_web::HttpRequest,
    query: web::Query<super::visitor::ActionQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let known = state.versions.get().await?;
    let pages = &state.action_pages;
    let data = pages
        .data(&state.db, known.content, &slug, state.settings.zone())
        .await?;
    let vz = super::visitor::VisitorZip::of(&req, query.zip.as_deref());
    let dir = match vz.zip() {
        Some(_) => Some(state.directory.at(&state.db, known.directory).await?),
        None => None,
    };
    let lang = super::visitor::pick_lang(&data.detail.scripts, query.lang.as_deref());
    let recorded = query.recorded.as_deref().is_some_and(|r| !r.is_empty());
    let skeleton = pages
        .skeleton(known.content, &data, &lang, recorded)
        .await?;
    // What the visitor's ZIP code changes, rendered with `shown` for the ZIP code.
    let render_with = |shown: Option<&str>, seg: &str| {
        let reps = vz
            .zip()
            .zip(dir.as_ref())
            .and_then(|(z, d)| d.lookup(z, &Picks::default()));
        let mut fill = super::visitor::placeholders(&vz, reps.as_ref(), &query);
        if let Some(r) = &reps {
            super::call::without_senators(r, &mut fill);
        }
        // Each target's block carries the script filled for them; with a single target,
        // the script itself is.
        let resolved = super::call::resolve(&data.detail, reps.as_ref());
        let only =
            (resolved.targets.len() == 1 && !resolved.needs_zip).then(|| &resolved.targets[0]);
        let main = match only {
            Some(t) => super::call::for_target(&fill, t),
            None => fill.clone(),
        };
        let per_target: std::collections::HashMap<&str, Vec<_>> = match only {
            Some(_) => Default::default(),
            None => resolved
                .targets
                .iter()
                .map(|t| {
                    let views = script_views(
                        &data.detail.scripts,
                        &lang,
                        &super::call::for_target(&fill, t),
                    );
                    let segs = views
                        .into_iter()
                        .find(|v| v.selected)
                        .map(|v| v.segments)
                        .unwrap_or_default();
                    (t.slug.as_str(), segs)
                })
                .collect(),
        };
        let titles: std::collections::HashMap<&str, &str> = resolved
            .targets
            .iter()
            .map(|t| (t.slug.as_str(), t.title.as_str()))
            .collect();
        let mut ctx = ActionPages::context(&data);
        ctx.insert("scripts", &script_views(&data.detail.scripts, &lang, &main));
        ctx.insert("target_scripts", &per_target);
        ctx.insert("target_titles", &titles);
        ctx.insert("no_senators", &resolved.no_senators);
        super::call::insert_state_targets(&mut ctx, &data.detail, &resolved);
        super::visitor::insert_context(&mut ctx, &vz, reps.as_ref(), shown);
        ctx.insert("lang", &lang);
        ctx.insert("your_name", &query.name);
        ctx.insert("your_city", &query.city);
        ctx.insert("seg", seg);
        ActionPages::render_parts(&ctx)
    };
    let zip = vz.zip().map_or("", |z| z.as_str());
    let body = match super::visitor::seen(&vz) {
        // Kept per shape: the same for every visitor of this kind whose ZIP code has it.
        Some(seen) if !query.personal() => {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (data.parts_hash, &lang).hash(&mut h);
            let shape = vz
                .zip()
                .zip(dir.as_ref())
                .and_then(|(z, d)| d.shape(z, &Picks::default()));
            let parts = &state.zip_parts;
            let kept = parts
                .get_or_render((h.finish(), known.directory, seen, shape), || {
                    render_with(Some(&parts.zip_marker), &parts.seg_marker)
                })
                .await?;
            let parts: Vec<&Parts> = kept.iter().collect();
            pages.assemble(&skeleton, &parts, zip)
        }
        _ => {
            let parts: Vec<Parts> = render_with(None, "")?
                .iter()
                .map(|p| Parts::text(p))
                .collect();
            pages.assemble(&skeleton, &parts.iter().collect::<Vec<_>>(), zip)
        }
    };
    let res = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body);
    Ok(super::visitor::caching(&state, res, &vz, query.personal()))
}

/// `/hotlines`: the hotline directory.
pub async fn hotlines(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let list = state.db.run(contacts::list_hotlines).await?;
    let mut ctx = Context::new();
    ctx.insert("hotlines", &list);
    page("hotlines.html", &ctx)
}

/// `/updates`: every dated update, newest first.
pub async fn updates(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let mut list = state.db.run(|conn| updates::list(conn, None)).await?;
    updates::fill_zones(&mut list, state.settings.zone());
    let mut ctx = Context::new();
    ctx.insert("updates", &list);
    page("updates.html", &ctx)
}

/// `/healthz`: `ok` when the database answers.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let ok = state
        .db
        .run(|conn| conn.batch_execute("SELECT 1").map_err(db::Error::from))
        .await;
    match ok {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

/// The stylesheet, cached by browsers for a day.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(STYLESHEET)
}

/// A script of `templates/static/` (`copy.js`, the "copy script" button; `action-form.js`,
/// "Add a row"): enhancements, pages work without them.
pub async fn script(name: web::Path<String>) -> Result<HttpResponse, WebError> {
    let body = Some(name.as_str())
        .filter(|n| n.ends_with(".js"))
        .and_then(|n| crate::web::render::embedded(&format!("static/{n}")))
        .ok_or_else(|| WebError::NotFound("script".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(body))
}

/// Anything else: 404, as a page or JSON as the client asked.
pub async fn not_found() -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound("page".into()))
}
