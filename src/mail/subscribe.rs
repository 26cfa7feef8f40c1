//! Subscribe requests: records the request and the email it needs (a confirmation, or for an
//! address already subscribed a "manage your subscription" note) in one transaction.

use chrono::NaiveDateTime;
use tera::Context;

use super::compose::{manage_links, message_id};
use super::templates::{render_email, Rendered};
use super::Result;
use crate::config::Settings;
use crate::db::actions::{self, ActionFilter};
use crate::db::campaigns;
use crate::db::digest_sources;
use crate::db::outbox::{self, Content, NewMessage, TOKEN_SLOT};
use crate::db::subscribers::Subscriber;
use crate::db::subscribers::{self, Subscribed, CONFIRM_TTL};
use crate::db::{write_tx, DbConn};
use crate::domain::{EmailAddress, Frequency, MessageKind, Status};

/// Records a subscribe request and its email; returns the outbox id to send at once.
pub fn request(
    conn: &mut DbConn,
    settings: &Settings,
    email: &EmailAddress,
    campaign_ids: &[i32],
    frequency: Frequency,
    now: NaiveDateTime,
) -> Result<i32> {
    // Both possible emails are rendered up front with a stand-in for the token, so the
    // transaction below only touches the database.
    let mut ctx = context(conn, settings, campaign_ids)?;
    ctx.insert(
        "confirm_url",
        &settings.absolute(&format!("/subscribe/confirm?token={TOKEN_SLOT}")),
    );
    ctx.insert("days", &CONFIRM_TTL.num_days());
    let confirm = render_email("confirm", &ctx)?;
    let already = render_email("already", &ctx)?;
    Ok(write_tx(conn, |conn| {
        let outcome = subscribers::subscribe(conn, email, campaign_ids, frequency, now)?;
        let (kind, r, subscriber, token) = match outcome {
            Subscribed::Confirm { subscriber, token } => {
                (MessageKind::Confirm, &confirm, subscriber, token)
            }
            Subscribed::AlreadyActive { subscriber, token } => {
                (MessageKind::Already, &already, subscriber, token)
            }
        };
        enqueue_own(conn, settings, kind, &subscriber, &token, r, now)
    })?)
}

/// Emails an active subscriber with this address a fresh link to manage the subscription
/// (the "already subscribed" note, with new links); any other address gets nothing. Returns
/// the outbox id to send at once. The caller answers the same either way.
pub fn fresh_link(
    conn: &mut DbConn,
    settings: &Settings,
    email: &EmailAddress,
    now: NaiveDateTime,
) -> Result<Option<i32>> {
    let Some(subscriber) = subscribers::find(conn, email.as_str())?
        .filter(|s| s.status == crate::domain::SubscriberStatus::Active)
    else {
        return Ok(None);
    };
    let follows = subscribers::campaigns_of(conn, &[subscriber.id])?
        .remove(&subscriber.id)
        .unwrap_or_default();
    let r = render_email("link", &context(conn, settings, &follows)?)?;
    Ok(Some(write_tx(conn, |conn| {
        let token = subscribers::new_manage_token(conn, subscriber.id, now)?;
        let kind = MessageKind::Already;
        enqueue_own(conn, settings, kind, &subscriber, &token, &r, now)
    })?))
}

/// What every subscription email shows: the site, what is followed, and the links to
/// manage the subscription (with [`TOKEN_SLOT`] for the token).
fn context(conn: &mut DbConn, settings: &Settings, campaign_ids: &[i32]) -> Result<Context> {
    let mut ctx = Context::new();
    ctx.insert("site_url", &settings.absolute("/"));
    ctx.insert("followed", &followed(conn, settings, campaign_ids)?);
    let (p, u) = manage_links(settings, TOKEN_SLOT);
    ctx.insert("preferences_url", &p);
    ctx.insert("unsubscribe_url", &u);
    Ok(ctx)
}

/// Queues a rendered email to the subscriber, the token in place of [`TOKEN_SLOT`].
fn enqueue_own(
    conn: &mut DbConn,
    settings: &Settings,
    kind: MessageKind,
    subscriber: &Subscriber,
    token: &str,
    r: &Rendered,
    now: NaiveDateTime,
) -> crate::db::Result<i32> {
    let dedupe_key = format!("{kind}:{}:{}", subscriber.id, &token[..16]);
    let id_key = crate::db::settings::id_permutation(conn)?;
    outbox::enqueue(
        conn,
        &NewMessage {
            message_id: message_id(settings, &id_key, &dedupe_key),
            dedupe_key,
            subscriber_id: Some(subscriber.id),
            kind,
            first_change_id: None,
            last_change_id: None,
            to_addr: subscriber.email.clone(),
            subject: r.subject.clone(),
            content: Content::Own {
                text: r.text.replace(TOKEN_SLOT, token),
                html: r.html.replace(TOKEN_SLOT, token),
            },
            headers: vec![("Auto-Submitted".into(), "auto-generated".into())],
        },
        now,
    )
}

