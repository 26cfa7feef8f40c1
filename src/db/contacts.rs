//! Contacts (people and offices to call), their phone numbers and district offices, and
//! the hotline directory.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::changes;
use super::schema::{contact_offices, contacts, hotlines, phones};
use super::{settings, Actor, DbConn, Error, Result};
use crate::domain::{
    Address, ContactKind, Description, HttpUrl, Line, LongLine, Name, Note, PhoneKind, PhoneNumber,
    Slug,
};

/// A contact row: a senator, representative, agency, international body or organisation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize)]
#[diesel(table_name = contacts)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: i32,
    pub slug: String,
    pub kind: ContactKind,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub state: Option<String>,
    pub district: Option<i32>,
    pub party: Option<String>,
    pub email: Option<String>,
    pub contact_form_url: Option<String>,
    pub website_url: Option<String>,
    pub address: String,
    pub bioguide_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// An Open States person id (`ocd-person/…`), for state and local officials.
    pub openstates_id: Option<String>,
    /// A state legislator's district by name ("Chittenden-1", "Ward 4").
    pub state_district: Option<String>,
}

/// A stored phone number of a contact or a hotline.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize)]
#[diesel(table_name = phones)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    pub id: i32,
    pub contact_id: Option<i32>,
    pub hotline_id: Option<i32>,
    pub e164: String,
    pub vanity: Option<String>,
    pub kind: PhoneKind,
    pub note: String,
    pub position: i32,
    /// A toll-free number's direct (not toll-free) alternative, for callers abroad.
    pub direct_e164: Option<String>,
    /// When the number was last checked: an import's file date, or an organizer's check.
    pub verified_at: Option<chrono::NaiveDateTime>,
}

/// A phone number as pages, the API and emails show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoneView {
    /// `+18663472423`
    pub e164: String,
    /// `+1 866-347-2423`
    pub display: String,
    /// `(866) 347-2423`
    pub national: String,
    /// `1-866-DHS-2-ICE`, where the number was given in letters.
    pub vanity: Option<String>,
    pub kind: PhoneKind,
    pub kind_label: &'static str,
    pub note: String,
    /// Toll-free numbers may be unreachable from abroad.
    pub toll_free: bool,
    /// `tel:+18663472423`
    pub tel: String,
    /// A toll-free number's direct alternative for callers abroad, where one is known.
    pub direct: Option<DirectLine>,
    /// When the number was last checked.
    pub verified_at: Option<chrono::NaiveDateTime>,
    /// Callers' open problem reports since it was last checked (see [`super::phone_reports`]).
    pub reports: i64,
    /// Enough open reports that pages warn callers ([`super::phone_reports::FLAGGED`]).
    pub flagged: bool,
}

impl PhoneView {
    /// Sets the count of open problem reports, flagging the number past the threshold.
    pub fn set_reports(&mut self, n: i64) {
        self.reports = n;
        self.flagged = n >= super::phone_reports::FLAGGED;
    }
}

/// A number to dial from abroad instead of a toll-free one.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DirectLine {
    /// `+12023258000`
    pub e164: String,
    /// `+1 202-325-8000`
    pub display: String,
    /// `tel:+12023258000`
    pub tel: String,
}

impl DirectLine {
    /// The stored number ready to show, if it reads as one.
    pub fn of(e164: &str) -> Option<DirectLine> {
        PhoneNumber::from_stored(e164, None)
            .ok()
            .map(|p| DirectLine {
                e164: p.e164().to_string(),
                display: p.display(),
                tel: p.tel_uri(),
            })
    }
}

impl Phone {
    /// The number ready to show, with its dialable forms.
    pub fn view(&self) -> PhoneView {
        let kind_label = self.kind.label();
        match PhoneNumber::from_stored(&self.e164, self.vanity.as_deref()) {
            Ok(p) => PhoneView {
                e164: p.e164().to_string(),
                display: p.display(),
                national: p.national(),
                vanity: p.vanity().map(str::to_string),
                kind: self.kind,
                kind_label,
                note: self.note.clone(),
                toll_free: p.is_toll_free(),
                tel: p.tel_uri(),
                direct: self.direct_e164.as_deref().and_then(DirectLine::of),
                verified_at: self.verified_at,
                reports: 0,
                flagged: false,
            },
            // Stored numbers were parsed on the way in; show a damaged one as it is.
            Err(_) => PhoneView {
                e164: self.e164.clone(),
                display: self.e164.clone(),
                national: self.e164.clone(),
                vanity: self.vanity.clone(),
                kind: self.kind,
                kind_label,
                note: self.note.clone(),
                toll_free: false,
                tel: format!("tel:{}", self.e164),
                direct: None,
                verified_at: self.verified_at,
                reports: 0,
                flagged: false,
            },
        }
    }
}

