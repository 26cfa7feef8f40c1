//! The Open States people folder (`DIR/data/<state>/{legislature,executive,municipalities}/
//! *.yml`, one person a file): state legislators, statewide executives and municipal
//! officials. `data/us` (Congress) is left to `import legislators`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use super::super::{states, Error, Malformed};
use super::legislators::{free_contact_slug, retire, same_contact, same_phones, yaml_error};
use crate::db::contacts::{self, Contact, ContactInput, PhoneInput};
use crate::db::{self, officials, Actor, DbConn};
use crate::domain::{
    Address, ContactKind, EmailAddress, HttpUrl, Line, Name, Note, PhoneKind, PhoneNumber, Slug,
};

/// The folders of a state read, in order.
const FOLDERS: [&str; 3] = ["legislature", "executive", "municipalities"];

#[derive(Deserialize)]
struct RawPerson {
    id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    #[serde(default)]
    party: Vec<RawParty>,
    #[serde(default)]
    roles: Vec<RawRole>,
    #[serde(default)]
    offices: Vec<RawOffice>,
    #[serde(default)]
    links: Vec<RawLink>,
    #[serde(default)]
    sources: Vec<RawLink>,
}

#[derive(Deserialize)]
struct RawParty {
    name: Option<String>,
    end_date: Option<String>,
}

#[derive(Deserialize)]
struct RawRole {
    #[serde(rename = "type")]
    kind: Option<String>,
    jurisdiction: Option<String>,
    district: Option<String>,
    end_date: Option<String>,
}

#[derive(Deserialize)]
struct RawOffice {
    classification: Option<String>,
    address: Option<String>,
    voice: Option<String>,
}

#[derive(Deserialize)]
struct RawLink {
    url: Option<String>,
    note: Option<String>,
}

/// One official as read from the folder, checked.
#[derive(Debug, Clone)]
pub struct Official {
    /// `ocd-person/…`
    pub openstates_id: String,
    pub name: Name,
    pub kind: ContactKind,
    /// Postal code of the state.
    pub state: String,
    /// A legislator's district by name.
    pub district: Option<String>,
    pub role: Line,
    pub organisation: Line,
    pub party: Option<String>,
    pub email: Option<String>,
    pub website_url: Option<HttpUrl>,
    pub contact_form_url: Option<HttpUrl>,
    pub address: Address,
    pub phones: Vec<PhoneInput>,
}

/// A folder read and checked.
#[derive(Debug, Clone, Default)]
pub struct ParsedOfficials {
    pub officials: Vec<Official>,
    /// Files with no current role of a kind kept (former officials, treasurers…).
    pub skipped: usize,
    /// The legislatures' own lists of members ("find my legislator"), by state.
    pub member_lists: HashMap<String, String>,
    /// Optional values left out (an unusable email or URL).
    pub warnings: Vec<String>,
}

/// The kind of contact an Open States role becomes, or `None` for a role not kept.
fn kind_of(folder: &str, role: &str) -> Option<ContactKind> {
    Some(match (folder, role) {
        ("municipalities", _) => ContactKind::LocalOfficial,
        (_, "upper" | "legislature") => ContactKind::StateSenator,
        (_, "lower") => ContactKind::StateRepresentative,
        (_, "governor") => ContactKind::Governor,
        (_, "lt_governor") => ContactKind::LieutenantGovernor,
        (_, "attorney general") => ContactKind::AttorneyGeneral,
        (_, "secretary of state") => ContactKind::SecretaryOfState,
        _ => return None,
    })
}

