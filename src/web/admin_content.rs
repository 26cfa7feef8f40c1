//! Organizer pages for campaigns, dated updates, contacts (with their phone numbers) and
//! hotlines. Each form is shown again with what was typed and each bad field named.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

use super::admin::{self, see_other, FormErrors};
use super::api_input::{parse_time, parse_url};
use super::csrf::CsrfForm;
use super::error::WebError;
use super::session::CurrentOrganizer;
use super::AppState;
use crate::db::campaigns::{self, CampaignInput};
use crate::db::contacts::{self, ContactInput, HotlineInput, PhoneInput, PhoneView};
use crate::db::updates::{self, Relation, UpdateInput};
use crate::db::{self, actions, DbConn};
use crate::domain::{ContactKind, EmailAddress, PhoneKind, PhoneNumber, Slug};

/// The routes of campaigns, updates, contacts and hotlines.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/campaigns", web::get().to(campaign_list))
        .route("/admin/campaigns/new", web::get().to(campaign_new))
        .route("/admin/campaigns/new", web::post().to(campaign_save))
        .route("/admin/campaigns/{slug}", web::get().to(campaign_edit))
        .route("/admin/campaigns/{slug}", web::post().to(campaign_save))
        .route("/admin/updates", web::get().to(update_list))
        .route("/admin/updates/new", web::get().to(update_new))
        .route("/admin/updates/new", web::post().to(update_post))
        .route("/admin/contacts", web::get().to(contact_list))
        .route("/admin/contacts/new", web::get().to(contact_new))
        .route("/admin/contacts/new", web::post().to(contact_save))
        .route("/admin/contacts/{slug}", web::get().to(contact_edit))
        .route("/admin/contacts/{slug}", web::post().to(contact_save))
        .route("/admin/hotlines", web::get().to(hotline_list))
        .route("/admin/hotlines/new", web::get().to(hotline_new))
        .route("/admin/hotlines/new", web::post().to(hotline_save))
        .route("/admin/hotlines/{slug}", web::get().to(hotline_edit))
        .route("/admin/hotlines/{slug}", web::post().to(hotline_save));
}

fn text(e: &mut FormErrors, field: &str, v: &str, required: bool, max: usize) -> String {
    let v = v.trim();
    if required && v.is_empty() {
        e.add(field, "is required");
    } else if v.chars().count() > max {
        e.add(field, format!("must be at most {max} characters"));
    }
    v.to_string()
}

fn opt_url(e: &mut FormErrors, field: &str, v: &str) -> Option<String> {
    if v.trim().is_empty() {
        return None;
    }
    parse_url(field, v)
        .map_err(|err| {
            e.absorb(err).ok();
        })
        .ok()
}

/// Picks the slug: the one typed, or one made from the title; on edit, the stored one.
fn slug_of(e: &mut FormErrors, path_slug: Option<&str>, typed: &str, title: &str) -> Slug {
    if let Some(s) = path_slug {
        return Slug::parse(s).unwrap_or_else(|_| Slug::from_title(title));
    }
    if typed.trim().is_empty() {
        return Slug::from_title(title);
    }
    Slug::parse(typed).unwrap_or_else(|err| {
        e.add("slug", err.0);
        Slug::from_title(title)
    })
}

/// A list page: the layout's context and what `fill` adds.
fn list_page(
    me: &CurrentOrganizer,
    template: &str,
    fill: impl FnOnce(&mut Context),
) -> Result<HttpResponse, WebError> {
    let mut ctx = admin::context(me);
    fill(&mut ctx);
    admin::page_with_status(StatusCode::OK, template, &ctx)
}

