//! Every secret stored under `PANELOPS_SECRET_KEY` (panels' admin and services keys, rivals' API keys,
//! the AI provider's key, alert channels' tokens, webhook URLs and signing secrets), and whether this key reads them: a deployment given another key than the
//! one they were saved with must say so, not sync nothing in silence.

use crate::crypto::SecretKey;
use crate::db::Db;
use crate::error::AppResult;

/// (stored secrets, how many of them this key cannot read).
pub async fn unreadable(db: &Db, key: &SecretKey) -> AppResult<(usize, usize)> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT admin_key_enc FROM panels WHERE admin_key_enc IS NOT NULL
             UNION ALL SELECT services_key_enc FROM panels WHERE services_key_enc IS NOT NULL
             UNION ALL SELECT api_key_enc FROM competitors
             UNION ALL SELECT value FROM settings WHERE key = 'ai.api_key_enc' AND value != ''
             UNION ALL SELECT target_enc FROM alert_channels
             UNION ALL SELECT signing_enc FROM alert_channels WHERE signing_enc IS NOT NULL",
            (),
        )
        .await?;
    let (mut stored, mut unreadable) = (0, 0);
    while let Some(r) = rows.next().await? {
        stored += 1;
        if key.decrypt(&r.get::<String>(0)?).is_err() {
            unreadable += 1;
        }
    }
    Ok((stored, unreadable))
}
