//! A ZIP code's senators and representative(s): the districts the ZIP code area falls in
//! (several when it is split, across states even), the members for them with their
//! Washington number, their nearest district offices and their contact forms. Answers are
//! assembled from the in-memory [`super::directory`], so a lookup costs no query.

use serde::Serialize;

use super::states;
use crate::db::contacts::{Contact, ContactView, Office, PhoneView};
use crate::domain::placeholders::Placeholders;
use crate::domain::{ContactKind, PhoneKind, Zip};

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
    #[schema(value_type = String)]
    pub kind: ContactKind,
    pub name: String,
    /// How the member is addressed: "Senator", "Representative", "Delegate" or "Resident
    /// Commissioner" (fills `[TARGET TITLE]`).
    pub title: String,
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
    /// The share of callers who reached someone in the last 30 days, in percent, once
    /// there are 20 call outcomes for this office.
    pub reach: Option<i64>,
}

/// A statewide executive or state legislator as the visitor sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateOfficial {
    pub slug: String,
    /// `governor`, `lieutenant_governor`, `attorney_general`, `secretary_of_state`,
    /// `state_senator` or `state_representative`.
    #[schema(value_type = String)]
    pub role: ContactKind,
    /// How they are addressed ("Governor", "State Senator", "Assemblymember"…; fills
    /// `[TARGET TITLE]`).
    pub title: String,
    pub name: String,
    /// Their office in words: "Governor of Vermont".
    pub office: String,
    pub state: String,
    pub party: Option<String>,
    /// A legislator's district, by name ("Chittenden-1").
    pub district: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub phones: Vec<PhoneView>,
    pub email: Option<String>,
    pub url: Option<String>,
    /// Where the record comes from: `openstates`.
    pub source: String,
    /// The share of callers who reached someone in the last 30 days, in percent, once
    /// there are 20 call outcomes for this office.
    pub reach: Option<i64>,
}

/// A state chamber whose districts the visitor may pick, where no ZIP mapping is imported.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DistrictPicker {
    pub state: String,
    pub chamber: crate::domain::Chamber,
    /// "State Senate district"
    pub label: String,
    pub districts: Vec<String>,
    /// The district picked (`&upper=` / `&lower=`), when it is one of them.
    pub picked: Option<String>,
    /// The legislature's own list of members, to find one's district.
    pub find_url: Option<String>,
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
    /// The state's executives, then its state senators and representatives (every
    /// candidate for a split ZIP code) where a district mapping is imported or picked.
    pub officials: Vec<StateOfficial>,
    /// State chambers with no ZIP mapping: their districts to pick from.
    pub pickers: Vec<DistrictPicker>,
}

impl RepsAnswer {
    /// The senators listed.
    pub fn senators(&self) -> impl Iterator<Item = &Legislator> {
        self.legislators
            .iter()
            .filter(|l| l.kind == ContactKind::Senator)
    }

