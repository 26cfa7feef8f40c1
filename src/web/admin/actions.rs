//! Organizer pages for actions: the list (order by number, bulk expiry behind a
//! confirmation), and one form to create or edit every field (with a server-rendered
//! preview, rows added without a save, a new contact added in the same save, times in the
//! campaign's zone). A form with mistakes is shown again with what was typed and each bad
//! field named beside it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use tera::Context;

use crate::db::actions::{
    self, Action, ActionDetail, ActionField, ActionFilter, ActionInput, LinkInput, ScriptInput,
    TargetInput,
};
use crate::db::contacts::ContactInput;
use crate::db::{self, campaigns, changes, contacts, DbConn};
use crate::domain::{
    parse_time, ActionKind, Body, ContactKind, HttpUrl, InvalidInput, LangTag, LinkKind, LinkTitle,
    LongLine, Note, Status, Summary, Tag, TargetKind, Title, Transition, Zone,
};
use crate::web::admin::content::{create_contact, ContactForm};
use crate::web::admin::{self, at, see_other, FormErrors};
use crate::web::csrf::CsrfForm;
use crate::web::error::WebError;
use crate::web::session::CurrentOrganizer;
use crate::web::AppState;

/// The action routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/actions", web::get().to(list))
        .route("/admin/actions-order", web::post().to(save_order))
        .route("/admin/actions-expire", web::post().to(bulk_expire))
        .route("/admin/actions/new", web::get().to(new_form))
        .route("/admin/actions/new", web::post().to(create))
        .route("/admin/actions/{slug}", web::get().to(edit_form))
        .route("/admin/actions/{slug}", web::post().to(save))
        .route("/admin/actions/{slug}/expire", web::get().to(expire_form))
        .route("/admin/actions/{slug}/duplicate", web::post().to(duplicate))
        .route(
            "/admin/actions/{slug}/{transition}",
            web::post().to(lifecycle),
        );
}

const BLANK_ROWS: usize = 2;
/// The empty target rows "Add 5 more rows" adds.
const MORE_ROWS: usize = 5;

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
    /// When a draft publishes itself (`datetime-local`, the campaign's zone).
    pub publish_at: String,
    pub tags: String,
    pub script_lang: Vec<String>,
    pub script_body: Vec<String>,
    pub link_kind: Vec<String>,
    pub link_title: Vec<String>,
    pub link_url: Vec<String>,
    pub target: Vec<String>,
    pub target_note: Vec<String>,
    /// A contact to create and add as a target in the same save: its name, kind and
    /// number, checked by the contact form's own rules.
    pub new_contact_name: String,
    pub new_contact_kind: String,
    pub new_contact_phone: String,
    /// `save`, `preview`, or `more` (the same form with more empty target rows).
    pub intent: String,
}

/// A checked action form: the action, and the new contact it adds as a target, if any.
pub struct Parsed {
    pub input: ActionInput,
    pub new_contact: Option<ContactInput>,
}

/// The form's names of the new contact's fields, by the contact form's names.
const NEW_CONTACT_FIELDS: [(&str, &str); 4] = [
    ("name", "new_contact_name"),
    ("slug", "new_contact_name"),
    ("kind", "new_contact_kind"),
    ("phone_number.0", "new_contact_phone"),
];

/// A contact form error under its name on the action form.
fn new_contact_field(field: &str) -> &'static str {
    NEW_CONTACT_FIELDS
        .iter()
        .find(|(c, _)| *c == field)
        .map_or("new_contact_name", |(_, a)| a)
}

/// One row of a repeatable part, for the template.
#[derive(Debug, Clone, Serialize)]
struct Row {
    a: String,
    b: String,
    c: String,
}

fn rows3(a: &[String], b: &[String], c: &[String], pad: &[(&str, &str, &str)]) -> Vec<Row> {
    admin::rows(a, b, c, pad, |a, b, c| Row { a, b, c })
}

