//! A ZIP code's senators and representative(s): the districts the ZIP code area falls in
//! (several when it is split, across states even), the members for them with their
//! Washington number, their nearest district offices and their contact forms. Answers are
//! cached in memory per ZIP code and content version, so imports invalidate them at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::states;
use crate::db::contacts::{self, Contact, Office, Phone, PhoneView};
use crate::db::{self, districts, legislators, settings, DbConn};
use crate::domain::placeholders::Placeholders;
use crate::domain::{PhoneNumber, Zip};

/// How many district offices to show per member.
const NEAREST_OFFICES: usize = 3;

/// A congressional district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct District {
    /// Postal code of the state, e.g. `WA`.
    pub state: String,
    /// District number; 0 is at large.
    pub district: i32,
    /// `WA-7`, or `AK-AL` for an at-large district.
    pub label: String,
}

/// A district office, nearest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeView {
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    #[schema(value_type = Option<Object>)]
    pub phone: Option<PhoneView>,
    /// In the visitor's ZIP code (or its area).
    pub near: bool,
}

/// A member of Congress as the visitor sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Legislator {
    pub slug: String,
    /// `senator` or `representative`.
    pub kind: String,
    pub name: String,
    pub role: String,
    pub state: String,
    /// The district of a representative (0 at large).
    pub district: Option<i32>,
    pub party: Option<String>,
    pub bioguide_id: Option<String>,
    /// The Washington, DC office: the number to call.
    #[schema(value_type = Option<Object>)]
    pub phone: Option<PhoneView>,
    /// Every number, Washington first, then district offices.
    #[schema(value_type = Vec<Object>)]
    pub phones: Vec<PhoneView>,
    /// A number that is not toll-free, for callers abroad, where the main one is toll-free.
    #[schema(value_type = Option<Object>)]
    pub direct_phone: Option<PhoneView>,
    pub contact_form_url: Option<String>,
    pub website_url: Option<String>,
    /// The Washington office's address.
    pub address: String,
    /// The nearest district offices (same ZIP code first, then the same area).
    pub offices: Vec<OfficeView>,
}

/// The answer for one ZIP code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RepsAnswer {
    pub zip: String,
    /// The state (the first one when the ZIP code area spans states).
    pub state: String,
    /// Every state the ZIP code area touches.
    pub states: Vec<String>,
    pub districts: Vec<District>,
    /// True when the ZIP code area spans more than one district: every candidate is listed.
    pub split: bool,
    /// Senators first, then representative(s).
    pub legislators: Vec<Legislator>,
}

impl RepsAnswer {
    /// The senators listed.
    pub fn senators(&self) -> impl Iterator<Item = &Legislator> {
        self.legislators.iter().filter(|l| l.kind == "senator")
    }

    /// The representatives listed (several when the ZIP code is split).
    pub fn representatives(&self) -> impl Iterator<Item = &Legislator> {
        self.legislators.iter().filter(|l| l.kind != "senator")
    }

    /// Script values known for this ZIP code: the representative's name when there is only
    /// one candidate, the senators' names when the ZIP code is in one state. Anything
    /// uncertain stays a visible placeholder for the caller to say.
    pub fn placeholders(&self) -> Placeholders {
        let reps: Vec<&str> = self.representatives().map(|l| l.name.as_str()).collect();
        let sens: Vec<&str> = self.senators().map(|l| l.name.as_str()).collect();
        Placeholders {
            rep_name: (reps.len() == 1).then(|| reps[0].to_string()),
            senator_name: (self.states.len() == 1 && !sens.is_empty()).then(|| sens.join(" / ")),
            ..Placeholders::default()
        }
    }
}

fn label(state: &str, district: i32) -> String {
    if district == 0 {
        format!("{state}-AL")
    } else {
        format!("{state}-{district}")
    }
}

fn office_view(o: &Office, zip: &str) -> OfficeView {
    let phone = o.phone_e164.as_deref().and_then(|e| {
        PhoneNumber::from_stored(e, None).ok().map(|_| {
            Phone {
                id: 0,
                contact_id: Some(o.contact_id),
                hotline_id: None,
                e164: e.to_string(),
                vanity: None,
                kind: "district_office".into(),
                note: format!("{} office", o.city),
                position: 0,
            }
            .view()
        })
    });
    OfficeView {
        address: o.address.clone(),
        city: o.city.clone(),
        state: o.state.clone(),
        zip: o.zip.clone(),
        phone,
        near: o.zip == zip || (o.zip.len() == 5 && o.zip[..3] == zip[..3]),
    }
}