/// A form page: the form as typed (`f`) with each bad field's message beside it (422 when
/// there are any), plus what `fill` adds (choices, the slug being edited, a flash).
fn form_page(
    me: &CurrentOrganizer,
    template: &str,
    f: &impl Serialize,
    e: &FormErrors,
    fill: impl FnOnce(&mut Context),
) -> Result<HttpResponse, WebError> {
    let mut ctx = admin::context(me);
    ctx.insert("f", f);
    e.insert_into(&mut ctx);
    fill(&mut ctx);
    let status = if e.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    admin::page_with_status(status, template, &ctx)
}

/// The flow every form post shares once its fields are checked into `e`: with no errors,
/// `save` runs on the blocking pool and the answer is a 303 to the address it returns.
/// `Err` hands back the errors to show the form again with: those found while checking,
/// or a storage error that names a field (a bad value, a slug in use). Any other error
/// is the request's.
async fn save_checked<F>(
    state: &AppState,
    e: FormErrors,
    save: F,
) -> Result<Result<HttpResponse, FormErrors>, WebError>
where
    F: FnOnce(&mut DbConn) -> db::Result<String> + Send + 'static,
{
    if !e.is_empty() {
        return Ok(Err(e));
    }
    match state.db.run(move |conn| Ok(save(conn))).await? {
        Ok(to) => Ok(Ok(see_other(&to))),
        Err(err) => Ok(Err(FormErrors::split(err)?)),
    }
}

/// A slug another stored thing of this kind already has.
fn slug_taken(what: &str, slug: &str) -> db::Error {
    db::Error::Conflict {
        field: "slug".into(),
        message: format!("a {what} called “{slug}” already exists"),
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn flash(q: &DoneQuery) -> Option<&'static str> {
    q.done.as_deref().map(|_| "Saved.")
}

// ---- Campaigns ----------------------------------------------------------------------

/// The campaign form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CampaignForm {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// `GET /admin/campaigns`.
pub async fn campaign_list(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let list = state.db.run(campaigns::list_all).await?;
    list_page(&me, "admin/campaigns.html", |c| {
        c.insert("campaigns", &list)
    })
}

fn campaign_page(
    me: &CurrentOrganizer,
    slug: Option<&str>,
    f: &CampaignForm,
    e: &FormErrors,
    flash: Option<&str>,
) -> Result<HttpResponse, WebError> {
    form_page(me, "admin/campaign_form.html", f, e, |c| {
        c.insert("slug", &slug);
        c.insert("flash", &flash);
    })
}

/// `GET /admin/campaigns/new`.
pub async fn campaign_new(me: CurrentOrganizer) -> Result<HttpResponse, WebError> {
    campaign_page(
        &me,
        None,
        &CampaignForm::default(),
        &FormErrors::default(),
        None,
    )
}

/// `GET /admin/campaigns/{slug}`.
pub async fn campaign_edit(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let c = state
        .db
        .run(move |conn| campaigns::by_slug(conn, &slug))
        .await?;
    let f = CampaignForm {
        slug: c.slug.clone(),
        title: c.title,
        summary: c.summary,
        body: c.body,
    };
    campaign_page(&me, Some(&c.slug), &f, &FormErrors::default(), flash(&q))
}

/// `POST /admin/campaigns/new` and `POST /admin/campaigns/{slug}`.
pub async fn campaign_save(
    state: web::Data<AppState>,
    path: Option<web::Path<String>>,
    form: CsrfForm<CampaignForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data: f } = form;
    let path_slug = path.map(|p| p.into_inner());
    let mut e = FormErrors::default();
    let title = text(&mut e, "title", &f.title, true, 200);
    let input = CampaignInput {
        slug: slug_of(&mut e, path_slug.as_deref(), &f.slug, &title),
        title,
        summary: text(&mut e, "summary", &f.summary, false, 1_000),
        body: text(&mut e, "body", &f.body, false, 100_000),
    };
    let actor = me.actor();
    let editing = path_slug.clone();
    let saved = save_checked(&state, e, move |conn| {
        let c = db::write_tx(conn, |conn| match &editing {
            Some(s) => {
                let c = campaigns::by_slug(conn, s)?;
                campaigns::update(conn, c.id, &input, &actor)
            }
            None => campaigns::create(conn, &input, &actor),
        })?;
        Ok(format!("/admin/campaigns/{}?done=1", c.slug))
    })
    .await?;
    saved.or_else(|e| campaign_page(&me, path_slug.as_deref(), &f, &e, None))
}

