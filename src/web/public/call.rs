//! Call mode: `GET /actions/{slug}/call?zip=Z&step=N`, one target per screen — their
//! title, name, numbers and the script filled in for them — with outcome buttons that
//! record the call and go on to the next target, a "Skip" link, and after the last target a
//! "done" step with what the caller did and what to do next.
//!
//! The targets are resolved as the action page resolves them: the action's data kept per
//! content version ([`super::action_page`]) and the ZIP code's people from the in-memory
//! directory, so a step costs no query. The route is not in [`super::CACHED`]: a step
//! depends on the ZIP code (given, or remembered in the cookie), and is rendered per
//! request (a small template), with the same `Cache-Control` as other visitor pages.
//! The caller's own tally travels in the URL (`log=`, one letter per step), so nothing is
//! stored about them.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

use super::action_page::script_views;
use super::visitor::{self, ActionQuery, VisitorZip};
use crate::db::actions::ActionDetail;
use crate::db::contacts::PhoneView;
use crate::domain::placeholders::Placeholders;
use crate::domain::{ActionKind, ContactKind, Outcome, Status, TargetKind};
use crate::reps::lookup::{self, Legislator, RepsAnswer, StateOfficial};
use crate::reps::states;
use crate::web::error::WebError;
use crate::web::render::render;
use crate::web::AppState;

/// One person or office to call.
#[derive(Debug, Clone, Serialize)]
pub struct CallTarget {
    /// The contact's slug (what an outcome names).
    pub slug: String,
    pub kind: ContactKind,
    pub name: String,
    /// "Senator", "Representative", "Delegate", "Resident Commissioner", or an agency's
    /// own name.
    pub title: String,
    pub role: String,
    pub party: Option<String>,
    /// The numbers to dial, the main one first.
    pub phones: Vec<PhoneView>,
    /// A number that is not toll-free, for callers abroad, where the main one is toll-free.
    pub direct_phone: Option<PhoneView>,
    /// The organizer's note on this target.
    pub note: String,
    /// One of several candidates (a ZIP code that spans districts or states).
    pub candidate: bool,
}

/// An action's targets for one visitor.
#[derive(Debug, Default, Serialize)]
pub struct Resolved {
    pub targets: Vec<CallTarget>,
    /// The action asks for the visitor's own members and no ZIP code resolved them.
    pub needs_zip: bool,
    /// The visitor's senators were asked for and the ZIP code has none (DC, territories).
    pub no_senators: bool,
}

fn legislator(l: &Legislator, candidate: bool) -> CallTarget {
    let mut phones: Vec<PhoneView> = l.phone.iter().cloned().collect();
    if let Some(p) = l.offices.iter().find_map(|o| o.phone.clone()) {
        phones.push(p);
    }
    CallTarget {
        slug: l.slug.clone(),
        kind: l.kind,
        name: l.name.clone(),
        title: l.title.clone(),
        role: l.role.clone(),
        party: l.party.clone(),
        phones,
        direct_phone: l.direct_phone.clone(),
        note: String::new(),
        candidate,
    }
}

fn official(o: &StateOfficial, candidate: bool) -> CallTarget {
    CallTarget {
        slug: o.slug.clone(),
        kind: o.role,
        name: o.name.clone(),
        title: o.title.clone(),
        role: o.office.clone(),
        party: o.party.clone(),
        phones: o.phones.clone(),
        direct_phone: None,
        note: String::new(),
        candidate,
    }
}