/// "los_angeles" → "Los Angeles".
fn place_name(id: &str) -> String {
    id.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The role line and organisation of an official.
fn role_and_organisation(
    kind: ContactKind,
    role: &str,
    state: &str,
    district: Option<&str>,
    jurisdiction: &str,
) -> (String, String) {
    let place = states::name(state).unwrap_or(state);
    let the_place = if state == "DC" {
        "the District of Columbia".to_string()
    } else {
        place.to_string()
    };
    let d = district.unwrap_or_default();
    match kind {
        ContactKind::Governor if state == "DC" => (
            "Mayor of the District of Columbia".into(),
            "Government of the District of Columbia".into(),
        ),
        ContactKind::Governor => (format!("Governor of {place}"), format!("State of {place}")),
        ContactKind::LieutenantGovernor => (
            format!("Lieutenant Governor of {place}"),
            format!("State of {place}"),
        ),
        ContactKind::AttorneyGeneral => (
            format!("Attorney General of {the_place}"),
            format!("State of {place}"),
        ),
        ContactKind::SecretaryOfState => (
            format!("Secretary of State of {place}"),
            format!("State of {place}"),
        ),
        ContactKind::StateSenator if state == "DC" => (
            format!("Councilmember for the District of Columbia, {d}"),
            "Council of the District of Columbia".into(),
        ),
        ContactKind::StateSenator => (
            format!("State Senator for {place}, district {d}"),
            format!("{place} Legislature"),
        ),
        ContactKind::StateRepresentative => (
            format!("{} for {place}, district {d}", lower_title(state)),
            format!("{place} Legislature"),
        ),
        _ => {
            let city = jurisdiction
                .split('/')
                .find_map(|p| p.strip_prefix("place:"))
                .map(place_name)
                .unwrap_or_else(|| place.to_string());
            (
                format!("{} of {city}, {state}", place_name(role)),
                format!("City of {city}"),
            )
        }
    }
}

/// How a member of a state's lower chamber is addressed.
pub fn lower_title(state: &str) -> &'static str {
    match state {
        "CA" | "NV" | "NY" | "WI" | "NJ" => "Assemblymember",
        "MD" | "VA" | "WV" => "Delegate",
        _ => "State Representative",
    }
}

/// The 1-based line where `key:` first appears in a file, for messages.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let prefix = format!("{key}:");
    text.lines()
        .position(|l| l.trim_start().trim_start_matches("- ").starts_with(&prefix))
        .map(|i| i + 1)
}

/// A voice number, with an extension (`802-828-2228 ext. 12`) kept apart for the note.
fn voice(v: &str) -> Result<(PhoneNumber, Option<String>), String> {
    let lower = v.to_ascii_lowercase();
    let (number, ext) = match lower.find("ext").or_else(|| lower.find(" x")) {
        Some(i) => (
            &v[..i],
            Some(
                v[i..]
                    .trim_start_matches(|c: char| !c.is_ascii_digit())
                    .trim()
                    .to_string(),
            ),
        ),
        None => (v, None),
    };
    PhoneNumber::parse(number)
        .map(|n| (n, ext.filter(|e| !e.is_empty())))
        .map_err(|e| format!("{v:?} {e}"))
}

