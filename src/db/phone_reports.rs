//! Callers' problem reports about phone numbers ("wrong number", "disconnected"), kept by
//! contact and number until an organizer marks the number verified or changes it; and when
//! each number was last checked.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{contacts, phone_reports, phones};
use super::{settings, Actor, DbConn, Error, Result};
use crate::domain::{ContactKind, PhoneNumber, Problem, ReportNote};

/// Open reports about a number from which every page warns beside it.
pub const FLAGGED: i64 = 3;

/// Files a caller's report about one of the numbers of the contact `contact_slug`. Pages
/// show the new count at once (the directory and content versions move). `reporter` is
/// the caller as [`crate::web::client::reporter`] hides them, so that organizers see how
/// many callers a number's reports come from.
pub fn file(
    conn: &mut DbConn,
    contact_slug: &str,
    phone: &PhoneNumber,
    problem: Problem,
    note: &ReportNote,
    reporter: &str,
    at: NaiveDateTime,
) -> Result<()> {
    super::write_tx(conn, |conn| {
        let c = super::contacts::find(conn, contact_slug)?.ok_or(Error::NotFound("contact"))?;
        let listed: i64 = phones::table
            .filter(phones::contact_id.eq(c.id))
            .filter(phones::e164.eq(phone.e164()))
            .count()
            .get_result(conn)?;
        if listed == 0 {
            return Err(Error::invalid(
                "phone",
                format!("{} is not a number listed for {}", phone.display(), c.name),
            ));
        }
        diesel::insert_into(phone_reports::table)
            .values((
                phone_reports::contact_id.eq(c.id),
                phone_reports::e164.eq(phone.e164()),
                phone_reports::problem.eq(problem),
                phone_reports::note.eq(note.as_str()),
                phone_reports::reporter.eq(reporter),
                phone_reports::created_at.eq(at),
            ))
            .execute(conn)?;
        // Officials' numbers are in the in-memory directory too (as `contacts::upsert` has it).
        settings::bump_directory_version(conn)?;
        Ok(())
    })
}

/// The report a `wrong_number` outcome files: about the number dialled, or the contact's
/// first number when the caller did not say which. A number the contact does not list is
/// not reported (the outcome still counts).
pub fn file_wrong_number(
    conn: &mut DbConn,
    contact_slug: &str,
    dialled: Option<&PhoneNumber>,
    reporter: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let number = match dialled {
        Some(p) => p.clone(),
        None => {
            let Some(c) = super::contacts::find(conn, contact_slug)? else {
                return Ok(());
            };
            let first: Option<String> = phones::table
                .filter(phones::contact_id.eq(c.id))
                .order(phones::position.asc())
                .select(phones::e164)
                .first(conn)
                .optional()?;
            match first.and_then(|e| PhoneNumber::from_stored(&e, None).ok()) {
                Some(p) => p,
                None => return Ok(()),
            }
        }
    };
    let note =
        ReportNote::parse("Reported as a wrong number after a call.").expect("a fixed note fits");
    match file(
        conn,
        contact_slug,
        &number,
        Problem::WrongNumber,
        &note,
        reporter,
        at,
    ) {
        Err(Error::Invalid { .. }) => Ok(()),
        other => other,
    }
}

/// Open reports by (contact id, number), for these contacts.
pub fn open_counts(conn: &mut DbConn, contact_ids: &[i32]) -> Result<HashMap<(i32, String), i64>> {
    let rows: Vec<(i32, String, i64)> = phone_reports::table
        .filter(phone_reports::contact_id.eq_any(contact_ids))
        .filter(phone_reports::resolved_at.is_null())
        .group_by((phone_reports::contact_id, phone_reports::e164))
        .select((
            phone_reports::contact_id,
            phone_reports::e164,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(c, e, n)| ((c, e), n)).collect())
}

/// Closes the open reports about numbers the contact no longer lists (its number was
/// changed: the change itself is the answer to them).
pub fn resolve_gone(
    conn: &mut DbConn,
    contact_id: i32,
    numbers: &[&str],
    at: NaiveDateTime,
) -> Result<()> {
    diesel::update(
        phone_reports::table
            .filter(phone_reports::contact_id.eq(contact_id))
            .filter(phone_reports::resolved_at.is_null())
            .filter(phone_reports::e164.ne_all(numbers)),
    )
    .set(phone_reports::resolved_at.eq(at))
    .execute(conn)?;
    Ok(())
}

/// One report as organizers read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportLine {
    pub problem: Problem,
    pub note: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// A number with open reports, as the organizers' queue groups them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportedNumber {
    /// The contact's slug.
    pub contact: String,
    pub contact_name: String,
    /// `+12024019246`
    pub e164: String,
    /// `+1 202-401-9246`
    pub display: String,
    /// Open reports since the number was last verified.
    pub count: i64,
    /// How many callers sent them.
    pub callers: i64,
    /// The newest report's time.
    #[schema(value_type = String, format = DateTime)]
    pub latest: NaiveDateTime,
    /// When the number was last checked, if ever.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub verified_at: Option<NaiveDateTime>,
    /// Its reports, newest first.
    pub reports: Vec<ReportLine>,
}

