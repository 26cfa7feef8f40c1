//! Signing organizers in and out. Wrong email, wrong password and a disabled account all
//! get the same answer in the same time (a dummy hash is checked when no account
//! matches), and failed attempts are limited per client address and per account in a way
//! that cannot lock the real organizer out (see [`LoginLimits`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use crate::db::people;
use crate::security;
use crate::web::admin::{self, see_other};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::ratelimit::client_key;
use crate::web::session::{self, CurrentOrganizer};
use crate::web::AppState;

/// Failed sign-ins allowed per client address: 20, then one every 6 seconds.
pub const PER_CLIENT: (u32, Duration) = (20, Duration::from_secs(6));
/// Failed sign-ins allowed per account: 5, then one a minute — for clients that have
/// themselves failed recently (see [`LoginLimits`]).
pub const PER_ACCOUNT: (u32, Duration) = (5, Duration::from_secs(60));
/// How long a failed sign-in marks its client as one that has failed.
pub const FAILED_FOR: Duration = Duration::from_secs(15 * 60);

/// The limits on sign-in attempts, shared by all workers (held in `AppState`).
///
/// Only failures count. A client that keeps failing is slowed by its own budget
/// ([`PER_CLIENT`]). An account that keeps being failed against is protected by
/// [`PER_ACCOUNT`], but that budget binds only clients that have failed a sign-in
/// themselves within [`FAILED_FOR`]: a client with no recent failure is never refused, so
/// someone guessing an organizer's password cannot lock the organizer out — the organizer,
/// from their own address, still signs in with the right password.
pub struct LoginLimits {
    per_client: FailureBudget,
    per_account: FailureBudget,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            per_client: FailureBudget::new(PER_CLIENT.0, PER_CLIENT.1),
            per_account: FailureBudget::new(PER_ACCOUNT.0, PER_ACCOUNT.1),
        }
    }
}

/// What an attempt took from the budgets, to be given back if it succeeds.
pub struct Attempt {
    client: String,
    account: String,
    took_account: bool,
}

impl LoginLimits {
    /// Before checking a password: refuses (429) a client out of its own budget, and a
    /// client that has failed recently when the account is out of budget. The budgets
    /// taken here are returned by [`LoginLimits::succeeded`].
    pub fn begin(&self, client: &str, account: &str) -> Result<Attempt, WebError> {
        let now = Instant::now();
        self.per_client.take(client, now)?;
        let has_failed = self.per_client.failed_since(client, now, FAILED_FOR);
        let took_account = if has_failed {
            if let Err(e) = self.per_account.take(account, now) {
                self.per_client.give_back(client);
                return Err(e);
            }
            true
        } else {
            false
        };
        Ok(Attempt {
            client: client.into(),
            account: account.into(),
            took_account,
        })
    }

    /// The password was right: nothing counts against the client or the account.
    pub fn succeeded(&self, a: Attempt) {
        self.per_client.give_back(&a.client);
        if a.took_account {
            self.per_account.give_back(&a.account);
        }
    }

    /// The password was wrong: the client is marked as one that has failed, and the
    /// account's budget is spent even when this client was not held to it.
    pub fn failed(&self, a: Attempt) {
        let now = Instant::now();
        self.per_client.mark_failed(&a.client, now);
        if !a.took_account {
            self.per_account.spend(&a.account, now);
        }
        self.per_account.mark_failed(&a.account, now);
    }
}

/// A budget per key that refills one unit every `per` up to `burst`, remembering when the
/// key last failed. Memory stays bounded: full, quiet keys are forgotten now and then.
struct FailureBudget {
    burst: f64,
    per: Duration,
    keys: Mutex<HashMap<String, Budget>>,
}

struct Budget {
    left: f64,
    at: Instant,
    last_failure: Option<Instant>,
}

impl FailureBudget {
    fn new(burst: u32, per: Duration) -> FailureBudget {
        FailureBudget {
            burst: f64::from(burst.max(1)),
            per,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, key: &str, now: Instant, f: impl FnOnce(&mut Budget, f64) -> T) -> T {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() > 10_000 {
            let (burst, per) = (self.burst, self.per);
            keys.retain(|_, b| {
                let full =
                    b.left + now.duration_since(b.at).as_secs_f64() / per.as_secs_f64() >= burst;
                let quiet = b
                    .last_failure
                    .is_none_or(|t| now.duration_since(t) > FAILED_FOR);
                !(full && quiet)
            });
        }
        let b = keys.entry(key.to_string()).or_insert(Budget {
            left: self.burst,
            at: now,
            last_failure: None,
        });
        let refill = now.duration_since(b.at).as_secs_f64() / self.per.as_secs_f64();
        b.left = (b.left + refill).min(self.burst);
        b.at = now;
        f(b, self.burst)
    }

    /// Takes one unit, or answers 429 with the wait until one is back.
    fn take(&self, key: &str, now: Instant) -> Result<(), WebError> {
        let per = self.per.as_secs_f64();
        self.with(key, now, |b, _| {
            if b.left >= 1.0 {
                b.left -= 1.0;
                Ok(())
            } else {
                let wait = ((1.0 - b.left) * per).ceil() as u64;
                Err(WebError::RateLimited {
                    retry_after: wait.max(1),
                })
            }
        })
    }

    /// Spends one unit without asking (never below empty).
    fn spend(&self, key: &str, now: Instant) {
        self.with(key, now, |b, _| b.left = (b.left - 1.0).max(0.0));
    }

    fn give_back(&self, key: &str) {
        self.with(key, Instant::now(), |b, burst| {
            b.left = (b.left + 1.0).min(burst);
        });
    }

    fn mark_failed(&self, key: &str, now: Instant) {
        self.with(key, now, |b, _| b.last_failure = Some(now));
    }

    fn failed_since(&self, key: &str, now: Instant, within: Duration) -> bool {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.get(key)
            .and_then(|b| b.last_failure)
            .is_some_and(|t| now.duration_since(t) <= within)
    }
}

/// The sign-in routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/login", web::get().to(login_form))
        .route("/admin/login", web::post().to(login))
        .route("/admin/logout", web::post().to(logout));
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    signed_out: Option<String>,
}

