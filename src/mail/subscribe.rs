//! Subscribe requests: records the request and the email it needs (a confirmation, or for an
//! address already subscribed a "manage your subscription" note) in one transaction.

use chrono::NaiveDateTime;
use tera::Context;

use super::compose::{manage_links, message_id};
use super::templates::render_email;
use super::Result;
use crate::config::Settings;
use crate::db::outbox::{self, Content, NewMessage, TOKEN_SLOT};
use crate::db::subscribers::{self, Subscribed, CONFIRM_TTL};
use crate::db::{write_tx, DbConn};
use crate::domain::{EmailAddress, Frequency, MessageKind};

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
    let mut ctx = Context::new();
    ctx.insert("site_url", &settings.absolute("/"));
    ctx.insert(
        "confirm_url",
        &settings.absolute(&format!("/subscribe/confirm?token={TOKEN_SLOT}")),
    );
    ctx.insert("days", &CONFIRM_TTL.num_days());
    let (p, u) = manage_links(settings, TOKEN_SLOT);
    ctx.insert("preferences_url", &p);
    ctx.insert("unsubscribe_url", &u);
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
        let dedupe_key = format!("{kind}:{}:{}", subscriber.id, &token[..16]);
        outbox::enqueue(
            conn,
            &NewMessage {
                message_id: message_id(settings, &dedupe_key),
                dedupe_key,
                subscriber_id: Some(subscriber.id),
                kind,
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
        )
    })?)
}
