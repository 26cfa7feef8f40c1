//! Email: composing digests from the change log, the sender that drains the outbox, and
//! the transport (SMTP, or .eml files when no SMTP server is configured).

pub mod bounces;
pub mod compose;
pub mod outbox;
pub mod shared_body;
pub mod smtp;
pub mod subscribe;
pub mod subscriber_csv;
pub mod templates;
pub mod throttle;
pub mod transport;
pub mod verp;

/// Errors of the mail room.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] crate::db::Error),
    #[error("email template: {0}")]
    Template(String),
    #[error("mail transport: {0}")]
    Transport(String),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        Error::Db(e.into())
    }
}

impl From<tera::Error> for Error {
    fn from(e: tera::Error) -> Error {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        Error::Template(msg)
    }
}

/// Result of the mail room.
pub type Result<T, E = Error> = std::result::Result<T, E>;