/// Every number with open reports, the most recently reported first.
pub fn open(conn: &mut DbConn) -> Result<Vec<ReportedNumber>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i32,
        String,
        Problem,
        String,
        String,
        NaiveDateTime,
        String,
        String,
    )> = phone_reports::table
        .inner_join(contacts::table)
        .filter(phone_reports::resolved_at.is_null())
        .order((phone_reports::created_at.desc(), phone_reports::id.desc()))
        .select((
            phone_reports::contact_id,
            phone_reports::e164,
            phone_reports::problem,
            phone_reports::note,
            phone_reports::reporter,
            phone_reports::created_at,
            contacts::slug,
            contacts::name,
        ))
        .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let checked: HashMap<(i32, String), Option<NaiveDateTime>> = phones::table
        .filter(phones::contact_id.eq_any(&ids))
        .select((phones::contact_id, phones::e164, phones::verified_at))
        .load::<(Option<i32>, String, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .map(|(c, e, v)| ((c.unwrap_or_default(), e), v))
        .collect();
    let mut out: Vec<ReportedNumber> = Vec::new();
    let mut index: HashMap<(i32, String), usize> = HashMap::new();
    let mut callers: std::collections::HashSet<(usize, String)> = Default::default();
    for (contact_id, e164, problem, note, reporter, created_at, slug, name) in rows {
        let key = (contact_id, e164.clone());
        let at = *index.entry(key.clone()).or_insert_with(|| {
            out.push(ReportedNumber {
                contact: slug,
                contact_name: name,
                display: PhoneNumber::from_stored(&e164, None)
                    .map(|p| p.display())
                    .unwrap_or_else(|_| e164.clone()),
                e164,
                count: 0,
                callers: 0,
                latest: created_at,
                verified_at: checked.get(&key).copied().flatten(),
                reports: Vec::new(),
            });
            out.len() - 1
        });
        out[at].count += 1;
        if callers.insert((at, reporter)) {
            out[at].callers += 1;
        }
        out[at].reports.push(ReportLine {
            problem,
            note,
            created_at,
        });
    }
    Ok(out)
}

/// An organizer checked the number: it is marked verified now and its open reports are
/// closed. Answers how many reports were closed.
pub fn verify(conn: &mut DbConn, contact_slug: &str, e164: &str, actor: &Actor) -> Result<usize> {
    super::write_tx(conn, |conn| {
        let c = super::contacts::find(conn, contact_slug)?.ok_or(Error::NotFound("contact"))?;
        let marked = diesel::update(
            phones::table
                .filter(phones::contact_id.eq(c.id))
                .filter(phones::e164.eq(e164)),
        )
        .set(phones::verified_at.eq(actor.at))
        .execute(conn)?;
        if marked == 0 {
            return Err(Error::NotFound("phone number"));
        }
        let closed = diesel::update(
            phone_reports::table
                .filter(phone_reports::contact_id.eq(c.id))
                .filter(phone_reports::e164.eq(e164))
                .filter(phone_reports::resolved_at.is_null()),
        )
        .set(phone_reports::resolved_at.eq(actor.at))
        .execute(conn)?;
        super::changes::audit(
            conn,
            actor,
            "verify",
            "phone",
            Some(c.id),
            &serde_json::json!({"e164": e164, "reports_closed": closed}),
        )?;
        // Officials' numbers are in the in-memory directory too (as `contacts::upsert` has it).
        settings::bump_directory_version(conn)?;
        Ok(closed)
    })
}

/// A contact's number not checked since `before` (or never).
#[derive(Debug, Clone, Serialize)]
pub struct Unchecked {
    pub contact: String,
    pub contact_name: String,
    pub display: String,
    pub verified_at: Option<NaiveDateTime>,
}

/// Contacts' numbers unchecked since `before`, the longest unchecked first (at most `limit`),
/// and how many there are in all.
pub fn unchecked(
    conn: &mut DbConn,
    before: NaiveDateTime,
    limit: i64,
) -> Result<(Vec<Unchecked>, i64)> {
    let stale = phones::verified_at
        .is_null()
        .or(phones::verified_at.lt(before));
    let total: i64 = phones::table
        .inner_join(contacts::table)
        .filter(stale)
        .count()
        .get_result(conn)?;
    let rows: Vec<(String, String, String, Option<NaiveDateTime>)> = phones::table
        .inner_join(contacts::table)
        .filter(stale)
        .order((phones::verified_at.asc(), contacts::name.asc()))
        .select((
            contacts::slug,
            contacts::name,
            phones::e164,
            phones::verified_at,
        ))
        .limit(limit)
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(contact, contact_name, e164, verified_at)| Unchecked {
                contact,
                contact_name,
                display: PhoneNumber::from_stored(&e164, None)
                    .map(|p| p.display())
                    .unwrap_or(e164),
                verified_at,
            })
            .collect(),
        total,
    ))
}

/// Marks the numbers of contacts of these kinds checked on `at` (an import's file date),
/// unless an organizer checked them later; `import_at` is the time the import wrote, when
/// the numbers it added were stamped.
pub fn mark_imported(
    conn: &mut DbConn,
    kinds: &[ContactKind],
    at: NaiveDateTime,
    import_at: NaiveDateTime,
) -> Result<usize> {
    let of_kinds = contacts::table
        .filter(contacts::kind.eq_any(kinds))
        .select(contacts::id);
    Ok(diesel::update(
        phones::table
            .filter(phones::contact_id.eq_any(of_kinds.nullable()))
            .filter(
                phones::verified_at
                    .is_null()
                    .or(phones::verified_at.lt(at))
                    .or(phones::verified_at.eq(import_at)),
            ),
    )
    .set(phones::verified_at.eq(at))
    .execute(conn)?)
}
