//! The action page on the hot path. Everything on it that does not depend on the visitor's
//! ZIP code is read from the database and rendered once per content version — the
//! *skeleton*, with two slots; what does depend on it (whom to contact, the script filled
//! in for them) is rendered per request from the in-memory directory into those slots. A
//! page for a ZIP code never seen before costs no query and no render of the whole page.
//!
//! Both caches are bounded and single-flight: when a version moves, the first request for a
//! page reads and renders it, and the requests that arrive meanwhile wait for that one.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};
use serde::Serialize;
use serde_json::json;
use tera::Context;

use super::pages::{cards, history_entries, ActionCard, HistoryEntry};
use super::zip_parts::Parts;
use crate::db::{self, actions, changes, outcomes, Db};
use crate::domain::placeholders::{Placeholders, Segment};
use crate::web::error::WebError;
use crate::web::render::render;

/// An action as read once per content version.
pub struct ActionData {
    pub detail: actions::ActionDetail,
    card: ActionCard,
    history: Vec<HistoryEntry>,
    pub counts: outcomes::ActionCounts,
    /// What the per-request parts need besides the visitor's ZIP code.
    fixed: Context,
    /// A hash of what the per-request parts depend on (but the visitor), so parts kept per
    /// shape outlive a content version that did not change them (an outcome reported).
    pub parts_hash: u64,
    /// What it holds, about: the cache's weight.
    weight: u64,
}

/// The bytes `v` serialises to, written nowhere: a measure of what it holds on the heap
/// that grows with it (an action's history grows with every edit).
fn json_len<T: Serialize + ?Sized>(v: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Serialising these in-memory values cannot fail; a failure would only undercount.
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// The slots of the action page, in page order: the "Start calling" link (which carries
/// the ZIP code), the script, whom to contact (each with the script filled for them).
pub const SLOTS: [&str; 3] = ["start", "script", "who"];

/// The rendered page around the per-request parts: the text before each slot of
/// [`SLOTS`], and after the last.
pub struct Skeleton {
    pieces: Vec<String>,
}

impl Skeleton {
    fn len(&self) -> usize {
        self.pieces.iter().map(String::len).sum()
    }
}

/// A script in one language, split so unfilled placeholders can be highlighted.
#[derive(Serialize)]
pub struct ScriptView {
    pub lang: String,
    /// The language shown (`?lang=`, else English, else the first).
    pub selected: bool,
    pub segments: Vec<Segment>,
    pub text: String,
}

/// The scripts of an action with placeholders filled from what is known.
pub fn script_views(
    scripts: &[actions::Script],
    lang: &str,
    fill: &Placeholders,
) -> Vec<ScriptView> {
    scripts
        .iter()
        .map(|s| ScriptView {
            selected: s.lang == lang,
            lang: s.lang.clone(),
            segments: fill.segments(&s.body),
            text: fill.fill(&s.body),
        })
        .collect()
}

/// A data key, borrowed: hashes as `(i64, String)` does.
#[derive(Hash)]
struct SlugAt<'a>(i64, &'a str);

impl Equivalent<(i64, String)> for SlugAt<'_> {
    fn equivalent(&self, k: &(i64, String)) -> bool {
        self.0 == k.0 && self.1 == k.1
    }
}

/// A skeleton key, borrowed: hashes as `(i64, String, String, bool)` does.
#[derive(Hash)]
struct SkeletonOf<'a>(i64, &'a str, &'a str, bool);

impl Equivalent<(i64, String, String, bool)> for SkeletonOf<'_> {
    fn equivalent(&self, k: &(i64, String, String, bool)) -> bool {
        self.0 == k.0 && self.1 == k.1 && self.2 == k.2 && self.3 == k.3
    }
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<(i64, String), Arc<ActionData>> for ByBytes {
    fn weight(&self, key: &(i64, String), v: &Arc<ActionData>) -> u64 {
        key.1.len() as u64 + v.weight
    }
}

impl Weighter<(i64, String, String, bool), Arc<Skeleton>> for ByBytes {
    fn weight(&self, key: &(i64, String, String, bool), v: &Arc<Skeleton>) -> u64 {
        (key.1.len() + key.2.len() + v.len() + 64) as u64
    }
}

/// The action pages' caches.
pub struct ActionPages {
    data: Cache<(i64, String), Arc<ActionData>, ByBytes>,
    skeletons: Cache<(i64, String, String, bool), Arc<Skeleton>, ByBytes>,
    /// Marks the slots in a rendered skeleton; random, so no content can forge one.
    marker: String,
}

impl ActionPages {
    /// Caches holding about `bytes` in all.
    pub fn new(bytes: u64) -> ActionPages {
        ActionPages {
            data: Cache::with_weighter(256, bytes / 2, ByBytes),
            skeletons: Cache::with_weighter(512, bytes / 2, ByBytes),
            marker: format!("<!--slot-{}-", crate::security::new_token()),
        }
    }

    /// The weights of the kept action data and page skeletons.
    pub fn weights(&self) -> (u64, u64) {
        (self.data.weight(), self.skeletons.weight())
    }

