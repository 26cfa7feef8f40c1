//! Markdown written by editors: sanitised HTML, plain text and excerpts.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Markdown extensions enabled everywhere.
fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// The elements sanitised HTML may hold (the fuzz checks hold the output to them too).
pub const ALLOWED_TAGS: [&str; 26] = [
    "a",
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "del",
    "s",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = ALLOWED_TAGS.into_iter().collect();
    let tag_attributes: HashMap<&str, HashSet<&str>> = [
        ("a", ["href", "title"].into_iter().collect()),
        ("ol", ["start"].into_iter().collect()),
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .tag_attributes(tag_attributes)
        .generic_attributes(HashSet::new())
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    builder
});

/// Escapes text for HTML element content and double- or single-quoted attributes. Unlike
/// tera's default it leaves `/` alone, so "5/29 Update" and URLs read as written.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders Markdown to HTML that is safe to embed in a page.
///
/// Raw HTML is sanitised: only basic formatting, headings, lists, quotes,
/// code, links and tables survive; links may only use http, https, mailto and
/// tel, and get `rel="noopener noreferrer nofollow"`. Images are dropped.
pub fn render(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    SANITIZER.clean(&html).to_string()
}

/// Renders Markdown as readable plain text for emails and feeds.
///
/// Blocks are separated by blank lines, list items start with "- " (or "1. "
/// in numbered lists), quotes with "> ", links read "text (url)", entities
/// are decoded and raw HTML is dropped.
pub fn to_plain_text(markdown: &str) -> String {
    let mut w = PlainWriter::default();
    for event in Parser::new_ext(markdown, options()) {
        w.event(event);
    }
    w.finish()
}

/// The first `max_chars` characters (at most, including the "…") of the plain
/// text on one line, cut at a word boundary.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let text = to_plain_text(markdown)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() <= max_chars {
        return text;
    }
    if max_chars == 0 {
        return String::new();
    }
    let end = text
        .char_indices()
        .nth(max_chars - 1)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let at_word = if text[end..].starts_with(' ') {
        head
    } else {
        match head.rfind(' ') {
            Some(i) if i > 0 => &head[..i],
            _ => head,
        }
    };
    let trimmed = at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c));
    let cut = if trimmed.is_empty() { head } else { trimmed };
    format!("{}…", cut.trim_end())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    Line,
    Blank,
}

/// Builds plain text from Markdown events, one line at a time.
#[derive(Default)]
struct PlainWriter {
    out: String,
    pending: Option<Break>,
    /// The shallowest quote depth seen while a break was pending (prefixes a blank line).
    pending_quote: usize,
    at_line_start: bool,
    quote: usize,
    /// One entry per open list: the next number for numbered lists.
    lists: Vec<Option<u64>>,
    /// A list marker waiting for the item's first line.
    marker: Option<String>,
    /// Open links: destination and where their text starts in `out`.
    links: Vec<(String, usize)>,
    /// Inside inline `<script>` or `<style>`, whose content is dropped.
    in_raw_code: bool,
    cell: usize,
}

