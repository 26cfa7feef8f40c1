//! Representatives by ZIP code: imports (CLI and library), `/reps?zip=`, `/api/v1/reps`.
//! Fast tests use the small files in tests/fixtures; the real data set tests read
//! ACTIONDESK_DATA_DIR or ../shared/data and skip, saying so, where it is absent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use actiondesk::db::{self, districts, legislators};
use actiondesk::reps::import;
use serde_json::Value;

use crate::helpers::{fresh_database_url, spawn_app, TestApp};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The real public data set, when present.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ACTIONDESK_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("legislators-current.yaml").is_file() && dir.join("zccd.csv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: the representatives data set is not at {} (set ACTIONDESK_DATA_DIR)",
            dir.display()
        );
        None
    }
}

/// Imports legislators (with offices) and ZIP rows into the app's database.
pub async fn import_files(app: &TestApp, legs: PathBuf, offices: Option<PathBuf>, zips: PathBuf) {
    app.with_db(move |conn| {
        let parsed = import::parse_legislators(&import::read(&legs).unwrap(), "legislators")
            .expect("legislators parse");
        let offices = offices.map(|o| {
            import::parse_offices(&import::read(&o).unwrap(), "offices").expect("offices parse")
        });
        import::import_legislators(
            conn,
            &parsed.members,
            offices.as_ref(),
            &db::Actor::system(),
        )
        .expect("legislators import");
        let (rows, skipped) =
            import::parse_zips(&import::read(&zips).unwrap(), "zips").expect("zips parse");
        import::import_zips(conn, &rows, skipped).expect("zips import");
        Ok(())
    })
    .await;
}

/// Imports the fixture legislators, offices and ZIP rows.
pub async fn import_fixtures(app: &TestApp) {
    import_files(
        app,
        fixture("legislators.yaml"),
        Some(fixture("offices.yaml")),
        fixture("zips.csv"),
    )
    .await;
}

/// Imports the real data set from `dir` (see [`data_dir`]).
pub async fn import_real(app: &TestApp, dir: &Path) {
    import_files(
        app,
        dir.join("legislators-current.yaml"),
        Some(dir.join("legislators-district-offices.yaml")),
        dir.join("zccd.csv"),
    )
    .await;
}

/// The demo campaign with the fixture legislators, offices and ZIP rows.
pub async fn spawn_demo_with_fixtures() -> TestApp {
    let app = crate::helpers::spawn_demo().await;
    import_fixtures(&app).await;
    app
}

/// The app with the fixture legislators, offices and ZIP rows.
pub async fn spawn_with_fixtures() -> TestApp {
    let app = spawn_app().await;
    crate::reps::import_fixtures(&app).await;
    app
}

/// Runs the binary against a database.
pub fn actiondesk(args: &[&str], database_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actiondesk"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

/// A process's output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cli_imports_fixtures_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let legs = fixture("legislators.yaml");
    let offices = fixture("offices.yaml");
    let args = [
        "import",
        "legislators",
        path(&legs),
        "--offices",
        path(&offices),
    ];
    let first = actiondesk(&args, &url);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    assert!(out.contains("added 5, changed 0"), "{out}");
    assert!(
        out.contains("skipped 1"),
        "the unknown member's offices: {out}"
    );
    let again = actiondesk(&args, &url);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains("added 0, changed 0, unchanged 5"),
        "{}",
        text(&again.stdout)
    );

    let zips = fixture("zips.csv");
    let z1 = actiondesk(&["import", "zips", path(&zips)], &url);
    assert_eq!(z1.status.code(), Some(0), "{}", text(&z1.stderr));
    assert!(
        text(&z1.stdout).contains("added 4, changed 0"),
        "{}",
        text(&z1.stdout)
    );
    assert!(text(&z1.stdout).contains("skipped 1"), "the repeated row");
    let z2 = actiondesk(&["import", "zips", path(&zips)], &url);
    assert!(
        text(&z2.stdout).contains("added 0, changed 0, unchanged 4, removed 0"),
        "{}",
        text(&z2.stdout)
    );
}

