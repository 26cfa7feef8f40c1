//! Organizer pages for actions: the list with lifecycle and order buttons, and one form to
//! create or edit every field (with a server-rendered preview). A form with mistakes is
//! shown again with what was typed and each bad field named beside it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use tera::Context;

use crate::db::actions::{
    self, Action, ActionDetail, ActionField, ActionFilter, ActionInput, LinkInput, ScriptInput,
    TargetInput,
};
use crate::db::{self, campaigns, changes, contacts, DbConn};
use crate::domain::{
    parse_time, ActionKind, Body, HttpUrl, InvalidInput, LangTag, LinkKind, LinkTitle, LongLine,
    Note, Summary, Tag, TargetKind, Title, Transition,
};
use crate::web::admin::{self, see_other, FormErrors};
use crate::web::csrf::CsrfForm;
use crate::web::error::WebError;
use crate::web::session::CurrentOrganizer;
use crate::web::AppState;

/// The action routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/actions", web::get().to(list))
        .route("/admin/actions/new", web::get().to(new_form))
        .route("/admin/actions/new", web::post().to(create))
        .route("/admin/actions/{slug}", web::get().to(edit_form))
        .route("/admin/actions/{slug}", web::post().to(save))
        .route(
            "/admin/actions/{slug}/{transition}",
            web::post().to(lifecycle),
        );
}

const BLANK_ROWS: usize = 2;

/// The action form as posted: every field as typed (repeatable rows for scripts, links
/// and targets), so that it can be shown again unchanged.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ActionForm {
    pub campaign: String,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub url: String,
    pub developing: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub location: String,
    pub expires_at: String,
    pub tags: String,
    pub script_lang: Vec<String>,
    pub script_body: Vec<String>,
    pub link_kind: Vec<String>,
    pub link_title: Vec<String>,
    pub link_url: Vec<String>,
    pub target: Vec<String>,
    pub target_note: Vec<String>,
    /// `save` or `preview`.
    pub intent: String,
}

/// One row of a repeatable part, for the template.
#[derive(Debug, Clone, Serialize)]
struct Row {
    a: String,
    b: String,
    c: String,
}

fn at(v: &[String], i: usize) -> String {
    v.get(i).cloned().unwrap_or_default()
}

fn rows3(a: &[String], b: &[String], c: &[String], pad: &[(&str, &str, &str)]) -> Vec<Row> {
    let n = a.len().max(b.len()).max(c.len());
    let mut out: Vec<Row> = (0..n)
        .map(|i| Row {
            a: at(a, i),
            b: at(b, i),
            c: at(c, i),
        })
        .collect();
    for p in pad {
        out.push(Row {
            a: p.0.into(),
            b: p.1.into(),
            c: p.2.into(),
        });
    }
    out
}

/// A time as a `datetime-local` field shows it (UTC), with its seconds when it has some,
/// so that saving the form again keeps the time it shows.
fn local(t: Option<NaiveDateTime>) -> String {
    t.map(|t| {
        use chrono::Timelike;
        let format = match (t.second(), t.nanosecond()) {
            (0, 0) => "%Y-%m-%dT%H:%M",
            (_, 0) => "%Y-%m-%dT%H:%M:%S",
            _ => "%Y-%m-%dT%H:%M:%S%.6f",
        };
        t.format(format).to_string()
    })
    .unwrap_or_default()
}