impl PlainWriter {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                if !self.in_raw_code {
                    self.text(&t);
                }
            }
            Event::InlineHtml(h) => {
                let h = h.to_ascii_lowercase();
                if h.starts_with("<script") || h.starts_with("<style") {
                    self.in_raw_code = true;
                } else if h.starts_with("</script") || h.starts_with("</style") {
                    self.in_raw_code = false;
                }
            }
            Event::Html(_) | Event::FootnoteReference(_) => {}
            Event::SoftBreak | Event::HardBreak => self.newline(),
            Event::Rule => {
                self.separate(Break::Blank);
                self.text("---");
                self.separate(Break::Blank);
            }
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::BlockQuote(_) => {
                self.separate(Break::Blank);
                self.quote += 1;
            }
            Tag::List(first) => {
                self.separate(Break::Line);
                self.lists.push(first);
            }
            Tag::Item => {
                self.separate(Break::Line);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "- ".to_string(),
                };
                self.marker = Some(marker);
            }
            Tag::TableHead | Tag::TableRow => {
                self.separate(Break::Line);
                self.cell = 0;
            }
            Tag::TableCell => {
                if self.cell > 0 {
                    self.begin();
                    self.out.push_str(" | ");
                }
                self.cell += 1;
            }
            Tag::Link { dest_url, .. } => {
                self.begin();
                self.links.push((dest_url.to_string(), self.out.len()));
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::CodeBlock
            | TagEnd::Table
            | TagEnd::DefinitionList => self.separate(Break::Blank),
            TagEnd::BlockQuote(_) => {
                self.quote = self.quote.saturating_sub(1);
                self.separate(Break::Blank);
            }
            TagEnd::List(_) => {
                self.lists.pop();
                self.marker = None;
                self.separate(if self.lists.is_empty() {
                    Break::Blank
                } else {
                    Break::Line
                });
            }
            TagEnd::Item | TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition => {
                self.marker = None;
                self.separate(Break::Line);
            }
            TagEnd::Link => {
                if let Some((url, start)) = self.links.pop() {
                    let text = self.out[start.min(self.out.len())..].trim();
                    let same = text == url
                        || url.strip_prefix("mailto:") == Some(text)
                        || url.strip_prefix("tel:") == Some(text);
                    if url.is_empty() || same {
                    } else if text.is_empty() {
                        self.text(&url);
                    } else {
                        self.text(&format!(" ({url})"));
                    }
                }
            }
            _ => {}
        }
    }

    /// Asks for at least this much separation before the next text.
    fn separate(&mut self, b: Break) {
        self.pending_quote = match self.pending {
            None => self.quote,
            Some(_) => self.pending_quote.min(self.quote),
        };
        self.pending = self.pending.max(Some(b));
    }

    fn newline(&mut self) {
        if !self.out.is_empty() && !self.at_line_start {
            self.out.push('\n');
            self.at_line_start = true;
        }
    }

    /// Writes pending separators and the line prefix before text.
    fn begin(&mut self) {
        if let Some(b) = self.pending.take() {
            if !self.out.is_empty() {
                if !self.at_line_start {
                    self.out.push('\n');
                }
                if b == Break::Blank {
                    self.out
                        .push_str(&">".repeat(self.pending_quote.min(self.quote)));
                    self.out.push('\n');
                }
                self.at_line_start = true;
            }
        }
        if self.at_line_start || self.out.is_empty() {
            self.out.push_str(&"> ".repeat(self.quote));
            let depth = self.lists.len();
            match self.marker.take() {
                Some(m) => {
                    self.out.push_str(&"  ".repeat(depth.saturating_sub(1)));
                    self.out.push_str(&m);
                }
                None => self.out.push_str(&"  ".repeat(depth)),
            }
            self.at_line_start = false;
        }
    }

    fn text(&mut self, s: &str) {
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                self.newline();
            }
            if !line.is_empty() {
                self.begin();
                self.out.push_str(line);
            }
        }
    }

    fn finish(self) -> String {
        self.out
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>alert('x')</script> & "q" 5/29"#),
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot; 5/29"
        );
    }

    #[test]
    fn renders_ordinary_markdown() {
        let html =
            render("## Call today\n\nPlease **call** [your senator](https://www.senate.gov/).");
        assert!(html.contains("<h2>Call today</h2>"), "{html}");
        assert!(html.contains("<strong>call</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://www.senate.gov/" rel="noopener noreferrer nofollow">your senator</a>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn renders_lists_quotes_code_and_tables() {
        let html =
            render("- one\n- ~~two~~\n\n> quoted\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        for needle in [
            "<ul>",
            "<li>one</li>",
            "<del>two</del>",
            "<blockquote>",
            "<code>code</code>",
            "<table>",
            "<td>1</td>",
        ] {
            assert!(html.contains(needle), "{needle} missing from {html}");
        }
    }

    #[test]
    fn removes_scripts() {
        let html = render("Hello\n\n<script>alert(1)</script>\n\nworld <script>alert(2)</script>");
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(!html.contains("alert"), "{html}");
        assert!(html.contains("Hello"));
    }

    #[test]
    fn removes_javascript_links() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
        ] {
            let html = render(md).to_lowercase();
            assert!(!html.contains("javascript:"), "{md} → {html}");
            assert!(!html.contains("data:"), "{md} → {html}");
        }
    }

    #[test]
    fn removes_event_handlers_and_dangerous_tags() {
        let html = render(
            "<img src=x onerror=alert(1)>\n\n<p onclick=\"evil()\">hi</p>\n\n<iframe src=\"https://evil\"></iframe><style>p{}</style>",
        );
        for bad in ["onerror", "onclick", "<iframe", "<style", "<img"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("hi"));
    }

    #[test]
    fn keeps_tel_and_mailto_links() {
        let html = render("[Call ICE](tel:+18663472423) or [write](mailto:a@example.org)");
        assert!(html.contains(r#"href="tel:+18663472423""#), "{html}");
        assert!(html.contains(r#"href="mailto:a@example.org""#), "{html}");
    }

    #[test]
    fn plain_text_blocks_lists_and_links() {
        let md = "# Act now\n\nCall **today** &amp; tomorrow.\n\n- [Senate](https://senate.gov)\n- <https://house.gov>\n- item <b>three</b>\n\nBye";
        assert_eq!(
            to_plain_text(md),
            "Act now\n\nCall today & tomorrow.\n\n- Senate (https://senate.gov)\n- https://house.gov\n- item three\n\nBye"
        );
    }

    #[test]
    fn plain_text_drops_raw_html() {
        let text = to_plain_text("<div class=\"x\">\n<script>alert(1)</script>\n</div>\n\nSafe <script>alert(2)</script>text");
        assert!(!text.contains('<'), "{text}");
        assert!(!text.contains("alert"), "{text}");
        assert_eq!(text, "Safe text");
    }

    #[test]
    fn plain_text_numbered_nested_and_quoted() {
        let md = "1. first\n2. second\n   - inner\n\n> quoted\n> more\n>\n> again\n\n```\ncode line\n```\n\n[mail](mailto:a@b.org) <c@d.org>";
        assert_eq!(
            to_plain_text(md),
            "1. first\n2. second\n  - inner\n\n> quoted\n> more\n>\n> again\n\ncode line\n\nmail (mailto:a@b.org) c@d.org"
        );
    }

    #[test]
    fn excerpt_cuts_at_a_word_boundary() {
        let md = "Please **call** your senator about the children at the border.";
        assert_eq!(
            excerpt(md, 100),
            "Please call your senator about the children at the border."
        );
        assert_eq!(excerpt(md, 20), "Please call your…");
        assert!(excerpt(md, 20).chars().count() <= 20);
        assert_eq!(excerpt("Hello, world", 8), "Hello…");
        assert_eq!(excerpt("Supercalifragilistic", 6), "Super…");
        assert_eq!(excerpt("Para one.\n\nPara two.", 50), "Para one. Para two.");
        assert_eq!(excerpt("anything", 0), "");
    }
}