#[test]
fn malformed_files_exit_2_naming_line_and_field_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path());
    let zips = fixture("zips.csv");
    assert_eq!(
        actiondesk(&["import", "zips", path(&zips)], &url)
            .status
            .code(),
        Some(0)
    );
    let cases: [(&[&str], &str, &[&str]); 7] = [
        (&["zips"], "zips-bad-cd.csv", &["line 3", "cd", "seven"]),
        (&["zips"], "zips-bad-header.csv", &["line 1", "header"]),
        (
            &["legislators"],
            "legislators-bad-state.yaml",
            &["line 84", "terms.state", "XX"],
        ),
        (
            &["legislators"],
            "legislators-bad-district.yaml",
            &["line 53", "district"],
        ),
        (
            &["legislators"],
            "legislators-broken.yaml",
            &["line 3", "name"],
        ),
        (
            &["zips"],
            "no-such-file.csv",
            &["no-such-file.csv", "cannot be read"],
        ),
        (
            &["legislators", "offices-bad-phone.yaml"],
            "legislators.yaml",
            &["offices-bad-phone.yaml", "line 19", "offices[0].phone"],
        ),
    ];
    for (kind, file, needles) in cases {
        let f = fixture(file);
        let mut args = vec!["import", kind[0], path(&f)];
        let offices = kind.get(1).map(|o| fixture(o));
        if let Some(o) = &offices {
            args.extend(["--offices", path(o)]);
        }
        let out = actiondesk(&args, &url);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        for n in needles {
            assert!(err.contains(n), "{file}: {n:?} not in {err}");
        }
    }
    // The good rows from before are all still there: the bad CSV (whose first row is
    // valid) was rejected as a whole.
    let again = actiondesk(&["import", "zips", path(&zips)], &url);
    assert!(
        text(&again.stdout).contains("added 0, changed 0, unchanged 4, removed 0"),
        "{}",
        text(&again.stdout)
    );
    let legs = actiondesk(
        &["import", "legislators", path(&fixture("legislators.yaml"))],
        &url,
    );
    assert!(
        text(&legs.stdout).contains("added 5"),
        "no half-imported members"
    );
}

