//! US ZIP codes.

use super::InvalidInput;
use std::fmt;

/// A five-digit US ZIP code. ZIP+4 input is accepted and reduced to five digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Zip(String);

const MESSAGE: &str = "a ZIP code is five digits, like 20500";

impl Zip {
    /// Parses "20500", "20500-0003" or "205000003" (surrounding whitespace ignored).
    pub fn parse(s: &str) -> Result<Zip, InvalidInput> {
        let s = s.trim();
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        let ok = match s.len() {
            5 | 9 => all_digits(s),
            10 => s.as_bytes()[5] == b'-' && all_digits(&s[..5]) && all_digits(&s[6..]),
            _ => false,
        };
        if ok {
            Ok(Zip(s[..5].to_string()))
        } else {
            Err(InvalidInput::new(MESSAGE))
        }
    }

    /// The five digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Zip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Zip {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_five_digits_and_zip_plus_four() {
        for input in ["20500", " 20500 ", "20500-0003", "205000003", "01001"] {
            let zip = Zip::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(zip.as_str(), &input.trim()[..5]);
        }
        assert_eq!(Zip::parse("20500-0003").unwrap().to_string(), "20500");
    }

    #[test]
    fn rejects_everything_else() {
        for input in [
            "",
            "2050",
            "205000",
            "2050a",
            "20500-000",
            "20500 0003",
            "20500-00a3",
            "２０５００",
            "20500--003",
            "-20500",
        ] {
            let err = Zip::parse(input).unwrap_err();
            assert_eq!(err.0, "a ZIP code is five digits, like 20500", "{input}");
        }
    }
}