    /// The representatives listed (several when the ZIP code is split).
    pub fn representatives(&self) -> impl Iterator<Item = &Legislator> {
        self.legislators
            .iter()
            .filter(|l| l.kind != ContactKind::Senator)
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

/// A district office as the visitor sees it, its number already made ready.
pub(crate) fn office_view(o: &Office, phone: Option<PhoneView>, zip: &str) -> OfficeView {
    OfficeView {
        address: o.address.clone(),
        city: o.city.clone(),
        state: o.state.clone(),
        zip: o.zip.clone(),
        phone,
        near: o.zip == zip || (o.zip.len() == 5 && o.zip[..3] == zip[..3]),
    }
}

/// Which offices to show for a ZIP code, nearest first: the same ZIP code (rank 0), then
/// the same three-digit area (1), then the rest (2) in stored order; at most
/// [`NEAREST_OFFICES`]. Answers their positions in `list` with their rank.
pub(crate) fn rank_offices_with_rank<'a>(
    list: impl Iterator<Item = &'a Office>,
    zip: &str,
) -> Vec<(usize, u8)> {
    let mut ranked: Vec<(u8, usize)> = list
        .enumerate()
        .map(|(i, o)| {
            let rank = if o.zip == zip {
                0
            } else if o.zip.len() == 5 && o.zip[..3] == zip[..3] {
                1
            } else {
                2
            };
            (rank, i)
        })
        .collect();
    ranked.sort_unstable();
    ranked
        .into_iter()
        .take(NEAREST_OFFICES)
        .map(|(r, i)| (i, r))
        .collect()
}

/// A member of Congress with their numbers, before offices are ranked for a ZIP code.
pub(crate) fn legislator(c: &Contact, v: ContactView, offices: Vec<OfficeView>) -> Legislator {
    let phone = v
        .phones
        .iter()
        .find(|p| p.kind == PhoneKind::Main)
        .or_else(|| v.phones.first())
        .cloned();
    let direct_phone = if phone.as_ref().is_some_and(|p| p.toll_free) {
        v.direct_phone.clone()
    } else {
        None
    };
    Legislator {
        slug: c.slug.clone(),
        kind: c.kind,
        name: c.name.clone(),
        title: title_of(c.kind, &c.role, &c.name).to_string(),
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
        offices,
        reach: None,
    }
}

/// How a contact is addressed in a script's `[TARGET TITLE]`: a member of Congress by their
/// office (from the role the import wrote: "Delegate for …", "Resident Commissioner for …"),
/// anyone else by their own name (an agency's name is its title).
pub fn title_of<'a>(kind: ContactKind, role: &'a str, name: &'a str) -> &'a str {
    match kind {
        ContactKind::Senator => "Senator",
        ContactKind::Representative if role.starts_with("Resident Commissioner") => {
            "Resident Commissioner"
        }
        ContactKind::Representative if role.starts_with("Delegate") => "Delegate",
        ContactKind::Representative => "Representative",
        ContactKind::Governor if role.starts_with("Mayor") => "Mayor",
        ContactKind::Governor => "Governor",
        ContactKind::LieutenantGovernor => "Lieutenant Governor",
        ContactKind::AttorneyGeneral => "Attorney General",
        ContactKind::SecretaryOfState => "Secretary of State",
        ContactKind::StateSenator if role.starts_with("Councilmember") => "Councilmember",
        ContactKind::StateSenator => "State Senator",
        ContactKind::StateRepresentative => {
            role.split(" for ").next().unwrap_or("State Representative")
        }
        _ => name,
    }
}

/// The answer for a ZIP code from its (state, district) pairs (by state and district), the
/// states they touch and the members found.
pub(crate) fn answer(
    zip: &Zip,
    pairs: Vec<(String, i32)>,
    states: Vec<String>,
    legislators: Vec<Legislator>,
) -> RepsAnswer {
    RepsAnswer {
        zip: zip.to_string(),
        state: states[0].clone(),
        split: pairs.len() > 1,
        districts: pairs
            .into_iter()
            .map(|(state, district)| District {
                label: label(&state, district),
                state,
                district,
            })
            .collect(),
        states,
        legislators,
        officials: Vec::new(),
        pickers: Vec::new(),
    }
}

/// A state official with their numbers, ready to show.
pub(crate) fn state_official(c: &Contact, v: ContactView) -> StateOfficial {
    StateOfficial {
        slug: c.slug.clone(),
        role: c.kind,
        title: title_of(c.kind, &c.role, &c.name).to_string(),
        name: c.name.clone(),
        office: c.role.clone(),
        state: c.state.clone().unwrap_or_default(),
        party: c.party.clone(),
        district: c.state_district.clone(),
        phones: v.phones,
        email: c.email.clone(),
        url: c.website_url.clone(),
        source: "openstates".into(),
        reach: None,
    }
}

/// The name of a state, for pages.
pub fn state_name(code: &str) -> &str {
    states::name(code).unwrap_or(code)
}
