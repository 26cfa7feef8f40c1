//! The properties the fuzz targets (`fuzz/`, run by `scripts/fuzz.sh`) check, written once:
//! each function takes the fuzzer's raw bytes and panics when a property fails. The unit
//! tests below replay the small corpora kept in `fuzz/corpus/<target>/` through the same
//! functions, so every input a fuzzer once found stays a plain `cargo test` case.
//!
//! Compiled for tests and for `cargo fuzz` (which sets `--cfg fuzzing`), never otherwise.

use crate::domain::markdown;
use crate::domain::phone::{vanity_to_digits, PhoneNumber};
use crate::domain::placeholders::{placeholders_in, Placeholders};
use crate::reps::import::{parse_legislators, parse_offices, parse_zips};

/// A target's checks: panics on a property that fails for this input.
pub type Check = fn(&[u8]);

/// The fuzz targets, by the name of their folder under `fuzz/corpus/` and `fuzz/fuzz_targets/`.
pub const TARGETS: [(&str, Check); 6] = [
    ("phone", phone),
    ("placeholders", placeholders),
    ("markdown", markdown),
    ("legislators", legislators),
    ("zips", zips),
    ("forms", forms),
];

/// The phone parser: never panics; what it accepts is well-formed E.164 that reads back as
/// itself (as typed and as stored), with a `tel:` link of the same digits.
pub fn phone(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let _ = vanity_to_digits(input);
    let Ok(p) = PhoneNumber::parse(input) else {
        return;
    };
    let e164 = p.e164();
    assert!(
        e164.len() > 2 && e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()),
        "{input:?} parsed to {e164:?}"
    );
    assert_eq!(p.tel_uri(), format!("tel:{e164}"));
    let stored = PhoneNumber::from_stored(e164, p.vanity())
        .unwrap_or_else(|e| panic!("{input:?} parsed to {e164:?}, which does not load: {e}"));
    assert_eq!(
        (stored.e164(), stored.vanity()),
        (e164, p.vanity()),
        "{input:?}: stored and loaded differ"
    );
    let again = PhoneNumber::parse(e164)
        .unwrap_or_else(|e| panic!("{input:?} parsed to {e164:?}, which does not parse: {e}"));
    assert_eq!(again.e164(), e164, "{input:?}");
    let _ = (
        p.display(),
        p.national(),
        p.is_toll_free(),
        p.country_code(),
    );
}

/// The placeholder filler: the first line is the script, the others the values. Nothing
/// filled leaves the script unchanged; the segments are the filled script; an unfilled
/// placeholder is bracketed text; with every value given (and none holding a bracket),
/// none is left.
pub fn placeholders(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let script = lines.next().unwrap_or_default();
    let mut value = || lines.next().map(str::to_string);
    let values = Placeholders {
        your_name: value(),
        city_zip: value(),
        rep_name: value(),
        senator_name: value(),
        target_name: value(),
        target_title: value(),
    };
    assert_eq!(Placeholders::default().fill(script), script);
    let filled = values.fill(script);
    let segments = values.segments(script);
    let joined: String = segments.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(joined, filled);
    for s in segments.iter().filter(|s| s.placeholder) {
        assert!(
            s.text.starts_with('[') && s.text.ends_with(']'),
            "{:?}",
            s.text
        );
    }
    let _ = placeholders_in(script);
    let all = Placeholders {
        your_name: Some("Ana".into()),
        city_zip: Some("Austin, 78701".into()),
        rep_name: Some("Rep. Doe".into()),
        senator_name: Some("Sen. Roe".into()),
        target_name: Some("Office".into()),
        target_title: Some("Senator".into()),
    };
    assert!(
        all.segments(script).iter().all(|s| !s.placeholder),
        "{script:?}: a placeholder was left with every value given"
    );
}

/// The Markdown sanitiser: whatever the input, the HTML has only allowed elements, no
/// event-handler or style attribute, and no link to anything but http(s), mailto, tel or a
/// relative address. Text is escaped, so only what is inside tags is looked at.
pub fn markdown(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let html = markdown::render(&input);
    if let Err(why) = safe_html(&html) {
        panic!("{why}\ninput: {input:?}\nhtml: {html:?}");
    }
    let _ = markdown::excerpt(&input, 80);
    let escaped = markdown::escape_html(&input);
    assert!(!escaped.contains(['<', '>', '"', '\'']), "{escaped:?}");
}

/// Reads HTML as a browser's tokenizer would, tag by tag: an error names the first element,
/// attribute or link that a page must not carry.
pub fn safe_html(html: &str) -> Result<(), String> {
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let after = rest.trim_start_matches('/');
        let name_len = after
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(after.len());
        let name = after[..name_len].to_ascii_lowercase();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            // `<` followed by anything but a letter is text to a browser ("a < b", "<!").
            if name.starts_with('!') || name.starts_with('?') {
                return Err(format!("markup declaration or comment <{name}"));
            }
            continue;
        }
        if !markdown::ALLOWED_TAGS.contains(&name.as_str()) {
            return Err(format!("element <{name}>"));
        }
        let end =
            find_tag_end(&after[name_len..]).ok_or_else(|| format!("unterminated tag <{name}"))?;
        let attributes = &after[name_len..name_len + end];
        rest = &after[name_len + end + 1..];
        if closing {
            continue;
        }
        for (attr, value) in attributes_of(attributes) {
            if attr.starts_with("on") || attr == "style" || attr == "src" {
                return Err(format!("attribute {attr} on <{name}>"));
            }
            if attr == "href" && !safe_link(&value) {
                return Err(format!("link {value:?}"));
            }
        }
    }
    Ok(())
}

