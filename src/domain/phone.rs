//! Phone numbers, including vanity numbers such as 1-866-DHS-2-ICE.

use super::InvalidInput;
use phonenumber::country::Id;
use phonenumber::Mode;
use std::fmt;

/// A validated phone number, stored as E.164, remembering the vanity form it was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    e164: String,
    country_code: u16,
    international: String,
    national: String,
    vanity: Option<String>,
}

const MESSAGE: &str =
    "is not a valid phone number; include the area code, like 202-401-9246 (or +44… outside the US)";

/// NANP area codes reserved for toll-free service.
const TOLL_FREE_AREA_CODES: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

impl PhoneNumber {
    /// Parses a phone number as people write it; numbers without `+` are read as US numbers.
    ///
    /// Letters are converted with the phone keypad, and the trimmed input is
    /// kept as the vanity form. Validation uses libphonenumber's metadata
    /// (via the `phonenumber` crate). Because that metadata can lag behind
    /// real-world assignments (new area codes appear every year), a North
    /// American number it rejects is still accepted when it fits the NANP
    /// plan: ten digits, area code and exchange starting 2–9, neither an N11
    /// service code, area code not N9X. Numbers elsewhere must pass libphonenumber.
    pub fn parse(input: &str) -> Result<PhoneNumber, InvalidInput> {
        let trimmed = input.trim();
        let invalid = || InvalidInput::new(MESSAGE);
        if trimmed.is_empty()
            || !trimmed.chars().any(|c| c.is_ascii_digit()) && !has_letters(trimmed)
        {
            return Err(invalid());
        }
        if trimmed.chars().any(|c| c.is_control()) {
            return Err(invalid());
        }
        let vanity = has_letters(trimmed).then(|| trimmed.to_string());
        let digits = vanity_to_digits(trimmed);
        let number = Self::build(Some(Id::US), &digits, vanity).ok_or_else(invalid)?;
        // What is stored must load again, and read as itself when typed again:
        // libphonenumber reads some stray punctuation or national prefixes
        // ("+78464-8-84-]479", "+26311171L2631+", found by fuzzing) into a number it then
        // refuses in E.164.
        Self::from_stored(&number.e164, None).map_err(|_| invalid())?;
        match Self::build(Some(Id::US), &number.e164, None) {
            Some(again) if again.e164 == number.e164 => Ok(number),
            _ => Err(invalid()),
        }
    }

    /// Rebuilds a number from what the database keeps: its E.164 form and optional vanity form.
    pub fn from_stored(e164: &str, vanity: Option<&str>) -> Result<PhoneNumber, InvalidInput> {
        let e164 = e164.trim();
        let invalid = || InvalidInput::new(format!("{e164:?} is not a stored E.164 phone number"));
        let well_formed = e164.len() > 2
            && e164.starts_with('+')
            && e164[1..].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(invalid());
        }
        let vanity = vanity
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let number = Self::build(None, e164, vanity).ok_or_else(invalid)?;
        if number.e164 != e164 {
            return Err(invalid());
        }
        Ok(number)
    }

    fn build(region: Option<Id>, text: &str, vanity: Option<String>) -> Option<PhoneNumber> {
        let parsed = phonenumber::parse(region, text).ok()?;
        if parsed.extension().is_some() {
            return None;
        }
        let country_code = parsed.code().value();
        let e164 = parsed.format().mode(Mode::E164).to_string();
        let nanp_digits = (country_code == 1).then(|| e164.trim_start_matches("+1").to_string());
        let structurally_nanp = nanp_digits.as_deref().is_some_and(is_nanp_shaped);
        if !(parsed.is_valid() || structurally_nanp) {
            return None;
        }
        let (international, national) = match &nanp_digits {
            Some(d) if d.len() == 10 => (
                format!("+1 {}-{}-{}", &d[..3], &d[3..6], &d[6..]),
                format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..]),
            ),
            _ => (
                parsed.format().mode(Mode::International).to_string(),
                parsed.format().mode(Mode::National).to_string(),
            ),
        };
        Some(PhoneNumber {
            e164,
            country_code,
            international,
            national,
            vanity,
        })
    }

    /// The E.164 form, e.g. "+18663472423".
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// International format, e.g. "+1 866-347-2423" or "+41 22 917 92 20".
    pub fn display(&self) -> String {
        self.international.clone()
    }

    /// National format, e.g. "(866) 347-2423".
    pub fn national(&self) -> String {
        self.national.clone()
    }

    /// The vanity form as entered, e.g. "1-866-DHS-2-ICE", if the number had letters.
    pub fn vanity(&self) -> Option<&str> {
        self.vanity.as_deref()
    }

    /// Whether this is a North American toll-free number (800, 833, 844, 855, 866, 877, 888).
    pub fn is_toll_free(&self) -> bool {
        self.country_code == 1
            && self
                .e164
                .get(2..5)
                .is_some_and(|area| TOLL_FREE_AREA_CODES.contains(&area))
    }

    /// A `tel:` URI for links, e.g. "tel:+18663472423".
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.e164)
    }

    /// The country calling code, e.g. 1 or 41.
    pub fn country_code(&self) -> u16 {
        self.country_code
    }
}

