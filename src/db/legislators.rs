//! Members of Congress as contacts: found by bioguide id, by state and district, and their
//! district offices. Imports write them through `contacts::upsert` (revisions, audit,
//! content version) and `replace_offices` here.

use std::collections::HashMap;

use diesel::prelude::*;

use super::contacts::{Contact, Office};
use super::schema::{contact_offices, contacts};
use super::{settings, DbConn, Result};
use crate::domain::ContactKind;

/// A district office to store.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeInput {
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

impl OfficeInput {
    fn same_as(&self, o: &Office) -> bool {
        self.external_id == o.external_id
            && self.address == o.address
            && self.city == o.city
            && self.state == o.state
            && self.zip == o.zip
            && self.phone_e164 == o.phone_e164
            && self.fax_e164 == o.fax_e164
            && self.latitude == o.latitude
            && self.longitude == o.longitude
    }
}

/// The contact with this bioguide id, if any.
pub fn by_bioguide(conn: &mut DbConn, bioguide: &str) -> Result<Option<Contact>> {
    Ok(contacts::table
        .filter(contacts::bioguide_id.eq(bioguide))
        .select(Contact::as_select())
        .first(conn)
        .optional()?)
}

/// Every sitting senator and representative (contacts of those kinds).
pub fn all(conn: &mut DbConn) -> Result<Vec<Contact>> {
    Ok(contacts::table
        .filter(contacts::kind.eq_any([ContactKind::Senator, ContactKind::Representative]))
        .order(contacts::id.asc())
        .select(Contact::as_select())
        .load(conn)?)
}

/// The senators of these states and the representatives of these (state, district) pairs:
/// senators first, then representatives, each by state and name.
pub fn for_districts(conn: &mut DbConn, districts: &[(String, i32)]) -> Result<Vec<Contact>> {
    let states: Vec<&str> = districts.iter().map(|(s, _)| s.as_str()).collect();
    let mut list: Vec<Contact> = contacts::table
        .filter(contacts::kind.eq_any([ContactKind::Senator, ContactKind::Representative]))
        .filter(contacts::state.eq_any(&states))
        .select(Contact::as_select())
        .load(conn)?;
    list.retain(|c| {
        c.kind == ContactKind::Senator
            || districts
                .iter()
                .any(|(s, d)| c.state.as_deref() == Some(s.as_str()) && c.district == Some(*d))
    });
    list.sort_by_key(|c| {
        (
            c.kind != ContactKind::Senator,
            c.state.clone(),
            c.district,
            c.name.clone(),
        )
    });
    Ok(list)
}

/// The district offices of these contacts, by contact id, in stored order.
pub fn offices_of(conn: &mut DbConn, contact_ids: &[i32]) -> Result<HashMap<i32, Vec<Office>>> {
    let rows: Vec<Office> = contact_offices::table
        .filter(contact_offices::contact_id.eq_any(contact_ids))
        .order((contact_offices::contact_id.asc(), contact_offices::id.asc()))
        .select(Office::as_select())
        .load(conn)?;
    let mut map: HashMap<i32, Vec<Office>> = HashMap::new();
    for o in rows {
        map.entry(o.contact_id).or_default().push(o);
    }
    Ok(map)
}

/// Makes a contact's district offices exactly `list`; returns whether anything changed.
/// Bumps the directory (and content) version when it did.
pub fn replace_offices(conn: &mut DbConn, contact_id: i32, list: &[OfficeInput]) -> Result<bool> {
    let current = offices_of(conn, &[contact_id])?
        .remove(&contact_id)
        .unwrap_or_default();
    let same = current.len() == list.len() && list.iter().zip(&current).all(|(n, o)| n.same_as(o));
    if same {
        return Ok(false);
    }
    diesel::delete(contact_offices::table.filter(contact_offices::contact_id.eq(contact_id)))
        .execute(conn)?;
    let rows: Vec<_> = list
        .iter()
        .map(|o| {
            (
                contact_offices::contact_id.eq(contact_id),
                contact_offices::external_id.eq(&o.external_id),
                contact_offices::address.eq(&o.address),
                contact_offices::city.eq(&o.city),
                contact_offices::state.eq(&o.state),
                contact_offices::zip.eq(&o.zip),
                contact_offices::phone_e164.eq(&o.phone_e164),
                contact_offices::fax_e164.eq(&o.fax_e164),
                contact_offices::latitude.eq(o.latitude),
                contact_offices::longitude.eq(o.longitude),
            )
        })
        .collect();
    if !rows.is_empty() {
        // Multi-row inserts compile only against the concrete backend.
        let q = diesel::insert_into(contact_offices::table).values(&rows);
        match conn {
            DbConn::Sqlite(c) => q.execute(c)?,
            DbConn::Pg(c) => q.execute(c)?,
        };
    }
    settings::bump_directory_version(conn)?;
    Ok(true)
}
