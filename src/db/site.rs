//! The whole site as one JSON document (`actiondesk export` / `actiondesk import site`):
//! every table that pages, feeds and the API read, row by row with their ids, so links,
//! cursors and the change log mean the same after an import into another database of
//! either backend.
//!
//! Left out on purpose: passwords (organizers come without one and must be given one with
//! `actiondesk organizer password`), API tokens and sign-in sessions (credentials), the
//! outbox, digest runs and their bodies (mail in flight: drain it with `digest run` before
//! exporting), the generated `SECRET_KEY` and, with `--no-subscribers`, the subscribers.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{on_backend, schema, settings, DbConn, Error, Result};
use crate::domain::{
    Chamber, Frequency, LinkKind, Outcome, Problem, Relation, SubscriberStatus, TargetKind,
};

/// What the document says it is; an import refuses anything else.
pub const FORMAT: &str = "actiondesk-site";
/// The document's version: bumped when a table or column changes meaning.
pub const VERSION: i64 = 1;

/// Settings that belong to one database and never travel.
const LOCAL_SETTINGS: &[&str] = &["secret_key", "initialized"];

/// Options of an export.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// Include subscribers, what they follow and their link tokens.
    pub subscribers: bool,
}

/// Rows inserted per statement: well under both backends' bound-parameter limits.
const CHUNK: usize = 200;