/// Converts letters to phone-keypad digits (case-insensitive); other characters are kept.
pub fn vanity_to_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'A'..='C' => '2',
            'D'..='F' => '3',
            'G'..='I' => '4',
            'J'..='L' => '5',
            'M'..='O' => '6',
            'P'..='S' => '7',
            'T'..='V' => '8',
            'W'..='Z' => '9',
            _ => c,
        })
        .collect()
}

fn has_letters(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_alphabetic())
}

/// Whether ten digits fit the NANP numbering plan: area code and exchange
/// start with 2–9 and are not service codes (N11), and the area code is not
/// in the reserved N9X expansion range.
fn is_nanp_shaped(digits: &str) -> bool {
    let b = digits.as_bytes();
    let n11 = |d: &[u8]| d[1] == b'1' && d[2] == b'1';
    b.len() == 10
        && b.iter().all(u8::is_ascii_digit)
        && b[0] >= b'2'
        && b[3] >= b'2'
        && b[1] != b'9'
        && !n11(&b[..3])
        && !n11(&b[3..6])
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.international)
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.e164)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::to_string;
    use super::*;

    fn parse(input: &str) -> PhoneNumber {
        PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    #[test]
    fn a_number_that_would_not_read_as_itself_again_is_refused() {
        assert!(PhoneNumber::parse("+26311171L2631+").is_err());
        assert_eq!(
            PhoneNumber::parse("+263 24 2700000").map(|p| p.e164().to_string()),
            Ok("+263242700000".to_string())
        );
    }

    #[test]
    fn a_number_is_accepted_only_if_its_stored_form_loads() {
        // Fuzzing found it: accepted, stored as "+78464884479", which then would not load.
        assert!(PhoneNumber::parse("+78464-8-84-]479").is_err());
        let n = parse("+41 22 917 92 20");
        assert_eq!(
            PhoneNumber::from_stored(n.e164(), None).unwrap().e164(),
            n.e164()
        );
    }

    #[test]
    fn all_common_us_forms_parse_to_the_same_number() {
        for input in [
            "202-401-9246",
            "(202) 401-9246",
            "+1 202 401 9246",
            "1-202-401-9246",
            "202.401.9246",
            "2024019246",
            "  +1 (202) 401-9246  ",
        ] {
            let n = parse(input);
            assert_eq!(n.e164(), "+12024019246", "{input}");
            assert_eq!(n.vanity(), None, "{input}");
            assert_eq!(n.country_code(), 1);
        }
    }

    #[test]
    fn vanity_number() {
        let n = parse("1-866-DHS-2-ICE");
        assert_eq!(n.e164(), "+18663472423");
        assert_eq!(n.display(), "+1 866-347-2423");
        assert_eq!(n.to_string(), "+1 866-347-2423");
        assert_eq!(n.national(), "(866) 347-2423");
        assert_eq!(n.vanity(), Some("1-866-DHS-2-ICE"));
        assert!(n.is_toll_free());
        assert_eq!(n.tel_uri(), "tel:+18663472423");
    }

    #[test]
    fn other_vanity_forms() {
        let a = parse("1-800-THE-LOST");
        assert_eq!(a.e164(), "+18008435678");
        assert_eq!(a.vanity(), Some("1-800-THE-LOST"));
        let b = parse(" (800) the-lost ");
        assert_eq!(b.e164(), "+18008435678");
        assert_eq!(b.vanity(), Some("(800) the-lost"));
        assert!(b.is_toll_free());
    }

    #[test]
    fn real_numbers_are_accepted() {
        for (input, e164) in [
            ("1-866-347-2423", "+18663472423"),
            ("1-800-843-5678", "+18008435678"),
            ("1-888-373-7888", "+18883737888"),
            ("202-401-9246", "+12024019246"),
            ("202-224-3121", "+12022243121"),
            ("+41 22 917 9220", "+41229179220"),
        ] {
            assert_eq!(parse(input).e164(), e164, "{input}");
        }
    }

    #[test]
    fn nanp_numbers_in_area_codes_unknown_to_libphonenumber_are_accepted() {
        // 370 is not (yet) assigned, so libphonenumber rejects it; the NANP shape is fine.
        let n = parse("370-555-1234");
        assert_eq!(n.e164(), "+13705551234");
        assert_eq!(n.display(), "+1 370-555-1234");
        // Shapes the NANP plan rules out are still rejected.
        for input in [
            "211-555-1234",
            "290-555-1234",
            "370-911-1234",
            "370-155-1234",
        ] {
            assert!(PhoneNumber::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn international_number_formats() {
        let n = parse("+41 22 917 9220");
        assert_eq!(n.country_code(), 41);
        assert_eq!(n.display(), "+41 22 917 92 20");
        assert_eq!(n.national(), "022 917 92 20");
        assert_eq!(n.tel_uri(), "tel:+41229179220");
        assert!(!n.is_toll_free());
    }

    #[test]
    fn ordinary_numbers_are_not_toll_free() {
        let n = parse("202-401-9246");
        assert!(!n.is_toll_free());
        assert_eq!(n.display(), "+1 202-401-9246");
        assert_eq!(n.national(), "(202) 401-9246");
        for toll_free in ["833", "844", "855", "877", "888"] {
            assert!(parse(&format!("{toll_free}-555-0100")).is_toll_free());
        }
    }

    #[test]
    fn rejects_garbage_with_a_helpful_message() {
        for input in [
            "",
            "   ",
            "123",
            "555-0000",
            "hello",
            "call me maybe",
            "202-401-92461234",
            "(111) 401-9246",
            "+999 123 456",
            "202-401-9246\u{7}",
        ] {
            let err = PhoneNumber::parse(input).expect_err(input);
            assert!(err.0.starts_with("is not a valid phone number"), "{input}");
            assert!(err.0.contains("202-401-9246"), "{input}");
        }
    }

    #[test]
    fn from_stored_round_trips() {
        for input in ["1-866-DHS-2-ICE", "202-224-3121", "+41 22 917 9220"] {
            let n = parse(input);
            let back = PhoneNumber::from_stored(n.e164(), n.vanity()).unwrap();
            assert_eq!(back, n, "{input}");
        }
    }

    #[test]
    fn from_stored_rejects_non_e164() {
        assert!(PhoneNumber::from_stored("202-401-9246", None).is_err());
        assert!(PhoneNumber::from_stored("+1202401924", None).is_err());
        assert!(PhoneNumber::from_stored("", None).is_err());
        assert_eq!(
            PhoneNumber::from_stored("+12024019246", Some("  "))
                .unwrap()
                .vanity(),
            None
        );
    }

    #[test]
    fn vanity_to_digits_uses_the_keypad() {
        assert_eq!(
            vanity_to_digits("abc def ghi jkl mno pqrs tuv wxyz"),
            "222 333 444 555 666 7777 888 9999"
        );
        assert_eq!(vanity_to_digits("1-866-DHS-2-ice"), "1-866-347-2-423");
        assert_eq!(vanity_to_digits("+1 (800) é"), "+1 (800) é");
    }

    #[test]
    fn serializes_as_e164() {
        assert_eq!(to_string(&parse("1-866-DHS-2-ICE")), "+18663472423");
    }
}
