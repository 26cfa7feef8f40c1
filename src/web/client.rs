//! Who sent a request: the peer address, or — only when the peer is one of the reverse
//! proxies named in `TRUSTED_PROXIES` — the address those proxies report in
//! `X-Forwarded-For` or, without it, `Forwarded` (RFC 7239). Every rate limit and the request log use it.
//!
//! Proxies append the address they received from, so the list reads client first, nearest
//! proxy last. It is read from the right: trusted proxies are skipped, and the first
//! address that is not one of them is the client. Anything to its left was written by the
//! client itself and is never believed. A value that is not an address (`unknown`, an
//! obfuscated `_name`) ends the walk at the last trusted hop.

use std::net::{IpAddr, SocketAddr};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName};
use actix_web::{web, HttpMessage, HttpRequest};
use tracing::field::Empty;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use super::AppState;
use crate::config::IpNet;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client address of a request (see the module documentation); `None` only when the
/// peer address is unknown (requests built in unit tests).
pub fn client_addr(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map_or(&[][..], |s| s.settings.trusted_proxies.as_slice());
    Some(resolve(peer, req.headers(), trusted))
}

/// The client as stored with a problem report: a keyed hash of its address that tells
/// two callers apart without saying who either is (the key is `SECRET_KEY`, so the
/// address cannot be found again by hashing every IPv4 address).
pub fn reporter(state: &AppState, req: &HttpRequest) -> String {
    use sha2::{Digest, Sha256};
    let addr = client_addr(req).map_or_else(|| "unknown".to_string(), |a| a.to_string());
    let mut h = Sha256::new();
    h.update(&state.secret);
    h.update(b"\0phone-report\0");
    h.update(addr.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The client address given the peer, the request headers and the trusted proxies.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    let mut client = peer;
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) => {
                client = *ip;
                if !is_trusted(*ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// The addresses a request went through, client first: from `X-Forwarded-For` when
/// present, else from `Forwarded`. `X-Forwarded-For` comes first because it is what nginx,
/// HAProxy and cloud load balancers append to; a `Forwarded` header a client sends through
/// such a proxy arrives untouched and must not be believed. (A proxy that writes only
/// `Forwarded` must drop an incoming `X-Forwarded-For`; see the README.) `None` marks a
/// hop that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all(X_FORWARDED_FOR)
        .flat_map(|v| {
            v.to_str()
                .unwrap_or("")
                .split(',')
                .map(|a| parse_addr(a.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all(actix_web::http::header::FORWARDED)
        .flat_map(|v| {
            let text = v.to_str().unwrap_or("");
            text.split(',')
                .filter_map(|element| {
                    element.split(';').find_map(|pair| {
                        let (k, v) = pair.split_once('=')?;
                        k.trim()
                            .eq_ignore_ascii_case("for")
                            .then(|| parse_addr(v.trim().trim_matches('"')))
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:80`.
fn parse_addr(raw: &str) -> Option<IpAddr> {
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = raw.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    raw.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

/// The span `TracingLogger` opens for each request: tracing-actix-web's fields, with the
/// client address from [`client_addr`] (its own default believes `Forwarded` from anyone).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        // Where request spans are not logged (RUST_LOG=warn), making their fields is waste
        // on the hot path.
        if !tracing::enabled!(tracing::Level::INFO) {
            return tracing::Span::none();
        }
        let client = client_addr(request.request())
            .map(|a| a.to_string())
            .unwrap_or_default();
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.uri().path_and_query().map_or("", |p| p.as_str()),
            http.client_ip = %client,
            http.status_code = Empty,
            otel.status_code = Empty,
            request_id = %request_id,
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| IpNet::parse(n).unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let h = headers(&[("x-forwarded-for", "9.9.9.9"), ("forwarded", "for=8.8.8.8")]);
        assert_eq!(resolve(ip("1.2.3.4"), &h, &[]), ip("1.2.3.4"));
        assert_eq!(
            resolve(ip("1.2.3.4"), &h, &nets(&["10.0.0.0/8"])),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_address_wins() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1"]);
        // The client wrote 6.6.6.6 itself; the proxy appended 5.5.5.5.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 5.5.5.5, 10.1.1.1")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted), ip("5.5.5.5"));
        // Several header lines read as one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "5.5.5.5"),
        ]);
        assert_eq!(resolve(ip("10.0.0.2"), &h, &trusted), ip("5.5.5.5"));
        // No header: the proxy itself.
        assert_eq!(
            resolve(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        // Everything trusted: the left-most.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.1.1")]);
        assert_eq!(resolve(ip("10.0.0.2"), &h, &trusted), ip("10.9.9.9"));
        // A hop that is not an address stops the walk at the last trusted one.
        let h = headers(&[("x-forwarded-for", "5.5.5.5, unknown, 10.1.1.1")]);
        assert_eq!(resolve(ip("10.0.0.2"), &h, &trusted), ip("10.1.1.1"));
        // IPv4-mapped peers count as IPv4.
        let h = headers(&[("x-forwarded-for", "5.5.5.5")]);
        assert_eq!(resolve(ip("::ffff:127.0.0.1"), &h, &trusted), ip("5.5.5.5"));
    }

    #[test]
    fn x_forwarded_for_is_read_before_forwarded() {
        let trusted = nets(&["127.0.0.1"]);
        // nginx appended to X-Forwarded-For; the client's own Forwarded is not believed.
        let h = headers(&[
            ("forwarded", "for=7.7.7.7"),
            ("x-forwarded-for", "192.0.2.60"),
        ]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted), ip("192.0.2.60"));
        let h = headers(&[(
            "forwarded",
            "for=\"[2001:db8:cafe::17]:4711\";proto=https, For=192.0.2.60;by=10.0.0.1",
        )]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted), ip("192.0.2.60"));
        let h = headers(&[("forwarded", "for=\"[2001:db8:cafe::17]:4711\"")]);
        assert_eq!(
            resolve(ip("127.0.0.1"), &h, &trusted),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(parse_addr("1.2.3.4:80"), Some(ip("1.2.3.4")));
        assert_eq!(parse_addr("_hidden"), None);
    }
}