/// Where the tag's `>` is, past quoted attribute values.
fn find_tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// A tag's attributes, names lowercased, values with entities decoded.
fn attributes_of(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.trim_end_matches('/').chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' || c == '/' {
                break;
            }
            name.push(c.to_ascii_lowercase());
            chars.next();
        }
        if name.is_empty() {
            return out;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        out.push((name, decode_entities(&value)));
    }
}

/// The entities ammonia writes in attribute values, decoded (others stay as written, which
/// can only make a link look less safe, never more).
fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A link a browser follows only to the web, mail or a phone: no `javascript:`, `data:`,
/// `vbscript:`… (browsers drop tabs and newlines and ignore leading spaces in a scheme).
fn safe_link(href: &str) -> bool {
    let squashed: String = href
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    match squashed.find(':') {
        None => true,
        Some(colon) => {
            let scheme = &squashed[..colon];
            // As the URL standard reads a scheme: a letter, then letters, digits, `+-.`.
            // Anything else before the colon (`/`, `?`, `#`, "jav\u{FFFD}ascript") makes a
            // relative address, which a browser resolves against the page.
            let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            !is_scheme || ["http", "https", "mailto", "tel"].contains(&scheme)
        }
    }
}

/// The representatives importers (congress-legislators YAML, district offices YAML, the
/// ZIP-to-district CSV): any text is read or refused with a message, never a panic.
pub fn legislators(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(parsed) = parse_legislators(&text, "fuzz.yaml") {
        let _ = (parsed.members.len(), parsed.warnings.len());
    }
    let _ = parse_offices(&text, "fuzz-offices.yaml");
}

/// The ZIP-to-district CSV: read or refused with a message; what is read is five-digit
/// ZIP code areas in a known state.
pub fn zips(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok((rows, _)) = parse_zips(&text, "fuzz.csv") {
        for r in rows {
            assert!(
                r.zcta.len() == 5 && r.zcta.bytes().all(|b| b.is_ascii_digit()),
                "{:?}",
                r.zcta
            );
            assert!(r.district >= 0, "{r:?}");
        }
    }
}

/// The form and query decoders, as the handlers read them: `serde_html_form` for the
/// admin forms and subscriptions (repeatable fields), actix's `Form`/`Query`
/// (`serde_urlencoded`) for the public ones. Any body is decoded or refused, never a panic.
pub fn forms(data: &[u8]) {
    use crate::web::admin::{actions, auth, content, people};
    use crate::web::public::{call, outcomes, search, visitor};
    fn html_form<T: serde::de::DeserializeOwned>(data: &[u8]) {
        let _ = serde_html_form::from_bytes::<T>(data);
    }
    fn urlencoded<T: serde::de::DeserializeOwned>(data: &str) {
        let _ = actix_web::web::Query::<T>::from_query(data);
    }
    html_form::<actions::ActionForm>(data);
    html_form::<actions::MoveForm>(data);
    html_form::<content::CampaignForm>(data);
    html_form::<content::UpdateForm>(data);
    html_form::<content::ContactForm>(data);
    html_form::<content::HotlineForm>(data);
    html_form::<people::OrganizerForm>(data);
    html_form::<people::TokenForm>(data);
    html_form::<crate::web::subscribe::SubscribeForm>(data);
    let text = String::from_utf8_lossy(data);
    urlencoded::<auth::LoginForm>(&text);
    urlencoded::<auth::LoginQuery>(&text);
    urlencoded::<outcomes::OutcomeInput>(&text);
    urlencoded::<call::CallOutcome>(&text);
    urlencoded::<call::CallQuery>(&text);
    urlencoded::<search::SearchQuery>(&text);
    urlencoded::<visitor::ZipQuery>(&text);
    urlencoded::<visitor::ActionQuery>(&text);
    urlencoded::<visitor::RememberQuery>(&text);
    urlencoded::<visitor::ForgetQuery>(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of every corpus, through its target's checks.
    #[test]
    fn fuzz_corpora_replay() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        for (name, check) in TARGETS {
            let dir = root.join(name);
            let mut files = 0;
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
                    let why = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                    panic!("{path:?}: {}", why.unwrap_or_default());
                }
                files += 1;
            }
            assert!(files > 0, "{dir:?} holds no inputs");
        }
    }

    #[test]
    fn the_html_check_catches_what_it_must() {
        for bad in [
            "<script>alert(1)</script>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\" JaVa\tScRiPt:alert(1)\">x</a>",
            "<a href=\"&#x27;\" onclick=\"x()\">x</a>",
            "<img src=x onerror=alert(1)>",
            "<p style=\"x\">",
            "<a href='data:text/html,x'>",
            "<!-- x -->",
        ] {
            assert!(safe_html(bad).is_err(), "{bad}");
        }
        for good in [
            "<p>&lt;script&gt; &quot;href=javascript:x&quot; onclick=</p>",
            "<a href=\"https://example.org/a:b\" rel=\"noopener noreferrer nofollow\">x</a>",
            "<a href=\"/path?q=a:b\">x</a>",
            "<a href=\"tel:+12024019246\" title=\"a &quot;onclick=&quot; b\">x</a>",
            "<ol start=\"3\"><li>a < b</li></ol>",
            // Not a scheme (U+FFFD, DEL): a relative address, as fuzzing once mistook.
            "<a href=\"jav\u{FFFD}\u{7f};ascript:alert)1)\">z</a>",
        ] {
            assert_eq!(safe_html(good), Ok(()), "{good}");
        }
    }
}
