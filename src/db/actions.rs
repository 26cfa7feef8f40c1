//! Actions: what a visitor is asked to do. Creating and editing drafts, the lifecycle
//! (publish, expire, reopen) and edits of published actions, each recorded in the change
//! log, a revision and the audit log inside the same transaction.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::changes::{self, ChangeKind, FieldChange, NewChange};
use super::contacts::{self, ContactView};
use super::schema::{action_links, action_tags, action_targets, actions, campaigns, scripts};
use super::{Actor, DbConn, Error, Result};
use crate::domain::LinkKind;
use crate::domain::{
    ActionKind, Body, HttpUrl, InvalidInput, LangTag, LinkTitle, LongLine, Note, Slug, Status,
    Summary, Tag, TargetKind, Title, Transition,
};

/// An action row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize)]
#[diesel(table_name = actions)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: i32,
    pub slug: String,
    pub campaign_id: i32,
    pub kind: ActionKind,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub url: Option<String>,
    pub status: Status,
    pub developing: bool,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub location: String,
    pub expires_at: Option<NaiveDateTime>,
    pub position: i32,
    pub published_at: Option<NaiveDateTime>,
    pub expired_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When a draft publishes itself (the worker's [`publish_due`]); `None`: by hand only.
    pub publish_at: Option<NaiveDateTime>,
}

/// A script in one language.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = scripts)]
pub struct Script {
    #[serde(skip)]
    pub action_id: i32,
    pub lang: String,
    pub body: String,
}

/// A link or source of an action.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = action_links)]
pub struct Link {
    #[serde(skip)]
    pub action_id: i32,
    pub kind: LinkKind,
    pub title: String,
    pub url: String,
}

/// Whom an action asks you to contact.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = action_targets)]
pub struct Target {
    #[serde(skip)]
    pub action_id: i32,
    pub kind: TargetKind,
    pub contact_id: Option<i32>,
    pub note: String,
}

/// A script to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptInput {
    pub lang: LangTag,
    pub body: Body,
}

/// A link or source to store.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkInput {
    pub kind: LinkKind,
    pub title: LinkTitle,
    pub url: HttpUrl,
}

impl LinkInput {
    /// A link or source; one without a title is titled by its URL.
    pub fn new(kind: LinkKind, title: Option<LinkTitle>, url: HttpUrl) -> LinkInput {
        let title = title
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| LinkTitle::of_url(&url));
        LinkInput { kind, title, url }
    }
}

/// A target to store.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetInput {
    pub kind: TargetKind,
    pub contact_id: Option<i32>,
    pub note: Note,
}

/// Every editable field of an action. Each field's own rule is its type's (see
/// [`crate::domain::text`]); the rules between fields are [`ActionInput::check`]'s.
#[derive(Debug, Clone)]
pub struct ActionInput {
    pub campaign_id: i32,
    pub kind: ActionKind,
    pub title: Title,
    pub summary: Summary,
    pub body: Body,
    pub url: Option<HttpUrl>,
    pub developing: bool,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub location: LongLine,
    pub expires_at: Option<NaiveDateTime>,
    /// When the draft publishes itself.
    pub publish_at: Option<NaiveDateTime>,
    pub scripts: Vec<ScriptInput>,
    pub tags: Vec<Tag>,
    pub links: Vec<LinkInput>,
    pub targets: Vec<TargetInput>,
}

/// Where a rule between an action's fields is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionField {
    /// `ends_at`.
    EndsAt,
    /// The language of the script at this index of [`ActionInput::scripts`].
    ScriptLang(usize),
}

impl ActionField {
    /// The field's name in the JSON API (and in errors from [`create`] and [`update`]).
    pub fn api_name(self) -> String {
        match self {
            ActionField::EndsAt => "ends_at".into(),
            ActionField::ScriptLang(i) => format!("scripts[{i}].lang"),
        }
    }
}

