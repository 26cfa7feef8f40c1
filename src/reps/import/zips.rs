//! The `state_fips,state_abbr,zcta,cd` CSV mapping ZIP code areas to congressional
//! districts.

use std::collections::HashSet;
use std::fmt;

use super::super::{states, Error, Malformed};
use crate::db::districts::{self, ZipDistrict};
use crate::db::state_districts::{self, StateZipDistrict};
use crate::db::{self, DbConn};
use crate::domain::Chamber;

/// What a ZIP import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZipReport {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Rows repeated within the file.
    pub skipped: usize,
}

impl fmt::Display for ZipReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "zips: added {}, changed {}, unchanged {}, removed {}, skipped {} (duplicates)",
            self.added, self.changed, self.unchanged, self.removed, self.skipped
        )
    }
}

/// Parses and checks a `state_fips,state_abbr,zcta,cd` CSV (header required). Returns the
/// rows and how many repeated an earlier row.
pub fn parse_zips(text: &str, file: &str) -> Result<(Vec<ZipDistrict>, usize), Error> {
    let (rows, skipped) = parse_rows(text, file, "cd", |cd| match cd.parse() {
        Ok(d) if (0..=99).contains(&d) => Ok(d),
        _ => Err(format!("{cd:?} is not a district number (0 at large)")),
    })?;
    let rows = rows
        .into_iter()
        .map(|(zcta, state, state_fips, district)| ZipDistrict {
            zcta,
            state,
            state_fips,
            district,
        })
        .collect();
    Ok((rows, skipped))
}

/// Parses and checks a `state_fips,state_abbr,zcta,district` CSV mapping ZIP code areas
/// to one chamber's state legislative districts, named as Open States names them.
pub fn parse_state_districts(
    text: &str,
    file: &str,
    chamber: Chamber,
) -> Result<(Vec<StateZipDistrict>, usize), Error> {
    let (rows, skipped) = parse_rows(text, file, "district", |d| {
        if d.is_empty() || d.len() > 100 || d.chars().any(char::is_control) {
            Err(format!("{d:?} is not a district name"))
        } else {
            Ok(d.to_string())
        }
    })?;
    let rows = rows
        .into_iter()
        .map(|(zcta, state, state_fips, district)| StateZipDistrict {
            zcta,
            state,
            state_fips,
            chamber,
            district,
        })
        .collect();
    Ok((rows, skipped))
}

/// The rows of a `state_fips,state_abbr,zcta,<last>` CSV (header required), the last
/// column read by `district`, and how many repeated an earlier row.
#[allow(clippy::type_complexity)]
fn parse_rows<T: Clone + Eq + std::hash::Hash>(
    text: &str,
    file: &str,
    last: &str,
    district: impl Fn(&str) -> Result<T, String>,
) -> Result<(Vec<(String, String, String, T)>, usize), Error> {
    let bad = |line: Option<usize>, field: &str, message: String| {
        Error::Malformed(Malformed {
            file: file.into(),
            line,
            field: field.into(),
            message,
        })
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(Some(1), "header", e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let columns = ["state_fips", "state_abbr", "zcta", last];
    if header != columns {
        return Err(bad(
            Some(1),
            "header",
            format!("must be {}, found {}", columns.join(","), header.join(",")),
        ));
    }
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    let mut skipped = 0;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            bad(line, "row", e.to_string())
        })?;
        let line = record.position().map(|p| p.line() as usize);
        let [fips, abbr, zcta, cd] = [0, 1, 2, 3].map(|i| record.get(i).unwrap_or(""));
        if !(zcta.len() == 5 && zcta.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad(
                line,
                "zcta",
                format!("{zcta:?} is not a five-digit ZIP code"),
            ));
        }
        let Some(expected_fips) = states::fips(abbr) else {
            return Err(bad(
                line,
                "state_abbr",
                format!("{abbr:?} is not a US state or territory code"),
            ));
        };
        if fips != expected_fips {
            return Err(bad(
                line,
                "state_fips",
                format!("{fips:?} is not the FIPS code of {abbr} ({expected_fips})"),
            ));
        }
        let d = district(cd).map_err(|m| bad(line, last, m))?;
        if seen.insert((zcta.to_string(), abbr.to_string(), d.clone())) {
            rows.push((zcta.into(), abbr.into(), fips.into(), d));
        } else {
            skipped += 1;
        }
    }
    if rows.is_empty() {
        return Err(bad(None, "rows", "the file has no rows".into()));
    }
    Ok((rows, skipped))
}

/// Makes the stored ZIP table match the file's rows, in one transaction.
pub fn import_zips(
    conn: &mut DbConn,
    rows: &[ZipDistrict],
    skipped: usize,
) -> Result<ZipReport, Error> {
    db::write_tx(conn, |conn| {
        let r = districts::sync(conn, rows)?;
        Ok(ZipReport {
            added: r.added,
            changed: r.changed,
            unchanged: r.unchanged,
            removed: r.removed,
            skipped,
        })
    })
}

/// Makes the stored mapping of the file's states, for this chamber, match the file's rows,
/// in one transaction.
pub fn import_state_districts(
    conn: &mut DbConn,
    chamber: Chamber,
    rows: &[StateZipDistrict],
    skipped: usize,
) -> Result<ZipReport, Error> {
    db::write_tx(conn, |conn| {
        let r = state_districts::sync(conn, chamber, rows)?;
        Ok(ZipReport {
            added: r.added,
            changed: r.changed,
            unchanged: r.unchanged,
            removed: r.removed,
            skipped,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "state_fips,state_abbr,zcta,cd\n53,WA,98101,7\n53,WA,98101,9\n53,WA,98101,9\n02,AK,99501,0\n";

    #[test]
    fn zip_rows_parse_with_duplicates_skipped() {
        let (rows, skipped) = parse_zips(CSV, "z.csv").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(skipped, 1);
        assert_eq!(rows[2].district, 0);
    }

    #[test]
    fn zip_errors_name_line_and_field() {
        let bad = CSV.replace("02,AK", "03,AK");
        let Err(Error::Malformed(m)) = parse_zips(&bad, "z.csv") else {
            panic!("accepted a wrong FIPS code")
        };
        assert_eq!((m.line, m.field.as_str()), (Some(5), "state_fips"));
        let bad = CSV.replace("98101,9\n02", "9810,9\n02");
        let Err(Error::Malformed(m)) = parse_zips(&bad, "z.csv") else {
            panic!("accepted a four-digit ZIP")
        };
        assert_eq!((m.line, m.field.as_str()), (Some(4), "zcta"));
    }
}