/// A phone number to store.
#[derive(Debug, Clone)]
pub struct PhoneInput {
    pub number: PhoneNumber,
    pub kind: PhoneKind,
    pub note: Note,
    /// Its direct line for callers abroad: `None` keeps what is stored for this number
    /// (forms and imports that do not show it), `Some(None)` clears it.
    pub direct: Option<Option<PhoneNumber>>,
}

/// The editable fields of a contact, each checked by its type (state, district, party and
/// bioguide id come from the legislators' import only).
#[derive(Debug, Clone)]
pub struct ContactInput {
    pub slug: Slug,
    pub kind: ContactKind,
    pub name: Name,
    pub role: Line,
    pub organisation: Line,
    pub state: Option<String>,
    pub district: Option<i32>,
    pub party: Option<String>,
    pub email: Option<String>,
    pub contact_form_url: Option<HttpUrl>,
    pub website_url: Option<HttpUrl>,
    pub address: Address,
    pub bioguide_id: Option<String>,
    /// Open States person id and state district (from `import openstates` only).
    pub openstates_id: Option<String>,
    pub state_district: Option<String>,
    pub phones: Vec<PhoneInput>,
}

/// A contact's own details as pages and the API show them (its numbers apart).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactDetails {
    pub slug: String,
    #[schema(value_type = ContactKind)]
    pub kind: ContactKind,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub state: Option<String>,
    pub district: Option<i32>,
    pub party: Option<String>,
    pub email: Option<String>,
    pub contact_form_url: Option<String>,
    pub website_url: Option<String>,
    pub address: String,
}

impl From<&Contact> for ContactDetails {
    fn from(c: &Contact) -> ContactDetails {
        ContactDetails {
            slug: c.slug.clone(),
            kind: c.kind,
            name: c.name.clone(),
            role: c.role.clone(),
            organisation: c.organisation.clone(),
            state: c.state.clone(),
            district: c.district,
            party: c.party.clone(),
            email: c.email.clone(),
            contact_form_url: c.contact_form_url.clone(),
            website_url: c.website_url.clone(),
            address: c.address.clone(),
        }
    }
}

/// A contact with its numbers, ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    #[serde(flatten)]
    pub details: ContactDetails,
    pub phones: Vec<PhoneView>,
    /// A number that is not toll-free, for callers abroad, where one is known.
    pub direct_phone: Option<PhoneView>,
    pub has_toll_free: bool,
    /// The share of callers who reached someone in the last 30 days, in percent, once
    /// there are enough outcomes to say (see [`super::outcomes::Counts::reach`]).
    pub reach: Option<i64>,
}

impl ContactView {
    /// Joins a contact and its numbers.
    pub fn new(c: &Contact, phones: &[Phone]) -> ContactView {
        let phones: Vec<PhoneView> = phones.iter().map(Phone::view).collect();
        let has_toll_free = phones.iter().any(|p| p.toll_free);
        // A toll-free number's own direct line first, else another number of the contact.
        let direct_phone = phones
            .iter()
            .find_map(|p| {
                let d = p.direct.as_ref().filter(|_| p.toll_free)?;
                Some(PhoneView {
                    e164: d.e164.clone(),
                    display: d.display.clone(),
                    national: d.display.clone(),
                    vanity: None,
                    kind: PhoneKind::Direct,
                    kind_label: PhoneKind::Direct.label(),
                    note: String::new(),
                    toll_free: false,
                    tel: d.tel.clone(),
                    direct: None,
                    verified_at: p.verified_at,
                    reports: 0,
                    flagged: false,
                })
            })
            .or_else(|| {
                phones
                    .iter()
                    .find(|p| !p.toll_free && p.kind != PhoneKind::Fax)
                    .cloned()
            });
        ContactView {
            details: ContactDetails::from(c),
            phones,
            direct_phone,
            has_toll_free,
            reach: None,
        }
    }
}

