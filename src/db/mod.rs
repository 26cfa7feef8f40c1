//! Everything diesel: the connection over both backends, the pool, embedded migrations,
//! write transactions, and one file per table group with the queries next to their models.

pub mod actions;
pub mod bounces;
pub mod campaigns;
pub mod changes;
mod columns;
pub mod contacts;
pub mod dashboard;
pub mod digest_sources;
pub mod districts;
pub mod feeds;
pub mod legislators;
pub mod libpq;
pub mod mail_rate;
pub mod officials;
pub mod outbox;
pub mod outcomes;
pub mod people;
pub mod phone_reports;
pub mod retention;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod site;
pub mod sqlite_memory;
pub mod state_districts;
pub mod stats;
pub mod subscribers;
pub mod tokens;
pub mod updates;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::domain::InvalidInput;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection type over both backends; queries are written once against `schema`.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs one diesel statement on whichever backend `conn` holds, for statements the
/// multi-backend connection cannot express (inserting many rows in one statement):
/// `on_backend!(conn, |c| insert_into(t).values(&rows).execute(c))`.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file (`sqlite://PATH`, `sqlite:PATH` or a plain path).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `DATABASE_URL`; anything that is neither a PostgreSQL URL nor a path is refused.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, InvalidInput> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw)
                .map_err(|e| InvalidInput(format!("is not a valid PostgreSQL URL ({e})")))?;
            if parsed.host_str().unwrap_or("").is_empty() && !raw.contains("host=") {
                return Err(InvalidInput("names no PostgreSQL host".into()));
            }
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() {
            return Err(InvalidInput("is empty".into()));
        }
        if path.contains("://") {
            return Err(InvalidInput(
                "must be sqlite://PATH, a plain path, or postgres://…".into(),
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password masked, for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => match url::Url::parse(u) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("****"));
                    url.to_string()
                }
                _ => u.clone(),
            },
        }
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

/// Errors of the storage room. The web layer maps them to responses in one place.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    #[error("cannot open the database at {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
}

/// A unique index refusing a row is a conflict (two writers racing for one slug: the
/// database decides); every other diesel error stays as it is.
impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        use diesel::result::{DatabaseErrorKind, Error as E};
        match e {
            E::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => Error::Conflict {
                field: info.column_name().unwrap_or("").to_string(),
                message: "this already exists (someone saved the same at the same time)".into(),
            },
            other => Error::Query(other),
        }
    }
}

impl Error {
    /// A bad value for a named input field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Attaches the name of the field at fault to a domain parse error.
pub trait FieldExt<T> {
    /// Turns `Err(InvalidInput)` into `Err(Error::Invalid { field, .. })`.
    fn field(self, name: &str) -> Result<T, Error>;
}

impl<T> FieldExt<T> for Result<T, InvalidInput> {
    fn field(self, name: &str) -> Result<T, Error> {
        self.map_err(|e| Error::invalid(name, e.0))
    }
}

/// Result of the storage room.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Opens connections for the pool, with SQLite tuned for concurrent use.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = Error;

    fn connect(&self) -> Result<DbConn> {
        let connect_err = |cause: String| Error::Connect {
            url: self.url.redacted(),
            cause,
        };
        match &self.url {
            DatabaseUrl::Postgres(u) => {
                libpq::no_openssl_cleanup_at_exit();
                PgConnection::establish(u)
                    .map(DbConn::Pg)
                    .map_err(|e| connect_err(e.to_string()))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut c = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(|e| connect_err(e.to_string()))?;
                // WAL lets readers run beside the one writer; the busy timeout makes a
                // second writer wait instead of failing; writes begin IMMEDIATE (see
                // `write_tx`) so no transaction has to upgrade a read lock.
                c.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|e| connect_err(e.to_string()))?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<()> {
        conn.ping().map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// A pooled connection.
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// The database: a connection pool and which backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    url: DatabaseUrl,
}

impl Db {
    /// Connects (failing at once with the cause when the database cannot be reached),
    /// then builds the pool.
    pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<Db> {
        let manager = Manager { url: url.clone() };
        // One direct connection first: r2d2 alone would only report a timeout.
        let mut first = manager.connect()?;
        manager.is_valid(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            // No idle minimum: r2d2 would open replacement connections on background
            // threads that a one-shot CLI command does not need (and that, before
            // `libpq::no_openssl_cleanup_at_exit`, crashed `actiondesk demo` at exit).
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(15))
            .build(manager)
            .map_err(|e| Error::Connect {
                url: url.redacted(),
                cause: e.to_string(),
            })?;
        Ok(Db {
            pool,
            url: url.clone(),
        })
    }

    /// The database this pool talks to.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A connection for blocking code (the CLI, the worker's blocking tasks).
    pub fn get(&self) -> Result<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking diesel work on tokio's blocking pool, never on an async worker. The
    /// work may fail with any error a storage error converts into (the mail room's, …).
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| E::from(Error::Pool(e)))?;
            f(&mut conn)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// The pool's connections: (open, idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }

    /// Runs pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize> {
        let mut conn = self.get()?;
        migrate(&mut conn)
    }
}

/// Runs the embedded migrations of the connection's backend.
pub fn migrate(conn: &mut DbConn) -> Result<usize> {
    let err = |e: Box<dyn std::error::Error + Send + Sync>| Error::Migration(e.to_string());
    match conn {
        DbConn::Sqlite(c) => {
            let ran = c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(err)?
                .len();
            write_tx(conn, settings::id_permutation)?;
            Ok(ran)
        }
        DbConn::Pg(c) => {
            // Two processes starting at once on one database migrate one after the other
            // (and agree on the key made once after).
            c.batch_execute("SELECT pg_advisory_lock(727274001)")?;
            let ran = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(err)
                .and_then(|n| settings::id_permutation(conn).map(|_| n));
            let DbConn::Pg(c) = conn else {
                unreachable!("matched above")
            };
            c.batch_execute("SELECT pg_advisory_unlock(727274001)")?;
            ran
        }
    }
}

/// Reverts every migration of the connection's backend, newest first (their `down.sql`);
/// returns how many ran. For the check that each migration can be undone.
pub fn revert_all(conn: &mut DbConn) -> Result<usize> {
    let err = |e: Box<dyn std::error::Error + Send + Sync>| Error::Migration(e.to_string());
    match conn {
        DbConn::Sqlite(c) => Ok(c
            .revert_all_migrations(SQLITE_MIGRATIONS)
            .map_err(err)?
            .len()),
        DbConn::Pg(c) => Ok(c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map_err(err)?
            .len()),
    }
}

/// Writers of this process to SQLite take turns here first: a mutex hands the turn over at
/// once, where SQLite's busy handler would sleep (1, 2, 5, 10 … ms) between tries.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a write transaction. On SQLite it begins `IMMEDIATE`, taking the write lock
/// up front so that concurrent writers queue (in this process on a mutex, across processes
/// on the busy timeout) instead of failing with "database is locked" when a read lock
/// cannot be upgraded. Never nest: `f` must not start another write transaction.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut DbConn) -> std::result::Result<T, E>,
    E: From<diesel::result::Error>,
{
    if matches!(conn, DbConn::Pg(_)) {
        return conn.transaction(f);
    }
    let _turn = SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner());
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    let DbConn::Sqlite(c) = conn else {
        unreachable!("checked above")
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(c)?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(c)?;
            Err(e)
        }
    }
}

