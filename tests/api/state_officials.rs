//! State and local officials: `import openstates` (the real Open States folder and small
//! hand-made ones), `import districts`, officials in `/api/v1/reps` and on `/reps`, and
//! the district picker where no mapping is imported.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::reps::{actiondesk, text};

fn run_ok(app: &TestApp, args: &[&str]) -> String {
    let out = actiondesk(args, &app.database_url);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // The server notices another process's writes within its version poll.
    std::thread::sleep(std::time::Duration::from_millis(
        actiondesk::web::versions::POLL + 100,
    ));
    text(&out.stdout)
}

/// The Open States tarball, when the shared data folder has it.
fn tarball() -> Option<PathBuf> {
    let dir = std::env::var_os("ACTIONDESK_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let file = dir.join("openstates-people.tar.gz");
    if file.is_file() {
        Some(file)
    } else {
        eprintln!(
            "skipping: {} is absent (set ACTIONDESK_DATA_DIR)",
            file.display()
        );
        None
    }
}

/// Writes `files` (path under the folder, text) into a new folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

fn person(id: &str, name: &str, role: &str, district: Option<&str>, voice: &str) -> String {
    let district = district.map_or(String::new(), |d| format!("  district: {d}\n"));
    format!(
        "id: ocd-person/{id}-0000-0000-0000-000000000000\nname: {name}\nparty:\n- name: Democratic\n\
         roles:\n- start_date: '2023-01-05'\n  type: {role}\n  jurisdiction: ocd-jurisdiction/country:us/state:vt/government\n{district}\
         offices:\n- classification: capitol\n  address: 115 State St; Montpelier, VT 05633\n  voice: {voice}\n\
         links:\n- url: https://legislature.vermont.gov/people/\n  note: members list page\n"
    )
}

/// A small Vermont: a governor, two senators of two districts, a representative.
fn small_vermont() -> tempfile::TempDir {
    folder(&[
        (
            "data/vt/executive/Gov.yml",
            &person("aaaaaaaa", "Pat Governor", "governor", None, "802-828-3333"),
        ),
        (
            "data/vt/legislature/S1.yml",
            &person(
                "bbbbbbbb",
                "Sam Senator",
                "upper",
                Some("Chittenden"),
                "802-828-1111",
            ),
        ),
        (
            "data/vt/legislature/S2.yml",
            &person(
                "cccccccc",
                "Ada Senator",
                "upper",
                Some("Addison"),
                "802-828-2222",
            ),
        ),
        (
            "data/vt/legislature/R1.yml",
            &person(
                "dddddddd",
                "Rae Rep",
                "lower",
                Some("Chittenden-1"),
                "802-828-4444",
            ),
        ),
        // Congress is left to `import legislators`.
        (
            "data/us/legislature/X.yml",
            &person(
                "eeeeeeee",
                "Not Imported",
                "upper",
                Some("VT"),
                "202-224-0000",
            ),
        ),
    ])
}

/// A ZIP table naming 05401 in Vermont's at-large district.
fn vermont_zips(app: &TestApp, dir: &Path) {
    let zips = dir.join("zips.csv");
    std::fs::write(
        &zips,
        "state_fips,state_abbr,zcta,cd\n50,VT,05401,0\n50,VT,05602,0\n36,NY,12207,20\n",
    )
    .unwrap();
    run_ok(app, &["import", "zips", zips.to_str().unwrap()]);
}

async fn reps_json(app: &TestApp, query: &str) -> Value {
    let res = app
        .client
        .get(format!("{}/api/v1/reps?{query}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn names(answer: &Value) -> Vec<String> {
    answer["officials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o["title"].as_str().unwrap(),
                o["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn the_real_open_states_folder_imports_once_and_lists_governors() {
    let Some(tarball) = tarball() else { return };
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let root = dir.path().to_str().unwrap();
    let started = std::time::Instant::now();
    let first = run_ok(&app, &["import", "openstates", root]);
    let took = started.elapsed();
    eprintln!("first import: {first} in {took:?}");
    // Every person file outside data/us is either stored or skipped (no current role kept).
    let files = walk(&dir.path().join("data"));
    let added: usize = number_after(&first, "added ");
    let skipped: usize = number_after(&first, "skipped ");
    assert_eq!(added + skipped, files, "{first}");
    assert!(added > 7_000, "{first}");
    assert!(took.as_secs() < 60, "import took {took:?}");
    let again = run_ok(&app, &["import", "openstates", root]);
    assert!(again.contains("added 0, changed 0,"), "{again}");
    assert!(again.contains("retired 0"), "{again}");

    // Every state whose folder has a governor's file lists its governor, even where the
    // file still carries an ended term (Vermont's, California's in this snapshot).
    let mut with_governor: Vec<String> = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|state| {
            std::fs::read_dir(state.join("executive")).is_ok_and(|files| {
                files.filter_map(Result::ok).any(|f| {
                    std::fs::read_to_string(f.path()).is_ok_and(|t| t.contains("type: governor"))
                })
            })
        })
        .map(|state| state.file_name().unwrap().to_str().unwrap().to_uppercase())
        .filter(|s| s != "US")
        .collect();
    with_governor.sort();
    let mut stored: Vec<String> = app
        .with_db(|conn| {
            use actiondesk::db::schema::contacts as c;
            use diesel::prelude::*;
            Ok(c::table
                .filter(c::kind.eq("governor"))
                .select(c::state)
                .load::<Option<String>>(conn)?)
        })
        .await
        .into_iter()
        .flatten()
        .collect();
    stored.sort();
    stored.dedup();
    assert!(with_governor.len() >= 50, "{with_governor:?}");
    assert_eq!(stored, with_governor);

    // New York's governor, read independently from the YAML: their number as E.164.
    let gov = std::fs::read_dir(dir.path().join("data/ny/executive"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|t| t.contains("type: governor"))
        .expect("New York has a governor file");
    let end = gov
        .lines()
        .find_map(|l| l.trim().strip_prefix("end_date: "))
        .unwrap_or("9999")
        .trim_matches('\'');
    assert!(end > "2026-12-31", "the governor's term is current: {end}");
    let name = gov
        .lines()
        .find_map(|l| l.strip_prefix("name: "))
        .unwrap()
        .to_string();
    let voice: String = gov
        .lines()
        .find_map(|l| l.trim().strip_prefix("voice: "))
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let e164 = format!("+1{}", voice.trim_start_matches('1'));
    vermont_zips(&app, app.dir.path());
    let answer = reps_json(&app, "zip=12207").await;
    let governor = answer["officials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["role"] == "governor")
        .unwrap_or_else(|| panic!("no governor in {answer}"));
    assert_eq!(governor["name"], name.as_str());
    assert_eq!(governor["title"], "Governor");
    assert_eq!(governor["source"], "openstates");
    assert_eq!(governor["phones"][0]["e164"], e164.as_str());
    // No mapping for New York: the districts to pick from, with the legislators' list.
    let pickers = answer["pickers"].as_array().unwrap();
    assert_eq!(pickers.len(), 2, "{answer}");
    let lower = pickers.iter().find(|p| p["chamber"] == "lower").unwrap();
    assert!(lower["districts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "109"));
}

fn walk(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.ends_with("us") {
            continue;
        }
        if p.is_dir() {
            n += walk(&p);
        } else if p.extension().is_some_and(|x| x == "yml") {
            n += 1;
        }
    }
    n
}

fn number_after(s: &str, key: &str) -> usize {
    let rest = &s[s.find(key).unwrap_or_else(|| panic!("{key} in {s}")) + key.len()..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_bad_file_is_named_with_its_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let dir = small_vermont();
    let bad = dir.path().join("data/vt/legislature/S2.yml");
    let body = std::fs::read_to_string(&bad).unwrap();
    std::fs::write(&bad, body.replace("802-828-2222", "828-22")).unwrap();
    let out = actiondesk(
        &["import", "openstates", dir.path().to_str().unwrap()],
        &app.database_url,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("data/vt/legislature/S2.yml"), "{err}");
    assert!(err.contains("offices[0].voice"), "{err}");
    vermont_zips(&app, app.dir.path());
    let answer = reps_json(&app, "zip=05401").await;
    assert_eq!(
        answer["officials"],
        serde_json::json!([]),
        "nothing written"
    );
}

#[tokio::test]
async fn officials_by_zip_with_a_picker_then_a_districts_mapping() {
    let app = spawn_app().await;
    let dir = small_vermont();
    let root = dir.path().to_str().unwrap();
    let first = run_ok(&app, &["import", "openstates", root]);
    assert!(first.contains("added 4, changed 0"), "{first}");
    let again = run_ok(&app, &["import", "openstates", root]);
    assert!(again.contains("added 0, changed 0, unchanged 4"), "{again}");
    vermont_zips(&app, app.dir.path());

    // No mapping: the governor, and the districts to pick from.
    let answer = reps_json(&app, "zip=05401").await;
    assert_eq!(names(&answer), ["Governor Pat Governor"]);
    let (_, page) = app.get("/reps?zip=05401").await;
    assert!(page.contains("Your state"), "{page}");
    assert!(page.contains("<option value=\"Chittenden\">"), "{page}");
    assert!(page.contains("https://legislature.vermont.gov/people/"));
    // Picked districts show their legislators, and are remembered by /zip.
    let answer = reps_json(&app, "zip=05401&upper=Addison&lower=Chittenden-1").await;
    assert_eq!(
        names(&answer),
        [
            "Governor Pat Governor",
            "State Senator Ada Senator",
            "State Representative Rae Rep"
        ]
    );
    let res = app
        .client
        .get(format!(
            "{}/zip?zip=05401&upper=Addison&next=/reps",
            app.address
        ))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("upper=Addison")),
        "{cookies:?}"
    );
    let page = app
        .get_with("/reps", &[("cookie", "zip=05401; upper=Addison")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ada Senator"), "{page}");
    assert!(!page.contains("Sam Senator"), "{page}");

    // A mapping for the upper chamber: a split ZIP lists both senators, no picker for it.
    let csv = app.dir.path().join("upper.csv");
    std::fs::write(
        &csv,
        "state_fips,state_abbr,zcta,district\n50,VT,05401,Chittenden\n50,VT,05401,Addison\n50,VT,05602,Addison\n",
    )
    .unwrap();
    let args = [
        "import",
        "districts",
        csv.to_str().unwrap(),
        "--chamber",
        "upper",
    ];
    let out = run_ok(&app, &args);
    assert!(out.contains("added 3, changed 0"), "{out}");
    let out = run_ok(&app, &args);
    assert!(
        out.contains("added 0, changed 0, unchanged 3, removed 0"),
        "{out}"
    );
    let answer = reps_json(&app, "zip=05401").await;
    assert_eq!(
        names(&answer),
        [
            "Governor Pat Governor",
            "State Senator Ada Senator",
            "State Senator Sam Senator"
        ]
    );
    let pickers = answer["pickers"].as_array().unwrap();
    assert_eq!(pickers.len(), 1);
    assert_eq!(pickers[0]["chamber"], "lower");
    assert_eq!(answer["officials"][1]["district"], "Addison");
    assert_eq!(answer["officials"][1]["phones"][0]["e164"], "+18028282222");

    // A bad districts row is named by line and field, and changes nothing.
    std::fs::write(&csv, "state_fips,state_abbr,zcta,district\n50,VT,0540,X\n").unwrap();
    let out = actiondesk(&args, &app.database_url);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("zcta"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_governor_and_state_senator_action_fills_page_and_call_mode() {
    use actiondesk::db::actions::{ScriptInput, TargetInput};
    use actiondesk::domain::TargetKind;
    let app = spawn_app().await;
    let dir = small_vermont();
    run_ok(
        &app,
        &["import", "openstates", dir.path().to_str().unwrap()],
    );
    vermont_zips(&app, app.dir.path());
    let csv = app.dir.path().join("upper.csv");
    std::fs::write(
        &csv,
        "state_fips,state_abbr,zcta,district\n50,VT,05401,Chittenden\n50,VT,05401,Addison\n",
    )
    .unwrap();
    run_ok(
        &app,
        &[
            "import",
            "districts",
            csv.to_str().unwrap(),
            "--chamber",
            "upper",
        ],
    );
    let slug = app
        .with_db(|conn| {
            let campaign = crate::fixtures::campaign(conn, "state", "State")?;
            let input = actiondesk::db::actions::ActionInput {
                scripts: vec![ScriptInput {
                    lang: "en".parse().unwrap(),
                    body: "Hello [TARGET TITLE] [TARGET NAME]".parse().unwrap(),
                }],
                targets: [TargetKind::Governor, TargetKind::StateUpper]
                    .into_iter()
                    .map(|kind| TargetInput {
                        kind,
                        contact_id: None,
                        note: Default::default(),
                    })
                    .collect(),
                ..crate::fixtures::action(campaign, "Ask the state")
            };
            Ok(crate::fixtures::published(conn, &input)?.slug)
        })
        .await;
    let get = |path: String| {
        let client = app.client.clone();
        async move {
            let res = client.get(path).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    let before = get(format!("{}/actions/{slug}", app.address)).await;
    assert!(before.contains("Your Governor"), "asks for a ZIP: {before}");
    let page = get(format!("{}/actions/{slug}?zip=05401", app.address)).await;
    for want in [
        "Governor Pat Governor",
        "tel:+18028283333",
        "Hello Governor Pat Governor",
        "Hello State Senator Ada Senator",
        "Hello State Senator Sam Senator",
    ] {
        assert!(page.contains(want), "{want} missing from {page}");
    }
    let step = get(format!(
        "{}/actions/{slug}/call?zip=05401&step=1",
        app.address
    ))
    .await;
    assert!(step.contains("Hello Governor Pat Governor"), "{step}");
    assert!(step.contains("tel:+18028283333"), "{step}");
    let step = get(format!(
        "{}/actions/{slug}/call?zip=05401&step=2",
        app.address
    ))
    .await;
    assert!(step.contains("Hello State Senator Ada Senator"), "{step}");
}

#[tokio::test]
async fn the_district_picker_works_in_a_real_browser_and_is_remembered() {
    use fantoccini::Locator;
    let Some(browser) = crate::browser::Browser::start(390, 844).await else {
        return;
    };
    let app = spawn_app().await;
    let dir = small_vermont();
    run_ok(
        &app,
        &["import", "openstates", dir.path().to_str().unwrap()],
    );
    vermont_zips(&app, app.dir.path());
    let c = &browser.client;
    c.goto(&format!("{}/reps?zip=05401", app.address))
        .await
        .unwrap();
    let before = c.source().await.unwrap();
    assert!(!before.contains("Ada Senator"), "nothing picked yet");
    c.find(Locator::Css("select[name=upper]"))
        .await
        .expect("a State Senate picker")
        .select_by_value("Addison")
        .await
        .unwrap();
    c.find(Locator::Css("select[name=lower]"))
        .await
        .expect("a State House picker")
        .select_by_value("Chittenden-1")
        .await
        .unwrap();
    c.find(Locator::Css("form.district-picker button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let page = c.source().await.unwrap();
        if page.contains("Ada Senator") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the picked districts' legislators: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = c.source().await.unwrap();
    assert!(page.contains("Rae Rep"), "{page}");
    assert!(!page.contains("Sam Senator"), "{page}");
    assert!(
        c.current_url().await.unwrap().path().starts_with("/reps"),
        "back on /reps"
    );
    // Remembered like the ZIP code: /reps alone shows the same people, picks selected.
    c.goto(&format!("{}/reps", app.address)).await.unwrap();
    let page = c.source().await.unwrap();
    assert!(
        page.contains("Ada Senator") && page.contains("Rae Rep"),
        "{page}"
    );
    let picked = c
        .find(Locator::Css("select[name=upper]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(picked.as_deref(), Some("Addison"));
    browser.close().await;
}
