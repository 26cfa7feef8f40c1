//! What the JSON API accepts: request bodies with their OpenAPI schemas, and their
//! checking into the db layer's validated inputs. Every bad value is an `Invalid` error
//! naming its field (`title`, `targets[0].contact.phones[1].number`, …).

use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::actions::{
    ActionDetail, ActionField, ActionInput, LinkInput, ScriptInput, TargetInput,
};
use crate::db::campaigns::CampaignInput;
use crate::db::contacts::{self, ContactInput, PhoneInput};
use crate::db::updates::{Relation, UpdateInput};
use crate::db::{self, campaigns, Actor, DbConn, Error, FieldExt};
use crate::domain::{
    parse_time, ActionKind, Address, Body, ContactKind, HttpUrl, LangTag, Line, LinkKind,
    LinkTitle, LongLine, Name, Note, PhoneKind, PhoneNumber, Slug, Summary, Tag, TargetKind, Title,
    Zone,
};
use crate::web::error::WebError;

/// Reads a JSON object into `T`. A value of the wrong type, a missing or an unknown field
/// is a 422 naming the field (found by trying each field alone: every field of the API's
/// bodies is optional to serde, and required ones are checked afterwards).
pub fn from_body<T: DeserializeOwned>(body: Value) -> Result<T, WebError> {
    let Value::Object(map) = &body else {
        return Err(WebError::BadRequest {
            field: None,
            message: "the body must be a JSON object".into(),
        });
    };
    let map = map.clone();
    serde_json::from_value::<T>(body).map_err(|e| {
        let field = map
            .iter()
            .find(|(k, v)| {
                let alone = Value::Object([((*k).clone(), (*v).clone())].into_iter().collect());
                serde_json::from_value::<T>(alone).is_err()
            })
            .map(|(k, _)| k.clone());
        let message = e.to_string();
        let message = match message.find(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        WebError::Invalid { field, message }
    })
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A script to store.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptIn {
    /// A language tag such as `en` or `es`.
    pub lang: String,
    pub body: String,
}

/// A link or a source to store.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    /// Defaults to the URL.
    #[serde(default)]
    pub title: Option<String>,
    /// An absolute `http` or `https` URL.
    #[schema(pattern = "^https?://")]
    pub url: String,
}

/// A phone number of a new contact.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneIn {
    /// `202-401-9246`, `(202) 401-9246`, `+1 202 401 9246` or a vanity form such as
    /// `1-866-DHS-2-ICE` (kept for display).
    pub number: String,
    /// Defaults to `toll_free` for toll-free numbers, else `main`.
    #[serde(default)]
    #[schema(value_type = Option<PhoneKind>)]
    pub kind: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// For a toll-free number: its direct (not toll-free) alternative for callers abroad.
    #[serde(default)]
    pub direct: Option<String>,
}

/// A contact created together with the action that targets it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContactIn {
    /// Defaults to one made from the name; a slug already in use is a conflict (name
    /// the existing contact by its slug instead).
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 80)]
    pub slug: Option<String>,
    #[schema(pattern = "\\S")]
    pub name: String,
    /// Defaults to `agency`.
    #[serde(default)]
    #[schema(value_type = Option<ContactKind>)]
    pub kind: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^https?://")]
    pub contact_form_url: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^https?://")]
    pub website_url: Option<String>,
    #[serde(default)]
    pub phones: Vec<PhoneIn>,
}

/// An existing contact by slug, or a new one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ContactRef {
    Slug(String),
    New(NewContactIn),
}

/// Whom an action asks people to contact.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetIn {
    /// Defaults to `contact`.
    #[serde(default)]
    #[schema(value_type = Option<TargetKind>)]
    pub kind: Option<String>,
    /// For `contact` targets: a contact's slug (see `GET /api/v1/contacts`) or a new
    /// contact.
    #[serde(default)]
    pub contact: Option<ContactRef>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The fields of an action. `POST /api/v1/actions` needs `campaign`, `kind` and `title`;
