//! Placeholders in call scripts, written in square brackets: `[YOUR NAME]`,
//! `[CITY, ZIP]`, `[REP NAME]`, `[SENATOR NAME]`, and for the one target a script is
//! filled for, `[TARGET NAME]` and `[TARGET TITLE]`.
//!
//! Names match case-insensitively and ignore spaces inside the brackets, so
//! `[ rep name ]` is `[REP NAME]`. Other bracketed text, like `[sic]`, is plain text.

/// The known placeholder names, in normalised form.
pub const KNOWN: [&str; 6] = [
    "YOUR NAME",
    "CITY, ZIP",
    "REP NAME",
    "SENATOR NAME",
    "TARGET NAME",
    "TARGET TITLE",
];

/// Values to fill into a script; `None` (or blank) leaves a placeholder as written.
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    /// Fills `[YOUR NAME]`.
    pub your_name: Option<String>,
    /// Fills `[CITY, ZIP]`.
    pub city_zip: Option<String>,
    /// Fills `[REP NAME]`.
    pub rep_name: Option<String>,
    /// Fills `[SENATOR NAME]`.
    pub senator_name: Option<String>,
    /// Fills `[TARGET NAME]`: the person or office called.
    pub target_name: Option<String>,
    /// Fills `[TARGET TITLE]`: "Senator", "Representative", "Delegate", or an agency's name.
    pub target_title: Option<String>,
}

/// A run of script text; `placeholder` is true for a placeholder left unfilled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    /// The text, or the placeholder exactly as written (brackets included).
    pub text: String,
    /// Whether this is an unfilled placeholder.
    pub placeholder: bool,
}

impl Placeholders {
    /// The script with known values filled in; unknown placeholders stay exactly as written.
    pub fn fill(&self, script: &str) -> String {
        self.segments(script).into_iter().map(|s| s.text).collect()
    }

    /// The filled script split into runs of plain text and unfilled placeholders.
    /// Adjacent plain text (including filled values) is merged.
    pub fn segments(&self, script: &str) -> Vec<Segment> {
        let mut out: Vec<Segment> = Vec::new();
        for token in tokens(script) {
            match token {
                Token::Text(t) => push_text(&mut out, t),
                Token::Placeholder { name, raw } => match self.value(name) {
                    Some(v) => push_text(&mut out, v),
                    None => out.push(Segment {
                        text: raw.to_string(),
                        placeholder: true,
                    }),
                },
            }
        }
        out
    }

    /// The trimmed, non-blank value for a normalised placeholder name.
    fn value(&self, name: &str) -> Option<&str> {
        let v = match name {
            "YOUR NAME" => &self.your_name,
            "CITY, ZIP" => &self.city_zip,
            "REP NAME" => &self.rep_name,
            "SENATOR NAME" => &self.senator_name,
            "TARGET NAME" => &self.target_name,
            "TARGET TITLE" => &self.target_title,
            _ => &None,
        };
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
}

/// Appends plain text, merging it into a preceding plain segment.
fn push_text(out: &mut Vec<Segment>, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(last) if !last.placeholder => last.text.push_str(text),
        _ => out.push(Segment {
            text: text.to_string(),
            placeholder: false,
        }),
    }
}

