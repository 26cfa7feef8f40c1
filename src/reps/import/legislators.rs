//! The congress-legislators YAML files: members (`legislators-current.yaml`) and their
//! district offices (`legislators-district-offices.yaml`).

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Deserialize;

use super::super::{states, Error, Malformed};
use crate::db::contacts::{self, Contact, ContactInput, Phone, PhoneInput};
use crate::db::legislators::{self, OfficeInput};
use crate::db::{self, actions, Actor, DbConn, FieldExt};
use crate::domain::{
    Address, ContactKind, HttpUrl, Line, Name, Note, PhoneKind, PhoneNumber, Slug,
};

#[derive(Deserialize)]
struct RawMember {
    id: RawIds,
    name: RawName,
    #[serde(default)]
    terms: Vec<RawTerm>,
}

#[derive(Deserialize)]
struct RawIds {
    bioguide: Option<String>,
}

#[derive(Deserialize)]
struct RawName {
    first: Option<String>,
    last: Option<String>,
    official_full: Option<String>,
}

#[derive(Deserialize)]
struct RawTerm {
    #[serde(rename = "type")]
    kind: Option<String>,
    state: Option<String>,
    district: Option<i32>,
    party: Option<String>,
    url: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    contact_form: Option<String>,
}

/// One member of Congress as read from the file, checked.
#[derive(Debug, Clone)]
pub struct Legislator {
    pub bioguide: String,
    pub name: Name,
    pub kind: ContactKind,
    pub state: String,
    pub district: Option<i32>,
    pub party: Option<String>,
    pub phone: Option<PhoneNumber>,
    pub contact_form_url: Option<HttpUrl>,
    pub website_url: Option<HttpUrl>,
    pub address: Address,
}

/// A member's district offices as read from the offices file, checked.
pub type Offices = HashMap<String, Vec<OfficeInput>>;

/// Finds lines of a YAML file laid out like congress-legislators: top-level items start
/// with `- ` at column 0.
struct Lines<'a> {
    lines: Vec<&'a str>,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let lines: Vec<&str> = text.lines().collect();
        let starts = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("- "))
            .map(|(i, _)| i)
            .collect();
        Lines { lines, starts }
    }

    /// The 1-based line of item `i`, or of a key inside it (its last occurrence when `last`,
    /// e.g. a field of the current term), falling back to the item's first line.
    fn of(&self, i: usize, key: Option<&str>, last: bool) -> Option<usize> {
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.lines.len());
        let Some(key) = key else {
            return Some(start + 1);
        };
        let prefix = format!("{key}:");
        let hit = |j: &usize| {
            self.lines[*j]
                .trim_start()
                .trim_start_matches("- ")
                .starts_with(&prefix)
        };
        let found = if last {
            (start..end).rev().find(hit)
        } else {
            (start..end).find(hit)
        };
        Some(found.unwrap_or(start) + 1)
    }
}

pub(super) fn yaml_error(file: &str, e: serde_norway::Error) -> Error {
    let message = e.to_string();
    // serde_norway names the path of a bad value: "[12].terms[3].district: invalid type …".
    let field = message
        .split_once(": ")
        .map(|(p, _)| p)
        .filter(|p| !p.contains(' ') && !p.is_empty())
        .unwrap_or("document")
        .trim_start_matches('.')
        .to_string();
    let message = match message.split_once(": ") {
        Some((p, rest)) if p.trim_start_matches('.') == field => rest.to_string(),
        _ => message,
    };
    // Drop serde_norway's own " at line N column M" suffix: the line is reported apart.
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    Error::Malformed(Malformed {
        file: file.into(),
        line: e.location().map(|l| l.line()),
        field,
        message,
    })
}

fn check_url(v: Option<String>) -> Result<Option<HttpUrl>, String> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => HttpUrl::parse(s)
            .map(Some)
            .map_err(|e| format!("{s:?}: {e}")),
    }
}