/// `PATCH` changes only the fields given, and `null` clears an optional one (lists become
/// empty, text becomes empty). `slug` is only for creating (it is made from the title
/// when absent). Times are RFC 3339 (`2026-06-01T18:00:00Z`; without an offset, UTC).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionFields {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 80)]
    pub slug: Option<Option<String>>,
    /// The campaign's slug.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub campaign: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ActionKind>)]
    pub kind: Option<Option<String>>,
    /// At most 200 characters.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 200)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub summary: Option<Option<String>>,
    /// Markdown.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub body: Option<Option<String>>,
    /// The English script (shorthand for an `en` entry of `scripts`).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub script: Option<Option<String>>,
    /// Every script, by language (replaces all of them).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<ScriptIn>>)]
    pub scripts: Option<Option<Vec<ScriptIn>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<bool>)]
    pub developing: Option<Option<bool>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Option<String>>,
    /// When the action expires by itself.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
    /// When the draft publishes itself (ISO 8601); `null`: only when published by hand.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub publish_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    /// Where to act (a petition, a form): an absolute `http` or `https` URL.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^https?://")]
    pub url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<TargetIn>>)]
    pub targets: Option<Option<Vec<TargetIn>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<LinkIn>>)]
    pub links: Option<Option<Vec<LinkIn>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<LinkIn>>)]
    pub sources: Option<Option<Vec<LinkIn>>>,
}

/// A new action: [`ActionFields`] with `campaign`, `kind` and `title` required
/// (documentation only; bodies are read as `ActionFields`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewAction {
    #[serde(flatten)]
    pub fields: ActionFields,
    /// The campaign's slug.
    pub campaign: String,
    pub kind: ActionKind,
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: String,
}

/// A new campaign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignIn {
    /// At most 200 characters.
    #[schema(required, value_type = String, pattern = "\\S", max_length = 200)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub body: Option<String>,
    /// Made from the title when absent; a slug in use is a conflict.
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 80)]
    pub slug: Option<String>,
    /// An IANA time zone ("America/New_York") its times are shown in; absent or empty:
    /// the site's `DIGEST_TIMEZONE`.
    #[serde(default)]
    #[schema(example = "America/New_York")]
    pub timezone: Option<String>,
}

/// An action a dated update names: its slug, or `{slug, relation}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum UpdateActionIn {
    Slug(String),
    Related {
        slug: String,
        /// Defaults to `changed`.
        #[serde(default)]
        #[schema(value_type = Option<Relation>)]
        relation: Option<String>,
    },
}

/// A dated campaign update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIn {
    /// At most 200 characters.
    #[schema(required, value_type = String, pattern = "\\S", max_length = 200)]
    pub title: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub body: Option<String>,
    /// Defaults to now.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<String>,
    /// Actions of the same campaign the update added or changed.
    #[serde(default)]
    pub actions: Option<Vec<UpdateActionIn>>,
}

/// A time given in a field (see [`parse_time`]), as openapi.json's `date-time` says:
/// nothing around it, and an empty string is not a time (`null` is none).
fn time(field: &str, s: &str) -> db::Result<NaiveDateTime> {
    exact(field, s)?;
    parse_time(s).field(field)
}

/// A slug given in a field, as openapi.json's pattern says: nothing around it.
fn slug(field: &str, s: &str) -> db::Result<Slug> {
    exact(field, s)?;
    Slug::parse(s).field(field)
}

/// Refuses a value with spaces around it, or an empty one, where the schema gives a
/// format or pattern (the pages' forms, which people type into, trim instead).
fn exact(field: &str, s: &str) -> db::Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(
            field,
            "is empty; leave it out (or send null)",
        ));
    }
    if s.trim() != s {
        return Err(Error::invalid(field, "has spaces around it"));
    }
    Ok(())
}

/// An optional URL: absent, `null` or empty is none.
fn opt_url(field: &str, v: Option<&str>) -> db::Result<Option<HttpUrl>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(u) => HttpUrl::parse(u).field(field).map(Some),
    }
}