impl ActionForm {
    /// The stored action, as the form shows it.
    pub fn of(d: &ActionDetail) -> ActionForm {
        let a = &d.action;
        ActionForm {
            campaign: a.campaign_id.to_string(),
            kind: a.kind.to_string(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            body: a.body.clone(),
            url: a.url.clone().unwrap_or_default(),
            developing: a.developing.then(|| "on".into()),
            starts_at: local(a.starts_at),
            ends_at: local(a.ends_at),
            location: a.location.clone(),
            expires_at: local(a.expires_at),
            tags: d.tags.join(", "),
            script_lang: d.scripts.iter().map(|s| s.lang.clone()).collect(),
            script_body: d.scripts.iter().map(|s| s.body.clone()).collect(),
            link_kind: d.links.iter().map(|l| l.kind.to_string()).collect(),
            link_title: d.links.iter().map(|l| l.title.clone()).collect(),
            link_url: d.links.iter().map(|l| l.url.clone()).collect(),
            target: d
                .targets
                .iter()
                .map(|t| match &t.contact {
                    Some(c) => format!("contact:{}", c.details.slug),
                    None => t.kind.to_string(),
                })
                .collect(),
            target_note: d.targets.iter().map(|t| t.note.clone()).collect(),
            intent: String::new(),
        }
    }

    /// Checks every field through its type and the action's own check; returns the input
    /// to store, or each bad field's message under its name on this form.
    pub fn parse(&self, conn: &mut DbConn) -> db::Result<Result<ActionInput, FormErrors>> {
        let mut e = FormErrors::default();
        let campaign_id = match self.campaign.trim().parse::<i32>() {
            Ok(id) if campaigns::by_id(conn, id).is_ok() => id,
            _ => {
                e.add("campaign", "choose a campaign");
                0
            }
        };
        let kind = take(&mut e, "kind", ActionKind::parse(&self.kind));
        let title = take(&mut e, "title", Title::parse(&self.title));
        let summary = take(&mut e, "summary", Summary::parse(&self.summary));
        let body = take(&mut e, "body", Body::parse(&self.body));
        let location = take(&mut e, "location", LongLine::parse(&self.location));
        let mut time = |name: &str, v: &str| -> Option<NaiveDateTime> {
            if v.trim().is_empty() {
                return None;
            }
            take(&mut e, name, parse_time(v))
        };
        let starts_at = time("starts_at", &self.starts_at);
        let ends_at = time("ends_at", &self.ends_at);
        let expires_at = time("expires_at", &self.expires_at);
        let url = if self.url.trim().is_empty() {
            None
        } else {
            take(&mut e, "url", HttpUrl::parse(&self.url))
        };
        // Script rows with an empty script are left out; `script_rows` keeps the row of
        // each script kept, to name it.
        let mut scripts: Vec<ScriptInput> = Vec::new();
        let mut script_rows: Vec<usize> = Vec::new();
        for i in 0..self.script_lang.len().max(self.script_body.len()) {
            let body = at(&self.script_body, i);
            if body.trim().is_empty() {
                continue;
            }
            let lang = take(
                &mut e,
                &format!("script_lang.{i}"),
                LangTag::parse(&at(&self.script_lang, i)),
            );
            let body = take(&mut e, &format!("script_body.{i}"), Body::parse(&body));
            if let (Some(lang), Some(body)) = (lang, body) {
                scripts.push(ScriptInput { lang, body });
                script_rows.push(i);
            }
        }
        let mut tags: Vec<Tag> = Vec::new();
        for t in self.tags.split(',').filter(|t| !t.trim().is_empty()) {
            tags.extend(take(&mut e, "tags", Tag::parse(t)));
        }
        let mut links: Vec<LinkInput> = Vec::new();
        let n = self
            .link_url
            .len()
            .max(self.link_title.len())
            .max(self.link_kind.len());
        for i in 0..n {
            let url = at(&self.link_url, i);
            let title = at(&self.link_title, i);
            if url.trim().is_empty() {
                if !title.trim().is_empty() {
                    e.add(&format!("link_url.{i}"), "a link needs its URL");
                }
                continue;
            }
            let kind = match at(&self.link_kind, i).as_str() {
                "link" => LinkKind::Link,
                _ => LinkKind::Source,
            };
            let url = take(&mut e, &format!("link_url.{i}"), HttpUrl::parse(&url));
            let title = take(&mut e, &format!("link_title.{i}"), LinkTitle::parse(&title));
            if let (Some(url), Some(title)) = (url, title) {
                links.push(LinkInput::new(kind, Some(title), url));
            }
        }
        let mut targets: Vec<TargetInput> = Vec::new();
        for i in 0..self.target.len() {
            let t = at(&self.target, i);
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            let Some(note) = take(
                &mut e,
                &format!("target_note.{i}"),
                Note::parse(&at(&self.target_note, i)),
            ) else {
                continue;
            };
            if let Some(slug) = t.strip_prefix("contact:") {
                match contacts::find(conn, slug)? {
                    Some(c) => targets.push(TargetInput {
                        kind: TargetKind::Contact,
                        contact_id: Some(c.id),
                        note,
                    }),
                    None => e.add(&format!("target.{i}"), "no such contact"),
                }
            } else {
                match TargetKind::parse(t) {
                    Ok(k) if k != TargetKind::Contact => targets.push(TargetInput {
                        kind: k,
                        contact_id: None,
                        note,
                    }),
                    _ => e.add(&format!("target.{i}"), "choose whom to contact"),
                }
            }
        }
        let (Some(kind), Some(title), Some(summary), Some(body), Some(location), true) =
            (kind, title, summary, body, location, e.is_empty())
        else {
            return Ok(Err(e));
        };
        let input = ActionInput {
            campaign_id,
            kind,
            title,
            summary,
            body,
            url,
            developing: self.developing.is_some(),
            starts_at,
            ends_at,
            location,
            expires_at,
            scripts,
            tags,
            links,
            targets,
        };
        for (field, err) in input.check() {
            let name = match field {
                ActionField::EndsAt => "ends_at".to_string(),
                ActionField::ScriptLang(k) => format!("script_lang.{}", script_rows[k]),
            };
            e.add(&name, err.0);
        }
        Ok(if e.is_empty() { Ok(input) } else { Err(e) })
    }
}

/// A field's value, or `None` with its error added under `field`.
fn take<T>(e: &mut FormErrors, field: &str, r: Result<T, InvalidInput>) -> Option<T> {
    r.map_err(|err| e.add(field, err.0)).ok()
}

/// What the form page needs beside the form: campaigns, kinds and contacts to pick from.
#[derive(Serialize)]
struct Choices {
    campaigns: Vec<campaigns::Campaign>,
    kinds: Vec<(&'static str, &'static str)>,
    /// The targets resolved per visitor (every target kind but a named contact).
    visitor_targets: Vec<(&'static str, &'static str)>,
    contacts: Vec<(String, String)>,
}

fn choices(conn: &mut DbConn, form: &ActionForm) -> db::Result<Choices> {
    let mut contacts: Vec<(String, String)> = contacts::list_directory(conn)?
        .into_iter()
        .map(|v| {
            let c = &v.details;
            let label = if c.role.is_empty() {
                c.name.clone()
            } else {
                format!("{} — {}", c.name, c.role)
            };
            (format!("contact:{}", c.slug), label)
        })
        .collect();
    // Contacts already chosen (legislators, say) stay choosable.
    for t in &form.target {
        if let Some(slug) = t.strip_prefix("contact:") {
            if !contacts.iter().any(|(v, _)| v == t) {
                if let Some(c) = contacts::find(conn, slug)? {
                    contacts.push((t.clone(), c.name));
                }
            }
        }
    }
    Ok(Choices {
        campaigns: campaigns::list_all(conn)?,
        kinds: ActionKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        visitor_targets: TargetKind::ALL
            .iter()
            .filter(|k| **k != TargetKind::Contact)
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        contacts,
    })
}

/// Everything the action form template shows.
struct FormPage<'a> {
    form: &'a ActionForm,
    errors: &'a FormErrors,
    action: Option<&'a Action>,
    preview: bool,
    history: Vec<changes::Change>,
    status: StatusCode,
    flash: Option<&'static str>,
}

