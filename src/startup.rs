//! Builds the application: database, migrations, demo on a brand-new database, the HTTP
//! server on a listener (port 0 in tests), and the background worker; on SIGTERM or
//! SIGINT (`serve`), a graceful stop.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{self, settings, Db};
use crate::reps::directory::LiveDirectory;
use crate::web::{self as routes, AppState};
use crate::{demo, worker};

/// How `serve` was asked to run.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Run the background worker (expiry, digests).
    pub worker: bool,
    /// Load the demo campaign into a brand-new database.
    pub demo: bool,
}

/// Connects to the database and runs pending migrations, off the async threads.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.database_url.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let db = Db::connect(&url, if url.is_postgres() { 10 } else { 8 })
            .with_context(|| format!("DATABASE_URL {} cannot be used", url.redacted()))?;
        let ran = db.migrate()?;
        if ran > 0 {
            tracing::info!(migrations = ran, "database migrated");
        }
        Ok(db)
    })
    .await?
}

/// How long a stop waits for requests in flight, and then for the message being sent.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(30);

/// A running server.
pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    stop: crate::mail::outbox::Stop,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Binds `BIND`, then builds as [`Application::build_on`].
    pub async fn build(settings: Settings, opts: ServeOptions) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("BIND {} cannot be bound", settings.bind))?;
        Application::build_on(settings, listener, opts).await
    }

    /// Opens the database, prepares it, and serves on `listener` (tests pass port 0).
    pub async fn build_on(
        settings: Settings,
        listener: TcpListener,
        opts: ServeOptions,
    ) -> anyhow::Result<Application> {
        // A long-running server: SQLite's freed pages go back to mimalloc, not into glibc's
        // per-thread arenas (one-shot commands keep the C allocator; see `sqlite_memory`).
        db::sqlite_memory::use_process_allocator();
        let db = open_database(&settings).await?;
        let fresh = db
            .run(|conn| -> db::Result<_> {
                let fresh = settings::get(conn, "initialized")?.is_none();
                if fresh {
                    settings::set(conn, "initialized", &db::now().to_string())?;
                }
                Ok(fresh)
            })
            .await?;
        if fresh && opts.demo {
            let loaded = db.run(demo::load).await?;
            if loaded {
                tracing::info!(
                    "new database: loaded the demo campaign (use --no-demo to start empty)"
                );
            }
        }
        let secret = resolve_secret(&db, &settings).await?;
        let mailer = crate::mail::transport::Mailer::from_settings(&settings)?
            .with_bounce_key(&settings, &secret);
        let mail_state = web::Data::new(routes::subscribe::MailState::new(
            mailer.clone(),
            settings.rate_limit_scale,
        ));
        let addr = listener.local_addr()?;
        let port = addr.port();
        let versions = Arc::new(routes::versions::Versions::new(db.clone()));
        // The directory is read before serving, so the first visitors find it in memory.
        let directory = LiveDirectory::load(&db).await?;
        let cache_bytes = settings.page_cache_bytes;
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings: settings.clone(),
            secret,
            visitors: routes::public::visitor::VisitorState::scaled(settings.rate_limit_scale),
            versions: versions.clone(),
            directory,
            action_pages: routes::public::action_page::ActionPages::new(cache_bytes / 4),
            zip_parts: routes::public::zip_parts::ZipParts::new(cache_bytes / 4, cache_bytes / 8),
            reach: Default::default(),
            login_limits: Default::default(),
            api_limits: routes::api::ApiLimits::scaled(settings.rate_limit_scale),
        });
        let page_cache =
            web::Data::new(routes::cache::PageCache::new(versions, cache_bytes * 3 / 8));
        let metrics = web::Data::new(routes::metrics::Metrics::default());
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(routes::metrics::middleware))
                .app_data(page_cache.clone())
                .app_data(metrics.clone())
                .wrap(routes::error_pages())
                // Outside the error pages: they render their own 413/408 answers.
                .wrap(from_fn(routes::body::middleware))
                // Outside everything that answers, so every answer gets the headers.
                .wrap(from_fn(routes::headers::middleware))
                .wrap(routes::normalize())
                .wrap(TracingLogger::<routes::client::RequestSpan>::new())
                .wrap(from_fn(routes::head::middleware))
                .app_data(state.clone())
                .app_data(mail_state.clone())
                .configure(routes::routes)
                .default_service(web::to(routes::public::pages::not_found))
        })
        // Pages for a ZIP code never wait on the database, so a few threads serve it; a
        // spike must not grow the pool (and memory) to meet a queue.
        .worker_max_blocking_threads(16)
        // Signals are ours (see `run_until_signalled`): actix would stop at once on SIGINT.
        .disable_signals()
        .shutdown_timeout(DRAIN.as_secs())
        .listen(listener)?
        .run();
        let stop = crate::mail::outbox::Stop::default();
        let worker = opts
            .worker
            .then(|| worker::spawn(db.clone(), settings.clone(), mailer, stop.clone()));
        tracing::info!(address = %format!("http://{addr}"), "serving");
        Ok(Application {
            port,
            server,
            db,
            stop,
            worker,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database the server uses.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: the listener closes at once
    /// (new connections are refused), requests in flight are answered (for up to 30 s),
    /// the worker finishes the message it is sending and hands back what it had claimed;
    /// then this returns, and the process exits 0.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let handle = self.server.handle();
        let stop = self.stop.clone();
        let signals = tokio::spawn(async move {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            tracing::info!(
                signal = name,
                "stopping: no new connections; finishing the requests in flight and the \
                 message being sent"
            );
            stop.stop();
            handle.stop(true).await;
        });
        let served = self.server.await;
        signals.abort();
        self.stop.stop();
        if let Some(worker) = self.worker {
            if tokio::time::timeout(DRAIN, worker).await.is_err() {
                tracing::warn!(
                    "the worker did not finish its message in time; its claims return to \
                     the queue when their lease runs out"
                );
            }
        }
        tracing::info!("stopped");
        served
    }
}

/// `SECRET_KEY`, or a key generated once and kept in the database, with a warning.
pub async fn resolve_secret(db: &Db, settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(k) = &settings.secret_key {
        if k.len() < 32 {
            anyhow::bail!("SECRET_KEY: must be at least 32 characters");
        }
        return Ok(k.as_bytes().to_vec());
    }
    let key = db
        .run(|conn| -> db::Result<_> {
            db::write_tx(conn, |conn| {
                if let Some(k) = settings::get(conn, "secret_key")? {
                    return Ok(k);
                }
                let k = crate::security::new_token();
                settings::set(conn, "secret_key", &k)?;
                Ok(k)
            })
        })
        .await?;
    tracing::warn!("SECRET_KEY is not set: using a key generated once and kept in the database");
    Ok(key.into_bytes())
}
