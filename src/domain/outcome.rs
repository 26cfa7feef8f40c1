//! What happened when a visitor called: the "I called" buttons.

use super::kinds::string_enum;
use super::InvalidInput;

string_enum! {
    /// The result of one call a visitor reports.
    pub enum Outcome {
        /// Reached someone and said the script.
        Contacted => ("contacted", "Reached someone"),
        /// Left a voicemail.
        Voicemail => ("voicemail", "Left a voicemail"),
        /// Could not get through (busy, mailbox full, no answer).
        Unavailable => ("unavailable", "Couldn't get through"),
    }
}

/// The choices as forms offer them: (value, label).
pub const CHOICES: [(&str, &str); 3] = [
    ("contacted", "Reached someone"),
    ("voicemail", "Left a voicemail"),
    ("unavailable", "Couldn't get through"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_outcomes_and_names_the_allowed_ones() {
        assert_eq!(Outcome::parse("voicemail"), Ok(Outcome::Voicemail));
        assert_eq!(Outcome::Contacted.label(), "Reached someone");
        let err = Outcome::parse("hung-up").unwrap_err();
        assert_eq!(err.0, "must be one of: contacted, voicemail, unavailable");
        for (value, label) in CHOICES {
            assert_eq!(Outcome::parse(value).unwrap().label(), label);
        }
    }
}
