//! Reading one returned message: an RFC 3464 delivery status notification
//! (`multipart/report; report-type=delivery-status`) or an RFC 5965 ARF complaint
//! (`report-type=feedback-report`), MIME parsed by `mail-parser`, into a [`Bounce`]: what
//! happened and every clue to whom, best first.

use mail_parser::{HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::domain::BounceKind;

/// Reasons are kept to about this many characters.
const MAX_REASON: usize = 300;

/// What one returned message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A bounce or a complaint.
    Bounce(Bounce),
    /// A readable message that reports nothing to act on (an auto-reply, a "delivered"
    /// notice), and why.
    Ignored(String),
}

/// A bounce or complaint and the addresses that may name its subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    pub kind: BounceKind,
    /// The status and diagnostic (`5.1.1 smtp; 550 5.1.1 … User unknown`), or the
    /// feedback type and reporter of a complaint.
    pub reason: String,
    /// Where the report was delivered to, best first: the VERP return path
    /// (`bounces+TAG@…`) is among them when the sender set one.
    pub return_paths: Vec<String>,
    /// The failed recipient as the report names it (`Final-Recipient`,
    /// `Original-Recipient`, or for a complaint `Original-Rcpt-To` and the original To).
    pub recipients: Vec<String>,
}

/// Reads one message; `Err` names why it is unreadable (empty, not a message at all).
/// `envelope_recipient` is the address the MTA delivered it to, when it says.
pub fn parse(raw: &[u8], envelope_recipient: Option<&str>) -> Result<Report, String> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("the message is empty".into());
    }
    let msg = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.root_part().headers.is_empty())
        .ok_or("not an email message: no header could be read")?;
    if !msg.headers().iter().any(|h| {
        matches!(
            h.name(),
            n if n.eq_ignore_ascii_case("From")
                || n.eq_ignore_ascii_case("Content-Type")
                || n.eq_ignore_ascii_case("Subject")
                || n.eq_ignore_ascii_case("To")
                || n.eq_ignore_ascii_case("Date")
        )
    }) {
        return Err("not an email message: none of From, To, Subject, Date, Content-Type".into());
    }
    let mut return_paths: Vec<String> = envelope_recipient.map(address).into_iter().collect();
    if let Some(to) = msg.to() {
        return_paths.extend(to.iter().filter_map(|a| a.address()).map(address));
    }
    for name in ["X-Original-To", "Delivered-To"] {
        return_paths.extend(raw_headers(msg.root_part(), name).map(|v| address(&v)));
    }

    let report_type = msg
        .root_part()
        .content_type()
        .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
        .filter(|ct| {
            ct.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    let bounce = match report_type.as_deref() {
        Some("delivery-status") => dsn(&msg),
        Some("feedback-report") => arf(&msg),
        Some(other) => return Ok(Report::Ignored(format!("a report of type {other}"))),
        None => return Ok(Report::Ignored("not a multipart/report message".into())),
    };
    Ok(match bounce {
        Ok(mut b) => {
            return_paths.append(&mut b.return_paths);
            b.return_paths = dedup(return_paths);
            b.recipients = dedup(b.recipients);
            Report::Bounce(b)
        }
        Err(why) => Report::Ignored(why),
    })
}

/// The part of `msg` whose content type is `ctype/subtype` (any of `subtypes`).
fn part<'a, 'x>(
    msg: &'a Message<'x>,
    ctype: &str,
    subtypes: &[&str],
) -> Option<&'a MessagePart<'x>> {
    msg.parts.iter().find(|p| {
        p.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case(ctype)
                && ct
                    .subtype()
                    .is_some_and(|s| subtypes.iter().any(|t| s.eq_ignore_ascii_case(t)))
        })
    })
}

/// The field groups of a `message/delivery-status` or `message/feedback-report` body:
/// blocks of header-style fields separated by blank lines, each read by `mail-parser`.
fn field_groups(body: &[u8]) -> Vec<Vec<(String, String)>> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .filter_map(|block| {
            let block = format!("{}\n\n", block.trim_start_matches('\n'));
            let m = MessageParser::default().parse_headers(block.as_bytes())?;
            let fields: Vec<(String, String)> = m
                .headers_raw()
                .map(|(k, v)| (k.to_ascii_lowercase(), unfold(v)))
                .collect();
            Some(fields).filter(|f| !f.is_empty())
        })
        .collect()
}

