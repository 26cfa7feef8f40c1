//! What organizers type: bounded text, URLs, language tags and tags. Every text field of
//! an action, campaign, update, contact or hotline is one of these types, so each rule
//! (its length, whether it may span lines, which characters it refuses) is written once
//! and the admin forms, the JSON API, the importers and the demo all go through it.
//!
//! Text refuses control characters except the newline (in multi-line text) and the tab:
//! a `\u{7}` or a NUL is not something a person means to publish, and it would make the
//! Atom feeds invalid XML. Line breaks typed as CR LF (as browsers send them) are stored
//! as LF. Lengths are counted in characters after trimming.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde::Serialize;

use super::InvalidInput;

/// Checks `s` against one text rule; answers the text to store.
fn check_text(s: &str, max: usize, shape: Shape, required: bool) -> Result<String, InvalidInput> {
    let multiline = shape != Shape::OneLine;
    let normalised;
    let s = if multiline {
        normalised = normalise_lines(s);
        normalised.as_str()
    } else {
        s
    };
    let s = if shape == Shape::Markdown {
        // Keep the first line's indentation (a code block), drop blank lines around it.
        let mut t = s.trim_end();
        while let Some(i) = t.find('\n').filter(|&i| t[..i].trim().is_empty()) {
            t = &t[i + 1..];
        }
        t
    } else {
        s.trim()
    };
    if let Some(c) = s.chars().find(|&c| refused(c, multiline)) {
        return Err(if c == '\n' || c == '\r' {
            InvalidInput::new("must be one line")
        } else {
            InvalidInput::new(format!(
                "must not contain control characters (found U+{:04X})",
                c as u32
            ))
        });
    }
    if required && s.is_empty() {
        return Err(InvalidInput::new("is required"));
    }
    if s.chars().count() > max {
        return Err(InvalidInput::new(format!(
            "must be at most {max} characters"
        )));
    }
    Ok(s.to_string())
}

/// Multi-line text as it is compared and stored: line breaks typed as CR LF or CR (as
/// browsers and some clients send them) become LF, and spaces and tabs at the end of each
/// line are dropped, so the same words saved again are the same text. (Trailing blank
/// lines go with the trimming every text gets.)
pub fn normalise_lines(s: &str) -> String {
    let s = if s.contains('\r') {
        std::borrow::Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    if !s.contains(" \n") && !s.contains("\t\n") {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line.trim_end_matches([' ', '\t']));
    }
    out
}

/// How a text may be laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One line.
    OneLine,
    /// Lines of plain text.
    Lines,
    /// Markdown: lines, and the first line's indentation is kept.
    Markdown,
}

/// A character no text may hold: controls other than tab (and newline in multi-line
/// text), and the two non-characters XML refuses.
fn refused(c: char, multiline: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !multiline,
        '\u{FFFE}' | '\u{FFFF}' => true,
        c => c.is_control(),
    }
}

/// Declares a bounded text type.
macro_rules! bounded_text {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { max: $max:expr, shape: $shape:ident, required: $req:expr $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The most characters it may have.
            pub const MAX: usize = $max;
            /// How it may be laid out.
            pub const SHAPE: Shape = Shape::$shape;
            /// Whether it may be empty.
            pub const REQUIRED: bool = $req;

            /// Checks the text (see the module's rules) and keeps it, trimmed.
            pub fn parse(s: &str) -> Result<Self, InvalidInput> {
                check_text(s, $max, Shape::$shape, $req).map($name)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidInput;
            fn from_str(s: &str) -> Result<Self, InvalidInput> {
                Self::parse(s)
            }
        }
    };
}

/// Declares an optional bounded text type: as [`bounded_text!`], and empty by default.
macro_rules! optional_text {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { max: $max:expr, shape: $shape:ident $(,)? }
    ) => {
        bounded_text! {
            $(#[$meta])*
            pub struct $name { max: $max, shape: $shape, required: false }
        }

        impl Default for $name {
            fn default() -> Self {
                $name(String::new())
            }
        }
    };
}

bounded_text! {
    /// The title of an action, a campaign or a dated update: one line, 1 to 200 characters.
    pub struct Title { max: 200, shape: OneLine, required: true }
}

bounded_text! {
    /// The name of a contact or a hotline: one line, 1 to 200 characters.
    pub struct Name { max: 200, shape: OneLine, required: true }
}

optional_text! {
    /// A short one-line detail: a contact's role or organisation, a hotline's hours or
    /// languages (at most 200 characters).
    pub struct Line { max: 200, shape: OneLine }
}

optional_text! {
    /// A longer one-line detail: an action's location, a hotline's audience (at most 500).
    pub struct LongLine { max: 500, shape: OneLine }
}