/// The current time in UTC, to the microsecond (both backends keep microseconds).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Who made a change and when: written into the change log, revisions and audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The organizer, when a person did it.
    pub organizer_id: Option<i32>,
    /// A readable name: the organizer's email, "system" or "demo".
    pub name: String,
    /// When the change takes effect.
    pub at: chrono::NaiveDateTime,
}

impl Actor {
    /// The service itself (expiry worker, imports), now.
    pub fn system() -> Actor {
        Actor {
            organizer_id: None,
            name: "system".into(),
            at: now(),
        }
    }
}

/// Small named values kept in the `settings` table.
pub mod settings {
    use super::schema::settings::dsl as s;
    use super::*;

    /// Reads a value.
    pub fn get(conn: &mut DbConn, key: &str) -> Result<Option<String>> {
        Ok(s::settings
            .filter(s::key.eq(key))
            .select(s::value)
            .first(conn)
            .optional()?)
    }

    /// Writes a value, replacing any earlier one.
    pub fn set(conn: &mut DbConn, key: &str, value: &str) -> Result<()> {
        let updated = diesel::update(s::settings.filter(s::key.eq(key)))
            .set(s::value.eq(value))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(s::settings)
                .values((s::key.eq(key), s::value.eq(value)))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The key of the site's [`crate::security::ids::Permutation`] (row ids in links and
    /// Message-IDs), made once at random and kept, so every process agrees on it.
    pub fn id_permutation(conn: &mut DbConn) -> Result<crate::security::ids::Permutation> {
        let key = match get(conn, "id_key")? {
            Some(k) => k,
            None => {
                let k = crate::security::new_token();
                set(conn, "id_key", &k)?;
                k
            }
        };
        Ok(crate::security::ids::Permutation::new(key.as_bytes()))
    }

    /// The version of public content; every write bumps it so cached pages go stale at once.
    pub fn content_version(conn: &mut DbConn) -> Result<i64> {
        number(conn, "content_version")
    }

    /// A value kept as a number (0 when unset).
    fn number(conn: &mut DbConn, key: &str) -> Result<i64> {
        Ok(get(conn, key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Bumps the content version; call inside the transaction of any public write.
    pub fn bump_content_version(conn: &mut DbConn) -> Result<i64> {
        let next = content_version(conn)? + 1;
        set(conn, "content_version", &next.to_string())?;
        LAST_LOCAL_BUMP_MS.store(unix_millis(), std::sync::atomic::Ordering::SeqCst);
        Ok(next)
    }

    /// The version of the directory (ZIP code areas, members of Congress, their numbers
    /// and offices): bumped with the content version by the writes that change it, so the
    /// in-memory directory is rebuilt only when it has to be.
    pub fn directory_version(conn: &mut DbConn) -> Result<i64> {
        number(conn, "directory_version")
    }

    /// Bumps the directory version and the content version; call inside the transaction
    /// of any write to the directory's tables.
    pub fn bump_directory_version(conn: &mut DbConn) -> Result<i64> {
        let next = directory_version(conn)? + 1;
        set(conn, "directory_version", &next.to_string())?;
        bump_content_version(conn)
    }

    /// The content and directory versions, read together.
    pub fn versions(conn: &mut DbConn) -> Result<(i64, i64)> {
        let rows: Vec<(String, String)> = s::settings
            .filter(s::key.eq_any(["content_version", "directory_version"]))
            .select((s::key, s::value))
            .load(conn)?;
        let of = |k: &str| {
            rows.iter()
                .find(|(key, _)| key == k)
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0)
        };
        Ok((of("content_version"), of("directory_version")))
    }

    /// When this process last bumped the content version (Unix milliseconds, 0 = never).
    /// The page cache re-reads the stored version on every request for a while after it,
    /// since the bump becomes visible only when its transaction commits.
    static LAST_LOCAL_BUMP_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    /// See [`LAST_LOCAL_BUMP_MS`].
    pub fn last_local_bump_ms() -> u64 {
        LAST_LOCAL_BUMP_MS.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}
