//! The command line (SPEC "Command line"): parses arguments, calls into the library, and
//! maps every error to an exit status in one place: 2 for bad usage or input naming the
//! field, 1 for anything else with its cause.

use std::io::{BufRead, IsTerminal};

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, Settings};
use crate::db::{self, people, tokens, Actor};
use crate::domain::{ContactKind, EmailAddress};
use crate::startup::{self, Application, ServeOptions};
use crate::{demo, reps, security, worker};

#[derive(Debug, Parser)]
#[command(
    name = "actiondesk",
    version,
    about = "Calls to action in one trustworthy, always-current place"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run migrations, serve HTTP and run the background worker (the default).
    Serve(ServeArgs),
    /// Run pending migrations and exit.
    Migrate,
    /// Load the demo campaign (running it twice changes nothing).
    Demo,
    /// Manage organizer accounts.
    #[command(subcommand)]
    Organizer(OrganizerCommand),
    /// Expire published actions whose expiry time has passed.
    Expire,
    /// Import representatives data (congress-legislators YAML, ZIP-to-district CSV), or a
    /// whole site written by `export`.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Subscriber digests.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Bring a list of subscribers in, or take it out, as CSV.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Delivery status notifications and complaints.
    #[command(subcommand)]
    Bounces(BouncesCommand),
    /// Write a consistent copy of the SQLite database to FILE, even while it serves
    /// (PostgreSQL: use pg_dump). An existing FILE is never overwritten.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: std::path::PathBuf,
    },
    /// Write the whole site as one JSON document (campaigns, actions with their history,
    /// updates, contacts, hotlines, the change log, the directory, organizers without
    /// passwords, subscribers) to FILE, or to standard output; `import site` reads it.
    Export {
        /// Where to write it (replaced if it exists); standard output without it.
        file: Option<std::path::PathBuf>,
        /// Leave out subscribers, what they follow and their link tokens.
        #[arg(long)]
        no_subscribers: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SubscribersCommand {
    /// Import `email,campaigns,frequency,confirmed_at,source` rows (campaigns are
    /// `;`-separated slugs, empty for all): rows with `confirmed_at` come in confirmed, the
    /// others get a confirmation email; addresses already known are left as they are. Every
    /// row is checked first: a bad one is named by line and field, and nothing is stored.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
    },
    /// Write every subscriber as CSV (the import's columns, then `status,bounces`).
    Export {
        /// Where to write it (replaced if it exists); standard output without it.
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum BouncesCommand {
    /// Read one message from standard input, as an MTA's pipe transport delivers it: an
    /// RFC 3464 delivery status notification or an RFC 5965 (ARF) complaint. A hard bounce
    /// or a complaint suppresses its subscriber, so do 3 soft bounces within 14 days.
    /// Prints what it did; exits 0 whether or not it matched a subscriber, 2 on unreadable
    /// input.
    Process {
        /// The address the message was delivered to (Postfix: `${original_recipient}`),
        /// e.g. `bounces+TAG@example.org`.
        #[arg(long)]
        recipient: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum DigestCommand {
    /// Compose and deliver every digest that is due, once, print a summary line and exit.
    Run,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Members of Congress from congress-legislators' legislators-current.yaml.
    Legislators {
        /// The legislators YAML file.
        file: std::path::PathBuf,
        /// Their district offices (legislators-district-offices.yaml).
        #[arg(long)]
        offices: Option<std::path::PathBuf>,
    },
    /// ZIP code areas to congressional districts: a `state_fips,state_abbr,zcta,cd` CSV.
    Zips {
        /// The CSV file.
        file: std::path::PathBuf,
    },
    /// ZIP code areas to one chamber's state legislative districts: a
    /// `state_fips,state_abbr,zcta,district` CSV (districts named as Open States names
    /// them). Replaces that chamber's mapping for the states in the file; states without
    /// one let visitors pick their districts on /reps.
    Districts {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Which chamber the districts are of.
        #[arg(long, value_parser = ["upper", "lower"])]
        chamber: String,
    },
    /// State and local officials from a clone of the Open States people repository:
    /// `DIR/data/<state>/{legislature,executive,municipalities}/*.yml` (`data/us` is left
    /// to `import legislators`). Current roles only: state senators and representatives
    /// (Nebraska's legislature, DC's council), governors, lieutenant governors, attorneys
    /// general, secretaries of state, and municipal officials. Every file is checked
    /// before anything is written; officials gone from the folder become former officials.
    Openstates {
        /// The folder holding `data/`.
        dir: std::path::PathBuf,
    },
    /// A whole site written by `actiondesk export`, into an empty database (one
    /// transaction: anything in the way changes nothing). Organizers come without
    /// passwords: give each one with `actiondesk organizer password EMAIL`.
    Site {
        /// The JSON document.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Print a new API token for an organizer, on one line (shown only this once).
    Create {
        /// The organizer's email address.
        email: String,
        /// A note to recognise the token by, e.g. "newsroom bot".
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List an organizer's tokens (id, created, last used, revoked; never the token).
    List {
        /// The organizer's email address.
        email: String,
    },
    /// Revoke a token by its id (from `token list`); it answers 401 from then on.
    Revoke {
        /// The token's id.
        id: i32,
    },
}

#[derive(Debug, Default, clap::Args)]
struct ServeArgs {
    /// Listen address (overrides BIND).
    #[arg(long)]
    bind: Option<String>,
    /// Do not run the background worker.
    #[arg(long)]
    no_worker: bool,
    /// Do not load the demo campaign into a brand-new database.
    #[arg(long)]
    no_demo: bool,
}

#[derive(Debug, Subcommand)]
enum OrganizerCommand {
    /// Create an organizer; the password is read from standard input or prompted for.
    Add {
        /// The organizer's email address.
        email: String,
        /// Also let them manage organizers and API tokens.
        #[arg(long)]
        admin: bool,
    },
    /// Set an organizer's password (read like `add` does) and end their sessions.
    Password {
        /// The organizer's email address.
        email: String,
    },
}

/// A failure with its exit status.
#[derive(Debug)]
enum Failure {
    /// Bad usage or input: exit 2.
    Input(String),
    /// Anything else: exit 1.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Other(e)
    }
}

impl From<db::Error> for Failure {
    fn from(e: db::Error) -> Failure {
        match e {
            db::Error::Invalid { .. } | db::Error::Conflict { .. } => Failure::Input(e.to_string()),
            other => Failure::Other(other.into()),
        }
    }
}

impl From<reps::Error> for Failure {
    fn from(e: reps::Error) -> Failure {
        match e {
            reps::Error::Db(e) => e.into(),
            other => Failure::Input(other.to_string()),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Failure {
        Failure::Other(e.into())
    }
}

/// Runs the command line and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    if let Err(msg) = init_logging(std::env::var("LOG_FORMAT").ok().as_deref()) {
        eprintln!("error: {msg}");
        return 2;
    }
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(e.into()))
        .and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => 0,
        Err(Failure::Input(msg)) => {
            eprintln!("error: {msg}");
            2
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

/// Logs to standard error, filtered by `RUST_LOG` (default `info`). `LOG_FORMAT=json`
/// writes one JSON object per line, and a line for each answered request (the request
/// span closing) with its method, route, client, status and `request_id`, the id also
/// sent back as `X-Request-Id`; events logged while a request is served carry its span.
fn init_logging(format: Option<&str>) -> Result<(), String> {
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    match format.map(str::trim).unwrap_or("") {
        "" | "text" => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
        "json" => {
            let _ = tracing_subscriber::fmt()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_span_events(FmtSpan::CLOSE)
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
        other => return Err(format!("LOG_FORMAT: expected text or json, not {other:?}")),
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            let settings = Settings::from_env(args.bind)?;
            let app = Application::build(
                settings,
                ServeOptions {
                    worker: !args.no_worker,
                    demo: !args.no_demo,
                },
            )
            .await?;
            app.run_until_signalled()
                .await
                .map_err(anyhow::Error::from)?;
            Ok(())
        }
        Command::Migrate => {
            startup::open_database(&Settings::from_env(None)?).await?;
            println!("migrations: up to date");
            Ok(())
        }
        Command::Demo => {
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let loaded = db.run(demo::load).await?;
            println!(
                "{}",
                if loaded {
                    "demo: loaded the #WhereAreTheChildren campaign"
                } else {
                    "demo: already loaded, nothing changed"
                }
            );
            Ok(())
        }
        Command::Organizer(OrganizerCommand::Add { email, admin }) => {
            let email =
                EmailAddress::parse(&email).map_err(|e| Failure::Input(format!("EMAIL: {e}")))?;
            let password = read_password()?;
            let hash = security::hash_password(&password)
                .map_err(|e| Failure::Input(format!("password: {e}")))?;
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let o = db
                .run(move |conn| {
                    db::write_tx(conn, |conn| {
                        people::create_organizer(conn, &email, &hash, admin, &Actor::system())
                    })
                })
                .await?;
            println!(
                "organizer: created {}{}",
                o.email,
                if o.is_admin { " (admin)" } else { "" }
            );
            Ok(())
        }
        Command::Organizer(OrganizerCommand::Password { email }) => {
            let password = read_password()?;
            let hash = security::hash_password(&password)
                .map_err(|e| Failure::Input(format!("password: {e}")))?;
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let o = db
                .run(move |conn| {
                    db::write_tx(conn, |conn| {
                        people::set_password(conn, &email, &hash, &Actor::system())
                    })
                })
                .await?;
            println!("organizer: password set for {}", o.email);
            Ok(())
        }
        Command::Digest(DigestCommand::Run) => {
            let settings = Settings::from_env(None)?;
            // Sending yields the CPU to visitors: on a machine that also serves pages, a run
            // of 100,000 digests must not double their latency.
            yield_cpu(settings.digest_nice);
            let db = startup::open_database(&settings).await?;
            let mut mailer = crate::mail::transport::Mailer::from_settings(&settings)
                .map_err(|e| Failure::Other(e.into()))?;
            if settings.bounce_address.is_some() {
                let secret = startup::resolve_secret(&db, &settings).await?;
                mailer = mailer.with_bounce_key(&settings, &secret);
            }
            let name = crate::mail::outbox::worker_name();
            // SIGTERM or SIGINT: the messages being sent are finished and marked, the rest
            // is left for the next run, and the summary is printed as usual.
            let stop = crate::mail::outbox::Stop::default();
            let on_signal = stop_on_signal(stop.clone()).map_err(|e| Failure::Other(e.into()))?;
            let summary = crate::mail::outbox::run_once(&db, &settings, &mailer, &name, &stop)
                .await
                .map_err(|e| Failure::Other(e.into()))?;
            on_signal.abort();
            println!("{summary}");
            Ok(())
        }
        Command::Token(cmd) => token_command(cmd).await,
        Command::Subscribers(cmd) => subscribers_command(cmd).await,
        Command::Bounces(BouncesCommand::Process { recipient }) => {
            bounces_process(recipient.as_deref()).await
        }
        Command::Expire => {
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let expired = db.run(worker::expire_once).await?;
            println!("expire: {} action(s) expired", expired.len());
            for slug in expired {
                println!("  {slug}");
            }
            Ok(())
        }
        Command::Import(cmd) => import(cmd).await,
        Command::Backup { file } => backup(&Settings::from_env(None)?, file).await,
        Command::Export {
            file,
            no_subscribers,
        } => export(file, !no_subscribers).await,
    }
}

/// `export [FILE]`: one consistent read of the site, written to standard output or to
/// FILE through a temporary file beside it, so FILE is whole or untouched.
async fn export(file: Option<std::path::PathBuf>, subscribers: bool) -> Result<(), Failure> {
    use std::io::Write;
    let db = startup::open_database(&Settings::from_env(None)?).await?;
    let doc = db
        .run(move |conn| db::site::export(conn, db::site::ExportOptions { subscribers }))
        .await?;
    let mut bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::Other(e.into()))?;
    bytes.push(b'\n');
    match file {
        None => std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| Failure::Other(e.into()))?,
        Some(file) => {
            let name = file
                .file_name()
                .ok_or_else(|| Failure::Input("FILE: names no file".into()))?;
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(".partial");
            let tmp = file.with_file_name(tmp_name);
            std::fs::write(&tmp, &bytes)
                .and_then(|()| std::fs::rename(&tmp, &file))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    Failure::Input(format!("FILE: {}: {e}", file.display()))
                })?;
            eprintln!("export: {} ({} bytes)", file.display(), bytes.len());
        }
    }
    Ok(())
}

/// `backup FILE`: SQLite's `VACUUM INTO`, which reads the database in one transaction, so
/// the copy is consistent while other processes write (they wait at most for its commit
/// point, never for the copy); the copy is compact and has no WAL beside it.
async fn backup(settings: &Settings, file: std::path::PathBuf) -> Result<(), Failure> {
    let url = settings.database_url.clone();
    if url.is_postgres() {
        return Err(Failure::Input(
            "backup copies SQLite databases; for PostgreSQL use pg_dump \
             (e.g. pg_dump --format=custom --file=FILE \"$DATABASE_URL\")"
                .into(),
        ));
    }
    if file.as_os_str().is_empty() {
        return Err(Failure::Input("FILE: must not be empty".into()));
    }
    // Made here, empty and exclusively (VACUUM INTO accepts an empty file): a file that
    // exists is refused, and the one removed after a failure is always our own.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::Input(format!(
                "FILE: {} exists already; backup never overwrites a file",
                file.display()
            )))
        }
        Err(e) => return Err(Failure::Input(format!("FILE: {}: {e}", file.display()))),
    }
    let target = file
        .to_str()
        .ok_or_else(|| Failure::Input("FILE: must be valid UTF-8".into()))?
        .to_string();
    let started = std::time::Instant::now();
    let copied = tokio::task::spawn_blocking(move || -> Result<(), Failure> {
        use diesel::RunQueryDsl;
        let db = db::Db::connect(&url, 1)?;
        let mut conn = db.get()?;
        let db::DbConn::Sqlite(c) = &mut *conn else {
            unreachable!("a SQLite URL opens a SQLite connection")
        };
        diesel::sql_query("VACUUM INTO ?")
            .bind::<diesel::sql_types::Text, _>(&target)
            .execute(c)
            .map_err(|e| Failure::Other(anyhow::anyhow!("backup to {target} failed: {e}")))?;
        Ok(())
    })
    .await
    .map_err(|e| Failure::Other(e.into()))?;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&file);
        return Err(e);
    }
    let bytes = std::fs::metadata(&file).map_or(0, |m| m.len());
    println!(
        "backup: {} ({bytes} bytes) in {:.1} s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `import legislators` and `import zips`: the whole file is read and checked before the
/// database is opened, so a malformed file changes nothing.
async fn import(cmd: ImportCommand) -> Result<(), Failure> {
    use reps::import as imp;
    match cmd {
        ImportCommand::Legislators { file, offices } => {
            let name = file.display().to_string();
            let parsed = imp::parse_legislators(&imp::read(&file)?, &name)?;
            for w in &parsed.warnings {
                eprintln!("warning: {w}");
            }
            let members = parsed.members;
            let offices = match &offices {
                Some(f) => Some(imp::parse_offices(
                    &imp::read(f)?,
                    &f.display().to_string(),
                )?),
                None => None,
            };
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            // The CLI serves nothing meanwhile, so the import blocks this thread.
            let actor = Actor::system();
            let report =
                imp::import_legislators(&mut *db.get()?, &members, offices.as_ref(), &actor)?;
            // Their numbers count as checked on the file's date.
            let checked = imp::file_date(&file)?;
            db::phone_reports::mark_imported(
                &mut *db.get()?,
                &[ContactKind::Senator, ContactKind::Representative],
                checked,
                actor.at,
            )?;
            println!("{report}");
        }
        ImportCommand::Zips { file } => {
            let name = file.display().to_string();
            let (rows, skipped) = imp::parse_zips(&imp::read(&file)?, &name)?;
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let report = imp::import_zips(&mut *db.get()?, &rows, skipped)?;
            println!("{report}");
        }
        ImportCommand::Districts { file, chamber } => {
            let name = file.display().to_string();
            let chamber = crate::domain::Chamber::parse(&chamber)
                .map_err(|e| Failure::Input(format!("--chamber: {}", e.0)))?;
            let (rows, skipped) = imp::parse_state_districts(&imp::read(&file)?, &name, chamber)?;
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let report = imp::import_state_districts(&mut *db.get()?, chamber, &rows, skipped)?;
            println!("{report}");
        }
        ImportCommand::Openstates { dir } => {
            let started = std::time::Instant::now();
            let today = chrono::Utc::now().date_naive();
            let parsed = imp::parse_openstates(&dir, today)?;
            for w in &parsed.warnings {
                eprintln!("warning: {w}");
            }
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let actor = Actor::system();
            let report = imp::import_openstates(&mut *db.get()?, &parsed, &actor)?;
            // Their numbers count as checked on the day the folder's data was written.
            let kinds = [ContactKind::STATE, &[ContactKind::LocalOfficial]].concat();
            db::phone_reports::mark_imported(
                &mut *db.get()?,
                &kinds,
                imp::file_date(&dir.join("data"))?,
                actor.at,
            )?;
            println!("{report}");
            tracing::info!(
                secs = started.elapsed().as_secs_f64(),
                "openstates imported"
            );
        }
        ImportCommand::Site { file } => {
            let name = file.display().to_string();
            let text =
                std::fs::read(&file).map_err(|e| Failure::Input(format!("FILE: {name}: {e}")))?;
            let doc: serde_json::Value = serde_json::from_slice(&text)
                .map_err(|e| Failure::Input(format!("{name}: not JSON: {e}")))?;
            drop(text);
            let db = startup::open_database(&Settings::from_env(None)?).await?;
            let imported = db.run(move |conn| db::site::import(conn, doc)).await?;
            println!("{imported}");
        }
    }
    Ok(())
}

/// `bounces process`: one returned message from standard input.
async fn bounces_process(recipient: Option<&str>) -> Result<(), Failure> {
    use crate::mail::bounces::{self as parse, Report};
    use std::io::Read;
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut raw)
        .map_err(|e| Failure::Input(format!("standard input: {e}")))?;
    let bounce = match parse::parse(&raw, recipient)
        .map_err(|e| Failure::Input(format!("unreadable input: {e}")))?
    {
        Report::Ignored(why) => {
            println!("bounces: ignored: {why}");
            return Ok(());
        }
        Report::Bounce(b) => b,
    };
    let settings = Settings::from_env(None)?;
    let db = startup::open_database(&settings).await?;
    let verp_id = match &settings.bounce_address {
        Some(a) => {
            let secret = startup::resolve_secret(&db, &settings).await?;
            let verp = crate::mail::verp::Verp::new(a, &secret);
            bounce
                .return_paths
                .iter()
                .find_map(|p| verp.subscriber_in(p))
        }
        None => None,
    };
    let source = match bounce.kind {
        crate::domain::BounceKind::Complaint => "arf",
        _ => "dsn",
    };
    let b = bounce.clone();
    let done = db
        .run(move |conn| {
            db::write_tx(conn, |conn| -> db::Result<_> {
                let Some(s) = db::bounces::resolve(conn, verp_id, &b.recipients)? else {
                    return Ok(None);
                };
                let r = db::bounces::record(conn, s.id, b.kind, &b.reason, source, db::now())?;
                Ok(Some((s.email, r)))
            })
        })
        .await?;
    let kind = bounce.kind.label().to_lowercase();
    match done {
        None => println!(
            "bounces: {kind} for no known subscriber ({}); nothing changed",
            bounce.recipients.join(", ")
        ),
        Some((email, r)) => {
            let what = match r {
                db::bounces::Recorded::Suppressed => "suppressed",
                db::bounces::Recorded::AlreadyOff => "recorded (already not mailed)",
                db::bounces::Recorded::Counted => "recorded (not suppressed)",
            };
            println!("bounces: {kind} for {email}: {what} ({})", bounce.reason);
        }
    }
    Ok(())
}