/// A lookup key (a slug naming something stored) that must be given.
fn required_key<'a>(field: &str, s: Option<&'a str>) -> db::Result<&'a str> {
    match s.map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::invalid(field, "is required")),
    }
}

/// The first rule between an action's fields that `input` breaks, by its API name.
fn check_action(input: &ActionInput, only_scripts: bool) -> db::Result<()> {
    let broken = input
        .check()
        .into_iter()
        .find(|(f, _)| !only_scripts || matches!(f, ActionField::ScriptLang(_)));
    match broken {
        Some((field, e)) => Err(Error::invalid(field.api_name(), e.0)),
        None => Ok(()),
    }
}

/// The stored fields of an action, as an input to edit (each checked again by its type:
/// a value stored before a rule was tightened is named when it no longer passes).
pub fn input_of(conn: &mut DbConn, d: &ActionDetail) -> db::Result<ActionInput> {
    let a = &d.action;
    let mut targets = Vec::new();
    for (i, t) in d.targets.iter().enumerate() {
        let contact_id = match &t.contact {
            Some(c) => Some(contacts::by_slug(conn, &c.details.slug)?.id),
            None => None,
        };
        targets.push(TargetInput {
            kind: t.kind,
            contact_id,
            note: Note::parse(&t.note).field(&format!("targets[{i}].note"))?,
        });
    }
    let mut scripts = Vec::new();
    for (i, s) in d.scripts.iter().enumerate() {
        scripts.push(ScriptInput {
            lang: LangTag::parse(&s.lang).field(&format!("scripts[{i}].lang"))?,
            body: Body::parse(&s.body).field(&format!("scripts[{i}].body"))?,
        });
    }
    let mut tags = Vec::new();
    for (i, t) in d.tags.iter().enumerate() {
        tags.push(Tag::parse(t).field(&format!("tags[{i}]"))?);
    }
    let mut links = Vec::new();
    for (i, l) in d.links.iter().enumerate() {
        let field = format!("{}s[{i}]", l.kind);
        let url = HttpUrl::parse(&l.url).field(&format!("{field}.url"))?;
        let title = LinkTitle::parse(&l.title).ok();
        links.push(LinkInput::new(l.kind, title, url));
    }
    Ok(ActionInput {
        campaign_id: a.campaign_id,
        kind: a.kind,
        title: Title::parse(&a.title).field("title")?,
        summary: Summary::parse(&a.summary).field("summary")?,
        body: Body::parse(&a.body).field("body")?,
        url: opt_url("url", a.url.as_deref())?,
        developing: a.developing,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        location: LongLine::parse(&a.location).field("location")?,
        expires_at: a.expires_at,
        publish_at: a.publish_at,
        scripts,
        tags,
        links,
        targets,
    })
}

fn campaign_id(conn: &mut DbConn, slug: Option<&str>) -> db::Result<i32> {
    let slug = required_key("campaign", slug)?;
    campaigns::find(conn, slug)?
        .map(|c| c.id)
        .ok_or_else(|| Error::invalid("campaign", format!("no campaign called {slug:?}")))
}

fn kind(s: Option<&str>) -> db::Result<ActionKind> {
    let s = required_key("kind", s)?;
    ActionKind::parse(s).map_err(|_| {
        Error::invalid(
            "kind",
            format!(
                "{s:?} is not a kind of action; use {}",
                ActionKind::choices()
            ),
        )
    })
}

impl ActionFields {
    /// Checks a create request into a new draft's input (and its slug, if given).
    pub fn into_new(
        self,
        conn: &mut DbConn,
        actor: &Actor,
    ) -> db::Result<(ActionInput, Option<Slug>)> {
        let campaign = campaign_id(conn, self.campaign.clone().flatten().as_deref())?;
        let kind = kind(self.kind.clone().flatten().as_deref())?;
        let title =
            Title::parse(self.title.clone().flatten().as_deref().unwrap_or("")).field("title")?;
        let slug = match self.slug.clone().flatten() {
            Some(s) => Some(slug("slug", &s)?),
            None => None,
        };
        let input = self.apply(conn, ActionInput::new(campaign, kind, title), actor)?;
        Ok((input, slug))
    }