fn render_form(
    me: &CurrentOrganizer,
    choices: &Choices,
    p: FormPage<'_>,
) -> Result<HttpResponse, WebError> {
    let f = p.form;
    let mut ctx: Context = admin::context(me);
    ctx.insert("f", f);
    ctx.insert("choices", choices);
    ctx.insert(
        "scripts",
        &rows3(
            &f.script_lang,
            &f.script_body,
            &[],
            &[("en", "", ""), ("es", "", "")][..BLANK_ROWS],
        ),
    );
    ctx.insert(
        "links",
        &rows3(
            &f.link_kind,
            &f.link_title,
            &f.link_url,
            &[("source", "", ""), ("link", "", "")][..BLANK_ROWS],
        ),
    );
    ctx.insert(
        "targets",
        &rows3(
            &f.target,
            &f.target_note,
            &[],
            &[("", "", ""), ("", "", "")],
        ),
    );
    ctx.insert("action", &p.action);
    ctx.insert("preview", &p.preview);
    ctx.insert("history", &p.history);
    ctx.insert("flash", &p.flash);
    p.errors.insert_into(&mut ctx);
    ctx.insert(
        "transitions",
        &p.action
            .map(|a| a.status)
            .map(|s| {
                Transition::ALL
                    .iter()
                    .filter(|t| s.apply(**t).is_ok())
                    .map(|t| (t.as_str(), t.label()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    admin::page_with_status(p.status, "admin/action_form.html", &ctx)
}

#[derive(Deserialize)]
pub struct NewQuery {
    campaign: Option<String>,
}

/// `GET /admin/actions/new`: an empty form (in the campaign given, if any).
pub async fn new_form(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, WebError> {
    let wanted = q.into_inner().campaign;
    let (form, choices) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let all = campaigns::list_all(conn)?;
            let campaign = wanted
                .and_then(|s| all.iter().find(|c| c.slug == s).map(|c| c.id))
                .or(all.first().map(|c| c.id))
                .map(|id| id.to_string())
                .unwrap_or_default();
            let form = ActionForm {
                campaign,
                kind: "call".into(),
                ..ActionForm::default()
            };
            let ch = choices(conn, &form)?;
            Ok((form, ch))
        })
        .await?;
    render_form(
        &me,
        &choices,
        FormPage {
            form: &form,
            errors: &FormErrors::default(),
            action: None,
            preview: false,
            history: Vec::new(),
            status: StatusCode::OK,
            flash: None,
        },
    )
}

enum Outcome {
    Saved(String),
    Again(Box<(ActionForm, FormErrors, Choices, Option<Action>, bool)>),
}

/// `POST /admin/actions/new`: previews, or creates a draft.
pub async fn create(
    state: web::Data<AppState>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data } = form;
    let actor = me.actor();
    let outcome = state
        .db
        .run(move |conn| -> db::Result<_> {
            let parsed = data.parse(conn)?;
            let preview = data.intent == "preview";
            match parsed {
                Ok(input) if !preview => {
                    match db::write_tx(conn, |conn| actions::create(conn, &input, None, &actor)) {
                        Ok(a) => Ok(Outcome::Saved(a.slug)),
                        Err(err) => {
                            let e = FormErrors::split(err)?;
                            let ch = choices(conn, &data)?;
                            Ok(Outcome::Again(Box::new((data, e, ch, None, false))))
                        }
                    }
                }
                Ok(_) => {
                    let ch = choices(conn, &data)?;
                    Ok(Outcome::Again(Box::new((
                        data,
                        FormErrors::default(),
                        ch,
                        None,
                        true,
                    ))))
                }
                Err(e) => {
                    let ch = choices(conn, &data)?;
                    Ok(Outcome::Again(Box::new((data, e, ch, None, preview))))
                }
            }
        })
        .await?;
    finish(&me, outcome, "created")
}

fn finish(me: &CurrentOrganizer, outcome: Outcome, done: &str) -> Result<HttpResponse, WebError> {
    match outcome {
        Outcome::Saved(slug) => Ok(see_other(&format!("/admin/actions/{slug}?done={done}"))),
        Outcome::Again(again) => {
            let (form, errors, choices, action, preview) = *again;
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render_form(
                me,
                &choices,
                FormPage {
                    form: &form,
                    errors: &errors,
                    action: action.as_ref(),
                    preview: preview && errors.is_empty(),
                    history: Vec::new(),
                    status,
                    flash: None,
                },
            )
        }
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn flash(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "Draft saved. It is not public until you publish it.",
        "saved" => "Changes saved.",
        "publish" => "Published: it is on the public pages now.",
        "expire" => "Expired: it is listed as past now.",
        "reopen" => "Reopened: it is live again.",
        _ => return None,
    })
}

/// `GET /admin/actions/{slug}`: the edit form, lifecycle buttons and the change history.
pub async fn edit_form(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let (action, form, choices, history) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let a = actions::by_slug(conn, &slug)?;
            let d = actions::detail(conn, a.clone())?;
            let form = ActionForm::of(&d);
            let ch = choices(conn, &form)?;
            let history = changes::for_action(conn, a.id)?;
            Ok((a, form, ch, history))
        })
        .await?;
    render_form(
        &me,
        &choices,
        FormPage {
            form: &form,
            errors: &FormErrors::default(),
            action: Some(&action),
            preview: false,
            history: history.into_iter().rev().collect(),
            status: StatusCode::OK,
            flash: flash(q.done.as_deref()),
        },
    )
}

/// `POST /admin/actions/{slug}`: previews, or saves the edit (recorded in the change log
/// when the action is public).
pub async fn save(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data } = form;
    let actor = me.actor();
    let slug = path.into_inner();
    let outcome = state
        .db
        .run(move |conn| -> db::Result<_> {
            let a = actions::by_slug(conn, &slug)?;
            let parsed = data.parse(conn)?;
            let preview = data.intent == "preview";
            match parsed {
                Ok(input) if !preview => {
                    match db::write_tx(conn, |conn| actions::update(conn, a.id, &input, &actor)) {
                        Ok(a) => Ok(Outcome::Saved(a.slug)),
                        Err(err) => {
                            let e = FormErrors::split(err)?;
                            let ch = choices(conn, &data)?;
                            Ok(Outcome::Again(Box::new((data, e, ch, Some(a), false))))
                        }
                    }
                }
                Ok(_) => {
                    let ch = choices(conn, &data)?;
                    Ok(Outcome::Again(Box::new((
                        data,
                        FormErrors::default(),
                        ch,
                        Some(a),
                        true,
                    ))))
                }
                Err(e) => {
                    let ch = choices(conn, &data)?;
                    Ok(Outcome::Again(Box::new((data, e, ch, Some(a), preview))))
                }
            }
        })
        .await?;
    finish(&me, outcome, "saved")
}

