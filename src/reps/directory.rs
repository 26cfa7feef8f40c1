//! The directory held in memory: every ZIP code area's districts, every member of Congress
//! with their numbers and district offices, as one immutable snapshot per directory
//! version. A lookup costs no query, so a spike of visitors from thousands of ZIP codes is
//! answered from memory; the snapshot is rebuilt (once, whoever asks first) when an import
//! or an edit of a contact bumps the directory version, and swapped in atomically.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::lookup::{self, Legislator, OfficeView, RepsAnswer};
use crate::db::contacts::{self, Office, Phone, PhoneView};
use crate::db::{self, districts, legislators, settings, Db, DbConn};
use crate::domain::Zip;

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
        Ok(Directory {
            version,
            zips,
            senators,
            representatives,
        })
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
    pub fn shape(&self, zip: &Zip) -> Option<Arc<[u32]>> {
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
        Some(shape.into())
    }

    /// A ZIP code's districts and members of Congress; `None` when no district is known.
    /// The same answer as [`lookup::lookup`] gives from the database.
    pub fn lookup(&self, zip: &Zip) -> Option<RepsAnswer> {
        let rows = self.zips.get(zip.as_str())?;
        let legislators = self
            .members(rows)
            .map(|m| Legislator {
                offices: nearest(&m.offices, zip.as_str()),
                ..m.shown.clone()
            })
            .collect();
        Some(lookup::answer(
            zip,
            rows.iter().map(|(s, d)| (s.to_string(), *d)).collect(),
            states(rows).map(str::to_string).collect(),
            legislators,
        ))
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
