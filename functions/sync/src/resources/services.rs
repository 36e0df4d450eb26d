//! The catalogue, through the public API with the panel's services key: upserted whole; services that
//! left the catalogue are marked removed, not deleted (reports still name them).

use libsql::{params, Value as Sql};
use serde_json::json;

use shared::domain::sync::Resource;
use shared::pp::rows::ServiceRow;
use shared::time::now;

use shared::db::Stmt;

use super::{parse_all, position_stmt, recount_stmt, returned_count, Ctx, Step};
use crate::error::SyncError;
use crate::upsert::{opt_b, opt_i, opt_s, upsert};

use shared::cache::services::TABLE;

pub async fn step(ctx: &Ctx<'_>) -> Result<Step, SyncError> {
    let public = ctx.public.ok_or_else(|| {
        SyncError::Setup("No Services API key: set one in Panels to sync the catalogue.".into())
    })?;
    let raw = public.services().await?;
    let (rows, skipped) = parse_all(ctx.panel_id, Resource::Services, 0, &raw, ServiceRow::parse);
    if rows.is_empty() {
        // An empty or unreadable list is not a panel without services: keep the last good catalogue.
        return Err(SyncError::Setup(format!(
            "the panel returned no readable services ({skipped} unreadable); the last good catalogue is kept"
        )));
    }
    let t = now();
    let n = rows.len() as i64;
    let sql_rows: Vec<Vec<Sql>> = rows
        .into_iter()
        .map(|ServiceRow { id, terms: s, dripfeed }| {
            // The promised speed beside the name it is read from, so Service tracking's "slow" is SQL.
            let speed = shared::cache::rollups::min_per_day(&s.name);
            vec![
                Sql::Integer(ctx.panel_id),
                Sql::Integer(id),
                Sql::Text(s.name),
                opt_s(s.kind),
                opt_s(s.category),
                opt_i(s.rate),
                opt_i(s.min),
                opt_i(s.max),
                opt_b(s.refill),
                opt_b(s.cancel),
                opt_b(dripfeed),
                Sql::Null,
                Sql::Integer(speed),
                Sql::Integer(t),
            ]
        })
        .collect();
    let step = Step {
        position: json!({}),
        received: n,
        fetched: Some(n),
        total: Some(n),
        skipped,
        done: true,
        cached: None,
    };
    let mut stmts = upsert(&TABLE, sql_rows);
    // Only after a good, whole answer: a failed sync keeps the last good catalogue, and a row that could
    // not be read may be a service still on sale.
    if skipped == 0 {
        stmts.push(Stmt::new(
            "UPDATE services_cache SET removed_at = ?1 WHERE panel_id = ?2 AND removed_at IS NULL AND checked_at < ?1",
            params![t, ctx.panel_id],
        ));
    }
    stmts.push(position_stmt(ctx.panel_id, Resource::Services, &step));
    let count_at = stmts.len();
    stmts.push(recount_stmt(
        "SELECT COUNT(*) FROM services_cache WHERE panel_id = ?1 AND removed_at IS NULL",
        ctx.panel_id,
        Resource::Services,
    ));
    let mut results = ctx.conn.write_batch(stmts).await?;
    let mut step = step;
    step.cached = returned_count(&mut results, count_at).await?;
    Ok(step)
}
