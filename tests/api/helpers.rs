//! The test harness: `spawn_app()` starts the real server on a random port with a fresh
//! database — a SQLite file in a temporary folder, or, when `TEST_DATABASE_URL` names a
//! PostgreSQL server, a new database of its own there — and talks HTTP to it.

use std::collections::HashMap;
use std::net::TcpListener;

use actiondesk::config::Settings;
use actiondesk::db::{self, Db};
use actiondesk::startup::{Application, ServeOptions};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// A running server and what tests need to reach it.
#[allow(dead_code)]
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: Db,
    pub client: reqwest::Client,
    pub database_url: String,
    pub dir: tempfile::TempDir,
}

/// A fresh, empty database: a SQLite file in `dir`, or a new PostgreSQL database when
/// `TEST_DATABASE_URL` is set (each test its own, so tests run in parallel).
pub fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!(
                "actiondesk_test_{}",
                actiondesk::security::new_token()[..16].to_owned()
            );
            actiondesk::db::libpq::no_openssl_cleanup_at_exit();
            let mut conn = PgConnection::establish(&admin)
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin} does not answer: {e}"));
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            url.to_string()
        }
        _ => format!("sqlite://{}", dir.join("test.db").display()),
    }
}

/// Which backend the suite runs on, for messages.
#[allow(dead_code)]
pub fn backend() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

/// Options for [`spawn_with`].
#[derive(Default)]
pub struct Spawn {
    pub demo: bool,
    pub worker: bool,
    pub env: Vec<(&'static str, String)>,
}

/// Starts the server with an empty database.
pub async fn spawn_app() -> TestApp {
    spawn_with(Spawn::default()).await
}

/// Starts the server with the demo campaign loaded.
pub async fn spawn_demo() -> TestApp {
    spawn_with(Spawn {
        demo: true,
        ..Spawn::default()
    })
    .await
}

/// Starts the server as told.
pub async fn spawn_with(opts: Spawn) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().unwrap().port();
    let mut env: HashMap<&'static str, String> = HashMap::from([
        ("DATABASE_URL", database_url.clone()),
        ("BIND", format!("127.0.0.1:{port}")),
        ("MAIL_DIR", dir.path().join("mail").display().to_string()),
        (
            "SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789".into(),
        ),
    ]);
    env.extend(opts.env);
    let settings = Settings::from_lookup(|k| env.get(k).cloned(), None).expect("test settings");
    let app = Application::build_on(
        settings,
        listener,
        ServeOptions {
            worker: opts.worker,
            demo: opts.demo,
        },
    )
    .await
    .expect("the application starts");
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            // The server closes a kept-alive connection after 5 s idle (actix's default);
            // dropping idle connections sooner means a request never lands on one the
            // server is closing at that moment (hyper's `IncompleteMessage`).
            .pool_idle_timeout(std::time::Duration::from_secs(1))
            .build()
            .unwrap(),
        database_url,
        dir,
    }
}

impl TestApp {
    /// GET a path; returns status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// GET a path with extra request headers; the whole response.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut r = self.client.get(format!("{}{path}", self.address));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send().await.expect("request")
    }

    /// GET a path and read its JSON body.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("a JSON body")
    }

    /// Runs blocking database work.
    pub async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut db::DbConn) -> db::Result<T> + Send + 'static,
    ) -> T {
        self.db.run(f).await.expect("database work")
    }
}
