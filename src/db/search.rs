//! Full-text-ish search over public actions: every word must appear (case-insensitively)
//! in the title, summary, body, a tag or the name of a contact the action targets.
//! Written once for both backends with `lower(..) LIKE lower(..) ESCAPE '\'`, so `%` and
//! `_` typed by a visitor match themselves.

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::actions::Action;
use super::schema::{action_tags, action_targets, actions, contacts};
use super::{DbConn, Result};
use crate::domain::Status;

diesel::define_sql_function!(
    /// SQL `lower()`, on both backends.
    fn lower(x: Text) -> Text
);

/// The most words a query may have; more are ignored.
pub const MAX_WORDS: usize = 8;

/// The words of a query, lower-cased, without duplicates, at most [`MAX_WORDS`].
pub fn words(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in q.split_whitespace() {
        let w = w.to_lowercase();
        if !out.contains(&w) {
            out.push(w);
        }
        if out.len() == MAX_WORDS {
            break;
        }
    }
    out
}

/// `%word%` with LIKE's wildcards and the escape character escaped.
pub fn like_pattern(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Public (published or expired) actions matching every word, in campaign order.
/// No words, no results.
pub fn actions(conn: &mut DbConn, words: &[String]) -> Result<Vec<Action>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = actions::table
        .filter(actions::status.eq_any([Status::Published.as_str(), Status::Expired.as_str()]))
        .order((
            actions::campaign_id.asc(),
            actions::position.asc(),
            actions::id.asc(),
        ))
        .select(Action::as_select())
        .into_boxed();
    for w in words {
        let p = like_pattern(w);
        let tagged = action_tags::table
            .filter(lower(action_tags::tag).like(p.clone()).escape('\\'))
            .select(action_tags::action_id);
        let targets_named = action_targets::table
            .inner_join(contacts::table)
            .filter(lower(contacts::name).like(p.clone()).escape('\\'))
            .select(action_targets::action_id);
        q = q.filter(
            lower(actions::title)
                .like(p.clone())
                .escape('\\')
                .or(lower(actions::summary).like(p.clone()).escape('\\'))
                .or(lower(actions::body).like(p.clone()).escape('\\'))
                .or(actions::id.eq_any(tagged))
                .or(actions::id.eq_any(targets_named)),
        );
    }
    Ok(q.load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_deduplicated_and_capped() {
        assert_eq!(words("  ICE  ice Call "), vec!["ice", "call"]);
        assert_eq!(words("a b c d e f g h i j").len(), MAX_WORDS);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(like_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