/// The lifecycle and order buttons' form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    position: Option<usize>,
}

/// `POST /admin/actions/{slug}/publish|expire|reopen|move`.
pub async fn lifecycle(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: CsrfForm<MoveForm>,
) -> Result<HttpResponse, WebError> {
    let (slug, what) = path.into_inner();
    let CsrfForm { me, data } = form;
    let actor = me.actor();
    if what == "move" {
        let position = data
            .position
            .ok_or_else(|| WebError::invalid("position", "is required"))?;
        state
            .db
            .run(move |conn| {
                db::write_tx(conn, |conn| {
                    let a = actions::by_slug(conn, &slug)?;
                    actions::reorder(conn, a.id, position, &actor)
                })
            })
            .await?;
        return Ok(see_other("/admin/actions"));
    }
    let t = Transition::parse(&what).map_err(|_| WebError::NotFound("page".into()))?;
    let slug2 = slug.clone();
    state
        .db
        .run(move |conn| {
            db::write_tx(conn, |conn| {
                let a = actions::by_slug(conn, &slug2)?;
                actions::transition(conn, a.id, t, &actor)
            })
        })
        .await?;
    Ok(see_other(&format!(
        "/admin/actions/{slug}?done={}",
        t.as_str()
    )))
}

/// A campaign and its actions in order, for the list page.
#[derive(Serialize)]
struct CampaignActions {
    campaign: campaigns::Campaign,
    actions: Vec<Action>,
}

/// `GET /admin/actions`: every action by campaign, in the organizer's order.
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let groups = state
        .db
        .run(|conn| {
            campaigns::list_all(conn)?
                .into_iter()
                .map(|c| {
                    let actions = actions::list(
                        conn,
                        &ActionFilter {
                            campaign_id: Some(c.id),
                            ..ActionFilter::default()
                        },
                    )?;
                    Ok(CampaignActions {
                        campaign: c,
                        actions,
                    })
                })
                .collect::<db::Result<Vec<_>>>()
        })
        .await?;
    let mut ctx = admin::context(&me);
    ctx.insert("groups", &groups);
    admin::page("admin/actions.html", &ctx)
}