/// Reads one person's file. `Ok(None)` when they hold no current role of a kind kept.
#[allow(clippy::too_many_arguments)]
fn parse_person(
    text: &str,
    file: &str,
    folder: &str,
    state: &str,
    today: NaiveDate,
    member_lists: &mut HashMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<Option<Official>, Error> {
    let bad = |key: &str, field: &str, message: String| {
        Error::Malformed(Malformed {
            file: file.into(),
            line: line_of(text, key),
            field: field.into(),
            message,
        })
    };
    let raw: RawPerson = serde_norway::from_str(text).map_err(|e| yaml_error(file, e))?;
    let id = raw.id.unwrap_or_default().trim().to_string();
    if !id.starts_with("ocd-person/") || id.len() < "ocd-person/".len() + 8 {
        return Err(bad(
            "id",
            "id",
            format!("{id:?} is not an Open States person id (ocd-person/…)"),
        ));
    }
    let name = Name::parse(raw.name.as_deref().unwrap_or_default())
        .map_err(|e| bad("name", "name", e.0))?;
    let mut current = None;
    let mut last_ended: Option<(NaiveDate, _)> = None;
    for (i, r) in raw.roles.iter().enumerate() {
        let end = match r.end_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                bad(
                    "end_date",
                    &format!("roles[{i}].end_date"),
                    format!("{d:?} is not a date (YYYY-MM-DD)"),
                )
            })?),
        };
        let Some(kind_text) = r.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) else {
            return Err(bad(
                "type",
                &format!("roles[{i}].type"),
                "is missing".into(),
            ));
        };
        let Some(kind) = kind_of(folder, kind_text) else {
            continue;
        };
        let ended = end.is_some_and(|e| e < today);
        let district = r
            .district
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        let legislator = matches!(
            kind,
            ContactKind::StateSenator | ContactKind::StateRepresentative
        );
        if legislator && district.is_none() {
            return Err(bad(
                "district",
                &format!("roles[{i}].district"),
                format!("a {kind_text} role needs a district"),
            ));
        }
        let role = (i, kind, kind_text, district.map(str::to_string));
        if !ended {
            if current.is_none() {
                current = Some(role);
            }
        } else if last_ended.as_ref().is_none_or(|(e, _)| end > Some(*e)) {
            last_ended = Some((end.unwrap_or(today), role));
        }
    }
    // A file in the live folders is a current official: Open States moves those who
    // leave office to `retired/`, but leaves some end dates of a term that went on (a
    // re-elected governor's ended term). Then the latest role stands.
    let Some((i, kind, kind_text, district)) = current.or(last_ended.map(|(_, r)| r)) else {
        return Ok(None);
    };
    let jurisdiction = raw.roles[i].jurisdiction.clone().unwrap_or_default();
    if !jurisdiction.starts_with("ocd-jurisdiction/") {
        return Err(bad(
            "jurisdiction",
            &format!("roles[{i}].jurisdiction"),
            format!("{jurisdiction:?} is not an ocd-jurisdiction id"),
        ));
    }
    let (role, organisation) =
        role_and_organisation(kind, kind_text, state, district.as_deref(), &jurisdiction);
    let mut phones: Vec<PhoneInput> = Vec::new();
    let mut address = String::new();
    for (j, o) in raw.offices.iter().enumerate() {
        let class = o.classification.as_deref().unwrap_or("primary");
        if address.is_empty() {
            address = o.address.clone().unwrap_or_default().replace("; ", "\n");
        }
        let Some(v) = o.voice.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        let (number, ext) =
            voice(v).map_err(|m| bad("voice", &format!("offices[{j}].voice"), m))?;
        if phones.iter().any(|p| p.number.e164() == number.e164()) {
            continue;
        }
        let (kind, label) = match class {
            "district" => (PhoneKind::DistrictOffice, "District office"),
            "capitol" => (PhoneKind::Main, "Capitol office"),
            _ => (PhoneKind::Main, "Office"),
        };
        let note = match ext {
            Some(e) => format!("{label}, ext. {e}"),
            None => label.to_string(),
        };
        phones.push(PhoneInput {
            number,
            kind,
            note: Note::parse(&note).unwrap_or_default(),
            direct: None,
        });
    }
    // Main numbers first, in the file's order.
    phones.sort_by_key(|p| p.kind != PhoneKind::Main);
    let mut optional_url = |field: &str, v: Option<&str>| -> Option<HttpUrl> {
        let v = v?.trim();
        HttpUrl::parse(v)
            .map_err(|e| warnings.push(format!("{file}: {field}: {v:?}: {e}; left out")))
            .ok()
    };
    let is_form = |l: &&RawLink| {
        l.note
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().contains("form"))
    };
    let website_url = raw
        .links
        .iter()
        .position(|l| !is_form(&l))
        .and_then(|k| optional_url(&format!("links[{k}].url"), raw.links[k].url.as_deref()));
    let contact_form_url = raw
        .links
        .iter()
        .position(|l| is_form(&l))
        .and_then(|k| optional_url(&format!("links[{k}].url"), raw.links[k].url.as_deref()));
    if matches!(
        kind,
        ContactKind::StateSenator | ContactKind::StateRepresentative
    ) && !member_lists.contains_key(state)
    {
        let list = raw
            .links
            .iter()
            .chain(&raw.sources)
            .find(|l| {
                l.note.as_deref().is_some_and(|n| {
                    let n = n.to_ascii_lowercase();
                    n.contains("members list") || n.contains("member list")
                })
            })
            .and_then(|l| HttpUrl::parse(l.url.as_deref()?.trim()).ok());
        if let Some(u) = list {
            member_lists.insert(state.to_string(), u.into_string());
        }
    }
    let email = raw
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .and_then(|e| match EmailAddress::parse(e) {
            Ok(a) => Some(a.as_str().to_string()),
            Err(err) => {
                warnings.push(format!("{file}: email: {e:?}: {}; left out", err.0));
                None
            }
        });
    let party = raw
        .party
        .iter()
        .find(|p| p.end_date.is_none())
        .or(raw.party.last())
        .and_then(|p| p.name.clone())
        .filter(|p| !p.trim().is_empty());
    Ok(Some(Official {
        openstates_id: id,
        name,
        kind,
        state: state.to_string(),
        district,
        role: Line::parse(&role).map_err(|e| bad("roles", "roles", e.0))?,
        organisation: Line::parse(&organisation).map_err(|e| bad("roles", "roles", e.0))?,
        party,
        email,
        website_url,
        contact_form_url,
        address: Address::parse(&address).map_err(|e| bad("address", "offices.address", e.0))?,
        phones,
    }))
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Read {
        file: dir.display().to_string(),
        cause: e.to_string(),
    })?;
    let mut list: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    list.sort();
    Ok(list)
}

