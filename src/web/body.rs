//! Limits on request bodies, for every route: a body over [`MAX_BODY`] answers 413 (at
//! once when `Content-Length` says so, else when the bytes arrive), and a body that has
//! not arrived `BODY_TIMEOUT_SECS` after its request did answers 408. Either way the
//! connection is closed, so a client drip-feeding a body cannot hold it open. actix's own
//! `client_request_timeout` covers only the headers.
//!
//! Extractors keep their own, smaller limits (JSON 512 KiB, forms 16 KiB, raw bodies
//! 256 KiB); past them they answer 413 too (JSON for the API, an HTML page otherwise).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_core::Stream;

use super::error::{wants_json, WebError};
use super::AppState;

/// The largest request body any route reads.
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a body was cut off.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cut {
    TooLarge,
    TimedOut,
}

/// The middleware (outside the HTML error pages, which it renders itself).
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        let res = answer(req.request(), WebError::TooLarge(Some(MAX_BODY)));
        return Ok(req.into_response(res).map_into_right_body());
    }
    let has_body = match declared {
        Some(n) => n > 0,
        None => {
            req.headers().contains_key(header::TRANSFER_ENCODING)
                || !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        }
    };
    if !has_body {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let timeout = req
        .app_data::<web::Data<AppState>>()
        .map_or(Duration::from_secs(10), |s| s.settings.body_timeout);
    let cut = Rc::new(Cell::new(None));
    let limited = Limited {
        inner: req.take_payload(),
        deadline: Box::pin(tokio::time::sleep(timeout)),
        read: 0,
        cut: cut.clone(),
    };
    req.set_payload(Payload::from(
        Box::pin(limited) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    let res = next.call(req).await?;
    match cut.get() {
        None => Ok(res.map_into_left_body()),
        Some(why) => {
            let err = match why {
                Cut::TooLarge => WebError::TooLarge(Some(MAX_BODY)),
                Cut::TimedOut => WebError::BodyTimeout,
            };
            let (req, _) = res.into_parts();
            let new = answer(&req, err);
            Ok(ServiceResponse::new(req, new).map_into_right_body())
        }
    }
}

/// The error answer, as JSON or an HTML page, on a connection that closes after it (the
/// rest of the body is never read).
fn answer(req: &HttpRequest, err: WebError) -> HttpResponse {
    let mut res = if wants_json(req) {
        err.error_response()
    } else {
        let status = err.status_code();
        HttpResponse::build(status)
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ))
            .body(super::render::error_page(status, &err.to_string()))
    };
    res.head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    res
}

/// A request body that ends in an error past [`MAX_BODY`] bytes or its deadline.
struct Limited {
    inner: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    read: usize,
    cut: Rc<Cell<Option<Cut>>>,
}

impl Stream for Limited {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.cut.get().is_some() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.read += chunk.len();
                if this.read > MAX_BODY {
                    this.cut.set(Some(Cut::TooLarge));
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.cut.set(Some(Cut::TimedOut));
                    return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body took too long to arrive",
                    )))));
                }
                Poll::Pending
            }
        }
    }
}