fn is_bioguide(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// Members read from a file, with warnings about values left out (an unusable optional
/// URL is dropped, not fatal: the real data set has the odd typo).
#[derive(Debug, Clone, Default)]
pub struct ParsedLegislators {
    pub members: Vec<Legislator>,
    pub warnings: Vec<String>,
}

/// Parses and checks a congress-legislators `legislators-current.yaml`.
pub fn parse_legislators(text: &str, file: &str) -> Result<ParsedLegislators, Error> {
    let raw: Vec<RawMember> = serde_norway::from_str(text).map_err(|e| yaml_error(file, e))?;
    let lines = Lines::new(text);
    let mut out = Vec::with_capacity(raw.len());
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for (i, m) in raw.into_iter().enumerate() {
        let bad = |key: &str, field: &str, last: bool, message: String| {
            Error::Malformed(Malformed {
                file: file.into(),
                line: lines.of(i, Some(key), last),
                field: format!("[{i}].{field}"),
                message,
            })
        };
        let bioguide = m.id.bioguide.unwrap_or_default().trim().to_string();
        if !is_bioguide(&bioguide) {
            return Err(bad(
                "bioguide",
                "id.bioguide",
                false,
                format!("{bioguide:?} is not a bioguide id (a capital letter and six digits)"),
            ));
        }
        if !seen.insert(bioguide.clone()) {
            return Err(bad(
                "bioguide",
                "id.bioguide",
                false,
                format!("{bioguide} appears twice"),
            ));
        }
        let name = match (m.name.official_full, m.name.first, m.name.last) {
            (Some(full), _, _) if !full.trim().is_empty() => full.trim().to_string(),
            (_, Some(f), Some(l)) if !f.trim().is_empty() && !l.trim().is_empty() => {
                format!("{} {}", f.trim(), l.trim())
            }
            _ => {
                return Err(bad(
                    "name",
                    "name",
                    false,
                    "needs official_full, or first and last".into(),
                ))
            }
        };
        let name = Name::parse(&name).map_err(|e| bad("name", "name", false, e.0))?;
        let Some(term) = m.terms.into_iter().last() else {
            return Err(bad("terms", "terms", false, "no terms listed".into()));
        };
        let kind = match term.kind.as_deref() {
            Some("sen") => ContactKind::Senator,
            Some("rep") => ContactKind::Representative,
            other => {
                return Err(bad(
                    "type",
                    "terms.type",
                    true,
                    format!("{other:?} must be sen or rep"),
                ))
            }
        };
        let state = term.state.unwrap_or_default();
        if states::name(&state).is_none() {
            return Err(bad(
                "state",
                "terms.state",
                true,
                format!("{state:?} is not a US state or territory code"),
            ));
        }
        let district = match (kind, term.district) {
            (ContactKind::Representative, None) => {
                return Err(bad(
                    "type",
                    "terms.district",
                    true,
                    "a representative's term needs a district (0 at large)".into(),
                ))
            }
            (ContactKind::Representative, Some(d)) if !(0..=99).contains(&d) => {
                return Err(bad(
                    "district",
                    "terms.district",
                    true,
                    format!("{d} is not a district number"),
                ))
            }
            (ContactKind::Representative, d) => d,
            _ => None,
        };
        let phone = match term
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(p) => Some(
                PhoneNumber::parse(p)
                    .map_err(|e| bad("phone", "terms.phone", true, format!("{p:?} {e}")))?,
            ),
        };
        let mut optional_url = |key: &str, v: Option<String>| {
            check_url(v).unwrap_or_else(|e| {
                let line = lines.of(i, Some(key), true).unwrap_or(0);
                warnings.push(format!(
                    "{file}: line {line}: [{i}].terms.{key}: {e}; left out"
                ));
                None
            })
        };
        let contact_form_url = optional_url("contact_form", term.contact_form);
        let website_url = optional_url("url", term.url);
        out.push(Legislator {
            bioguide,
            name,
            kind,
            state,
            district,
            party: term.party.filter(|p| !p.trim().is_empty()),
            phone,
            contact_form_url,
            website_url,
            address: Address::parse(term.address.as_deref().unwrap_or_default())
                .map_err(|e| bad("address", "terms.address", true, e.0))?,
        });
    }
    Ok(ParsedLegislators {
        members: out,
        warnings,
    })
}

#[derive(Deserialize)]
struct RawOfficeEntry {
    id: RawIds,
    #[serde(default)]
    offices: Vec<RawOffice>,
}