/// Whom this action asks the visitor to contact, in the organizer's order: their senators
/// and representative(s) from `reps` (every candidate for a split ZIP code), and the named
/// contacts; each once.
pub fn resolve(detail: &ActionDetail, reps: Option<&RepsAnswer>) -> Resolved {
    let mut out = Resolved::default();
    for t in &detail.targets {
        let found: Vec<CallTarget> = match (t.kind, reps) {
            (TargetKind::VisitorSenators, Some(r)) => {
                let list: Vec<CallTarget> = r
                    .senators()
                    .map(|l| legislator(l, r.states.len() > 1))
                    .collect();
                out.no_senators |= list.is_empty();
                list
            }
            (TargetKind::VisitorRepresentative, Some(r)) => r
                .representatives()
                .map(|l| legislator(l, r.split))
                .collect(),
            (
                k @ (TargetKind::Governor
                | TargetKind::AttorneyGeneral
                | TargetKind::SecretaryOfState
                | TargetKind::StateUpper
                | TargetKind::StateLower),
                Some(r),
            ) => {
                let list: Vec<&StateOfficial> = r
                    .officials
                    .iter()
                    .filter(|o| Some(o.role) == k.state_official())
                    .collect();
                let several = list.len() > 1;
                list.into_iter().map(|o| official(o, several)).collect()
            }
            (
                TargetKind::VisitorSenators
                | TargetKind::VisitorRepresentative
                | TargetKind::Governor
                | TargetKind::AttorneyGeneral
                | TargetKind::SecretaryOfState
                | TargetKind::StateUpper
                | TargetKind::StateLower,
                None,
            ) => {
                out.needs_zip = true;
                Vec::new()
            }
            (TargetKind::Contact, _) => t
                .contact
                .iter()
                .map(|c| {
                    let d = &c.details;
                    CallTarget {
                        slug: d.slug.clone(),
                        kind: d.kind,
                        title: lookup::title_of(d.kind, &d.role, &d.name).to_string(),
                        name: d.name.clone(),
                        role: d.role.clone(),
                        party: d.party.clone(),
                        phones: c
                            .phones
                            .iter()
                            .filter(|p| p.kind != crate::domain::PhoneKind::Fax)
                            .cloned()
                            .collect(),
                        direct_phone: c.direct_phone.clone().filter(|_| c.has_toll_free),
                        note: t.note.clone(),
                        candidate: false,
                    }
                })
                .collect(),
        };
        for f in found {
            if !out.targets.iter().any(|x| x.slug == f.slug) {
                out.targets.push(f);
            }
        }
    }
    out
}

/// What the action page needs to show targets found among state officials: which target
/// kinds name which officials (`state_roles`), how many such targets the action has, and
/// the officials found (`state_targets`).
pub fn insert_state_targets(ctx: &mut tera::Context, detail: &ActionDetail, resolved: &Resolved) {
    let roles: std::collections::HashMap<&str, &str> = TargetKind::ALL
        .iter()
        .filter_map(|k| Some((k.as_str(), k.state_official()?.as_str())))
        .collect();
    let count = detail
        .targets
        .iter()
        .filter(|t| t.kind.state_official().is_some())
        .count();
    let found: Vec<&CallTarget> = resolved
        .targets
        .iter()
        .filter(|t| ContactKind::STATE.contains(&t.kind))
        .collect();
    let titles: std::collections::HashMap<&str, &str> = TargetKind::ALL
        .iter()
        .filter_map(|k| Some((k.as_str(), k.state_official()?.label())))
        .collect();
    ctx.insert("state_roles", &roles);
    ctx.insert("state_titles", &titles);
    ctx.insert("state_target_count", &count);
    ctx.insert("state_targets", &found);
}

/// The script's values for one target: `[TARGET NAME]`, `[TARGET TITLE]`, and the
/// senator's or representative's name when that is whom the caller is talking to.
pub fn for_target(base: &Placeholders, t: &CallTarget) -> Placeholders {
    let mut p = base.clone();
    p.target_name = Some(t.name.clone());
    p.target_title = Some(t.title.clone());
    match t.kind {
        ContactKind::Senator => p.senator_name = Some(t.name.clone()),
        ContactKind::Representative => p.rep_name = Some(t.name.clone()),
        _ => {}
    }
    p
}

/// What a ZIP code in DC or a territory, which has no senators, puts for `[SENATOR NAME]`:
/// its Delegate or Resident Commissioner, who speaks for it in Congress.
pub fn without_senators(reps: &RepsAnswer, p: &mut Placeholders) {
    if reps.senators().next().is_none() && reps.states.iter().all(|s| states::is_territory_or_dc(s))
    {
        let members: Vec<&str> = reps.representatives().map(|l| l.name.as_str()).collect();
        p.senator_name = Some(match members.as_slice() {
            [one] => one.to_string(),
            _ => "my member of Congress".to_string(),
        });
    }
}

