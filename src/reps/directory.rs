//! The directory held in memory: every ZIP code area's districts, every member of Congress
//! with their numbers and district offices, as one immutable snapshot per directory
//! version. A lookup costs no query, so a spike of visitors from thousands of ZIP codes is
//! answered from memory; the snapshot is rebuilt (once, whoever asks first) when an import
//! or an edit of a contact bumps the directory version, and swapped in atomically.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::lookup::{self, DistrictPicker, Legislator, OfficeView, RepsAnswer, StateOfficial};
use crate::db::contacts::{self, Office, Phone, PhoneView};
use crate::db::{self, districts, legislators, officials, settings, state_districts, Db, DbConn};
use crate::domain::{Chamber, ContactKind, Zip};

/// A member of Congress as every lookup shows them, offices still to rank by ZIP code.
#[derive(Debug)]
struct Member {
    /// The contact's id.
    id: u32,
    /// Everything but `offices`, which depend on the visitor's ZIP code.
    shown: Legislator,
    /// District offices in stored order, each with its number ready to show.
    offices: Vec<(Office, Option<PhoneView>)>,
}

/// One snapshot of the directory.
#[derive(Debug, Default)]
pub struct Directory {
    /// The directory version it was built at.
    version: i64,
    /// ZIP code area → (state, district), by state and district.
    zips: HashMap<String, Vec<(Arc<str>, i32)>>,
    /// State (see [`code`]) → its senators, by name.
    senators: HashMap<u16, Vec<Arc<Member>>>,
    /// (State, district) → its representative(s), by name.
    representatives: HashMap<(u16, i32), Vec<Arc<Member>>>,
    /// State → its executives: governor, lieutenant governor, attorney general, secretary
    /// of state.
    executives: HashMap<u16, Vec<Arc<StateOfficial>>>,
    /// (State, chamber, district) → its state legislators, by name, with their contact ids.
    state_members: HashMap<(u16, Chamber, Arc<str>), Vec<Found>>,
    /// (State, chamber) → its districts, in natural order.
    state_district_names: HashMap<(u16, Chamber), Vec<Arc<str>>>,
    /// ZIP code area → (state, chamber, district) from imported mappings.
    state_zips: HashMap<String, Vec<(u16, Chamber, Arc<str>)>>,
    /// The (state, chamber) pairs with an imported ZIP mapping.
    mapped: HashSet<(u16, Chamber)>,
    /// The legislatures' lists of members, by state.
    member_lists: HashMap<String, String>,
}

/// A state legislator with their contact id.
type Found = (u32, Arc<StateOfficial>);

/// A state official found for a ZIP code, with the contact id of a legislator (whose
/// presence changes the answer's shape).
type Listed = (Option<u32>, Arc<StateOfficial>);

/// The chambers a visitor may pick districts of.
type Pickers = Vec<DistrictPicker>;

/// State districts a visitor picked where no ZIP mapping is imported (`&upper=&lower=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Picks {
    pub upper: Option<String>,
    pub lower: Option<String>,
}

impl Picks {
    fn of(&self, chamber: Chamber) -> Option<&str> {
        match chamber {
            Chamber::Upper => self.upper.as_deref(),
            Chamber::Lower => self.lower.as_deref(),
        }
    }
}

/// "2" before "10"; names after numbers.
fn natural(d: &str) -> (u8, u64, String) {
    match d.parse::<u64>() {
        Ok(n) => (0, n, String::new()),
        Err(_) => (1, 0, d.to_string()),
    }
}