#[derive(Deserialize)]
struct RawOffice {
    id: Option<String>,
    address: Option<String>,
    suite: Option<String>,
    building: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip: Option<serde_norway::Value>,
    phone: Option<String>,
    fax: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// Parses and checks a congress-legislators `legislators-district-offices.yaml`.
pub fn parse_offices(text: &str, file: &str) -> Result<Offices, Error> {
    let raw: Vec<RawOfficeEntry> = serde_norway::from_str(text).map_err(|e| yaml_error(file, e))?;
    let lines = Lines::new(text);
    let mut out: Offices = HashMap::new();
    for (i, entry) in raw.into_iter().enumerate() {
        let bioguide = entry.id.bioguide.unwrap_or_default().trim().to_string();
        if !is_bioguide(&bioguide) {
            return Err(Error::Malformed(Malformed {
                file: file.into(),
                line: lines.of(i, Some("bioguide"), false),
                field: format!("[{i}].id.bioguide"),
                message: format!("{bioguide:?} is not a bioguide id"),
            }));
        }
        let mut list = Vec::new();
        for (j, o) in entry.offices.into_iter().enumerate() {
            let line_of = |key: &str| {
                // The office's own line: its id, else the item's first line.
                let base =
                    o.id.as_deref()
                        .and_then(|id| lines.of(i, Some(&format!("id: {id}")), false))
                        .and_then(|l| {
                            let start = l - 1;
                            let end = lines
                                .starts
                                .get(i + 1)
                                .copied()
                                .unwrap_or(lines.lines.len());
                            let pre = format!("{key}:");
                            (start..end)
                                .find(|k| {
                                    lines.lines[*k]
                                        .trim_start()
                                        .trim_start_matches("- ")
                                        .starts_with(&pre)
                                })
                                .map(|k| k + 1)
                        });
                base.or_else(|| lines.of(i, Some("offices"), false))
            };
            let bad = |key: &str, message: String| {
                Error::Malformed(Malformed {
                    file: file.into(),
                    line: line_of(key),
                    field: format!("[{i}].offices[{j}].{key}"),
                    message,
                })
            };
            let number = |key: &str, v: &Option<String>| -> Result<Option<String>, Error> {
                match v.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                    None => Ok(None),
                    Some(p) => PhoneNumber::parse(p)
                        .map(|n| Some(n.e164().to_string()))
                        .map_err(|e| bad(key, format!("{p:?} {e}"))),
                }
            };
            let phone_e164 = number("phone", &o.phone)?;
            let fax_e164 = number("fax", &o.fax)?;
            let zip = match &o.zip {
                None => String::new(),
                Some(serde_norway::Value::String(s)) => s.trim().to_string(),
                Some(serde_norway::Value::Number(n)) => format!("{n:0>5}"),
                Some(other) => return Err(bad("zip", format!("{other:?} is not a ZIP code"))),
            };
            if !zip.is_empty() && crate::domain::Zip::parse(&zip).is_err() {
                return Err(bad("zip", format!("{zip:?} is not a ZIP code")));
            }
            let street = [&o.building, &o.address, &o.suite]
                .into_iter()
                .flatten()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            list.push(OfficeInput {
                external_id: o.id.clone(),
                address: street,
                city: o.city.clone().unwrap_or_default().trim().to_string(),
                state: o.state.clone().unwrap_or_default().trim().to_string(),
                zip: zip.get(..5).unwrap_or(&zip).to_string(),
                phone_e164,
                fax_e164,
                latitude: o.latitude,
                longitude: o.longitude,
            });
        }
        out.entry(bioguide).or_default().extend(list);
    }
    Ok(out)
}

/// What a legislators import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegislatorReport {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Members no longer in the file: kept as former members, no longer found by ZIP.
    pub retired: usize,
    /// Members without a Washington phone number in the file.
    pub without_phone: usize,
    /// District offices stored.
    pub offices: usize,
    /// Office entries for members not in the legislators file.
    pub skipped: usize,
}

impl fmt::Display for LegislatorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "legislators: added {}, changed {}, unchanged {}, retired {}, skipped {} \
             ({} without a phone number; {} district offices)",
            self.added,
            self.changed,
            self.unchanged,
            self.retired,
            self.skipped,
            self.without_phone,
            self.offices
        )
    }
}

fn role(l: &Legislator) -> String {
    let place = states::name(&l.state).unwrap_or(&l.state);
    match (l.kind, l.district) {
        (ContactKind::Senator, _) => format!("U.S. Senator for {place}"),
        (_, _) if l.state == "PR" => "Resident Commissioner for Puerto Rico".into(),
        (_, _) if states::is_territory_or_dc(&l.state) => format!("Delegate for {place}"),
        (_, Some(0)) => format!("U.S. Representative for {place} (at large)"),
        (_, Some(d)) => format!("U.S. Representative for {place}, district {d}"),
        (_, None) => format!("U.S. Representative for {place}"),
    }
}

fn organisation(kind: ContactKind) -> &'static str {
    match kind {
        ContactKind::Senator => "U.S. Senate",
        _ => "U.S. House of Representatives",
    }
}

