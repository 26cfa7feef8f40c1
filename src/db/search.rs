//! Search over actions, one query for `/search` and the API's `?q=`: the actions a filter
//! selects, kept when every word of the query appears (case-insensitively, Unicode-aware,
//! the same on both backends) in the places the search's [`Scope`] names. Words are
//! matched as plain text, so `%` and `_` typed by a visitor match themselves.

use super::actions::{self, ActionDetail, ActionFilter};
use super::{DbConn, Result};

/// The most words a `/search` query may have; more are ignored.
pub const MAX_WORDS: usize = 8;

/// The words of a `/search` query, lower-cased, without duplicates, at most [`MAX_WORDS`].
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

/// Every word of an API query, lower-cased.
pub fn all_words(q: &str) -> Vec<String> {
    q.split_whitespace().map(str::to_lowercase).collect()
}

/// Where a search looks for its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `/search`: title, summary, body, tags and the names of the contacts it targets.
    Page,
    /// The API's `q`: title, summary, body, location, the campaign's title and slug,
    /// scripts and tags.
    Api,
}

/// The actions `filter` selects (in campaign order, with their parts) that have every
/// word, already lower-cased, in `scope`. No words: every action the filter selects.
pub fn actions(
    conn: &mut DbConn,
    filter: &ActionFilter,
    words: &[String],
    scope: Scope,
) -> Result<Vec<ActionDetail>> {
    let list = actions::list(conn, filter)?;
    Ok(actions::details(conn, list)?
        .into_iter()
        .filter(|d| has_every_word(&haystack(d, scope), words))
        .collect())
}

/// The text of an action a search looks in: its places, apart by spaces, lower-cased.
fn haystack(d: &ActionDetail, scope: Scope) -> String {
    let a = &d.action;
    let mut places: Vec<&str> = vec![&a.title, &a.summary, &a.body];
    match scope {
        Scope::Page => places.extend(
            d.targets
                .iter()
                .filter_map(|t| t.contact.as_ref())
                .map(|c| c.details.name.as_str()),
        ),
        Scope::Api => {
            places.extend([&a.location, &d.campaign_title, &d.campaign_slug].map(String::as_str));
            places.extend(d.scripts.iter().map(|s| s.body.as_str()));
        }
    }
    places.extend(d.tags.iter().map(String::as_str));
    places.join(" ").to_lowercase()
}

/// Whether every word stands in `hay`. A word has no white space, so it cannot straddle
/// two places.
fn has_every_word(hay: &str, words: &[String]) -> bool {
    words.iter().all(|w| hay.contains(w.as_str()))
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
    fn wildcards_are_plain_characters() {
        let w = |s: &str| vec![s.to_string()];
        assert!(!has_every_word("100 percent sure", &w("%")));
        assert!(!has_every_word("call ice", &w("_")));
        assert!(has_every_word("100% sure", &w("0%")));
        assert!(has_every_word("a_b c", &w("a_b")));
    }

    #[test]
    fn every_word_must_stand() {
        let both = vec!["call".to_string(), "orr".to_string()];
        assert!(has_every_word("call the orr director", &both));
        assert!(!has_every_word("call the ice director", &both));
        assert!(has_every_word("anything", &[]));
    }
}
