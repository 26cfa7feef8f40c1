//! Organizer pages for campaigns, dated updates, contacts (with their phone numbers) and
//! hotlines. Each form is shown again with what was typed and each bad field named.
//! Campaigns, contacts and hotlines are each an [`EditForm`]: one set of handlers creates
//! and edits all three.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tera::Context;

use crate::db::campaigns::{self, CampaignInput};
use crate::db::contacts::{self, ContactInput, HotlineInput, HotlineView, PhoneInput, PhoneView};
use crate::db::updates::{self, Relation, UpdateInput};
use crate::db::{self, actions, Actor, DbConn};
use crate::domain::{
    parse_time, Address, Body, ContactKind, Description, EmailAddress, HttpUrl, InvalidInput, Line,
    LongLine, Name, Note, PhoneKind, PhoneNumber, Slug, Summary, Title, Zone,
};
use crate::web::admin::{self, see_other, FormErrors};
use crate::web::csrf::CsrfForm;
use crate::web::error::WebError;
use crate::web::session::CurrentOrganizer;
use crate::web::AppState;

/// A form's input is `None` only when checking it named an error, and then it is never
/// saved (see [`save_checked`]); this is what saving one would answer.
fn unchecked() -> db::Error {
    db::Error::invalid("form", "has errors")
}

/// The routes of campaigns, updates, contacts and hotlines.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/campaigns", web::get().to(campaign_list))
        .configure(edit_routes::<CampaignForm>)
        .route("/admin/updates", web::get().to(update_list))
        .route("/admin/updates/new", web::get().to(update_new))
        .route("/admin/updates/new", web::post().to(update_post))
        .route("/admin/contacts", web::get().to(contact_list))
        .configure(edit_routes::<ContactForm>)
        .route("/admin/hotlines", web::get().to(hotline_list))
        .configure(edit_routes::<HotlineForm>);
}

/// A field's value, or `None` with its error added under `field`.
fn take<T>(e: &mut FormErrors, field: &str, r: Result<T, InvalidInput>) -> Option<T> {
    r.map_err(|err| e.add(field, err.0)).ok()
}