impl Directory {
    /// Reads the whole directory from the database.
    pub fn load(conn: &mut DbConn) -> db::Result<Directory> {
        let version = settings::directory_version(conn)?;
        let members = legislators::all(conn)?;
        let ids: Vec<i32> = members.iter().map(|c| c.id).collect();
        let views = contacts::views(conn, &members)?;
        let mut offices = legislators::offices_of(conn, &ids)?;
        let mut senators: HashMap<u16, Vec<Arc<Member>>> = HashMap::new();
        let mut representatives: HashMap<(u16, i32), Vec<Arc<Member>>> = HashMap::new();
        for (c, v) in members.iter().zip(views) {
            let own = offices.remove(&c.id).unwrap_or_default();
            let member = Arc::new(Member {
                id: c.id as u32,
                shown: lookup::legislator(c, v, Vec::new()),
                offices: own
                    .into_iter()
                    .map(|o| {
                        let phone = office_phone(&o);
                        (o, phone)
                    })
                    .collect(),
            });
            let state = code(c.state.as_deref().unwrap_or_default());
            if c.kind == crate::domain::ContactKind::Senator {
                senators.entry(state).or_default().push(member);
            } else {
                representatives
                    .entry((state, c.district.unwrap_or_default()))
                    .or_default()
                    .push(member);
            }
        }
        for list in senators.values_mut().chain(representatives.values_mut()) {
            list.sort_by(|a, b| a.shown.name.cmp(&b.shown.name));
        }
        let mut interned: HashMap<String, Arc<str>> = HashMap::new();
        let mut zips: HashMap<String, Vec<(Arc<str>, i32)>> = HashMap::new();
        for r in districts::all(conn)? {
            let state = interned
                .entry(r.state.clone())
                .or_insert_with(|| Arc::from(r.state.as_str()))
                .clone();
            zips.entry(r.zcta).or_default().push((state, r.district));
        }
        for list in zips.values_mut() {
            list.sort();
        }
        let mut dir = Directory {
            version,
            zips,
            senators,
            representatives,
            ..Directory::default()
        };
        dir.load_state(conn)?;
        Ok(dir)
    }

    /// Reads the state officials and the ZIP → state district mappings.
    fn load_state(&mut self, conn: &mut DbConn) -> db::Result<()> {
        let list = officials::all_state(conn)?;
        let views = contacts::views(conn, &list)?;
        let mut interned: HashMap<String, Arc<str>> = HashMap::new();
        let mut intern = |s: &str| {
            interned
                .entry(s.to_string())
                .or_insert_with(|| Arc::from(s))
                .clone()
        };
        for (c, v) in list.iter().zip(views) {
            let state = code(c.state.as_deref().unwrap_or_default());
            let shown = Arc::new(lookup::state_official(c, v));
            match (Chamber::of(c.kind), &c.state_district) {
                (Some(ch), Some(d)) => self
                    .state_members
                    .entry((state, ch, intern(d)))
                    .or_default()
                    .push((c.id as u32, shown)),
                _ => self.executives.entry(state).or_default().push(shown),
            }
        }
        for list in self.executives.values_mut() {
            list.sort_by_key(|o| {
                (
                    ContactKind::STATE.iter().position(|k| *k == o.role),
                    o.name.clone(),
                )
            });
        }
        for ((state, ch, d), list) in self.state_members.iter_mut() {
            list.sort_by(|a, b| a.1.name.cmp(&b.1.name));
            self.state_district_names
                .entry((*state, *ch))
                .or_default()
                .push(d.clone());
        }
        for list in self.state_district_names.values_mut() {
            list.sort_by_key(|d| natural(d));
        }
        for r in state_districts::all(conn)? {
            let state = code(&r.state);
            self.mapped.insert((state, r.chamber));
            self.state_zips.entry(r.zcta).or_default().push((
                state,
                r.chamber,
                intern(&r.district),
            ));
        }
        for list in self.state_zips.values_mut() {
            list.sort();
        }
        self.member_lists = officials::member_lists(conn)?;
        Ok(())
    }