/// The distinct normalised placeholder names in a script, in order of first appearance.
pub fn placeholders_in(script: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for token in tokens(script) {
        if let Token::Placeholder { name, .. } = token {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

enum Token<'a> {
    Text(&'a str),
    Placeholder { name: &'static str, raw: &'a str },
}

/// The known name for the text inside brackets, if any.
fn known_name(inner: &str) -> Option<&'static str> {
    let squashed: String = inner
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    KNOWN.into_iter().find(|k| {
        k.chars()
            .filter(|c| !c.is_whitespace())
            .eq(squashed.chars())
    })
}

/// Splits a script into plain text and known placeholders.
fn tokens(script: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = script;
    let mut text_start = 0; // start of pending plain text within `rest`
    while let Some(open) = rest[text_start..].find('[').map(|i| i + text_start) {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            break;
        };
        let inner = &after[..close];
        if let Some(nested) = inner.rfind('[') {
            // "[a [REP NAME]": only the innermost bracket can be a placeholder.
            text_start = open + 1 + nested;
            continue;
        }
        let end = open + 1 + close + 1;
        match known_name(inner) {
            Some(name) => {
                if open > 0 {
                    tokens.push(Token::Text(&rest[..open]));
                }
                tokens.push(Token::Placeholder {
                    name,
                    raw: &rest[open..end],
                });
                rest = &rest[end..];
                text_start = 0;
            }
            None => text_start = end,
        }
    }
    if !rest.is_empty() {
        tokens.push(Token::Text(rest));
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = "I am outraged by how our government is treating children at the border. What is [SENATOR NAME] / [REP NAME] doing about this?";

    fn text(t: &str) -> Segment {
        Segment {
            text: t.to_string(),
            placeholder: false,
        }
    }

    fn hole(t: &str) -> Segment {
        Segment {
            text: t.to_string(),
            placeholder: true,
        }
    }

    fn rep_only() -> Placeholders {
        Placeholders {
            rep_name: Some("Rep. Jane Doe".to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn demo_script_with_only_rep_known() {
        let p = rep_only();
        assert_eq!(
            p.fill(DEMO),
            "I am outraged by how our government is treating children at the border. What is [SENATOR NAME] / Rep. Jane Doe doing about this?"
        );
        assert_eq!(
            p.segments(DEMO),
            vec![
                text("I am outraged by how our government is treating children at the border. What is "),
                hole("[SENATOR NAME]"),
                text(" / Rep. Jane Doe doing about this?"),
            ]
        );
        assert_eq!(placeholders_in(DEMO), vec!["SENATOR NAME", "REP NAME"]);
    }

    #[test]
    fn fills_every_known_placeholder_case_insensitively() {
        let p = Placeholders {
            your_name: Some("Ada".into()),
            city_zip: Some("Springfield, 62701".into()),
            rep_name: Some("Rep. Doe".into()),
            senator_name: Some("Sen. Roe".into()),
            ..Default::default()
        };
        let script =
            "My name is [your name] from [ City , Zip ]. [ rep  name ] and [Senator Name]!";
        assert_eq!(
            p.fill(script),
            "My name is Ada from Springfield, 62701. Rep. Doe and Sen. Roe!"
        );
        assert_eq!(p.segments(script), vec![text(&p.fill(script))]);
        assert_eq!(
            placeholders_in(script),
            vec!["YOUR NAME", "CITY, ZIP", "REP NAME", "SENATOR NAME"]
        );
    }

    #[test]
    fn unknown_placeholders_stay_exactly_as_written() {
        let p = Placeholders::default();
        let script = "Hi [ rep name ],[YOUR NAME][city, zip]";
        assert_eq!(p.fill(script), script);
        assert_eq!(
            p.segments(script),
            vec![
                text("Hi "),
                hole("[ rep name ]"),
                text(","),
                hole("[YOUR NAME]"),
                hole("[city, zip]"),
            ]
        );
    }

    #[test]
    fn other_brackets_are_plain_text() {
        let p = rep_only();
        let script = "They said [sic] it [REP NAME] [a [REP NAME] b] [ unclosed";
        assert_eq!(
            p.segments(script),
            vec![text(
                "They said [sic] it Rep. Jane Doe [a Rep. Jane Doe b] [ unclosed"
            )]
        );
        assert_eq!(
            placeholders_in("[sic] [] [NAME] [REP]"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn blank_values_count_as_unknown_and_values_are_not_rescanned() {
        let p = Placeholders {
            your_name: Some("   ".into()),
            rep_name: Some("[SENATOR NAME]".into()),
            senator_name: Some("Sen. Roe".into()),
            ..Default::default()
        };
        assert_eq!(
            p.segments("[YOUR NAME] calls [REP NAME]"),
            vec![hole("[YOUR NAME]"), text(" calls [SENATOR NAME]")]
        );
    }

    #[test]
    fn target_placeholders_fill_for_the_one_called() {
        let p = Placeholders {
            target_name: Some("Patty Murray".into()),
            target_title: Some("Senator".into()),
            ..Default::default()
        };
        assert_eq!(
            p.fill("May I speak to [TARGET TITLE] [ target name ]'s office?"),
            "May I speak to Senator Patty Murray's office?"
        );
    }

    #[test]
    fn empty_and_plain_scripts() {
        let p = rep_only();
        assert_eq!(p.segments(""), Vec::<Segment>::new());
        assert_eq!(p.fill(""), "");
        assert_eq!(p.segments("no placeholders"), vec![text("no placeholders")]);
    }
}