impl ActionInput {
    /// An empty draft of the campaign: every other field empty, off or unset. Where an
    /// input starts when not every field is given (an API create, the demo, tests).
    pub fn new(campaign_id: i32, kind: ActionKind, title: Title) -> ActionInput {
        ActionInput {
            campaign_id,
            kind,
            title,
            summary: Summary::default(),
            body: Body::default(),
            url: None,
            developing: false,
            starts_at: None,
            ends_at: None,
            location: LongLine::default(),
            expires_at: None,
            publish_at: None,
            scripts: Vec::new(),
            tags: Vec::new(),
            links: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// The rules between fields: an event does not end before it starts, and there is one
    /// script per language. Answers every broken one.
    pub fn check(&self) -> Vec<(ActionField, InvalidInput)> {
        let mut out = Vec::new();
        if let (Some(s), Some(e)) = (self.starts_at, self.ends_at) {
            if e < s {
                out.push((
                    ActionField::EndsAt,
                    InvalidInput::new("must not be before the start"),
                ));
            }
        }
        for (i, s) in self.scripts.iter().enumerate() {
            if self.scripts[..i].iter().any(|o| o.lang == s.lang) {
                out.push((
                    ActionField::ScriptLang(i),
                    InvalidInput::new(format!("{} is given twice", s.lang)),
                ));
            }
        }
        out
    }

    /// [`ActionInput::check`] as a storage error naming the first broken field.
    fn checked(&self) -> Result<()> {
        match self.check().into_iter().next() {
            Some((field, e)) => Err(Error::invalid(field.api_name(), e.0)),
            None => Ok(()),
        }
    }
}

/// A target joined with its contact.
#[derive(Debug, Clone, Serialize)]
pub struct TargetView {
    pub kind: TargetKind,
    pub note: String,
    pub contact: Option<ContactView>,
}

/// An action with everything that belongs to it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionDetail {
    pub action: Action,
    pub campaign_slug: String,
    pub campaign_title: String,
    pub scripts: Vec<Script>,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
    pub targets: Vec<TargetView>,
}

impl ActionDetail {
    /// The default script: English where given, else the first.
    pub fn script(&self) -> Option<&Script> {
        self.scripts
            .iter()
            .find(|s| s.lang == "en")
            .or_else(|| self.scripts.first())
    }
}

/// Filters for listing actions.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub campaign_id: Option<i32>,
    pub status: Option<Status>,
    pub kind: Option<ActionKind>,
}

fn conflict_slug(slug: &Slug) -> Error {
    Error::Conflict {
        field: "slug".into(),
        message: format!("an action called “{slug}” already exists"),
    }
}

/// The first free slug of the form `base`, `base-2`, `base-3`, …
pub fn free_slug(conn: &mut DbConn, base: &Slug) -> Result<Slug> {
    let mut candidate = base.clone();
    for n in 2..1000 {
        if find(conn, candidate.as_str())?.is_none() {
            return Ok(candidate);
        }
        candidate = base.with_suffix(n);
    }
    Err(conflict_slug(base))
}

/// Creates a draft. With no slug one is made from the title; a given slug that is taken
/// is a conflict. Drafts write no change-log entry.
pub fn create(
    conn: &mut DbConn,
    input: &ActionInput,
    slug: Option<Slug>,
    actor: &Actor,
) -> Result<Action> {
    let slug = match slug {
        Some(s) if find(conn, s.as_str())?.is_some() => return Err(conflict_slug(&s)),
        Some(s) => s,
        None => free_slug(conn, &Slug::from_title(&input.title))?,
    };
    input.checked()?;
    campaign_exists(conn, input.campaign_id)?;
    let position: i32 = actions::table
        .filter(actions::campaign_id.eq(input.campaign_id))
        .select(diesel::dsl::max(actions::position))
        .first::<Option<i32>>(conn)?
        .map_or(0, |p| p + 1);
    let action_id: i32 = diesel::insert_into(actions::table)
        .values((
            actions::slug.eq(slug.as_str()),
            actions::campaign_id.eq(input.campaign_id),
            actions::status.eq(Status::Draft.as_str()),
            actions::position.eq(position),
            actions::created_at.eq(actor.at),
            actions::updated_at.eq(actor.at),
            actions::kind.eq(input.kind.as_str()),
            actions::title.eq(input.title.as_str()),
        ))
        .returning(actions::id)
        .get_result(conn)?;
    let action = by_id(conn, action_id)?;
    write_fields(conn, action.id, input, actor.at)?;
    let snap = snapshot(conn, action.id)?;
    changes::record_revision(conn, "action", action.id, &snap, actor)?;
    changes::audit(
        conn,
        actor,
        "create",
        "action",
        Some(action.id),
        &json!({"after": snap}),
    )?;
    by_id(conn, action.id)
}

