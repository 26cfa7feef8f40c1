//! Domain values and rules: parsed, always-valid types with no I/O.
//!
//! Every type here is built through a `parse`-style constructor, so holding a
//! value is proof that it is valid ("parse, don't validate"). This module
//! depends on nothing else in the crate.

pub mod email;
pub mod kinds;
pub mod lifecycle;
pub mod markdown;
pub mod outcome;
pub mod phone;
pub mod placeholders;
pub mod report;
pub mod schedule;
pub mod slug;
pub mod text;
pub mod zip;
pub mod zone;

#[cfg(test)]
mod test_support;

pub use email::EmailAddress;
pub use kinds::{
    ActionKind, BounceKind, CampaignStatus, Chamber, ChangeKind, ContactKind, Frequency, LinkKind,
    MessageKind, OutboxStatus, PhoneKind, Relation, SubscriberStatus, TargetKind,
};
pub use lifecycle::{Status, Transition};
pub use outcome::Outcome;
pub use phone::PhoneNumber;
pub use report::Problem;
pub use slug::Slug;
pub use text::{
    parse_time, Address, Body, Description, HttpUrl, LangTag, Line, LinkTitle, LongLine, Name,
    Note, ReportNote, Summary, Tag, Title,
};
pub use zip::Zip;
pub use zone::Zone;

/// A value that failed to parse; the message is meant for a person (e.g. "is not a valid phone number").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl InvalidInput {
    /// Builds an error from any message.
    pub fn new(message: impl Into<String>) -> Self {
        InvalidInput(message.into())
    }

    /// The message for a person.
    pub fn message(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_displays_its_message() {
        let err = InvalidInput::new("is not a valid phone number");
        assert_eq!(err.to_string(), "is not a valid phone number");
        assert_eq!(err.message(), "is not a valid phone number");
    }
}
