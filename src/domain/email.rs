//! Email addresses.

use super::InvalidInput;
use std::fmt;

/// A syntactically valid email address with a lowercased domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

const MESSAGE: &str = "is not a valid email address";

impl EmailAddress {
    /// Parses an address: trims it, checks it with `lettre`, requires a dotted
    /// domain (or exactly `localhost`, for tests) and lowercases the domain.
    /// The local part is kept as written.
    pub fn parse(s: &str) -> Result<EmailAddress, InvalidInput> {
        let s = s.trim();
        let invalid = || InvalidInput::new(MESSAGE);
        if s.is_empty()
            || s.chars().count() > 254
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let address = s.parse::<lettre::Address>().map_err(|_| invalid())?;
        let domain = address.domain().to_lowercase();
        let dotted = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.starts_with('[');
        if !(dotted || domain == "localhost") {
            return Err(invalid());
        }
        Ok(EmailAddress(format!("{}@{}", address.user(), domain)))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        let e = EmailAddress::parse("  Ursula.Le-Guin+news@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "Ursula.Le-Guin+news@example.org");
        assert_eq!(e.to_string(), "Ursula.Le-Guin+news@example.org");
        assert_eq!(e.as_ref(), "Ursula.Le-Guin+news@example.org");
        assert!(EmailAddress::parse("a@b.co").is_ok());
    }

    #[test]
    fn allows_localhost_for_tests() {
        assert_eq!(
            EmailAddress::parse("admin@localhost").unwrap().as_str(),
            "admin@localhost"
        );
    }

    #[test]
    fn rejects_invalid_addresses() {
        let too_long = format!("{}@example.org", "a".repeat(250));
        for input in [
            "",
            "   ",
            "plainaddress",
            "@example.org",
            "someone@",
            "a@b",
            "a b@example.org",
            "a@exa mple.org",
            "a@@example.org",
            "a@exam\nple.org",
            "a\u{0}@example.org",
            "a@.example.org",
            "a@example.org.",
            too_long.as_str(),
        ] {
            let err = EmailAddress::parse(input);
            assert_eq!(
                err,
                Err(InvalidInput::new("is not a valid email address")),
                "{input:?}"
            );
        }
    }
}