/// What a subscription follows, in words: "Alpha campaign", "Alpha campaign and Beta
/// campaign", or "every campaign at example.org".
pub fn followed(conn: &mut DbConn, settings: &Settings, campaign_ids: &[i32]) -> Result<String> {
    if campaign_ids.is_empty() {
        let host = settings.base_url.host_str().unwrap_or("localhost");
        return Ok(format!("every campaign at {host}"));
    }
    let titles: Vec<String> = campaigns::list_all(conn)?
        .into_iter()
        .filter(|c| campaign_ids.contains(&c.id))
        .map(|c| c.title)
        .collect();
    Ok(match titles.as_slice() {
        [] => "no campaign".to_string(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    })
}

/// An open action as the welcome email lists it.
#[derive(Debug, serde::Serialize)]
struct Open {
    title: String,
    summary: String,
    url: String,
    phone: Option<(String, String)>,
}

/// Records the welcome email of a subscriber who has just confirmed: what they follow and
/// the actions open there now. Returns the outbox id, to send at once.
pub fn welcome(
    conn: &mut DbConn,
    settings: &Settings,
    subscriber: &Subscriber,
    now: NaiveDateTime,
) -> Result<i32> {
    let camps = subscribers::campaigns_of(conn, &[subscriber.id])?
        .remove(&subscriber.id)
        .unwrap_or_default();
    let active: Vec<campaigns::Campaign> = campaigns::list_active(conn)?;
    let open: Vec<actions::Action> = actions::list(
        conn,
        &ActionFilter {
            status: Some(Status::Published),
            ..ActionFilter::default()
        },
    )?
    .into_iter()
    .filter(|a| camps.is_empty() || camps.contains(&a.campaign_id))
    .filter(|a| active.iter().any(|c| c.id == a.campaign_id))
    .collect();
    let ids: Vec<i32> = open.iter().map(|a| a.id).collect();
    let refs = digest_sources::actions(conn, &ids)?;
    let sections: Vec<serde_json::Value> = active
        .iter()
        .filter(|c| camps.is_empty() || camps.contains(&c.id))
        .map(|c| {
            let list: Vec<Open> = open
                .iter()
                .filter(|a| a.campaign_id == c.id)
                .map(|a| Open {
                    title: a.title.clone(),
                    summary: a.summary.clone(),
                    url: settings.absolute(&format!("/actions/{}", a.slug)),
                    phone: refs.get(&a.id).and_then(|r| r.phone.as_ref()).map(|p| {
                        let shown = if p.e164.starts_with("+1") {
                            p.national.clone()
                        } else {
                            p.display.clone()
                        };
                        (shown, p.tel.clone())
                    }),
                })
                .collect();
            serde_json::json!({
                "title": c.title,
                "url": settings.absolute(&format!("/campaigns/{}", c.slug)),
                "actions": list,
            })
        })
        .collect();
    let mut ctx = Context::new();
    ctx.insert("site_url", &settings.absolute("/"));
    ctx.insert("followed", &followed(conn, settings, &camps)?);
    ctx.insert("sections", &sections);
    ctx.insert("open", &open.len());
    ctx.insert("frequency", subscriber.frequency().as_str());
    let (p, u) = manage_links(settings, TOKEN_SLOT);
    ctx.insert("preferences_url", &p);
    ctx.insert("unsubscribe_url", &u);
    let r = render_email("welcome", &ctx)?;
    let token = subscribers::new_manage_token(conn, subscriber.id, now)?;
    let dedupe_key = format!("welcome:{}:{}", subscriber.id, &token[..16]);
    let id_key = crate::db::settings::id_permutation(conn)?;
    Ok(outbox::enqueue(
        conn,
        &NewMessage {
            message_id: message_id(settings, &id_key, &dedupe_key),
            dedupe_key,
            subscriber_id: Some(subscriber.id),
            kind: MessageKind::Welcome,
            first_change_id: None,
            last_change_id: None,
            to_addr: subscriber.email.clone(),
            subject: r.subject.clone(),
            content: Content::Own {
                text: r.text.replace(TOKEN_SLOT, &token),
                html: r.html.replace(TOKEN_SLOT, &token),
            },
            headers: vec![("Auto-Submitted".into(), "auto-generated".into())],
        },
        now,
    )?)
}