fn field<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn dsn(msg: &Message<'_>) -> Result<Bounce, String> {
    let status = part(
        msg,
        "message",
        &["delivery-status", "global-delivery-status"],
    )
    .ok_or("a delivery report without a message/delivery-status part")?;
    let groups = field_groups(status.contents());
    // The first group is about the message; each further one about a recipient.
    let mut recipients = groups.iter().skip(1).filter(|g| {
        field(g, "final-recipient").is_some() || field(g, "original-recipient").is_some()
    });
    let (group, kind) = recipients
        .find_map(|g| recipient_kind(g).map(|k| (g, k)))
        .ok_or("a delivery report with no failed or delayed recipient")?;
    let status_code = field(group, "status").unwrap_or("");
    let diagnostic =
        field(group, "diagnostic-code").unwrap_or_else(|| field(group, "action").unwrap_or(""));
    let reason = truncate(format!("{status_code} {diagnostic}").trim());
    let mut to = Vec::new();
    for name in [
        "final-recipient",
        "original-recipient",
        "x-actual-recipient",
    ] {
        to.extend(field(group, name).map(typed_address));
    }
    // The returned message (or its headers) may still carry our Return-Path.
    let mut return_paths = Vec::new();
    if let Some(original) = returned_headers(msg) {
        return_paths.extend(raw_headers(original.root_part(), "Return-Path").map(|v| address(&v)));
        if to.is_empty() {
            if let Some(t) = original.to() {
                to.extend(t.iter().filter_map(|a| a.address()).map(address));
            }
        }
    }
    Ok(Bounce {
        kind,
        reason,
        return_paths,
        recipients: to,
    })
}

/// Hard for a 5.x.x status (or `Action: failed` without one), soft for 4.x.x (or
/// `delayed`); `None` for a recipient that was delivered, relayed or expanded.
fn recipient_kind(group: &[(String, String)]) -> Option<BounceKind> {
    let status = field(group, "status").unwrap_or("").trim_start();
    match status.as_bytes().first() {
        Some(b'5') => return Some(BounceKind::Hard),
        Some(b'4') => return Some(BounceKind::Soft),
        Some(b'2') => return None,
        _ => {}
    }
    match field(group, "action").map(|a| a.trim().to_ascii_lowercase()) {
        Some(a) if a == "failed" => Some(BounceKind::Hard),
        Some(a) if a == "delayed" => Some(BounceKind::Soft),
        _ => None,
    }
}

fn arf(msg: &Message<'_>) -> Result<Bounce, String> {
    let report = part(msg, "message", &["feedback-report"])
        .ok_or("a feedback report without a message/feedback-report part")?;
    let groups = field_groups(report.contents());
    let fields: Vec<(String, String)> = groups.into_iter().flatten().collect();
    let feedback = field(&fields, "feedback-type").unwrap_or("abuse");
    let reason = match field(&fields, "user-agent") {
        Some(agent) => format!("{feedback} complaint ({agent})"),
        None => format!("{feedback} complaint"),
    };
    let mut to: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "original-rcpt-to")
        .map(|(_, v)| address(v))
        .collect();
    // The envelope sender of the original (our VERP return path, when we set one).
    let mut return_paths: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "original-mail-from")
        .map(|(_, v)| address(v))
        .collect();
    if let Some(original) = returned_headers(msg) {
        return_paths.extend(raw_headers(original.root_part(), "Return-Path").map(|v| address(&v)));
        if let Some(t) = original.to() {
            to.extend(t.iter().filter_map(|a| a.address()).map(address));
        }
    }
    Ok(Bounce {
        kind: BounceKind::Complaint,
        reason: truncate(&reason),
        return_paths,
        recipients: to,
    })
}

