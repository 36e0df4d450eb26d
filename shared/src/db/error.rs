//! What can go wrong talking to the database, on a local file or over the network.

use crate::error::AppError;

pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite (a local file or the embedded replica) refused or failed a statement.
    #[error("{0}")]
    Local(#[from] libsql::Error),
    /// The remote server ran the request and answered with an error (a constraint, a syntax error,
    /// an expired stream…).
    #[error("{message} ({code})")]
    Remote { code: String, message: String },
    /// The remote server refused the token (wrong, expired, read-only for a write).
    #[error("the database refused the token (HTTP {status}): {message}")]
    Auth { status: u16, message: String },
    /// No answer: the server is down, unreachable or too slow.
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    /// An answer that is not what the protocol promises.
    #[error("the database answered something unexpected: {0}")]
    Protocol(String),
    /// A column read as a type it does not hold (a bug in the reading code, never in the data's path).
    #[error("column {index}: {message}")]
    Column { index: i32, message: String },
    #[error("{0}")]
    Misuse(String),
}

impl DbError {
    /// Whether the database itself is out of reach (a 503 for a page, a retry later for a job), as
    /// opposed to a statement it refused.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unreachable(_) | DbError::Auth { .. })
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Auth { .. } => {
                AppError::Unavailable(format!("The database refused this deployment's token: {e}"))
            }
            DbError::Unreachable(_) => AppError::Unavailable(format!("The database cannot be reached: {e}")),
            other => AppError::Db(other.to_string()),
        }
    }
}

/// SQLite's own errors (a statement kept prepared on a local connection) as every other database error.
impl From<libsql::Error> for AppError {
    fn from(e: libsql::Error) -> Self {
        AppError::from(DbError::from(e))
    }
}