/// Latitude and longitude as text: Rust's float formatting and parsing round-trip exactly,
/// where a JSON number read back might land one unit off.
mod float_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(f) => s.serialize_some(&f.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// For each table: its row type, how to read it in a stable order, and how to write it
/// back; `subscriber` tables are left out by `--no-subscribers`. A row type is either the
/// model itself (`actions(id): Actions = super::actions::Action;`: it derives `Insertable`
/// and `Deserialize` with `treat_none_as_default_value = false` and `deny_unknown_fields`),
/// so a column added to the model travels with no edit here, or a struct listed here
/// (`Organizers { id: i32, … }`) where the model leaves a column out or writes it otherwise.
/// Either way the compiler checks that the row holds every column, in schema order.
macro_rules! site_tables {
    ($( $table:ident ($first:ident $(, $rest:ident)*) $(subscriber $sub:tt)? : $Row:ident
        $( = $model:path ; )?
        $( {
            $( $(#[$m:meta])* $col:ident : $ty:ty ),* $(,)?
        } )?
    )*) => {
        $(
            $( type $Row = $model; )?
            $(
                #[derive(Debug, Queryable, Selectable, Insertable, Serialize, Deserialize)]
                #[diesel(table_name = schema::$table)]
                #[diesel(treat_none_as_default_value = false)]
                #[serde(deny_unknown_fields)]
                struct $Row {
                    $( $(#[$m])* $col: $ty, )*
                }
            )?

            // The row is the whole table, in schema order (what `load` reads positionally).
            const _: fn(
                <schema::$table::table as diesel::Table>::AllColumns,
            ) -> <$Row as Selectable<diesel::sqlite::Sqlite>>::SelectExpression = |c| c;
        )*

        /// The tables in the order they are inserted (every row after those it names).
        pub const TABLES: &[&str] = &[$(stringify!($table)),*];

        /// Each table's first key column: `id` where PostgreSQL numbers rows by a sequence.
        const SEQUENCED: &[&str] = &[$( stringify!($first) ),*];

        fn is_subscriber_table(name: &str) -> bool {
            $( if name == stringify!($table) { return false $( || $sub )?; } )*
            false
        }

        fn dump_tables(
            conn: &mut DbConn,
            opts: ExportOptions,
        ) -> Result<serde_json::Map<String, Value>> {
            let mut out = serde_json::Map::new();
            $(
                if opts.subscribers || !is_subscriber_table(stringify!($table)) {
                    let rows: Vec<$Row> = schema::$table::table
                        .order_by((schema::$table::$first, $(schema::$table::$rest,)*))
                        .load(conn)?;
                    let rows = rows.into_iter().map(scrub).collect::<Vec<_>>();
                    out.insert(
                        stringify!($table).to_string(),
                        serde_json::to_value(rows).expect("rows serialise"),
                    );
                }
            )*
            Ok(out)
        }

        fn count_rows(conn: &mut DbConn) -> Result<Vec<(&'static str, i64)>> {
            let mut out = Vec::new();
            $(
                let n: i64 = schema::$table::table.count().get_result(conn)?;
                out.push((stringify!($table), n));
            )*
            Ok(out)
        }

        fn load_tables(
            conn: &mut DbConn,
            tables: &mut serde_json::Map<String, Value>,
        ) -> Result<Vec<(&'static str, usize)>> {
            let mut counts = Vec::new();
            $(
                let value = tables.remove(stringify!($table)).unwrap_or(Value::Array(Vec::new()));
                let Value::Array(items) = value else {
                    return Err(Error::invalid(
                        format!("tables.{}", stringify!($table)),
                        "must be a list of rows",
                    ));
                };
                let mut rows: Vec<$Row> = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let row = serde_json::from_value(item).map_err(|e| {
                        Error::invalid(format!("tables.{}[{i}]", stringify!($table)), e.to_string())
                    })?;
                    rows.push(unscrub(row));
                }
                for chunk in rows.chunks(CHUNK) {
                    on_backend!(&mut *conn, |c| diesel::insert_into(schema::$table::table)
                        .values(chunk)
                        .execute(c))?;
                }
                counts.push((stringify!($table), rows.len()));
            )*
            Ok(counts)
        }
    };
}

/// What an exported row loses (a password) and an imported one gets back in its place.
trait Scrub: Sized {
    fn scrub(self) -> Self {
        self
    }
    fn unscrub(self) -> Self {
        self
    }
}

fn scrub<T: Scrub>(row: T) -> T {
    row.scrub()
}

fn unscrub<T: Scrub>(row: T) -> T {
    row.unscrub()
}

impl Scrub for Organizers {
    /// Never exported.
    fn scrub(mut self) -> Self {
        self.password_hash = String::new();
        self
    }
    /// An empty hash never verifies: no one signs in until a password is set.
    fn unscrub(mut self) -> Self {
        self.password_hash = String::new();
        self
    }
}

macro_rules! no_scrub {
    ($($Row:ident),*) => { $( impl Scrub for $Row {} )* };
}

no_scrub!(
    BounceEvents,
    Campaigns,
    Contacts,
    ContactOffices,
    Hotlines,
    Phones,
    Actions,
    Scripts,
    ActionTags,
    ActionLinks,
    ActionTargets,
    Updates,
    UpdateActions,
    Changes,
    Revisions,
    AuditLog,
    Outcomes,
    PhoneReports,
    ZipDistricts,
    ZipStateDistricts,
    Subscribers,
    SubscriberCampaigns,
    SubscriberTokens
);

site_tables! {
    organizers(id): Organizers {
        id: i32,
        email: String,
        #[serde(skip_serializing, default)]
        password_hash: String,
        is_admin: bool,
        active: bool,
        created_at: NaiveDateTime,
        last_login_at: Option<NaiveDateTime>,
    }
    campaigns(id): Campaigns = super::campaigns::Campaign;
    contacts(id): Contacts = super::contacts::Contact;
    contact_offices(id): ContactOffices {
        id: i32,
        contact_id: i32,
        external_id: Option<String>,
        address: String,
        city: String,
        state: String,
        zip: String,
        phone_e164: Option<String>,
        fax_e164: Option<String>,
        #[serde(with = "float_text")]
        latitude: Option<f64>,
        #[serde(with = "float_text")]
        longitude: Option<f64>,
    }
    hotlines(id): Hotlines = super::contacts::Hotline;
    phones(id): Phones = super::contacts::Phone;
    actions(id): Actions = super::actions::Action;
    scripts(id): Scripts {
        id: i32,
        action_id: i32,
        lang: String,
        body: String,
    }
    action_tags(action_id, tag): ActionTags {
        action_id: i32,
        tag: String,
    }
    action_links(id): ActionLinks {
        id: i32,
        action_id: i32,
        kind: LinkKind,
        title: String,
        url: String,
        position: i32,
    }
    action_targets(id): ActionTargets {
        id: i32,
        action_id: i32,
        kind: TargetKind,
        contact_id: Option<i32>,
        note: String,
        position: i32,
    }
    updates(id): Updates = super::updates::Update;
    update_actions(update_id, action_id): UpdateActions {
        update_id: i32,
        action_id: i32,
        relation: Relation,
    }
    changes(id): Changes = super::changes::Change;
    revisions(id): Revisions = super::changes::Revision;
    audit_log(id): AuditLog = super::changes::AuditEntry;
    outcomes(id): Outcomes {
        id: i32,
        action_id: i32,
        contact_id: Option<i32>,
        outcome: Outcome,
        created_at: NaiveDateTime,
    }
    phone_reports(id): PhoneReports {
        id: i32,
        contact_id: i32,
        e164: String,
        problem: Problem,
        note: String,
        created_at: NaiveDateTime,
        resolved_at: Option<NaiveDateTime>,
        #[serde(default)]
        reporter: String,
    }
    zip_districts(zcta, state, district): ZipDistricts = super::districts::ZipDistrict;
    zip_state_districts(id): ZipStateDistricts {
        id: i32,
        zcta: String,
        state: String,
        state_fips: String,
        chamber: Chamber,
        district: String,
    }
    subscribers(id) subscriber true: Subscribers {
        id: i32,
        email: String,
        status: SubscriberStatus,
        frequency: Frequency,
        manage_token_hash: String,
        confirm_token_hash: Option<String>,
        last_change_id: i32,
        bounce_count: i32,
        created_at: NaiveDateTime,
        confirmed_at: Option<NaiveDateTime>,
        unsubscribed_at: Option<NaiveDateTime>,
        last_sent_at: Option<NaiveDateTime>,
        source: String,
    }
    subscriber_campaigns(subscriber_id, campaign_id) subscriber true: SubscriberCampaigns {
        subscriber_id: i32,
        campaign_id: i32,
    }
    subscriber_tokens(id) subscriber true: SubscriberTokens {
        id: i32,
        subscriber_id: i32,
        token_hash: String,
        purpose: String,
        created_at: NaiveDateTime,
        legacy: bool,
    }
    bounce_events(id) subscriber true: BounceEvents = super::bounces::BounceEvent;
}

/// The whole site as one JSON document, read in one transaction (a consistent snapshot,
/// also while the site serves and changes).
pub fn export(conn: &mut DbConn, opts: ExportOptions) -> Result<Value> {
    conn.transaction(|conn| {
        if let DbConn::Pg(c) = conn {
            c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        let tables = dump_tables(conn, opts)?;
        let settings: BTreeMap<String, String> = schema::settings::table
            .order_by(schema::settings::key)
            .select((schema::settings::key, schema::settings::value))
            .load::<(String, String)>(conn)?
            .into_iter()
            .filter(|(k, _)| !LOCAL_SETTINGS.contains(&k.as_str()))
            .collect();
        Ok(serde_json::json!({
            "format": FORMAT,
            "version": VERSION,
            "exported_at": super::now(),
            "subscribers": opts.subscribers,
            "settings": settings,
            "tables": tables,
        }))
    })
}

/// What an import wrote: rows per table.
#[derive(Debug)]
pub struct Imported(pub Vec<(&'static str, usize)>);

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        write!(f, "import site: {}", parts.join(", "))
    }
}

/// Fills an empty database from an exported document, in one write transaction: a
/// database that holds anything already, or a document that does not read, changes
/// nothing. Ids are kept (pages, links, subscriber cursors and the change log name them);
/// PostgreSQL's sequences are moved past them. The content and directory versions move
/// past both databases', so a server already running on this database reloads.
///
/// Run it inside no other transaction: it opens its own.
pub fn import(conn: &mut DbConn, doc: Value) -> Result<Imported> {
    let Value::Object(mut doc) = doc else {
        return Err(Error::invalid("FILE", "is not a JSON object"));
    };
    if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(Error::invalid(
            "format",
            format!("is not {FORMAT:?}: this is not an `actiondesk export` document"),
        ));
    }
    match doc.get("version").and_then(Value::as_i64) {
        Some(VERSION) => {}
        other => {
            return Err(Error::invalid(
                "version",
                format!("{other:?} is not {VERSION}, the version this actiondesk reads"),
            ))
        }
    }
    let mut tables = match doc.remove("tables") {
        Some(Value::Object(t)) => t,
        _ => return Err(Error::invalid("tables", "missing or not an object")),
    };
    if let Some(unknown) = tables.keys().find(|k| !TABLES.contains(&k.as_str())) {
        return Err(Error::invalid(
            format!("tables.{unknown}"),
            "is not a table this actiondesk imports",
        ));
    }
    let imported_settings: BTreeMap<String, String> = match doc.remove("settings") {
        None => BTreeMap::new(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| Error::invalid("settings", e.to_string()))?
        }
    };
    super::write_tx(conn, |conn| {
        let held: Vec<String> = count_rows(conn)?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{t}: {n}"))
            .collect();
        if !held.is_empty() {
            return Err(Error::Conflict {
                field: "DATABASE_URL".into(),
                message: format!(
                    "the database is not empty ({}); `import site` only fills an empty \
                     database: point DATABASE_URL at a new one (and start it with \
                     `actiondesk migrate`, or `serve --no-demo`)",
                    held.join(", ")
                ),
            });
        }
        let (content, directory) = settings::versions(conn)?;
        let counts = load_tables(conn, &mut tables)?;
        for (k, v) in &imported_settings {
            if !LOCAL_SETTINGS.contains(&k.as_str()) {
                settings::set(conn, k, v)?;
            }
        }
        let number = |k: &str| {
            imported_settings
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0)
        };
        settings::set(
            conn,
            "content_version",
            &(content.max(number("content_version")) + 1).to_string(),
        )?;
        settings::set(
            conn,
            "directory_version",
            &(directory.max(number("directory_version")) + 1).to_string(),
        )?;
        // A new database holding a site is not a brand-new one: `serve` loads no demo.
        if settings::get(conn, "initialized")?.is_none() {
            settings::set(conn, "initialized", &super::now().to_string())?;
        }
        if let DbConn::Pg(c) = conn {
            for t in TABLES.iter().zip(SEQUENCED) {
                if let (table, &"id") = t {
                    c.batch_execute(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    ))?;
                }
            }
        }
        Ok(Imported(counts))
    })
}
