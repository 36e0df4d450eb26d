//! The AI reviewer's stored verdicts (`ai_reviews`) as other functions read them: counts per staff
//! member and the replies judged mediocre or bad. Here rather than in the AI function so the reports
//! function reads them without linking the reviewer.

use std::collections::HashMap;

use crate::db::Conn;
use libsql::params;

use crate::auth::PanelScope;
use crate::db::{opt_text, Db, Read, Reads, Stmt};
use crate::error::AppResult;

/// AI verdicts of one staff member's replies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct VerdictCounts {
    pub good: i64,
    pub mediocre: i64,
    pub bad: i64,
}

/// Verdict counts per staff name (`ticket_messages.sender_name`, "" when none) for replies sent in
/// `[from, to)` (Unix seconds, like `ticket_messages.created`), inside the scope and optional chosen panel.
pub async fn verdict_counts(
    db: &Db,
    scope: &PanelScope,
    panel: Option<i64>,
    from: i64,
    to: i64,
) -> AppResult<HashMap<String, VerdictCounts>> {
    let conn = db.connect().await?;
    counts_on(&conn, scope, panel, from, to).await
}

/// [`verdict_counts`] on an open connection.
pub async fn counts_on(
    conn: &Conn,
    scope: &PanelScope,
    panel: Option<i64>,
    from: i64,
    to: i64,
) -> AppResult<HashMap<String, VerdictCounts>> {
    let mut reads = Reads::new();
    let read = counts_read(&mut reads, scope, panel, from, to);
    Ok(fold(reads.run(conn).await?.all(read).await?))
}

/// [`counts_on`] as a read of a batch: (staff name, verdict, how many); [`fold`] sums them up.
pub fn counts_read(
    reads: &mut Reads,
    scope: &PanelScope,
    panel: Option<i64>,
    from: i64,
    to: i64,
) -> Read<(String, String, i64)> {
    let sql = format!(
        "SELECT staff_name, verdict, COUNT(*) FROM ai_reviews
         WHERE status = 'done' AND reply_at >= ?1 AND reply_at < ?2 AND {}
         GROUP BY staff_name, verdict",
        scope.sql("panel_id", panel)
    );
    reads.add(Stmt::new(sql, params![from, to]), |r| {
        Ok((opt_text(r, 0)?.unwrap_or_default(), r.get(1)?, r.get(2)?))
    })
}

/// Verdict counts per staff name from [`counts_read`]'s rows.
pub fn fold(rows: Vec<(String, String, i64)>) -> HashMap<String, VerdictCounts> {
    let mut out: HashMap<String, VerdictCounts> = HashMap::new();
    for (name, verdict, n) in rows {
        let e = out.entry(name).or_default();
        match verdict.as_str() {
            "good" => e.good += n,
            "mediocre" => e.mediocre += n,
            "bad" => e.bad += n,
            _ => {}
        }
    }
    out
}

/// The one definition of a flagged reply: reviewed, judged mediocre or bad. Windows apply to the
/// reply's time (`reply_at`), as on AI → Flagged replies. `alias` is the table's alias with its dot
/// ("r.") or "".
pub fn flagged_sql(alias: &str) -> String {
    format!("{alias}status = 'done' AND {alias}verdict IN ('mediocre', 'bad')")
}

/// One reply the reviewer judged mediocre or bad, keyed like `ticket_messages` (panel, ticket, seq).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    pub panel_id: i64,
    pub ticket_id: i64,
    pub seq: i64,
    /// `mediocre` or `bad`.
    pub verdict: String,
    /// An owner marked the verdict wrong.
    pub wrong: bool,
}

/// The mediocre and bad verdicts of replies sent in `[from, to)` inside the scope and chosen panel.
pub async fn judged(
    conn: &Conn,
    scope: &PanelScope,
    panel: Option<i64>,
    from: i64,
    to: i64,
) -> AppResult<Vec<Judged>> {
    let sql = format!(
        "SELECT panel_id, ticket_id, seq, verdict, wrong_by IS NOT NULL FROM ai_reviews
         WHERE {} AND reply_at >= ?1 AND reply_at < ?2 AND {}",
        flagged_sql(""),
        scope.sql("panel_id", panel)
    );
    let mut rows = conn.query(&sql, params![from, to]).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(Judged {
            panel_id: r.get(0)?,
            ticket_id: r.get(1)?,
            seq: r.get(2)?,
            verdict: r.get(3)?,
            wrong: r.get::<i64>(4)? != 0,
        });
    }
    Ok(out)
}
