//! How reachable each office was this month ("Reached by 64% of callers this month"), kept
//! in memory for `/reps` and `/api/v1/reps`, which are served from the in-memory directory.
//!
//! Outcomes move the content version, not the directory's, so the figures are read again
//! when the content version has moved — at most once every [`REFRESH`], so that a spike of
//! outcome reports does not make every ZIP code's page render again on each report. Each
//! reading has a generation, part of the key of the kept `/reps` parts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::db::{self, outcomes, Db};
use crate::reps::lookup::RepsAnswer;

/// The longest the figures lag behind the outcomes recorded.
pub const REFRESH: Duration = Duration::from_secs(5);

/// One reading of the figures.
#[derive(Debug, Default)]
pub struct Reach {
    /// Changes with every reading that differs from the one before.
    pub generation: u64,
    content_version: i64,
    read_at: Option<Instant>,
    by_slug: HashMap<String, i64>,
}

impl Reach {
    /// Fills in the figure of every legislator and official of the answer that has one.
    pub fn fill(&self, answer: &mut RepsAnswer) {
        for l in &mut answer.legislators {
            l.reach = self.by_slug.get(&l.slug).copied();
        }
        for o in &mut answer.officials {
            o.reach = self.by_slug.get(&o.slug).copied();
        }
    }
}

/// The figures as last read.
#[derive(Default)]
pub struct ReachBoard {
    current: ArcSwap<Reach>,
    reading: tokio::sync::Mutex<()>,
}

impl ReachBoard {
    /// The figures for this content version: the last reading while it is that recent or
    /// younger than [`REFRESH`], else a new one (by one request; the others wait for it).
    pub async fn at(&self, db: &Db, content_version: i64) -> db::Result<Arc<Reach>> {
        let fresh = |r: &Reach| {
            r.content_version >= content_version || r.read_at.is_some_and(|t| t.elapsed() < REFRESH)
        };
        let now = self.current.load_full();
        if fresh(&now) {
            return Ok(now);
        }
        let _one = self.reading.lock().await;
        let now = self.current.load_full();
        if fresh(&now) {
            return Ok(now);
        }
        let by_slug = db
            .run(|conn| outcomes::reach_by_slug(conn, db::now() - outcomes::RECENT))
            .await?;
        let generation = if by_slug == now.by_slug {
            now.generation
        } else {
            now.generation + 1
        };
        let next = Arc::new(Reach {
            generation,
            content_version,
            read_at: Some(Instant::now()),
            by_slug,
        });
        self.current.store(next.clone());
        Ok(next)
    }
}
