//! URL slugs.

use super::InvalidInput;
use std::fmt;

/// A URL-safe identifier: 1–80 characters of `a-z`, `0-9` and single inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// The longest slug accepted.
pub const MAX_LEN: usize = 80;
/// The longest slug [`Slug::from_title`] produces, leaving room for suffixes.
pub const TITLE_LEN: usize = 60;

impl Slug {
    /// Parses a slug as written (surrounding whitespace ignored); nothing is rewritten.
    pub fn parse(s: &str) -> Result<Slug, InvalidInput> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Slug(s.to_string()))
        } else {
            Err(InvalidInput::new(
                "must be 1–80 lowercase letters, digits and single hyphens",
            ))
        }
    }

    /// Makes a slug from a title: lowercased, common Latin accents folded to
    /// ASCII, every other run of characters turned into one hyphen, and cut to
    /// at most 60 characters (at a hyphen where possible). Falls back to "item".
    pub fn from_title(title: &str) -> Slug {
        let mut out = String::new();
        let mut pending_hyphen = false;
        for c in title.chars().flat_map(char::to_lowercase) {
            let folded: Option<&str> = if c.is_ascii_alphanumeric() {
                None
            } else {
                fold(c)
            };
            if c.is_ascii_alphanumeric() || folded.is_some() {
                if pending_hyphen && !out.is_empty() {
                    out.push('-');
                }
                pending_hyphen = false;
                match folded {
                    Some(s) => out.push_str(s),
                    None => out.push(c),
                }
            } else {
                pending_hyphen = true;
            }
        }
        let out = cut(&out, TITLE_LEN);
        if out.is_empty() {
            Slug("item".to_string())
        } else {
            Slug(out.to_string())
        }
    }

    /// This slug with "-n" appended, shortened first if needed to stay within 80 characters.
    pub fn with_suffix(&self, n: u32) -> Slug {
        let suffix = format!("-{n}");
        let base = self.0[..self.0.len().min(MAX_LEN - suffix.len())].trim_end_matches('-');
        Slug(format!("{base}{suffix}"))
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Cuts an ASCII slug to at most `max` bytes, at a hyphen where possible,
/// without a trailing hyphen.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let head = &s[..max];
    if s.as_bytes()[max] == b'-' {
        return head;
    }
    match head.rfind('-') {
        Some(i) if i > 0 => &head[..i],
        _ => head,
    }
}

/// ASCII for common accented Latin letters (lowercase input).
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::to_string;
    use super::*;

    #[test]
    fn parse_accepts_valid_slugs() {
        for s in ["a", "call-ice", "2024-update", &"x".repeat(80)] {
            assert_eq!(Slug::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(Slug::parse("  call-ice \n").unwrap().as_str(), "call-ice");
    }

    #[test]
    fn parse_rejects_invalid_slugs() {
        let long = "x".repeat(81);
        for s in [
            "", " ", "-a", "a-", "a--b", "Call-ice", "call ice", "call_ice", "café", &long,
        ] {
            assert_eq!(
                Slug::parse(s).unwrap_err().0,
                "must be 1–80 lowercase letters, digits and single hyphens",
                "{s:?}"
            );
        }
    }

    #[test]
    fn from_title_examples() {
        assert_eq!(
            Slug::from_title("#WhereAreTheChildren: How to help").as_str(),
            "wherearethechildren-how-to-help"
        );
        assert_eq!(
            Slug::from_title("Call ICE at 1-866-DHS-2-ICE").as_str(),
            "call-ice-at-1-866-dhs-2-ice"
        );
        assert_eq!(
            Slug::from_title("Élan: Straße in Señor Müller's café").as_str(),
            "elan-strasse-in-senor-muller-s-cafe"
        );
        assert_eq!(
            Slug::from_title("  --Hello,   World!--  ").as_str(),
            "hello-world"
        );
    }

    #[test]
    fn from_title_falls_back_to_item() {
        assert_eq!(Slug::from_title("").as_str(), "item");
        assert_eq!(Slug::from_title("!!! ???").as_str(), "item");
        assert_eq!(Slug::from_title("你好").as_str(), "item");
    }

    #[test]
    fn from_title_cuts_at_a_hyphen_boundary() {
        let title = "word ".repeat(20); // "word-word-…", 99 chars as a slug
        let slug = Slug::from_title(&title);
        assert!(slug.as_str().len() <= 60);
        assert_eq!(slug.as_str(), ["word"; 12].join("-")); // 59 chars
                                                           // One long word has no boundary and is cut hard.
        let slug = Slug::from_title(&"a".repeat(100));
        assert_eq!(slug.as_str(), "a".repeat(60));
        // A cut landing exactly before a hyphen keeps the whole word.
        let title = format!("{} b", "a".repeat(60));
        assert_eq!(Slug::from_title(&title).as_str(), "a".repeat(60));
    }

    #[test]
    fn from_title_output_always_parses() {
        for title in [
            "Ünïcödé — “quotes” & more",
            "a",
            "日本 and ASCII",
            "ß",
            "---",
        ] {
            let slug = Slug::from_title(title);
            assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()), "{title}");
        }
    }

    #[test]
    fn with_suffix_appends_and_stays_within_80() {
        let slug = Slug::parse("title").unwrap();
        assert_eq!(slug.with_suffix(2).as_str(), "title-2");
        let long = Slug::parse(&"a".repeat(80)).unwrap();
        let suffixed = long.with_suffix(12);
        assert_eq!(suffixed.as_str().len(), 80);
        assert!(suffixed.as_str().ends_with("a-12"));
        // Cutting must not leave a double hyphen.
        let hyphen_at_cut = Slug::parse(&format!("{}-{}", "a".repeat(77), "bc")).unwrap();
        let suffixed = hyphen_at_cut.with_suffix(3);
        assert_eq!(Slug::parse(suffixed.as_str()), Ok(suffixed.clone()));
        assert_eq!(suffixed.as_str(), format!("{}-3", "a".repeat(77)));
    }

    #[test]
    fn display_as_ref_and_serialize() {
        let slug = Slug::parse("call-ice").unwrap();
        assert_eq!(slug.to_string(), "call-ice");
        assert_eq!(slug.as_ref(), "call-ice");
        assert_eq!(to_string(&slug), "call-ice");
    }
}