// ---- Dated updates ------------------------------------------------------------------

/// The dated-update form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UpdateForm {
    pub campaign: String,
    pub title: String,
    pub body: String,
    pub published_at: String,
    /// Action ids the update adds.
    pub added: Vec<String>,
    /// Action ids the update changes.
    pub changed: Vec<String>,
}

#[derive(Serialize)]
struct CampaignChoice {
    campaign: campaigns::Campaign,
    actions: Vec<actions::Action>,
}

fn update_choices(conn: &mut DbConn) -> db::Result<Vec<CampaignChoice>> {
    campaigns::list_all(conn)?
        .into_iter()
        .map(|c| {
            let actions = actions::list(
                conn,
                &actions::ActionFilter {
                    campaign_id: Some(c.id),
                    ..Default::default()
                },
            )?;
            Ok(CampaignChoice {
                campaign: c,
                actions,
            })
        })
        .collect()
}

/// `GET /admin/updates`: every dated update, newest first.
pub async fn update_list(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let list = state.db.run(|conn| updates::list(conn, None)).await?;
    list_page(&me, "admin/updates.html", |c| {
        c.insert("updates", &list);
        c.insert("flash", &flash(&q).map(|_| "Update posted."));
    })
}

async fn update_page(
    state: &AppState,
    me: &CurrentOrganizer,
    f: UpdateForm,
    e: FormErrors,
) -> Result<HttpResponse, WebError> {
    let choices = state.db.run(update_choices).await?;
    form_page(me, "admin/update_form.html", &f, &e, |c| {
        c.insert("choices", &choices)
    })
}

/// `GET /admin/updates/new`.
pub async fn update_new(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let f = UpdateForm {
        title: db::now().format("%-m/%-d Update").to_string(),
        ..UpdateForm::default()
    };
    update_page(&state, &me, f, FormErrors::default()).await
}

/// `POST /admin/updates/new`: posts a dated update (it enters the change log at once).
pub async fn update_post(
    state: web::Data<AppState>,
    form: CsrfForm<UpdateForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data: f } = form;
    let mut e = FormErrors::default();
    let title = text(&mut e, "title", &f.title, true, 200);
    let body = text(&mut e, "body", &f.body, false, 100_000);
    let published_at = if f.published_at.trim().is_empty() {
        db::now()
    } else {
        parse_time("published_at", &f.published_at).unwrap_or_else(|err| {
            e.absorb(err).ok();
            db::now()
        })
    };
    let campaign_id = f.campaign.trim().parse::<i32>().unwrap_or_else(|_| {
        e.add("campaign", "choose a campaign");
        0
    });
    let mut related: Vec<(i32, Relation)> = Vec::new();
    for (list, rel) in [(&f.added, Relation::Added), (&f.changed, Relation::Changed)] {
        for id in list {
            match id.parse::<i32>() {
                Ok(id) if !related.iter().any(|(x, _)| *x == id) => related.push((id, rel)),
                Ok(_) => e.add("actions", "name each action once, as added or as changed"),
                Err(_) => e.add("actions", "unknown action"),
            }
        }
    }
    let input = UpdateInput {
        campaign_id,
        title,
        body,
        published_at,
        actions: related,
    };
    let actor = me.actor();
    let saved = save_checked(&state, e, move |conn| {
        campaigns::by_id(conn, campaign_id)
            .map_err(|_| db::Error::invalid("campaign", "no such campaign"))?;
        db::write_tx(conn, |conn| updates::post(conn, &input, &actor))?;
        Ok("/admin/updates?done=1".into())
    })
    .await?;
    match saved {
        Ok(done) => Ok(done),
        Err(e) => update_page(&state, &me, f, e).await,
    }
}