/// The phones a legislator should have: the Washington office as main, then one per
/// district office that has a number.
fn phones_for(l: &Legislator, offices: &[OfficeInput]) -> Vec<PhoneInput> {
    let mut list = Vec::new();
    let mut seen = HashSet::new();
    if let Some(p) = &l.phone {
        seen.insert(p.e164().to_string());
        list.push(PhoneInput {
            number: p.clone(),
            kind: PhoneKind::Main,
            note: Note::parse("Washington, DC office").unwrap_or_default(),
            direct: None,
        });
    }
    for o in offices {
        let Some(e) = &o.phone_e164 else { continue };
        if !seen.insert(e.clone()) {
            continue;
        }
        if let Ok(number) = PhoneNumber::from_stored(e, None) {
            let place = if o.city.is_empty() { &o.state } else { &o.city };
            list.push(PhoneInput {
                number,
                kind: PhoneKind::DistrictOffice,
                note: Note::parse(&format!("{place} office")).unwrap_or_default(),
                direct: None,
            });
        }
    }
    list
}

pub(super) fn same_phones(stored: &[Phone], wanted: &[PhoneInput]) -> bool {
    stored.len() == wanted.len()
        && stored.iter().zip(wanted).all(|(s, w)| {
            s.e164 == w.number.e164()
                && s.vanity.as_deref() == w.number.vanity()
                && s.kind == w.kind
                && s.note == w.note.as_str()
        })
}

pub(super) fn same_contact(c: &Contact, i: &ContactInput) -> bool {
    c.kind == i.kind
        && c.name == i.name.as_str()
        && c.role == i.role.as_str()
        && c.organisation == i.organisation.as_str()
        && c.state == i.state
        && c.district == i.district
        && c.party == i.party
        && c.email == i.email
        && c.contact_form_url.as_deref() == i.contact_form_url.as_ref().map(HttpUrl::as_str)
        && c.website_url.as_deref() == i.website_url.as_ref().map(HttpUrl::as_str)
        && c.address == i.address.as_str()
        && c.bioguide_id == i.bioguide_id
        && c.openstates_id == i.openstates_id
        && c.state_district == i.state_district
}

fn stored_offices_as_input(conn: &mut DbConn, contact_id: i32) -> db::Result<Vec<OfficeInput>> {
    Ok(legislators::offices_of(conn, &[contact_id])?
        .remove(&contact_id)
        .unwrap_or_default()
        .into_iter()
        .map(|o| OfficeInput {
            external_id: o.external_id,
            address: o.address,
            city: o.city,
            state: o.state,
            zip: o.zip,
            phone_e164: o.phone_e164,
            fax_e164: o.fax_e164,
            latitude: o.latitude,
            longitude: o.longitude,
        })
        .collect())
}

/// Stores the members (and, when given, their district offices) in one transaction.
/// Without `offices` the stored district offices are kept as they are.
pub fn import_legislators(
    conn: &mut DbConn,
    members: &[Legislator],
    offices: Option<&Offices>,
    actor: &Actor,
) -> Result<LegislatorReport, Error> {
    db::write_tx(conn, |conn| {
        let mut report = LegislatorReport::default();
        if let Some(o) = offices {
            let known: HashSet<&str> = members.iter().map(|m| m.bioguide.as_str()).collect();
            report.skipped = o.keys().filter(|k| !known.contains(k.as_str())).count();
        }
        for m in members {
            let existing = legislators::by_bioguide(conn, &m.bioguide)?;
            let office_list = match (offices, &existing) {
                (Some(o), _) => o.get(&m.bioguide).cloned().unwrap_or_default(),
                (None, Some(c)) => stored_offices_as_input(conn, c.id)?,
                (None, None) => Vec::new(),
            };
            let slug = match &existing {
                Some(c) => Slug::parse(&c.slug).unwrap_or_else(|_| Slug::from_title(&c.slug)),
                None => free_contact_slug(conn, m.name.as_str(), &m.bioguide)?,
            };
            let input = ContactInput {
                slug,
                kind: m.kind,
                name: m.name.clone(),
                role: Line::parse(&role(m)).field("role")?,
                organisation: Line::parse(organisation(m.kind)).field("organisation")?,
                state: Some(m.state.clone()),
                district: m.district,
                party: m.party.clone(),
                email: None,
                contact_form_url: m.contact_form_url.clone(),
                website_url: m.website_url.clone(),
                address: m.address.clone(),
                bioguide_id: Some(m.bioguide.clone()),
                openstates_id: None,
                state_district: None,
                phones: phones_for(m, &office_list),
            };
            if m.phone.is_none() {
                report.without_phone += 1;
            }
            report.offices += office_list.len();
            let contact_same = match &existing {
                Some(c) => {
                    let stored = contacts::phones_of(conn, &[c.id])?
                        .remove(&c.id)
                        .unwrap_or_default();
                    same_contact(c, &input) && same_phones(&stored, &input.phones)
                }
                None => false,
            };
            let contact = if contact_same {
                existing.clone().expect("compared with a stored contact")
            } else {
                // A sitting member's new number or office is an ordinary change: actions
                // that name them carry it to history, feeds and digests.
                let (contact, fields) = contacts::upsert(conn, &input, actor)?;
                actions::contact_changed(conn, contact.id, &fields, actor)?;
                contact
            };
            let offices_changed = legislators::replace_offices(conn, contact.id, &office_list)?;
            match (&existing, contact_same && !offices_changed) {
                (None, _) => report.added += 1,
                (Some(_), true) => report.unchanged += 1,
                (Some(_), false) => report.changed += 1,
            }
        }
        report.retired = retire_missing(conn, members, actor)?;
        Ok(report)
    })
}

