//! Closed sets of kinds stored as short snake_case strings.

use super::InvalidInput;

/// Declares a string-backed enum with `as_str`, `parse`, `ALL`, `label`,
/// `Display`, `FromStr`, snake_case serde (de)serialisation (the stored form, exactly) and its
/// OpenAPI schema (a string enum; `#[schema(as = …)]` names it in the API description).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => ($text:literal, $label:literal), )+
        }
    ) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// The stored form, e.g. as used in URLs, forms and the database.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }

            /// A label for people.
            pub fn label(&self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )+
                }
            }

            /// The stored forms, for people: `a, b or c`.
            pub fn choices() -> String {
                let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                match all.split_last() {
                    Some((last, [])) => last.to_string(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                }
            }

            /// Parses the stored form (surrounding whitespace and ASCII case are ignored).
            pub fn parse(s: &str) -> Result<Self, InvalidInput> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| {
                        let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        InvalidInput(format!("must be one of: {}", allowed.join(", ")))
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Compares with a stored form, as rows held strings before.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidInput;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// What a call to action asks people to do.
    #[schema(as = ActionKindName)]
    pub enum ActionKind {
        /// Make a phone call.
        Call => ("call", "Call"),
        /// Send an email.
        Email => ("email", "Email"),
        /// Sign a petition.
        Petition => ("petition", "Sign a petition"),
        /// Write a letter.
        Letter => ("letter", "Write a letter"),
        /// Attend an event.
        Event => ("event", "Event"),
        /// Give money.
        Donate => ("donate", "Donate"),
        /// Read something.
        Read => ("read", "Read"),
        /// Anything else.
        Other => ("other", "Other"),
    }
}

string_enum! {
    /// Who or what a contact is.
    #[schema(as = ContactKindName)]
    pub enum ContactKind {
        /// A US senator.
        Senator => ("senator", "Senator"),
        /// A US representative.
        Representative => ("representative", "Representative"),
        /// A government agency.
        Agency => ("agency", "Agency"),
        /// An international body.
        International => ("international", "International"),
        /// A non-governmental organisation.
        Organisation => ("organisation", "Organisation"),
        /// An individual.
        Person => ("person", "Person"),
        /// A state governor (or DC's mayor).
        Governor => ("governor", "Governor"),
        /// A state lieutenant governor.
        LieutenantGovernor => ("lieutenant_governor", "Lieutenant Governor"),
        /// A state attorney general.
        AttorneyGeneral => ("attorney_general", "Attorney General"),
        /// A state secretary of state.
        SecretaryOfState => ("secretary_of_state", "Secretary of State"),
        /// A member of a state's upper chamber (Nebraska's legislature, DC's council).
        StateSenator => ("state_senator", "State Senator"),
        /// A member of a state's lower chamber.
        StateRepresentative => ("state_representative", "State Representative"),
        /// A municipal official (mayor, council member…), targeted by name.
        LocalOfficial => ("local_official", "Local official"),
    }
}

string_enum! {
    /// A chamber of a state legislature (Nebraska's and DC's one chamber count as upper).
    #[derive(PartialOrd, Ord)]
    pub enum Chamber {
        /// The state senate.
        Upper => ("upper", "State Senate district"),
        /// The state house, assembly or house of delegates.
        Lower => ("lower", "State House district"),
    }
}

impl Chamber {
    /// The chamber a state legislator sits in.
    pub fn of(kind: ContactKind) -> Option<Chamber> {
        match kind {
            ContactKind::StateSenator => Some(Chamber::Upper),
            ContactKind::StateRepresentative => Some(Chamber::Lower),
            _ => None,
        }
    }
}

impl ContactKind {
    /// Kinds found by ZIP code and state, imported from Open States.
    pub const STATE: &'static [ContactKind] = &[
        ContactKind::Governor,
        ContactKind::LieutenantGovernor,
        ContactKind::AttorneyGeneral,
        ContactKind::SecretaryOfState,
        ContactKind::StateSenator,
        ContactKind::StateRepresentative,
    ];

    /// Kinds too many to list in the directory of contacts: legislators, found by ZIP code.
    pub const LEGISLATORS: &'static [ContactKind] = &[
        ContactKind::Senator,
        ContactKind::Representative,
        ContactKind::StateSenator,
        ContactKind::StateRepresentative,
    ];
}

string_enum! {
    /// What a phone line is for.
    #[schema(as = PhoneKindName)]
    pub enum PhoneKind {
        /// The main number.
        Main => ("main", "Main"),
        /// A toll-free number.
        TollFree => ("toll_free", "Toll-free"),
        /// A district or local office.
        DistrictOffice => ("district_office", "District office"),
        /// A fax line.
        Fax => ("fax", "Fax"),
        /// A direct line to a person.
        Direct => ("direct", "Direct line"),
    }
}