// ---- Phones (contacts and hotlines) -------------------------------------------------

/// A phone row as typed.
#[derive(Debug, Clone, Default, Serialize)]
struct PhoneRow {
    number: String,
    kind: String,
    note: String,
}

fn phone_rows(number: &[String], kind: &[String], note: &[String]) -> Vec<PhoneRow> {
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let n = number.len().max(kind.len()).max(note.len());
    let mut rows: Vec<PhoneRow> = (0..n)
        .map(|i| PhoneRow {
            number: at(number, i),
            kind: at(kind, i),
            note: at(note, i),
        })
        .collect();
    rows.push(PhoneRow {
        kind: "main".into(),
        ..PhoneRow::default()
    });
    rows.push(PhoneRow {
        kind: "main".into(),
        ..PhoneRow::default()
    });
    rows
}

fn parse_phones(
    e: &mut FormErrors,
    number: &[String],
    kind: &[String],
    note: &[String],
) -> Vec<PhoneInput> {
    let mut out = Vec::new();
    for (i, n) in number.iter().enumerate() {
        if n.trim().is_empty() {
            continue;
        }
        let field = format!("phone_number.{i}");
        let Ok(number) = PhoneNumber::parse(n).map_err(|err| e.add(&field, err.0)) else {
            continue;
        };
        let kind =
            PhoneKind::parse(kind.get(i).map_or("main", |s| s.as_str())).unwrap_or(PhoneKind::Main);
        let note = note.get(i).map_or("", |s| s.trim()).to_string();
        out.push(PhoneInput { number, kind, note });
    }
    out
}

/// Stored numbers as a form's three phone columns: the number as it was typed (its
/// vanity form where there is one), its kind and its note.
fn phone_columns(phones: &[PhoneView]) -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        phones
            .iter()
            .map(|p| p.vanity.clone().unwrap_or_else(|| p.e164.clone()))
            .collect(),
        phones.iter().map(|p| p.kind.clone()).collect(),
        phones.iter().map(|p| p.note.clone()).collect(),
    )
}

/// A form's phone rows as typed (and two blank ones), and the kinds to pick from.
fn insert_phones(c: &mut Context, number: &[String], kind: &[String], note: &[String]) {
    c.insert("phones", &phone_rows(number, kind, note));
    c.insert(
        "phone_kinds",
        &PhoneKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect::<Vec<_>>(),
    );
}

// ---- Contacts -----------------------------------------------------------------------

/// The contact form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ContactForm {
    pub slug: String,
    pub kind: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub email: String,
    pub contact_form_url: String,
    pub website_url: String,
    pub address: String,
    pub phone_number: Vec<String>,
    pub phone_kind: Vec<String>,
    pub phone_note: Vec<String>,
}

/// `GET /admin/contacts`: the directory (legislators are found by ZIP and not listed).
pub async fn contact_list(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let list = state.db.run(contacts::list_directory).await?;
    list_page(&me, "admin/contacts.html", |c| c.insert("contacts", &list))
}

fn contact_page(
    me: &CurrentOrganizer,
    slug: Option<&str>,
    f: &ContactForm,
    e: &FormErrors,
    flash: Option<&str>,
) -> Result<HttpResponse, WebError> {
    form_page(me, "admin/contact_form.html", f, e, |c| {
        c.insert("slug", &slug);
        insert_phones(c, &f.phone_number, &f.phone_kind, &f.phone_note);
        c.insert(
            "contact_kinds",
            &ContactKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect::<Vec<_>>(),
        );
        c.insert("flash", &flash);
    })
}