/// Reads and checks every person's file under `DIR/data/<state>/…` (but `data/us`); roles
/// ended before `today` are not current.
pub fn parse_openstates(dir: &Path, today: NaiveDate) -> Result<ParsedOfficials, Error> {
    let mut out = ParsedOfficials::default();
    let mut seen = HashSet::new();
    for state_dir in read_dir_sorted(&dir.join("data"))? {
        let Some(folder) = state_dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if folder == "us" || !state_dir.is_dir() {
            continue;
        }
        let state = folder.to_ascii_uppercase();
        if states::name(&state).is_none() {
            return Err(Error::Malformed(Malformed {
                file: state_dir.display().to_string(),
                line: None,
                field: "folder".into(),
                message: format!("{folder:?} is not a US state or territory code"),
            }));
        }
        for kind in FOLDERS {
            let sub = state_dir.join(kind);
            if !sub.is_dir() {
                continue;
            }
            for path in read_dir_sorted(&sub)? {
                if path.extension().and_then(|e| e.to_str()) != Some("yml") {
                    continue;
                }
                let file = path.display().to_string();
                let text = super::read(&path)?;
                let parsed = parse_person(
                    &text,
                    &file,
                    kind,
                    &state,
                    today,
                    &mut out.member_lists,
                    &mut out.warnings,
                )?;
                let Some(o) = parsed else {
                    out.skipped += 1;
                    continue;
                };
                if !seen.insert(o.openstates_id.clone()) {
                    return Err(Error::Malformed(Malformed {
                        file,
                        line: line_of(&text, "id"),
                        field: "id".into(),
                        message: format!("{} appears in another file too", o.openstates_id),
                    }));
                }
                out.officials.push(o);
            }
        }
    }
    if out.officials.is_empty() && out.skipped == 0 {
        return Err(Error::Malformed(Malformed {
            file: dir.join("data").display().to_string(),
            line: None,
            field: "data".into(),
            message: "holds no person files (data/<state>/legislature/*.yml …)".into(),
        }));
    }
    Ok(out)
}

/// What an Open States import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfficialsReport {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Officials no longer in the folder: kept as former officials, no longer found by ZIP.
    pub retired: usize,
    /// Files without a current role of a kind kept.
    pub skipped: usize,
    /// Officials without a phone number.
    pub without_phone: usize,
}

impl fmt::Display for OfficialsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "officials: added {}, changed {}, unchanged {}, retired {}, skipped {} \
             (no current role kept; {} without a phone number)",
            self.added,
            self.changed,
            self.unchanged,
            self.retired,
            self.skipped,
            self.without_phone
        )
    }
}

