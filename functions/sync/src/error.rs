//! Why a resource's run stopped.

use shared::pp::PpError;
use shared::AppError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Panel(#[from] PpError),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("{0}")]
    Setup(String),
}

impl From<shared::db::DbError> for SyncError {
    fn from(e: shared::db::DbError) -> Self {
        SyncError::App(AppError::from(e))
    }
}

impl SyncError {
    pub fn key_rejected(&self) -> bool {
        matches!(self, SyncError::Panel(PpError::KeyRejected(_)))
    }
}
