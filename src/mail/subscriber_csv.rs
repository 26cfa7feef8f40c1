//! A campaign's list, in and out: `actiondesk subscribers import FILE` and `export`, as the
//! CSV `email,campaigns,frequency,confirmed_at,source` (campaigns `;`-separated slugs, empty
//! for all; export adds `status,bounces`).
//!
//! An import checks every row before anything is written (a bad row is reported by line and
//! field, and nothing is stored). Rows with `confirmed_at` come in confirmed, their consent
//! kept with its date and source; the others get one confirmation email each, sent by the
//! worker like every other email. An address already known is left as it is — above all
//! one that unsubscribed or was suppressed — so running an import again changes nothing.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::schema::{campaigns, subscriber_campaigns, subscribers};
use crate::db::{self, changes, write_tx, DbConn};
use crate::domain::{parse_time, EmailAddress, Frequency, Line, SubscriberStatus};
use crate::security::{new_token, token_hash};

/// The columns an import reads, in order.
pub const COLUMNS: [&str; 5] = ["email", "campaigns", "frequency", "confirmed_at", "source"];
/// The columns an export writes: [`COLUMNS`] and what the list says of each address now.
pub const EXPORT_COLUMNS: [&str; 7] = [
    "email",
    "campaigns",
    "frequency",
    "confirmed_at",
    "source",
    "status",
    "bounces",
];

/// One checked row of an import.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line of the file it came from.
    pub line: u64,
    pub email: EmailAddress,
    /// Campaign slugs; empty: every campaign, new ones included.
    pub campaigns: Vec<String>,
    pub frequency: Frequency,
    pub confirmed_at: Option<NaiveDateTime>,
    pub source: Line,
}

/// Reads and checks a whole file. Every bad row is reported (`FILE:LINE: field: why`), up
/// to 20, and then nothing is imported.
pub fn parse(text: &str, file: &str) -> Result<Vec<Row>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{file}: not CSV: {e}"))?
        .clone();
    let names: Vec<&str> = headers.iter().collect();
    if names.len() < COLUMNS.len() || names[..COLUMNS.len()] != COLUMNS {
        return Err(format!(
            "{file}:1: the header must start with {} (found {})",
            COLUMNS.join(","),
            names.join(",")
        ));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(format!("{file}:{line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        match check(&record) {
            Ok(row) => {
                let key = row.email.as_str().to_ascii_lowercase();
                if let Some(first) = seen.insert(key, line) {
                    errors.push(format!(
                        "{file}:{line}: email: {} is also on line {first}",
                        row.email
                    ));
                }
                rows.push(Row { line, ..row });
            }
            Err((field, why)) => errors.push(format!("{file}:{line}: {field}: {why}")),
        }
        if errors.len() >= 20 {
            errors.push("(stopped after 20 errors)".into());
            break;
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors.join("\n"))
    }
}

fn check(record: &csv::StringRecord) -> Result<Row, (&'static str, String)> {
    let field = |i: usize| record.get(i).unwrap_or("");
    let email = EmailAddress::parse(field(0)).map_err(|e| ("email", e.to_string()))?;
    let mut campaigns = Vec::new();
    for slug in field(1).split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let slug = crate::domain::Slug::parse(slug).map_err(|e| ("campaigns", e.to_string()))?;
        campaigns.push(slug.as_str().to_string());
    }
    let frequency = match field(2) {
        "" => Frequency::default(),
        f => Frequency::parse(f).map_err(|e| ("frequency", e.to_string()))?,
    };
    let confirmed_at = match field(3) {
        "" => None,
        t => Some(parse_time(t).map_err(|e| ("confirmed_at", e.to_string()))?),
    };
    let source = Line::parse(field(4)).map_err(|e| ("source", e.to_string()))?;
    Ok(Row {
        line: 0,
        email,
        campaigns,
        frequency,
        confirmed_at,
        source,
    })
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// New addresses imported as confirmed.
    pub confirmed: usize,
    /// New addresses sent a confirmation email.
    pub confirming: usize,
    /// Addresses already on the list, left as they were.
    pub known: usize,
}

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} confirmed, {} sent a confirmation email, {} already known (left as they were)",
            self.confirmed, self.confirming, self.known
        )
    }
}