/// Offices nearest the ZIP code first: the same ZIP code, then the same three-digit area,
/// then the rest in stored order; at most [`NEAREST_OFFICES`].
fn nearest(list: &[Office], zip: &str) -> Vec<OfficeView> {
    let mut ranked: Vec<(u8, usize, &Office)> = list
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let rank = if o.zip == zip {
                0
            } else if o.zip.len() == 5 && o.zip[..3] == zip[..3] {
                1
            } else {
                2
            };
            (rank, i, o)
        })
        .collect();
    ranked.sort_by_key(|(r, i, _)| (*r, *i));
    ranked
        .into_iter()
        .take(NEAREST_OFFICES)
        .map(|(_, _, o)| office_view(o, zip))
        .collect()
}

/// Looks a ZIP code up in the database; `None` when no district is known for it.
pub fn lookup(conn: &mut DbConn, zip: &Zip) -> db::Result<Option<RepsAnswer>> {
    let rows = districts::for_zip(conn, zip.as_str())?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut states_list: Vec<String> = Vec::new();
    for r in &rows {
        if !states_list.contains(&r.state) {
            states_list.push(r.state.clone());
        }
    }
    let pairs: Vec<(String, i32)> = rows.iter().map(|r| (r.state.clone(), r.district)).collect();
    let members: Vec<Contact> = legislators::for_districts(conn, &pairs)?;
    let ids: Vec<i32> = members.iter().map(|c| c.id).collect();
    let views = contacts::views(conn, &members)?;
    let mut offices = legislators::offices_of(conn, &ids)?;
    let legislators = members
        .iter()
        .zip(views)
        .map(|(c, v)| {
            let phone = v
                .phones
                .iter()
                .find(|p| p.kind == "main")
                .or_else(|| v.phones.first())
                .cloned();
            let direct_phone = if phone.as_ref().is_some_and(|p| p.toll_free) {
                v.direct_phone.clone()
            } else {
                None
            };
            Legislator {
                slug: c.slug.clone(),
                kind: c.kind.clone(),
                name: c.name.clone(),
                role: c.role.clone(),
                state: c.state.clone().unwrap_or_default(),
                district: c.district,
                party: c.party.clone(),
                bioguide_id: c.bioguide_id.clone(),
                phone,
                phones: v.phones,
                direct_phone,
                contact_form_url: c.contact_form_url.clone(),
                website_url: c.website_url.clone(),
                address: c.address.clone(),
                offices: nearest(&offices.remove(&c.id).unwrap_or_default(), zip.as_str()),
            }
        })
        .collect();
    Ok(Some(RepsAnswer {
        zip: zip.to_string(),
        state: states_list[0].clone(),
        districts: rows
            .iter()
            .map(|r| District {
                state: r.state.clone(),
                district: r.district,
                label: label(&r.state, r.district),
            })
            .collect(),
        split: rows.len() > 1,
        states: states_list,
        legislators,
    }))
}

/// The name of a state, for pages.
pub fn state_name(code: &str) -> &str {
    states::name(code).unwrap_or(code)
}

/// Most entries kept before the cache starts over (there are about 33,000 ZIP code areas).
const CACHE_LIMIT: usize = 50_000;

#[derive(Default)]
struct CacheInner {
    version: i64,
    answers: HashMap<String, Arc<Option<RepsAnswer>>>,
}

/// Lookup answers kept in memory, keyed by ZIP code and the content version.
#[derive(Default)]
pub struct LookupCache {
    inner: Mutex<CacheInner>,
}

impl LookupCache {
    /// The answer for `zip`, from memory while the content version is unchanged.
    pub fn get(&self, conn: &mut DbConn, zip: &Zip) -> db::Result<Arc<Option<RepsAnswer>>> {
        let version = settings::content_version(conn)?;
        {
            let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if inner.version == version {
                if let Some(hit) = inner.answers.get(zip.as_str()) {
                    return Ok(hit.clone());
                }
            }
        }
        let answer = Arc::new(lookup(conn, zip)?);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.version != version || inner.answers.len() >= CACHE_LIMIT {
            inner.answers.clear();
            inner.version = version;
        }
        inner.answers.insert(zip.to_string(), answer.clone());
        Ok(answer)
    }
}
