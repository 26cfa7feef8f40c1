//! Behind nginx with `proxy_cache` set up as the README says (scripts/nginx/actiondesk.conf):
//! pages for a ZIP code are answered from nginx's cache, a remembered ZIP code or an
//! organizer's page never is, and an edit shows within the seconds the pages allow.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use actiondesk::db::{self, actions, Actor};
use actiondesk::domain::Transition;

use crate::helpers::{spawn_with, Spawn};
use crate::tools;

const CALL: &str = "/actions/call-your-senators-and-representative";
/// PUBLIC_CACHE_SECS for this test.
const KEEP: u64 = 2;

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, so the master takes its worker and cache processes with it.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn nginx_answers_zip_pages_from_its_cache_and_an_edit_shows_within_the_stated_seconds() {
    let Some(nginx) = tools::require(
        "nginx",
        "NGINX",
        "/usr/sbin/nginx",
        "apt-get install nginx-light (scripts/install-test-tools.sh)",
    ) else {
        return;
    };
    let app = spawn_with(Spawn {
        demo: true,
        env: vec![
            ("PUBLIC_CACHE_SECS", KEEP.to_string()),
            ("PUBLIC_STALE_SECS", "30".into()),
        ],
        ..Spawn::default()
    })
    .await;
    crate::reps::import_fixtures(&app).await;
    let dir = app.dir.path().join("nginx");
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let port = tools::free_port();
    let recipe = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/nginx/actiondesk.conf"),
    )
    .unwrap()
    .replace("@CACHE_DIR@", &dir.join("cache").display().to_string())
    .replace("@UPSTREAMS@", &format!("server 127.0.0.1:{};", app.port))
    .replace("@LISTEN@", &format!("127.0.0.1:{port}"));
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "worker_processes 1; daemon off; pid {d}/nginx.pid; error_log {d}/error.log warn;
             events {{ worker_connections 256; }}
             http {{ access_log off;
               client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
               uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
               {recipe} }}"
        ),
    )
    .unwrap();
    let _nginx = Nginx(
        Command::new(nginx)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-p")
            .arg(&dir)
            .spawn()
            .expect("nginx starts"),
    );
    let front = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..50 {
        if client.get(format!("{front}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    assert!(up, "nginx did not start: {log}");

    let get = |path: String, cookie: Option<&'static str>| {
        let client = client.clone();
        let url = format!("{front}{path}");
        async move {
            let mut r = client.get(url);
            if let Some(c) = cookie {
                r = r.header("Cookie", c);
            }
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            let cache = r
                .headers()
                .get("x-cache-status")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, cache, r.text().await.unwrap())
        }
    };
    // A page for a ZIP code: the second visitor is answered by nginx.
    let zip_page = format!("{CALL}?zip=98104");
    let (status, first, body) = get(zip_page.clone(), None).await;
    assert_eq!((status, first.as_str()), (200, "MISS"));
    assert!(body.contains("Pramila Jayapal"));
    let (_, second, again) = get(zip_page.clone(), None).await;
    assert_eq!(second, "HIT", "the ZIP page from nginx's cache");
    assert_eq!(again, body);
    // A remembered ZIP code and the organizers' pages go through to actiondesk.
    let (_, remembered, _) = get(CALL.into(), Some("zip=99501")).await;
    assert_eq!(remembered, "BYPASS");
    for _ in 0..2 {
        let (_, admin, _) = get("/admin/login".into(), None).await;
        assert_ne!(admin, "HIT", "organizer pages are never kept");
    }

    // An organizer expires the action: the page shows it within the seconds allowed.
    app.with_db(|conn| {
        db::write_tx(conn, |conn| {
            let a = actions::by_slug(conn, "call-your-senators-and-representative")?;
            actions::transition(conn, a.id, Transition::Expire, &Actor::system())
        })
    })
    .await;
    let edited = Instant::now();
    let mut seen = None;
    while edited.elapsed() < Duration::from_secs(KEEP + 10) {
        let (_, _, page) = get(zip_page.clone(), None).await;
        if page.contains("This action is over") {
            seen = Some(edited.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = seen.expect("the edit never showed through nginx");
    assert!(
        seen <= Duration::from_secs(KEEP + 2),
        "the edit showed after {seen:?}, PUBLIC_CACHE_SECS is {KEEP}"
    );
}