/// The query of a call step.
#[derive(Debug, Default, Deserialize)]
pub struct CallQuery {
    pub zip: Option<String>,
    pub step: Option<String>,
    pub lang: Option<String>,
    /// What the caller did so far, one letter a step (see [`LOG_LETTERS`]).
    pub log: Option<String>,
}

/// The caller's tally letters: an outcome's, or `s` for a skipped target.
const LOG_LETTERS: [(char, &str); 9] = [
    ('c', "contacted"),
    ('v', "voicemail"),
    ('u', "unavailable"),
    ('w', "wrong_number"),
    ('d', "done"),
    ('g', "going"),
    ('r', "read"),
    ('s', "skipped"),
    ('-', ""),
];

fn clean_log(log: Option<&str>) -> String {
    log.unwrap_or("")
        .chars()
        .filter(|c| LOG_LETTERS.iter().any(|(l, _)| l == c))
        .take(200)
        .collect()
}

fn letter(outcome: &str) -> char {
    LOG_LETTERS
        .iter()
        .find(|(_, o)| *o == outcome)
        .map_or('-', |(l, _)| *l)
}

/// The caller's tally, as the done step shows it.
#[derive(Debug, Default, Serialize)]
struct Tally {
    contacted: usize,
    voicemail: usize,
    unavailable: usize,
    wrong_number: usize,
    skipped: usize,
    calls: usize,
}

fn tally(log: &str) -> Tally {
    let mut t = Tally::default();
    for c in log.chars() {
        match c {
            'c' => t.contacted += 1,
            'v' => t.voicemail += 1,
            'u' => t.unavailable += 1,
            'w' => t.wrong_number += 1,
            's' => t.skipped += 1,
            _ => {}
        }
    }
    t.calls = t.contacted + t.voicemail + t.unavailable + t.wrong_number;
    t
}

/// The address of a step.
pub fn step_url(slug: &str, zip: Option<&str>, step: usize, log: &str, lang: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(z) = zip {
        q.append_pair("zip", z);
    }
    q.append_pair("step", &step.to_string());
    if !log.is_empty() {
        q.append_pair("log", log);
    }
    if !lang.is_empty() && lang != "en" {
        q.append_pair("lang", lang);
    }
    format!("/actions/{slug}/call?{}", q.finish())
}

/// `GET /actions/{slug}/call`: one step of calling the action's targets.
pub async fn call_page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let known = state.versions.get().await?;
    let data = state
        .action_pages
        .data(&state.db, known.content, &slug, state.settings.zone())
        .await?;
    let d = &data.detail;
    let a = &d.action;
    if a.kind != ActionKind::Call {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/actions/{slug}")))
            .finish());
    }
    let vz = VisitorZip::of(&req, query.zip.as_deref());
    let reps = visitor::resolve(
        &state,
        &vz,
        &visitor::picks(&req, None, None).0,
        known.directory,
    )
    .await?;
    let resolved = resolve(d, reps.as_ref());
    let lang = visitor::pick_lang(&d.scripts, query.lang.as_deref());
    let log = clean_log(query.log.as_deref());
    let zip = vz.zip().map(|z| z.to_string());
    let n = resolved.targets.len();
    let step = query
        .step
        .as_deref()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, n + 1);
    let here = format!("/actions/{slug}/call");
    let mut ctx = Context::new();
    ctx.insert("a", a);
    ctx.insert(
        "d",
        &serde_json::json!({"campaign_slug": d.campaign_slug, "campaign_title": d.campaign_title}),
    );
    ctx.insert("here", &here);
    ctx.insert("total", &n);
    ctx.insert("step", &step);
    ctx.insert("zip", &zip);
    ctx.insert("log", &log);
    ctx.insert("lang", &lang);
    ctx.insert(
        "needs_zip",
        &(resolved.needs_zip && !matches!(vz, VisitorZip::Given(_) | VisitorZip::Remembered(_))),
    );
    ctx.insert("no_senators", &resolved.no_senators);
    ctx.insert("reps", &reps);
    ctx.insert("published", &(a.status == Status::Published));
    visitor::insert_context(&mut ctx, &vz, reps.as_ref(), None);
    let unknown_zip = vz.zip().is_some() && reps.is_none() && resolved.needs_zip;
    ctx.insert("unknown_zip", &unknown_zip);
    ctx.insert(
        "skip_url",
        &step_url(&slug, zip.as_deref(), step + 1, &format!("{log}s"), &lang),
    );
    ctx.insert(
        "back_url",
        &(step > 1).then(|| step_url(&slug, zip.as_deref(), step - 1, &log, &lang)),
    );
    ctx.insert(
        "action_url",
        &match &zip {
            Some(z) => format!("/actions/{slug}?zip={z}"),
            None => format!("/actions/{slug}"),
        },
    );
    if step <= n {
        let t = &resolved.targets[step - 1];
        let q = ActionQuery::default();
        let mut base = visitor::placeholders(&vz, reps.as_ref(), &q);
        if let Some(r) = &reps {
            without_senators(r, &mut base);
        }
        let fill = for_target(&base, t);
        ctx.insert("target", t);
        ctx.insert("scripts", &script_views(&d.scripts, &lang, &fill));
        ctx.insert("choices", &Outcome::choices_for(a.kind));
    } else {
        ctx.insert("tally", &tally(&log));
        ctx.insert("outcomes", &data.counts);
    }
    let body = render("action_call.html", &ctx)?;
    let res = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body);
    Ok(visitor::caching(&state, res, &vz, false))
}