fn opt_url(e: &mut FormErrors, field: &str, v: &str) -> Option<HttpUrl> {
    if v.trim().is_empty() {
        return None;
    }
    take(e, field, HttpUrl::parse(v))
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
    let status = e.status();
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
    match state
        .db
        .run(move |conn| Ok::<_, db::Error>(save(conn)))
        .await?
    {
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

// ---- Create-or-edit forms -----------------------------------------------------------

/// A thing organizers create at `{BASE}/new` and edit at `{BASE}/{slug}` with one form:
/// how the form is filled, checked, stored and shown.
trait EditForm: Default + Serialize + DeserializeOwned + Send + 'static {
    /// Where its pages are, e.g. `/admin/campaigns`.
    const BASE: &'static str;
    /// The form page's template.
    const TEMPLATE: &'static str;
    /// The checked form, ready to store.
    type Input: Send + 'static;

    /// The form of a new one.
    fn blank() -> Self {
        Self::default()
    }

    /// The stored one with this slug, as its form shows it.
    fn load(conn: &mut DbConn, slug: &str) -> db::Result<Self>;

    /// Checks every field, naming each bad one in `e`; `editing` is the stored slug when
    /// editing.
    fn check(&self, editing: Option<&str>, e: &mut FormErrors) -> Self::Input;

    /// Stores it, new or over the one `editing` names; answers the slug it is stored under.
    fn save(
        conn: &mut DbConn,
        input: Self::Input,
        editing: Option<&str>,
        actor: &Actor,
    ) -> db::Result<String>;

    /// What the page shows beside the form (choices to pick from).
    fn fill(&self, _ctx: &mut Context) {}
}

/// The four routes of an [`EditForm`].
fn edit_routes<F: EditForm>(cfg: &mut web::ServiceConfig) {
    let (new, one) = (format!("{}/new", F::BASE), format!("{}/{{slug}}", F::BASE));
    cfg.route(&new, web::get().to(new_form::<F>))
        .route(&new, web::post().to(save_form::<F>))
        .route(&one, web::get().to(edit_form::<F>))
        .route(&one, web::post().to(save_form::<F>));
}

/// An [`EditForm`]'s page: `editing` is the stored slug (`None` for a new one), `flash`
/// the note after a save.
fn edit_page<F: EditForm>(
    me: &CurrentOrganizer,
    editing: Option<&str>,
    f: &F,
    e: &FormErrors,
    flash: Option<&str>,
) -> Result<HttpResponse, WebError> {
    form_page(me, F::TEMPLATE, f, e, |c| {
        c.insert("slug", &editing);
        c.insert("flash", &flash);
        f.fill(c);
    })
}

/// `GET {BASE}/new`: the form of a new one.
async fn new_form<F: EditForm>(me: CurrentOrganizer) -> Result<HttpResponse, WebError> {
    edit_page(&me, None, &F::blank(), &FormErrors::default(), None)
}

/// `GET {BASE}/{slug}`: the form of the stored one ("Saved." after a save).
async fn edit_form<F: EditForm>(
    state: web::Data<AppState>,
    me: CurrentOrganizer,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let stored = slug.clone();
    let f = state.db.run(move |conn| F::load(conn, &stored)).await?;
    edit_page(&me, Some(&slug), &f, &FormErrors::default(), flash(&q))
}

/// `POST {BASE}/new` and `POST {BASE}/{slug}`: stores the form and goes to its page, or
/// shows the form again with each bad field named.
async fn save_form<F: EditForm>(
    state: web::Data<AppState>,
    path: Option<web::Path<String>>,
    form: CsrfForm<F>,
) -> Result<HttpResponse, WebError> {
    let CsrfForm { me, data: f } = form;
    let editing = path.map(|p| p.into_inner());
    let mut e = FormErrors::default();
    let input = f.check(editing.as_deref(), &mut e);
    let actor = me.actor();
    let stored = editing.clone();
    let saved = save_checked(&state, e, move |conn| {
        let slug = F::save(conn, input, stored.as_deref(), &actor)?;
        Ok(format!("{}/{slug}?done=1", F::BASE))
    })
    .await?;
    saved.or_else(|e| edit_page(&me, editing.as_deref(), &f, &e, None))
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
    #[serde(default)]
    pub timezone: String,
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

impl EditForm for CampaignForm {
    const BASE: &'static str = "/admin/campaigns";
    const TEMPLATE: &'static str = "admin/campaign_form.html";
    type Input = Option<CampaignInput>;

    fn load(conn: &mut DbConn, slug: &str) -> db::Result<Self> {
        let c = campaigns::by_slug(conn, slug)?;
        Ok(CampaignForm {
            slug: c.slug,
            title: c.title,
            summary: c.summary,
            body: c.body,
            timezone: c.timezone.map(|z| z.to_string()).unwrap_or_default(),
        })
    }

    fn check(&self, editing: Option<&str>, e: &mut FormErrors) -> Option<CampaignInput> {
        let title = take(e, "title", Title::parse(&self.title));
        let slug = slug_of(
            e,
            editing,
            &self.slug,
            title.as_deref().unwrap_or(&self.title),
        );
        let summary = take(e, "summary", Summary::parse(&self.summary));
        let body = take(e, "body", Body::parse(&self.body));
        let timezone = take(e, "timezone", Zone::optional(&self.timezone));
        Some(CampaignInput {
            slug,
            title: title?,
            summary: summary?,
            body: body?,
            timezone: timezone?,
        })
    }

    fn fill(&self, c: &mut Context) {
        c.insert("zones", &crate::domain::zone::COMMON);
    }

    fn save(
        conn: &mut DbConn,
        input: Option<CampaignInput>,
        editing: Option<&str>,
        actor: &Actor,
    ) -> db::Result<String> {
        let input = input.ok_or_else(unchecked)?;
        let c = db::write_tx(conn, |conn| match editing {
            Some(s) => {
                let c = campaigns::by_slug(conn, s)?;
                campaigns::update(conn, c.id, &input, actor)
            }
            None => campaigns::create(conn, &input, actor),
        })?;
        Ok(c.slug)
    }
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
    let title = take(&mut e, "title", Title::parse(&f.title));
    let body = take(&mut e, "body", Body::parse(&f.body));
    let published_at = if f.published_at.trim().is_empty() {
        db::now()
    } else {
        take(&mut e, "published_at", parse_time(&f.published_at)).unwrap_or_else(db::now)
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
    let input = title.zip(body).map(|(title, body)| UpdateInput {
        campaign_id,
        title,
        body,
        published_at,
        actions: related,
    });
    let actor = me.actor();
    let saved = save_checked(&state, e, move |conn| {
        let input = input.ok_or_else(unchecked)?;
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

/// The typed rows, then two empty ones to fill in.
fn phone_rows(number: &[String], kind: &[String], note: &[String]) -> Vec<PhoneRow> {
    let pad = [("", "main", ""); 2];
    admin::rows(number, kind, note, &pad, |number, kind, note| PhoneRow {
        number,
        kind,
        note,
    })
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
        let Some(note) = take(
            e,
            &format!("phone_note.{i}"),
            Note::parse(note.get(i).map_or("", |s| s.as_str())),
        ) else {
            continue;
        };
        out.push(PhoneInput {
            number,
            kind,
            note,
            direct: None,
        });
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
        phones.iter().map(|p| p.kind.to_string()).collect(),
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

/// A saved contact changes the change log of every published action that uses it.
impl EditForm for ContactForm {
    const BASE: &'static str = "/admin/contacts";
    const TEMPLATE: &'static str = "admin/contact_form.html";
    type Input = Option<ContactInput>;

    fn blank() -> Self {
        ContactForm {
            kind: "agency".into(),
            ..ContactForm::default()
        }
    }

    fn load(conn: &mut DbConn, slug: &str) -> db::Result<Self> {
        let c = contacts::by_slug(conn, slug)?;
        let phones: Vec<PhoneView> = contacts::phones_of(conn, &[c.id])?
            .remove(&c.id)
            .unwrap_or_default()
            .iter()
            .map(contacts::Phone::view)
            .collect();
        let (phone_number, phone_kind, phone_note) = phone_columns(&phones);
        Ok(ContactForm {
            slug: c.slug,
            kind: c.kind.to_string(),
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
        })
    }

    /// Legislators' imported details (state, district, party, bioguide id) are not on the
    /// form: [`EditForm::save`] keeps the stored ones.
    fn check(&self, editing: Option<&str>, e: &mut FormErrors) -> Option<ContactInput> {
        let name = take(e, "name", Name::parse(&self.name));
        let slug = slug_of(
            e,
            editing,
            &self.slug,
            name.as_deref().unwrap_or(&self.name),
        );
        let kind = ContactKind::parse(&self.kind).unwrap_or_else(|err| {
            e.add("kind", err.0);
            ContactKind::Agency
        });
        let email = if self.email.trim().is_empty() {
            None
        } else {
            EmailAddress::parse(&self.email)
                .map(|m| m.as_str().to_string())
                .map_err(|err| e.add("email", err.0))
                .ok()
        };
        let role = take(e, "role", Line::parse(&self.role));
        let organisation = take(e, "organisation", Line::parse(&self.organisation));
        let contact_form_url = opt_url(e, "contact_form_url", &self.contact_form_url);
        let website_url = opt_url(e, "website_url", &self.website_url);
        let address = take(e, "address", Address::parse(&self.address));
        let phones = parse_phones(e, &self.phone_number, &self.phone_kind, &self.phone_note);
        Some(ContactInput {
            slug,
            kind,
            name: name?,
            role: role?,
            organisation: organisation?,
            state: None,
            district: None,
            party: None,
            email,
            contact_form_url,
            website_url,
            address: address?,
            bioguide_id: None,
            openstates_id: None,
            state_district: None,
            phones,
        })
    }

    fn save(
        conn: &mut DbConn,
        input: Option<ContactInput>,
        editing: Option<&str>,
        actor: &Actor,
    ) -> db::Result<String> {
        let mut input = input.ok_or_else(unchecked)?;
        match editing {
            None => ensure_new_contact(conn, &input)?,
            Some(s) => {
                let old = contacts::by_slug(conn, s)?;
                input.state = old.state;
                input.district = old.district;
                input.party = old.party;
                input.bioguide_id = old.bioguide_id;
            }
        }
        let c = db::write_tx(conn, |conn| {
            let (c, fields) = contacts::upsert(conn, &input, actor)?;
            actions::contact_changed(conn, c.id, &fields, actor)?;
            Ok::<_, db::Error>(c)
        })?;
        Ok(c.slug)
    }

    fn fill(&self, c: &mut Context) {
        insert_phones(c, &self.phone_number, &self.phone_kind, &self.phone_note);
        c.insert(
            "contact_kinds",
            &ContactKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect::<Vec<_>>(),
        );
    }
}

impl ContactForm {
    /// Checks a new contact by this form's rules (as the action form adds one), naming
    /// each bad field under this form's names.
    pub fn check_new(&self, e: &mut FormErrors) -> Option<ContactInput> {
        EditForm::check(self, None, e)
    }
}

/// A new contact's slug must be free.
fn ensure_new_contact(conn: &mut DbConn, input: &ContactInput) -> db::Result<()> {
    if contacts::find(conn, input.slug.as_str())?.is_some() {
        return Err(slug_taken("contact", input.slug.as_str()));
    }
    Ok(())
}

/// Stores a new contact checked by [`ContactForm::check_new`] (call inside a write
/// transaction); a slug in use is a conflict.
pub fn create_contact(
    conn: &mut DbConn,
    input: &ContactInput,
    actor: &Actor,
) -> db::Result<contacts::Contact> {
    ensure_new_contact(conn, input)?;
    Ok(contacts::upsert(conn, input, actor)?.0)
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

impl EditForm for HotlineForm {
    const BASE: &'static str = "/admin/hotlines";
    const TEMPLATE: &'static str = "admin/hotline_form.html";
    type Input = Option<HotlineInput>;

    fn load(conn: &mut DbConn, slug: &str) -> db::Result<Self> {
        let HotlineView { details: d, phones } = contacts::list_hotlines(conn)?
            .into_iter()
            .find(|h| h.details.slug == slug)
            .ok_or(db::Error::NotFound("hotline"))?;
        let (phone_number, phone_kind, phone_note) = phone_columns(&phones);
        Ok(HotlineForm {
            slug: d.slug,
            name: d.name,
            description: d.description,
            hours: d.hours,
            languages: d.languages,
            audience: d.audience,
            url: d.url.unwrap_or_default(),
            phone_number,
            phone_kind,
            phone_note,
        })
    }

    fn check(&self, editing: Option<&str>, e: &mut FormErrors) -> Option<HotlineInput> {
        let name = take(e, "name", Name::parse(&self.name));
        let slug = slug_of(
            e,
            editing,
            &self.slug,
            name.as_deref().unwrap_or(&self.name),
        );
        let description = take(e, "description", Description::parse(&self.description));
        let hours = take(e, "hours", Line::parse(&self.hours));
        let languages = take(e, "languages", Line::parse(&self.languages));
        let audience = take(e, "audience", LongLine::parse(&self.audience));
        let url = opt_url(e, "url", &self.url);
        let phones = parse_phones(e, &self.phone_number, &self.phone_kind, &self.phone_note);
        Some(HotlineInput {
            slug,
            name: name?,
            description: description?,
            hours: hours?,
            languages: languages?,
            audience: audience?,
            url,
            phones,
        })
    }

    fn save(
        conn: &mut DbConn,
        input: Option<HotlineInput>,
        editing: Option<&str>,
        actor: &Actor,
    ) -> db::Result<String> {
        let input = input.ok_or_else(unchecked)?;
        if editing.is_none()
            && contacts::list_hotlines(conn)?
                .iter()
                .any(|h| h.details.slug == input.slug.as_str())
        {
            return Err(slug_taken("hotline", input.slug.as_str()));
        }
        let h = db::write_tx(conn, |conn| contacts::upsert_hotline(conn, &input, actor))?;
        Ok(h.slug)
    }

    fn fill(&self, c: &mut Context) {
        insert_phones(c, &self.phone_number, &self.phone_kind, &self.phone_note);
    }
}
