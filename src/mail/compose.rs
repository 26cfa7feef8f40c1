//! Composing digests from the change log, the only source: for each subscriber who is due,
//! every entry after the last one they were sent, filtered by the campaigns they follow,
//! grouped by campaign. Each digest is recorded in the outbox in the same transaction that
//! advances the subscriber's cursor, so it is composed exactly once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::security::ids::Permutation;
use chrono::NaiveDateTime;
use serde::Serialize;
use tera::Context;
use tokio::sync::mpsc;

use super::outbox::Work;
use super::shared_body::SharedBody;
use super::templates::{render_email, Rendered};
use super::Result;
use crate::config::Settings;
use crate::db::changes::{self, Change, FieldChange};
use crate::db::contacts::PhoneView;
use crate::db::digest_sources::{self, ActionRef, CampaignRef, UpdateRef};
use crate::db::outbox::{self, Content, NewMessage, TOKEN_SLOT};
use crate::db::subscribers::{self, Subscriber};
use crate::db::{actions, write_tx, DbConn};
use crate::domain::schedule::last_slot;
use crate::domain::{Frequency, MessageKind, PhoneNumber, Zone};
use serde_json::Value;

/// Subscribers composed per transaction.
const PAGE: i64 = 200;

/// One line of a digest.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Item {
    pub title: String,
    pub url: String,
    /// What changed ("new phone number"), "reopened", or a date for updates.
    pub note: String,
    /// What the change is: each changed field with its new value; for a new action, its
    /// number and deadline.
    pub details: Vec<Detail>,
    /// Text to read in the email: a new action's summary, an update's text (cut at
    /// about [`EXCERPT`] characters).
    pub text: String,
    /// Whether `text` was cut short (the link has the rest).
    pub cut: bool,
}

/// One changed field and its new value: "Deadline: Sun 6 Dec, 6:00 pm EST".
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Detail {
    pub label: String,
    pub value: String,
    /// `tel:+1…` where the value is a number to call.
    pub tel: Option<String>,
}

impl Detail {
    fn new(label: impl Into<String>, value: impl Into<String>) -> Detail {
        Detail {
            label: label.into(),
            value: value.into(),
            tel: None,
        }
    }

    fn phone(label: &str, p: &PhoneView) -> Detail {
        Detail {
            label: label.into(),
            value: phone_text(p),
            tel: Some(p.tel.clone()),
        }
    }
}

/// About how many characters of an update's text a digest carries.
pub const EXCERPT: usize = 600;
/// How many characters of a changed long field (a description, a script) it carries.
const FIELD_EXCERPT: usize = 300;

/// The first `max` characters of `text`, cut at a word and marked "…"; and whether it
/// was cut.
pub fn excerpt(text: &str, max: usize) -> (String, bool) {
    let text = text.trim();
    if text.chars().count() <= max {
        return (text.to_string(), false);
    }
    let end = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let cut = head
        .rfind(char::is_whitespace)
        .filter(|&i| i > end / 2)
        .unwrap_or(end);
    (format!("{}…", head[..cut].trim_end()), true)
}

/// A number as a digest shows it: "(202) 555-0142", its vanity form beside it.
fn phone_text(p: &PhoneView) -> String {
    number_text(&p.e164, &p.national, &p.display, p.vanity.as_deref())
}

fn number_text(e164: &str, national: &str, display: &str, vanity: Option<&str>) -> String {
    let number = if e164.starts_with("+1") {
        national
    } else {
        display
    };
    match vanity {
        Some(v) => format!("{v} ({number})"),
        None => number.to_string(),
    }
}

/// A stored time (RFC 3339 text) as the campaign's people read it.
fn time_in(zone: Zone, now: NaiveDateTime, t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| zone.when(t.naive_utc(), now))
        .unwrap_or_else(|_| t.to_string())
}