fn contact_snapshot(c: &Contact, phones: &[Phone]) -> serde_json::Value {
    json!({
        "kind": c.kind, "name": c.name, "role": c.role, "organisation": c.organisation,
        "state": c.state, "district": c.district, "party": c.party, "email": c.email,
        "contact_form_url": c.contact_form_url, "website_url": c.website_url,
        "address": c.address, "state_district": c.state_district,
        "phones": phones.iter().map(|p| json!({"e164": p.e164, "vanity": p.vanity,
            "kind": p.kind, "note": p.note, "direct": p.direct_e164})).collect::<Vec<_>>(),
    })
}

fn replace_phones(
    conn: &mut DbConn,
    contact_id: Option<i32>,
    hotline_id: Option<i32>,
    list: &[PhoneInput],
    at: chrono::NaiveDateTime,
) -> Result<()> {
    // What the input leaves as it was, by number: direct lines and when it was checked.
    type Kept = (String, Option<String>, Option<chrono::NaiveDateTime>);
    let select = (phones::e164, phones::direct_e164, phones::verified_at);
    let kept: HashMap<String, (Option<String>, Option<chrono::NaiveDateTime>)> =
        match (contact_id, hotline_id) {
            (Some(c), _) => phones::table
                .filter(phones::contact_id.eq(c))
                .select(select)
                .load::<Kept>(conn)?,
            (_, Some(h)) => phones::table
                .filter(phones::hotline_id.eq(h))
                .select(select)
                .load::<Kept>(conn)?,
            _ => Vec::new(),
        }
        .into_iter()
        .map(|(e, d, v)| (e, (d, v)))
        .collect();
    match (contact_id, hotline_id) {
        (Some(c), _) => {
            diesel::delete(phones::table.filter(phones::contact_id.eq(c))).execute(conn)?
        }
        (_, Some(h)) => {
            diesel::delete(phones::table.filter(phones::hotline_id.eq(h))).execute(conn)?
        }
        _ => 0,
    };
    for (i, p) in list.iter().enumerate() {
        let before = kept.get(p.number.e164());
        diesel::insert_into(phones::table)
            .values((
                phones::contact_id.eq(contact_id),
                phones::hotline_id.eq(hotline_id),
                phones::e164.eq(p.number.e164()),
                phones::vanity.eq(p.number.vanity()),
                phones::kind.eq(p.kind),
                phones::note.eq(p.note.as_str()),
                phones::position.eq(i as i32),
                phones::direct_e164.eq(match &p.direct {
                    Some(d) => d.as_ref().map(|n| n.e164().to_string()),
                    None => before.and_then(|b| b.0.clone()),
                }),
                // A number entered now is checked now; one kept keeps its date.
                phones::verified_at.eq(before.map_or(Some(at), |b| b.1)),
            ))
            .execute(conn)?;
    }
    if let Some(c) = contact_id {
        let numbers: Vec<&str> = list.iter().map(|p| p.number.e164()).collect();
        super::phone_reports::resolve_gone(conn, c, &numbers, at)?;
    }
    Ok(())
}

/// Creates the contact, or brings the one with the same slug up to date; returns it and
/// the changed fields (empty when nothing changed).
pub fn upsert(
    conn: &mut DbConn,
    input: &ContactInput,
    actor: &Actor,
) -> Result<(Contact, Vec<changes::FieldChange>)> {
    let existing = find(conn, input.slug.as_str())?;
    let values = (
        contacts::kind.eq(input.kind),
        contacts::name.eq(input.name.as_str()),
        contacts::role.eq(input.role.as_str()),
        contacts::organisation.eq(input.organisation.as_str()),
        contacts::state.eq(&input.state),
        contacts::district.eq(input.district),
        contacts::party.eq(&input.party),
        contacts::email.eq(&input.email),
        contacts::contact_form_url.eq(input.contact_form_url.as_ref().map(HttpUrl::as_str)),
        contacts::website_url.eq(input.website_url.as_ref().map(HttpUrl::as_str)),
        contacts::address.eq(input.address.as_str()),
        contacts::bioguide_id.eq(&input.bioguide_id),
        contacts::openstates_id.eq(&input.openstates_id),
        contacts::state_district.eq(&input.state_district),
        contacts::updated_at.eq(actor.at),
    );
    let (before, contact) = match existing {
        Some(old) => {
            let before = contact_snapshot(
                &old,
                &phones_of(conn, &[old.id])?
                    .remove(&old.id)
                    .unwrap_or_default(),
            );
            diesel::update(contacts::table.find(old.id))
                .set(values)
                .execute(conn)?;
            (Some(before), by_id(conn, old.id)?)
        }
        None => {
            let id: i32 = diesel::insert_into(contacts::table)
                .values((
                    values,
                    contacts::slug.eq(input.slug.as_str()),
                    contacts::created_at.eq(actor.at),
                ))
                .returning(contacts::id)
                .get_result(conn)?;
            (None, by_id(conn, id)?)
        }
    };
    replace_phones(conn, Some(contact.id), None, &input.phones, actor.at)?;
    let phones = phones_of(conn, &[contact.id])?
        .remove(&contact.id)
        .unwrap_or_default();
    let after = contact_snapshot(&contact, &phones);
    let fields = changes::diff(before.as_ref().unwrap_or(&json!({})), &after, &[]);
    if !fields.is_empty() {
        changes::record_revision(conn, "contact", contact.id, &after, actor)?;
        let verb = if before.is_some() { "edit" } else { "create" };
        changes::audit(
            conn,
            actor,
            verb,
            "contact",
            Some(contact.id),
            &json!({"fields": fields}),
        )?;
        // Members of Congress are contacts too: the in-memory directory reads them.
        settings::bump_directory_version(conn)?;
    }
    Ok((contact, if before.is_some() { fields } else { Vec::new() }))
}