    /// Applies the fields given to `base`: absent ones stay, `null` clears optional ones.
    pub fn apply(
        self,
        conn: &mut DbConn,
        mut base: ActionInput,
        actor: &Actor,
    ) -> db::Result<ActionInput> {
        // Every field is named, in the order applied: a new one does not compile until it
        // is applied below (or marked `_`, as `slug` is: only `into_new` reads it).
        let ActionFields {
            slug: _,
            campaign,
            kind: kind_name,
            title,
            summary,
            body,
            location,
            developing,
            url,
            starts_at,
            ends_at,
            expires_at,
            publish_at,
            scripts: script_list,
            script,
            tags,
            links,
            sources,
            targets,
        } = self;
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").to_string();
        if let Some(c) = campaign {
            base.campaign_id = campaign_id(conn, c.as_deref())?;
        }
        if let Some(k) = kind_name {
            base.kind = kind(k.as_deref())?;
        }
        if let Some(t) = title {
            base.title = Title::parse(&text(&t)).field("title")?;
        }
        if let Some(v) = summary {
            base.summary = Summary::parse(&text(&v)).field("summary")?;
        }
        if let Some(v) = body {
            base.body = Body::parse(&text(&v)).field("body")?;
        }
        if let Some(v) = location {
            base.location = LongLine::parse(&text(&v)).field("location")?;
        }
        if let Some(v) = developing {
            base.developing = v.unwrap_or(false);
        }
        if let Some(v) = url {
            base.url = opt_url("url", v.as_deref())?;
        }
        for (field, value, slot) in [
            ("starts_at", starts_at, &mut base.starts_at),
            ("ends_at", ends_at, &mut base.ends_at),
            ("expires_at", expires_at, &mut base.expires_at),
            ("publish_at", publish_at, &mut base.publish_at),
        ] {
            if let Some(v) = value {
                *slot = match v.as_deref() {
                    None => None,
                    Some(t) => Some(time(field, t)?),
                };
            }
        }
        if let Some(v) = script_list {
            base.scripts = scripts(v.unwrap_or_default())?;
            check_action(&base, true)?;
        }
        if let Some(v) = script {
            let body = Body::parse(&text(&v)).field("script")?;
            base.scripts.retain(|s| s.lang != LangTag::en());
            if !body.is_empty() {
                base.scripts.insert(
                    0,
                    ScriptInput {
                        lang: LangTag::en(),
                        body,
                    },
                );
            }
        }
        if let Some(v) = tags {
            let mut tags = Vec::new();
            for (i, t) in v.unwrap_or_default().iter().enumerate() {
                tags.push(Tag::parse(t).field(&format!("tags[{i}]"))?);
            }
            base.tags = tags;
        }
        for (field, value) in [("links", links), ("sources", sources)] {
            if let Some(v) = value {
                let kind = if field == "links" {
                    LinkKind::Link
                } else {
                    LinkKind::Source
                };
                base.links.retain(|l| l.kind != kind);
                for (i, l) in v.unwrap_or_default().into_iter().enumerate() {
                    let url = HttpUrl::parse(&l.url).field(&format!("{field}[{i}].url"))?;
                    let title = match l.title.as_deref().map(str::trim) {
                        None | Some("") => None,
                        Some(t) => Some(LinkTitle::parse(t).field(&format!("{field}[{i}].title"))?),
                    };
                    base.links.push(LinkInput::new(kind, title, url));
                }
                // Links first, then sources, each in the order given.
                base.links.sort_by_key(|l| l.kind != LinkKind::Link);
            }
        }
        if let Some(v) = targets {
            let mut targets = Vec::new();
            for (i, t) in v.unwrap_or_default().into_iter().enumerate() {
                targets.push(target(conn, i, t, actor)?);
            }
            base.targets = targets;
        }
        check_action(&base, false)?;
        Ok(base)
    }
}

