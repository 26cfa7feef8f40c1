//! A small pool of SMTP connections on sockets we open ourselves with `TCP_NODELAY`,
//! speaking SMTP through lettre's protocol client ([`AsyncSmtpConnection`]).
//!
//! Why not lettre's own pool: lettre 0.11.23 leaves Nagle's algorithm on, and it writes
//! each message's final `\r\n.\r\n` separately after the body. Nagle holds those five bytes
//! until the server acknowledges the body, and a Linux server delays that ACK by 40 ms:
//! every message then costs 40 ms per connection (measured: 22 messages/s on one
//! connection, 180/s on eight; see BENCHMARKS.md "Digests"). lettre fixed this upstream
//! (lettre/lettre#1159) after 0.11.23; once a release has it, this module can go.
//!
//! Handles `smtp://[user:password@]host[:port][/hello-name][?tls=required|opportunistic]`
//! exactly as lettre's `from_url` reads it (STARTTLS through lettre). Implicit TLS
//! (`smtps://`) stays on lettre's own transport, see [`super::transport`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::Error;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::transport::SendError;

/// A 5xx answer is permanent; anything else (4xx, refused, dropped, timed out) is worth
/// another try.
pub fn classify(e: &Error) -> SendError {
    let text = e.to_string();
    if e.is_permanent() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

fn io(what: &str, e: std::io::Error) -> SendError {
    SendError::Transient(format!("{what}: {e}"))
}

/// How recently a kept connection must have been used to skip the NOOP check.
const FRESH: Duration = Duration::from_secs(1);

/// STARTTLS use, as `?tls=` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartTls {
    Never,
    Opportunistic,
    Required,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
struct Target {
    host: String,
    port: u16,
    starttls: StartTls,
    hello: ClientId,
    credentials: Option<Credentials>,
}

/// Connections kept open between messages, and how many may be in use at once.
pub struct SmtpPool {
    target: Target,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
    timeout: Duration,
    idle_timeout: Duration,
}

impl std::fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpPool")
            .field("host", &self.target.host)
            .field("port", &self.target.port)
            .finish_non_exhaustive()
    }
}

/// A URL's user or password, percent-decoded as lettre's `from_url` does.
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

impl SmtpPool {
    /// A pool for an `smtp://` URL (lettre's reading of it), `None` for any other scheme.
    /// The URL must already have been accepted by lettre's `from_url`.
    pub fn for_url(
        raw: &str,
        max: u32,
        timeout: Duration,
        idle_timeout: Duration,
    ) -> Option<SmtpPool> {
        let url = url::Url::parse(raw).ok()?;
        if url.scheme() != "smtp" {
            return None;
        }
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let starttls = match tls.as_deref() {
            None => StartTls::Never,
            Some("required") => StartTls::Required,
            Some("opportunistic") => StartTls::Opportunistic,
            Some(_) => return None,
        };
        let default_port = if starttls == StartTls::Never { 25 } else { 587 };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let credentials = url
            .password()
            .map(|p| Credentials::new(decode(url.username()), decode(p)));
        Some(SmtpPool {
            target: Target {
                host: url.host_str()?.to_owned(),
                port: url.port().unwrap_or(default_port),
                starttls,
                hello,
                credentials,
            },
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(max.max(1) as usize),
            timeout,
            idle_timeout,
        })
    }

    /// Opens, greets, secures and authenticates a new connection.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let t = &self.target;
        let stream = TcpStream::connect((t.host.as_str(), t.port))
            .await
            .map_err(|e| io("Connection error", e))?;
        stream.set_nodelay(true).map_err(|e| io("TCP_NODELAY", e))?;
        self.greet(stream).await.map_err(|e| classify(&e))
    }

    async fn greet(&self, stream: TcpStream) -> Result<AsyncSmtpConnection, Error> {
        let t = &self.target;
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &t.hello).await?;
        let secure = match t.starttls {
            StartTls::Never => false,
            StartTls::Opportunistic => conn.can_starttls(),
            StartTls::Required => true,
        };
        if secure {
            conn.starttls(TlsParameters::new(t.host.clone())?, &t.hello)
                .await?;
        }
        if let Some(c) = &t.credentials {
            conn.auth(DEFAULT_MECHANISMS, c).await?;
        }
        Ok(conn)
    }

    /// A kept connection that still answers, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let kept = {
                let mut idle = self.idle.lock().expect("pool lock");
                idle.pop()
            };
            match kept {
                Some((mut conn, since)) => {
                    // A connection used within the last second is taken as it is; an older
                    // one must first answer NOOP (the server may have closed it).
                    let idle = since.elapsed();
                    if idle < FRESH || (idle < self.idle_timeout && conn.test_connected().await) {
                        return Ok(conn);
                    }
                    conn.abort().await;
                }
                None => return self.connect().await,
            }
        }
    }

    /// Sends one message (already formatted) to the envelope's recipients.
    pub async fn send_raw(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        let _slot = self.slots.acquire().await.expect("never closed");
        let attempt = async {
            let mut conn = self.checkout().await?;
            let result = conn.send(envelope, message).await;
            if conn.has_broken() {
                conn.abort().await;
            } else {
                self.idle
                    .lock()
                    .expect("pool lock")
                    .push((conn, Instant::now()));
            }
            result.map(|_| ()).map_err(|e| classify(&e))
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(r) => r,
            Err(_) => Err(SendError::Transient(format!(
                "the SMTP server did not answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(url: &str) -> Option<SmtpPool> {
        SmtpPool::for_url(url, 4, Duration::from_secs(1), Duration::from_secs(1))
    }

    #[test]
    fn reads_urls_as_lettre_does() {
        let p = pool("smtp://mail.example.org").unwrap();
        assert_eq!(
            (p.target.host.as_str(), p.target.port),
            ("mail.example.org", 25)
        );
        assert_eq!(p.target.starttls, StartTls::Never);
        assert!(p.target.credentials.is_none());

        let p = pool("smtp://ana%40x.org:p%2Bw%20d@relay:2525/me.example?tls=required").unwrap();
        assert_eq!(p.target.port, 2525);
        assert_eq!(p.target.starttls, StartTls::Required);
        assert_eq!(p.target.hello, ClientId::Domain("me.example".into()));
        let expected = Credentials::new("ana@x.org".into(), "p+w d".into());
        assert_eq!(p.target.credentials, Some(expected));

        let p = pool("smtp://relay?tls=opportunistic").unwrap();
        assert_eq!(
            (p.target.port, p.target.starttls),
            (587, StartTls::Opportunistic)
        );
    }

    #[test]
    fn leaves_implicit_tls_and_unknown_modes_to_lettre() {
        assert!(pool("smtps://relay").is_none());
        assert!(pool("smtp://relay?tls=sometimes").is_none());
    }
}