/// The contact with this slug, if any.
pub fn find(conn: &mut DbConn, slug: &str) -> Result<Option<Contact>> {
    Ok(contacts::table
        .filter(contacts::slug.eq(slug))
        .select(Contact::as_select())
        .first(conn)
        .optional()?)
}

/// The contact with this slug, or `NotFound`.
pub fn by_slug(conn: &mut DbConn, slug: &str) -> Result<Contact> {
    find(conn, slug)?.ok_or(Error::NotFound("contact"))
}

/// The contact with this id, or `NotFound`.
pub fn by_id(conn: &mut DbConn, id: i32) -> Result<Contact> {
    contacts::table
        .find(id)
        .select(Contact::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("contact"))
}

/// Contacts by id.
pub fn by_ids(conn: &mut DbConn, ids: &[i32]) -> Result<Vec<Contact>> {
    Ok(contacts::table
        .filter(contacts::id.eq_any(ids))
        .select(Contact::as_select())
        .load(conn)?)
}

/// Every contact except legislators, who are many and found by ZIP, in name order.
pub fn list_directory(conn: &mut DbConn) -> Result<Vec<ContactView>> {
    let list: Vec<Contact> = contacts::table
        .filter(contacts::kind.ne_all(ContactKind::LEGISLATORS))
        .order(contacts::name.asc())
        .select(Contact::as_select())
        .load(conn)?;
    views(conn, &list)
}

/// Contacts joined with their numbers, in the given order.
pub fn views(conn: &mut DbConn, list: &[Contact]) -> Result<Vec<ContactView>> {
    let ids: Vec<i32> = list.iter().map(|c| c.id).collect();
    let mut phones = phones_of(conn, &ids)?;
    let open = super::phone_reports::open_counts(conn, &ids)?;
    let recent = super::outcomes::by_contact(conn, &ids, super::now() - super::outcomes::RECENT)?;
    Ok(list
        .iter()
        .map(|c| {
            let mut v = ContactView::new(c, &phones.remove(&c.id).unwrap_or_default());
            v.reach = recent.get(&c.id).and_then(|r| r.reach());
            for p in &mut v.phones {
                p.set_reports(open.get(&(c.id, p.e164.clone())).copied().unwrap_or(0));
            }
            v
        })
        .collect())
}

/// The numbers of these contacts, by contact id, in their order.
pub fn phones_of(conn: &mut DbConn, contact_ids: &[i32]) -> Result<HashMap<i32, Vec<Phone>>> {
    let rows: Vec<Phone> = phones::table
        .filter(phones::contact_id.eq_any(contact_ids))
        .order((phones::contact_id.asc(), phones::position.asc()))
        .select(Phone::as_select())
        .load(conn)?;
    let mut map: HashMap<i32, Vec<Phone>> = HashMap::new();
    for p in rows {
        map.entry(p.contact_id.unwrap_or_default())
            .or_default()
            .push(p);
    }
    Ok(map)
}

/// A district office of a legislator.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = contact_offices)]
pub struct Office {
    pub id: i32,
    pub contact_id: i32,
    pub external_id: Option<String>,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone_e164: Option<String>,
    pub fax_e164: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A hotline row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize)]
