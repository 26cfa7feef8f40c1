//! Imports of the public representatives data sets, one file per format (see
//! /work/shared/data/README.md): the congress-legislators YAML files (members and district
//! offices) and the `state_fips,state_abbr,zcta,cd` CSV mapping ZIP code areas to
//! congressional districts.
//!
//! Each import reads and checks the whole file first, so a malformed file is rejected with
//! the line and field at fault before anything is written; the writes then happen in one
//! transaction. Running an import again updates in place and changes nothing when nothing
//! changed.

mod legislators;
mod openstates;
mod zips;

pub use legislators::{
    import_legislators, parse_legislators, parse_offices, Legislator, LegislatorReport,
    ParsedLegislators,
};
pub use openstates::{
    import_openstates, lower_title, parse_openstates, Official, OfficialsReport, ParsedOfficials,
};
pub use zips::{import_state_districts, import_zips, parse_state_districts, parse_zips, ZipReport};

use super::Error;

/// Reads a file for an import, naming it when it cannot be read.
pub fn read(path: &std::path::Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Read {
        file: path.display().to_string(),
        cause: e.to_string(),
    })
}

/// The day a file was last written (midnight UTC): the date its data was checked.
pub fn file_date(path: &std::path::Path) -> Result<chrono::NaiveDateTime, Error> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| Error::Read {
            file: path.display().to_string(),
            cause: e.to_string(),
        })?;
    let utc: chrono::DateTime<chrono::Utc> = modified.into();
    Ok(utc.date_naive().and_time(chrono::NaiveTime::MIN))
}
