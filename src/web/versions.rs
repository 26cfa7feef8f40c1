//! The content and directory versions as this process knows them.
//!
//! Both live in the database (other processes — the CLI, a second server — write there
//! too). Reading them on every request would cost a query, so they are re-read at most every
//! [`POLL`] milliseconds — except for a while after this process itself bumped the content
//! version, when every request re-reads them, so an edit shows at once (the bump is only
//! visible to readers once its transaction commits). Concurrent requests that find the
//! versions due share one read.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::db::{self, settings, Db};

/// How stale the known versions may get when this process has not written (milliseconds).
pub const POLL: u64 = 500;
/// How long after a local write every request re-reads the versions (milliseconds).
const AFTER_LOCAL_WRITE: u64 = 3_000;

/// The content version (every public write bumps it) and the directory version (imports
/// and contact edits bump it), read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub content: i64,
    pub directory: i64,
}

/// The versions last read, and when.
pub struct Versions {
    db: Db,
    content: AtomicI64,
    directory: AtomicI64,
    checked_at: AtomicU64,
    /// One reader at a time; the others use what it read.
    reading: tokio::sync::Mutex<()>,
}

impl Versions {
    /// Nothing read yet.
    pub fn new(db: Db) -> Versions {
        Versions {
            db,
            content: AtomicI64::new(-1),
            directory: AtomicI64::new(-1),
            checked_at: AtomicU64::new(0),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self, now: u64) -> Option<Known> {
        let bump = settings::last_local_bump_ms();
        let local_write = bump != 0 && now.saturating_sub(bump) < AFTER_LOCAL_WRITE;
        let checked = self.checked_at.load(Ordering::Acquire);
        let known = self.known();
        (known.content >= 0 && !local_write && now.saturating_sub(checked) < POLL).then_some(known)
    }

    /// The versions, re-read from the database when they may have moved.
    pub async fn get(&self) -> db::Result<Known> {
        let now = settings::unix_millis();
        if let Some(known) = self.fresh(now) {
            return Ok(known);
        }
        let started = settings::unix_millis();
        let _one = self.reading.lock().await;
        // Someone else read them while this request waited: theirs is as fresh.
        if self.checked_at.load(Ordering::Acquire) >= started {
            return Ok(self.known());
        }
        let began = settings::unix_millis();
        let (content, directory) = self.db.run(settings::versions).await?;
        self.content.store(content, Ordering::Release);
        self.directory.store(directory, Ordering::Release);
        // When the read began: a request that started before then may use it.
        self.checked_at.store(began, Ordering::Release);
        Ok(Known { content, directory })
    }

    /// The versions last read (without asking the database).
    pub fn known(&self) -> Known {
        Known {
            content: self.content.load(Ordering::Acquire),
            directory: self.directory.load(Ordering::Acquire),
        }
    }
}