/// `GET /admin/contacts/new`.
pub async fn contact_new(me: CurrentOrganizer) -> Result<HttpResponse, WebError> {
    let f = ContactForm {
        kind: "agency".into(),
        ..ContactForm::default()
    };
    contact_page(&me, None, &f, &FormErrors::default(), None)
}

/// `GET /admin/contacts/{slug}`.
pub async fn contact_edit(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let (c, phones) = state
        .db
        .run(move |conn| {
            let c = contacts::by_slug(conn, &slug)?;
            let p = contacts::phones_of(conn, &[c.id])?
                .remove(&c.id)
                .unwrap_or_default();
            Ok((c, p))
        })
        .await?;
    let phones: Vec<PhoneView> = phones.iter().map(contacts::Phone::view).collect();
    let (phone_number, phone_kind, phone_note) = phone_columns(&phones);
    let f = ContactForm {
        slug: c.slug.clone(),
        kind: c.kind,
        name: c.name,
        role: c.role,
        organisation: c.organisation,
        email: c.email.unwrap_or_default(),
        contact_form_url: c.contact_form_url.unwrap_or_default(),
        website_url: c.website_url.unwrap_or_default(),
        address: c.address,
        phone_number,
        phone_kind,
        phone_note,
    };
    contact_page(&me, Some(&c.slug), &f, &FormErrors::default(), flash(&q))
}

/// `POST /admin/contacts/new` and `POST /admin/contacts/{slug}`: saves the contact and
/// its numbers; a change reaches the change log of every published action that uses it.
pub async fn contact_save(
    state: web::Data<AppState>,
    path: Option<web::Path<String>>,
    form: CsrfForm<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data: f } = form;
    let path_slug = path.map(|p| p.into_inner());
    let mut e = FormErrors::default();
    let name = text(&mut e, "name", &f.name, true, 200);
    let slug = slug_of(&mut e, path_slug.as_deref(), &f.slug, &name);
    let kind = ContactKind::parse(&f.kind).unwrap_or_else(|err| {
        e.add("kind", err.0);
        ContactKind::Agency
    });
    let email = if f.email.trim().is_empty() {
        None
    } else {
        EmailAddress::parse(&f.email)
            .map(|m| m.as_str().to_string())
            .map_err(|err| e.add("email", err.0))
            .ok()
    };
    let role = text(&mut e, "role", &f.role, false, 200);
    let organisation = text(&mut e, "organisation", &f.organisation, false, 200);
    let address = text(&mut e, "address", &f.address, false, 1_000);
    let contact_form_url = opt_url(&mut e, "contact_form_url", &f.contact_form_url);
    let website_url = opt_url(&mut e, "website_url", &f.website_url);
    let phones = parse_phones(&mut e, &f.phone_number, &f.phone_kind, &f.phone_note);
    let actor = me.actor();
    let editing = path_slug.clone();
    let saved = save_checked(&state, e, move |conn| {
        if editing.is_none() && contacts::find(conn, slug.as_str())?.is_some() {
            return Err(slug_taken("contact", slug.as_str()));
        }
        // Legislators' imported details are kept as they are.
        let old = match &editing {
            Some(s) => Some(contacts::by_slug(conn, s)?),
            None => None,
        };
        let input = ContactInput {
            slug,
            kind,
            name,
            role,
            organisation,
            state: old.as_ref().and_then(|o| o.state.clone()),
            district: old.as_ref().and_then(|o| o.district),
            party: old.as_ref().and_then(|o| o.party.clone()),
            email,
            contact_form_url,
            website_url,
            address,
            bioguide_id: old.as_ref().and_then(|o| o.bioguide_id.clone()),
            phones,
        };
        let c = db::write_tx(conn, |conn| {
            let (c, fields) = contacts::upsert(conn, &input, &actor)?;
            actions::contact_changed(conn, c.id, &fields, &actor)?;
            Ok::<_, db::Error>(c)
        })?;
        Ok(format!("/admin/contacts/{}?done=1", c.slug))
    })
    .await?;
    saved.or_else(|e| contact_page(&me, path_slug.as_deref(), &f, &e, None))
}

