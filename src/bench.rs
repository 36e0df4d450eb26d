//! `panelops bench …`: measurements printed as a table and written under `bench-results/`, each next
//! to its floor measured in the same run.

mod api;
mod cache_data;
mod export;
mod hosted;
mod pages;
mod reports;
mod sql_trace;
mod startup;
mod sync;

pub use api::api;
pub use export::export;
pub use hosted::hosted;
pub use pages::pages;
pub use reports::reports;
pub use startup::startup;
pub use sync::sync;

use std::path::PathBuf;

use shared::{AppError, AppResult};

/// Writes a result table to `bench-results/<name>.md` and prints it.
fn report(name: &str, table: &str) -> AppResult<()> {
    println!("{table}");
    let dir = PathBuf::from("bench-results");
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::internal(format!("cannot create bench-results: {e}")))?;
    let path = dir.join(format!("{name}.md"));
    std::fs::write(&path, table)
        .map_err(|e| AppError::internal(format!("cannot write {}: {e}", path.display())))?;
    println!("written to {}", path.display());
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The owner every bench signs in as (a new one per run, so a kept bench database takes another).
async fn bench_owner(state: &shared::AppState) -> AppResult<i64> {
    let new = shared::auth::staff::NewStaff {
        username: &format!("bench-owner-{}", std::process::id()),
        password: "quiet-harbor-42-lantern",
        role: shared::auth::Role::Owner,
        all_panels: true,
        panels: &[],
        only_if_first: false,
    };
    shared::auth::staff::create(&state.db, new).await
}
