//! Atom feeds of the change log (`/feed.atom`, `/campaigns/{slug}/feed.atom`) and
//! iCalendar files of event actions (`/events.ics`, `/actions/{slug}.ics`).
//!
//! Entry ids and event UIDs derive from stored ids, so they never change; every link is
//! absolute (`BASE_URL`); times are UTC. Update bodies are sanitised Markdown; everything
//! else is escaped text.
//!
//! No control character from stored text reaches either format raw: single-line values
//! (titles, locations) have them replaced by spaces, multi-line ones keep line breaks as
//! LF (which iCalendar writes as `\n`) and drop the rest, and the finished documents are
//! filtered once more ([`xml_text`], [`ics_text`]) — a bare CR in an event's location must
//! not start a new iCalendar property.

use actix_web::{web, HttpResponse};
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use chrono::{Duration, NaiveDateTime, NaiveTime, TimeZone, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use crate::config::Settings;
use crate::db::{self, actions, campaigns, feeds};
use crate::domain::{markdown, Status};
use crate::web::error::WebError;
use crate::web::AppState;

/// Text for a single-line value: every control character (CR, LF, tab, NUL, BEL …)
/// becomes a space.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Text that may hold line breaks: CRLF and CR become LF, other control characters but
/// tab are dropped.
fn multi_line(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

/// A finished XML document with every control character XML 1.0 forbids or a parser would
/// rewrite removed (only tab and LF remain), C1 controls included.
pub fn xml_text(doc: &str) -> String {
    doc.chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

/// A finished iCalendar document in which CR appears only before LF, LF only after CR
/// (line ends and folds), and no other control character but tab appears.
pub fn ics_text(doc: &str) -> String {
    let chars: Vec<char> = doc.chars().collect();
    let mut out = String::with_capacity(doc.len());
    for (i, &c) in chars.iter().enumerate() {
        let keep = match c {
            '\r' => chars.get(i + 1) == Some(&'\n'),
            '\n' => i > 0 && chars[i - 1] == '\r',
            '\t' => true,
            c => !c.is_control(),
        };
        if keep {
            out.push(c);
        }
    }
    out
}

/// How many change-log entries a feed carries.
const FEED_LEN: i64 = 50;

fn utc(t: NaiveDateTime) -> FixedDateTime {
    t.and_utc().fixed_offset()
}

/// The host part of `BASE_URL`, for tag URIs.
fn host(settings: &Settings) -> String {
    settings
        .base_url
        .host_str()
        .unwrap_or("localhost")
        .to_string()
}

/// A change-log entry's stable Atom id.
pub fn entry_id(settings: &Settings, change_id: i32) -> String {
    format!("tag:{},2018:actiondesk:change:{change_id}", host(settings))
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(str::to_string),
        ..Link::default()
    }
}

fn entry(settings: &Settings, item: &feeds::FeedItem) -> Entry {
    let c = &item.change;
    let (title, href, html) = match (&item.update, &item.action) {
        (Some(u), _) => (
            format!("{}: {}", item.campaign_title, u.title),
            settings.absolute(&format!("/campaigns/{}#{}", item.campaign_slug, u.slug)),
            multi_line(&markdown::render(&u.body)),
        ),
        (None, Some((slug, title))) => {
            let mut html = format!("<p>{}</p>", markdown::escape_html(&c.summary));
            if c.kind == "action_changed" && !item.fields.is_empty() {
                html.push_str("<p>Changed:</p><ul>");
                for f in &item.fields {
                    html.push_str(&format!(
                        "<li>{}</li>",
                        markdown::escape_html(&f.field.replace(['_', '.'], " "))
                    ));
                }
                html.push_str("</ul>");
            }
            let title = match c.kind.as_str() {
                "action_changed" => format!("Changed: {title} ({})", c.summary),
                _ => c.summary.clone(),
            };
            (title, settings.absolute(&format!("/actions/{slug}")), html)
        }
        (None, None) => (
            c.summary.clone(),
            settings.absolute(&format!("/campaigns/{}", item.campaign_slug)),
            format!("<p>{}</p>", markdown::escape_html(&c.summary)),
        ),
    };
    let mut e = Entry::default();
    e.set_id(entry_id(settings, c.id));
    e.set_title(Text::plain(one_line(&title)));
    e.set_updated(utc(c.created_at));
    e.set_published(Some(utc(item
        .update
        .as_ref()
        .map_or(c.created_at, |u| u.published_at))));
    e.set_links(vec![link(href, "alternate", Some("text/html"))]);
    e.set_content(Some(Content {
        value: Some(multi_line(&html)),
        content_type: Some("html".into()),
        ..Content::default()
    }));
    e
}

fn feed(
    settings: &Settings,
    title: String,
    self_path: &str,
    page_path: &str,
    items: &[feeds::FeedItem],
) -> HttpResponse {
    let mut f = Feed::default();
    f.set_id(settings.absolute(self_path));
    f.set_title(Text::plain(one_line(&title)));
    f.set_updated(
        items
            .iter()
            .map(|i| i.change.created_at)
            .max()
            .map_or_else(|| utc(db::now()), utc),
    );
    f.set_authors(vec![Person {
        name: "actiondesk".into(),
        uri: Some(settings.absolute("/")),
        ..Person::default()
    }]);
    f.set_links(vec![
        link(
            settings.absolute(self_path),
            "self",
            Some("application/atom+xml"),
        ),
        link(settings.absolute(page_path), "alternate", Some("text/html")),
    ]);
    f.set_entries(items.iter().map(|i| entry(settings, i)).collect::<Vec<_>>());
    HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(xml_text(&f.to_string()))
}

/// `/feed.atom`: every campaign's changes and updates, newest first.
pub async fn site_feed(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let items = state
        .db
        .run(|conn| feeds::items(conn, None, FEED_LEN))
        .await?;
    Ok(feed(
        &state.settings,
        "actiondesk: changes and updates".into(),
        "/feed.atom",
        "/",
        &items,
    ))
}

/// `/campaigns/{slug}/feed.atom`: one campaign's changes and updates.
pub async fn campaign_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let (campaign, items) = state
        .db
        .run(move |conn| -> db::Result<_> {
            let c = campaigns::by_slug(conn, &slug)?;
            let items = feeds::items(conn, Some(c.id), FEED_LEN)?;
            Ok((c, items))
        })
        .await?;
    Ok(feed(
        &state.settings,
        format!("{}: changes and updates", campaign.title),
        &format!("/campaigns/{}/feed.atom", campaign.slug),
        &format!("/campaigns/{}", campaign.slug),
        &items,
    ))
}

/// An event action's stable iCalendar UID.
pub fn event_uid(settings: &Settings, action_id: i32) -> String {
    format!("action-{action_id}@{}", host(settings))
}

/// One event action as a VEVENT. A start at midnight UTC with no end (or an end at
/// midnight) is a date without a time, as the pages show it: an all-day event.
fn vevent(settings: &Settings, d: &actions::ActionDetail) -> Option<Event> {
    let a = &d.action;
    let start = a.starts_at?;
    let mut e = Event::new();
    e.uid(&event_uid(settings, a.id))
        .summary(&one_line(&a.title))
        .url(&settings.absolute(&format!("/actions/{}", a.slug)))
        .timestamp(Utc.from_utc_datetime(&a.updated_at))
        .last_modified(Utc.from_utc_datetime(&a.updated_at));
    let all_day =
        start.time() == NaiveTime::MIN && a.ends_at.is_none_or(|t| t.time() == NaiveTime::MIN);
    if all_day {
        let last = a
            .ends_at
            .map_or(start.date(), |t| t.date())
            .max(start.date());
        e.starts(start.date()).ends(last + Duration::days(1));
    } else {
        e.starts(Utc.from_utc_datetime(&start));
        if let Some(end) = a.ends_at.filter(|&t| t > start) {
            e.ends(Utc.from_utc_datetime(&end));
        }
    }
    if !a.location.is_empty() {
        e.location(&one_line(&a.location));
    }
    let mut description = a.summary.clone();
    if a.status == Status::Expired {
        description = format!("This action is over. {description}");
    }
    description.push_str(&format!(
        "\n{}",
        settings.absolute(&format!("/actions/{}", a.slug))
    ));
    e.description(multi_line(&description).trim());
    Some(e.done())
}

fn calendar(name: &str, events: impl Iterator<Item = Event>) -> HttpResponse {
    let mut cal = Calendar::new();
    cal.name(&one_line(name));
    for e in events {
        cal.push(e);
    }
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .body(ics_text(&cal.done().to_string()))
}

/// `/events.ics`: every public event action.
pub async fn events(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let list = state.db.run(feeds::events).await?;
    Ok(calendar(
        "actiondesk events",
        list.iter().filter_map(|d| vevent(&state.settings, d)),
    ))
}

/// `/actions/{slug}.ics`: one event action; 404 for actions that are not public events.
pub async fn action_ics(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let detail = state
        .db
        .run(move |conn| {
            let a = actions::by_slug(conn, &slug)?;
            if !a.status.is_public() || a.starts_at.is_none() {
                return Err(db::Error::NotFound("event"));
            }
            actions::detail(conn, a)
        })
        .await?;
    let e = vevent(&state.settings, &detail).ok_or(WebError::NotFound("event".into()))?;
    let mut res = calendar(&detail.action.title, std::iter::once(e));
    res.headers_mut().insert(
        actix_web::http::header::CONTENT_DISPOSITION,
        actix_web::http::header::HeaderValue::from_str(&format!(
            "inline; filename=\"{}.ics\"",
            detail.action.slug
        ))
        .expect("slugs are ASCII"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(one_line("Hall\rATTENDEE:x\u{7}\n"), "Hall ATTENDEE:x");
        assert_eq!(multi_line("a\r\nb\rc\u{0}\u{7}\td"), "a\nb\nc\td");
        assert_eq!(xml_text("<a>x\u{7}\u{1b}\r\u{85}</a>\n"), "<a>x</a>\n");
        assert_eq!(
            ics_text("A:1\r\nB:x\ry\nz\u{0}\r\n x\r\n"),
            "A:1\r\nB:xyz\r\n x\r\n"
        );
    }
}
