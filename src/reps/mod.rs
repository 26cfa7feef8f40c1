//! Representatives: importing the congress-legislators and ZIP-to-district data sets, and
//! finding a visitor's senators and representative(s) by ZIP code.

pub mod directory;
pub mod import;
pub mod lookup;
pub mod states;

use std::fmt;

use crate::db;

/// Errors of the representatives room.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{file}: cannot be read: {cause}")]
    Read { file: String, cause: String },
    /// The file is not in the expected format; nothing was stored.
    #[error("{0}")]
    Malformed(Malformed),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Where a malformed file is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub file: String,
    /// 1-based line number, where known.
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(
                f,
                "{}: line {l}: {}: {}",
                self.file, self.field, self.message
            ),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        Error::Db(e.into())
    }
}