pub(super) fn free_contact_slug(conn: &mut DbConn, name: &str, id: &str) -> db::Result<Slug> {
    let base = Slug::from_title(&format!("{name} {id}"));
    let mut candidate = base.clone();
    for n in 2..1000 {
        if contacts::find(conn, candidate.as_str())?.is_none() {
            return Ok(candidate);
        }
        candidate = base.with_suffix(n);
    }
    Err(db::Error::invalid("slug", "no free slug for this member"))
}

/// Members stored as sitting but absent from the file become former members: kind
/// `person`, role "Former …", so ZIP lookups no longer list them while actions that name
/// them keep working.
fn retire_missing(conn: &mut DbConn, members: &[Legislator], actor: &Actor) -> db::Result<usize> {
    let current: HashSet<&str> = members.iter().map(|m| m.bioguide.as_str()).collect();
    let stale: Vec<Contact> = legislators::all(conn)?
        .into_iter()
        .filter(|c| {
            c.bioguide_id
                .as_deref()
                .is_some_and(|b| !current.contains(b))
        })
        .collect();
    retire(conn, &stale, actor)?;
    Ok(stale.len())
}

/// Contacts no longer in an imported file become former officials: kind `person`, role
/// "Former …", so lookups no longer list them while actions that name them keep working.
pub(super) fn retire(conn: &mut DbConn, stale: &[Contact], actor: &Actor) -> db::Result<()> {
    for c in stale {
        let phones = contacts::phones_of(conn, &[c.id])?
            .remove(&c.id)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                Some(PhoneInput {
                    number: PhoneNumber::from_stored(&p.e164, p.vanity.as_deref()).ok()?,
                    kind: p.kind,
                    note: Note::parse(&p.note).unwrap_or_default(),
                    direct: None,
                })
            })
            .collect();
        let input = ContactInput {
            slug: Slug::parse(&c.slug).unwrap_or_else(|_| Slug::from_title(&c.slug)),
            kind: ContactKind::Person,
            name: Name::parse(&c.name).field("name")?,
            role: Line::parse(&format!("Former {}", c.role)).field("role")?,
            organisation: Line::parse(&c.organisation).field("organisation")?,
            state: c.state.clone(),
            district: c.district,
            party: c.party.clone(),
            email: c.email.clone(),
            contact_form_url: c
                .contact_form_url
                .as_deref()
                .and_then(|u| HttpUrl::parse(u).ok()),
            website_url: c
                .website_url
                .as_deref()
                .and_then(|u| HttpUrl::parse(u).ok()),
            address: Address::parse(&c.address).field("address")?,
            bioguide_id: c.bioguide_id.clone(),
            openstates_id: c.openstates_id.clone(),
            state_district: c.state_district.clone(),
            phones,
        };
        contacts::upsert(conn, &input, actor)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_representative_needs_a_district_and_a_known_state() {
        let yaml = "- id:\n    bioguide: A000001\n  name:\n    official_full: A B\n  terms:\n  - type: rep\n    state: WA\n    phone: 202-225-0001\n";
        let Err(Error::Malformed(m)) = parse_legislators(yaml, "l.yaml") else {
            panic!("accepted a representative without a district")
        };
        assert_eq!(m.field, "[0].terms.district");
        let ok = yaml.replace("state: WA", "state: WA\n    district: 3");
        let parsed = parse_legislators(&ok, "l.yaml").unwrap();
        assert_eq!(parsed.members[0].district, Some(3));
        assert_eq!(
            role(&parsed.members[0]),
            "U.S. Representative for Washington, district 3"
        );
    }
}