async fn subscribers_command(cmd: SubscribersCommand) -> Result<(), Failure> {
    use crate::mail::subscriber_csv;
    let settings = Settings::from_env(None)?;
    match cmd {
        SubscribersCommand::Import { file } => {
            let name = file.display().to_string();
            let text = reps::import::read(&file)?;
            let rows = subscriber_csv::parse(&text, &name).map_err(Failure::Input)?;
            let db = startup::open_database(&settings).await?;
            let done = subscriber_csv::import(&mut *db.get()?, &settings, &rows, db::now())
                .map_err(|e| match e {
                    crate::mail::Error::Db(e) => Failure::from(e),
                    other => Failure::Other(other.into()),
                })?;
            println!("{done}");
        }
        SubscribersCommand::Export { file } => {
            let db = startup::open_database(&settings).await?;
            let mut conn = db.get()?;
            let written = match &file {
                Some(path) => {
                    let f = std::fs::File::create(path)
                        .map_err(|e| Failure::Input(format!("FILE: {}: {e}", path.display())))?;
                    subscriber_csv::export(&mut conn, std::io::BufWriter::new(f))
                }
                None => subscriber_csv::export(&mut conn, std::io::stdout().lock()),
            };
            written.map_err(|e| Failure::Other(e.into()))?;
        }
    }
    Ok(())
}