/// The call-mode outcome form: the outcome, the contact called, and where the caller is.
#[derive(Debug, Deserialize)]
pub struct CallOutcome {
    pub outcome: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub step: Option<String>,
    pub zip: Option<String>,
    pub log: Option<String>,
    pub lang: Option<String>,
}

/// `POST /actions/{slug}/call`: records the outcome of one step's call and goes on to the
/// next step (303). Over the rate limit: a 429 page that keeps the report in a form to send
/// again, and leads back to the step.
pub async fn post_call(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CallOutcome>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let f = form.into_inner();
    let step = f
        .step
        .as_deref()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let zip = f
        .zip
        .as_deref()
        .and_then(|z| crate::domain::Zip::parse(z).ok())
        .map(|z| z.to_string());
    let log = clean_log(f.log.as_deref());
    let lang = f.lang.clone().unwrap_or_default();
    let input = super::outcomes::OutcomeInput {
        outcome: f.outcome.clone(),
        contact: f.contact.clone(),
        phone: f.phone.clone(),
    };
    let back = step_url(&slug, zip.as_deref(), step, &log, &lang);
    match super::outcomes::record(&state, &req, slug.clone(), &input, false).await {
        Ok(_) => {}
        Err(WebError::RateLimited { retry_after }) => {
            return super::outcomes::too_many(
                retry_after,
                &format!("/actions/{slug}/call"),
                &[
                    ("outcome", f.outcome.as_deref()),
                    ("contact", f.contact.as_deref()),
                    ("phone", f.phone.as_deref()),
                    ("step", Some(&step.to_string())),
                    ("zip", zip.as_deref()),
                    ("log", Some(&log)),
                    ("lang", Some(&lang)),
                ],
                &back,
            );
        }
        Err(e) => return Err(e),
    }
    let outcome = f.outcome.as_deref().unwrap_or("").trim();
    let next = step_url(
        &slug,
        zip.as_deref(),
        step + 1,
        &format!("{log}{}", letter(outcome)),
        &lang,
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_reads_the_log() {
        let t = tally(&clean_log(Some("cvvsux<w")));
        assert_eq!(
            (
                t.contacted,
                t.voicemail,
                t.unavailable,
                t.wrong_number,
                t.skipped,
                t.calls
            ),
            (1, 2, 1, 1, 1, 5)
        );
        assert_eq!(
            step_url("a", Some("98104"), 2, "c", "en"),
            "/actions/a/call?zip=98104&step=2&log=c"
        );
    }
}
