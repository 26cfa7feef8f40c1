//! `HEAD` for every `GET` route, pages and API alike: the request is routed as a `GET` and
//! answered with the same status and headers; actix-http, which saw the `HEAD` when it
//! read the request, sends no body. A `405` lists `HEAD` beside `GET` in its `Allow`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;

/// The middleware.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allow = res
            .headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(allow) = allow {
            let has = |m: &str| allow.split(',').any(|x| x.trim().eq_ignore_ascii_case(m));
            if has("GET") && !has("HEAD") {
                let listed: Vec<&str> = allow
                    .split(',')
                    .map(str::trim)
                    .flat_map(|m| {
                        if m.eq_ignore_ascii_case("GET") {
                            vec![m, "HEAD"]
                        } else {
                            vec![m]
                        }
                    })
                    .collect();
                if let Ok(v) = HeaderValue::from_str(&listed.join(", ")) {
                    res.headers_mut().insert(header::ALLOW, v);
                }
            }
        }
    }
    Ok(res)
}