/// Stores the officials (and the legislatures' member lists) in one transaction; officials
/// stored before but absent now become former officials.
pub fn import_openstates(
    conn: &mut DbConn,
    parsed: &ParsedOfficials,
    actor: &Actor,
) -> Result<OfficialsReport, Error> {
    db::write_tx(conn, |conn| {
        let mut report = OfficialsReport {
            skipped: parsed.skipped,
            ..OfficialsReport::default()
        };
        let stored = officials::with_openstates_id(conn)?;
        let ids: Vec<i32> = stored.iter().map(|c| c.id).collect();
        let mut stored_phones = contacts::phones_of(conn, &ids)?;
        let mut by_id: HashMap<String, Contact> = stored
            .into_iter()
            .filter_map(|c| Some((c.openstates_id.clone()?, c)))
            .collect();
        for o in &parsed.officials {
            let existing = by_id.remove(&o.openstates_id);
            let slug = match &existing {
                Some(c) => Slug::parse(&c.slug).unwrap_or_else(|_| Slug::from_title(&c.slug)),
                None => {
                    let uuid = o.openstates_id.trim_start_matches("ocd-person/");
                    free_contact_slug(conn, o.name.as_str(), uuid.get(..8).unwrap_or(uuid))?
                }
            };
            let input = ContactInput {
                slug,
                kind: o.kind,
                name: o.name.clone(),
                role: o.role.clone(),
                organisation: o.organisation.clone(),
                state: Some(o.state.clone()),
                district: None,
                party: o.party.clone(),
                email: o.email.clone(),
                contact_form_url: o.contact_form_url.clone(),
                website_url: o.website_url.clone(),
                address: o.address.clone(),
                bioguide_id: None,
                openstates_id: Some(o.openstates_id.clone()),
                state_district: o.district.clone(),
                phones: o.phones.clone(),
            };
            if o.phones.is_empty() {
                report.without_phone += 1;
            }
            match &existing {
                None => {
                    contacts::upsert(conn, &input, actor)?;
                    report.added += 1;
                }
                Some(c) => {
                    let phones = stored_phones.remove(&c.id).unwrap_or_default();
                    if same_contact(c, &input) && same_phones(&phones, &input.phones) {
                        report.unchanged += 1;
                    } else {
                        // As for members of Congress: actions naming them carry the change.
                        let (c, fields) = contacts::upsert(conn, &input, actor)?;
                        crate::db::actions::contact_changed(conn, c.id, &fields, actor)?;
                        report.changed += 1;
                    }
                }
            }
        }
        // What is left was imported before and is gone from the folder.
        let stale: Vec<Contact> = by_id
            .into_values()
            .filter(|c| c.kind != ContactKind::Person)
            .collect();
        retire(conn, &stale, actor)?;
        report.retired = stale.len();
        officials::set_member_lists(conn, &parsed.member_lists)?;
        Ok(report)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSON: &str = "id: ocd-person/90da5348-421e-435b-8458-67123462addf\nname: Abbey Duke\nparty:\n- name: Democratic\nroles:\n- start_date: 2024-05-06\n  type: lower\n  jurisdiction: ocd-jurisdiction/country:us/state:vt/government\n  district: Chittenden-17\noffices:\n- classification: capitol\n  address: Vermont State House 115 State St., Montpelier, VT 05633\n  voice: 802-828-2228 ext. 12\n";

    fn parse(text: &str) -> Result<Option<Official>, Error> {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        parse_person(
            text,
            "p.yml",
            "legislature",
            "VT",
            today,
            &mut HashMap::new(),
            &mut Vec::new(),
        )
    }

    #[test]
    fn a_legislator_reads_with_district_and_number() {
        let o = parse(PERSON).unwrap().unwrap();
        assert_eq!(o.kind, ContactKind::StateRepresentative);
        assert_eq!(o.district.as_deref(), Some("Chittenden-17"));
        assert_eq!(o.phones[0].number.e164(), "+18028282228");
        assert_eq!(o.phones[0].note.as_str(), "Capitol office, ext. 12");
        assert_eq!(
            o.role.as_str(),
            "State Representative for Vermont, district Chittenden-17"
        );
    }

    #[test]
    fn an_ended_role_stands_only_when_none_is_current_and_bad_fields_are_named() {
        // In the live folders with only an ended term: still in office (re-elected
        // governors' files look like this), so the latest role stands.
        let past = PERSON.replace("  type: lower", "  end_date: '2025-01-01'\n  type: lower");
        let o = parse(&past).unwrap().expect("kept");
        assert_eq!(o.kind, ContactKind::StateRepresentative);
        // A current role wins over an ended one listed before it.
        let both = PERSON.replace(
            "roles:\n",
            "roles:\n- end_date: '2020-01-01'\n  type: upper\n  district: Addison\n  jurisdiction: ocd-jurisdiction/country:us/state:vt/government\n",
        );
        assert_eq!(
            parse(&both).unwrap().expect("kept").kind,
            ContactKind::StateRepresentative
        );
        let Err(Error::Malformed(m)) = parse(&PERSON.replace("802-828-2228", "12")) else {
            panic!("accepted a bad number")
        };
        assert_eq!((m.field.as_str(), m.line), ("offices[0].voice", Some(13)));
        let Err(Error::Malformed(m)) = parse(&PERSON.replace("  district: Chittenden-17\n", ""))
        else {
            panic!("accepted a legislator without a district")
        };
        assert_eq!(m.field, "roles[0].district");
    }
}
