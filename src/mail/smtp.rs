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
//! Each message takes two round trips where the server offers PIPELINING (RFC 2920): MAIL,
//! RCPT and DATA in one write, then the dot-stuffed message and its end in another; lettre
//! writes five times and waits four (one round trip more without PIPELINING).
//!
//! Handles `smtp://[user:password@]host[:port][/hello-name][?tls=required|opportunistic]`
//! exactly as lettre's `from_url` reads it (STARTTLS through lettre). Implicit TLS
//! (`smtps://`) stays on lettre's own transport, see [`super::transport`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
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

/// An open connection and whether its server takes pipelined commands.
struct Conn {
    smtp: AsyncSmtpConnection,
    pipelining: bool,
}

/// Text written to the server as it is (lettre writes a command's `Display`).
struct Raw<'a>(&'a str);

impl std::fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A formatted message as DATA carries it: a `.` doubled at the start of every line (as
/// lettre's codec does), then the end of data. Written straight into the one buffer lettre
/// makes of a command.
struct Stuffed<'a>(&'a str);

impl std::fmt::Display for Stuffed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        if rest.starts_with('.') {
            f.write_str(".")?;
        }
        while let Some(i) = rest.find("\r\n.") {
            f.write_str(&rest[..i + 3])?;
            f.write_str(".")?;
            rest = &rest[i + 3..];
        }
        f.write_str(rest)?;
        f.write_str("\r\n.\r\n")
    }
}

#[cfg(test)]
fn dot_stuffed(message: &str) -> String {
    Stuffed(message).to_string()
}

/// How a transaction ended.
enum Ended {
    /// Sent, or refused with the connection ready for the next message.
    Clean(Result<(), Error>),
    /// The connection is in no known state: it is closed, not kept.
    Broken(Error),
}

impl Conn {
    /// Sends one message. Mail lettre would send with SMTPUTF8, or a body that is not
    /// UTF-8, goes through lettre's own `send`.
    async fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Ended {
        let ascii_addresses = envelope
            .to()
            .iter()
            .all(|a| AsRef::<str>::as_ref(a).is_ascii())
            && envelope
                .from()
                .is_none_or(|a| AsRef::<str>::as_ref(a).is_ascii());
        let eight_bit = !message.is_ascii();
        let plain = std::str::from_utf8(message).ok().filter(|_| {
            ascii_addresses
                && (!eight_bit
                    || self
                        .smtp
                        .server_info()
                        .supports_feature(Extension::EightBitMime))
        });
        let Some(text) = plain else {
            return match self.smtp.send(envelope, message).await {
                Ok(_) => Ended::Clean(Ok(())),
                Err(e) => Ended::Broken(e),
            };
        };
        let mut options = Vec::new();
        if eight_bit {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        // MAIL, one RCPT for each recipient, DATA.
        let mut steps = vec![Mail::new(envelope.from().cloned(), options).to_string()];
        steps.extend(
            envelope
                .to()
                .iter()
                .map(|a| Rcpt::new(a.clone(), Vec::new()).to_string()),
        );
        steps.push(Data.to_string());
        // The envelope: every answer is read, so the connection stays in step.
        let mut refused = None;
        if self.pipelining {
            let first = self.smtp.command(Raw(&steps.concat())).await;
            // MAIL's answer is in; then one for each of the other steps.
            let mut answers = vec![first];
            for _ in 1..steps.len() {
                answers.push(self.smtp.read_response().await);
            }
            let data_open = answers.last().is_some_and(|a| a.is_ok());
            for a in answers {
                match a {
                    Err(e) if e.is_permanent() || e.is_transient() => {
                        refused.get_or_insert(e);
                    }
                    Err(e) => return Ended::Broken(e),
                    Ok(_) => {}
                }
            }
            if let Some(e) = refused {
                // DATA open after a refusal: no state to trust.
                return if data_open {
                    Ended::Broken(e)
                } else {
                    Ended::Clean(self.reset(e).await)
                };
            }
        } else {
            for step in steps {
                match self.smtp.command(Raw(&step)).await {
                    Ok(_) => {}
                    Err(e) if e.is_permanent() || e.is_transient() => {
                        return Ended::Clean(self.reset(e).await);
                    }
                    Err(e) => return Ended::Broken(e),
                }
            }
        }
        match self.smtp.command(Stuffed(text)).await {
            Ok(_) => Ended::Clean(Ok(())),
            Err(e) if e.is_permanent() || e.is_transient() => Ended::Clean(Err(e)),
            Err(e) => Ended::Broken(e),
        }
    }

    /// After a refused envelope: RSET, so the next message starts a new transaction.
    async fn reset(&mut self, refused: Error) -> Result<(), Error> {
        match self.smtp.command(Rset).await {
            Ok(_) => Err(refused),
            Err(_) => {
                self.smtp.abort().await;
                Err(refused)
            }
        }
    }
}

/// Connections kept open between messages, and how many may be in use at once.
pub struct SmtpPool {
    target: Target,
    idle: Mutex<Vec<(Conn, Instant)>>,
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
    async fn connect(&self) -> Result<Conn, SendError> {
        let t = &self.target;
        let stream = TcpStream::connect((t.host.as_str(), t.port))
            .await
            .map_err(|e| io("Connection error", e))?;
        stream.set_nodelay(true).map_err(|e| io("TCP_NODELAY", e))?;
        self.greet(stream).await.map_err(|e| classify(&e))
    }

