//! What the JSON API answers: serde views of the db layer's types, with their OpenAPI
//! schemas. Times are RFC 3339 in UTC.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::actions::{Action, ActionDetail};
use crate::db::campaigns::Campaign;
use crate::db::contacts::{ContactDetails, ContactView, HotlineDetails, HotlineView, PhoneView};
use crate::db::updates::UpdateView;
use crate::domain::{ActionKind, CampaignStatus, PhoneKind, Relation, Status, TargetKind};

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

fn utc_opt(t: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    t.map(utc)
}

/// A phone number in its stored (E.164), displayed and dialable forms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhoneJson {
    /// `+18663472423`
    pub e164: String,
    /// `+1 866-347-2423`
    pub display: String,
    /// `(866) 347-2423`
    pub national: String,
    /// `1-866-DHS-2-ICE` where the number was given in letters.
    pub vanity: Option<String>,
    #[schema(value_type = PhoneKind)]
    pub kind: PhoneKind,
    pub note: String,
    /// Toll-free numbers may be unreachable from abroad.
    pub toll_free: bool,
    /// `tel:+18663472423`
    pub tel: String,
    /// A toll-free number's direct (not toll-free) alternative for callers abroad, where
    /// one is known.
    pub direct: Option<crate::db::contacts::DirectLine>,
    /// The day the number was last checked (by an import, from its file's date, or by an
    /// organizer), if ever: `2026-12-03`.
    #[schema(value_type = Option<String>, format = Date)]
    pub verified_at: Option<chrono::NaiveDate>,
    /// Callers' open problem reports since it was last checked.
    pub reports: i64,
    /// 3 or more open reports: pages warn beside the number until an organizer
    /// marks it verified or changes it.
    pub flagged: bool,
}

impl From<&PhoneView> for PhoneJson {
    fn from(p: &PhoneView) -> PhoneJson {
        PhoneJson {
            e164: p.e164.clone(),
            display: p.display.clone(),
            national: p.national.clone(),
            vanity: p.vanity.clone(),
            kind: p.kind,
            note: p.note.clone(),
            toll_free: p.toll_free,
            tel: p.tel.clone(),
            direct: p.direct.clone(),
            verified_at: p.verified_at.map(|t| t.date()),
            reports: p.reports,
            flagged: p.flagged,
        }
    }
}

/// A contact of the directory: an agency, organisation, person or legislator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactJson {
    // The details pages show (`ContactView`'s); only the numbers take their API form.
    #[serde(flatten)]
    pub details: ContactDetails,
    pub phones: Vec<PhoneJson>,
    /// A number that is not toll-free, for callers abroad, where one is known.
    pub direct_phone: Option<PhoneJson>,
    /// The share of callers who reached someone in the last 30 days, in percent, once
    /// there are at least 20 outcomes.
    pub reach: Option<i64>,
}

impl From<&ContactView> for ContactJson {
    fn from(c: &ContactView) -> ContactJson {
        ContactJson {
            details: c.details.clone(),
            phones: c.phones.iter().map(PhoneJson::from).collect(),
            direct_phone: c.direct_phone.as_ref().map(PhoneJson::from),
            reach: c.reach,
        }
    }
}

/// Whom an action asks people to contact: a named contact (with its numbers), or the
/// visitor's own senators or representative (resolved per ZIP on the action's page).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetJson {
    pub kind: TargetKind,
    pub note: String,
    /// The contact's slug, for `contact` targets.
    pub contact: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub email: Option<String>,
    pub contact_form_url: Option<String>,
    pub website_url: Option<String>,
    pub phones: Vec<PhoneJson>,
}

/// A script in one language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScriptJson {
    /// A language tag such as `en` or `es`.
    pub lang: String,
    pub body: String,
}

/// A link or a source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkJson {
    pub title: String,
    pub url: String,
}

/// A call to action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionJson {
    pub slug: String,
    /// The campaign's slug.
    pub campaign: String,
    pub campaign_title: String,
    pub kind: ActionKind,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    /// The default script (English where given, else the first); placeholders such as
    /// `[REP NAME]` are left in.
    pub script: Option<String>,
    /// Every script, by language.
    pub scripts: Vec<ScriptJson>,
    pub status: Status,
    pub developing: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When a draft publishes itself.
    pub publish_at: Option<DateTime<Utc>>,
    pub location: String,
    pub url: Option<String>,
    pub targets: Vec<TargetJson>,
    pub tags: Vec<String>,
    pub links: Vec<LinkJson>,
    pub sources: Vec<LinkJson>,
    pub published_at: Option<DateTime<Utc>>,
    pub expired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// "I called" reports, all together and per contact (on single-action answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<crate::db::outcomes::ActionCounts>,
}