/// The fields of the sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

/// Only organizer pages on this site are places to go back to after signing in; anything
/// else (another site, control characters, the sign-in page itself) goes to `/admin`.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(crate::web::redirect::safe_next)
        .filter(|n| {
            (n == "/admin" || n.starts_with("/admin/") || n.starts_with("/admin?"))
                && !n.starts_with("/admin/login")
                && !n.starts_with("/admin/logout")
        })
        .unwrap_or_else(|| "/admin".into())
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: &str,
    next: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let (token, cookie) = csrf::login_token(req, state);
    let mut ctx = Context::new();
    ctx.insert("csrf_token", &token);
    ctx.insert("email", email);
    ctx.insert("next", next);
    ctx.insert("notice", &notice);
    ctx.insert("error", &error);
    let mut res = admin::page_with_status(status, "admin/login.html", &ctx)?;
    if let Some(c) = cookie {
        res.add_cookie(&c)?;
    }
    Ok(res)
}

/// `GET /admin/login`: the sign-in form (or the dashboard, when already signed in).
pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let next = safe_next(q.next.as_deref());
    if CurrentOrganizer::from_request_async(&req).await.is_ok() {
        return Ok(see_other(&next));
    }
    let notice = if q.expired.is_some() {
        Some("Your session has expired. Please sign in again.")
    } else if q.signed_out.is_some() {
        Some("You have signed out.")
    } else {
        None
    };
    login_page(&req, &state, StatusCode::OK, "", &next, notice, None)
}

/// The one answer to a failed sign-in, whatever was wrong.
pub const WRONG: &str = "That email and password do not match an active organizer account.";

/// `POST /admin/login`: checks the password and starts a session.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let next = safe_next(Some(&form.next));
    csrf::check_login(&req, &state, &form.csrf_token)?;
    let email = form.email.trim().to_lowercase();
    let attempt = state.login_limits.begin(&client_key(&req), &email)?;
    let lookup = email.clone();
    let organizer = state
        .db
        .run(move |conn| people::find_organizer(conn, &lookup))
        .await?;
    let password = form.password;
    let hash = organizer.as_ref().map_or_else(
        || security::dummy_hash().to_string(),
        |o| o.password_hash.clone(),
    );
    let verified =
        tokio::task::spawn_blocking(move || security::verify_password(&password, &hash)).await?;
    match organizer {
        Some(o) if verified && o.active => {
            state.login_limits.succeeded(attempt);
            let cookie = session::start(&state, &o).await?;
            let mut res = see_other(&next);
            res.add_cookie(&cookie)?;
            Ok(res)
        }
        _ => {
            state.login_limits.failed(attempt);
            login_page(
                &req,
                &state,
                StatusCode::UNAUTHORIZED,
                form.email.trim(),
                &next,
                None,
                Some(WRONG),
            )
        }
    }
}

/// Nothing but the CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /admin/logout`: ends the session and forgets the cookie.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    session::end(&req, &state).await?;
    let mut res = see_other("/admin/login?signed_out=1");
    res.add_cookie(&session::removal_cookie(&state))?;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_their_client_but_never_a_client_that_has_not_failed() {
        let l = LoginLimits::default();
        for _ in 0..PER_ACCOUNT.0 {
            let a = l.begin("6.6.6.6", "ana").unwrap();
            l.failed(a);
        }
        // The guesser has failed and the account is spent: refused with a wait.
        match l.begin("6.6.6.6", "ana") {
            Err(WebError::RateLimited { retry_after }) => {
                assert!((1..=60).contains(&retry_after))
            }
            Ok(_) => panic!("the guesser was let through"),
            Err(e) => panic!("{e:?}"),
        }
        // A client with no failure is let through, as often as it succeeds.
        for _ in 0..(PER_CLIENT.0 + 5) {
            let a = l.begin("7.7.7.7", "ana").expect("a clean client");
            l.succeeded(a);
        }
        // A failure marks it: now the spent account holds it back too.
        let a = l.begin("7.7.7.7", "ana").unwrap();
        l.failed(a);
        assert!(l.begin("7.7.7.7", "ana").is_err());
        // Other accounts are not affected for a client that has failed.
        assert!(l.begin("6.6.6.6", "bob").is_ok());
    }

    #[test]
    fn a_client_out_of_its_own_budget_is_refused() {
        let l = LoginLimits::default();
        for i in 0..PER_CLIENT.0 {
            let a = l.begin("6.6.6.6", &format!("user{i}")).unwrap();
            l.failed(a);
        }
        assert!(l.begin("6.6.6.6", "someone-else").is_err());
        assert!(l.begin("7.7.7.7", "someone-else").is_ok());
    }
}