/// The value of a changed field of a digest's changed action, in words.
fn field_details(
    f: &FieldChange,
    zone: Zone,
    now: NaiveDateTime,
    action: &ActionRef,
) -> Vec<Detail> {
    let text = |v: &Value| -> String {
        match v {
            Value::String(s) => excerpt(s, FIELD_EXCERPT).0,
            Value::Null => "(none)".into(),
            Value::Array(l) if l.is_empty() => "(none)".into(),
            Value::Array(l) => l
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    };
    let label = actions::field_label(&f.field);
    let label: String = {
        let mut c = label.chars();
        c.next()
            .map(|h| h.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    };
    match f.field.as_str() {
        "developing" | "campaign" => Vec::new(),
        "starts_at" | "ends_at" | "expires_at" => vec![Detail::new(
            label,
            f.new
                .as_str()
                .map_or_else(|| "removed".into(), |t| time_in(zone, now, t)),
        )],
        "scripts" => {
            let scripts = f.new.as_object();
            let first = scripts.and_then(|m| m.get("en").or_else(|| m.values().next()));
            vec![Detail::new(
                label,
                first.map_or_else(|| "(none)".into(), text),
            )]
        }
        "links" => {
            let list: Vec<String> = f
                .new
                .as_array()
                .into_iter()
                .flatten()
                .filter(|l| !f.old.as_array().is_some_and(|o| o.contains(*l)))
                .map(|l| {
                    let (t, u) = (l["title"].as_str(), l["url"].as_str().unwrap_or(""));
                    match t {
                        Some(t) if t != u => format!("{t} <{u}>"),
                        _ => u.to_string(),
                    }
                })
                .collect();
            if list.is_empty() {
                vec![Detail::new(label, "some removed")]
            } else {
                vec![Detail::new("New links or sources", list.join(", "))]
            }
        }
        "targets" => {
            let mut out = vec![Detail::new(
                label,
                if action.contacts.is_empty() {
                    "whoever represents you (see the page)".to_string()
                } else {
                    action.contacts.join(", ")
                },
            )];
            if let Some(p) = &action.phone {
                out.push(Detail::phone("Call", p));
            }
            out
        }
        "contact.phones" => {
            let old = f.old.as_array();
            let phones: Vec<&Value> = f.new.as_array().into_iter().flatten().collect();
            let fresh: Vec<&Value> = phones
                .iter()
                .copied()
                .filter(|p| !old.is_some_and(|o| o.iter().any(|q| q["e164"] == p["e164"])))
                .collect();
            let shown = if fresh.is_empty() { phones } else { fresh };
            let out: Vec<Detail> = shown
                .into_iter()
                .filter_map(|p| {
                    let n =
                        PhoneNumber::from_stored(p["e164"].as_str()?, p["vanity"].as_str()).ok()?;
                    // "New number (Washington, DC office)": which of a member's numbers.
                    let label = match p["note"].as_str().filter(|n| !n.is_empty()) {
                        Some(note) => format!("New number ({note})"),
                        None => "New number".into(),
                    };
                    Some(Detail {
                        label,
                        value: number_text(n.e164(), &n.national(), &n.display(), n.vanity()),
                        tel: Some(n.tel_uri()),
                    })
                })
                .collect();
            if out.is_empty() {
                vec![Detail::new("Numbers", "removed")]
            } else {
                out
            }
        }
        _ => vec![Detail::new(label, text(&f.new))],
    }
}

/// A campaign's part of a digest.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Section {
    pub title: String,
    pub url: String,
    pub added: Vec<Item>,
    pub changed: Vec<Item>,
    pub expired: Vec<Item>,
    pub updates: Vec<Item>,
}

impl Section {
    fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.expired.is_empty()
            && self.updates.is_empty()
    }
}

/// What the change log entries refer to.
pub struct Sources {
    pub actions: HashMap<i32, ActionRef>,
    pub updates: HashMap<i32, UpdateRef>,
    pub campaigns: Vec<CampaignRef>,
}

