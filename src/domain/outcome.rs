//! What happened when a visitor took an action: the "I called" / "I did this" buttons.
//! Which outcomes an action offers depends on its kind.

use super::kinds::string_enum;
use super::ActionKind;
use super::InvalidInput;

string_enum! {
    /// The result a visitor reports.
    pub enum Outcome {
        /// Reached someone and said the script.
        Contacted => ("contacted", "Reached someone"),
        /// Left a voicemail.
        Voicemail => ("voicemail", "Left a voicemail"),
        /// Could not get through (busy, mailbox full, no answer).
        Unavailable => ("unavailable", "Couldn't get through"),
        /// The number did not reach the office it is listed for.
        WrongNumber => ("wrong_number", "Wrong number"),
        /// Signed, sent, given.
        Done => ("done", "I did it"),
        /// Will be at the event.
        Going => ("going", "I'm going"),
        /// Read it.
        Read => ("read", "I read it"),
    }
}

/// The call outcomes as forms offer them: (value, label).
pub const CHOICES: [(&str, &str); 4] = [
    ("contacted", "Reached someone"),
    ("voicemail", "Left a voicemail"),
    ("unavailable", "Couldn't get through"),
    ("wrong_number", "Wrong number"),
];

impl Outcome {
    /// The outcomes an action of this kind takes.
    pub fn for_kind(kind: ActionKind) -> &'static [Outcome] {
        match kind {
            ActionKind::Call => &[
                Outcome::Contacted,
                Outcome::Voicemail,
                Outcome::Unavailable,
                Outcome::WrongNumber,
            ],
            ActionKind::Event => &[Outcome::Going],
            ActionKind::Read => &[Outcome::Read],
            _ => &[Outcome::Done],
        }
    }

    /// True when an action of this kind takes this outcome.
    pub fn fits(self, kind: ActionKind) -> bool {
        Outcome::for_kind(kind).contains(&self)
    }

    /// The buttons an action of this kind shows: (value, label), "done" worded for the kind.
    pub fn choices_for(kind: ActionKind) -> Vec<(&'static str, &'static str)> {
        Outcome::for_kind(kind)
            .iter()
            .map(|o| {
                let label = match (o, kind) {
                    (Outcome::Done, ActionKind::Petition) => "I signed it",
                    (Outcome::Done, ActionKind::Email | ActionKind::Letter) => "I sent it",
                    (Outcome::Done, ActionKind::Donate) => "I gave",
                    _ => o.label(),
                };
                (o.as_str(), label)
            })
            .collect()
    }

    /// Why this outcome does not fit: "a petition takes: done".
    pub fn misfit(self, kind: ActionKind) -> InvalidInput {
        let allowed: Vec<&str> = Outcome::for_kind(kind).iter().map(|o| o.as_str()).collect();
        InvalidInput(format!(
            "{:?} does not fit a {} action, which takes: {}",
            self.as_str(),
            kind.as_str(),
            allowed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_outcomes_and_names_the_allowed_ones() {
        assert_eq!(Outcome::parse("voicemail"), Ok(Outcome::Voicemail));
        assert_eq!(Outcome::Contacted.label(), "Reached someone");
        let err = Outcome::parse("hung-up").unwrap_err();
        assert_eq!(
            err.0,
            "must be one of: contacted, voicemail, unavailable, wrong_number, done, going, read"
        );
        for (value, label) in CHOICES {
            assert_eq!(Outcome::parse(value).unwrap().label(), label);
        }
    }

    #[test]
    fn outcomes_fit_the_kind() {
        assert!(Outcome::WrongNumber.fits(ActionKind::Call));
        assert!(!Outcome::Voicemail.fits(ActionKind::Petition));
        assert!(Outcome::Done.fits(ActionKind::Letter));
        assert!(Outcome::Going.fits(ActionKind::Event));
        assert!(!Outcome::Done.fits(ActionKind::Event));
        assert!(Outcome::Read.fits(ActionKind::Read));
        assert_eq!(
            Outcome::choices_for(ActionKind::Petition),
            vec![("done", "I signed it")]
        );
    }
}