optional_text! {
    /// The title of a link or a source: one line, at most 300 characters.
    pub struct LinkTitle { max: 300, shape: OneLine }
}

optional_text! {
    /// A note beside a target or a phone number: one line, at most 1,000 characters.
    pub struct Note { max: 1_000, shape: OneLine }
}

optional_text! {
    /// A caller's note on a problem report about a number: at most 1,000 characters, lines
    /// allowed.
    pub struct ReportNote { max: 1_000, shape: Lines }
}

optional_text! {
    /// The summary of an action or a campaign: at most 1,000 characters, lines allowed.
    pub struct Summary { max: 1_000, shape: Lines }
}

optional_text! {
    /// A contact's postal address: at most 1,000 characters, lines allowed.
    pub struct Address { max: 1_000, shape: Lines }
}

optional_text! {
    /// A hotline's description: at most 2,000 characters, lines allowed.
    pub struct Description { max: 2_000, shape: Lines }
}

optional_text! {
    /// Markdown: the body of an action, a campaign or an update, or a script (at most
    /// 100,000 characters).
    pub struct Body { max: 100_000, shape: Markdown }
}

/// An absolute `http` or `https` URL, at most 2,000 characters. It holds exactly the text
/// that was parsed: one with spaces or control characters (which a URL parser would drop
/// or encode silently) is refused rather than stored as typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// The most characters it may have.
    pub const MAX: usize = 2_000;

    /// Checks an absolute http(s) URL (surrounding whitespace is ignored).
    pub fn parse(s: &str) -> Result<HttpUrl, InvalidInput> {
        let s = s.trim();
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidInput::new(
                "must not contain spaces or control characters",
            ));
        }
        if s.chars().count() > Self::MAX {
            return Err(InvalidInput::new(format!(
                "must be at most {} characters",
                Self::MAX
            )));
        }
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                Ok(HttpUrl(s.to_string()))
            }
            _ => Err(InvalidInput::new(format!(
                "{s:?} is not an absolute http or https URL"
            ))),
        }
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::str::FromStr for HttpUrl {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::parse(s)
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl LinkTitle {
    /// The title of a link given none: its URL (which may be longer than a typed title).
    pub fn of_url(url: &HttpUrl) -> LinkTitle {
        LinkTitle(url.as_str().to_string())
    }
}

/// A script's language: 2 to 12 ASCII letters, digits or hyphens (`en`, `es`, `pt-br`),
/// kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LangTag(String);

impl LangTag {
    /// Checks a language tag.
    pub fn parse(s: &str) -> Result<LangTag, InvalidInput> {
        let lang = s.trim().to_ascii_lowercase();
        let ok = (2..=12).contains(&lang.len())
            && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(InvalidInput::new("must be a language tag such as en or es"));
        }
        Ok(LangTag(lang))
    }

    /// English, the default script's language.
    pub fn en() -> LangTag {
        LangTag("en".into())
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for LangTag {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::parse(s)
    }
}

impl std::fmt::Display for LangTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tag of an action: one line, 1 to 50 characters, no commas (the form lists tags
/// separated by commas), kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    /// The most characters it may have.
    pub const MAX: usize = 50;

    /// Checks a tag.
    pub fn parse(s: &str) -> Result<Tag, InvalidInput> {
        let t = check_text(s, Self::MAX, Shape::OneLine, true)?;
        if t.contains(',') {
            return Err(InvalidInput::new("must not contain commas"));
        }
        Ok(Tag(t.to_lowercase()))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Tag {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::parse(s)
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text written into the program (the demo campaign, tests, benchmarks) rather than
/// typed by someone: `"Call ICE".checked()` parses it with the rules of the field it goes
/// into, and panics on a bad value, which is a bug in the program.
pub trait Checked {
    /// Parses `self` as the value `T`, panicking when it breaks `T`'s rules.
    fn checked<T: std::str::FromStr<Err = InvalidInput>>(&self) -> T;
}

impl Checked for str {
    fn checked<T: std::str::FromStr<Err = InvalidInput>>(&self) -> T {
        self.parse()
            .unwrap_or_else(|e| panic!("{self:?} written in the program: {e}"))
    }
}

/// Parses a time as organizers give it: RFC 3339 (`2026-06-01T18:00:00Z`, any offset),
/// one without an offset or seconds (taken as UTC, as `datetime-local` fields send it) or
/// a bare date (midnight UTC). Answers UTC, to the microsecond.
pub fn parse_time(s: &str) -> Result<NaiveDateTime, InvalidInput> {
    let s = s.trim();
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
        })
        .map_err(|_| {
            InvalidInput::new(format!(
                "{s:?} is not a time; use RFC 3339, e.g. 2026-06-01T18:00:00Z"
            ))
        })?;
    Ok(parsed.trunc_subsecs(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Call ICE ").unwrap().as_str(), "Call ICE");
        assert_eq!(Title::parse("   ").unwrap_err().message(), "is required");
        assert_eq!(
            Title::parse(&"x".repeat(201)).unwrap_err().message(),
            "must be at most 200 characters"
        );
        assert!(
            Title::parse(&"é".repeat(200)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(Summary::parse(" ").unwrap().as_str(), "");
        assert_eq!(Summary::default().as_str(), "");
    }

    #[test]
    fn control_characters_are_refused_except_newline_and_tab() {
        for bad in [
            "a\u{7}b",
            "a\0b",
            "a\u{1b}[31m",
            "a\u{85}b",
            "a\u{7f}",
            "a\u{fffe}",
        ] {
            let err = Body::parse(bad).unwrap_err();
            assert!(
                err.message()
                    .starts_with("must not contain control characters"),
                "{bad:?}: {err}"
            );
        }
        assert_eq!(
            Title::parse("a\u{7}b").unwrap_err().message(),
            "must not contain control characters (found U+0007)"
        );
        assert!(Body::parse("line one\n\tline two").is_ok());
        assert_eq!(Title::parse("a\tb").unwrap().as_str(), "a\tb");
        assert_eq!(
            Title::parse("a\nb").unwrap_err().message(),
            "must be one line"
        );
        assert_eq!(
            Title::parse("a\rb").unwrap_err().message(),
            "must be one line"
        );
        assert_eq!(
            Summary::parse("a\rb").unwrap().as_str(),
            "a\nb",
            "a lone CR is a line break"
        );
    }

    #[test]
    fn crlf_becomes_lf_and_markdown_indentation_is_kept() {
        assert_eq!(Body::parse("a\r\nb\r\n").unwrap().as_str(), "a\nb");
        assert_eq!(Body::parse("\n    code\n").unwrap().as_str(), "    code");
    }

    #[test]
    fn the_same_words_typed_again_are_the_same_text() {
        let stored = Body::parse("First line\n\nSecond line\n  - item").unwrap();
        for typed in [
            "First line\r\n\r\nSecond line\r\n  - item\r\n",
            "First line  \r\n \r\nSecond line\t\r\n  - item  \r\n\r\n\r\n",
            "First line\r\rSecond line\r  - item\r",
        ] {
            assert_eq!(Body::parse(typed).unwrap(), stored, "{typed:?}");
        }
        assert_eq!(
            Summary::parse("One  \r\ntwo \r\n\r\n").unwrap().as_str(),
            "One\ntwo"
        );
        assert_eq!(normalise_lines("a \r\nb\t\rc"), "a\nb\nc");
        assert_eq!(normalise_lines("no change"), "no change");
    }

    #[test]
    fn urls_hold_exactly_what_was_parsed() {
        let u = HttpUrl::parse(" https://example.org/a?b=c ").unwrap();
        assert_eq!(u.as_str(), "https://example.org/a?b=c");
        for bad in [
            "https://example.org/\r\nSet-Cookie: x",
            "https://exa\tmple.org/",
            "https://example.org/a b",
            "https://example.org/\0",
        ] {
            assert_eq!(
                HttpUrl::parse(bad).unwrap_err().message(),
                "must not contain spaces or control characters",
                "{bad:?}"
            );
        }
        assert!(HttpUrl::parse("javascript:alert(1)").is_err());
        assert!(HttpUrl::parse("ftp://example.org/").is_err());
        assert!(HttpUrl::parse("/relative").is_err());
        let long = format!("https://example.org/{}", "a".repeat(2_000));
        assert_eq!(
            HttpUrl::parse(&long).unwrap_err().message(),
            "must be at most 2000 characters"
        );
    }

    #[test]
    fn language_tags_and_tags() {
        assert_eq!(LangTag::parse(" PT-br ").unwrap().as_str(), "pt-br");
        assert!(LangTag::parse("e").is_err());
        assert!(LangTag::parse("en_US").is_err());
        assert_eq!(Tag::parse(" ORR ").unwrap().as_str(), "orr");
        assert_eq!(
            Tag::parse("a,b").unwrap_err().message(),
            "must not contain commas"
        );
        assert_eq!(Tag::parse("").unwrap_err().message(), "is required");
        assert_eq!(
            Tag::parse(&"t".repeat(51)).unwrap_err().message(),
            "must be at most 50 characters"
        );
    }
}
