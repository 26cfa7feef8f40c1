//! Where email goes: one pooled SMTP transport (`SMTP_URL`, lettre's URL form), or, without
//! one, a `.eml` file per message in `MAIL_DIR`. Builds the MIME message from an outbox row.
//! `smtp://` goes through [`SmtpPool`] (lettre's client on `TCP_NODELAY` sockets);
//! `smtps://` through lettre's own pooled transport.

use std::sync::Arc;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::Address;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::shared_body::SharedBody;
use super::smtp::{classify, SmtpPool};
use super::verp::Verp;
use super::{Error, Result};
use crate::config::Settings;
use crate::db::outbox::{Message as Outgoing, TOKEN_SLOT};

/// How long one message may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(20);
/// How long an unused connection is kept open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth retrying: a 4xx answer, a refused or dropped connection, a timeout.
    Transient(String),
    /// The server refused for good (5xx), or the message cannot be built.
    Permanent(String),
}

#[derive(Clone)]
enum Inner {
    Pool(Arc<SmtpPool>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// The one transport of a process; cheap to clone (clones share the SMTP pool).
#[derive(Clone)]
pub struct Mailer {
    inner: Inner,
    from: Mailbox,
    /// `BOUNCE_ADDRESS` and its key: each message's envelope sender names its subscriber.
    verp: Option<Arc<Verp>>,
    parallel: usize,
}

impl Mailer {
    /// Builds the transport the settings name (creating `MAIL_DIR` when it is used).
    pub fn from_settings(settings: &Settings) -> Result<Mailer> {
        let parallel = settings.smtp_pool_size as usize;
        let inner = match &settings.smtp_url {
            Some(url) => {
                // lettre reads the URL (and names what is wrong with it) for both paths;
                // its own transport is built only where our pool does not serve.
                let lettre = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| Error::Transport(format!("SMTP_URL: {e}")))?;
                match SmtpPool::for_url(url, settings.smtp_pool_size, TIMEOUT, IDLE_TIMEOUT) {
                    Some(pool) => Inner::Pool(Arc::new(pool)),
                    None => Inner::Smtp(
                        lettre
                            .pool_config(
                                PoolConfig::new()
                                    .max_size(settings.smtp_pool_size)
                                    .idle_timeout(IDLE_TIMEOUT),
                            )
                            .timeout(Some(TIMEOUT))
                            .build(),
                    ),
                }
            }
            None => {
                std::fs::create_dir_all(&settings.mail_dir).map_err(|e| {
                    Error::Transport(format!(
                        "MAIL_DIR {} cannot be created: {e}",
                        settings.mail_dir.display()
                    ))
                })?;
                Inner::File(AsyncFileTransport::new(&settings.mail_dir))
            }
        };
        Ok(Mailer {
            inner,
            from: settings.mail_from.clone(),
            verp: None,
            parallel,
        })
    }

    /// With `BOUNCE_ADDRESS` set, envelope senders are VERP addresses keyed by `secret`
    /// (the site's secret key); without it, this changes nothing.
    pub fn with_bounce_key(mut self, settings: &Settings, secret: &[u8]) -> Mailer {
        self.verp = settings
            .bounce_address
            .as_ref()
            .map(|a| Arc::new(Verp::new(a, secret)));
        self
    }

    /// How many messages to have in flight at once.
    pub fn parallel(&self) -> usize {
        match self.inner {
            Inner::Pool(_) | Inner::Smtp(_) => self.parallel,
            Inner::File(_) => 4,
        }
    }

    /// The sender address.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends a built message.
    pub async fn send_message(&self, msg: Message) -> Result<(), SendError> {
        match &self.inner {
            Inner::Pool(p) => p.send_raw(msg.envelope(), &msg.formatted()).await,
            Inner::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| classify(&e)),
            Inner::File(t) => t
                .send(msg)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(e.to_string())),
        }
    }

    /// Sends an outbox row; `shared` is the body it names, if it names one.
    pub async fn send(&self, m: &Outgoing, shared: Option<&SharedBody>) -> Result<(), SendError> {
        let return_path = self.verp.as_ref().map(|v| v.return_path(m.subscriber_id));
        let msg = build_with(&self.from, return_path, m, shared).map_err(SendError::Permanent)?;
        self.send_message(msg).await
    }
}

/// The MIME message for an outbox row: multipart/alternative (text, then HTML), its
/// stable Message-ID, and its extra headers (List-Unsubscribe and friends). A row that
/// names a shared body comes with it (`shared`), unless its body fields were filled in
/// already ([`crate::db::outbox::get`]); the row's token goes into the body and headers.
pub fn build(from: &Mailbox, m: &Outgoing, shared: Option<&SharedBody>) -> Result<Message, String> {
    build_with(from, None, m, shared)
}

/// [`build`] with the envelope sender `return_path` (a VERP address, see
/// [`super::verp`]); `None`: the From address.
pub fn build_with(
    from: &Mailbox,
    return_path: Option<Address>,
    m: &Outgoing,
    shared: Option<&SharedBody>,
) -> Result<Message, String> {
    let to: Address = m
        .to_addr
        .parse()
        .map_err(|e| format!("recipient {:?}: {e}", m.to_addr))?;
    // The envelope is given, so lettre need not read it back out of the headers.
    let sender = return_path.unwrap_or_else(|| from.email.clone());
    let envelope =
        Envelope::new(Some(sender), vec![to.clone()]).map_err(|e| format!("envelope: {e}"))?;
    let mut b = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .envelope(envelope)
        .subject(m.subject.clone())
        .message_id(Some(m.message_id.clone()));
    let token = m.manage_token.as_deref();
    for (k, mut v) in m.extra_headers() {
        let name = HeaderName::new_from_ascii(k.clone()).map_err(|e| format!("header {k}: {e}"))?;
        if let Some(token) = token {
            v = v.replace(TOKEN_SLOT, token);
        }
        b = b.raw_header(HeaderValue::new(name, v));
    }
    let body = match (m.body_id, shared, token) {
        (Some(_), Some(shared), Some(token)) => shared.multipart(token)?,
        (Some(id), None, _) if m.body_text.is_empty() && m.body_html.is_empty() => {
            return Err(format!("the shared body {id} was not loaded"));
        }
        (Some(id), Some(_), None) => return Err(format!("no token for the shared body {id}")),
        _ => MultiPart::alternative_plain_html(m.body_text.clone(), m.body_html.clone()),
    };
    b.multipart(body).map_err(|e| e.to_string())
}