#[tokio::test]
async fn reps_page_lists_both_districts_of_a_split_zip_with_tel_links() {
    let app = spawn_with_fixtures().await;
    let (status, body) = app.get("/reps?zip=98101").await;
    assert_eq!(status, 200);
    for who in [
        "Maria Cantwell",
        "Patty Murray",
        "Pramila Jayapal",
        "Adam Smith",
    ] {
        assert!(body.contains(who), "{who} missing");
    }
    assert!(body.contains("WA-7") && body.contains("WA-9"));
    assert!(body.contains("spans 2 congressional districts"));
    assert!(body.contains(r#"href="tel:+12022243441""#));
    assert!(body.contains("https://www.murray.senate.gov/write-to-patty/"));
    // The nearest district office comes first: Cantwell's Seattle office is in 98101.
    let seattle = body.find("tel:+12062206400").expect("Seattle office");
    let everett = body.find("tel:+14253030114").expect("Everett office");
    assert!(seattle < everett, "same-ZIP office first");

    let (_, one) = app.get("/reps?zip=98104").await;
    assert!(one.contains("Pramila Jayapal") && !one.contains("Adam Smith"));
    assert!(!one.contains("spans"));
}

#[tokio::test]
async fn reps_page_explains_unknown_and_malformed_zips() {
    let app = spawn_with_fixtures().await;
    let (status, body) = app.get("/reps?zip=12345").await;
    assert_eq!(status, 200);
    assert!(body.contains("no congressional district on file for ZIP code 12345"));
    let (status, body) = app.get("/reps?zip=12a45").await;
    assert_eq!(status, 200);
    assert!(body.contains("a ZIP code is five digits"), "{body}");
    assert!(body.contains(r#"value="12a45""#), "keeps what was typed");
    let (status, body) = app.get("/reps").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"name="zip""#));
}

#[tokio::test]
async fn reps_api_answers_the_spec_shape_and_errors() {
    let app = spawn_with_fixtures().await;
    let r = app
        .client
        .get(format!("{}/api/v1/reps?zip=98101-1234", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["zip"], "98101");
    assert_eq!(v["state"], "WA");
    assert_eq!(v["split"], true);
    let labels: Vec<&str> = v["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["WA-7", "WA-9"]);
    let legs = v["legislators"].as_array().unwrap();
    assert_eq!(legs.len(), 4);
    assert_eq!(legs[0]["kind"], "senator");
    assert_eq!(legs[0]["phone"]["e164"], "+12022243441");
    assert_eq!(legs[0]["phone"]["tel"], "tel:+12022243441");

    let at_large: Value = app.get_json("/api/v1/reps?zip=99501").await;
    assert_eq!(at_large["split"], false);
    assert_eq!(at_large["districts"][0]["label"], "AK-AL");
    assert_eq!(at_large["legislators"][0]["name"], "Nicholas J. Begich III");

    for (q, status, field) in [
        ("zip=00000", 404, None),
        ("zip=abc", 422, Some("zip")),
        ("", 422, Some("zip")),
        // openapi.json gives the ZIP's pattern; the API takes it as written.
        ("zip=%2098101", 422, Some("zip")),
        ("zip=98101%0A", 422, Some("zip")),
    ] {
        let r = app
            .client
            .get(format!("{}/api/v1/reps?{q}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{q}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"]["message"].is_string());
        if let Some(f) = field {
            assert_eq!(v["error"]["field"], f);
        }
    }
}

#[tokio::test]
async fn a_reimport_that_changes_a_number_shows_at_once() {
    let app = spawn_with_fixtures().await;
    let (_, before) = app.get("/reps?zip=98104").await;
    assert!(before.contains("tel:+12022253106"));
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("legs.yaml");
    std::fs::write(
        &changed,
        std::fs::read_to_string(fixture("legislators.yaml"))
            .unwrap()
            .replace("202-225-3106", "202-225-3107"),
    )
    .unwrap();
    let report = app
        .with_db(move |conn| {
            let p = import::parse_legislators(&import::read(&changed).unwrap(), "x").unwrap();
            Ok(import::import_legislators(conn, &p.members, None, &db::Actor::system()).unwrap())
        })
        .await;
    assert_eq!((report.added, report.changed, report.unchanged), (0, 1, 4));
    let (_, after) = app.get("/reps?zip=98104").await;
    assert!(
        after.contains("tel:+12022253107"),
        "the cached lookup was invalidated"
    );
    // Without --offices, district offices are kept.
    assert!(after.contains("tel:+12066740040"));
}

#[tokio::test]
async fn the_real_data_set_imports_and_answers_a_zip_in_every_state() {
    let Some(dir) = data_dir() else { return };
    let app = spawn_app().await;
    crate::reps::import_real(&app, &dir).await;
    let (with_phone, rows) = app
        .with_db(|conn| {
            let all = legislators::all(conn)?;
            let ids: Vec<i32> = all.iter().map(|c| c.id).collect();
            let phones = db::contacts::phones_of(conn, &ids)?;
            let n = all
                .iter()
                .filter(|c| {
                    phones
                        .get(&c.id)
                        .is_some_and(|p| p.iter().any(|p| p.kind == "main"))
                })
                .count();
            Ok((n, districts::count(conn)?))
        })
        .await;
    assert!(
        (530..=545).contains(&with_phone),
        "{with_phone} legislators with phones"
    );
    assert!((41_000..=43_000).contains(&rows), "{rows} ZIP rows");

    // One ZIP per state (and DC, PR) from the CSV answers with people to call.
    let csv = std::fs::read_to_string(dir.join("zccd.csv")).unwrap();
    let mut per_state: std::collections::BTreeMap<String, String> = Default::default();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        per_state
            .entry(f[1].to_string())
            .or_insert(f[2].to_string());
    }
    assert!(per_state.len() >= 51);
    for (state, zip) in &per_state {
        let v: Value = app.get_json(&format!("/api/v1/reps?zip={zip}")).await;
        let states: Vec<&str> = v["states"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(states.contains(&state.as_str()), "{zip}: {states:?}");
        let legs = v["legislators"].as_array().unwrap();
        assert!(
            legs.iter().any(|l| l["kind"] == "representative"),
            "{state} {zip}: no representative"
        );
        let voting = states.iter().filter(|s| !["DC", "PR"].contains(s)).count();
        assert_eq!(
            legs.iter().filter(|l| l["kind"] == "senator").count(),
            2 * voting,
            "{state} {zip}: two senators per state"
        );
        let (status, page) = app.get(&format!("/reps?zip={zip}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("tel:+1"), "{zip}");
    }

    // Importing the same files again changes nothing.
    let (legs, zips) = app
        .with_db(move |conn| {
            let p = import::parse_legislators(
                &import::read(&dir.join("legislators-current.yaml")).unwrap(),
                "l",
            )
            .unwrap();
            let o = import::parse_offices(
                &import::read(&dir.join("legislators-district-offices.yaml")).unwrap(),
                "o",
            )
            .unwrap();
            let l = import::import_legislators(conn, &p.members, Some(&o), &db::Actor::system())
                .unwrap();
            let (rows, skipped) =
                import::parse_zips(&import::read(&dir.join("zccd.csv")).unwrap(), "z").unwrap();
            Ok((l, import::import_zips(conn, &rows, skipped).unwrap()))
        })
        .await;
    assert_eq!((legs.added, legs.changed), (0, 0), "{legs}");
    assert_eq!(
        (zips.added, zips.changed, zips.removed),
        (0, 0, 0),
        "{zips}"
    );
}
