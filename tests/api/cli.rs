//! The command line as a user drives it: exit statuses and messages.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::fresh_database_url;

/// Runs the real binary on `database_url`, feeding `stdin` when given.
pub fn actiondesk(args: &[&str], database_url: &str, stdin: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_actiondesk"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("MAIL_DIR", dir.path().join("mail"))
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_malformed_database_url_makes_serve_exit_1_naming_it() {
    let out = actiondesk(&["serve", "--bind", "127.0.0.1:0"], "mysql://nope", None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("DATABASE_URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_unreachable_database_makes_serve_exit_1_naming_it() {
    let out = actiondesk(
        &["serve", "--bind", "127.0.0.1:0"],
        "postgres://nobody:secret@127.0.0.1:1/nothing",
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("DATABASE_URL"), "{err}");
    assert!(
        !err.contains("secret"),
        "the password is not printed: {err}"
    );
}

#[test]
fn migrate_then_demo_twice_loads_one_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let out = actiondesk(&["migrate"], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = actiondesk(&["demo"], &url, None);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("loaded"));
    let second = actiondesk(&["demo"], &url, None);
    assert_eq!(second.status.code(), Some(0));
    assert!(
        text(&second.stdout).contains("already loaded"),
        "{}",
        text(&second.stdout)
    );
}

#[test]
fn organizer_add_reads_the_password_from_stdin_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let out = actiondesk(
        &["organizer", "add", "Ana@Example.org", "--admin"],
        &url,
        Some("a long enough password\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(admin)"));
    let again = actiondesk(
        &["organizer", "add", "ana@example.org"],
        &url,
        Some("another long password\n"),
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("email"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn organizer_add_names_the_bad_field() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let bad_email = actiondesk(
        &["organizer", "add", "not-an-email"],
        &url,
        Some("a long enough password\n"),
    );
    assert_eq!(bad_email.status.code(), Some(2));
    assert!(text(&bad_email.stderr).contains("EMAIL"));
    let short = actiondesk(
        &["organizer", "add", "b@example.org"],
        &url,
        Some("short\n"),
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("password"));
}

#[test]
fn unknown_commands_are_usage_errors() {
    let out = actiondesk(&["frobnicate"], "sqlite://unused.db", None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn expire_reports_what_it_expired() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let out = actiondesk(&["expire"], &url, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 action(s) expired"));
}

#[test]
fn every_migration_can_be_undone_and_run_again() {
    use actiondesk::db::{self, DatabaseUrl, Db};
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(
        &DatabaseUrl::parse(&fresh_database_url(dir.path())).unwrap(),
        1,
    )
    .unwrap();
    let ran = db.migrate().unwrap();
    assert!(ran >= 4, "{ran} migrations");
    let mut conn = db.get().unwrap();
    assert_eq!(db::revert_all(&mut conn).unwrap(), ran, "each one reverted");
    // Nothing of ours is left; the migrations then run again from the start.
    let loaded = db::settings::content_version(&mut conn);
    assert!(loaded.is_err(), "the settings table is gone");
    assert_eq!(db::migrate(&mut conn).unwrap(), ran);
    assert!(db::settings::content_version(&mut conn).is_ok());
}