    /// The state officials of these states for a ZIP code: each state's executives, then
    /// its legislators by the imported mapping or else by the districts picked; and the
    /// chambers left to pick from.
    fn state_officials(
        &self,
        zip: &Zip,
        states: &[String],
        picks: &Picks,
    ) -> (Vec<Listed>, Pickers) {
        let mut found = Vec::new();
        let mut pickers = Vec::new();
        let rows = self.state_zips.get(zip.as_str());
        for s in states {
            let state = code(s);
            for o in self.executives.get(&state).into_iter().flatten() {
                found.push((None, o.clone()));
            }
            for ch in [Chamber::Upper, Chamber::Lower] {
                let districts: Vec<&str> = if self.mapped.contains(&(state, ch)) {
                    rows.into_iter()
                        .flatten()
                        .filter(|(st, c, _)| *st == state && *c == ch)
                        .map(|(_, _, d)| d.as_ref())
                        .collect()
                } else {
                    let Some(names) = self.state_district_names.get(&(state, ch)) else {
                        continue;
                    };
                    let picked = picks
                        .of(ch)
                        .filter(|p| names.iter().any(|n| n.as_ref() == *p));
                    pickers.push(DistrictPicker {
                        state: s.clone(),
                        chamber: ch,
                        label: ch.label().to_string(),
                        districts: names.iter().map(|n| n.to_string()).collect(),
                        picked: picked.map(str::to_string),
                        find_url: self.member_lists.get(s).cloned(),
                    });
                    picked.into_iter().collect()
                };
                for d in districts {
                    let key = (state, ch, Arc::from(d));
                    for (id, o) in self.state_members.get(&key).into_iter().flatten() {
                        found.push((Some(*id), o.clone()));
                    }
                }
            }
        }
        (found, pickers)
    }

    /// The directory version this snapshot was built at.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// How many ZIP code areas it knows.
    pub fn zip_count(&self) -> usize {
        self.zips.len()
    }

    /// What a ZIP code's answer is made of, but the ZIP code itself: its districts, its
    /// members and which of their offices are shown, in order and how near. Two ZIP codes
    /// with the same shape get the same answer with another `zip` (and `near` flags).
    /// `None` when no district is known.
    pub fn shape(&self, zip: &Zip, picks: &Picks) -> Option<Arc<[u32]>> {
        let rows = self.zips.get(zip.as_str())?;
        let mut shape = Vec::with_capacity(32);
        for (s, d) in rows {
            shape.push(u32::from(code(s)));
            shape.push(*d as u32);
        }
        for m in self.members(rows) {
            shape.push(u32::MAX);
            shape.push(m.id);
            let offices = m.offices.iter().map(|(o, _)| o);
            for (i, rank) in lookup::rank_offices_with_rank(offices, zip.as_str()) {
                shape.push((i as u32) << 2 | u32::from(rank));
            }
        }
        let states: Vec<String> = states(rows).map(str::to_string).collect();
        let (officials, pickers) = self.state_officials(zip, &states, picks);
        shape.push(u32::MAX - 1);
        shape.extend(officials.iter().filter_map(|(id, _)| *id));
        shape.push(pickers.len() as u32);
        Some(shape.into())
    }

    /// A ZIP code's districts and members of Congress; `None` when no district is known.
    /// The same answer as [`lookup::lookup`] gives from the database.
    pub fn lookup(&self, zip: &Zip, picks: &Picks) -> Option<RepsAnswer> {
        let rows = self.zips.get(zip.as_str())?;
        let legislators = self
            .members(rows)
            .map(|m| Legislator {
                offices: nearest(&m.offices, zip.as_str()),
                ..m.shown.clone()
            })
            .collect();
        let states: Vec<String> = states(rows).map(str::to_string).collect();
        let (officials, pickers) = self.state_officials(zip, &states, picks);
        let mut answer = lookup::answer(
            zip,
            rows.iter().map(|(s, d)| (s.to_string(), *d)).collect(),
            states,
            legislators,
        );
        answer.officials = officials.into_iter().map(|(_, o)| (*o).clone()).collect();
        answer.pickers = pickers;
        Some(answer)
    }