impl From<&ActionDetail> for ActionJson {
    /// Every column of [`Action`] is named: a new one does not compile until it is either
    /// shown here (and in [`ActionJson`]) or marked `_` as not part of the API.
    fn from(d: &ActionDetail) -> ActionJson {
        let Action {
            // Not shown: the row's key, its campaign by id (shown by slug) and its place.
            id: _,
            campaign_id: _,
            position: _,
            slug,
            kind,
            title,
            summary,
            body,
            status,
            developing,
            starts_at,
            ends_at,
            expires_at,
            publish_at,
            location,
            url,
            published_at,
            expired_at,
            created_at,
            updated_at,
        } = &d.action;
        let links = |which: &str| {
            d.links
                .iter()
                .filter(|l| l.kind == which)
                .map(|l| LinkJson {
                    title: l.title.clone(),
                    url: l.url.clone(),
                })
                .collect()
        };
        ActionJson {
            slug: slug.clone(),
            campaign: d.campaign_slug.clone(),
            campaign_title: d.campaign_title.clone(),
            kind: *kind,
            title: title.clone(),
            summary: summary.clone(),
            body: body.clone(),
            script: d.script().map(|s| s.body.clone()),
            scripts: d
                .scripts
                .iter()
                .map(|s| ScriptJson {
                    lang: s.lang.clone(),
                    body: s.body.clone(),
                })
                .collect(),
            status: *status,
            developing: *developing,
            starts_at: utc_opt(*starts_at),
            ends_at: utc_opt(*ends_at),
            expires_at: utc_opt(*expires_at),
            publish_at: utc_opt(*publish_at),
            location: location.clone(),
            url: url.clone(),
            targets: d
                .targets
                .iter()
                .map(|t| {
                    let c = t.contact.as_ref().map(|c| &c.details);
                    TargetJson {
                        kind: t.kind,
                        note: t.note.clone(),
                        contact: c.map(|c| c.slug.clone()),
                        name: c.map(|c| c.name.clone()),
                        role: c.map(|c| c.role.clone()),
                        organisation: c.map(|c| c.organisation.clone()),
                        email: c.and_then(|c| c.email.clone()),
                        contact_form_url: c.and_then(|c| c.contact_form_url.clone()),
                        website_url: c.and_then(|c| c.website_url.clone()),
                        phones: t
                            .contact
                            .as_ref()
                            .map(|c| c.phones.iter().map(PhoneJson::from).collect())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
            tags: d.tags.clone(),
            links: links("link"),
            sources: links("source"),
            published_at: utc_opt(*published_at),
            expired_at: utc_opt(*expired_at),
            created_at: utc(*created_at),
            updated_at: utc(*updated_at),
            outcomes: None,
        }
    }
}

/// A campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignJson {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    pub status: CampaignStatus,
    /// The IANA time zone its times are shown in; `null`: the site's `DIGEST_TIMEZONE`.
    #[schema(example = "America/New_York")]
    pub timezone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Campaign> for CampaignJson {
    fn from(c: &Campaign) -> CampaignJson {
        CampaignJson {
            slug: c.slug.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            body: c.body.clone(),
            status: c.status,
            timezone: c.timezone.map(|z| z.to_string()),
            created_at: utc(c.created_at),
            updated_at: utc(c.updated_at),
        }
    }
}

/// A campaign with its public actions (in the organizer's order; expired ones apart) and
/// its dated updates, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignDetailJson {
    #[serde(flatten)]
    pub campaign: CampaignJson,
    pub actions: Vec<ActionJson>,
    pub past_actions: Vec<ActionJson>,
    pub updates: Vec<UpdateJson>,
}

/// An action a dated update names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateActionJson {
    pub slug: String,
    pub title: String,
    pub status: Status,
    pub relation: Relation,
}

/// A dated campaign update ("5/29 Update").
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateJson {
    pub slug: String,
    /// The campaign's slug.
    pub campaign: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub published_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub actions: Vec<UpdateActionJson>,
}

impl From<&UpdateView> for UpdateJson {
    fn from(u: &UpdateView) -> UpdateJson {
        UpdateJson {
            slug: u.update.slug.clone(),
            campaign: u.campaign_slug.clone(),
            title: u.update.title.clone(),
            body: u.update.body.clone(),
            published_at: utc(u.update.published_at),
            created_at: utc(u.update.created_at),
            actions: u
                .actions
                .iter()
                .map(|r| UpdateActionJson {
                    slug: r.slug.clone(),
                    title: r.title.clone(),
                    status: r.status,
                    relation: r.relation,
                })
                .collect(),
        }
    }
}

/// A hotline of the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotlineJson {
    // The details the page shows (`HotlineView`'s); only the numbers take their API form.
    #[serde(flatten)]
    pub details: HotlineDetails,
    pub phones: Vec<PhoneJson>,
}

impl From<&HotlineView> for HotlineJson {
    fn from(h: &HotlineView) -> HotlineJson {
        HotlineJson {
            details: h.details.clone(),
            phones: h.phones.iter().map(PhoneJson::from).collect(),
        }
    }
}

/// `{"items": [...]}` of actions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionList {
    pub items: Vec<ActionJson>,
}

/// `{"items": [...]}` of campaigns.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<CampaignJson>,
}

/// `{"items": [...]}` of hotlines.
#[derive(Debug, Serialize, ToSchema)]
pub struct HotlineList {
    pub items: Vec<HotlineJson>,
}

/// `{"items": [...]}` of contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactJson>,
}
