//! The catalogues of a panel's competitor panels, through the public API v2 with each rival's customer
//! key. One competitor per step (position `{"after": id, "failed": [...]}`), so a run's budget, lease and
//! resumability work as for any resource. A rival that fails (junk, `{"error": …}`, 5xx, timeout, an
//! empty list) keeps its last good catalogue, shows the error on its row, and does not stop the others;
//! at the end of the cycle the resource reports the failures so the engine's retry back-off applies.

use serde_json::{json, Value};

use shared::crypto::Secret;
use shared::domain::competitors::{self, catalog};
use shared::domain::sync::Resource;
use shared::pp::rows::ServiceRow;
use shared::pp::{PpError, PublicClient};
use shared::time::now;

use shared::db::Stmt;

use super::{parse_all, position_stmt, recount_stmt, returned_count, Ctx, Step};
use crate::error::SyncError;

pub async fn step(ctx: &Ctx<'_>, position: &Value) -> Result<Step, SyncError> {
    let db = &ctx.state.db;
    let after = position.get("after").and_then(Value::as_i64).unwrap_or(0);
    let mut failed: Vec<String> = position
        .get("failed")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let Some((rival, key_enc)) = competitors::next_to_sync(db, ctx.panel_id, after).await? else {
        // Cycle over: start the next one from the first competitor.
        let mut step = Step { position: json!({}), done: true, ..Step::default() };
        let stmts = vec![position_stmt(ctx.panel_id, Resource::Competitors, &step), recount(ctx.panel_id)];
        step.cached = returned_count(&mut ctx.conn.write_batch(stmts).await?, 1).await?;
        if failed.is_empty() {
            return Ok(step);
        }
        return Err(SyncError::Setup(format!("{} (their last good catalogue is kept)", failed.join("; "))));
    };
    let fetched = fetch(ctx, &rival.base_url, &key_enc).await;
    let mut step = Step { done: false, ..Step::default() };
    match fetched {
        Ok(raw) => {
            let (rows, skipped) = parse_all(ctx.panel_id, Resource::Competitors, 0, &raw, ServiceRow::parse);
            step.received = rows.len() as i64;
            step.skipped = skipped;
            if rows.is_empty() {
                let msg = "the panel returned no services".to_string();
                competitors::record_error(db, rival.id, &msg).await?;
                failed.push(format!("{}: {msg}", rival.name));
            } else {
                step.position = json!({"after": rival.id, "failed": failed});
                let at = now();
                let then = vec![
                    Stmt::new(
                        "UPDATE competitors SET status = 'ok', last_error = NULL, last_sync_at = ?1, last_ok_at = ?1,
                                services = (SELECT COUNT(*) FROM competitor_services WHERE competitor_id = ?2 AND valid_to IS NULL)
                         WHERE id = ?2",
                        libsql::params![at, rival.id],
                    ),
                    position_stmt(ctx.panel_id, Resource::Competitors, &step),
                    recount(ctx.panel_id),
                ];
                // The changes, the rival's row, the position and the count: one write.
                let (changes, mut results) =
                    catalog::apply_snapshot(ctx.conn, rival.id, at, &rows, then).await?;
                step.cached = returned_count(&mut results, 2).await?;
                tracing::info!(
                    competitor = rival.id,
                    added = changes.added,
                    changed = changes.changed,
                    removed = changes.removed,
                    "competitor catalogue synced"
                );
                return Ok(step);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            tracing::warn!(competitor = rival.id, error = %msg, "competitor sync failed");
            competitors::record_error(db, rival.id, &msg).await?;
            failed.push(format!("{}: {msg}", rival.name));
        }
    }
    step.position = json!({"after": rival.id, "failed": failed});
    let stmts = vec![position_stmt(ctx.panel_id, Resource::Competitors, &step), recount(ctx.panel_id)];
    step.cached = returned_count(&mut ctx.conn.write_batch(stmts).await?, 1).await?;
    Ok(step)
}

/// The statement that recounts the live rival services of the panel's competitors (few: recounted)
/// and returns the count.
fn recount(panel_id: i64) -> Stmt {
    recount_stmt(
        "SELECT COUNT(*) FROM competitor_services s JOIN competitors c ON c.id = s.competitor_id
         WHERE c.panel_id = ?1 AND s.valid_to IS NULL",
        panel_id,
        Resource::Competitors,
    )
}

/// The rival's raw catalogue; a key that cannot be decrypted is an error of this rival only.
async fn fetch(ctx: &Ctx<'_>, base_url: &str, key_enc: &str) -> Result<Vec<Value>, PpError> {
    let key = ctx
        .state
        .config
        .secret_key
        .decrypt(key_enc)
        .map_err(|_| PpError::Connect("the saved API key cannot be decrypted; enter it again".into()))?;
    let client = PublicClient::new(base_url, Secret::new(key), &ctx.client)?;
    client.services().await
}