/// Scripts as given; the rule that each language appears once is [`ActionInput::check`]'s.
fn scripts(list: Vec<ScriptIn>) -> db::Result<Vec<ScriptInput>> {
    let mut out: Vec<ScriptInput> = Vec::new();
    for (i, s) in list.into_iter().enumerate() {
        let lang = LangTag::parse(&s.lang).field(&format!("scripts[{i}].lang"))?;
        let field = format!("scripts[{i}].body");
        let body = Body::parse(&s.body).field(&field)?;
        if body.is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        out.push(ScriptInput { lang, body });
    }
    Ok(out)
}

fn target(conn: &mut DbConn, i: usize, t: TargetIn, actor: &Actor) -> db::Result<TargetInput> {
    let field = format!("targets[{i}]");
    let kind = match t.kind.as_deref().map(str::trim) {
        None | Some("") => TargetKind::Contact,
        Some(k) => TargetKind::parse(k).map_err(|_| {
            Error::invalid(
                format!("{field}.kind"),
                format!("{k:?} is not a target kind; use {}", TargetKind::choices()),
            )
        })?,
    };
    let note = Note::parse(t.note.as_deref().unwrap_or("")).field(&format!("{field}.note"))?;
    let contact_id = match (kind, t.contact) {
        (TargetKind::Contact, None) => {
            return Err(Error::invalid(
                format!("{field}.contact"),
                "is required for a contact target",
            ))
        }
        (TargetKind::Contact, Some(ContactRef::Slug(slug))) => Some(
            contacts::find(conn, slug.trim())?
                .ok_or_else(|| {
                    Error::invalid(
                        format!("{field}.contact"),
                        format!("no contact called {slug:?}"),
                    )
                })?
                .id,
        ),
        (TargetKind::Contact, Some(ContactRef::New(c))) => {
            Some(new_contact(conn, &format!("{field}.contact"), c, actor)?)
        }
        (_, Some(_)) => {
            return Err(Error::invalid(
                format!("{field}.contact"),
                "is looked up from the visitor's ZIP for this kind of target; leave it out",
            ))
        }
        (_, None) => None,
    };
    Ok(TargetInput {
        kind,
        contact_id,
        note,
    })
}

fn new_contact(conn: &mut DbConn, field: &str, c: NewContactIn, actor: &Actor) -> db::Result<i32> {
    let name = Name::parse(&c.name).field(&format!("{field}.name"))?;
    let slug = match c.slug.as_deref() {
        Some(s) => slug(&format!("{field}.slug"), s)?,
        None => Slug::from_title(&name),
    };
    if contacts::find(conn, slug.as_str())?.is_some() {
        return Err(Error::Conflict {
            field: format!("{field}.slug"),
            message: format!(
                "a contact called “{slug}” already exists; name it by its slug instead"
            ),
        });
    }
    let kind = match c.kind.as_deref() {
        None => ContactKind::Agency,
        Some(k) => ContactKind::parse(k).field(&format!("{field}.kind"))?,
    };
    let email = match c.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) => Some(
            crate::domain::EmailAddress::parse(e)
                .field(&format!("{field}.email"))?
                .to_string(),
        ),
    };
    let mut phones = Vec::new();
    for (j, p) in c.phones.iter().enumerate() {
        let pf = format!("{field}.phones[{j}]");
        let number = PhoneNumber::parse(&p.number).field(&format!("{pf}.number"))?;
        let kind = match p.kind.as_deref() {
            Some(k) => PhoneKind::parse(k).field(&format!("{pf}.kind"))?,
            None if number.is_toll_free() => PhoneKind::TollFree,
            None => PhoneKind::Main,
        };
        let note = Note::parse(p.note.as_deref().unwrap_or("")).field(&format!("{pf}.note"))?;
        let direct = match p.direct.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(Some(PhoneNumber::parse(d).field(&format!("{pf}.direct"))?)),
        };
        phones.push(PhoneInput {
            number,
            kind,
            note,
            direct,
        });
    }
    let input = ContactInput {
        slug,
        kind,
        name,
        role: Line::parse(c.role.as_deref().unwrap_or("")).field(&format!("{field}.role"))?,
        organisation: Line::parse(c.organisation.as_deref().unwrap_or(""))
            .field(&format!("{field}.organisation"))?,
        state: None,
        district: None,
        party: None,
        email,
        contact_form_url: opt_url(
            &format!("{field}.contact_form_url"),
            c.contact_form_url.as_deref(),
        )?,
        website_url: opt_url(&format!("{field}.website_url"), c.website_url.as_deref())?,
        address: Address::default(),
        bioguide_id: None,
        openstates_id: None,
        state_district: None,
        phones,
    };
    let (contact, _) = contacts::upsert(conn, &input, actor)?;
    Ok(contact.id)
}