// ---- Hotlines -----------------------------------------------------------------------

/// The hotline form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct HotlineForm {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub hours: String,
    pub languages: String,
    pub audience: String,
    pub url: String,
    pub phone_number: Vec<String>,
    pub phone_kind: Vec<String>,
    pub phone_note: Vec<String>,
}

/// `GET /admin/hotlines`.
pub async fn hotline_list(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
) -> Result<HttpResponse, WebError> {
    let list = state.db.run(contacts::list_hotlines).await?;
    list_page(&me, "admin/hotlines.html", |c| c.insert("hotlines", &list))
}

fn hotline_page(
    me: &CurrentOrganizer,
    slug: Option<&str>,
    f: &HotlineForm,
    e: &FormErrors,
    flash: Option<&str>,
) -> Result<HttpResponse, WebError> {
    form_page(me, "admin/hotline_form.html", f, e, |c| {
        c.insert("slug", &slug);
        insert_phones(c, &f.phone_number, &f.phone_kind, &f.phone_note);
        c.insert("flash", &flash);
    })
}

/// `GET /admin/hotlines/new`.
pub async fn hotline_new(me: CurrentOrganizer) -> Result<HttpResponse, WebError> {
    hotline_page(
        &me,
        None,
        &HotlineForm::default(),
        &FormErrors::default(),
        None,
    )
}

/// `GET /admin/hotlines/{slug}`.
pub async fn hotline_edit(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let h = state
        .db
        .run(move |conn| {
            contacts::list_hotlines(conn)?
                .into_iter()
                .find(|h| h.slug == slug)
                .ok_or(db::Error::NotFound("hotline"))
        })
        .await?;
    let (phone_number, phone_kind, phone_note) = phone_columns(&h.phones);
    let f = HotlineForm {
        slug: h.slug.clone(),
        name: h.name,
        description: h.description,
        hours: h.hours,
        languages: h.languages,
        audience: h.audience,
        url: h.url.unwrap_or_default(),
        phone_number,
        phone_kind,
        phone_note,
    };
    hotline_page(&me, Some(&h.slug), &f, &FormErrors::default(), flash(&q))
}

/// `POST /admin/hotlines/new` and `POST /admin/hotlines/{slug}`.
pub async fn hotline_save(
    state: web::Data<AppState>,
    path: Option<web::Path<String>>,
    form: CsrfForm<HotlineForm>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data: f } = form;
    let path_slug = path.map(|p| p.into_inner());
    let mut e = FormErrors::default();
    let name = text(&mut e, "name", &f.name, true, 200);
    let input = HotlineInput {
        slug: slug_of(&mut e, path_slug.as_deref(), &f.slug, &name),
        name,
        description: text(&mut e, "description", &f.description, false, 2_000),
        hours: text(&mut e, "hours", &f.hours, false, 200),
        languages: text(&mut e, "languages", &f.languages, false, 200),
        audience: text(&mut e, "audience", &f.audience, false, 500),
        url: opt_url(&mut e, "url", &f.url),
        phones: parse_phones(&mut e, &f.phone_number, &f.phone_kind, &f.phone_note),
    };
    let actor = me.actor();
    let creating = path_slug.is_none();
    let saved = save_checked(&state, e, move |conn| {
        if creating
            && contacts::list_hotlines(conn)?
                .iter()
                .any(|h| h.slug == input.slug.as_str())
        {
            return Err(slug_taken("hotline", input.slug.as_str()));
        }
        let h = db::write_tx(conn, |conn| contacts::upsert_hotline(conn, &input, &actor))?;
        Ok(format!("/admin/hotlines/{}?done=1", h.slug))
    })
    .await?;
    saved.or_else(|e| hotline_page(&me, path_slug.as_deref(), &f, &e, None))
}