/// Imports checked rows: campaigns are resolved first (an unknown slug names its line and
/// nothing is written); confirmed rows are written in one transaction, then each other
/// new address gets its confirmation email queued.
pub fn import(
    conn: &mut DbConn,
    settings: &Settings,
    rows: &[Row],
    now: NaiveDateTime,
) -> super::Result<Imported> {
    let ids: HashMap<String, i32> = campaigns::table
        .select((campaigns::slug, campaigns::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let mut unknown = Vec::new();
    for r in rows {
        for c in &r.campaigns {
            if !ids.contains_key(c) {
                unknown.push(format!(
                    "line {}: campaigns: no campaign called {c:?}",
                    r.line
                ));
            }
        }
    }
    if !unknown.is_empty() {
        return Err(db::Error::invalid("campaigns", unknown.join("; ")).into());
    }
    let campaign_ids = |r: &Row| -> Vec<i32> { r.campaigns.iter().map(|c| ids[c]).collect() };
    let known: HashSet<String> = subscribers::table
        .select(subscribers::email)
        .load::<String>(conn)?
        .into_iter()
        .map(|e| e.to_ascii_lowercase())
        .collect();
    let (old, new): (Vec<&Row>, Vec<&Row>) = rows
        .iter()
        .partition(|r| known.contains(&r.email.as_str().to_ascii_lowercase()));
    let (confirmed, pending): (Vec<&Row>, Vec<&Row>) =
        new.into_iter().partition(|r| r.confirmed_at.is_some());
    write_tx(conn, |conn| {
        // Confirmed addresses start from the end of the change log, as a confirmation does.
        let cursor = changes::max_id(conn)?;
        for chunk in confirmed.chunks(500) {
            let values: Vec<_> = chunk
                .iter()
                .map(|r| {
                    (
                        subscribers::email.eq(r.email.as_str()),
                        subscribers::status.eq(SubscriberStatus::Active),
                        subscribers::frequency.eq(r.frequency.as_str()),
                        // Required; each email gets its own links.
                        subscribers::manage_token_hash.eq(token_hash(&new_token())),
                        subscribers::last_change_id.eq(cursor),
                        subscribers::created_at.eq(now),
                        subscribers::confirmed_at.eq(r.confirmed_at),
                        subscribers::last_sent_at.eq(Some(now)),
                        subscribers::source.eq(r.source.as_str()),
                    )
                })
                .collect();
            // Ids come back by address (unique), whatever order they come in.
            let made: HashMap<String, i32> =
                db::on_backend!(conn, |c| diesel::insert_into(subscribers::table)
                    .values(&values)
                    .returning((subscribers::email, subscribers::id))
                    .get_results::<(String, i32)>(c))?
                .into_iter()
                .collect();
            let follows: Vec<_> = chunk
                .iter()
                .flat_map(|r| {
                    let id = made[r.email.as_str()];
                    campaign_ids(r).into_iter().map(move |c| {
                        (
                            subscriber_campaigns::subscriber_id.eq(id),
                            subscriber_campaigns::campaign_id.eq(c),
                        )
                    })
                })
                .collect();
            for part in follows.chunks(500) {
                db::on_backend!(conn, |c| diesel::insert_into(subscriber_campaigns::table)
                    .values(part)
                    .execute(c))?;
            }
        }
        Ok::<_, db::Error>(())
    })?;
    // One confirmation email each, queued like a signup's (each in its own transaction:
    // a run cut short is finished by running the import again).
    for r in &pending {
        super::subscribe::request(conn, settings, &r.email, &campaign_ids(r), r.frequency, now)?;
        diesel::update(subscribers::table.filter(subscribers::email.eq(r.email.as_str())))
            .set(subscribers::source.eq(r.source.as_str()))
            .execute(conn)?;
    }
    Ok(Imported {
        confirmed: confirmed.len(),
        confirming: pending.len(),
        known: old.len(),
    })
}

/// A subscriber as the export reads it: id, email, frequency, confirmed_at, source,
/// status, bounces.
type ExportRow = (
    i32,
    String,
    Frequency,
    Option<NaiveDateTime>,
    String,
    SubscriberStatus,
    i32,
);

/// Writes every subscriber as CSV ([`EXPORT_COLUMNS`]), in the order they came.
pub fn export(conn: &mut DbConn, out: impl std::io::Write) -> super::Result<()> {
    let slugs: HashMap<i32, String> = campaigns::table
        .select((campaigns::id, campaigns::slug))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect();
    let mut follows: HashMap<i32, Vec<&str>> = HashMap::new();
    let pairs: Vec<(i32, i32)> = subscriber_campaigns::table
        .select((
            subscriber_campaigns::subscriber_id,
            subscriber_campaigns::campaign_id,
        ))
        .order((
            subscriber_campaigns::subscriber_id,
            subscriber_campaigns::campaign_id,
        ))
        .load(conn)?;
    for (s, c) in &pairs {
        if let Some(slug) = slugs.get(c) {
            follows.entry(*s).or_default().push(slug);
        }
    }
    let rows: Vec<ExportRow> = subscribers::table
        .order(subscribers::id)
        .select((
            subscribers::id,
            subscribers::email,
            subscribers::frequency,
            subscribers::confirmed_at,
            subscribers::source,
            subscribers::status,
            subscribers::bounce_count,
        ))
        .load(conn)?;
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| super::Error::Transport(format!("writing the export: {e}"));
    w.write_record(EXPORT_COLUMNS).map_err(io)?;
    for (id, email, frequency, confirmed_at, source, status, bounces) in rows {
        let campaigns = follows.get(&id).map(|l| l.join(";")).unwrap_or_default();
        let confirmed = confirmed_at
            .map(|t| {
                t.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
            .unwrap_or_default();
        w.write_record([
            email.as_str(),
            campaigns.as_str(),
            frequency.as_str(),
            confirmed.as_str(),
            source.as_str(),
            status.as_str(),
            bounces.to_string().as_str(),
        ])
        .map_err(io)?;
    }
    w.flush()
        .map_err(|e| super::Error::Transport(format!("writing the export: {e}")))?;
    Ok(())
}