fn campaign_exists(conn: &mut DbConn, id: i32) -> Result<()> {
    let n: i64 = campaigns::table
        .filter(campaigns::id.eq(id))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(Error::invalid("campaign", "no such campaign"));
    }
    Ok(())
}

/// Writes every field of `input`. The input is taken apart without `..`: a new field does
/// not compile until it is written here.
fn write_fields(conn: &mut DbConn, id: i32, input: &ActionInput, at: NaiveDateTime) -> Result<()> {
    let ActionInput {
        campaign_id,
        kind,
        title,
        summary,
        body,
        url,
        developing,
        starts_at,
        ends_at,
        location,
        expires_at,
        publish_at,
        scripts: script_list,
        tags,
        links,
        targets,
    } = input;
    diesel::update(actions::table.find(id))
        .set((
            actions::campaign_id.eq(campaign_id),
            actions::kind.eq(kind.as_str()),
            actions::title.eq(title.as_str()),
            actions::summary.eq(summary.as_str()),
            actions::body.eq(body.as_str()),
            actions::url.eq(url.as_ref().map(HttpUrl::as_str)),
            actions::developing.eq(developing),
            actions::starts_at.eq(starts_at),
            actions::ends_at.eq(ends_at),
            actions::location.eq(location.as_str()),
            actions::expires_at.eq(expires_at),
            actions::publish_at.eq(publish_at),
            actions::updated_at.eq(at),
        ))
        .execute(conn)?;
    diesel::delete(scripts::table.filter(scripts::action_id.eq(id))).execute(conn)?;
    for s in script_list {
        diesel::insert_into(scripts::table)
            .values((
                scripts::action_id.eq(id),
                scripts::lang.eq(s.lang.as_str()),
                scripts::body.eq(s.body.as_str()),
            ))
            .execute(conn)?;
    }
    diesel::delete(action_tags::table.filter(action_tags::action_id.eq(id))).execute(conn)?;
    let mut tags = tags.clone();
    tags.sort();
    tags.dedup();
    for t in &tags {
        diesel::insert_into(action_tags::table)
            .values((
                action_tags::action_id.eq(id),
                action_tags::tag.eq(t.as_str()),
            ))
            .execute(conn)?;
    }
    diesel::delete(action_links::table.filter(action_links::action_id.eq(id))).execute(conn)?;
    for (i, l) in links.iter().enumerate() {
        diesel::insert_into(action_links::table)
            .values((
                action_links::action_id.eq(id),
                action_links::kind.eq(&l.kind),
                action_links::title.eq(l.title.as_str()),
                action_links::url.eq(l.url.as_str()),
                action_links::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    diesel::delete(action_targets::table.filter(action_targets::action_id.eq(id))).execute(conn)?;
    for (i, t) in targets.iter().enumerate() {
        diesel::insert_into(action_targets::table)
            .values((
                action_targets::action_id.eq(id),
                action_targets::kind.eq(t.kind.as_str()),
                action_targets::contact_id.eq(t.contact_id),
                action_targets::note.eq(t.note.as_str()),
                action_targets::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Saves new field values. Editing a published (or expired) action records which fields
/// changed, old and new, in the change log; editing a draft writes none.
pub fn update(conn: &mut DbConn, id: i32, input: &ActionInput, actor: &Actor) -> Result<Action> {
    let current = by_id(conn, id)?;
    input.checked()?;
    campaign_exists(conn, input.campaign_id)?;
    let mut before = snapshot(conn, id)?;
    // Text stored before today's rules (a CR, spaces at the ends of lines) is compared as
    // it would be stored now: saving it again unedited is no change.
    changes::normalise_text(&mut before);
    write_fields(conn, id, input, actor.at)?;
    let after = snapshot(conn, id)?;
    let fields = changes::diff(&before, &after, &[]);
    if fields.is_empty() {
        // Nothing changed: keep the old updated_at.
        diesel::update(actions::table.find(id))
            .set(actions::updated_at.eq(current.updated_at))
            .execute(conn)?;
        // Fields not diffed (a draft's schedule) may still have been written.
        return by_id(conn, id);
    }
    changes::record_revision(conn, "action", id, &after, actor)?;
    changes::audit(
        conn,
        actor,
        "edit",
        "action",
        Some(id),
        &json!({"fields": fields}),
    )?;
    if current.status.is_public() {
        changes::append(
            conn,
            NewChange {
                campaign_id: input.campaign_id,
                action_id: Some(id),
                update_id: None,
                kind: ChangeKind::ActionChanged,
                summary: describe_fields(&fields),
                fields,
            },
            actor,
        )?;
    }
    by_id(conn, id)
}

/// Records, for every published action that targets this contact, that its numbers or
/// details changed (a contact edit reaches subscribers through the actions that use it).
pub fn contact_changed(
    conn: &mut DbConn,
    contact_id: i32,
    fields: &[FieldChange],
    actor: &Actor,
) -> Result<usize> {
    if fields.is_empty() {
        return Ok(0);
    }
    let affected: Vec<Action> = actions::table
        .inner_join(action_targets::table)
        .filter(action_targets::contact_id.eq(contact_id))
        .filter(actions::status.eq(Status::Published.as_str()))
        .select(Action::as_select())
        .distinct()
        .load(conn)?;
    let prefixed: Vec<FieldChange> = fields
        .iter()
        .map(|f| FieldChange {
            field: format!("contact.{}", f.field),
            old: f.old.clone(),
            new: f.new.clone(),
        })
        .collect();
    // Whose details changed, for actions with several targets: "new phone number for
    // Charles E. Schumer".
    let name: String = super::schema::contacts::table
        .find(contact_id)
        .select(super::schema::contacts::name)
        .first(conn)?;
    let summary = format!("{} for {name}", describe_fields(&prefixed));
    for a in &affected {
        changes::append(
            conn,
            NewChange {
                campaign_id: a.campaign_id,
                action_id: Some(a.id),
                update_id: None,
                kind: ChangeKind::ActionChanged,
                summary: summary.clone(),
                fields: prefixed.clone(),
            },
            actor,
        )?;
    }
    Ok(affected.len())
}

/// A short human account of what changed: "new phone number, new deadline", worded by
/// [`WORDING`].
pub fn describe_fields(fields: &[FieldChange]) -> String {
    describe_fields_with(fields, &|t| t.replace('T', " "))
}

/// [`describe_fields`], with times (stored as RFC 3339 text) written by `when`: a digest
/// writes them in the campaign's time zone.
pub fn describe_fields_with(fields: &[FieldChange], when: &dyn Fn(&str) -> String) -> String {
    let mut parts: Vec<String> = Vec::new();
    for f in fields {
        let s = match wording(&f.field).said {
            Said::Phrase(p) => p.to_string(),
            Said::Revised => format!("{} revised", plain_name(&f.field)),
            Said::Deadline => match f.new.as_str() {
                Some(t) => format!("new deadline: {}", when(t)),
                None => "deadline removed".into(),
            },
            Said::Developing if f.new == Value::Bool(true) => "marked developing".into(),
            Said::Developing => "no longer developing".into(),
        };
        if !parts.contains(&s) {
            parts.push(s);
        }
    }
    parts.join(", ")
}

/// Publishes, expires or reopens an action, recording the change.
pub fn transition(conn: &mut DbConn, id: i32, t: Transition, actor: &Actor) -> Result<Action> {
    transition_with(conn, id, t, None, actor)
}

/// [`transition`], with the organizer's reason (for an expiry: why it is over), which the
/// change log carries: the history line says it and digests show it.
pub fn transition_with(
    conn: &mut DbConn,
    id: i32,
    t: Transition,
    reason: Option<&Note>,
    actor: &Actor,
) -> Result<Action> {
    let reason = reason.filter(|r| !r.is_empty());
    let current = by_id(conn, id)?;
    let from = current.status;
    let to = from.apply(t).map_err(|e| Error::Conflict {
        field: "status".into(),
        message: e.0,
    })?;
    diesel::update(actions::table.find(id))
        .set((
            actions::status.eq(to.as_str()),
            actions::updated_at.eq(actor.at),
        ))
        .execute(conn)?;
    let mut action = by_id(conn, id)?;
    match t {
        Transition::Publish | Transition::Reopen => {
            let published_at = if t == Transition::Publish || action.published_at.is_none() {
                Some(actor.at)
            } else {
                action.published_at
            };
            diesel::update(actions::table.find(id))
                .set((
                    actions::published_at.eq(published_at),
                    actions::expired_at.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
        }
        Transition::Expire => {
            diesel::update(actions::table.find(id))
                .set(actions::expired_at.eq(Some(actor.at)))
                .execute(conn)?;
        }
    }
    action = by_id(conn, id)?;
    let (kind, summary) = match t {
        Transition::Publish => (
            ChangeKind::ActionPublished,
            format!("New action: {}", action.title),
        ),
        Transition::Expire => (ChangeKind::ActionExpired, format!("Over: {}", action.title)),
        Transition::Reopen => (
            ChangeKind::ActionReopened,
            format!("Reopened: {}", action.title),
        ),
    };
    let mut fields = vec![FieldChange {
        field: "status".into(),
        old: json!(from.as_str()),
        new: json!(to.as_str()),
    }];
    let summary = match reason {
        Some(r) => {
            fields.push(FieldChange {
                field: REASON.into(),
                old: Value::Null,
                new: json!(r.as_str()),
            });
            format!("{summary} — {r}")
        }
        None => summary,
    };
    let snap = snapshot(conn, id)?;
    changes::record_revision(conn, "action", id, &snap, actor)?;
    changes::audit(
        conn,
        actor,
        t.as_str(),
        "action",
        Some(id),
        &json!({"fields": fields}),
    )?;
    changes::append(
        conn,
        NewChange {
            campaign_id: action.campaign_id,
            action_id: Some(id),
            update_id: None,
            kind,
            summary,
            fields,
        },
        actor,
    )?;
    Ok(action)
}

/// The field of a lifecycle change-log entry that carries the organizer's reason.
pub const REASON: &str = "reason";

/// Expires each of these actions with one reason, as [`transition_with`] would one by
/// one (call inside a write transaction: all or none).
pub fn expire_all(conn: &mut DbConn, ids: &[i32], reason: &Note, actor: &Actor) -> Result<()> {
    for id in ids {
        transition_with(conn, *id, Transition::Expire, Some(reason), actor)?;
    }
    Ok(())
}

/// Puts a campaign's actions in this order (ids, first first); actions of the campaign
/// not named keep their order after those named.
pub fn set_order(conn: &mut DbConn, campaign_id: i32, order: &[i32], actor: &Actor) -> Result<()> {
    let mut ids: Vec<i32> = actions::table
        .filter(actions::campaign_id.eq(campaign_id))
        .order((actions::position.asc(), actions::id.asc()))
        .select(actions::id)
        .load(conn)?;
    let before = ids.clone();
    ids.retain(|id| !order.contains(id));
    let named: Vec<i32> = order
        .iter()
        .copied()
        .filter(|id| before.contains(id))
        .collect();
    let new: Vec<i32> = named.into_iter().chain(ids).collect();
    if new == before {
        return Ok(());
    }
    write_positions(conn, &new)?;
    changes::audit(
        conn,
        actor,
        "reorder",
        "campaign",
        Some(campaign_id),
        &json!({"before": before, "after": new}),
    )?;
    super::settings::bump_content_version(conn)?;
    Ok(())
}

/// Creates a draft copy of an action (everything but its schedule), under a free slug
/// made from the original's with `-copy`.
pub fn duplicate(
    conn: &mut DbConn,
    input: &ActionInput,
    of: &Action,
    actor: &Actor,
) -> Result<Action> {
    let base = Slug::parse(&format!("{}-copy", of.slug))
        .unwrap_or_else(|_| Slug::from_title(&format!("{} copy", of.title)));
    let slug = free_slug(conn, &base)?;
    let copy = ActionInput {
        publish_at: None,
        ..input.clone()
    };
    let a = create(conn, &copy, Some(slug), actor)?;
    changes::audit(
        conn,
        actor,
        "duplicate",
        "action",
        Some(a.id),
        &json!({"of": of.slug}),
    )?;
    Ok(a)
}

/// Numbers these actions 0, 1, 2, … in this order.
fn write_positions(conn: &mut DbConn, ids: &[i32]) -> Result<()> {
    for (i, aid) in ids.iter().enumerate() {
        diesel::update(actions::table.find(aid))
            .set(actions::position.eq(i as i32))
            .execute(conn)?;
    }
    Ok(())
}

/// Moves an action to a new place in its campaign's order (0 = first).
pub fn reorder(conn: &mut DbConn, id: i32, new_index: usize, actor: &Actor) -> Result<()> {
    let action = by_id(conn, id)?;
    let mut ids: Vec<i32> = actions::table
        .filter(actions::campaign_id.eq(action.campaign_id))
        .order((actions::position.asc(), actions::id.asc()))
        .select(actions::id)
        .load(conn)?;
    ids.retain(|&x| x != id);
    ids.insert(new_index.min(ids.len()), id);
    write_positions(conn, &ids)?;
    changes::audit(
        conn,
        actor,
        "reorder",
        "action",
        Some(id),
        &json!({"position": new_index}),
    )?;
    super::settings::bump_content_version(conn)?;
    Ok(())
}

/// Expires every published action whose expiry time has passed, exactly as a manual
/// expiry would be recorded. Returns the slugs expired.
pub fn expire_due(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<String>> {
    let due: Vec<(i32, String)> = actions::table
        .filter(actions::status.eq(Status::Published.as_str()))
        .filter(actions::expires_at.le(now))
        .select((actions::id, actions::slug))
        .load(conn)?;
    transition_due(conn, due, Transition::Expire, "expiry", now)
}

/// Applies `t` to each of `due` as the system, "(<what> time reached)"; their slugs.
fn transition_due(
    conn: &mut DbConn,
    due: Vec<(i32, String)>,
    t: Transition,
    what: &str,
    now: NaiveDateTime,
) -> Result<Vec<String>> {
    let actor = Actor {
        organizer_id: None,
        name: format!("system ({what} time reached)"),
        at: now,
    };
    for (id, _) in &due {
        transition(conn, *id, t, &actor)?;
    }
    Ok(due.into_iter().map(|(_, s)| s).collect())
}

/// Publishes every draft whose publishing time has come, exactly as a manual publish
/// would be recorded. Returns the slugs published.
pub fn publish_due(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<String>> {
    let due: Vec<(i32, String)> = actions::table
        .filter(actions::status.eq(Status::Draft.as_str()))
        .filter(actions::publish_at.le(now))
        .order(actions::publish_at.asc())
        .select((actions::id, actions::slug))
        .load(conn)?;
    transition_due(conn, due, Transition::Publish, "publishing", now)
}

/// The canonical JSON of an action and everything attached to it: what revisions store
/// and what edits are compared on (so what the change log, feeds and digests can report).
/// The row is taken apart field by field, without `..`: a new column does not compile
/// until it is either snapshotted here (and, unless "<name> revised" will do, given a row
/// in [`WORDING`]) or named as not diffed.
pub fn snapshot(conn: &mut DbConn, id: i32) -> Result<Value> {
    let action = by_id(conn, id)?;
    let d = detail(conn, action)?;
    let Action {
        // Identity, lifecycle and bookkeeping: not content, never diffed.
        id: _,
        slug: _,
        status: _,
        position: _,
        published_at: _,
        expired_at: _,
        created_at: _,
        updated_at: _,
        // Only a draft's schedule: once public it has done its work.
        publish_at: _,
        // The campaign is diffed by its slug (below).
        campaign_id: _,
        kind,
        title,
        summary,
        body,
        url,
        developing,
        starts_at,
        ends_at,
        location,
        expires_at,
    } = &d.action;
    let ts = |t: &Option<NaiveDateTime>| t.map(|t| t.and_utc().to_rfc3339());
    Ok(json!({
        "campaign": d.campaign_slug,
        "kind": kind, "title": title, "summary": summary, "body": body,
        "url": url, "developing": developing, "location": location,
        "starts_at": ts(starts_at), "ends_at": ts(ends_at), "expires_at": ts(expires_at),
        "scripts": d.scripts.iter().map(|s| (s.lang.clone(), json!(s.body))).collect::<serde_json::Map<_, _>>(),
        "tags": d.tags,
        "links": d.links.iter().map(|l| json!({"kind": l.kind, "title": l.title, "url": l.url})).collect::<Vec<_>>(),
        "targets": d.targets.iter().map(|t| json!({"kind": t.kind, "note": t.note,
            "contact": t.contact.as_ref().map(|c| c.details.slug.clone())})).collect::<Vec<_>>(),
    }))
}

/// How people read a change to one field of [`snapshot`] (or of a target contact, as
/// `contact.<field>`).
pub struct Wording {
    /// The field's name in the change log.
    pub field: &'static str,
    /// Its name in an action's history; `None`: the field's name, `_` read as a space.
    pub label: Option<&'static str>,
    /// What change summaries (the change log, feed titles, digests) say when it changes.
    pub said: Said,
}

/// What a change summary says about one changed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// A fixed phrase: "new script".
    Phrase(&'static str),
    /// "<field name> revised".
    Revised,
    /// "new deadline: <time>", or "deadline removed".
    Deadline,
    /// "marked developing", or "no longer developing".
    Developing,
}

/// The one wording table of the fields [`snapshot`] records, for the history on an
/// action's page ([`field_label`]), feeds and digests ([`describe_fields`]). A field not
/// listed is named by its snapshot name and said to be "revised".
pub const WORDING: &[Wording] = &[
    Wording {
        field: "title",
        label: None,
        said: Said::Phrase("new title"),
    },
    Wording {
        field: "body",
        label: Some("description"),
        said: Said::Revised,
    },
    Wording {
        field: "url",
        label: Some("link"),
        said: Said::Phrase("new link"),
    },
    Wording {
        field: "developing",
        label: None,
        said: Said::Developing,
    },
    Wording {
        field: "location",
        label: None,
        said: Said::Phrase("new location"),
    },
    Wording {
        field: "starts_at",
        label: Some("start time"),
        said: Said::Phrase("new event time"),
    },
    Wording {
        field: "ends_at",
        label: Some("end time"),
        said: Said::Phrase("new event time"),
    },
    Wording {
        field: "expires_at",
        label: Some("deadline"),
        said: Said::Deadline,
    },
    Wording {
        field: "scripts",
        label: Some("script"),
        said: Said::Phrase("new script"),
    },
    Wording {
        field: "links",
        label: Some("links and sources"),
        said: Said::Phrase("new links or sources"),
    },
    Wording {
        field: "targets",
        label: Some("people to contact"),
        said: Said::Phrase("new people to contact"),
    },
    Wording {
        field: "contact.phones",
        label: None,
        said: Said::Phrase("new phone number"),
    },
];

/// The wording of `field`: its row in [`WORDING`], or the default one.
pub fn wording(field: &str) -> &'static Wording {
    const DEFAULT: Wording = Wording {
        field: "",
        label: None,
        said: Said::Revised,
    };
    WORDING
        .iter()
        .find(|w| w.field == field)
        .unwrap_or(&DEFAULT)
}

/// A field's name read as words: `contact.website_url` is "website url".
fn plain_name(field: &str) -> String {
    field.trim_start_matches("contact.").replace('_', " ")
}

/// A snapshot field's name as visitors read it (an action's history): from [`WORDING`].
pub fn field_label(field: &str) -> String {
    wording(field)
        .label
        .map_or_else(|| plain_name(field), str::to_string)
}

/// The action with this slug, if any.
pub fn find(conn: &mut DbConn, slug: &str) -> Result<Option<Action>> {
    Ok(actions::table
        .filter(actions::slug.eq(slug))
        .select(Action::as_select())
        .first(conn)
        .optional()?)
}

/// The action with this slug, or `NotFound`.
pub fn by_slug(conn: &mut DbConn, slug: &str) -> Result<Action> {
    find(conn, slug)?.ok_or(Error::NotFound("action"))
}

/// The action with this id, or `NotFound`.
pub fn by_id(conn: &mut DbConn, id: i32) -> Result<Action> {
    actions::table
        .find(id)
        .select(Action::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("action"))
}

/// Actions matching the filter, in campaign order.
pub fn list(conn: &mut DbConn, f: &ActionFilter) -> Result<Vec<Action>> {
    let mut q = actions::table
        .order((
            actions::campaign_id.asc(),
            actions::position.asc(),
            actions::id.asc(),
        ))
        .select(Action::as_select())
        .into_boxed();
    if let Some(c) = f.campaign_id {
        q = q.filter(actions::campaign_id.eq(c));
    }
    if let Some(s) = f.status {
        q = q.filter(actions::status.eq(s.as_str()));
    }
    if let Some(k) = f.kind {
        q = q.filter(actions::kind.eq(k.as_str()));
    }
    Ok(q.load(conn)?)
}

/// Joins one action with its campaign, scripts, tags, links and targets.
pub fn detail(conn: &mut DbConn, action: Action) -> Result<ActionDetail> {
    Ok(details(conn, vec![action])?.remove(0))
}

/// Joins many actions with their parts in a fixed number of queries.
pub fn details(conn: &mut DbConn, list: Vec<Action>) -> Result<Vec<ActionDetail>> {
    let ids: Vec<i32> = list.iter().map(|a| a.id).collect();
    let camp: HashMap<i32, (String, String)> = campaigns::table
        .filter(campaigns::id.eq_any(list.iter().map(|a| a.campaign_id).collect::<Vec<_>>()))
        .select((campaigns::id, campaigns::slug, campaigns::title))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, s, t)| (id, (s, t)))
        .collect();
    let all_scripts: Vec<Script> = scripts::table
        .filter(scripts::action_id.eq_any(&ids))
        .order((scripts::action_id, scripts::lang))
        .select(Script::as_select())
        .load(conn)?;
    let all_tags: Vec<(i32, String)> = action_tags::table
        .filter(action_tags::action_id.eq_any(&ids))
        .order((action_tags::action_id, action_tags::tag))
        .select((action_tags::action_id, action_tags::tag))
        .load(conn)?;
    let all_links: Vec<Link> = action_links::table
        .filter(action_links::action_id.eq_any(&ids))
        .order((action_links::action_id, action_links::position))
        .select(Link::as_select())
        .load(conn)?;
    let all_targets: Vec<Target> = action_targets::table
        .filter(action_targets::action_id.eq_any(&ids))
        .order((action_targets::action_id, action_targets::position))
        .select(Target::as_select())
        .load(conn)?;
    let contact_ids: Vec<i32> = all_targets.iter().filter_map(|t| t.contact_id).collect();
    let found = contacts::by_ids(conn, &contact_ids)?;
    let views: HashMap<i32, ContactView> = found
        .iter()
        .map(|c| c.id)
        .zip(contacts::views(conn, &found)?)
        .collect();
    Ok(list
        .into_iter()
        .map(|a| {
            let (campaign_slug, campaign_title) =
                camp.get(&a.campaign_id).cloned().unwrap_or_default();
            ActionDetail {
                scripts: all_scripts
                    .iter()
                    .filter(|s| s.action_id == a.id)
                    .cloned()
                    .collect(),
                tags: all_tags
                    .iter()
                    .filter(|t| t.0 == a.id)
                    .map(|t| t.1.clone())
                    .collect(),
                links: all_links
                    .iter()
                    .filter(|l| l.action_id == a.id)
                    .cloned()
                    .collect(),
                targets: all_targets
                    .iter()
                    .filter(|t| t.action_id == a.id)
                    .map(|t| TargetView {
                        kind: t.kind,
                        note: t.note.clone(),
                        contact: t.contact_id.and_then(|c| views.get(&c).cloned()),
                    })
                    .collect(),
                campaign_slug,
                campaign_title,
                action: a,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(field: &str, new: Value) -> FieldChange {
        FieldChange {
            field: field.into(),
            old: Value::Null,
            new,
        }
    }

    #[test]
    fn one_table_words_history_and_summaries() {
        assert_eq!(field_label("expires_at"), "deadline");
        assert_eq!(field_label("body"), "description");
        assert_eq!(field_label("title"), "title");
        assert_eq!(field_label("contact.website_url"), "website url");
        assert_eq!(field_label("contact.phones"), "phones");
        let said = describe_fields(&[
            change("contact.phones", json!([])),
            change("expires_at", json!("2026-06-01T17:00:00+00:00")),
            change("starts_at", Value::Null),
            change("ends_at", Value::Null),
            change("body", json!("x")),
            change("developing", json!(true)),
            change("contact.website_url", json!("x")),
        ]);
        assert_eq!(
            said,
            "new phone number, new deadline: 2026-06-01 17:00:00+00:00, new event time, \
             body revised, marked developing, website url revised"
        );
        assert_eq!(
            describe_fields(&[
                change("expires_at", Value::Null),
                change("developing", json!(false))
            ]),
            "deadline removed, no longer developing"
        );
    }
}
