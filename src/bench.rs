//! Benchmarks (filled in below).

use shared::AppResult;

pub async fn startup(_runs: usize) -> AppResult<()> {
    Ok(())
}