/// A time as a `datetime-local` field shows it (in `zone`), with its seconds when it has
/// some, so that saving the form again keeps the time it shows.
fn local(zone: Zone, t: Option<NaiveDateTime>) -> String {
    t.map(|t| {
        use chrono::{TimeZone, Timelike};
        let t = zone.tz().from_utc_datetime(&t).naive_local();
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
    /// The stored action, as the form shows it (times in `zone`, the campaign's).
    pub fn of(d: &ActionDetail, zone: Zone) -> ActionForm {
        let a = &d.action;
        ActionForm {
            campaign: a.campaign_id.to_string(),
            kind: a.kind.to_string(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            body: a.body.clone(),
            url: a.url.clone().unwrap_or_default(),
            developing: a.developing.then(|| "on".into()),
            starts_at: local(zone, a.starts_at),
            ends_at: local(zone, a.ends_at),
            location: a.location.clone(),
            expires_at: local(zone, a.expires_at),
            publish_at: local(zone, a.publish_at),
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
            ..ActionForm::default()
        }
    }

    /// The new contact typed on the form, checked by the contact form's rules (errors
    /// under this form's names); `None` when none was typed.
    fn new_contact(&self, e: &mut FormErrors) -> Option<ContactInput> {
        if self.new_contact_name.trim().is_empty() && self.new_contact_phone.trim().is_empty() {
            return None;
        }
        let form = ContactForm {
            name: self.new_contact_name.clone(),
            kind: self.new_contact_kind.clone(),
            phone_number: vec![self.new_contact_phone.clone()],
            phone_kind: vec!["main".into()],
            ..ContactForm::default()
        };
        let mut ce = FormErrors::default();
        let input = form.check_new(&mut ce);
        if self.new_contact_phone.trim().is_empty() {
            ce.add("phone_number.0", "a new contact needs a number to call");
        }
        for (field, message) in ce.fields {
            e.add(new_contact_field(&field), message);
        }
        input
    }

    /// Checks every field through its type and the action's own check (times typed in the
    /// campaign's zone, `default_zone` when it has none); returns what to store, or each
    /// bad field's message under its name on this form.
    pub fn parse(
        &self,
        conn: &mut DbConn,
        default_zone: Zone,
    ) -> db::Result<Result<Parsed, FormErrors>> {
        let mut e = FormErrors::default();
        let campaign = self
            .campaign
            .trim()
            .parse::<i32>()
            .ok()
            .and_then(|id| campaigns::by_id(conn, id).ok());
        let (campaign_id, zone) = match campaign {
            Some(c) => (c.id, c.zone(default_zone)),
            None => {
                e.add("campaign", "choose a campaign");
                (0, default_zone)
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
            take(&mut e, name, local_time(zone, v))
        };
        let starts_at = time("starts_at", &self.starts_at);
        let ends_at = time("ends_at", &self.ends_at);
        let expires_at = time("expires_at", &self.expires_at);
        let publish_at = time("publish_at", &self.publish_at);
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
        let new_contact = self.new_contact(&mut e);
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
            publish_at,
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
        Ok(if e.is_empty() {
            Ok(Parsed { input, new_contact })
        } else {
            Err(e)
        })
    }
}

/// A time typed in a form: with an offset (RFC 3339) as given, else a wall time in `zone`.
fn local_time(zone: Zone, v: &str) -> Result<NaiveDateTime, InvalidInput> {
    match chrono::DateTime::parse_from_rfc3339(v.trim()) {
        Ok(_) => parse_time(v),
        Err(_) => parse_time(v).map(|t| zone.to_utc(t)),
    }
}

/// The zone an action's times are typed and shown in: its campaign's.
fn zone_of(conn: &mut DbConn, campaign_id: i32, default: Zone) -> db::Result<Zone> {
    Ok(campaigns::by_id(conn, campaign_id)?.zone(default))
}

/// Stores a checked form: the new contact (if any) first, added as the last target, then
/// the action through `store` — in one transaction. A storage error about the contact's
/// slug is named on the new contact's name.
fn store_parsed(
    conn: &mut DbConn,
    parsed: Parsed,
    actor: &db::Actor,
    store: impl FnOnce(&mut DbConn, &ActionInput) -> db::Result<Action>,
) -> db::Result<Action> {
    let Parsed {
        mut input,
        new_contact,
    } = parsed;
    db::write_tx(conn, |conn| {
        if let Some(c) = new_contact {
            let c = create_contact(conn, &c, actor).map_err(|err| match err {
                db::Error::Invalid { field, message } | db::Error::Conflict { field, message } => {
                    db::Error::invalid(new_contact_field(&field), message)
                }
                other => other,
            })?;
            input.targets.push(TargetInput {
                kind: TargetKind::Contact,
                contact_id: Some(c.id),
                note: Note::default(),
            });
        }
        store(conn, &input)
    })
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
    /// Kinds a new contact may have.
    contact_kinds: Vec<(&'static str, &'static str)>,
    /// The zone each campaign's times are typed in, by campaign id.
    zones: Vec<(i32, &'static str)>,
}

fn choices(conn: &mut DbConn, form: &ActionForm, default_zone: Zone) -> db::Result<Choices> {
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
    let all = campaigns::list_all(conn)?;
    Ok(Choices {
        zones: all
            .iter()
            .map(|c| (c.id, c.zone(default_zone).as_str()))
            .collect(),
        campaigns: all,
        contact_kinds: ContactKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
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

/// The form as first shown (new or to edit): 200, no errors, no preview.
fn first_form(
    me: &CurrentOrganizer,
    choices: &Choices,
    form: &ActionForm,
    action: Option<&Action>,
    history: Vec<changes::Change>,
    flash: Option<&'static str>,
) -> Result<HttpResponse, WebError> {
    let p = FormPage {
        form,
        errors: &FormErrors::default(),
        action,
        preview: false,
        history,
        status: StatusCode::OK,
        flash,
    };
    render_form(me, choices, p)
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
    let blank = if f.intent == "more" {
        MORE_ROWS
    } else {
        BLANK_ROWS
    };
    ctx.insert(
        "targets",
        &rows3(
            &f.target,
            &f.target_note,
            &[],
            &[("", "", ""); MORE_ROWS][..blank],
        ),
    );
    ctx.insert(
        "zone",
        &choices
            .zones
            .iter()
            .find(|(id, _)| f.campaign == id.to_string())
            .map_or("UTC", |(_, z)| *z),
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

/// The zone of times in forms when a campaign has none: `DIGEST_TIMEZONE`.
fn default_zone(state: &AppState) -> Zone {
    Zone::of(state.settings.digest_timezone)
}

/// `GET /admin/actions/new`: an empty form (in the campaign given, if any).
pub async fn new_form(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, WebError> {
    let wanted = q.into_inner().campaign;
    let zone = default_zone(&state);
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
                new_contact_kind: "agency".into(),
                ..ActionForm::default()
            };
            let ch = choices(conn, &form, zone)?;
            Ok((form, ch))
        })
        .await?;
    first_form(&me, &choices, &form, None, Vec::new(), None)
}

/// The form shown again: as typed, with its errors (or a preview).
struct Again {
    form: ActionForm,
    errors: FormErrors,
    choices: Choices,
    action: Option<Action>,
    preview: bool,
}

enum Outcome {
    Saved(String),
    Again(Box<Again>),
}

/// `POST /admin/actions/new`: previews, or creates a draft.
pub async fn create(
    state: web::Data<AppState>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, WebError> {
    submit(state, None, form).await
}

/// `POST /admin/actions/{slug}`: previews, or saves the edit (recorded in the change log
/// when the action is public).
pub async fn save(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, WebError> {
    submit(state, Some(path.into_inner()), form).await
}

/// The action form posted, new (`editing` is `None`) or over a stored action: "Add 5 more
/// rows" shows it again with more empty target rows, Preview shows it rendered, Save
/// stores it (with the new contact, if one was typed) and goes to its page.
async fn submit(
    state: web::Data<AppState>,
    editing: Option<String>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data } = form;
    let actor = me.actor();
    let zone = default_zone(&state);
    let done = if editing.is_some() {
        "saved"
    } else {
        "created"
    };
    let outcome = state
        .db
        .run(move |conn| -> db::Result<_> {
            let action = match &editing {
                Some(slug) => Some(actions::by_slug(conn, slug)?),
                None => None,
            };
            let again = |conn: &mut DbConn, form: ActionForm, errors, preview| {
                let choices = choices(conn, &form, zone)?;
                Ok::<_, db::Error>(Outcome::Again(Box::new(Again {
                    form,
                    errors,
                    choices,
                    action: action.clone(),
                    preview,
                })))
            };
            if data.intent == "more" {
                return again(conn, data, FormErrors::default(), false);
            }
            let preview = data.intent == "preview";
            match data.parse(conn, zone)? {
                Ok(parsed) if !preview => {
                    let stored = store_parsed(conn, parsed, &actor, |conn, input| match &action {
                        Some(a) => actions::update(conn, a.id, input, &actor),
                        None => actions::create(conn, input, None, &actor),
                    });
                    match stored {
                        Ok(a) => Ok(Outcome::Saved(a.slug)),
                        Err(err) => {
                            let e = FormErrors::split(err)?;
                            again(conn, data, e, false)
                        }
                    }
                }
                Ok(_) => again(conn, data, FormErrors::default(), true),
                Err(e) => again(conn, data, e, preview),
            }
        })
        .await?;
    match outcome {
        Outcome::Saved(slug) => Ok(see_other(&format!("/admin/actions/{slug}?done={done}"))),
        Outcome::Again(again) => {
            let Again {
                form,
                errors,
                choices,
                action,
                preview,
            } = *again;
            let status = errors.status();
            render_form(
                &me,
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
        "duplicated" => "Copy saved as a draft: edit it, then publish it.",
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
    let zone = default_zone(&state);
    let (action, form, choices, history) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let a = actions::by_slug(conn, &slug)?;
            let d = actions::detail(conn, a.clone())?;
            let form = ActionForm {
                new_contact_kind: "agency".into(),
                ..ActionForm::of(&d, zone_of(conn, a.campaign_id, zone)?)
            };
            let ch = choices(conn, &form, zone)?;
            let history = changes::for_action(conn, a.id)?;
            Ok((a, form, ch, history))
        })
        .await?;
    let history = history.into_iter().rev().collect();
    let flash = flash(q.done.as_deref());
    first_form(&me, &choices, &form, Some(&action), history, flash)
}

/// `POST /admin/actions/{slug}/duplicate`: a draft copy, opened in its edit form.
pub async fn duplicate(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<MoveForm>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let actor = form.me.actor();
    let copy = state
        .db
        .run(move |conn| -> db::Result<_> {
            let a = actions::by_slug(conn, &slug)?;
            let d = actions::detail(conn, a.clone())?;
            let input = crate::web::api::input::input_of(conn, &d)?;
            db::write_tx(conn, |conn| actions::duplicate(conn, &input, &a, &actor))
        })
        .await?;
    Ok(see_other(&format!(
        "/admin/actions/{}?done=duplicated",
        copy.slug
    )))
}

/// The lifecycle and order buttons' form (an expiry's confirmation carries its reason).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    position: Option<usize>,
    reason: String,
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
    let reason = match Note::parse(&data.reason) {
        Ok(r) => r,
        Err(err) => {
            let mut e = FormErrors::default();
            e.add("reason", err.0);
            return expire_page(&state, &me, vec![slug], data.reason, e, false).await;
        }
    };
    let slug2 = slug.clone();
    state
        .db
        .run(move |conn| {
            db::write_tx(conn, |conn| {
                let a = actions::by_slug(conn, &slug2)?;
                actions::transition_with(conn, a.id, t, Some(&reason), &actor)
            })
        })
        .await?;
    Ok(see_other(&format!(
        "/admin/actions/{slug}?done={}",
        t.as_str()
    )))
}

/// One action on an expiry's confirmation page.
#[derive(Serialize)]
struct Chosen {
    slug: String,
    title: String,
    campaign: String,
}

/// The published actions of these slugs (others are left out: only those can expire).
fn published(conn: &mut DbConn, slugs: &[String]) -> db::Result<Vec<(Action, Chosen)>> {
    let mut out: Vec<(Action, Chosen)> = Vec::new();
    for s in slugs {
        if let Some(a) = actions::find(conn, s)? {
            if a.status == Status::Published && !out.iter().any(|(o, _)| o.id == a.id) {
                let campaign = campaigns::by_id(conn, a.campaign_id)?.title;
                let chosen = Chosen {
                    slug: a.slug.clone(),
                    title: a.title.clone(),
                    campaign,
                };
                out.push((a, chosen));
            }
        }
    }
    Ok(out)
}

/// The confirmation before an expiry: the actions chosen and the reason (required for a
/// bulk expiry, `bulk`), with what was typed and its error when sent back.
async fn expire_page(
    state: &AppState,
    me: &CurrentOrganizer,
    slugs: Vec<String>,
    reason: String,
    mut errors: FormErrors,
    bulk: bool,
) -> Result<HttpResponse, WebError> {
    let chosen = state.db.run(move |conn| published(conn, &slugs)).await?;
    if chosen.is_empty() {
        errors.add("selected", "choose at least one published action to expire");
    }
    let mut ctx = admin::context(me);
    let post_to = match (&chosen[..], bulk) {
        ([(a, _)], false) => format!("/admin/actions/{}/expire", a.slug),
        _ => "/admin/actions-expire".to_string(),
    };
    ctx.insert("chosen", &chosen.iter().map(|(_, c)| c).collect::<Vec<_>>());
    ctx.insert("post_to", &post_to);
    ctx.insert("bulk", &bulk);
    ctx.insert("reason", &reason);
    errors.insert_into(&mut ctx);
    let status = errors.status();
    admin::page_with_status(status, "admin/expire.html", &ctx)
}

/// `GET /admin/actions/{slug}/expire`: the confirmation of one action's expiry, with an
/// optional reason.
pub async fn expire_form(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    expire_page(
        &state,
        &me,
        vec![path.into_inner()],
        String::new(),
        FormErrors::default(),
        false,
    )
    .await
}

/// The actions list's form: the actions chosen (checkboxes), and on the confirmation page
/// the reason and `confirm=yes`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExpireForm {
    selected: Vec<String>,
    reason: String,
    confirm: String,
}

/// `POST /admin/actions-expire`: from the list, the confirmation page of the actions
/// chosen; from the confirmation (`confirm=yes`, a reason), expires them all at once.
pub async fn bulk_expire(
    state: web::Data<AppState>,
    form: CsrfForm<ExpireForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data } = form;
    if data.confirm != "yes" {
        return expire_page(
            &state,
            &me,
            data.selected,
            String::new(),
            FormErrors::default(),
            true,
        )
        .await;
    }
    let mut e = FormErrors::default();
    let reason = match Note::parse(&data.reason) {
        Ok(r) if r.is_empty() => {
            e.add("reason", "is required: say why these actions are over");
            None
        }
        Ok(r) => Some(r),
        Err(err) => {
            e.add("reason", err.0);
            None
        }
    };
    let Some(reason) = reason else {
        return expire_page(&state, &me, data.selected, data.reason, e, true).await;
    };
    let actor = me.actor();
    let slugs = data.selected.clone();
    let n = state
        .db
        .run(move |conn| -> db::Result<_> {
            let ids: Vec<i32> = published(conn, &slugs)?
                .into_iter()
                .map(|(a, _)| a.id)
                .collect();
            if !ids.is_empty() {
                db::write_tx(conn, |conn| {
                    actions::expire_all(conn, &ids, &reason, &actor)
                })?;
            }
            Ok(ids.len())
        })
        .await?;
    if n == 0 {
        return expire_page(&state, &me, data.selected, data.reason, e, true).await;
    }
    Ok(see_other(&format!("/admin/actions?expired={n}")))
}

/// The list's "Save order" form: each action's slug and the number typed beside it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrderForm {
    order_slug: Vec<String>,
    rank: Vec<String>,
}

/// `POST /admin/actions-order`: puts each campaign's actions in the order of the numbers
/// typed (ties: the action whose number was changed goes first).
pub async fn save_order(
    state: web::Data<AppState>,
    form: CsrfForm<OrderForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data } = form;
    let actor = me.actor();
    state
        .db
        .run(move |conn| -> db::Result<_> {
            // Per campaign: (number typed, whether it is the row's own, row, action id).
            let mut per: std::collections::BTreeMap<i32, Vec<(i64, bool, usize, i32)>> =
                Default::default();
            for (row, slug) in data.order_slug.iter().enumerate() {
                let Some(a) = actions::find(conn, slug)? else {
                    continue;
                };
                let rows = per.entry(a.campaign_id).or_default();
                let own = rows.len() as i64 + 1;
                let rank = at(&data.rank, row).trim().parse::<i64>().unwrap_or(own);
                rows.push((rank, rank == own, row, a.id));
            }
            db::write_tx(conn, |conn| {
                for (campaign, mut rows) in per {
                    rows.sort();
                    let ids: Vec<i32> = rows.iter().map(|r| r.3).collect();
                    actions::set_order(conn, campaign, &ids, &actor)?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(see_other("/admin/actions?ordered=1"))
}

/// A campaign and its actions in order, for the list page.
#[derive(Serialize)]
struct CampaignActions {
    campaign: campaigns::Campaign,
    actions: Vec<Action>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    expired: Option<usize>,
    ordered: Option<String>,
}

/// `GET /admin/actions`: every action by campaign, in the organizer's order.
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    q: web::Query<ListQuery>,
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
    let flash = match (q.expired, &q.ordered) {
        (Some(1), _) => Some("Expired 1 action.".to_string()),
        (Some(n), _) => Some(format!("Expired {n} actions.")),
        (None, Some(_)) => Some("Order saved.".to_string()),
        _ => None,
    };
    ctx.insert("flash", &flash);
    admin::page("admin/actions.html", &ctx)
}