#[diesel(table_name = hotlines)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Hotline {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub hours: String,
    pub languages: String,
    pub audience: String,
    pub url: Option<String>,
    pub position: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

/// The editable fields of a hotline, each checked by its type.
#[derive(Debug, Clone)]
pub struct HotlineInput {
    pub slug: Slug,
    pub name: Name,
    pub description: Description,
    pub hours: Line,
    pub languages: Line,
    pub audience: LongLine,
    pub url: Option<HttpUrl>,
    pub phones: Vec<PhoneInput>,
}

/// A hotline's own details as pages and the API show them (its numbers apart).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HotlineDetails {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub hours: String,
    pub languages: String,
    /// Who it is for.
    pub audience: String,
    pub url: Option<String>,
}

impl From<Hotline> for HotlineDetails {
    fn from(h: Hotline) -> HotlineDetails {
        HotlineDetails {
            slug: h.slug,
            name: h.name,
            description: h.description,
            hours: h.hours,
            languages: h.languages,
            audience: h.audience,
            url: h.url,
        }
    }
}

/// A hotline with its numbers, ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct HotlineView {
    #[serde(flatten)]
    pub details: HotlineDetails,
    pub phones: Vec<PhoneView>,
}

/// Creates the hotline, or brings the one with the same slug up to date.
pub fn upsert_hotline(conn: &mut DbConn, input: &HotlineInput, actor: &Actor) -> Result<Hotline> {
    let existing: Option<Hotline> = hotlines::table
        .filter(hotlines::slug.eq(input.slug.as_str()))
        .select(Hotline::as_select())
        .first(conn)
        .optional()?;
    let values = (
        hotlines::name.eq(input.name.as_str()),
        hotlines::description.eq(input.description.as_str()),
        hotlines::hours.eq(input.hours.as_str()),
        hotlines::languages.eq(input.languages.as_str()),
        hotlines::audience.eq(input.audience.as_str()),
        hotlines::url.eq(input.url.as_ref().map(HttpUrl::as_str)),
        hotlines::updated_at.eq(actor.at),
    );
    let hotline_id: i32 = match &existing {
        Some(h) => {
            diesel::update(hotlines::table.find(h.id))
                .set(values)
                .execute(conn)?;
            h.id
        }
        None => {
            let position: i32 = hotlines::table
                .select(diesel::dsl::max(hotlines::position))
                .first::<Option<i32>>(conn)?
                .map_or(0, |p| p + 1);
            diesel::insert_into(hotlines::table)
                .values((
                    values,
                    hotlines::slug.eq(input.slug.as_str()),
                    hotlines::position.eq(position),
                    hotlines::created_at.eq(actor.at),
                ))
                .returning(hotlines::id)
                .get_result(conn)?
        }
    };
    let hotline: Hotline = hotlines::table
        .find(hotline_id)
        .select(Hotline::as_select())
        .first(conn)?;
    replace_phones(conn, None, Some(hotline.id), &input.phones, actor.at)?;
    let snap = json!({"name": hotline.name, "description": hotline.description,
        "hours": hotline.hours, "languages": hotline.languages, "audience": hotline.audience,
        "url": hotline.url,
        "phones": input.phones.iter().map(|p| p.number.e164()).collect::<Vec<_>>()});
    changes::record_revision(conn, "hotline", hotline.id, &snap, actor)?;
    let verb = if existing.is_some() { "edit" } else { "create" };
    changes::audit(
        conn,
        actor,
        verb,
        "hotline",
        Some(hotline.id),
        &json!({"after": snap}),
    )?;
    settings::bump_content_version(conn)?;
    Ok(hotline)
}

/// The hotline directory in display order.
pub fn list_hotlines(conn: &mut DbConn) -> Result<Vec<HotlineView>> {
    let list: Vec<Hotline> = hotlines::table
        .order((hotlines::position.asc(), hotlines::id.asc()))
        .select(Hotline::as_select())
        .load(conn)?;
    let ids: Vec<i32> = list.iter().map(|h| h.id).collect();
    let rows: Vec<Phone> = phones::table
        .filter(phones::hotline_id.eq_any(&ids))
        .order(phones::position.asc())
        .select(Phone::as_select())
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|h| HotlineView {
            phones: rows
                .iter()
                .filter(|p| p.hotline_id == Some(h.id))
                .map(Phone::view)
                .collect(),
            details: h.into(),
        })
        .collect())
}