impl Sources {
    /// Loads what these entries refer to.
    pub fn load(conn: &mut DbConn, entries: &[Change]) -> Result<Sources> {
        let a: Vec<i32> = entries.iter().filter_map(|c| c.action_id).collect();
        let u: Vec<i32> = entries.iter().filter_map(|c| c.update_id).collect();
        Ok(Sources {
            actions: digest_sources::actions(conn, &a)?,
            updates: digest_sources::updates(conn, &u)?,
            campaigns: digest_sources::campaigns(conn)?,
        })
    }
}

/// Merges field changes of several entries: the oldest `old`, the newest `new`, and fields
/// that came back to where they were dropped.
fn merge_fields(list: &[FieldChange]) -> Vec<FieldChange> {
    let mut merged: Vec<FieldChange> = Vec::new();
    for f in list {
        match merged.iter_mut().find(|m| m.field == f.field) {
            Some(m) => m.new = f.new.clone(),
            None => merged.push(f.clone()),
        }
    }
    merged.retain(|m| m.old != m.new);
    merged
}

/// The sections of a digest of `entries` for someone following `campaigns` (empty: all).
pub fn sections(
    settings: &Settings,
    entries: &[Change],
    campaigns: &[i32],
    src: &Sources,
    now: NaiveDateTime,
) -> Vec<Section> {
    #[derive(Default)]
    struct Acc {
        added: Vec<(i32, String)>,
        changed: BTreeMap<i32, Vec<FieldChange>>,
        changed_order: Vec<i32>,
        /// Each expired action and the organizer's reason ("" when none was given).
        expired: Vec<(i32, String)>,
        updates: Vec<i32>,
    }
    let mut per: HashMap<i32, Acc> = HashMap::new();
    for c in entries {
        if !campaigns.is_empty() && !campaigns.contains(&c.campaign_id) {
            continue;
        }
        let acc = per.entry(c.campaign_id).or_default();
        match (c.kind.as_str(), c.action_id, c.update_id) {
            ("action_published" | "action_reopened", Some(a), _) => {
                acc.expired.retain(|(x, _)| *x != a);
                if !acc.added.iter().any(|(x, _)| *x == a) {
                    let note = if c.kind == "action_reopened" {
                        "reopened"
                    } else {
                        ""
                    };
                    acc.added.push((a, note.to_string()));
                }
            }
            ("action_changed", Some(a), _) => {
                // A change to an action this digest introduces is already in what it shows.
                if acc.added.iter().any(|(x, _)| *x == a) {
                    continue;
                }
                if !acc.changed.contains_key(&a) {
                    acc.changed_order.push(a);
                }
                acc.changed.entry(a).or_default().extend(c.field_changes());
            }
            ("action_expired", Some(a), _) => {
                acc.added.retain(|(x, _)| *x != a);
                acc.changed.remove(&a);
                acc.changed_order.retain(|&x| x != a);
                let reason = c
                    .field_changes()
                    .into_iter()
                    .find(|f| f.field == actions::REASON)
                    .and_then(|f| f.new.as_str().map(str::to_string))
                    .unwrap_or_default();
                acc.expired.retain(|(x, _)| *x != a);
                acc.expired.push((a, reason));
            }
            ("update_posted", _, Some(u)) => acc.updates.push(u),
            _ => {}
        }
    }
    let action_item = |id: i32, note: String| -> Option<(Item, &ActionRef)> {
        let a = src.actions.get(&id)?;
        Some((
            Item {
                title: a.title.clone(),
                url: settings.absolute(&format!("/actions/{}", a.slug)),
                note,
                ..Item::default()
            },
            a,
        ))
    };
    let default_zone = Zone::of(settings.digest_timezone);
    let mut out = Vec::new();
    for camp in &src.campaigns {
        let Some(acc) = per.remove(&camp.id) else {
            continue;
        };
        let zone = camp.timezone.unwrap_or(default_zone);
        let mut s = Section {
            title: camp.title.clone(),
            url: settings.absolute(&format!("/campaigns/{}", camp.slug)),
            ..Section::default()
        };
        s.added = acc
            .added
            .into_iter()
            .filter_map(|(id, note)| {
                let (mut item, a) = action_item(id, note)?;
                item.text = a.summary.clone();
                if let Some(p) = &a.phone {
                    item.details.push(Detail::phone("Call", p));
                }
                if let Some(t) = a.expires_at {
                    item.details
                        .push(Detail::new("Deadline", zone.when(t, now)));
                }
                Some(item)
            })
            .collect();
        for id in acc.changed_order {
            let fields = merge_fields(&acc.changed[&id]);
            if fields.is_empty() {
                continue;
            }
            let note = actions::describe_fields_with(&fields, &|t: &str| time_in(zone, now, t));
            if let Some((mut item, a)) = action_item(id, note) {
                for f in &fields {
                    for d in field_details(f, zone, now, a) {
                        if !item.details.contains(&d) {
                            item.details.push(d);
                        }
                    }
                }
                s.changed.push(item);
            }
        }
        s.expired = acc
            .expired
            .into_iter()
            .filter_map(|(id, reason)| action_item(id, reason).map(|(item, _)| item))
            .collect();
        s.updates = acc
            .updates
            .into_iter()
            .filter_map(|id| {
                let u = src.updates.get(&id)?;
                let (text, cut) = excerpt(&u.body, EXCERPT);
                Some(Item {
                    title: u.title.clone(),
                    url: settings.absolute(&format!("/campaigns/{}#{}", camp.slug, u.slug)),
                    note: zone.day(u.published_at),
                    text,
                    cut,
                    ..Item::default()
                })
            })
            .collect();
        if !s.is_empty() {
            out.push(s);
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "1 new action, 2 changed, 1 ended, 1 update".
pub fn summary(sections: &[Section]) -> String {
    let sum = |f: fn(&Section) -> usize| sections.iter().map(f).sum::<usize>();
    let (a, c, e, u) = (
        sum(|s| s.added.len()),
        sum(|s| s.changed.len()),
        sum(|s| s.expired.len()),
        sum(|s| s.updates.len()),
    );
    let mut parts = Vec::new();
    if a > 0 {
        parts.push(plural(a, "new action", "new actions"));
    }
    if c > 0 {
        parts.push(format!("{c} changed"));
    }
    if e > 0 {
        parts.push(format!("{e} ended"));
    }
    if u > 0 {
        parts.push(plural(u, "update", "updates"));
    }
    parts.join(", ")
}

/// The links every email carries, for a given raw token.
pub fn manage_links(settings: &Settings, token: &str) -> (String, String) {
    (
        settings.absolute(&format!("/preferences?token={token}")),
        settings.absolute(&format!("/unsubscribe?token={token}")),
    )
}

/// Renders a digest of these sections; links carry [`TOKEN_SLOT`] for the token.
pub fn render(settings: &Settings, sections: &[Section], frequency: Frequency) -> Result<Rendered> {
    let (preferences_url, unsubscribe_url) = manage_links(settings, TOKEN_SLOT);
    let mut ctx = Context::new();
    let prefix = match sections {
        [one] => one.title.clone(),
        _ => "actiondesk".to_string(),
    };
    ctx.insert("prefix", &prefix);
    ctx.insert("summary", &summary(sections));
    ctx.insert("sections", sections);
    ctx.insert("frequency", frequency.as_str());
    ctx.insert("preferences_url", &preferences_url);
    ctx.insert("unsubscribe_url", &unsubscribe_url);
    ctx.insert("site_url", &settings.absolute("/"));
    render_email("digest", &ctx)
}

/// What [`preview`] shows: the digest of the changes not yet sent to every subscriber.
#[derive(Debug, Serialize)]
pub struct Preview {
    /// Active subscribers.
    pub subscribers: i64,
    /// Change-log entries not yet carried to every one of them.
    pub pending: usize,
    /// The digest of those entries for someone following `campaigns`, if they make one.
    pub rendered: Option<Rendered>,
}

/// The digest an immediate subscriber following `campaigns` (empty: all) would get now for
/// the changes digests have yet to carry — rendered exactly as [`compose_due`] renders
/// one, without sending or recording anything (links carry no token).
pub fn preview(
    conn: &mut DbConn,
    settings: &Settings,
    campaigns: &[i32],
    now: NaiveDateTime,
) -> Result<Preview> {
    let (from, subscribers) = subscribers::pending_from(conn)?;
    let entries = match from {
        Some(from) => changes::after(conn, from, i64::MAX)?,
        None => Vec::new(),
    };
    let src = Sources::load(conn, &entries)?;
    let secs = sections(settings, &entries, campaigns, &src, now);
    let rendered = if secs.is_empty() {
        None
    } else {
        let mut r = render(settings, &secs, Frequency::Immediate)?;
        for part in [&mut r.text, &mut r.html] {
            *part = part.replace(TOKEN_SLOT, "PREVIEW");
        }
        Some(r)
    };
    Ok(Preview {
        subscribers,
        pending: entries.len(),
        rendered,
    })
}

fn host(settings: &Settings) -> String {
    settings
        .base_url
        .host_str()
        .unwrap_or("localhost")
        .to_string()
}

/// A Message-ID derived from the outbox key under the site's key (it names no subscriber
/// or count); stored with the message, so a re-send carries the same one.
pub fn message_id(settings: &Settings, ids: &Permutation, dedupe_key: &str) -> String {
    format!("<{}@{}>", ids.digest(dedupe_key), host(settings))
}

/// Headers every digest carries (RFC 2369 / RFC 8058).
pub fn list_headers(settings: &Settings, unsubscribe_url: &str) -> Vec<(String, String)> {
    vec![
        ("List-Unsubscribe".into(), format!("<{unsubscribe_url}>")),
        (
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        ),
        (
            "List-Id".into(),
            format!("actiondesk digests <digests.{}>", host(settings)),
        ),
        ("Auto-Submitted".into(), "auto-generated".into()),
    ]
}

/// Whether an `immediate` digest of `entries` for someone following `campaigns` waits for
/// a quiet spell: the latest change to what they follow is less than `DIGEST_QUIET_SECS`
/// old and the first less than `DIGEST_MAX_DELAY_SECS`.
pub fn still_editing(
    settings: &Settings,
    entries: &[Change],
    campaigns: &[i32],
    now: NaiveDateTime,
) -> bool {
    let mut followed = entries
        .iter()
        .filter(|c| campaigns.is_empty() || campaigns.contains(&c.campaign_id))
        .map(|c| c.created_at);
    let Some(first) = followed.next() else {
        return false;
    };
    let (first, last) = followed.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let age = |t: NaiveDateTime| (now - t).to_std().unwrap_or_default();
    age(last) < settings.digest_quiet && age(first) < settings.digest_max_delay
}

/// Subscribers with the same cursor, campaigns and frequency get the same digest.
type GroupKey = (i32, Vec<i32>, &'static str);

/// A group's digest: rendered once, stored once (when its first recipient is recorded),
/// encoded once for sending, and the first change-log entry it includes.
struct Shared {
    rendered: Rendered,
    first_change_id: i32,
    body_id: Option<i32>,
    encoded: Option<Arc<SharedBody>>,
}

/// Where composed digests go: the composing worker sends them itself, so they are stored
/// as claimed by `worker` and handed to its senders as each page commits, without another
/// trip through the database.
pub struct HandOff {
    pub worker: String,
    pub to: mpsc::Sender<Work>,
    /// Once stopped, no further page is composed (the next run composes it).
    pub stop: super::outbox::Stop,
}

/// Composes every digest that is due at `now` and hands each to `hand_off`'s senders;
/// returns how many were recorded.
pub fn compose_due(
    conn: &mut DbConn,
    settings: &Settings,
    now: NaiveDateTime,
    hand_off: &HandOff,
) -> Result<usize> {
    let max = changes::max_id(conn)?;
    let tz = settings.digest_timezone;
    let slots = subscribers::Slots {
        daily: last_slot(Frequency::Daily, tz, now),
        weekly: last_slot(Frequency::Weekly, tz, now),
    };
    // Entries (lo, max] are in `log`, oldest first; older ones are loaded as needed.
    let mut log: Vec<Change> = Vec::new();
    let mut lo = max;
    let mut src: Option<Sources> = None;
    let mut cache: HashMap<GroupKey, Option<Shared>> = HashMap::new();
    let mut waiting: HashSet<GroupKey> = HashSet::new();
    let mut composed = 0;
    let mut after = 0;
    loop {
        if hand_off.stop.is_stopped() {
            break;
        }
        let page = subscribers::due(conn, slots, max, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let min_cursor = page.iter().map(|s| s.last_change_id).min().unwrap_or(max);
        if min_cursor < lo {
            let mut older: Vec<Change> = changes::after(conn, min_cursor, i64::MAX)?
                .into_iter()
                .filter(|c| c.id <= lo)
                .collect();
            older.append(&mut log);
            log = older;
            lo = min_cursor;
            src = None;
        }
        if src.is_none() {
            src = Some(Sources::load(conn, &log)?);
        }
        let src_ref = src.as_ref().expect("loaded above");
        let ids: Vec<i32> = page.iter().map(|s| s.id).collect();
        let follows = subscribers::campaigns_of(conn, &ids)?;
        let mut plan = Vec::with_capacity(page.len());
        for s in &page {
            let camps = follows.get(&s.id).cloned().unwrap_or_default();
            let freq = s.frequency();
            let key = (s.last_change_id, camps, freq.as_str());
            if waiting.contains(&key) {
                continue;
            }
            if !cache.contains_key(&key) {
                let start = log.partition_point(|c| c.id <= s.last_change_id);
                let entries = &log[start..];
                if freq == Frequency::Immediate && still_editing(settings, entries, &key.1, now) {
                    // Its cursor stays where it is: a later run carries this session whole.
                    waiting.insert(key);
                    continue;
                }
                let secs = sections(settings, entries, &key.1, src_ref, now);
                let value = if secs.is_empty() {
                    None
                } else {
                    Some(Shared {
                        rendered: render(settings, &secs, freq)?,
                        first_change_id: entries.first().map(|c| c.id).unwrap_or(max),
                        body_id: None,
                        encoded: None,
                    })
                };
                cache.insert(key.clone(), value);
            }
            plan.push((s, key));
        }
        let (n, claimed) = write_tx(conn, |conn| -> crate::db::Result<(usize, Vec<Work>)> {
            // Of this page, those whose cursor this worker moves (another may have moved
            // some), and of those, whoever follows something that changed.
            let mut won = HashSet::new();
            let mut froms: Vec<i32> = plan.iter().map(|(s, _)| s.last_change_id).collect();
            froms.sort_unstable();
            froms.dedup();
            for from in froms {
                let ids: Vec<i32> = plan
                    .iter()
                    .filter(|(s, _)| s.last_change_id == from)
                    .map(|(s, _)| s.id)
                    .collect();
                won.extend(subscribers::advance(conn, &ids, from, max, now)?);
            }
            let to_mail: Vec<&(&Subscriber, GroupKey)> = plan
                .iter()
                .filter(|(s, key)| won.contains(&s.id) && cache[key].is_some())
                .collect();
            if to_mail.is_empty() {
                return Ok((0, Vec::new()));
            }
            let ids: Vec<i32> = to_mail.iter().map(|(s, _)| s.id).collect();
            let tokens = subscribers::new_manage_tokens(conn, &ids, now)?;
            let id_key = crate::db::settings::id_permutation(conn)?;
            let (_, unsubscribe_url) = manage_links(settings, TOKEN_SLOT);
            let headers = list_headers(settings, &unsubscribe_url);
            let mut messages = Vec::with_capacity(to_mail.len());
            let mut bodies = HashMap::new();
            for ((s, key), token) in to_mail.into_iter().zip(tokens) {
                let shared = cache
                    .get_mut(key)
                    .and_then(Option::as_mut)
                    .expect("only those with a digest");
                let body_id = match shared.body_id {
                    Some(id) => id,
                    None => {
                        let r = &shared.rendered;
                        *shared
                            .body_id
                            .insert(outbox::add_body(conn, &r.text, &r.html, now)?)
                    }
                };
                let r = &shared.rendered;
                let encoded = shared
                    .encoded
                    .get_or_insert_with(|| Arc::new(SharedBody::prepare(&r.text, &r.html)));
                bodies.insert(body_id, encoded.clone());
                let dedupe_key = format!("digest:{}:{}", s.id, max);
                messages.push(NewMessage {
                    message_id: message_id(settings, &id_key, &dedupe_key),
                    dedupe_key,
                    subscriber_id: Some(s.id),
                    kind: MessageKind::Digest,
                    first_change_id: Some(shared.first_change_id),
                    last_change_id: Some(max),
                    to_addr: s.email.clone(),
                    subject: shared.rendered.subject.clone(),
                    content: Content::Shared { body_id, token },
                    headers: headers.clone(),
                });
            }
            // Claimed now, not when the run began: the lease runs from here.
            let claimed_at = crate::db::now();
            let rows = outbox::enqueue_claimed(conn, &messages, now, &hand_off.worker, claimed_at)?;
            let work = rows
                .into_iter()
                .map(|m| {
                    let body = m.body_id.and_then(|id| bodies.get(&id).cloned());
                    (m, body)
                })
                .collect::<Vec<Work>>();
            Ok((work.len(), work))
        })?;
        composed += n;
        for w in claimed {
            // Senders gone: what is left stays claimed until its lease runs out.
            if hand_off.to.blocking_send(w).is_err() {
                tracing::warn!("no sender takes composed digests; they wait for their lease");
                break;
            }
        }
    }
    Ok(composed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_ends_at_a_word() {
        assert_eq!(excerpt(" short ", 600), ("short".to_string(), false));
        let (text, cut) = excerpt("one two three four", 10);
        assert!(cut);
        assert_eq!(text, "one two…");
        let long = "é".repeat(700);
        let (text, cut) = excerpt(&long, 600);
        assert!(cut && text.chars().count() == 601, "characters, not bytes");
    }

    fn change(campaign_id: i32, secs_ago: i64, now: NaiveDateTime) -> Change {
        Change {
            id: 1,
            campaign_id,
            action_id: Some(1),
            update_id: None,
            kind: crate::domain::ChangeKind::ActionChanged,
            summary: String::new(),
            fields: "[]".into(),
            organizer_id: None,
            actor: String::new(),
            created_at: now - chrono::Duration::seconds(secs_ago),
        }
    }

    #[test]
    fn immediate_digests_wait_for_a_quiet_spell_but_not_forever() {
        let settings = Settings::from_lookup(|_| None, None).unwrap();
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc() + chrono::Duration::days(20_000);
        // Defaults: 120 s quiet, 900 s at most.
        let session = [change(1, 300, now), change(1, 60, now)];
        assert!(still_editing(&settings, &session, &[], now));
        assert!(!still_editing(&settings, &session[..1], &[], now));
        assert!(
            !still_editing(&settings, &session, &[2], now),
            "only changes to what the subscriber follows count"
        );
        let marathon = [change(1, 1_000, now), change(1, 10, now)];
        assert!(!still_editing(&settings, &marathon, &[], now));
        assert!(!still_editing(&settings, &[], &[], now));
    }
}
