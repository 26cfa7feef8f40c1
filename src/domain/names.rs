//! The names the API's enumerated fields take, for its OpenAPI description only: stored
//! values are parsed by the kinds and the lifecycle, which name the field when a value is
//! unknown.

use serde::Serialize;
use utoipa::ToSchema;

/// What a call to action asks people to do.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKindName {
    Call,
    Email,
    Petition,
    Letter,
    Event,
    Donate,
    Read,
    Other,
}

/// Where an action is in its lifecycle.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusName {
    Draft,
    Published,
    Expired,
}

/// Whom an action is aimed at.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKindName {
    Contact,
    VisitorSenators,
    VisitorRepresentative,
}

/// What a phone line is for.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKindName {
    Main,
    TollFree,
    DistrictOffice,
    Fax,
    Direct,
}

/// Who or what a contact is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKindName {
    Senator,
    Representative,
    Agency,
    International,
    Organisation,
    Person,
}

/// How an update relates to an action.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationName {
    Added,
    Changed,
}
