//! The scheduled sync of panels. The engine (clients, paging, cursors) arrives with the sync issue;
//! the job entry exists so EventBridge Scheduler, the local timer and the Lambda are wired from the
//! start. A run reports exactly what it did.

use serde::{Deserialize, Serialize};
use shared::auth::PanelScope;
use shared::domain::panels::{self, PanelStatus};
use shared::{AppResult, AppState};

/// The scheduler's explicit `Input`, e.g. `{"job":"sync"}`.
#[derive(Debug, Deserialize)]
pub struct JobInput {
    pub job: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RunReport {
    pub job: &'static str,
    /// Active panels this run looked at.
    pub panels: usize,
    /// Records fetched from panels.
    pub fetched: u64,
}

pub async fn run(state: &AppState) -> AppResult<RunReport> {
    let active = panels::list(&state.db, &PanelScope::All)
        .await?
        .into_iter()
        .filter(|p| p.status == PanelStatus::Active)
        .count();
    Ok(RunReport { job: "sync", panels: active, fetched: 0 })
}
