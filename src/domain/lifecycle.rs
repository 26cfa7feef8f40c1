//! The publication lifecycle of an action: draft → published → expired (→ reopened).

use super::kinds::string_enum;
use super::InvalidInput;

string_enum! {
    /// Where an action is in its lifecycle.
    #[schema(as = StatusName)]
    pub enum Status {
        /// Being written; visible only to editors.
        Draft => ("draft", "Draft"),
        /// Live and open to the public.
        Published => ("published", "Published"),
        /// No longer current; still public, marked as expired.
        Expired => ("expired", "Expired"),
    }
}

string_enum! {
    /// A change an editor asks for.
    pub enum Transition {
        /// Make a draft public.
        Publish => ("publish", "Publish"),
        /// Mark a published action as no longer current.
        Expire => ("expire", "Expire"),
        /// Bring an expired action back.
        Reopen => ("reopen", "Reopen"),
    }
}

impl Status {
    /// Applies a transition, returning the new status or why it is not allowed.
    ///
    /// Allowed: draft → publish → published, published → expire → expired,
    /// expired → reopen → published. A draft cannot be expired: it is deleted
    /// or published instead.
    pub fn apply(self, t: Transition) -> Result<Status, InvalidInput> {
        use Status::*;
        use Transition::*;
        match (self, t) {
            (Draft, Publish) => Ok(Published),
            (Published, Expire) => Ok(Expired),
            (Expired, Reopen) => Ok(Published),
            (Published, Publish) => Err(InvalidInput::new("this action is already published")),
            (Expired, Publish) => Err(InvalidInput::new(
                "this action has expired; reopen it to publish it again",
            )),
            (Draft, Expire) => Err(InvalidInput::new("only a published action can be expired")),
            (Expired, Expire) => Err(InvalidInput::new("this action has already expired")),
            (Draft | Published, Reopen) => {
                Err(InvalidInput::new("only an expired action can be reopened"))
            }
        }
    }

    /// Whether the public can see an action in this status (published or expired).
    pub fn is_public(self) -> bool {
        matches!(self, Status::Published | Status::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::to_string;
    use super::*;

    #[test]
    fn every_status_and_transition_pair() {
        use Status::*;
        use Transition::*;
        let cases: [(Status, Transition, Result<Status, &str>); 9] = [
            (Draft, Publish, Ok(Published)),
            (Draft, Expire, Err("only a published action can be expired")),
            (Draft, Reopen, Err("only an expired action can be reopened")),
            (Published, Publish, Err("this action is already published")),
            (Published, Expire, Ok(Expired)),
            (
                Published,
                Reopen,
                Err("only an expired action can be reopened"),
            ),
            (
                Expired,
                Publish,
                Err("this action has expired; reopen it to publish it again"),
            ),
            (Expired, Expire, Err("this action has already expired")),
            (Expired, Reopen, Ok(Published)),
        ];
        for (from, t, expected) in cases {
            let got = from.apply(t).map_err(|e| e.0);
            assert_eq!(got, expected.map_err(str::to_string), "{from} + {t}");
        }
    }

    #[test]
    fn public_statuses() {
        assert!(!Status::Draft.is_public());
        assert!(Status::Published.is_public());
        assert!(Status::Expired.is_public());
    }

    #[test]
    fn strings_labels_and_parsing() {
        assert_eq!(Status::Draft.as_str(), "draft");
        assert_eq!(Status::Published.to_string(), "published");
        assert_eq!(Status::Expired.label(), "Expired");
        assert_eq!(Status::parse("expired"), Ok(Status::Expired));
        assert!(Status::parse("archived").is_err());
        assert_eq!(Transition::Reopen.as_str(), "reopen");
        assert_eq!(Transition::parse("publish"), Ok(Transition::Publish));
        assert_eq!(Transition::ALL.len(), 3);
        assert_eq!(to_string(&Status::Published), "published");
    }
}
