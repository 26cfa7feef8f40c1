//! ZIP code tabulation areas (ZCTAs) and the congressional districts they fall in.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::zip_districts;
use super::{settings, DbConn, Result};

/// One ZCTA-to-district row; a ZCTA split between districts (or states) has several.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable, Insertable, Serialize, Deserialize,
)]
#[diesel(table_name = zip_districts)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct ZipDistrict {
    pub zcta: String,
    pub state: String,
    pub state_fips: String,
    /// 0 for an at-large district.
    pub district: i32,
}

/// What replacing the ZIP table did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// Rows inserted per statement: 4 bind parameters each stays far below both backends' limits.
const BATCH: usize = 1000;

/// Makes the table hold exactly `rows` (keyed by ZCTA, state and district): inserts the new
/// ones in batches, updates the changed state FIPS codes, deletes the ones no longer given.
/// Bumps the directory (and content) version when anything changed. Call inside a write transaction.
pub fn sync(conn: &mut DbConn, rows: &[ZipDistrict]) -> Result<SyncReport> {
    let existing: HashMap<(String, String, i32), String> = zip_districts::table
        .select(ZipDistrict::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| ((r.zcta, r.state, r.district), r.state_fips))
        .collect();
    let mut report = SyncReport::default();
    let mut seen: HashSet<(String, String, i32)> = HashSet::with_capacity(rows.len());
    let mut new_rows = Vec::new();
    for r in rows {
        let key = (r.zcta.clone(), r.state.clone(), r.district);
        match existing.get(&key) {
            None => new_rows.push((
                zip_districts::zcta.eq(&r.zcta),
                zip_districts::state.eq(&r.state),
                zip_districts::state_fips.eq(&r.state_fips),
                zip_districts::district.eq(r.district),
            )),
            Some(fips) if *fips != r.state_fips => {
                diesel::update(
                    zip_districts::table
                        .filter(zip_districts::zcta.eq(&r.zcta))
                        .filter(zip_districts::state.eq(&r.state))
                        .filter(zip_districts::district.eq(r.district)),
                )
                .set(zip_districts::state_fips.eq(&r.state_fips))
                .execute(conn)?;
                report.changed += 1;
            }
            Some(_) => report.unchanged += 1,
        }
        seen.insert(key);
    }
    report.added = new_rows.len();
    for chunk in new_rows.chunks(BATCH) {
        // Multi-row inserts compile only against the concrete backend.
        let q = diesel::insert_into(zip_districts::table).values(chunk);
        match conn {
            DbConn::Sqlite(c) => q.execute(c)?,
            DbConn::Pg(c) => q.execute(c)?,
        };
    }
    for (zcta, state, district) in existing.keys().filter(|k| !seen.contains(*k)) {
        diesel::delete(
            zip_districts::table
                .filter(zip_districts::zcta.eq(zcta))
                .filter(zip_districts::state.eq(state))
                .filter(zip_districts::district.eq(district)),
        )
        .execute(conn)?;
        report.removed += 1;
    }
    if report.added + report.changed + report.removed > 0 {
        settings::bump_directory_version(conn)?;
    }
    Ok(report)
}

/// The districts a ZCTA falls in, by state and district.
pub fn for_zip(conn: &mut DbConn, zcta: &str) -> Result<Vec<ZipDistrict>> {
    Ok(zip_districts::table
        .filter(zip_districts::zcta.eq(zcta))
        .order((zip_districts::state.asc(), zip_districts::district.asc()))
        .select(ZipDistrict::as_select())
        .load(conn)?)
}

/// Every row, for the in-memory directory.
pub fn all(conn: &mut DbConn) -> Result<Vec<ZipDistrict>> {
    Ok(zip_districts::table
        .select(ZipDistrict::as_select())
        .load(conn)?)
}

/// How many rows the table holds.
pub fn count(conn: &mut DbConn) -> Result<i64> {
    Ok(zip_districts::table.count().get_result(conn)?)
}