async fn token_command(cmd: TokenCommand) -> Result<(), Failure> {
    let db = startup::open_database(&Settings::from_env(None)?).await?;
    let organizer = |conn: &mut db::DbConn, email: &str| {
        people::find_organizer(conn, email)?.ok_or_else(|| {
            db::Error::invalid("EMAIL", format!("no organizer with the email {email}"))
        })
    };
    match cmd {
        TokenCommand::Create { email, label } => {
            let made = db
                .run(move |conn| {
                    db::write_tx(conn, |conn| {
                        let o = organizer(conn, &email)?;
                        tokens::create(conn, o.id, &label, &Actor::system())
                    })
                })
                .await?;
            println!("{}", made.plain);
        }
        TokenCommand::List { email } => {
            let list = db
                .run(move |conn| {
                    let o = organizer(conn, &email)?;
                    tokens::list_for(conn, o.id)
                })
                .await?;
            let when = |t: Option<chrono::NaiveDateTime>| {
                t.map_or("-".to_string(), |t| t.and_utc().to_rfc3339())
            };
            for t in list {
                println!(
                    "{}\t{}\tcreated {}\tlast used {}\t{}{}",
                    t.id,
                    t.fingerprint(),
                    t.created_at.and_utc().to_rfc3339(),
                    when(t.last_used_at),
                    if t.is_active() { "active" } else { "revoked" },
                    if t.label.is_empty() {
                        String::new()
                    } else {
                        format!("\t{}", t.label)
                    }
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let t = db
                .run(move |conn| {
                    db::write_tx(conn, |conn| {
                        tokens::revoke(conn, id, &Actor::system(), true)
                    })
                })
                .await
                .map_err(|e| match e {
                    db::Error::NotFound(_) => Failure::Input(format!("ID: no token {id}")),
                    other => other.into(),
                })?;
            println!("token: revoked {}", t.id);
        }
    }
    Ok(())
}

/// One line from standard input when it is not a terminal, else a hidden prompt.
fn read_password() -> Result<String, Failure> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        let first =
            rpassword::prompt_password("Password: ").map_err(|e| Failure::Other(e.into()))?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| Failure::Other(e.into()))?;
        if first != again {
            return Err(Failure::Input("password: the two entries differ".into()));
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Other(e.into()))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if line.is_empty() {
        return Err(Failure::Input(
            "password: none given on standard input".into(),
        ));
    }
    Ok(line)
}

/// Tells `stop` to stop on the first SIGTERM or SIGINT.
fn stop_on_signal(stop: crate::mail::outbox::Stop) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("stopping: finishing the messages being sent");
        stop.stop();
    }))
}

/// Lowers this process's CPU priority (`DIGEST_NICE`, default 10), so a digest run that
/// shares a machine with `serve` takes the cores only when visitors' requests leave them idle.
fn yield_cpu(nice: i32) {
    if nice == 0 {
        return;
    }
    // SAFETY: setpriority only reads its arguments; 0 names this process.
    let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
    if done != 0 {
        tracing::debug!("could not lower the digest run's CPU priority");
    }
}