    async fn greet(&self, stream: TcpStream) -> Result<Conn, Error> {
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
        // lettre keeps no note of PIPELINING: the extensions are asked for once more
        // (EHLO again is allowed at any time and changes nothing), before AUTH.
        let ehlo = conn.command(Ehlo::new(t.hello.clone())).await?;
        let pipelining = ehlo
            .message()
            .any(|l| l.trim().eq_ignore_ascii_case("PIPELINING"));
        if let Some(c) = &t.credentials {
            conn.auth(DEFAULT_MECHANISMS, c).await?;
        }
        Ok(Conn {
            smtp: conn,
            pipelining,
        })
    }

    /// A kept connection that still answers, or a new one.
    async fn checkout(&self) -> Result<Conn, SendError> {
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
                    if idle < FRESH
                        || (idle < self.idle_timeout && conn.smtp.test_connected().await)
                    {
                        return Ok(conn);
                    }
                    conn.smtp.abort().await;
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
            let result = match conn.send(envelope, message).await {
                Ended::Clean(r) if !conn.smtp.has_broken() => {
                    self.idle
                        .lock()
                        .expect("pool lock")
                        .push((conn, Instant::now()));
                    r
                }
                // Closed without QUIT: in the middle of DATA, a QUIT would be data.
                Ended::Clean(r) => r,
                Ended::Broken(e) => Err(e),
            };
            result.map_err(|e| classify(&e))
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
    fn dot_stuffing_doubles_a_leading_dot_on_every_line_as_lettres_codec_does() {
        let cases = [
            ("Subject: x\r\n\r\nbody\r\n", "Subject: x\r\n\r\nbody\r\n"),
            (
                ".starts\r\n.\r\n..two\r\nmid.dle\r\n.",
                "..starts\r\n..\r\n...two\r\nmid.dle\r\n..",
            ),
            // lettre's codec stuffs after CRLF only.
            ("a\n.bare LF\r\n.x", "a\n.bare LF\r\n..x"),
            ("", ""),
        ];
        for (m, want) in cases {
            assert_eq!(dot_stuffed(m), format!("{want}\r\n.\r\n"), "{m:?}");
        }
    }

    #[test]
    fn leaves_implicit_tls_and_unknown_modes_to_lettre() {
        assert!(pool("smtps://relay").is_none());
        assert!(pool("smtp://relay?tls=sometimes").is_none());
    }
}
