//! The server hands SQLite the process's allocator (mimalloc) before it opens a database.
//!
//! A test binary of its own: in the `api` tests, another test may open SQLite first, after
//! which SQLite keeps the allocator it started with.

use std::collections::HashMap;
use std::net::TcpListener;

use actiondesk::config::Settings;
use actiondesk::db::sqlite_memory;
use actiondesk::startup::{Application, ServeOptions};

#[tokio::test]
async fn the_server_gives_sqlite_the_process_allocator() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let env = HashMap::from([
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("a.db").display()),
        ),
        ("BIND", format!("127.0.0.1:{port}")),
        ("MAIL_DIR", dir.path().join("mail").display().to_string()),
        (
            "SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789".to_string(),
        ),
    ]);
    let settings = Settings::from_lookup(|k| env.get(k).cloned(), None).unwrap();
    let app = Application::build_on(
        settings,
        listener,
        ServeOptions {
            worker: false,
            demo: true,
        },
    )
    .await
    .unwrap();
    tokio::spawn(app.run_until_stopped());

    assert!(
        sqlite_memory::on_process_allocator(),
        "SQLite kept the C allocator: its freed pages stay in glibc's per-thread arenas"
    );
    let r = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let used = sqlite_memory::used();
    assert!(
        used > 0 && sqlite_memory::highwater() >= used,
        "SQLite's memory is counted: {used}"
    );
}