/// The headers of the message the report is about: a `message/rfc822` part (parsed as a
/// nested message) or a `text/rfc822-headers` part.
fn returned_headers<'a>(msg: &'a Message<'a>) -> Option<std::borrow::Cow<'a, Message<'a>>> {
    for p in &msg.parts {
        if let PartType::Message(m) = &p.body {
            return Some(std::borrow::Cow::Borrowed(m));
        }
    }
    let headers = part(msg, "text", &["rfc822-headers"])
        .or_else(|| part(msg, "message", &["rfc822-headers"]))?;
    let mut bytes = headers.contents().to_vec();
    bytes.extend_from_slice(b"\r\n\r\n");
    MessageParser::default()
        .parse_headers(&bytes)
        .map(|m| std::borrow::Cow::Owned(m.into_owned()))
}

/// Every value of header `name` in a part, as text, unfolded.
fn raw_headers<'a>(part: &'a MessagePart<'_>, name: &'a str) -> impl Iterator<Item = String> + 'a {
    part.headers
        .iter()
        .filter(move |h| h.name().eq_ignore_ascii_case(name))
        .filter_map(|h| match h.value() {
            HeaderValue::Text(t) => Some(t.to_string()),
            HeaderValue::TextList(l) => l.first().map(|t| t.to_string()),
            HeaderValue::Address(a) => a.first().and_then(|a| a.address()).map(str::to_string),
            _ => None,
        })
        .map(|v| unfold(&v))
        .filter(|v| !v.is_empty())
}

/// `rfc822; user@example.org` → `user@example.org`.
fn typed_address(v: &str) -> String {
    address(v.split_once(';').map_or(v, |(_, a)| a))
}

/// An address as written in a header (`Name <a@b>`, `<a@b>`, `a@b`), lowercased.
fn address(v: &str) -> String {
    let v = v.trim();
    let inner = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v,
    };
    inner.trim().trim_matches('"').to_ascii_lowercase()
}

fn unfold(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= MAX_REASON {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_REASON).collect();
    out.push('…');
    out
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in v {
        if a.contains('@') && !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_input_is_named() {
        assert!(parse(b"", None).unwrap_err().contains("empty"));
        assert!(parse(b"  \n", None).is_err());
        assert!(parse(b"\x00\x01\x02\xff\xfe binary", None).is_err());
    }

    #[test]
    fn a_plain_message_is_ignored() {
        let r = parse(b"From: a@b.org\r\nSubject: hi\r\n\r\nhello\r\n", None).unwrap();
        assert!(matches!(r, Report::Ignored(_)), "{r:?}");
    }

    fn sample(name: &str) -> Bounce {
        let path = format!(
            "{}/tests/fixtures/bounces/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        match parse(&std::fs::read(&path).unwrap(), None).unwrap() {
            Report::Bounce(b) => b,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn the_samples_read_as_what_they_report() {
        let b = sample("postfix-hard-5.1.1.eml");
        assert_eq!(b.kind, BounceKind::Hard);
        assert_eq!(b.recipients, ["gone@example.net"]);
        assert!(
            b.reason.starts_with("5.1.1 smtp; 550 5.1.1"),
            "{}",
            b.reason
        );
        let b = sample("gmail-hard.eml");
        assert_eq!(b.kind, BounceKind::Hard);
        assert_eq!(b.recipients, ["no.such.person.4711@gmail.com"]);
        let b = sample("postfix-soft-4.2.2-delayed.eml");
        assert_eq!(b.kind, BounceKind::Soft);
        assert!(b.reason.starts_with("4.2.2"), "{}", b.reason);
        let b = sample("aol-arf-complaint.eml");
        assert_eq!(b.kind, BounceKind::Complaint);
        assert_eq!(b.recipients, ["reader.one@aol.com"]);
        assert!(b
            .return_paths
            .contains(&"bounces+__tag__@lists.example.org".to_string()));
        let b = sample("postfix-hard-verp-rewritten.eml");
        assert_eq!(
            b.recipients,
            [
                "u8731@mailhost.forwarder.example",
                "alias-8731@forwarder.example"
            ]
        );
    }

    #[test]
    fn addresses_are_read_from_their_forms() {
        assert_eq!(typed_address("rfc822; A@B.org"), "a@b.org");
        assert_eq!(address("Someone <x@y.org>"), "x@y.org");
        assert_eq!(address("<x@y.org>"), "x@y.org");
    }
}