    /// The members for these districts: the senators of their states, then the
    /// representatives of each district, as [`lookup`] lists them.
    fn members<'a>(&'a self, rows: &'a [(Arc<str>, i32)]) -> impl Iterator<Item = &'a Arc<Member>> {
        let sens = states(rows).flat_map(|s| self.senators.get(&code(s)).into_iter().flatten());
        let reps = rows.iter().flat_map(|(s, d)| {
            self.representatives
                .get(&(code(s), *d))
                .into_iter()
                .flatten()
        });
        sens.chain(reps)
    }
}

/// A state's postal code as a number, for keys.
fn code(state: &str) -> u16 {
    state
        .bytes()
        .fold(0u16, |acc, b| acc.wrapping_shl(8) | u16::from(b))
}

/// The states of these (state, district) rows, each once, in order.
fn states(rows: &[(Arc<str>, i32)]) -> impl Iterator<Item = &str> {
    rows.iter()
        .enumerate()
        .filter(|(i, (s, _))| !rows[..*i].iter().any(|(x, _)| x == s))
        .map(|(_, (s, _))| s.as_ref())
}

/// A district office's number, ready to show.
fn office_phone(o: &Office) -> Option<PhoneView> {
    let e164 = o.phone_e164.as_deref()?;
    crate::domain::PhoneNumber::from_stored(e164, None)
        .ok()
        .map(|_| {
            Phone {
                id: 0,
                contact_id: Some(o.contact_id),
                hotline_id: None,
                e164: e164.to_string(),
                vanity: None,
                kind: crate::domain::PhoneKind::DistrictOffice,
                note: format!("{} office", o.city),
                position: 0,
                direct_e164: None,
                verified_at: None,
            }
            .view()
        })
}

/// Offices nearest the ZIP code first, as [`lookup`] ranks them.
fn nearest(list: &[(Office, Option<PhoneView>)], zip: &str) -> Vec<OfficeView> {
    lookup::rank_offices_with_rank(list.iter().map(|(o, _)| o), zip)
        .into_iter()
        .map(|(i, _)| {
            let (o, phone) = &list[i];
            lookup::office_view(o, phone.clone(), zip)
        })
        .collect()
}

/// The snapshot in use, replaced when the directory version moves.
pub struct LiveDirectory {
    current: ArcSwap<Directory>,
    /// Held while a new snapshot is read, so concurrent requests wait for one rebuild
    /// instead of each starting their own.
    rebuilding: tokio::sync::Mutex<()>,
}

impl LiveDirectory {
    /// How many ZIP code areas the snapshot in use knows.
    pub fn zip_count(&self) -> usize {
        self.current.load().zip_count()
    }

    /// Reads the directory now (at start, before serving).
    pub async fn load(db: &Db) -> db::Result<LiveDirectory> {
        let dir = db.run(Directory::load).await?;
        Ok(LiveDirectory {
            current: ArcSwap::from_pointee(dir),
            rebuilding: tokio::sync::Mutex::new(()),
        })
    }

    /// An empty directory (version -1), read on first use.
    pub fn empty() -> LiveDirectory {
        LiveDirectory {
            current: ArcSwap::from_pointee(Directory {
                version: -1,
                ..Directory::default()
            }),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }

    /// The snapshot for this directory version: the current one when it is that recent,
    /// else a fresh one read from the database (by one request; the others wait for it).
    pub async fn at(&self, db: &Db, version: i64) -> db::Result<Arc<Directory>> {
        let dir = self.current.load_full();
        if dir.version >= version {
            return Ok(dir);
        }
        let _one = self.rebuilding.lock().await;
        let dir = self.current.load_full();
        if dir.version >= version {
            return Ok(dir);
        }
        let fresh = Arc::new(db.run(Directory::load).await?);
        tracing::info!(
            version = fresh.version,
            zips = fresh.zip_count(),
            "directory loaded"
        );
        self.current.store(fresh.clone());
        Ok(fresh)
    }
}
