//! Where a `next` parameter may send a browser: a path on this site, nothing else.
//!
//! The text is refused outright when it holds a control character (tab, CR, LF, NUL …:
//! browsers drop tabs and newlines from URLs, so `/\t/evil.example` becomes
//! `//evil.example`), a backslash (read as `/` by browsers), `//` (a host), or does not
//! start with `/` (schemes, relative paths). What is left is parsed against a placeholder
//! origin; it must stay on that origin, and the answer is the parsed path, query and
//! fragment, percent-encoded, so it is always a valid `Location` header.

use url::{Position, Url};

/// The longest `next` kept; longer ones are refused.
const MAX_LEN: usize = 2048;

const ORIGIN: &str = "http://same-origin.invalid";

/// `raw` as a same-origin path (with its query and fragment), or `None` when it could lead
/// anywhere else.
pub fn safe_next(raw: &str) -> Option<String> {
    if raw.is_empty()
        || raw.len() > MAX_LEN
        || !raw.starts_with('/')
        || raw.contains("//")
        || raw.contains('\\')
        || raw.chars().any(char::is_control)
    {
        return None;
    }
    let base = Url::parse(ORIGIN).expect("a valid base");
    let url = base.join(raw).ok()?;
    if url.origin() != base.origin() {
        return None;
    }
    let path = &url[Position::BeforePath..];
    // The parsed path must still be a plain absolute path (never `//host`).
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_paths_pass() {
        assert_eq!(safe_next("/").as_deref(), Some("/"));
        assert_eq!(
            safe_next("/actions/x?lang=es#outcomes").as_deref(),
            Some("/actions/x?lang=es#outcomes")
        );
        assert_eq!(
            safe_next("/admin/actions").as_deref(),
            Some("/admin/actions")
        );
        // Encoded, never raw, in the answer.
        assert_eq!(safe_next("/a b/é").as_deref(), Some("/a%20b/%C3%A9"));
        assert_eq!(safe_next("/a/../b").as_deref(), Some("/b"));
    }

    #[test]
    fn everything_else_is_refused() {
        for bad in [
            "",
            "evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "//evil.example",
            "///evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/admin\r\nSet-Cookie: x=1",
            "/admin\n",
            "/admin\r",
            "/admin\0",
            "/\u{7f}",
            "/\u{85}x",
            "/./\t/evil",
            "/%0d%0a/../\t",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3000))), None);
        // Percent-encoded characters stay encoded: a path on this site.
        assert_eq!(
            safe_next("/%09/evil.example").as_deref(),
            Some("/%09/evil.example")
        );
    }
}