string_enum! {
    /// Whom an action is aimed at.
    #[schema(as = TargetKindName)]
    pub enum TargetKind {
        /// One specific, named contact.
        Contact => ("contact", "A named contact"),
        /// The visitor's own senators, looked up by location.
        VisitorSenators => ("visitor_senators", "The visitor's senators"),
        /// The visitor's own representative, looked up by location.
        VisitorRepresentative => ("visitor_representative", "The visitor's representative"),
        /// The governor of the visitor's state.
        Governor => ("governor", "The visitor's governor"),
        /// The attorney general of the visitor's state.
        AttorneyGeneral => ("attorney_general", "The visitor's attorney general"),
        /// The secretary of state of the visitor's state.
        SecretaryOfState => ("secretary_of_state", "The visitor's secretary of state"),
        /// The visitor's state senator (every candidate for a split ZIP code).
        StateUpper => ("state_upper", "The visitor's state senator"),
        /// The visitor's state representative (every candidate for a split ZIP code).
        StateLower => ("state_lower", "The visitor's state representative"),
    }
}

impl TargetKind {
    /// The kind of state official this target names, found by ZIP code.
    pub fn state_official(&self) -> Option<ContactKind> {
        Some(match self {
            TargetKind::Governor => ContactKind::Governor,
            TargetKind::AttorneyGeneral => ContactKind::AttorneyGeneral,
            TargetKind::SecretaryOfState => ContactKind::SecretaryOfState,
            TargetKind::StateUpper => ContactKind::StateSenator,
            TargetKind::StateLower => ContactKind::StateRepresentative,
            _ => return None,
        })
    }
}

string_enum! {
    /// How often a subscriber hears about new actions; the default is immediately.
    #[derive(Default)]
    pub enum Frequency {
        /// As soon as an action is published.
        #[default]
        Immediate => ("immediate", "Immediately"),
        /// One digest a day.
        Daily => ("daily", "Daily"),
        /// One digest a week.
        Weekly => ("weekly", "Weekly"),
    }
}

string_enum! {
    /// A subscriber's state.
    pub enum SubscriberStatus {
        /// Asked to subscribe, has not confirmed yet.
        Pending => ("pending", "Pending"),
        /// Confirmed: receives digests.
        Active => ("active", "Active"),
        /// Unsubscribed.
        Unsubscribed => ("unsubscribed", "Unsubscribed"),
        /// Too many permanent failures: no longer mailed.
        Bounced => ("bounced", "Bounced"),
    }
}

string_enum! {
    /// What a bounce report says about an address: a hard bounce or a complaint suppresses
    /// it at once, soft bounces only when they repeat (see `db::bounces`).
    #[schema(as = BounceKindName)]
    pub enum BounceKind {
        /// A permanent failure (status 5.x.x, `Action: failed`).
        Hard => ("hard", "Hard bounce"),
        /// A temporary failure (status 4.x.x, `Action: delayed`).
        Soft => ("soft", "Soft bounce"),
        /// The recipient reported the message as spam (an ARF feedback report).
        Complaint => ("complaint", "Complaint"),
    }
}

string_enum! {
    /// Where a message in the outbox is.
    pub enum OutboxStatus {
        /// Waiting to be sent (or to be retried at `next_attempt_at`).
        Pending => ("pending", "Pending"),
        /// Claimed by a sender (until its lease runs out).
        Sending => ("sending", "Sending"),
        /// Accepted by the mail server.
        Sent => ("sent", "Sent"),
        /// Given up: a permanent failure, or too many transient ones.
        Failed => ("failed", "Failed"),
        /// Not sent because the subscriber left before it went out.
        Cancelled => ("cancelled", "Cancelled"),
    }
}

string_enum! {
    /// What kind of change a change-log entry records.
    #[schema(as = ChangeKindName)]
    pub enum ChangeKind {
        /// An action was published.
        ActionPublished => ("action_published", "New"),
        /// A published action was changed.
        ActionChanged => ("action_changed", "Changed"),
        /// An action is over.
        ActionExpired => ("action_expired", "Over"),
        /// An action that was over is open again.
        ActionReopened => ("action_reopened", "Reopened"),
        /// A dated update was posted.
        UpdatePosted => ("update_posted", "Update"),
        /// A campaign's text was revised.
        CampaignChanged => ("campaign_changed", "Campaign revised"),
    }
}

string_enum! {
    /// A campaign's state.
    #[schema(as = CampaignStatusName)]
    pub enum CampaignStatus {
        /// Shown with its actions.
        Active => ("active", "Active"),
        /// Kept, no longer listed.
        Archived => ("archived", "Archived"),
    }
}