impl CampaignIn {
    /// Checks a create request into a new campaign's input. Without a slug one is made
    /// from the title (`-2`, `-3`, … while that is taken); a slug given must be free.
    pub fn into_input(self, conn: &mut DbConn) -> db::Result<CampaignInput> {
        let title = Title::parse(self.title.as_deref().unwrap_or("")).field("title")?;
        let slug = match self.slug.as_deref() {
            Some(s) => slug("slug", s)?,
            None => {
                let base = Slug::from_title(&title);
                let mut slug = base.clone();
                let mut n = 2;
                while campaigns::find(conn, slug.as_str())?.is_some() {
                    slug = base.with_suffix(n);
                    n += 1;
                }
                slug
            }
        };
        Ok(CampaignInput {
            slug,
            title,
            summary: Summary::parse(self.summary.as_deref().unwrap_or("")).field("summary")?,
            body: Body::parse(self.body.as_deref().unwrap_or("")).field("body")?,
            timezone: Zone::optional(self.timezone.as_deref().unwrap_or("")).field("timezone")?,
        })
    }
}

impl UpdateIn {
    /// Checks a dated update to a campaign into its input; without `published_at` it is
    /// dated `now`.
    pub fn into_input(
        self,
        conn: &mut DbConn,
        campaign_id: i32,
        now: NaiveDateTime,
    ) -> db::Result<UpdateInput> {
        let title = Title::parse(self.title.as_deref().unwrap_or("")).field("title")?;
        let body = Body::parse(self.body.as_deref().unwrap_or("")).field("body")?;
        let published_at = match self.published_at.as_deref() {
            Some(t) => time("published_at", t)?,
            None => now,
        };
        let actions = update_actions(conn, campaign_id, self.actions.unwrap_or_default())?;
        Ok(UpdateInput {
            campaign_id,
            title,
            body,
            published_at,
            actions,
        })
    }
}

/// An update's actions: their ids (they must belong to `campaign_id`) and relations.
fn update_actions(
    conn: &mut DbConn,
    campaign_id: i32,
    list: Vec<UpdateActionIn>,
) -> db::Result<Vec<(i32, Relation)>> {
    let mut out = Vec::new();
    for (i, a) in list.into_iter().enumerate() {
        let (slug, relation) = match a {
            UpdateActionIn::Slug(s) => (s, None),
            UpdateActionIn::Related { slug, relation } => (slug, relation),
        };
        let relation = match relation.as_deref().map(str::trim) {
            None | Some("") | Some("changed") => Relation::Changed,
            Some("added") => Relation::Added,
            Some(other) => {
                return Err(Error::invalid(
                    format!("actions[{i}].relation"),
                    format!("{other:?} is not a relation; use added or changed"),
                ))
            }
        };
        let action = db::actions::find(conn, slug.trim())?
            .filter(|a| a.campaign_id == campaign_id)
            .ok_or_else(|| {
                Error::invalid(
                    format!("actions[{i}]"),
                    format!("no action called {slug:?} in this campaign"),
                )
            })?;
        if out.iter().any(|(id, _)| *id == action.id) {
            continue;
        }
        out.push((action.id, relation));
    }
    Ok(out)
}
