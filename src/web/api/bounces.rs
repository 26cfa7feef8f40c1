//! `POST /api/v1/bounces`: a bounce or complaint reported by a mail provider's webhook
//! (organizers' tokens). The answer is the same whether or not the address is a
//! subscriber's, so the endpoint tells nobody who is subscribed.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::input::from_body;
use super::openapi::ErrorBody;
use super::writes::{MalformedJson, TokenRefusals};
use super::ApiUser;
use crate::db::{self, bounces, tokens, write_tx, FieldExt};
use crate::domain::{BounceKind, EmailAddress};
use crate::web::error::WebError;
use crate::web::AppState;

/// Reasons longer than this many characters are refused.
const MAX_REASON: usize = 1000;

/// A bounce or complaint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BounceIn {
    /// The address the mail was sent to.
    #[schema(required, value_type = String, format = Email)]
    pub email: Option<String>,
    /// `hard`, `soft` or `complaint`.
    #[schema(required, value_type = BounceKind)]
    pub kind: Option<String>,
    /// What the provider said, kept for organizers (at most 1000 characters).
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// The report, as accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct BounceAccepted {
    pub email: String,
    pub kind: BounceKind,
}

/// Records a bounce or complaint: a hard bounce or a complaint suppresses the address at
/// once, 3 soft bounces within 14 days do too. The answer does not say whether the
/// address belongs to a subscriber (an unknown address changes nothing).
#[utoipa::path(
    post,
    path = "/api/v1/bounces",
    tag = "subscribers",
    request_body = BounceIn,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Accepted (whether or not the address is a subscriber's)",
            body = BounceAccepted),
        MalformedJson,
        TokenRefusals,
        (status = 422, description = "A bad or missing field, named in `field`", body = ErrorBody)
    )
)]
pub async fn post_bounce(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, WebError> {
    let input: BounceIn = from_body(body.into_inner())?;
    let (email, kind, reason) = check(input)?;
    let actor = tokens::actor_for(&user.0);
    let (e, r) = (email.clone(), reason);
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| -> db::Result<()> {
                if let Some(s) = bounces::resolve(conn, None, &[e])? {
                    let reason = format!("{r} (reported by {})", actor.name);
                    bounces::record(conn, s.id, kind, reason.trim(), "api", actor.at)?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::Accepted().json(BounceAccepted { email, kind }))
}

fn check(input: BounceIn) -> db::Result<(String, BounceKind, String)> {
    let email = input
        .email
        .ok_or_else(|| db::Error::invalid("email", "is required"))?;
    let email = EmailAddress::parse(&email).field("email")?;
    let kind = input
        .kind
        .ok_or_else(|| db::Error::invalid("kind", "is required"))?;
    if kind.trim() != kind {
        return Err(db::Error::invalid(
            "kind",
            "must be one of: hard, soft, complaint",
        ));
    }
    let kind = BounceKind::parse(&kind).field("kind")?;
    let reason = input.reason.unwrap_or_default();
    if reason.chars().count() > MAX_REASON {
        return Err(db::Error::invalid(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    Ok((email.as_str().to_string(), kind, reason.trim().to_string()))
}