string_enum! {
    /// What an action's link is.
    #[schema(as = LinkKindName)]
    pub enum LinkKind {
        /// Where to act (a petition, a form, an article).
        Link => ("link", "Link"),
        /// Where the facts come from.
        Source => ("source", "Source"),
    }
}

string_enum! {
    /// How a dated update relates to an action it names.
    #[schema(as = RelationName)]
    pub enum Relation {
        /// The update adds the action.
        Added => ("added", "Added"),
        /// The update changes the action.
        Changed => ("changed", "Changed"),
    }
}

string_enum! {
    /// What a message in the outbox is.
    pub enum MessageKind {
        /// A digest of changes.
        Digest => ("digest", "Digest"),
        /// A request to confirm a subscription.
        Confirm => ("confirm", "Confirmation"),
        /// A subscription asked for again by someone already subscribed.
        Already => ("already", "Already subscribed"),
        /// The welcome after confirming: the actions open now.
        Welcome => ("welcome", "Welcome"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::to_string;
    use super::*;

    #[test]
    fn action_kind_strings_and_labels() {
        let expected = [
            (ActionKind::Call, "call", "Call"),
            (ActionKind::Email, "email", "Email"),
            (ActionKind::Petition, "petition", "Sign a petition"),
            (ActionKind::Letter, "letter", "Write a letter"),
            (ActionKind::Event, "event", "Event"),
            (ActionKind::Donate, "donate", "Donate"),
            (ActionKind::Read, "read", "Read"),
            (ActionKind::Other, "other", "Other"),
        ];
        assert_eq!(ActionKind::ALL.len(), expected.len());
        for (kind, s, label) in expected {
            assert_eq!(kind.as_str(), s);
            assert_eq!(kind.to_string(), s);
            assert_eq!(kind.label(), label);
            assert_eq!(ActionKind::parse(s), Ok(kind));
        }
    }

    #[test]
    fn phone_kind_strings_and_labels() {
        assert_eq!(PhoneKind::TollFree.as_str(), "toll_free");
        assert_eq!(PhoneKind::TollFree.label(), "Toll-free");
        assert_eq!(PhoneKind::DistrictOffice.as_str(), "district_office");
        assert_eq!(PhoneKind::DistrictOffice.label(), "District office");
        assert_eq!(PhoneKind::Direct.label(), "Direct line");
        assert_eq!(PhoneKind::parse("fax"), Ok(PhoneKind::Fax));
    }

    #[test]
    fn target_kind_strings_and_labels() {
        assert_eq!(
            TargetKind::parse("visitor_senators"),
            Ok(TargetKind::VisitorSenators)
        );
        assert_eq!(
            TargetKind::VisitorRepresentative.as_str(),
            "visitor_representative"
        );
        assert_eq!(
            TargetKind::VisitorSenators.label(),
            "The visitor's senators"
        );
        assert_eq!(TargetKind::Contact.label(), "A named contact");
    }

    #[test]
    fn every_all_round_trips() {
        for k in ContactKind::ALL {
            assert_eq!(ContactKind::parse(k.as_str()), Ok(*k));
        }
        for k in PhoneKind::ALL {
            assert_eq!(k.as_str().parse::<PhoneKind>(), Ok(*k));
        }
        for k in TargetKind::ALL {
            assert_eq!(TargetKind::parse(k.as_str()), Ok(*k));
        }
        for k in Frequency::ALL {
            assert_eq!(Frequency::parse(k.as_str()), Ok(*k));
        }
        assert_eq!(ContactKind::ALL.len(), 13);
        assert_eq!(TargetKind::ALL.len(), 8);
    }

    #[test]
    fn parse_is_lenient_about_case_and_whitespace() {
        assert_eq!(ActionKind::parse(" Petition "), Ok(ActionKind::Petition));
    }

    #[test]
    fn parse_rejects_unknown_values_listing_allowed_ones() {
        let err = Frequency::parse("monthly").unwrap_err();
        assert_eq!(err.0, "must be one of: immediate, daily, weekly");
        assert!(ActionKind::parse("").is_err());
        assert!(PhoneKind::parse("toll-free").is_err());
    }

    #[test]
    fn frequency_defaults_to_immediate() {
        assert_eq!(Frequency::default(), Frequency::Immediate);
    }

    #[test]
    fn serialises_as_snake_case() {
        assert_eq!(to_string(&PhoneKind::TollFree), "toll_free");
        assert_eq!(to_string(&TargetKind::VisitorSenators), "visitor_senators");
        assert_eq!(to_string(&ActionKind::Petition), "petition");
    }
}