    /// The published or expired action with this slug at this content version.
    pub async fn data(
        &self,
        db: &Db,
        version: i64,
        slug: &str,
        zone: crate::domain::Zone,
    ) -> Result<Arc<ActionData>, WebError> {
        if let Some(hit) = self.data.get(&SlugAt(version, slug)) {
            return Ok(hit);
        }
        let key = (version, slug.to_string());
        let slug = slug.to_string();
        self.data
            .get_or_insert_async(&key, async {
                let db = db.clone();
                let data = db
                    .run(move |conn| {
                        let a = actions::by_slug(conn, &slug)?;
                        if !a.status.is_public() {
                            return Err(db::Error::NotFound("action"));
                        }
                        let history = changes::for_action(conn, a.id)?;
                        let card = cards(conn, vec![a.clone()], db::now(), zone)?.remove(0);
                        let counts = outcomes::counts(conn, a.id)?;
                        Ok((actions::detail(conn, a)?, card, history, counts))
                    })
                    .await?;
                let (detail, card, history, counts) = data;
                let a = &detail.action;
                let a_json = json!({"slug": a.slug, "status": a.status, "kind": a.kind});
                let d_json = json!({"targets": detail.targets});
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                let (a_text, d_text) = (a_json.to_string(), d_json.to_string());
                (a.id, &a_text, &d_text).hash(&mut hasher);
                for s in &detail.scripts {
                    (&s.lang, &s.body).hash(&mut hasher);
                }
                let fixed_len = a_text.len() + d_text.len();
                let mut fixed = Context::new();
                fixed.insert("a", &a_json);
                fixed.insert("d", &d_json);
                fixed.insert("here", &format!("/actions/{}", a.slug));
                fixed.insert(
                    "outcome_choices",
                    &crate::domain::Outcome::choices_for(a.kind),
                );
                let history = history_entries(history);
                // Text as JSON, doubled for the structs, strings and maps holding it.
                let held = json_len(&detail)
                    + json_len(&card)
                    + json_len(&history)
                    + json_len(&counts)
                    + fixed_len;
                Ok::<_, WebError>(Arc::new(ActionData {
                    history,
                    detail,
                    card,
                    counts,
                    fixed,
                    parts_hash: hasher.finish(),
                    weight: (2 * held + 1024) as u64,
                }))
            })
            .await
    }

    /// The page around the per-request parts, for this script language and with or without
    /// the "your report is counted" notice.
    pub async fn skeleton(
        &self,
        version: i64,
        data: &ActionData,
        lang: &str,
        recorded: bool,
    ) -> Result<Arc<Skeleton>, WebError> {
        let slug = data.detail.action.slug.as_str();
        if let Some(hit) = self
            .skeletons
            .get(&SkeletonOf(version, slug, lang, recorded))
        {
            return Ok(hit);
        }
        let key = (version, slug.to_string(), lang.to_string(), recorded);
        self.skeletons
            .get_or_insert_async(&key, async { self.render_skeleton(data, lang, recorded) })
            .await
    }

    fn render_skeleton(
        &self,
        data: &ActionData,
        lang: &str,
        recorded: bool,
    ) -> Result<Arc<Skeleton>, WebError> {
        let d = &data.detail;
        let marks: Vec<String> = SLOTS
            .iter()
            .map(|s| format!("{}{s}-->", self.marker))
            .collect();
        let mut ctx = Context::new();
        ctx.insert("d", d);
        ctx.insert("a", &d.action);
        ctx.insert("card", &data.card);
        ctx.insert("history", &data.history);
        ctx.insert("scripts", &!d.scripts.is_empty());
        ctx.insert(
            "slots",
            &SLOTS
                .iter()
                .zip(&marks)
                .collect::<std::collections::HashMap<_, _>>(),
        );
        ctx.insert(
            "sources",
            &d.links
                .iter()
                .filter(|l| l.kind == "source")
                .collect::<Vec<_>>(),
        );
        ctx.insert(
            "links",
            &d.links
                .iter()
                .filter(|l| l.kind != "source")
                .collect::<Vec<_>>(),
        );
        ctx.insert("here", &format!("/actions/{}", d.action.slug));
        ctx.insert("lang", lang);
        ctx.insert("outcomes", &data.counts);
        ctx.insert(
            "outcome_choices",
            &crate::domain::Outcome::choices_for(d.action.kind),
        );
        ctx.insert("recorded", &recorded);
        let page = render("action.html", &ctx)?;
        let mut pieces = Vec::with_capacity(SLOTS.len() + 1);
        let mut rest = page.as_str();
        for (slot, mark) in SLOTS.iter().zip(&marks) {
            let (before, after) = rest
                .split_once(mark.as_str())
                .ok_or_else(|| WebError::Internal(format!("action.html lost its {slot} slot")))?;
            pieces.push(before.to_string());
            rest = after;
        }
        pieces.push(rest.to_string());
        Ok(Arc::new(Skeleton { pieces }))
    }

    /// The whole page: the skeleton with the parts that depend on the visitor (one per
    /// slot of [`SLOTS`]) written in.
    pub fn assemble(&self, skeleton: &Skeleton, parts: &[&Parts], zip: &str) -> String {
        let extra: usize = parts.iter().map(|p| p.len()).sum();
        let mut page = String::with_capacity(skeleton.len() + extra + 64);
        for (i, piece) in skeleton.pieces.iter().enumerate() {
            page.push_str(piece);
            if let Some(part) = parts.get(i) {
                part.write(zip, &mut page);
            }
        }
        page
    }

    /// The parts that depend on the visitor — the "Start calling" link, the script, whom
    /// to contact — rendered from `ctx` (the action's fixed values plus the visitor's), in
    /// the order of [`SLOTS`].
    pub fn render_parts(ctx: &Context) -> Result<Vec<String>, WebError> {
        Ok(vec![
            render("action_start.html", ctx)?,
            render("action_script.html", ctx)?,
            render("action_who.html", ctx)?,
        ])
    }

    /// A copy of the action's fixed values, for [`ActionPages::assemble`].
    pub fn context(data: &ActionData) -> Context {
        data.fixed.clone()
    }
}
