//! ZIP code tabulation areas and the state legislative districts they fall in, per chamber
//! (imported per chamber: a file for the upper chamber leaves the lower one alone).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::schema::zip_state_districts as t;
use super::{settings, DbConn, Result};
use crate::domain::Chamber;

/// One ZCTA-to-state-district row; a split ZCTA has several.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct StateZipDistrict {
    pub zcta: String,
    pub state: String,
    pub state_fips: String,
    pub chamber: Chamber,
    pub district: String,
}

/// What replacing a chamber's rows did.
pub use super::districts::SyncReport;

/// Makes the rows of the chambers in `rows` (and only of those states) exactly `rows`:
/// a file for one state's upper chamber replaces that state's upper chamber. Bumps the
/// directory version when anything changed. Call inside a write transaction.
pub fn sync(conn: &mut DbConn, chamber: Chamber, rows: &[StateZipDistrict]) -> Result<SyncReport> {
    let states: HashSet<&str> = rows.iter().map(|r| r.state.as_str()).collect();
    let existing: HashMap<(String, String, String), (i32, String)> = t::table
        .filter(t::chamber.eq(chamber))
        .filter(t::state.eq_any(&states))
        .select((t::id, StateZipDistrict::as_select()))
        .load::<(i32, StateZipDistrict)>(conn)?
        .into_iter()
        .map(|(id, r)| ((r.zcta, r.state, r.district), (id, r.state_fips)))
        .collect();
    let mut report = SyncReport::default();
    let mut seen = HashSet::with_capacity(rows.len());
    let mut new_rows = Vec::new();
    for r in rows {
        let key = (r.zcta.clone(), r.state.clone(), r.district.clone());
        match existing.get(&key) {
            None => new_rows.push((
                t::zcta.eq(&r.zcta),
                t::state.eq(&r.state),
                t::state_fips.eq(&r.state_fips),
                t::chamber.eq(chamber),
                t::district.eq(&r.district),
            )),
            Some((id, fips)) if *fips != r.state_fips => {
                diesel::update(t::table.find(*id))
                    .set(t::state_fips.eq(&r.state_fips))
                    .execute(conn)?;
                report.changed += 1;
            }
            Some(_) => report.unchanged += 1,
        }
        seen.insert(key);
    }
    report.added = new_rows.len();
    for chunk in new_rows.chunks(500) {
        // Multi-row inserts compile only against the concrete backend.
        let q = diesel::insert_into(t::table).values(chunk);
        match conn {
            DbConn::Sqlite(c) => q.execute(c)?,
            DbConn::Pg(c) => q.execute(c)?,
        };
    }
    for (key, (id, _)) in &existing {
        if !seen.contains(key) {
            diesel::delete(t::table.find(*id)).execute(conn)?;
            report.removed += 1;
        }
    }
    if report.added + report.changed + report.removed > 0 {
        settings::bump_directory_version(conn)?;
    }
    Ok(report)
}

/// Every row, for the in-memory directory.
pub fn all(conn: &mut DbConn) -> Result<Vec<StateZipDistrict>> {
    Ok(t::table.select(StateZipDistrict::as_select()).load(conn)?)
}
