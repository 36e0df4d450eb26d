//! `panelops bench …`: measurements printed as a table and written under `bench-results/`, each next
//! to its floor measured in the same run.

mod api;
mod lambda_runtime_api;
mod reports;
mod startup;
mod sync;

pub use api::api;
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

/// The `p` quantile (0–1) of `v`, nearest rank.
fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN)
}
